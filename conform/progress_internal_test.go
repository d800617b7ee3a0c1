package conform

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/steps"
)

func TestProgressCountsAndFinalLine(t *testing.T) {
	var p progress
	p.scenarioDone(steps.Outcome{Status: steps.StatusPassed, Level: steps.Must})
	p.scenarioDone(steps.Outcome{Status: steps.StatusFailed, Level: steps.Must})
	p.scenarioDone(steps.Outcome{Status: steps.StatusFailed, Level: steps.Should}) // a warning, not a failure
	p.scenarioDone(steps.Outcome{Status: steps.StatusNotApplicable, Level: steps.May})
	// Steps that passed over an exchange that broke an invariant: a failure.
	p.scenarioDone(steps.Outcome{Status: steps.StatusPassed, Level: steps.Should, Breaches: []steps.Breach{{ID: "INV-001"}}})
	for _, interactive := range []bool{false, true} {
		var b strings.Builder
		stop := p.report(&b, interactive, time.Hour, 10)
		stop()
		stop() // a second stop is harmless
		out := b.String()
		if !regexp.MustCompile(`conform: 5/10 scenarios, 2 failed, \d+s\n$`).MatchString(out) {
			t.Errorf("interactive %v: progress output %q, want the final line", interactive, out)
		}
		if interactive != strings.HasPrefix(out, "\r\x1b[2K") {
			t.Errorf("interactive %v: output %q redraws in place only on a terminal", interactive, out)
		}
	}
}
