package refserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/refserver"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/srp"
)

// started is a started session with its decoded parameters.
type started struct {
	resp *api.StartResponse
	sp   *api.StartParams
}

// start begins flow for user and fails the test on error.
func (w *world) start(tb testing.TB, c *api.Client, flow api.Flow, user api.UserRef, policy string) started {
	tb.Helper()
	sr, _, err := c.Start(context.Background(), flow, defStore, user, policy)
	if err != nil {
		tb.Fatalf("start %s: %v", flow, err)
	}
	sp, err := api.ParseStart(sr, "", flow != api.FlowRegistration)
	if err != nil {
		tb.Fatalf("parse start: %v", err)
	}
	return started{resp: sr, sp: sp}
}

// request builds the completion body for s: a proof with oldPass (authentication,
// renewal) and a verifier for newPass (registration, renewal).
func (s started) request(tb testing.TB, flow api.Flow, oldPass, newPass string) (api.CompleteRequest, *srp.Client) {
	tb.Helper()
	var req api.CompleteRequest
	var client *srp.Client
	if flow != api.FlowAuthentication {
		req.SRPRegistrationData = &api.SRPRegistrationData{Verifier: s.sp.Verifier(newPass)}
	}
	if flow != api.FlowRegistration {
		vd, c, err := s.sp.Prove(oldPass)
		if err != nil {
			tb.Fatal(err)
		}
		req.SRPVerificationData, client = vd, c
	}
	return req, client
}

// complete sends req for s's session.
func (w *world) complete(c *api.Client, flow api.Flow, s started, req api.CompleteRequest) (*api.CompleteResponse, *api.Exchange, error) {
	return c.Complete(context.Background(), flow, defStore, s.resp.SessionID, req)
}

