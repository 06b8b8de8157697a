package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/auth"
	"github.com/mlops-dev/mlops/pkg/client/clienttest"
	"github.com/mlops-dev/mlops/pkg/dataset"
	"github.com/mlops-dev/mlops/pkg/ui"
)

func connect(t *testing.T, a *clienttest.API, o Options) *Conn {
	t.Helper()
	if o.MintRoles == nil {
		o.MintRoles = []string{auth.RolePredict, auth.RoleRead}
	}
	c, err := Connect(a.Config, o)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestPredict_ValuesTable(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	s, out, _ := ui.Test()
	err := Predict(context.Background(), connect(t, a, Options{}), s,
		Request{Values: []string{"5.1", "3.5", "1.4", "0.2"}, BatchSize: 100})
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output has %d lines, want header and one row:\n%s", len(lines), out)
	}
	if want := "P(setosa)"; !strings.Contains(lines[0], want) {
		t.Errorf("header %q lacks %q", lines[0], want)
	}
	if f := strings.Fields(lines[0]); f[0] != "INDEX" || f[1] != "CLASS" {
		t.Errorf("header = %q, want INDEX CLASS first", lines[0])
	}
	if fields := strings.Fields(lines[1]); fields[0] != "0" || fields[1] != "setosa" {
		t.Errorf("row = %q, want class 0 setosa", lines[1])
	}
}

