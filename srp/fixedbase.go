package srp

import (
	"crypto/subtle"

	"filippo.io/bigmod"
)

// fixedBaseMaxBytes bounds the exponents the fixed-base table serves: 64 bytes covers the
// 256-bit ephemerals and x of every hash up to SHA-512.
const fixedBaseMaxBytes = 64

// fixedBaseWindow is the digit width of the table, in bits. Wider digits mean fewer
// multiplications (one per digit) but more entries to scan per digit and a bigger table.
// Alone (BenchmarkFixedBaseWindow) 4, 5 and 6 bits cost about the same at 2048 bits;
// inside a server, where client and server work run on different cores and the network
// stack competes for cache, 4 bits measured fastest: a 256-bit exponent touches 256 KiB
// of table at 4 bits against 704 KiB at 6.
const fixedBaseWindow = 4

// fixedBase holds, for every w-bit digit position i of an exponent and every digit
// value d, the power base^(d * 2^(w*i)) mod N. A power of the base then costs one
// modular multiplication per digit and no squarings: 63 multiplications for a 256-bit
// exponent at w = 4, against the 256 squarings and 64 multiplications of a windowed modexp.
//
// Every digit's entry is read by scanning all 2^w candidates of its row under a mask,
// and every digit is multiplied in (digit 0 by the entry 1), so neither the memory
// access pattern nor the number of operations depends on the exponent's value, only
// on its length.
type fixedBase struct {
	w     int
	limbs int    // limbs per entry: the width of N
	rows  int    // digit positions served
	table []uint // rows * 2^w entries, each limbs long
}

func newFixedBase(base *bigmod.Nat, m *bigmod.Modulus, maxBytes, w int) *fixedBase {
	rows := (8*maxBytes + w - 1) / w
	one := bigmod.NewNat().ExpandFor(m)
	limbs := len(one.Bits())
	one.Bits()[0] = 1
	f := &fixedBase{w: w, limbs: limbs, rows: rows, table: make([]uint, rows<<w*limbs)}
	step := bigmod.NewNat().ExpandFor(m)
	copy(step.Bits(), base.Bits()) // base^(2^(w*i)), starting at i = 0
	for i := 0; i < rows; i++ {
		cur := bigmod.NewNat().ExpandFor(m)
		copy(cur.Bits(), one.Bits())
		for d := 0; d < 1<<w; d++ {
			copy(f.entry(i, d), cur.Bits())
			cur.Mul(step, m)
		}
		step = cur // base^(2^w * 2^(w*i)) = base^(2^(w*(i+1)))
	}
	return f
}

func (f *fixedBase) entry(i, d int) []uint {
	off := (i<<f.w + d) * f.limbs
	return f.table[off : off+f.limbs]
}

// serves reports whether the table covers exponents of n bytes.
func (f *fixedBase) serves(n int) bool { return (8*n+f.w-1)/f.w <= f.rows }

// exp returns base^e mod m for a big-endian e that the table serves.
func (f *fixedBase) exp(e []byte, m *bigmod.Modulus) *bigmod.Nat {
	acc := bigmod.NewNat().ExpandFor(m)
	sel := bigmod.NewNat().ExpandFor(m)
	digits := (8*len(e) + f.w - 1) / f.w
	if digits == 0 {
		acc.Bits()[0] = 1
		return acc
	}
	for i := 0; i < digits; i++ {
		f.selectInto(sel.Bits(), i, digit(e, i*f.w, f.w))
		if i == 0 {
			copy(acc.Bits(), sel.Bits())
			continue
		}
		acc.Mul(sel, m)
	}
	return acc
}

// digit returns the w bits of the big-endian e starting at bit position bit (bit 0 is
// the least significant). Its branches depend on positions only, never on values.
func digit(e []byte, bit, w int) int {
	v := 0
	for k := 0; k < w; k++ {
		pos := bit + k
		idx := len(e) - 1 - pos/8
		if idx < 0 {
			break
		}
		v |= int(e[idx]>>(pos%8)&1) << k
	}
	return v
}

// selectInto copies entry (row, d) into dst, touching every entry of the row.
func (f *fixedBase) selectInto(dst []uint, row, d int) {
	n := f.limbs
	dst = dst[:n]
	clear(dst)
	entries := f.table[row<<f.w*n : (row+1)<<f.w*n]
	for j := 0; j < 1<<f.w; j++ {
		mask := -uint(subtle.ConstantTimeEq(int32(j), int32(d)))
		src := entries[j*n : j*n+n]
		for k, s := range src {
			dst[k] |= s & mask
		}
	}
}
