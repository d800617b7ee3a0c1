package mutant

import (
	"net/http/httptest"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
)

// TestNotShipped checks that no variant can reach a binary: the renewkit command
// does not depend on this package, and the package has no code outside _test.go
// files but its comment.
func TestNotShipped(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH to list dependencies with: %v", err)
	}
	const self = "github.com/seedb14f67b8/renewkit/refserver/mutant"
	out, err := exec.Command(goTool, "list", "-deps", "github.com/seedb14f67b8/renewkit/cmd/renewkit").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !slices.Contains(deps, "github.com/seedb14f67b8/renewkit/refserver") {
		t.Fatalf("go list -deps gave an implausible list: %v", deps)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, self) {
			t.Errorf("cmd/renewkit depends on %s: the broken variants would ship", d)
		}
	}
	files, err := exec.Command(goTool, "list", "-f", "{{.GoFiles}} {{.CgoFiles}} {{.EmbedFiles}}", self).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if got := strings.TrimSpace(string(files)); got != "[doc.go] [] []" {
		t.Errorf("non-test files of %s: %s, want only doc.go", self, got)
	}
}

func TestParseRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, host, path string
		ok                       bool
		want                     route
	}{
		{name: "renewal start by id", path: "/tenants/acme/stores/default/users/U1/passcodes/renewals/standard",
			ok: true, want: route{kind: routeStart, flow: api.FlowRenewal, tenant: "acme", store: "default", user: "U1", policy: "standard"}},
		{name: "registration start by an escaped external id", path: "/tenants/acme/stores/default/users/a%2Fb/passcodes/registrations/pin6/ext",
			ok: true, want: route{kind: routeStart, flow: api.FlowRegistration, tenant: "acme", store: "default", user: "a/b", ext: true, policy: "pin6"}},
		{name: "authentication completion in the host form", host: "Globex.example.test:8080", path: "/stores/default/passcodes/authentications/sessions/S1",
			ok: true, want: route{kind: routeComplete, flow: api.FlowAuthentication, tenant: "globex", store: "default", session: "S1"}},
		{name: "an admin route", path: "/tenants/acme/stores/default/users"},
		{name: "a GET", method: "GET", path: "/tenants/acme/stores/default/passcodes/renewals/sessions/S1"},
		{name: "an unknown flow", path: "/tenants/acme/stores/default/passcodes/resets/sessions/S1"},
		{name: "a start with a segment too many", path: "/tenants/acme/stores/default/users/U1/passcodes/renewals/standard/ext/x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method := tc.method
			if method == "" {
				method = "POST"
			}
			r := httptest.NewRequest(method, "http://h"+api.DefaultPrefix+tc.path, nil)
			if tc.host != "" {
				r.Host = tc.host
			}
			got, ok := parseRoute(r)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			got.segs, got.storeAt, got.flowAt = nil, 0, 0
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("route = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRewritePath(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "http://h"+api.DefaultPrefix+"/tenants/acme/stores/default/users/a%2Fb/passcodes/renewals/standard/ext", nil)
	rt, ok := parseRoute(r)
	if !ok {
		t.Fatal("not a route")
	}
	segs := slices.Clone(rt.segs)
	segs[rt.storeAt], segs[rt.flowAt] = "secondary", api.FlowAuthentication.Segment()
	if err := rewritePath(r, segs); err != nil {
		t.Fatal(err)
	}
	again, ok := parseRoute(r)
	if !ok || again.store != "secondary" || again.flow != api.FlowAuthentication || again.user != "a/b" {
		t.Errorf("after the rewrite: %+v (path %q, raw %q)", again, r.URL.Path, r.URL.RawPath)
	}
}

func TestCanonicalCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"a renewal as encoding/json writes it", `{"srpRegistrationData":{"verifier":"AAE="},"srpVerificationData":{"a":"AAI=","m1":"AAM="}}`, true},
		{"the same with white space", "{ \"srpVerificationData\": {\"a\": \"AAI=\", \"m1\": \"AAM=\"} }\n", true},
		{"members in another order", `{"srpVerificationData":{"a":"AAI=","m1":"AAM="},"srpRegistrationData":{"verifier":"AAE="}}`, false},
		{"a member in another case", `{"srpVerificationData":{"A":"AAI=","m1":"AAM="}}`, false},
		{"an unknown member", `{"srpVerificationData":{"a":"AAI=","m1":"AAM=","x":1}}`, false},
		{"a member twice", `{"srpVerificationData":{"a":"AAI=","a":"AAI=","m1":"AAM="}}`, false},
		{"data after the object", `{"srpVerificationData":{"a":"AAI=","m1":"AAM="}} {}`, false},
		{"not JSON", `{"srpVerificationData":`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, ok := canonicalCompletion([]byte(tc.body)); ok != tc.ok {
				t.Errorf("canonical = %v, want %v", ok, tc.ok)
			}
		})
	}
}

func TestReplaceString(t *testing.T) {
	t.Parallel()
	body := []byte(`{"algorithmInfo":{"parameters":{"hashAlgorithm":"SHA-256","m2":"old+/="},"type":"SRP"},"user":{"id":"U"}}`)
	got, ok := replaceString(body, "m2", "new")
	if !ok || string(got) != `{"algorithmInfo":{"parameters":{"hashAlgorithm":"SHA-256","m2":"new"},"type":"SRP"},"user":{"id":"U"}}` {
		t.Errorf("replaced: %v %s", ok, got)
	}
	if _, ok := replaceString(body, "serverPublicKey", "x"); ok {
		t.Error("replaced a member that is not there")
	}
}

func TestSplitRow(t *testing.T) {
	t.Parallel()
	got := splitRow("| `v` | §6 | k = H(N \\| g) | SRP translator | **AUTH-001**, RNW-001 |  |")
	want := []string{"`v`", "§6", `k = H(N \| g)`, "SRP translator", "**AUTH-001**, RNW-001", ""}
	if !slices.Equal(got, want) {
		t.Errorf("cells = %q, want %q", got, want)
	}
}

// TestVariantsAreDistinct keeps the list honest: every variant has a unique name,
// exactly one layer, a description, a SPEC section and at least one catcher.
func TestVariantsAreDistinct(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, v := range variants() {
		layers := 0
		for _, set := range []bool{v.http != nil, v.store != (storeFaults{}), v.srp != (srpFaults{})} {
			if set {
				layers++
			}
		}
		if seen[v.name] || layers != 1 || v.wrong == "" || v.section == "" || len(v.catchers) == 0 || v.control {
			t.Errorf("variant %+v: want a unique name, one layer, a description, a section and catchers", v.name)
		}
		seen[v.name] = true
	}
	if len(seen) < 15 {
		t.Errorf("%d variants, want at least 15 (issue 6)", len(seen))
	}
}
