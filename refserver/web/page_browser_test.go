package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/internal/browsertest"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/process"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/refservertest"
)

// pageWorld is a reference server with its fixtures, an admin client of acme and a
// browser tab.
type pageWorld struct {
	srv    *refservertest.Server
	admin  *api.Client
	ctx    context.Context
	shots  string
	policy passcode.Requirements
}

func newPageWorld(t *testing.T) *pageWorld {
	t.Helper()
	ctx := browser(t)
	srv := refservertest.Start(t, refserver.Config{})
	admin := srv.ClientAs(t, "acme", "acme-full")
	pol, _, err := admin.GetPolicy(context.Background(), "default", "standard")
	if err != nil {
		t.Fatal(err)
	}
	return &pageWorld{srv: srv, admin: admin, ctx: ctx, shots: browsertest.Artifacts(t, "browser"), policy: pol.Requirements}
}

// newUser makes a user of acme/default with a registered passcode under "standard".
func (w *pageWorld) newUser(t *testing.T, pass string) string {
	t.Helper()
	ext := "web-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000")
	if _, _, err := w.admin.CreateUser(context.Background(), "default", api.CreateUserRequest{ExternalID: ext}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Register(context.Background(), w.admin, "default", api.ByExternalID(ext), "standard", pass); err != nil {
		t.Fatal(err)
	}
	return ext
}

