package refserver

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// MaxExternalIDLength is the longest externalId, in code points, that POST {P}/users
// accepts. The spec sets no limit; this one keeps IDs usable as path segments.
const MaxExternalIDLength = 256

// MaxPolicyNameLength is the longest policy name, in code points.
const MaxPolicyNameLength = 128

// handleCreateUser is POST {P}/users (SPEC section 5): 201 with the user, 409
// EXTERNAL_ID_NOT_UNIQUE for a taken externalId. The status defaults to ACTIVE.
func (s *Server) handleCreateUser(c *gin.Context) {
	u, err := s.createUser(c)
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiUser(u, s.now()))
}

func (s *Server) createUser(c *gin.Context) (store.User, error) {
	body, err := readBody(c)
	if err != nil {
		return store.User{}, err
	}
	var req api.CreateUserRequest
	if err := decodeJSON(c.GetHeader("Content-Type"), body, &req); err != nil {
		return store.User{}, err
	}
	if err := requiredString("externalId", req.ExternalID); err != nil {
		return store.User{}, err
	}
	if utf8.RuneCountInString(req.ExternalID) > MaxExternalIDLength {
		return store.User{}, invalidRequest("member %q is longer than %d characters", "externalId", MaxExternalIDLength)
	}
	if req.Status == "" {
		req.Status = api.StatusActive
	}
	if !req.Status.Valid() {
		return store.User{}, invalidRequest("member %q is not a known user status", "status")
	}
	id, err := api.NewID()
	if err != nil {
		return store.User{}, err
	}
	now := s.now()
	u := store.User{
		Tenant:      tenantOf(c),
		Store:       c.Param("storeName"),
		ID:          id,
		ExternalID:  req.ExternalID,
		Status:      store.Status(req.Status),
		DateCreated: now.UTC().Truncate(1e6), // the wire carries milliseconds
	}
	if u.Status == store.StatusTempLocked {
		// A TEMP_LOCKED user needs an end to the lock; an admin creating one asks for
		// the store's configured duration from now.
		u.LockedUntil = now
	}
	ctx := c.Request.Context()
	err = s.store.Update(ctx, func(tx store.Tx) error {
		is, err := tx.IdentityStore(ctx, u.Tenant, u.Store)
		if err != nil {
			return err
		}
		if u.Status == store.StatusTempLocked {
			u.LockedUntil = now.Add(is.Lock.OrDefault().LockDuration)
		}
		return tx.CreateUser(ctx, u)
	})
	return u, err
}

// handleGetUser is GET {P}/users/{userId} and GET {P}/users/{extUserId}/ext.
func (s *Server) handleGetUser(byExternalID bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		ref := api.ByID(c.Param("user"))
		if byExternalID {
			ref = api.ByExternalID(c.Param("user"))
		}
		var u store.User
		err := s.store.View(ctx, func(tx store.Tx) error {
			var err error
			u, err = lookupUser(ctx, tx, tenantOf(c), c.Param("storeName"), ref)
			return err
		})
		if err != nil {
			s.abortWith(c, err)
			return
		}
		c.JSON(http.StatusOK, apiUser(u, s.now()))
	}
}

// handleDeleteCredential is DELETE {P}/users/{userId}/passcodes: 204, or 400
// PASSCODE_NOT_REGISTERED when the user has no credential. Sessions started on the
// deleted credential become stale.
func (s *Server) handleDeleteCredential(c *gin.Context) {
	ctx := c.Request.Context()
	tenant, storeName, userID := tenantOf(c), c.Param("storeName"), c.Param("user")
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.User(ctx, tenant, storeName, userID); err != nil {
			return err
		}
		return tx.DeleteCredential(ctx, tenant, storeName, userID)
	})
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// handleCreatePolicy is POST {P}/passcodePolicy: 201 with the policy; 400
// INVALID_REQUEST for an invalid policy or a taken name.
func (s *Server) handleCreatePolicy(c *gin.Context) {
	p, err := s.policyFromBody(c, "")
	if err == nil {
		ctx := c.Request.Context()
		err = s.store.Update(ctx, func(tx store.Tx) error { return tx.CreatePolicy(ctx, p) })
	}
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiPolicy(p))
}

