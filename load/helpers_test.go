package load

import (
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// constProfile is a one-stage profile.
func constProfile(tb testing.TB, users int, rate float64, d time.Duration, thresholds ...string) *Profile {
	tb.Helper()
	p := &Profile{Name: "test", Users: users, Stages: []Stage{{Duration: Duration(d), Rate: &rate}}, Thresholds: thresholds}
	if err := p.Validate(); err != nil {
		tb.Fatal(err)
	}
	return p
}

// readAll decodes a results file.
func readAll(tb testing.TB, path string) []vegeta.Result {
	tb.Helper()
	var out []vegeta.Result
	if err := ReadResults(path, func(r *vegeta.Result) error { out = append(out, *r); return nil }); err != nil {
		tb.Fatal(err)
	}
	return out
}

func f64(v float64) *float64 { return &v }

// logSummary logs the text report, which is what one wants to see when a check on
// the summary fails.
func logSummary(tb testing.TB, s *Summary) {
	tb.Helper()
	var b strings.Builder
	if err := WriteText(&b, s); err != nil {
		tb.Fatal(err)
	}
	tb.Log("\n" + b.String())
}
