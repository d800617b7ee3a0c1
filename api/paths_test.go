package api

import "testing"

func TestPaths(t *testing.T) {
	t.Parallel()
	canon := Paths{Tenant: "acme"}
	host := Paths{Tenant: "acme", HostForm: true}
	const P = "/api/identity-store/tenants/acme/stores/main"
	const H = "/api/identity-store/stores/main"
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"start registration by id", canon.Start(FlowRegistration, "main", ByID("U1"), "pol"), P + "/users/U1/passcodes/registrations/pol"},
		{"start registration by ext", canon.Start(FlowRegistration, "main", ByExternalID("bob"), "pol"), P + "/users/bob/passcodes/registrations/pol/ext"},
		{"start authentication by id", canon.Start(FlowAuthentication, "main", ByID("U1"), "pol"), P + "/users/U1/passcodes/authentications/pol"},
		{"start authentication by ext", canon.Start(FlowAuthentication, "main", ByExternalID("bob"), "pol"), P + "/users/bob/passcodes/authentications/pol/ext"},
		{"start renewal by id", canon.Start(FlowRenewal, "main", ByID("U1"), "pol"), P + "/users/U1/passcodes/renewals/pol"},
		{"start renewal by ext", canon.Start(FlowRenewal, "main", ByExternalID("bob"), "pol"), P + "/users/bob/passcodes/renewals/pol/ext"},
		{"complete registration", canon.Complete(FlowRegistration, "main", "S1"), P + "/passcodes/registrations/sessions/S1"},
		{"complete authentication", canon.Complete(FlowAuthentication, "main", "S1"), P + "/passcodes/authentications/sessions/S1"},
		{"complete renewal", canon.Complete(FlowRenewal, "main", "S1"), P + "/passcodes/renewals/sessions/S1"},
		{"users", canon.Users("main"), P + "/users"},
		{"user by id", canon.User("main", ByID("U1")), P + "/users/U1"},
		{"user by ext", canon.User("main", ByExternalID("bob")), P + "/users/bob/ext"},
		{"credential", canon.Credential("main", "U1"), P + "/users/U1/passcodes"},
		{"policies", canon.Policies("main"), P + "/passcodePolicy"},
		{"policy", canon.Policy("main", "pol"), P + "/passcodePolicy/pol"},
		{"host form start", host.Start(FlowRenewal, "main", ByID("U1"), "pol"), H + "/users/U1/passcodes/renewals/pol"},
		{"host form start ext", host.Start(FlowRenewal, "main", ByExternalID("bob"), "pol"), H + "/users/bob/passcodes/renewals/pol/ext"},
		{"host form complete", host.Complete(FlowAuthentication, "main", "S1"), H + "/passcodes/authentications/sessions/S1"},
		{"host form user", host.User("main", ByExternalID("bob")), H + "/users/bob/ext"},
		{"host form policy", host.Policy("main", "pol"), H + "/passcodePolicy/pol"},
		{"escaping slash and space", canon.Start(FlowRenewal, "a/b", ByExternalID("x y/z"), "p?q#r"),
			"/api/identity-store/tenants/acme/stores/a%2Fb/users/x%20y%2Fz/passcodes/renewals/p%3Fq%23r/ext"},
		{"escaping tenant", Paths{Tenant: "ac/me"}.Store("s"), "/api/identity-store/tenants/ac%2Fme/stores/s"},
		{"escaping dot segments", canon.User("..", ByID(".")), "/api/identity-store/tenants/acme/stores/%2E%2E/users/%2E"},
		{"unicode", canon.User("main", ByExternalID("zoë")), P + "/users/zo%C3%AB/ext"},
		{"custom prefix", Paths{Prefix: "/v2/", Tenant: "t"}.Store("s"), "/v2/tenants/t/stores/s"},
		{"root prefix", Paths{Prefix: "/", Tenant: "t"}.Store("s"), "/tenants/t/stores/s"},
		{"gin route pattern", Paths{Tenant: ":tenantId"}.Start(FlowRenewal, ":storeName", ByID(":userId"), ":policyName"),
			"/api/identity-store/tenants/:tenantId/stores/:storeName/users/:userId/passcodes/renewals/:policyName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

func TestUserRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ref      UserRef
		valid    bool
		external bool
		str      string
	}{
		{"id", ByID("U1"), true, false, "id:U1"},
		{"external", ByExternalID("bob"), true, true, "ext:bob"},
		{"neither", UserRef{}, false, false, "id:"},
		{"both", UserRef{ID: "U1", ExternalID: "bob"}, false, false, "id:U1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.ref.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.ref.IsExternal(); got != tt.external {
				t.Errorf("IsExternal() = %v, want %v", got, tt.external)
			}
			if got := tt.ref.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
		})
	}
}
