package refserver_test

import (
	"context"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
)

func TestSmokeFlows(t *testing.T) {
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
