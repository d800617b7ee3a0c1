package steps

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/seedb14f67b8/renewkit/api"
)

// idsOf encodes 16-byte values as 26-character IDs.
func idsOf(vals [][]byte) []string {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = enc.EncodeToString(v)
	}
	return out
}

// weakIDs makes n ids of a generator.
func weakIDs(n int, gen func(i int, b []byte)) []string {
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = make([]byte, 16)
		gen(i, vals[i])
	}
	return idsOf(vals)
}

// TestSessionIDStatistics: random ids pass (each run of this test is itself one
// draw with the check's false-alarm rate, under 2e-7), weak generators fail.
func TestSessionIDStatistics(t *testing.T) {
	t.Parallel()
	const n = 256
	random := func(_ int, b []byte) { _, _ = rand.Read(b) }
	tests := []struct {
		name              string
		gen               func(i int, b []byte)
		wantNear, wantBit bool
	}{
		{"crypto/rand", random, false, false},
		{"a counter", func(i int, b []byte) { binary.BigEndian.PutUint64(b[8:], uint64(i)) }, true, true},
		{"a random base plus an index", func() func(int, []byte) {
			var base [16]byte
			_, _ = rand.Read(base[:])
			return func(i int, b []byte) {
				copy(b, base[:])
				binary.BigEndian.PutUint32(b[12:], binary.BigEndian.Uint32(base[12:])+uint32(i)*7919)
			}
		}(), true, true},
		{"a timestamp prefix", func(i int, b []byte) {
			_, _ = rand.Read(b)
			binary.BigEndian.PutUint32(b, 0x65f0a1b2) // one second of a clock
		}, false, true},
		{"15 random bytes and a zero", func(_ int, b []byte) { _, _ = rand.Read(b[:15]) }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ids := weakIDs(n, tt.gen)
			vals, decoded := idValues(ids)
			if !decoded {
				t.Fatal("26-character IDs were not decoded")
			}
			_, _, d := nearestPair(vals)
			if near := d.Cmp(idNear) < 0; near != tt.wantNear {
				t.Errorf("near pair: %v (distance %s), want %v", near, d, tt.wantNear)
			}
			if probs := bitImbalance(vals); (len(probs) > 0) != tt.wantBit {
				t.Errorf("bit imbalance: %q, want found %v", probs, tt.wantBit)
			}
		})
	}
}

// TestSessionIDOpaqueForms: ids that are not 26-character IDs are taken as their
// bytes; a repeat or a counter is still near, and they are not weighed bit by bit.
func TestSessionIDOpaqueForms(t *testing.T) {
	t.Parallel()
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("sess-%08d", i)
	}
	vals, decoded := idValues(ids)
	if decoded {
		t.Fatal("opaque ids were decoded")
	}
	if _, _, d := nearestPair(vals); d.Cmp(idNear) >= 0 {
		t.Errorf("a counter in text is %s apart, want near", d)
	}
	ids = []string{unknownID(), "not-an-id", "not-an-id"}
	vals, _ = idValues(ids)
	if _, _, d := nearestPair(vals); d.Sign() != 0 {
		t.Errorf("a repeat is %s apart, want 0", d)
	}
}

func TestPadJSON(t *testing.T) {
	t.Parallel()
	body := []byte(`{"srpRegistrationData":{"verifier":"AAEC"}}`)
	for _, n := range []int{len(body), 65536, 65537} {
		got, err := padJSON(body, n)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if len(got) != n || json.Unmarshal(got, &a) != nil || json.Unmarshal(body, &b) != nil || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("padJSON(%d) is %d bytes, or another object", n, len(got))
		}
		if !bytes.HasSuffix(got, body[1:]) {
			t.Errorf("padJSON(%d) changed the members", n)
		}
	}
	if _, err := padJSON(body, len(body)-1); err == nil {
		t.Error("padJSON shortened a body")
	}
}

func TestExternalIDKinds(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"mixing Latin accents, an emoji and CJK", "of 256 code points", "with a combining accent"} {
		ext := externalIDOf(kind)
		if !utf8.ValidString(ext) || utf8.RuneCountInString(ext) > 256 {
			t.Errorf("%s: %q is not UTF-8 of at most 256 code points", kind, ext)
		}
		if api.ValidID(ext) {
			t.Errorf("%s: %q", kind, ext)
		}
	}
	if n := utf8.RuneCountInString(externalIDOf("of 256 code points")); n != 256 {
		t.Errorf("the long external id has %d code points", n)
	}
}
