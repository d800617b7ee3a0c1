package conform_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/conform"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/steps"
	"github.com/seedb14f67b8/renewkit/sut"
	"github.com/seedb14f67b8/renewkit/sut/provider"
)

// serveLiar runs the reference server behind a middleware that turns every
// 400 INVALID_PROOF into a 200 with a made-up m2: a server that answers the guide's
// happy path but accepts wrong passcodes (SPEC section 6: "MUST NOT return M2 ...
// unless M1 is correct"). It returns the server's URL.
func serveLiar(tb testing.TB) string {
	tb.Helper()
	srv, err := refserver.New(context.Background(), refserver.Config{StoreDSN: "memory:"})
	if err != nil {
		tb.Fatal(err)
	}
	inner := srv.Handler()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		if rec.Code == http.StatusBadRequest && api.ErrorCode(decodeErr(rec.Body.Bytes())) == api.CodeInvalidProof {
			m2 := make([]byte, 32)
			_, _ = rand.Read(m2)
			body, _ := json.Marshal(api.CompleteResponse{
				AlgorithmInfo: &api.AlgorithmInfo{Type: api.AlgorithmSRP, Parameters: api.SRPParameters{
					HashAlgorithm: api.HashSHA256, M2: base64.StdEncoding.EncodeToString(m2)}},
				User: api.User{ID: "UGIRW7QN727EIV2XLXG4YH42N4", ExternalID: "x", Status: api.StatusActive},
			})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	tb.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	return hs.URL
}

func decodeErr(b []byte) error {
	e, err := api.DecodeError(b)
	if err != nil {
		return err
	}
	return e
}

// TestSuiteFailsAgainstALiar is the suite's own evidence: against a server that
// gets one MUST wrong, the run fails, names the checks that catch it with their
// evidence, and still passes the happy path.
func TestSuiteFailsAgainstALiar(t *testing.T) {
	t.Parallel()
	url := serveLiar(t)
	tg, err := sut.Load(url)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	sum, err := conform.Run(context.Background(), conform.Options{
		Target:    tg,
		Tags:      "@AUTH-001,@AUTH-003,@RNW-001,@RNW-004,@PRF-004,@SES-002",
		ReportDir: dir,
		Stdout:    &out,
		Rerun:     url,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ExitCode() != 1 {
		t.Fatalf("exit code %d, want 1\n%s", sum.ExitCode(), out.String())
	}
	for _, id := range []string{"AUTH-003", "RNW-004", "PRF-004", "SES-002", "RNW-001"} {
		if !slices.Contains(sum.Failures, id) {
			t.Errorf("failures %v do not name %s", sum.Failures, id)
		}
	}
	// The happy path itself works: authentication passes, and the guide's renewal
	// goes through until its last step, where the old passcode still "works".
	if c, ok := sum.Check("AUTH-001"); !ok || c.Status != steps.StatusPassed {
		t.Errorf("happy-path check AUTH-001: %v, want passed", c.Status)
	}
	if c, _ := sum.Check("RNW-001"); len(c.Scenarios) != 1 || c.Scenarios[0].Step != "the old passcode no longer authenticates" {
		t.Errorf("RNW-001 failed at %+v, want its last step", c.Scenarios)
	}
	c, _ := sum.Check("RNW-004")
	ev := c.Scenarios[0].Evidence
	for _, want := range []string{
		"RNW-004 (MUST", "want 400 INVALID_PROOF", "MUST NOT return M2",
		"POST " + url, "/passcodes/renewals/sessions/", `"verifier":"[REDACTED]"`, `"m1":"[REDACTED]"`,
		"Bearer [REDACTED]", "-> 200", "go test ./steps -run 'TestConformance/^", "renewkit conform --tags @RNW-004 --name",
	} {
		if !strings.Contains(ev, want) {
			t.Errorf("the evidence lacks %q:\n%s", want, ev)
		}
	}
	printed := out.String()
	if !strings.Contains(printed, "FAIL RNW-004 [must]") || !strings.Contains(printed, "FAIL: ") {
		t.Errorf("the printed summary does not name the failure:\n%s", printed)
	}
	for _, f := range []string{"junit.xml", "cucumber.json", "report.json", "report.html"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("RNW-004")) && f != "cucumber.json" {
			t.Errorf("%s does not mention RNW-004", f)
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", f)
		}
	}
}

// TestExpectations: a known failure listed in the expectations does not fail the
// run, and a listed check that passes is reported as fixed.
func TestExpectations(t *testing.T) {
	t.Parallel()
	url := serveLiar(t)
	tg, err := sut.Load(url)
	if err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(t.TempDir(), "expect.txt")
	if err := os.WriteFile(exp, []byte("# the liar accepts wrong proofs\nAUTH-003 known\nAUTH-001 listed but passing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: "@AUTH-001,@AUTH-003", Expect: exp})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ExitCode() != 0 || !slices.Equal(sum.ExpectedFailures, []string{"AUTH-003"}) || !slices.Equal(sum.Fixed, []string{"AUTH-001"}) {
		t.Errorf("exit %d, expected failures %v, fixed %v; want 0, [AUTH-003], [AUTH-001]", sum.ExitCode(), sum.ExpectedFailures, sum.Fixed)
	}
	if _, err := conform.ParseExpectations([]byte("NOPE-999\n")); err == nil {
		t.Error("an unknown check id in the expectations is accepted")
	}
}

// TestRFC2945Target runs the proof checks against the reference server with the
// rfc2945 profile: the harness checks that profile too (SPEC section 6).
func TestRFC2945Target(t *testing.T) {
	t.Parallel()
	p := provider.NewInProcess(provider.InProcessOptions{SRPProfile: "rfc2945"})
	tg, err := p.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: "@PRF-010,@AUTH-001,@RNW-001,@PRF-005"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"PRF-010", "AUTH-001", "RNW-001", "PRF-005"} {
		if c, ok := sum.Check(id); !ok || c.Status != steps.StatusPassed {
			t.Errorf("%s: %v, want passed: %+v", id, c.Status, c.Scenarios)
		}
	}
}

// TestNotApplicable: a scenario that needs a capability the target lacks is
// reported as not applicable, never as passed. A MAY check that does not run leaves
// the verdict PASS; a MUST check that does not run makes it INCOMPLETE (SPEC.md
// section 3), unless the expectations accept it.
func TestNotApplicable(t *testing.T) {
	t.Parallel()
	url := serveLiar(t)
	tg, err := sut.Load(url)
	if err != nil {
		t.Fatal(err)
	}
	delete(tg.Tokens, sut.RoleExpired) // a target that names no expired-token client
	expect := filepath.Join(t.TempDir(), "expect.txt")
	if err := os.WriteFile(expect, []byte("TOK-003 n/a our tokens live an hour\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tags, expect, verdict string
		exit                        int
	}{
		{"MAY", "@PRF-010", "", conform.VerdictPass, conform.ExitPass},
		{"MUST", "@TOK-003 or @PRF-010", "", conform.VerdictIncomplete, conform.ExitIncomplete},
		{"MUST accepted", "@TOK-003 or @PRF-010", expect, conform.VerdictPass, conform.ExitPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: tc.tags, Expect: tc.expect})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range sum.Checks {
				if c.Status != steps.StatusNotApplicable || !strings.Contains(c.Scenarios[0].Reason, "does not offer") {
					t.Errorf("%s: %+v, want not applicable with a reason", c.ID, c)
				}
			}
			if sum.Verdict != tc.verdict || sum.ExitCode() != tc.exit {
				t.Errorf("verdict %s, exit %d; want %s, %d (incomplete: %+v)", sum.Verdict, sum.ExitCode(), tc.verdict, tc.exit, sum.Incomplete)
			}
			if tc.verdict == conform.VerdictIncomplete && (len(sum.Incomplete) != 1 || sum.Incomplete[0].ID != "TOK-003" || !strings.Contains(sum.Incomplete[0].Fix, "tokens.expired")) {
				t.Errorf("incomplete %+v, want TOK-003 with how to offer an expired token", sum.Incomplete)
			}
		})
	}
}

