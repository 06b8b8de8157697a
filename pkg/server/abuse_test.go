package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/ratelimit"
)

// objectWithKeys returns a JSON object of n members "k0" to "k<n-1>",
// followed by last when it is not empty.
func objectWithKeys(n int, last string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":0`, i)
	}
	if last != "" {
		b.WriteString(`,"` + last + `":0`)
	}
	b.WriteByte('}')
	return b.String()
}

func TestDuplicateKeys_LinearWork(t *testing.T) {
	const n = maxObjectMembers
	body := []byte(`{"a":` + objectWithKeys(n, "") + `}`)
	for _, fold := range []bool{false, true} {
		t.Run(fmt.Sprintf("fold %v", fold), func(t *testing.T) {
			s := scanner{data: body, foldKeys: fold}
			if err := s.skipValue(rootPath, 0); err != nil {
				t.Fatalf("skipValue: %v", err)
			}
			// A linear check does one probe per key plus the few
			// comparisons of the small-object phase.
			if limit := 2*n + 64; s.keyProbes > limit {
				t.Errorf("%d keys took %d key probes, want at most %d", n, s.keyProbes, limit)
			}
		})
	}
}

func TestDuplicateKeys_FoundInLargeObjects(t *testing.T) {
	tests := []struct {
		name string
		body string
		fold bool
		dup  bool
	}{
		{"exact duplicate, small", `{"a":1,"a":2}`, false, true},
		{"exact duplicate, large", objectWithKeys(100, "k7"), false, true},
		{"case variant, large, no folding", objectWithKeys(100, "K7"), false, false},
		{"case variant, small, folding", `{"ab":1,"AB":2}`, true, true},
		{"case variant, large, folding", objectWithKeys(100, "K7"), true, true},
		{"kelvin sign, large, folding", `{"k":0,` + objectWithKeys(20, "\u212a")[1:], true, true},
		{"long s, large, folding", `{"s":0,` + objectWithKeys(20, "\u017f")[1:], true, true},
		{"escaped variant, large, folding", objectWithKeys(100, `\u004b7`), true, true},
		{"distinct keys, large, folding", objectWithKeys(100, "other"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDuplicateKeys([]byte(tt.body), tt.fold)
			e, _ := err.(*Error)
			switch {
			case tt.dup && (e == nil || e.Code != CodeDuplicateKey):
				t.Errorf("checkDuplicateKeys = %v, want %s", err, CodeDuplicateKey)
			case !tt.dup && err != nil:
				t.Errorf("checkDuplicateKeys = %v, want nil", err)
			}
		})
	}
}

func TestRequests_ObjectMemberCap(t *testing.T) {
	f := newFixture(t, nil)
	big := objectWithKeys(maxObjectMembers+1, "")
	tests := []struct{ name, path, token, body string }{
		{"token body", "/token", "", `{"client_id":"a","client_secret":"b","x":` + big + `}`},
		{"predict extra element", "/predict", f.token("alice", auth.RolePredict), `{"features":[1,2,3,4,` + big + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.do("POST", tt.path, tt.token, tt.body)
			got := res.errorBody(t)
			if res.status != 400 || got.Code != CodeInvalidValue {
				t.Fatalf("POST %s: %d %s, want 400 %s", tt.path, res.status, got.Code, CodeInvalidValue)
			}
			if !strings.Contains(got.Message, fmt.Sprintf("more than %d members", maxObjectMembers)) {
				t.Errorf("message %q does not name the member limit", got.Message)
			}
		})
	}
	within := `{"features":[1,2,3,4,` + objectWithKeys(maxObjectMembers, "") + `]}`
	res := f.do("POST", "/predict", f.token("alice", auth.RolePredict), within)
	if got := res.errorBody(t); res.status != 400 || got.Code != CodeFeatureCount {
		t.Errorf("object at the member limit: %d %s, want 400 %s", res.status, got.Code, CodeFeatureCount)
	}
}

