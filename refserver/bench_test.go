package refserver_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/srp"
)

// benchPass is renewed to itself under the nohistory policy, so every iteration does
// the same work.
const benchPass = "Bench-Pass-1"

// srpRenewal does exactly the SRP work of one renewal over HTTP, client and server
// side, in the order the HTTP path does it, with no HTTP, JSON or store: the server
// draws b and B at start (NewServer), the client derives the new verifier and its
// proof, the server rebuilds its session from the stored b and B at completion
// (ResumeServerWithB) and verifies, the client checks M2.
func srpRenewal(tb testing.TB, p *srp.Params, identity, salt, verifier []byte) {
	start, err := p.NewServer(identity, salt, verifier)
	if err != nil {
		tb.Fatal(err)
	}
	pass := []byte(passcode.Normalize(benchPass))
	newV := p.Verifier(identity, pass, salt)
	c, err := srp.NewClient(p, identity, pass, salt)
	if err != nil {
		tb.Fatal(err)
	}
	m1, err := c.Proof(start.B())
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.CheckPublic(c.A()); err != nil {
		tb.Fatal(err)
	}
	if err := p.CheckVerifier(newV); err != nil {
		tb.Fatal(err)
	}
	srv, err := p.ResumeServerWithB(identity, salt, verifier, start.Secret(), start.B())
	if err != nil {
		tb.Fatal(err)
	}
	m2, err := srv.Verify(c.A(), m1)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.VerifyServer(m2); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkRenewal measures a full renewal (start + complete) over loopback HTTP
// against the in-process server, for the memory and SQLite stores, beside the same SRP
// work alone. Each HTTP case also reports srp-ns/op (the SRP-alone time, measured
// interleaved with the HTTP iterations) and overhead-% = (ns/op - srp-ns/op) /
// srp-ns/op: what the server adds beyond SRP. Targets: <= 25% with memory, <= 50% with SQLite. cpu-overhead-% is the
// same ratio of process CPU time (client, server and runtime together), which other
// processes on a shared machine disturb far less; wall time also holds the loopback
// hand-offs and, for SQLite, the waits for fsync.
func BenchmarkRenewal(b *testing.B) {
	p := srp.DefaultParams()
	identity, salt := []byte("UGIRW7QN727EIV2XLXG4YH42N4"), make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		b.Fatal(err)
	}
	verifier := p.Verifier(identity, []byte(benchPass), salt)
	b.Run("srp", func(b *testing.B) {
		for b.Loop() {
			srpRenewal(b, p, identity, salt, verifier)
		}
	})
	// The floor of any two-request exchange here: two bare round trips over the same
	// loopback client, no store and no SRP. What http-* adds beyond srp and this floor
	// is the server's own work.
	b.Run("http-floor", func(b *testing.B) {
		w := newWorldWith(b, worldOpts{cfg: refserver.Config{Now: time.Now}})
		ctx := context.Background()
		for b.Loop() {
			for range 2 {
				if _, err := w.full.Healthz(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	for _, tc := range []struct {
		name string
		st   func(b *testing.B) store.Store
	}{
		{"http-memory", func(*testing.B) store.Store { return memory.New() }},
		{"http-sqlite", func(b *testing.B) store.Store { return openSQLite(b, filepath.Join(b.TempDir(), "bench.db")) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// A real clock: the fake one of the tests would never expire tokens, but
			// the benchmark must not pay for anything the server does not.
			w := newWorldWith(b, worldOpts{store: tc.st(b), cfg: refserver.Config{Now: time.Now}})
			u := w.newUser(b, benchPass)
			ctx := context.Background()
			flow := api.SRPFlow{Client: w.full}
			// The SRP-alone work runs interleaved with the HTTP renewals, timer
			// stopped, so both see the same machine load: on a shared machine a
			// separate run minutes apart can differ by more than the overhead.
			var srpWall time.Duration
			var httpCPU, srpCPU int64
			for b.Loop() {
				c0 := processCPU()
				if _, err := flow.Renew(ctx, defStore, u.ref(), noHistory, benchPass, benchPass); err != nil {
					b.Fatal(err)
				}
				httpCPU += processCPU() - c0
				b.StopTimer()
				t0, c1 := time.Now(), processCPU()
				srpRenewal(b, p, identity, salt, verifier)
				srpWall += time.Since(t0)
				srpCPU += processCPU() - c1
				b.StartTimer()
			}
			n := float64(b.N)
			httpNs := float64(b.Elapsed().Nanoseconds()) / n
			srpNs := float64(srpWall.Nanoseconds()) / n
			b.ReportMetric(srpNs, "srp-ns/op")
			b.ReportMetric((httpNs-srpNs)/srpNs*100, "overhead-%")
			if srpCPU > 0 {
				b.ReportMetric(float64(httpCPU)/n, "cpu-ns/op")
				b.ReportMetric(float64(srpCPU)/n, "srp-cpu-ns/op")
				b.ReportMetric(float64(httpCPU-srpCPU)/float64(srpCPU)*100, "cpu-overhead-%")
			}
		})
	}
}
