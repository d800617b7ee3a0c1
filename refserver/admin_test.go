package refserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/passcode"
)

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	t.Run("create and read", func(t *testing.T) {
		u, ex, err := w.full.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: "new/user é"})
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status != http.StatusCreated || u.Status != api.StatusActive || u.ExternalID != "new/user é" {
			t.Fatalf("status %d, user %+v", ex.Status, u)
		}
		if !u.DateCreated.Equal(w.clock.Now()) {
			t.Fatalf("dateCreated %v, want %v", u.DateCreated, w.clock.Now())
		}
		byID, _, err := w.full.GetUser(ctx, defStore, u.ID)
		if err != nil || *byID != *u {
			t.Fatalf("by id %+v: %v", byID, err)
		}
		// The external ID has a '/', escaped as %2F: still one path segment.
		byExt, _, err := w.full.GetUserByExternalID(ctx, defStore, u.ExternalID)
		if err != nil || *byExt != *u {
			t.Fatalf("by ext %+v: %v", byExt, err)
		}
		// The host form reads the same user.
		hc := *w.full
		hc.HostForm = true
		if h, _, err := hc.GetUser(ctx, defStore, u.ID); err != nil || *h != *u {
			t.Fatalf("host form %+v: %v", h, err)
		}
		// And the new user can register.
		if _, err := api.Register(ctx, w.full, defStore, api.ByID(u.ID), standard, "Start-Pass-1"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("create with status", func(t *testing.T) {
		for _, st := range []api.UserStatus{api.StatusDisabled, api.StatusPendingActive, api.StatusLocked, api.StatusTempLocked} {
			u, _, err := w.full.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: "status-" + string(st), Status: st})
			if err != nil || u.Status != st {
				t.Fatalf("%s: %+v %v", st, u, err)
			}
		}
	})
	t.Run("external id taken", func(t *testing.T) {
		existing := w.newUser(t, "")
		_, ex, err := w.full.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: existing.ExternalID})
		wantAPIError(t, err, ex, api.CodeExternalIDNotUnique)
		// The same external ID in another store or tenant is fine.
		if _, _, err := w.full.CreateUser(ctx, otherStore, api.CreateUserRequest{ExternalID: existing.ExternalID}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.globexFull.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: existing.ExternalID}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("create errors", func(t *testing.T) {
		path := api.Paths{Tenant: acme}.Users(defStore)
		tests := []struct {
			name   string
			body   string
			status int
			code   api.Code
		}{
			{"missing externalId", `{}`, 400, api.CodeInvalidRequest},
			{"empty externalId", `{"externalId":""}`, 400, api.CodeInvalidRequest},
			{"numeric externalId", `{"externalId":7}`, 400, api.CodeInvalidRequest},
			{"unknown status", `{"externalId":"x1","status":"SLEEPING"}`, 400, api.CodeInvalidRequest},
			{"lower-case status", `{"externalId":"x2","status":"active"}`, 400, api.CodeInvalidRequest},
			{"unknown member", `{"externalId":"x3","id":"UGIRW7QN727EIV2XLXG4YH42N4"}`, 400, api.CodeInvalidRequest},
			{"case-folded member", `{"ExternalId":"x4"}`, 400, api.CodeInvalidRequest},
			{"duplicate member", `{"externalId":"x5","externalId":"x6"}`, 400, api.CodeInvalidRequest},
			{"too long externalId", `{"externalId":"` + strings.Repeat("x", 257) + `"}`, 400, api.CodeInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, body := w.raw(t, http.MethodPost, path, w.full.AccessToken, "application/json", []byte(tt.body), nil)
				wantError(t, status, body, tt.status, tt.code)
			})
		}
		_, ex, err := w.full.CreateUser(ctx, "nostore", api.CreateUserRequest{ExternalID: "x"})
		wantAPIError(t, err, ex, api.CodeStoreNotFound)
		_, ex, err = w.ghost.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: "x"})
		wantAPIError(t, err, ex, api.CodeTenantNotFound)
	})
	t.Run("read errors", func(t *testing.T) {
		_, ex, err := w.full.GetUser(ctx, defStore, "UGIRW7QN727EIV2XLXG4YH42N4")
		wantAPIError(t, err, ex, api.CodeUserNotFound)
		_, ex, err = w.full.GetUserByExternalID(ctx, defStore, "nobody")
		wantAPIError(t, err, ex, api.CodeUserNotFound)
		_, ex, err = w.full.GetUser(ctx, "nostore", "UGIRW7QN727EIV2XLXG4YH42N4")
		wantAPIError(t, err, ex, api.CodeStoreNotFound)
		_, ex, err = w.ghost.GetUser(ctx, defStore, "UGIRW7QN727EIV2XLXG4YH42N4")
		wantAPIError(t, err, ex, api.CodeTenantNotFound)
	})
	t.Run("temp lock shown until it ends", func(t *testing.T) {
		u, _, err := w.full.CreateUser(ctx, defStore, api.CreateUserRequest{ExternalID: "temp-shown", Status: api.StatusTempLocked})
		if err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(900 * time.Second)
		got, _, err := w.full.GetUser(ctx, defStore, u.ID)
		if err != nil || got.Status != api.StatusActive {
			t.Fatalf("after the lock duration: %+v %v", got, err)
		}
	})
}

