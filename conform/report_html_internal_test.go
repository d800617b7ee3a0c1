package conform

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func htmlBytes(tb testing.TB, s *Summary) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := s.WriteHTML(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// htmlDoc parses report.html.
func htmlDoc(tb testing.TB, data []byte) *html.Node {
	tb.Helper()
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("report.html does not parse: %v", err)
	}
	return doc
}

// htmlAll is every element under n that match says yes to, in document order.
func htmlAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func htmlTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

func htmlAttr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

func htmlText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// htmlCheckRow is a row of the checks table as the filter script sees it.
type htmlCheckRow struct {
	ID, Level, Status string
	Features          []string
	Open              bool
}

func htmlCheckRows(tb testing.TB, doc *html.Node) []htmlCheckRow {
	tb.Helper()
	var out []htmlCheckRow
	for _, tr := range htmlAll(doc, func(n *html.Node) bool {
		_, ok := htmlAttr(n, "data-status")
		return n.Data == "tr" && ok
	}) {
		var r htmlCheckRow
		r.Level, _ = htmlAttr(tr, "data-level")
		r.Status, _ = htmlAttr(tr, "data-status")
		f, _ := htmlAttr(tr, "data-features")
		r.Features = strings.Split(f, "\n")
		for _, td := range htmlAll(tr, htmlTag("td")) {
			if c, _ := htmlAttr(td, "class"); c == "id" {
				r.ID = htmlText(td)
			}
		}
		for _, d := range htmlAll(tr, htmlTag("details")) {
			_, r.Open = htmlAttr(d, "open")
		}
		out = append(out, r)
	}
	return out
}

// TestReportHTMLOrder: the failed checks come first, then the warnings, then the
// rest in catalogue order; failures and warnings are open, with their evidence;
// each row carries what the filters read.
func TestReportHTMLOrder(t *testing.T) {
	t.Parallel()
	s := reportFixture(t, outcomeFail)
	rows := htmlCheckRows(t, htmlDoc(t, htmlBytes(t, s)))
	if len(rows) != len(s.Checks) {
		t.Fatalf("%d rows, want one per check (%d)", len(rows), len(s.Checks))
	}
	var ids, statuses []string
	for _, r := range rows {
		ids = append(ids, r.ID)
		statuses = append(statuses, r.Status)
		if r.Open != (r.Status == htmlFailed || r.Status == htmlWarning) {
			t.Errorf("%s (%s): open %v, want open only for failures and warnings", r.ID, r.Status, r.Open)
		}
		cr, ok := s.Check(r.ID)
		if !ok {
			t.Errorf("row %s: no such check in the run", r.ID)
			continue
		}
		if r.Level != string(cr.Level) {
			t.Errorf("%s: data-level %q, want %q", r.ID, r.Level, cr.Level)
		}
		for _, sr := range cr.Scenarios {
			if !slices.Contains(r.Features, sr.Feature) {
				t.Errorf("%s: data-features %q lacks %s", r.ID, r.Features, sr.Feature)
			}
		}
	}
	wantFirst := []string{"REG-001", "RNW-004", "PRF-006", "INV-005", "REG-005", "RNW-004.code"}
	if len(ids) < len(wantFirst) || !slices.Equal(ids[:len(wantFirst)], wantFirst) {
		t.Errorf("rows %q, want %q first (failures, then warnings, each in catalogue order)", ids, wantFirst)
	}
	for i, st := range statuses {
		want := htmlFailed
		if i >= 4 {
			want = htmlWarning
		}
		if i >= 6 {
			if st == htmlFailed || st == htmlWarning {
				t.Errorf("row %d (%s) is %s after the failures and warnings", i, ids[i], st)
			}
			continue
		}
		if st != want {
			t.Errorf("row %d (%s) is %s, want %s", i, ids[i], st, want)
		}
	}
	if i := slices.Index(ids, "SES-004"); i < 0 || statuses[i] != htmlExpected {
		t.Errorf("SES-004 (in the expectations) is not an expected failure: %q", statuses)
	}
	// An interrupted run has no failures: what was cut short is interrupted.
	for _, r := range htmlCheckRows(t, htmlDoc(t, htmlBytes(t, reportFixture(t, outcomeInterrupted)))) {
		if r.Status == htmlFailed || r.Status == htmlWarning {
			t.Errorf("interrupted run: %s is %s", r.ID, r.Status)
		}
	}
}

