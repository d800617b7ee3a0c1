package refserver

import (
	"context"
	"fmt"

	"github.com/seedb14f67b8/renewkit/fixtures"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// seed writes the fixtures at path (the built-in default fixtures when path is "")
// into st. store.Seed is idempotent and leaves existing users and their credentials
// alone, so seeding at every start keeps what a previous run of an SQLite server
// stored. Fixture passcodes become verifiers under p's group: a database seeded under
// one --srp-group does not authenticate under another.
func seed(ctx context.Context, st store.Store, path string, p *srp.Params) error {
	var (
		set *fixtures.Set
		err error
	)
	if path == "" {
		set, err = fixtures.Default()
	} else {
		set, err = fixtures.Load(path)
	}
	if err != nil {
		return fmt.Errorf("refserver: fixtures: %w", err)
	}
	derive := func(identity, pass string, salt []byte) ([]byte, error) {
		// The same derivation as a client's registration: NFC first (SPEC section 6),
		// and PAD(v), the canonical width the server stores and compares.
		return p.Verifier([]byte(identity), []byte(passcode.Normalize(pass)), salt), nil
	}
	if err := store.Seed(ctx, st, set, derive); err != nil {
		return fmt.Errorf("refserver: seeding fixtures: %w", err)
	}
	return nil
}
