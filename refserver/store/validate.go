package store

import "fmt"

// invalid wraps ErrInvalid with what is wrong. The text names fields, never values,
// so no secret can reach a log through it.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Validate reports, wrapping ErrInvalid, why t cannot be stored.
func (t Tenant) Validate() error {
	if t.ID == "" {
		return invalid("tenant id is empty")
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why s cannot be stored.
func (s IdentityStore) Validate() error {
	switch {
	case s.Tenant == "":
		return invalid("store tenant is empty")
	case s.Name == "":
		return invalid("store name is empty")
	case s.Lock.MaxFailedAttempts < 0:
		return invalid("store %q: negative maxFailedAttempts", s.Name)
	case s.Lock.LockDuration < 0:
		return invalid("store %q: negative lock duration", s.Name)
	case s.SessionTTL < 0:
		return invalid("store %q: negative session lifetime", s.Name)
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why p cannot be stored: an empty key, a
// passcodeHistory over MaxHistory, or requirements that passcode.Requirements.Check
// rejects (negative counts, impossible lengths, patterns that are not RE2).
func (p Policy) Validate() error {
	if p.Tenant == "" || p.Store == "" || p.Name == "" {
		return invalid("policy tenant, store or name is empty")
	}
	if p.Requirements.PasscodeHistory > MaxHistory {
		return invalid("policy %q: passcodeHistory above %d", p.Name, MaxHistory)
	}
	if err := p.Requirements.Check(); err != nil {
		return invalid("policy %q: %v", p.Name, err)
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why u cannot be stored.
func (u User) Validate() error {
	switch {
	case u.Tenant == "" || u.Store == "" || u.ID == "":
		return invalid("user tenant, store or id is empty")
	case u.ExternalID == "":
		return invalid("user %q: external id is empty", u.ID)
	case !u.Status.Valid():
		return invalid("user %q: unknown status", u.ID)
	case u.FailedAttempts < 0:
		return invalid("user %q: negative failed attempts", u.ID)
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why c cannot be stored.
func (c Credential) Validate() error {
	switch {
	case c.Tenant == "" || c.Store == "" || c.UserID == "":
		return invalid("credential tenant, store or user id is empty")
	case c.Identity == "":
		return invalid("credential of user %q: identity is empty", c.UserID)
	case len(c.Salt) == 0:
		return invalid("credential of user %q: salt is empty", c.UserID)
	case len(c.Verifier) == 0:
		return invalid("credential of user %q: verifier is empty", c.UserID)
	case c.Version < 1:
		return invalid("credential of user %q: version below 1", c.UserID)
	}
	for _, h := range c.History {
		if len(h) == 0 {
			return invalid("credential of user %q: empty history entry", c.UserID)
		}
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why s cannot be stored.
func (s Session) Validate() error {
	switch {
	case s.ID == "":
		return invalid("session id is empty")
	case s.Flow != FlowRegistration && s.Flow != FlowAuthentication && s.Flow != FlowRenewal:
		return invalid("session %q: unknown flow", s.ID)
	case s.Tenant == "" || s.Store == "" || s.UserID == "":
		return invalid("session %q: tenant, store or user id is empty", s.ID)
	case s.ExpiresAt.IsZero():
		return invalid("session %q: no expiry", s.ID)
	}
	return nil
}

// Validate reports, wrapping ErrInvalid, why c cannot be stored.
func (c OAuthClient) Validate() error {
	switch {
	case c.ID == "":
		return invalid("oauth client id is empty")
	case c.Tenant == "":
		return invalid("oauth client %q: tenant is empty", c.ID)
	case len(c.SecretHash) != len(HashSecret("")):
		return invalid("oauth client %q: secret hash has the wrong length", c.ID)
	case c.TokenTTL < 0:
		return invalid("oauth client %q: negative token lifetime", c.ID)
	}
	return nil
}
