package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/seedb14f67b8/renewkit/sut"
)

// ContainerLabel marks every container renewkit starts, so that leftovers of a
// killed run can be found: docker ps -a --filter label=org.renewkit.conform.
const ContainerLabel = "org.renewkit.conform"

// ErrNoDocker is returned when a container target is asked for and no Docker engine
// answers.
var ErrNoDocker = errors.New("provider: no Docker engine answers")

// ContainerOptions configure a Container.
type ContainerOptions struct {
	// Image is what to run; Image.Name is required.
	Image sut.Image
	// Target describes the server once it runs (a target file); Start replaces its
	// BaseURL with the container's address. When nil the server is taken to be
	// loaded with the reference fixtures (sut.FromURL), and an image whose entrypoint is
	// renewkit's serve command (`make image`) is run with SessionTTL, and its
	// fixtures' clients and stores give every role and the session expiry check.
	Target *sut.Target
	// SessionTTL is the session lifetime a reference image is started with;
	// DefaultInProcessSessionTTL when zero (the fixtures' "ephemeral" store keeps
	// its own, short one for the session expiry check). A load run wants the
	// server's default instead.
	SessionTTL time.Duration
	// LogFile receives the container's log when it stops (also after a failed
	// start); no file when empty.
	LogFile string
	// Progress receives one line when the container starts and one when it is
	// removed; nothing when nil.
	Progress io.Writer
}

// Container is a Provider that runs the server under test in a container with
// testcontainers-go: Start creates it, waits until Image.ReadyPath answers 200 and
// returns its target; Stop writes its log to LogFile and removes it, volumes
// included. Stop is safe after a failed or interrupted Start, so a caller that
// defers Stop never leaves a container behind, Ctrl-C included (the command's
// context is cancelled, Start or the run returns, and the deferred Stop runs).
//
// Ryuk, the reaper container testcontainers-go starts by default, is an image to
// pull: NewContainer disables it (TESTCONTAINERS_RYUK_DISABLED=true) unless the
// environment says otherwise, and Stop removes the container itself. A process
// killed outright leaves its container behind; ContainerLabel finds it.
type Container struct {
	opts ContainerOptions

	mu  sync.Mutex
	ctr testcontainers.Container
}

// NewContainer checks opts and returns a Container; nothing runs until Start.
func NewContainer(opts ContainerOptions) (*Container, error) {
	if err := opts.Image.Validate(); err != nil {
		return nil, err
	}
	opts.Image = opts.Image.WithDefaults()
	disableRyuk()
	return &Container{opts: opts}, nil
}

// ryukEnv is the testcontainers-go setting that turns Ryuk off.
const ryukEnv = "TESTCONTAINERS_RYUK_DISABLED"

// disableRyuk turns Ryuk off unless the environment sets it either way.
// testcontainers-go reads its configuration once per process from the environment,
// so this must run before its first call.
func disableRyuk() {
	if _, set := os.LookupEnv(ryukEnv); !set {
		_ = os.Setenv(ryukEnv, "true")
	}
}

// QuietContainers turns off testcontainers-go's own logging: a banner with the
// Docker engine's details on stderr at the first container of a process, and a line
// per step. It sets that library's process-wide logger once per process, whoever
// calls it first; callers must call it before their first container starts.
func QuietContainers() { quietOnce.Do(func() { tclog.SetDefault(tclog.NewNoopLogger()) }) }

var quietOnce sync.Once

// DockerAvailable reports, within ctx, whether a Docker engine answers: nil, or an
// error matching ErrNoDocker that says why not. Tests skip with it.
func DockerAvailable(ctx context.Context) error {
	disableRyuk()
	p, err := dockerProvider(ctx)
	if err != nil {
		return err
	}
	return p.Close()
}

