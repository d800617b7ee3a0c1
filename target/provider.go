package target

import (
	"context"
	"errors"
	"fmt"
)

// Provider starts the server behind a Target and stops it afterwards. Start is
// called once; Stop releases whatever Start made and is safe to call after a failed
// Start.
//
// Implementations: Static (a server that is already running), InProcess (the
// reference server in this process) and, from issue 6, a container provider for
// `--image`; Open picks one.
type Provider interface {
	// Start makes the server available and returns its validated Target.
	Start(ctx context.Context) (*Target, error)
	// Stop shuts down what Start started.
	Stop(ctx context.Context) error
}

// ErrImageUnsupported is returned by Open for an image reference until the
// container provider exists (issue 6).
var ErrImageUnsupported = errors.New("target: container images are not supported yet")

// Open returns the provider for what a command line names: an image reference
// (reserved for container targets), else a URL or target file (Static over Load),
// else, when both are empty, the in-process reference server with its defaults.
func Open(spec, image string) (Provider, error) {
	switch {
	case image != "":
		// The container provider (issue 6) plugs in here: it starts image, waits for
		// /readyz, and returns FromURL of the mapped port, or the image's target file.
		return nil, fmt.Errorf("%w: %s", ErrImageUnsupported, image)
	case spec == "":
		return NewInProcess(InProcessOptions{}), nil
	}
	t, err := Load(spec)
	if err != nil {
		return nil, err
	}
	return Static(t), nil
}

// Static returns a provider for a server that is already running: Start returns t
// and Stop does nothing.
func Static(t *Target) Provider { return staticProvider{t: t} }

type staticProvider struct{ t *Target }

func (p staticProvider) Start(context.Context) (*Target, error) {
	if err := p.t.Validate(); err != nil {
		return nil, err
	}
	return p.t, nil
}

func (staticProvider) Stop(context.Context) error { return nil }
