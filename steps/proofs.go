package steps

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/cucumber/godog"

	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/steps/srpclient"
)

// proofsSteps registers the steps of features/proofs.feature.
func proofsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the SRP parameters are the target's group, generator and hash$`), srpParametersAreTargets)
	c.Step(stepRE(`^the salt is base64url without padding and at least 16 bytes long$`), saltIsBase64urlOf16Bytes)
	c.Step(stepRE(`^every n and serverPublicKey is exactly as long as N$`), everyNAndBAsLongAsN)
	c.Step(stepRE(`^the answer's m2 is standard padded base64 of exactly the hash size$`), answerM2IsStandardBase64)
	c.Step(stepRE(`^the client completes the session with an m1 that has a leading zero byte, sent stripped of it$`), completeWithM1LeadingZero)
	c.Step(stepRE(`^the client completes the session with an m1 whose top bit is set, sent with an extra leading zero byte$`), completeWithM1TopBit)
	c.Step(stepRE(`^the client completes the session with an A that has a leading zero byte, sent stripped of it$`), completeWithALeadingZero)
	c.Step(stepRE(`^the client completes the session with the (a|verifier) (in the base64url alphabet|without = padding|in base64url without = padding|with one extra leading zero byte)$`), completeWithEncoding)
	c.Step(stepRE(`^the client completes the session with an M1 of the rfc5054-padded profile$`), completeWithPaddedM1)
}

func srpParametersAreTargets(ctx context.Context) error {
	return sc(ctx).expectParameters()
}

func saltIsBase64urlOf16Bytes(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	if sess.start == nil {
		return s.fail(sess.startEx, "the start answer cannot be read: %v", sess.parseErr)
	}
	salt := sess.start.AlgorithmInfo.Parameters.Salt
	b, err := base64.RawURLEncoding.Strict().DecodeString(salt)
	if err != nil || strings.ContainsAny(salt, "+/=") {
		return s.fail(sess.startEx, "salt %q is not base64url without padding (RFC 4648 section 5)", salt)
	}
	if len(b) < srp.MinSaltBytes {
		return s.fail(sess.startEx, "salt is %d bytes, want at least %d", len(b), srp.MinSaltBytes)
	}
	return nil
}

func everyNAndBAsLongAsN(ctx context.Context) error {
	s := sc(ctx)
	size := s.w.params.Group().Size()
	for _, sess := range state[startsState](ctx).sessions {
		p := sess.start.AlgorithmInfo.Parameters
		for name, v := range map[string]string{"n": p.N, "serverPublicKey": p.ServerPublicKey} {
			b, err := srp.DecodeInt(v)
			if err != nil {
				return s.fail(sess.startEx, "%s is not base64: %v", name, err)
			}
			if len(b) != size {
				return s.fail(sess.startEx, "%s is %d bytes, want len(N) = %d: senders SHOULD pad", name, len(b), size)
			}
		}
	}
	return nil
}

func answerM2IsStandardBase64(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	cr, err := completeResponse(ex)
	if err != nil || cr.AlgorithmInfo == nil {
		return s.fail(ex, "the answer has no algorithmInfo.parameters.m2")
	}
	m2 := cr.AlgorithmInfo.Parameters.M2
	b, err := base64.StdEncoding.Strict().DecodeString(m2)
	if err != nil || len(b) != s.w.params.Hash().Size() {
		return s.fail(ex, "m2 %q is not standard padded base64 of %d bytes (the H output)", m2, s.w.params.Hash().Size())
	}
	return nil
}

func completeWithM1LeadingZero(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess,
		steering(func(pr *srpclient.Proof) bool { return pr.M1[0] == 0 }, grindTries),
		m1Encoding(func(b []byte) string { return srp.EncodeInt(srpclient.StripZeros(b)) }))
	return err
}

func completeWithM1TopBit(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess,
		steering(func(pr *srpclient.Proof) bool { return pr.M1[0]&0x80 != 0 }, 64),
		m1Encoding(func(b []byte) string { return srp.EncodeInt(srpclient.ExtraZero(b)) }))
	return err
}

func completeWithALeadingZero(ctx context.Context) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, sess,
		steering(func(pr *srpclient.Proof) bool { return pr.A[0] == 0 }, grindTries),
		aEncoding(func(b []byte) string { return srp.EncodeInt(srpclient.StripZeros(b)) }))
	return err
}

func completeWithEncoding(ctx context.Context, value, encoding string) error {
	s := sc(ctx)
	sess, err := s.needSession()
	if err != nil {
		return err
	}
	var enc func([]byte) string
	// Steer the value so that the encoding really differs: a '+' or '/' in
	// standard base64 for the url alphabet (always, in practice, for 256 bytes).
	keep := func(pr *srpclient.Proof) bool { return true }
	switch encoding {
	case "in the base64url alphabet":
		enc = srpclient.EncodeURL
		if value == "a" {
			keep = func(pr *srpclient.Proof) bool { return strings.ContainsAny(srp.EncodeInt(pr.A), "+/") }
		}
	case "without = padding":
		enc = srpclient.EncodeNoPad
	case "in base64url without = padding":
		enc = srpclient.EncodeURLNoPad
	default:
		enc = func(b []byte) string { return srp.EncodeInt(srpclient.ExtraZero(b)) }
	}
	encode := verifierEncoding(enc)
	if value == "a" {
		encode = aEncoding(enc)
	}
	_, err = s.complete(ctx, sess, steering(keep, 64), encode)
	return err
}

func completeWithPaddedM1(ctx context.Context) error {
	return completeCurrent(ctx, withProfile(srp.ProfileRFC5054Padded))
}
