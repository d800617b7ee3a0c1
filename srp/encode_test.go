package srp

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecodeInt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []byte
		ok   bool
	}{
		{"std padded", "AP8=", []byte{0, 0xff}, true},
		{"std unpadded", "AP8", []byte{0, 0xff}, true},
		{"url alphabet", "-_8=", []byte{0xfb, 0xff}, true},
		{"url unpadded", "-_8", []byte{0xfb, 0xff}, true},
		{"std + /", "+/8=", []byte{0xfb, 0xff}, true},
		{"leading zeros kept", "AAAAAQ==", []byte{0, 0, 0, 1}, true},
		{"two pad", "AQ==", []byte{1}, true},
		{"empty", "", nil, false},
		{"only padding", "==", nil, false},
		{"three pad", "AQ===", nil, false},
		{"padding not at a quantum", "AQ=", nil, false},
		{"mixed alphabets", "+-8=", nil, false},
		{"space", "AP 8=", nil, false},
		{"newline", "AP8=\n", nil, false},
		{"inner padding", "AP=8", nil, false},
		{"bad char", "AP*8", nil, false},
		{"single char", "A", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeInt(c.in)
			if c.ok != (err == nil) {
				t.Fatalf("DecodeInt(%q) = %x, %v; want ok=%v", c.in, got, err, c.ok)
			}
			if !c.ok && !errors.Is(err, ErrEncoding) {
				t.Fatalf("err = %v, want ErrEncoding", err)
			}
			if c.ok && !bytes.Equal(got, c.want) {
				t.Fatalf("DecodeInt(%q) = %x, want %x", c.in, got, c.want)
			}
		})
	}
}

func TestDecodeProof(t *testing.T) {
	t.Parallel()
	full := bytes.Repeat([]byte{0xab}, 32)
	lead := append([]byte{0}, bytes.Repeat([]byte{0xcd}, 31)...)
	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"exact", full, full},
		{"java sign byte", append([]byte{0}, full...), full},
		{"leading zero kept", lead, lead},
		{"leading zero stripped", lead[1:], lead},
		{"two leading zeros stripped", []byte{1, 2}, append(make([]byte, 30), 1, 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, enc := range []func([]byte) string{EncodeInt, EncodeSalt} {
				got, err := DecodeProof(enc(c.in), 32)
				if err != nil || !bytes.Equal(got, c.want) {
					t.Fatalf("DecodeProof = %x, %v; want %x", got, err, c.want)
				}
			}
		})
	}
	for name, in := range map[string][]byte{
		"oversized":           append([]byte{1}, full...),
		"two extra zeros":     append([]byte{0, 0}, full...),
		"far too long":        bytes.Repeat([]byte{1}, 64),
		"empty after decode":  {},
		"sign byte not zero":  append([]byte{0x80}, full...),
		"sha-512 for sha-256": bytes.Repeat([]byte{9}, 64),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := DecodeProof(EncodeInt(in), 32); err == nil {
				t.Fatalf("DecodeProof accepted %x as %x", in, got)
			}
		})
	}
}

func TestSalt(t *testing.T) {
	t.Parallel()
	salt := bytes.Repeat([]byte{0xfb, 0xff, 0x00}, 11)
	enc := EncodeSalt(salt)
	if bytes.ContainsAny([]byte(enc), "=+/") {
		t.Fatalf("EncodeSalt = %q, want base64url without padding", enc)
	}
	for _, in := range []string{enc, EncodeInt(salt)} {
		got, err := DecodeSalt(in)
		if err != nil || !bytes.Equal(got, salt) {
			t.Fatalf("DecodeSalt(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := DecodeSalt(EncodeSalt(make([]byte, MinSaltBytes-1))); !errors.Is(err, ErrEncoding) {
		t.Fatalf("short salt accepted: %v", err)
	}
}
