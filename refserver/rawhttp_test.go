package refserver_test

import (
	"bufio"
	"context"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
)

// serveRaw serves a fresh server on a loopback listener through Serve (the
// http.Server of `renewkit serve`, not httptest's) and returns its address.
func serveRaw(tb testing.TB) string {
	tb.Helper()
	s, err := refserver.New(context.Background(), refserver.Config{Store: memory.New()})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		s.Close()
	})
	return ln.Addr().String()
}

// rawExchange writes req on a new connection and reads one response.
func rawExchange(tb testing.TB, addr, req string) *http.Response {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// net/http may answer and close before it has read the whole request: a failed
	// write is then no error of the server's.
	go func() { _, _ = io.WriteString(conn, req) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("reading the answer: %v", err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return resp
}

// TestRawHTTPAnswers sends raw requests over TCP: every answer a handler gives is
// JSON, the section 10 body for an error, including the ones net/http would make
// plain text if the server let it (headers over 64 KiB, a cleartext HTTP/2 preface,
// OPTIONS *); and the answers net/http gives before any handler runs are pinned as
// they are, plain text, as refserver/README.md lists them, so that a Go release
// that changes them is noticed.
func TestRawHTTPAnswers(t *testing.T) {
	t.Parallel()
	addr := serveRaw(t)
	pad := func(n int) string { return "X-Pad: " + strings.Repeat("a", n) + "\r\n" }
	tests := []struct {
		name   string
		req    string
		status int
		code   api.Code // "" for net/http's plain-text answers (and for 200)
	}{
		// Answered by the server, in the section 10 shape.
		{"headers just under 64 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad(refserver.MaxHeaderBytes-200) + "\r\n", 200, ""},
		{"headers over 64 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad(refserver.MaxHeaderBytes) + "\r\n", 431, refserver.CodeHeadersTooLarge},
		{"headers of 900 KiB", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat(pad(9000), 100) + "\r\n", 431, refserver.CodeHeadersTooLarge},
		{"a request line over 64 KiB", "GET /" + strings.Repeat("a", refserver.MaxHeaderBytes) + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, refserver.CodeHeadersTooLarge},
		{"a cleartext HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, api.CodeInvalidRequest},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 404, api.CodeNotFound},
		{"an unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, api.CodeMethodNotAllowed},
		{"HTTP/1.0 without Host", "GET /nowhere HTTP/1.0\r\n\r\n", 404, api.CodeNotFound},
		{"an absolute-form target", "GET http://x/nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, api.CodeNotFound},

		// Answered by net/http before any handler runs: plain text.
		{"headers over net/http's 1 MiB", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat(pad(9000), 130) + "\r\n", 431, ""},
		{"a malformed request line", "GARBAGE\r\n\r\n", 400, ""},
		{"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, ""},
		{"a malformed Host", "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400, ""},
		{"an invalid header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400, ""},
		{"a malformed header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", 400, ""},
		{"a bad Content-Length", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, ""},
		{"HTTP/2.0 in a request line", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505, ""},
		{"HTTP/0.9", "GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n", 505, ""},
		{"an unknown transfer coding", "POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, ""},
		{"an unknown expectation", "GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: tea\r\n\r\n", 417, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := rawExchange(t, addr, tt.req)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the body: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tt.status)
			}
			mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			switch {
			case tt.code != "":
				if mt != "application/json" {
					t.Fatalf("Content-Type %q, want application/json; body %q", resp.Header.Get("Content-Type"), body)
				}
				wantError(t, resp.StatusCode, body, tt.status, tt.code)
			case tt.status == 200:
				if mt != "application/json" {
					t.Fatalf("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
				}
			default:
				// Pinned: net/http's own answer. If this fails after a Go upgrade,
				// update refserver/README.md (Answers net/http gives itself).
				if mt == "application/json" {
					t.Fatalf("net/http's answer is JSON now (%q): update the README and this table", body)
				}
			}
		})
	}
}
