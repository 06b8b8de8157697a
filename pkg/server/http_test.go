package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/api"
	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
)

func TestOpenAPI_ListsEveryRoute(t *testing.T) {
	f := newFixture(t, nil)
	res := f.do("GET", "/openapi.json", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d", res.status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatalf("parse /openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}

	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, rt := range f.srv.routes {
		key := rt.method + " " + rt.path
		served[key] = true
		if !documented[key] {
			t.Errorf("route %s is served but missing from openapi.json", key)
		}
	}
	for key := range documented {
		if !served[key] {
			t.Errorf("openapi.json documents %s, which is not served", key)
		}
	}

	// Every $ref must resolve inside the document.
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(\w+)/([\w-]+)"`).FindAllStringSubmatch(string(res.body), -1) {
		if !strings.Contains(string(res.body), `"`+m[2]+`": {`) {
			t.Errorf("unresolved $ref %s/%s", m[1], m[2])
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, nil)
	for _, path := range []string{"/health", "/no/such/path"} {
		res := f.do("GET", path, "", "")
		want := map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Cache-Control":           "no-store",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"Content-Type":            "application/json",
		}
		for k, v := range want {
			if got := res.header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
}

func TestRoutes_NotFoundAndMethodNotAllowed(t *testing.T) {
	f := newFixture(t, nil)
	res := f.do("GET", "/nope", "", "")
	if got := res.errorBody(t); res.status != 404 || got.Code != CodeNotFound {
		t.Errorf("GET /nope: %d %s, want 404 %s", res.status, got.Code, CodeNotFound)
	}
	res = f.do("GET", "/predict", "", "")
	if got := res.errorBody(t); res.status != 405 || got.Code != CodeMethodNotAllowed || res.header.Get("Allow") != "POST" {
		t.Errorf("GET /predict: %d %s Allow %q, want 405 %s Allow POST", res.status, got.Code, res.header.Get("Allow"), CodeMethodNotAllowed)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct{ name, given string }{
		{"sane id is kept", "abc-123_x.y:z"},
		{"markup is replaced", "<script>alert(1)</script>"},
		{"spaces are replaced", "abc def"},
		{"too long is replaced", strings.Repeat("a", 129)},
		{"missing is made", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.ts.URL+"/health", nil)
			if tt.given != "" {
				req.Header["X-Request-Id"] = []string{tt.given}
			}
			got := f.send(req).header.Get("X-Request-ID")
			sane := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`).MatchString(tt.given)
			switch {
			case sane && got != tt.given:
				t.Errorf("X-Request-ID = %q, want the given %q", got, tt.given)
			case !sane && !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got):
				t.Errorf("X-Request-ID = %q, want a new 32-hex-digit id", got)
			}
		})
	}
}

func TestAuditLog_OneLinePerRequestWithoutSecrets(t *testing.T) {
	f := newFixture(t, nil)
	secret, err := f.clients.Add("ci", []string{auth.RolePredict})
	if err != nil {
		t.Fatalf("clients.Add: %v", err)
	}
	res := f.do("POST", "/token", "", `{"client_id":"ci","client_secret":"`+secret+`"}`)
	if res.status != 200 {
		t.Fatalf("POST /token: %d %s", res.status, res.body)
	}
	token := decodeJSON[api.TokenResponse](t, res.body).AccessToken
	req, _ := http.NewRequest("POST", f.ts.URL+"/predict", strings.NewReader(`{"features":[5.1,3.5,1.4,0.2]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-ID", "req-42")
	if res := f.send(req); res.status != 200 {
		t.Fatalf("POST /predict: %d %s", res.status, res.body)
	}
	f.do("POST", "/predict", token+"x", `{"features":[5.1,3.5,1.4,0.2]}`)

	logs := f.logs.String()
	for _, s := range []string{token, secret, string(f.secret)} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log contains a token or secret:\n%s", logs)
		}
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if line["msg"] == "request" {
			lines = append(lines, line)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("got %d request lines, want 3:\n%s", len(lines), logs)
	}
	pred := lines[1]
	want := map[string]any{
		"request_id": "req-42", "subject": "ci", "route": "POST /predict", "status": float64(200),
		"model_version": float64(1), "prediction": "setosa", "level": "INFO",
	}
	for k, v := range want {
		if pred[k] != v {
			t.Errorf("audit line %s = %v, want %v (line %v)", k, pred[k], v, pred)
		}
	}
	for _, k := range []string{"time", "duration_ms"} {
		if _, ok := pred[k]; !ok {
			t.Errorf("audit line lacks %s: %v", k, pred)
		}
	}
	if lines[2]["level"] != "WARN" || lines[2]["error_code"] != auth.CodeTokenInvalidSignature {
		t.Errorf("rejected request line = %v, want WARN with error_code %s", lines[2], auth.CodeTokenInvalidSignature)
	}
}

func TestToken(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TokenRule.Limit, o.TokenRule.Period = 1000, time.Second })
	secret, err := f.clients.Add("svc", []string{auth.RolePredict, auth.RoleRead})
	if err != nil {
		t.Fatalf("clients.Add: %v", err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {secret}}.Encode()
	tests := []struct {
		name, contentType, body string
		basic                   bool
		status                  int
		code                    string
	}{
		{"json", "application/json", `{"client_id":"svc","client_secret":"` + secret + `"}`, false, 200, ""},
		{"form", "application/x-www-form-urlencoded", form, false, 200, ""},
		{"basic auth", "", "", true, 200, ""},
		{"wrong secret", "application/json", `{"client_id":"svc","client_secret":"nope"}`, false, 401, auth.CodeInvalidClient},
		{"unknown client", "application/json", `{"client_id":"ghost","client_secret":"` + secret + `"}`, false, 401, auth.CodeInvalidClient},
		{"anonymous", "application/json", `{}`, false, 400, CodeMissingField},
		{"no body", "", "", false, 400, CodeMissingField},
		{"other grant", "application/json", `{"grant_type":"password","client_id":"svc","client_secret":"x"}`, false, 400, CodeUnsupportedGrantType},
		{"unknown json field", "application/json", `{"client_id":"svc","client_secret":"x","scope":"all"}`, false, 400, CodeUnknownField},
		{"duplicate json key", "application/json", `{"client_id":"svc","client_id":"root","client_secret":"x"}`, false, 400, CodeDuplicateKey},
		{"duplicate form key", "application/x-www-form-urlencoded", form + "&client_id=root", false, 400, CodeDuplicateKey},
		{"text body", "text/plain", "svc:" + secret, false, 415, CodeUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.ts.URL+"/token", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.basic {
				req.SetBasicAuth("svc", secret)
			}
			res := f.send(req)
			if res.status != tt.status {
				t.Fatalf("POST /token: status %d, want %d; body %s", res.status, tt.status, res.body)
			}
			if tt.status != 200 {
				if got := res.errorBody(t).Code; got != tt.code {
					t.Errorf("code = %s, want %s", got, tt.code)
				}
				return
			}
			tok := decodeJSON[api.TokenResponse](t, res.body)
			if tok.TokenType != "Bearer" || tok.ExpiresIn != int(DefaultTokenTTL.Seconds()) ||
				!slices.Equal(tok.Roles, []string{auth.RolePredict, auth.RoleRead}) {
				t.Errorf("token response = %+v, want Bearer for 900 s with roles predict, read", tok)
			}
			if res := f.do("GET", "/model/info", tok.AccessToken, ""); res.status != 200 {
				t.Errorf("GET /model/info with the issued token: %d %s", res.status, res.body)
			}
		})
	}
}

func TestToken_RateLimitedPerAddress(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TokenRule = ratelimit.Rule{Limit: 3, Period: time.Minute} })
	statuses := []int{}
	for range 4 {
		res := f.do("POST", "/token", "", `{"client_id":"svc","client_secret":"guess"}`)
		statuses = append(statuses, res.status)
		if res.header.Get("RateLimit-Limit") != "3" {
			t.Errorf("RateLimit-Limit = %q, want 3", res.header.Get("RateLimit-Limit"))
		}
	}
	if !slices.Equal(statuses, []int{401, 401, 401, 429}) {
		t.Errorf("four guesses answered %v, want 401 401 401 429", statuses)
	}
}

