package memory_test

import (
	"testing"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"
	"github.com/seedb14f67b8/renewkit/refserver/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) store.Store {
		st := memory.New()
		tb.Cleanup(func() { st.Close() })
		return st
	})
}

// TestSessionHeap: 100,000 session starts keep the heap bounded (storetest's bounds).
// Not parallel: it measures the process's heap.
func TestSessionHeap(t *testing.T) {
	storetest.SessionHeap(t, func(tb testing.TB) store.Store {
		st := memory.New()
		tb.Cleanup(func() { st.Close() })
		return st
	})
}
