package load

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/seedb14f67b8/renewkit/srp"
)

// Floors are the CPU time of the SRP arithmetic one renewal cannot do without,
// measured in this process at the start of a run on the run's group, so that the
// CPU a generator and a server spend per completion can be read as multiples of
// it, whatever the machine:
//   - Server: what a server must compute for one renewal: B at the start and S,
//     M1 and M2 at the completion (NewServer, Verify), and the range check of the
//     new verifier.
//   - Generator: what the generator computes for one completion once its A and
//     next verifier are made ahead: S, M1 and M2 (Client.Proof, VerifyServer).
//   - Precomputed: the A and the next passcode's verifier the generator makes
//     ahead of each completion.
type Floors struct {
	Server      Millis `json:"serverMs"`
	Generator   Millis `json:"generatorMs"`
	Precomputed Millis `json:"precomputedMs"`
}

// calibrationRounds and calibrationBatches: the floor is the fastest of a few
// batches, which a busy machine slows least.
const (
	calibrationRounds  = 4
	calibrationBatches = 9
)

// measureFloors times the SRP work of one renewal on p, on one goroutine.
func measureFloors(p *srp.Params) (*Floors, error) {
	identity, salt := []byte("floor"), make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	secret := p.NewSecret(identity, []byte("Correct-Horse-1"), salt)
	next := p.NewSecret(identity, []byte("Correct-Horse-2"), salt)
	v, nv := secret.Verifier(), next.Verifier()
	fastest := func(one func() error) (time.Duration, error) {
		best := time.Duration(-1)
		for range calibrationBatches {
			began := time.Now()
			for range calibrationRounds {
				if err := one(); err != nil {
					return 0, err
				}
			}
			if d := time.Since(began) / calibrationRounds; best < 0 || d < best {
				best = d
			}
		}
		return best, nil
	}
	// One exchange made ahead: each part is then timed alone.
	eph, err := p.NewEphemeral()
	if err != nil {
		return nil, err
	}
	srv, err := p.NewServer(identity, salt, v)
	if err != nil {
		return nil, err
	}
	B := srv.B()
	c, err := srp.NewClientWith(secret, eph)
	if err != nil {
		return nil, err
	}
	m1, err := c.Proof(B)
	if err != nil {
		return nil, err
	}
	m2, err := srv.Verify(c.A(), m1)
	if err != nil {
		return nil, err
	}
	start, err := fastest(func() error { _, err := p.NewServer(identity, salt, v); return err })
	if err != nil {
		return nil, fmt.Errorf("load: calibrating the SRP floor: %w", err)
	}
	verify, err := fastest(func() error {
		s, err := p.ResumeServerWithB(identity, salt, v, srv.Secret(), B)
		if err == nil {
			_, err = s.Verify(c.A(), m1)
		}
		if err == nil {
			err = p.CheckVerifier(nv)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load: calibrating the SRP floor: %w", err)
	}
	// An ephemeral serves one client: the proof loop takes fresh ones, made
	// before the clock starts. Its M2 check is timed against a wrong m2, which
	// costs the same hash and comparison as the right one.
	ahead := make([]*srp.Ephemeral, calibrationRounds*calibrationBatches)
	for i := range ahead {
		if ahead[i], err = p.NewEphemeral(); err != nil {
			return nil, err
		}
	}
	wrongM2 := append([]byte(nil), m2...)
	wrongM2[0] ^= 1
	used := 0
	proof, err := fastest(func() error {
		c, err := srp.NewClientWith(secret, ahead[used])
		used++
		if err != nil {
			return err
		}
		if _, err := c.Proof(B); err != nil {
			return err
		}
		_ = c.VerifyServer(wrongM2)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load: calibrating the SRP floor: %w", err)
	}
	pre, err := fastest(func() error {
		if _, err := p.NewEphemeral(); err != nil {
			return err
		}
		_ = p.NewSecret(identity, []byte("Correct-Horse-3"), salt).Verifier()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load: calibrating the SRP floor: %w", err)
	}
	return &Floors{Server: Millis(start + verify), Generator: Millis(proof), Precomputed: Millis(pre)}, nil
}
