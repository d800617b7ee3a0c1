package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seedb14f67b8/renewkit/api"
)

// noticeState is the page's error-form screen: the node it shows, the error code,
// the alert's role and text, and the focused element.
func (w *pageWorld) noticeState(t *testing.T) string {
	t.Helper()
	return w.eval(t, `(() => { const app = document.getElementById('app'), a = document.getElementById('alert');
		return app.dataset.step + '|' + app.dataset.error + '|' + a.getAttribute('role') + '|' + a.textContent + '|' + document.activeElement.id; })()`)
}

// openScreen navigates to a token's URL and fails unless the page shows the screen
// want.
func (w *pageWorld) openScreen(t *testing.T, url, want string) {
	t.Helper()
	if err := chromedp.Do(w.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if s := w.state(t); s != want {
		t.Fatalf("screen %q, want %q", s, want)
	}
}

// TestFullFlowInChromium drives the guide's more complex flow (passcodeRenewalFull)
// in the browser: a user without a passcode is offered registration, registers and
// is confirmed, and the passcode authenticates over the API; a wrong existing
// passcode leads through an error form to a retry that renews; a locked user sees
// the locked error form. Keyboard only; a screenshot of each screen.
func TestFullFlowInChromium(t *testing.T) {
	w := newPageWorld(t)
	bg := context.Background()

	t.Run("no passcode falls through to registration", func(t *testing.T) {
		ext := "web-full-" + time.Now().Format("150405.000000")
		if _, _, err := w.admin.CreateUser(bg, "default", api.CreateUserRequest{ExternalID: ext}); err != nil {
			t.Fatal(err)
		}
		url, _ := w.tokenURL(t, "passcodeRenewalFull", ext)
		w.openScreen(t, url, "notice")
		want := "noPasscode|PASSCODE_NOT_REGISTERED|alert|This account has no passcode yet.|continue"
		if got := w.noticeState(t); got != want {
			t.Fatalf("error form %q, want %q", got, want)
		}
		if got := w.eval(t, `document.getElementById('title').textContent + '|' + document.getElementById('continue').textContent`); got != "You have no passcode yet|Choose a passcode" {
			t.Fatalf("title and button %q", got)
		}
		screenshot(t, w.ctx, w.shots, "full-01-no-passcode")

		w.typeKeys(t, "\r") // the focused button
		if s := w.state(t, "notice"); s != "form" {
			t.Fatalf("screen %q, want the registration form", s)
		}
		fields := w.eval(t, `[...document.querySelectorAll('#components input')].map((i) => i.dataset.role).join(' ') + '|' + document.getElementById('app').dataset.step + '|' + document.getElementById('alert').hidden`)
		if fields != "newPasscode confirmPasscode|passcodeRegistrationForm|true" {
			t.Fatalf("registration form %q", fields)
		}
		screenshot(t, w.ctx, w.shots, "full-02-registration-form")

		const pass = "First-Plum-73"
		w.typeKeys(t, pass, "\t", pass, "\r")
		if s := w.state(t, "form"); s != "done" {
			t.Fatalf("screen %q (%s), want the confirmation", s, w.eval(t, `document.getElementById('error-detail').textContent`))
		}
		if msg := w.eval(t, `document.getElementById('done-message').textContent + '|' + document.getElementById('app').dataset.decision`); msg != "Your passcode has been registered.|PASS" {
			t.Fatalf("confirmation %q", msg)
		}
		screenshot(t, w.ctx, w.shots, "full-03-registered")
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", pass); err != nil {
			t.Fatalf("the registered passcode does not authenticate over the API: %v", err)
		}
	})

	t.Run("wrong passcode, error form, retry", func(t *testing.T) {
		const oldPass, newPass = "Correct-Horse-9", "Fresh-Lemon-42"
		ext := w.newUser(t, oldPass)
		url, _ := w.tokenURL(t, "passcodeRenewalFull", ext)
		w.openScreen(t, url, "form")
		screenshot(t, w.ctx, w.shots, "full-04-renewal-form")
		w.typeKeys(t, "Wrong-Horse-9", "\t", newPass, "\t", newPass, "\r")
		if s := w.state(t, "form"); s != "notice" {
			t.Fatalf("screen %q, want the error form", s)
		}
		want := "wrongPasscode|INVALID_PROOF|alert|The existing passcode is not correct. Nothing was changed.|continue"
		if got := w.noticeState(t); got != want {
			t.Fatalf("error form %q, want %q", got, want)
		}
		if text := w.eval(t, `document.getElementById('notice-text').textContent`); !strings.Contains(text, "You can try once more") {
			t.Fatalf("error form text %q", text)
		}
		screenshot(t, w.ctx, w.shots, "full-05-wrong-passcode")
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", oldPass); err != nil {
			t.Fatalf("after the wrong passcode the old one no longer authenticates: %v", err)
		}

		w.typeKeys(t, "\r")
		if s := w.state(t, "notice"); s != "form" {
			t.Fatalf("screen %q, want the retry form", s)
		}
		if got := w.eval(t, `document.getElementById('app').dataset.step + '|' + document.activeElement.id + '|' + document.getElementById('f-existingPasscode').value`); got != "passcodeRenewalFormRetry|f-existingPasscode|" {
			t.Fatalf("retry form %q, want the retry with the focus on an empty existing passcode", got)
		}
		screenshot(t, w.ctx, w.shots, "full-06-retry-form")
		w.typeKeys(t, oldPass, "\t", newPass, "\t", newPass, "\r")
		if s := w.state(t, "form"); s != "done" {
			t.Fatalf("screen %q (%s), want the confirmation", s, w.eval(t, `document.getElementById('error-detail').textContent`))
		}
		if msg := w.eval(t, `document.getElementById('done-message').textContent`); msg != "Your passcode has been renewed." {
			t.Fatalf("confirmation %q", msg)
		}
		screenshot(t, w.ctx, w.shots, "full-07-renewed")
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", newPass); err != nil {
			t.Fatalf("the new passcode does not authenticate: %v", err)
		}
		if _, err := api.Authenticate(bg, w.admin, "default", api.ByExternalID(ext), "standard", oldPass); api.ErrorCode(err) != api.CodeInvalidProof {
			t.Fatalf("the old passcode: %v, want INVALID_PROOF", err)
		}
	})

	t.Run("locked user", func(t *testing.T) {
		url, _ := w.tokenURL(t, "passcodeRenewalFull", "oscar")
		w.openScreen(t, url, "notice")
		want := "lockedUser|USER_LOCKED|alert|This account is locked after too many failed attempts. Try again later.|continue"
		if got := w.noticeState(t); got != want {
			t.Fatalf("error form %q, want %q", got, want)
		}
		screenshot(t, w.ctx, w.shots, "full-08-locked")
		w.typeKeys(t, "\r")
		if s := w.state(t, "notice"); s != "error" {
			t.Fatalf("screen %q, want the final error", s)
		}
		if got := w.eval(t, `document.getElementById('app').dataset.error + '|' + document.getElementById('app').dataset.decision`); got != "USER_LOCKED|FAIL" {
			t.Fatalf("final screen %q", got)
		}
		screenshot(t, w.ctx, w.shots, "full-09-locked-refused")
	})
}