func TestToken_RouteAbsentWithoutClients(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Clients = nil })
	if res := f.do("POST", "/token", "", `{"client_id":"a","client_secret":"b"}`); res.status != 404 {
		t.Errorf("POST /token without a clients store: %d, want 404", res.status)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.token("alice", auth.RolePredict)
	f.do("POST", "/predict", tok, `{"features":[5.1,3.5,1.4,0.2]}`)
	f.do("GET", "/random/path/123", "", "")
	res := f.do("GET", "/metrics", "", "")
	if res.status != 200 {
		t.Fatalf("GET /metrics: %d", res.status)
	}
	body := string(res.body)
	for _, want := range []string{
		`mlops_http_requests_total{code="200",method="POST",route="POST /predict"} 1`,
		`mlops_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`mlops_http_request_duration_seconds_bucket{route="POST /predict",le="+Inf"} 1`,
		`mlops_predictions_total{class="setosa"} 1`,
		`mlops_ratelimit_backend{backend="memory"} 1`,
		`mlops_ratelimit_backend{backend="redis"} 0`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !regexp.MustCompile(`mlops_model_info\{digest="[0-9a-f]{64}",name="iris",version="1"\} 1`).MatchString(body) {
		t.Errorf("/metrics lacks mlops_model_info for iris v1")
	}
	if strings.Contains(body, "/random/path") || strings.Contains(body, "alice") {
		t.Errorf("/metrics contains a raw path or a subject as a label value")
	}
}

func TestMetrics_SeparateAddress(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MetricsAddr = "127.0.0.1:0" })
	if res := f.do("GET", "/metrics", "", ""); res.status != 404 {
		t.Errorf("GET /metrics on the API address: %d, want 404 when MetricsAddr is set", res.status)
	}
	rec := newRecorder()
	f.srv.MetricsHandler().ServeHTTP(rec, mustRequest("GET", "/metrics"))
	if rec.status != 200 || !strings.Contains(rec.body.String(), "mlops_http_requests_total") {
		t.Errorf("metrics handler: %d, want 200 with metrics", rec.status)
	}
}

func mustRequest(method, target string) *http.Request {
	req, err := http.NewRequest(method, "http://127.0.0.1"+target, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// recorder is a minimal http.ResponseWriter for handler tests.
type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}

func TestServe_MetricsListener(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MetricsAddr = "127.0.0.1:0" })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(ctx, ln, mln) }()

	apiURL := "http://" + ln.Addr().String()
	metricsURL := "http://" + mln.Addr().String() + "/metrics"
	waitFor(t, "the API listener", 5*time.Second, func() bool { return f.sendURL("GET", apiURL+"/health").status == 200 })
	if res := f.sendURL("GET", metricsURL); res.status != 200 || !strings.Contains(string(res.body), "mlops_http_requests_total") {
		t.Errorf("GET %s: %d, want 200 with metrics", metricsURL, res.status)
	}
	if res := f.sendURL("GET", apiURL+"/metrics"); res.status != 404 {
		t.Errorf("GET /metrics on the API listener: %d, want 404", res.status)
	}
	if !strings.Contains(f.logs.String(), `"metrics_addr":"`+mln.Addr().String()+`"`) {
		t.Errorf("the serving log line lacks metrics_addr:\n%s", f.logs.String())
	}

	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Serve = %v, want nil after cancel", err)
	}
}
