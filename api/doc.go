// Package api is renewkit's statement of the wire contract of SPEC.md sections 2-5
// and 10, in Go: the request and response types with their exact JSON names, the
// error codes and the one table that maps them to HTTP statuses, the paths of every
// endpoint, and a plain net/http client that returns the raw exchange beside the
// decoded answer. The reference server, the conformance suite and the load
// generator all import it, so the three cannot disagree about a field name, a path
// or a status.
//
// The package deliberately depends on nothing but the standard library and
// renewkit's passcode and srp packages: no gin, godog or vegeta.
package api
