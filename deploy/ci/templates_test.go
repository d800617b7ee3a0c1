package ci

import (
	"flag"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/seedb14f67b8/renewkit/deploy/internal/cmdline"
)

// The templates, as a team copies them.
const (
	githubTemplate = "github-actions.yml"
	gitlabTemplate = "gitlab-ci.yml"
)

// ghWorkflow is the part of a GitHub Actions workflow the checks read.
type ghWorkflow struct {
	On   any              `yaml:"on"`
	Jobs map[string]ghJob `yaml:"jobs"`
}

type ghJob struct {
	RunsOn          any      `yaml:"runs-on"`
	ContinueOnError any      `yaml:"continue-on-error"`
	Steps           []ghStep `yaml:"steps"`
}

type ghStep struct {
	Name            string         `yaml:"name"`
	Uses            string         `yaml:"uses"`
	Run             string         `yaml:"run"`
	If              string         `yaml:"if"`
	ContinueOnError any            `yaml:"continue-on-error"`
	With            map[string]any `yaml:"with"`
}

// glJob is the part of a GitLab CI job the checks read.
type glJob struct {
	BeforeScript []string `yaml:"before_script"`
	Script       []string `yaml:"script"`
	AfterScript  []string `yaml:"after_script"`
	AllowFailure any      `yaml:"allow_failure"`
	Artifacts    struct {
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit any `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

// glKeywords are the top-level keys of a .gitlab-ci.yml that are not jobs.
var glKeywords = []string{"default", "include", "stages", "variables", "workflow",
	"image", "services", "cache", "before_script", "after_script"}

// The JUnit reporter actions the GitHub template may use.
var ghJUnitReporters = []string{"dorny/test-reporter@", "mikepenz/action-junit-report@"}

func decodeFile(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

func githubWorkflow(tb testing.TB) ghWorkflow {
	tb.Helper()
	var wf ghWorkflow
	decodeFile(tb, githubTemplate, &wf)
	return wf
}

// gitlabJobs returns the jobs of the GitLab template by name (hidden ones, .name,
// are templates of jobs, not jobs).
func gitlabJobs(tb testing.TB) map[string]glJob {
	tb.Helper()
	var top map[string]yaml.Node
	decodeFile(tb, gitlabTemplate, &top)
	jobs := map[string]glJob{}
	for name, node := range top {
		if slices.Contains(glKeywords, name) || strings.HasPrefix(name, ".") {
			continue
		}
		var j glJob
		if err := node.Decode(&j); err != nil {
			tb.Fatalf("%s: job %s: %v", gitlabTemplate, name, err)
		}
		jobs[name] = j
	}
	return jobs
}

// truthy says whether a YAML value GitHub or GitLab reads as a boolean is true.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.TrimSpace(v) != "" && v != "false"
	}
	return v != nil
}

// always says whether a GitHub `if:` runs the step whatever happened before.
func always(cond string) bool {
	c := strings.TrimSpace(cond)
	c = strings.TrimSuffix(strings.TrimPrefix(c, "${{"), "}}")
	return strings.TrimSpace(c) == "always()"
}

func TestGitHubActions(t *testing.T) {
	t.Parallel()
	wf := githubWorkflow(t)
	if wf.On == nil {
		t.Errorf("%s: no `on`: the workflow never runs", githubTemplate)
	}
	if len(wf.Jobs) == 0 {
		t.Fatalf("%s: no jobs", githubTemplate)
	}
	var gates, artifacts, junit int
	for id, job := range wf.Jobs {
		if job.RunsOn == nil {
			t.Errorf("job %s: no runs-on", id)
		}
		if len(job.Steps) == 0 {
			t.Errorf("job %s: no steps", id)
		}
		for i, st := range job.Steps {
			where := fmt.Sprintf("job %s, step %d (%s)", id, i+1, st.Name)
			if (st.Uses == "") == (st.Run == "") {
				t.Errorf("%s: a step needs exactly one of uses and run", where)
			}
			if hasConform(st.Run) {
				gates++
				if truthy(st.ContinueOnError) || truthy(job.ContinueOnError) {
					t.Errorf("%s: continue-on-error: the conformance step must fail the job", where)
				}
			}
			switch {
			case strings.HasPrefix(st.Uses, "actions/upload-artifact@"):
				artifacts++
				if !always(st.If) {
					t.Errorf("%s: upload without `if: always()`: a failed gate would lose report.html", where)
				}
			case slices.ContainsFunc(ghJUnitReporters, func(p string) bool { return strings.HasPrefix(st.Uses, p) }):
				junit++
				if !always(st.If) {
					t.Errorf("%s: JUnit report without `if: always()`: a failed gate would show no tests", where)
				}
				if p, _ := st.With["path"].(string); !strings.HasSuffix(p, "junit.xml") {
					t.Errorf("%s: JUnit report path %q is not a junit.xml", where, p)
				}
			}
		}
	}
	if gates == 0 || artifacts == 0 || junit == 0 {
		t.Errorf("%s: %d renewkit conform steps, %d artifact uploads, %d JUnit reports; want at least one of each", githubTemplate, gates, artifacts, junit)
	}
}

func TestGitLabCI(t *testing.T) {
	t.Parallel()
	jobs := gitlabJobs(t)
	var gates int
	for name, job := range jobs {
		if len(job.Script) == 0 {
			t.Errorf("job %s: no script", name)
		}
		if !slices.ContainsFunc(job.Script, hasConform) {
			continue
		}
		gates++
		if truthy(job.AllowFailure) {
			t.Errorf("job %s: allow_failure: the gate must fail the pipeline", name)
		}
		a := job.Artifacts
		if a.When != "always" {
			t.Errorf("job %s: artifacts.when is %q, want always: a failed gate would lose report.html", name, a.When)
		}
		if len(a.Paths) == 0 {
			t.Errorf("job %s: no artifacts.paths: report.html is not kept", name)
		}
		if p, _ := a.Reports.JUnit.(string); !strings.HasSuffix(p, "junit.xml") {
			t.Errorf("job %s: artifacts.reports.junit is %v, want a junit.xml path", name, a.Reports.JUnit)
		}
	}
	if gates == 0 {
		t.Errorf("%s: no job runs renewkit conform", gitlabTemplate)
	}
}

// TestTemplateFlags checks every renewkit command line of the templates against
// the flags the binary built from this tree has, as its flag package parses them.
func TestTemplateFlags(t *testing.T) {
	t.Parallel()
	bin := cmdline.Build(t)
	known := map[string]*cmdline.Flags{}
	flagsOf := func(sub string) *cmdline.Flags {
		if known[sub] == nil {
			known[sub] = cmdline.FlagsOf(t, bin, sub)
		}
		return known[sub]
	}

	wf := githubWorkflow(t)
	var ghScripts []string
	var ghJUnit string
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			ghScripts = append(ghScripts, st.Run)
			if p, ok := st.With["path"].(string); ok && strings.HasSuffix(p, "junit.xml") {
				ghJUnit = p
			}
		}
	}
	var glScripts []string
	var glJUnit string
	for _, job := range gitlabJobs(t) {
		glScripts = slices.Concat(glScripts, job.BeforeScript, job.Script, job.AfterScript)
		if p, ok := job.Artifacts.Reports.JUnit.(string); ok {
			glJUnit = p
		}
	}

	for _, tc := range []struct {
		name    string
		scripts []string
		junit   string // "" for a page of prose, which need not write one
	}{
		{githubTemplate, ghScripts, ghJUnit},
		{gitlabTemplate, glScripts, glJUnit},
		{ciGatingDoc, shellBlocks(t, ciGatingDoc), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var conform int
			for _, s := range tc.scripts {
				for _, inv := range invocations(s) {
					if inv.sub == "conform" {
						conform++
					}
					fs := flagsOf(inv.sub).FlagSet()
					if err := fs.Parse(inv.args); err != nil {
						t.Errorf("%s\n  renewkit %s refuses it: %v\n  its flags: %s", inv.line, inv.sub, err, flagsOf(inv.sub).Names())
						continue
					}
					if fs.NArg() > 0 {
						t.Errorf("%s\n  renewkit %s takes no arguments, got %q", inv.line, inv.sub, fs.Args())
					}
					if inv.sub != "conform" {
						continue
					}
					// The image's working directory, /, is not writable, and
					// the JUnit report must be the one this command writes.
					dir := fs.Lookup("report-dir").Value.String()
					if tc.junit == "" {
						continue
					}
					if !isSet(fs, "report-dir") || !path.IsAbs(dir) {
						t.Errorf("%s\n  sets no absolute --report-dir (the default, reports/conform, is under the image's unwritable /)", inv.line)
					} else if path.Base(path.Dir(tc.junit)) != path.Base(dir) {
						t.Errorf("%s\n  writes its reports to %s, but the JUnit report read is %s", inv.line, dir, tc.junit)
					}
				}
			}
			if conform == 0 {
				t.Errorf("no renewkit conform command line found")
			}
		})
	}
}

// ciGatingDoc is the page that explains the templates; its shell examples are
// checked as the templates' scripts are.
const ciGatingDoc = "../../docs/ci-gating.md"

// shellBlocks returns the ```sh blocks of a Markdown file.
func shellBlocks(tb testing.TB, name string) []string {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	var blocks []string
	for _, m := range shellFence.FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		tb.Fatalf("%s has no ```sh block", name)
	}
	return blocks
}

var shellFence = regexp.MustCompile("(?ms)^```sh\n(.*?)^```")

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// subcommands are the renewkit commands whose command lines are checked.
var subcommands = []string{"conform", "load", "version"}

// invocation is one renewkit command line of a template's shell script.
type invocation struct {
	line string   // the line, continuations joined
	sub  string   // the subcommand
	args []string // the words after it, quotes removed
}

// invocations finds the renewkit command lines in a shell script: a subcommand
// right after a word that names renewkit (the binary, or the image:
// "$RENEWKIT_IMAGE", renewkit:ci), up to the end of the command.
func invocations(script string) []invocation {
	var out []invocation
	for _, line := range strings.Split(strings.ReplaceAll(script, "\\\n", " "), "\n") {
		words := shellWords(line)
		for i := 1; i < len(words); i++ {
			if !slices.Contains(subcommands, words[i]) || !strings.Contains(strings.ToLower(words[i-1]), "renewkit") {
				continue
			}
			end := i + 1
			for end < len(words) && !isOperator(words[end]) {
				end++
			}
			out = append(out, invocation{line: strings.Join(strings.Fields(line), " "), sub: words[i], args: words[i+1 : end]})
			i = end
		}
	}
	return out
}

func hasConform(script string) bool {
	return slices.ContainsFunc(invocations(script), func(inv invocation) bool { return inv.sub == "conform" })
}

// shellWords splits a line of shell into words, as far as the templates need: quotes
// group and are removed, an unquoted ; is a word of its own, # starts a comment.
func shellWords(line string) []string {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quote  rune
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == ';':
			flush()
			words = append(words, ";")
		case r == '#' && !inWord:
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words
}

// isOperator says whether a word ends a simple command.
func isOperator(w string) bool {
	return slices.Contains([]string{";", "&&", "||", "|", "&"}, w) || (w != "" && strings.ContainsAny(w[:1], "<>")) || strings.HasPrefix(w, "2>")
}

func TestInvocations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		want   []string // sub and args of each invocation, joined by spaces
	}{
		{name: "the binary", script: "renewkit conform --target x.yaml --quiet", want: []string{"conform --target x.yaml --quiet"}},
		{name: "a path to the binary", script: "bin/renewkit load --profile smoke && echo done", want: []string{"load --profile smoke"}},
		{
			name:   "the image, continued lines and quotes",
			script: "docker run --rm --entrypoint /renewkit \"$RENEWKIT_IMAGE\" \\\n  conform --tags '@RNW-001 or @RNW-004' \\\n  --report-dir /reports/conform; echo $?",
			want:   []string{"conform --tags @RNW-001 or @RNW-004 --report-dir /reports/conform"},
		},
		{name: "a container named renewkit", script: "docker start -a renewkit || status=$?", want: nil},
		{name: "a comment", script: "# renewkit conform --nope", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, inv := range invocations(tc.script) {
				got = append(got, strings.Join(append([]string{inv.sub}, inv.args...), " "))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("invocations = %q, want %q", got, tc.want)
			}
		})
	}
}
