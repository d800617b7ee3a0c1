package refserver

import "testing"

// TestJSONPath: a wrong-typed member is named by its JSON path, never by the Go
// name of the struct that holds it.
func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{
		"Requirements.minimumLength":           "minimumLength",
		"srpVerificationData.a":                "srpVerificationData.a",
		"Requirements.requiredRegExes.pattern": "requiredRegExes.pattern",
		"name":                                 "name",
	} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}
