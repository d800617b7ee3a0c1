package refserver

import (
	"net/netip"
	"sync"
	"time"
)

// Bounds of the token endpoint's throttle state.
const (
	// maxThrottledClients is how many client ids the throttle keeps state for: the
	// ids come from clients, known or not, so the map must be bounded. A new id at
	// the bound evicts another (throttleState.evict).
	maxThrottledClients = 10_000
	// maxFamiliarSources is how many addresses per client id the throttle remembers
	// as familiar; a new one replaces the one that succeeded longest ago.
	maxFamiliarSources = 8
	// familiarFor is how long an address stays familiar after its last success.
	familiarFor = 24 * time.Hour
)

// tokenThrottle limits failed client authentications at /oauth/token per client id
// (SPEC section 3: "SHOULD limit failed client authentications per client id (429
// with Retry-After)") without letting anyone who lacks the secret lock the real
// client out. Failures spend a token bucket of burst failures that refills one every
// interval; right secrets spend nothing. A throttle that refused every request once
// the bucket is empty would let an attacker lock the real client out; one that
// always checked the secret and only turned a wrong one's 401 into 429 would not
// slow guessing at all (429 would just mean "wrong"). So, as Azure AD's smart
// lockout does, requests are told apart by where they come from:
//
//   - From a familiar address, one that authenticated this client id with the right
//     secret in the last 24 hours, the secret is always checked: a right one gets
//     its token, and wrong ones spend a bucket of their own, then get 429. Whoever
//     sends from there has shown the secret already, so the check tells them
//     nothing new.
//   - From any other address, a request first reserves one failure of the client
//     id's other bucket, and a right secret gives it back. With the bucket empty
//     the request is 429 at once, its secret unchecked, so an attacker gets at most
//     burst guesses and then one per interval, however many addresses they use.
//
// What an attacker can still do: keep the unfamiliar bucket empty, so that the real
// client cannot authenticate from an address it has not succeeded from in the last
// 24 hours (a new host, or any host after a restart of the server, which forgets
// familiar addresses) until the attack stops; and, from an address it shares with
// the real client (NAT, a proxy: the server trusts no forwarding headers), guess at
// the familiar rate. Unknown client ids are throttled exactly like known ones, so
// the answers do not tell which ids exist.
type tokenThrottle struct {
	burst    int           // failures a full bucket allows; 0: no throttle
	interval time.Duration // one failure more allowed per interval

	mu      sync.Mutex
	clients map[string]*throttleState
}

// throttleState is one client id's: a bucket per kind of source, as GCRA's
// theoretical arrival times (a failure at now is allowed while the bucket's time is
// at most now + (burst-1)*interval, and moves it one interval on), and the familiar
// addresses with the time each last succeeded.
type throttleState struct {
	unfamiliar, familiar time.Time
	sources              map[netip.Addr]time.Time
}

// newTokenThrottle returns a throttle of burst failures per client id and source
// kind, refilling one per interval; burst < 1 turns it off.
func newTokenThrottle(burst int, interval time.Duration) *tokenThrottle {
	return &tokenThrottle{burst: max(burst, 0), interval: interval, clients: map[string]*throttleState{}}
}

// tokenAdmission is admit's verdict on one token request.
type tokenAdmission struct {
	// refused: answer 429 without checking the secret, Retry-After retry.
	refused bool
	retry   time.Duration
	// familiar: the request comes from a familiar address (its failure spends the
	// familiar bucket); reserved: it holds one failure of the unfamiliar bucket,
	// given back on success.
	familiar, reserved bool
}

// admit decides whether the secret of a request for client id from src is checked.
func (t *tokenThrottle) admit(id string, src netip.Addr, now time.Time) tokenAdmission {
	if t.burst == 0 {
		return tokenAdmission{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state(id)
	if last, ok := st.sources[src]; ok && now.Sub(last) < familiarFor {
		return tokenAdmission{familiar: true}
	}
	if wait, ok := t.spend(&st.unfamiliar, now); !ok {
		return tokenAdmission{refused: true, retry: wait}
	}
	return tokenAdmission{reserved: true}
}

// succeeded records a right secret for id from src: src becomes familiar, and a
// reserved failure is given back.
func (t *tokenThrottle) succeeded(id string, src netip.Addr, a tokenAdmission, now time.Time) {
	if t.burst == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state(id)
	if a.reserved {
		st.unfamiliar = st.unfamiliar.Add(-t.interval)
	}
	if !src.IsValid() {
		return
	}
	if st.sources == nil {
		st.sources = map[netip.Addr]time.Time{}
	}
	if _, ok := st.sources[src]; !ok && len(st.sources) >= maxFamiliarSources {
		var oldest netip.Addr
		for a, at := range st.sources {
			if !oldest.IsValid() || at.Before(st.sources[oldest]) {
				oldest = a
			}
		}
		delete(st.sources, oldest)
	}
	st.sources[src] = now
}

// failed records a failed authentication for id: a familiar request spends the
// familiar bucket (a reserved one has spent already). It reports whether the
// failure is over the limit, and then the Retry-After.
func (t *tokenThrottle) failed(id string, a tokenAdmission, now time.Time) (time.Duration, bool) {
	if t.burst == 0 || !a.familiar {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	wait, ok := t.spend(&t.state(id).familiar, now)
	return wait, !ok
}

// spend takes one failure from the bucket at *tat, or reports how long until one is
// there.
func (t *tokenThrottle) spend(tat *time.Time, now time.Time) (time.Duration, bool) {
	at := *tat
	if at.Before(now) {
		at = now
	}
	allowedUntil := now.Add(time.Duration(t.burst-1) * t.interval)
	if at.After(allowedUntil) {
		return at.Sub(allowedUntil), false
	}
	*tat = at.Add(t.interval)
	return 0, true
}

// state returns id's state, creating it (and evicting another at the bound); t.mu
// is held.
func (t *tokenThrottle) state(id string) *throttleState {
	if st, ok := t.clients[id]; ok {
		return st
	}
	if len(t.clients) >= maxThrottledClients {
		t.evict()
	}
	st := &throttleState{}
	t.clients[id] = st
	return st
}

// evict drops one client id's state, preferring one with no familiar address (so,
// under a flood of made-up ids, almost always one of those). Map iteration starts
// at a random entry, so which one is not up to the sender: to reset the bucket of
// the id it guesses at, an attacker must send about maxThrottledClients made-up ids
// per reset.
func (t *tokenThrottle) evict() {
	var fallback string
	for id, st := range t.clients {
		if len(st.sources) == 0 {
			delete(t.clients, id)
			return
		}
		if fallback == "" {
			fallback = id
		}
	}
	delete(t.clients, fallback)
}
