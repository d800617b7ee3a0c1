// Package refserver is renewkit's reference implementation of the passcode API of
// SPEC.md sections 2-11 on Gin: OAuth client-credentials tokens (ES256 JWTs), the
// registration, authentication and renewal flows over SRP-6a, the admin endpoints,
// and the operational endpoints (/healthz, /readyz, /metrics, /openapi.yaml).
//
// The HTTP layer is this package; storage is refserver/store with its memory and
// SQLite implementations; SRP is the srp package; wire types are the api package.
// Every request-to-error decision funnels through one table (errorTable) and api's
// one code-to-status table.
//
// Start a server with New and serve Handler, or call Run for a listening process with
// graceful shutdown. Tests use refservertest.Start.
package refserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// Server is one reference server: a store, SRP parameters, a token signer and the
// Gin router over them. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg       Config
	store     store.Store
	ownsStore bool
	params    *srp.Params
	tokens    *tokenService
	metrics   *metrics
	engine    *gin.Engine
	processes *processAPI
	// gates queues the completions waiting for a lockout attempt (lockout.go).
	gates *attemptGates
	// fullPurge spaces out the purges of a full server (putSession).
	fullPurge purgeGate
	// throttle limits failed client authentications at /oauth/token (throttle.go).
	throttle *tokenThrottle
	log      *slog.Logger
	now      func() time.Time
}

// New builds a server from cfg: it opens (or adopts) the store, seeds the fixtures,
// loads or generates the signing key and builds the router. It serves nothing by
// itself; use Handler or Run. Close releases what New opened.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	params, err := cfg.params()
	if err != nil {
		return nil, err
	}
	key := cfg.SigningKey
	if cfg.SigningKeyFile != "" {
		if key != nil {
			return nil, fmt.Errorf("%w: give SigningKeyFile or SigningKey, not both", ErrConfig)
		}
		key, err = loadSigningKey(cfg.SigningKeyFile)
		if err != nil {
			return nil, err
		}
	}
	tokens, err := newTokenService(key, cfg.Issuer, cfg.TokenTTL, cfg.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		params:   params,
		tokens:   tokens,
		gates:    newAttemptGates(),
		throttle: newTokenThrottle(cfg.TokenFailureBurst, cfg.TokenFailureInterval),
		log:      cfg.Logger,
		now:      cfg.Now,
	}
	if cfg.Store != nil {
		s.store = cfg.Store
	} else {
		s.store, err = openStore(ctx, cfg.StoreDSN)
		if err != nil {
			return nil, err
		}
		s.ownsStore = true
	}
	if !cfg.NoFixtures {
		if err := seed(ctx, s.store, cfg.FixturesPath, params); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.metrics = newMetrics(s.openSessions)
	// The process engine (process_routes.go) runs its passcode activities through
	// startSession and completeSession, the endpoints' own code.
	if s.processes, err = newProcessAPI(s); err != nil {
		s.Close()
		return nil, err
	}
	s.engine = s.router()
	return s, nil
}

// Handler returns the HTTP handler serving every endpoint.
func (s *Server) Handler() http.Handler { return s.engine }

// Params returns the SRP parameters the server uses.
func (s *Server) Params() *srp.Params { return s.params }

// IssueToken signs a token for sub with permissions, issued at iat and expiring at
// exp, as the token endpoint signs one (the server's key, issuer and key id). It is
// for harnesses in this process that need a token no fixture client gives at once,
// such as one that expired an hour ago; the HTTP API has no such door.
func (s *Server) IssueToken(sub string, permissions []string, iat, exp time.Time) (string, error) {
	return s.tokens.issueAt(sub, permissions, iat, exp)
}

// Store returns the server's store (tests inspect it to check that nothing moved).
func (s *Server) Store() store.Store { return s.store }

// Close releases the store if New opened it. It does not stop a running Run; cancel
// Run's context for that.
func (s *Server) Close() error {
	if s.ownsStore {
		return s.store.Close()
	}
	return nil
}

