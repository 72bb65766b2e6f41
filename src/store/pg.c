/*
 * pg.c - the PostgreSQL driver behind struct store_ops (libpq), for
 * scale-out: several `parkline serve` processes share one database.
 *
 * Each pooled connection is one PGconn, lent to one thread at a time
 * (libpq is thread-safe as long as a PGconn is not shared). Statements are
 * rewritten from `?` to $n placeholders (NOTES ON THE DESIGN 3 in store.c),
 * prepared once per connection under a generated name and cached keyed by
 * parameter types plus SQL text (NOTES 4). Parameters go as text except
 * blobs, which go binary as bytea; results come back as text and are
 * converted on access, so a cursor holds the whole PGresult: callers page
 * with LIMIT (store_query_json caps the row count).
 *
 * A connection that broke (server restart, network) is reset the next time
 * the pool lends it out; its prepared statements died with the session,
 * so the cache is dropped with it.
 */
#include "store/store_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <libpq-fe.h>

extern char **environ;

/* Type OIDs from pg_type.h (server headers are not installed with libpq). */
enum {
	PG_BOOLOID = 16, PG_BYTEAOID = 17, PG_INT8OID = 20, PG_INT2OID = 21,
	PG_INT4OID = 23, PG_TEXTOID = 25, PG_OIDOID = 26, PG_FLOAT4OID = 700, PG_FLOAT8OID = 701,
	PG_NUMERICOID = 1700,
};

/* Key of the advisory lock that serialises migrations: "pkln_mig". */
#define PG_MIGRATE_LOCK_KEY INT64_C(0x706b6c6e5f6d6967)

struct pg_conn {
	struct store_conn base;    /* must be first */
	PGconn *pg;                /* owned */
	struct store__cache cache; /* handle: malloc'ed statement name */
	uint64_t next_name;        /* counter for statement names */
};

struct pg_rows {
	struct store_rows base;    /* must be first */
	PGresult *res;             /* owned */
	int row;                   /* current row, -1 before the first next */
	int nrows, ncols;
	unsigned char **blob;      /* per column: unescaped bytea of the current row */
	size_t *blob_len;
};

static struct pg_conn *pg__conn(struct store_conn *c)
{
	return (struct pg_conn *)c;
}

static void pg__evict(void *ctx, void *handle)
{
	struct pg_conn *pc = ctx;
	char sql[64];

	/* A dead session took its statements with it; in a live one, free
	 * the server-side plan. A failure here (inside an aborted
	 * transaction) only leaks a plan until the session ends: names are
	 * never reused, so it cannot collide. */
	if (pc && PQstatus(pc->pg) == CONNECTION_OK) {
		pl_fmt(sql, sizeof(sql), "DEALLOCATE %s", (const char *)handle);
		PQclear(PQexec(pc->pg, sql));
	}
	free(handle);
}

/* SQLSTATE -> PL_E code (NOTES ON THE DESIGN 6). */
static int pg__map(const char *state)
{
	static const struct { const char *state; int rc; } map[] = {
		{ "23505", PL_EEXIST },      /* unique_violation */
		{ "23503", PL_EINVAL },      /* foreign_key_violation */
		{ "23514", PL_EINVAL },      /* check_violation */
		{ "23502", PL_EINVAL },      /* not_null_violation */
		{ "42501", PL_EFORBIDDEN },  /* insufficient_privilege: audit trigger */
		{ "40001", PL_EBUSY },       /* serialization_failure */
		{ "40P01", PL_EBUSY },       /* deadlock_detected */
		{ "55P03", PL_EBUSY },       /* lock_not_available */
	};
	if (!state)
		return PL_EDB;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(state, map[i].state))
			return map[i].rc;
	/* Class 22, data exception: a parameter the column cannot hold. */
	if (!strncmp(state, "22", 2))
		return PL_EINVAL;
	return PL_EDB;
}

static int pg__fail(struct pg_conn *pc, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	int rc = pg__map(state);
	char text[STORE_ERRMSG_MAX];

	if (!msg || !*msg)
		msg = PQerrorMessage(pc->pg);
	if (detail)
		snprintf(text, sizeof(text), "%s (%s)", msg, detail);
	else
		pl_strlcpy(text, msg, sizeof(text));
	store__fail(&pc->base, rc, what, text);
	return rc;
}

static bool pg__ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || (unsigned char)ch >= 0x80;
}

