/*
 * store.h - the database layer (prefix store_). The contract every module
 * uses to read and write; two drivers sit behind struct store_ops: SQLite
 * (embedded default) and PostgreSQL (libpq, pooled, for scale-out).
 *
 * SQL is written once, in the common subset both engines accept, with `?`
 * placeholders (the PostgreSQL driver rewrites them to $1..$n). Column
 * conventions: ids are TEXT (pl_id_new), times are TEXT RFC 3339 UTC with
 * milliseconds and a Z (pl_time_format; they sort as strings), booleans are
 * INTEGER 0/1, money and measures are DOUBLE PRECISION or BIGINT.
 *
 * Durability: SQLite runs in WAL mode with synchronous=FULL, so a commit
 * that returned 0 survives kill -9 and power loss; PostgreSQL gives the same
 * guarantee with its default synchronous_commit=on.
 *
 * Threading: a struct store is shared by all threads; a struct store_conn
 * belongs to one thread between store_conn_get and store_conn_put.
 */
#ifndef PL_STORE_H
#define PL_STORE_H

#include "core/core.h"

struct store;       /* opaque: driver, pool, statement caches */
struct store_conn;  /* one pooled connection, owned by one thread at a time */
struct store_rows;  /* a result cursor */

enum store_kind { STORE_SQLITE, STORE_POSTGRES };

struct store_options {
	int pool_size;        /* connections (PostgreSQL) / handles (SQLite); 0: 8; max 1024 */
	int busy_timeout_ms;  /* wait for a lock or a pool slot; 0: 5000 */
	struct pl_log *log;   /* borrowed; may be NULL */
};

/* Opens a store. url: "postgresql://..." or "postgres://..." (libpq URI or
 * "host=... dbname=..." after a "pg:" prefix) for PostgreSQL; anything else
 * is a SQLite file path, optionally prefixed "sqlite:". Does not migrate.
 * Errors: PL_EINVAL (bad url), PL_EDB (cannot connect/open). */
int store_open(const char *url, const struct store_options *opt, struct store **out);
/* Closes every connection; all must have been put back (asserted). NULL
 * is a no-op. */
void store_free(struct store *st);
enum store_kind store_kind(const struct store *st);
const char *store_kind_name(const struct store *st);

/* Applies every pending migration, each in its own transaction, recording
 * it in schema_migrations. Safe to run concurrently from two processes on
 * one PostgreSQL (an advisory lock serialises them). *applied (may be NULL)
 * gets the number applied now. */
int store_migrate(struct store *st, int *applied);
/* Highest applied migration version, and the highest this binary knows. */
int store_schema_version(struct store *st, int *current, int *latest);
/* Cheap round-trip check for /readyz. */
int store_ping(struct store *st);
/* Consistent copy of the database: SQLite online backup to a file path;
 * PostgreSQL via pg_dump (plain SQL, needs pg_dump on PATH) to the path.
 * Written to dest_path.tmp and renamed, so dest_path is never half a copy.
 * Errors: PL_EINVAL (empty path), PL_EIO (cannot write / pg_dump failed),
 * PL_EBUSY. */
int store_backup(struct store *st, const char *dest_path);
/* Integrity checks (SQLite integrity_check + foreign_key_check; PostgreSQL
 * connectivity and the audit triggers; both: schema version against the
 * binary's). Returns 0 when the checks ran; *report (a new JSON object)
 * says what was found, and its "ok" member whether everything passed. */
int store_check(struct store *st, json_t **report);
/* Pool statistics for /metrics: size, in use, waits so far. */
void store_pool_stats(struct store *st, int *size, int *in_use, uint64_t *waits);

/* the libpq conninfo a PostgreSQL store was opened with (borrowed,
 * valid while st lives), for the few components that hold a session of
 * their own outside the pool (the LISTEN relay, the ingest leader lock);
 * NULL for SQLite. */
const char *store_pg_conninfo(const struct store *st);

/* Takes a connection from the pool, waiting up to busy_timeout_ms.
 * PL_EBUSY when none frees up in time. */
int store_conn_get(struct store *st, struct store_conn **out);
/* Returns it; an open transaction is rolled back first. */
void store_conn_put(struct store_conn *c);

int store_begin(struct store_conn *c);   /* BEGIN (IMMEDIATE on SQLite) */
int store_commit(struct store_conn *c);  /* durable once this returns 0 */
int store_rollback(struct store_conn *c);

/* Parameters. Pass each value with the type of its column: PostgreSQL
 * types TEXT parameters as text and does not convert them to numbers
 * (SQLite would), so integers go as SP_INT, floats as SP_REAL. SP_TEXT(NULL)
 * is a NULL of type text (fine in "? IS NULL"); SP_NULL is untyped, for
 * places where the column gives the type (INSERT values, "col = ?"). */
