package refserver

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// TestTokenThrottleBounded: made-up client ids beyond maxThrottledClients keep the
// state bounded, and evict ids without a familiar address first, so the real
// client's familiar address survives the flood.
func TestTokenThrottleBounded(t *testing.T) {
	t.Parallel()
	th := newTokenThrottle(DefaultTokenFailureBurst, DefaultTokenFailureInterval)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	realAddr, spray := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.66")
	a := th.admit("real-client", realAddr, now)
	th.succeeded("real-client", realAddr, a, now)
	for i := range 3 * maxThrottledClients {
		id := fmt.Sprintf("made-up-%d", i)
		if a := th.admit(id, spray, now); !a.refused {
			th.failed(id, a, now)
		}
	}
	if n := len(th.clients); n > maxThrottledClients {
		t.Fatalf("%d client ids held, over the bound of %d", n, maxThrottledClients)
	}
	if a := th.admit("real-client", realAddr, now); !a.familiar {
		t.Fatalf("the real client's address is no longer familiar after the flood: %+v", a)
	}
}

// TestTokenThrottleFamiliarBound: a client id remembers at most maxFamiliarSources
// addresses, forgetting the one that succeeded longest ago, and an address stops
// being familiar familiarFor after its last success.
func TestTokenThrottleFamiliarBound(t *testing.T) {
	t.Parallel()
	th := newTokenThrottle(DefaultTokenFailureBurst, DefaultTokenFailureInterval)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}) }
	for i := range maxFamiliarSources + 1 {
		at := now.Add(time.Duration(i) * time.Second)
		th.succeeded("c", addr(i), th.admit("c", addr(i), at), at)
	}
	later := now.Add(time.Minute)
	if th.admit("c", addr(0), later).familiar {
		t.Error("the oldest of maxFamiliarSources+1 addresses is still familiar")
	}
	if !th.admit("c", addr(maxFamiliarSources), later).familiar {
		t.Error("the newest address is not familiar")
	}
	if th.admit("c", addr(maxFamiliarSources), now.Add(maxFamiliarSources*time.Second+familiarFor)).familiar {
		t.Error("an address is still familiar familiarFor after its last success")
	}
}
