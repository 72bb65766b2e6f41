/*
 * migrations.c - Parkline's schema, as one ordered list of versioned
 * migrations, and the runner that applies the pending ones on either
 * engine (NOTES ON THE DESIGN 5 in store.c).
 *
 * HOW TO ADD A MIGRATION (later modules: desk, trace, line, park, ...):
 * append one entry to `migrations` below with the next version number and
 * a short name, e.g.
 *     { 2, "desk", DESK_SQL, NULL, NULL },
 * defining its SQL as a string constant above the table, next to the
 * others. Rules that keep both engines and old databases working:
 *   - never edit, renumber or reorder an entry that has shipped: databases
 *     in the field already recorded it; fix mistakes with a new entry;
 *   - write `sql` in the subset both engines accept (TEXT ids and times,
 *     INTEGER 0/1 booleans, BIGINT, DOUBLE PRECISION, BLOB is bytea on
 *     PostgreSQL so put blob columns in sqlite_sql/pg_sql pairs);
 *   - put engine-specific DDL (triggers, functions) in sqlite_sql and
 *     pg_sql; both run in the same transaction as `sql`;
 *   - name every index and trigger <table>_<what> so names never clash.
 * The runner refuses a list whose versions are not 1, 2, 3, ... in order.
 */
#include "store/store_int.h"

#include <string.h>

/* Migration 1: the foundation schema every module relies on (tenancy,
 * users, sessions, API tokens, specialist assignments, the audit log). */
static const char M1_SQL[] =
	"CREATE TABLE enterprises ("
	" id TEXT PRIMARY KEY,"
	" name_zh TEXT NOT NULL,"
	" name_en TEXT,"
	" uscc TEXT UNIQUE,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);\n"
	"CREATE TABLE users ("
	" id TEXT PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE,"
	" display_name TEXT NOT NULL,"
	" password_hash TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('park_admin','specialist','department','enterprise','auditor')),"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" department TEXT,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);\n"
	"CREATE INDEX users_enterprise_idx ON users (enterprise_id);\n"
	"CREATE TABLE sessions ("
	" id_hash TEXT PRIMARY KEY,"
	" user_id TEXT NOT NULL REFERENCES users(id),"
	" csrf TEXT NOT NULL,"
	" created_at TEXT NOT NULL,"
	" expires_at TEXT NOT NULL,"
	" last_seen_at TEXT NOT NULL,"
	" ip TEXT,"
	" user_agent TEXT);\n"
	"CREATE INDEX sessions_user_idx ON sessions (user_id);\n"
	"CREATE INDEX sessions_expires_idx ON sessions (expires_at);\n"
	"CREATE TABLE api_tokens ("
	" id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" token_hash TEXT NOT NULL UNIQUE,"
	" user_id TEXT REFERENCES users(id),"
	" role TEXT NOT NULL,"
	" enterprise_id TEXT REFERENCES enterprises(id),"
	" line_id TEXT,"
	" created_by TEXT,"
	" created_at TEXT NOT NULL,"
	" expires_at TEXT,"
	" revoked_at TEXT,"
	" last_used_at TEXT);\n"
	"CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);\n"
	"CREATE INDEX api_tokens_enterprise_idx ON api_tokens (enterprise_id);\n"
	"CREATE TABLE assignments ("
	" id TEXT PRIMARY KEY,"
	" enterprise_id TEXT NOT NULL REFERENCES enterprises(id),"
	" specialist_id TEXT NOT NULL REFERENCES users(id),"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" reason TEXT);\n"
	"CREATE INDEX assignments_enterprise_idx ON assignments (enterprise_id);\n"
	"CREATE INDEX assignments_specialist_idx ON assignments (specialist_id);\n"
	"CREATE TABLE audit_log ("
	" id TEXT PRIMARY KEY,"
	" at TEXT NOT NULL,"
	" actor_id TEXT,"
	" actor_name TEXT,"
	" action TEXT NOT NULL,"
	" entity TEXT,"
	" entity_id TEXT,"
	" enterprise_id TEXT,"
	" before_json TEXT,"
	" after_json TEXT,"
	" request_id TEXT,"
	" ip TEXT);\n"
	"CREATE INDEX audit_log_at_idx ON audit_log (at);\n"
	"CREATE INDEX audit_log_enterprise_at_idx ON audit_log (enterprise_id, at);\n"
	"CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);\n";

/* The audit log is append-only: an UPDATE or DELETE aborts the statement
 * with a trigger error, which the drivers map to PL_EFORBIDDEN. */
