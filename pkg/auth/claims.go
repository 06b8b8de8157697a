package auth

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// Roles known to the server. RoleAdmin implies every other role.
const (
	RolePredict  = "predict"
	RoleRead     = "read"
	RoleAdmin    = "admin"
	RoleFeedback = "feedback"
)

// Roles lists every known role in a stable order.
var Roles = []string{RoleAdmin, RoleFeedback, RolePredict, RoleRead}

// Claims are the JWT claims mlops issues: the registered claims plus roles.
type Claims struct {
	jwt.RegisteredClaims
	Roles []string `json:"roles"`
}

// HasRole reports whether the claims grant role. The admin role grants
// every role. A nil receiver has no roles.
func (c *Claims) HasRole(role string) bool {
	if c == nil {
		return false
	}
	return slices.Contains(c.Roles, role) || slices.Contains(c.Roles, RoleAdmin)
}

// RequireRole returns nil when claims grant role. Otherwise it returns an
// *Error with CodeRoleMissing and status 403, or CodeTokenMissing and 401
// when claims is nil (no authenticated caller at all).
func RequireRole(claims *Claims, role string) error {
	if claims == nil {
		return unauthorized(CodeTokenMissing, "no bearer token", nil)
	}
	if claims.HasRole(role) {
		return nil
	}
	return &Error{
		Code:    CodeRoleMissing,
		Status:  http.StatusForbidden,
		Message: fmt.Sprintf("token lacks role %q", role),
	}
}

// ValidateRoles checks that roles is non-empty and names only known roles.
func ValidateRoles(roles []string) error {
	if len(roles) == 0 {
		return fmt.Errorf("no roles given; known roles: %v", Roles)
	}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return fmt.Errorf("unknown role %q; known roles: %v", r, Roles)
		}
	}
	return nil
}

// normalizeRoles returns a sorted copy of roles without duplicates.
func normalizeRoles(roles []string) []string {
	out := slices.Clone(roles)
	slices.Sort(out)
	return slices.Compact(out)
}