// dockerProvider connects to the Docker engine and checks that it answers.
func dockerProvider(ctx context.Context) (p *testcontainers.DockerProvider, err error) {
	defer func() {
		// testcontainers-go panics on some broken Docker configurations.
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("%w: %v", ErrNoDocker, r)
		}
	}()
	p, err = testcontainers.NewDockerProvider(testcontainers.WithLogger(tclog.NewNoopLogger()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := p.Health(hctx); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoDocker, err)
	}
	return p, nil
}

// Start runs the image and returns the target of the server in it. The container
// keeps running until Stop, independently of ctx.
func (c *Container) Start(ctx context.Context) (*sut.Target, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr != nil {
		return nil, errors.New("provider: container already started")
	}
	im := c.opts.Image
	p, err := dockerProvider(ctx)
	if err != nil {
		return nil, err
	}
	reference := c.opts.Target == nil && isReferenceImage(ctx, p, im.Name)
	_ = p.Close()

	port := strconv.Itoa(im.Port) + "/tcp"
	req := testcontainers.ContainerRequest{
		Image:        im.Name,
		ExposedPorts: []string{port},
		Env:          im.Env,
		Labels:       map[string]string{ContainerLabel: "true"},
		// Readiness is waitReady's, not a testcontainers wait strategy: those poll
		// only the host testcontainers-go guesses (see waitReady).
		WaitingFor: wait.ForMappedPort(port),
	}
	if reference {
		req.Cmd = []string{"--session-ttl", c.sessionTTL().String()}
	}
	req.Cmd = append(req.Cmd, im.Args...)
	c.progress("container: starting %s", im.Name)
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req,
		Started:          true,
		Logger:           tclog.NewNoopLogger(),
	})
	if ctr != nil {
		// Even a container that never became ready is Stop's to remove.
		c.ctr = ctr
	}
	if err != nil {
		if ctr != nil {
			if exited := exitedError(ctx, ctr, im); exited != nil {
				return nil, fmt.Errorf("%w%s", exited, c.logHint())
			}
		}
		return nil, fmt.Errorf("provider: starting container %s: %w%s", im.Name, err, c.logHint())
	}
	base, err := waitReady(ctx, ctr, port, im)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, c.logHint())
	}
	t, err := c.target(base, reference)
	if err != nil {
		return nil, err
	}
	c.progress("container: %s serves at %s", im.Name, base)
	return t, nil
}