static const char M1_SQLITE[] =
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;\n";

static const char M1_PG[] =
	"CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
	" BEGIN RAISE EXCEPTION 'audit_log is append-only'"
	" USING ERRCODE = 'insufficient_privilege'; END $$;\n"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log"
	" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();\n"
	"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
	" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();\n";

static const struct store__migration migrations[] = {
	{ 1, "foundation", M1_SQL, M1_SQLITE, M1_PG },
	/* Append new migrations here: { 2, "name", SQL, SQLITE_SQL, PG_SQL }, */
};

const struct store__migration *store__migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

static const char BOOTSTRAP_SQL[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" applied_at TEXT NOT NULL)";

/* Applies m unless it is already recorded; *did says whether it ran. One
 * transaction: lock, bootstrap, check, DDL, record. */
static int migrate__one(struct store_conn *c, const struct store__migration *m, bool *did)
{
	const struct store_ops *ops = c->st->ops;
	struct store_rows *r = NULL;
	char at[PL_TIME_STRLEN];
	int rc;

	*did = false;
	rc = store_begin(c);
	if (rc)
		return rc;
	if (ops->migrate_lock) {
		rc = ops->migrate_lock(c);
		if (rc)
			goto out;
	}
	rc = ops->script(c, BOOTSTRAP_SQL);
	if (rc)
		goto out;
	struct store_param v[] = { SP_INT(m->version) };
	rc = store_query(c, "SELECT version FROM schema_migrations WHERE version = ?", v,
			 STORE_NP(v), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	store_rows_free(r);
	r = NULL;
	if (rc < 0)
		goto out;
	if (rc == 1) { /* applied earlier, maybe by another process just now */
		rc = 0;
		goto out;
	}
	rc = ops->script(c, m->sql);
	if (rc)
		goto out;
	const char *extra = ops->kind == STORE_SQLITE ? m->sqlite_sql : m->pg_sql;
	if (extra) {
		rc = ops->script(c, extra);
		if (rc)
			goto out;
	}
	pl_time_format(pl_time_now_ms(), at);
	struct store_param p[] = { SP_INT(m->version), SP_TEXT(m->name), SP_TEXT(at) };
	rc = store_exec(c, "INSERT INTO schema_migrations (version, name, applied_at)"
			" VALUES (?, ?, ?)", p, STORE_NP(p), NULL);
	if (rc)
		goto out;
	rc = store_commit(c);
	if (rc == 0) {
		*did = true;
		pl_info(c->st->log, "store", "applied migration %d (%s)", m->version, m->name);
	}
	return rc;
out:
	store_rollback(c);
	if (rc)
		pl_error(c->st->log, "store", "migration %d (%s) failed: %s", m->version,
			 m->name, c->errmsg);
	return rc;
}

int store_migrate(struct store *st, int *applied)
{
	struct store_conn *c = NULL;
	size_t n;
	const struct store__migration *ms = store__migrations(&n);
	int rc, count = 0;

	if (applied)
		*applied = 0;
	for (size_t i = 0; i < n; i++)
		if (ms[i].version != (int)i + 1)
			return PL_EINTERNAL;
	rc = store_conn_get(st, &c);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		bool did = false;
		rc = migrate__one(c, &ms[i], &did);
		if (rc)
			break;
		count += did;
	}
	store_conn_put(c);
	if (applied)
		*applied = count;
	return rc;
}

int store_schema_version(struct store *st, int *current, int *latest)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	size_t n;
	int rc;

	store__migrations(&n);
	*latest = (int)n;
	*current = 0;
	rc = store_conn_get(st, &c);
	if (rc)
		return rc;
	/* Portable "does the table exist": both engines answer this query
	 * with an error when it does not, so ask the catalogue instead. */
	rc = store_query(c, st->ops->kind == STORE_SQLITE
			 ? "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
			   " AND name = 'schema_migrations'"
			 : "SELECT count(*) FROM information_schema.tables"
			   " WHERE table_schema = current_schema()"
			   " AND table_name = 'schema_migrations'",
			 NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	bool exists = rc == 1 && store_rows_int(r, 0) > 0;
	store_rows_free(r);
	r = NULL;
	rc = 0;
	if (!exists)
		goto out;
	rc = store_query(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
			 NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	*current = rc == 1 ? (int)store_rows_int(r, 0) : 0;
	rc = 0;
out:
	store_rows_free(r);
	store_conn_put(c);
	return rc;
}
