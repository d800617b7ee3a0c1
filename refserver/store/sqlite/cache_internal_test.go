package sqlite

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// readCredential reads u's credential in a View.
func readCredential(tb testing.TB, st *Store) store.Credential {
	tb.Helper()
	ctx := context.Background()
	var c store.Credential
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Credential(ctx, "t", "s", "u")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// update runs fn in an Update and fails tb on error.
func update(tb testing.TB, st *Store, fn func(tx store.Tx) error) {
	tb.Helper()
	if err := st.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// cachedFor reports whether st caches u's history at c's version and its stored
// nonce.
func cachedFor(tb testing.TB, st *Store, c store.Credential) bool {
	tb.Helper()
	var nonce []byte
	if err := st.writer.QueryRowContext(context.Background(),
		"SELECT nonce FROM credentials WHERE tenant = 't' AND store = 's' AND user_id = 'u'").Scan(&nonce); err != nil {
		tb.Fatal(err)
	}
	h, ok := st.cache.get(credentialKey{"t", "s", "u"}, nonce, c.Version)
	if ok && !reflect.DeepEqual(h.verifiers, c.History) {
		tb.Errorf("cached history at version %d differs from the stored one", c.Version)
	}
	return ok
}

// TestHistoryCacheFollowsCommits: reads and committed renewals fill the cache with
// exactly the stored history; a rolled-back renewal leaves no trace, so a different
// renewal to the same version afterwards is read correctly.
func TestHistoryCacheFollowsCommits(t *testing.T) {
	ctx := context.Background()
	st, _ := openFile(t)
	seed(t, st)
	c1 := readCredential(t, st)
	if !cachedFor(t, st, c1) {
		t.Error("a View's read was not cached")
	}
	c2 := c1.Renewed([]byte("v2"))
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c2) })
	if !cachedFor(t, st, c2) {
		t.Error("a committed renewal was not cached")
	}
	if got := readCredential(t, st); !reflect.DeepEqual(got, c2) {
		t.Errorf("after renewal: history %q, want %q", got.History, c2.History)
	}

	rolledBack := c2.Renewed([]byte("v3-rolled-back"))
	rollback := errors.New("rollback")
	err := st.Update(ctx, func(tx store.Tx) error {
		if err := tx.UpdateCredential(ctx, rolledBack); err != nil {
			return err
		}
		// Read inside the Update: its own uncommitted write, not for the cache.
		if _, err := tx.Credential(ctx, "t", "s", "u"); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("Update = %v", err)
	}
	if cachedFor(t, st, rolledBack) {
		t.Fatal("a rolled-back renewal was cached")
	}
	// Version 3 again, with another history (not a push: the rewrite path).
	c3 := c2.Renewed([]byte("v3"))
	c3.History = [][]byte{[]byte("other"), []byte("v1")}
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c3) })
	if got := readCredential(t, st); !reflect.DeepEqual(got, c3) {
		t.Errorf("after a rolled-back and a committed renewal to version 3: history %q, want %q", got.History, c3.History)
	}
	// And a push onto that.
	c4 := c3.Renewed([]byte("v4"))
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c4) })
	if got := readCredential(t, st); !reflect.DeepEqual(got, c4) {
		t.Errorf("after a push: history %q, want %q", got.History, c4.History)
	}
}

// TestHistoryCacheNewCredential: a credential deleted and created again with the
// same identity and version but another history gets a new nonce, so the cached
// history of the old one is not returned.
func TestHistoryCacheNewCredential(t *testing.T) {
	ctx := context.Background()
	st, _ := openFile(t)
	seed(t, st)
	old := credential()
	old.History = [][]byte{[]byte("old-1"), []byte("old-2")}
	update(t, st, func(tx store.Tx) error {
		return errors.Join(tx.DeleteCredential(ctx, "t", "s", "u"), tx.CreateCredential(ctx, old))
	})
	if got := readCredential(t, st); !reflect.DeepEqual(got, old) || !cachedFor(t, st, old) {
		t.Fatalf("first credential: history %q, want %q, cached", got.History, old.History)
	}
	again := credential()
	again.History = [][]byte{[]byte("new-1")}
	update(t, st, func(tx store.Tx) error {
		return errors.Join(tx.DeleteCredential(ctx, "t", "s", "u"), tx.CreateCredential(ctx, again))
	})
	if got := readCredential(t, st); !reflect.DeepEqual(got, again) {
		t.Errorf("re-created credential: history %q, want %q", got.History, again.History)
	}
}

