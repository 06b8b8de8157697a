package auth

import (
	"net/http"
	"testing"
)

func TestBearerToken(t *testing.T) {
	const tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
	tests := []struct {
		name    string
		headers []string
		want    string
		code    string
	}{
		{name: "valid", headers: []string{"Bearer " + tok}, want: tok},
		{name: "scheme in lower case", headers: []string{"bearer " + tok}, want: tok},
		{name: "base64 padding", headers: []string{"Bearer abc=="}, want: "abc=="},
		{name: "no header", code: CodeTokenMissing},
		{name: "empty bearer", headers: []string{"Bearer "}, code: CodeTokenMissing},
		{name: "bearer without space", headers: []string{"Bearer"}, code: CodeTokenMissing},
		{name: "bearer with spaces only", headers: []string{"Bearer    "}, code: CodeTokenMissing},
		{name: "basic scheme", headers: []string{"Basic dXNlcjpwYXNz"}, code: CodeTokenMalformed},
		{name: "empty header", headers: []string{""}, code: CodeTokenMalformed},
		{name: "token without scheme", headers: []string{tok}, code: CodeTokenMalformed},
		{name: "two spaces", headers: []string{"Bearer  " + tok}, code: CodeTokenMalformed},
		{name: "trailing text", headers: []string{"Bearer " + tok + " extra"}, code: CodeTokenMalformed},
		{name: "padding in the middle", headers: []string{"Bearer ab=c"}, code: CodeTokenMalformed},
		{name: "only padding", headers: []string{"Bearer ==="}, code: CodeTokenMalformed},
		{name: "quote", headers: []string{`Bearer "` + tok + `"`}, code: CodeTokenMalformed},
		{name: "two headers", headers: []string{"Bearer " + tok, "Bearer " + tok}, code: CodeTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "/model/info", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := BearerToken(r)
			if tt.code == "" {
				if err != nil || got != tt.want {
					t.Fatalf("BearerToken = %q, %v; want %q, nil", got, err, tt.want)
				}
				return
			}
			if got != "" {
				t.Errorf("BearerToken returned %q with an error expected", got)
			}
			wantAuthError(t, err, tt.code, http.StatusUnauthorized)
		})
	}
}
