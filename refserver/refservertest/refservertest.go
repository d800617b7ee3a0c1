// Package refservertest starts the reference server in-process for tests of other
// packages: Start serves a refserver.Config on 127.0.0.1 at a free port and stops it
// when the test ends, and Clock is a settable clock to inject through Config.Now.
package refservertest

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
)

// Server is a reference server listening on a loopback port for one test.
type Server struct {
	*refserver.Server
	http *httptest.Server
	once sync.Once
}

// Start builds a server from cfg and serves it on 127.0.0.1:0 until the test ends (or
// Close). A cfg without Store and StoreDSN gets the in-memory store, so tests never
// touch renewkit.db; everything else keeps refserver's defaults, the built-in
// fixtures included. Start fails the test if the server cannot start.
func Start(tb testing.TB, cfg refserver.Config) *Server {
	tb.Helper()
	if cfg.Store == nil && cfg.StoreDSN == "" {
		cfg.StoreDSN = "memory:"
	}
	srv, err := refserver.New(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("refservertest: start: %v", err)
	}
	s := &Server{Server: srv, http: httptest.NewServer(srv.Handler())}
	tb.Cleanup(s.Close)
	return s
}

// URL is the server's base URL, "http://127.0.0.1:<port>".
func (s *Server) URL() string { return s.http.URL }

// Close stops serving and releases the store New opened. It is safe to call twice;
// Start registers it with tb.Cleanup.
func (s *Server) Close() {
	s.once.Do(func() {
		s.http.Close()
		_ = s.Server.Close()
	})
}

// Client returns an api.Client for tenant at this server, without a token.
func (s *Server) Client(tb testing.TB, tenant string) *api.Client {
	tb.Helper()
	c, err := api.NewClient(s.URL(), tenant)
	if err != nil {
		tb.Fatalf("refservertest: client: %v", err)
	}
	return c
}

// Token fetches an access token for an OAuth client of the fixtures by HTTP Basic.
func (s *Server) Token(tb testing.TB, clientID, secret string) string {
	tb.Helper()
	c := s.Client(tb, "")
	tok, _, err := c.Token(context.Background(), clientID, secret)
	if err != nil {
		tb.Fatalf("refservertest: token for %s: %v", clientID, err)
	}
	return tok.AccessToken
}

// ClientAs returns an api.Client for tenant that carries a token of the fixtures'
// OAuth client clientID, whose secret is by convention clientID + "-secret".
func (s *Server) ClientAs(tb testing.TB, tenant, clientID string) *api.Client {
	tb.Helper()
	return s.Client(tb, tenant).WithToken(s.Token(tb, clientID, clientID+"-secret"))
}

// Clock is a settable clock for Config.Now, safe for concurrent use. The zero value
// reads as the zero time; NewClock starts it at a given instant.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
