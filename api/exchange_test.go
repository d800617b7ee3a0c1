package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Secret values planted in exchanges; none may appear in redacted output.
const (
	sVerifier = "VERIFIERc2VjcmV0"
	sA        = "APUBLICc2VjcmV0"
	sM1       = "PROOFM1c2VjcmV0"
	sPasscode = "Hunter2!pass"
	sClient   = "clientSECRET42"
	sToken    = "eyJhbGciOiJFUzI1NiJ9.TOKEN.sig"
	sCookie   = "session=COOKIEVALUE"
)

func TestRedaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ex      Exchange
		secrets []string
		keep    []string // non-secret text that must survive
	}{
		{"renewal completion", Exchange{
			Method:        "POST",
			Path:          "/p",
			RequestHeader: http.Header{"Authorization": {"Bearer " + sToken}, "Content-Type": {"application/json"}},
			RequestBody:   []byte(`{"srpRegistrationData":{"verifier":"` + sVerifier + `"},"srpVerificationData":{"a":"` + sA + `","m1":"` + sM1 + `"}}`),
			Status:        200,
			ResponseBody:  []byte(`{"algorithmInfo":{"type":"SRP","parameters":{"hashAlgorithm":"SHA-256","m2":"M2VALUE"}},"user":{"id":"U1"}}`),
		}, []string{sToken, sVerifier, sA, sM1}, []string{"Bearer", "srpVerificationData", "M2VALUE", "SHA-256", "U1", "application/json"}},
		{"start response keeps public parameters", Exchange{
			Method:       "POST",
			Status:       200,
			ResponseBody: []byte(`{"algorithmInfo":{"type":"SRP","parameters":{"i":"IDENT","n":"NNNN","g":2,"salt":"SALTY","serverPublicKey":"BBBB"}},"sessionId":"SESS"}`),
		}, nil, []string{"IDENT", "NNNN", "SALTY", "BBBB", "SESS", `"g":2`}},
		{"token form and response", Exchange{
			Method:         "POST",
			RequestHeader:  http.Header{"Authorization": {"Basic " + sClient}, "Cookie": {sCookie}},
			RequestBody:    []byte("grant_type=client_credentials&client_id=suite&client_secret=" + sClient),
			Status:         200,
			ResponseHeader: http.Header{"Set-Cookie": {sCookie}},
			ResponseBody:   []byte(`{"access_token":"` + sToken + `","token_type":"Bearer","expires_in":300}`),
		}, []string{sClient, sToken, "COOKIEVALUE"}, []string{"Basic", "client_credentials", "suite", "expires_in"}},
		{"malformed json from a negative test", Exchange{
			Method:      "POST",
			RequestBody: []byte(`{"srpVerificationData":{"a":"` + sA + `", "M1" : "` + sM1 + `\"x", "verifier": ` + sVerifier),
		}, []string{sA, sM1, sVerifier}, []string{"srpVerificationData"}},
		{"non-string secret values", Exchange{
			Method:      "POST",
			RequestBody: []byte(`{"verifier":{"x":"` + sVerifier + `"},"a":["` + sA + `"],"m1":12345678901234}`),
		}, []string{sVerifier, sA, "12345678901234"}, nil},
		{"unicode-escaped member name", Exchange{
			Method:      "POST",
			RequestBody: []byte(`{"\u0076erifier":"` + sVerifier + `"}`),
		}, []string{sVerifier}, nil},
		{"passcodes in a browser-style body", Exchange{
			Method:      "POST",
			RequestBody: []byte(`{"oldPasscode":"` + sPasscode + `","newPasscode":"` + sPasscode + `x","passcodeRequirements":{"passcodeHistory":3}}`),
		}, []string{sPasscode}, []string{"passcodeHistory", "3"}},
		{"percent-encoded form name", Exchange{
			Method:      "POST",
			RequestBody: []byte("client%5Fsecret=" + sClient + "&grant_type=client_credentials"),
		}, []string{sClient}, nil},
		{"secrets nested in arrays", Exchange{
			Method:       "POST",
			Status:       400,
			ResponseBody: []byte(`[{"b":"SERVERSECRETB"},{"deep":{"password":"` + sPasscode + `"}}]`),
		}, []string{"SERVERSECRETB", sPasscode}, []string{"deep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			orig := tt.ex
			origReq := bytes.Clone(tt.ex.RequestBody)
			r := tt.ex.Redacted()
			s := tt.ex.String()
			dump := s + "\n" + string(r.RequestBody) + "\n" + string(r.ResponseBody)
			for _, h := range []http.Header{r.RequestHeader, r.ResponseHeader} {
				for k, vs := range h {
					dump += "\n" + k + ": " + strings.Join(vs, ",")
				}
			}
			for _, secret := range tt.secrets {
				if strings.Contains(dump, secret) {
					t.Errorf("redacted output leaks %q:\n%s", secret, dump)
				}
			}
			for _, k := range tt.keep {
				if !strings.Contains(s, k) {
					t.Errorf("String() lost non-secret %q:\n%s", k, s)
				}
			}
			if len(tt.secrets) > 0 && !strings.Contains(s, RedactionMask) {
				t.Errorf("String() shows no mask:\n%s", s)
			}
			// Redaction works on a copy: the original keeps the wire bytes.
			if !bytes.Equal(tt.ex.RequestBody, origReq) || tt.ex.Method != orig.Method {
				t.Errorf("Redacted modified the original")
			}
			for k, vs := range orig.RequestHeader {
				if got := tt.ex.RequestHeader[k]; strings.Join(got, ",") != strings.Join(vs, ",") {
					t.Errorf("Redacted modified original header %s", k)
				}
			}
		})
	}
}

