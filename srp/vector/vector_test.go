package vector

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/seedb14f67b8/renewkit/srp"
)

// The published vectors, copied into srp/testdata (see its README for their origins).
var files = []struct {
	path    string
	profile srp.Profile
	count   int
}{
	{"../testdata/rfc5054-appendix-b.json", srp.ProfileRFC2945, 1},
	{"../testdata/srptools-rfc2945.json", srp.ProfileRFC2945, 12},
	{"../testdata/rfc5054-padded-sha256-2048.json", srp.ProfileRFC5054Padded, 0},
}

func TestPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, f := range files {
		t.Run(filepath.Base(f.path), func(t *testing.T) {
			t.Parallel()
			vs, err := ReadFile(f.path, f.profile)
			if err != nil {
				t.Fatal(err)
			}
			if f.count > 0 && len(vs) != f.count {
				t.Fatalf("read %d vectors, want %d", len(vs), f.count)
			}
			for _, v := range vs {
				if err := Check(v); err != nil {
					t.Errorf("%s: %v", v.Name, err)
				}
			}
		})
	}
}

// TestCheckCatchesEveryField flips each stated field of a good vector and expects
// Check to name exactly that field: a checker that passes everything is worthless.
func TestCheckCatchesEveryField(t *testing.T) {
	t.Parallel()
	vs, err := ReadFile("../testdata/rfc5054-padded-sha256-2048.json", "")
	if err != nil {
		t.Fatal(err)
	}
	good := vs[0]
	cases := []struct {
		field string
		dst   func(*Vector) *[]byte
	}{
		{"k", func(v *Vector) *[]byte { return &v.K }},
		{"x", func(v *Vector) *[]byte { return &v.X }},
		{"v", func(v *Vector) *[]byte { return &v.V }},
		{"A", func(v *Vector) *[]byte { return &v.A }},
		{"B", func(v *Vector) *[]byte { return &v.B }},
		{"u", func(v *Vector) *[]byte { return &v.U }},
		{"S (client)", func(v *Vector) *[]byte { return &v.S }},
		{"K", func(v *Vector) *[]byte { return &v.SessionKey }},
		{"M1", func(v *Vector) *[]byte { return &v.M1 }},
		{"M2", func(v *Vector) *[]byte { return &v.M2 }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			t.Parallel()
			v := good
			p := c.dst(&v)
			changed := bytes.Clone(*p)
			changed[len(changed)-1] ^= 1
			*p = changed
			var m *Mismatch
			if err := Check(v); !errors.As(err, &m) || m.Field != c.field {
				t.Fatalf("Check = %v, want a mismatch in %s", err, c.field)
			}
		})
	}
}

func TestGenerateRoundTrip(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	salt := bytes.Repeat([]byte{7}, 32)
	a, b := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	v := Generate("gen", p, []byte("UGIRW7QN727EIV2XLXG4YH42N4"), []byte("Correct-Horse-9"), salt, a, b)
	var buf bytes.Buffer
	if err := Write(&buf, "test", []Vector{v}); err != nil {
		t.Fatal(err)
	}
	back, err := Parse(buf.Bytes(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0].Name != "gen" {
		t.Fatalf("read back %d vectors", len(back))
	}
	if err := Check(back[0]); err != nil {
		t.Fatal(err)
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"not json":      `{`,
		"no vectors":    `{"comment": "x"}`,
		"unknown hash":  `{"vectors": [{"name": "n", "profile": "rfc2945", "group": "rfc5054-2048", "hash": "MD5", "I": "a", "P_hex": "00", "s": "00"}]}`,
		"bad profile":   `{"vectors": [{"name": "n", "profile": "x", "group": "rfc5054-2048", "hash": "SHA-256", "I": "a", "P_hex": "00", "s": "00"}]}`,
		"unknown group": `{"testVectors": [{"H": "sha1", "N": "17", "g": "02", "I": "a", "P": "b", "s": "00"}]}`,
		"bad hex":       `{"vectors": [{"name": "n", "profile": "rfc2945", "group": "rfc5054-2048", "hash": "SHA-256", "I": "a", "P_hex": "zz", "s": "00"}]}`,
		"no salt":       `{"vectors": [{"name": "n", "profile": "rfc2945", "group": "rfc5054-2048", "hash": "SHA-256", "I": "a", "P_hex": "00"}]}`,
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(data), srp.ProfileRFC2945); err == nil {
				t.Fatal("Parse accepted a bad file")
			}
		})
	}
}
