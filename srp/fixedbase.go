package srp

import (
	"crypto/subtle"

	"filippo.io/bigmod"
)

// fixedBaseMaxBytes bounds the exponents the fixed-base table serves: 64 bytes covers the
// 256-bit ephemerals and x of every hash up to SHA-512.
const fixedBaseMaxBytes = 64

// fixedBase holds, for every 4-bit digit position i of an exponent and every digit
// value d, the power base^(d * 16^i) mod N. A power of the base then costs one modular
// multiplication per digit and no squarings: 64 multiplications for a 256-bit exponent,
// against the 256 squarings and 64 multiplications of a windowed modexp.
//
// Every digit's entry is read by scanning all sixteen candidates of its row with a
// mask, and every digit is multiplied in (digit 0 by the entry 1), so neither the
// memory access pattern nor the number of operations depends on the exponent's value.
type fixedBase struct {
	limbs int    // limbs per entry: the width of N
	table []uint // rows * 16 entries, each limbs long, entry (i, d) at (i*16+d)*limbs
	rows  int
}

func newFixedBase(base *bigmod.Nat, m *bigmod.Modulus, maxBytes int) *fixedBase {
	rows := 2 * maxBytes
	one := bigmod.NewNat().ExpandFor(m)
	limbs := len(one.Bits())
	one.Bits()[0] = 1
	f := &fixedBase{limbs: limbs, rows: rows, table: make([]uint, rows*16*limbs)}
	step := bigmod.NewNat().ExpandFor(m)
	copy(step.Bits(), base.ExpandFor(m).Bits()) // base^(16^i), starting at i = 0
	for i := 0; i < rows; i++ {
		cur := bigmod.NewNat().ExpandFor(m)
		copy(cur.Bits(), one.Bits())
		for d := 0; d < 16; d++ {
			copy(f.entry(i, d), cur.Bits())
			cur.Mul(step, m)
		}
		// cur is now base^(16 * 16^i) = base^(16^(i+1)).
		step = cur
	}
	return f
}

func (f *fixedBase) entry(i, d int) []uint {
	off := (i*16 + d) * f.limbs
	return f.table[off : off+f.limbs]
}

// exp returns base^e mod m for a big-endian e of at most rows/2 bytes.
func (f *fixedBase) exp(e []byte, m *bigmod.Modulus) *bigmod.Nat {
	acc := bigmod.NewNat().ExpandFor(m)
	sel := bigmod.NewNat().ExpandFor(m)
	digits := 2 * len(e)
	for i := 0; i < digits; i++ {
		b := e[len(e)-1-i/2]
		d := int(b>>(4*(i%2))) & 0xf
		f.selectInto(sel.Bits(), i, d)
		if i == 0 {
			copy(acc.Bits(), sel.Bits())
			continue
		}
		acc.Mul(sel, m)
	}
	if digits == 0 {
		acc.Bits()[0] = 1
	}
	return acc
}

// selectInto copies entry (row, d) into dst, touching every entry of the row.
func (f *fixedBase) selectInto(dst []uint, row, d int) {
	clear(dst)
	for j := 0; j < 16; j++ {
		mask := -uint(subtle.ConstantTimeEq(int32(j), int32(d)))
		src := f.entry(row, j)
		for k := range dst {
			dst[k] |= src[k] & mask
		}
	}
}
