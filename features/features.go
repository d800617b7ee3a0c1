// Package features holds the conformance suite's Gherkin features, one capability
// of SPEC.md per file, embedded so that the renewkit binary carries them. Every
// scenario has a check id tag (@RNW-001), a level tag (@must, @should or @may) and
// tags for the capabilities it needs (@admin, @lockout, ...); package conform runs
// them with the steps of package steps, and docs/conformance.md maps each check id
// to its SPEC section.
package features

import "embed"

// FS holds every *.feature file of this directory.
//
//go:embed *.feature
var FS embed.FS