func TestAdminCredential(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	u := w.newUser(t, "Start-Pass-1")
	old := w.snapshot(t, u).Cred
	ex, err := w.full.DeleteCredential(ctx, defStore, u.ID)
	if err != nil || ex.Status != http.StatusNoContent || len(ex.ResponseBody) != 0 {
		t.Fatalf("delete: %v (%d %q)", err, ex.Status, ex.ResponseBody)
	}
	if w.snapshot(t, u).Cred != nil {
		t.Fatal("credential still there")
	}
	ex, err = w.full.DeleteCredential(ctx, defStore, u.ID)
	wantAPIError(t, err, ex, api.CodePasscodeNotRegistered)
	_, err = api.Authenticate(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1")
	if api.ErrorCode(err) != api.CodePasscodeNotRegistered {
		t.Fatalf("authenticate without credential: %v", err)
	}
	// Re-registration makes a new credential: new i and salt, version 1.
	if _, err := api.Register(ctx, w.full, defStore, u.ref(), standard, "Start-Pass-1"); err != nil {
		t.Fatal(err)
	}
	cred := w.snapshot(t, u).Cred
	if cred.Identity == old.Identity || string(cred.Salt) == string(old.Salt) || cred.Version != 1 {
		t.Fatal("re-registration kept i or salt")
	}
	ex, err = w.full.DeleteCredential(ctx, defStore, "UGIRW7QN727EIV2XLXG4YH42N4")
	wantAPIError(t, err, ex, api.CodeUserNotFound)
	ex, err = w.full.DeleteCredential(ctx, "nostore", u.ID)
	wantAPIError(t, err, ex, api.CodeStoreNotFound)
	ex, err = w.renewal.DeleteCredential(ctx, defStore, u.ID)
	wantAPIError(t, err, ex, api.CodeForbidden)
}

func TestAdminPolicies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	req := api.Policy{Name: "custom", Requirements: passcode.Requirements{
		MinimumLength: 10, MaximumLength: 20, DigitCount: 2, PasscodeHistory: 5,
		RequiredRegExes: []passcode.Regex{{Pattern: "[a-z]", Error: "a lower-case letter"}},
	}}
	got, ex, err := w.full.CreatePolicy(ctx, defStore, req)
	if err != nil || ex.Status != http.StatusCreated {
		t.Fatalf("create: %v (%d)", err, ex.Status)
	}
	if got.Name != "custom" || got.MinimumLength != 10 || len(got.RequiredRegExes) != 1 || got.AllowedRegExes == nil {
		t.Fatalf("created %+v", got)
	}
	read, _, err := w.full.GetPolicy(ctx, defStore, "custom")
	if err != nil || read.PasscodeHistory != 5 || read.RequiredRegExes[0].Pattern != "[a-z]" {
		t.Fatalf("read %+v: %v", read, err)
	}
	// The start of a renewal returns exactly these requirements.
	u := w.newUser(t, "Start-Pass-1")
	s := w.start(t, w.full, api.FlowRenewal, u.ref(), "custom")
	if s.resp.PasscodeRequirements.DigitCount != 2 || s.resp.PasscodeRequirements.MaximumLength != 20 {
		t.Fatalf("start requirements %+v", s.resp.PasscodeRequirements)
	}

	upd := req
	upd.MinimumLength = 12
	upd.Name = ""
	got, ex, err = w.full.UpdatePolicy(ctx, defStore, "custom", upd)
	if err != nil || ex.Status != http.StatusOK || got.MinimumLength != 12 || got.Name != "custom" {
		t.Fatalf("update: %+v %v", got, err)
	}

	_, ex, err = w.full.CreatePolicy(ctx, defStore, req)
	wantAPIError(t, err, ex, api.CodeInvalidRequest)
	renamed := req
	renamed.Name = "other-name"
	_, ex, err = w.full.UpdatePolicy(ctx, defStore, "custom", renamed)
	wantAPIError(t, err, ex, api.CodeInvalidRequest)
	_, ex, err = w.full.UpdatePolicy(ctx, defStore, "absent", api.Policy{Name: "absent"})
	wantAPIError(t, err, ex, api.CodePolicyNotFound)

	invalid := []struct {
		name string
		p    api.Policy
	}{
		{"no name", api.Policy{}},
		{"negative", api.Policy{Name: "n", Requirements: passcode.Requirements{DigitCount: -1}}},
		{"min above max", api.Policy{Name: "n", Requirements: passcode.Requirements{MinimumLength: 9, MaximumLength: 8}}},
		{"variety 5", api.Policy{Name: "n", Requirements: passcode.Requirements{CharacterVariety: 5}}},
		{"bad regex", api.Policy{Name: "n", Requirements: passcode.Requirements{RequiredRegExes: []passcode.Regex{{Pattern: "(", Error: "x"}}}}},
		{"history too long", api.Policy{Name: "n", Requirements: passcode.Requirements{PasscodeHistory: 1000}}},
		{"long name", api.Policy{Name: strings.Repeat("n", 129)}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, ex, err := w.full.CreatePolicy(ctx, defStore, tt.p)
			wantAPIError(t, err, ex, api.CodeInvalidRequest)
		})
	}
	// The problems of an invalid policy come back as processing details.
	_, ex, _ = w.full.CreatePolicy(ctx, defStore, invalid[2].p)
	var e api.Error
	if err := json.Unmarshal(ex.ResponseBody, &e); err != nil || len(e.ProcessingDetails) == 0 {
		t.Fatalf("no processing details: %s", ex.ResponseBody)
	}

	ex, err = w.full.DeletePolicy(ctx, defStore, "custom")
	if err != nil || ex.Status != http.StatusNoContent {
		t.Fatalf("delete: %v", err)
	}
	_, ex, err = w.full.GetPolicy(ctx, defStore, "custom")
	wantAPIError(t, err, ex, api.CodePolicyNotFound)
	ex, err = w.full.DeletePolicy(ctx, defStore, "custom")
	wantAPIError(t, err, ex, api.CodePolicyNotFound)
	// The open renewal session under the deleted policy fails at completion: its
	// history rule is gone.
	r, _ := s.request(t, api.FlowRenewal, "Start-Pass-1", "Some-Pass-12")
	_, ex, err = w.complete(w.full, api.FlowRenewal, s, r)
	wantAPIError(t, err, ex, api.CodePolicyNotFound)
	w.mustAuthenticate(t, u, "Start-Pass-1")

	_, ex, err = w.full.GetPolicy(ctx, "nostore", standard)
	wantAPIError(t, err, ex, api.CodeStoreNotFound)
	_, ex, err = w.ghost.GetPolicy(ctx, defStore, standard)
	wantAPIError(t, err, ex, api.CodeTenantNotFound)
	_, ex, err = w.renewal.GetPolicy(ctx, defStore, standard)
	wantAPIError(t, err, ex, api.CodeForbidden)
}
