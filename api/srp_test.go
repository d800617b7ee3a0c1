package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

// fakeSRP is a minimal in-memory server of the three passcode flows for one user,
// built on the srp package's server role, for testing the client-side helpers end
// to end. Misbehaviours are switched on per test.
type fakeSRP struct {
	params *srp.Params
	req    passcode.Requirements

	mu       sync.Mutex
	identity []byte
	salt     []byte
	verifier []byte // nil until registered
	sessions map[string]*fakeSession
	next     int

	// misbehaviours
	tamperM2  bool
	omitM2    bool
	badGroupN bool
}

type fakeSession struct {
	flow   string
	server *srp.Server
}

func newFakeSRP(tb testing.TB, req passcode.Requirements) (*fakeSRP, *Client) {
	tb.Helper()
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		tb.Fatal(err)
	}
	f := &fakeSRP{params: srp.DefaultParams(), req: req, identity: []byte("UGIRW7QN727EIV2XLXG4YH42N4"), salt: salt, sessions: map[string]*fakeSession{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/identity-store/tenants/acme/stores/main/users/{user}/passcodes/{flow}/{policy}", f.start)
	mux.HandleFunc("POST /api/identity-store/tenants/acme/stores/main/users/{user}/passcodes/{flow}/{policy}/ext", f.start)
	mux.HandleFunc("POST /api/identity-store/tenants/acme/stores/main/passcodes/{flow}/sessions/{id}", f.complete)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, "acme")
	if err != nil {
		tb.Fatal(err)
	}
	return f, c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code Code) {
	e := NewError(code, "fake: "+string(code))
	writeJSON(w, e.Status(), e)
}

func (f *fakeSRP) start(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	flow := r.PathValue("flow")
	f.next++
	id := "S" + strconv.Itoa(f.next)
	n := f.params.Group().N().Bytes()
	if f.badGroupN {
		n[len(n)-1] ^= 2 // not a known prime any more
	}
	sr := StartResponse{
		AlgorithmInfo: AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{
			I: string(f.identity), N: srp.EncodeInt(n), G: int(f.params.Group().G().Int64()),
			HashAlgorithm: f.params.HashName(), Salt: srp.EncodeSalt(f.salt),
		}},
		SessionID: id,
	}
	sess := &fakeSession{flow: flow}
	switch flow {
	case "registrations":
		if f.verifier != nil {
			fail(w, CodePasscodeAlreadyRegistered)
			return
		}
		sr.PasscodeRequirements = &f.req
	case "authentications", "renewals":
		if f.verifier == nil {
			fail(w, CodePasscodeNotRegistered)
			return
		}
		s, err := f.params.NewServer(f.identity, f.salt, f.verifier)
		if err != nil {
			fail(w, CodeInternal)
			return
		}
		sess.server = s
		sr.AlgorithmInfo.Parameters.ServerPublicKey = srp.EncodeInt(s.B())
		if flow == "renewals" {
			sr.PasscodeRequirements = &f.req
		}
	default:
		fail(w, CodeNotFound)
		return
	}
	f.sessions[id] = sess
	writeJSON(w, 200, sr)
}

func (f *fakeSRP) complete(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sess, ok := f.sessions[r.PathValue("id")]
	delete(f.sessions, r.PathValue("id"))
	if !ok || sess.flow != r.PathValue("flow") {
		fail(w, CodeSessionNotFound)
		return
	}
	var req CompleteRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(w, CodeInvalidRequest)
		return
	}
	resp := CompleteResponse{User: User{ID: string(f.identity), ExternalID: "bob", Status: StatusActive}}
	if sess.server != nil {
		if req.SRPVerificationData == nil {
			fail(w, CodeInvalidRequest)
			return
		}
		a, err1 := srp.DecodeInt(req.SRPVerificationData.A)
		m1, err2 := srp.DecodeProof(req.SRPVerificationData.M1, f.params.Hash().Size())
		if err1 != nil || err2 != nil {
			fail(w, CodeInvalidRequest)
			return
		}
		m2, err := sess.server.Verify(a, m1)
		switch {
		case errors.Is(err, srp.ErrInvalidPublicValue):
			fail(w, CodeInvalidPublicValue)
			return
		case err != nil:
			fail(w, CodeInvalidProof)
			return
		}
		if f.tamperM2 {
			m2[0] ^= 1
		}
		resp.AlgorithmInfo = &AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{HashAlgorithm: f.params.HashName()}}
		if !f.omitM2 {
			resp.AlgorithmInfo.Parameters.M2 = srp.EncodeInt(m2)
		}
	}
	if sess.flow != "authentications" {
		if req.SRPRegistrationData == nil {
			fail(w, CodeInvalidRequest)
			return
		}
		v, err := srp.DecodeInt(req.SRPRegistrationData.Verifier)
		if err != nil || f.params.CheckVerifier(v) != nil {
			fail(w, CodeInvalidVerifier)
			return
		}
		f.verifier = v
	}
	writeJSON(w, 200, resp)
}

func TestSRPFlowsEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newFakeSRP(t, passcode.Requirements{MinimumLength: 6})
	user := ByExternalID("bob")

	// Registration stores a verifier derived from the NFC form: registering the
	// decomposed spelling and authenticating with the composed one must agree.
	decomposed, composed := "cafe\u0301-pass", "caf\u00e9-pass"
	res, err := Register(ctx, c, "main", user, "pol", decomposed)
	if err != nil {
		t.Fatalf("Register: %v\n%s\n%s", err, res.StartExchange, res.CompleteExchange)
	}
	if res.Flow != FlowRegistration || res.User() == nil || res.User().ExternalID != "bob" || res.Params == nil {
		t.Errorf("registration result %+v", res)
	}
	if res.Complete.AlgorithmInfo != nil {
		t.Errorf("registration response carried algorithmInfo")
	}
	var sent CompleteRequest
	if err := json.Unmarshal(res.CompleteExchange.RequestBody, &sent); err != nil || sent.SRPVerificationData != nil || sent.SRPRegistrationData == nil {
		t.Errorf("registration sent %s", res.CompleteExchange.RequestBody)
	}
	if want := srp.EncodeInt(f.params.Verifier(f.identity, []byte(composed), f.salt)); sent.SRPRegistrationData.Verifier != want {
		t.Errorf("verifier is not the NFC one")
	}

	res, err = Authenticate(ctx, c, "main", user, "pol", composed)
	if err != nil {
		t.Fatalf("Authenticate: %v\n%s", err, res.CompleteExchange)
	}
	if res.Complete == nil || res.Complete.AlgorithmInfo == nil || res.Complete.AlgorithmInfo.Parameters.M2 == "" {
		t.Errorf("authentication result %+v", res.Complete)
	}

	res, err = Renew(ctx, c, "main", user, "pol", composed, "new-passcode")
	if err != nil {
		t.Fatalf("Renew: %v\n%s", err, res.CompleteExchange)
	}
	if err := json.Unmarshal(res.CompleteExchange.RequestBody, &sent); err != nil || sent.SRPVerificationData == nil || sent.SRPRegistrationData == nil {
		t.Errorf("renewal sent %s", res.CompleteExchange.RequestBody)
	}

	// The old passcode is gone, the new one works.
	_, err = Authenticate(ctx, c, "main", user, "pol", composed)
	if ErrorCode(err) != CodeInvalidProof {
		t.Errorf("old passcode after renewal: %v, want INVALID_PROOF", err)
	}
	if _, err := Authenticate(ctx, c, "main", user, "pol", "new-passcode"); err != nil {
		t.Errorf("new passcode after renewal: %v", err)
	}

	// A secret derived ahead, as a load generator keeps one per passcode, proves as
	// the passcode does; one of another passcode does not.
	for _, tc := range []struct {
		pass string
		want Code
	}{{"new-passcode", ""}, {"old-passcode", CodeInvalidProof}} {
		s := srp.DefaultParams().NewSecret(f.identity, []byte(tc.pass), f.salt)
		res, err := SRPFlow{Client: c}.AuthenticateWith(ctx, "main", user, "pol", s)
		if ErrorCode(err) != tc.want || (tc.want == "" && (err != nil || res.Complete == nil)) {
			t.Errorf("AuthenticateWith a secret of %s: %v, want %q", tc.pass, err, tc.want)
		}
	}

	// A second registration is refused by the server at start.
	res, err = Register(ctx, c, "main", user, "pol", "whatever1")
	if ErrorCode(err) != CodePasscodeAlreadyRegistered || res.StartExchange == nil || res.CompleteExchange != nil {
		t.Errorf("second registration: %v %+v", err, res)
	}
}

func TestSRPFlowFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		setup  func(f *fakeSRP)
		run    func(c *Client) (*FlowResult, error)
		want   error // sentinel, or nil with code
		code   Code
		leaked []string // must not appear in the error text
	}{
		{"wrong m2 is not trusted", func(f *fakeSRP) { f.tamperM2 = true },
			func(c *Client) (*FlowResult, error) {
				return Authenticate(ctx, c, "main", ByID("U"), "pol", "right-pass")
			},
			ErrServerProof, "", nil},
		{"missing m2 is not trusted", func(f *fakeSRP) { f.omitM2 = true },
			func(c *Client) (*FlowResult, error) {
				return Renew(ctx, c, "main", ByID("U"), "pol", "right-pass", "next-pass")
			},
			ErrServerProof, "", nil},
		{"wrong passcode", nil,
			func(c *Client) (*FlowResult, error) {
				return Authenticate(ctx, c, "main", ByID("U"), "pol", "wrong-pass")
			},
			nil, CodeInvalidProof, nil},
		{"unknown group", func(f *fakeSRP) { f.badGroupN = true },
			func(c *Client) (*FlowResult, error) {
				return Authenticate(ctx, c, "main", ByID("U"), "pol", "right-pass")
			},
			ErrBadParameters, "", nil},
		{"policy checked before sending", nil,
			func(c *Client) (*FlowResult, error) {
				return Renew(ctx, c, "main", ByID("U"), "pol", "right-pass", "Sh0rt")
			},
			ErrPasscodeRejected, "", []string{"Sh0rt", "right-pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c := newFakeSRP(t, passcode.Requirements{MinimumLength: 8})
			if _, err := Register(ctx, c, "main", ByID("U"), "pol", "right-pass"); err != nil {
				t.Fatalf("setup registration: %v", err)
			}
			if tt.setup != nil {
				f.mu.Lock()
				tt.setup(f)
				f.mu.Unlock()
			}
			before := append([]byte(nil), f.verifier...)
			res, err := tt.run(c)
			if err == nil {
				t.Fatalf("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if tt.code != "" && ErrorCode(err) != tt.code {
				t.Errorf("code %q, want %q (%v)", ErrorCode(err), tt.code, err)
			}
			if res == nil || res.StartExchange == nil {
				t.Fatalf("no result with the exchanges")
			}
			if res.Complete != nil || res.User() != nil {
				t.Errorf("failed flow reported a completion %+v", res.Complete)
			}
			for _, s := range tt.leaked {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains %q", err, s)
				}
			}
			if errors.Is(err, ErrPasscodeRejected) {
				var pe *PasscodeError
				if !errors.As(err, &pe) || len(pe.Violations) == 0 || pe.Violations[0].Rule != passcode.RuleMinimumLength {
					t.Errorf("PasscodeError %+v", pe)
				}
				if res.CompleteExchange != nil {
					t.Errorf("a rejected passcode was sent")
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if string(f.verifier) != string(before) {
					t.Errorf("verifier changed")
				}
			}
		})
	}
}

