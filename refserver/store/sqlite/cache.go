package sqlite

import "sync"

// historyCacheSize bounds the credentials whose history the store keeps in memory:
// at most 24 verifiers each, 6 MiB at 1024 credentials for a 2048-bit group.
const historyCacheSize = 1024

// credentialKey names a credential.
type credentialKey struct {
	tenant, store, userID string
}

// storedHistory is a credential's stored history.
type storedHistory struct {
	top       int64    // the highest seq, 0 when there is none
	verifiers [][]byte // most recent first; never changed once built
}

// cachedHistory is a credential's history as of one nonce and version.
type cachedHistory struct {
	nonce   string
	version int64
	history storedHistory
}

// historyCache keeps credentials' histories, so that reading a credential, which
// every start and completion does, and renewing one, which compares the stored
// history first, do not step through up to 24 rows each time.
//
// An entry is valid for the stored credential with the same nonce and version, and
// only for it: a nonce is drawn by each CreateCredential and never reused, and a
// credential's history changes only through UpdateCredential, whose compare-and-set
// makes the version grow by one with every change. So every (nonce, version) ever
// committed has exactly one history, and an entry can be stale only in the sense of
// never matching again. Entries are put only for committed data: a View's reads,
// and an Update's reads and writes once it has committed (tx.pending). Direct
// changes to credential_history outside this package would break this.
type historyCache struct {
	mu sync.Mutex
	m  map[credentialKey]cachedHistory
}

func newHistoryCache() *historyCache {
	return &historyCache{m: make(map[credentialKey]cachedHistory)}
}

// get returns the history of k at nonce and version, if cached. Its verifiers are
// shared: callers copy before they hand them out.
func (c *historyCache) get(k credentialKey, nonce []byte, version int64) (storedHistory, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || e.version != version || e.nonce != string(nonce) {
		return storedHistory{}, false
	}
	return e.history, true
}

// put records the history of k at e's nonce and version, evicting an arbitrary
// entry when the cache is full.
func (c *historyCache) put(k credentialKey, e cachedHistory) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= historyCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
}

// cloneVerifiers copies vs into one new backing array.
func cloneVerifiers(vs [][]byte) [][]byte {
	if len(vs) == 0 {
		return nil
	}
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(vs))
	for i, v := range vs {
		buf = append(buf, v...)
		// Capped, so that appending to one entry cannot overwrite the next.
		out[i] = buf[len(buf)-len(v) : len(buf) : len(buf)]
	}
	return out
}
