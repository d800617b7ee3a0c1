package sqlite_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// BenchmarkRenewalTransactions runs the store's part of one renewal exactly as
// refserver does it (passcode.go): the start's View and session put, the
// completion's take, consume Update and commit Update, with a cancellable context as a
// request has, and a credential whose history is full. It isolates the store from
// HTTP and SRP, so a change here shows without the noise of BenchmarkRenewal; its
// cpu-ns/op is the steadier figure on a shared machine.
func BenchmarkRenewalTransactions(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "bench.db"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const tenant, storeName, userID, policyName = "t", "s", "u", "p"
	verifier := func() []byte {
		v := make([]byte, 256) // a 2048-bit group's verifier
		if _, err := rand.Read(v); err != nil {
			b.Fatal(err)
		}
		return v
	}
	cred := store.Credential{Tenant: tenant, Store: storeName, UserID: userID, Identity: "IDENTITY", Salt: make([]byte, 32),
		Verifier: verifier(), Version: 1}
	for range store.MaxHistory {
		cred = cred.Renewed(verifier())
	}
	err := st.Update(ctx, func(tx store.Tx) error {
		return errors.Join(
			tx.PutTenant(ctx, store.Tenant{ID: tenant}),
			tx.PutIdentityStore(ctx, store.IdentityStore{Tenant: tenant, Name: storeName}),
			tx.CreatePolicy(ctx, store.Policy{Tenant: tenant, Store: storeName, Name: policyName}),
			tx.CreateUser(ctx, store.User{Tenant: tenant, Store: storeName, ID: userID, ExternalID: "e", Status: store.StatusActive}),
			tx.CreateCredential(ctx, cred),
		)
	})
	if err != nil {
		b.Fatal(err)
	}
	next := verifier()
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		now := time.Now()
		// Start: read the store (its session lifetime), policy, user and credential,
		// then store the session.
		var c store.Credential
		err := st.View(ctx, func(tx store.Tx) error {
			if _, err := tx.IdentityStore(ctx, tenant, storeName); err != nil {
				return err
			}
			if _, err := tx.Policy(ctx, tenant, storeName, policyName); err != nil {
				return err
			}
			if _, err := tx.User(ctx, tenant, storeName, userID); err != nil {
				return err
			}
			var err error
			c, err = tx.Credential(ctx, tenant, storeName, userID)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		n++
		id := fmt.Sprintf("BENCH%021d", n) // 26 characters, unique in the run
		sess := store.Session{ID: id, Flow: store.FlowRenewal, Tenant: tenant, Store: storeName, UserID: userID, Policy: policyName,
			Identity: c.Identity, Salt: c.Salt, CredentialVersion: c.Version, ServerSecret: make([]byte, 32),
			ServerPublic: make([]byte, 256), CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
		if _, err := st.Sessions().Put(ctx, sess, store.SessionLimits{}, now); err != nil {
			b.Fatal(err)
		}
		// Completion: take the session, then consume (with the lockout attempt), then
		// commit (releasing it).
		if _, err := st.Sessions().Take(ctx, store.RefOf(sess), now); err != nil {
			b.Fatal(err)
		}
		err = st.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.User(ctx, tenant, storeName, userID); err != nil {
				return err
			}
			is, err := tx.IdentityStore(ctx, tenant, storeName)
			if err != nil {
				return err
			}
			if err := tx.ReserveAttempt(ctx, tenant, storeName, userID, is.Lock.OrDefault().MaxFailedAttempts, now); err != nil {
				return err
			}
			if _, err := tx.Policy(ctx, tenant, storeName, policyName); err != nil {
				return err
			}
			c, err = tx.Credential(ctx, tenant, storeName, userID)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		err = st.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.User(ctx, tenant, storeName, userID); err != nil {
				return err
			}
			if err := tx.UpdateCredential(ctx, c.Renewed(next)); err != nil {
				return err
			}
			return tx.ReleaseAttempt(ctx, tenant, storeName, userID)
		})
		if err != nil {
			b.Fatal(err)
		}
		next = c.Verifier
	}
	// CPU time, user and system, of the whole process (fsync included): other
	// processes on a shared machine disturb it far less than ns/op.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}
