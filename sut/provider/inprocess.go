package provider

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/sut"
)

// DefaultInProcessSessionTTL is the session lifetime of the in-process reference
// server's stores but the fixtures' "ephemeral" one (whose own lifetime, 5 s, the
// session expiry check waits out): long enough for any flow of the suite on a
// loaded machine (the slowest starts a session and completes it after a dozen
// other requests), short enough that the sessions a run leaves open do not pile up.
const DefaultInProcessSessionTTL = time.Minute

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
// process on a loopback port, seeded with the reference fixtures. Its target is
// what FromURL describes, every role included: the tokens, the expired role's and
// the unknown-tenant role's too, come from the fixtures' clients through the
// server's own token endpoint.
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
func (p *InProcess) Start(ctx context.Context) (*sut.Target, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil {
		return nil, errors.New("provider: in-process server already started")
	}
	ttl := p.opts.SessionTTL
	if ttl == 0 {
		ttl = DefaultInProcessSessionTTL
	}
	dsn := p.opts.StoreDSN
	if dsn == "" {
		dsn = "memory:"
	}
	srv, err := refserver.New(ctx, refserver.Config{
		SRPProfile: p.opts.SRPProfile,
		SessionTTL: ttl,
		StoreDSN:   dsn,
		Logger:     p.opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("provider: in-process server: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		return nil, fmt.Errorf("provider: listen: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(runCtx, ln) }()

	t, err := sut.FromURL("http://" + ln.Addr().String())
	if err == nil {
		p.extend(t)
		if err = t.Validate(); err == nil {
			p.srv, p.cancel, p.done = srv, cancel, done
			return t, nil
		}
	}
	cancel()
	<-done
	_ = srv.Close()
	return nil, err
}

// extend names the fixtures target and gives it the server's SRP profile.
func (p *InProcess) extend(t *sut.Target) {
	t.Name = "in-process reference server"
	if p.opts.SRPProfile != "" {
		t.SRP.Profile = p.opts.SRPProfile
	}
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