/* Rewrites `?` to $1..$n into out, skipping '...' strings (E'...' with
 * backslash escapes), "..." identifiers, -- and nested block comments and
 * $tag$...$tag$ bodies. *count gets n. Linear in the length of sql. */
int store__pg_rewrite(const char *sql, struct pl_buf *out, size_t *count)
{
	size_t n = 0, len = strlen(sql), i = 0;
	int rc = 0;

	*count = 0;
	while (i < len && rc == 0) {
		char ch = sql[i];
		size_t start = i;

		if (ch == '?') {
			rc = pl_buf_printf(out, "$%zu", ++n);
			i++;
			continue;
		}
		if (ch == '\'' || ch == '"') {
			bool esc = ch == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
				   (i < 2 || !pg__ident_char(sql[i - 2]));
			i++;
			while (i < len && sql[i] != ch) {
				if (esc && sql[i] == '\\' && i + 1 < len)
					i++;
				i++;
			}
			i = i < len ? i + 1 : len;
		} else if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 0;
			do {
				if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			} while (i < len && depth > 0);
		} else if (ch == '$' && (i == 0 || !pg__ident_char(sql[i - 1]))) {
			/* $tag$ opens a dollar-quoted body; $1 is a parameter. */
			size_t j = i + 1;
			while (j < len && pg__ident_char(sql[j]) && !(sql[j] >= '0' && sql[j] <= '9' && j == i + 1))
				j++;
			if (j < len && sql[j] == '$') {
				size_t tl = j - i + 1;
				const char *end = memmem(sql + j + 1, len - j - 1, sql + i, tl);
				i = end ? (size_t)(end - sql) + tl : len;
			} else {
				i++;
			}
		} else {
			i++;
		}
		rc = pl_buf_append(out, sql + start, i - start);
	}
	*count = n;
	return rc;
}

/* --------------------------------------------------------- connection */

static void pg__notice(void *arg, const char *msg)
{
	struct store *st = arg;
	/* "relation already exists, skipping" and the like: not for stderr. */
	pl_debug(st->log, "store", "postgresql: %s", msg);
}

/* Per-session settings, on connect and after every reconnect: UTF-8 text,
 * no acknowledged write lost to a server configured with
 * synchronous_commit=off (stricter settings such as remote_apply stay),
 * and lock waits bounded by busy_timeout_ms. */
static int pg__session_setup(struct pg_conn *pc)
{
	const char *sc;

	if (PQsetClientEncoding(pc->pg, "UTF8")) {
		store__fail(&pc->base, PL_EDB, "client_encoding", PQerrorMessage(pc->pg));
		return PL_EDB;
	}
	/* Not a reported parameter, so ask. */
	PGresult *res = PQexec(pc->pg, "SHOW synchronous_commit");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		PQclear(res);
		store__fail(&pc->base, PL_EDB, "synchronous_commit", PQerrorMessage(pc->pg));
		return PL_EDB;
	}
	sc = PQgetvalue(res, 0, 0);
	bool weak = !strcmp(sc, "off") || !strcmp(sc, "local");
	PQclear(res);
	if (weak) {
		res = PQexec(pc->pg, "SET synchronous_commit = on");
		bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok) {
			store__fail(&pc->base, PL_EDB, "synchronous_commit", PQerrorMessage(pc->pg));
			return PL_EDB;
		}
	}
	/* busy_timeout_ms means the same on both engines: how long a
	 * statement waits for another writer's lock before PL_EBUSY. */
	char sql[64];
	pl_fmt(sql, sizeof(sql), "SET lock_timeout = %d", pc->base.st->busy_timeout_ms);
	res = PQexec(pc->pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		store__fail(&pc->base, PL_EDB, "lock_timeout", PQerrorMessage(pc->pg));
		return PL_EDB;
	}
	return 0;
}

static void pg_conn_close(struct store_conn *c)
{
	struct pg_conn *pc = pg__conn(c);

	store__cache_clear(&pc->cache, pg__evict, NULL);
	PQfinish(pc->pg);
	free(pc);
}

