package steps

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"

	"github.com/seedb14f67b8/renewkit/features"
)

// TestOneStepsFilePerFeature keeps the layout a newcomer relies on: the steps of
// features/<feature>.feature are registered by <feature>Steps in <feature>.go
// (process.feature's by InitializeProcessScenario in process.go), and InitScenario
// calls every one of them.
func TestOneStepsFilePerFeature(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(features.FS, "*.feature")
	if err != nil || len(names) == 0 {
		t.Fatalf("no features: %v", err)
	}
	fset := token.NewFileSet()
	init, err := parser.ParseFile(fset, "init.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	called := map[string]bool{}
	ast.Inspect(init, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if id, ok := c.Fun.(*ast.Ident); ok {
				called[id.Name] = true
			}
		}
		return true
	})
	for _, name := range names {
		feature := strings.TrimSuffix(name, ".feature")
		file := feature + ".go"
		want := registrar(feature)
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Errorf("%s has no steps file: %v", name, err)
			continue
		}
		if f.Scope.Lookup(want) == nil {
			t.Errorf("%s does not define %s, the registration of %s's steps", file, want, name)
		}
		if feature != "process" && !called[want] {
			t.Errorf("InitScenario does not call %s", want)
		}
	}
}

// registrar is the name of the function that registers a feature's steps:
// bad-input -> badInputSteps.
func registrar(feature string) string {
	if feature == "process" {
		return "InitializeProcessScenario"
	}
	parts := strings.Split(feature, "-")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "") + "Steps"
}
