package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// seen is one request as the fake server received it.
type seen struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       []byte
}

// recorder is a fake server that records every request and answers with a fixed
// status and body.
type recorder struct {
	mu     sync.Mutex
	reqs   []seen
	status int
	body   string
	header http.Header
}

// newRecorder starts a fake server answering status and body, and a Client for
// it with tenant "acme" and token "tok-secret".
func newRecorder(tb testing.TB, status int, body string) (*recorder, *Client) {
	tb.Helper()
	rec := &recorder{status: status, body: body, header: http.Header{"Content-Type": {"application/json"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), b})
		rec.mu.Unlock()
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = io.WriteString(w, rec.body)
	}))
	tb.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "acme")
	if err != nil {
		tb.Fatalf("NewClient: %v", err)
	}
	c.AccessToken = "tok-secret"
	return rec, c
}

// last returns the only request the recorder saw, failing unless it saw exactly one.
func (r *recorder) last(tb testing.TB) seen {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) != 1 {
		tb.Fatalf("server saw %d requests, want 1", len(r.reqs))
	}
	return r.reqs[0]
}