enum store_ptype { STORE_P_NULL, STORE_P_TEXT, STORE_P_INT, STORE_P_REAL, STORE_P_BLOB };
struct store_param {
	enum store_ptype type;
	const char *s;   /* TEXT (NUL-terminated) or BLOB bytes; NULL TEXT is NULL */
	size_t len;      /* BLOB length */
	int64_t i;
	double d;
};
#define SP_NULL     ((struct store_param){ .type = STORE_P_NULL })
#define SP_TEXT(x)  ((struct store_param){ .type = STORE_P_TEXT, .s = (x) })
#define SP_INT(x)   ((struct store_param){ .type = STORE_P_INT, .i = (x) })
#define SP_REAL(x)  ((struct store_param){ .type = STORE_P_REAL, .d = (x) })
#define SP_BLOB(p, n) ((struct store_param){ .type = STORE_P_BLOB, .s = (const char *)(p), .len = (n) })
#define STORE_NP(arr) (sizeof(arr) / sizeof((arr)[0]))

/* Runs one statement that returns no rows. *changes (may be NULL): rows
 * affected. Errors: PL_EEXIST on a unique violation, PL_EINVAL on a
 * foreign-key, check or not-null violation, PL_EFORBIDDEN when a trigger
 * refuses the change (the append-only audit log), PL_EINVAL when np does
 * not match the placeholders, PL_EBUSY when a lock wait timed out or a
 * deadlock/serialisation failure was detected (retry), PL_EDB otherwise.
 * The engine's message: store_conn_errmsg. After any error inside a
 * transaction, roll it back (PostgreSQL has aborted it). Statements are
 * prepared once per connection and cached. */
int store_exec(struct store_conn *c, const char *sql, const struct store_param *p,
	       size_t np, int64_t *changes);

/* Runs a query; iterate with store_rows_next, then store_rows_free (always,
 * even after an error from next). The PostgreSQL driver holds the whole
 * result in memory, so bound what a query can return with LIMIT. Column
 * names (store_rows_name) stay valid until store_rows_free. */
int store_query(struct store_conn *c, const char *sql, const struct store_param *p,
		size_t np, struct store_rows **out);
/* 1: a row is current; 0: no more rows; <0: error. */
int store_rows_next(struct store_rows *r);
int store_rows_ncols(const struct store_rows *r);
const char *store_rows_name(const struct store_rows *r, int col);
bool store_rows_isnull(const struct store_rows *r, int col);
/* Text of a column in the current row ("" for NULL); valid until the next
 * store_rows_next or store_rows_free. */
const char *store_rows_text(const struct store_rows *r, int col);
int64_t store_rows_int(const struct store_rows *r, int col);
double store_rows_real(const struct store_rows *r, int col);
/* Blob bytes and length (PostgreSQL bytea is unescaped). */
const void *store_rows_blob(const struct store_rows *r, int col, size_t *len);
void store_rows_free(struct store_rows *r);
/* Type of a column in the current row: STORE_P_NULL for NULL, else the
 * value's type (SQLite: its storage class; PostgreSQL: from the column
 * type - integers and booleans are STORE_P_INT, float and fractional
 * numeric STORE_P_REAL, bytea STORE_P_BLOB, everything else TEXT). */
enum store_ptype store_rows_type(const struct store_rows *r, int col);

/* The engine's message for the last failed call on c ("" if none); valid
 * until the next call on c. For logs and CLI output, never for clients. */
const char *store_conn_errmsg(const struct store_conn *c);
/* True between store_begin and store_commit/store_rollback. */
bool store_in_tx(const struct store_conn *c);

/* Query into a new JSON array of objects keyed by column name: integers as
 * JSON integers, floats as reals, text as strings, NULL as null, blobs as
 * lower-case hex strings. Columns named "*_json" are parsed and embedded
 * as JSON values (a value that does not parse stays a string). PL_ETOOBIG
 * when more than max_rows rows come back. *out is a new reference. */
int store_query_json(struct store_conn *c, const char *sql, const struct store_param *p,
		     size_t np, size_t max_rows, json_t **out);
/* Exactly one row as a new JSON object; PL_ENOTFOUND when there is none. */
int store_query_one(struct store_conn *c, const char *sql, const struct store_param *p,
		    size_t np, json_t **out);

/* The append-only audit log: who changed what, when, before and after.
 * Call inside the same transaction as the change it records. The table
 * refuses UPDATE and DELETE (triggers on both engines). */
struct store_audit {
	const char *actor_id;      /* user or token id; "system" for jobs */
	const char *actor_name;
	const char *action;        /* "enterprise.create", "auth.login", ... */
	const char *entity;        /* "enterprise", "user", ... */
	const char *entity_id;
	const char *enterprise_id; /* tenant the change belongs to, or NULL */
	const json_t *before;      /* borrowed, may be NULL */
	const json_t *after;       /* borrowed, may be NULL */
	const char *request_id;    /* may be NULL */
	const char *ip;            /* may be NULL */
};
int store_audit(struct store_conn *c, const struct store_audit *a);

#endif /* PL_STORE_H */
