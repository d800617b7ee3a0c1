package api

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

// Errors of the SRP flow helpers, besides the client's own (*Error, ErrTransport,
// ErrMalformedResponse).
var (
	// ErrBadParameters means a start response's algorithmInfo could not be used: not
	// SRP, an unknown group or hash, or a value that does not decode.
	ErrBadParameters = errors.New("api: unusable srp parameters")
	// ErrServerProof means the server's m2 was missing, malformed or wrong: the
	// server did not prove it knows the verifier, so nothing it said is trusted.
	ErrServerProof = errors.New("api: server proof m2 did not verify")
	// ErrPasscodeRejected means the new passcode breaks the policy's requirements,
	// checked on the client before any verifier is sent (SPEC.md section 8).
	ErrPasscodeRejected = errors.New("api: passcode breaks the policy")
)

// PasscodeError lists the rules a new passcode breaks. It never holds the passcode.
// It matches ErrPasscodeRejected with errors.Is.
type PasscodeError struct {
	Violations []passcode.Violation
}

// Error lists the broken rules.
func (e *PasscodeError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return ErrPasscodeRejected.Error() + ": " + strings.Join(parts, "; ")
}

// Is matches ErrPasscodeRejected.
func (e *PasscodeError) Is(target error) bool { return target == ErrPasscodeRejected }

// StartParams is what a client takes from a start response to run SRP: the
// parameter set, the identity i, the salt and (authentication and renewal) B.
type StartParams struct {
	Params   *srp.Params
	Identity []byte
	Salt     []byte
	// B is the server's public value as sent (possibly unpadded); nil when the
	// response had no serverPublicKey.
	B []byte
}

// ParseStart decodes a start response's algorithmInfo for the given proof profile
// (DefaultProfile when empty; the wire does not say which profile a server uses).
// It requires type "SRP", an RFC 5054 group, a known hash, i, a salt of at least
// srp.MinSaltBytes, and serverPublicKey when needB. Errors wrap ErrBadParameters.
func ParseStart(sr *StartResponse, profile srp.Profile, needB bool) (*StartParams, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadParameters}, args...)...)
	}
	if sr.AlgorithmInfo.Type != AlgorithmSRP {
		return nil, bad("algorithm type %q", sr.AlgorithmInfo.Type)
	}
	p := sr.AlgorithmInfo.Parameters
	nb, err := srp.DecodeInt(p.N)
	if err != nil {
		return nil, bad("n: %v", err)
	}
	g, err := srp.GroupByPrime(new(big.Int).SetBytes(nb), big.NewInt(int64(p.G)))
	if err != nil {
		return nil, bad("group: %v", err)
	}
	h, err := srp.ParseHash(p.HashAlgorithm)
	if err != nil {
		return nil, bad("hashAlgorithm: %v", err)
	}
	if profile == "" {
		profile = srp.DefaultProfile
	}
	params, err := srp.NewParams(g, h, profile)
	if err != nil {
		return nil, bad("%v", err)
	}
	if p.I == "" {
		return nil, bad("no i")
	}
	salt, err := srp.DecodeSalt(p.Salt)
	if err != nil {
		return nil, bad("salt: %v", err)
	}
	out := &StartParams{Params: params, Identity: []byte(p.I), Salt: salt}
	if needB {
		if p.ServerPublicKey == "" {
			return nil, bad("no serverPublicKey")
		}
		if out.B, err = srp.DecodeInt(p.ServerPublicKey); err != nil {
			return nil, bad("serverPublicKey: %v", err)
		}
	}
	return out, nil
}

// Verifier returns the base64 verifier for passcode (NFC-normalized here) under
// sp's identity and salt: the registration data of registration and renewal.
func (sp *StartParams) Verifier(pass string) string {
	return srp.EncodeInt(sp.Params.Verifier(sp.Identity, []byte(passcode.Normalize(pass)), sp.Salt))
}

// Secret derives the srp.Secret of passcode (NFC-normalized here) under sp's
// identity and salt, for Completion.
func (sp *StartParams) Secret(pass string) *srp.Secret {
	return sp.Params.NewSecret(sp.Identity, []byte(passcode.Normalize(pass)), sp.Salt)
}

