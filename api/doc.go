// Package api is renewkit's statement of the wire contract of SPEC.md sections 2-5
// and 10, in Go: the request and response types with their exact JSON names, the
// error codes and the one table that maps them to HTTP statuses, the paths of every
// endpoint, and a plain net/http client that returns the raw exchange beside the
// decoded answer. The reference server, the conformance suite and the load
// generator all import it, so the three cannot disagree about a field name, a path
// or a status.
//
// It depends on the standard library and renewkit's passcode and srp packages
// only: no gin, godog or vegeta.
//
// # The contract in short
//
// Requests and responses are JSON in UTF-8. The identity-store endpoints live
// under a prefix, DefaultPrefix unless configured, and name a tenant in one of two
// ways. The canonical form puts it in the path, /tenants/{tenantId}/stores/...;
// the host form of the guide's example URL leaves it out of the path,
// /stores/..., and takes it from the first DNS label of the Host header. Paths
// builds both forms, escaping every variable segment, and is the only place paths
// are spelled. The OAuth token endpoint, the JWKS document, /healthz, /readyz,
// /metrics and /openapi.yaml sit at the root, outside the prefix and without a
// tenant (TokenPath and its neighbours): the SPEC writes them as absolute paths
// and they belong to the server, not to a tenant.
//
// Every passcode flow is two POSTs. The start call (body {}) names the user, by
// id or by external id, and a policy; it answers a session id and the SRP
// parameters (i, n, g, hashAlgorithm, salt, plus serverPublicKey when the flow
// proves an existing passcode, plus passcodeRequirements when it sets a new one).
// The completion names the session and carries srpRegistrationData {verifier}
// when a passcode is set and srpVerificationData {a, m1} when one is proved; it
// answers the user, plus algorithmInfo with m2 when the client proved something.
// StartResponse, CompleteRequest and CompleteResponse carry exactly these fields,
// omitting those a flow leaves out.
//
// Every call needs a bearer token whose permissions include
// Permission(tenant, operation); Flow.StartOperation and Flow.CompleteOperation
// name the operation of each call and OpAdmin guards the admin endpoints.
//
// Every non-2xx answer has the body {code, message, processingDetails}: Error.
// Code.Status is the single mapping from code to HTTP status. Beside the codes of
// SPEC.md section 10 the table holds four of renewkit's own for what the SPEC
// leaves open: NOT_FOUND (no such route, 404), METHOD_NOT_ALLOWED (405),
// INTERNAL_ERROR (500) and UNAVAILABLE (503). No client input may produce the
// last two.
//
// Timestamps (User.DateCreated) are RFC 3339 strings in UTC with exactly three
// fractional digits, e.g. "2025-01-02T03:04:05.678Z" (TimeFormat). The guide does
// not fix a format; this is our choice. Readers accept any RFC 3339 time.
//
// # The client
//
// Client sends one request per call and returns the decoded answer, the Exchange
// (method, path, Host, headers and bodies byte for byte, status, duration) and an
// error. The error is *Error for a section 10 answer, wraps ErrMalformedError for
// a non-2xx answer of another shape, wraps ErrMalformedResponse for a 2xx body
// that does not decode, and wraps ErrTransport when no complete answer arrived.
// The default HTTP client does not follow redirects, so the Exchange is always the
// server's first answer. Client.Do sends raw bytes to a raw path for tests of
// malformed input.
//
// An Exchange holds secrets. Exchange.String and Exchange.Redacted mask the
// Authorization, Cookie and Set-Cookie headers and the body members verifier, a,
// m1, passcodes, client_secret and tokens, in well-formed and broken JSON and in
// forms alike; print exchanges only through them.
//
// Token authenticates with HTTP Basic and form-encodes the client id and secret
// before joining them, as RFC 6749 section 2.3.1 asks (a no-op for ids and secrets
// made of letters, digits and "-._~"); TokenWithForm sends them as form fields.
//
// # SRP flows
//
// Register, Authenticate and Renew (and SRPFlow, for options) run a whole flow:
// start, decode the parameters (ParseStart), check a new passcode against the
// returned requirements, derive the verifier and the proof from the NFC form of
// the passcodes, complete, and check m2 before reporting success. Renewal keeps
// the credential's i and salt, so the new verifier is derived under the same ones.
// The wire does not say which proof profile a server uses: SRPFlow.Profile does,
// defaulting to the SPEC's rfc5054-padded.
package api
