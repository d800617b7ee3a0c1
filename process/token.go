package process

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// TokenType is how often a process token may start an instance.
type TokenType string

// The token types.
const (
	// TokenUnlimited starts any number of instances.
	TokenUnlimited TokenType = "UNLIMITED"
	// TokenCountLimited starts at most MaxUses instances.
	TokenCountLimited TokenType = "MULTI_USE_COUNT_LIMITED"
	// TokenTimeLimited starts instances until ExpiresAt.
	TokenTimeLimited TokenType = "MULTI_USE_TIME_LIMITED"
)

// TokenStatus is whether a token may be used at all.
type TokenStatus string

// The token statuses.
const (
	TokenActive   TokenStatus = "ACTIVE"
	TokenInactive TokenStatus = "INACTIVE"
)

// Token is a process token: the right to start instances of one definition
// version, for end users who hold its secret (the end user's URL carries it). The
// secret itself is never stored, only its SHA-256.
type Token struct {
	ID                 string      `json:"id"`
	Name               string      `json:"name"`
	ProcessDefnName    string      `json:"processDefnName"`
	ProcessDefnVersion int         `json:"processDefnVersion"`
	Type               TokenType   `json:"type"`
	Status             TokenStatus `json:"status"`
	// MaxUses bounds a MULTI_USE_COUNT_LIMITED token.
	MaxUses int `json:"maxUses,omitempty"`
	// ExpiresAt ends a MULTI_USE_TIME_LIMITED token.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Uses counts the instances started.
	Uses int `json:"uses"`
	// Parameters are handed to each instance as ${token.<name>} (and token.name is
	// the token's name).
	Parameters map[string]string `json:"parameters,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	// URL is the end user's URL; only the creation response carries it, since it
	// holds the secret.
	URL string `json:"url,omitempty"`

	secretHash [sha256.Size]byte
}

// TokenRequest is the body that creates a process token. ProcessDefnVersion 0 means
// the latest version at creation; Status defaults to ACTIVE.
type TokenRequest struct {
	Name               string            `json:"name"`
	ProcessDefnName    string            `json:"processDefnName"`
	ProcessDefnVersion int               `json:"processDefnVersion,omitempty"`
	Type               TokenType         `json:"type"`
	Status             TokenStatus       `json:"status,omitempty"`
	MaxUses            int               `json:"maxUses,omitempty"`
	ExpiresAt          time.Time         `json:"expiresAt,omitzero"`
	Parameters         map[string]string `json:"parameters,omitempty"`
}

// TokenUpdate is the body that changes a token: its status.
type TokenUpdate struct {
	Status TokenStatus `json:"status"`
}

// MaxTokenParameters bounds Token.Parameters.
const MaxTokenParameters = 20

// check validates the request at now.
func (r TokenRequest) check(now time.Time) error {
	var ps problems
	if !validName(r.Name) {
		ps.add("", "name", "the token name must start with a letter and hold only letters, digits, '_', '.' and '-' (at most %d bytes)", MaxNameBytes)
	}
	if r.ProcessDefnName == "" {
		ps.add("", "processDefnName", "member %q is required", "processDefnName")
	}
	if r.ProcessDefnVersion < 0 {
		ps.add("", "processDefnVersion", "must be at least 1 (or absent for the latest)")
	}
	switch r.Status {
	case "", TokenActive, TokenInactive:
	default:
		ps.add("", "status", "status is ACTIVE or INACTIVE")
	}
	switch r.Type {
	case TokenUnlimited:
		if r.MaxUses != 0 || !r.ExpiresAt.IsZero() {
			ps.add("", "type", "an UNLIMITED token takes neither maxUses nor expiresAt")
		}
	case TokenCountLimited:
		if r.MaxUses < 1 {
			ps.add("", "maxUses", "a MULTI_USE_COUNT_LIMITED token needs maxUses of at least 1")
		}
		if !r.ExpiresAt.IsZero() {
			ps.add("", "expiresAt", "a MULTI_USE_COUNT_LIMITED token takes no expiresAt")
		}
	case TokenTimeLimited:
		if !r.ExpiresAt.After(now) {
			ps.add("", "expiresAt", "a MULTI_USE_TIME_LIMITED token needs an expiresAt in the future")
		}
		if r.MaxUses != 0 {
			ps.add("", "maxUses", "a MULTI_USE_TIME_LIMITED token takes no maxUses")
		}
	default:
		ps.add("", "type", "type is UNLIMITED, MULTI_USE_COUNT_LIMITED or MULTI_USE_TIME_LIMITED")
	}
	if len(r.Parameters) > MaxTokenParameters {
		ps.add("", "parameters", "at most %d parameters", MaxTokenParameters)
	}
	for k, v := range r.Parameters {
		if !validName(k) || k == "name" || len(v) > MaxParamLen {
			ps.add("", "parameters", "parameter names start with a letter and hold only letters, digits, '_', '.' and '-' (not \"name\"); values have at most %d bytes", MaxParamLen)
			break
		}
	}
	return ps.err()
}

// usable reports why the token cannot start an instance at now, or nil.
func (t *Token) usable(now time.Time) error {
	switch {
	case t.Status != TokenActive:
		return ErrTokenInactive
	case t.Type == TokenCountLimited && t.Uses >= t.MaxUses:
		return ErrTokenExhausted
	case t.Type == TokenTimeLimited && !now.Before(t.ExpiresAt):
		return ErrTokenExpired
	}
	return nil
}

// newSecret returns 32 random bytes in base64url without padding, and its SHA-256.
func newSecret() (string, [sha256.Size]byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", [sha256.Size]byte{}, fmt.Errorf("process: random secret: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(b[:])
	return s, sha256.Sum256([]byte(s)), nil
}