// TestReportHTMLFilters: the filters offer every level, status and feature of
// the run, with how many rows have each, and stay hidden until the script runs.
func TestReportHTMLFilters(t *testing.T) {
	t.Parallel()
	doc := htmlDoc(t, htmlBytes(t, reportFixture(t, outcomeFail)))
	rows := htmlCheckRows(t, doc)
	filters := htmlAll(doc, func(n *html.Node) bool { id, _ := htmlAttr(n, "id"); return id == "filters" })
	if len(filters) != 1 {
		t.Fatalf("%d #filters, want 1", len(filters))
	}
	if _, hidden := htmlAttr(filters[0], "hidden"); !hidden {
		t.Error("#filters is not hidden for a page without JavaScript")
	}
	values := map[string][]string{}
	for _, in := range htmlAll(filters[0], htmlTag("input")) {
		name, _ := htmlAttr(in, "name")
		v, _ := htmlAttr(in, "value")
		if _, checked := htmlAttr(in, "checked"); name != "" && !checked {
			t.Errorf("filter %s=%s starts unchecked: every row should show first", name, v)
		}
		values[name] = append(values[name], v)
	}
	if want := []string{"must", "should", "may"}; !slices.Equal(values["level"], want) {
		t.Errorf("level filter %q, want %q", values["level"], want)
	}
	for _, r := range rows {
		if !slices.Contains(values["status"], r.Status) {
			t.Errorf("row %s is %s, which the status filter %q lacks", r.ID, r.Status, values["status"])
		}
	}
	var options []string
	for _, o := range htmlAll(filters[0], htmlTag("option")) {
		options = append(options, htmlText(o))
	}
	want := []string{"all", "admin.feature", "every feature", "proofs.feature", "registration.feature", "renewal.feature", "sessions.feature"}
	if !slices.Equal(options, want) {
		t.Errorf("feature filter %q, want %q", options, want)
	}
	if n := len(htmlAll(filters[0], func(n *html.Node) bool { t, _ := htmlAttr(n, "type"); return t == "search" })); n != 1 {
		t.Errorf("%d search boxes, want 1", n)
	}
}

// TestReportHTMLSelfContained: report.html fetches nothing: no src, no link to
// anything but its attachments, and a Content-Security-Policy whose hashes allow
// exactly its one inline style and one inline script.
func TestReportHTMLSelfContained(t *testing.T) {
	t.Parallel()
	s := reportFixture(t, outcomeFail)
	s.Attachments = []Attachment{{Name: "server log", Path: "server.log"}}
	doc := htmlDoc(t, htmlBytes(t, s))
	var csp string
	for _, m := range htmlAll(doc, htmlTag("meta")) {
		if v, _ := htmlAttr(m, "http-equiv"); v == "Content-Security-Policy" {
			csp, _ = htmlAttr(m, "content")
		}
	}
	if !strings.HasPrefix(csp, "default-src 'none';") {
		t.Errorf("Content-Security-Policy %q, want default-src 'none' first", csp)
	}
	for _, tag := range []string{"style", "script"} {
		els := htmlAll(doc, htmlTag(tag))
		if len(els) != 1 {
			t.Errorf("%d <%s>, want 1", len(els), tag)
			continue
		}
		if _, ok := htmlAttr(els[0], "src"); ok {
			t.Errorf("<%s> has a src", tag)
		}
		if want := tag + "-src '" + cspHash(htmlText(els[0])) + "'"; !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q: the browser would block the page's own %s", csp, want, tag)
		}
	}
	for _, n := range htmlAll(doc, func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			switch {
			case a.Key == "src", a.Key == "href" && a.Val != "server.log", strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s=%q>: the page should fetch nothing and keep its script in one place", n.Data, a.Key, a.Val)
			}
		}
	}
}

// update rewrites the golden files from the code.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestReportGolden: the reports of the fixture's failing run are the files in
// testdata/ (report.html, junit.xml and report.json; cucumber.json is godog's own
// formatter's); `go test ./conform -run ReportGolden -update` rewrites them after a
// change that is meant.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	s := reportFixture(t, outcomeFail)
	for _, tc := range []struct {
		file  string
		write func(io.Writer) error
	}{
		{"report-fail.html", s.WriteHTML},
		{"junit-fail.xml", s.WriteJUnit},
		{"report-fail.json", func(w io.Writer) error {
			js, err := json.MarshalIndent(s, "", "  ")
			if err == nil {
				_, err = w.Write(append(js, '\n'))
			}
			return err
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(&b); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tc.file), b.Bytes())
		})
	}
}

// checkGolden compares got with the golden file at path (rewriting it first with
// -update) and fails at the first line that differs.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./conform -run ReportGolden -update writes it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		g, w := "", ""
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("the report differs from %s at line %d:\n got %.200q\nwant %.200q\n(go test ./conform -run ReportGolden -update if the change is meant)", path, i+1, g, w)
		}
	}
}
