package srp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"
)

// detRand is the test-only source of deterministic "randomness": a ChaCha8 stream
// from a fixed seed, so that every run exercises the same values (and the same
// leading-zero cases) and a failure reproduces.
func detRand(seed uint64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

func mustParams(tb testing.TB, bits int, h crypto.Hash, p Profile) *Params {
	tb.Helper()
	g, err := GroupByBits(bits)
	if err != nil {
		tb.Fatal(err)
	}
	params, err := NewParams(g, h, p)
	if err != nil {
		tb.Fatal(err)
	}
	return params
}

func TestGroupsAreSafePrimes(t *testing.T) {
	t.Parallel()
	want := map[int]int64{1024: 2, 1536: 2, 2048: 2, 3072: 5, 4096: 5, 6144: 5, 8192: 19}
	for _, g := range groups {
		t.Run(g.Name(), func(t *testing.T) {
			t.Parallel()
			if (testing.Short() || raceEnabled) && g.bits > 4096 {
				t.Skip("primality of the largest groups is slow under -short and -race")
			}
			if g.n.BitLen() != g.bits || g.Size()*8 != g.bits {
				t.Fatalf("N has %d bits, want %d", g.n.BitLen(), g.bits)
			}
			if g.g.Int64() != want[g.bits] {
				t.Fatalf("g = %v, want %d", g.g, want[g.bits])
			}
			q := new(big.Int).Rsh(g.n, 1)
			if !g.n.ProbablyPrime(0) || !q.ProbablyPrime(0) {
				t.Fatal("N is not a safe prime")
			}
		})
	}
}

func TestFixedBaseMatchesModexp(t *testing.T) {
	t.Parallel()
	r := detRand(1)
	for _, bits := range []int{1024, 2048, 3072} {
		g := groupOf(bits)
		for _, n := range []int{0, 1, 2, 20, 32, 33, 48, 64, 65, 100} {
			e := make([]byte, n)
			io.ReadFull(r, e)
			if n > 1 {
				e[0] = 0 // a leading zero must not change the result
			}
			want := new(big.Int).Exp(g.g, new(big.Int).SetBytes(e), g.n)
			got := new(big.Int).SetBytes(g.expG(e).Bytes(g.mod))
			if got.Cmp(want) != 0 {
				t.Errorf("%d bits, %d-byte exponent: g^e differs from math/big", bits, n)
			}
		}
	}
}

func TestExponentSum(t *testing.T) {
	t.Parallel()
	r := detRand(2)
	for i := range 200 {
		a, u, x := make([]byte, 32), make([]byte, 1+i%64), make([]byte, 1+(i*7)%64)
		io.ReadFull(r, a)
		io.ReadFull(r, u)
		io.ReadFull(r, x)
		if i%3 == 0 {
			u[0], x[0] = 0xff, 0xff
		}
		want := new(big.Int).Mul(new(big.Int).SetBytes(u), new(big.Int).SetBytes(x))
		want.Add(want, new(big.Int).SetBytes(a))
		if got := new(big.Int).SetBytes(exponentSum(a, u, x)); got.Cmp(want) != 0 {
			t.Fatalf("case %d: a + u*x = %x, want %x", i, got, want)
		}
	}
}

// newPair returns a server session and a client for one user on the 1024-bit group
// (cheap, for tests of protocol order rather than of maths); saltByte varies the salt.
func newPair(tb testing.TB, saltByte byte) (*Server, *Client) {
	tb.Helper()
	p := mustParams(tb, 1024, crypto.SHA256, ProfileRFC5054Padded)
	identity, pass, salt := []byte("alice"), []byte("pw"), bytes.Repeat([]byte{saltByte}, 32)
	srv, err := p.NewServer(identity, salt, p.Verifier(identity, pass, salt))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := NewClient(p, identity, pass, salt)
	if err != nil {
		tb.Fatal(err)
	}
	return srv, c
}

// mustProof returns the client's M1 for the server's B.
func mustProof(tb testing.TB, c *Client, srv *Server) []byte {
	tb.Helper()
	m1, err := c.Proof(srv.B())
	if err != nil {
		tb.Fatal(err)
	}
	return m1
}

// sessionResult holds the values the round-trip test counts leading zeros in.
type sessionResult struct {
	x, u, A, B, S, M1, M2 []byte
}

// runSession runs one complete exchange, client under cp and server under sp, with
// the test-only deterministic randomness r.
func runSession(tb testing.TB, cp, sp *Params, r io.Reader, identity, passcode, salt []byte) (sessionResult, error) {
	tb.Helper()
	v := cp.Verifier(identity, passcode, salt)
	srv, err := sp.newServer(identity, salt, v, r)
	if err != nil {
		return sessionResult{}, err
	}
	eph, err := cp.newEphemeral(r)
	if err != nil {
		return sessionResult{}, err
	}
	c, err := NewClientWith(cp.NewSecret(identity, passcode, salt), eph)
	if err != nil {
		return sessionResult{}, err
	}
	m1, S, err := c.proof(srv.B())
	if err != nil {
		return sessionResult{}, fmt.Errorf("client proof: %w", err)
	}
	m2, err := srv.Verify(c.A(), m1)
	if err != nil {
		return sessionResult{}, err
	}
	if err := c.VerifyServer(m2); err != nil {
		return sessionResult{}, fmt.Errorf("client rejected M2: %w", err)
	}
	if !bytes.Equal(c.SessionKey(), cp.SessionKey(S)) {
		return sessionResult{}, errors.New("session key differs from H(S)")
	}
	return sessionResult{
		x: cp.X(identity, passcode, salt), u: cp.U(c.A(), srv.B()),
		A: c.A(), B: srv.B(), S: S, M1: m1, M2: m2,
	}, nil
}

var alphabet = []rune("abcXYZ019 !~-éßΩж٣漢字😀")

func randomPasscode(r *rand.Rand) []byte {
	out := make([]rune, 1+r.IntN(24))
	for i := range out {
		out[i] = alphabet[r.IntN(len(alphabet))]
	}
	return []byte(string(out))
}

// TestRoundTrips runs thousands of sessions per profile with random passcodes, ASCII
// and not, so that values with leading zero bytes occur in every position, and checks
// that every session verifies both ways.
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	sessions := 10000
	if raceEnabled || testing.Short() {
		sessions = 600 // the race detector slows the maths about tenfold
	}
	for _, prof := range []Profile{ProfileRFC5054Padded, ProfileRFC2945} {
		t.Run(string(prof), func(t *testing.T) {
			t.Parallel()
			// The bulk runs on the 1024-bit group, four times cheaper than 2048, so that
			// leading zeros occur often enough; 2048 gets a slice of its own.
			for _, run := range []struct{ bits, n int }{{1024, sessions}, {2048, sessions / 20}} {
				p := mustParams(t, run.bits, crypto.SHA256, prof)
				zeros := runMany(t, p, run.n, uint64(run.bits)+uint64(len(prof)))
				t.Logf("%d-bit, %d sessions: values with a leading zero byte: %v", run.bits, run.n, zeros)
				if run.n < 5000 {
					continue
				}
				for field, count := range zeros {
					if count == 0 {
						t.Errorf("no %s with a leading zero byte in %d sessions", field, run.n)
					}
				}
			}
		})
	}
}

func runMany(t *testing.T, p *Params, n int, seed uint64) map[string]int {
	t.Helper()
	const workers = 2
	var mu sync.Mutex
	zeros := map[string]int{"x": 0, "u": 0, "A": 0, "B": 0, "S": 0, "M1": 0, "M2": 0}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := detRand(seed*16 + uint64(w))
			pr := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(w), 9}))
			for i := w; i < n; i += workers {
				salt := make([]byte, 32)
				io.ReadFull(src, salt)
				identity := []byte(fmt.Sprintf("USER%022d", i))
				res, err := runSession(t, p, p, src, identity, randomPasscode(pr), salt)
				if err != nil {
					t.Errorf("session %d: %v", i, err)
					return
				}
				mu.Lock()
				for field, b := range map[string][]byte{"x": res.x, "u": res.u, "A": res.A, "B": res.B, "S": res.S, "M1": res.M1, "M2": res.M2} {
					if b[0] == 0 {
						zeros[field]++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return zeros
}

func TestCrossProfileAndParamsFail(t *testing.T) {
	t.Parallel()
	padded := mustParams(t, 1024, crypto.SHA256, ProfileRFC5054Padded)
	rfc2945 := mustParams(t, 1024, crypto.SHA256, ProfileRFC2945)
	sha1 := mustParams(t, 1024, crypto.SHA1, ProfileRFC5054Padded)
	cases := []struct {
		name           string
		client, server *Params
	}{
		{"padded client, rfc2945 server", padded, rfc2945},
		{"rfc2945 client, padded server", rfc2945, padded},
		{"SHA-1 client, SHA-256 server", sha1, padded},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for j := range 20 {
				salt := bytes.Repeat([]byte{byte(j + 1)}, 32)
				_, err := runSession(t, c.client, c.server, detRand(uint64(100+i*20+j)), []byte("alice"), []byte("pw"), salt)
				if !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("session %d: err = %v, want ErrInvalidProof", j, err)
				}
			}
		})
	}
}

