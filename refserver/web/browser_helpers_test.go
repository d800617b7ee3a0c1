package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/seedb14f67b8/renewkit/internal/browsertest"
	"github.com/seedb14f67b8/renewkit/refserver/web"
)

// browser starts a headless Chromium for one test, 900 x 1000, and returns a
// context that drives one tab of it (browsertest.Tab).
func browser(tb testing.TB) context.Context {
	tb.Helper()
	return browsertest.Tab(tb, 45*time.Second, chromedp.WindowSize(900, 1000))
}

// jsHarness serves the embedded static files and a blank page that loads srp.js and
// policy.js, and opens it in the tab.
func jsHarness(tb testing.TB, ctx context.Context) {
	tb.Helper()
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(web.Static())))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>harness</title>
<script src="/static/srp.js"></script><script src="/static/policy.js"></script></head><body></body></html>`)
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	// WebCrypto needs a secure context: 127.0.0.1 over http is one.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady("body")); err != nil {
		tb.Fatal(err)
	}
}

// call runs the async JavaScript function fn (source text) on args in the tab and
// decodes its result into T.
func call[T any](tb testing.TB, ctx context.Context, fn string, args ...any) T {
	tb.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		tb.Fatal(err)
	}
	expr := "(" + fn + ")(..." + string(raw) + ")"
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("javascript %s: %v", strings.SplitN(fn, "\n", 2)[0], err)
	}
	return v
}
