package invariant

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

const base = "http://127.0.0.1:1/api/identity-store/tenants/acme/stores/default"

func random(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	b[0] |= 0x80
	return b
}

// exchange builds a recorded exchange; ct "" sends no Content-Type.
func exchange(method, path string, req string, status int, ct, body string) *api.Exchange {
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	var rb []byte
	if req != "" {
		rb = []byte(req)
	}
	return &api.Exchange{Method: method, Path: path, URL: base + path, Host: "127.0.0.1:1",
		RequestHeader: http.Header{"Content-Type": {"application/json"}}, RequestBody: rb,
		Status: status, ResponseHeader: h, ResponseBody: []byte(body)}
}

func renewalStart(salt, b string, mutate func(string) string) string {
	n := srp.EncodeInt(srp.DefaultParams().Group().N().Bytes())
	s := fmt.Sprintf(`{"passcodeRequirements":{"minimumLength":8,"passcodeHistory":3,"requiredRegExes":[]},`+
		`"algorithmInfo":{"type":"SRP","parameters":{"i":"UGIRW7QN727EIV2XLXG4YH42N4","n":%q,"g":2,`+
		`"hashAlgorithm":"SHA-256","salt":%q,"serverPublicKey":%q}},"sessionId":"GZZ4UGIRW7QN727EIV2XLXG4YH"}`, n, salt, b)
	if mutate != nil {
		s = mutate(s)
	}
	return s
}

const userJSON = `{"id":"ATQJW5SVX5NE45TIQPJKOXFCFU","externalId":"alice","status":"ACTIVE","dateCreated":"2026-12-02T08:00:00.000Z"}`

func ids(bs []Breach) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

// sharedSchema is built once: parsing the document is the slow part of New, and a
// Checker's own state is its secret register.
var sharedSchema = sync.OnceValues(func() (*schemaValidator, error) {
	return newSchemaValidator(api.OpenAPIDocument(), "")
})

func newChecker(tb testing.TB) *Checker {
	tb.Helper()
	sv, err := sharedSchema()
	if err != nil {
		tb.Fatal(err)
	}
	c := &Checker{schema: sv, secrets: NewSecrets()}
	c.Secrets().SetModulus(srp.DefaultParams().Group().N())
	return c
}

