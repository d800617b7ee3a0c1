package mutant

import "strings"

// variant is one deliberately broken reference server: exactly one of store, srp
// and http is set (none for the control).
type variant struct {
	// name is the variant's stable id in docs/mutation.md.
	name string
	// wrong says what the variant does wrong, and section the SPEC.md section it
	// breaks.
	wrong   string
	section string

	store storeFaults
	srp   srpFaults
	http  httpFault
	// control runs every layer with no fault: the suite must pass against it.
	control bool

	// catchers are the checks the default test runs against the variant; every one
	// of them must fail. The full run (RENEWKIT_MUTANTS=all) runs the whole suite.
	catchers []string
	// fullCatchers catch the variant in every full run but are too slow for the
	// default one.
	fullCatchers []string
	// chance, when set, says why checks beyond the catchers fail in some full runs
	// and not in others.
	chance string
}

// layer names where the fault is made, for docs/mutation.md.
func (v variant) layer() string {
	switch {
	case v.http != nil:
		return "HTTP middleware"
	case v.store != (storeFaults{}):
		return "store wrapper"
	case v.srp != (srpFaults{}):
		return "SRP translator"
	}
	return "all three, no fault"
}

// control is the variant with no fault.
var controlVariant = variant{name: "control", wrong: "nothing: every layer runs, none changes anything", control: true}

