package load

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestResultsFileIsInTimestampOrder: answers arrive out of order, but the file a
// run leaves is sorted by timestamp (vegeta plot refuses a series that goes back
// in time), and holds every result.
func TestResultsFileIsInTimestampOrder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	rs := synthetic(SeriesComplete, start, 500, func(i int) time.Duration { return time.Millisecond }, 200)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	path := filepath.Join(t.TempDir(), ResultsFile)
	writeResults(t, path, rs)

	var last time.Time
	n := 0
	seqs := map[uint64]bool{}
	if err := ReadResults(path, func(r *vegeta.Result) error {
		if r.Timestamp.Before(last) {
			t.Fatalf("result %d at %v comes after one at %v", n, r.Timestamp, last)
		}
		last = r.Timestamp
		seqs[r.Seq] = true
		n++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(rs) || len(seqs) != len(rs) {
		t.Fatalf("read %d results (%d distinct), wrote %d", n, len(seqs), len(rs))
	}
}
