/*
 * store.c - the store's dispatch layer: opening a store and picking its
 * driver, the connection pool, the calls every module makes (exec, query,
 * transactions), rows as JSON, the audit log, and the statement cache the
 * two drivers share. Engine specifics live in sqlite.c and pg.c behind
 * struct store_ops; the schema and its runner in migrations.c.
 *
 * NOTES ON THE DESIGN
 *
 * 1. Durability. A write is acknowledged only after store_commit returned
 *    0. SQLite runs with journal_mode=WAL and synchronous=FULL, so the WAL
 *    is fsync'ed at every commit and a commit survives kill -9 and power
 *    loss; foreign_keys=ON is set on every handle because SQLite keeps it
 *    per connection. PostgreSQL sessions run with synchronous_commit at
 *    least "on": the driver raises a server's "off" or "local" per session.
 *    The unit test acknowledged_writes_survive_kill9 checks both engines.
 *    A COMMIT that PostgreSQL turned into a ROLLBACK (the transaction had
 *    failed earlier) is reported as PL_EDB, never as success.
 *
 * 2. Pool. One struct store holds pool_size slots. A slot is opened the
 *    first time it is needed (the first at store_open, to fail early on a
 *    bad url) and then kept. store_conn_get takes any idle slot, else opens
 *    an unopened one (outside the mutex: a PostgreSQL connect takes
 *    milliseconds), else waits on a condition variable up to
 *    busy_timeout_ms and returns PL_EBUSY. Connections are lent to one
 *    thread; the engines' own locking (SQLite's busy_timeout on BEGIN
 *    IMMEDIATE, PostgreSQL's row locks) serialises writers across slots
 *    and across processes (SQLite's writers of one process queue first:
 *    NOTES 8). store_conn_put rolls back a transaction the
 *    caller left open, so a bug cannot leak a lock into the next borrower.
 *
 * 3. Placeholders. SQL is written once with `?`. SQLite takes it as is;
 *    the PostgreSQL driver rewrites each `?` outside quotes, identifiers,
 *    comments and dollar-quoted bodies to $1..$n and checks that the count
 *    equals the number of parameters passed (SQLite: bind count), so a
 *    miscounted call fails with PL_EINVAL instead of binding NULLs.
 *
 * 4. Statement cache. Each connection keeps up to STORE_STMT_CACHE_MAX
 *    prepared statements keyed by SQL text (PostgreSQL: SQL text plus the
 *    parameter types, since the server fixes types at PREPARE). A
 *    statement an open cursor still uses is marked busy; a nested query of
 *    the same text is prepared uncached for that one use.
 *
 * 5. Migrations (migrations.c). One ordered list; each entry runs in its
 *    own transaction together with its schema_migrations row, so a
 *    migration is applied entirely or not at all. Before looking at
 *    schema_migrations the runner takes the engine's write lock (SQLite:
 *    BEGIN IMMEDIATE; PostgreSQL: pg_advisory_xact_lock), so two processes
 *    migrating at once apply each version exactly once.
 *
 * 6. Errors. Engines' errors map to a few codes: unique violation ->
 *    PL_EEXIST; foreign-key, check and not-null violations (and bad
 *    parameter data on PostgreSQL) -> PL_EINVAL; the append-only audit
 *    trigger -> PL_EFORBIDDEN; lock timeout, deadlock, serialisation
 *    failure -> PL_EBUSY (retry); everything else -> PL_EDB. The engine's
 *    message is kept on the connection (store_conn_errmsg) and logged.
 *
 * 7. Broken connections (PostgreSQL). The statement that meets a dropped
 *    session fails with PL_EDB; it is not retried, since whether the
 *    server ran it is unknown. The pool reconnects that connection the
 *    next time it lends it out (conn_revive), and before lending any
 *    connection ends a transaction a caller opened with a raw "BEGIN".
 *
 * 8. Writers of one process (SQLite). SQLite lets one transaction write at
 *    a time, and BEGIN IMMEDIATE that finds the lock taken waits in the
 *    busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25... ms between
 *    tries: a waiting writer wakes up to ~25 ms after the lock was freed,
 *    and two capture workers or the MQTT worker beside a capture worker
 *    leave the database idle in between. store_begin therefore waits for
 *    the store's `writing` flag to clear (on write_cv, up to
 *    busy_timeout_ms, then PL_EBUSY as before) and sets it before BEGIN
 *    IMMEDIATE, and commit/rollback clear it: this process's writers hand
 *    over at once. A flag under mu, not a mutex held across the
 *    transaction, since store_conn_put may end a transaction on another
 *    thread than the one that began it. Other processes on the same file
 *    still meet the busy handler. Autocommit statements outside a
 *    transaction do not take it (SQLite still serialises them).
 */
