package sut_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/seedb14f67b8/renewkit/sut"
)

// targetFiles are the target files the repository ships, the seeds of FuzzParse.
var targetFiles = []string{"../docs/target.example.yaml", "../deploy/kubernetes/target.yaml"}

// FuzzParse: Parse fails with ErrInvalid or returns a target that validates, and
// whatever it accepts, written back as YAML, parses to the same target (Parse is
// idempotent over its own defaults and validation). Seeded with the shipped target files and
// with edge cases of the baseURL/image rule and YAML aliases.
func FuzzParse(f *testing.F) {
	for _, file := range targetFiles {
		data, err := os.ReadFile(filepath.FromSlash(file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("baseURL: http://127.0.0.1:1\ntenant: acme\nstore: default\ntokens:\n  full: {token: t}\n"))
	f.Add([]byte("image: {name: x}\nbaseURL: http://x\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tg, err := sut.Parse(b)
		if err != nil {
			if !errors.Is(err, sut.ErrInvalid) {
				t.Fatalf("Parse error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := tg.Validate(); err != nil {
			t.Fatalf("accepted target fails Validate: %v", err)
		}
		out, err := yaml.Marshal(tg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := sut.Parse(out)
		if err != nil {
			t.Fatalf("%q parses, but written back as\n%s\nit fails: %v", b, out, err)
		}
		// Compared as YAML, not with reflect.DeepEqual: a list written as [] comes back
		// empty where the first parse left it nil, which is the same target.
		out2, err := yaml.Marshal(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("%q written back as\n%s\nparses to a different target:\n%s", b, out, out2)
		}
	})
}