// Prove runs the client side of SRP with passcode against sp.B: it returns the
// verification data to send and the srp.Client that must check the server's m2.
func (sp *StartParams) Prove(pass string) (*SRPVerificationData, *srp.Client, error) {
	req, c, err := sp.Completion(sp.Secret(pass), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	return req.SRPVerificationData, c, nil
}

// Completion builds the completion request of a flow from secrets derived ahead
// (Secret, or srp.Params.NewSecret with the start's identity and salt): the proof
// of prove against sp.B (authentication and renewal; nil for registration) with the
// one-time ephemeral e (a fresh one when nil), and the verifier of register
// (registration and renewal; nil for authentication). It returns the srp.Client
// that must check the server's m2 (VerifyM2), nil without a proof. A load generator
// derives the secrets and ephemerals off its measured path and calls this with them.
func (sp *StartParams) Completion(prove, register *srp.Secret, e *srp.Ephemeral) (*CompleteRequest, *srp.Client, error) {
	for _, s := range []*srp.Secret{prove, register} {
		if s != nil && s.Params() != sp.Params && s.Params().String() != sp.Params.String() {
			return nil, nil, fmt.Errorf("%w: the start's parameters %s are not the secret's %s", ErrBadParameters, sp.Params, s.Params())
		}
	}
	req := &CompleteRequest{}
	if register != nil {
		req.SRPRegistrationData = &SRPRegistrationData{Verifier: srp.EncodeInt(register.Verifier())}
	}
	if prove == nil {
		return req, nil, nil
	}
	if e == nil {
		var err error
		// The secret's own Params: NewClientWith wants the very same value.
		if e, err = prove.Params().NewEphemeral(); err != nil {
			return nil, nil, fmt.Errorf("api: srp client: %w", err)
		}
	}
	c, err := srp.NewClientWith(prove, e)
	if err != nil {
		return nil, nil, fmt.Errorf("api: srp client: %w", err)
	}
	m1, err := c.Proof(sp.B)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: serverPublicKey: %w", ErrBadParameters, err)
	}
	req.SRPVerificationData = &SRPVerificationData{A: srp.EncodeInt(c.A()), M1: srp.EncodeInt(m1)}
	return req, c, nil
}

// FlowResult is the outcome of one whole flow run by an SRP helper. The helpers
// return it whenever a request was sent, with the error too, so that a failed
// check can show both exchanges.
type FlowResult struct {
	Flow Flow
	// Start and StartExchange are the start call's answer and wire exchange.
	Start         *StartResponse
	StartExchange *Exchange
	// Params is the decoded start response; nil if it could not be decoded.
	Params *StartParams
	// Complete and CompleteExchange are the completion's; nil if it was not sent
	// or (Complete) did not succeed.
	Complete         *CompleteResponse
	CompleteExchange *Exchange
}

// User is the user of a successful completion, or nil.
func (r *FlowResult) User() *User {
	if r == nil || r.Complete == nil {
		return nil
	}
	return &r.Complete.User
}

// SRPFlow runs whole passcode flows over a Client: start, decode the SRP
// parameters, derive the verifier and proof, complete, and check m2 before
// trusting the answer. The zero value of each option is its default.
type SRPFlow struct {
	Client *Client
	// Profile is the server's proof profile; srp.DefaultProfile when empty.
	Profile srp.Profile
	// SkipPolicyCheck sends a new passcode even if it breaks the policy's
	// requirements, for tests of what a server does with one. By default
	// Register and Renew refuse it with a *PasscodeError before completing (the
	// session has been started, and is left to expire).
	SkipPolicyCheck bool
}

// Register runs a registration flow: SRPFlow{Client: c}.Register.
func Register(ctx context.Context, c *Client, store string, user UserRef, policy, pass string) (*FlowResult, error) {
	return SRPFlow{Client: c}.Register(ctx, store, user, policy, pass)
}

// Authenticate runs an authentication flow: SRPFlow{Client: c}.Authenticate.
func Authenticate(ctx context.Context, c *Client, store string, user UserRef, policy, pass string) (*FlowResult, error) {
	return SRPFlow{Client: c}.Authenticate(ctx, store, user, policy, pass)
}

// Renew runs a renewal flow: SRPFlow{Client: c}.Renew.
func Renew(ctx context.Context, c *Client, store string, user UserRef, policy, oldPass, newPass string) (*FlowResult, error) {
	return SRPFlow{Client: c}.Renew(ctx, store, user, policy, oldPass, newPass)
}

