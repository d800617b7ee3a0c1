package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/cucumber/godog"
	"golang.org/x/text/unicode/norm"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// renewalExternalSteps registers the steps of features/renewal-external.feature.
func renewalExternalSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client starts (?:an? |the )(registration|authentication|renewal) for the user by its external id (upper-cased|in NFC|in NFD)$`), startByVariant)
	c.Step(stepRE(`^a user with a registered passcode whose external id has accents in (NFC|NFD)$`), givenAccentedUser)
	c.Step(stepRE(`^the client creates a user with an external id (mixing Latin accents, an emoji and CJK|of 256 code points|with a combining accent)$`), createUserWithExternalID)
	c.Step(stepRE(`^a user with the external id "([^"]*)" and a registered passcode$`), userWithExternalID)
}

// startByVariant starts a flow by another spelling of the user's external id:
// upper-cased (lower-cased for an id without lower-case letters), or in another
// Unicode normalization form. Exact-bytes comparison makes it an unknown user.
func startByVariant(ctx context.Context, flow, variant string) error {
	s := sc(ctx)
	u, err := s.needUser()
	if err != nil {
		return err
	}
	var v string
	switch variant {
	case "upper-cased":
		if v = strings.ToUpper(u.ext); v == u.ext {
			v = strings.ToLower(u.ext)
		}
		if v == u.ext {
			return notApplicable{reason: fmt.Sprintf("the user's external id %q has no letters, so it has no case variant", u.ext)}
		}
	case "in NFC":
		v = norm.NFC.String(u.ext)
	case "in NFD":
		v = norm.NFD.String(u.ext)
	}
	if v == u.ext {
		return s.fail(nil, "the external id %+q is already %s: the feature asks for another form", u.ext, variant)
	}
	path := s.paths().Start(api.Flow(flow), s.store, api.ByExternalID(v), s.defaultPolicy())
	_, err = s.send(ctx, http.MethodPost, path, emptyObject())
	return err
}

// givenAccentedUser creates, through the admin API, a user whose external id has
// accents in one normalization form, and registers a passcode for it. The user's
// external id is the one sent, whatever the creation answered.
func givenAccentedUser(ctx context.Context, form string) error {
	s := sc(ctx)
	ext := accented + randomHex(6)
	if form == "NFD" {
		ext = norm.NFD.String(ext)
	}
	u, err := s.createUser(ctx, s.w.tgt.Tenant, s.w.tgt.Store, ext, "")
	if err != nil {
		return err
	}
	u.ext = ext
	s.user = u
	return s.register(ctx, u, sut.PolicyStandard, "")
}

// createUserWithExternalID creates a user with an external id of a kind through
// the admin API as the scenario's answer; the scenario's user is the one created.
func createUserWithExternalID(ctx context.Context, kind string) error {
	s := sc(ctx)
	ext := externalIDOf(kind)
	s.user = &user{ext: ext, tenant: s.tenant, store: s.store, policyRole: sut.PolicyStandard}
	ex, err := s.send(ctx, http.MethodPost, s.paths().Users(s.store), mustJSON(api.CreateUserRequest{ExternalID: ext}))
	if err != nil {
		return err
	}
	var au api.User
	if ex.Status == http.StatusCreated && json.Unmarshal(ex.ResponseBody, &au) == nil {
		s.user.id = au.ID
	}
	return nil
}

func userWithExternalID(ctx context.Context, ext string) error {
	s := sc(ctx)
	u, err := s.createUser(ctx, s.w.tgt.Tenant, s.w.tgt.Store, ext+" "+freshExternalID(), "")
	if err != nil {
		return err
	}
	s.user = u
	return s.register(ctx, u, sut.PolicyStandard, "")
}