#include "store/store_int.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ open/free */

int store_open(const char *url, const struct store_options *opt, struct store **out)
{
	const struct store_ops *ops;
	const char *target;
	struct store *st = NULL;
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!url || !*url)
		return PL_EINVAL;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		ops = &store__pg_ops;
		target = url;
	} else if (!strncmp(url, "pg:", 3)) {
		ops = &store__pg_ops;
		target = url + 3;
	} else {
		ops = &store__sqlite_ops;
		target = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
	}
	if (!*target)
		return PL_EINVAL;
	if (opt && (opt->pool_size < 0 || opt->pool_size > 1024 ||
		    opt->busy_timeout_ms < 0))
		return PL_EINVAL;

	st = pl_calloc(1, sizeof(*st));
	st->ops = ops;
	st->target = pl_strdup(target);
	st->pool_size = opt && opt->pool_size ? opt->pool_size : 8;
	st->busy_timeout_ms = opt && opt->busy_timeout_ms ? opt->busy_timeout_ms : 5000;
	st->log = opt ? opt->log : NULL;
	pthread_mutex_init(&st->mu, NULL);
	/* Pool waits are deadlines on the monotonic clock: a wall-clock jump
	 * must not turn a 5 s wait into an hour or into nothing. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cv, &ca);
	pthread_cond_init(&st->write_cv, &ca);
	pthread_condattr_destroy(&ca);
	st->slot = pl_calloc((size_t)st->pool_size, sizeof(*st->slot));
	st->lent = pl_calloc((size_t)st->pool_size, sizeof(*st->lent));

	/* Open the first slot now so a bad url fails here, not at first use. */
	rc = ops->conn_open(st, &st->slot[0]);
	if (rc)
		goto out;
	st->slot[0]->st = st;
	st->slot[0]->slot = 0;
	*out = st;
	st = NULL;
out:
	store_free(st);
	return rc;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	/* Every connection must have been put back: freeing under a borrower
	 * would pull the handle from under it. */
	assert(st->in_use == 0);
	for (int i = 0; i < st->pool_size; i++)
		if (st->slot[i])
			st->ops->conn_close(st->slot[i]);
	free(st->slot);
	free(st->lent);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->write_cv);
	free(st->target);
	free(st);
}

enum store_kind store_kind(const struct store *st)
{
	return st->ops->kind;
}

const char *store_kind_name(const struct store *st)
{
	return st->ops->name;
}

/* ------------------------------------------------------------------ pool */

/* busy_timeout_ms from now on the monotonic clock: pool and writer waits
 * must not stretch or vanish when the wall clock jumps. */
static struct timespec store__deadline(const struct store *st)
{
	struct timespec d;