// TestCheck feeds the checker answers a correct server gives and answers a broken
// one gives, each breaking the invariants named.
func TestCheck(t *testing.T) {
	salt := srp.EncodeSalt(random(t, 32))
	b := srp.EncodeInt(random(t, 256))
	start := "/users/ATQJW5SVX5NE45TIQPJKOXFCFU/passcodes/renewals/standard"
	complete := "/passcodes/renewals/sessions/GZZ4UGIRW7QN727EIV2XLXG4YH"
	m2 := base64.StdEncoding.EncodeToString(random(t, 32))
	okComplete := fmt.Sprintf(`{"algorithmInfo":{"type":"SRP","parameters":{"hashAlgorithm":"SHA-256","m2":%q}},"user":%s}`, m2, userJSON)
	errBody := `{"code":"INVALID_PROOF","message":"the proof does not match","processingDetails":[]}`
	tests := []struct {
		name string
		ex   *api.Exchange
		want []string
	}{
		{"renewal start", exchange("POST", start, "{}", 200, "application/json; charset=utf-8", renewalStart(salt, b, nil)), nil},
		{"renewal completion", exchange("POST", complete, `{}`, 200, "application/json", okComplete), nil},
		{"error", exchange("POST", complete, `{}`, 400, "application/json", errBody), nil},
		{"unknown route, error body", exchange("GET", "/nothing/here", "", 404, "application/json",
			`{"code":"NOT_FOUND","message":"no such route","processingDetails":[]}`), nil},
		{"g as a string", exchange("POST", start, "{}", 200, "application/json",
			renewalStart(salt, b, func(s string) string { return strings.Replace(s, `"g":2`, `"g":"2"`, 1) })), []string{Schema}},
		{"no serverPublicKey in a renewal start", exchange("POST", start, "{}", 200, "application/json",
			renewalStart(salt, b, func(s string) string { return strings.Replace(s, `,"serverPublicKey":"`+b+`"`, "", 1) })), []string{Schema}},
		{"hashAlgorithm outside the enum", exchange("POST", start, "{}", 200, "application/json",
			renewalStart(salt, b, func(s string) string { return strings.Replace(s, `SHA-256`, `sha256`, 1) })), []string{Schema}},
		{"a user with one member too many", exchange("POST", complete, `{}`, 200, "application/json",
			strings.Replace(okComplete, `"status":"ACTIVE"`, `"status":"ACTIVE","credential":"x"`, 1)), []string{Schema}},
		{"a status outside the enum", exchange("POST", complete, `{}`, 200, "application/json",
			strings.Replace(okComplete, `"status":"ACTIVE"`, `"status":"active"`, 1)), []string{Schema}},
		{"a completion without m2", exchange("POST", complete, `{}`, 200, "application/json",
			strings.Replace(okComplete, `,"m2":"`+m2+`"`, "", 1)), []string{Schema}},
		{"500", exchange("POST", complete, `{}`, 500, "application/json",
			`{"code":"INTERNAL_ERROR","message":"internal error","processingDetails":[]}`), []string{NoServerError, Schema}},
		{"plain-text 400", exchange("POST", complete, `{}`, 400, "text/plain; charset=utf-8", "400 Bad Request"),
			[]string{JSONAnswer, ErrorBody, Schema}},
		{"a 2xx without Content-Type", exchange("POST", complete, `{}`, 200, "", okComplete), []string{JSONAnswer, Schema}},
		{"an error body without processingDetails", exchange("POST", complete, `{}`, 400, "application/json",
			`{"code":"INVALID_PROOF","message":"no"}`), []string{ErrorBody, Schema}},
		{"an undocumented status", exchange("POST", complete, `{}`, 418, "application/json", errBody), []string{Schema}},
		{"unknown route, empty 404", exchange("GET", "/nothing/here", "", 404, "", ""), []string{ErrorBody}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(newChecker(t).Check(tc.ex))
			if !slices.Equal(got, tc.want) {
				t.Errorf("breaches %v, want %v", got, tc.want)
				for _, b := range newChecker(t).Check(tc.ex) {
					t.Logf("%s: %s", b.ID, b.Problem)
				}
			}
		})
	}
}

// TestVerifierLeak sends a verifier and finds it again in every encoding a server
// could leak it in.
func TestVerifierLeak(t *testing.T) {
	v := random(t, 256)
	send := exchange("POST", "/passcodes/registrations/sessions/S", fmt.Sprintf(`{"srpRegistrationData":{"verifier":%q}}`, srp.EncodeInt(v)),
		200, "application/json", `{"user":`+userJSON+`}`)
	padded := append([]byte{0, 0}, v...)
	encodings := map[string]string{
		"base64":           base64.StdEncoding.EncodeToString(v),
		"base64, unpadded": base64.RawStdEncoding.EncodeToString(v),
		"base64url":        base64.RawURLEncoding.EncodeToString(v),
		"base64, zeros":    base64.StdEncoding.EncodeToString(padded),
		"hex":              hex.EncodeToString(v),
		"HEX":              strings.ToUpper(hex.EncodeToString(v)),
		"decimal":          new(big.Int).SetBytes(v).String(),
		// Glued to a name, as log-minded code writes them.
		"base64 after =":  "verifier=" + base64.StdEncoding.EncodeToString(v),
		"hex after 0x":    "0x" + hex.EncodeToString(v),
		"hex after -":     "v-" + hex.EncodeToString(v),
		"decimal after _": "id_" + new(big.Int).SetBytes(v).String(),
	}
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			c := newChecker(t)
			if got := ids(c.Check(send)); got != nil {
				t.Fatalf("the registration itself broke %v", got)
			}
			leak := exchange("POST", "/passcodes/renewals/sessions/T", `{}`, 400, "application/json",
				fmt.Sprintf(`{"code":"INVALID_PROOF","message":"expected verifier %s","processingDetails":[]}`, enc))
			if got := ids(c.Check(leak)); !slices.Contains(got, NoSecret) {
				t.Errorf("breaches %v, want %s", got, NoSecret)
			}
		})
	}
	t.Run("N is no secret", func(t *testing.T) {
		c := newChecker(t)
		n := srp.DefaultParams().Group().N().Bytes()
		c.Check(exchange("POST", "/passcodes/registrations/sessions/S",
			fmt.Sprintf(`{"srpRegistrationData":{"verifier":%q}}`, srp.EncodeInt(n)), 400, "application/json",
			`{"code":"INVALID_VERIFIER","message":"no","processingDetails":[]}`))
		salt := srp.EncodeSalt(random(t, 32))
		start := exchange("POST", "/users/ATQJW5SVX5NE45TIQPJKOXFCFU/passcodes/renewals/standard", "{}", 200,
			"application/json", renewalStart(salt, srp.EncodeInt(random(t, 256)), nil))
		if got := ids(c.Check(start)); got != nil {
			t.Errorf("a start answer carrying n broke %v", got)
		}
	})
}

