package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// tx is a store.Tx: its attempts in flight live in the Store's memory (attempts.go),
// everything else in one database/sql transaction, begun on the first statement.
type tx struct {
	// ctx is the View's or Update's: the SQL transaction lives as long as it does.
	ctx  context.Context
	conn interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	} // where the SQL transaction runs: the writer connection or the read pool
	opts *sql.TxOptions
	// onWriter is set when conn is the writer connection, which this transaction holds.
	onWriter bool
	// sqlTx is nil until a statement needs it, so an Update that touches only the
	// attempts in flight never begins, commits or syncs one.
	sqlTx *sql.Tx
	st    *statements // prepared on the pool tx runs on
	write bool
	done  bool
	// durable is set by every method that writes to the database: Update then syncs
	// the commit to stable storage before it returns (see the package comment).
	durable bool
	cache   *historyCache
	// pending holds, in an Update, the histories to cache once it has committed.
	pending []pendingHistory
	// rows is the Store's row cache for a transaction holding the writer slot (an
	// Update or a View on the writer), nil for a View on the read pool, which must
	// not use it (see Row cache in the package comment). pendingRows holds, in an
	// Update, the rows it read from the database or wrote with a tracked write
	// (UpdateUser, UpdateCredential), for the cache once it has committed. untracked
	// is set by every other write: the Update then reads only the database, and its
	// commit clears the cache.
	rows        *rowCache
	pendingRows *rowSet
	untracked   bool
	counters    *testCounters // nil but in tests
	// attempts is the Store's; attemptDelta holds, in an Update, the changes to the
	// attempts in flight that take effect only once it has committed.
	attempts     *attempts
	attemptDelta map[rowKey]int
}

// pendingHistory is a history an Update read or wrote, for the cache.
type pendingHistory struct {
	key   credentialKey
	entry cachedHistory
}

var _ store.Tx = (*tx)(nil)

// check guards every method but the attempt ones (checkMemory): a finished transaction and, for
// writes, a read-only one refuse; database/sql watches the context. A write checked
// here makes the transaction durable and untracked (the row cache is cleared at its
// commit): only UpdateUser and UpdateCredential use checkTracked instead.
func (t *tx) check(write bool) error {
	if err := t.checkTracked(write); err != nil {
		return err
	}
	if write {
		t.untracked = true
	}
	return nil
}

// checkTracked is check for the tracked writes, which record the rows they write in
// pendingRows themselves.
func (t *tx) checkTracked(write bool) error {
	if t.done {
		return store.ErrTxDone
	}
	if write && !t.write {
		return store.ErrReadOnly
	}
	if write {
		t.durable = true
	}
	return nil
}

// cacheable reports whether this transaction reads and fills the row cache: it holds
// the writer slot and has made no untracked write.
func (t *tx) cacheable() bool {
	return t.rows != nil && !t.untracked
}

// pendingFor returns the pending rows of an Update, made on first use.
func (t *tx) pendingFor() *rowSet {
	if t.pendingRows == nil {
		t.pendingRows = newRowSet()
	}
	return t.pendingRows
}

// cachedUser, cachedPolicy and cachedCredential return a row as this transaction
// sees it, if the cache may answer and holds it: an Update's pending rows first,
// then the cache. The values share memory with the cache: copy before handing out.
func (t *tx) cachedStore(k rowKey) (store.IdentityStore, bool) { return cachedRow(t, k, storeRows) }
func (t *tx) cachedUser(k rowKey) (store.User, bool)           { return cachedRow(t, k, userRows) }
func (t *tx) cachedPolicy(k rowKey) (store.Policy, bool)       { return cachedRow(t, k, policyRows) }
func (t *tx) cachedCredential(k rowKey) (credentialRow, bool)  { return cachedRow(t, k, credentialRows) }

// cachedRow is the one lookup behind the three; kind picks the row kind.
func cachedRow[V any](t *tx, k rowKey, kind func(*rowSet) map[rowKey]V) (V, bool) {
	if !t.cacheable() {
		var zero V
		return zero, false
	}
	if p := t.pendingRows; p != nil {
		if v, ok := kind(p)[k]; ok {
			return v, true
		}
	}
	return getRow(t.rows, k, kind)
}