	clock_gettime(CLOCK_MONOTONIC, &d);
	d.tv_sec += st->busy_timeout_ms / 1000;
	d.tv_nsec += (long)(st->busy_timeout_ms % 1000) * 1000000L;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

int store_conn_get(struct store *st, struct store_conn **out)
{
	struct timespec deadline = store__deadline(st);
	bool waited = false;
	int idx = -1, rc = 0;

	*out = NULL;

	pthread_mutex_lock(&st->mu);
	for (;;) {
		int unopened = -1;
		for (int i = 0; i < st->pool_size; i++) {
			if (st->lent[i])
				continue;
			if (st->slot[i]) {
				idx = i;
				break;
			}
			if (unopened < 0)
				unopened = i;
		}
		if (idx < 0)
			idx = unopened;
		if (idx >= 0)
			break;
		if (!waited) {
			waited = true;
			st->waits++;
		}
		int w = pthread_cond_timedwait(&st->cv, &st->mu, &deadline);
		if (w == ETIMEDOUT) {
			pthread_mutex_unlock(&st->mu);
			pl_debug(st->log, "store", "no pooled connection free within %d ms",
				 st->busy_timeout_ms);
			return PL_EBUSY;
		}
	}
	st->lent[idx] = true;
	st->in_use++;
	pthread_mutex_unlock(&st->mu);

	/* The slot is ours now; opening or reviving it needs no lock. */
	if (!st->slot[idx]) {
		struct store_conn *c = NULL;
		rc = st->ops->conn_open(st, &c);
		if (rc == 0) {
			c->st = st;
			c->slot = idx;
			st->slot[idx] = c;
		}
	} else if (st->ops->conn_revive) {
		rc = st->ops->conn_revive(st->slot[idx]);
	}
	if (rc) {
		pthread_mutex_lock(&st->mu);
		st->lent[idx] = false;
		st->in_use--;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	st->slot[idx]->errmsg[0] = '\0';
	*out = st->slot[idx];
	return 0;
}

void store_conn_put(struct store_conn *c)
{
	struct store *st;

	if (!c)
		return;
	st = c->st;
	if (c->in_tx) {
		/* Allowed by the contract (error paths rely on it), so not
		 * a warning; a commit that was forgotten shows up in tests
		 * as missing rows. */
		pl_debug(st->log, "store", "connection returned inside a transaction; rolling back");
		store_rollback(c);
	}
	pthread_mutex_lock(&st->mu);
	assert(st->lent[c->slot]);
	st->lent[c->slot] = false;
	st->in_use--;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

void store_pool_stats(struct store *st, int *size, int *in_use, uint64_t *waits)
{
	pthread_mutex_lock(&st->mu);
	if (size)
		*size = st->pool_size;
	if (in_use)
		*in_use = st->in_use;
	if (waits)
		*waits = st->waits;
	pthread_mutex_unlock(&st->mu);
}

const char *store_conn_errmsg(const struct store_conn *c)
{
	return c->errmsg;
}

void store__fail(struct store_conn *c, int rc, const char *what, const char *msg)
{
	size_t n;

	pl_strlcpy(c->errmsg, msg ? msg : "", sizeof(c->errmsg));
	/* Engines end messages with a newline (libpq); keep one line. */
	n = strlen(c->errmsg);
	while (n && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' '))
		c->errmsg[--n] = '\0';
	if (rc == PL_EDB)
		pl_warn(c->st->log, "store", "%s: %s", what, c->errmsg);
	else
		pl_debug(c->st->log, "store", "%s: %s (%s)", what, c->errmsg, pl_strerror(rc));
}

/* -------------------------------------------------------------- dispatch */

/* Makes c's transaction this process's one writer (NOTES 8), waiting at
 * most busy_timeout_ms as SQLite's own wait would. */
static int store__write_lock(struct store_conn *c)
{
	struct store *st = c->st;
	struct timespec deadline = store__deadline(st);
	int w = 0;

	pthread_mutex_lock(&st->mu);
	while (st->writing && w != ETIMEDOUT)
		w = pthread_cond_timedwait(&st->write_cv, &st->mu, &deadline);
	if (!st->writing) /* a wake-up at the deadline may still find it free */
		st->writing = c->holds_write = true;
	pthread_mutex_unlock(&st->mu);
	if (!c->holds_write) {
		store__fail(c, PL_EBUSY, "begin", "another write transaction of this process "
			    "held the database for longer than the busy timeout");
		return PL_EBUSY;
	}
	return 0;
}

/* Ends what store__write_lock began, if it did. */
static void store__write_unlock(struct store_conn *c)
{
	struct store *st = c->st;

	if (!c->holds_write)
		return;
	c->holds_write = false;
	pthread_mutex_lock(&st->mu);
	st->writing = false;
	pthread_cond_signal(&st->write_cv);
	pthread_mutex_unlock(&st->mu);
}

int store_begin(struct store_conn *c)
{
	int rc;

	if (c->in_tx)
		return PL_ECONFLICT;
	if (c->st->ops->one_writer && (rc = store__write_lock(c)))
		return rc;
	rc = c->st->ops->exec(c, c->st->ops->begin_sql, NULL, 0, NULL);
	if (rc == 0)
		c->in_tx = true;
	else
		store__write_unlock(c);
	return rc;
}

int store_commit(struct store_conn *c)
{
	int rc;

	if (!c->in_tx)
		return PL_ECONFLICT;
	rc = c->st->ops->exec(c, "COMMIT", NULL, 0, NULL);
	if (rc) {
		/* SQLite may leave the transaction open after a failed COMMIT
		 * (SQLITE_BUSY); roll it back so the caller sees one outcome:
		 * nothing was written. */
		c->st->ops->exec(c, "ROLLBACK", NULL, 0, NULL);
	}
	c->in_tx = false;
	store__write_unlock(c);
	if (c->st->ops->after_commit)
		c->st->ops->after_commit(c);
	return rc;
}

int store_rollback(struct store_conn *c)
{
	int rc;

	if (!c->in_tx)
		return PL_ECONFLICT;
	rc = c->st->ops->exec(c, "ROLLBACK", NULL, 0, NULL);
	c->in_tx = false;
	store__write_unlock(c);
	return rc;
}

bool store_in_tx(const struct store_conn *c)
{
	return c->in_tx;
}

static int store__check_params(const struct store_param *p, size_t np)
{
	if (np > STORE_PARAMS_MAX || (np && !p))
		return PL_EINVAL;
	for (size_t i = 0; i < np; i++) {
		if (p[i].type > STORE_P_BLOB)
			return PL_EINVAL;
		if (p[i].type == STORE_P_BLOB && !p[i].s && p[i].len)
			return PL_EINVAL;
	}
	return 0;
}

int store_exec(struct store_conn *c, const char *sql, const struct store_param *p,
	       size_t np, int64_t *changes)
{
	int rc;

	if (changes)
		*changes = 0;
	if (!sql || !*sql)
		return PL_EINVAL;
	rc = store__check_params(p, np);
	if (rc)
		return rc;
	return c->st->ops->exec(c, sql, p, np, changes);
}

int store_query(struct store_conn *c, const char *sql, const struct store_param *p,
		size_t np, struct store_rows **out)
{
	int rc;

	*out = NULL;
	if (!sql || !*sql)
		return PL_EINVAL;
	rc = store__check_params(p, np);
	if (rc)
		return rc;
	return c->st->ops->query(c, sql, p, np, out);
}

int store_rows_next(struct store_rows *r)
{
	return r->c->st->ops->rows_next(r);
}

int store_rows_ncols(const struct store_rows *r)
{
	return r->c->st->ops->rows_ncols(r);
}

const char *store_rows_name(const struct store_rows *r, int col)
{
	return r->c->st->ops->rows_name(r, col);
}

enum store_ptype store_rows_type(const struct store_rows *r, int col)
{
	return r->c->st->ops->rows_type(r, col);
}

bool store_rows_isnull(const struct store_rows *r, int col)
{
	return r->c->st->ops->rows_type(r, col) == STORE_P_NULL;
}

const char *store_rows_text(const struct store_rows *r, int col)
{
	const char *s = r->c->st->ops->rows_text(r, col);
	return s ? s : "";
}

int64_t store_rows_int(const struct store_rows *r, int col)
{
	return r->c->st->ops->rows_int(r, col);
}

double store_rows_real(const struct store_rows *r, int col)
{
	return r->c->st->ops->rows_real(r, col);
}

const void *store_rows_blob(const struct store_rows *r, int col, size_t *len)
{
	return r->c->st->ops->rows_blob(r, col, len);
}

void store_rows_free(struct store_rows *r)
{
	if (r)
		r->c->st->ops->rows_free(r);
}

/* ------------------------------------------------------------- JSON rows */

/* One column of the current row as a new JSON value. Blobs become
 * lower-case hex strings (JSON has no bytes). */
static json_t *store__col_json(const struct store_rows *r, int col)
{
	const char *name = store_rows_name(r, col);
	size_t nl = strlen(name);

	switch (store_rows_type(r, col)) {
	case STORE_P_NULL:
		return json_null();
	case STORE_P_INT:
		return json_integer(store_rows_int(r, col));
	case STORE_P_REAL: {
		/* JSON has no NaN or infinity (json_real refuses them). */
		double d = store_rows_real(r, col);
		return isfinite(d) ? json_real(d) : json_null();
	}
	case STORE_P_BLOB: {
		size_t len = 0;
		const void *b = store_rows_blob(r, col, &len);
		char *hex = pl_malloc(len * 2 + 1);
		pl_hex(b, len, hex);
		json_t *v = json_string(hex);
		free(hex);
		return v;
	}
	case STORE_P_TEXT:
		break;
	}
	const char *s = store_rows_text(r, col);
	if (nl > 5 && !strcmp(name + nl - 5, "_json")) {
		/* Stored by us, so it parses; a value that does not comes
		 * back as the string it is rather than failing the read. */
		json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);
		if (v)
			return v;
	}
	json_t *v = json_string(s);
	/* json_string refuses invalid UTF-8; keep the row readable. */
	return v ? v : json_stringn_nocheck(s, strlen(s));
}

static json_t *store__row_json(const struct store_rows *r)
{
	json_t *o = json_object();
	int n = store_rows_ncols(r);

	for (int i = 0; i < n; i++)
		json_object_set_new(o, store_rows_name(r, i), store__col_json(r, i));
	return o;
}

int store_query_json(struct store_conn *c, const char *sql, const struct store_param *p,
		     size_t np, size_t max_rows, json_t **out)
{
	struct store_rows *r = NULL;
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	rc = store_query(c, sql, p, np, &r);
	if (rc)
		goto out;
	arr = json_array();
	while ((rc = store_rows_next(r)) == 1) {
		if (json_array_size(arr) >= max_rows) {
			rc = PL_ETOOBIG;
			goto out;
		}
		json_array_append_new(arr, store__row_json(r));
	}
	if (rc < 0)
		goto out;
	rc = 0;
	*out = arr;
	arr = NULL;
out:
	json_decref(arr);
	store_rows_free(r);
	return rc;
}

int store_query_one(struct store_conn *c, const char *sql, const struct store_param *p,
		    size_t np, json_t **out)
{
	struct store_rows *r = NULL;
	int rc;

	*out = NULL;
	rc = store_query(c, sql, p, np, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc == 0)
		rc = PL_ENOTFOUND;
	if (rc < 0)
		goto out;
	*out = store__row_json(r);
	rc = 0;
out:
	store_rows_free(r);
	return rc;
}

/* ----------------------------------------------------------------- audit */

int store_audit(struct store_conn *c, const struct store_audit *a)
{
	char id[PL_ID_LEN + 1], at[PL_TIME_STRLEN];
	char *before = NULL, *after = NULL;
	int rc;

	if (!a || !a->action || !*a->action)
		return PL_EINVAL;
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), at);
	if (a->before)
		before = pl_json_dump(a->before);
	if (a->after)
		after = pl_json_dump(a->after);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(at), SP_TEXT(a->actor_id), SP_TEXT(a->actor_name),
		SP_TEXT(a->action), SP_TEXT(a->entity), SP_TEXT(a->entity_id),
		SP_TEXT(a->enterprise_id), SP_TEXT(before), SP_TEXT(after),
		SP_TEXT(a->request_id), SP_TEXT(a->ip),
	};
	rc = store_exec(c,
			"INSERT INTO audit_log (id, at, actor_id, actor_name, action, entity,"
			" entity_id, enterprise_id, before_json, after_json, request_id, ip)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			p, STORE_NP(p), NULL);
	free(before);
	free(after);
	return rc;
}

