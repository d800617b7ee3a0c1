package refserver_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
	"github.com/seedb14f67b8/renewkit/srp"
)

// TestSQLiteRestart stops and starts an SQLite-backed server over the same file, all
// through HTTP: users, credentials, history, lock state, policies and unexpired
// sessions survive, and seeding the fixtures again overwrites none of it.
func TestSQLiteRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := refservertest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	cfg := refserver.Config{StoreDSN: "sqlite:" + filepath.Join(t.TempDir(), "renewkit.db"), Now: clock.Now}

	// --- first run ---
	a := refservertest.Start(t, cfg)
	full := a.ClientAs(t, acme, "acme-full")
	newUser, _, err := full.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: "restart-user"})
	if err != nil {
		t.Fatal(err)
	}
	ref := api.ByID(newUser.ID)
	if _, err := api.Register(ctx, full, defStore, ref, standard, "First-Pass-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Renew(ctx, full, defStore, ref, standard, "First-Pass-1", "Second-Pass-2"); err != nil {
		t.Fatal(err)
	}
	// alice, a fixture user, renews: the next start's seeding must not undo it.
	alice := api.ByExternalID("alice")
	if _, err := api.Renew(ctx, full, defStore, alice, standard, "Correct-Horse-9", "Renewed-Horse-10"); err != nil {
		t.Fatal(err)
	}
	// bob fails twice (counted), frank is a fresh user locked out entirely.
	bob := api.ByExternalID("bob")
	for range 2 {
		if _, err := api.Authenticate(ctx, full, defStore, bob, standard, "wrong"); api.ErrorCode(err) != api.CodeInvalidProof {
			t.Fatalf("bob: %v", err)
		}
	}
	frank := api.ByExternalID("frank")
	if _, err := api.Register(ctx, full, defStore, frank, standard, "Frank-Pass-1"); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, _ = api.Authenticate(ctx, full, defStore, frank, standard, "wrong")
	}
	if _, err := api.Authenticate(ctx, full, defStore, frank, standard, "Frank-Pass-1"); api.ErrorCode(err) != api.CodeUserLocked {
		t.Fatalf("frank not locked: %v", err)
	}
	// A custom policy, and an authentication session left open across the restart.
	if _, _, err := full.CreatePolicy(ctx, defStore, api.Policy{Name: "restart-policy",
		Requirements: passcode.Requirements{MinimumLength: 9, PasscodeHistory: 2}}); err != nil {
		t.Fatal(err)
	}
	sr, _, err := full.Start(ctx, api.FlowAuthentication, defStore, ref, standard)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := api.ParseStart(sr, "", true)
	if err != nil {
		t.Fatal(err)
	}
	vd, client, err := sp.Prove("Second-Pass-2")
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	// --- second run over the same file ---
	clock.Advance(time.Minute)
	b := refservertest.Start(t, cfg)
	full = b.ClientAs(t, acme, "acme-full")

	// The open session completes on the new process: b, the credential version and
	// the binding all came back from the file.
	cr, _, err := full.Complete(ctx, api.FlowAuthentication, defStore, sr.SessionID, api.CompleteRequest{SRPVerificationData: vd})
	if err != nil {
		t.Fatalf("session across the restart: %v", err)
	}
	m2, err := srp.DecodeProof(cr.AlgorithmInfo.Parameters.M2, sp.Params.Hash().Size())
	if err != nil || client.VerifyServer(m2) != nil {
		t.Fatalf("m2 after restart: %v", err)
	}

	got, _, err := full.GetUser(ctx, defStore, newUser.ID)
	if err != nil || got.ExternalID != "restart-user" || !got.DateCreated.Equal(newUser.DateCreated.Time) {
		t.Fatalf("user after restart: %+v %v", got, err)
	}
	// Credential and history: the renewed passcode works, the replaced one is history.
	if _, err := api.Authenticate(ctx, full, defStore, ref, standard, "Second-Pass-2"); err != nil {
		t.Fatalf("renewed passcode after restart: %v", err)
	}
	if _, err := api.Renew(ctx, full, defStore, ref, standard, "Second-Pass-2", "First-Pass-1"); api.ErrorCode(err) != api.CodePasscodeHistoryViolation {
		t.Fatalf("history after restart: %v", err)
	}
	if _, err := api.Authenticate(ctx, full, defStore, alice, standard, "Renewed-Horse-10"); err != nil {
		t.Fatalf("alice's renewal lost to re-seeding: %v", err)
	}
	// Lock state: frank is still locked; bob's two failures still count, so three
	// more lock him.
	if _, err := api.Authenticate(ctx, full, defStore, frank, standard, "Frank-Pass-1"); api.ErrorCode(err) != api.CodeUserLocked {
		t.Fatalf("frank after restart: %v", err)
	}
	for range 3 {
		_, _ = api.Authenticate(ctx, full, defStore, bob, standard, "wrong")
	}
	if _, err := api.Authenticate(ctx, full, defStore, bob, standard, "Battery-Staple-7"); api.ErrorCode(err) != api.CodeUserLocked {
		t.Fatalf("bob's failure count did not survive: %v", err)
	}
	p, _, err := full.GetPolicy(ctx, defStore, "restart-policy")
	if err != nil || p.MinimumLength != 9 {
		t.Fatalf("policy after restart: %+v %v", p, err)
	}
	// And the lock ends on time in the new process too.
	clock.Advance(15 * time.Minute)
	if _, err := api.Authenticate(ctx, full, defStore, frank, standard, "Frank-Pass-1"); err != nil {
		t.Fatalf("frank after the lock: %v", err)
	}
}
