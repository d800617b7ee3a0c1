package load

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/srp"
)

// setupConcurrency is how many users are created and registered at once.
const setupConcurrency = 8

// ExternalID is the external id of user k (counted across all shards) of a run.
func ExternalID(runID string, k int) string { return fmt.Sprintf("renewkit-load-%s-%06d", runID, k) }

// setupUsers creates the users with the given global indexes through the admin API
// and registers a first passcode for each through the registration flow. The first
// registration also fixes the SRP parameters and the policy's requirements, from
// which the passcode chains are generated. progress is called after each user.
func (p *pipeline) setupUsers(ctx context.Context, runID string, indexes []int, progress func(done int)) error {
	c, err := p.tokens.Client(ctx, p.t.Tenant, tokenRole)
	if err != nil {
		return err
	}
	p.users = make([]*user, len(indexes))
	if len(indexes) == 0 {
		return nil
	}
	// The first user alone: it learns the parameters and the policy.
	if p.users[0], err = p.setupUser(ctx, c, ExternalID(runID, indexes[0])); err != nil {
		return err
	}
	progress(1)
	var (
		next    atomic.Int64
		done    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	next.Store(1)
	done.Store(1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(setupConcurrency, len(indexes)-1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(indexes) || ctx.Err() != nil {
					return
				}
				u, err := p.setupUser(ctx, c, ExternalID(runID, indexes[i]))
				if err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
				p.users[i] = u
				progress(int(done.Add(1)))
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// setupUser creates and registers one user.
func (p *pipeline) setupUser(ctx context.Context, c *api.Client, ext string) (*user, error) {
	created, ex, err := c.CreateUser(ctx, p.t.Store, api.CreateUserRequest{ExternalID: ext})
	if err != nil {
		return nil, fmt.Errorf("load: creating user %s: %w%s", ext, err, hint(ex))
	}
	ref := api.ByID(created.ID)
	sr, ex, err := c.Start(ctx, api.FlowRegistration, p.t.Store, ref, p.policy)
	if err != nil {
		return nil, fmt.Errorf("load: starting registration of %s: %w%s", ext, err, hint(ex))
	}
	sp, err := api.ParseStart(sr, targetProfile(p.t), false)
	if err != nil {
		return nil, fmt.Errorf("load: registration of %s: %w", ext, err)
	}
	if err := p.learn(sr, sp); err != nil {
		return nil, err
	}
	pass, err := p.chains.gen.Generate(nil)
	if err != nil {
		return nil, fmt.Errorf("load: generating a passcode for policy %q: %w", p.policy, err)
	}
	secret := p.params.NewSecret(sp.Identity, []byte(pass), sp.Salt)
	req := api.CompleteRequest{SRPRegistrationData: &api.SRPRegistrationData{Verifier: srp.EncodeInt(secret.Verifier())}}
	if _, ex, err := c.Complete(ctx, api.FlowRegistration, p.t.Store, sr.SessionID, req); err != nil {
		return nil, fmt.Errorf("load: completing registration of %s: %w%s", ext, err, hint(ex))
	}
	return &user{
		ref:       ref,
		startPath: p.paths.Start(api.FlowRenewal, p.t.Store, ref, p.policy),
		identity:  sp.Identity,
		salt:      sp.Salt,
		current:   secret,
		recent:    []string{pass},
	}, nil
}

// learn takes the SRP parameters and the policy from the first registration, and
// checks that later ones agree.
func (p *pipeline) learn(sr *api.StartResponse, sp *api.StartParams) error {
	p.learnMu.Lock()
	defer p.learnMu.Unlock()
	if p.params != nil {
		if sp.Params.String() != p.params.String() {
			return errors.New("load: the server changed SRP parameters between registrations")
		}
		return nil
	}
	var req passcode.Requirements
	if sr.PasscodeRequirements != nil {
		req = *sr.PasscodeRequirements
	}
	gen, err := passcode.NewGenerator(req, passcode.GenerateOptions{})
	if err != nil {
		return fmt.Errorf("load: policy %q: %w", p.policy, err)
	}
	p.params = sp.Params
	p.nWire = sr.AlgorithmInfo.Parameters.N
	p.chains = &chainGen{params: sp.Params, gen: gen, history: req.PasscodeHistory}
	return nil
}

// hint adds the redacted exchange to a setup error, so an operator sees what the
// server said (never secrets: Exchange.String redacts them).
func hint(ex *api.Exchange) string {
	if ex == nil || ex.Status == 0 {
		return ""
	}
	return "\n" + ex.String()
}
