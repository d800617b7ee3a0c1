package load

import (
	"errors"
	"maps"
	"math"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"1/1", Shard{1, 1}, true},
		{"2/3", Shard{2, 3}, true},
		{" 3/3 ", Shard{3, 3}, true},
		{"0/3", Shard{}, false},
		{"4/3", Shard{}, false},
		{"1/0", Shard{}, false},
		{"-1/2", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseShard(c.in)
			if c.ok != (err == nil) || got != c.want {
				t.Fatalf("ParseShard(%q) = %v, %v", c.in, got, err)
			}
			if err != nil && !errors.Is(err, ErrShard) {
				t.Fatalf("error %v does not match ErrShard", err)
			}
		})
	}
}

func TestShardsSplitUsersAndRate(t *testing.T) {
	t.Parallel()
	for _, total := range []int{1, 7, 10, 100} {
		for n := 1; n <= 4; n++ {
			seen := map[int]int{}
			scale := 0.0
			for i := 1; i <= n; i++ {
				sh := Shard{Index: i, Count: n}
				for _, k := range sh.Users(total) {
					seen[k]++
				}
				scale += sh.Scale()
				if got := len(sh.Users(total)); got < total/n || got > total/n+1 {
					t.Errorf("%d users, shard %s: %d users, want %d or %d", total, sh, got, total/n, total/n+1)
				}
			}
			if len(seen) != total {
				t.Errorf("%d users over %d shards: %d distinct users", total, n, len(seen))
			}
			for k, c := range seen {
				if c != 1 || k < 0 || k >= total {
					t.Errorf("user %d in %d shards", k, c)
				}
			}
			if scale < 0.999999 || scale > 1.000001 {
				t.Errorf("%d shards carry %v of the rate", n, scale)
			}
		}
	}
	var whole Shard
	if whole.String() != "1/1" || len(whole.Users(5)) != 5 || whole.Scale() != 1 {
		t.Errorf("zero Shard is not the whole run: %s %v %v", whole, whole.Users(5), whole.Scale())
	}
}

// TestScheduleShares: the shards of a run plan together exactly the hits of the
// whole schedule, each at the time the whole schedule intends it, whatever the
// number of shards divides (k6's interleaved execution segments). A rate split by
// dividing it would plan ceil(16.7) = 17 hits in each of three shards of 10/s for
// 5 s: 51, not 50.
func TestScheduleShares(t *testing.T) {
	t.Parallel()
	ramp := func(from, to float64, d time.Duration) Stage {
		return Stage{Duration: Duration(d), From: &from, To: &to}
	}
	for _, tc := range []struct {
		name   string
		stages []Stage
	}{
		{"constant 10/s for 5s", []Stage{ramp(10, 10, 5*time.Second)}},
		{"constant 7.3/s for 3s", []Stage{ramp(7.3, 7.3, 3*time.Second)}},
		{"ramp 0 to 40/s, hold, down", []Stage{ramp(0, 40, 2*time.Second), ramp(40, 40, time.Second), ramp(40, 5, 1500*time.Millisecond)}},
	} {
		whole, err := NewSchedule(tc.stages)
		if err != nil {
			t.Fatal(err)
		}
		want := map[time.Duration]int{}
		for k := range whole.Planned() {
			at, _ := whole.Intended(k)
			want[at]++
		}
		for n := 1; n <= 7; n++ {
			got := map[time.Duration]int{}
			var planned uint64
			for i := 1; i <= n; i++ {
				s := whole.Share(Shard{Index: i, Count: n})
				planned += s.Planned()
				prev := time.Duration(-1)
				for k := range s.Planned() {
					at, ok := s.Intended(k)
					if !ok || at < prev {
						t.Fatalf("%s, shard %d/%d: hit %d at %v (ok %v) after %v", tc.name, i, n, k, at, ok, prev)
					}
					prev = at
					got[at]++
				}
				if _, ok := s.Intended(s.Planned()); ok {
					t.Errorf("%s, shard %d/%d: a hit beyond the %d planned", tc.name, i, n, s.Planned())
				}
				if r, w := s.Rate(time.Second), whole.Rate(time.Second)/float64(n); math.Abs(r-w) > 1e-9 {
					t.Errorf("%s, shard %d/%d: rate %v at 1s, want %v", tc.name, i, n, r, w)
				}
			}
			if planned != whole.Planned() || !maps.Equal(got, want) {
				t.Errorf("%s in %d shards: %d hits planned, the whole schedule %d; same times: %v",
					tc.name, n, planned, whole.Planned(), maps.Equal(got, want))
			}
		}
	}
}
