package server

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
)

// FuzzDecodePredict checks the strict decoder: it never panics, every
// failure is a 400 with a code and message, and every accepted body is
// valid JSON whose values are all finite.
func FuzzDecodePredict(f *testing.F) {
	fx := newFixture(f, quietOptions)
	l := fx.srv.current.Load()
	for _, seed := range []string{
		`{"features":[5.1,3.5,1.4,0.2]}`,
		`{"features":{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}}`,
		`{"features":{"sepal_length":5.1,"sepal\u005fwidth":3.5,"petal_length":1.4,"petal_width":0.2}}`,
		`{"features":[1,2,3,1e400]}`,
		`{"features":[1,2,"NaN",4]}`,
		`{"features":[1,2,3,4]} x`,
		`{"features":[[[[[[[[1]]]]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	row := make([]float64, l.numFeatures())
	codes := []string{CodeInvalidJSON, CodeDuplicateKey, CodeUnknownField, CodeTrailingData, CodeMissingField,
		CodeInvalidValue, CodeFeatureCount, CodeUnknownFeature, CodeMissingFeature}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := decodePredict(body, l, row)
		if err != nil {
			e := asError(err)
			if e.Status != http.StatusBadRequest || !slices.Contains(codes, e.Code) || e.Message == "" {
				t.Fatalf("decodePredict(%q) = %#v, want a 400 with a known code and a message", body, e)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("decodePredict accepted invalid JSON %q", body)
		}
		for i, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("decodePredict(%q) accepted non-finite features[%d] = %v", body, i, v)
			}
		}
	})
}

// quietOptions discards the audit log and lifts the rate limits, so long
// fuzzing runs neither fill memory with log lines nor hit 429.
func quietOptions(o *Options) {
	o.Logger = slog.New(slog.DiscardHandler)
	unlimited := ratelimit.Rule{Limit: 1_000_000, Period: time.Second}
	o.Rules = map[string]ratelimit.Rule{auth.RolePredict: unlimited, auth.RoleRead: unlimited, auth.RoleAdmin: unlimited}
}

// FuzzAuthMiddleware sends arbitrary Authorization headers through the
// full handler: the response is 200 only for the one valid token, every
// rejection is a 401 or 403 with a known auth code, and nothing is a 5xx.
func FuzzAuthMiddleware(f *testing.F) {
	fx := newFixture(f, quietOptions)
	valid := fx.token("reader", auth.RoleRead)
	predictOnly := fx.token("p", auth.RolePredict)
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		"Bearer " + valid,
		"Bearer " + predictOnly,
		"bearer " + valid,
		"Bearer " + parts[0] + "." + parts[1] + ".",
		"Bearer " + parts[0] + ".e30." + parts[2],
		"Bearer ",
		"Basic YTpi",
		"Bearer a.b.c",
		"",
	} {
		f.Add(seed)
	}
	authCodes := []string{
		auth.CodeTokenMissing, auth.CodeTokenMalformed, auth.CodeTokenExpired, auth.CodeTokenNotYetValid,
		auth.CodeTokenInvalidSignature, auth.CodeTokenWrongIssuer, auth.CodeTokenWrongAudience,
		auth.CodeTokenUnknownKID, auth.CodeTokenAlgorithm, auth.CodeRoleMissing,
	}
	h := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest("GET", "/model/info", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code == http.StatusOK {
			scheme, token, _ := strings.Cut(header, " ")
			if !strings.EqualFold(scheme, "Bearer") || token != valid {
				t.Fatalf("header %q was accepted; only the issued read token may pass", header)
			}
			return
		}
		var body api.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("header %q: answer %d is not the JSON error envelope: %q", header, rec.Code, rec.Body)
		}
		if (rec.Code != 401 && rec.Code != 403) || !slices.Contains(authCodes, body.Error.Code) {
			t.Fatalf("header %q: %d %s, want 401 or 403 with an auth code", header, rec.Code, body.Error.Code)
		}
		if strings.Contains(rec.Body.String(), valid) {
			t.Fatalf("error body echoes the token")
		}
	})
}
