package conform

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// interruptedMessage is what every report says of an outcome a signal cut short.
const interruptedMessage = "INTERRUPTED: the run was cut short; this outcome is no verdict"

// markCucumberInterrupted rewrites godog's cucumber JSON of an interrupted run so
// that no consumer reads it as a verdict: every feature carries the tag
// @INTERRUPTED, and every step result that is not "passed" (steps cut short
// fail with the context's error, later ones are skipped) becomes "skipped" with
// interruptedMessage. The rest of each document is kept as godog wrote it.
func markCucumberInterrupted(doc []byte) ([]byte, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return []byte("[]\n"), nil
	}
	var features []map[string]any
	if err := json.Unmarshal(doc, &features); err != nil {
		return nil, fmt.Errorf("conform: cucumber report: %w", err)
	}
	for _, f := range features {
		tags, _ := f["tags"].([]any)
		f["tags"] = append(tags, map[string]any{"name": "@INTERRUPTED", "line": 1})
		elements, _ := f["elements"].([]any)
		for _, e := range elements {
			el, _ := e.(map[string]any)
			stepList, _ := el["steps"].([]any)
			for _, st := range stepList {
				step, _ := st.(map[string]any)
				res, _ := step["result"].(map[string]any)
				if res == nil || res["status"] == "passed" {
					continue
				}
				res["status"] = "skipped"
				res["error_message"] = interruptedMessage
			}
		}
	}
	out, err := json.MarshalIndent(features, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("conform: cucumber report: %w", err)
	}
	return append(out, '\n'), nil
}
