package provider

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seedb14f67b8/renewkit/sut"
)

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
	Image sut.Image
	// LogFile receives a container's log when it stops.
	LogFile string
	// SessionTTL is the session lifetime of a reference image (ContainerOptions).
	SessionTTL time.Duration
	// Progress receives a container's start and removal lines.
	Progress io.Writer
}

// Open is OpenWith for a spec and an image name alone.
func Open(spec, image string) (sut.Provider, error) {
	return OpenWith(OpenOptions{Spec: spec, Image: sut.Image{Name: image}})
}

// OpenWith returns the provider for what a command line names: a container for an
// image (given, or in the target file), else a URL or target file (Static over
// Load), else, when nothing is named, the in-process reference server with its
// defaults.
func OpenWith(o OpenOptions) (sut.Provider, error) {
	isURL := strings.HasPrefix(o.Spec, "http://") || strings.HasPrefix(o.Spec, "https://")
	switch {
	case o.Image.Name != "" && isURL:
		return nil, fmt.Errorf("%w: name a server URL or an image, not both", sut.ErrInvalid)
	case o.Image.Name != "" && o.Spec == "":
		return NewContainer(ContainerOptions{Image: o.Image, SessionTTL: o.SessionTTL, LogFile: o.LogFile, Progress: o.Progress})
	case o.Spec == "":
		return NewInProcess(InProcessOptions{}), nil
	}
	t, err := sut.Load(o.Spec)
	if err != nil {
		return nil, err
	}
	if t.Image == nil && o.Image.Name == "" {
		return sut.Static(t), nil
	}
	im := mergeImage(t.Image, o.Image)
	t.Image = nil
	return NewContainer(ContainerOptions{Image: im, Target: t, LogFile: o.LogFile, Progress: o.Progress})
}

// mergeImage lays the command line's image settings over a target file's.
func mergeImage(file *sut.Image, flags sut.Image) sut.Image {
	var im sut.Image
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
