package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/ui"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader at a time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var curlLine = regexp.MustCompile(`curl -s -H '([^']+)' \\\s+-H '([^']+)' -d '([^']+)' (\S+)`)

// TestRun_PrintedCurlLineWorks sends the request exactly as the printed curl line
// describes it, while the demo serves.
func TestRun_PrintedCurlLineWorks(t *testing.T) {
	var out, errOut syncBuffer
	s := &ui.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, s, Options{Dir: t.TempDir(), Addr: "127.0.0.1:0"}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo returned %v after cancel, want nil", err)
		}
	}()

	var m []string
	for deadline := time.Now().Add(30 * time.Second); m == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("no curl line within 30s; stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
		m = curlLine.FindStringSubmatch(out.String())
	}

	req, err := http.NewRequest(http.MethodPost, m[4], strings.NewReader(m[3]))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range m[1:3] {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Class string `json:"class"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || body.Class != "versicolor" {
		t.Errorf("curl line's request: status %d, class %q; want 200 and versicolor", resp.StatusCode, body.Class)
	}
}