static int pg_conn_open(struct store *st, struct store_conn **out)
{
	struct pg_conn *pc = pl_calloc(1, sizeof(*pc));
	int rc = 0;

	*out = NULL;
	pc->base.st = st;
	pc->pg = PQconnectdb(st->target);
	if (!pc->pg || PQstatus(pc->pg) != CONNECTION_OK) {
		rc = PL_EDB;
		store__fail(&pc->base, rc, "connect",
			    pc->pg ? PQerrorMessage(pc->pg) : "out of memory");
		goto out;
	}
	PQsetNoticeProcessor(pc->pg, pg__notice, st);
	rc = pg__session_setup(pc);
	if (rc)
		goto out;
	*out = &pc->base;
	pc = NULL;
out:
	if (pc) {
		PQfinish(pc->pg);
		free(pc);
	}
	return rc;
}

static int pg_conn_revive(struct store_conn *c)
{
	struct pg_conn *pc = pg__conn(c);

	if (PQstatus(pc->pg) == CONNECTION_OK) {
		/* A transaction opened behind store_begin's back (a raw
		 * "BEGIN" through store_exec) must not reach the next
		 * borrower. */
		if (PQtransactionStatus(pc->pg) != PQTRANS_IDLE)
			PQclear(PQexec(pc->pg, "ROLLBACK"));
		return 0;
	}
	/* The session is gone, and its prepared statements with it. */
	store__cache_clear(&pc->cache, pg__evict, NULL);
	PQreset(pc->pg);
	if (PQstatus(pc->pg) != CONNECTION_OK) {
		store__fail(c, PL_EDB, "reconnect", PQerrorMessage(pc->pg));
		return PL_EDB;
	}
	if (pg__session_setup(pc))
		return PL_EDB;
	pl_info(c->st->log, "store", "reconnected to postgresql");
	return 0;
}

/* ---------------------------------------------------------- statements */

/* Runs sql with p as a cached prepared statement. *res: the result with
 * status COMMAND_OK or TUPLES_OK, owned by the caller. */
static int pg__run(struct pg_conn *pc, const char *sql, const struct store_param *p,
		   size_t np, PGresult **res)
{
	struct pl_buf key, rewritten;
	const char **vals = NULL;
	int *lens = NULL, *fmts = NULL;
	Oid *types = NULL;
	char *nums = NULL;
	size_t count = 0;
	int rc = 0;
	bool retried = false;

	*res = NULL;
	pl_buf_init(&key, (1u << 20) + STORE_PARAMS_MAX + 1);
	pl_buf_init(&rewritten, 8u << 20);
	vals = pl_calloc(np ? np : 1, sizeof(*vals));
	lens = pl_calloc(np ? np : 1, sizeof(*lens));
	fmts = pl_calloc(np ? np : 1, sizeof(*fmts));
	types = pl_calloc(np ? np : 1, sizeof(*types));
	nums = pl_calloc(np ? np : 1, 32);

	/* Text, numbers and blobs carry their types (text, int8, float8,
	 * bytea), so "? IS NULL OR col = ?" resolves on PostgreSQL as it does
	 * on SQLite; only SP_NULL goes untyped, for the server to infer from
	 * the context (use SP_TEXT(NULL) for a NULL the context cannot type).
	 * The cache key includes the types because the server fixes them at
	 * PREPARE. */
	for (size_t i = 0; i < np; i++) {
		char *num = nums + i * 32;
		char t = 'N';
		switch (p[i].type) {
		case STORE_P_NULL:
			break;
		case STORE_P_TEXT:
			t = 'T';
			types[i] = PG_TEXTOID;
			vals[i] = p[i].s;
			break;
		case STORE_P_INT:
			t = 'I';
			types[i] = PG_INT8OID;
			pl_fmt(num, 32, "%lld", (long long)p[i].i);
			vals[i] = num;
			break;
		case STORE_P_REAL:
			t = 'R';
			types[i] = PG_FLOAT8OID;
			pl_fmt(num, 32, "%.17g", p[i].d);
			vals[i] = num;
			break;
		case STORE_P_BLOB:
			t = 'B';
			types[i] = PG_BYTEAOID;
			vals[i] = p[i].s ? p[i].s : "";
			if (p[i].len > INT32_MAX) {
				rc = PL_ETOOBIG;
				goto out;
			}
			lens[i] = (int)p[i].len;
			fmts[i] = 1;
			break;
		}
		if (pl_buf_append(&key, &t, 1)) {
			rc = PL_ETOOBIG;
			goto out;
		}
	}
	if (pl_buf_puts(&key, "\x1f") || pl_buf_puts(&key, sql) ||
	    store__pg_rewrite(sql, &rewritten, &count)) {
		rc = PL_ETOOBIG;
		goto out;
	}
	if (count != np) {
		char msg[96];
		pl_fmt(msg, sizeof(msg), "statement has %zu placeholders, %zu parameters given",
		       count, np);
		rc = PL_EINVAL;
		store__fail(&pc->base, rc, "bind", msg);
		goto out;
	}

again:;
	struct store__stmt *e = store__cache_find(&pc->cache, key.data);
	if (!e) {
		char name[32];
		pl_fmt(name, sizeof(name), "pl_s%llu", (unsigned long long)++pc->next_name);
		PGresult *pr = PQprepare(pc->pg, name, rewritten.data, (int)np, types);
		if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
			rc = pg__fail(pc, pr, "prepare");
			PQclear(pr);
			goto out;
		}
		PQclear(pr);
		e = store__cache_add(&pc->cache, key.data, pg__evict, pc);
		/* Cursors hold results, not statements, so no entry is ever
		 * busy here; the cache always has room. */
		assert(e);
		e->handle = pl_strdup(name);
	}
	PGresult *r = PQexecPrepared(pc->pg, e->handle, (int)np, vals, lens, fmts, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		*res = r;
		goto out;
	}
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	/* 0A000 "cached plan must not change result type" (a migration
	 * altered a table under a cached SELECT *) and 26000 "prepared
	 * statement does not exist" (DISCARD ALL by a pooler): prepare
	 * again, once, when no transaction would be left aborted. */
	if (!retried && !pc->base.in_tx && state &&
	    (!strcmp(state, "0A000") || !strcmp(state, "26000"))) {
		PQclear(r);
		store__cache_remove(e, pg__evict, pc);
		retried = true;
		goto again;
	}
	rc = pg__fail(pc, r, "exec");
	PQclear(r);