func TestStartResponses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	nBytes := w.p.Pad(w.p.Group().N().Bytes())
	for _, flow := range api.Flows() {
		for _, byExt := range []bool{false, true} {
			name := string(flow) + map[bool]string{false: " by id", true: " by ext"}[byExt]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				pass := "Start-Pass-1"
				if flow == api.FlowRegistration {
					pass = ""
				}
				u := w.newUser(t, pass)
				ref := u.ref()
				if byExt {
					ref = u.extRef()
				}
				sr, ex, err := w.full.Start(context.Background(), flow, defStore, ref, standard)
				if err != nil {
					t.Fatal(err)
				}
				if ct := ex.ResponseHeader.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("content type %q", ct)
				}
				if !api.ValidID(sr.SessionID) {
					t.Fatalf("session id %q", sr.SessionID)
				}
				p := sr.AlgorithmInfo.Parameters
				if sr.AlgorithmInfo.Type != "SRP" || p.G != 2 || p.HashAlgorithm != "SHA-256" || p.N != srp.EncodeInt(nBytes) {
					t.Fatalf("parameters %+v", p)
				}
				if !api.ValidID(p.I) {
					t.Fatalf("i %q is not a 26-character ID", p.I)
				}
				salt, err := base64.RawURLEncoding.DecodeString(p.Salt)
				if err != nil || len(salt) != refserver.SaltBytes {
					t.Fatalf("salt %q: %v", p.Salt, err)
				}
				hasReq := sr.PasscodeRequirements != nil
				hasB := p.ServerPublicKey != ""
				if hasReq != (flow != api.FlowAuthentication) || hasB != (flow != api.FlowRegistration) {
					t.Fatalf("requirements %v, serverPublicKey %v", hasReq, hasB)
				}
				if hasReq && sr.PasscodeRequirements.PasscodeHistory != 3 {
					t.Fatalf("requirements %+v", sr.PasscodeRequirements)
				}
				if hasB {
					// B is padded to len(N) and the identity and salt are the credential's.
					b, err := base64.StdEncoding.DecodeString(p.ServerPublicKey)
					if err != nil || len(b) != len(nBytes) {
						t.Fatalf("serverPublicKey: %v (%d bytes)", err, len(b))
					}
					cred := w.snapshot(t, u).Cred
					if p.I != cred.Identity || string(salt) != string(cred.Salt) {
						t.Fatal("i or salt differ from the credential's")
					}
				}
				// The raw JSON has exactly the members of SPEC section 4.
				var raw map[string]map[string]json.RawMessage
				_ = json.Unmarshal(ex.ResponseBody, &raw)
				var params map[string]json.RawMessage
				_ = json.Unmarshal(raw["algorithmInfo"]["parameters"], &params)
				want := map[api.Flow]int{api.FlowRegistration: 5, api.FlowAuthentication: 6, api.FlowRenewal: 6}[flow]
				if len(params) != want {
					t.Fatalf("parameters members %d, want %d: %s", len(params), want, ex.ResponseBody)
				}
			})
		}
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	registered := w.newUser(t, "Start-Pass-1")
	fresh := w.newUser(t, "")
	locked := w.newUserIn(t, acme, store.StatusLocked, "Start-Pass-1")
	tempLocked := w.newUserIn(t, acme, store.StatusTempLocked, "Start-Pass-1")
	disabled := w.newUserIn(t, acme, store.StatusDisabled, "Start-Pass-1")
	tests := []struct {
		name   string
		client *api.Client
		flow   api.Flow
		store  string
		user   api.UserRef
		policy string
		code   api.Code
	}{
		{"tenant", w.ghost, api.FlowAuthentication, defStore, registered.ref(), standard, api.CodeTenantNotFound},
		{"store", w.full, api.FlowAuthentication, "nostore", registered.ref(), standard, api.CodeStoreNotFound},
		{"policy", w.full, api.FlowAuthentication, defStore, registered.ref(), "nopolicy", api.CodePolicyNotFound},
		{"user id", w.full, api.FlowAuthentication, defStore, api.ByID("UGIRW7QN727EIV2XLXG4YH42N4"), standard, api.CodeUserNotFound},
		{"user ext", w.full, api.FlowRenewal, defStore, api.ByExternalID("nobody"), standard, api.CodeUserNotFound},
		{"user of another store", w.full, api.FlowAuthentication, otherStore, registered.ref(), standard, api.CodeUserNotFound},
		{"id given as ext", w.full, api.FlowAuthentication, defStore, api.ByExternalID(registered.ID), standard, api.CodeUserNotFound},
		{"already registered", w.full, api.FlowRegistration, defStore, registered.ref(), standard, api.CodePasscodeAlreadyRegistered},
		{"already registered by ext", w.full, api.FlowRegistration, defStore, registered.extRef(), pin6, api.CodePasscodeAlreadyRegistered},
		{"auth not registered", w.full, api.FlowAuthentication, defStore, fresh.ref(), standard, api.CodePasscodeNotRegistered},
		{"renewal not registered", w.full, api.FlowRenewal, defStore, fresh.extRef(), standard, api.CodePasscodeNotRegistered},
		{"locked", w.full, api.FlowAuthentication, defStore, locked.ref(), standard, api.CodeUserLocked},
		{"locked renewal", w.full, api.FlowRenewal, defStore, locked.ref(), standard, api.CodeUserLocked},
		{"temp locked", w.full, api.FlowRenewal, defStore, tempLocked.ref(), standard, api.CodeUserLocked},
		{"disabled", w.full, api.FlowAuthentication, defStore, disabled.ref(), standard, api.CodeUserDisabled},
		{"disabled registration", w.full, api.FlowRegistration, defStore, disabled.ref(), standard, api.CodeUserDisabled},
	}
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, ex, err := tt.client.Start(context.Background(), tt.flow, tt.store, tt.user, tt.policy)
				wantAPIError(t, err, ex, tt.code)
			})
		}
	})

	// A temporary lock ends with its duration.
	w.clock.Advance(15 * time.Minute)
	w.mustAuthenticate(t, tempLocked, "Start-Pass-1")
}

