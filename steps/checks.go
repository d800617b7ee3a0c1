package steps

import "slices"

// Level is how much a check weighs (SPEC.md keywords): a failed MUST fails the run,
// a failed SHOULD is a warning, and a MAY runs only when the target declares the
// capability, and is then held to the MUST bar.
type Level string

// The levels, as the features tag them.
const (
	Must   Level = "must"
	Should Level = "should"
	May    Level = "may"
)

// Gates reports whether a failure at this level fails the run.
func (l Level) Gates() bool { return l == Must || l == May }

// CodeSuffix is appended to a check id for its error-code sub-check: SPEC.md
// section 10 makes status codes MUST checks and error codes SHOULD checks, so every
// scenario that expects an error reports the status under its id and the code (with
// the body shape it is read from) under id + CodeSuffix at the SHOULD level.
const CodeSuffix = ".code"

// Check is one entry of the catalogue: a stable id, its level, the SPEC.md section
// it checks, a title, and what the spec wants, quoted or closely paraphrased.
type Check struct {
	ID      string `json:"id"`
	Level   Level  `json:"level"`
	Section string `json:"section"`
	Title   string `json:"title"`
	Spec    string `json:"spec"`
}

// Catalogue returns every check of the suite in id order within each prefix. Ids
// are never renumbered: a retired check keeps its number, unused.
func Catalogue() []Check {
	return slices.Concat(catalogueFlow(), catalogueSRP(), catalogueAccess(), catalogueServer())
}