// TestSaltOfAnotherUser learns one user's salt from a start answer, then finds it
// in the start answer for another user.
func TestSaltOfAnotherUser(t *testing.T) {
	salt := srp.EncodeSalt(random(t, 32))
	c := newChecker(t)
	alice := exchange("POST", "/users/ATQJW5SVX5NE45TIQPJKOXFCFU/passcodes/renewals/standard", "{}", 200,
		"application/json", renewalStart(salt, srp.EncodeInt(random(t, 256)), nil))
	if got := ids(c.Check(alice)); got != nil {
		t.Fatalf("alice's own start broke %v", got)
	}
	if got := ids(c.Check(alice)); got != nil {
		t.Fatalf("alice's second start broke %v", got)
	}
	// Alice by external id is alice: a user object taught the checker the pair.
	c.Check(exchange("GET", "/users/ATQJW5SVX5NE45TIQPJKOXFCFU", "", 200, "application/json", userJSON))
	byExt := exchange("POST", "/users/alice/passcodes/renewals/standard/ext", "{}", 200,
		"application/json", renewalStart(salt, srp.EncodeInt(random(t, 256)), nil))
	if got := ids(c.Check(byExt)); got != nil {
		t.Fatalf("alice's start by external id broke %v", got)
	}
	bob := exchange("POST", "/users/F6CENLQJYNPRF5KXOFSLZY4KDQ/passcodes/renewals/standard", "{}", 200,
		"application/json", renewalStart(salt, srp.EncodeInt(random(t, 256)), nil))
	bs := c.Check(bob)
	if got := ids(bs); !slices.Equal(got, []string{NoSecret}) {
		t.Fatalf("bob's start with alice's salt broke %v, want %s", got, NoSecret)
	}
	if !strings.Contains(bs[0].Problem, "ATQJW5SVX5NE45TIQPJKOXFCFU") {
		t.Errorf("the problem does not name alice: %s", bs[0].Problem)
	}
}

// TestPrefix maps a target's own prefix onto the document's.
func TestPrefix(t *testing.T) {
	c, err := New(Options{Prefix: "/idp/v1"})
	if err != nil {
		t.Fatal(err)
	}
	ex := exchange("POST", "/x", `{}`, 200, "application/json", `{"user":{"id":1}}`)
	ex.URL = "http://127.0.0.1:1/idp/v1/tenants/acme/stores/default/passcodes/registrations/sessions/S"
	if got := ids(c.Check(ex)); !slices.Equal(got, []string{Schema}) {
		t.Errorf("breaches %v, want %s: the path was not mapped onto the document", got, Schema)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(userJSON), 200)
	f.Add([]byte(`{"code":"X","message":"","processingDetails":[{}]}`), 400)
	f.Add(bytes.Repeat([]byte("A"), 400), 500)
	c := newChecker(f)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 100 || status > 599 {
			return
		}
		for _, b := range c.Check(exchange("POST", "/passcodes/renewals/sessions/S", `{}`, status, "application/json", string(body))) {
			if b.Problem == "" || b.Exchange == nil {
				t.Fatalf("breach %s without problem or evidence", b.ID)
			}
		}
	})
}
