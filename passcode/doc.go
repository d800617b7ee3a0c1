// Package passcode checks passcodes against a passcode policy on the client side, the
// rules of SPEC.md section 8, and makes random passcodes that a policy accepts.
//
// The server hands out a policy's passcodeRequirements verbatim and never sees a
// passcode: SRP only sends it a verifier. So the client alone can refuse a weak
// passcode, and every client of the harness (the conformance steps, the load
// generator, the browser page) must refuse the same ones. This package is that one
// definition; the browser page mirrors it.
//
// # Normalization
//
// A passcode is first put in Unicode Normalization Form C (Normalize). Every rule is
// checked on that form, and it is also the form whose UTF-8 bytes SRP hashes, so "é"
// typed as one code point (U+00E9) or as "e" plus a combining acute (U+0301) is the
// same passcode, one code point long. A string that is not valid UTF-8 breaks the
// extra rule "encoding": it cannot be sent as JSON nor hashed as UTF-8.
//
// # The rules
//
// Lengths count Unicode code points, not bytes or user-perceived characters.
// minimumLength is a lower bound; maximumLength an upper bound, where 0 means none.
//
// The four counts are minimums over four classes (see Class and ClassOf):
//   - digitCount: decimal digits, general category Nd (unicode.IsDigit), so the
//     Arabic-Indic '٣' counts like '3'.
//   - lowerCaseCount: lower-case letters, category Ll (unicode.IsLower): 'a', 'ß', 'σ'.
//   - upperCaseCount: upper-case letters, category Lu (unicode.IsUpper): 'A', 'É', 'Σ'.
//   - symbolCount: every code point that is not a letter (unicode.IsLetter), not a
//     decimal digit (unicode.IsDigit) and not a space (unicode.IsSpace): punctuation,
//     symbols, other numbers such as '½', controls, and combining marks left over
//     after NFC.
//
// Letters without case (Han, Arabic, Hebrew ...), titlecase letters such as 'ǅ', and
// spaces count toward the lengths but toward no class.
//
// characterVariety is the minimum number of classes among digit, symbol, lower and
// upper that appear at least once, so 0 to 4.
//
// The three pattern lists hold RE2 patterns (package regexp), matched against the NFC
// form:
//   - requiredRegExes: each must match somewhere in the passcode.
//   - disallowedRegExes: none may match anywhere.
//   - allowedRegExes: when the list is non-empty, at least one pattern must match the
//     whole passcode, as if written \A(?:pattern)\z; "a|ab" allows "ab". This is done
//     with leftmost-longest matching rather than by pasting the pattern into another.
//
// A pattern that fails reports the policy's own error text for it, or a default
// naming the pattern when that text is empty. An empty pattern imposes nothing: the
// entry is treated as absent from its list, so an allowed list holding only empty
// patterns allows everything. (The guide's example policy carries
// {"pattern": "", "error": ""} in all three lists; read literally, its empty
// disallowed pattern would match, and so reject, every passcode.)
//
// passcodeHistory is enforced by the server, which compares verifiers; Validate
// ignores it.
//
// # Using it
//
// Requirements.Validate returns every Violation at once, each with a stable rule name
// (the JSON field name, "requiredRegExes[0]" for a pattern, "allowedRegExes" for the
// allowed list as a whole) and a message that never holds the passcode. Compile a
// policy once (Requirements.Compile) to validate many passcodes. Requirements.Check
// vets a policy itself (the server turns its error into a 400 for an admin policy
// body): non-negative numbers, minimumLength <= maximumLength, characterVariety <= 4,
// a maximumLength long enough for the counts, and patterns that compile, each problem
// named by field and index. Generate and Generator make random passcodes a policy
// accepts, optionally with non-ASCII code points, and check them with Validate before
// returning them. Equal compares two policies, a nil pattern list equal to an empty one.
package passcode
