package load

import (
	"testing"
	"time"

	"github.com/seedb14f67b8/renewkit/srp"
)

// TestFloors: the floor of each part is a positive time, and the server's, which
// holds two 2048-bit exponentiations with secret exponents, is more than the one
// made-ahead part's fixed-base work. (Ratios only: no absolute time is asserted.)
func TestFloors(t *testing.T) {
	t.Parallel()
	f, err := measureFloors(srp.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if f.Server <= 0 || f.Generator <= 0 || f.Precomputed <= 0 {
		t.Fatalf("floors %+v, want every part positive", f)
	}
	c := (&cpuMeter{sent: 10, gen: 10 * time.Duration(f.Generator+f.Precomputed) * 3 / 2}).summary(f)
	if c == nil || c.GeneratorFloorMultiple < 1.49 || c.GeneratorFloorMultiple > 1.51 {
		t.Errorf("a generator at 1.5 times its floor: %+v", c)
	}
	if got := floorX(1.4249); got != " (1.42x floor)" {
		t.Errorf("floorX = %q", got)
	}
}
