package conform

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMarkCucumberInterrupted(t *testing.T) {
	doc := `[{"uri":"features/a.feature","name":"A","tags":[{"name":"@must","line":1}],"elements":[
	  {"name":"cut short","steps":[
	    {"name":"one","result":{"status":"passed","duration":1}},
	    {"name":"two","result":{"status":"failed","error_message":"context canceled"}},
	    {"name":"three","result":{"status":"skipped"}}]}]}]`
	out, err := markCucumberInterrupted([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var features []struct {
		Tags     []struct{ Name string }
		Elements []struct {
			Steps []struct {
				Result struct {
					Status       string `json:"status"`
					ErrorMessage string `json:"error_message"`
				}
			}
		}
	}
	if err := json.Unmarshal(out, &features); err != nil {
		t.Fatal(err)
	}
	f := features[0]
	if len(f.Tags) != 2 || f.Tags[1].Name != "@INTERRUPTED" {
		t.Errorf("tags = %+v, want @must then @INTERRUPTED", f.Tags)
	}
	steps := f.Elements[0].Steps
	if steps[0].Result.Status != "passed" || steps[0].Result.ErrorMessage != "" {
		t.Errorf("a passed step was changed: %+v", steps[0].Result)
	}
	for _, s := range steps[1:] {
		if s.Result.Status != "skipped" || s.Result.ErrorMessage != interruptedMessage {
			t.Errorf("step result %+v, want skipped with %q", s.Result, interruptedMessage)
		}
	}
	if strings.Contains(string(out), "context canceled") {
		t.Error("the context's error is still in the report")
	}
	if out, err := markCucumberInterrupted(nil); err != nil || string(out) != "[]\n" {
		t.Errorf("empty document: %q, %v", out, err)
	}
	if _, err := markCucumberInterrupted([]byte("{")); err == nil {
		t.Error("a broken document gave no error")
	}
}
