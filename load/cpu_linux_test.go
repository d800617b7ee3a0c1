package load

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		line string
		want time.Duration
		ok   bool
	}{
		{"plain", "1234 (renewkit) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 12 0 100 0 0", 3800 * time.Millisecond, true},
		{"spaces and parens in comm", "99 (a b) (c)) R 1 99 99 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 5 0 0", 100 * time.Millisecond, true},
		{"short", "99 (x) R 1 2 3", 0, false},
		{"no comm", "99 x R", 0, false},
		{"garbage times", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 ab cd 0 0 20 0 1 0 5 0 0", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat(c.line)
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("got %v, %v; want %v (ok %v)", got, err, c.want, c.ok)
			}
		})
	}
}

func TestCPUOfProcesses(t *testing.T) {
	t.Parallel()
	self, err := selfCPU()
	if err != nil || self <= 0 {
		t.Fatalf("selfCPU: %v %v", self, err)
	}
	if _, err := processCPU(os.Getpid()); err != nil {
		t.Fatalf("processCPU(self): %v", err)
	}
	if _, err := processCPU(1 << 30); err == nil {
		t.Error("CPU time of a process that does not exist")
	}
}
