package process

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Bundle is a fixtures file of process definitions and the custom forms they show,
// for one tenant. Forms are saved first, in order, then definitions deployed, in
// order, so a definition can name a form of the same bundle (at the version it gets
// there: the first save of a name is version 1).
type Bundle struct {
	Tenant      string       `yaml:"tenant"`
	Forms       []Form       `yaml:"forms"`
	Definitions []Definition `yaml:"definitions"`
}

// ParseBundle decodes a bundle from YAML (or JSON), strictly: unknown keys are
// errors.
func ParseBundle(data []byte) (Bundle, error) {
	var b Bundle
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&b); err != nil {
		return Bundle{}, fmt.Errorf("process: bundle: %w", err)
	}
	if b.Tenant == "" {
		return Bundle{}, fmt.Errorf("process: bundle: tenant is required")
	}
	return b, nil
}

// Load saves the bundle's forms and deploys its definitions into its tenant, and
// stops at the first error.
func (e *Engine) Load(b Bundle) error {
	for _, f := range b.Forms {
		if _, err := e.SaveForm(b.Tenant, f); err != nil {
			return fmt.Errorf("process: form %q: %w", f.Name, err)
		}
	}
	for _, d := range b.Definitions {
		if _, err := e.Deploy(b.Tenant, d); err != nil {
			return fmt.Errorf("process: definition %q: %w", d.Name, err)
		}
	}
	return nil
}
