package sut

import (
	"fmt"
	"strings"
	"time"
)

// Defaults of Image.
const (
	// DefaultImagePort is the container port the server listens on: the reference
	// image's (Dockerfile: serve --addr :8080).
	DefaultImagePort = 8080
	// DefaultReadyPath is polled until it answers 200 (SPEC.md section 11).
	DefaultReadyPath = "/readyz"
	// DefaultStartTimeout bounds the wait for the ready path.
	DefaultStartTimeout = 60 * time.Second
)

// Image is a container image that serves the API under test: a target file's
// `image:` section, or renewkit's --image flags.
type Image struct {
	// Name is the image reference, NAME[:TAG]. An image that is not present
	// locally is pulled.
	Name string `yaml:"name"`
	// Port is the container port the server listens on; DefaultImagePort when zero.
	Port int `yaml:"port"`
	// Env is the container's environment, beside the image's own.
	Env map[string]string `yaml:"env"`
	// Args are appended to the image's entrypoint (they replace its CMD).
	Args []string `yaml:"args"`
	// ReadyPath answers 200 once the server can take requests; DefaultReadyPath
	// when empty.
	ReadyPath string `yaml:"readyPath"`
	// StartTimeout bounds the wait for ReadyPath; DefaultStartTimeout when zero.
	StartTimeout Duration `yaml:"startTimeout"`
}

// WithDefaults returns im with its zero fields at their defaults.
func (im Image) WithDefaults() Image {
	if im.Port == 0 {
		im.Port = DefaultImagePort
	}
	if im.ReadyPath == "" {
		im.ReadyPath = DefaultReadyPath
	}
	if im.StartTimeout == 0 {
		im.StartTimeout = Duration(DefaultStartTimeout)
	}
	return im
}

// Validate reports every problem of im in one error matching ErrInvalid.
func (im Image) Validate() error {
	if probs := im.problems(); len(probs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(probs, "; "))
	}
	return nil
}

// problems lists what makes im unusable.
func (im Image) problems() []string {
	var probs []string
	if im.Name == "" {
		probs = append(probs, "image.name is required")
	}
	if im.Port < 0 || im.Port > 65535 {
		probs = append(probs, fmt.Sprintf("image.port %d is not a port", im.Port))
	}
	if im.ReadyPath != "" && im.ReadyPath[0] != '/' {
		probs = append(probs, fmt.Sprintf("image.readyPath %q must start with /", im.ReadyPath))
	}
	if im.StartTimeout < 0 {
		probs = append(probs, "image.startTimeout must not be negative")
	}
	return probs
}
