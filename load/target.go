package load

import (
	"errors"
	"fmt"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/srp"
	"github.com/seedb14f67b8/renewkit/sut"
)

// ErrTarget means the server under test cannot be load-tested: its description is
// invalid (sut.ErrInvalid too), or it lacks the admin API the run creates its users
// with.
var ErrTarget = errors.New("load: unusable target")

// tokenRole is the role of every request of a run: creating the users needs the
// admin permission, renewing their passcodes the renewal ones, and the full role of
// a sut.Target holds both.
const tokenRole = sut.RoleFull

// checkTarget validates the run's target and returns its base URL.
func checkTarget(t *sut.Target) (string, error) {
	if t == nil {
		return "", fmt.Errorf("%w: no target", ErrTarget)
	}
	if err := t.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrTarget, err)
	}
	if t.Image != nil {
		return "", fmt.Errorf("%w: target %s names an image: start it first (provider.OpenWith)", ErrTarget, t.Label())
	}
	if !t.Has(sut.Admin) {
		return "", fmt.Errorf("%w: load creates its users through the admin API, and target %s does not declare the %q capability", ErrTarget, t.Label(), sut.Admin)
	}
	return t.BaseURL, nil
}

// targetPaths are the identity-store paths of t in its path form.
func targetPaths(t *sut.Target) api.Paths {
	return api.Paths{Prefix: t.Prefix, Tenant: t.Tenant, HostForm: t.PathForm == sut.PathFormHost}
}

// targetHost is the Host header of t's identity-store requests, "" for the URL's host.
func targetHost(t *sut.Target) string {
	if t.PathForm != sut.PathFormHost {
		return ""
	}
	return t.Tenant + "." + t.HostSuffix
}

// targetProfile is t's SRP proof profile.
func targetProfile(t *sut.Target) srp.Profile { return srp.Profile(t.SRP.Profile) }