func TestStartBodies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Start-Pass-1")
	path := api.Paths{Tenant: acme}.Start(api.FlowAuthentication, defStore, u.ref(), standard)
	tests := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        api.Code
	}{
		{"absent", "", nil, 200, ""},
		{"empty object", "application/json", []byte("{}"), 200, ""},
		{"empty object with spaces", "application/json; charset=UTF-8", []byte(" { } \n"), 200, ""},
		{"member", "application/json", []byte(`{"x":1}`), 400, api.CodeInvalidRequest},
		{"array", "application/json", []byte(`[]`), 400, api.CodeInvalidRequest},
		{"null", "application/json", []byte(`null`), 400, api.CodeInvalidRequest},
		{"broken", "application/json", []byte(`{`), 400, api.CodeInvalidRequest},
		{"two objects", "application/json", []byte(`{}{}`), 400, api.CodeInvalidRequest},
		{"text content type", "text/plain", []byte(`{}`), 400, api.CodeInvalidRequest},
		{"no content type", "", []byte(`{}`), 400, api.CodeInvalidRequest},
		{"latin1 charset", "application/json; charset=latin1", []byte(`{}`), 400, api.CodeInvalidRequest},
		{"too large", "application/json", []byte(`{"x":"` + strings.Repeat("a", 70000) + `"}`), 413, api.CodePayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := w.raw(t, http.MethodPost, path, w.full.AccessToken, tt.contentType, tt.body, nil)
			if tt.status == 200 {
				if status != 200 {
					t.Fatalf("status %d: %s", status, body)
				}
				return
			}
			wantError(t, status, body, tt.status, tt.code)
		})
	}
}

func TestFlowsBothPathForms(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, hostForm := range []bool{false, true} {
		c := *w.full
		c.HostForm = hostForm
		for _, byExt := range []bool{false, true} {
			u := w.newUser(t, "")
			ref := u.ref()
			if byExt {
				ref = u.extRef()
			}
			res, err := api.Register(ctx, &c, defStore, ref, standard, "Start-Pass-1")
			if err != nil {
				t.Fatalf("host form %v, ext %v: register: %v", hostForm, byExt, err)
			}
			if got := res.User(); got.ID != u.ID || got.ExternalID != u.ExternalID || got.Status != api.StatusActive {
				t.Fatalf("user %+v", got)
			}
			if _, err := api.Authenticate(ctx, &c, defStore, ref, standard, "Start-Pass-1"); err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			if _, err := api.Renew(ctx, &c, defStore, ref, standard, "Start-Pass-1", "Next-Pass-22"); err != nil {
				t.Fatalf("renew: %v", err)
			}
			if _, err := api.Authenticate(ctx, &c, defStore, ref, standard, "Start-Pass-1"); api.ErrorCode(err) != api.CodeInvalidProof {
				t.Fatalf("old passcode after renewal: %v", err)
			}
			if _, err := api.Authenticate(ctx, &c, defStore, ref, standard, "Next-Pass-22"); err != nil {
				t.Fatalf("new passcode: %v", err)
			}
		}
	}
}

func TestHostForm(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Start-Pass-1")
	path := api.Paths{HostForm: true}.User(defStore, u.ref())
	tests := []struct {
		name   string
		host   string
		status int
		code   api.Code
	}{
		{"tenant label", "acme.example.test", 200, ""},
		{"with port", "acme.example.test:8443", 200, ""},
		{"upper case", "ACME.Example.Test", 200, ""},
		{"single label", "acme", 200, ""},
		{"other tenant", "globex.example.test", 403, api.CodeForbidden},
		{"ip literal", "127.0.0.1", 404, api.CodeTenantNotFound},
		{"ipv6 literal", "[::1]:80", 404, api.CodeTenantNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := w.raw(t, http.MethodGet, path, w.full.AccessToken, "", nil, http.Header{"Host": {tt.host}})
			if tt.status == 200 {
				if status != 200 {
					t.Fatalf("status %d: %s", status, body)
				}
				return
			}
			wantError(t, status, body, tt.status, tt.code)
		})
	}
}

