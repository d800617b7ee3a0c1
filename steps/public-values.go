package steps

import (
	"context"
	"math/big"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/steps/srpclient"
)

// publicValuesSteps registers the steps of features/public-values.feature.
func publicValuesSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^nothing moved for the user$`), nothingMovedUser)
	c.Step(stepRE(`^every serverPublicKey is in the range 0 < B < N$`), everyBInRange)
	c.Step(stepRE(`^no two sessions share a serverPublicKey or a session id$`), noSharedBOrSessionID)
	c.Step(stepRE(`^the client completes the session correctly but with the verifier (v\+N|v\+2N|2N-1)$`), completeWithVerifierAboveN)
}

func nothingMovedUser(ctx context.Context) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	if u.pass == "" {
		return s.expectNoPasscode(ctx, u)
	}
	return s.expectAuth(ctx, u, u.pass, "the current passcode")
}

func everyBInRange(ctx context.Context) error {
	s := sc(ctx)
	for _, sess := range state[startsState](ctx).sessions {
		if sess.sp == nil {
			return s.fail(sess.startEx, "the start answer cannot be used: %v", sess.parseErr)
		}
		if err := s.w.params.CheckPublicB(sess.sp.B); err != nil {
			return s.fail(sess.startEx, "serverPublicKey is outside 0 < B < N: a client must refuse it")
		}
	}
	return nil
}

func noSharedBOrSessionID(ctx context.Context) error {
	s := sc(ctx)
	seenB, seenID := map[string]bool{}, map[string]bool{}
	for _, sess := range state[startsState](ctx).sessions {
		b := new(big.Int).SetBytes(sess.sp.B).String()
		if seenB[b] || seenID[sess.id] {
			return s.fail(sess.startEx, "two of %d sessions share a serverPublicKey or a sessionId: secret exponents must be fresh per session", len(state[startsState](ctx).sessions))
		}
		seenB[b], seenID[sess.id] = true, true
	}
	return nil
}

// completeWithVerifierAboveN completes the session correctly but sends v + N or
// v + 2N, v the verifier of a new passcode (a server that stores v mod N accepts
// it, and the new passcode then works), or 2N - 1 (N - 1 plus N).
func completeWithVerifierAboveN(ctx context.Context, which string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	var v []byte
	switch which {
	case "2N-1":
		nMinus1, err := srpclient.OutOfRange(s.w.params, "N-1")
		if err != nil {
			return err
		}
		v = srpclient.PlusN(s.w.params, nMinus1, 1)
	default:
		k := int64(1)
		if which == "v+2N" {
			k = 2
		}
		pass, vb, err := s.verifierBelowLimit(sess)
		if err != nil {
			return err
		}
		sess.newPass = pass
		v = srpclient.PlusN(s.w.params, vb, k)
	}
	_, err = s.complete(ctx, sess, withVerifier(v))
	return err
}
