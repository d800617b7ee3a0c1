package srp

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// EncodeInt returns b in standard base64 with padding (RFC 4648 section 4), the wire
// form of n, serverPublicKey, verifier and a. Pass PAD'ed values: senders SHOULD pad.
func EncodeInt(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// DecodeInt decodes a wire integer leniently, as SPEC.md section 6 asks of receivers:
// either base64 alphabet, with or without '=' padding. It returns the bytes as sent,
// leading zeros included; range checks are the caller's (CheckPublic, CheckVerifier).
func DecodeInt(s string) ([]byte, error) {
	b, err := decodeLenient(s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty value", ErrEncoding)
	}
	return b, nil
}

// EncodeSalt returns the salt in base64url without padding (RFC 4648 section 5).
func EncodeSalt(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// MinSaltBytes is the shortest salt SPEC.md allows.
const MinSaltBytes = 16

// DecodeSalt decodes a salt, leniently like DecodeInt, and requires MinSaltBytes.
func DecodeSalt(s string) ([]byte, error) {
	b, err := decodeLenient(s)
	if err != nil {
		return nil, err
	}
	if len(b) < MinSaltBytes {
		return nil, fmt.Errorf("%w: salt of %d bytes, want at least %d", ErrEncoding, len(b), MinSaltBytes)
	}
	return b, nil
}

// DecodeProof decodes m1 or m2 to exactly size bytes (the hash size). Besides the
// exact size it accepts the value as an integer encoding: leading zero bytes stripped,
// or one extra leading 0x00 as Java's BigInteger.toByteArray writes when the top bit is set.
func DecodeProof(s string, size int) ([]byte, error) {
	b, err := decodeLenient(s)
	if err != nil {
		return nil, err
	}
	switch {
	case len(b) == size:
		return b, nil
	case len(b) == size+1 && b[0] == 0:
		return b[1:], nil
	case len(b) > 0 && len(b) < size:
		out := make([]byte, size)
		copy(out[size-len(b):], b)
		return out, nil
	}
	return nil, fmt.Errorf("%w: proof of %d bytes, want %d", ErrEncoding, len(b), size)
}

// decodeLenient accepts standard and URL-safe base64, padded or not, but nothing
// else: no white space, no '=' except as trailing padding of a complete final quantum.
func decodeLenient(s string) ([]byte, error) {
	body := strings.TrimRight(s, "=")
	if pad := len(s) - len(body); pad > 0 && (pad > 2 || len(s)%4 != 0) {
		return nil, fmt.Errorf("%w: bad base64 padding", ErrEncoding)
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(body, "-_") {
		if strings.ContainsAny(body, "+/") {
			return nil, fmt.Errorf("%w: mixed base64 alphabets", ErrEncoding)
		}
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrEncoding)
	}
	return b, nil
}
