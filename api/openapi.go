package api

import _ "embed"

// openAPIDocument is the OpenAPI 3.1 description of every endpoint of the contract
// (SPEC.md sections 3-11), with the reference server's choices where SPEC.md leaves
// room. It lives beside the wire types because it describes the same wire: the
// reference server serves it at /openapi.yaml (and a test keeps it equal to the
// router), and the conformance suite validates every answer it sees against it.
//
//go:embed openapi.yaml
var openAPIDocument []byte

// OpenAPIDocument returns a copy of the embedded OpenAPI 3.1 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }
