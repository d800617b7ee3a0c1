package load

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// BenchmarkRenewal is the generator's own work per renewal on the measured path:
// turning a start response into a ready completion (the proof with a precomputed
// secret and ephemeral, and the next verifier) and checking the completion's m2.
// The server's answers are made before the loop, so only the client side counts;
// its cost bounds the rate one generator core can drive.
func BenchmarkRenewal(b *testing.B) {
	params := srp.DefaultParams()
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	identity := []byte("01HZZZZZZZZZZZZZZZZZZZZZZZ")
	current := params.NewSecret(identity, []byte("Correct-Horse-1"), salt)
	next := params.NewSecret(identity, []byte("Correct-Horse-2"), salt)

	// One server key pair (fixed b and B), resumed for each renewal.
	srv, err := params.NewServer(identity, salt, current.Verifier())
	if err != nil {
		b.Fatal(err)
	}
	g := params.Group()
	start, err := json.Marshal(api.StartResponse{SessionID: "S1", AlgorithmInfo: api.AlgorithmInfo{Type: api.AlgorithmSRP,
		Parameters: api.SRPParameters{N: srp.EncodeInt(g.N().Bytes()), G: int(g.G().Int64()), HashAlgorithm: api.HashSHA256,
			I: string(identity), Salt: srp.EncodeSalt(salt), ServerPublicKey: srp.EncodeInt(srv.B())}}})
	if err != nil {
		b.Fatal(err)
	}
	tg, err := sut.FromURL("http://127.0.0.1:9")
	if err != nil {
		b.Fatal(err)
	}
	p := &pipeline{t: tg, base: tg.BaseURL, paths: targetPaths(tg), params: params, nWire: srp.EncodeInt(g.N().Bytes()), eph: newEphPool(params, 0)}
	u := &user{identity: identity, salt: salt, current: current}

	hdr := http.Header{}
	for b.Loop() {
		// The generator makes ephemerals ahead, off the measured path; the server's
		// part is not the generator's either.
		b.StopTimer()
		e, err := params.NewEphemeral()
		if err != nil {
			b.Fatal(err)
		}
		s, err := params.ResumeServerWithB(identity, salt, current.Verifier(), srv.Secret(), srv.B())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		pd, failure := p.prepareCompletion(u, next, e, &vegeta.Result{Code: 200}, start, hdr)
		if failure != "" {
			b.Fatal(failure)
		}
		b.StopTimer()
		answer := serverAnswer(b, s, pd.target.Body)
		b.StartTimer()
		if key := p.checkCompletion(pd, answer); key != "" {
			b.Fatal(key)
		}
	}
}

// serverAnswer is the completion response of server session s to a renewal
// completion body: its m2.
func serverAnswer(tb testing.TB, s *srp.Server, body []byte) []byte {
	tb.Helper()
	var req api.CompleteRequest
	if err := json.Unmarshal(body, &req); err != nil {
		tb.Fatal(err)
	}
	A, err := srp.DecodeInt(req.SRPVerificationData.A)
	if err != nil {
		tb.Fatal(err)
	}
	m1, err := srp.DecodeInt(req.SRPVerificationData.M1)
	if err != nil {
		tb.Fatal(err)
	}
	m2, err := s.Verify(A, m1)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(api.CompleteResponse{AlgorithmInfo: &api.AlgorithmInfo{Type: api.AlgorithmSRP,
		Parameters: api.SRPParameters{HashAlgorithm: api.HashSHA256, M2: srp.EncodeInt(m2)}}})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