/* ------------------------------------------------------ ping/backup/check */

int store_ping(struct store *st)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	int rc;

	rc = store_conn_get(st, &c);
	if (rc)
		goto out;
	rc = store_query(c, "SELECT 1", NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	rc = rc == 1 ? 0 : rc < 0 ? rc : PL_EDB;
out:
	store_rows_free(r);
	store_conn_put(c);
	return rc;
}

int store_backup(struct store *st, const char *dest_path)
{
	struct store_conn *c = NULL;
	int rc;

	if (!dest_path || !*dest_path)
		return PL_EINVAL;
	rc = store_conn_get(st, &c);
	if (rc)
		return rc;
	rc = st->ops->backup(c, dest_path);
	store_conn_put(c);
	return rc;
}

int store_check(struct store *st, json_t **report)
{
	struct store_conn *c = NULL;
	json_t *rep = NULL;
	int cur = 0, latest = 0;
	bool ok = true;
	int rc;

	*report = NULL;
	rc = store_schema_version(st, &cur, &latest);
	if (rc)
		goto out;
	rc = store_conn_get(st, &c);
	if (rc)
		goto out;
	rep = json_object();
	json_object_set_new(rep, "engine", json_string(st->ops->name));
	json_object_set_new(rep, "schema_version", json_integer(cur));
	json_object_set_new(rep, "schema_latest", json_integer(latest));
	if (cur != latest)
		ok = false;
	rc = st->ops->check(c, rep, &ok);
	if (rc)
		goto out;
	json_object_set_new(rep, "ok", json_boolean(ok));
	*report = rep;
	rep = NULL;
out:
	json_decref(rep);
	store_conn_put(c);
	return rc;
}

