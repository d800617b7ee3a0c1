package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Exchange is one HTTP request and its response exactly as they crossed the wire
// (bodies byte for byte), for checks that look past the decoded values. It holds
// secrets: print it only through Redacted or String.
type Exchange struct {
	Method string
	// Path is the escaped request path as given to Client.Do.
	Path string
	// URL is the full request URL; empty if it could not be built.
	URL string
	// Host is the Host header sent (the URL's host unless the host form or the
	// caller set another).
	Host          string
	RequestHeader http.Header
	RequestBody   []byte
	// Status is 0 when no response was received.
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
	// Duration runs from sending the request to reading the last body byte.
	Duration time.Duration
}

// RedactionMask replaces secret values in Exchange.Redacted.
const RedactionMask = "[REDACTED]"

// isSecretKey reports whether a JSON member or form field name holds a secret:
// the verifier (a password equivalent for offline guessing), passcodes, OAuth
// secrets and tokens. The public value a and the proof m1 are not secrets in SRP
// theory, but they are hidden too: logs are no place for proof material, and one
// rule is easier to audit than a judgement per field. "b" is listed so that a
// server that leaks its ephemeral secret does not leak it again into our logs.
// Names compare case-insensitively.
func isSecretKey(k string) bool {
	switch strings.ToLower(k) {
	case "verifier", "a", "b", "m1",
		"passcode", "oldpasscode", "newpasscode", "currentpasscode", "password",
		"secret", "client_secret", "access_token", "refresh_token", "id_token", "sessionkey":
		return true
	}
	return false
}

// secretHeaders are the headers whose values are secrets.
func isSecretHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
		return true
	}
	return false
}

// Redacted returns a copy of ex with secret header values and secret body members
// replaced by RedactionMask. JSON bodies are re-encoded (compact, members sorted);
// other bodies are masked textually so that even a malformed body sent by a
// negative test leaks nothing.
func (ex *Exchange) Redacted() *Exchange {
	if ex == nil {
		return nil
	}
	c := *ex
	c.RequestHeader = redactHeader(ex.RequestHeader)
	c.ResponseHeader = redactHeader(ex.ResponseHeader)
	c.RequestBody = redactBody(ex.RequestBody)
	c.ResponseBody = redactBody(ex.ResponseBody)
	return &c
}

// redactHeader masks secret header values, keeping an Authorization scheme
// ("Bearer [REDACTED]") because the scheme is what a failure is usually about.
func redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for k, vs := range out {
		if !isSecretHeader(k) {
			continue
		}
		for i, v := range vs {
			scheme, _, found := strings.Cut(v, " ")
			if found && strings.HasSuffix(k, "Authorization") {
				vs[i] = scheme + " " + RedactionMask
			} else {
				vs[i] = RedactionMask
			}
		}
	}
	return out
}

// redactBody masks secret members of a JSON or form body, or any text that looks
// like one.
func redactBody(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	if json.Valid(b) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			if enc.Encode(redactValue(v)) == nil {
				return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
			}
		}
	}
	return redactText(b)
}

// redactValue walks a decoded JSON value and masks the values of secret members.
func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if isSecretKey(k) {
				t[k] = RedactionMask
			} else {
				t[k] = redactValue(e)
			}
		}
	case []any:
		for i, e := range t {
			t[i] = redactValue(e)
		}
	}
	return v
}

const secretNames = `verifier|a|b|m1|passcode|oldpasscode|newpasscode|currentpasscode|password|secret|client_secret|access_token|refresh_token|id_token|sessionkey`

// redactText masks "key": value pairs in broken JSON and key=value pairs in form
// text. If the result still parses as a form with an unmasked secret field (for
// example a percent-encoded name), every field value is masked.
func redactText(b []byte) []byte {
	jsonish := regexp.MustCompile(`(?i)("(?:` + secretNames + `)"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]+)`)
	formish := regexp.MustCompile(`(?i)((?:^|&)(?:` + secretNames + `)=)[^&]*`)
	out := jsonish.ReplaceAll(b, []byte(`${1}"`+RedactionMask+`"`))
	out = formish.ReplaceAll(out, []byte("${1}"+RedactionMask))
	q, err := url.ParseQuery(string(out))
	if err != nil {
		return out
	}
	for k, vs := range q {
		if isSecretKey(k) && slices.ContainsFunc(vs, func(v string) bool { return v != RedactionMask }) {
			keys := slices.Sorted(maps.Keys(q))
			for i, k := range keys {
				keys[i] = url.QueryEscape(k) + "=" + RedactionMask
			}
			return []byte(strings.Join(keys, "&"))
		}
	}
	return out
}

// maxShownBody is how much of a body String prints.
const maxShownBody = 2048

// String renders the redacted exchange for failure messages:
//
//	POST http://h/p (Host: acme.example.test) -> 400 in 1.2ms
//	> Authorization: Bearer [REDACTED]
//	> {"srpVerificationData":{"a":"[REDACTED]","m1":"[REDACTED]"}}
//	< Content-Type: application/json
//	< {"code":"INVALID_PROOF",...}
func (ex *Exchange) String() string {
	if ex == nil {
		return "<no exchange>"
	}
	r := ex.Redacted()
	var b strings.Builder
	target := r.URL
	if target == "" {
		target = r.Path
	}
	fmt.Fprintf(&b, "%s %s", r.Method, target)
	if r.Host != "" {
		fmt.Fprintf(&b, " (Host: %s)", r.Host)
	}
	if r.Status == 0 {
		fmt.Fprintf(&b, " -> no response after %s", r.Duration)
	} else {
		fmt.Fprintf(&b, " -> %d in %s", r.Status, r.Duration)
	}
	writeHeader(&b, "> ", r.RequestHeader)
	writeBody(&b, "> ", r.RequestBody)
	writeHeader(&b, "< ", r.ResponseHeader)
	writeBody(&b, "< ", r.ResponseBody)
	return b.String()
}

func writeHeader(b *strings.Builder, mark string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "\n%s%s: %s", mark, k, v)
		}
	}
}

func writeBody(b *strings.Builder, mark string, body []byte) {
	if len(body) == 0 {
		return
	}
	shown := body
	if len(shown) > maxShownBody {
		shown = shown[:maxShownBody]
	}
	fmt.Fprintf(b, "\n%s%s", mark, shown)
	if len(body) > len(shown) {
		fmt.Fprintf(b, "... (%d more bytes)", len(body)-len(shown))
	}
}
