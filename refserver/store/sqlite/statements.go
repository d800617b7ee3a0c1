package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/seedb14f67b8/renewkit/refserver/store"
)

// statements is every statement a transaction runs, prepared once at Open on a pool.
// Parsing and planning a statement costs more than running these small ones, and a
// renewal runs a few dozen, so they are never prepared per call: a transaction binds
// one with sql.Tx.StmtContext, which reuses the statement already prepared on the
// transaction's connection (database/sql prepares it there on first use and keeps it
// for the connection's life). Preparing at Open rather than on first use matters: a
// lazy DB.Prepare from inside an Update would wait for the write pool's only
// connection, which that Update holds.
//
// Every statement is one SQL statement with bound parameters only, so no value ever
// becomes SQL text.
type statements struct {
	tenantCount, tenantPut *sql.Stmt

	storeGet, storePut *sql.Stmt

	policyGet, policyList, policyCount, policyInsert, policyUpdate, policyDelete *sql.Stmt

	userByID, userByExternalID, userCountByID, userCountByExternalID, userInsert, userUpdate *sql.Stmt

	credentialGet, credentialCount, credentialHead, credentialInsert, credentialUpdate, credentialDelete *sql.Stmt

	historyList, historyInsert, historyTrim, historyDeleteAll *sql.Stmt

	// sessionInsert writes the sessions at Close; they live in memory until then.
	sessionInsert *sql.Stmt

	clientGet, clientPut *sql.Stmt

	// savepoint, rollbackTo and release make one write method atomic (tx.atomic).
	savepoint, rollbackTo, release *sql.Stmt

	ping *sql.Stmt

	all []*sql.Stmt // for close
}

const userColumns = "id, external_id, status, date_created, failed_attempts, locked_until"

const sessionColumns = `id, flow, tenant, store, user_id, policy, identity, salt, credential_version,
	server_secret, server_public, created_at, expires_at`

// prepare prepares every statement on db.
func prepare(ctx context.Context, db *sql.DB) (*statements, error) {
	s := &statements{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.tenantCount, "SELECT COUNT(*) FROM tenants WHERE id = ?"},
		// Never INSERT OR REPLACE: a replace deletes, and the delete would cascade.
		{&s.tenantPut, "INSERT INTO tenants (id) VALUES (?) ON CONFLICT (id) DO NOTHING"},

		{&s.storeGet, "SELECT max_failed_attempts, lock_duration_ns, session_ttl_ns FROM identity_stores WHERE tenant = ? AND name = ?"},
		{&s.storePut, `INSERT INTO identity_stores (tenant, name, max_failed_attempts, lock_duration_ns, session_ttl_ns)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant, name) DO UPDATE SET
				max_failed_attempts = excluded.max_failed_attempts,
				lock_duration_ns = excluded.lock_duration_ns,
				session_ttl_ns = excluded.session_ttl_ns`},

		{&s.policyGet, "SELECT requirements FROM policies WHERE tenant = ? AND store = ? AND name = ?"},
		{&s.policyList, "SELECT name, requirements FROM policies WHERE tenant = ? AND store = ? ORDER BY name"},
		{&s.policyCount, "SELECT COUNT(*) FROM policies WHERE tenant = ? AND store = ? AND name = ?"},
		{&s.policyInsert, "INSERT INTO policies (tenant, store, name, requirements) VALUES (?, ?, ?, ?)"},
		{&s.policyUpdate, "UPDATE policies SET requirements = ? WHERE tenant = ? AND store = ? AND name = ?"},
		{&s.policyDelete, "DELETE FROM policies WHERE tenant = ? AND store = ? AND name = ?"},

		{&s.userByID, "SELECT " + userColumns + " FROM users WHERE tenant = ? AND store = ? AND id = ?"},
		{&s.userByExternalID, "SELECT " + userColumns + " FROM users WHERE tenant = ? AND store = ? AND external_id = ?"},
		{&s.userCountByID, "SELECT COUNT(*) FROM users WHERE tenant = ? AND store = ? AND id = ?"},
		{&s.userCountByExternalID, "SELECT COUNT(*) FROM users WHERE tenant = ? AND store = ? AND external_id = ?"},
		{&s.userInsert, "INSERT INTO users (tenant, store, " + userColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"},
		{&s.userUpdate, `UPDATE users SET external_id = ?, status = ?, date_created = ?, failed_attempts = ?, locked_until = ?
			WHERE tenant = ? AND store = ? AND id = ?`},

		{&s.credentialGet, "SELECT identity, salt, verifier, version, nonce FROM credentials WHERE tenant = ? AND store = ? AND user_id = ?"},
		{&s.credentialCount, "SELECT COUNT(*) FROM credentials WHERE tenant = ? AND store = ? AND user_id = ?"},
		{&s.credentialHead, "SELECT identity, verifier, version, nonce FROM credentials WHERE tenant = ? AND store = ? AND user_id = ?"},
		// Every new credential gets a new nonce (see historyCache).
		{&s.credentialInsert, `INSERT INTO credentials (tenant, store, user_id, identity, salt, verifier, version, nonce)
			VALUES (?, ?, ?, ?, ?, ?, ?, randomblob(16))`},
		{&s.credentialUpdate, "UPDATE credentials SET salt = ?, verifier = ?, version = ? WHERE tenant = ? AND store = ? AND user_id = ? AND identity = ? AND version = ?"},
		{&s.credentialDelete, "DELETE FROM credentials WHERE tenant = ? AND store = ? AND user_id = ?"},

		// Most recent first; the LIMIT only guards against rows a bug left behind.
		{&s.historyList, "SELECT seq, verifier FROM credential_history WHERE tenant = ? AND store = ? AND user_id = ? ORDER BY seq DESC LIMIT " +
			strconv.Itoa(store.MaxHistory)},
		{&s.historyInsert, "INSERT INTO credential_history (tenant, store, user_id, seq, verifier) VALUES (?, ?, ?, ?, ?)"},
		// Keeps the MaxHistory most recent rows: deletes those below the
		// MaxHistory-th highest seq (none when there are fewer).
		{&s.historyTrim, `DELETE FROM credential_history WHERE tenant = ?1 AND store = ?2 AND user_id = ?3 AND seq <
			(SELECT seq FROM credential_history WHERE tenant = ?1 AND store = ?2 AND user_id = ?3
				ORDER BY seq DESC LIMIT 1 OFFSET ` + strconv.Itoa(store.MaxHistory-1) + ")"},
		{&s.historyDeleteAll, "DELETE FROM credential_history WHERE tenant = ? AND store = ? AND user_id = ?"},

		{&s.sessionInsert, "INSERT INTO sessions (" + sessionColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},

		{&s.clientGet, "SELECT secret_hash, tenant, permissions, token_ttl_ns FROM oauth_clients WHERE id = ?"},
		{&s.clientPut, `INSERT INTO oauth_clients (id, secret_hash, tenant, permissions, token_ttl_ns) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, tenant = excluded.tenant,
				permissions = excluded.permissions, token_ttl_ns = excluded.token_ttl_ns`},

		{&s.savepoint, "SAVEPOINT method"},
		{&s.rollbackTo, "ROLLBACK TO method"},
		{&s.release, "RELEASE method"},

		{&s.ping, "SELECT 1"},
	} {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.dst = st
		s.all = append(s.all, st)
	}
	return s, nil
}

// close closes every prepared statement.
func (s *statements) close() error {
	var errs []error
	for _, st := range s.all {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}
