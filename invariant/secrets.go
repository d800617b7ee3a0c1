package invariant

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

// minSecretBytes is the shortest value the register keeps as a verifier: verifiers
// of real passcodes are about as long as N, while the out-of-range values the suite
// sends on purpose (0, 1, N-1, N, N+1 and their like) are either short or no secret,
// and a short value would match ordinary numbers in any answer.
const minSecretBytes = 32

// Secrets is the register of what no answer may carry (SPEC.md section 2): every
// verifier the suite sent or derived, and each user's salt, which only that user's
// start answers may carry. It learns verifiers from the requests it sees and salts
// and users from the answers; AddVerifier adds the ones the suite derives without
// sending. It is safe for concurrent use.
type Secrets struct {
	mu        sync.Mutex
	verifiers map[string]struct{} // big-endian bytes, leading zeros stripped
	salts     map[string]string   // salt bytes -> owner key
	alias     map[string]string   // tenant/store/ext:X -> tenant/store/id:Y
	n         []byte              // N, when known: never a secret
}

// NewSecrets returns an empty register.
func NewSecrets() *Secrets {
	return &Secrets{verifiers: map[string]struct{}{}, salts: map[string]string{}, alias: map[string]string{}}
}

// SetModulus tells the register N, so that values equal to it, which start answers
// carry, are never taken for secrets.
func (s *Secrets) SetModulus(n *big.Int) {
	s.mu.Lock()
	s.n = n.Bytes()
	s.mu.Unlock()
}

// AddVerifier registers a verifier (big-endian bytes) that no answer may carry.
func (s *Secrets) AddVerifier(v []byte) {
	v = bytes.TrimLeft(v, "\x00")
	if len(v) < minSecretBytes {
		return
	}
	s.mu.Lock()
	if !bytes.Equal(v, s.n) {
		s.verifiers[string(v)] = struct{}{}
	}
	s.mu.Unlock()
}

// learnRequest registers the verifier a registration or renewal completion sends.
func (s *Secrets) learnRequest(ex *api.Exchange) {
	if len(ex.RequestBody) == 0 || !bytes.Contains(ex.RequestBody, []byte(`"verifier"`)) {
		return
	}
	var body struct {
		Reg struct {
			Verifier string `json:"verifier"`
		} `json:"srpRegistrationData"`
	}
	if json.Unmarshal(ex.RequestBody, &body) != nil || body.Reg.Verifier == "" {
		return
	}
	if v, err := srp.DecodeInt(body.Reg.Verifier); err == nil {
		s.AddVerifier(v)
	}
}

// pathUser is the user a start path names.
type pathUser struct {
	tenant, store string
	key           string // "id:..." or "ext:..."
	start         bool   // the path is a passcode start
}

func (p pathUser) owner() string { return p.tenant + "/" + p.store + "/" + p.key }

// parsePath finds the tenant, store and user of an identity-store path, in either
// path form; ok is false for a path that names no store, and key is "" for one
// that names no user.
func parsePath(ex *api.Exchange) (pathUser, bool) {
	u, err := url.Parse(ex.URL)
	if err != nil {
		return pathUser{}, false
	}
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	var p pathUser
	i := indexOf(segs, "tenants")
	if i >= 0 && i+1 < len(segs) {
		p.tenant = segs[i+1]
	} else if h, _, _ := strings.Cut(ex.Host, "."); h != "" {
		p.tenant = h
	}
	j := indexOf(segs, "stores")
	if j < 0 || j+1 >= len(segs) {
		return pathUser{}, false
	}
	p.store = segs[j+1]
	k := j + 2
	if k+1 >= len(segs) || segs[k] != "users" {
		return p, true
	}
	rest := segs[k+2:]
	p.key = "id:" + segs[k+1]
	if len(rest) > 0 && rest[len(rest)-1] == "ext" {
		p.key = "ext:" + segs[k+1]
	}
	p.start = len(rest) >= 3 && rest[0] == "passcodes"
	return p, true
}

func indexOf(segs []string, s string) int {
	for i, x := range segs {
		if x == s {
			return i
		}
	}
	return -1
}

// answer is an exchange's answer, decoded once for every look the register takes.
type answer struct {
	doc   any // the JSON value, numbers as json.Number; nil when the body is not JSON
	isDoc bool
	path  pathUser
	named bool // the path names a tenant and store
}

func decodeAnswer(ex *api.Exchange) answer {
	a := answer{}
	a.path, a.named = parsePath(ex)
	d := json.NewDecoder(bytes.NewReader(ex.ResponseBody))
	d.UseNumber()
	a.isDoc = d.Decode(&a.doc) == nil
	return a
}

// field returns the string at a path of members of v, or "".
func field(v any, path ...string) string {
	for _, name := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[name]
	}
	str, _ := v.(string)
	return str
}

// learnAnswer learns users (id and external id) from user objects in answers (a
// completion's "user", or an admin answer's bare object), and the salt of each
// start answer's user.
func (s *Secrets) learnAnswer(ex *api.Exchange, a answer) {
	if ex.Status < 200 || ex.Status > 299 || !a.named || !a.isDoc {
		return
	}
	p := a.path
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range []any{a.doc, member(a.doc, "user")} {
		if id, ext := field(u, "id"), field(u, "externalId"); id != "" && ext != "" {
			s.alias[p.tenant+"/"+p.store+"/ext:"+url.PathEscape(ext)] = p.tenant + "/" + p.store + "/id:" + id
		}
	}
	raw := field(a.doc, "algorithmInfo", "parameters", "salt")
	if p.start && p.key != "" && raw != "" {
		if salt, err := srp.DecodeSalt(raw); err == nil {
			if _, taken := s.salts[string(salt)]; !taken {
				s.salts[string(salt)] = p.owner()
			}
		}
	}
}

