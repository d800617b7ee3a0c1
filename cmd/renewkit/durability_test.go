package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
)

// serveEnv makes the test binary a `renewkit serve` process (TestServeProcess):
// "ADDR STORE".
const serveEnv = "RENEWKIT_TEST_SERVE"

// TestServeProcess is not a test: run as a child of TestKillDuringRenewals, with
// serveEnv set, it is the server that test kills.
func TestServeProcess(t *testing.T) {
	spec := os.Getenv(serveEnv)
	if spec == "" {
		t.Skip("the server process of TestKillDuringRenewals, run by it")
	}
	addr, dsn, _ := strings.Cut(spec, " ")
	os.Exit(run(context.Background(), []string{"serve", "--addr", addr, "--store", dsn, "--log-level", "error"}, os.Stdout, os.Stderr))
}

// TestKillDuringRenewals: `renewkit serve` on SQLite is killed with SIGKILL while
// renewals run, and restarted on the same file. Every renewal it acknowledged (200
// with an M2 that verified) survives: each user authenticates with the last
// passcode it was acknowledged, or with the next one when that renewal was in
// flight at the kill (committed, its answer lost). Nothing acknowledged is lost.
func TestKillDuringRenewals(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts a server process: not in -short")
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "renewkit.db")
	addr := freeAddr(t)
	ctx := context.Background()

	kill := startServe(t, addr, dsn)
	c := client(t, addr)
	const users = 8
	ids := make([]string, users)
	for i := range ids {
		u, _, err := c.CreateUser(ctx, "default", api.CreateUserRequest{ExternalID: fmt.Sprintf("durable-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
		if _, err := api.Register(ctx, c, "default", api.ByID(u.ID), "standard", passcodeN(0)); err != nil {
			t.Fatal(err)
		}
	}

	// acked[i] is the last passcode the server acknowledged for user i; sent[i]
	// is the one its renewal in flight (if any) sends.
	acked, sent := make([]int, users), make([]int, users)
	var total atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				sent[i] = k + 1
				if _, err := api.Renew(ctx, c, "default", api.ByID(ids[i]), "standard", passcodeN(k), passcodeN(k+1)); err != nil {
					return // the server is gone (or refused: checked below)
				}
				acked[i] = k + 1
				total.Add(1)
			}
		})
	}
	// Kill it once enough renewals were acknowledged that some are surely
	// mid-flight, however slow this machine is.
	deadline := time.Now().Add(2 * time.Minute)
	for total.Load() < 4*users && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	kill()
	close(stop)
	wg.Wait()
	if total.Load() < users {
		t.Fatalf("only %d renewals were acknowledged before the kill", total.Load())
	}

	startServe(t, addr, dsn)
	c = client(t, addr)
	var inFlightCommitted int
	for i, id := range ids {
		if _, err := api.Authenticate(ctx, c, "default", api.ByID(id), "standard", passcodeN(acked[i])); err == nil {
			continue
		}
		if sent[i] == acked[i]+1 {
			if _, err := api.Authenticate(ctx, c, "default", api.ByID(id), "standard", passcodeN(sent[i])); err == nil {
				inFlightCommitted++
				continue
			}
		}
		t.Errorf("user %d: renewal %d was acknowledged before the kill, and after the restart neither passcode %d nor %d authenticates: an acknowledged renewal was lost",
			i, acked[i], acked[i], sent[i])
	}
	t.Logf("%d renewals acknowledged before SIGKILL, all survived; %d in flight were committed without their answer", total.Load(), inFlightCommitted)
}

// passcodeN is the k-th passcode of a user: each distinct, each to the standard
// policy.
func passcodeN(k int) string { return fmt.Sprintf("Durable-Pass-%04d", k) }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts the server process and waits until it is ready; the function
// it returns kills it with SIGKILL (also done at the end of the test).
func startServe(t *testing.T, addr, dsn string) (kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$")
	cmd.Env = append(os.Environ(), serveEnv+"="+addr+" "+dsn)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(kill)
	c, err := api.NewClient("http://"+addr, "acme")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if ex, err := c.Readyz(context.Background()); err == nil && ex.Status == 200 {
			return kill
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatalf("renewkit serve at %s not ready in a minute:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client is an api client of the server at addr with a token of the full role.
func client(t *testing.T, addr string) *api.Client {
	t.Helper()
	c, err := api.NewClient("http://"+addr, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c.Prefix = api.DefaultPrefix
	tok, _, err := c.Token(context.Background(), "acme-full", "acme-full-secret")
	if err != nil {
		t.Fatal(err)
	}
	return c.WithToken(tok.AccessToken)
}
