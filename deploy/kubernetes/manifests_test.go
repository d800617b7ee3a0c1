package kubernetes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/seedb14f67b8/renewkit/deploy/internal/cmdline"
	"github.com/seedb14f67b8/renewkit/sut"
)

// kustomization is the part of kustomize's Kustomization the manifests use;
// decoded strictly, so a key kustomize would not know fails the test.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests are the objects of the files kustomization.yaml lists, by kind/name.
type manifests struct {
	kust       kustomization
	jobs       map[string]*batchv1.Job
	services   map[string]*corev1.Service
	configMaps map[string]*corev1.ConfigMap
	namespaces map[string]*corev1.Namespace
}

// strict decodes one YAML document into v as the API server would take it: JSON
// field names, and an unknown field is an error.
func strict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func load(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{jobs: map[string]*batchv1.Job{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, namespaces: map[string]*corev1.Namespace{}}
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := strict(b, &m.kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if m.kust.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: %s %s, want kustomize.config.k8s.io/v1beta1 Kustomization", m.kust.APIVersion, m.kust.Kind)
	}
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		if f != "kustomization.yaml" && !slices.Contains(m.kust.Resources, f) {
			t.Errorf("%s is not among kustomization.yaml's resources: `kubectl apply -k` would leave it out", f)
		}
	}
	for _, f := range m.kust.Resources {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("kustomization.yaml lists %s: %v", f, err)
		}
		for i, doc := range docSeparator.Split(string(b), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s, document %d: %v", f, i+1, err)
			}
			var obj interface{ GetName() string }
			switch tm.APIVersion + " " + tm.Kind {
			case "batch/v1 Job":
				j := &batchv1.Job{}
				obj, err = j, strict([]byte(doc), j)
				m.jobs[j.Name] = j
			case "v1 Service":
				s := &corev1.Service{}
				obj, err = s, strict([]byte(doc), s)
				m.services[s.Name] = s
			case "v1 ConfigMap":
				c := &corev1.ConfigMap{}
				obj, err = c, strict([]byte(doc), c)
				m.configMaps[c.Name] = c
			case "v1 Namespace":
				n := &corev1.Namespace{}
				obj, err = n, strict([]byte(doc), n)
				m.namespaces[n.Name] = n
			default:
				t.Fatalf("%s, document %d: %s %s is not a kind this test knows: add it", f, i+1, tm.APIVersion, tm.Kind)
			}
			if err != nil {
				t.Fatalf("%s, document %d (%s): %v", f, i+1, tm.Kind, err)
			}
			if obj.GetName() == "" {
				t.Errorf("%s, document %d: a %s without a name", f, i+1, tm.Kind)
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var keep []string
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// flagValue returns the value of --name=value or --name value in args.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// renewkitArgs returns the job's one container and its renewkit arguments.
func renewkitArgs(t *testing.T, j *batchv1.Job) (*corev1.Container, []string) {
	t.Helper()
	cs := j.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("job %s has %d containers, want one", j.Name, len(cs))
	}
	c := &cs[0]
	// The image's entrypoint is the reference server: the Job names /renewkit.
	if !slices.Equal(c.Command, []string{"/renewkit"}) {
		t.Errorf("job %s: command %q, want [/renewkit] (the image's entrypoint serves the reference server)", j.Name, c.Command)
	}
	return c, c.Args
}

// TestManifests decodes every manifest strictly and checks what must agree: the
// Indexed Job's size with the shard count of its command line and the collector's,
// the collector's Service with its pod and port and with the shards' --collector,
// the volumes with their mounts, and the target file with sut.Parse.
func TestManifests(t *testing.T) {
	t.Parallel()
	m := load(t)
	if _, ok := m.namespaces[m.kust.Namespace]; !ok {
		t.Errorf("kustomization.yaml puts everything in namespace %q, which no manifest creates", m.kust.Namespace)
	}
	shards, collector := m.jobs["renewkit-load"], m.jobs["renewkit-collector"]
	if shards == nil || collector == nil {
		t.Fatalf("jobs %v: want renewkit-load (the shards) and renewkit-collector", slices.Sorted(maps.Keys(m.jobs)))
	}

	// The shards: an Indexed Job whose every pod is one shard, run once.
	_, args := renewkitArgs(t, shards)
	spec := shards.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("renewkit-load: completionMode %v, want Indexed (JOB_COMPLETION_INDEX makes the shard)", spec.CompletionMode)
	}
	shardSpec, _ := flagValue(args, "shard")
	n, err := strconv.Atoi(strings.TrimPrefix(shardSpec, "job/"))
	if !strings.HasPrefix(shardSpec, "job/") || err != nil {
		t.Fatalf("renewkit-load: --shard %q, want job/N", shardSpec)
	}
	if spec.Completions == nil || spec.Parallelism == nil || int(*spec.Completions) != n || int(*spec.Parallelism) != n {
		t.Errorf("renewkit-load: completions %v, parallelism %v, --shard job/%d: want all %d, every shard running at once", ptrString(spec.Completions), ptrString(spec.Parallelism), n, n)
	}
	if spec.BackoffLimit == nil || *spec.BackoffLimit != 0 {
		t.Errorf("renewkit-load: backoffLimit %v, want 0: a shard run twice loads the target twice", ptrString(spec.BackoffLimit))
	}
	_, cargs := renewkitArgs(t, collector)
	if got, _ := flagValue(cargs, "shards"); got != strconv.Itoa(n) {
		t.Errorf("renewkit-collector: --shards %q, and the shards are %d", got, n)
	}

	// The shards find the collector through its Service, on its port.
	cu, _ := flagValue(args, "collector")
	u, err := url.Parse(cu)
	if err != nil || u.Scheme != "http" {
		t.Fatalf("renewkit-load: --collector %q, want http://SERVICE:PORT", cu)
	}
	svc := m.services[u.Hostname()]
	if svc == nil {
		t.Fatalf("renewkit-load: --collector %s names no Service of the manifests", cu)
	}
	if !selects(svc.Spec.Selector, collector.Spec.Template.Labels) || selects(svc.Spec.Selector, shards.Spec.Template.Labels) {
		t.Errorf("Service %s selects %v: want the collector's pod (%v) and not the shards' (%v)", svc.Name, svc.Spec.Selector, collector.Spec.Template.Labels, shards.Spec.Template.Labels)
	}
	listen, _ := flagValue(cargs, "listen")
	_, listenPort, _ := strings.Cut(listen, ":")
	var port *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if strconv.Itoa(int(svc.Spec.Ports[i].Port)) == u.Port() {
			port = &svc.Spec.Ports[i]
		}
	}
	if port == nil {
		t.Fatalf("Service %s has no port %s, which --collector %s uses", svc.Name, u.Port(), cu)
	}
	cc := collector.Spec.Template.Spec.Containers[0]
	containerPort := ""
	for _, p := range cc.Ports {
		if p.Name == port.TargetPort.String() || strconv.Itoa(int(p.ContainerPort)) == port.TargetPort.String() {
			containerPort = strconv.Itoa(int(p.ContainerPort))
		}
	}
	if containerPort != listenPort {
		t.Errorf("Service %s port %d goes to container port %q, and the collector listens on %q", svc.Name, port.Port, containerPort, listen)
	}

	// Every pod: non-root, a read-only root (renewkit writes only its mounts), and
	// a mount for every volume and a volume for every mount.
	for _, j := range []*batchv1.Job{shards, collector} {
		ps := j.Spec.Template.Spec
		if ps.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("job %s: restartPolicy %q, want Never", j.Name, ps.RestartPolicy)
		}
		if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot {
			t.Errorf("job %s: not runAsNonRoot", j.Name)
		}
		c := ps.Containers[0]
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			t.Errorf("job %s: the root filesystem is not read-only", j.Name)
		}
		if c.Image != m.kust.Images[0].Name {
			t.Errorf("job %s: image %q, which kustomization.yaml's images do not set", j.Name, c.Image)
		}
		vols := map[string]corev1.Volume{}
		for _, v := range ps.Volumes {
			vols[v.Name] = v
		}
		mounted := map[string]bool{}
		for _, vm := range c.VolumeMounts {
			mounted[vm.Name] = true
			if _, ok := vols[vm.Name]; !ok {
				t.Errorf("job %s mounts volume %s, which it does not have", j.Name, vm.Name)
			}
		}
		for name := range vols {
			if !mounted[name] {
				t.Errorf("job %s has volume %s and mounts it nowhere", j.Name, name)
			}
		}
		dir, _ := flagValue(c.Args, "report-dir")
		if !underMount(dir, c.VolumeMounts, false) {
			t.Errorf("job %s writes its reports to %q, which is on no writable mount", j.Name, dir)
		}
	}

	// The shards read the target file the ConfigMap holds, and it is valid.
	c := shards.Spec.Template.Spec.Containers[0]
	tf, _ := flagValue(args, "target")
	cm := m.configMaps["renewkit-target"]
	if cm == nil || !underMount(tf, c.VolumeMounts, true) {
		t.Fatalf("renewkit-load reads --target %q: want it on the mount of ConfigMap renewkit-target", tf)
	}
	body, ok := cm.Data[filepath.Base(tf)]
	if !ok {
		t.Fatalf("ConfigMap renewkit-target has no key %s", filepath.Base(tf))
	}
	tgt, err := sut.Parse([]byte(body))
	if err != nil {
		t.Fatalf("the target file in ConfigMap renewkit-target: %v", err)
	}
	if !tgt.Has(sut.Admin) {
		t.Errorf("the target file does not declare admin: load creates its users through the admin API")
	}
	var fromSecret bool
	for _, e := range c.EnvFrom {
		fromSecret = fromSecret || (e.SecretRef != nil && e.SecretRef.Name != "")
	}
	for role, cred := range tgt.Tokens {
		if cred.ClientSecretEnv != "" && !fromSecret {
			t.Errorf("role %s reads its secret from $%s, and the shards take no environment from a Secret", role, cred.ClientSecretEnv)
		}
	}

	// RUN_ID, which --run-id expands, is the Job's name: the same in every pod.
	if rid, _ := flagValue(args, "run-id"); rid != "$(RUN_ID)" || !envFromField(c, "RUN_ID", "metadata.labels['batch.kubernetes.io/job-name']") {
		t.Errorf("renewkit-load: --run-id %q; want $(RUN_ID), set from the pod's job-name label", rid)
	}
}

