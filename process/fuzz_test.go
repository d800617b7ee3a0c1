package process_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/seedb14f67b8/renewkit/fixtures/processes"
	"github.com/seedb14f67b8/renewkit/process"
)

// FuzzValidate feeds definitions decoded from arbitrary JSON to Validate: it must
// never panic, and must either refuse with a *ValidationError or return a
// definition that validates again to itself (defaults are idempotent).
func FuzzValidate(f *testing.F) {
	bundles, err := processes.Bundles()
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range bundles {
		for _, d := range b.Definitions {
			raw, _ := json.Marshal(d)
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"name":"x","nodes":[{"id":"s","type":"startEvent","name":"S"},{"id":"e","type":"endEvent","name":"E"}],"flows":[{"from":"s","to":"e"},{"from":"e","to":"s"}]}`))
	f.Add([]byte(`{"name":"x","nodes":[{"id":"a","type":"simpleDecider","parameters":{"x":"${token.y"}}]}`))
	// Branches: a decider with a condition, a default that has one, and a cycle
	// through a conditional flow.
	f.Add([]byte(`{"name":"x","nodes":[{"id":"s","type":"startEvent","name":"S"},{"id":"d","type":"simpleDecider"},{"id":"e","type":"endEvent","name":"E"}],` +
		`"flows":[{"from":"s","to":"d"},{"from":"d","to":"e","condition":{"decision":"PASS"}},{"from":"d","to":"d","default":true,"condition":{"userStatus":"LOCKED"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d process.Definition
		if json.Unmarshal(data, &d) != nil {
			return
		}
		out, err := process.Validate(d, nil)
		if err != nil {
			var ve *process.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %v is not a *ValidationError with problems", err)
			}
			return
		}
		again, err := process.Validate(out, nil)
		if err != nil {
			t.Fatalf("a validated definition does not validate again: %v", err)
		}
		a, _ := json.Marshal(out)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("validation is not idempotent:\n%s\n%s", a, b)
		}
	})
}

// FuzzParseBundle feeds arbitrary YAML to ParseBundle and Load: no panics.
func FuzzParseBundle(f *testing.F) {
	for _, n := range processes.Names() {
		f.Add([]byte("tenant: acme\n" + n))
	}
	f.Add([]byte("tenant: acme\nforms:\n  - name: f\n    title: {en: x}\n    components: [{type: password, key: k, role: newPasscode, label: L}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := process.ParseBundle(data)
		if err != nil {
			return
		}
		e, err := process.NewEngine(process.Config{Passcodes: &fakePasscodes{}})
		if err != nil {
			t.Fatal(err)
		}
		_ = e.Load(b)
	})
}
