// Package sqlite is a store.Store on SQLite through the pure-Go modernc.org/sqlite
// driver, so the reference server keeps its users and credentials across restarts,
// and its sessions across clean ones, without cgo.
//
// The database runs in WAL mode with foreign keys on and a busy timeout. All writes go
// through one connection whose transactions begin IMMEDIATE (at an Update's first
// statement): SQLite has a single writer anyway, and queueing Updates on that
// connection inside the process means they serialize without SQLITE_BUSY, so
// read-modify-write inside an Update is a compare-and-set. A View runs on that
// connection too when no Update holds it, since its page cache is current, and
// otherwise on a separate pool of read-only connections (each of which drops its
// whole page cache whenever the database changed since its last transaction); either
// way it sees a consistent WAL snapshot. An in-memory database (":memory:") lives on
// the one connection, shared by Views and Updates.
//
// The schema is versioned: numbered files in migrations/ are applied in order, each in
// its own transaction, and recorded in schema_migrations, so Open is idempotent and an
// old database is brought up to date.
//
// No SQL error, log line or returned error carries a verifier, salt, session secret or
// secret hash: those are bound as parameters and never formatted into text.
//
// # Row cache
//
// The keyed reads a renewal repeats, IdentityStore, User (by id; UserByExternalID is
// not cached), Policy and the credentials row behind Credential and UpdateCredential
// (its history comes from the history cache, cache.go), are served from memory when
// the row cache (rowcache.go) holds the row. The cache holds the latest committed rows and
// is the database's answer because every write goes through this process's writer:
// only a transaction holding the writer slot uses it, an Update or a View on the
// writer, and no commit can happen while one runs. A View on the read pool never
// reads or fills it, since its snapshot may be older than the cache. Inside an
// Update, UpdateUser and UpdateCredential record the rows they wrote, which the
// Update reads first; any other write makes the Update read only the database and
// clears the whole cache when it commits. Rows read from the database fill the cache
// at once in a View on the writer, and in an Update only once it has committed (and
// synced); a failed Update adds nothing, and a failed commit or sync clears the
// cache. Only rows found are cached, misses go to the database with their errors, a
// read that hits still fails once its context has ended, and every value returned is
// a copy. So a consume Update that finds its rows cached runs no SQL at all. Each
// kind holds at most rowCacheSize rows. This assumes one process per database file
// (as the sessions do, see Durability): another process's change to a row this one has
// cached, an operator's edit with the sqlite3 shell included, is not seen until a
// restart. Should a stale head slip through anyway, the credential UPDATE names the
// identity and version it replaces, so the database refuses it (ErrVersionConflict).
//
// # Durability
//
// An Update that writes to the database (credentials, users, policies, stores,
// tenants, OAuth clients) is on stable storage before Update returns, as under
// synchronous=FULL: SPEC section 7 says no acknowledged renewal is ever lost, and a
// lost failure count would hand out free guesses. The connection runs at
// synchronous=NORMAL and the store syncs the WAL file itself after each commit that
// wrote; a commit of statements that only read writes nothing and is not synced.
// So it syncs exactly the commits FULL would, only after the commit rather than
// before it (see below).
//
// Sessions are not in the database while it is open. They live in the Store's
// memory, in a memory.Sessions behind Store.Sessions (sessions.go), apart from every
// transaction: a start's put and a completion's take run no SQL at all. Losing them
// all to a crash is acceptable: a client in flight gets SESSION_NOT_FOUND and starts
// again, as it must after a crash anyway, and a taken session can never come back,
// so single use (SPEC section 7), which limits a session to one proof check and
// keeps a captured completion from being replayed, holds across a crash too. A put
// returns only once every commit made before it is on disk (a start's session is
// built on what its View read), and after a failed sync puts, takes and purges fail
// as Updates do.
//
// The lockout attempts in flight (ReserveAttempt, attempts.go) live in memory too,
// but inside the transactions: an Update's reservations and releases take effect
// when it commits, so a counted failure and the release of its reservation become
// visible together. They are never written: a restart ends every completion, and
// with it every reservation.
//
// A clean Close first closes the sessions, so none can be put or taken any more,
// then writes every session they held (expired ones a purge has not removed too:
// the store has no clock, its callers judge expiry) to the sessions table, in the
// synced transaction that also marks the database closed; Open marks it open in a
// synced transaction too (both in the lifecycle table, 0003_lifecycle.sql). Open,
// finding the closed mark, reads the sessions back into memory and empties the
// table in that transaction. An open mark found by Open means the last process did
// not close the database (a crash, a kill, a power cut): Open then empties the table
// without reading it (only a database last used by a version of this package that
// kept sessions in the table can have rows there). So sessions survive a clean
// restart and never a crash. This assumes one process uses the database file at a
// time: its sessions are in its memory alone, and a second process would find the
// file marked open.
//
// A durable commit is visible to other transactions of this process for the moment
// between the commit and its sync (under FULL it is not), but no caller is told of
// it before the sync: its Update waits for a sync that began after the commit, and
// every other Update (and session put) waits, before it returns, for the syncs of
// the commits made before it began, so nothing built on a commit is acknowledged
// before the commit is on disk (a View can read it, which is harmless: a crash in
// that moment only undoes a change no one acknowledged). Syncs are shared (group
// commit, groupsync.go): the writer connection is handed on at the commit, and one
// sync covers every commit made before it began, so concurrent Updates pay about two
// syncs per burst rather than one each. If that sync fails, the commit's frames stay
// in the WAL (FULL syncs before committing, so it leaves none), and should they
// never reach the disk, recovery would stop at them and drop every later commit: so
// after a failed sync the store takes no more writes, session changes included, and
// Ping fails, until a restart.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/store/memory"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// MemoryDSN opens a private in-memory database that lives until Close.
const MemoryDSN = ":memory:"