func TestServerRejectsBadA(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	n := p.group.n
	identity, salt := []byte("alice"), bytes.Repeat([]byte{1}, 32)
	v := p.Verifier(identity, []byte("Correct-Horse-9"), salt)
	one := big.NewInt(1)
	bad := []struct {
		name string
		A    *big.Int
	}{
		{"0", big.NewInt(0)},
		{"N", new(big.Int).Set(n)},
		{"2N", new(big.Int).Lsh(n, 1)},
		{"1", one},
		{"N-1", new(big.Int).Sub(n, one)},
		{"N+1", new(big.Int).Add(n, one)},
	}
	// For each A, the proofs a forger would send: for S = 0 (what A = 0, N, 2N force)
	// and for S = 1 and N - 1 (the only values A = 1 and N - 1 can give).
	forgedS := []*big.Int{big.NewInt(0), one, new(big.Int).Sub(n, one)}
	for _, c := range bad {
		for i, S := range forgedS {
			t.Run(fmt.Sprintf("A=%s/S%d", c.name, i), func(t *testing.T) {
				t.Parallel()
				srv, err := p.NewServer(identity, salt, v)
				if err != nil {
					t.Fatal(err)
				}
				inProof := c.A.Bytes()
				if c.A.Cmp(n) >= 0 {
					inProof = new(big.Int).Mod(c.A, n).Bytes()
				}
				forged := p.M1(identity, salt, inProof, srv.B(), S.Bytes())
				m2, err := srv.Verify(c.A.Bytes(), forged)
				if !errors.Is(err, ErrInvalidPublicValue) || m2 != nil {
					t.Fatalf("Verify(A=%s) = %x, %v; want ErrInvalidPublicValue and no M2", c.name, m2, err)
				}
			})
		}
	}
}

func TestServerVerifiesOnce(t *testing.T) {
	t.Parallel()
	srv, c := newPair(t, 3)
	m1 := mustProof(t, c, srv)
	wrong := bytes.Clone(m1)
	wrong[0] ^= 0x80
	if m2, err := srv.Verify(c.A(), wrong); !errors.Is(err, ErrInvalidProof) || m2 != nil {
		t.Fatalf("wrong proof: %x, %v", m2, err)
	}
	// The right proof after a wrong one must not pass: the session is spent.
	if _, err := srv.Verify(c.A(), m1); !errors.Is(err, ErrUsed) {
		t.Fatalf("second Verify: %v, want ErrUsed", err)
	}
	if _, err := c.Proof(srv.B()); !errors.Is(err, ErrUsed) {
		t.Fatalf("second Proof: %v, want ErrUsed", err)
	}
}