out:
	free(nums);
	free(types);
	free(fmts);
	free(lens);
	free(vals);
	pl_buf_release(&rewritten);
	pl_buf_release(&key);
	return rc;
}

static bool pg__is_tx_control(const char *sql)
{
	return !strcmp(sql, "BEGIN") || !strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK");
}

static int pg_exec(struct store_conn *c, const char *sql, const struct store_param *p,
		   size_t np, int64_t *changes)
{
	struct pg_conn *pc = pg__conn(c);
	PGresult *res = NULL;
	int rc;

	if (pg__is_tx_control(sql) && np == 0) {
		/* Not worth a prepared statement each. */
		res = PQexec(pc->pg, sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = pg__fail(pc, res, sql);
			goto out;
		}
		/* COMMIT of a transaction that failed earlier "succeeds" with
		 * the tag ROLLBACK: nothing was written, so say so. */
		if (!strcmp(sql, "COMMIT") && !strcmp(PQcmdStatus(res), "ROLLBACK")) {
			rc = PL_EDB;
			store__fail(c, rc, "commit",
				    "transaction had failed earlier and was rolled back");
			goto out;
		}
		rc = 0;
		goto out;
	}
	rc = pg__run(pc, sql, p, np, &res);
	if (rc)
		goto out;
	if (changes) {
		const char *t = PQcmdTuples(res);
		int64_t v = 0;
		if (t && *t)
			pl_parse_i64(t, 0, INT64_MAX, &v);
		*changes = v;
	}
out:
	PQclear(res);
	return rc;
}

