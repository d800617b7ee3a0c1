package steps

import (
	"bytes"
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
			pr, err := newProof(tc.p, sp, "Pass-word-1", func(pr *proof) bool { steps++; return steps == 5 }, 10)
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
	pr := &proof{p: p, identity: sp.Identity, salt: sp.Salt, pass: []byte("pw"), B: sp.B}
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
