package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures"
)

// SaltSize is the length of the salt Seed makes for a credential (SPEC section 6:
// the reference server uses 32 bytes).
const SaltSize = 32

// DeriveFunc computes the SRP verifier of a passcode for identity `i` and salt, in
// the canonical encoding the server stores (see Credential). Seed takes one so that
// this package needs no SRP code.
type DeriveFunc func(identity, passcode string, salt []byte) (verifier []byte, err error)

// Seed writes set into st in one Update, so a failure seeds nothing. It is
// idempotent: tenants, stores, policies and OAuth clients are created or overwritten
// with the fixture's values on every call; a user is created, with a credential when
// the fixture gives a passcode, only when no user of that ID exists. So seeding again
// over a store whose users renewed their passcodes, locked themselves out or had
// their credential deleted changes none of that. Each new credential gets a fresh
// identity (NewID) and a SaltSize-byte random salt; derive makes its verifier.
func Seed(ctx context.Context, st Store, set *fixtures.Set, derive DeriveFunc) error {
	if set == nil || derive == nil {
		return errors.New("store: seed: nil fixtures or derive function")
	}
	if err := set.Validate(); err != nil {
		return fmt.Errorf("store: seed: %w", err)
	}
	now := time.Now().UTC()
	return st.Update(ctx, func(tx Tx) error {
		for _, t := range set.Tenants {
			if err := tx.PutTenant(ctx, Tenant{ID: t.ID}); err != nil {
				return fmt.Errorf("store: seed tenant %q: %w", t.ID, err)
			}
		}
		for _, s := range set.Stores {
			is := IdentityStore{Tenant: s.Tenant, Name: s.Name, Lock: LockConfig{
				MaxFailedAttempts: s.Lock.MaxFailedAttempts,
				LockDuration:      time.Duration(s.Lock.LockDurationSeconds) * time.Second,
			}, SessionTTL: time.Duration(s.SessionTTL)}
			if err := tx.PutIdentityStore(ctx, is); err != nil {
				return fmt.Errorf("store: seed store %s/%s: %w", s.Tenant, s.Name, err)
			}
		}
		for _, p := range set.Policies {
			sp := Policy{Tenant: p.Tenant, Store: p.Store, Name: p.Name, Requirements: p.Requirements}
			err := tx.CreatePolicy(ctx, sp)
			if errors.Is(err, ErrPolicyExists) {
				err = tx.UpdatePolicy(ctx, sp)
			}
			if err != nil {
				return fmt.Errorf("store: seed policy %s/%s/%s: %w", p.Tenant, p.Store, p.Name, err)
			}
		}
		for _, c := range set.Clients {
			oc := OAuthClient{ID: c.ID, SecretHash: HashSecret(c.Secret), Tenant: c.Tenant, Permissions: c.Permissions,
				TokenTTL: time.Duration(c.TokenTTL)}
			if err := tx.PutOAuthClient(ctx, oc); err != nil {
				return fmt.Errorf("store: seed client %q: %w", c.ID, err)
			}
		}
		for _, u := range set.Users {
			if err := seedUser(ctx, tx, u, derive, now); err != nil {
				return fmt.Errorf("store: seed user %s/%s/%s: %w", u.Tenant, u.Store, u.ExternalID, err)
			}
		}
		return nil
	})
}

// seedUser creates u and its credential unless a user of that ID exists.
func seedUser(ctx context.Context, tx Tx, u fixtures.User, derive DeriveFunc, now time.Time) error {
	_, err := tx.User(ctx, u.Tenant, u.Store, u.ID)
	switch {
	case err == nil:
		return nil // created by an earlier seed: leave its state alone
	case !errors.Is(err, ErrUserNotFound):
		return err
	}
	status := Status(u.Status)
	if status == "" {
		status = StatusActive
	}
	err = tx.CreateUser(ctx, User{
		Tenant: u.Tenant, Store: u.Store, ID: u.ID, ExternalID: u.ExternalID,
		Status: status, DateCreated: now,
	})
	if err != nil {
		return err
	}
	if u.Passcode == "" {
		return nil
	}
	identity, err := api.NewID()
	if err != nil {
		return err
	}
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	verifier, err := derive(identity, u.Passcode, salt)
	if err != nil {
		// The derive error is the caller's; it must not quote the passcode.
		return fmt.Errorf("derive verifier: %w", err)
	}
	return tx.CreateCredential(ctx, Credential{
		Tenant: u.Tenant, Store: u.Store, UserID: u.ID,
		Identity: identity, Salt: salt, Verifier: verifier, Version: 1,
	})
}
