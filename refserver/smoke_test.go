package refserver_test

import (
	"context"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
)

func TestSmokeFlows(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	u := w.newUser(t, "")
	if _, err := api.Register(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1"); err != nil {
		t.Fatalf("register: %v", err)
	}
	if _, err := api.Authenticate(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1"); err != nil {
		t.Fatalf("auth: %v", err)
	}
	if _, err := api.Renew(ctx, w.full, defStore, u.extRef(), standard, "Start-Pass-1", "Next-Pass-2"); err != nil {
		t.Fatalf("renew: %v", err)
	}
	w.mustAuthenticate(t, u, "Next-Pass-2")
}

// TestDefaultFixtures starts the server as `renewkit serve` would (built-in fixtures)
// and runs the fixture users through it.
func TestDefaultFixtures(t *testing.T) {
	t.Parallel()
	srv := refservertest.Start(t, refserver.Config{})
	ctx := context.Background()
	full := srv.ClientAs(t, acme, "acme-full")
	if _, err := api.Authenticate(ctx, full, defStore, api.ByExternalID("alice"), standard, "Correct-Horse-9"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	if _, err := api.Authenticate(ctx, full, defStore, api.ByExternalID("carol"), pin6, "246810"); err != nil {
		t.Fatalf("carol: %v", err)
	}
	if _, err := api.Register(ctx, full, defStore, api.ByExternalID("erin"), standard, "Fresh-Start-1"); err != nil {
		t.Fatalf("erin: %v", err)
	}
	_, err := api.Authenticate(ctx, full, defStore, api.ByExternalID("oscar"), standard, "Locked-User-6")
	if api.ErrorCode(err) != api.CodeUserLocked {
		t.Fatalf("oscar: %v", err)
	}
	globex := srv.ClientAs(t, "globex", "globex-full")
	if _, err := api.Authenticate(ctx, globex, defStore, api.ByExternalID("alice"), standard, "Correct-Horse-9"); err != nil {
		t.Fatalf("globex alice: %v", err)
	}
}