// handleUpdatePolicy is POST {P}/passcodePolicy/{policyName}: 200 with the policy. The
// body's name may be omitted; when present it must be the path's (no renames).
func (s *Server) handleUpdatePolicy(c *gin.Context) {
	p, err := s.policyFromBody(c, c.Param("policyName"))
	if err == nil {
		ctx := c.Request.Context()
		err = s.store.Update(ctx, func(tx store.Tx) error { return tx.UpdatePolicy(ctx, p) })
	}
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.JSON(http.StatusOK, apiPolicy(p))
}

// policyFromBody decodes and validates a policy body. pathName is the name from the
// path of an update, "" for a create.
func (s *Server) policyFromBody(c *gin.Context, pathName string) (store.Policy, error) {
	body, err := readBody(c)
	if err != nil {
		return store.Policy{}, err
	}
	var req api.PolicyRequest
	if err := decodeJSON(c.GetHeader("Content-Type"), body, &req); err != nil {
		return store.Policy{}, err
	}
	switch {
	case pathName != "" && req.Name == "":
		req.Name = pathName
	case pathName != "" && req.Name != pathName:
		return store.Policy{}, invalidRequest("member %q must match the policy name in the path", "name")
	}
	if err := requiredString("name", req.Name); err != nil {
		return store.Policy{}, err
	}
	if utf8.RuneCountInString(req.Name) > MaxPolicyNameLength {
		return store.Policy{}, invalidRequest("member %q is longer than %d characters", "name", MaxPolicyNameLength)
	}
	if err := req.Requirements.Check(); err != nil {
		// The passcode package's problems name fields and rules, never values the
		// client did not send; pass them on as processing details.
		return store.Policy{}, policyError(err)
	}
	if req.Requirements.PasscodeHistory > store.MaxHistory {
		return store.Policy{}, invalidRequest("member %q is above %d", "passcodeHistory", store.MaxHistory)
	}
	p := store.Policy{
		Tenant:       tenantOf(c),
		Store:        c.Param("storeName"),
		Name:         req.Name,
		Requirements: req.Requirements,
	}
	if err := p.Validate(); err != nil {
		return store.Policy{}, err
	}
	return p, nil
}

// handleGetPolicy is GET {P}/passcodePolicy/{policyName}.
func (s *Server) handleGetPolicy(c *gin.Context) {
	ctx := c.Request.Context()
	var p store.Policy
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		p, err = tx.Policy(ctx, tenantOf(c), c.Param("storeName"), c.Param("policyName"))
		return err
	})
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.JSON(http.StatusOK, apiPolicy(p))
}

// handleDeletePolicy is DELETE {P}/passcodePolicy/{policyName}: 204. Sessions started
// under the policy fail at completion with POLICY_NOT_FOUND.
func (s *Server) handleDeletePolicy(c *gin.Context) {
	ctx := c.Request.Context()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return tx.DeletePolicy(ctx, tenantOf(c), c.Param("storeName"), c.Param("policyName"))
	})
	if err != nil {
		s.abortWith(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// apiPolicy is the wire form of a policy: the name beside the requirements. Nil
// pattern lists are sent as [] so that the shape matches the guide's example.
func apiPolicy(p store.Policy) api.Policy {
	return api.Policy{Name: p.Name, Requirements: wireRequirements(p.Requirements)}
}

// wireRequirements returns r as every answer shows it: pattern lists are always JSON
// arrays, [] when empty, as in the guide's example, never null. The admin endpoints
// and the start answers both go through it so they cannot disagree.
func wireRequirements(r passcode.Requirements) passcode.Requirements {
	if r.RequiredRegExes == nil {
		r.RequiredRegExes = []passcode.Regex{}
	}
	if r.AllowedRegExes == nil {
		r.AllowedRegExes = []passcode.Regex{}
	}
	if r.DisallowedRegExes == nil {
		r.DisallowedRegExes = []passcode.Regex{}
	}
	return r
}

// policyError turns the passcode package's verdict on a policy into 400
// INVALID_REQUEST with one processing detail per problem. The problems quote the
// policy's own fields and values, which the admin just sent, never a passcode.
func policyError(err error) error {
	e := invalidRequest("the passcode policy is not valid")
	var pe *passcode.PolicyError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			e = e.WithDetail(api.CodeInvalidRequest, p.String())
		}
	}
	return e
}
