package load

import (
	"errors"
	"testing"
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