// TestCompletionChecks covers the completion error codes, each on a fresh session,
// and that each failure leaves the user and credential as they were.
func TestCompletionChecks(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	n := w.p.Group().N()
	enc := func(x *big.Int) string { return srp.EncodeInt(w.p.Pad(x.Bytes())) }
	nMinus1 := new(big.Int).Sub(n, big.NewInt(1))
	tests := []struct {
		name   string
		flow   api.Flow
		mutate func(*api.CompleteRequest)
		code   api.Code
		counts bool // a failure that counts toward lockout
	}{
		{"A zero", api.FlowAuthentication, func(r *api.CompleteRequest) { r.SRPVerificationData.A = enc(big.NewInt(0)) }, api.CodeInvalidPublicValue, true},
		{"A one", api.FlowAuthentication, func(r *api.CompleteRequest) { r.SRPVerificationData.A = enc(big.NewInt(1)) }, api.CodeInvalidPublicValue, true},
		{"A N", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPVerificationData.A = enc(n) }, api.CodeInvalidPublicValue, true},
		{"A N-1", api.FlowAuthentication, func(r *api.CompleteRequest) { r.SRPVerificationData.A = enc(nMinus1) }, api.CodeInvalidPublicValue, true},
		{"A 2N", api.FlowAuthentication, func(r *api.CompleteRequest) {
			r.SRPVerificationData.A = srp.EncodeInt(new(big.Int).Lsh(n, 1).Bytes())
		}, api.CodeInvalidPublicValue, true},
		{"verifier zero", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = enc(big.NewInt(0)) }, api.CodeInvalidVerifier, false},
		{"verifier one", api.FlowRegistration, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = enc(big.NewInt(1)) }, api.CodeInvalidVerifier, false},
		{"verifier N-1", api.FlowRegistration, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = enc(nMinus1) }, api.CodeInvalidVerifier, false},
		{"verifier N", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = enc(n) }, api.CodeInvalidVerifier, false},
		{"verifier too wide", api.FlowRegistration, func(r *api.CompleteRequest) {
			r.SRPRegistrationData.Verifier = srp.EncodeInt(append([]byte{1}, w.p.Pad(big.NewInt(5).Bytes())...))
		}, api.CodeInvalidVerifier, false},
		{"wrong m1", api.FlowAuthentication, func(r *api.CompleteRequest) {
			r.SRPVerificationData.M1 = srp.EncodeInt(make([]byte, 32))
		}, api.CodeInvalidProof, true},
		{"m1 of another A", api.FlowRenewal, func(r *api.CompleteRequest) {
			r.SRPVerificationData.A = enc(big.NewInt(5))
		}, api.CodeInvalidProof, true},
		{"missing m1", api.FlowAuthentication, func(r *api.CompleteRequest) { r.SRPVerificationData.M1 = "" }, api.CodeInvalidRequest, false},
		{"missing a", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPVerificationData.A = "" }, api.CodeInvalidRequest, false},
		{"missing verifier", api.FlowRegistration, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = "" }, api.CodeInvalidRequest, false},
		{"no verification data", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPVerificationData = nil }, api.CodeInvalidRequest, false},
		{"no registration data", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPRegistrationData = nil }, api.CodeInvalidRequest, false},
		{"registration data on authentication", api.FlowAuthentication, func(r *api.CompleteRequest) {
			r.SRPRegistrationData = &api.SRPRegistrationData{Verifier: enc(big.NewInt(5))}
		}, api.CodeInvalidRequest, false},
		{"verification data on registration", api.FlowRegistration, func(r *api.CompleteRequest) {
			r.SRPVerificationData = &api.SRPVerificationData{A: enc(big.NewInt(5)), M1: srp.EncodeInt(make([]byte, 32))}
		}, api.CodeInvalidRequest, false},
		{"a not base64", api.FlowAuthentication, func(r *api.CompleteRequest) { r.SRPVerificationData.A = "@@@" }, api.CodeInvalidRequest, false},
		{"m1 too long", api.FlowAuthentication, func(r *api.CompleteRequest) {
			r.SRPVerificationData.M1 = srp.EncodeInt(append([]byte{1}, make([]byte, 32)...))
		}, api.CodeInvalidRequest, false},
		{"verifier not base64", api.FlowRenewal, func(r *api.CompleteRequest) { r.SRPRegistrationData.Verifier = "a b" }, api.CodeInvalidRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass := "Start-Pass-1"
			if tt.flow == api.FlowRegistration {
				pass = ""
			}
			u := w.newUser(t, pass)
			before := w.snapshot(t, u)
			s := w.start(t, w.full, tt.flow, u.ref(), standard)
			req, _ := s.request(t, tt.flow, "Start-Pass-1", "Next-Pass-22")
			tt.mutate(&req)
			_, ex, err := w.complete(w.full, tt.flow, s, req)
			wantAPIError(t, err, ex, tt.code)
			after := w.snapshot(t, u)
			if tt.counts {
				if after.User.FailedAttempts != before.User.FailedAttempts+1 {
					t.Fatalf("failed attempts %d -> %d", before.User.FailedAttempts, after.User.FailedAttempts)
				}
				after.User.FailedAttempts = before.User.FailedAttempts
			}
			sameSnapshot(t, before, after)
			// The session is consumed whatever the outcome.
			_, ex, err = w.complete(w.full, tt.flow, s, req)
			wantAPIError(t, err, ex, api.CodeSessionNotFound)
			if pass != "" {
				w.mustAuthenticate(t, u, pass)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, worldOpts{cfg: refserver.Config{SessionTTL: time.Minute}})
	ctx := context.Background()
	u := w.newUser(t, "Start-Pass-1")

	t.Run("unknown", func(t *testing.T) {
		_, ex, err := w.full.Complete(ctx, api.FlowAuthentication, defStore, "UGIRW7QN727EIV2XLXG4YH42N4", api.CompleteRequest{})
		wantAPIError(t, err, ex, api.CodeSessionNotFound)
	})
	t.Run("odd id", func(t *testing.T) {
		_, ex, err := w.full.Complete(ctx, api.FlowAuthentication, defStore, "../../x y", api.CompleteRequest{})
		wantAPIError(t, err, ex, api.CodeSessionNotFound)
	})
	t.Run("expired", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1", "")
		w.clock.Advance(time.Minute)
		_, ex, err := w.complete(w.full, api.FlowAuthentication, s, req)
		wantAPIError(t, err, ex, api.CodeSessionNotFound)
	})
	t.Run("just before expiry", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1", "")
		w.clock.Advance(time.Minute - time.Millisecond)
		if _, _, err := w.complete(w.full, api.FlowAuthentication, s, req); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("single use", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1", "")
		if _, _, err := w.complete(w.full, api.FlowAuthentication, s, req); err != nil {
			t.Fatal(err)
		}
		_, ex, err := w.complete(w.full, api.FlowAuthentication, s, req)
		wantAPIError(t, err, ex, api.CodeSessionNotFound)
	})
	t.Run("bound to flow, store and tenant", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
		req, _ := s.request(t, api.FlowRenewal, "Start-Pass-1", "Start-Pass-1x")
		for _, wrong := range []struct {
			c     *api.Client
			flow  api.Flow
			store string
		}{
			{w.full, api.FlowAuthentication, defStore},
			{w.full, api.FlowRegistration, defStore},
			{w.full, api.FlowRenewal, otherStore},
			{w.globexFull, api.FlowRenewal, defStore},
		} {
			_, ex, err := wrong.c.Complete(ctx, wrong.flow, wrong.store, s.resp.SessionID, req)
			wantAPIError(t, err, ex, api.CodeSessionNotFound)
		}
		// None of the wrong paths consumed it.
		if _, _, err := w.complete(w.full, api.FlowRenewal, s, req); err != nil {
			t.Fatalf("after wrong paths: %v", err)
		}
	})
	t.Run("malformed body consumes", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		p := api.Paths{Tenant: acme}.Complete(api.FlowAuthentication, defStore, s.resp.SessionID)
		status, body := w.raw(t, http.MethodPost, p, w.full.AccessToken, "application/json", []byte("{"), nil)
		wantError(t, status, body, 400, api.CodeInvalidRequest)
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1x", "")
		_, ex, err := w.complete(w.full, api.FlowAuthentication, s, req)
		wantAPIError(t, err, ex, api.CodeSessionNotFound)
	})
	t.Run("oversized body does not consume", func(t *testing.T) {
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		p := api.Paths{Tenant: acme}.Complete(api.FlowAuthentication, defStore, s.resp.SessionID)
		big := []byte(`{"pad":"` + strings.Repeat("x", refserver.MaxBodyBytes) + `"}`)
		status, body := w.raw(t, http.MethodPost, p, w.full.AccessToken, "application/json", big, nil)
		wantError(t, status, body, 413, api.CodePayloadTooLarge)
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1x", "")
		if _, _, err := w.complete(w.full, api.FlowAuthentication, s, req); err != nil {
			t.Fatalf("after 413: %v", err)
		}
	})
	t.Run("completion store and tenant not found", func(t *testing.T) {
		_, ex, err := w.full.Complete(ctx, api.FlowAuthentication, "nostore", "UGIRW7QN727EIV2XLXG4YH42N4", api.CompleteRequest{})
		wantAPIError(t, err, ex, api.CodeStoreNotFound)
		_, ex, err = w.ghost.Complete(ctx, api.FlowAuthentication, defStore, "UGIRW7QN727EIV2XLXG4YH42N4", api.CompleteRequest{})
		wantAPIError(t, err, ex, api.CodeTenantNotFound)
	})
}

