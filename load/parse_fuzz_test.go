package load

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// thresholdSeeds are threshold expressions as README.md, the profiles and the CLI
// tests write them, good and bad.
var thresholdSeeds = []string{
	"complete.p99<250ms", "complete.p95<=900µs", "start.max<2s", "p99<1h", "complete.p99<1ns",
	"complete.success>=0.999", "success>=99.9%", "complete.rate>=45.5/s", "rate>45",
	"complete.errors==0", "errors<=2", "errors<0.5", "p99<250", "p99<fast", "rate>-3", "p99<-1ms", "",
}

// FuzzParseThreshold: ParseThreshold fails with ErrThreshold or returns a threshold
// whose canonical String parses back to the same threshold, and that String is a
// fixed point. Seeded with the expressions the docs and tests use and with the
// thresholds of the shipped profiles (load/profiles).
func FuzzParseThreshold(f *testing.F) {
	for _, s := range thresholdSeeds {
		f.Add(s)
	}
	for _, p := range shippedProfiles(f) {
		for _, th := range p.Thresholds {
			f.Add(th)
		}
	}
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := ParseThreshold(expr)
		if err != nil {
			if !errors.Is(err, ErrThreshold) {
				t.Fatalf("error %v is not ErrThreshold", err)
			}
			return
		}
		again, err := ParseThreshold(th.String())
		if err != nil || !sameThreshold(again, th) {
			t.Fatalf("%q parses to %+v, written %q; that parses to %+v, %v", expr, th, th.String(), again, err)
		}
		if again.String() != th.String() {
			t.Fatalf("String is not a fixed point: %q then %q", th.String(), again.String())
		}
		all, err := ParseThresholds([]string{expr, th.String()})
		if err != nil || len(all) != 2 || all[0] != th || !sameThreshold(all[1], th) {
			t.Fatalf("ParseThresholds(%q, %q) = %+v, %v", expr, th.String(), all, err)
		}
	})
}

// sameThreshold compares two thresholds but for Expr, the text each was parsed from.
func sameThreshold(a, b Threshold) bool {
	a.Expr, b.Expr = "", ""
	return a == b
}

// FuzzParseShard: ParseShard fails with ErrShard or returns 1 <= i <= n, written
// back by String as the same shard.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "1/3", "3/3", " 2/4 ", "0/3", "4/3", "1/0", "-1/2", "a/b", "1/", "/", "+1/2", "01/02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if !errors.Is(err, ErrShard) {
				t.Fatalf("error %v is not ErrShard", err)
			}
			return
		}
		if sh.Index < 1 || sh.Index > sh.Count {
			t.Fatalf("%q accepted as shard %d of %d", s, sh.Index, sh.Count)
		}
		again, err := ParseShard(sh.String())
		if err != nil || again != sh {
			t.Fatalf("%q parses to %+v, written %q; that parses to %+v, %v", s, sh, sh.String(), again, err)
		}
	})
}

// shippedProfiles reads load/profiles/*.yaml, the profiles renewkit ships.
func shippedProfiles(tb testing.TB) map[string]*Profile {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("profiles", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no profiles: %v", err)
	}
	out := map[string]*Profile{}
	for _, file := range files {
		p, err := ReadProfile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out[file] = p
	}
	return out
}

// FuzzParseProfile: ParseProfile fails with ErrProfile or returns a profile that
// validates, and written back as YAML it parses to the same profile. Seeded with the
// shipped profiles (load/profiles/*.yaml).
func FuzzParseProfile(f *testing.F) {
	for file := range shippedProfiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile(data)
		if err != nil {
			if !errors.Is(err, ErrProfile) {
				t.Fatalf("error %v is not ErrProfile", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted profile fails Validate: %v", err)
		}
		out, err := yaml.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseProfile(out)
		if err != nil {
			t.Fatalf("%q written back as\n%s\nfails: %v", data, out, err)
		}
		// Compared as YAML, not with reflect.DeepEqual: a list written as [] comes back
		// empty where the first parse left it nil, which is the same profile.
		out2, err := yaml.Marshal(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("%q written back as\n%s\nparses to a different profile:\n%s", data, out, out2)
		}
	})
}
