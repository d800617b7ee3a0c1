package refserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// newBareServer is a server on an empty in-memory store, for tests of the router.
func newBareServer(tb testing.TB) *Server {
	tb.Helper()
	s, err := New(context.Background(), Config{StoreDSN: "memory:", NoFixtures: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

var routeParam = regexp.MustCompile(`:[A-Za-z]+|\{[A-Za-z]+\}`)

// normalizePath turns "/a/:x/b" and "/a/{y}/b" into "/a/{}/b".
func normalizePath(p string) string { return routeParam.ReplaceAllString(p, "{}") }

// openAPIOperations returns "METHOD normalized-path" for every operation of the
// document, following path items' $ref into components.pathItems.
func openAPIOperations(tb testing.TB, doc map[string]any) []string {
	tb.Helper()
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		tb.Fatal("openapi.yaml has no paths")
	}
	var ops []string
	for p, item := range paths {
		m, _ := item.(map[string]any)
		if ref, ok := m["$ref"].(string); ok {
			target := resolveRef(tb, doc, ref)
			m, _ = target.(map[string]any)
		}
		for _, method := range []string{"get", "post", "put", "patch", "delete", "head", "options"} {
			if _, ok := m[method]; ok {
				ops = append(ops, strings.ToUpper(method)+" "+normalizePath(p))
			}
		}
	}
	sort.Strings(ops)
	return ops
}

// resolveRef resolves a local JSON pointer ("#/components/...").
func resolveRef(tb testing.TB, doc map[string]any, ref string) any {
	tb.Helper()
	if !strings.HasPrefix(ref, "#/") {
		tb.Fatalf("non-local $ref %q", ref)
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			tb.Fatalf("$ref %q: %q is not in an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			tb.Fatalf("$ref %q does not resolve at %q", ref, part)
		}
	}
	return cur
}

// allRefs calls fn for every $ref in v.
func allRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				fn(s)
				continue
			}
			allRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			allRefs(e, fn)
		}
	}
}

func loadOpenAPI(tb testing.TB) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

// TestOpenAPIRoutes checks that every route the router has is in openapi.yaml and
// every operation of openapi.yaml is routed, method by method.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	s := newBareServer(t)
	doc := loadOpenAPI(t)
	var routed []string
	for _, r := range s.engine.Routes() {
		routed = append(routed, r.Method+" "+normalizePath(r.Path))
	}
	sort.Strings(routed)
	documented := openAPIOperations(t, doc)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("openapi.yaml operation %s is not routed", d)
		}
	}
	if len(routed) != len(documented) {
		t.Errorf("%d routes, %d documented operations", len(routed), len(documented))
	}
}

// TestOpenAPIDocument checks the document itself: version 3.1, every $ref resolves,
// and every path parameter is declared.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi version %q", v)
	}
	n := 0
	allRefs(doc, func(ref string) { resolveRef(t, doc, ref); n++ })
	if n < 50 {
		t.Fatalf("only %d $refs; is the document complete?", n)
	}
	// Every {param} of a path is declared on the path item (directly or through its
	// $ref'd item), and nothing else is.
	paths := doc["paths"].(map[string]any)
	for p, item := range paths {
		m := item.(map[string]any)
		declared := map[string]bool{}
		collect := func(v any) {
			list, _ := v.([]any)
			for _, e := range list {
				pm, _ := e.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					pm, _ = resolveRef(t, doc, ref).(map[string]any)
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
		}
		collect(m["parameters"])
		if ref, ok := m["$ref"].(string); ok {
			collect(resolveRef(t, doc, ref).(map[string]any)["parameters"])
		}
		var want []string
		for _, match := range regexp.MustCompile(`\{([A-Za-z]+)\}`).FindAllStringSubmatch(p, -1) {
			want = append(want, match[1])
			if !declared[match[1]] {
				t.Errorf("%s: parameter %s not declared", p, match[1])
			}
		}
		if len(declared) != len(want) {
			t.Errorf("%s: declares %d path parameters, uses %d", p, len(declared), len(want))
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	s := newBareServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/yaml" || rec.Body.String() != string(OpenAPI()) {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
}