func TestWireEncodingsAccepted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		name   string
		mutate func(r *api.CompleteRequest, s started)
	}{
		{"url alphabet without padding", func(r *api.CompleteRequest, _ started) {
			vd := r.SRPVerificationData
			vd.A = toURL(vd.A)
			vd.M1 = toURL(vd.M1)
			r.SRPRegistrationData.Verifier = toURL(r.SRPRegistrationData.Verifier)
		}},
		{"leading zero bytes", func(r *api.CompleteRequest, _ started) {
			r.SRPVerificationData.A = withZeros(r.SRPVerificationData.A, 3)
			r.SRPRegistrationData.Verifier = withZeros(r.SRPRegistrationData.Verifier, 2)
		}},
		{"m1 with an extra 0x00", func(r *api.CompleteRequest, _ started) {
			r.SRPVerificationData.M1 = withZeros(r.SRPVerificationData.M1, 1)
		}},
		{"unpadded A and verifier", func(r *api.CompleteRequest, _ started) {
			r.SRPVerificationData.A = stripZeros(r.SRPVerificationData.A)
			r.SRPRegistrationData.Verifier = stripZeros(r.SRPRegistrationData.Verifier)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := w.newUser(t, "Start-Pass-1")
			s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
			req, client := s.request(t, api.FlowRenewal, "Start-Pass-1", "Next-Pass-22")
			tt.mutate(&req, s)
			cr, _, err := w.complete(w.full, api.FlowRenewal, s, req)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := srp.DecodeProof(cr.AlgorithmInfo.Parameters.M2, 32)
			if err != nil || client.VerifyServer(m2) != nil {
				t.Fatalf("m2 does not verify: %v", err)
			}
			// The verifier is stored in one canonical width whatever its encoding, so
			// history comparisons see it: renewing back to it is refused.
			if len(w.snapshot(t, u).Cred.Verifier) != w.p.Group().Size() {
				t.Fatal("verifier not stored at len(N)")
			}
			_, err = api.Renew(context.Background(), w.full, defStore, u.ref(), standard, "Next-Pass-22", "Next-Pass-22")
			if api.ErrorCode(err) != api.CodePasscodeHistoryViolation {
				t.Fatalf("renewing to the current passcode: %v", err)
			}
			w.mustAuthenticate(t, u, "Next-Pass-22")
		})
	}
}