// catalogueFlow holds the checks of the flows and how their users are named: registration, authentication, renewal, external ids, unknown names, bad input.
func catalogueFlow() []Check {
	return []Check{
		{"REG-001", Must, "§4", "registration by user id", `start {passcodeRequirements, algorithmInfo{type "SRP", parameters{i, n, g, hashAlgorithm, salt}}, sessionId}; complete {srpRegistrationData{verifier}} -> 200 {user}`},
		{"REG-002", Must, "§4", "registration by external id", `{P}/users/{extUserId}/passcodes/registrations/{policyName}/ext starts the same registration`},
		{"REG-003", Must, "§9", "registration refused for a user with a passcode", `"Registration of a user who has a credential: 400 PASSCODE_ALREADY_REGISTERED, at start"`},
		{"REG-004", Must, "§9", "second of two concurrent registrations refused", `"... and at completion when another registration of the same user completed first"`},
		{"REG-005", Should, "§1", "ids are 26-character IDs", `"id is a 26-character ID": RFC 4648 base32, upper case, no padding, of 16 random bytes`},

		{"AUTH-001", Must, "§4, §6", "authentication by user id with a verified m2", `complete {srpVerificationData{a, m1}} -> 200 {algorithmInfo{type "SRP", parameters{hashAlgorithm, m2}}, user}; the client checks M2`},
		{"AUTH-002", Must, "§4", "authentication by external id", `{P}/users/{extUserId}/passcodes/authentications/{policyName}/ext starts the same authentication`},
		{"AUTH-003", Must, "§2, §6", "a wrong passcode is refused and changes nothing", `"MUST NOT return M2 ... unless M1 is correct: 400 INVALID_PROOF"; "A request that fails changes nothing"`},
		{"AUTH-004", Must, "§9", "authentication of a user without a passcode", `"Authentication or renewal of a user with none: 400 PASSCODE_NOT_REGISTERED"`},
		{"AUTH-005", Must, "§1", "authentication uses the credential's i and salt", `"i and the salt are fixed for the life of the credential"`},

		{"RNW-001", Must, "§4, guide", "the guide's renewal flow", `start -> 200 with requirements and SRP parameters; prove the old passcode, send the new verifier -> 200 and an m2 the client verifies; the new passcode authenticates, the old one does not`},
		{"RNW-002", Must, "§4", "the renewal start answer's shape", `"{passcodeRequirements, algorithmInfo: {type: "SRP", parameters: {i, n, g, hashAlgorithm, salt, serverPublicKey}}, sessionId} (exactly the guide's example)"`},
		{"RNW-003", Must, "§1", "a renewal keeps i and the salt", `"every renewal keeps them (this is what makes history checks possible)"`},
		{"RNW-004", Must, "§2, §6", "a renewal with a wrong old passcode changes nothing", `"MUST NOT return M2 (or anything derived from S) unless M1 is correct: 400 INVALID_PROOF"; "A request that fails changes nothing: no verifier ... moves"`},
		{"RNW-005", Must, "§9", "renewal of a user without a passcode", `"Authentication or renewal of a user with none: 400 PASSCODE_NOT_REGISTERED"`},
		{"RNW-006", Must, "§2", "a wrong proof is reported before history", `"a wrong proof is reported as INVALID_PROOF even when the new passcode would also break history"`},
		{"RNW-007", Must, "§6", "200 renewals (50 in a row for 4 users), leading zero bytes included", `every renewal verifies, whatever leading zero bytes A, v, M1, M2 (and B, S) have: PAD and the lenient decodings of §6`},
		{"RNW-008", Must, "§4, §8", "the renewal's effect under every policy", `"afterwards the new passcode authenticates and the old one does not" (the guide's flow) under the standard, pin6 and nohistory policies, passcodeHistory 0 included`},
		{"RNW-009", Must, "§2", "a refused renewal moves nothing", `"A request that fails changes nothing: no verifier, history, user or policy moves": after INVALID_PROOF, INVALID_VERIFIER, INVALID_REQUEST or PASSCODE_HISTORY_VIOLATION the old passcode works and the new one does not`},

		{"EXT-001", Must, "§4", "renewal by external id", `"{P}/users/{extUserId}/passcodes/renewals/{policyName}/ext" with permission createUserPasscodeRenewalForUserByExtUserId`},
		{"EXT-002", Must, "§1, §4", "both start forms name one credential", `a user named by id or by externalId has one credential: same i and salt`},
		{"EXT-003", Should, "§1, §4", "external ids that need escaping", `"externalId is the caller's own key": any string, carried as one escaped path segment`},
		{"EXT-004", Must, "§2", "external ids are not case-folded", `"External ids and every path value are compared as exact bytes (no case folding ...)": the upper-cased external id of a user is 404 USER_NOT_FOUND at every start`},
		{"EXT-005", Must, "§2", "external ids are not Unicode-normalized", `"compared as exact bytes (... no Unicode normalization)": an external id in NFC is 404 USER_NOT_FOUND by its NFD form, and the other way round`},
		{"EXT-006", Must, "§2", "non-ASCII external ids round-trip", `"any UTF-8 external id of up to 256 code points is accepted": created, read, started by and named in every completion byte for byte; "No input from a client may produce a 5xx"`},

		{"NF-001", Must, "§4", "unknown store, policy or user is 404", `"404: tenant, store, policy, user or session not found (STORE_NOT_FOUND, POLICY_NOT_FOUND, USER_NOT_FOUND)"`},
		{"NF-002", Must, "§4", "unknown tenant is 404", `"404: tenant ... not found (TENANT_NOT_FOUND)"`},
		{"NF-003", Must, "§4, §7", "unknown session is 404", `"unknown or expired IDs, get 404 SESSION_NOT_FOUND"`},
		{"NF-004", Must, "§1, §4", "a user of another store is 404", `"externalId is the caller's own key, unique per store"; "404: ... user ... not found (USER_NOT_FOUND)"`},
		{"NF-005", Must, "§2, §4", "path values are not case-folded", `"External ids and every path value are compared as exact bytes (no case folding ...)": the store or policy name in another case, or the user id in lower case, is 404 STORE_NOT_FOUND, POLICY_NOT_FOUND or USER_NOT_FOUND at every start`},

		{"BAD-001", Must, "§2", "malformed renewal completions", `"Malformed JSON, wrong types, unknown enum values, missing required fields: 400 INVALID_REQUEST"; "A request that fails changes nothing"`},
		{"BAD-002", Must, "§2", "malformed authentication completions", `"Malformed JSON, wrong types ... missing required fields: 400 INVALID_REQUEST"`},
		{"BAD-003", Must, "§2", "malformed registration completions", `"Malformed JSON, wrong types ... missing required fields: 400 INVALID_REQUEST"; nothing is registered`},
		{"BAD-004", Must, "§4", "start bodies {} and absent", `"Bodies of the start calls are {} (an empty object; an absent body is accepted too)"`},
		{"BAD-005", Must, "§2", "malformed start bodies", `"Malformed JSON ...: 400 INVALID_REQUEST"`},
		{"BAD-006", Must, "§2", "bodies over 64 KiB", `"Request bodies over 64 KiB: 413" (PAYLOAD_TOO_LARGE)`},
		{"BAD-007", Must, "§2", "odd path values", `"No input from a client may produce a 5xx"`},
		{"BAD-008", Must, "§2, §4-§10", "the reference bad-input corpus", `each malformed request of fixtures/badinput.yaml gets the status SPEC.md names; "No input from a client may produce a 5xx"; "A request that fails changes nothing"`},
		{"BAD-009", Should, "§2", "the corpus where SPEC.md is silent", `requests whose answer SPEC.md leaves open (unknown or case-folded members, members of another flow, renames) get the reference server's answer`},
		{"BAD-010", Must, "§2", "the 64 KiB limit's boundary", `"Request bodies over 64 KiB: 413": a well-formed request of exactly 65,536 bytes (padded with JSON whitespace) is answered as without the padding, one of 65,537 bytes is 413`},
	}
}

