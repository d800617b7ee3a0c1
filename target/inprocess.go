package target

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/refserver"
)

// DefaultInProcessSessionTTL is the session lifetime of the in-process reference
// server: short enough for the session expiry check to wait it out, long enough for
// any flow of the suite (the slowest starts a session and completes it after a
// dozen other requests).
const DefaultInProcessSessionTTL = 6 * time.Second

// UnknownTenantName is the tenant the in-process target's unknown-tenant token
// grants: the reference fixtures have no such tenant.
const UnknownTenantName = "nosuchtenant"

// InProcessOptions configure the in-process reference server. The zero value is the
// default target of the suite, the load generator and their commands.
type InProcessOptions struct {
	// SRPProfile is the proof profile, "rfc5054-padded" when empty or "rfc2945".
	SRPProfile string
	// SessionTTL is the session lifetime; DefaultInProcessSessionTTL when zero.
	SessionTTL time.Duration
	// StoreDSN is the storage, "memory:" when empty.
	StoreDSN string
	// Logger receives the server's logs; discarded when nil.
	Logger *slog.Logger
}

// InProcess is a Provider that runs the reference server (refserver) in this
// process on a loopback port, seeded with the reference fixtures. Beyond what
// FromURL describes, its target declares the session TTL (session expiry check),
// an expired token and a token for a tenant that does not exist, both minted with
// the server's own signing key.
type InProcess struct {
	opts InProcessOptions

	mu     sync.Mutex
	srv    *refserver.Server
	cancel context.CancelFunc
	done   chan error
}

// NewInProcess returns an in-process provider; nothing runs until Start.
func NewInProcess(opts InProcessOptions) *InProcess { return &InProcess{opts: opts} }

// Start starts the server on 127.0.0.1 at a free port and returns its target. The
// server runs until Stop, independently of ctx.
func (p *InProcess) Start(ctx context.Context) (*Target, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return nil, errors.New("target: in-process server already started")
	}
	ttl := p.opts.SessionTTL
	if ttl == 0 {
		ttl = DefaultInProcessSessionTTL
	}
	dsn := p.opts.StoreDSN
	if dsn == "" {
		dsn = "memory:"
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("target: signing key: %w", err)
	}
	keyFile, cleanup, err := writeKey(key)
	if err != nil {
		return nil, err
	}
	srv, err := refserver.New(ctx, refserver.Config{
		SRPProfile:     p.opts.SRPProfile,
		SessionTTL:     ttl,
		StoreDSN:       dsn,
		SigningKeyFile: keyFile,
		Logger:         p.opts.Logger,
	})
	// The server has read the key; the file is not needed any more.
	cleanup()
	if err != nil {
		return nil, fmt.Errorf("target: in-process server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("target: listen: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln) }()

	set, err := fixtures.Default()
	if err == nil {
		var t *Target
		if t, err = fromFixtures(set, "http://"+ln.Addr().String()); err == nil {
			err = p.extend(t, key, ttl)
			if err == nil {
				if err = t.Validate(); err == nil {
					p.srv, p.cancel, p.done = srv, cancel, done
					return t, nil
				}
			}
		}
	}
	cancel()
	<-done
	_ = srv.Close()
	return nil, err
}

// extend adds what only an in-process server can offer to its fixtures target.
func (p *InProcess) extend(t *Target, key *ecdsa.PrivateKey, ttl time.Duration) error {
	t.Name = "in-process reference server"
	if p.opts.SRPProfile != "" {
		t.SRP.Profile = p.opts.SRPProfile
	}
	t.SessionTTL = Duration(ttl)
	return addMintedTokens(t, key)
}

// addMintedTokens gives the target of a reference server that signs with key the
// tokens only the key can make: an expired one and one for UnknownTenantName.
func addMintedTokens(t *Target, key *ecdsa.PrivateKey) error {
	now := time.Now()
	expired, err := mint(key, "renewkit-expired", []string{api.Permission(t.Tenant, api.OpAll)},
		now.Add(-2*time.Hour), now.Add(-time.Hour))
	if err != nil {
		return err
	}
	unknown, err := mint(key, "renewkit-unknown-tenant", []string{api.Permission(UnknownTenantName, api.OpAll)},
		now, now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	t.Tokens[RoleExpired] = Credentials{Token: expired}
	t.Tokens[RoleUnknownTenant] = Credentials{Token: unknown}
	t.UnknownTenantID = UnknownTenantName
	return nil
}

// Stop shuts the server down and releases its store.
func (p *InProcess) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv == nil {
		return nil
	}
	p.cancel()
	var err error
	select {
	case err = <-p.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if cerr := p.srv.Close(); err == nil {
		err = cerr
	}
	p.srv = nil
	return err
}

// Server returns the running reference server (nil before Start or after Stop), for
// tests that need to look inside it.
func (p *InProcess) Server() *refserver.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.srv
}

// mint signs an access token as the reference server would (SPEC section 3 claims).
func mint(key *ecdsa.PrivateKey, sub string, perms []string, iat, exp time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss":         refserver.DefaultIssuer,
		"sub":         sub,
		"iat":         iat.Unix(),
		"exp":         exp.Unix(),
		"permissions": perms,
	})
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("target: mint token: %w", err)
	}
	return s, nil
}

// writeKey writes key as PEM to a private temporary file and returns its path and a
// function that removes it.
func writeKey(key *ecdsa.PrivateKey) (string, func(), error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", nil, fmt.Errorf("target: signing key: %w", err)
	}
	dir, err := os.MkdirTemp("", "renewkit-key-")
	if err != nil {
		return "", nil, fmt.Errorf("target: signing key: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	path := filepath.Join(dir, "signing.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("target: signing key: %w", err)
	}
	return path, cleanup, nil
}