func toURL(s string) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(s), "=")
}

func withZeros(s string, n int) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	return base64.StdEncoding.EncodeToString(append(make([]byte, n), b...))
}

func stripZeros(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	return base64.StdEncoding.EncodeToString(new(big.Int).SetBytes(b).Bytes())
}

func TestStaleSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, flow := range []api.Flow{api.FlowAuthentication, api.FlowRenewal} {
		t.Run(string(flow)+" after renewal", func(t *testing.T) {
			t.Parallel()
			u := w.newUser(t, "Start-Pass-1")
			s := w.start(t, w.full, flow, u.ref(), standard)
			if _, err := api.Renew(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1", "Next-Pass-22"); err != nil {
				t.Fatal(err)
			}
			before := w.snapshot(t, u)
			// The proof is for the old passcode and would be right against the old
			// verifier; a stale session is never verified at all.
			req, _ := s.request(t, flow, "Start-Pass-1", "Third-Pass-333")
			_, ex, err := w.complete(w.full, flow, s, req)
			wantAPIError(t, err, ex, api.CodeStaleSession)
			sameSnapshot(t, before, w.snapshot(t, u))
			w.mustAuthenticate(t, u, "Next-Pass-22")
		})
		t.Run(string(flow)+" after re-registration", func(t *testing.T) {
			t.Parallel()
			u := w.newUser(t, "Start-Pass-1")
			s := w.start(t, w.full, flow, u.ref(), standard)
			if _, err := w.full.DeleteCredential(ctx, defStore, u.ID); err != nil {
				t.Fatal(err)
			}
			// A new registration with the same passcode makes a new credential (new i
			// and salt, version 1 again): the session's is gone all the same.
			if _, err := api.Register(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1"); err != nil {
				t.Fatal(err)
			}
			before := w.snapshot(t, u)
			req, _ := s.request(t, flow, "Start-Pass-1", "Third-Pass-333")
			_, ex, err := w.complete(w.full, flow, s, req)
			wantAPIError(t, err, ex, api.CodeStaleSession)
			sameSnapshot(t, before, w.snapshot(t, u))
			w.mustAuthenticate(t, u, "Start-Pass-1")
		})
	}
}