// TestManifestCommandLines parses every renewkit command line of the manifests
// with the flags of the binary built from this tree.
func TestManifestCommandLines(t *testing.T) {
	t.Parallel()
	m := load(t)
	bin := cmdline.Build(t)
	for name, j := range m.jobs {
		_, args := renewkitArgs(t, j)
		sub := args[0]
		if len(args) > 1 && args[0] == "load" && args[1] == "merge" {
			sub = "load merge"
		}
		words := strings.Fields(sub)
		fs := cmdline.FlagsOf(t, bin, sub).FlagSet()
		if err := fs.Parse(args[len(words):]); err != nil {
			t.Errorf("job %s: renewkit %s refuses %q: %v", name, sub, args, err)
		} else if fs.NArg() > 0 {
			t.Errorf("job %s: renewkit %s takes no arguments, got %q", name, sub, fs.Args())
		}
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func underMount(path string, mounts []corev1.VolumeMount, readOnlyOK bool) bool {
	for _, vm := range mounts {
		if (path == vm.MountPath || strings.HasPrefix(path, vm.MountPath+"/")) && (readOnlyOK || !vm.ReadOnly) {
			return true
		}
	}
	return false
}

func envFromField(c corev1.Container, name, field string) bool {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			return e.ValueFrom.FieldRef.FieldPath == field
		}
	}
	return false
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
