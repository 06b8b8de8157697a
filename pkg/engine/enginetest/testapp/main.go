// Command testapp is a small static HTTP server that integration tests put
// into a FROM scratch image in place of mlops.
//
//	testapp serve    listens on :8080 (or $LISTEN) and serves GET /healthz
//	testapp health   exits 0 when GET /healthz returns 200, 1 otherwise
//
// With HEALTH_FAIL=1 in its environment, /healthz returns 503.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapp serve|health")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve()
	case "health":
		os.Exit(health())
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func listenAddr() string {
	if addr := os.Getenv("LISTEN"); addr != "" {
		return addr
	}
	return ":8080"
}

func serve() {
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if os.Getenv("HEALTH_FAIL") == "1" {
			http.Error(w, "failing on purpose: HEALTH_FAIL=1", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	fmt.Printf("testapp listening on %s\n", listenAddr())
	fmt.Fprintln(os.Stderr, "testapp stderr line")
	if err := http.ListenAndServe(listenAddr(), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func health() int {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1" + listenAddr() + "/healthz")
	if err != nil {
		fmt.Println("health:", err)
		return 1
	}
	defer resp.Body.Close()
	fmt.Println("health: status", resp.StatusCode)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
