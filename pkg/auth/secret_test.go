package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidateSecret(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		want   string // "" means accepted
	}{
		{"random base64", string(testSecret), ""},
		{"64 hex characters", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ""},
		{"empty", "", "empty"},
		{"31 bytes", strings.Repeat("aZ3", 10) + "x", "31 bytes"},
		{"changeme", "changeme-changeme-changeme-changeme", "changeme"},
		{"change-me upper case", "CHANGE-ME-0123456789abcdefghijklmnop", "change-me"},
		{"change_me", "please_change_me_0123456789abcdefghij", "change_me"},
		{"secret", "my-jwt-secret-0123456789abcdefghijklmnop", "secret"},
		{"password", "Password1234567890abcdefghijklmnopqr", "password"},
		{"placeholder", "placeholder-0123456789abcdefghijklmnopq", "placeholder"},
		{"REPLACE", "REPLACE_WITH_A_RANDOM_VALUE_0123456789", "replace"},
		{"one repeated byte", strings.Repeat("x", 64), "distinct"},
		{"short repeated pattern", strings.Repeat("ab12", 16), "distinct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSecret([]byte(tt.secret))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateSecret: %v, want accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateSecret accepted %q, want error mentioning %q", tt.secret, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if len(tt.secret) >= 8 && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
	if err := ValidateSecret(bytes.Repeat([]byte{0}, 40)); err == nil {
		t.Errorf("40 zero bytes accepted, want rejected")
	}
}