// TestPreProvisionedUsers runs checks against a target without the admin API: the
// scenarios take the target's listed users, and the renewed ones get their listed
// passcodes back at the end.
func TestPreProvisionedUsers(t *testing.T) {
	t.Parallel()
	tg := startReference(t)
	tg.Capabilities = slices.DeleteFunc(slices.Clone(tg.Capabilities), func(c sut.Capability) bool { return c == sut.Admin })
	sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: "@AUTH-001,@RNW-001,@AUTH-003,@LCK-007,@REQ-002"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"AUTH-001", "RNW-001", "AUTH-003", "LCK-007"} {
		if c, ok := sum.Check(id); !ok || c.Status != steps.StatusPassed {
			t.Errorf("%s: %v, want passed: %+v", id, c.Status, c.Scenarios)
		}
	}
	if c, _ := sum.Check("REQ-002"); c.Status != steps.StatusNotApplicable {
		t.Errorf("REQ-002 needs @admin: %v, want not applicable", c.Status)
	}
	// Every registered user listed still has its listed passcode.
	c, err := tg.NewClient(tg.Tenant, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sut.NewTokenSource(tg, nil).Token(context.Background(), sut.RoleFull)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range tg.Users.Registered {
		if _, err := api.Authenticate(context.Background(), c.WithToken(tok), tg.Store, api.ByID(u.ID), "standard", u.Passcode); err != nil {
			t.Errorf("user %s no longer has its listed passcode: %v", u.ExternalID, err)
		}
	}
}

// TestOptionalAtRuntime: a scenario that finds out while running that the target
// lacks an optional part (here the short-lock store the target file names, which a
// server seeded from older fixtures does not have) is not applicable and leaves the
// verdict PASS; a required part missing at runtime would make it INCOMPLETE.
func TestOptionalAtRuntime(t *testing.T) {
	t.Parallel()
	tg := startReference(t)
	tg.ShortLockStore = "nowhere"
	sum, err := conform.Run(context.Background(), conform.Options{Target: tg, Tags: "@LCK-014 or @LCK-015"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"LCK-014", "LCK-015"} {
		c, ok := sum.Check(id)
		if !ok || c.Status != steps.StatusNotApplicable || !strings.Contains(c.Scenarios[0].Reason, "has no store nowhere") {
			t.Errorf("%s: %+v, want not applicable: the server has no store nowhere", id, c)
		}
	}
	if sum.Verdict != conform.VerdictPass || len(sum.Incomplete) != 0 {
		t.Errorf("verdict %s, incomplete %+v; want PASS: the store is optional", sum.Verdict, sum.Incomplete)
	}
}

// startReference starts an in-process reference server for one test.
func startReference(t *testing.T) *sut.Target {
	t.Helper()
	p := provider.NewInProcess(provider.InProcessOptions{})
	tg, err := p.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	return tg
}
