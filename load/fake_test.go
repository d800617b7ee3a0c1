package load

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// fakeServer is a small in-memory implementation of the passcode API for the
// pipeline's tests: users, registration, renewal and authentication over real SRP,
// a verifier history, single-use sessions, and faults to inject. It also watches
// the generator: how many renewal sessions of one user were open at once, and
// whether a renewal ever reused a passcode within the history.
type fakeServer struct {
	tb     testing.TB
	params *srp.Params
	req    passcode.Requirements
	srv    *httptest.Server
	paths  api.Paths

	mu       sync.Mutex
	users    map[string]*fakeUser
	sessions map[string]*fakeSession
	// faults: each returns true to apply the fault to the n-th renewal completion
	// (counting from 1).
	refuse   func(n int) bool // answer 400 INVALID_PROOF, change nothing
	badM2    func(n int) bool // apply, answer 200 with a wrong m2
	hangup   func(n int) bool // apply, then drop the connection without answering
	complete int

	maxOpen         int // most renewal sessions of one user open at once
	historyViolated int
	renewals        int
	refused, badM2s int // faults applied
	hangups         int
}

type fakeUser struct {
	id, ext  string
	identity []byte
	salt     []byte
	history  [][]byte // verifiers, newest last
	open     int      // renewal sessions started and not completed
	version  int
}

type fakeSession struct {
	flow    api.Flow
	user    *fakeUser
	server  *srp.Server
	version int
}

const fakeStore = "default"

func newFakeServer(tb testing.TB, history int) *fakeServer {
	tb.Helper()
	f := &fakeServer{
		tb: tb, params: srp.DefaultParams(),
		req:   passcode.Requirements{MinimumLength: 8, MaximumLength: 64, DigitCount: 1, PasscodeHistory: history},
		users: map[string]*fakeUser{}, sessions: map[string]*fakeSession{},
		paths: api.Paths{Tenant: "acme"},
	}
	mux := http.NewServeMux()
	p := f.paths
	mux.HandleFunc("POST "+p.Users(fakeStore), f.createUser)
	// Paths escapes the braces of the wildcards; undo that for the patterns.
	unbrace := strings.NewReplacer("%7B", "{", "%7D", "}").Replace
	for _, flow := range api.Flows() {
		mux.HandleFunc("POST "+unbrace(p.Start(flow, fakeStore, api.ByID("{user}"), "{policy}")), f.start(flow))
		mux.HandleFunc("POST "+unbrace(p.Complete(flow, fakeStore, "{session}")), f.completeFlow(flow))
	}
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

// target is the fake server as a server under test: the reference fixtures' target
// (tenant acme, store default, the admin API) with one static token.
func (f *fakeServer) target() *sut.Target {
	f.tb.Helper()
	tg, err := sut.FromURL(f.srv.URL)
	if err != nil {
		f.tb.Fatal(err)
	}
	tg.Tokens = map[sut.Role]sut.Credentials{sut.RoleFull: {Token: "t0k3n"}}
	return tg
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code api.Code) {
	writeJSON(w, code.Status(), api.NewError(code, "fake"))
}

func (f *fakeServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bearer t0k3n" {
		writeErr(w, api.CodeUnauthorized)
		return false
	}
	return true
}

func (f *fakeServer) createUser(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	var req api.CreateUserRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ExternalID == "" {
		writeErr(w, api.CodeInvalidRequest)
		return
	}
	u := &fakeUser{id: newID(), ext: req.ExternalID}
	f.mu.Lock()
	for _, o := range f.users {
		if o.ext == u.ext {
			f.mu.Unlock()
			writeErr(w, api.CodeExternalIDNotUnique)
			return
		}
	}
	f.users[u.id] = u
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, api.User{ID: u.id, ExternalID: u.ext, Status: api.StatusActive, DateCreated: api.NewTimestamp(time.Now())})
}

