package steps

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/seedb14f67b8/renewkit/api"
)

// The identifier checks: external ids are compared as exact bytes and any UTF-8
// external id of up to 256 code points is accepted (SPEC.md section 2,
// features/renewal-external.feature), and session ids are unpredictable (section 1,
// features/sessions.feature).

// accented is an external id base with precomposed letters (NFC) that NFD
// decomposes: ë, é, Ñ, ú.
const accented = "Zoë-café-Ñandú-"

// externalIDOf makes a fresh external id of a kind the round-trip check names.
func externalIDOf(kind string) string {
	switch kind {
	case "of 256 code points":
		// 256 code points, most of them 3 or 4 bytes of UTF-8 (about 800 bytes).
		var b strings.Builder
		b.WriteString(freshExternalID() + "-")
		fill := []rune("😀日本ñë𝄞Ω")
		for i := 0; utf8.RuneCountInString(b.String()) < 256; i++ {
			b.WriteRune(fill[i%len(fill)])
		}
		return b.String()
	case "with a combining accent":
		return norm.NFD.String(accented) + randomHex(6)
	}
	return "Zoë-ñ-😀-日本-" + randomHex(6)
}

// Session ids (SPEC.md section 1): "A sessionId MUST be unpredictable: at least 128
// bits from a CSPRNG, so that no session ID can be derived from others". From
// outside, SES-016 can see what a weak generator leaves in a few hundred ids: a
// repeat, two ids a small step apart (a counter, a clock, a random base plus an
// index), or bits that are not fair coins (fixed or biased positions: a timestamp
// prefix, fewer random bytes than the id holds). It cannot see a seeded
// non-cryptographic generator whose output looks random.
//
// False alarms: for ids of 16 uniformly random bytes, Hoeffding's inequality bounds
// each bit test, P(|ones - m/2| >= t) <= 2 exp(-2 t^2 / m) for m fair bits, and the
// bounds t are chosen from the rates below: 1e-7 for the total count of ones and
// 1e-7 for the 128 per-position counts together (a union bound, 1e-7/128 each).
// For the near-pair test, P(some pair of n ids lies within 2^32) <=
// n(n-1)/2 * 2 * 2^32 / 2^128 = n(n-1) * 2^-96, about 1e-24 for n = 256, repeats
// included. So a correct server fails SES-016 less than 2.000001e-7 of the time:
// once in about five million runs.
const (
	idTotalAlpha    = 1e-7
	idPositionAlpha = 1e-7
)

// idNear is the distance below which two ids, read as big-endian integers, count as
// derived from one another.
var idNear = new(big.Int).Lsh(big.NewInt(1), 32)

// idState holds the session ids SES-016 collected.
type idState struct{ ids []string }

type idKey struct{}

// sessionIDs returns the ids SES-016 collected.
func sessionIDs(ctx context.Context) ([]string, error) {
	if st, ok := ctx.Value(idKey{}).(*idState); ok && len(st.ids) > 1 {
		return st.ids, nil
	}
	return nil, sc(ctx).fail(nil, "fewer than two session ids were collected")
}

// idValues returns the ids as bytes: the 16 decoded bytes of each when every id is
// a 26-character ID, else each id's own bytes.
func idValues(ids []string) ([][]byte, bool) {
	decoded := !slices.ContainsFunc(ids, func(id string) bool { return !api.ValidID(id) })
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	vals := make([][]byte, len(ids))
	for i, id := range ids {
		vals[i] = []byte(id)
		if decoded {
			vals[i], _ = enc.DecodeString(id)
		}
	}
	return vals, decoded
}

// nearestPair returns the two values closest to each other as big-endian integers
// and their distance (0 for a repeat). It needs at least two values.
func nearestPair(vals [][]byte) (int, int, *big.Int) {
	nums := make([]*big.Int, len(vals))
	order := make([]int, len(vals))
	for i, v := range vals {
		nums[i], order[i] = new(big.Int).SetBytes(v), i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := nums[a].Cmp(nums[b]); c != 0 {
			return c
		}
		// Equal numbers from different bytes (leading zeros) still count as near.
		return bytes.Compare(vals[a], vals[b])
	})
	bi, bj, best := -1, -1, (*big.Int)(nil)
	for k := 1; k < len(order); k++ {
		d := new(big.Int).Sub(nums[order[k]], nums[order[k-1]])
		if best == nil || d.Cmp(best) < 0 {
			bi, bj, best = order[k-1], order[k], d
		}
	}
	return bi, bj, best
}

// hoeffding returns the distance t from m/2 that m fair coin flips reach with
// probability at most alpha: P(|ones - m/2| >= t) <= 2 exp(-2 t^2 / m).
func hoeffding(m int, alpha float64) float64 {
	return math.Sqrt(float64(m) * math.Log(2/alpha) / 2)
}

// bitImbalance weighs the bits of equally long values: the total count of ones and
// the count at each bit position must be within the Hoeffding bounds of
// idTotalAlpha and idPositionAlpha.
func bitImbalance(vals [][]byte) []string {
	width := len(vals[0]) * 8
	perPos := make([]int, width)
	total := 0
	for _, v := range vals {
		for k := range min(width, len(v)*8) {
			if v[k/8]>>(7-k%8)&1 == 1 {
				perPos[k]++
				total++
			}
		}
	}
	var probs []string
	m := len(vals) * width
	if t := hoeffding(m, idTotalAlpha); math.Abs(float64(total)-float64(m)/2) >= t {
		probs = append(probs, fmt.Sprintf("%d of %d bits are ones, more than %.0f from half", total, m, t))
	}
	t := hoeffding(len(vals), idPositionAlpha/float64(width))
	for k, ones := range perPos {
		if math.Abs(float64(ones)-float64(len(vals))/2) >= t {
			probs = append(probs, fmt.Sprintf("bit %d (from the most significant) is one in %d of %d ids, more than %.0f from half", k, ones, len(vals), t))
		}
	}
	if len(probs) > 8 {
		probs = append(probs[:8], fmt.Sprintf("... and %d more", len(probs)-8))
	}
	return probs
}
