package store

import "fmt"

// The records that hold secrets print without them, so that a stray %v in a log
// line or an error cannot leak a verifier, salt, SRP secret or secret hash.

// String describes c without its salt, verifier or history.
func (c Credential) String() string {
	return fmt.Sprintf("credential %s/%s/%s identity=%s version=%d history=%d",
		c.Tenant, c.Store, c.UserID, c.Identity, c.Version, len(c.History))
}

// GoString is String, so that %#v redacts too.
func (c Credential) GoString() string { return c.String() }

// String describes s without its salt or SRP values.
func (s Session) String() string {
	return fmt.Sprintf("session %s flow=%s %s/%s user=%s policy=%s credential=%s@%d expires=%s",
		s.ID, s.Flow, s.Tenant, s.Store, s.UserID, s.Policy, s.Identity, s.CredentialVersion,
		s.ExpiresAt.Format("2006-01-02T15:04:05.999999999Z07:00"))
}

// GoString is String, so that %#v redacts too.
func (s Session) GoString() string { return s.String() }

// String describes c without its secret hash.
func (c OAuthClient) String() string {
	return fmt.Sprintf("oauth client %s tenant=%s permissions=%q", c.ID, c.Tenant, c.Permissions)
}

// GoString is String, so that %#v redacts too.
func (c OAuthClient) GoString() string { return c.String() }
