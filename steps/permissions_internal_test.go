package steps

import (
	"slices"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/sut"
)

// TestPermissionMatrixPaths keeps the SPEC.md templates of permissionMatrix equal to
// what api.Paths builds, in both path forms, and the table complete: every
// operation of SPEC.md section 3 has a row, and each flow both start forms and a
// completion.
func TestPermissionMatrixPaths(t *testing.T) {
	t.Parallel()
	const store, uid, ext, pol, sid = "default", "UGIRW7QN727EIV2XLXG4YH42N4", "dept/alice ë", "standard", "GZZ4RW7QN727EIV2XLXG4YH42N"
	vars := map[string]string{"userId": uid, "extUserId": ext, "policyName": pol, "sessionId": sid}
	for _, host := range []bool{false, true} {
		p := api.Paths{Tenant: "acme", HostForm: host}
		want := map[string]string{
			"user creation":            p.Users(store),
			"user read by id":          p.User(store, api.ByID(uid)),
			"user read by external id": p.User(store, api.ByExternalID(ext)),
			"policy creation":          p.Policies(store),
			"policy read":              p.Policy(store, pol),
			"policy update":            p.Policy(store, pol),
			"policy deletion":          p.Policy(store, pol),
			"credential deletion":      p.Credential(store, uid),
		}
		for _, f := range api.Flows() {
			want[string(f)+" start by user id"] = p.Start(f, store, api.ByID(uid), pol)
			want[string(f)+" start by external id"] = p.Start(f, store, api.ByExternalID(ext), pol)
			want[string(f)+" completion"] = p.Complete(f, store, sid)
		}
		rows := permissionMatrix()
		if len(rows) != len(want) {
			t.Errorf("the matrix has %d rows, want %d", len(rows), len(want))
		}
		for _, op := range rows {
			got, err := expandPath(op.path, p, store, vars)
			if err != nil {
				t.Errorf("%s: %v", op.name, err)
				continue
			}
			if w, ok := want[op.name]; !ok || got != w {
				t.Errorf("%s (host form %v): template %s gives %s, api.Paths %s", op.name, host, op.path, got, w)
			}
		}
	}
	for _, op := range api.Operations() {
		if !slices.ContainsFunc(permissionMatrix(), func(r permOp) bool { return r.op == op }) {
			t.Errorf("no row of the matrix needs the operation %s", op)
		}
	}
	for _, f := range api.Flows() {
		for _, ext := range []bool{false, true} {
			if !slices.ContainsFunc(permissionMatrix(), func(r permOp) bool { return r.op == f.StartOperation(ext) && r.flow == f }) {
				t.Errorf("no row for the %s start (by external id: %v)", f, ext)
			}
		}
	}
}

// TestRolePermissions: the expected answers the matrix derives from each role.
func TestRolePermissions(t *testing.T) {
	t.Parallel()
	tg := &sut.Target{Tenant: "acme", OtherTenantID: "globex", UnknownTenantID: "nosuchtenant"}
	tests := []struct {
		role sut.Role
		op   string
		want int
	}{
		{sut.RoleRenewal, api.OpCreatePasscodeRenewalForUser, 0},
		{sut.RoleRenewal, api.OpCompletePasscodeRenewal, 0},
		{sut.RoleRenewal, api.OpCreateUserPasscodeRenewalForUserByExtUserID, 0},
		{sut.RoleRenewal, api.OpCreatePasscodeAuthenticationForUser, 403},
		{sut.RoleRenewal, api.OpAdmin, 403},
		{sut.RoleNone, api.OpCompletePasscodeRenewal, 403},
		{sut.RoleOtherTenant, api.OpCreatePasscodeRenewalForUser, 403},
		{sut.RoleUnknownTenant, api.OpAdmin, 403},
		{sut.RoleExpired, api.OpCreatePasscodeRenewalForUser, 401},
		{sut.RoleExpired, api.OpAdmin, 401},
	}
	for _, tt := range tests {
		tok, ok := rolePermissions(tg, tt.role)
		if !ok {
			t.Fatalf("no permissions for role %s", tt.role)
		}
		if got, _ := tok.want(tg.Tenant, tt.op); got != tt.want {
			t.Errorf("%s on %s: want %d, the matrix expects %d", tt.role, tt.op, tt.want, got)
		}
	}
	for name, cred := range matrixRoles {
		tok, ok := rolePermissions(tg, cred.role)
		if !ok {
			t.Errorf("the feature's role %q has no permissions", name)
		}
		if cred.forged != "" && !tok.invalid {
			t.Errorf("the forged token %q is not expected to be refused", name)
		}
	}
}
