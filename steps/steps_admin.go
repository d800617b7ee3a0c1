package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
	"go.yaml.in/yaml/v3"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/sut"
)

// adminSteps are the steps of the admin API, the operational endpoints, tenant
// isolation and the provoked error answers.
func adminSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client creates a user with a fresh external id$`), func(ctx context.Context) error {
		s := sc(ctx)
		s.user = &user{ext: freshExternalID(), tenant: s.tenant, store: s.store}
		_, err := s.send(ctx, http.MethodPost, s.paths().Users(s.store), mustJSON(api.CreateUserRequest{ExternalID: s.user.ext}))
		return err
	})
	c.Step(stepRE(`^the client creates a user with the same external id$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Users(s.store), mustJSON(api.CreateUserRequest{ExternalID: u.ext}))
		return err
	})
	c.Step(stepRE(`^the answer is a user object with a 26-character id, the external id, status ACTIVE and a creation date$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, ex, err := s.answerUser()
		if err != nil {
			return err
		}
		if !api.ValidID(u.ID) || u.ExternalID != s.user.ext || u.Status != api.StatusActive || u.DateCreated.IsZero() {
			return s.fail(ex, "the user object is {id %q, externalId %q, status %q, dateCreated %v}, want a 26-character id, externalId %q, ACTIVE and a date",
				u.ID, u.ExternalID, u.Status, u.DateCreated, s.user.ext)
		}
		return nil
	})
	c.Step(stepRE(`^the client reads the user by (user id|external id)$`), func(ctx context.Context, form string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		_, err = s.send(ctx, http.MethodGet, s.paths().User(s.store, u.ref(form)), nil)
		return err
	})
	c.Step(stepRE(`^the answer is the user's object$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, ex, err := s.answerUser()
		if err != nil {
			return err
		}
		if u.ID != s.user.id || u.ExternalID != s.user.ext || !u.Status.Valid() || u.DateCreated.IsZero() {
			return s.fail(ex, "the user object is {id %q, externalId %q, status %q}, want {id %q, externalId %q} with a status and a date",
				u.ID, u.ExternalID, u.Status, s.user.id, s.user.ext)
		}
		return nil
	})
	c.Step(stepRE(`^the client reads that policy$`), func(ctx context.Context) error {
		s := sc(ctx)
		_, err := s.send(ctx, http.MethodGet, s.paths().Policy(s.store, s.policy), nil)
		return err
	})
	c.Step(stepRE(`^the answer is that policy with the requirements (\{.*\})$`), func(ctx context.Context, raw string) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		want, err := parseRequirements(raw)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		var p api.Policy
		if err := json.Unmarshal(ex.ResponseBody, &p); err != nil {
			return s.fail(ex, "the answer is not a policy: %v", err)
		}
		if p.Name != s.policy || !passcode.Equal(p.Requirements, want) {
			return s.fail(ex, "the policy read back is not the one created (name %q, requirements %s)", s.policy, raw)
		}
		return nil
	})
	c.Step(stepRE(`^the client updates that policy to the requirements (\{.*\})$`), func(ctx context.Context, raw string) error {
		s := sc(ctx)
		req, err := parseRequirements(raw)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		ex, err := s.send(ctx, http.MethodPost, s.paths().Policy(s.store, s.policy), mustJSON(api.PolicyRequest{Name: s.policy, Requirements: req}))
		if err != nil {
			return err
		}
		if ex.Status/100 != 2 {
			return s.fail(ex, "updating the policy answered %d, want 2xx", ex.Status)
		}
		return nil
	})
	c.Step(stepRE(`^the client deletes that policy$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.send(ctx, http.MethodDelete, s.paths().Policy(s.store, s.policy), nil)
		if err != nil {
			return err
		}
		if ex.Status/100 != 2 {
			return s.fail(ex, "deleting the policy answered %d, want 2xx", ex.Status)
		}
		return nil
	})
	c.Step(stepRE(`^the client deletes the user's credential$`), func(ctx context.Context) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		if u.cred == nil {
			return s.fail(nil, "the harness does not know the user's credential")
		}
		s.deleted = u.cred
		ex, err := s.send(ctx, http.MethodDelete, s.paths().Credential(s.store, u.id), nil)
		if err != nil {
			return err
		}
		if ex.Status/100 != 2 {
			return s.fail(ex, "deleting the credential answered %d, want 2xx", ex.Status)
		}
		u.pass, u.old, u.cred = "", nil, nil
		return nil
	})
	c.Step(stepRE(`^the client sends (an admin user read|an admin credential deletion) for the user by user id$`), func(ctx context.Context, request string) error {
		s := sc(ctx)
		u, err := s.needUser()
		if err != nil {
			return err
		}
		method, path := http.MethodGet, s.paths().User(s.store, api.ByID(u.id))
		if request == "an admin credential deletion" {
			method, path = http.MethodDelete, s.paths().Credential(s.store, u.id)
		}
		_, err = s.send(ctx, method, path, nil)
		return err
	})
	c.Step(stepRE(`^the identity i and the salt differ from those of the deleted credential$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.needSession()
		if err != nil {
			return err
		}
		sp, err := s.usable(sess)
		if err != nil {
			return err
		}
		if s.deleted == nil {
			return s.fail(nil, "no credential was deleted")
		}
		if sess.start.AlgorithmInfo.Parameters.I == s.deleted.identity || bytes.Equal(sp.Salt, s.deleted.salt) {
			return s.fail(sess.startEx, "the new registration reuses the deleted credential's i or salt: a new credential gets a new i and salt")
		}
		return nil
	})
	c.Step(stepRE(`^the client renews the passcode of the user of this tenant$`), func(ctx context.Context) error {
		s := sc(ctx)
		sess, err := s.startSession(ctx, api.FlowRenewal, formExternal, s.defaultPolicy(), emptyObject())
		if err != nil {
			return err
		}
		if sess.startEx.Status != http.StatusOK {
			return nil // the answer step reports it
		}
		_, err = s.complete(ctx, sess, completion{})
		return err
	})
	c.Step(stepRE(`^the client provokes a (400|401|403|404|413|renewal start|renewal success) answer$`), func(ctx context.Context, kind string) error {
		return sc(ctx).provoke(ctx, kind)
	})
	c.Step(stepRE(`^the client gets (/[a-z./-]+)$`), func(ctx context.Context, path string) error {
		s := sc(ctx)
		cl, err := s.w.tgt.NewClient("", s.w.hc)
		if err != nil {
			return s.fail(nil, "%v", err)
		}
		ex, err := cl.Do(ctx, http.MethodGet, path, nil, nil)
		if ex != nil {
			s.last = ex
		}
		if err != nil {
			return s.fail(ex, "no answer from the server: %v", err)
		}
		return nil
	})
	c.Step(stepRE(`^the answer is Prometheus text with a request counter and a latency histogram$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		mt, _, _ := mime.ParseMediaType(ex.ResponseHeader.Get("Content-Type"))
		if mt != "text/plain" && mt != "application/openmetrics-text" {
			return s.fail(ex, "Content-Type is %q, want the Prometheus text format", ex.ResponseHeader.Get("Content-Type"))
		}
		body := string(ex.ResponseBody)
		counter := regexp.MustCompile(`(?m)^# TYPE \S+ counter$`)
		histogram := regexp.MustCompile(`(?m)^# TYPE \S+ histogram$`)
		if !counter.MatchString(body) || !histogram.MatchString(body) || !strings.Contains(body, "_bucket{") {
			return s.fail(ex, "the metrics have no counter or no histogram with buckets")
		}
		return nil
	})
	c.Step(stepRE(`^the answer is an OpenAPI 3.1 document with every passcode endpoint of section 4$`), func(ctx context.Context) error {
		s := sc(ctx)
		ex, err := s.needAnswer()
		if err != nil {
			return err
		}
		var doc struct {
			OpenAPI string         `yaml:"openapi"`
			Paths   map[string]any `yaml:"paths"`
		}
		if err := yaml.Unmarshal(ex.ResponseBody, &doc); err != nil {
			return s.fail(ex, "the document is not YAML: %v", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1") {
			return s.fail(ex, "openapi is %q, want 3.1.x", doc.OpenAPI)
		}
		var missing []string
		for _, want := range passcodeRoutes() {
			found := false
			for p := range doc.Paths {
				if strings.HasSuffix(normalizeRoute(p), want) {
					found = true
					break
				}
			}
			if !found {
				missing = append(missing, want)
			}
		}
		if len(missing) > 0 {
			return s.fail(ex, "the document does not describe %s", strings.Join(missing, ", "))
		}
		return nil
	})
}

