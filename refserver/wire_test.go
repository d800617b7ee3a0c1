package refserver_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/seedb14f67b8/renewkit/api"
)

// TestStartShowsEmptyPatternListsAsArrays pins the wire form of passcodeRequirements in
// start answers: pattern lists the policy leaves empty are [] (as in the guide's
// example and the admin answers), never null. The conformance suite's RNW-002 caught
// the start answers once sending null.
func TestStartShowsEmptyPatternListsAsArrays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.newUser(t, "Start-Pass-1")
	for _, flow := range []api.Flow{api.FlowRenewal, api.FlowRegistration} {
		ref := u.ref()
		if flow == api.FlowRegistration {
			fresh, _, err := w.full.CreateUser(context.Background(), defStore, api.CreateUserRequest{ExternalID: "wire-" + u.ID})
			if err != nil {
				t.Fatal(err)
			}
			ref = api.ByID(fresh.ID)
		}
		_, ex, err := w.full.Start(context.Background(), flow, defStore, ref, standard)
		if err != nil {
			t.Fatalf("%s start: %v", flow, err)
		}
		for _, field := range []string{"requiredRegExes", "allowedRegExes", "disallowedRegExes"} {
			if !bytes.Contains(ex.ResponseBody, []byte(`"`+field+`":[`)) {
				t.Errorf("%s start: %s is not a JSON array in %s", flow, field, ex.ResponseBody)
			}
		}
	}
}
