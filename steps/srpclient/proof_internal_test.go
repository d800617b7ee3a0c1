package srpclient

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
)

// testStart returns the parameters a server would send for a user with pass.
func testStart(tb testing.TB, p *srp.Params, pass string) (*api.StartParams, *srp.Server) {
	tb.Helper()
	id, salt := []byte("ZQ4TESTIDENTITY"), bytes.Repeat([]byte{7}, 16)
	srv, err := p.NewServer(id, salt, p.Verifier(id, []byte(pass), salt))
	if err != nil {
		tb.Fatal(err)
	}
	return &api.StartParams{Params: p, Identity: id, Salt: salt, B: srv.B()}, srv
}

// TestGrinderMatchesSRP checks that the grinder's shortcut computes the values of
// SPEC section 6 (the srp package's formulas) and that a server accepts its proof.
func TestGrinderMatchesSRP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    *srp.Params
	}{
		{"rfc5054-padded 2048", srp.DefaultParams()},
		{"rfc2945 1024", mustParams(t, srp.Group1024(), srp.ProfileRFC2945)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, srv := testStart(t, tc.p, "Pass-word-1")
			steps := 0
			pr, err := NewProof(tc.p, sp, "Pass-word-1", func(pr *Proof) bool { steps++; return steps == 5 }, 10)
			if err != nil {
				t.Fatal(err)
			}
			u := tc.p.U(pr.A, pr.B)
			if !bytes.Equal(pr.A, tc.p.ComputeA(pr.a)) || !bytes.Equal(pr.u, u) ||
				!bytes.Equal(pr.S, tc.p.ClientS(pr.B, pr.x, pr.a, u)) {
				t.Fatal("grinder values differ from the srp formulas")
			}
			m2, err := srv.Verify(pr.A, pr.M1)
			if err != nil {
				t.Fatalf("server refused the grinder's proof: %v", err)
			}
			if !bytes.Equal(m2, pr.M2) {
				t.Fatal("M2 differs")
			}
		})
	}
}

func mustParams(tb testing.TB, g *srp.Group, prof srp.Profile) *srp.Params {
	tb.Helper()
	p, err := srp.NewParams(g, srp.DefaultHash, prof)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func BenchmarkGrinderStep(b *testing.B) {
	p := srp.DefaultParams()
	sp, _ := testStart(b, p, "pw")
	pr := &Proof{p: p, identity: sp.Identity, salt: sp.Salt, pass: []byte("pw"), B: sp.B}
	pr.x = p.X(pr.identity, pr.pass, pr.salt)
	g, err := newGrinder(pr)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := g.next(pr); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlusN checks x + k*N against math/big and FitsPlusN at both ends of the range.
func TestPlusN(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	n := p.Group().N()
	x := []byte{1, 2, 3}
	for _, k := range []int64{1, 2} {
		want := new(big.Int).Add(new(big.Int).Mul(n, big.NewInt(k)), new(big.Int).SetBytes(x))
		if got := new(big.Int).SetBytes(PlusN(p, x, k)); got.Cmp(want) != 0 {
			t.Errorf("PlusN(x, %d) = %x, want %x", k, got, want)
		}
	}
	nMinus1 := new(big.Int).Sub(n, big.NewInt(1)).Bytes()
	tests := []struct {
		name string
		x    []byte
		want bool
	}{
		{"0 + N fits", []byte{0}, true},
		{"small x + N fits", x, true},
		{"N-1 + N does not fit", nMinus1, false},
	}
	for _, tc := range tests {
		if got := FitsPlusN(p, tc.x); got != tc.want {
			t.Errorf("%s: FitsPlusN = %v", tc.name, got)
		}
	}
}
