package refserver

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// failingUpdates is a store whose Updates fail while fail is set.
type failingUpdates struct {
	store.Store
	fail atomic.Bool
}

var errUpdatesDown = errors.New("test: updates down")

func (f *failingUpdates) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f.fail.Load() {
		return errUpdatesDown
	}
	return f.Store.Update(ctx, fn)
}

// TestConsumeUpdateFails: a completion whose consume Update fails after the take
// has used its session up (SPEC section 7: a completion of a known session consumes
// it), without a proof evaluated or a lockout attempt left held: the same completion
// again is SESSION_NOT_FOUND, and the user may start and complete afresh.
func TestConsumeUpdateFails(t *testing.T) {
	t.Parallel()
	s := newProcessServer(t)
	st := &failingUpdates{Store: s.store}
	s.store = st
	ctx := context.Background()
	start := func() (string, []byte) { return startAlice(t, s) }
	complete := func(id string, body []byte) error {
		_, err := s.completeSession(ctx, api.FlowAuthentication, aliceTenant, aliceStore, id, "application/json", body)
		return err
	}
	id, body := start()
	st.fail.Store(true)
	if err := complete(id, body); !errors.Is(err, errUpdatesDown) {
		t.Fatalf("completion with Updates down = %v, want the store's error", err)
	}
	st.fail.Store(false)
	if err := complete(id, body); !errors.Is(err, store.ErrSessionNotFound) {
		t.Fatalf("the same completion again = %v, want ErrSessionNotFound", err)
	}
	var held int
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		held, err = tx.Attempts(ctx, aliceTenant, aliceStore, aliceID)
		return err
	})
	if err != nil || held != 0 {
		t.Fatalf("attempts in flight = %d, %v; want 0", held, err)
	}
	if err := complete(start()); err != nil {
		t.Fatalf("a new session after the failure: %v", err)
	}
}

// alice of the default fixtures: tenant, store, user id and passcode.
const aliceTenant, aliceStore, aliceID, alicePass = "acme", "default", "ATQJW5SVX5NE45TIQPJKOXFCFU", "Correct-Horse-9"

// startAlice starts an authentication of alice on s and returns its session id and
// the body of a completion with her right proof.
func startAlice(tb testing.TB, s *Server) (string, []byte) {
	tb.Helper()
	resp, _, err := s.startSession(context.Background(), api.FlowAuthentication, aliceTenant, aliceStore, api.ByID(aliceID), "standard")
	if err != nil {
		tb.Fatal(err)
	}
	sp, err := api.ParseStart(resp, srp.DefaultProfile, true)
	if err != nil {
		tb.Fatal(err)
	}
	vd, _, err := sp.Prove(alicePass)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.SessionID, []byte(`{"srpVerificationData":{"a":"` + vd.A + `","m1":"` + vd.M1 + `"}}`)
}
