// Package version says which renewkit is running and which contract it checks: the
// module version and VCS revision the binary was built from (runtime/debug), the
// Go version, and the revision of SPEC.md its checks follow. Every report records it.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// SpecRevision is the revision of SPEC.md that the suite's checks follow: the date
// of its last amendment (sections 1, 2, 3 and 9 on 2026-12-02).
const SpecRevision = "2026-12-02"

// Info describes a build of renewkit.
type Info struct {
	// Module is the module version ("v0.3.0", a pseudo-version, or "(devel)" for a
	// build from a work tree).
	Module string `json:"module"`
	// Revision is the VCS commit the binary was built from, if the build recorded
	// it; Modified says the work tree had uncommitted changes.
	Revision string `json:"revision,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	// Spec is SpecRevision.
	Spec string `json:"spec"`
	// Go is the Go version the binary was built with.
	Go string `json:"go"`
}

// Get returns the running binary's Info.
func Get() Info {
	info := Info{Module: "(devel)", Spec: SpecRevision, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" {
		info.Module = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one-line form: "renewkit v0.3.0 (a1b2c3d4e5f6, modified) SPEC 2026-12-02 go1.26.8".
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "renewkit %s", i.Module)
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if i.Modified {
			rev += ", modified"
		}
		fmt.Fprintf(&b, " (%s)", rev)
	}
	fmt.Fprintf(&b, " SPEC %s %s", i.Spec, i.Go)
	return b.String()
}