func TestRegistrationRace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "")
	a := w.start(t, w.full, api.FlowRegistration, u.ref(), standard)
	b := w.start(t, w.full, api.FlowRegistration, u.extRef(), standard)
	if a.resp.AlgorithmInfo.Parameters.I == b.resp.AlgorithmInfo.Parameters.I ||
		a.resp.AlgorithmInfo.Parameters.Salt == b.resp.AlgorithmInfo.Parameters.Salt {
		t.Fatal("two registrations share i or salt")
	}
	reqA, _ := a.request(t, api.FlowRegistration, "", "First-Pass-1")
	reqB, _ := b.request(t, api.FlowRegistration, "", "Second-Pass-2")
	if _, _, err := w.complete(w.full, api.FlowRegistration, a, reqA); err != nil {
		t.Fatal(err)
	}
	before := w.snapshot(t, u)
	_, ex, err := w.complete(w.full, api.FlowRegistration, b, reqB)
	wantAPIError(t, err, ex, api.CodePasscodeAlreadyRegistered)
	sameSnapshot(t, before, w.snapshot(t, u))
	w.mustAuthenticate(t, u, "First-Pass-1")
}

func TestHistory(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	renew := func(u testUser, policy, from, to string) error {
		_, err := api.SRPFlow{Client: w.full, SkipPolicyCheck: true}.Renew(ctx, defStore, u.ref(), policy, from, to)
		return err
	}
	tests := []struct {
		name   string
		policy string
		chain  []string // passcodes renewed through, in order, after "P0-pass!"
		to     string
		code   api.Code
	}{
		{"standard: current", standard, nil, "P0-pass!", api.CodePasscodeHistoryViolation},
		{"standard: previous", standard, []string{"P1-pass!"}, "P0-pass!", api.CodePasscodeHistoryViolation},
		{"standard: two back", standard, []string{"P1-pass!", "P2-pass!"}, "P0-pass!", api.CodePasscodeHistoryViolation},
		{"standard: three back", standard, []string{"P1-pass!", "P2-pass!", "P3-pass!"}, "P0-pass!", ""},
		{"pin6: current", pin6, nil, "P0-pass!", api.CodePasscodeHistoryViolation},
		{"pin6: previous", pin6, []string{"P1-pass!"}, "P0-pass!", ""},
		{"nohistory: current", noHistory, nil, "P0-pass!", ""},
		{"standard: new", standard, nil, "P9-pass!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := w.newUser(t, "P0-pass!")
			cur := "P0-pass!"
			for _, next := range tt.chain {
				if err := renew(u, tt.policy, cur, next); err != nil {
					t.Fatalf("renew to %s: %v", next, err)
				}
				cur = next
			}
			before := w.snapshot(t, u)
			err := renew(u, tt.policy, cur, tt.to)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				w.mustAuthenticate(t, u, tt.to)
				return
			}
			if api.ErrorCode(err) != tt.code {
				t.Fatalf("error %v, want %s", err, tt.code)
			}
			sameSnapshot(t, before, w.snapshot(t, u))
			w.mustAuthenticate(t, u, cur)
		})
	}
	t.Run("wrong proof wins over history", func(t *testing.T) {
		t.Parallel()
		u := w.newUser(t, "P0-pass!")
		err := renew(u, standard, "wrong-pass!", "P0-pass!")
		if api.ErrorCode(err) != api.CodeInvalidProof {
			t.Fatalf("error %v, want INVALID_PROOF", err)
		}
	})
}

