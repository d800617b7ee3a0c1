package conform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seedb14f67b8/renewkit/internal/browsertest"
	"github.com/seedb14f67b8/renewkit/steps"
)

// TestReportHTMLInBrowser opens the fixture's report.html in headless Chromium
// at 1400 and 390 px wide: the page's own script runs under its
// Content-Security-Policy (the filters show), nothing is wider than the window
// (long evidence wraps), and the filters and the search box hide the rows they
// should. It keeps a full-page screenshot of each width, and of a filtered view.
func TestReportHTMLInBrowser(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, htmlBytes(t, reportFixture(t, outcomeFail)), 0o644); err != nil {
		t.Fatal(err)
	}
	shots := browsertest.Artifacts(t, "conform-report")
	ctx := browsertest.Tab(t, 60*time.Second)

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(shots, name+".png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}
	open := func(width int64) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate("file://"+page)); err != nil {
			t.Fatalf("%d px: %v", width, err)
		}
		// The script shows the filters: hidden, the page's own Content-Security-
		// Policy blocked it.
		if !browserEval[bool](t, ctx, `!document.getElementById("filters").hidden && document.getElementById("shown").textContent != ""`) {
			t.Fatalf("%d px: the filters do not show: the inline script did not run", width)
		}
	}
	const shownIDs = `[...document.querySelectorAll("#checks tbody tr")].filter(r => !r.hidden).map(r => r.querySelector("td.id").textContent)`

	// The longest id of the catalogue, with its sub-check's suffix, must fit
	// the id column as well as the fixture's do.
	longest := ""
	for _, c := range steps.Catalogue() {
		if len(c.ID+steps.CodeSuffix) > len(longest) {
			longest = c.ID + steps.CodeSuffix
		}
	}
	for _, width := range []int64{1400, 390} {
		open(width)
		browserEval[bool](t, ctx, `(document.querySelector("#checks td.id").textContent = "`+longest+`", true)`)
		// The element reaching furthest right, and what it is: a column pushed
		// off screen by unbroken evidence shows here.
		over := browserEval[struct {
			Width, Right, Scroll int
			What                 string
		}](t, ctx, `(() => {
			let right = 0, what = "";
			for (const e of document.body.querySelectorAll("*")) {
				const r = e.getBoundingClientRect();
				if (r.width > 0 && r.right > right) { right = Math.ceil(r.right); what = e.tagName + "." + e.className; }
			}
			const d = document.documentElement;
			return {Width: d.clientWidth, Right: right, Scroll: d.scrollWidth, What: what};
		})()`)
		if over.Right > over.Width {
			t.Errorf("%d px: %s reaches %d px, past the window's %d", width, over.What, over.Right, over.Width)
		}
		if over.Scroll > over.Width {
			t.Errorf("%d px: the page scrolls sideways (%d px wide)", width, over.Scroll)
		}
		// Nor does a cell's content spill into the next column (a check id
		// over its level: the id and level cells do not wrap).
		for _, c := range browserEval[[]string](t, ctx, `[...document.querySelectorAll("#checks td")].
			filter(td => td.scrollWidth > td.clientWidth + 1).
			map(td => td.className + ": " + td.textContent.slice(0, 40))`) {
			t.Errorf("%d px: a cell's content does not fit it: %s", width, c)
		}
		shot(fmt.Sprintf("report-%d", width))
	}

	// The filters, at 1400 px: all rows; without "passed"; then a search; then a
	// feature.
	open(1400)
	s := reportFixture(t, outcomeFail)
	if ids := browserEval[[]string](t, ctx, shownIDs); len(ids) != len(s.Checks) {
		t.Errorf("%d rows shown at first, want all %d", len(ids), len(s.Checks))
	}
	var notPassed []string
	for _, cr := range s.Checks {
		if cr.Status != steps.StatusPassed {
			notPassed = append(notPassed, cr.ID)
		}
	}
	browserEval[bool](t, ctx, `(document.querySelector("#filters input[name=status][value=passed]").click(), true)`)
	if ids := browserEval[[]string](t, ctx, shownIDs); len(ids) != len(notPassed) {
		t.Errorf("without passed: rows %q, want the %d not passed", ids, len(notPassed))
	}
	if label, want := browserEval[string](t, ctx, `document.getElementById("shown").textContent`),
		fmt.Sprintf("%d of %d checks shown", len(notPassed), len(s.Checks)); label != want {
		t.Errorf("the count says %q, want %q", label, want)
	}
	shot("report-1400-not-passed")
	// Typing in the search box fires input events, as a person's typing does.
	browserEval[bool](t, ctx, `(() => { const q = document.getElementById("q"); q.focus(); return true; })()`)
	for _, k := range "26-character" {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(string(k))); err != nil {
			t.Fatal(err)
		}
	}
	if ids, want := browserEval[[]string](t, ctx, shownIDs), []string{"REG-005"}; !slices.Equal(ids, want) {
		t.Errorf("search %q: rows %q, want %q", "26-character", ids, want)
	}
	browserEval[bool](t, ctx, `(() => {
		document.getElementById("q").value = "";
		const f = document.getElementById("feature");
		f.value = "sessions.feature";
		f.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`)
	if ids, want := browserEval[[]string](t, ctx, shownIDs), []string{"SES-004"}; !slices.Equal(ids, want) {
		t.Errorf("feature sessions.feature without passed: rows %q, want %q", ids, want)
	}
}

// browserEval is the value of a JavaScript expression in the tab.
func browserEval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.Fatalf("%s: %v", expr, err)
	}
	return v
}