func TestConcurrentVerifyAtMostOnce(t *testing.T) {
	t.Parallel()
	srv, c := newPair(t, 4)
	m1 := mustProof(t, c, srv)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := srv.Verify(c.A(), m1); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d of 32 concurrent Verify calls succeeded, want 1", ok)
	}
}

func TestClientRejectsBadB(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	n := p.group.n
	cases := []struct {
		name string
		B    []byte
	}{
		{"0", []byte{0}},
		{"empty", nil},
		{"N", n.Bytes()},
		{"2N", new(big.Int).Lsh(n, 1).Bytes()},
		{"N+5", new(big.Int).Add(n, big.NewInt(5)).Bytes()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(p, []byte("alice"), []byte("pw"), bytes.Repeat([]byte{5}, 32))
			if err != nil {
				t.Fatal(err)
			}
			if m1, err := c.Proof(tc.B); !errors.Is(err, ErrInvalidPublicValue) || m1 != nil {
				t.Fatalf("Proof(B=%s) = %x, %v; want ErrInvalidPublicValue", tc.name, m1, err)
			}
		})
	}
}

func TestClientRejectsWrongM2(t *testing.T) {
	t.Parallel()
	srv, c := newPair(t, 6)
	if err := c.VerifyServer(make([]byte, 32)); err == nil {
		t.Fatal("VerifyServer before Proof succeeded")
	}
	m1 := mustProof(t, c, srv)
	m2, err := srv.Verify(c.A(), m1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m2 {
		bad := bytes.Clone(m2)
		bad[i] ^= 1
		if err := c.VerifyServer(bad); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("M2 with byte %d flipped accepted", i)
		}
	}
	if err := c.VerifyServer(m2[:31]); !errors.Is(err, ErrInvalidProof) {
		t.Fatal("truncated M2 accepted")
	}
	if err := c.VerifyServer(m2); err != nil {
		t.Fatalf("right M2 rejected: %v", err)
	}
}