// Run serves cfg until ctx is cancelled, then shuts down gracefully: it stops
// accepting connections, waits up to cfg.ShutdownTimeout for requests in flight and
// closes the store. Expired sessions are purged every cfg.SessionPurgeInterval.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("refserver: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled, with the graceful shutdown of Run. It
// does not close the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler: s.engine,
		// Slow-client limits: a peer may not hold a connection open by trickling
		// headers or a body. The longest legitimate request is one 8192-bit modexp
		// chain, well under these.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		// headerLimit answers requests over MaxHeaderBytes in the section 10 shape;
		// net/http's limit above it only catches what is too large to parse.
		MaxHeaderBytes: httpMaxHeaderBytes,
		// "OPTIONS *" goes to the router too (404 in the section 10 shape) instead
		// of net/http's bodiless 200.
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:                  func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	purgeCtx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	if s.cfg.SessionPurgeInterval > 0 {
		go s.purgeLoop(purgeCtx, s.cfg.SessionPurgeInterval)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("refserver listening", slog.String("addr", ln.Addr().String()),
		slog.String("prefix", s.cfg.Prefix), slog.String("srp", s.params.String()))
	select {
	case err := <-errc:
		return fmt.Errorf("refserver: serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("refserver: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("refserver: serve: %w", err)
	}
	s.log.Info("refserver stopped")
	return nil
}

// purgeLoop deletes expired sessions periodically. Expired sessions are already
// refused on lookup; purging only bounds the table.
func (s *Server) purgeLoop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_, err := s.store.Sessions().Purge(ctx, s.now())
			if err != nil && ctx.Err() == nil {
				s.log.Warn("purging expired sessions failed", slog.String("error", err.Error()))
			}
		}
	}
}

// openSessions is the renewkit_sessions_open gauge: sessions unexpired now.
func (s *Server) openSessions() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := s.store.Sessions().Count(ctx, s.now())
	if err != nil {
		return math.NaN()
	}
	return float64(n)
}

// Keys of values the middleware puts in the gin.Context.
const (
	ctxTenant = "refserver.tenant"
)

// router builds the Gin engine with every route of SPEC sections 3-5 and 11, in both
// path forms.
func (s *Server) router() *gin.Engine {
	// Gin's debug mode prints every route to stdout; this server logs through slog.
	// The mode is Gin's own process-wide setting; a GIN_MODE set by the operator wins.
	if os.Getenv(gin.EnvGinMode) == "" && gin.Mode() != gin.ReleaseMode {
		gin.SetMode(gin.ReleaseMode)
	}
	e := gin.New()
	// Route on the escaped path and unescape parameters, so that an external ID with
	// a '/' (sent as %2F) stays one path segment.
	e.UseRawPath = true
	e.UnescapePathValues = true
	// No redirects: a client of an API wants the answer, not a 301 to a guessed path.
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	// No proxy headers are trusted: ClientIP is the peer address.
	_ = e.SetTrustedProxies(nil)
	e.NoRoute(noRoute)
	e.NoMethod(noMethod)
	e.Use(s.recovery, s.metrics.middleware, s.requestLog, s.headerLimit, s.bodyLimit)

	e.POST(api.TokenPath, s.handleToken)
	e.GET(api.JWKSPath, s.handleJWKS)
	e.GET(api.HealthzPath, s.handleHealthz)
	e.GET(api.ReadyzPath, s.handleReadyz)
	e.GET(api.MetricsPath, gin.WrapH(s.metrics.handler()))
	e.GET(api.OpenAPIPath, s.handleOpenAPI)

	prefix := s.cfg.Prefix
	canonical := e.Group(prefix+"/tenants/:tenantId/stores/:storeName", tenantFromPath)
	hosted := e.Group(prefix+"/stores/:storeName", tenantFromHost)
	for _, g := range []*gin.RouterGroup{canonical, hosted} {
		s.storeRoutes(g)
	}
	// Process definitions, forms, tokens, instances and the end-user page.
	s.processes.routes(e, e.Group(prefix+"/tenants/:tenantId", tenantFromPath), e.Group(prefix, tenantFromHost))
	return e
}

