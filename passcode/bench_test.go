package passcode_test

import (
	"testing"

	"github.com/seedb14f67b8/renewkit/passcode"
)

func BenchmarkPolicyValidate(b *testing.B) {
	p, err := strong().Compile()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if vs := p.Validate("Ünïcødé٣٤§x"); vs != nil {
			b.Fatal(vs)
		}
	}
}

func BenchmarkNewGenerator(b *testing.B) {
	// The costliest case: an allowed pattern, no maximum length, non-ASCII alphabets.
	r := passcode.Requirements{AllowedRegExes: []passcode.Regex{{Pattern: `\pL+`}}}
	for b.Loop() {
		if _, err := passcode.NewGenerator(r, passcode.GenerateOptions{NonASCII: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGeneratorGenerate(b *testing.B) {
	g, err := passcode.NewGenerator(strong(), passcode.GenerateOptions{NonASCII: true})
	if err != nil {
		b.Fatal(err)
	}
	rnd := seeded(b, 1)
	for b.Loop() {
		if _, err := g.Generate(rnd); err != nil {
			b.Fatal(err)
		}
	}
}