// member returns the member name of v (an object), or nil.
func member(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// resolve maps an owner named by external id to its user id, when known.
func (s *Secrets) resolve(owner string) string {
	if id, ok := s.alias[owner]; ok {
		return id
	}
	return owner
}

// leak returns "" when ex's answer carries no registered verifier and no salt of a
// user other than the one its path or its user object names, else what it carries.
func (s *Secrets) leak(ex *api.Exchange, a answer) string {
	if len(ex.ResponseBody) == 0 {
		return ""
	}
	p := a.path
	s.mu.Lock()
	defer s.mu.Unlock()
	exOwner := ""
	if a.named && p.key != "" {
		exOwner = s.resolve(p.owner())
	} else if id := field(a.doc, "user", "id"); a.named && id != "" {
		exOwner = p.tenant + "/" + p.store + "/id:" + id
	}
	var problem string
	eachToken(ex.ResponseBody, a, func(tok string) bool {
		for _, cand := range decodings(tok) {
			trimmed := bytes.TrimLeft(cand.b, "\x00")
			if _, ok := s.verifiers[string(trimmed)]; ok {
				problem = fmt.Sprintf("the answer carries a verifier the suite sent or derived, as %s; SPEC.md section 2: no response ever carries a verifier", cand.enc)
				return false
			}
			if owner, ok := s.salts[string(cand.b)]; ok && exOwner != "" && s.resolve(owner) != exOwner {
				problem = fmt.Sprintf("the answer for %s carries the salt of another user (%s), as %s; SPEC.md section 2: nothing of another user's credential leaves the server", exOwner, s.resolve(owner), cand.enc)
				return false
			}
		}
		return true
	})
	return problem
}

// decoding is one reading of a token as bytes.
type decoding struct {
	enc string
	b   []byte
}

// decodings reads tok in every encoding a value could leak in: base64 of either
// alphabet with or without padding, hex, and decimal.
func decodings(tok string) []decoding {
	var out []decoding
	raw := strings.TrimRight(tok, "=")
	if b, err := base64.RawStdEncoding.DecodeString(raw); err == nil {
		out = append(out, decoding{"base64", b})
	}
	if b, err := base64.RawURLEncoding.DecodeString(raw); err == nil {
		out = append(out, decoding{"base64url", b})
	}
	if len(tok)%2 == 0 {
		if b, err := hex.DecodeString(tok); err == nil {
			out = append(out, decoding{"hex", b})
		}
	} else if b, err := hex.DecodeString("0" + tok); err == nil {
		out = append(out, decoding{"hex", b})
	}
	if isDigits(tok) {
		if n, ok := new(big.Int).SetString(tok, 10); ok {
			out = append(out, decoding{"decimal", n.Bytes()})
		}
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// minTokenLen is the shortest token worth decoding: a 16-byte salt is 22 base64
// characters, and anything shorter can hold neither a salt nor a verifier.
const minTokenLen = 22

// eachToken calls fn with every run of base64, hex or decimal characters in the
// answer's JSON strings, numbers and member names (or in the raw body when it is
// not JSON) until fn returns false.
func eachToken(body []byte, a answer, fn func(string) bool) {
	var texts []string
	if a.isDoc {
		collect(a.doc, &texts)
	} else {
		texts = []string{string(body)}
	}
	for _, t := range texts {
		start := -1
		for i := 0; i <= len(t); i++ {
			if i < len(t) && isTokenByte(t[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && i-start >= minTokenLen && !eachPiece(t[start:i], fn) {
				return
			}
			start = -1
		}
	}
}

// eachPiece calls fn with tok and with the values a writer may have glued into it:
// what follows an "=" inside it ("verifier=BASE64"), a hex value after "0x", and
// every run of hex digits or decimal digits ("v-89ab...", "id_1234..."), each once,
// until fn returns false. It says whether fn never did.
func eachPiece(tok string, fn func(string) bool) bool {
	seen := map[string]bool{}
	try := func(p string) bool {
		if len(p) < minTokenLen || seen[p] {
			return true
		}
		seen[p] = true
		return fn(p)
	}
	if !try(tok) {
		return false
	}
	// "name=VALUE==": the pieces between runs of "=" that are not its padding.
	for rest := tok; ; {
		i := strings.IndexByte(rest, '=')
		if i < 0 {
			break
		}
		j := i
		for j < len(rest) && rest[j] == '=' {
			j++
		}
		if j == len(rest) {
			break // trailing padding
		}
		if !try(rest[j:]) || !try(rest[:j]) {
			return false
		}
		rest = rest[j:]
	}
	for _, run := range [](func(byte) bool){isHexByte, isDigitByte} {
		start := -1
		for i := 0; i <= len(tok); i++ {
			if i < len(tok) && run(tok[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				p := tok[start:i]
				if len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X") {
					p = p[2:]
				}
				if !try(p) {
					return false
				}
			}
			start = -1
		}
	}
	return true
}

func isHexByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func isTokenByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == '-' || c == '_'
}

func collect(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case json.Number:
		*out = append(*out, x.String())
	case []any:
		for _, e := range x {
			collect(e, out)
		}
	case map[string]any:
		for k, e := range x {
			*out = append(*out, k)
			collect(e, out)
		}
	}
}
