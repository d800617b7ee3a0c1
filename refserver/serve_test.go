package refserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeGracefulShutdown serves on a real listener, answers, and returns nil once
// its context is cancelled; expired sessions are purged in the background meanwhile.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	st := memory.New()
	now := time.Now()
	clock := func() time.Time { return now }
	s, err := refserver.New(context.Background(), refserver.Config{
		Store: st, SessionPurgeInterval: 10 * time.Millisecond, Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	// One session already expired at the server's clock: the purge loop removes it.
	ctx := context.Background()
	_, err = st.Sessions().Put(ctx, store.Session{ID: "EXPIREDSESSION", Flow: store.FlowAuthentication,
		Tenant: acme, Store: defStore, UserID: "ATQJW5SVX5NE45TIQPJKOXFCFU", ExpiresAt: now.Add(-time.Second)},
		store.SessionLimits{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(runCtx, ln) }()

	c, err := api.NewClient("http://"+ln.Addr().String(), acme)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Healthz(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Readyz(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// At the zero time nothing is expired: this sees the session if it is there.
		_, err := st.Sessions().Get(ctx, "EXPIREDSESSION", time.Time{})
		if errors.Is(err, store.ErrSessionNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was never purged")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := c.Healthz(ctx); !api.IsTransport(err) {
		t.Fatalf("still serving after shutdown: %v", err)
	}
}

// TestRunRefusesBadConfig checks that Run reports a config error without serving.
func TestRunRefusesBadConfig(t *testing.T) {
	t.Parallel()
	if err := refserver.Run(context.Background(), refserver.Config{StoreDSN: "nosuch:"}); err == nil {
		t.Fatal("Run accepted a bad store")
	}
	// An address in use fails at listen.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := refserver.Run(context.Background(), refserver.Config{StoreDSN: "memory:", Addr: ln.Addr().String()}); err == nil {
		t.Fatal("Run listened on a taken address")
	}
}

// TestLogsHoldNoSecrets runs a registration, an authentication, a renewal and
// failures with the server logging at debug level, and checks that no token, client
// secret, passcode, verifier, public value, proof or session ID reaches the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := newWorldWith(t, worldOpts{cfg: refserver.Config{Logger: logger}})
	ctx := context.Background()
	u := w.newUser(t, "")
	var secrets []string
	add := func(ss ...string) {
		for _, s := range ss {
			if len(s) >= 8 {
				secrets = append(secrets, s)
			}
		}
	}
	add(w.full.AccessToken, "acme-full-secret", "Secret-Start-1", "Secret-Next-2")
	res, err := api.Register(ctx, w.full, defStore, u.ref(), standard, "Secret-Start-1")
	if err != nil {
		t.Fatal(err)
	}
	add(res.Start.SessionID, res.Start.AlgorithmInfo.Parameters.Salt)
	var body map[string]map[string]string
	_ = json.Unmarshal(res.CompleteExchange.RequestBody, &body)
	add(body["srpRegistrationData"]["verifier"])
	res, err = api.Renew(ctx, w.full, defStore, u.ref(), standard, "Secret-Start-1", "Secret-Next-2")
	if err != nil {
		t.Fatal(err)
	}
	var rb map[string]map[string]string
	_ = json.Unmarshal(res.CompleteExchange.RequestBody, &rb)
	add(res.Start.SessionID, res.Start.AlgorithmInfo.Parameters.ServerPublicKey,
		rb["srpVerificationData"]["a"], rb["srpVerificationData"]["m1"], rb["srpRegistrationData"]["verifier"],
		res.Complete.AlgorithmInfo.Parameters.M2)
	// Failures log too: a wrong proof, a bad body, a bad token, a Basic secret.
	_, _ = api.Authenticate(ctx, w.full, defStore, u.ref(), standard, "Secret-Wrong-3")
	add("Secret-Wrong-3")
	w.raw(t, http.MethodPost, api.Paths{Tenant: acme}.Users(defStore), "forged.token.value", "application/json", []byte(`{"externalId":"x"}`), nil)
	add("forged.token.value")
	basic := base64.StdEncoding.EncodeToString([]byte("acme-full:wrong-secret-9"))
	w.raw(t, http.MethodPost, api.TokenPath, "", "application/x-www-form-urlencoded", []byte("grant_type=client_credentials"),
		http.Header{"Authorization": {"Basic " + basic}})
	add(basic, "wrong-secret-9")

	out := logs.String()
	if !strings.Contains(out, `"route"`) || strings.Count(out, "\n") < 8 {
		t.Fatalf("expected request logs, got:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("log holds a secret %.12q...", s)
		}
	}
	// No raw path either: it carries user and session IDs.
	if strings.Contains(out, u.ID) {
		t.Error("log holds a raw path")
	}
}
