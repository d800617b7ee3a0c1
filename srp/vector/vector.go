// Package vector reads, checks and writes SRP test-vector files in the two formats
// renewkit ships: the srptools/RFC 5054 format ({"testVectors": [{"H", "size", "N",
// "g", "I", "P", "s", ...}]}) and the Bouncy Castle format ({"vectors": [{"name",
// "profile", "group", "hash", "I", "P_hex", "s", ...}]}). Check recomputes every value
// a vector states with package srp and names the first that differs.
package vector

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"

	"github.com/seedb14f67b8/renewkit/srp"
)

// Vector is one test vector. Numbers are unsigned big-endian bytes; a nil field was
// not stated by the file and is not checked.
type Vector struct {
	Name     string
	Params   *srp.Params
	Identity []byte
	Passcode []byte
	Salt     []byte
	// Secret exponents a and b.
	A1, B1 []byte
	// Expected values.
	K, X, V, A, B, U, S, SessionKey, M1, M2 []byte
}

// Mismatch is a field whose recomputed value differs from the vector's.
type Mismatch struct {
	Field     string
	Want, Got []byte
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("%s differs: vector %x, computed %x", m.Field, m.Want, m.Got)
}

// ErrFormat is returned for a file that is neither format, or a vector missing a field
// it needs.
var ErrFormat = errors.New("vector: bad vector file")

// Check recomputes the vector's values in protocol order and returns a *Mismatch for the
// first that differs, or nil. Values compare as numbers, so files that pad (Bouncy
// Castle) and files that do not (srptools) both check.
func Check(v Vector) error {
	p := v.Params
	x := p.X(v.Identity, v.Passcode, v.Salt)
	verifier := p.Verifier(v.Identity, v.Passcode, v.Salt)
	steps := []struct {
		field string
		want  []byte
		got   func() []byte
	}{
		{"k", v.K, p.K},
		{"x", v.X, func() []byte { return x }},
		{"v", v.V, func() []byte { return verifier }},
		{"A", v.A, func() []byte { return p.ComputeA(v.A1) }},
		{"B", v.B, func() []byte { return p.ComputeB(verifier, v.B1) }},
		{"u", v.U, func() []byte { return p.U(p.ComputeA(v.A1), p.ComputeB(verifier, v.B1)) }},
		{"S (client)", v.S, func() []byte {
			A, B := p.ComputeA(v.A1), p.ComputeB(verifier, v.B1)
			return p.ClientS(B, x, v.A1, p.U(A, B))
		}},
		{"S (server)", v.S, func() []byte {
			A, B := p.ComputeA(v.A1), p.ComputeB(verifier, v.B1)
			return p.ServerS(A, verifier, p.U(A, B), v.B1)
		}},
		{"K", v.SessionKey, func() []byte { return p.SessionKey(session(v).S) }},
		{"M1", v.M1, func() []byte { return session(v).M1 }},
		{"M2", v.M2, func() []byte { s := session(v); return p.M2(s.A, s.M1, s.S) }},
	}
	for _, st := range steps {
		if st.want == nil {
			continue
		}
		if needsEphemerals(st.field) && (v.A1 == nil || v.B1 == nil) {
			return fmt.Errorf("%w: %s needs a and b", ErrFormat, st.field)
		}
		got := st.got()
		if !sameNumber(st.want, got) {
			return &Mismatch{Field: st.field, Want: st.want, Got: got}
		}
	}
	return nil
}

func needsEphemerals(field string) bool {
	switch field {
	case "k", "x", "v":
		return false
	}
	return true
}

type sessionValues struct{ A, B, S, M1 []byte }

func session(v Vector) sessionValues {
	p := v.Params
	verifier := p.Verifier(v.Identity, v.Passcode, v.Salt)
	A, B := p.ComputeA(v.A1), p.ComputeB(verifier, v.B1)
	S := p.ServerS(A, verifier, p.U(A, B), v.B1)
	return sessionValues{A: A, B: B, S: S, M1: p.M1(v.Identity, v.Salt, A, B, S)}
}

func sameNumber(a, b []byte) bool {
	return new(big.Int).SetBytes(a).Cmp(new(big.Int).SetBytes(b)) == 0
}

