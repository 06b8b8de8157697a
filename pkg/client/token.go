package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/config"
	"github.com/mlops-dev/mlops/pkg/ui"
)

// Token is an issued bearer token with the claims a person needs to see.
type Token struct {
	Token     string    `json:"token"`
	Subject   string    `json:"subject"`
	Roles     []string  `json:"roles"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueToken signs a token offline with the configured auth key or secret.
// It rejects unknown roles and a ttl that ValidateTTL rejects.
func IssueToken(cfg *config.Config, subject string, roles []string, ttl time.Duration) (*Token, error) {
	if err := ValidateTTL(cfg, ttl); err != nil {
		return nil, err
	}
	if err := ValidateRoles(roles); err != nil {
		return nil, err
	}
	ac, err := auth.ConfigFrom(cfg.Auth, cfg.Dir)
	if err != nil {
		return nil, err
	}
	issuer, err := auth.NewIssuer(ac)
	if err != nil {
		return nil, fmt.Errorf("token signing key: %w", err)
	}
	raw, claims, err := issuer.Issue(subject, roles, ttl)
	if err != nil {
		return nil, err
	}
	return &Token{Token: raw, Subject: claims.Subject, Roles: claims.Roles, ExpiresAt: claims.ExpiresAt.Time}, nil
}

// ValidateTTL rejects a token lifetime that is not positive or exceeds
// auth.max_ttl.
func ValidateTTL(cfg *config.Config, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("ttl %s must be positive", ttl)
	}
	if ttl > cfg.Auth.MaxTTL {
		return fmt.Errorf("ttl %s exceeds auth.max_ttl %s; ask for less or raise auth.max_ttl", ttl, cfg.Auth.MaxTTL)
	}
	return nil
}

// ValidateRoles rejects an empty list and names outside auth.Roles, listing
// the known roles comma-separated.
func ValidateRoles(roles []string) error {
	known := strings.Join(auth.Roles, ", ")
	if len(roles) == 0 {
		return fmt.Errorf("no roles given; known roles: %s", known)
	}
	for _, r := range roles {
		if !slices.Contains(auth.Roles, r) {
			return fmt.Errorf("unknown role %q; known roles: %s", r, known)
		}
	}
	return nil
}

// FetchToken exchanges client credentials for a token at POST /token.
func FetchToken(ctx context.Context, c *Conn, clientID, secret string) (*Token, error) {
	if clientID == "" {
		return nil, errors.New("client id is empty")
	}
	if secret == "" {
		return nil, errors.New("client secret is empty")
	}
	resp, err := c.API.RequestToken(ctx, clientID, secret)
	if err != nil {
		return nil, c.Explain(err)
	}
	return &Token{
		Token:     resp.AccessToken,
		Subject:   clientID,
		Roles:     resp.Roles,
		ExpiresAt: time.Now().Add(time.Duration(resp.ExpiresIn) * time.Second).Truncate(time.Second),
	}, nil
}

// ReadSecret prompts on prompt and reads one line from in without echo.
// in must be a terminal: a secret is never read from a pipe by accident.
func ReadSecret(in io.Reader, prompt io.Writer, label string) (string, error) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", fmt.Errorf("%s: stdin is not a terminal; set it in the environment instead", label)
	}
	fmt.Fprintf(prompt, "%s: ", label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", label, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// RenderToken prints the bare token, so that $(mlops token ...) works, or
// the token with its subject, roles and expiry as JSON.
func RenderToken(s *ui.Streams, t *Token) error {
	if s.JSON {
		return s.WriteJSON(t)
	}
	_, err := fmt.Fprintln(s.Out, t.Token)
	s.Statusf("token for %s with roles %s, expires %s", t.Subject, strings.Join(t.Roles, ","),
		t.ExpiresAt.Local().Format(time.RFC3339))
	return err
}