// catalogueSRP holds the checks of the SRP values and the session life: public values, proofs, sessions, history, requirements.
func catalogueSRP() []Check {
	return []Check{
		{"PUB-001", Must, "§6", "A mod N = 0, A >= N, A = 1, A = N-1 refused", `"The server MUST reject a with A mod N = 0, A >= N, A = 1 or A = N - 1: 400 INVALID_PUBLIC_VALUE. It MUST also reject a proof forged for S = 0."`},
		{"PUB-002", Must, "§6", "verifiers outside 1 < v < N-1 refused", `"The server MUST reject a verifier outside 1 < v < N - 1: 400 INVALID_VERIFIER"`},
		{"PUB-003", Must, "§6", "B in range and fresh per session", `B = (k*v + g^b) mod N with 0 < B < N; "Secret exponents are fresh per session and never reused"`},

		{"PRF-001", Must, "§6", "group, generator and hash", `"n ... base64 of the unsigned big-endian integer"; the RFC 5054 group of the profile, "g: a JSON number", "hashAlgorithm: "SHA-256""`},
		{"PRF-002", Must, "§6", "salt encoding and length", `"salt: base64url without padding (RFC 4648 section 5); at least 16 bytes"`},
		{"PRF-003", Should, "§6", "senders pad n and serverPublicKey", `"Senders SHOULD pad to len(N)"`},
		{"PRF-004", Must, "§6", "no M2 for a wrong M1", `"MUST NOT return M2 (or anything derived from S) unless M1 is correct: 400 INVALID_PROOF"`},
		{"PRF-005", Must, "§6", "m1 with leading zeros stripped accepted", `"Receivers MUST also accept them as integer encodings: leading zero bytes stripped"`},
		{"PRF-006", Must, "§6", "m1 with Java's extra 0x00 accepted", `"or one extra leading 0x00 (as Java's BigInteger.toByteArray writes)"`},
		{"PRF-007", Must, "§6", "unpadded a accepted", `"receivers MUST accept leading zeros" (and their absence: PAD is a SHOULD for senders)`},
		{"PRF-008", Must, "§6", "both base64 alphabets, missing padding, extra zeros", `"receivers MUST accept leading zeros, both base64 alphabets, and missing = padding"`},
		{"PRF-009", Should, "§6", "m2 is standard base64 of the hash output", `"m1, m2: base64 of the H output (32 bytes for SHA-256)"`},
		{"PRF-010", May, "§6", "the rfc2945 profile", `"Profile rfc2945 (a server MAY offer it; the harness MUST be able to check it)": M1 = H(H(N) xor H(g) | H(I) | s | A | B | K), M2 = H(A | M1 | K)`},

		{"SES-001", Must, "§7", "single use after success", `"Single use: the first completion attempt consumes the session ...; later attempts ... get 404 SESSION_NOT_FOUND"`},
		{"SES-002", Must, "§7", "single use after a wrong proof", `"the first completion attempt consumes the session, whatever its outcome"`},
		{"SES-003", Must, "§2, §7", "single use after a malformed completion", `"a completion request for a known session consumes that session whatever its outcome"`},
		{"SES-004", Must, "§7", "expired sessions", `"TTL 300 s by default (configurable) ... unknown or expired IDs, get 404 SESSION_NOT_FOUND"`},
		{"SES-005", Must, "§7", "a session is bound to its flow", `"completing it through another flow's ... path is 404"`},
		{"SES-006", Must, "§7", "a session is bound to its store", `"A session is bound to its flow, tenant and store: completing it through another ... store's path is 404"`},
		{"SES-007", Must, "§2, §7", "stale authentication session", `"If the credential changed before completion: 400 STALE_SESSION"; "a stale session is never verified against an old verifier"`},
		{"SES-008", Must, "§7", "stale renewal session", `"Of N renewal sessions of one user started before any completes, at most one succeeds; the others get STALE_SESSION"`},
		{"SES-009", Must, "§5, §7", "stale after re-registration", `a deleted and re-registered credential is a changed credential: 400 STALE_SESSION`},
		{"SES-010", Must, "§7", "concurrent completions of one session", `"of N concurrent completions of one session, at most one succeeds"`},
		{"SES-011", Must, "§7", "concurrent renewals of one user", `"at most one succeeds; the others get STALE_SESSION. No acknowledged renewal is ever lost."`},
		{"SES-012", Must, "§2", "the order of completion checks", `"Completion checks run in this order: session lookup, request shape and encodings, public value and verifier ranges, staleness (section 7), the proof M1, then history."`},
		{"SES-013", Must, "§2, §9", "a stale session with a refused A counts", `"public value and verifier ranges, staleness (section 7), the proof M1": a stale session with a bad A fails with INVALID_PUBLIC_VALUE, and "each completion ... that fails with INVALID_PROOF or INVALID_PUBLIC_VALUE counts"`},
		{"SES-014", Must, "§2, §7, §9", "a stale session is refused before its proof and does not count", `"a stale session is never verified against an old verifier": 400 STALE_SESSION whether its proof is right for the old passcode or wrong, and only INVALID_PROOF or INVALID_PUBLIC_VALUE count toward the lock`},
		{"SES-015", Must, "§2, §7", "a session is bound in the host form too", `"A session is bound to its flow, tenant and store: completing it through another flow's or store's path is 404", in the host form of §2 as in the canonical one`},
		{"SES-016", Must, "§1", "session ids are unpredictable", `"A sessionId MUST be unpredictable: at least 128 bits from a CSPRNG, so that no session ID can be derived from others": of 256 ids none repeats, none is within 2^32 of another, and their bits are balanced`},
		{"SES-017", Must, "§2, §7", "single use after any refusal", `"the first completion attempt consumes the session, whatever its outcome": after INVALID_PUBLIC_VALUE, INVALID_VERIFIER, STALE_SESSION or PASSCODE_HISTORY_VIOLATION a correct completion of the same session is 404 SESSION_NOT_FOUND`},

		{"HIS-001", Must, "§8, §2", "history violations", `"passcodeHistory: the number of most recent passcodes, the current one included, that a renewal may not reuse ... 400 PASSCODE_HISTORY_VIOLATION"`},
		{"HIS-002", Must, "§8", "reuse beyond the history and with history 0", `passcodes older than passcodeHistory may be reused; "0 turns the check off"`},
		{"HIS-003", Must, "§2, §8, §9", "a history violation does not count toward the lock", `"A request that fails changes nothing ... Two things do move, on purpose: ... a wrong proof counts toward lockout"; PASSCODE_HISTORY_VIOLATION is neither INVALID_PROOF nor INVALID_PUBLIC_VALUE`},

		{"REQ-001", Must, "§8", "fixture policies returned verbatim", `"The server returns the policy's requirements verbatim"`},
		{"REQ-002", Must, "§8", "every rule returned verbatim and usable", `each rule of §8 comes back verbatim, and a passcode that meets it registers`},
		{"REQ-003", Must, "§8, guide", "the guide's example policy", `the guide's example requirements, empty patterns included, come back verbatim`},
	}
}