/* ------------------------------------------------------- statement cache */

struct store__stmt *store__cache_find(struct store__cache *sc, const char *key)
{
	uint64_t h = pl_hash64(key, strlen(key));

	for (int i = 0; i < STORE_STMT_CACHE_MAX; i++) {
		struct store__stmt *e = &sc->e[i];
		if (e->key && e->hash == h && !strcmp(e->key, key)) {
			e->used = ++sc->tick;
			return e;
		}
	}
	return NULL;
}

void store__cache_remove(struct store__stmt *e, void (*evict)(void *ctx, void *handle),
			 void *ctx)
{
	if (!e->key)
		return;
	evict(ctx, e->handle);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

struct store__stmt *store__cache_add(struct store__cache *sc, const char *key,
				     void (*evict)(void *ctx, void *handle), void *ctx)
{
	struct store__stmt *victim = NULL;

	for (int i = 0; i < STORE_STMT_CACHE_MAX; i++) {
		struct store__stmt *e = &sc->e[i];
		if (!e->key) {
			victim = e;
			break;
		}
		if (!e->busy && (!victim || e->used < victim->used))
			victim = e;
	}
	if (!victim)
		return NULL;
	store__cache_remove(victim, evict, ctx);
	victim->key = pl_strdup(key);
	victim->hash = pl_hash64(key, strlen(key));
	victim->used = ++sc->tick;
	return victim;
}

void store__cache_clear(struct store__cache *sc, void (*evict)(void *ctx, void *handle),
			void *ctx)
{
	for (int i = 0; i < STORE_STMT_CACHE_MAX; i++)
		store__cache_remove(&sc->e[i], evict, ctx);
	sc->tick = 0;
}