// provoke sends a request that gets the named kind of answer from a conforming
// server, for the checks of every answer's form (ERR).
func (s *scenario) provoke(ctx context.Context, kind string) error {
	u, err := s.needUser()
	if err != nil {
		return err
	}
	pol := s.defaultPolicy()
	start := s.paths().Start(api.FlowRenewal, s.store, api.ByID(u.id), pol)
	switch kind {
	case "renewal start":
		_, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		return err
	case "renewal success":
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		if err != nil {
			return err
		}
		_, err = s.complete(ctx, sess, completion{})
		return err
	case "400":
		sess, err := s.startSession(ctx, api.FlowRenewal, formID, pol, emptyObject())
		if err != nil {
			return err
		}
		if sess.id == "" {
			return s.fail(sess.startEx, "the renewal start answered %d, want 200", sess.startEx.Status)
		}
		_, err = s.send(ctx, http.MethodPost, s.paths().Complete(api.FlowRenewal, s.store, sess.id), []byte(`{"srpRegistrationData":`))
		return err
	case "401":
		empty := ""
		s.auth = &empty
		_, err := s.send(ctx, http.MethodPost, start, emptyObject())
		return err
	case "403":
		switch {
		case s.w.tgt.Has(sut.NoPermissionToken):
			s.role = sut.RoleNone
		case s.w.tgt.Has(sut.OtherTenant):
			s.role = sut.RoleOtherTenant
		default:
			return notApplicable{reason: "the target has neither a no-permission nor an other-tenant token"}
		}
		_, err := s.send(ctx, http.MethodPost, start, emptyObject())
		return err
	case "404":
		_, err := s.send(ctx, http.MethodPost, s.paths().Start(api.FlowRenewal, s.store, api.ByID(unknownID()), pol), emptyObject())
		return err
	case "413":
		_, err := s.send(ctx, http.MethodPost, start, oversized(65537))
		return err
	}
	return s.fail(nil, "unknown answer kind %q", kind)
}

// oversized returns a well-formed JSON object of n bytes (a body over 64 KiB must
// be refused for its size, not its content).
func oversized(n int) []byte {
	const head, tail = `{"srpRegistrationData":{"verifier":"`, `"}}`
	pad := n - len(head) - len(tail)
	return []byte(head + strings.Repeat("A", max(pad, 0)) + tail)
}

// passcodeRoutes are the nine passcode endpoints of SPEC section 4 with the prefix
// and parameter names left out.
func passcodeRoutes() []string {
	var out []string
	for _, f := range api.Flows() {
		seg := f.Segment()
		out = append(out,
			"/stores/{}/users/{}/passcodes/"+seg+"/{}",
			"/stores/{}/users/{}/passcodes/"+seg+"/{}/ext",
			"/stores/{}/passcodes/"+seg+"/sessions/{}")
	}
	return out
}

// normalizeRoute replaces every {parameter} of an OpenAPI path by {}.
func normalizeRoute(p string) string {
	return regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(p, "{}")
}

// mustJSON encodes a value the harness built itself.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("steps: encoding %T: %v", v, err))
	}
	return b
}