// catalogueAccess holds the checks of tokens, lockout, tenants, permissions, host paths and error bodies.
func catalogueAccess() []Check {
	return []Check{
		{"TOK-001", Must, "§3", "bad credentials are 401", `"No token, a malformed, expired or badly signed token, or alg: none: 401 UNAUTHORIZED"`},
		{"TOK-002", Must, "§3", "every endpoint needs a token", `"Every passcode and admin endpoint needs Authorization: Bearer <token>"`},
		{"TOK-003", Must, "§3", "expired tokens are 401", `"... expired ... token ...: 401 UNAUTHORIZED"`},
		{"TOK-004", Must, "§3", "the renewal permissions renew", `createPasscodeRenewalForUser, createUserPasscodeRenewalForUserByExtUserId, completePasscodeRenewal grant the renewal flow`},
		{"TOK-005", Must, "§3", "the renewal permissions grant nothing else", `"A valid token without the permission for this tenant and operation: 403 FORBIDDEN"`},
		{"TOK-006", Must, "§3", "no permission, no access", `"A valid token without the permission for this tenant and operation: 403 FORBIDDEN"`},
		{"TOK-007", May, "§3", "the token endpoint", `"POST /oauth/token, OAuth 2.0 client credentials ... {access_token, token_type: Bearer, expires_in}. Tokens are JWTs signed with ES256; the public key is at GET /.well-known/jwks.json. Claims: iss, sub, iat, exp, permissions"`},
		{"TOK-008", May, "§3", "the token endpoint refuses a wrong secret", `client credentials (RFC 6749 section 4.4) with a wrong secret get no token: 401`},
		{"TOK-009", May, "§3, §10", "failed client authentications are throttled, the right secret still works", `"The token endpoint SHOULD limit failed client authentications per client id (429 with Retry-After); this is a MAY check": wrong secrets for one client id end in 429 with Retry-After and the section 10 body, and then the right secret still gets a token (no lockout of the real client)`},

		{"LCK-001", Must, "§9", "locked after maxFailedAttempts", `"at the maximum the user becomes TEMP_LOCKED ... Any start ... for a TEMP_LOCKED ... user: 400 USER_LOCKED"`},
		{"LCK-002", Must, "§9", "a success resets the count", `"a successful one resets the count"`},
		{"LCK-003", Must, "§9", "refused public values count", `"each completion ... that fails with INVALID_PROOF or INVALID_PUBLIC_VALUE counts"`},
		{"LCK-004", Must, "§9", "completion after the lock", `"Any start or completion for a TEMP_LOCKED or LOCKED user: 400 USER_LOCKED"`},
		{"LCK-005", Must, "§9", "the locked status", `"at the maximum the user becomes TEMP_LOCKED until the duration ends"`},
		{"LCK-006", Must, "§9", "statuses refuse starts", `"TEMP_LOCKED or LOCKED user: 400 USER_LOCKED; for a DISABLED user: 400 USER_DISABLED"`},
		{"LCK-007", Must, "§9", "locked and disabled users with a passcode", `"Any start ... for a TEMP_LOCKED or LOCKED user: 400 USER_LOCKED; for a DISABLED user: 400 USER_DISABLED"`},
		{"LCK-008", Must, "§2, §9", "a wrong proof with a history-breaking passcode counts", `"a wrong proof is reported as INVALID_PROOF even when the new passcode would also break history"; "each completion ... that fails with INVALID_PROOF ... counts"`},
		{"LCK-009", Must, "§9", "a successful renewal resets the count", `"each completion of an authentication or renewal that fails ... counts; a successful one resets the count"`},
		{"LCK-010", Must, "§9", "concurrent wrong proofs are counted one at a time", `"of any number of concurrent completions with wrong proofs, at most maxFailedAttempts (less the failures already counted) are answered INVALID_PROOF; the rest are answered USER_LOCKED without their proof being evaluated"`},
		{"LCK-011", Must, "§9", "a right proof in a concurrent burst is no oracle", `"A completion refused for the lock gets the same answer whether its proof was right or wrong: the lock is never a passcode oracle"`},
		{"LCK-012", Must, "§9", "after the lock, right and wrong proofs get one answer", `"Any start or completion for a TEMP_LOCKED ... user: 400 USER_LOCKED"; "A completion refused for the lock gets the same answer whether its proof was right or wrong"`},
		{"LCK-013", Must, "§9", "a counted failure leaves other sessions valid", `"A counted failure changes nothing else: the user's other open sessions stay valid."`},
		{"LCK-014", Must, "§9", "a store locks after its own maxFailedAttempts", `"The store's lock configuration {maxFailedAttempts (default 5), lockDurationSeconds (default 900)}": in a store whose maximum is not the default, one failure less does not lock and the maximum does`},
		{"LCK-015", Must, "§9", "a lock ends after lockDurationSeconds", `"at the maximum the user becomes TEMP_LOCKED until the duration ends": locked right after, and the passcode authenticates once the store's lockDurationSeconds have passed`},

		{"TEN-001", Must, "§3", "another tenant's token is 403", `"A valid token without the permission for this tenant and operation: 403 FORBIDDEN"`},
		{"TEN-002", Must, "§1, §4", "users are per tenant", `"Tenant: an isolated customer"; a user of one tenant is USER_NOT_FOUND in another`},
		{"TEN-003", Must, "§7", "sessions are bound to their tenant", `"A session is bound to its flow, tenant and store"`},
		{"TEN-004", Must, "§1", "external ids are per tenant", `"externalId is the caller's own key, unique per store"; tenants are isolated`},
		{"TEN-005", Must, "§1, §3, §5", "admin operations are per tenant", `"Tenant: an isolated customer. Every path and every permission names one": this tenant's user id read or its credential deleted through the other tenant's admin paths, with that tenant's admin token, is 404 USER_NOT_FOUND and the passcode still authenticates`},

		{"PERM-001", Must, "§3", "every passcode operation with every restricted token", `"No token, a malformed, expired or badly signed token ...: 401 UNAUTHORIZED. A valid token without the permission for this tenant and operation: 403 FORBIDDEN"; TNT#{tenantId}#{operation} grants the operation`},
		{"PERM-002", Must, "§3, §5", "every admin operation with every restricted token", `"Permission IdentityStore:admin"; "expired ... token: 401 UNAUTHORIZED. A valid token without the permission for this tenant and operation: 403 FORBIDDEN"`},
		{"PERM-003", Must, "§2, §3", "a refused passcode write changes nothing", `"A request that fails changes nothing: no verifier, history, user or policy moves": a completion refused with 401 or 403 registers or renews nothing`},
		{"PERM-004", Must, "§2, §3, §5", "a refused admin write changes nothing", `"A request that fails changes nothing: no verifier, history, user or policy moves": a refused user or policy creation, policy update or deletion, or credential deletion leaves everything as it was`},

		{"HOST-001", Should, "§2", "renewal in the host form", `"A server SHOULD also accept the host form of the guide's example URL, /stores/... with the tenant taken from the first DNS label of the Host header"`},
		{"HOST-002", Should, "§2", "registration and authentication in the host form", `the host form is accepted for every passcode endpoint`},
		{"HOST-003", Should, "§2, §3", "the Host header's tenant is checked", `the tenant comes from the Host header, and permissions name the tenant`},
		{"HOST-004", Should, "§2", "a session crosses path forms", `both forms name the same tenant and store, so one session completes in either`},

		{"ERR-001", Must, "§10", "the error body", `"Every non-2xx response has the body {"code": "...", "message": "...", "processingDetails": [{"code": "...", "message": "..."}]}"`},
		{"ERR-002", Should, "§10", "no internal detail in messages", `"message is for people and never holds internal detail (no stack, SQL or Go error text)"`},
		{"ERR-003", Must, "§2", "JSON content type", `"JSON in UTF-8 both ways; responses carry Content-Type: application/json"`},
	}
}

