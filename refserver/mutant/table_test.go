package mutant

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tablePath is docs/mutation.md, from this package's directory.
const tablePath = "../../docs/mutation.md"

// The generated part of docs/mutation.md lies between these markers.
const (
	tableBegin = "<!-- variants:begin -->"
	tableEnd   = "<!-- variants:end -->"
)

const regenerate = "RENEWKIT_MUTANTS=all go test ./refserver/mutant -run TestMutation -update"

// row is one variant's row of the table.
type row struct {
	name, section, wrong, layer string
	// caught are the failed MUST and MAY checks of a full run; asserted are those
	// the default test runs (bold in the table).
	caught, asserted []string
	warnings         []string
}

// documented returns the row a full run's outcome gives v. For a variant that some
// checks catch only by chance, it keeps the catchers and the full-run catchers, which
// every run must fail, and leaves the others out.
func documented(v variant, o outcome) row {
	r := row{name: v.name, section: v.section, wrong: v.wrong, layer: v.layer(),
		caught: o.failures, asserted: v.catchers, warnings: o.warnings}
	if v.chance != "" {
		r.caught = slices.DeleteFunc(slices.Clone(o.failures), func(id string) bool {
			return !slices.Contains(v.catchers, id) && !slices.Contains(v.fullCatchers, id)
		})
		r.warnings = nil
	}
	return r
}

// renderTable is the generated part of docs/mutation.md.
func renderTable(vs []variant, results map[string]outcome) string {
	var b strings.Builder
	b.WriteString(tableBegin + "\n")
	b.WriteString("| variant | SPEC | what is wrong | built as | caught by: the failed MUST and MAY checks (**bold**: run by default) | SHOULD warnings |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, v := range vs {
		r := documented(v, results[v.name])
		ids := make([]string, len(r.caught))
		for i, id := range r.caught {
			ids[i] = id
			if slices.Contains(r.asserted, id) {
				ids[i] = "**" + id + "**"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", r.name, r.section, escapeCell(r.wrong), r.layer,
			strings.Join(ids, ", "), strings.Join(r.warnings, ", "))
	}
	b.WriteString("\nNotes from the run that wrote this table:\n\n")
	for _, v := range vs {
		o := results[v.name]
		if v.chance != "" {
			fmt.Fprintf(&b, "- `%s`: %s.\n", v.name, v.chance)
		}
		if o.diagnosis != "" {
			fmt.Fprintf(&b, "- `%s`: the suite's interop diagnosis reads \"%s\".\n", v.name, o.diagnosis)
		}
	}
	b.WriteString(tableEnd)
	return b.String()
}

// escapeCell makes s safe in a Markdown table cell.
func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// writeTable replaces the generated part of the file at path.
func writeTable(path string, vs []variant, results map[string]outcome) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	i, j := bytes.Index(old, []byte(tableBegin)), bytes.Index(old, []byte(tableEnd))
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s ... %s markers", path, tableBegin, tableEnd)
	}
	out := append(append(append([]byte(nil), old[:i]...), renderTable(vs, results)...), old[j+len(tableEnd):]...)
	return os.WriteFile(path, out, 0o644)
}

var (
	checkID = regexp.MustCompile(`\*{0,2}([A-Z]+-\d{3})\*{0,2}`)
)

// parseTable reads the rows of the generated table in the file at path.
func parseTable(path string) ([]row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := string(b)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		return nil, fmt.Errorf("%s: no %s ... %s markers", path, tableBegin, tableEnd)
	}
	var rows []row
	for _, line := range strings.Split(s[i:j], "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := splitRow(line)
		if len(cells) != 6 {
			return nil, fmt.Errorf("%s: row %q has %d cells, want 6", path, line, len(cells))
		}
		r := row{name: strings.Trim(cells[0], "`"), section: cells[1], wrong: strings.ReplaceAll(cells[2], `\|`, "|"), layer: cells[3]}
		for _, id := range strings.Split(cells[4], ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			m := checkID.FindStringSubmatch(id)
			if m == nil || m[0] != id {
				return nil, fmt.Errorf("%s: row %s: %q is not a check id", path, r.name, id)
			}
			r.caught = append(r.caught, m[1])
			if strings.HasPrefix(id, "**") {
				r.asserted = append(r.asserted, m[1])
			}
		}
		for _, id := range strings.Split(cells[5], ",") {
			if id = strings.TrimSpace(id); id != "" {
				r.warnings = append(r.warnings, id)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// splitRow splits a Markdown table row into its cells, keeping escaped pipes.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	var cells []string
	var cur strings.Builder
	for k := 0; k < len(line); k++ {
		switch {
		case line[k] == '\\' && k+1 < len(line) && line[k+1] == '|':
			cur.WriteString(`\|`)
			k++
		case line[k] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[k])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// checkTable compares docs/mutation.md with the code and the runs: the same variants
// in the same order, with the same description, and the same bold catchers; a
// variant that ran the whole suite must have exactly the documented failures and
// warnings; one that ran only its catchers must fail only documented checks.
//
// left are the checks the whole-suite runs left out (under -race); they are not
// compared.
func checkTable(t *testing.T, vs []variant, results map[string]outcome, fullRun map[string]bool, left []string) {
	t.Helper()
	rows, err := parseTable(tablePath)
	if err != nil {
		t.Fatal(err)
	}
	var names, docNames []string
	for _, v := range vs {
		names = append(names, v.name)
	}
	for _, r := range rows {
		docNames = append(docNames, r.name)
	}
	if !slices.Equal(names, docNames) {
		t.Fatalf("docs/mutation.md lists the variants %v, the code %v; regenerate: %s", docNames, names, regenerate)
	}
	for k, v := range vs {
		r, o := rows[k], results[v.name]
		want := documented(v, o)
		isLeft := func(id string) bool { return slices.Contains(left, strings.TrimSuffix(id, ".code")) }
		r.caught = slices.DeleteFunc(r.caught, isLeft)
		r.warnings = slices.DeleteFunc(r.warnings, isLeft)
		stale := func(format string, args ...any) {
			t.Errorf("docs/mutation.md, variant %s: "+format+"; regenerate: "+regenerate, append([]any{v.name}, args...)...)
		}
		if r.section != want.section || r.wrong != want.wrong || r.layer != want.layer {
			stale("the row says %q, %q, %q; the code %q, %q, %q", r.section, r.wrong, r.layer, want.section, want.wrong, want.layer)
		}
		if !sameSet(r.asserted, v.catchers) {
			stale("bold (run by default) %v, the code's catchers %v", r.asserted, v.catchers)
		}
		switch {
		case fullRun[v.name] && v.chance == "":
			if !slices.Equal(r.caught, want.caught) || !slices.Equal(r.warnings, want.warnings) {
				stale("documented failures %v and warnings %v, this run %v and %v", r.caught, r.warnings, want.caught, want.warnings)
			}
		case fullRun[v.name]:
			for _, id := range r.caught {
				if !slices.Contains(o.failures, id) {
					stale("documented %s, which passed in this run", id)
				}
			}
		default:
			for _, id := range o.failures {
				if !slices.Contains(r.caught, id) {
					stale("check %s fails and is not documented", id)
				}
			}
		}
	}
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