// Register registers pass for user: start, check pass against the returned
// requirements, send the verifier.
func (f SRPFlow) Register(ctx context.Context, store string, user UserRef, policy, pass string) (*FlowResult, error) {
	return f.run(ctx, FlowRegistration, store, user, policy, flowSecrets{newPass: pass})
}

// Authenticate proves knowledge of pass for user and checks the server's m2.
func (f SRPFlow) Authenticate(ctx context.Context, store string, user UserRef, policy, pass string) (*FlowResult, error) {
	return f.run(ctx, FlowAuthentication, store, user, policy, flowSecrets{oldPass: pass})
}

// AuthenticateWith is Authenticate with a secret derived ahead for the user's
// identity and salt (srp.Params.NewSecret), as a load generator keeps one per
// passcode. A server that answers with another identity or salt gets a proof it
// must refuse: check FlowResult.Params against the secret's when that matters.
func (f SRPFlow) AuthenticateWith(ctx context.Context, store string, user UserRef, policy string, s *srp.Secret) (*FlowResult, error) {
	return f.run(ctx, FlowAuthentication, store, user, policy, flowSecrets{old: s})
}

// Renew proves knowledge of oldPass, replaces it with newPass (same i and salt,
// SPEC.md section 1) and checks the server's m2.
func (f SRPFlow) Renew(ctx context.Context, store string, user UserRef, policy, oldPass, newPass string) (*FlowResult, error) {
	return f.run(ctx, FlowRenewal, store, user, policy, flowSecrets{oldPass: oldPass, newPass: newPass})
}

// flowSecrets are what a flow proves and registers: the proof is of old, or else
// of oldPass (authentication, renewal); the verifier is of newPass (registration,
// renewal).
type flowSecrets struct {
	oldPass, newPass string
	old              *srp.Secret
}

// run is the one implementation of the three flows.
func (f SRPFlow) run(ctx context.Context, flow Flow, store string, user UserRef, policy string, fs flowSecrets) (*FlowResult, error) {
	res := &FlowResult{Flow: flow}
	sr, ex, err := f.Client.Start(ctx, flow, store, user, policy)
	res.Start, res.StartExchange = sr, ex
	if err != nil {
		return res, err
	}
	proves := flow != FlowRegistration
	registers := flow != FlowAuthentication
	sp, err := ParseStart(sr, f.Profile, proves)
	if err != nil {
		return res, err
	}
	res.Params = sp

	var prove, register *srp.Secret
	if registers {
		if !f.SkipPolicyCheck && sr.PasscodeRequirements != nil {
			if v := sr.PasscodeRequirements.Validate(fs.newPass); len(v) > 0 {
				return res, &PasscodeError{Violations: v}
			}
		}
		register = sp.Secret(fs.newPass)
	}
	if proves {
		if prove = fs.old; prove == nil {
			prove = sp.Secret(fs.oldPass)
		}
	}
	req, client, err := sp.Completion(prove, register, nil)
	if err != nil {
		return res, err
	}

	cr, ex, err := f.Client.Complete(ctx, flow, store, sr.SessionID, *req)
	res.CompleteExchange = ex
	if err != nil {
		return res, err
	}
	if proves {
		// Until m2 checks out the server has proved nothing: do not hand its
		// answer to the caller as a success.
		if err := VerifyM2(sp.Params, client, cr); err != nil {
			return res, err
		}
	}
	res.Complete = cr
	return res, nil
}

// VerifyM2 checks a completion's m2, under params, with the client that made m1:
// nil, or an error matching ErrServerProof (and srp.ErrInvalidProof for an m2 that
// decodes and is wrong). Until it returns nil the server has proved nothing.
func VerifyM2(params *srp.Params, c *srp.Client, cr *CompleteResponse) error {
	if cr.AlgorithmInfo == nil || cr.AlgorithmInfo.Parameters.M2 == "" {
		return fmt.Errorf("%w: no m2 in the response", ErrServerProof)
	}
	m2, err := srp.DecodeProof(cr.AlgorithmInfo.Parameters.M2, params.Hash().Size())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrServerProof, err)
	}
	if err := c.VerifyServer(m2); err != nil {
		return fmt.Errorf("%w: %w", ErrServerProof, err)
	}
	return nil
}
