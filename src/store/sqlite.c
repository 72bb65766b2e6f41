/*
 * sqlite.c - the SQLite driver behind struct store_ops: the embedded
 * default store, one database file shared by a pool of handles.
 *
 * Each handle is opened in multi-thread mode (SQLITE_OPEN_NOMUTEX): the
 * pool lends it to one thread at a time, so SQLite's own per-handle mutex
 * would be pure cost. Every handle sets journal_mode=WAL (readers never
 * block the writer), synchronous=FULL (the WAL is fsync'ed at each commit:
 * see NOTES ON THE DESIGN 1 in store.c), foreign_keys=ON (a per-connection
 * setting in SQLite) and a busy timeout, so a writer waiting for another
 * handle's or another process's write lock waits instead of failing; a
 * file it creates gets SQ_PAGE_SIZE pages.
 * Transactions start with BEGIN IMMEDIATE: taking the write lock up front
 * avoids the deadlock-prone upgrade from a read to a write transaction.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

struct sq_conn {
	struct store_conn base;   /* must be first */
	sqlite3 *db;              /* owned */
	struct store__cache cache; /* handle: sqlite3_stmt *, owned */
	int wal_retry_pages;      /* sq__wal_hook: WAL size for the next TRUNCATE try */
	int passive_pages;        /* SQ_WAL_PASSIVE_BYTES in this file's pages */
	int truncate_pages;       /* SQ_WAL_TRUNCATE_BYTES in this file's pages */
	int wal_pages;            /* WAL size at a commit whose checkpoint waits for
				   * the writer flag's release; 0: none */
};

struct sq_rows {
	struct store_rows base;   /* must be first */
	sqlite3_stmt *stmt;       /* borrowed from the cache entry, or owned if uncached */
	struct store__stmt *entry; /* the cache entry marked busy, or NULL */
	int end;                  /* 0 while rows may come; then 1 (done) or <0 (error) */
};

static struct sq_conn *sq__conn(struct store_conn *c)
{
	return (struct sq_conn *)c;
}

/* WAL growth. SQLite's own automatic checkpoint is PASSIVE: it never
 * waits for readers, so under back-to-back writers with overlapping readers
 * the WAL is never reset and grows without bound (7.3 GB beside a 0.8 GB
 * database in the trace benchmark, docs/benchmarks.md). This hook replaces
 * it: after each commit, a PASSIVE checkpoint once the WAL holds
 * SQ_WAL_PASSIVE_BYTES (SQLite's default of 1000 4 KB pages), and once it
 * holds SQ_WAL_TRUNCATE_BYTES a TRUNCATE checkpoint, which waits for
 * readers through the busy handler (at most the busy timeout) and then
 * resets the file to zero bytes. If that times out, the next try waits
 * until the WAL has grown by another SQ_WAL_TRUNCATE_BYTES, so a stuck
 * reader costs one wait per 64 MB of WAL, not one per commit. Both are
 * counted in pages of the file's own size (sq_conn.passive_pages,
 * truncate_pages). Durability is unchanged (synchronous=FULL).
 * The hook runs inside COMMIT, while this process's writer flag is still
 * held (store.c NOTES 8); there it only notes the WAL's size, and
 * sq__after_commit checkpoints once the flag is free, so the next writer
 * works while this one copies pages into the database, as it could before
 * the flag existed. */
#define SQ_WAL_PASSIVE_BYTES (4 << 20)
#define SQ_WAL_TRUNCATE_BYTES (64 << 20)

/* The page size of a new store: 16 KB instead of SQLite's 4 KB. A quarter
 * as many pages, page writes (two write calls each into the WAL) and b-tree
 * splits per stored byte: the trace benchmark's plain-insert floor went
 * from 62 k to 83 k events/s and capture with it, and on its 10 M-event
 * store the recall and unit traces were no slower (docs/benchmarks.md,
 * "No random key"). A store created with smaller pages keeps them: SQLite
 * changes a WAL database's page size only by a VACUUM out of WAL mode. */
#define SQ_PAGE_SIZE "16384"

/* The WAL thresholds in pages of the file's size (4 KB in a store made
 * before SQ_PAGE_SIZE, SQ_PAGE_SIZE since). */
static int sq__page_counts(struct sq_conn *sc)
{
	sqlite3_stmt *stmt = NULL;
	int size = 0;

	if (sqlite3_prepare_v2(sc->db, "PRAGMA page_size", -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		size = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (size < 512) {
		store__fail(&sc->base, PL_EDB, "page_size", sqlite3_errmsg(sc->db));
		return PL_EDB;
	}
	sc->passive_pages = SQ_WAL_PASSIVE_BYTES / size;
	sc->truncate_pages = SQ_WAL_TRUNCATE_BYTES / size;
	sc->wal_retry_pages = sc->truncate_pages;
	return 0;
}

/* The checkpoint a WAL of pages pages calls for, if any. */
static void sq__checkpoint(struct sq_conn *sc, int pages)
{
	sqlite3 *db = sc->db;
	const char *name = "main";

	if (pages < sc->wal_retry_pages)
		sc->wal_retry_pages = pages < sc->truncate_pages ? sc->truncate_pages
								 : sc->wal_retry_pages;
	if (pages >= sc->wal_retry_pages) {
		if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL,
					      NULL) == SQLITE_OK)
			sc->wal_retry_pages = sc->truncate_pages;
		else
			sc->wal_retry_pages = pages + sc->truncate_pages;
	} else if (pages >= sc->passive_pages) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	}
	/* a failed checkpoint is not the commit's failure */
}

static int sq__wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct sq_conn *sc = arg;

	(void)db;
	(void)name; /* always "main": the store attaches no database */
	if (sc->base.holds_write)
		sc->wal_pages = pages;
	else
		sq__checkpoint(sc, pages);
	return SQLITE_OK;
}

/* After a transaction's end released the writer flag: its checkpoint. */
static void sq__after_commit(struct store_conn *c)
{
	struct sq_conn *sc = sq__conn(c);
	int pages = sc->wal_pages;

	sc->wal_pages = 0;
	if (pages)
		sq__checkpoint(sc, pages);
}

static void sq__evict(void *ctx, void *handle)
{
	(void)ctx;
	sqlite3_finalize(handle);
}

/* Extended result code -> PL_E code (NOTES ON THE DESIGN 6). */
static int sq__map(int ext)
{
	switch (ext) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return PL_EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_RANGE:
		return PL_EINVAL;
	case SQLITE_CONSTRAINT_TRIGGER:
		return PL_EFORBIDDEN;
	}
	if ((ext & 0xff) == SQLITE_BUSY || (ext & 0xff) == SQLITE_LOCKED)
		return PL_EBUSY;
	return PL_EDB;
}

static int sq__fail(struct sq_conn *sc, const char *what)
{
	int rc = sq__map(sqlite3_extended_errcode(sc->db));
	store__fail(&sc->base, rc, what, sqlite3_errmsg(sc->db));
	return rc;
}

/* A statement for sql, reset and unbound: from the cache when it is there
 * and idle, else freshly prepared (and cached if there is room). *entry is
 * the cache entry or NULL when the caller owns *out and must finalize. */
static int sq__prepare(struct sq_conn *sc, const char *sql, sqlite3_stmt **out,
		       struct store__stmt **entry)
{
	struct store__stmt *e = store__cache_find(&sc->cache, sql);
	sqlite3_stmt *stmt = NULL;
	const char *tail = NULL;

	*out = NULL;
	*entry = NULL;
	if (e && !e->busy) {
		*out = e->handle;
		*entry = e;
		return 0;
	}
	if (sqlite3_prepare_v3(sc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail) !=
	    SQLITE_OK)
		return sq__fail(sc, "prepare");
	if (!stmt) {
		store__fail(&sc->base, PL_EINVAL, "prepare", "empty statement");
		return PL_EINVAL;
	}
	while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';'))
		tail++;
	if (tail && *tail) {
		/* One call, one statement: trailing SQL would be silently
		 * ignored otherwise. */
		sqlite3_finalize(stmt);
		store__fail(&sc->base, PL_EINVAL, "prepare", "more than one statement");
		return PL_EINVAL;
	}
	if (!e) {
		e = store__cache_add(&sc->cache, sql, sq__evict, NULL);
		if (e) {
			e->handle = stmt;
			*entry = e;
		}
	}
	*out = stmt;
	return 0;
}

static void sq__release(sqlite3_stmt *stmt, struct store__stmt *entry)
{
	if (entry) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		entry->busy = false;
	} else {
		sqlite3_finalize(stmt);
	}
}

/* copy: SQLite keeps its own copies of text and blobs, for a cursor that
 * outlives the caller's params; sq_exec resets the statement before it
 * returns, so it binds them in place (SQLITE_STATIC) and saves a copy of
 * every value it writes (a captured event's body among them). */