// ended is the error a statement would fail with now, as begin checks it: the
// method's context, and the transaction's until its SQL transaction has begun. A
// read served from the cache fails with it too, so that an ended context is refused
// whether or not the row was cached.
func (t *tx) ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.sqlTx == nil {
		return t.ctx.Err()
	}
	return nil
}

// fillUser, fillPolicy and fillCredential record a row read from the database or
// written by a tracked write, which must not share memory with the caller: in a View
// on the writer straight into the cache (it holds the writer slot, so no commit can
// make the row stale meanwhile), in an Update into its pending rows.
func (t *tx) fillStore(k rowKey, s store.IdentityStore) { fillRow(t, k, s, storeRows) }
func (t *tx) fillUser(k rowKey, u store.User)           { fillRow(t, k, u, userRows) }
func (t *tx) fillPolicy(k rowKey, p store.Policy)       { fillRow(t, k, p, policyRows) }
func (t *tx) fillCredential(k rowKey, r credentialRow)  { fillRow(t, k, r, credentialRows) }

// fillRow is the one recording behind the three; kind picks the row kind.
func fillRow[V any](t *tx, k rowKey, v V, kind func(*rowSet) map[rowKey]V) {
	if !t.cacheable() {
		return
	}
	if !t.write {
		putRow(t.rows, k, v, kind)
		return
	}
	kind(t.pendingFor())[k] = v
}

// wrap names the failed operation; the driver's error text holds no bound values.
func wrap(op string, err error) error {
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// The SQL transaction and its statements run under a context detached from the
// caller's (context.WithoutCancel): database/sql watches a cancellable context with
// a goroutine per transaction and per query, and the driver with one per statement,
// which together cost a renewal more than its reads do. Every statement here is a
// keyed lookup or write that ends in microseconds, and all writers are serialized in
// this process (busy waits on another process are out of scope: one process per
// file), so there is nothing long to interrupt. The caller's context is still
// honoured: it is checked before the transaction begins, before every statement, and
// before the commit (Store.update), so an ended request stops at the next step and
// its Update fails, rolling back. Two exceptions: a View on the read pool begins under
// its own context, since getting a pooled connection can wait; and a savepoint, once
// set, is released or rolled back whatever the context (tx.atomic).

// begin returns the SQL transaction, beginning it on first use.
func (t *tx) begin(ctx context.Context) (*sql.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.sqlTx == nil {
		if err := t.ctx.Err(); err != nil {
			return nil, err
		}
		if t.counters != nil {
			t.counters.begins.Add(1)
		}
		// On the writer, which the caller already holds, BeginTx waits for nothing and
		// runs detached. A View on the read pool may wait for a free connection, so it
		// begins under its own context, whose deadline that wait must heed (database/sql
		// then watches it for the transaction's life).
		bctx := t.ctx
		if t.onWriter {
			bctx = context.WithoutCancel(t.ctx)
		}
		sqlTx, err := t.conn.BeginTx(bctx, t.opts)
		if err != nil {
			return nil, fmt.Errorf("sqlite: begin: %w", err)
		}
		t.sqlTx = sqlTx
	}
	return t.sqlTx, nil
}

// row is what queryRow returns: a *sql.Row, or the error of beginning the
// transaction it would have run in.
type row struct {
	row *sql.Row
	err error
}

// Scan is sql.Row.Scan, or the error of begin.
func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

// exec, queryRow and query run a prepared statement inside the transaction.
// Each checks ctx first (begin), then runs detached from it (see begin).
func (t *tx) exec(ctx context.Context, s *sql.Stmt, args ...any) (sql.Result, error) {
	t.count()
	sqlTx, err := t.begin(ctx)
	if err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	return sqlTx.StmtContext(ctx, s).ExecContext(ctx, args...)
}

func (t *tx) queryRow(ctx context.Context, s *sql.Stmt, args ...any) row {
	t.count()
	sqlTx, err := t.begin(ctx)
	if err != nil {
		return row{err: err}
	}
	ctx = context.WithoutCancel(ctx)
	return row{row: sqlTx.StmtContext(ctx, s).QueryRowContext(ctx, args...)}
}

func (t *tx) query(ctx context.Context, s *sql.Stmt, args ...any) (*sql.Rows, error) {
	t.count()
	sqlTx, err := t.begin(ctx)
	if err != nil {
		return nil, err
	}
	ctx = context.WithoutCancel(ctx)
	return sqlTx.StmtContext(ctx, s).QueryContext(ctx, args...)
}

// count counts a statement for tests.
func (t *tx) count() {
	if t.counters != nil {
		t.counters.statements.Add(1)
	}
}

// exists runs a COUNT statement and reports whether it found anything.
func (t *tx) exists(ctx context.Context, op string, s *sql.Stmt, args ...any) (bool, error) {
	var n int
	if err := t.queryRow(ctx, s, args...).Scan(&n); err != nil {
		return false, wrap(op, err)
	}
	return n > 0, nil
}

// atomic runs fn, the several statements of one write method, inside a savepoint, so
// that a method failing halfway leaves nothing behind even if the caller's Update
// goes on and commits.
func (t *tx) atomic(ctx context.Context, fn func() error) error {
	if _, err := t.exec(ctx, t.st.savepoint); err != nil {
		return wrap("savepoint", err)
	}
	// Once the savepoint is set, ending it runs whatever the context: a RELEASE
	// refused for an ended context would leave fn's writes in place under an error,
	// and the caller may go on and commit them (store.Tx: a method that fails has
	// made no change).
	undo := func() {
		// Best effort: if even this fails the connection is broken and Commit fails too.
		ctx := context.WithoutCancel(ctx)
		_, _ = t.exec(ctx, t.st.rollbackTo)
		_, _ = t.exec(ctx, t.st.release)
	}
	if err := fn(); err != nil {
		undo()
		return err
	}
	if _, err := t.exec(context.WithoutCancel(ctx), t.st.release); err != nil {
		undo()
		return wrap("release savepoint", err)
	}
	return nil
}

// nanos and fromNanos store times as Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (t *tx) Tenant(ctx context.Context, id string) (store.Tenant, error) {
	if err := t.check(false); err != nil {
		return store.Tenant{}, err
	}
	ok, err := t.exists(ctx, "get tenant", t.st.tenantCount, id)
	if err != nil {
		return store.Tenant{}, err
	}
	if !ok {
		return store.Tenant{}, store.ErrTenantNotFound
	}
	return store.Tenant{ID: id}, nil
}

