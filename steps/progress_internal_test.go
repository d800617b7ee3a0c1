package steps

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProgressCountsAndFinalLine(t *testing.T) {
	var p progress
	p.scenarioDone(&record{Status: StatusPassed, Level: Must})
	p.scenarioDone(&record{Status: StatusFailed, Level: Must})
	p.scenarioDone(&record{Status: StatusFailed, Level: Should}) // a warning, not a failure
	p.scenarioDone(&record{Status: StatusNotApplicable, Level: May})
	for _, interactive := range []bool{false, true} {
		var b strings.Builder
		stop := p.report(&b, interactive, time.Hour, 10)
		stop()
		stop() // a second stop is harmless
		out := b.String()
		if !regexp.MustCompile(`conform: 4/10 scenarios, 1 failed, \d+s\n$`).MatchString(out) {
			t.Errorf("interactive %v: progress output %q, want the final line", interactive, out)
		}
		if interactive != strings.HasPrefix(out, "\r\x1b[2K") {
			t.Errorf("interactive %v: output %q redraws in place only on a terminal", interactive, out)
		}
	}
}
