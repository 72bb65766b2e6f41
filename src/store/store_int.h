/*
 * store_int.h - what the store's own files share (never included outside
 * src/store/). The public face is store.h; this header holds the driver
 * interface (struct store_ops), the base structs each driver embeds as its
 * first member, and the statement cache both drivers use.
 *
 * Ownership: struct store owns its pool slots, every connection in them and
 * the copy of the url. A struct store_conn is owned by the pool and lent to
 * one thread between store_conn_get and store_conn_put. A struct store_rows
 * is owned by the caller of store_query until store_rows_free.
 */
#ifndef PL_STORE_INT_H
#define PL_STORE_INT_H

#include "store/store.h"

/* Most statements one connection keeps prepared. The working set of the
 * whole daemon is a few hundred distinct SQL texts at most; past the cap
 * the least recently used statement is finalised. */
#define STORE_STMT_CACHE_MAX 128
/* Most parameters one statement may bind (SQLite's default limit is
 * 32766, PostgreSQL's 65535: the smaller one wins). */
#define STORE_PARAMS_MAX 32766
/* Longest engine error message kept for store_conn_errmsg. */
#define STORE_ERRMSG_MAX 512

struct store_ops {
	const char *name;        /* "sqlite" or "postgresql" */
	enum store_kind kind;
	const char *begin_sql;   /* the statement store_begin runs */
	/* One write transaction per database at a time (SQLite): store_begin
	 * first takes the store's writer flag, so this process's writers
	 * queue on a condition variable and the next one starts the moment
	 * the last ends, instead of polling through SQLite's busy handler,
	 * which sleeps 1, 2, 5, 10... ms between tries (store.c NOTES 8). */
	bool one_writer;
	/* Runs after a commit released the writer flag (SQLite: the WAL
	 * checkpoint its commit called for); may be NULL. */
	void (*after_commit)(struct store_conn *c);
	/* Opens one new connection to st->target; *out is driver-allocated. */
	int (*conn_open)(struct store *st, struct store_conn **out);
	void (*conn_close)(struct store_conn *c);
	/* Called before a pooled connection is lent out: repairs a broken
	 * link (PostgreSQL reconnects) and ends a transaction a caller
	 * opened with a raw "BEGIN". */
	int (*conn_revive)(struct store_conn *c);
	int (*exec)(struct store_conn *c, const char *sql, const struct store_param *p,
		    size_t np, int64_t *changes);
	/* Several ;-separated statements without parameters (migrations). */
	int (*script)(struct store_conn *c, const char *sql);
	int (*query)(struct store_conn *c, const char *sql, const struct store_param *p,
		     size_t np, struct store_rows **out);
	int (*rows_next)(struct store_rows *r);
	int (*rows_ncols)(const struct store_rows *r);
	const char *(*rows_name)(const struct store_rows *r, int col);
	enum store_ptype (*rows_type)(const struct store_rows *r, int col);
	const char *(*rows_text)(const struct store_rows *r, int col);
	int64_t (*rows_int)(const struct store_rows *r, int col);
	double (*rows_real)(const struct store_rows *r, int col);
	const void *(*rows_blob)(const struct store_rows *r, int col, size_t *len);
	void (*rows_free)(struct store_rows *r);
	/* Serialises migrations across processes inside the open
	 * transaction; NULL when the engine's write lock already does. */
	int (*migrate_lock)(struct store_conn *c);
	int (*backup)(struct store_conn *c, const char *dest_path);
	/* Adds engine-specific findings to report; sets *ok false on a
	 * problem. */
	int (*check)(struct store_conn *c, json_t *report, bool *ok);
};

extern const struct store_ops store__sqlite_ops;
extern const struct store_ops store__pg_ops;