func (t *tx) PutTenant(ctx context.Context, tn store.Tenant) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := tn.Validate(); err != nil {
		return err
	}
	if _, err := t.exec(ctx, t.st.tenantPut, tn.ID); err != nil {
		return wrap("put tenant", err)
	}
	return nil
}

func (t *tx) IdentityStore(ctx context.Context, tenant, name string) (store.IdentityStore, error) {
	if err := t.check(false); err != nil {
		return store.IdentityStore{}, err
	}
	return t.identityStore(ctx, tenant, name)
}

// identityStore finds a store, reporting the first missing link of tenant -> store.
// Stores go through the row cache: a completion reads its store's lock
// configuration, and a start its session lifetime.
func (t *tx) identityStore(ctx context.Context, tenant, name string) (store.IdentityStore, error) {
	k := rowKey{tenant, name, ""}
	if s, ok := t.cachedStore(k); ok {
		if err := t.ended(ctx); err != nil {
			return store.IdentityStore{}, wrap("get store", err)
		}
		return s, nil
	}
	s := store.IdentityStore{Tenant: tenant, Name: name}
	var lockNs, sessionNs int64
	err := t.queryRow(ctx, t.st.storeGet, tenant, name).Scan(&s.Lock.MaxFailedAttempts, &lockNs, &sessionNs)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := t.Tenant(ctx, tenant); err != nil {
			return store.IdentityStore{}, err
		}
		return store.IdentityStore{}, store.ErrStoreNotFound
	case err != nil:
		return store.IdentityStore{}, wrap("get store", err)
	}
	s.Lock.LockDuration, s.SessionTTL = time.Duration(lockNs), time.Duration(sessionNs)
	t.fillStore(k, s)
	return s, nil
}

func (t *tx) PutIdentityStore(ctx context.Context, s store.IdentityStore) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if _, err := t.Tenant(ctx, s.Tenant); err != nil {
		return err
	}
	_, err := t.exec(ctx, t.st.storePut, s.Tenant, s.Name, s.Lock.MaxFailedAttempts, int64(s.Lock.LockDuration),
		int64(s.SessionTTL))
	if err != nil {
		return wrap("put store", err)
	}
	return nil
}