func TestSkipPolicyCheck(t *testing.T) {
	t.Parallel()
	f, c := newFakeSRP(t, passcode.Requirements{MinimumLength: 8})
	res, err := SRPFlow{Client: c, SkipPolicyCheck: true}.Register(context.Background(), "main", ByID("U"), "pol", "short")
	if err != nil {
		t.Fatalf("Register with SkipPolicyCheck: %v", err)
	}
	if res.CompleteExchange == nil {
		t.Fatalf("nothing sent")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verifier == nil {
		t.Errorf("server has no verifier")
	}
}

// TestCompletion: Completion refuses secrets of other parameters and a used
// ephemeral, and VerifyM2 tells a wrong m2 (srp.ErrInvalidProof) from none.
func TestCompletion(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	id, salt := []byte("ID"), make([]byte, 16)
	srv, err := p.NewServer(id, salt, p.Verifier(id, []byte("pass"), salt))
	if err != nil {
		t.Fatal(err)
	}
	sp := &StartParams{Params: p, Identity: id, Salt: salt, B: srv.B()}
	g3072, err := srp.GroupByBits(3072)
	if err != nil {
		t.Fatal(err)
	}
	other, err := srp.NewParams(g3072, srp.DefaultHash, srp.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sp.Completion(nil, other.NewSecret(id, []byte("pass"), salt), nil); !errors.Is(err, ErrBadParameters) {
		t.Errorf("a verifier of another group: %v, want ErrBadParameters", err)
	}
	e, err := p.NewEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	req, c, err := sp.Completion(sp.Secret("pass"), sp.Secret("next"), e)
	if err != nil || req.SRPVerificationData == nil || req.SRPRegistrationData == nil {
		t.Fatalf("renewal completion: %+v, %v", req, err)
	}
	if req.SRPRegistrationData.Verifier != sp.Verifier("next") || req.SRPVerificationData.A != srp.EncodeInt(e.A()) {
		t.Errorf("completion %+v is not of the secrets and ephemeral given", req)
	}
	if _, _, err := sp.Completion(sp.Secret("pass"), nil, e); !errors.Is(err, srp.ErrUsed) {
		t.Errorf("a used ephemeral: %v, want srp.ErrUsed", err)
	}
	m1, err := srp.DecodeInt(req.SRPVerificationData.M1)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := srv.Verify(e.A(), m1)
	if err != nil {
		t.Fatal(err)
	}
	answer := func(m2 string) *CompleteResponse {
		return &CompleteResponse{AlgorithmInfo: &AlgorithmInfo{Type: AlgorithmSRP, Parameters: SRPParameters{M2: m2}}}
	}
	wrong := append([]byte(nil), m2...)
	wrong[0] ^= 1
	for _, tc := range []struct {
		name string
		cr   *CompleteResponse
		want []error
	}{
		{"right", answer(srp.EncodeInt(m2)), nil},
		{"wrong", answer(srp.EncodeInt(wrong)), []error{ErrServerProof, srp.ErrInvalidProof}},
		{"none", &CompleteResponse{}, []error{ErrServerProof}},
	} {
		err := VerifyM2(p, c, tc.cr)
		if (err == nil) != (tc.want == nil) {
			t.Errorf("%s m2: %v", tc.name, err)
		}
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s m2: %v, want %v", tc.name, err, w)
			}
		}
		if tc.name == "none" && errors.Is(err, srp.ErrInvalidProof) {
			t.Errorf("no m2 counted as a wrong one: %v", err)
		}
	}
}

func TestParseStart(t *testing.T) {
	t.Parallel()
	p := srp.DefaultParams()
	good := func() *StartResponse {
		return &StartResponse{AlgorithmInfo: AlgorithmInfo{Type: "SRP", Parameters: SRPParameters{
			I: "ID", N: srp.EncodeInt(p.Group().N().Bytes()), G: 2, HashAlgorithm: "SHA-256",
			Salt: srp.EncodeSalt(make([]byte, 16)), ServerPublicKey: srp.EncodeInt([]byte{7}),
		}}}
	}
	tests := []struct {
		name    string
		mutate  func(sr *StartResponse)
		needB   bool
		profile srp.Profile
		ok      bool
	}{
		{"good", func(*StartResponse) {}, true, "", true},
		{"good rfc2945", func(*StartResponse) {}, true, srp.ProfileRFC2945, true},
		{"url-safe unpadded n", func(sr *StartResponse) {
			sr.AlgorithmInfo.Parameters.N = base64.RawURLEncoding.EncodeToString(p.Group().N().Bytes())
		}, true, "", true},
		{"no B needed", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.ServerPublicKey = "" }, false, "", true},
		{"no B", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.ServerPublicKey = "" }, true, "", false},
		{"bad B", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.ServerPublicKey = "!!" }, true, "", false},
		{"not SRP", func(sr *StartResponse) { sr.AlgorithmInfo.Type = "OPAQUE" }, true, "", false},
		{"wrong g", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.G = 5 }, true, "", false},
		{"unknown hash", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.HashAlgorithm = "MD5" }, true, "", false},
		{"unknown profile", func(*StartResponse) {}, true, "bogus", false},
		{"no i", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.I = "" }, true, "", false},
		{"short salt", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.Salt = srp.EncodeSalt(make([]byte, 8)) }, true, "", false},
		{"n not base64", func(sr *StartResponse) { sr.AlgorithmInfo.Parameters.N = "***" }, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sr := good()
			tt.mutate(sr)
			sp, err := ParseStart(sr, tt.profile, tt.needB)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseStart error = %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !errors.Is(err, ErrBadParameters) {
					t.Errorf("error %v does not wrap ErrBadParameters", err)
				}
				return
			}
			if string(sp.Identity) != "ID" || len(sp.Salt) < 16 || (tt.needB && len(sp.B) == 0) {
				t.Errorf("parsed %+v", sp)
			}
			want := tt.profile
			if want == "" {
				want = srp.DefaultProfile
			}
			if sp.Params.Profile() != want {
				t.Errorf("profile %s, want %s", sp.Params.Profile(), want)
			}
		})
	}
}
