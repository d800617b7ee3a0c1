package load

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrShard means a --shard value is not i/n with 1 <= i <= n.
var ErrShard = errors.New("load: invalid shard")

// Shard is this generator's share of a run that several generator hosts carry out
// together: shard Index of Count, counted from 1. Each shard takes every Count-th
// user (user k belongs to shard k mod Count + 1) and 1/Count of every rate, so the
// shards together put the profile's load on the deployment with disjoint users. The
// zero value is the whole run.
type Shard struct {
	Index int
	Count int
}

// ParseShard parses "i/n".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: write i/n, e.g. 1/3 for the first of three generators", ErrShard, s)
	}
	sh := Shard{Index: i, Count: n}
	if err := sh.validate(); err != nil {
		return Shard{}, fmt.Errorf("%w %q: %v", ErrShard, s, err)
	}
	return sh, nil
}

func (s Shard) normal() Shard {
	if s.Count == 0 && s.Index == 0 {
		return Shard{Index: 1, Count: 1}
	}
	return s
}

func (s Shard) validate() error {
	s = s.normal()
	switch {
	case s.Count < 1:
		return errors.New("n must be at least 1")
	case s.Index < 1 || s.Index > s.Count:
		return fmt.Errorf("i must be between 1 and %d", s.Count)
	}
	return nil
}

// String is "i/n".
func (s Shard) String() string {
	s = s.normal()
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Users returns the global indexes, among total users, of the users this shard
// owns.
func (s Shard) Users(total int) []int {
	s = s.normal()
	var out []int
	for k := s.Index - 1; k < total; k += s.Count {
		out = append(out, k)
	}
	return out
}

// Scale is the share of every rate this shard sends: 1/n.
func (s Shard) Scale() float64 { return 1 / float64(s.normal().Count) }