func (t *tx) Policy(ctx context.Context, tenant, st, name string) (store.Policy, error) {
	if err := t.check(false); err != nil {
		return store.Policy{}, err
	}
	k := rowKey{tenant, st, name}
	if p, ok := t.cachedPolicy(k); ok {
		if err := t.ended(ctx); err != nil {
			return store.Policy{}, wrap("get policy", err)
		}
		return clonePolicy(p), nil
	}
	var reqs []byte
	err := t.queryRow(ctx, t.st.policyGet, tenant, st, name).Scan(&reqs)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := t.identityStore(ctx, tenant, st); err != nil {
			return store.Policy{}, err
		}
		return store.Policy{}, store.ErrPolicyNotFound
	case err != nil:
		return store.Policy{}, wrap("get policy", err)
	}
	p := store.Policy{Tenant: tenant, Store: st, Name: name}
	if err := json.Unmarshal(reqs, &p.Requirements); err != nil {
		return store.Policy{}, wrap("decode policy", err)
	}
	t.fillPolicy(k, clonePolicy(p))
	return p, nil
}

func (t *tx) Policies(ctx context.Context, tenant, st string) ([]store.Policy, error) {
	if err := t.check(false); err != nil {
		return nil, err
	}
	if _, err := t.identityStore(ctx, tenant, st); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, t.st.policyList, tenant, st)
	if err != nil {
		return nil, wrap("list policies", err)
	}
	defer rows.Close()
	var ps []store.Policy
	for rows.Next() {
		p := store.Policy{Tenant: tenant, Store: st}
		var reqs []byte
		if err := rows.Scan(&p.Name, &reqs); err != nil {
			return nil, wrap("list policies", err)
		}
		if err := json.Unmarshal(reqs, &p.Requirements); err != nil {
			return nil, wrap("decode policy", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list policies", err)
	}
	return ps, nil
}

func (t *tx) CreatePolicy(ctx context.Context, p store.Policy) error {
	return t.putPolicy(ctx, p, false)
}

func (t *tx) UpdatePolicy(ctx context.Context, p store.Policy) error {
	return t.putPolicy(ctx, p, true)
}

func (t *tx) putPolicy(ctx context.Context, p store.Policy, replace bool) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := t.identityStore(ctx, p.Tenant, p.Store); err != nil {
		return err
	}
	exists, err := t.exists(ctx, "get policy", t.st.policyCount, p.Tenant, p.Store, p.Name)
	if err != nil {
		return err
	}
	switch {
	case replace && !exists:
		return store.ErrPolicyNotFound
	case !replace && exists:
		return store.ErrPolicyExists
	}
	reqs, err := json.Marshal(p.Requirements)
	if err != nil {
		return wrap("encode policy", err)
	}
	if replace {
		_, err = t.exec(ctx, t.st.policyUpdate, string(reqs), p.Tenant, p.Store, p.Name)
	} else {
		_, err = t.exec(ctx, t.st.policyInsert, p.Tenant, p.Store, p.Name, string(reqs))
	}
	if err != nil {
		return wrap("put policy", err)
	}
	return nil
}

func (t *tx) DeletePolicy(ctx context.Context, tenant, st, name string) error {
	if err := t.check(true); err != nil {
		return err
	}
	res, err := t.exec(ctx, t.st.policyDelete, tenant, st, name)
	if err != nil {
		return wrap("delete policy", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("delete policy", err)
	} else if n == 0 {
		if _, err := t.identityStore(ctx, tenant, st); err != nil {
			return err
		}
		return store.ErrPolicyNotFound
	}
	return nil
}

// scanUser reads one user row selected with userColumns.
func scanUser(r row, tenant, st string) (store.User, error) {
	u := store.User{Tenant: tenant, Store: st}
	var created, lockedUntil int64
	if err := r.Scan(&u.ID, &u.ExternalID, &u.Status, &created, &u.FailedAttempts, &lockedUntil); err != nil {
		return store.User{}, err
	}
	u.DateCreated, u.LockedUntil = fromNanos(created), fromNanos(lockedUntil)
	return u, nil
}

func (t *tx) User(ctx context.Context, tenant, st, id string) (store.User, error) {
	if err := t.check(false); err != nil {
		return store.User{}, err
	}
	return t.user(ctx, t.st.userByID, tenant, st, id)
}

func (t *tx) UserByExternalID(ctx context.Context, tenant, st, externalID string) (store.User, error) {
	if err := t.check(false); err != nil {
		return store.User{}, err
	}
	return t.user(ctx, t.st.userByExternalID, tenant, st, externalID)
}

// user finds a user with by (userByID or userByExternalID), reporting the first
// missing link of tenant -> store -> user.
// Users by id go through the row cache.
func (t *tx) user(ctx context.Context, by *sql.Stmt, tenant, st, value string) (store.User, error) {
	byID := by == t.st.userByID
	k := rowKey{tenant, st, value}
	if byID {
		if u, ok := t.cachedUser(k); ok {
			if err := t.ended(ctx); err != nil {
				return store.User{}, wrap("get user", err)
			}
			return u, nil
		}
	}
	u, err := scanUser(t.queryRow(ctx, by, tenant, st, value), tenant, st)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := t.identityStore(ctx, tenant, st); err != nil {
			return store.User{}, err
		}
		return store.User{}, store.ErrUserNotFound
	case err != nil:
		return store.User{}, wrap("get user", err)
	}
	if byID {
		t.fillUser(k, u)
	}
	return u, nil
}