// DefaultBusyTimeout is how long a connection waits for a lock another process holds.
const DefaultBusyTimeout = 10 * time.Second

// DefaultReaders is the size of the read-only connection pool of a file database.
const DefaultReaders = 4

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store on one SQLite database. Create it with Open.
type Store struct {
	write *sql.DB // exactly one connection: writer
	// writer is write's connection, held for the Store's life; writerSlot is held by
	// whichever Update or View uses it (a buffered channel, so that waiting for it
	// heeds the context).
	writer     *sql.Conn
	writerSlot chan struct{}
	read       *sql.DB // read-only pool; nil for an in-memory database
	writeSt    *statements
	readSt     *statements // nil for an in-memory database
	cache      *historyCache
	rows       *rowCache
	sessions   *memory.Sessions
	attempts   *attempts
	counters   *testCounters // nil but in tests
	// syncWAL makes every commit so far durable; nil for an in-memory database.
	syncWAL func() error
	// group makes durable commits durable in groups, with syncWAL.
	group *groupSync
	// syncErr holds the first failed sync, after which the store takes no writes.
	syncErr atomic.Pointer[error]

	// life is held shared by each View and Update and exclusively by Close, which
	// thereby waits for those in flight and makes later ones fail: nothing may commit
	// after Close has marked the database closed.
	life      sync.RWMutex
	closing   bool
	closeOnce sync.Once
	closeErr  error
}

// errClosed is returned by View and Update after Close.
var errClosed = errors.New("sqlite: store is closed")

var _ store.Store = (*Store)(nil)

// Sessions implements store.Store. The sessions live in memory (package comment,
// Durability).
func (s *Store) Sessions() store.Sessions { return sessionStore{s} }