// catalogueServer holds the checks of the invariants over every exchange, the admin API, operations and the process flow.
func catalogueServer() []Check {
	return []Check{
		{"INV-001", Must, "§2", "no answer of the run is a 5xx", `"No input from a client may produce a 5xx": checked on every exchange of every scenario`},
		{"INV-002", Must, "§2", "every JSON answer says application/json", `"JSON in UTF-8 both ways; responses carry Content-Type: application/json": checked on every answer with a body whose operation answers JSON`},
		{"INV-003", Must, "§10", "every non-2xx answer has the error body", `"Every non-2xx response has the body {code, message, processingDetails: [{code, message}]}": checked on every exchange`},
		{"INV-004", Must, "§2, §4, §11", "every answer matches openapi.yaml", `every answer's status and body match the OpenAPI 3.1 description of its operation ("a user object is exactly {id, externalId, status, dateCreated}")`},
		{"INV-005", Must, "§2", "no answer carries a secret", `"No response ever carries a verifier, a verifier history, or anything derived from a server secret other than what section 4 names": no answer carries a verifier the suite sent or derived (base64, base64url, hex or decimal), nor another user's salt`},

		{"ADM-001", May, "§5", "create a user", `"POST {P}/users {externalId, status?} -> 201 with the user object"`},
		{"ADM-002", May, "§5", "a taken external id", `"a taken externalId: 409 EXTERNAL_ID_NOT_UNIQUE"`},
		{"ADM-003", May, "§5", "read a user", `"GET {P}/users/{userId}, GET {P}/users/{extUserId}/ext -> 200 with the user object"`},
		{"ADM-004", May, "§5, §8", "policy lifecycle", `"POST {P}/passcodePolicy {name, ...requirements} -> 201; GET, POST (update), DELETE {P}/passcodePolicy/{policyName}"`},
		{"ADM-005", May, "§5", "delete a credential", `"DELETE {P}/users/{userId}/passcodes removes the user's credential (a later registration makes a new one, with a new i and salt)"`},
		{"ADM-006", May, "§5", "admin needs IdentityStore:admin", `"Permission IdentityStore:admin"`},

		{"OPS-001", May, "§11", "health and readiness", `"GET /healthz (alive), GET /readyz (store reachable)"`},
		{"OPS-002", May, "§11", "metrics", `"GET /metrics (Prometheus text format: requests by route and status, latency histograms, sessions open, SRP operations)"`},
		{"OPS-003", May, "§11", "OpenAPI description", `"GET /openapi.yaml (an OpenAPI 3.1 description of every endpoint above)"`},
		// The guide's "Renewing via Process Definition" (features/process.feature,
		// package process): renewkit's own endpoints, capability process.
		{"PRC-001", Must, "guide", "a process instance runs the guide's activities in order", `Start -> Start Passcode Renewal -> Passcode Renewal Form -> Complete Passcode Renewal -> Simple Decider -> End, with an m2 the browser verifies`},
		{"PRC-002", Must, "guide", "the decider fails a wrong existing passcode", `the Simple Decider reaches FAIL after INVALID_PROOF, and nothing changes`},
		{"PRC-003", Must, "guide", "count-limited process tokens", `a MULTI_USE_COUNT_LIMITED token starts at most its maximum of instances`},
		{"PRC-004", Must, "guide", "time-limited process tokens", `a MULTI_USE_TIME_LIMITED token starts instances until it expires`},
		{"PRC-005", Must, "guide", "unlimited process tokens", `an UNLIMITED token starts any number of instances`},
		{"PRC-006", Must, "guide", "inactive process tokens", `an INACTIVE token starts nothing`},
		{"PRC-007", Must, "guide", "broken definitions are refused", `a definition missing a required parameter is refused, naming the node and the parameter`},
		{"PRC-008", Must, "guide", "definitions are versioned with the guide's defaults", `the guide's default parameter values (passcodeRenewal1, passcode-verify, renewal, passcodeRenewalForm1, ...) are filled in`},
		// The guide's "more complex flow" (fixture passcodeRenewalFull): branches,
		// Get User, error forms, a retry, the fall-through to registration.
		{"PRC-009", Must, "guide", "a renewal without a passcode falls through to registration", `"transition to a Passcode Registration flow if a passcode doesn't exist": PASSCODE_NOT_REGISTERED branches to an error form and the registration activities, and the decider says PASS`},
		{"PRC-010", Must, "guide", "a wrong passcode's error form and a retry", `"custom forms describing errors to the user": INVALID_PROOF branches to an error form whose button leads to a retry that PASSes`},
		{"PRC-011", Must, "guide", "two wrong passcodes end in FAIL", `the retry's failure counts: the Simple Decider's FAIL flow is taken and nothing changes`},
		{"PRC-012", Must, "guide", "a reused passcode's error form and a retry", `PASSCODE_HISTORY_VIOLATION branches to its error form, then a retry with another passcode PASSes`},
		{"PRC-013", Must, "guide", "a locked user's error form and FAIL", `USER_LOCKED at the renewal start branches to the locked error form; the decider says FAIL`},
		{"PRC-014", Must, "guide", "a stale session ends in REVIEW", `STALE_SESSION takes the completion's default flow; the decider's default (REVIEW) flow is taken`},
		{"PRC-015", Must, "guide", "Get User's not-found outcome is branchable", `"Identify the Identity Store User using the 'Get User' activity": USER_NOT_FOUND branches to an error form; the decider says FAIL`},
		{"PRC-016", Must, "guide", "the full flow's default path", `with no failure every default flow is taken and the renewal PASSes`},
		{"PRC-017", Must, "guide", "processActivities lists Get User and the error form", `GET .../processActivities lists getUser and errorForm with their parameters, and what each node type's flows may test`},
		{"PRC-018", Must, "guide", "broken branches are refused", `a definition whose branches break a rule (no default, two defaults, a flow with neither condition nor default, a default with a condition, an unknown decision, code or status, a condition of two fields or on a node that cannot branch, a second flow out of a form, a repeated condition, a cycle, an unreachable node, a user not stored on every path, an error form with a passcode field) is refused naming the node, and nothing is deployed`},
	}
}

// LookupCheck returns the catalogue entry of id (a ".code" sub-check maps to its
// parent's entry at the SHOULD level).
func LookupCheck(id string) (Check, bool) {
	base, isCode := cutCode(id)
	i := slices.IndexFunc(Catalogue(), func(c Check) bool { return c.ID == base })
	if i < 0 {
		return Check{}, false
	}
	c := Catalogue()[i]
	if isCode {
		c.ID = id
		c.Level = Should
		c.Title += " (error code)"
		c.Spec = `§10: "Status codes are MUST checks; error codes are SHOULD checks." ` + c.Spec
	}
	return c, true
}

// cutCode splits "RNW-004.code" into "RNW-004", true.
func cutCode(id string) (string, bool) {
	if len(id) > len(CodeSuffix) && id[len(id)-len(CodeSuffix):] == CodeSuffix {
		return id[:len(id)-len(CodeSuffix)], true
	}
	return id, false
}