func (t *tx) CreateUser(ctx context.Context, u store.User) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if _, err := t.identityStore(ctx, u.Tenant, u.Store); err != nil {
		return err
	}
	if ok, err := t.exists(ctx, "get user", t.st.userCountByID, u.Tenant, u.Store, u.ID); err != nil {
		return err
	} else if ok {
		return store.ErrUserExists
	}
	if ok, err := t.exists(ctx, "get user", t.st.userCountByExternalID, u.Tenant, u.Store, u.ExternalID); err != nil {
		return err
	} else if ok {
		return store.ErrExternalIDTaken
	}
	_, err := t.exec(ctx, t.st.userInsert, u.Tenant, u.Store, u.ID, u.ExternalID, string(u.Status), nanos(u.DateCreated), u.FailedAttempts, nanos(u.LockedUntil))
	if err != nil {
		return wrap("create user", err)
	}
	return nil
}

// UpdateUser is a tracked write: the row it writes becomes the pending one.
func (t *tx) UpdateUser(ctx context.Context, u store.User) error {
	if err := t.checkTracked(true); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	old, err := t.user(ctx, t.st.userByID, u.Tenant, u.Store, u.ID)
	if err != nil {
		return err
	}
	if old.ExternalID != u.ExternalID {
		if ok, err := t.exists(ctx, "get user", t.st.userCountByExternalID, u.Tenant, u.Store, u.ExternalID); err != nil {
			return err
		} else if ok {
			return store.ErrExternalIDTaken
		}
	}
	_, err = t.exec(ctx, t.st.userUpdate, u.ExternalID, string(u.Status), nanos(u.DateCreated), u.FailedAttempts, nanos(u.LockedUntil), u.Tenant, u.Store, u.ID)
	if err != nil {
		return wrap("update user", err)
	}
	t.fillUser(rowKey{u.Tenant, u.Store, u.ID}, storedUser(u))
	return nil
}

func (t *tx) Credential(ctx context.Context, tenant, st, userID string) (store.Credential, error) {
	if err := t.check(false); err != nil {
		return store.Credential{}, err
	}
	c := store.Credential{Tenant: tenant, Store: st, UserID: userID}
	var nonce []byte
	rk := rowKey{tenant, st, userID}
	if r, ok := t.cachedCredential(rk); ok {
		if err := t.ended(ctx); err != nil {
			return store.Credential{}, wrap("get credential", err)
		}
		c.Identity, c.Salt, c.Verifier, c.Version, nonce = r.identity, cloneBytes(r.salt), cloneBytes(r.verifier), r.version, r.nonce
	} else {
		err := t.queryRow(ctx, t.st.credentialGet, tenant, st, userID).Scan(&c.Identity, &c.Salt, &c.Verifier, &c.Version, &nonce)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := t.user(ctx, t.st.userByID, tenant, st, userID); err != nil {
				return store.Credential{}, err
			}
			return store.Credential{}, store.ErrCredentialNotFound
		case err != nil:
			return store.Credential{}, wrap("get credential", err)
		}
		t.fillCredential(rk, cloneCredentialRow(credentialRow{identity: c.Identity, salt: c.Salt, verifier: c.Verifier, version: c.Version, nonce: nonce}))
	}
	h, err := t.history(ctx, credentialKey{tenant, st, userID}, nonce, c.Version)
	if err != nil {
		return store.Credential{}, err
	}
	c.History = cloneVerifiers(h.verifiers)
	return c, nil
}