static int pg_script(struct store_conn *c, const char *sql)
{
	struct pg_conn *pc = pg__conn(c);
	int rc = 0;

	/* Simple-query protocol: several statements, no parameters. */
	PGresult *res = PQexec(pc->pg, sql);
	ExecStatusType s = PQresultStatus(res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = pg__fail(pc, res, "script");
	PQclear(res);
	return rc;
}

static int pg_query(struct store_conn *c, const char *sql, const struct store_param *p,
		    size_t np, struct store_rows **out)
{
	struct pg_conn *pc = pg__conn(c);
	PGresult *res = NULL;
	int rc;

	rc = pg__run(pc, sql, p, np, &res);
	if (rc)
		return rc;
	struct pg_rows *r = pl_calloc(1, sizeof(*r));
	r->base.c = c;
	r->res = res;
	r->row = -1;
	r->nrows = PQntuples(res);
	r->ncols = PQnfields(res);
	r->blob = pl_calloc(r->ncols ? (size_t)r->ncols : 1, sizeof(*r->blob));
	r->blob_len = pl_calloc(r->ncols ? (size_t)r->ncols : 1, sizeof(*r->blob_len));
	*out = &r->base;
	return 0;
}

static void pg__rows_clear_blobs(struct pg_rows *r)
{
	for (int i = 0; i < r->ncols; i++) {
		if (r->blob[i])
			PQfreemem(r->blob[i]);
		r->blob[i] = NULL;
		r->blob_len[i] = 0;
	}
}

static int pg_rows_next(struct store_rows *rr)
{
	struct pg_rows *r = (struct pg_rows *)rr;

	pg__rows_clear_blobs(r);
	if (r->row + 1 >= r->nrows) {
		r->row = r->nrows;
		return 0;
	}
	r->row++;
	return 1;
}

static int pg_rows_ncols(const struct store_rows *rr)
{
	return ((const struct pg_rows *)rr)->ncols;
}

static const char *pg_rows_name(const struct store_rows *rr, int col)
{
	const char *n = PQfname(((const struct pg_rows *)rr)->res, col);
	return n ? n : "";
}

static bool pg__valid(const struct pg_rows *r, int col)
{
	return r->row >= 0 && r->row < r->nrows && col >= 0 && col < r->ncols;
}

static enum store_ptype pg_rows_type(const struct store_rows *rr, int col)
{
	const struct pg_rows *r = (const struct pg_rows *)rr;

	if (!pg__valid(r, col) || PQgetisnull(r->res, r->row, col))
		return STORE_P_NULL;
	switch (PQftype(r->res, col)) {
	case PG_BOOLOID:
	case PG_INT2OID:
	case PG_INT4OID:
	case PG_INT8OID:
	case PG_OIDOID:
		return STORE_P_INT;
	case PG_FLOAT4OID:
	case PG_FLOAT8OID:
		return STORE_P_REAL;
	case PG_NUMERICOID:
		/* SUM(bigint) is numeric: whole values stay integers. */
		return strpbrk(PQgetvalue(r->res, r->row, col), ".eEaN") ? STORE_P_REAL
									    : STORE_P_INT;
	case PG_BYTEAOID:
		return STORE_P_BLOB;
	default:
		return STORE_P_TEXT;
	}
}

static const char *pg_rows_text(const struct store_rows *rr, int col)
{
	const struct pg_rows *r = (const struct pg_rows *)rr;

	return pg__valid(r, col) ? PQgetvalue(r->res, r->row, col) : "";
}

static int64_t pg_rows_int(const struct store_rows *rr, int col)
{
	const struct pg_rows *r = (const struct pg_rows *)rr;
	const char *s = pg_rows_text(rr, col);

	if (pg__valid(r, col) && PQftype(r->res, col) == PG_BOOLOID)
		return s[0] == 't';
	if (strpbrk(s, ".eE"))
		return (int64_t)strtod(s, NULL);
	return strtoll(s, NULL, 10);
}

static double pg_rows_real(const struct store_rows *rr, int col)
{
	return strtod(pg_rows_text(rr, col), NULL);
}

static const void *pg_rows_blob(const struct store_rows *rr, int col, size_t *len)
{
	struct pg_rows *r = (struct pg_rows *)rr;

	*len = 0;
	if (!pg__valid(r, col) || PQgetisnull(r->res, r->row, col))
		return "";
	if (PQftype(r->res, col) != PG_BYTEAOID) {
		const char *s = PQgetvalue(r->res, r->row, col);
		*len = strlen(s);
		return s;
	}
	if (!r->blob[col]) {
		r->blob[col] = PQunescapeBytea((const unsigned char *)PQgetvalue(r->res, r->row, col),
					       &r->blob_len[col]);
		if (!r->blob[col]) {
			fprintf(stderr, "parkline: out of memory unescaping bytea\n");
			abort();
		}
	}
	*len = r->blob_len[col];
	return r->blob[col];
}

static void pg_rows_free(struct store_rows *rr)
{
	struct pg_rows *r = (struct pg_rows *)rr;

	pg__rows_clear_blobs(r);
	free(r->blob);
	free(r->blob_len);
	PQclear(r->res);
	free(r);
}

static int pg_migrate_lock(struct store_conn *c)
{
	/* Transaction-scoped: released by the COMMIT or ROLLBACK that ends
	 * the migration, so a crashed runner cannot leave it held. */
	struct store_param p[] = { SP_INT(PG_MIGRATE_LOCK_KEY) };
	return pg_exec(c, "SELECT pg_advisory_xact_lock(?)", p, STORE_NP(p), NULL);
}

/* ------------------------------------------------------- backup, check */

/* Runs pg_dump (plain SQL, restorable with psql) into dest_path.tmp and
 * renames it over dest_path when pg_dump exited 0. pg_dump syncs its
 * output file before exiting. The connection string is passed on the
 * command line: put passwords in ~/.pgpass or PGPASSWORD, not the url. */
static int pg_backup(struct store_conn *c, const char *dest_path)
{
	struct pl_buf tmp;
	posix_spawn_file_actions_t fa;
	int errpipe[2] = { -1, -1 };
	char msg[STORE_ERRMSG_MAX];
	size_t got = 0;
	pid_t pid;
	int rc = 0, status = 0, e;

	pl_buf_init(&tmp, 4096);
	if (pl_buf_printf(&tmp, "%s.tmp", dest_path)) {
		rc = PL_EINVAL;
		goto out;
	}
	char *argv[] = { "pg_dump", "--no-password", "--format=plain", "--file", tmp.data,
			 "--dbname", c->st->target, NULL };
	/* pg_dump's stderr comes back through a pipe into errmsg, so the
	 * caller can show why it failed; stdin and stdout are closed. */
	if (pipe2(errpipe, O_CLOEXEC)) {
		rc = PL_EIO;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errpipe[1], 2);
	e = posix_spawnp(&pid, "pg_dump", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(errpipe[1]);
	errpipe[1] = -1;
	if (e) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, "pg_dump", strerror(e));
		goto out;
	}
	/* Read at most errmsg's worth, then drain, so pg_dump never blocks
	 * on a full pipe. */
	for (;;) {
		char chunk[256];
		ssize_t k = read(errpipe[0], chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (got + 1 < sizeof(msg)) {
			size_t take = (size_t)k < sizeof(msg) - 1 - got ? (size_t)k : sizeof(msg) - 1 - got;
			memcpy(msg + got, chunk, take);
			got += take;
		}
	}
	msg[got] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, "pg_dump", got ? msg : "pg_dump failed");
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, dest_path)) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, dest_path, strerror(errno));
		unlink(tmp.data);
	}