func (f *fakeServer) start(flow api.Flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(w, r) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		u := f.users[r.PathValue("user")]
		if u == nil {
			writeErr(w, api.CodeUserNotFound)
			return
		}
		if r.PathValue("policy") != "standard" {
			writeErr(w, api.CodePolicyNotFound)
			return
		}
		g := f.params.Group()
		resp := api.StartResponse{SessionID: newID(), AlgorithmInfo: api.AlgorithmInfo{Type: api.AlgorithmSRP, Parameters: api.SRPParameters{
			N: srp.EncodeInt(g.N().Bytes()), G: int(g.G().Int64()), HashAlgorithm: api.HashSHA256,
		}}}
		s := &fakeSession{flow: flow, user: u, version: u.version}
		switch flow {
		case api.FlowRegistration:
			if u.history != nil {
				writeErr(w, api.CodePasscodeAlreadyRegistered)
				return
			}
			u.identity = []byte(u.id)
			u.salt = make([]byte, 32)
			_, _ = rand.Read(u.salt)
		default:
			if u.history == nil {
				writeErr(w, api.CodePasscodeNotRegistered)
				return
			}
			srv, err := f.params.NewServer(u.identity, u.salt, u.history[len(u.history)-1])
			if err != nil {
				writeErr(w, api.CodeInternal)
				return
			}
			s.server = srv
			resp.AlgorithmInfo.Parameters.ServerPublicKey = srp.EncodeInt(srv.B())
		}
		if flow != api.FlowAuthentication {
			req := f.req
			resp.PasscodeRequirements = &req
		}
		if flow == api.FlowRenewal {
			u.open++
			f.maxOpen = max(f.maxOpen, u.open)
		}
		resp.AlgorithmInfo.Parameters.I = string(u.identity)
		resp.AlgorithmInfo.Parameters.Salt = srp.EncodeSalt(u.salt)
		f.sessions[resp.SessionID] = s
		writeJSON(w, http.StatusOK, resp)
	}
}

func (f *fakeServer) completeFlow(flow api.Flow) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !f.authorized(w, r) {
			return
		}
		var req api.CompleteRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeErr(w, api.CodeInvalidRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		id := r.PathValue("session")
		s := f.sessions[id]
		delete(f.sessions, id)
		if s == nil || s.flow != flow {
			writeErr(w, api.CodeSessionNotFound)
			return
		}
		u := s.user
		if flow == api.FlowRenewal {
			u.open--
			f.complete++
		}
		n := f.complete
		if flow == api.FlowRegistration {
			v, _ := srp.DecodeInt(req.SRPRegistrationData.Verifier)
			u.history = [][]byte{f.params.Pad(v)}
			u.version++
			writeJSON(w, http.StatusOK, api.CompleteResponse{User: api.User{ID: u.id, ExternalID: u.ext, Status: api.StatusActive}})
			return
		}
		if s.version != u.version {
			writeErr(w, api.CodeStaleSession)
			return
		}
		if flow == api.FlowRenewal && f.refuse != nil && f.refuse(n) {
			f.refused++
			writeErr(w, api.CodeInvalidProof)
			return
		}
		A, err1 := srp.DecodeInt(req.SRPVerificationData.A)
		m1, err2 := srp.DecodeProof(req.SRPVerificationData.M1, f.params.Hash().Size())
		if err1 != nil || err2 != nil {
			writeErr(w, api.CodeInvalidRequest)
			return
		}
		m2, err := s.server.Verify(A, m1)
		if err != nil {
			writeErr(w, api.CodeInvalidProof)
			return
		}
		if flow == api.FlowRenewal {
			v, err := srp.DecodeInt(req.SRPRegistrationData.Verifier)
			if err != nil {
				writeErr(w, api.CodeInvalidVerifier)
				return
			}
			v = f.params.Pad(v)
			keep := max(f.req.PasscodeHistory, 0)
			for i := max(len(u.history)-keep, 0); i < len(u.history) && keep > 0; i++ {
				if subtle.ConstantTimeCompare(u.history[i], v) == 1 {
					f.historyViolated++
					writeErr(w, api.CodePasscodeHistoryViolation)
					return
				}
			}
			u.history = append(u.history, v)
			u.version++
			f.renewals++
			if f.hangup != nil && f.hangup(n) {
				f.hangups++
				hj, ok := w.(http.Hijacker)
				if !ok {
					f.tb.Error("fake server: cannot hijack")
					return
				}
				conn, _, err := hj.Hijack()
				if err == nil {
					_ = conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
				return
			}
			if f.badM2 != nil && f.badM2(n) {
				f.badM2s++
				m2 = make([]byte, len(m2))
			}
		}
		writeJSON(w, http.StatusOK, api.CompleteResponse{
			AlgorithmInfo: &api.AlgorithmInfo{Type: api.AlgorithmSRP, Parameters: api.SRPParameters{HashAlgorithm: api.HashSHA256, M2: srp.EncodeInt(m2)}},
			User:          api.User{ID: u.id, ExternalID: u.ext, Status: api.StatusActive},
		})
	}
}

// stats returns what the fake server observed.
func (f *fakeServer) stats() (maxOpen, historyViolated, renewals int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxOpen, f.historyViolated, f.renewals
}