// serveToken sends one POST /token through the full handler as if from
// addr, with a JSON body.
func serveToken(f *fixture, addr, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/token", strings.NewReader(body))
	req.RemoteAddr = addr
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func TestToken_RateLimitedPerClient(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.TokenRule = ratelimit.Rule{Limit: 1000, Period: time.Minute}
		o.TokenClientRule = ratelimit.Rule{Limit: 3, Period: time.Minute}
	})
	secret, err := f.clients.Add("svc", []string{auth.RolePredict})
	if err != nil {
		t.Fatalf("clients.Add: %v", err)
	}
	guess := `{"client_id":"svc","client_secret":"guess"}`
	var statuses []int
	for i := range 4 {
		statuses = append(statuses, serveToken(f, fmt.Sprintf("198.51.100.%d:4000", i+1), guess).Code)
	}
	if want := []int{401, 401, 401, 429}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("four guesses for one client from four addresses answered %v, want %v", statuses, want)
	}
	// The lockout is the documented trade-off: the right secret waits too.
	right := `{"client_id":"svc","client_secret":"` + secret + `"}`
	if code := serveToken(f, "198.51.100.9:4000", right).Code; code != 429 {
		t.Errorf("right secret after the client's limit: %d, want 429", code)
	}
	other := `{"client_id":"other","client_secret":"guess"}`
	if code := serveToken(f, "198.51.100.1:4000", other).Code; code != 401 {
		t.Errorf("another client id from the same address: %d, want 401", code)
	}
}

func TestToken_InvalidClientIDNotLogged(t *testing.T) {
	f := newFixture(t, nil)
	long := strings.Repeat("a", 500_000)
	tests := []struct{ name, id string }{
		{"too long", long},
		{"line break", "svc\nlevel=ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveToken(f, "198.51.100.1:4000", fmt.Sprintf(`{"client_id":%q,"client_secret":"x"}`, tt.id))
			if rec.Code != 400 {
				t.Errorf("status %d, want 400; body %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), tt.id) {
				t.Errorf("response echoes the client id: %.200s", rec.Body)
			}
		})
	}
	sc := bufio.NewScanner(strings.NewReader(f.logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Text()) > 2048 {
			t.Errorf("log line of %d bytes: %.200s...", len(sc.Text()), sc.Text())
		}
		if strings.Contains(sc.Text(), "level=ERROR") || strings.Contains(sc.Text(), "aaaaaaaaaaaaaaaa") {
			t.Errorf("log line contains the submitted client id: %.200s", sc.Text())
		}
	}
}

func TestToken_ErrorsDoNotEchoSecrets(t *testing.T) {
	f := newFixture(t, nil)
	const secret = "S3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3tS3cr3t"
	tests := []struct{ name, contentType, body string }{
		{"json sent as form", "application/x-www-form-urlencoded",
			`{"client_id":"svc","client_secret":"` + secret + `"}`},
		{"secret as form key", "application/x-www-form-urlencoded", secret},
		{"bad escape in form value", "application/x-www-form-urlencoded", "client_id=svc&client_secret=" + secret + "%zz"},
		{"secret as json key", "application/json", `{"client_id":"svc","` + secret + `":"x"}`},
		{"secret as duplicate json key", "application/json", `{"` + secret + `":1,"` + secret + `":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.ts.URL+"/token", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			res := f.send(req)
			if res.status != 400 {
				t.Errorf("status %d, want 400; body %s", res.status, res.body)
			}
			msg := res.errorBody(t).Message
			if strings.Contains(msg, secret[:8]) || strings.Contains(msg, "zz") {
				t.Errorf("message echoes submitted text: %q", msg)
			}
		})
	}
}

func TestRoutes_NonCanonicalPathsGetJSON404(t *testing.T) {
	f := newFixture(t, nil)
	for _, target := range []string{"//predict", "/./predict", "/x/../predict", "/predict/", "/%2e/health"} {
		t.Run(target, func(t *testing.T) {
			req := httptest.NewRequest("POST", target, strings.NewReader(`{"features":[5.1,3.5,1.4,0.2]}`))
			req.Header.Set("Authorization", "Bearer "+f.token("alice", auth.RolePredict))
			rec := httptest.NewRecorder()
			f.srv.Handler().ServeHTTP(rec, req)
			if rec.Code != 404 || rec.Header().Get("Location") != "" {
				t.Errorf("status %d Location %q, want 404 without a redirect", rec.Code, rec.Header().Get("Location"))
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", rec.Header())
			}
		})
	}
}

func TestServe_OptionsAsteriskReachesHandler(t *testing.T) {
	f := newFixture(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- f.srv.Serve(ctx, ln, nil) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve = %v, want nil after cancel", err)
		}
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "OPTIONS * HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response to OPTIONS *: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Errorf("OPTIONS *: 200 from net/http, want the handler's error")
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("OPTIONS *: headers %v, want the security headers and a JSON body", resp.Header)
	}
}

// BenchmarkCheckDuplicateKeys measures the duplicate check of decodeStrict
// on one object of maxObjectMembers keys, the largest it accepts.
func BenchmarkCheckDuplicateKeys(b *testing.B) {
	body := []byte(`{"a":` + objectWithKeys(maxObjectMembers, "") + `}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := checkDuplicateKeys(body, true); err != nil {
			b.Fatal(err)
		}
	}
}