func TestPredict_NamedFeaturesJSON(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	s, out, _ := ui.Test()
	s.JSON = true
	err := Predict(context.Background(), connect(t, a, Options{}), s, Request{BatchSize: 100, Features: []string{
		"sepal_length=6.7", "sepal_width=3.0", "petal_length=5.2", "petal_width=2.3"}})
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	var got struct {
		Class string `json:"class"`
		Model struct {
			Name string `json:"name"`
		} `json:"model"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	if got.Class != "virginica" || got.Model.Name != "iris" {
		t.Errorf("got class %q from model %q, want virginica from iris", got.Class, got.Model.Name)
	}
}

// writeIrisCSV writes the first n Iris rows with the header and label
// column, as a user would pass the training file.
func writeIrisCSV(t *testing.T, n int) (string, []string) {
	t.Helper()
	ds := dataset.Iris()
	var b strings.Builder
	b.WriteString("\ufeff" + strings.Join(append(append([]string{}, ds.Features...), ds.Label), ",") + "\r\n")
	var labels []string
	for i := 0; i < n; i++ {
		row := ds.X[i*150/n]
		for _, v := range row {
			fmt.Fprintf(&b, "%g,", v)
		}
		label := ds.Classes[ds.Y[i*150/n]]
		labels = append(labels, label)
		b.WriteString(label + "\r\n")
	}
	path := filepath.Join(t.TempDir(), "rows.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, labels
}

func TestPredict_FileBatchesInOrder(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{MaxBatch: 7})
	path, labels := writeIrisCSV(t, 30)
	s, out, errOut := ui.Test()
	s.JSON = true
	if err := Predict(context.Background(), connect(t, a, Options{}), s, Request{File: path, BatchSize: 7}); err != nil {
		t.Fatalf("Predict: %v", err)
	}
	dec := json.NewDecoder(out)
	agree := 0
	requests := map[string]int{}
	for i := range labels {
		var r rowResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("decode line %d: %v", i+1, err)
		}
		if r.Row != i {
			t.Fatalf("line %d has row %d, want %d (rows count from 0)", i+1, r.Row, i)
		}
		if r.RequestID == "" {
			t.Errorf("line %d has no request_id", i+1)
		}
		requests[r.RequestID]++
		if r.Class == labels[i] {
			agree++
		}
	}
	if len(requests) != 5 {
		t.Errorf("30 rows in batches of 7 came from %d request ids, want 5", len(requests))
	}
	if dec.More() {
		t.Error("output has more lines than input rows")
	}
	if agree < 27 {
		t.Errorf("%d of 30 training rows predicted as their label, want at least 27", agree)
	}
	if want := "ignoring columns the model does not use: species"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q lacks %q", errOut, want)
	}
}

func TestPredict_StdinJSONRows(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	s, out, _ := ui.Test()
	in := `{"instances": [[5.1,3.5,1.4,0.2], {"sepal_length":6.7,"sepal_width":3.0,"petal_length":5.2,"petal_width":2.3}]}`
	err := Predict(context.Background(), connect(t, a, Options{}), s,
		Request{JSONStdin: true, Stdin: strings.NewReader(in), BatchSize: 10})
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header and 2 rows, got:\n%s", out)
	}
	if f := strings.Fields(lines[0]); len(f) < 3 || f[0] != "ROW" || f[1] != "INDEX" || f[2] != "CLASS" {
		t.Errorf("header = %q, want ROW INDEX CLASS first", lines[0])
	}
	if f := strings.Fields(lines[1]); f[0] != "0" || f[2] != "setosa" {
		t.Errorf("first row = %q, want row 0 setosa (rows count from 0)", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "1" || f[2] != "virginica" {
		t.Errorf("second row = %q, want row 1 virginica", lines[2])
	}
}

func TestPredict_InputErrors(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	dir := t.TempDir()
	badCSV := filepath.Join(dir, "bad.csv")
	os.WriteFile(badCSV, []byte("sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,x,3,4\n"), 0o644)
	missingCol := filepath.Join(dir, "missing.csv")
	os.WriteFile(missingCol, []byte("sepal_length,sepal_width,petal_length\n1,2,3\n"), 0o644)
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"not a number", Request{Values: []string{"1", "two"}}, `value 2: "two" is not a finite number`},
		{"NaN", Request{Values: []string{"NaN"}}, `"NaN" is not a finite number`},
		{"feature without value", Request{Features: []string{"sepal_length"}}, `want NAME=VALUE`},
		{"CSV cell", Request{File: badCSV}, `bad.csv:3: column sepal_width: "x" is not a finite number`},
		{"CSV column missing", Request{File: missingCol}, `header has no column "petal_width"`},
		{"empty stdin", Request{JSONStdin: true, Stdin: strings.NewReader(" ")}, "stdin: no JSON input"},
		{"wrong count", Request{Values: []string{"1", "2"}}, "the API rejected the input (wrong_feature_count)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := ui.Test()
			tt.req.BatchSize = 10
			err := Predict(context.Background(), connect(t, a, Options{}), s, tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Predict error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestConnect_InsecureWarns(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	var warn bytes.Buffer
	connect(t, a, Options{Insecure: true, Warn: &warn})
	if want := "warning: --insecure: the server's TLS certificate is not verified"; !strings.Contains(warn.String(), want) {
		t.Errorf("warning %q lacks %q", warn.String(), want)
	}
}

func TestIssueToken(t *testing.T) {
	cfg := clienttest.NewConfig(t.TempDir())
	tok, err := IssueToken(cfg, "alice", []string{auth.RolePredict, auth.RoleRead}, time.Hour)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	if tok.Subject != "alice" || len(tok.Roles) != 2 || time.Until(tok.ExpiresAt) > time.Hour {
		t.Errorf("token = %+v, want subject alice, 2 roles, expiry within 1h", tok)
	}
	for _, tt := range []struct {
		roles []string
		ttl   time.Duration
		want  string
	}{
		{[]string{auth.RolePredict}, 48 * time.Hour, "ttl 48h0m0s exceeds auth.max_ttl 24h0m0s"},
		{[]string{"root"}, time.Hour, `unknown role "root"`},
		{nil, time.Hour, "no roles given"},
	} {
		if _, err := IssueToken(cfg, "alice", tt.roles, tt.ttl); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("IssueToken(%v, %s) error = %v, want %q", tt.roles, tt.ttl, err, tt.want)
		}
	}
}

func TestFetchToken(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	secret, err := a.Clients.Add("ci", []string{auth.RolePredict})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, a, Options{MintRoles: []string{}})
	tok, err := FetchToken(context.Background(), c, "ci", secret)
	if err != nil {
		t.Fatalf("FetchToken: %v", err)
	}
	if tok.Token == "" || tok.Subject != "ci" || len(tok.Roles) != 1 || tok.Roles[0] != auth.RolePredict {
		t.Errorf("token = %+v, want a predict token for ci", tok)
	}
	_, err = FetchToken(context.Background(), c, "ci", secret+"x")
	if want := "invalid_client"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("FetchToken with a wrong secret: error = %v, want %q", err, want)
	}
}

func TestPredict_MissingFile(t *testing.T) {
	a := clienttest.Start(t, clienttest.Options{})
	s, _, _ := ui.Test()
	err := Predict(context.Background(), connect(t, a, Options{}), s, Request{File: "/nonexistent.csv", BatchSize: 10})
	if err == nil {
		t.Fatal("Predict of a missing file returned no error")
	}
	if got, want := err.Error(), "open /nonexistent.csv: no such file or directory"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}