func TestRedactedJSONStaysJSON(t *testing.T) {
	t.Parallel()
	ex := &Exchange{RequestBody: []byte(`{"srpVerificationData":{"a":"x","m1":"y"},"note":"<&>"}`)}
	r := ex.Redacted()
	var v map[string]any
	if err := json.Unmarshal(r.RequestBody, &v); err != nil {
		t.Fatalf("redacted JSON body is not JSON: %s", r.RequestBody)
	}
	want := `{"note":"<&>","srpVerificationData":{"a":"[REDACTED]","m1":"[REDACTED]"}}`
	if string(r.RequestBody) != want {
		t.Errorf("got  %s\nwant %s", r.RequestBody, want)
	}
}

func TestExchangeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ex   *Exchange
		want string
	}{
		{"nil", nil, "<no exchange>"},
		{"no response", &Exchange{Method: "GET", URL: "http://h/healthz", Host: "h"}, "GET http://h/healthz (Host: h) -> no response after 0s"},
		{"full", &Exchange{
			Method: "POST", URL: "http://h/p", Host: "acme.example.test",
			RequestHeader: http.Header{"B": {"2"}, "A": {"1"}}, RequestBody: []byte(`{}`),
			Status: 404, ResponseBody: []byte(`{"code":"SESSION_NOT_FOUND"}`),
		}, "POST http://h/p (Host: acme.example.test) -> 404 in 0s\n> A: 1\n> B: 2\n> {}\n< {\"code\":\"SESSION_NOT_FOUND\"}"},
		{"long body is cut", &Exchange{Method: "GET", Path: "/x", Status: 200, ResponseBody: []byte(strings.Repeat("z", maxShownBody+10))},
			"GET /x -> 200 in 0s\n< " + strings.Repeat("z", maxShownBody) + "... (10 more bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.ex.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// FuzzRedact plants a secret under every secret name in JSON and form bodies, well
// formed and cut short, and requires that it never survives redaction.
func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t-value", 0)
	f.Add(`with "quotes" and \ backslash`, 7)
	f.Add("ünïcödé ✓", 3)
	f.Add("a&b=c", 1)
	f.Fuzz(func(t *testing.T, secret string, cut int) {
		if len(secret) < 6 || strings.ContainsAny(secret, "%+") {
			// Short secrets collide with ordinary text; % and + change meaning in forms.
			t.Skip()
		}
		names := []string{"verifier", "a", "m1", "passcode", "client_secret", "access_token"}
		for _, name := range names {
			jb, _ := json.Marshal(map[string]string{name: secret, "sessionId": "S"})
			fb := []byte("x=1&" + name + "=" + strings.ReplaceAll(secret, "&", "%26"))
			for _, body := range [][]byte{jb, fb} {
				bodies := [][]byte{body}
				if c := len(body) - 1 - (cut & 3); c > 0 {
					bodies = append(bodies, body[:c]) // broken JSON or form
				}
				for _, b := range bodies {
					out := redactBody(b)
					// Check the JSON-escaped and raw forms of the secret.
					esc, _ := json.Marshal(secret)
					inner := string(esc[1 : len(esc)-1])
					if len(inner) >= 6 && bytes.Contains(out, []byte(inner)) && !strings.Contains(RedactionMask, inner) {
						t.Fatalf("secret %q under %q survives in %q -> %q", secret, name, b, out)
					}
				}
			}
		}
	})
}