// Open opens (creating if need be) the database at dsn, a file path or MemoryDSN, and
// brings its schema up to date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" || strings.ContainsRune(dsn, '?') {
		return nil, errors.New("sqlite: dsn must be a file path or the memory dsn")
	}
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", DefaultBusyTimeout.Milliseconds())
	if dsn == MemoryDSN {
		db, err := openDB(dsn+"?"+busy+"&_pragma=foreign_keys(1)&_txlock=immediate", 1)
		if err != nil {
			return nil, err
		}
		if err := migrate(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		s := &Store{write: db, cache: newHistoryCache(), rows: newRowCache(), sessions: memory.NewSessions(),
			attempts: newAttempts()}
		s.group = newGroupSync(func() error { return s.syncWAL() })
		if s.writeSt, err = prepare(ctx, db); err == nil {
			err = s.holdWriter(ctx)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	// synchronous(NORMAL), and Update syncs durable commits itself: see Durability
	// in the package comment.
	write, err := openDB(dsn+"?"+busy+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	wal, err := walPath(ctx, write)
	if err != nil {
		write.Close()
		return nil, err
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openDB(dsn+"?"+busy+"&_pragma=foreign_keys(1)&_pragma=query_only(1)", DefaultReaders)
	if err != nil {
		write.Close()
		return nil, err
	}
	// Until markOpen has run, syncWAL stays nil, so a failing Open's Close does not
	// mark the database closed.
	s := &Store{write: write, read: read, cache: newHistoryCache(), rows: newRowCache(), sessions: memory.NewSessions(),
		attempts: newAttempts()}
	s.group = newGroupSync(func() error { return s.syncWAL() })
	if s.writeSt, err = prepare(ctx, write); err == nil {
		s.readSt, err = prepare(ctx, read)
	}
	if err == nil {
		err = s.holdWriter(ctx)
	}
	if err == nil {
		err = s.markOpen(ctx, func() error { return syncFile(wal) })
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openDB opens a pool of at most conns connections that are never recycled (an
// in-memory database dies with its connection).
func openDB(dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// holdWriter takes the write pool's one connection for the Store's life. Statements
// prepared on the pool before are found again on it by Tx.StmtContext.
func (s *Store) holdWriter(ctx context.Context) error {
	c, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: write connection: %w", err)
	}
	s.writer, s.writerSlot = c, make(chan struct{}, 1)
	return nil
}

// takeWriter waits for the writer connection as long as ctx allows; give it back
// with releaseWriter.
func (s *Store) takeWriter(ctx context.Context) error {
	select {
	case s.writerSlot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tryWriter takes the writer connection if nobody holds it.
func (s *Store) tryWriter() bool {
	select {
	case s.writerSlot <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *Store) releaseWriter() { <-s.writerSlot }

// View implements store.Store. It runs on the writer connection if no Update holds
// it (its page cache is current: a pooled reader's is dropped after every write), else
// on the read-only pool.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closing {
		return errClosed
	}
	onWriter := s.read == nil // an in-memory database has the writer only
	if onWriter {
		if err := s.takeWriter(ctx); err != nil {
			return err
		}
	} else {
		onWriter = s.tryWriter()
	}
	if onWriter {
		defer s.releaseWriter()
	}
	// ReadOnly makes the driver begin a deferred transaction, not the IMMEDIATE of an
	// Update, so a View on the writer takes no write lock; tx refuses writes anyway.
	t := &tx{ctx: ctx, opts: &sql.TxOptions{ReadOnly: true}, cache: s.cache, attempts: s.attempts, counters: s.counters}
	if onWriter {
		// Only here, holding the writer slot, may a View use the row cache.
		t.conn, t.st, t.rows, t.onWriter = s.writer, s.writeSt, s.rows, true
	} else {
		t.conn, t.st = s.read, s.readSt
	}
	defer func() {
		t.done = true
		if t.sqlTx != nil {
			// A read-only transaction has nothing to commit; ending it releases the snapshot.
			_ = t.sqlTx.Rollback()
		}
	}()
	return fn(t)
}

// Update implements store.Store. An Update that wrote to the database is on stable
// storage when it returns nil, and so is every commit before it; its changes to the
// attempts in flight take effect at its commit (package comment, Durability).
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closing {
		return errClosed
	}
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

// update runs fn in a write transaction, commits it, applies fn's changes to the
// attempts in flight and hands the writer on; then, if fn made it durable, it waits for a sync that
// covers the commit (group commit: Updates that commit meanwhile share it), and
// otherwise for the last commit before it began, which it may have read. Close
// uses it directly, after it has refused further Updates.
func (s *Store) update(ctx context.Context, fn func(*tx) error) error {
	// The writer is held until the commit and its changes to the attempts are made,
	// so every Update sees the attempts as the last one left them, but not through
	// the sync: Updates that commit while it runs are made durable by the next one.
	if err := s.takeWriter(ctx); err != nil {
		return err
	}
	held := true
	release := func() {
		if held {
			held = false
			s.releaseWriter()
		}
	}
	defer release()
	if err := s.failedSync(); err != nil {
		return err
	}
	// Every commit before this Update must be on disk before it is acknowledged:
	// it may have read one.
	seq := s.group.last()
	// The SQL transaction begins with fn's first statement (tx.begin), IMMEDIATE as
	// the writer's DSN asks: an Update that touches only the attempts in flight
	// never begins one.
	t := &tx{ctx: ctx, conn: s.writer, onWriter: true, st: s.writeSt, write: true, cache: s.cache, rows: s.rows,
		attempts: s.attempts, counters: s.counters}
	committed := false
	defer func() {
		t.done = true
		if !committed && t.sqlTx != nil {
			// Runs on error and on panic alike; the panic then goes on up.
			_ = t.sqlTx.Rollback()
		}
	}()
	if err := fn(t); err != nil {
		return err
	}
	// The SQL transaction runs detached from ctx (tx.begin), so an ended ctx is
	// refused here, as Commit would refuse it under ctx, and the deferred Rollback
	// undoes the transaction.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	if t.sqlTx != nil {
		if err := t.sqlTx.Commit(); err != nil {
			// Whether anything reached the database is unknown: the row cache
			// forgets all rather than guess.
			s.rows.clear()
			return fmt.Errorf("sqlite: commit: %w", err)
		}
	}
	committed = true
	if t.durable {
		seq = s.group.committed()
	}
	for _, p := range t.pending {
		s.cache.put(p.key, p.entry)
	}
	// The row cache follows the commit: its reads and tracked writes, or, after any
	// other write, nothing (see Row cache in the package comment).
	if t.untracked {
		s.rows.clear()
	} else {
		s.rows.apply(t.pendingRows)
	}
	s.attempts.apply(t.attemptDelta)
	release()
	return s.durable(seq)
}

// durable waits until commit seq, and every commit before it, is on disk (nothing
// to wait for without a file, or before the first commit). A failed sync fails it,
// and the store with it.
func (s *Store) durable(seq uint64) error {
	if s.syncWAL == nil || seq == 0 {
		return nil
	}
	if err := s.group.wait(seq); err != nil {
		// The commit is in the WAL but perhaps not on disk: the caller must not
		// report success, though the change may survive. And nothing may be
		// acknowledged after it: its frames stay in the WAL, and if they never
		// reached the disk, recovery after a crash stops at them and drops every
		// later commit, synced or not (SQLite's own FULL sync comes before the
		// commit and so leaves nothing behind). So the store fails stop: every
		// later Update fails, and Ping too, until a restart recovers the WAL; the
		// commits that share the failed sync fail with it.
		err = fmt.Errorf("sqlite: sync failed, no more writes until restart: %w", err)
		s.syncErr.CompareAndSwap(nil, &err)
		// The commit is visible to Views, so the row cache must not keep the rows
		// it replaced.
		s.rows.clear()
		return err
	}
	return nil
}

// Ping implements store.Store: it runs a query in a View, which proves a connection
// to the database works. After a failed sync it fails like every Update.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.failedSync(); err != nil {
		return err
	}
	err := s.View(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		var one int
		return t.queryRow(ctx, t.st.ping).Scan(&one)
	})
	if err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// failedSync returns the error of the sync that failed, if one did.
func (s *Store) failedSync() error {
	if p := s.syncErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Close implements store.Store. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// The sessions first: from here on none can be put or taken, so those
		// held now are the ones to keep. Sessions may be called inside an Update,
		// which holds life: they must be refused before Close waits for it.
		held := s.sessions.Close()
		s.life.Lock()
		s.closing = true
		s.life.Unlock()
		var errs []error
		if s.syncWAL != nil {
			// No Update is in flight or can start: nothing commits after this mark.
			errs = append(errs, s.markClosed(context.Background(), held))
		}
		if s.writer != nil {
			errs = append(errs, s.writer.Close())
		}
		// Statements next: each holds a prepared statement on connections of its pool.
		if s.readSt != nil {
			errs = append(errs, s.readSt.close())
		}
		if s.writeSt != nil {
			errs = append(errs, s.writeSt.close())
		}
		if s.read != nil {
			errs = append(errs, s.read.Close())
		}
		errs = append(errs, s.write.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

// migration is one numbered schema file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded schema files ordered by version. Versions must
// run 1, 2, 3... without gaps or repeats, so a misnamed file fails loudly.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("sqlite: migration %q: name must start with a version number and _", e.Name())
		}
		b, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sqlite: read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migration %q: version %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations db lacks, each in its own write transaction (which,
// beginning IMMEDIATE, also keeps two processes from applying the same one).
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	var newest int
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if newest > len(ms) {
		return fmt.Errorf("sqlite: database schema version %d is newer than this program's %d", newest, len(ms))
	}
	for _, m := range ms {
		if err := apply(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration unless schema_migrations already records it.
func apply(ctx context.Context, db *sql.DB, m migration) error {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migration %s: begin: %w", m.name, err)
	}
	defer t.Rollback()
	var n int
	if err := t.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if _, err := t.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("sqlite: migration %s: record: %w", m.name, err)
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlite: migration %s: commit: %w", m.name, err)
	}
	return nil
}