static int sq__bind(struct sq_conn *sc, sqlite3_stmt *stmt, const struct store_param *p,
		    size_t np, bool copy)
{
	sqlite3_destructor_type how = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
	int rc = SQLITE_OK;

	if ((size_t)sqlite3_bind_parameter_count(stmt) != np) {
		char msg[96];
		pl_fmt(msg, sizeof(msg), "statement has %d placeholders, %zu parameters given",
		       sqlite3_bind_parameter_count(stmt), np);
		store__fail(&sc->base, PL_EINVAL, "bind", msg);
		return PL_EINVAL;
	}
	for (size_t i = 0; i < np && rc == SQLITE_OK; i++) {
		int k = (int)i + 1;
		switch (p[i].type) {
		case STORE_P_NULL:
			rc = sqlite3_bind_null(stmt, k);
			break;
		case STORE_P_TEXT:
			rc = p[i].s ? sqlite3_bind_text(stmt, k, p[i].s, -1, how)
				    : sqlite3_bind_null(stmt, k);
			break;
		case STORE_P_INT:
			rc = sqlite3_bind_int64(stmt, k, p[i].i);
			break;
		case STORE_P_REAL:
			rc = sqlite3_bind_double(stmt, k, p[i].d);
			break;
		case STORE_P_BLOB:
			/* A NULL pointer would bind SQL NULL; an empty blob is
			 * still a blob. */
			rc = sqlite3_bind_blob64(stmt, k, p[i].s ? p[i].s : "", p[i].len, how);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : sq__fail(sc, "bind");
}

/* --------------------------------------------------------- connection */

static void sq_conn_close(struct store_conn *c)
{
	struct sq_conn *sc = sq__conn(c);

	store__cache_clear(&sc->cache, sq__evict, NULL);
	sqlite3_close(sc->db);
	free(sc);
}

static int sq_conn_open(struct store *st, struct store_conn **out)
{
	struct sq_conn *sc = pl_calloc(1, sizeof(*sc));
	sqlite3_stmt *stmt = NULL;
	int rc = 0;

	*out = NULL;
	sc->base.st = st;
	if (!strcmp(st->target, ":memory:")) {
		/* Each pooled handle would get its own empty database. */
		store__fail(&sc->base, PL_EINVAL, "open",
			    "in-memory SQLite cannot be pooled; use a file path");
		rc = PL_EINVAL;
		goto out;
	}
	if (sqlite3_open_v2(st->target, &sc->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = PL_EDB;
		store__fail(&sc->base, rc, st->target,
			    sc->db ? sqlite3_errmsg(sc->db) : "out of memory");
		goto out;
	}
	sqlite3_extended_result_codes(sc->db, 1);
	sqlite3_busy_timeout(sc->db, st->busy_timeout_ms);
	/* The page size of a database this handle creates (SQ_PAGE_SIZE);
	 * an existing file keeps its own, and a failure here is no failure. */
	sqlite3_exec(sc->db, "PRAGMA page_size=" SQ_PAGE_SIZE, NULL, NULL, NULL);
	/* journal_mode answers with the mode now in force; a file system
	 * without shared memory support stays in "delete" mode, which would
	 * break the concurrency the pool relies on. */
	if (sqlite3_prepare_v2(sc->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW) {
		rc = sq__fail(sc, "journal_mode");
		rc = rc == PL_EBUSY ? rc : PL_EDB;
		goto out;
	}
	if (sqlite3_stricmp((const char *)sqlite3_column_text(stmt, 0), "wal")) {
		rc = PL_EDB;
		store__fail(&sc->base, rc, st->target, "cannot switch to WAL journal mode");
		goto out;
	}
	if (sqlite3_exec(sc->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL,
			 NULL, NULL) != SQLITE_OK) {
		rc = PL_EDB;
		sq__fail(sc, "pragma");
		goto out;
	}
	rc = sq__page_counts(sc);
	if (rc)
		goto out;
	sqlite3_wal_hook(sc->db, sq__wal_hook, sc);
	*out = &sc->base;
	sc = NULL;
out:
	sqlite3_finalize(stmt);
	if (sc) {
		sqlite3_close(sc->db);
		free(sc);
	}
	return rc;
}

static int sq_conn_revive(struct store_conn *c)
{
	struct sq_conn *sc = sq__conn(c);

	/* A transaction opened behind store_begin's back (a raw "BEGIN"
	 * through store_exec) must not reach the next borrower. */
	if (!sqlite3_get_autocommit(sc->db))
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

/* ---------------------------------------------------------- statements */

static int sq_exec(struct store_conn *c, const char *sql, const struct store_param *p,
		   size_t np, int64_t *changes)
{
	struct sq_conn *sc = sq__conn(c);
	struct store__stmt *entry = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc, s;

	rc = sq__prepare(sc, sql, &stmt, &entry);
	if (rc)
		return rc;
	rc = sq__bind(sc, stmt, p, np, false);
	if (rc)
		goto out;
	while ((s = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (s != SQLITE_DONE) {
		rc = sq__fail(sc, "exec");
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes64(sc->db);
out:
	sq__release(stmt, entry);
	return rc;
}

static int sq_script(struct store_conn *c, const char *sql)
{
	struct sq_conn *sc = sq__conn(c);

	if (sqlite3_exec(sc->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq__fail(sc, "script");
	return 0;
}

static int sq_query(struct store_conn *c, const char *sql, const struct store_param *p,
		    size_t np, struct store_rows **out)
{
	struct sq_conn *sc = sq__conn(c);
	struct store__stmt *entry = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = sq__prepare(sc, sql, &stmt, &entry);
	if (rc)
		return rc;
	rc = sq__bind(sc, stmt, p, np, true);
	if (rc) {
		sq__release(stmt, entry);
		return rc;
	}
	if (entry)
		entry->busy = true;
	struct sq_rows *r = pl_calloc(1, sizeof(*r));
	r->base.c = c;
	r->stmt = stmt;
	r->entry = entry;
	*out = &r->base;
	return 0;
}

static int sq_rows_next(struct store_rows *rr)
{
	struct sq_rows *r = (struct sq_rows *)rr;
	int s;

	/* Stepping a finished statement would silently restart it. */
	if (r->end)
		return r->end > 0 ? 0 : r->end;
	s = sqlite3_step(r->stmt);
	if (s == SQLITE_ROW)
		return 1;
	if (s == SQLITE_DONE) {
		r->end = 1;
		return 0;
	}
	r->end = sq__fail(sq__conn(rr->c), "step");
	return r->end;
}

static int sq_rows_ncols(const struct store_rows *rr)
{
	return sqlite3_column_count(((const struct sq_rows *)rr)->stmt);
}

static const char *sq_rows_name(const struct store_rows *rr, int col)
{
	const char *n = sqlite3_column_name(((const struct sq_rows *)rr)->stmt, col);
	return n ? n : "";
}

static enum store_ptype sq_rows_type(const struct store_rows *rr, int col)
{
	switch (sqlite3_column_type(((const struct sq_rows *)rr)->stmt, col)) {
	case SQLITE_INTEGER:
		return STORE_P_INT;
	case SQLITE_FLOAT:
		return STORE_P_REAL;
	case SQLITE_TEXT:
		return STORE_P_TEXT;
	case SQLITE_BLOB:
		return STORE_P_BLOB;
	default:
		return STORE_P_NULL;
	}
}

static const char *sq_rows_text(const struct store_rows *rr, int col)
{
	return (const char *)sqlite3_column_text(((const struct sq_rows *)rr)->stmt, col);
}

static int64_t sq_rows_int(const struct store_rows *rr, int col)
{
	return sqlite3_column_int64(((const struct sq_rows *)rr)->stmt, col);
}

static double sq_rows_real(const struct store_rows *rr, int col)
{
	return sqlite3_column_double(((const struct sq_rows *)rr)->stmt, col);
}

static const void *sq_rows_blob(const struct store_rows *rr, int col, size_t *len)
{
	sqlite3_stmt *stmt = ((const struct sq_rows *)rr)->stmt;
	const void *b = sqlite3_column_blob(stmt, col);

	/* Bytes after the blob call: it may convert the value first. */
	*len = (size_t)sqlite3_column_bytes(stmt, col);
	return b ? b : "";
}

static void sq_rows_free(struct store_rows *rr)
{
	struct sq_rows *r = (struct sq_rows *)rr;

	sq__release(r->stmt, r->entry);
	free(r);
}

/* ------------------------------------------------------- backup, check */

/* Copies the live database with the online backup API into dest_path.tmp,
 * then renames it over dest_path and syncs the directory, so dest_path is
 * either the old file or a complete new copy, never half of one. */
static int sq_backup(struct store_conn *c, const char *dest_path)
{
	struct sq_conn *sc = sq__conn(c);
	struct pl_buf tmp;
	sqlite3 *dst = NULL;
	sqlite3_backup *bk = NULL;
	char *dir = NULL;
	int rc = 0, fd;

	pl_buf_init(&tmp, 4096);
	if (pl_buf_printf(&tmp, "%s.tmp", dest_path)) {
		rc = PL_EINVAL;
		goto out;
	}
	unlink(tmp.data);
	if (sqlite3_open_v2(tmp.data, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, tmp.data, dst ? sqlite3_errmsg(dst) : "cannot open");
		goto out;
	}
	bk = sqlite3_backup_init(dst, "main", sc->db, "main");
	if (!bk) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, "backup", sqlite3_errmsg(dst));
		goto out;
	}
	/* -1: copy every page in one step, inside one read transaction of
	 * the source, so the copy is one consistent snapshot. */
	int s = sqlite3_backup_step(bk, -1);
	sqlite3_backup_finish(bk);
	if (s != SQLITE_DONE) {
		rc = (s & 0xff) == SQLITE_BUSY || (s & 0xff) == SQLITE_LOCKED ? PL_EBUSY : PL_EIO;
		store__fail(c, PL_EDB, "backup", sqlite3_errstr(s));
		goto out;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		rc = PL_EIO;
		goto out;
	}
	dst = NULL;
	if (rename(tmp.data, dest_path)) {
		rc = PL_EIO;
		store__fail(c, PL_EDB, dest_path, strerror(errno));
		goto out;
	}
	dir = pl_strdup(dest_path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
out:
	if (dst) {
		sqlite3_close(dst);
		unlink(tmp.data);
	}
	free(dir);
	pl_buf_release(&tmp);
	return rc;
}

/* Runs a PRAGMA returning rows; appends up to 20 first-column texts to arr
 * and counts every row. */
static int sq__pragma_rows(struct sq_conn *sc, const char *sql, json_t *arr, int64_t *n)
{
	sqlite3_stmt *stmt = NULL;
	int s;

	*n = 0;
	if (sqlite3_prepare_v2(sc->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return sq__fail(sc, sql);
	while ((s = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (json_array_size(arr) < 20) {
			const char *t = (const char *)sqlite3_column_text(stmt, 0);
			json_array_append_new(arr, json_string(t ? t : ""));
		}
		(*n)++;
	}
	sqlite3_finalize(stmt);
	if (s != SQLITE_DONE)
		return sq__fail(sc, sql);
	return 0;
}

static int sq_check(struct store_conn *c, json_t *report, bool *ok)
{
	struct sq_conn *sc = sq__conn(c);
	json_t *integ = json_array(), *fk = json_array();
	int64_t n = 0;
	int rc;

	rc = sq__pragma_rows(sc, "PRAGMA integrity_check", integ, &n);
	if (rc)
		goto out;
	if (n != 1 || strcmp(json_string_value(json_array_get(integ, 0)), "ok"))
		*ok = false;
	rc = sq__pragma_rows(sc, "PRAGMA foreign_key_check", fk, &n);
	if (rc)
		goto out;
	if (n)
		*ok = false;
	json_object_set_new(report, "foreign_key_violations", json_integer(n));
	json_object_set(report, "integrity_check", integ);
	json_object_set(report, "foreign_key_violation_tables", fk);
	json_object_set_new(report, "sqlite_version", json_string(sqlite3_libversion()));
out:
	json_decref(integ);
	json_decref(fk);
	return rc;
}

const struct store_ops store__sqlite_ops = {
	.name = "sqlite",
	.kind = STORE_SQLITE,
	.begin_sql = "BEGIN IMMEDIATE",
	.one_writer = true,
	.after_commit = sq__after_commit,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.conn_revive = sq_conn_revive,
	.exec = sq_exec,
	.script = sq_script,
	.query = sq_query,
	.rows_next = sq_rows_next,
	.rows_ncols = sq_rows_ncols,
	.rows_name = sq_rows_name,
	.rows_type = sq_rows_type,
	.rows_text = sq_rows_text,
	.rows_int = sq_rows_int,
	.rows_real = sq_rows_real,
	.rows_blob = sq_rows_blob,
	.rows_free = sq_rows_free,
	.migrate_lock = NULL,
	.backup = sq_backup,
	.check = sq_check,
};