// ReadFile reads a vector file of either format. profile is the proof profile for
// srptools-format files, which do not name one (srptools computes rfc2945 proofs).
func ReadFile(path string, profile srp.Profile) ([]Vector, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vs, err := Parse(data, profile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return vs, nil
}

// Parse reads vectors from data of either format; see ReadFile.
func Parse(data []byte, profile srp.Profile) ([]Vector, error) {
	var probe struct {
		TestVectors []map[string]any `json:"testVectors"`
		Vectors     []map[string]any `json:"vectors"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	var out []Vector
	switch {
	case len(probe.TestVectors) > 0:
		for i, raw := range probe.TestVectors {
			v, err := parseSRPTools(raw, profile)
			if err != nil {
				return nil, fmt.Errorf("vector %d: %w", i, err)
			}
			out = append(out, v)
		}
	case len(probe.Vectors) > 0:
		for i, raw := range probe.Vectors {
			v, err := parseBC(raw)
			if err != nil {
				return nil, fmt.Errorf("vector %d: %w", i, err)
			}
			out = append(out, v)
		}
	default:
		return nil, fmt.Errorf("%w: no testVectors or vectors array", ErrFormat)
	}
	return out, nil
}

type fields map[string]any

func (f fields) str(name string) (string, bool) {
	s, ok := f[name].(string)
	return s, ok
}

// hex decodes an optional hex field, ignoring the spaces RFC 5054 prints.
func (f fields) hex(name string) ([]byte, error) {
	s, ok := f.str(name)
	if !ok {
		return nil, nil
	}
	s = strings.Join(strings.Fields(s), "")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: field %s is not hex", ErrFormat, name)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

func parseSRPTools(raw map[string]any, profile srp.Profile) (Vector, error) {
	f := fields(raw)
	hashName, _ := f.str("H")
	h, err := srp.ParseHash(hashName)
	if err != nil {
		return Vector{}, err
	}
	n, err := f.hex("N")
	if err != nil {
		return Vector{}, err
	}
	g, err := f.hex("g")
	if err != nil {
		return Vector{}, err
	}
	if n == nil || g == nil {
		return Vector{}, fmt.Errorf("%w: N and g are required", ErrFormat)
	}
	group, err := srp.GroupByPrime(new(big.Int).SetBytes(n), new(big.Int).SetBytes(g))
	if err != nil {
		return Vector{}, err
	}
	p, err := srp.NewParams(group, h, profile)
	if err != nil {
		return Vector{}, err
	}
	I, _ := f.str("I")
	P, _ := f.str("P")
	v := Vector{Params: p, Identity: []byte(I), Passcode: []byte(P)}
	v.Name = fmt.Sprintf("%s-%s-%d-%s", I, strings.ToLower(hashName), group.Bits(), profile)
	if err := fill(f, &v, "K"); err != nil {
		return Vector{}, err
	}
	return v, nil
}

func parseBC(raw map[string]any) (Vector, error) {
	f := fields(raw)
	name, _ := f.str("name")
	prof, _ := f.str("profile")
	profile, err := srp.ParseProfile(prof)
	if err != nil {
		return Vector{}, err
	}
	groupName, _ := f.str("group")
	group, err := srp.GroupByName(groupName)
	if err != nil {
		return Vector{}, err
	}
	hashName, _ := f.str("hash")
	h, err := srp.ParseHash(hashName)
	if err != nil {
		return Vector{}, err
	}
	p, err := srp.NewParams(group, h, profile)
	if err != nil {
		return Vector{}, err
	}
	I, _ := f.str("I")
	P, err := f.hex("P_hex")
	if err != nil || P == nil {
		return Vector{}, fmt.Errorf("%w: P_hex is required", ErrFormat)
	}
	v := Vector{Name: name, Params: p, Identity: []byte(I), Passcode: P}
	if err := fill(f, &v, "K"); err != nil {
		return Vector{}, err
	}
	return v, nil
}

// fill reads the fields both formats share.
func fill(f fields, v *Vector, keyField string) error {
	targets := []struct {
		name string
		dst  *[]byte
	}{
		{"s", &v.Salt}, {"a", &v.A1}, {"b", &v.B1}, {"k", &v.K}, {"x", &v.X}, {"v", &v.V},
		{"A", &v.A}, {"B", &v.B}, {"u", &v.U}, {"S", &v.S}, {keyField, &v.SessionKey},
		{"M1", &v.M1}, {"M2", &v.M2},
	}
	for _, t := range targets {
		b, err := f.hex(t.name)
		if err != nil {
			return err
		}
		*t.dst = b
	}
	if v.Salt == nil {
		return fmt.Errorf("%w: s is required", ErrFormat)
	}
	return nil
}

// Generate computes a complete vector in the Bouncy Castle format's terms from given
// inputs: identity, passcode bytes (already NFC), salt and the secrets a and b.
func Generate(name string, p *srp.Params, identity, passcode, salt, a, b []byte) Vector {
	v := Vector{Name: name, Params: p, Identity: identity, Passcode: passcode, Salt: salt, A1: a, B1: b}
	v.K = p.K()
	v.X = p.X(identity, passcode, salt)
	v.V = p.Verifier(identity, passcode, salt)
	v.A = p.ComputeA(a)
	v.B = p.ComputeB(v.V, b)
	v.U = p.U(v.A, v.B)
	v.S = p.ServerS(v.A, v.V, v.U, b)
	v.SessionKey = p.SessionKey(v.S)
	v.M1 = p.M1(identity, salt, v.A, v.B, v.S)
	v.M2 = p.M2(v.A, v.M1, v.S)
	return v
}

type bcVector struct {
	Name    string `json:"name"`
	Profile string `json:"profile"`
	Group   string `json:"group"`
	Hash    string `json:"hash"`
	I       string `json:"I"`
	PHex    string `json:"P_hex"`
	S       string `json:"s"`
	A1      string `json:"a"`
	B1      string `json:"b"`
	K       string `json:"k"`
	X       string `json:"x"`
	V       string `json:"v"`
	A       string `json:"A"`
	B       string `json:"B"`
	U       string `json:"u"`
	Spre    string `json:"S"`
	M1      string `json:"M1"`
	M2      string `json:"M2"`
	Key     string `json:"K"`
}

// Write writes vectors in the Bouncy Castle format, with a comment saying how they
// were made. Numbers mod N are padded to len(N), hash outputs to the hash size.
func Write(w io.Writer, comment string, vs []Vector) error {
	out := struct {
		Comment string     `json:"comment"`
		Vectors []bcVector `json:"vectors"`
	}{Comment: comment}
	for _, v := range vs {
		p := v.Params
		hx := hex.EncodeToString
		out.Vectors = append(out.Vectors, bcVector{
			Name: v.Name, Profile: string(p.Profile()), Group: p.Group().Name(), Hash: p.HashName(),
			I: string(v.Identity), PHex: hx(v.Passcode), S: hx(v.Salt), A1: hx(v.A1), B1: hx(v.B1),
			K: hx(v.K), X: hx(v.X), V: hx(p.Pad(v.V)), A: hx(p.Pad(v.A)), B: hx(p.Pad(v.B)),
			U: hx(v.U), Spre: hx(p.Pad(v.S)), M1: hx(v.M1), M2: hx(v.M2), Key: hx(v.SessionKey),
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
