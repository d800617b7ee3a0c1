package sut

import (
	"context"
	"fmt"
)

// Provider starts the server behind a Target and stops it afterwards. Start is
// called once; Stop releases whatever Start made and is safe to call after a failed
// Start.
//
// Implementations: Static (a server that is already running) and, in package
// sut/provider, InProcess (the reference server in this process) and Container
// (an image run with testcontainers-go); provider.OpenWith picks one.
type Provider interface {
	// Start makes the server available and returns its validated Target.
	Start(ctx context.Context) (*Target, error)
	// Stop shuts down what Start started.
	Stop(ctx context.Context) error
}

// Static returns a provider for a server that is already running: Start returns t
// and Stop does nothing.
func Static(t *Target) Provider { return staticProvider{t: t} }

type staticProvider struct{ t *Target }

func (p staticProvider) Start(context.Context) (*Target, error) {
	if p.t.Image != nil {
		return nil, fmt.Errorf("%w: target %s names an image: open it with provider.OpenWith", ErrInvalid, p.t.Label())
	}
	if err := p.t.Validate(); err != nil {
		return nil, err
	}
	return p.t, nil
}

func (staticProvider) Stop(context.Context) error { return nil }
