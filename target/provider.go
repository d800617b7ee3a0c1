package target

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Provider starts the server behind a Target and stops it afterwards. Start is
// called once; Stop releases whatever Start made and is safe to call after a failed
// Start.
//
// Implementations: Static (a server that is already running), InProcess (the
// reference server in this process) and Container (an image run with
// testcontainers-go); Open and OpenWith pick one.
type Provider interface {
	// Start makes the server available and returns its validated Target.
	Start(ctx context.Context) (*Target, error)
	// Stop shuts down what Start started.
	Stop(ctx context.Context) error
}

// OpenOptions name the server under test as a command line does.
type OpenOptions struct {
	// Spec is a server URL (loaded with the reference fixtures) or a target file;
	// empty for the in-process reference server.
	Spec string
	// Image, when Image.Name is set, runs the server in a container: the reference
	// fixtures' server, or the server Spec's target file describes. A target file
	// with an `image:` section runs its image; Image.Name then replaces its name,
	// and Image.Env, Image.Args and a non-zero Image.Port are added to or replace
	// the file's.
	Image Image
	// LogFile receives a container's log when it stops.
	LogFile string
	// SessionTTL is the session lifetime of a reference image (ContainerOptions).
	SessionTTL time.Duration
	// Progress receives a container's start and removal lines.
	Progress io.Writer
}

// Open is OpenWith for a spec and an image name alone.
func Open(spec, image string) (Provider, error) {
	return OpenWith(OpenOptions{Spec: spec, Image: Image{Name: image}})
}

// OpenWith returns the provider for what a command line names: a container for an
// image (given, or in the target file), else a URL or target file (Static over
// Load), else, when nothing is named, the in-process reference server with its
// defaults.
func OpenWith(o OpenOptions) (Provider, error) {
	isURL := strings.HasPrefix(o.Spec, "http://") || strings.HasPrefix(o.Spec, "https://")
	switch {
	case o.Image.Name != "" && isURL:
		return nil, fmt.Errorf("%w: name a server URL or an image, not both", ErrInvalid)
	case o.Image.Name != "" && o.Spec == "":
		return NewContainer(ContainerOptions{Image: o.Image, SessionTTL: o.SessionTTL, LogFile: o.LogFile, Progress: o.Progress})
	case o.Spec == "":
		return NewInProcess(InProcessOptions{}), nil
	}
	t, err := Load(o.Spec)
	if err != nil {
		return nil, err
	}
	if t.Image == nil && o.Image.Name == "" {
		return Static(t), nil
	}
	im := mergeImage(t.Image, o.Image)
	t.Image = nil
	return NewContainer(ContainerOptions{Image: im, Target: t, LogFile: o.LogFile, Progress: o.Progress})
}

// mergeImage lays the command line's image settings over a target file's.
func mergeImage(file *Image, flags Image) Image {
	var im Image
	if file != nil {
		im = *file
	}
	if flags.Name != "" {
		im.Name = flags.Name
	}
	if flags.Port != 0 {
		im.Port = flags.Port
	}
	if len(flags.Env) > 0 {
		env := make(map[string]string, len(im.Env)+len(flags.Env))
		maps.Copy(env, im.Env)
		maps.Copy(env, flags.Env)
		im.Env = env
	}
	im.Args = append(slices.Clone(im.Args), flags.Args...)
	return im
}

// Static returns a provider for a server that is already running: Start returns t
// and Stop does nothing.
func Static(t *Target) Provider { return staticProvider{t: t} }

type staticProvider struct{ t *Target }

func (p staticProvider) Start(context.Context) (*Target, error) {
	if p.t.Image != nil {
		return nil, fmt.Errorf("%w: target %s names an image: open it with OpenWith", ErrInvalid, p.t.Label())
	}
	if err := p.t.Validate(); err != nil {
		return nil, err
	}
	return p.t, nil
}

func (staticProvider) Stop(context.Context) error { return nil }