// storeRoutes registers the routes under {P} (SPEC sections 4 and 5). Parameter names
// are shared across routes that Gin's tree puts at the same position (":user" is a
// user id or an external id depending on the route's "/ext" suffix).
func (s *Server) storeRoutes(g *gin.RouterGroup) {
	for _, flow := range api.Flows() {
		seg := flow.Segment()
		g.POST("/users/:user/passcodes/"+seg+"/:policyName",
			s.authorize(flow.StartOperation(false)), s.handleStart(flow, false))
		g.POST("/users/:user/passcodes/"+seg+"/:policyName/ext",
			s.authorize(flow.StartOperation(true)), s.handleStart(flow, true))
		g.POST("/passcodes/"+seg+"/sessions/:sessionId",
			s.authorize(flow.CompleteOperation()), s.handleComplete(flow))
	}
	admin := s.authorize(api.OpAdmin)
	g.POST("/users", admin, s.handleCreateUser)
	g.GET("/users/:user", admin, s.handleGetUser(false))
	g.GET("/users/:user/ext", admin, s.handleGetUser(true))
	g.DELETE("/users/:user/passcodes", admin, s.handleDeleteCredential)
	g.POST("/passcodePolicy", admin, s.handleCreatePolicy)
	g.GET("/passcodePolicy/:policyName", admin, s.handleGetPolicy)
	g.POST("/passcodePolicy/:policyName", admin, s.handleUpdatePolicy)
	g.DELETE("/passcodePolicy/:policyName", admin, s.handleDeletePolicy)
}

// tenantFromPath takes the tenant from the canonical path form.
func tenantFromPath(c *gin.Context) {
	c.Set(ctxTenant, c.Param("tenantId"))
	c.Next()
}

// tenantFromHost takes the tenant from the first DNS label of the Host header (SPEC
// section 2: acme.example.test -> acme). DNS names are case-insensitive, so the label
// is lower-cased. An IP literal names no tenant; the empty tenant is then refused as
// not found after authentication.
func tenantFromHost(c *gin.Context) {
	c.Set(ctxTenant, hostTenant(c.Request.Host))
	c.Next()
}

// hostTenant returns the first DNS label of host (with or without a port), or "" for
// an IP literal or an empty host.
func hostTenant(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return ""
	}
	label, _, _ := strings.Cut(host, ".")
	return strings.ToLower(label)
}

// tenantOf returns the tenant the path-form middleware resolved.
func tenantOf(c *gin.Context) string {
	return c.GetString(ctxTenant)
}

// authorize is the authentication and authorisation middleware of SPEC section 3:
// 401 UNAUTHORIZED without a valid token, 404 TENANT_NOT_FOUND when the host form names
// no tenant at all, 403 FORBIDDEN without the permission for this tenant and op. The
// permission check runs before any lookup, so a caller cannot probe which tenants,
// stores or users exist without being allowed to use them.
func (s *Server) authorize(op string) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, err := s.bearerClaims(c.GetHeader("Authorization"))
		if err != nil {
			c.Header("WWW-Authenticate", `Bearer realm="renewkit"`)
			s.abortWith(c, err)
			return
		}
		tenant := tenantOf(c)
		if tenant == "" {
			s.abortWith(c, store.ErrTenantNotFound)
			return
		}
		if !allowed(claims.Permissions, tenant, op) {
			s.abortWith(c, errForbidden)
			return
		}
		c.Next()
	}
}

// bearerClaims verifies the bearer token of an Authorization header value.
func (s *Server) bearerClaims(header string) (*tokenClaims, error) {
	raw, err := bearerToken(header)
	if err != nil {
		return nil, err
	}
	return s.tokens.verify(raw)
}

// requestLog writes one line per request: method, route template, status and
// latency. Never the raw path (it holds session IDs), the body or any header value.
func (s *Server) requestLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("latency", time.Since(start)),
	)
}