struct store {
	const struct store_ops *ops;
	char *target;             /* owned: SQLite path or libpq conninfo */
	int pool_size;            /* slots, >= 1 */
	int busy_timeout_ms;      /* lock and pool waits */
	struct pl_log *log;       /* borrowed, may be NULL */
	pthread_mutex_t mu;       /* guards everything below */
	pthread_cond_t cv;        /* signalled when a slot is returned */
	bool writing;             /* ops->one_writer: a transaction of ours is open */
	pthread_cond_t write_cv;  /* signalled when writing clears */
	struct store_conn **slot; /* owned, pool_size entries; NULL: not opened yet */
	bool *lent;               /* lent[i]: slot i is with a thread (or being opened) */
	int in_use;               /* number of lent slots */
	uint64_t waits;           /* store_conn_get calls that had to wait */
};

/* The part of a connection the dispatch layer sees; drivers embed it as
 * their first member and cast. */
struct store_conn {
	struct store *st;        /* borrowed back-pointer */
	int slot;                /* index in st->slot */
	bool in_tx;              /* between store_begin and commit/rollback */
	bool holds_write;        /* this transaction set st->writing */
	char errmsg[STORE_ERRMSG_MAX]; /* last engine error text, "" if none */
};

/* Base of a result cursor; drivers embed it first. */
struct store_rows {
	struct store_conn *c;    /* borrowed: the connection it runs on */
};

/* ------------------------------------------------ statement cache
 * A small per-connection map from (key text) to a driver handle, with LRU
 * eviction. Lookups compare a 64-bit hash first, then the text, so a scan
 * of the whole cache costs ~128 integer compares. Not thread-safe: it
 * belongs to one connection, which belongs to one thread at a time. */
struct store__stmt {
	uint64_t hash;
	char *key;       /* owned; NULL: empty entry */
	void *handle;    /* driver's: sqlite3_stmt * or a prepared-name string */
	uint64_t used;   /* LRU tick of the last lookup */
	bool busy;       /* an open cursor is using it right now */
};
struct store__cache {
	struct store__stmt e[STORE_STMT_CACHE_MAX];
	uint64_t tick;
};
/* The entry for key, or NULL. Bumps its LRU tick. */
struct store__stmt *store__cache_find(struct store__cache *sc, const char *key);
/* A free entry for key (owned copy made); when the cache is full the least
 * recently used idle entry is handed to evict(handle) first. NULL when
 * every entry is busy (the caller then runs the statement uncached). */
struct store__stmt *store__cache_add(struct store__cache *sc, const char *key,
				     void (*evict)(void *ctx, void *handle), void *ctx);
/* Drops every entry, calling evict(handle) on each. */
void store__cache_clear(struct store__cache *sc, void (*evict)(void *ctx, void *handle),
			void *ctx);
void store__cache_remove(struct store__stmt *e, void (*evict)(void *ctx, void *handle),
			 void *ctx);

/* Records the engine's message on c (truncated) and logs it: at debug for
 * constraint outcomes the caller handles, at warn for PL_EDB. */
void store__fail(struct store_conn *c, int rc, const char *what, const char *msg);

/* PostgreSQL placeholder rewrite (pg.c): `?` -> $1..$n outside quotes,
 * identifiers, comments and dollar-quoted bodies; *count gets n.
 * PL_ETOOBIG when out's cap is hit. Exposed for the unit tests. */
int store__pg_rewrite(const char *sql, struct pl_buf *out, size_t *count);

/* Migrations (migrations.c). */
struct store__migration {
	int version;            /* 1, 2, 3, ... strictly increasing, no gaps */
	const char *name;       /* short label recorded in schema_migrations */
	const char *sql;        /* portable DDL run on both engines ("" for none) */
	const char *sqlite_sql; /* extra DDL for SQLite only, or NULL */
	const char *pg_sql;     /* extra DDL for PostgreSQL only, or NULL */
	bool rebuild;           /* SQLite tables rebuilt: foreign keys off meanwhile */
};
const struct store__migration *store__migrations(size_t *n);

#endif /* PL_STORE_INT_H */
