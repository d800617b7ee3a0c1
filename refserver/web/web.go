// Package web holds the reference server's end-user page, embedded: the HTML
// template a process token's URL renders, and the static files it loads (app.js,
// srp.js, policy.js, style.css). It is plain files and html/template; the Gin routes
// that serve it are in refserver (process_*.go).
//
// srp.js is an independent SRP-6a client in JavaScript (BigInt and WebCrypto
// SHA-256, no third-party code); policy.js ports the Go passcode validator so the
// live checklist refuses exactly what the Go validator refuses. The browser tests in
// this package check both against the Go code in Chromium.
package web

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
)

//go:embed static page.html
var files embed.FS

// Static returns the static files, at the root of the returned file system
// ("app.js", "srp.js", "policy.js", "style.css").
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		// The embed pattern above guarantees the directory; this cannot happen.
		panic(err)
	}
	return sub
}

// Page is what the end-user page template needs.
type Page struct {
	// StaticBase is the URL path the static files are served under, without a
	// trailing slash.
	StaticBase string
	// APIBase is the URL path of the tenant's end-user API, {prefix}/tenants/{tenant}.
	APIBase string
	// Token is the process token's secret, from the URL the user opened.
	Token string
	// Profile is the SRP proof profile of the server ("rfc5054-padded"): the wire
	// does not say it.
	Profile string
}

// NewTemplate parses the page template.
func NewTemplate() (*template.Template, error) {
	return template.ParseFS(files, "page.html")
}

// Render writes the page for p with t (from NewTemplate). html/template escapes every
// field for its context.
func Render(w io.Writer, t *template.Template, p Page) error {
	return t.Execute(w, p)
}
