package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// BenchmarkConcurrentCommits measures group commit: c writers at once, each op one
// durable Update (a user created), on a file store with its real sync. With one
// writer every commit pays its own sync; with more, the commits that are ready
// together share one (syncs/op falls), so ns/op, the wall time per commit, falls
// with concurrency instead of staying at the sync's latency. Compare c=1, c=8 and
// c=64 within one run: go test ./refserver/store/sqlite -run '^$' -bench ConcurrentCommits
func BenchmarkConcurrentCommits(b *testing.B) {
	for _, c := range []int{1, 8, 64} {
		b.Run("c="+strconv.Itoa(c), func(b *testing.B) {
			st, _ := openFile(b)
			seed(b, st)
			var syncs atomic.Int64
			real := st.syncWAL
			st.syncWAL = func() error { syncs.Add(1); return real() }
			ctx := context.Background()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range c {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						id := fmt.Sprintf("c%d-%d", c, i)
						err := st.Update(ctx, func(tx store.Tx) error {
							return tx.CreateUser(ctx, store.User{Tenant: "t", Store: "s", ID: id, ExternalID: "x" + id, Status: store.StatusActive})
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(syncs.Load())/float64(b.N), "syncs/op")
		})
	}
}
