package conform

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/seedb14f67b8/renewkit/steps"
)

// Expectations are known failures: check ids (RNW-004, or RNW-004.code for an
// error-code sub-check) whose failure does not fail the run. CI runs with them so
// that it gates on regressions only; a listed check that passes is reported as
// fixed, so the list can be trimmed.
type Expectations map[string]string

// ReadExpectations reads an expectations file: one check id per line, optionally
// followed by a reason; blank lines and lines starting with '#' are ignored:
//
//	# known failures of our server, tracked in JIRA-123
//	PRF-006      we do not accept Java's sign byte yet
//	ERR-002.code
//
// An empty path means no expectations. Unknown ids are an error (matching
// ErrOptions), so that a typo cannot hide a failure.
func ReadExpectations(path string) (Expectations, error) {
	exp := Expectations{}
	if path == "" {
		return exp, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: expectations: %v", ErrOptions, err)
	}
	return ParseExpectations(b)
}

// ParseExpectations parses the content of an expectations file.
func ParseExpectations(b []byte) (Expectations, error) {
	exp := Expectations{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		id = strings.TrimPrefix(id, "@")
		if _, ok := steps.LookupCheck(id); !ok {
			return nil, fmt.Errorf("%w: expectations line %d: unknown check id %q", ErrOptions, n, id)
		}
		exp[id] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: expectations: %v", ErrOptions, err)
	}
	return exp, nil
}