// variants returns every broken variant, in the order of docs/mutation.md.
func variants() []variant {
	return []variant{
		{
			name: "k-unpadded-g", section: "§6",
			wrong:    "k = H(N | g) with g as one byte instead of H(N | PAD(g))",
			srp:      srpFaults{kUnpaddedG: true},
			catchers: []string{"AUTH-001", "RNW-001"},
		},
		{
			name: "u-unpadded", section: "§6",
			wrong:        "u = H(A | B) over the minimal encodings instead of H(PAD(A) | PAD(B))",
			srp:          srpFaults{uUnpadded: true},
			catchers:     []string{"PRF-007"},
			fullCatchers: []string{"RNW-007"},
			chance:       "u differs only when A or B has a leading zero byte: PRF-007 and RNW-007 make one; elsewhere about one session in 128 has one by chance",
		},
		{
			name: "public-value-unchecked", section: "§6",
			wrong:    "A is never range-checked: A mod N = 0, A >= N, A = 1 and A = N-1 are used as they come",
			srp:      srpFaults{noPublicCheck: true},
			catchers: []string{"PUB-001", "LCK-003"},
			chance:   "a proof forged for A = N-1 matches when b is even, in about half the sessions: that row of PUB-001 then fails with 200, otherwise with 400 and the wrong code (a PUB-001.code warning)",
		},
		{
			name: "public-value-reduced", section: "§6",
			wrong:    "A is reduced mod N before the range check: A+N and A+2N are taken as A",
			http:     publicValueReduced,
			catchers: []string{"PUB-001"},
		},
		{
			name: "m2-for-wrong-proof", section: "§6",
			wrong:    "the 400 INVALID_PROOF answer to a wrong M1 carries the M2 of S",
			srp:      srpFaults{leakM2: true},
			catchers: []string{"PRF-004"},
		},
		{
			name: "proof-unchecked", section: "§6",
			wrong:    "every M1 is accepted: M2 is computed and returned without comparing M1",
			srp:      srpFaults{anyProof: true},
			catchers: []string{"AUTH-003", "RNW-004", "PRF-004"},
		},
		{
			name: "m2-unpadded-m1", section: "§6",
			wrong:    "M2 = H(PAD(A) | M1 | PAD(S)) with M1 unpadded",
			srp:      srpFaults{m2UnpaddedM1: true},
			catchers: []string{"AUTH-001", "RNW-001"},
		},
		{
			name: "b-fixed-per-user", section: "§6",
			wrong:    "the secret b is derived from the user id, so every session of a credential has the same B",
			srp:      srpFaults{fixedB: true},
			catchers: []string{"PUB-003"},
		},
		{
			name: "verifier-range-unchecked", section: "§6",
			wrong:    "a verifier outside 1 < v < N-1 is accepted (stored reduced mod N)",
			http:     verifierRangeUnchecked,
			catchers: []string{"PUB-002"},
		},
		{
			name: "session-reusable", section: "§7",
			wrong:    "completing a session does not consume it",
			store:    storeFaults{reuseSessions: true},
			catchers: []string{"SES-001", "SES-002", "SES-003"},
		},
		{
			name: "session-never-expires", section: "§7",
			wrong:    "sessions outlive their TTL",
			store:    storeFaults{neverExpire: true},
			catchers: []string{"SES-004"},
		},
		{
			name: "session-ids-sequential", section: "§1",
			wrong:    "session ids count up from a random base: the last 8 of their 16 bytes are a counter",
			http:     sessionIDsSequential,
			catchers: []string{"SES-016"},
		},
		{
			name: "session-any-flow", section: "§7",
			wrong:    "a session completes through another flow's endpoint (served as its own flow)",
			http:     sessionAnyFlow,
			catchers: []string{"SES-005"},
		},
		{
			name: "session-any-store", section: "§7",
			wrong:    "a session completes through another store's path of its tenant (served as its own store)",
			http:     sessionAnyStore,
			catchers: []string{"SES-006"},
		},
		{
			name: "stale-session-accepted", section: "§7",
			wrong:    "a completion is checked against the verifier its session started on, not the current credential",
			store:    storeFaults{acceptStale: true},
			catchers: []string{"SES-007", "SES-008"},
		},
		{
			name: "history-unchecked", section: "§8",
			wrong:    "passcodeHistory is returned but not enforced at completion",
			store:    storeFaults{noHistory: true},
			catchers: []string{"HIS-001"},
		},
		{
			name: "history-before-proof", section: "§2",
			wrong:    "a renewal's history rule is checked before its proof: a wrong proof with a history-breaking new passcode is PASSCODE_HISTORY_VIOLATION and not counted",
			http:     historyBeforeProof,
			catchers: []string{"LCK-008"},
		},
		{
			name: "requirements-changed", section: "§8",
			wrong:    "start answers return the policy with minimumLength one more than the policy says",
			http:     requirementsChanged,
			catchers: []string{"REQ-001"},
		},
		{
			name: "lockout-off", section: "§9",
			wrong:    "failed proofs are counted but never lock the user",
			store:    storeFaults{noLockout: true},
			catchers: []string{"LCK-001", "LCK-003"},
		},
		{
			name: "renewal-keeps-failures", section: "§9",
			wrong:    "a successful renewal does not reset the count of failed proofs",
			http:     renewalKeepsFailures,
			catchers: []string{"LCK-009"},
		},
		{
			name: "failure-closes-sessions", section: "§9",
			wrong:        "a completion failed with INVALID_PROOF or INVALID_PUBLIC_VALUE ends the user's other open sessions",
			http:         failureClosesSessions,
			catchers:     []string{"LCK-013"},
			fullCatchers: []string{"SES-013", "SES-014", "LCK-004", "LCK-012"},
			chance:       "LCK-010 and LCK-011 fail when a completion of a burst reaches the server after the burst's first counted failure has ended its session (404 SESSION_NOT_FOUND): in every run so far, but it depends on timing",
		},
		{
			name: "lockout-unserialized", section: "§9",
			wrong:    "the lock is checked when a completion arrives, not counted one at a time: every wrong proof of a burst that arrives before the lock is INVALID_PROOF",
			http:     lockoutUnserialized,
			catchers: []string{"LCK-010"},
			chance:   "LCK-011 fails when, in its authentication burst, the right proof reaches the server before the wrong ones, which wait behind it: it is then 200 and resets the count, and every wrong proof of the burst is INVALID_PROOF, more than the store allows after a success (in its renewal burst the wrong proofs are then stale); a right proof that arrives after the wrong ones were served is USER_LOCKED while they are INVALID_PROOF",
		},
		{
			name: "ext-any-store", section: "§1, §4",
			wrong:    "the external-id start routes ignore the path's store: an external id of another store of the tenant is found there",
			http:     extAnyStore,
			catchers: []string{"NF-004"},
		},
		{
			name: "ext-id-case-folded", section: "§2",
			wrong:    "the external-id start routes compare external ids case-insensitively",
			http:     extIDsMatching(strings.EqualFold),
			catchers: []string{"EXT-004"},
		},
		{
			name: "ext-id-normalized", section: "§2",
			wrong:    "the external-id start routes compare external ids after NFC normalization",
			http:     extIDsMatching(sameNormalized),
			catchers: []string{"EXT-005"},
		},
		{
			name: "permission-unchecked", section: "§3",
			wrong:    "the completion endpoints check the token but not its permissions",
			http:     noPermissionCheckOnCompletion,
			catchers: []string{"TOK-005", "TOK-006"},
		},
		{
			name: "ext-renewal-start-unchecked", section: "§3",
			wrong:    "the renewal start by external id checks the token but not its permissions",
			http:     extRenewalStartUnchecked,
			catchers: []string{"PERM-001"},
		},
		{
			name: "admin-any-permission", section: "§3, §5",
			wrong:    "the admin endpoints take any valid token, whatever its permissions",
			http:     adminAnyPermission,
			catchers: []string{"PERM-002"},
		},
		{
			name: "tenant-unchecked", section: "§3",
			wrong:    "a permission's operation is checked but not its tenant: one tenant's token works on another's paths",
			http:     tenantIgnored,
			catchers: []string{"TEN-001"},
		},
		{
			name: "expired-token-accepted", section: "§3",
			wrong:    "a correctly signed token is accepted after its exp",
			http:     expiredTokensAccepted,
			catchers: []string{"TOK-003"},
		},
		{
			name: "bad-base64-500", section: "§2",
			wrong:    "a completion whose verifier, a or m1 is not base64 gets 500 instead of 400",
			http:     internalErrorOnBadBase64,
			catchers: []string{"BAD-001", "BAD-002", "BAD-003"},
		},
		{
			name: "body-limit-off-by-one", section: "§2",
			wrong:    "a body of exactly 65,536 bytes is refused with 413: the server refuses 64 KiB or more, not only more than 64 KiB",
			http:     bodyLimitOffByOne,
			catchers: []string{"BAD-010"},
		},
		{
			name: "auth-errors-plain-text", section: "§10",
			wrong:    "the 401 and 403 answers are plain text, CODE: message, instead of the section 10 JSON body",
			http:     authErrorsPlainText,
			catchers: []string{"INV-003"},
		},
		{
			name: "user-extra-member", section: "§2",
			wrong:    "user objects carry a member more than {id, externalId, status, dateCreated}: the count of failed proofs",
			http:     userExtraMember,
			catchers: []string{"INV-004"},
		},
		{
			name: "completions-sniffed", section: "§2",
			wrong:    "the registration and authentication completions' 200 answers set no Content-Type, so net/http sniffs text/plain",
			http:     completionsSniffed,
			catchers: []string{"INV-002"},
		},
		{
			name: "verifier-in-history-error", section: "§2",
			wrong:    "the 400 PASSCODE_HISTORY_VIOLATION message names the stored verifier the new one matched, in hex",
			http:     verifierInHistoryError,
			catchers: []string{"INV-005"},
		},
		{
			name: "salt-per-store", section: "§1, §2",
			wrong:    "every user of a store gets one salt, derived from the store's name: each start answer carries the other users' salt",
			http:     saltPerStore,
			catchers: []string{"INV-005"},
		},
		{
			name: "renewal-unsaved-without-history", section: "§4, §8",
			wrong:    "under a policy with passcodeHistory 0 a renewal answers 200 with a correct m2 but keeps the old verifier",
			http:     renewalUnsavedWithoutHistory,
			catchers: []string{"RNW-008"},
		},
		{
			name: "path-names-folded", section: "§2",
			wrong:    "the start routes find a store, policy or user id named in another case, as a case-insensitive collation does",
			http:     pathNamesFolded,
			catchers: []string{"NF-005"},
		},
		{
			name: "session-kept-on-range-refusal", section: "§2, §7",
			wrong:    "a completion refused with INVALID_PUBLIC_VALUE or INVALID_VERIFIER leaves its session open: the ranges are checked before the session is taken",
			http:     sessionKeptOnRangeRefusal,
			catchers: []string{"SES-017"},
		},
		{
			name: "admin-user-any-tenant", section: "§1, §3",
			wrong:    "the admin user read and credential deletion find a user id in any tenant and store, after the permission check for the path's tenant",
			http:     adminUsersByIDAlone,
			catchers: []string{"TEN-005"},
		},
		{
			name: "registration-verifier-strict", section: "§6",
			wrong:    "the registration completion decodes its verifier as strict padded standard base64 only: base64url and missing padding are 400",
			http:     registrationVerifierStrict,
			catchers: []string{"PRF-008"},
		},
		{
			name: "m1-fixed-length", section: "§6",
			wrong:    "an m1 that does not decode to exactly 32 bytes is 400 INVALID_REQUEST: leading zeros stripped and Java's extra 0x00 are refused",
			http:     m1FixedLength,
			catchers: []string{"PRF-005", "PRF-006"},
		},
		{
			name: "completion-token-unverified", section: "§3",
			wrong:    "the completions read the token's claims without verifying its signature: a forged or unsigned token with valid claims works there (no token, an expired one or a missing permission is still refused)",
			http:     completionsUnverified,
			catchers: []string{"PERM-001"},
		},
		{
			name: "embedded-jwk-trusted", section: "§3",
			wrong:    "a token that carries a jwk header is verified with that key, not the server's",
			http:     embeddedKeyTrusted,
			catchers: []string{"TOK-001", "PERM-001", "PERM-002"},
		},
		{
			name: "lock-never-ends", section: "§9",
			wrong:    "a TEMP_LOCKED user stays locked after the store's lockDurationSeconds",
			store:    storeFaults{lockForever: true},
			catchers: []string{"LCK-015"},
		},
		{
			name: "lock-config-ignored", section: "§9",
			wrong:    "every store locks after the default 5 failures for 900 s, whatever its own lock configuration says",
			store:    storeFaults{defaultLock: true},
			catchers: []string{"LCK-014", "LCK-015"},
		},
		{
			name: "ext-start-body-required", section: "§4",
			wrong:    "the external-id starts refuse a request without a body (400 INVALID_REQUEST); {} and the user-id starts work",
			http:     extStartsNeedBody,
			catchers: []string{"BAD-004"},
		},
	}
}