func TestLockout(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	auth := func(u testUser, pass string) error {
		_, err := api.Authenticate(ctx, w.full, defStore, u.ref(), standard, pass)
		return err
	}
	t.Run("success resets the count", func(t *testing.T) {
		u := w.newUser(t, "Start-Pass-1")
		for range 4 {
			if api.ErrorCode(auth(u, "wrong")) != api.CodeInvalidProof {
				t.Fatal("wrong passcode accepted")
			}
		}
		if got := w.snapshot(t, u).User.FailedAttempts; got != 4 {
			t.Fatalf("failed attempts %d", got)
		}
		if err := auth(u, "Start-Pass-1"); err != nil {
			t.Fatal(err)
		}
		if got := w.snapshot(t, u).User.FailedAttempts; got != 0 {
			t.Fatalf("failed attempts after success %d", got)
		}
	})
	t.Run("five failures lock until the duration ends", func(t *testing.T) {
		u := w.newUser(t, "Start-Pass-1")
		for i := range 5 {
			// Renewal failures count as well as authentication ones.
			var err error
			if i%2 == 0 {
				err = auth(u, "wrong")
			} else {
				_, err = api.Renew(ctx, w.full, defStore, u.ref(), standard, "wrong", "Next-Pass-22")
			}
			if api.ErrorCode(err) != api.CodeInvalidProof {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		snap := w.snapshot(t, u)
		if snap.User.Status != store.StatusTempLocked {
			t.Fatalf("status %s after 5 failures", snap.User.Status)
		}
		// Even the right passcode is refused now, at start...
		if api.ErrorCode(auth(u, "Start-Pass-1")) != api.CodeUserLocked {
			t.Fatal("locked user started a session")
		}
		got, _, err := w.full.GetUser(ctx, defStore, u.ID)
		if err != nil || got.Status != api.StatusTempLocked {
			t.Fatalf("admin view %v %v", got, err)
		}
		w.clock.Advance(900*time.Second - time.Second)
		if api.ErrorCode(auth(u, "Start-Pass-1")) != api.CodeUserLocked {
			t.Fatal("lock ended early")
		}
		w.clock.Advance(time.Second)
		if err := auth(u, "Start-Pass-1"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		snap = w.snapshot(t, u)
		if snap.User.FailedAttempts != 0 || snap.User.StatusAt(w.clock.Now()) != store.StatusActive {
			t.Fatalf("after the lock: %+v", snap.User)
		}
	})
	t.Run("locked while completing", func(t *testing.T) {
		u := w.newUser(t, "Start-Pass-1")
		s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
		// Lock the user through other sessions while s is open.
		for range 5 {
			_ = auth(u, "wrong")
		}
		req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1", "")
		_, ex, err := w.complete(w.full, api.FlowAuthentication, s, req)
		wantAPIError(t, err, ex, api.CodeUserLocked)
	})
	t.Run("disabled while completing", func(t *testing.T) {
		u := w.newUser(t, "Start-Pass-1")
		s := w.start(t, w.full, api.FlowRenewal, u.ref(), standard)
		err := w.st.Update(ctx, func(tx store.Tx) error {
			usr, err := tx.User(ctx, acme, defStore, u.ID)
			if err != nil {
				return err
			}
			usr.Status = store.StatusDisabled
			return tx.UpdateUser(ctx, usr)
		})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := s.request(t, api.FlowRenewal, "Start-Pass-1", "Next-Pass-22")
		_, ex, err := w.complete(w.full, api.FlowRenewal, s, req)
		wantAPIError(t, err, ex, api.CodeUserDisabled)
	})
	t.Run("public value failures count", func(t *testing.T) {
		u := w.newUser(t, "Start-Pass-1")
		for range 5 {
			s := w.start(t, w.full, api.FlowAuthentication, u.ref(), standard)
			req, _ := s.request(t, api.FlowAuthentication, "Start-Pass-1", "")
			req.SRPVerificationData.A = srp.EncodeInt(w.p.Pad([]byte{0}))
			_, ex, err := w.complete(w.full, api.FlowAuthentication, s, req)
			wantAPIError(t, err, ex, api.CodeInvalidPublicValue)
		}
		if api.ErrorCode(auth(u, "Start-Pass-1")) != api.CodeUserLocked {
			t.Fatal("five INVALID_PUBLIC_VALUE did not lock")
		}
	})
}
