package steps

import (
	"context"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
	"go.yaml.in/yaml/v3"
)

// operationsSteps registers the steps of features/operations.feature.
func operationsSteps(c *godog.ScenarioContext) {
	c.Step(stepRE(`^the client gets (/[a-z./-]+)$`), getPath)
	c.Step(stepRE(`^the answer is Prometheus text with a request counter and a latency histogram$`), answerIsPrometheusText)
	c.Step(stepRE(`^the answer is an OpenAPI 3.1 document with every passcode endpoint of section 4$`), answerIsOpenAPIDocument)
}

func getPath(ctx context.Context, path string) error {
	s := sc(ctx)
	cl, err := s.w.tgt.NewClient("", s.w.hc)
	if err != nil {
		return s.fail(nil, "%v", err)
	}
	ex, err := cl.Do(ctx, http.MethodGet, path, nil, nil)
	if ex != nil {
		s.last = ex
	}
	if err != nil {
		return s.fail(ex, "no answer from the server: %v", err)
	}
	return nil
}

func answerIsPrometheusText(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(ex.ResponseHeader.Get("Content-Type"))
	if mt != "text/plain" && mt != "application/openmetrics-text" {
		return s.fail(ex, "Content-Type is %q, want the Prometheus text format", ex.ResponseHeader.Get("Content-Type"))
	}
	body := string(ex.ResponseBody)
	counter := regexp.MustCompile(`(?m)^# TYPE \S+ counter$`)
	histogram := regexp.MustCompile(`(?m)^# TYPE \S+ histogram$`)
	if !counter.MatchString(body) || !histogram.MatchString(body) || !strings.Contains(body, "_bucket{") {
		return s.fail(ex, "the metrics have no counter or no histogram with buckets")
	}
	return nil
}

func answerIsOpenAPIDocument(ctx context.Context) error {
	s := sc(ctx)
	ex, err := s.needAnswer()
	if err != nil {
		return err
	}
	var doc struct {
		OpenAPI string         `yaml:"openapi"`
		Paths   map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(ex.ResponseBody, &doc); err != nil {
		return s.fail(ex, "the document is not YAML: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		return s.fail(ex, "openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	var missing []string
	for _, want := range passcodeRoutes() {
		found := false
		for p := range doc.Paths {
			if strings.HasSuffix(normalizeRoute(p), want) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		return s.fail(ex, "the document does not describe %s", strings.Join(missing, ", "))
	}
	return nil
}