// waitReady polls the image's ready path until it answers 200 and returns the base
// URL that answered. It tries the host testcontainers-go names first, then the
// loopback address: where the process looks as if it ran inside a container (as in
// some sandboxes), testcontainers-go names the bridge gateway, which may not route
// to the published port although 127.0.0.1 does. TESTCONTAINERS_HOST_OVERRIDE still
// sets the first host. A container that exits fails the wait at once.
func waitReady(ctx context.Context, ctr testcontainers.Container, port string, im sut.Image) (string, error) {
	mapped, err := ctr.MappedPort(ctx, port)
	if err != nil {
		// A container that has already exited has no published port: say it exited.
		if exited := exitedError(ctx, ctr, im); exited != nil {
			return "", exited
		}
		return "", fmt.Errorf("provider: container %s: port %s: %w", im.Name, port, err)
	}
	hosts := []string{"127.0.0.1"}
	if h, err := ctr.Host(ctx); err == nil && h != "127.0.0.1" && h != "localhost" {
		hosts = []string{h, "127.0.0.1"}
	}
	hc := &http.Client{Timeout: time.Second}
	timeout := time.Duration(im.StartTimeout)
	deadline := time.Now().Add(timeout)
	for {
		for _, h := range hosts {
			base := "http://" + net.JoinHostPort(h, mapped.Port())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+im.ReadyPath, nil)
			if err != nil {
				return "", fmt.Errorf("provider: container %s: %w", im.Name, err)
			}
			if resp, err := hc.Do(req); err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return base, nil
				}
			}
		}
		if exited := exitedError(ctx, ctr, im); exited != nil {
			return "", exited
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("provider: container %s: %s did not answer 200 within %v (tried %v, port %s)", im.Name, im.ReadyPath, timeout, hosts, mapped.Port())
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("provider: container %s: %w", im.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// exitedError is the error of a container that is no longer running, or nil while it
// runs (or its state cannot be read).
func exitedError(ctx context.Context, ctr testcontainers.Container, im sut.Image) error {
	if st, err := ctr.State(ctx); err == nil && !st.Running {
		return fmt.Errorf("provider: container %s exited with status %d before %s answered 200", im.Name, st.ExitCode, im.ReadyPath)
	}
	return nil
}

// target builds the target of the server at base.
func (c *Container) target(base string, reference bool) (*sut.Target, error) {
	im := c.opts.Image
	var t *sut.Target
	if c.opts.Target != nil {
		cp := *c.opts.Target
		t = &cp
		t.BaseURL = base
	} else {
		var err error
		if t, err = sut.FromURL(base); err != nil {
			return nil, err
		}
	}
	if t.Name == "" {
		t.Name = "container " + im.Name
	}
	if reference {
		// The image carries the reference fixtures (make image), so the bare-URL
		// target's roles and short-lived store are the image's too.
		t.Name = "reference server image " + im.Name
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// sessionTTL is the session lifetime of a reference image.
func (c *Container) sessionTTL() time.Duration {
	if c.opts.SessionTTL > 0 {
		return c.opts.SessionTTL
	}
	return DefaultInProcessSessionTTL
}

// isReferenceImage reports whether the image's entrypoint is renewkit's serve
// command, as in the image `make image` builds. An image that is not present yet (to
// be pulled) does not count.
func isReferenceImage(ctx context.Context, p *testcontainers.DockerProvider, name string) bool {
	res, err := p.Client().ImageInspect(ctx, name)
	if err != nil || res.Config == nil {
		return false
	}
	ep := res.Config.Entrypoint
	return len(ep) >= 2 && path.Base(ep[0]) == "renewkit" && ep[1] == "serve"
}

// Stop writes the container's log to LogFile and removes the container with its
// volumes. It does nothing when no container exists.
func (c *Container) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr == nil {
		return nil
	}
	var errs []error
	if c.opts.LogFile != "" {
		errs = append(errs, c.writeLog(ctx))
	}
	if err := c.ctr.Terminate(ctx); err != nil {
		errs = append(errs, fmt.Errorf("provider: removing container %s: %w", c.opts.Image.Name, err))
	} else {
		c.progress("container: %s removed", c.opts.Image.Name)
	}
	c.ctr = nil
	return errors.Join(errs...)
}

// Log returns the container's log so far (stdout and stderr), or nil when no
// container runs.
func (c *Container) Log(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctr == nil {
		return nil, nil
	}
	return c.readLog(ctx)
}

func (c *Container) readLog(ctx context.Context) ([]byte, error) {
	rc, err := c.ctr.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("provider: container log: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return b, fmt.Errorf("provider: container log: %w", err)
	}
	return b, nil
}

// writeLog writes the log to LogFile, creating its directory.
func (c *Container) writeLog(ctx context.Context) error {
	b, err := c.readLog(ctx)
	if err != nil && len(b) == 0 {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.opts.LogFile), 0o755); err != nil {
		return fmt.Errorf("provider: container log: %w", err)
	}
	if err := os.WriteFile(c.opts.LogFile, b, 0o644); err != nil {
		return fmt.Errorf("provider: container log: %w", err)
	}
	return nil
}

// logHint tells where the log of a failed start will be.
func (c *Container) logHint() string {
	if c.opts.LogFile == "" {
		return ""
	}
	return "; the container's log goes to " + c.opts.LogFile
}

func (c *Container) progress(format string, args ...any) {
	if c.opts.Progress != nil {
		fmt.Fprintf(c.opts.Progress, format+"\n", args...)
	}
}
