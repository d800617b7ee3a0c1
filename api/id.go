package api

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
)

// IDLength is the length of a 26-character ID.
const IDLength = 26

// idEncoding is RFC 4648 base32, upper case, without padding (SPEC.md section 1).
var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a fresh 26-character ID, the form SPEC.md section 1 gives user ids,
// SRP identities and session ids: 16 bytes from crypto/rand in base32, e.g.
// "UGIRW7QN727EIV2XLXG4YH42N4".
func NewID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("api: new id: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// ValidID reports whether s is a well-formed 26-character ID in its one canonical
// spelling: re-encoding rejects a last character with non-zero unused bits.
func ValidID(s string) bool {
	if len(s) != IDLength {
		return false
	}
	b, err := idEncoding.DecodeString(s)
	return err == nil && len(b) == 16 && idEncoding.EncodeToString(b) == s
}