// history returns the stored history of credential k, which has nonce and version:
// from the cache if it holds that history, else from the rows (and then cached).
// The verifiers may be the cache's: copy them before handing them out.
func (t *tx) history(ctx context.Context, k credentialKey, nonce []byte, version int64) (storedHistory, error) {
	if h, ok := t.cache.get(k, nonce, version); ok {
		return h, nil
	}
	rows, err := t.query(ctx, t.st.historyList, k.tenant, k.store, k.userID)
	if err != nil {
		return storedHistory{}, wrap("get credential history", err)
	}
	defer rows.Close()
	var h storedHistory
	for rows.Next() {
		var seq int64
		var v []byte
		if err := rows.Scan(&seq, &v); err != nil {
			return storedHistory{}, wrap("get credential history", err)
		}
		h.top = max(h.top, seq)
		h.verifiers = append(h.verifiers, v)
	}
	if err := rows.Err(); err != nil {
		return storedHistory{}, wrap("get credential history", err)
	}
	t.remember(k, nonce, version, h)
	return h, nil
}

// remember caches h as the history of credential k at nonce and version: at once in
// a View, which sees committed data only, and in an Update once it has committed.
func (t *tx) remember(k credentialKey, nonce []byte, version int64, h storedHistory) {
	e := cachedHistory{nonce: string(nonce), version: version, history: h}
	if !t.write {
		t.cache.put(k, e)
		return
	}
	t.pending = append(t.pending, pendingHistory{key: k, entry: e})
}

func (t *tx) CreateCredential(ctx context.Context, c store.Credential) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := t.user(ctx, t.st.userByID, c.Tenant, c.Store, c.UserID); err != nil {
		return err
	}
	if ok, err := t.exists(ctx, "get credential", t.st.credentialCount, c.Tenant, c.Store, c.UserID); err != nil {
		return err
	} else if ok {
		return store.ErrCredentialExists
	}
	return t.atomic(ctx, func() error {
		if _, err := t.exec(ctx, t.st.credentialInsert, c.Tenant, c.Store, c.UserID, c.Identity, c.Salt, c.Verifier, c.Version); err != nil {
			return wrap("create credential", err)
		}
		return t.putHistory(ctx, c)
	})
}

