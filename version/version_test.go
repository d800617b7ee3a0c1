package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   Info
		want string
	}{
		{Info{Module: "(devel)", Spec: "2026-12-02", Go: "go1.26.8"}, "renewkit (devel) SPEC 2026-12-02 go1.26.8"},
		{Info{Module: "v0.3.0", Revision: "0123456789abcdef0123", Spec: "2026-12-02", Go: "go1.26.8"}, "renewkit v0.3.0 (0123456789ab) SPEC 2026-12-02 go1.26.8"},
		{Info{Module: "(devel)", Revision: "abc", Modified: true, Spec: "2026-12-02", Go: "go1.26.8"}, "renewkit (devel) (abc, modified) SPEC 2026-12-02 go1.26.8"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGet(t *testing.T) {
	i := Get()
	if i.Spec != SpecRevision || i.Go != runtime.Version() || i.Module == "" {
		t.Fatalf("Get() = %+v", i)
	}
	if !strings.HasPrefix(i.String(), "renewkit ") {
		t.Fatalf("String() = %q", i.String())
	}
}