// TestHistoryCacheAcrossStores: another Store on the same file (another process)
// renews, and deletes and re-creates, the credential; this one reads the changes.
// The history cache is keyed so that it needs no help for this, but the row cache
// assumes one process per file (package comment, Row cache) and would serve this
// Store's own credential row: the test clears it before each read, which is what
// keeps it about the history cache.
func TestHistoryCacheAcrossStores(t *testing.T) {
	ctx := context.Background()
	a, path := openFile(t)
	seed(t, a)
	c1 := readCredential(t, a)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c2 := c1.Renewed([]byte("v2-by-b"))
	update(t, b, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c2) })
	a.rows.clear()
	if got := readCredential(t, a); !reflect.DeepEqual(got, c2) {
		t.Errorf("after the other store's renewal: history %q, want %q", got.History, c2.History)
	}
	fresh := c2
	fresh.History = [][]byte{[]byte("fresh")}
	update(t, b, func(tx store.Tx) error {
		return errors.Join(tx.DeleteCredential(ctx, "t", "s", "u"), tx.CreateCredential(ctx, fresh))
	})
	a.rows.clear()
	if got := readCredential(t, a); !reflect.DeepEqual(got, fresh) {
		t.Errorf("after the other store re-created it at the same version: history %q, want %q", got.History, fresh.History)
	}
}

// TestHistoryCacheReturnsCopies: changing a returned history changes neither the
// cache nor the next read.
func TestHistoryCacheReturnsCopies(t *testing.T) {
	ctx := context.Background()
	st, _ := openFile(t)
	seed(t, st)
	c2 := credential().Renewed([]byte("v2"))
	update(t, st, func(tx store.Tx) error { return tx.UpdateCredential(ctx, c2) })
	got := readCredential(t, st)
	got.History[0][0] ^= 0xff
	got.History[0] = append(got.History[0], 'x')
	if again := readCredential(t, st); !reflect.DeepEqual(again, c2) {
		t.Errorf("a caller's change to a returned history reached the store: %q, want %q", again.History, c2.History)
	}
}

func TestHistoryCacheBounded(t *testing.T) {
	c := newHistoryCache()
	for i := range historyCacheSize + 10 {
		c.put(credentialKey{"t", "s", fmt.Sprint(i)}, cachedHistory{nonce: "n", version: 1})
	}
	if len(c.m) != historyCacheSize {
		t.Errorf("%d entries, want %d", len(c.m), historyCacheSize)
	}
	if _, ok := c.get(credentialKey{"t", "s", fmt.Sprint(historyCacheSize + 9)}, []byte("n"), 1); !ok {
		t.Error("the newest entry was evicted")
	}
}

func TestCloneVerifiers(t *testing.T) {
	tests := []struct {
		name string
		in   [][]byte
	}{
		{"none", nil},
		{"one", [][]byte{[]byte("a")}},
		{"several", [][]byte{[]byte("ab"), []byte("c"), []byte("def")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := cloneVerifiers(tt.in)
			if !reflect.DeepEqual(out, tt.in) {
				t.Fatalf("cloneVerifiers(%q) = %q", tt.in, out)
			}
			for i := range out {
				out[i] = append(out[i], '!') // must not overwrite out[i+1]
			}
			for i := range out {
				if want := append(append([]byte(nil), tt.in[i]...), '!'); string(out[i]) != string(want) {
					t.Errorf("entry %d = %q after appends, want %q", i, out[i], want)
				}
			}
		})
	}
}