func TestVerifierRange(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	n := p.group.n
	size := p.group.Size()
	one := big.NewInt(1)
	cases := []struct {
		name string
		v    []byte
		ok   bool
	}{
		{"0", []byte{0}, false},
		{"empty", nil, false},
		{"1", []byte{1}, false},
		{"1 padded", p.Pad([]byte{1}), false},
		{"N-1", new(big.Int).Sub(n, one).Bytes(), false},
		{"N", n.Bytes(), false},
		{"N+1", new(big.Int).Add(n, one).Bytes(), false},
		{"2^(8 len N)", append([]byte{1}, make([]byte, size)...), false},
		{"2", []byte{2}, true},
		{"N-2", new(big.Int).Sub(n, big.NewInt(2)).Bytes(), true},
		{"2 with extra leading zeros", append(make([]byte, size+4), 2), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := p.CheckVerifier(c.v)
			if c.ok != (err == nil) {
				t.Fatalf("CheckVerifier = %v, want ok=%v", err, c.ok)
			}
			if !c.ok && !errors.Is(err, ErrInvalidVerifier) {
				t.Fatalf("err = %v, want ErrInvalidVerifier", err)
			}
			_, err = p.NewServer([]byte("i"), bytes.Repeat([]byte{1}, 32), c.v)
			if c.ok != (err == nil) {
				t.Fatalf("NewServer = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestEphemeralSingleUse(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	e, err := p.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSecret([]byte("i"), []byte("p"), bytes.Repeat([]byte{1}, 32))
	if _, err := NewClientWith(s, e); err != nil {
		t.Fatal(err)
	}
	if _, err := NewClientWith(s, e); !errors.Is(err, ErrUsed) {
		t.Fatalf("second NewClientWith: %v, want ErrUsed", err)
	}
	other := mustParams(t, 1024, crypto.SHA256, ProfileRFC5054Padded)
	e2, err := other.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewClientWith(s, e2); err == nil {
		t.Fatal("mixed parameter sets accepted")
	}
}

func TestFreshEphemerals(t *testing.T) {
	t.Parallel()
	p := DefaultParams()
	salt := bytes.Repeat([]byte{1}, 32)
	v := p.Verifier([]byte("i"), []byte("p"), salt)
	seen := map[string]bool{}
	for range 50 {
		s, err := p.NewServer([]byte("i"), salt, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Secret()) != EphemeralBytes || seen[string(s.Secret())] {
			t.Fatal("b repeated or of the wrong size")
		}
		seen[string(s.Secret())] = true
	}
}

func TestResumeServer(t *testing.T) {
	t.Parallel()
	p := mustParams(t, 1024, crypto.SHA256, ProfileRFC5054Padded)
	identity, pass, salt := []byte("alice"), []byte("pw"), bytes.Repeat([]byte{8}, 32)
	v := p.Verifier(identity, pass, salt)
	srv, err := p.NewServer(identity, salt, v)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.ResumeServer(identity, salt, v, srv.Secret())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.B(), srv.B()) {
		t.Fatal("resumed server has a different B")
	}
	c, err := NewClient(p, identity, pass, salt)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := c.Proof(srv.B())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Verify(c.A(), m1); err != nil {
		t.Fatalf("resumed server rejected a right proof: %v", err)
	}
	if _, err := p.ResumeServer(identity, salt, v, []byte{1, 2, 3}); err == nil {
		t.Fatal("short b accepted")
	}
	// With B as stored: same session, no recomputation; a B out of range is refused.
	withB, err := p.ResumeServerWithB(identity, salt, v, srv.Secret(), srv.B())
	if err != nil || !bytes.Equal(withB.B(), srv.B()) {
		t.Fatalf("ResumeServerWithB: %v", err)
	}
	c2, err := NewClient(p, identity, pass, salt)
	if err != nil {
		t.Fatal(err)
	}
	m1, err = c2.Proof(withB.B())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withB.Verify(c2.A(), m1); err != nil {
		t.Fatalf("server resumed with stored B rejected a right proof: %v", err)
	}
	for _, bad := range [][]byte{{0}, p.Group().N().Bytes()} {
		if _, err := p.ResumeServerWithB(identity, salt, v, srv.Secret(), bad); !errors.Is(err, ErrInvalidPublicValue) {
			t.Fatalf("ResumeServerWithB(B=%x) = %v", bad, err)
		}
	}
}

func TestParseNames(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"SHA-256", "sha256", "SHA256", "sha-256"} {
		if h, err := ParseHash(s); err != nil || h != crypto.SHA256 {
			t.Errorf("ParseHash(%q) = %v, %v", s, h, err)
		}
	}
	for _, s := range []string{"MD5", "", "SHA-3"} {
		if _, err := ParseHash(s); !errors.Is(err, ErrUnknownHash) {
			t.Errorf("ParseHash(%q) = %v", s, err)
		}
	}
	if _, err := ParseProfile("rfc5054"); !errors.Is(err, ErrUnknownProfile) {
		t.Error("ParseProfile accepted rfc5054")
	}
	if _, err := GroupByBits(2047); !errors.Is(err, ErrUnknownGroup) {
		t.Error("GroupByBits accepted 2047")
	}
	if g, err := GroupByName("2048"); err != nil || g != Group2048() {
		t.Error("GroupByName(2048)")
	}
	if g, err := GroupByPrime(Group3072().N(), big.NewInt(5)); err != nil || g.Bits() != 3072 {
		t.Error("GroupByPrime(3072)")
	}
	if _, err := GroupByPrime(Group3072().N(), big.NewInt(2)); err == nil {
		t.Error("GroupByPrime accepted the wrong generator")
	}
	if got := DefaultParams().String(); got != "rfc5054-2048/SHA-256/rfc5054-padded" {
		t.Errorf("DefaultParams = %s", got)
	}
}