// adminJSON sends a JSON request to a process endpoint of acme as acme-full.
func (w *pageWorld) adminJSON(t *testing.T, method, path string, in, out any) int {
	t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	ex, err := w.admin.Do(context.Background(), method, api.DefaultPrefix+"/tenants/acme"+path, body, h)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && ex.Status < 300 {
		if err := json.Unmarshal(ex.ResponseBody, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return ex.Status
}

// tokenURL creates an UNLIMITED token of a definition for a user and returns its URL.
func (w *pageWorld) tokenURL(t *testing.T, defn, ext string) (string, process.Token) {
	t.Helper()
	var tok process.Token
	status := w.adminJSON(t, http.MethodPost, "/processTokens", process.TokenRequest{
		Name: "browser", ProcessDefnName: defn, Type: process.TokenUnlimited,
		Parameters: map[string]string{"userExternalId": ext},
	}, &tok)
	if status != http.StatusCreated || tok.URL == "" {
		t.Fatalf("creating a token: status %d, %+v", status, tok)
	}
	return tok.URL, tok
}

// state waits until the page shows a screen ("form", "done", "error") other than
// loading and the screens in not, and returns it.
func (w *pageWorld) state(t *testing.T, not ...string) string {
	t.Helper()
	skip, _ := json.Marshal(append([]string{"loading", ""}, not...))
	s, err := chromedp.Run(w.ctx, chromedp.Poll[string](
		`(() => { const s = document.getElementById('app').dataset.state || ''; return `+string(skip)+`.includes(s) ? false : s; })()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("waiting for a screen: %v", err)
	}
	return s
}

// typeKeys types text into the focused element with key events, then Tab or Enter.
func (w *pageWorld) typeKeys(t *testing.T, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if err := chromedp.Do(w.ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *pageWorld) eval(t *testing.T, expr string) string {
	t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestRenewalPageInChromium drives the end-user page through the guide's renewal
// flow: the form, the live checklist, keyboard use, announced errors, the
// confirmation, and the error screens, with a screenshot of each; then the
// registration and authentication flows.
func TestRenewalPageInChromium(t *testing.T) {
	w := newPageWorld(t)
	bg := context.Background()

	t.Run("renewal reaches the confirmation", func(t *testing.T) {
		const oldPass, newPass = "Correct-Horse-9", "Fresh-Lemon-42"
		ext := w.newUser(t, oldPass)
		url, tok := w.tokenURL(t, "passcodeRenewal", ext)
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "form" {
			t.Fatalf("screen %q, want the form", s)
		}
		screenshot(t, w.ctx, w.shots, "renewal-01-form")

		// Labelled fields, each described by its error slot.
		labels := w.eval(t, `[...document.querySelectorAll('#components input')].map((i) => {
			const l = document.querySelector('label[for="' + i.id + '"]');
			return (l ? l.textContent : 'NO LABEL') + '|' + i.dataset.role + '|' + i.getAttribute('aria-describedby');
		}).join('\n')`)
		for _, want := range []string{"Existing passcode|existingPasscode|", "New passcode|newPasscode|", "Confirm new passcode|confirmPasscode|"} {
			if !strings.Contains(labels, want) {
				t.Errorf("fields %q lack %q", labels, want)
			}
		}

		// Submitting empty by keyboard: the errors are announced and marked.
		if got := w.eval(t, `document.activeElement.id`); got != "f-existingPasscode" {
			t.Fatalf("focus starts on %q, want the existing passcode", got)
		}
		w.typeKeys(t, "\r")
		alert := w.eval(t, `(() => { const a = document.getElementById('alert'); return a.getAttribute('role') + '|' + a.textContent; })()`)
		if !strings.HasPrefix(alert, "alert|Please correct the 3 highlighted fields") {
			t.Fatalf("alert %q", alert)
		}
		if inv := w.eval(t, `[...document.querySelectorAll('input[aria-invalid="true"]')].length + ''`); inv != "3" {
			t.Fatalf("%s fields marked invalid, want 3", inv)
		}
		screenshot(t, w.ctx, w.shots, "renewal-02-errors")

		// Keyboard only: type, Tab, type, Tab, type, Enter.
		w.typeKeys(t, oldPass, "\t")
		if got := w.eval(t, `document.activeElement.id + '|' + getComputedStyle(document.activeElement).outlineStyle`); got == "f-newPasscode|none" || !strings.HasPrefix(got, "f-newPasscode|") {
			t.Fatalf("after Tab: focus and outline %q, want a visible focus on the new passcode", got)
		}
		w.typeKeys(t, newPass, "\t", newPass)
		met := w.eval(t, `[...document.querySelectorAll('#checklist li')].map((li) => li.dataset.rule + '=' + li.dataset.met).join(' ')`)
		if strings.Contains(met, "=false") || !strings.Contains(met, "confirm=true") {
			t.Fatalf("checklist %q: every requirement should be met", met)
		}
		if got := w.eval(t, `document.querySelectorAll('input[aria-invalid="true"]').length + '|' + document.getElementById('alert').textContent`); got != "0|" {
			t.Fatalf("after the fields were filled: %q, want the errors gone", got)
		}
		screenshot(t, w.ctx, w.shots, "renewal-03-filled")
		w.typeKeys(t, "\r")
		if s := w.state(t, "form"); s != "done" {
			t.Fatalf("screen %q (%s), want the confirmation", s, w.eval(t, `document.getElementById('error-detail').textContent`))
		}
		if msg := w.eval(t, `document.getElementById('done-message').textContent`); msg != "Your passcode has been renewed." {
			t.Fatalf("confirmation %q", msg)
		}
		if v := w.eval(t, `document.getElementById('f-newPasscode').value + document.getElementById('f-existingPasscode').value`); v != "" {
			t.Fatal("the page kept a passcode in its fields")
		}
		screenshot(t, w.ctx, w.shots, "renewal-04-confirmation")

		// The new passcode authenticates over the API; the old one does not.
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", newPass); err != nil {
			t.Fatalf("the new passcode does not authenticate: %v", err)
		}
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", oldPass); api.ErrorCode(err) != api.CodeInvalidProof {
			t.Fatalf("the old passcode: %v, want INVALID_PROOF", err)
		}
		var list struct{ ProcessInstances []process.Instance }
		w.adminJSON(t, http.MethodGet, "/processInstances?processTokenId="+tok.ID, nil, &list)
		if len(list.ProcessInstances) != 1 || list.ProcessInstances[0].Decision != process.DecisionPass {
			t.Fatalf("instances %+v, want one that PASSed", list.ProcessInstances)
		}
	})

	t.Run("checklist agrees with the Go validator", func(t *testing.T) {
		ext := w.newUser(t, "Correct-Horse-9")
		url, _ := w.tokenURL(t, "passcodeRenewal", ext)
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "form" {
			t.Fatalf("screen %q", s)
		}
		for _, pc := range policyCases()[0].passcodes {
			raw, _ := json.Marshal(pc)
			got := w.eval(t, `(() => { const i = document.getElementById('f-newPasscode'); i.value = `+string(raw)+`;
				i.dispatchEvent(new Event('input', {bubbles: true}));
				return [...document.querySelectorAll('#checklist li')].filter((li) => li.dataset.rule !== 'confirm' && li.dataset.met === 'false').map((li) => li.dataset.rule).join(' '); })()`)
			var want []string
			for _, v := range w.policy.Validate(pc) {
				want = append(want, v.Rule)
			}
			if got != strings.Join(want, " ") {
				t.Errorf("%q: checklist marks %q unmet, Go's validator %q", pc, got, strings.Join(want, " "))
			}
		}
		w.eval(t, `(() => { const i = document.getElementById('f-newPasscode'); i.value = 'short'; i.dispatchEvent(new Event('input')); return ''; })()`)
		screenshot(t, w.ctx, w.shots, "renewal-05-checklist")
	})

	t.Run("wrong existing passcode shows the error and changes nothing", func(t *testing.T) {
		const oldPass = "Correct-Horse-9"
		ext := w.newUser(t, oldPass)
		url, _ := w.tokenURL(t, "passcodeRenewal", ext)
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "form" {
			t.Fatalf("screen %q", s)
		}
		w.typeKeys(t, "Wrong-Horse-9", "\t", "Fresh-Lemon-42", "\t", "Fresh-Lemon-42", "\r")
		if s := w.state(t, "form"); s != "error" {
			t.Fatalf("screen %q, want the error", s)
		}
		got := w.eval(t, `document.getElementById('app').dataset.error + '|' + document.getElementById('app').dataset.decision + '|' + document.getElementById('error-message').textContent`)
		if got != "INVALID_PROOF|FAIL|The existing passcode is not correct. Nothing was changed." {
			t.Fatalf("error screen %q", got)
		}
		screenshot(t, w.ctx, w.shots, "renewal-06-wrong-passcode")
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", oldPass); err != nil {
			t.Fatalf("the old passcode no longer authenticates: %v", err)
		}
	})

	t.Run("history violation", func(t *testing.T) {
		const oldPass = "Correct-Horse-9"
		ext := w.newUser(t, oldPass)
		url, _ := w.tokenURL(t, "passcodeRenewal", ext)
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "form" {
			t.Fatalf("screen %q", s)
		}
		w.typeKeys(t, oldPass, "\t", oldPass, "\t", oldPass, "\r")
		if s := w.state(t, "form"); s != "error" {
			t.Fatalf("screen %q, want the error", s)
		}
		if code := w.eval(t, `document.getElementById('app').dataset.error`); code != "PASSCODE_HISTORY_VIOLATION" {
			t.Fatalf("error %q", code)
		}
		screenshot(t, w.ctx, w.shots, "renewal-07-history")
	})

	t.Run("locked user", func(t *testing.T) {
		url, _ := w.tokenURL(t, "passcodeRenewal", "oscar")
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "error" {
			t.Fatalf("screen %q, want the error", s)
		}
		if code := w.eval(t, `document.getElementById('app').dataset.error`); code != "USER_LOCKED" {
			t.Fatalf("error %q", code)
		}
		screenshot(t, w.ctx, w.shots, "renewal-08-locked")
	})

	t.Run("registration and authentication", func(t *testing.T) { registrationAndAuthentication(t, w) })

	t.Run("inactive token", func(t *testing.T) {
		ext := w.newUser(t, "Correct-Horse-9")
		url, tok := w.tokenURL(t, "passcodeRenewal", ext)
		if st := w.adminJSON(t, http.MethodPost, "/processTokens/"+tok.ID, process.TokenUpdate{Status: process.TokenInactive}, nil); st != http.StatusOK {
			t.Fatalf("deactivating: %d", st)
		}
		if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		if s := w.state(t); s != "error" {
			t.Fatalf("screen %q", s)
		}
		if code := w.eval(t, `document.getElementById('app').dataset.error`); code != "PROCESS_TOKEN_INACTIVE" {
			t.Fatalf("error %q", code)
		}
	})
}

// registrationAndAuthentication runs the two other shipped flows in the browser.
func registrationAndAuthentication(t *testing.T, w *pageWorld) {
	ext := "web-reg-" + time.Now().Format("150405.000000")
	if _, _, err := w.admin.CreateUser(context.Background(), "default", api.CreateUserRequest{ExternalID: ext}); err != nil {
		t.Fatal(err)
	}
	const pass = "Brand-New-Pass-5"
	url, _ := w.tokenURL(t, "passcodeRegistration", ext)
	if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if s := w.state(t); s != "form" {
		t.Fatalf("registration: screen %q", s)
	}
	w.typeKeys(t, pass, "\t", pass, "\r")
	if s := w.state(t, "form"); s != "done" {
		t.Fatalf("registration: screen %q", s)
	}
	screenshot(t, w.ctx, w.shots, "registration-01-confirmation")

	url, _ = w.tokenURL(t, "passcodeAuthentication", ext)
	if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if s := w.state(t); s != "form" {
		t.Fatalf("authentication: screen %q", s)
	}
	w.typeKeys(t, pass, "\r")
	if s := w.state(t, "form"); s != "done" {
		t.Fatalf("authentication: screen %q (%s)", s, w.eval(t, `document.getElementById('error-detail').textContent`))
	}
	screenshot(t, w.ctx, w.shots, "authentication-01-signed-in")
	if msg := w.eval(t, `document.getElementById('done-message').textContent`); msg != "You are signed in." {
		t.Fatalf("message %q", msg)
	}
	if _, err := api.Authenticate(context.Background(), w.admin, "default", api.ByExternalID(ext), "standard", pass); err != nil {
		t.Fatalf("the registered passcode does not authenticate over the API: %v", err)
	}
}

// screenshot saves a full-page PNG of the tab as <dir>/<name>.png.
func screenshot(tb testing.TB, ctx context.Context, dir, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot: %s", path)
}