// UpdateCredential writes c's history as one appended row when c.History is the
// stored history with the stored verifier pushed on top (what store.Credential.Renewed
// makes, so every renewal), dropping the rows beyond store.MaxHistory; any other
// history is written in full. Either way the stored history afterwards is
// c.History trimmed to store.MaxHistory.
//
// It is a tracked write: the row it writes becomes the pending one.
func (t *tx) UpdateCredential(ctx context.Context, c store.Credential) error {
	if err := t.checkTracked(true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	var identity string
	var verifier, nonce []byte
	var version int64
	rk := rowKey{c.Tenant, c.Store, c.UserID}
	if r, ok := t.cachedCredential(rk); ok {
		if err := t.ended(ctx); err != nil {
			return wrap("get credential", err)
		}
		// Shared with the cache, and only read here.
		identity, verifier, version, nonce = r.identity, r.verifier, r.version, r.nonce
	} else {
		err := t.queryRow(ctx, t.st.credentialHead, c.Tenant, c.Store, c.UserID).Scan(&identity, &verifier, &version, &nonce)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrCredentialNotFound
		case err != nil:
			return wrap("get credential", err)
		}
	}
	if identity != c.Identity || version != c.Version-1 {
		return store.ErrVersionConflict
	}
	k := credentialKey{c.Tenant, c.Store, c.UserID}
	old, err := t.history(ctx, k, nonce, version)
	if err != nil {
		return err
	}
	written := storedHistory{verifiers: cloneVerifiers(c.History[:min(len(c.History), store.MaxHistory)])}
	err = t.atomic(ctx, func() error {
		// Identity and version in the WHERE clause make the database itself the last
		// word on the compare-and-set above, whatever the head was read from.
		res, err := t.exec(ctx, t.st.credentialUpdate, c.Salt, c.Verifier, c.Version,
			c.Tenant, c.Store, c.UserID, c.Identity, c.Version-1)
		if err != nil {
			return wrap("update credential", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrap("update credential", err)
		} else if n != 1 {
			return store.ErrVersionConflict
		}
		if !pushed(c.History, verifier, old.verifiers) {
			if _, err := t.exec(ctx, t.st.historyDeleteAll, c.Tenant, c.Store, c.UserID); err != nil {
				return wrap("put credential history", err)
			}
			written.top = int64(len(written.verifiers))
			return t.putHistory(ctx, c)
		}
		written.top = old.top + 1
		if _, err := t.exec(ctx, t.st.historyInsert, c.Tenant, c.Store, c.UserID, written.top, verifier); err != nil {
			return wrap("append credential history", err)
		}
		// With the new row, the oldest stored entries may be beyond the cap.
		if len(old.verifiers) >= store.MaxHistory {
			if _, err := t.exec(ctx, t.st.historyTrim, c.Tenant, c.Store, c.UserID); err != nil {
				return wrap("trim credential history", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.remember(k, nonce, c.Version, written)
	t.fillCredential(rk, cloneCredentialRow(credentialRow{identity: identity, salt: c.Salt, verifier: c.Verifier, version: c.Version, nonce: nonce}))
	return nil
}

// pushed reports whether history, trimmed to store.MaxHistory, is the stored history
// old with the stored verifier pushed on top and the oldest entries dropped beyond
// the cap: then appending one row gives the same stored history as a rewrite.
// Verifiers are compared in constant time, like every other comparison of them.
func pushed(history [][]byte, verifier []byte, old [][]byte) bool {
	history = history[:min(len(history), store.MaxHistory)]
	if len(history) == 0 || len(history)-1 != min(len(old), store.MaxHistory-1) {
		return false
	}
	same := subtle.ConstantTimeCompare(history[0], verifier)
	for i, h := range history[1:] {
		same &= subtle.ConstantTimeCompare(h, old[i])
	}
	return same == 1
}

// putHistory inserts c.History, trimmed to store.MaxHistory, for a credential that
// has no history rows: seq runs from 1 for the oldest up to the entry count.
func (t *tx) putHistory(ctx context.Context, c store.Credential) error {
	h := c.History[:min(len(c.History), store.MaxHistory)]
	for i, v := range h {
		if _, err := t.exec(ctx, t.st.historyInsert, c.Tenant, c.Store, c.UserID, len(h)-i, v); err != nil {
			return wrap("put credential history", err)
		}
	}
	return nil
}

func (t *tx) DeleteCredential(ctx context.Context, tenant, st, userID string) error {
	if err := t.check(true); err != nil {
		return err
	}
	return t.atomic(ctx, func() error {
		// The history goes first and explicitly, not only through the cascade.
		if _, err := t.exec(ctx, t.st.historyDeleteAll, tenant, st, userID); err != nil {
			return wrap("delete credential history", err)
		}
		res, err := t.exec(ctx, t.st.credentialDelete, tenant, st, userID)
		if err != nil {
			return wrap("delete credential", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return wrap("delete credential", err)
		} else if n == 0 {
			return store.ErrCredentialNotFound
		}
		return nil
	})
}

func (t *tx) OAuthClient(ctx context.Context, id string) (store.OAuthClient, error) {
	if err := t.check(false); err != nil {
		return store.OAuthClient{}, err
	}
	c := store.OAuthClient{ID: id}
	var perms []byte
	var tokenNs int64
	err := t.queryRow(ctx, t.st.clientGet, id).Scan(&c.SecretHash, &c.Tenant, &perms, &tokenNs)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.OAuthClient{}, store.ErrClientNotFound
	case err != nil:
		return store.OAuthClient{}, wrap("get oauth client", err)
	}
	if err := json.Unmarshal(perms, &c.Permissions); err != nil {
		return store.OAuthClient{}, wrap("decode oauth client", err)
	}
	c.TokenTTL = time.Duration(tokenNs)
	return c, nil
}

func (t *tx) PutOAuthClient(ctx context.Context, c store.OAuthClient) error {
	if err := t.check(true); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if _, err := t.Tenant(ctx, c.Tenant); err != nil {
		return err
	}
	perms, err := json.Marshal(c.Permissions)
	if err != nil {
		return wrap("encode oauth client", err)
	}
	_, err = t.exec(ctx, t.st.clientPut, c.ID, c.SecretHash, c.Tenant, string(perms), int64(c.TokenTTL))
	if err != nil {
		return wrap("put oauth client", err)
	}
	return nil
}
