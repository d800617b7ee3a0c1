package srp

import (
	"bytes"
	"crypto"
	"errors"
	"testing"
)

// FuzzDecodeInt: the lenient decoder never panics, and whatever it accepts re-encodes
// to an accepted string with the same bytes.
func FuzzDecodeInt(f *testing.F) {
	for _, s := range []string{"AP8=", "AP8", "-_8", "AAAAAQ==", "", "==", "+-8=", "AQ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeInt(s)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("error %v is not ErrEncoding", err)
			}
			return
		}
		again, err := DecodeInt(EncodeInt(b))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of %x failed: %x, %v", b, again, err)
		}
	})
}

// FuzzDecodeProof: any accepted proof comes back at exactly the hash size.
func FuzzDecodeProof(f *testing.F) {
	f.Add("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", 32)
	f.Add("AKurq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur", 32)
	f.Add("AQI", 20)
	f.Fuzz(func(t *testing.T, s string, size int) {
		if size <= 0 || size > 128 {
			return
		}
		b, err := DecodeProof(s, size)
		if err == nil && len(b) != size {
			t.Fatalf("DecodeProof returned %d bytes, want %d", len(b), size)
		}
	})
}

// FuzzDecodeSalt: no panic; accepted salts are at least MinSaltBytes.
func FuzzDecodeSalt(f *testing.F) {
	f.Add("vrJTedGoWB61pydnOiRB7g")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	f.Add("short")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeSalt(s)
		if err == nil && len(b) < MinSaltBytes {
			t.Fatalf("salt of %d bytes accepted", len(b))
		}
	})
}

// FuzzServerVerify feeds arbitrary A and M1 to a server session. Whatever arrives, the
// server must not panic, and must never accept: the fuzzer does not know the passcode.
func FuzzServerVerify(f *testing.F) {
	p, err := NewParams(Group1024(), crypto.SHA256, ProfileRFC5054Padded)
	if err != nil {
		f.Fatal(err)
	}
	identity, salt := []byte("alice"), bytes.Repeat([]byte{0x5a}, 32)
	v := p.Verifier(identity, []byte("the real passcode"), salt)
	n := p.Group().N().Bytes()
	f.Add([]byte{0}, make([]byte, 32))
	f.Add([]byte{1}, make([]byte, 32))
	f.Add(n, make([]byte, 32))
	f.Add(append([]byte{0}, n...), bytes.Repeat([]byte{1}, 33))
	f.Add(bytes.Repeat([]byte{0xff}, 200), []byte{})
	f.Add([]byte{2}, bytes.Repeat([]byte{7}, 32))
	f.Fuzz(func(t *testing.T, A, m1 []byte) {
		srv, err := p.NewServer(identity, salt, v)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := srv.Verify(A, m1)
		if err == nil || m2 != nil {
			t.Fatalf("server accepted A=%x M1=%x without the passcode", A, m1)
		}
		if !errors.Is(err, ErrInvalidPublicValue) && !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzClientProof feeds arbitrary B to a client: no panic, and every B the client
// accepts is in range.
func FuzzClientProof(f *testing.F) {
	p, err := NewParams(Group1024(), crypto.SHA256, ProfileRFC5054Padded)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0})
	f.Add(p.Group().N().Bytes())
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, B []byte) {
		c, err := NewClient(p, []byte("alice"), []byte("pw"), bytes.Repeat([]byte{1}, 32))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Proof(B); err == nil && p.CheckPublicB(B) != nil {
			t.Fatalf("client accepted out-of-range B=%x", B)
		}
	})
}