out:
	if (errpipe[0] >= 0)
		close(errpipe[0]);
	if (errpipe[1] >= 0)
		close(errpipe[1]);
	pl_buf_release(&tmp);
	return rc;
}

static int pg_check(struct store_conn *c, json_t *report, bool *ok)
{
	json_t *row = NULL;
	int rc;

	rc = store_query_one(c,
			     "SELECT current_setting('server_version') AS server_version,"
			     " current_database() AS database, pg_is_in_recovery() AS in_recovery,"
			     " (SELECT count(*) FROM pg_trigger t JOIN pg_class k ON k.oid = t.tgrelid"
			     "  WHERE k.relname = 'audit_log' AND k.relnamespace = to_regnamespace(current_schema())"
			     "  AND NOT t.tgisinternal) AS audit_triggers",
			     NULL, 0, &row);
	if (rc)
		return rc;
	if (json_integer_value(json_object_get(row, "audit_triggers")) < 2)
		*ok = false;
	json_object_update(report, row);
	json_decref(row);
	return 0;
}

const struct store_ops store__pg_ops = {
	.name = "postgresql",
	.kind = STORE_POSTGRES,
	.begin_sql = "BEGIN",
	.conn_open = pg_conn_open,
	.conn_close = pg_conn_close,
	.conn_revive = pg_conn_revive,
	.exec = pg_exec,
	.script = pg_script,
	.query = pg_query,
	.rows_next = pg_rows_next,
	.rows_ncols = pg_rows_ncols,
	.rows_name = pg_rows_name,
	.rows_type = pg_rows_type,
	.rows_text = pg_rows_text,
	.rows_int = pg_rows_int,
	.rows_real = pg_rows_real,
	.rows_blob = pg_rows_blob,
	.rows_free = pg_rows_free,
	.migrate_lock = pg_migrate_lock,
	.backup = pg_backup,
	.check = pg_check,
};

/* see store.h. st->target holds the conninfo for this driver. */
const char *store_pg_conninfo(const struct store *st)
{
	return st && st->ops == &store__pg_ops ? st->target : NULL;
}
