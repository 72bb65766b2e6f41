/* test_store.c - the store contract, run against BOTH drivers: every
 * STORE_TEST below is a Criterion parameterized test whose parameter is the
 * driver. SQLite runs on a file in a fresh temp dir; PostgreSQL runs on the
 * server named by PARKLINE_TEST_PG (tests/steps/20-unit.sh starts one with
 * scripts/pg.sh), each test in its own schema so tests never see each
 * other's rows. Without PARKLINE_TEST_PG the PostgreSQL cases are skipped
 * on a developer machine but FAIL when CI=true or PL_REQUIRE_PG=1, so CI
 * cannot go green without having tested PostgreSQL. */
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/store_env.h"
#include "store/store_int.h"

/* Each test's database comes from the shared two-driver harness
 * (tests/unit/support/store_env.h). The contract tests migrate and take
 * connections themselves, so the harness only opens the store. */
static void env_url(const struct tenv *e, char *out, size_t n)
{
	pl_strlcpy(out, e->url, n);
}

static void env_open_opts(struct tenv *e, const struct tenv_drv *d, int pool, int timeout_ms)
{
	const struct tenv_opts o = { .pool_size = pool, .busy_timeout_ms = timeout_ms,
				     .no_migrate = true, .no_conn = true };

	tenv_open_or_skip(e, d->pg, "store", &o);
}

static void env_open(struct tenv *e, const struct tenv_drv *d, bool migrate)
{
	env_open_opts(e, d, 4, 2000);
	if (migrate) {
		int applied = -1;
		cr_assert_eq(store_migrate(e->st, &applied), 0);
	}
}

static struct store_conn *get(struct tenv *e)
{
	struct store_conn *c = NULL;
	cr_assert_eq(store_conn_get(e->st, &c), 0);
	return c;
}

static int64_t count_rows(struct store_conn *c, const char *sql)
{
	struct store_rows *r = NULL;
	int64_t n;
	cr_assert_eq(store_query(c, sql, NULL, 0, &r), 0, "%s: %s", sql, store_conn_errmsg(c));
	cr_assert_eq(store_rows_next(r), 1);
	n = store_rows_int(r, 0);
	store_rows_free(r);
	return n;
}

static void exec_ok(struct store_conn *c, const char *sql)
{
	cr_assert_eq(store_exec(c, sql, NULL, 0, NULL), 0, "%s: %s", sql, store_conn_errmsg(c));
}

/* The table the value tests use; only the blob type is spelled per engine. */
static void make_values_table(struct tenv *e, struct store_conn *c)
{
	exec_ok(c, store_kind(e->st) == STORE_SQLITE
		? "CREATE TABLE v (k INTEGER PRIMARY KEY, t TEXT, i BIGINT,"
		  " r DOUBLE PRECISION, b BLOB, u TEXT UNIQUE)"
		: "CREATE TABLE v (k INTEGER PRIMARY KEY, t TEXT, i BIGINT,"
		  " r DOUBLE PRECISION, b BYTEA, u TEXT UNIQUE)");
}

#define STORE_TEST(name) TENV_TEST_OPTS(store, name, .timeout = 60)

/* ------------------------------------------------------------ migrations */

/* Every foundation table with every column other modules rely on: a
 * SELECT naming them fails if one is missing or misspelt. */
static const char *const schema_selects[] = {
	"SELECT id, name_zh, name_en, uscc, created_at, updated_at FROM enterprises",
	"SELECT id, username, display_name, password_hash, role, enterprise_id, department,"
	" disabled, created_at, updated_at FROM users",
	"SELECT id_hash, user_id, csrf, created_at, expires_at, last_seen_at, ip, user_agent"
	" FROM sessions",
	"SELECT id, name, token_hash, user_id, role, enterprise_id, line_id, created_by,"
	" created_at, expires_at, revoked_at, last_used_at FROM api_tokens",
	"SELECT id, enterprise_id, specialist_id, started_at, ended_at, reason FROM assignments",
	"SELECT id, at, actor_id, actor_name, action, entity, entity_id, enterprise_id,"
	" before_json, after_json, request_id, ip FROM audit_log",
	"SELECT version, name, applied_at FROM schema_migrations",
};

STORE_TEST(migrate_twice_is_noop)
{
	struct tenv e;
	int applied = -1, cur = -1, latest = -1;

	env_open(&e, d, false);
	cr_assert_eq(store_schema_version(e.st, &cur, &latest), 0);
	cr_expect_eq(cur, 0, "fresh database reports version %d", cur);
	cr_assert_geq(latest, 1);
	cr_assert_eq(store_migrate(e.st, &applied), 0);
	cr_expect_eq(applied, latest);
	cr_assert_eq(store_migrate(e.st, &applied), 0);
	cr_expect_eq(applied, 0, "second migrate applied %d", applied);
	cr_assert_eq(store_schema_version(e.st, &cur, &latest), 0);
	cr_expect_eq(cur, latest);

	struct store_conn *c = get(&e);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM schema_migrations"), latest);
	for (size_t i = 0; i < sizeof(schema_selects) / sizeof(schema_selects[0]); i++) {
		json_t *rows = NULL;
		cr_expect_eq(store_query_json(c, schema_selects[i], NULL, 0, 1000, &rows), 0,
			     "%s: %s", schema_selects[i], store_conn_errmsg(c));
		json_decref(rows);
	}
	store_conn_put(c);
	tenv_close(&e);
}

struct migrator {
	const char *url;
	int rc, applied;
};

static void *migrate_thread(void *arg)
{
	struct migrator *m = arg;
	struct store *st = NULL;
	struct store_options o = { .pool_size = 1, .busy_timeout_ms = 10000 };

	m->rc = store_open(m->url, &o, &st);
	if (m->rc == 0)
		m->rc = store_migrate(st, &m->applied);
	store_free(st);
	return NULL;
}

/* Two independent stores (as two processes would have) migrating one
 * fresh database at the same moment: each version is applied once. */
STORE_TEST(concurrent_migrate_applies_once)
{
	struct tenv e;
	struct migrator m[3];
	pthread_t t[3];
	char url[1024];
	int cur = 0, latest = 0;

	env_open(&e, d, false);
	env_url(&e, url, sizeof(url));
	for (int i = 0; i < 3; i++) {
		m[i] = (struct migrator){ .url = url, .rc = -99 };
		pthread_create(&t[i], NULL, migrate_thread, &m[i]);
	}
	int total = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(m[i].rc, 0, "migrator %d: %s", i, pl_strerror(m[i].rc));
		total += m[i].applied;
	}
	cr_assert_eq(store_schema_version(e.st, &cur, &latest), 0);
	cr_expect_eq(total, latest, "versions applied %d times in all", total);
	cr_expect_eq(cur, latest);
	tenv_close(&e);
}

/* ------------------------------------------------------ values and types */

static const unsigned char blob_bytes[] = { 0x00, 0xff, 0x5c, 0x27, 0x3f, 0x01, 0x80 };

struct value_case {
	const char *label;
	struct store_param p;      /* bound into the column named by col */
	const char *col;
	enum store_ptype type;     /* type read back */
	const char *json;          /* store_query_json rendering of that column */
};
static const struct value_case value_cases[] = {
	{ "ascii", SP_TEXT("hello"), "t", STORE_P_TEXT, "\"hello\"" },
	{ "chinese", SP_TEXT("重庆太极制药有限公司"), "t", STORE_P_TEXT,
	  "\"重庆太极制药有限公司\"" },
	{ "quote and ?", SP_TEXT("it's a ? mark -- not a comment"), "t", STORE_P_TEXT,
	  "\"it's a ? mark -- not a comment\"" },
	{ "empty text", SP_TEXT(""), "t", STORE_P_TEXT, "\"\"" },
	{ "null text", SP_TEXT(NULL), "t", STORE_P_NULL, "null" },
	{ "null", SP_NULL, "i", STORE_P_NULL, "null" },
	{ "int zero", SP_INT(0), "i", STORE_P_INT, "0" },
	{ "int max", SP_INT(INT64_MAX), "i", STORE_P_INT, "9223372036854775807" },
	{ "int min", SP_INT(INT64_MIN), "i", STORE_P_INT, "-9223372036854775808" },
	{ "real", SP_REAL(3.25), "r", STORE_P_REAL, "3.25" },
	{ "real tiny", SP_REAL(-1e-300), "r", STORE_P_REAL, "-1e-300" },
	{ "real infinity", SP_REAL(INFINITY), "r", STORE_P_REAL, "null" },
	{ "blob", SP_BLOB(blob_bytes, sizeof(blob_bytes)), "b", STORE_P_BLOB,
	  "\"00ff5c273f0180\"" },
	{ "empty blob", SP_BLOB("", 0), "b", STORE_P_BLOB, "\"\"" },
};

STORE_TEST(values_round_trip)
{
	struct tenv e;

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	for (size_t k = 0; k < sizeof(value_cases) / sizeof(value_cases[0]); k++) {
		const struct value_case *vc = &value_cases[k];
		char sql[128];
		pl_fmt(sql, sizeof(sql), "INSERT INTO v (k, %s) VALUES (?, ?)", vc->col);
		struct store_param p[] = { SP_INT((int64_t)k), vc->p };
		int64_t changes = -1;
		cr_assert_eq(store_exec(c, sql, p, STORE_NP(p), &changes), 0, "%s: %s",
			     vc->label, store_conn_errmsg(c));
		cr_expect_eq(changes, 1, "%s: changes %lld", vc->label, (long long)changes);

		pl_fmt(sql, sizeof(sql), "SELECT %s FROM v WHERE k = ?", vc->col);
		struct store_param q[] = { SP_INT((int64_t)k) };
		struct store_rows *r = NULL;
		cr_assert_eq(store_query(c, sql, q, 1, &r), 0);
		cr_assert_eq(store_rows_next(r), 1, "%s: no row", vc->label);
		cr_expect_eq(store_rows_ncols(r), 1);
		cr_expect_str_eq(store_rows_name(r, 0), vc->col);
		enum store_ptype t = store_rows_type(r, 0);
		cr_expect_eq(t, vc->type, "%s: type %d, want %d", vc->label, t, vc->type);
		cr_expect_eq(store_rows_isnull(r, 0), vc->type == STORE_P_NULL, "%s", vc->label);
		switch (vc->type) {
		case STORE_P_NULL:
			cr_expect_str_eq(store_rows_text(r, 0), "", "%s", vc->label);
			break;
		case STORE_P_TEXT:
			cr_expect_str_eq(store_rows_text(r, 0), vc->p.s, "%s", vc->label);
			break;
		case STORE_P_INT:
			cr_expect_eq(store_rows_int(r, 0), vc->p.i, "%s", vc->label);
			break;
		case STORE_P_REAL:
			cr_expect_eq(store_rows_real(r, 0), vc->p.d, "%s", vc->label);
			break;
		case STORE_P_BLOB: {
			size_t len = 99;
			const void *b = store_rows_blob(r, 0, &len);
			cr_expect_eq(len, vc->p.len, "%s: len %zu", vc->label, len);
			cr_expect(len == vc->p.len && !memcmp(b, vc->p.s, len), "%s", vc->label);
			break;
		}
		}
		cr_expect_eq(store_rows_next(r), 0);
		store_rows_free(r);

		json_t *row = NULL;
		cr_assert_eq(store_query_one(c, sql, q, 1, &row), 0);
		char *got = json_dumps(json_object_get(row, vc->col), JSON_ENCODE_ANY | JSON_COMPACT);
		json_t *want = json_loads(vc->json, JSON_DECODE_ANY, NULL);
		cr_expect(json_equal(json_object_get(row, vc->col), want), "%s: json %s, want %s",
			  vc->label, got, vc->json);
		free(got);
		json_decref(want);
		json_decref(row);
	}
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"),
		     (int64_t)(sizeof(value_cases) / sizeof(value_cases[0])));

	/* The optional-filter idiom: a NULL text parameter switches the
	 * condition off, on both engines (PostgreSQL must know its type). */
	static const struct { const char *filter; int64_t n; } opt[] = {
		{ NULL, (int64_t)(sizeof(value_cases) / sizeof(value_cases[0])) },
		{ "hello", 1 },
		{ "no such text", 0 },
	};
	for (size_t k = 0; k < sizeof(opt) / sizeof(opt[0]); k++) {
		struct store_param p[] = { SP_TEXT(opt[k].filter), SP_TEXT(opt[k].filter) };
		struct store_rows *r = NULL;
		cr_assert_eq(store_query(c, "SELECT count(*) FROM v WHERE (? IS NULL OR t = ?)", p,
					 2, &r), 0, "%s", store_conn_errmsg(c));
		cr_assert_eq(store_rows_next(r), 1);
		cr_expect_eq(store_rows_int(r, 0), opt[k].n, "filter %s",
			     opt[k].filter ? opt[k].filter : "NULL");
		store_rows_free(r);
	}
	store_conn_put(c);
	tenv_close(&e);
}

STORE_TEST(query_json_types_and_caps)
{
	struct tenv e;
	json_t *rows = NULL, *row = NULL;

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	cr_assert_eq(store_query_one(c,
		"SELECT 7 AS i, CAST(2.5 AS DOUBLE PRECISION) AS r, 'x' AS s, NULL AS n,"
		" '{\"a\":[1,2],\"名\":\"值\"}' AS meta_json, 'not json' AS bad_json,"
		" (SELECT count(*) FROM v) AS cnt", NULL, 0, &row), 0, "%s", store_conn_errmsg(c));
	json_t *want = json_pack("{s:i, s:f, s:s, s:n, s:{s:[i,i], s:s}, s:s, s:i}", "i", 7,
				 "r", 2.5, "s", "x", "n", "meta_json", "a", 1, 2, "名", "值",
				 "bad_json", "not json", "cnt", 0);
	char *got = json_dumps(row, JSON_COMPACT);
	cr_expect(json_equal(row, want), "got %s", got);
	free(got);
	json_decref(want);
	json_decref(row);

	for (int k = 0; k < 5; k++) {
		struct store_param p[] = { SP_INT(k), SP_INT(k * 10) };
		cr_assert_eq(store_exec(c, "INSERT INTO v (k, i) VALUES (?, ?)", p, 2, NULL), 0);
	}
	cr_expect_eq(store_query_json(c, "SELECT k, i FROM v ORDER BY k", NULL, 0, 5, &rows), 0);
	cr_expect_eq(json_array_size(rows), 5);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(rows, 4), "i")), 40);
	json_decref(rows);
	rows = NULL;
	cr_expect_eq(store_query_json(c, "SELECT k FROM v", NULL, 0, 4, &rows), PL_ETOOBIG);
	cr_expect_null(rows);
	struct store_param none[] = { SP_INT(99) };
	cr_expect_eq(store_query_one(c, "SELECT k FROM v WHERE k = ?", none, 1, &row),
		     PL_ENOTFOUND);
	cr_expect_null(row);
	store_conn_put(c);
	tenv_close(&e);
}

/* ----------------------------------------------------- errors and mapping */

struct err_case {
	const char *label;
	const char *sql;
	struct store_param p[3];
	size_t np;
	int rc;
};

STORE_TEST(errors_map_to_codes)
{
	struct tenv e;
	static const struct err_case cases[] = {
		{ "duplicate primary key",
		  "INSERT INTO enterprises (id, name_zh, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
		  { SP_TEXT("E1"), SP_TEXT("另一家") }, 2, PL_EEXIST },
		{ "duplicate unique uscc",
		  "INSERT INTO enterprises (id, name_zh, uscc, created_at, updated_at) VALUES (?, ?, ?, 'x', 'x')",
		  { SP_TEXT("E2"), SP_TEXT("乙"), SP_TEXT("91500102MA5U5QHM1X") }, 3, PL_EEXIST },
		{ "foreign key",
		  "INSERT INTO users (id, username, display_name, password_hash, role, enterprise_id,"
		  " created_at, updated_at) VALUES ('U1', 'u1', 'U', 'h', 'enterprise', ?, 'x', 'x')",
		  { SP_TEXT("NO-SUCH-ENTERPRISE") }, 1, PL_EINVAL },
		{ "check constraint",
		  "INSERT INTO users (id, username, display_name, password_hash, role,"
		  " created_at, updated_at) VALUES ('U2', 'u2', 'U', 'h', ?, 'x', 'x')",
		  { SP_TEXT("superuser") }, 1, PL_EINVAL },
		{ "not null",
		  "INSERT INTO enterprises (id, name_zh, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
		  { SP_TEXT("E3"), SP_NULL }, 2, PL_EINVAL },
		{ "too few parameters",
		  "INSERT INTO enterprises (id, name_zh, created_at, updated_at) VALUES (?, ?, 'x', 'x')",
		  { SP_TEXT("E4") }, 1, PL_EINVAL },
		{ "too many parameters", "SELECT ?", { SP_INT(1), SP_INT(2) }, 2, PL_EINVAL },
		{ "syntax error", "SELEKT 1", { SP_NULL }, 0, PL_EDB },
		{ "unknown table", "DELETE FROM no_such_table", { SP_NULL }, 0, PL_EDB },
	};

	env_open(&e, d, true);
	struct store_conn *c = get(&e);
	exec_ok(c, "INSERT INTO enterprises (id, name_zh, uscc, created_at, updated_at)"
		" VALUES ('E1', '重庆太极制药有限公司', '91500102MA5U5QHM1X', 'x', 'x')");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = store_exec(c, cases[i].sql, cases[i].p, cases[i].np, NULL);
		cr_expect_eq(rc, cases[i].rc, "%s: got %s (%s), want %s", cases[i].label,
			     pl_strerror(rc), store_conn_errmsg(c), pl_strerror(cases[i].rc));
		if (rc)
			cr_expect_neq(store_conn_errmsg(c)[0], '\0', "%s: no message", cases[i].label);
	}
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM enterprises"), 1);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM users"), 0);
	/* Bad calls that never reach the engine. */
	cr_expect_eq(store_exec(c, "", NULL, 0, NULL), PL_EINVAL);
	cr_expect_eq(store_exec(c, NULL, NULL, 0, NULL), PL_EINVAL);
	cr_expect_eq(store_exec(c, "SELECT 1; SELECT 2", NULL, 0, NULL),
		     store_kind(e.st) == STORE_SQLITE ? PL_EINVAL : PL_EDB);
	store_conn_put(c);
	tenv_close(&e);
}

struct open_case {
	const char *url;
	int rc;
};

/* A SQLite store the driver creates has its 16 KB pages (sqlite.c
 * SQ_PAGE_SIZE); one created before keeps its own page size and works. */
Test(store, sqlite_page_size_of_new_and_existing_files)
{
	static const struct { int made_with; int64_t want; } cases[] = {
		{ 0, 16384 },   /* the driver creates the file */
		{ 4096, 4096 }, /* an older store, 4 KB pages, in WAL mode */
		{ 8192, 8192 },
	};
	/* the shared temp dir (and its cleanup): one file per case in it */
	struct tenv e;
	const struct tenv_opts o = { .no_migrate = true, .no_conn = true };
	cr_assert(tenv_open_opts(&e, false, "pages", &o));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], sql[96];
		snprintf(path, sizeof(path), "%s/case%zu.db", e.dir, i);
		if (cases[i].made_with) {
			sqlite3 *db = NULL;
			snprintf(sql, sizeof(sql), "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; "
				 "CREATE TABLE t (x INTEGER);", cases[i].made_with);
			cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
			cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
			sqlite3_close(db);
		}
		struct store *st = NULL;
		struct store_conn *c = NULL;
		json_t *row = NULL;
		cr_assert_eq(store_open(path, NULL, &st), 0, "case %zu", i);
		cr_assert_eq(store_conn_get(st, &c), 0);
		exec_ok(c, "CREATE TABLE IF NOT EXISTS t (x INTEGER)");
		exec_ok(c, "INSERT INTO t (x) VALUES (1)");
		cr_assert_eq(store_query_one(c, "PRAGMA page_size", NULL, 0, &row), 0);
		cr_expect_eq(json_integer_value(json_object_get(row, "page_size")), cases[i].want,
			     "case %zu", i);
		json_decref(row);
		store_conn_put(c);
		store_free(st);
	}
	tenv_close(&e);
}

Test(store, open_rejects_bad_urls)
{
	static const struct open_case cases[] = {
		{ "", PL_EINVAL },
		{ "sqlite:", PL_EINVAL },
		{ "pg:", PL_EINVAL },
		{ ":memory:", PL_EINVAL },
		{ "/nonexistent-dir/for/sure/x.db", PL_EDB },
		{ "postgresql://postgres@127.0.0.1:1/parkline?connect_timeout=2", PL_EDB },
		{ "pg:host=127.0.0.1 port=1 dbname=x connect_timeout=2", PL_EDB },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store *st = (struct store *)&st;
		int rc = store_open(cases[i].url, NULL, &st);
		cr_expect_eq(rc, cases[i].rc, "'%s': got %s", cases[i].url, pl_strerror(rc));
		cr_expect_null(st, "'%s': out not cleared", cases[i].url);
		store_free(st);
	}
	/* A file that is not a database. */
	char path[] = "/tmp/pl-store-garbage-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "this is not a database, just text; long enough to have a header",
			   64), 64);
	close(fd);
	struct store *g = NULL;
	cr_expect_eq(store_open(path, NULL, &g), PL_EDB);
	cr_expect_null(g);
	unlink(path);

	struct store_options bad = { .pool_size = -1 };
	struct store *st = NULL;
	cr_expect_eq(store_open("/tmp/x.db", &bad, &st), PL_EINVAL);
}

/* ----------------------------------------------------------- transactions */

STORE_TEST(transactions)
{
	struct tenv e;

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);

	/* Rollback leaves nothing. */
	cr_assert_eq(store_begin(c), 0);
	cr_expect(store_in_tx(c));
	exec_ok(c, "INSERT INTO v (k, t) VALUES (1, 'rolled back')");
	exec_ok(c, "INSERT INTO v (k, t) VALUES (2, 'rolled back')");
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 2, "own writes visible in tx");
	cr_assert_eq(store_rollback(c), 0);
	cr_expect_not(store_in_tx(c));
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 0);

	/* Commit keeps everything. */
	cr_assert_eq(store_begin(c), 0);
	exec_ok(c, "INSERT INTO v (k, t) VALUES (3, 'kept')");
	cr_assert_eq(store_commit(c), 0);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 1);

	/* An error inside: roll back, and the earlier write is gone too. */
	cr_assert_eq(store_begin(c), 0);
	exec_ok(c, "INSERT INTO v (k, t) VALUES (4, 'before error')");
	cr_expect_eq(store_exec(c, "INSERT INTO v (k, t) VALUES (3, 'dup')", NULL, 0, NULL),
		     PL_EEXIST);
	cr_assert_eq(store_rollback(c), 0);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 1);

	/* Misuse is reported, not executed. */
	cr_expect_eq(store_commit(c), PL_ECONFLICT);
	cr_expect_eq(store_rollback(c), PL_ECONFLICT);
	cr_assert_eq(store_begin(c), 0);
	cr_expect_eq(store_begin(c), PL_ECONFLICT);

	/* Returned to the pool mid-transaction: rolled back. */
	exec_ok(c, "INSERT INTO v (k, t) VALUES (5, 'abandoned')");
	store_conn_put(c);
	c = get(&e);
	cr_expect_not(store_in_tx(c));
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 1);
	store_conn_put(c);
	tenv_close(&e);
}

/* PostgreSQL turns COMMIT after a failed statement into ROLLBACK; the store
 * must report that as a failure (on SQLite the transaction survives a
 * failed statement, so the same sequence commits the good write). */
STORE_TEST(commit_after_error)
{
	struct tenv e;

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	cr_assert_eq(store_begin(c), 0);
	exec_ok(c, "INSERT INTO v (k) VALUES (1)");
	cr_expect_eq(store_exec(c, "INSERT INTO v (k) VALUES (1)", NULL, 0, NULL), PL_EEXIST);
	int rc = store_commit(c);
	if (store_kind(e.st) == STORE_POSTGRES) {
		cr_expect_eq(rc, PL_EDB, "commit of an aborted transaction: %s", pl_strerror(rc));
		cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 0);
	} else {
		cr_expect_eq(rc, 0);
		cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 1);
	}
	cr_expect_not(store_in_tx(c));
	store_conn_put(c);
	tenv_close(&e);
}

/* ------------------------------------------------------------------ audit */

STORE_TEST(audit_is_append_only)
{
	struct tenv e;
	json_t *before = json_pack("{s:s}", "name_zh", "旧名"),
	       *after = json_pack("{s:s, s:[i]}", "name_zh", "华兰生物疫苗有限公司", "n", 1);

	env_open(&e, d, true);
	struct store_conn *c = get(&e);
	struct store_audit a = {
		.actor_id = "01ACTOR", .actor_name = "admin", .action = "enterprise.update",
		.entity = "enterprise", .entity_id = "E1", .enterprise_id = "E1",
		.before = before, .after = after, .request_id = "req-1", .ip = "127.0.0.1",
	};
	cr_assert_eq(store_begin(c), 0);
	cr_assert_eq(store_audit(c, &a), 0, "%s", store_conn_errmsg(c));
	cr_assert_eq(store_commit(c), 0);
	struct store_audit bare = { .action = "system.start" };
	cr_expect_eq(store_audit(c, &bare), 0, "only action is required");
	struct store_audit none = { .actor_id = "x" };
	cr_expect_eq(store_audit(c, &none), PL_EINVAL);
	cr_expect_eq(store_audit(c, NULL), PL_EINVAL);

	json_t *row = NULL;
	cr_assert_eq(store_query_one(c, "SELECT * FROM audit_log WHERE action = 'enterprise.update'",
				     NULL, 0, &row), 0);
	cr_expect(json_equal(json_object_get(row, "before_json"), before));
	cr_expect(json_equal(json_object_get(row, "after_json"), after));
	cr_expect_str_eq(json_string_value(json_object_get(row, "actor_name")), "admin");
	cr_expect_str_eq(json_string_value(json_object_get(row, "request_id")), "req-1");
	cr_expect(pl_id_valid(json_string_value(json_object_get(row, "id"))));
	int64_t ms = 0;
	cr_expect_eq(pl_time_parse(json_string_value(json_object_get(row, "at")), &ms), 0);
	cr_expect_lt(llabs(ms - pl_time_now_ms()), 60000);
	json_decref(row);

	static const char *const refused[] = {
		"UPDATE audit_log SET actor_name = 'mallory'",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE action = 'system.start'",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = store_exec(c, refused[i], NULL, 0, NULL);
		cr_expect_eq(rc, PL_EFORBIDDEN, "%s: %s", refused[i], pl_strerror(rc));
	}
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM audit_log"), 2);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM audit_log WHERE actor_name = 'admin'"), 1);
	store_conn_put(c);
	json_decref(before);
	json_decref(after);
	tenv_close(&e);
}

/* ------------------------------------------------------------------- pool */

STORE_TEST(pool_exhaustion_times_out)
{
	struct tenv e;
	struct store_conn *a = NULL, *b = NULL, *x = NULL;
	int size = 0, in_use = 0;
	uint64_t waits = 0;

	env_open_opts(&e, d, 2, 200);
	cr_assert_eq(store_conn_get(e.st, &a), 0);
	cr_assert_eq(store_conn_get(e.st, &b), 0);
	cr_expect_neq(a, b);
	store_pool_stats(e.st, &size, &in_use, &waits);
	cr_expect_eq(size, 2);
	cr_expect_eq(in_use, 2);
	cr_expect_eq(waits, 0);
	int64_t t0 = pl_time_mono_ns();
	cr_expect_eq(store_conn_get(e.st, &x), PL_EBUSY);
	int64_t waited_ms = (pl_time_mono_ns() - t0) / 1000000;
	cr_expect_null(x);
	cr_expect_geq(waited_ms, 190, "gave up after %lld ms", (long long)waited_ms);
	cr_expect_lt(waited_ms, 2000, "waited %lld ms", (long long)waited_ms);
	store_pool_stats(e.st, &size, &in_use, &waits);
	cr_expect_eq(waits, 1);
	store_conn_put(b);
	cr_assert_eq(store_conn_get(e.st, &x), 0);
	cr_expect_eq(x, b, "the freed connection is reused");
	store_conn_put(x);
	store_conn_put(a);
	store_pool_stats(e.st, &size, &in_use, &waits);
	cr_expect_eq(in_use, 0);
	cr_expect_eq(store_ping(e.st), 0);
	tenv_close(&e);
}

struct writer {
	struct store *st;
	int id, n, rc;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < w->n && w->rc == 0; i++) {
		struct store_conn *c = NULL;
		w->rc = store_conn_get(w->st, &c);
		if (w->rc)
			break;
		struct store_param p[] = { SP_INT(w->id * 1000 + i), SP_TEXT("并发写入") };
		w->rc = store_begin(c);
		if (w->rc == 0)
			w->rc = store_exec(c, "INSERT INTO v (k, t) VALUES (?, ?)", p, 2, NULL);
		if (w->rc == 0)
			w->rc = store_exec(c, "UPDATE v SET i = COALESCE(i, 0) + 1 WHERE k = 0",
					   NULL, 0, NULL);
		w->rc = w->rc ? w->rc : store_commit(c);
		store_conn_put(c);
	}
	return NULL;
}

/* Several threads committing at once: every write lands, the shared
 * counter row sees every increment (no lost update). */
STORE_TEST(concurrent_writers)
{
	enum { NT = 4, PER = 15 };
	struct tenv e;
	struct writer w[NT];
	pthread_t t[NT];

	env_open_opts(&e, d, NT, 10000);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	exec_ok(c, "INSERT INTO v (k, i) VALUES (0, 0)");
	store_conn_put(c);
	for (int i = 0; i < NT; i++) {
		w[i] = (struct writer){ .st = e.st, .id = i + 1, .n = PER };
		pthread_create(&t[i], NULL, writer_thread, &w[i]);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(t[i], NULL);
		cr_expect_eq(w[i].rc, 0, "writer %d: %s", i, pl_strerror(w[i].rc));
	}
	c = get(&e);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v WHERE k > 0"), NT * PER);
	cr_expect_eq(count_rows(c, "SELECT i FROM v WHERE k = 0"), NT * PER);
	store_conn_put(c);
	tenv_close(&e);
}

/* Two stores on one database model two `parkline serve` processes: a
 * committed write through one is read back through the other, and an
 * uncommitted one is not. */
STORE_TEST(second_handle_sees_commits)
{
	struct tenv e;
	struct store *other = NULL;
	struct store_options o = { .pool_size = 2 };
	char url[1024];

	env_open(&e, d, true);
	env_url(&e, url, sizeof(url));
	cr_assert_eq(store_open(url, &o, &other), 0);
	struct store_conn *a = get(&e), *b = NULL;
	cr_assert_eq(store_conn_get(other, &b), 0);

	cr_assert_eq(store_begin(a), 0);
	exec_ok(a, "INSERT INTO enterprises (id, name_zh, created_at, updated_at)"
		" VALUES ('E1', '华兰生物疫苗有限公司', 't', 't')");
	cr_expect_eq(count_rows(b, "SELECT count(*) FROM enterprises"), 0,
		     "uncommitted write visible to the other store");
	cr_assert_eq(store_commit(a), 0);
	json_t *row = NULL;
	cr_assert_eq(store_query_one(b, "SELECT name_zh FROM enterprises WHERE id = 'E1'",
				     NULL, 0, &row), 0);
	cr_expect_str_eq(json_string_value(json_object_get(row, "name_zh")), "华兰生物疫苗有限公司");
	json_decref(row);
	exec_ok(b, "UPDATE enterprises SET name_en = 'Hualan' WHERE id = 'E1'");
	cr_expect_eq(count_rows(a, "SELECT count(*) FROM enterprises WHERE name_en = 'Hualan'"), 1);
	store_conn_put(b);
	store_conn_put(a);
	store_free(other);
	tenv_close(&e);
}

/* ------------------------------------------------------- statement cache */

/* More distinct statements than the cache holds (eviction), and a nested
 * query of the same text while its cursor is open (busy entry). */
STORE_TEST(statement_cache)
{
	struct tenv e;

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	for (int i = 0; i < STORE_STMT_CACHE_MAX + 40; i++) {
		char sql[96];
		pl_fmt(sql, sizeof(sql), "INSERT INTO v (k, i) VALUES (?, %d)", i);
		struct store_param p[] = { SP_INT(i) };
		cr_assert_eq(store_exec(c, sql, p, 1, NULL), 0, "%d: %s", i, store_conn_errmsg(c));
	}
	const char *q = "SELECT k FROM v WHERE k < ? ORDER BY k";
	struct store_param p3[] = { SP_INT(3) };
	struct store_rows *outer = NULL, *inner = NULL;
	cr_assert_eq(store_query(c, q, p3, 1, &outer), 0);
	int n = 0;
	while (store_rows_next(outer) == 1) {
		cr_assert_eq(store_query(c, q, p3, 1, &inner), 0);
		int m = 0;
		while (store_rows_next(inner) == 1)
			m++;
		store_rows_free(inner);
		cr_expect_eq(m, 3);
		cr_expect_eq(store_rows_int(outer, 0), n);
		n++;
	}
	store_rows_free(outer);
	cr_expect_eq(n, 3);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), STORE_STMT_CACHE_MAX + 40);
	store_conn_put(c);
	tenv_close(&e);
}

/* ------------------------------------------------------- backup and check */

STORE_TEST(backup_is_usable)
{
	struct tenv e;
	char dest[512];

	env_open(&e, d, true);
	struct store_conn *c = get(&e);
	exec_ok(c, "INSERT INTO enterprises (id, name_zh, created_at, updated_at)"
		" VALUES ('E1', '重庆太极制药有限公司', 't', 't')");
	struct store_audit a = { .action = "enterprise.create", .entity_id = "E1" };
	cr_assert_eq(store_audit(c, &a), 0);
	store_conn_put(c);
	if (d->pg) {
		pl_fmt(dest, sizeof(dest), "/tmp/pl-store-%s.sql", e.schema);
		cr_assert_eq(store_backup(e.st, dest), 0);
		FILE *f = fopen(dest, "r");
		cr_assert_not_null(f);
		char line[4096];
		bool table = false, row = false;
		while (fgets(line, sizeof(line), f)) {
			table |= strstr(line, "CREATE TABLE") && strstr(line, ".audit_log");
			row |= strstr(line, "重庆太极制药有限公司") != NULL;
		}
		fclose(f);
		unlink(dest);
		cr_expect(table, "dump lacks the audit_log table");
		cr_expect(row, "dump lacks the enterprise row");
	} else {
		pl_fmt(dest, sizeof(dest), "%s/backup.db", e.dir);
		cr_assert_eq(store_backup(e.st, dest), 0);
		cr_assert_eq(store_backup(e.st, dest), 0, "a second backup replaces the first");
		struct store *copy = NULL;
		cr_assert_eq(store_open(dest, NULL, &copy), 0);
		int cur = 0, latest = 0;
		cr_expect_eq(store_schema_version(copy, &cur, &latest), 0);
		cr_expect_eq(cur, latest);
		struct store_conn *cc = NULL;
		cr_assert_eq(store_conn_get(copy, &cc), 0);
		cr_expect_eq(count_rows(cc, "SELECT count(*) FROM enterprises WHERE name_zh ="
				       " '重庆太极制药有限公司'"), 1);
		cr_expect_eq(store_exec(cc, "DELETE FROM audit_log", NULL, 0, NULL), PL_EFORBIDDEN,
			     "triggers are in the copy");
		store_conn_put(cc);
		json_t *rep = NULL;
		cr_expect_eq(store_check(copy, &rep), 0);
		cr_expect(json_is_true(json_object_get(rep, "ok")));
		json_decref(rep);
		store_free(copy);
	}
	cr_expect_eq(store_backup(e.st, ""), PL_EINVAL);
	cr_expect_neq(store_backup(e.st, "/nonexistent-dir/x/backup"), 0);
	tenv_close(&e);
}

STORE_TEST(check_reports_schema)
{
	struct tenv e;
	json_t *rep = NULL;

	env_open(&e, d, false);
	cr_assert_eq(store_check(e.st, &rep), 0);
	cr_expect(json_is_false(json_object_get(rep, "ok")), "unmigrated database passes check");
	cr_expect_str_eq(json_string_value(json_object_get(rep, "engine")), store_kind_name(e.st));
	json_decref(rep);
	cr_assert_eq(store_migrate(e.st, NULL), 0);
	cr_assert_eq(store_check(e.st, &rep), 0);
	char *s = json_dumps(rep, JSON_COMPACT);
	cr_expect(json_is_true(json_object_get(rep, "ok")), "%s", s);
	free(s);
	json_decref(rep);
	cr_expect_eq(store_ping(e.st), 0);
	tenv_close(&e);
}

/* ------------------------------------------------- placeholder rewrite */

struct rewrite_case {
	const char *in, *out;
	size_t n;
};

Test(store, pg_placeholder_rewrite)
{
	static const struct rewrite_case cases[] = {
		{ "SELECT ?", "SELECT $1", 1 },
		{ "INSERT INTO t VALUES (?, ?, ?)", "INSERT INTO t VALUES ($1, $2, $3)", 3 },
		{ "SELECT '?' , ?", "SELECT '?' , $1", 1 },
		{ "SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1 },
		{ "SELECT E'a\\'?', ?", "SELECT E'a\\'?', $1", 1 },
		{ "SELECT \"we?ird\" FROM t WHERE x = ?", "SELECT \"we?ird\" FROM t WHERE x = $1", 1 },
		{ "SELECT ? -- what?\n, ?", "SELECT $1 -- what?\n, $2", 2 },
		{ "SELECT /* a /* nested? */ ? */ ?", "SELECT /* a /* nested? */ ? */ $1", 1 },
		{ "DO $$ BEGIN PERFORM ?; END $$; SELECT ?", "DO $$ BEGIN PERFORM ?; END $$; SELECT $1", 1 },
		{ "SELECT $tag$ ? $tag$, ?", "SELECT $tag$ ? $tag$, $1", 1 },
		{ "SELECT '未闭合 ?", "SELECT '未闭合 ?", 0 },
		{ "SELECT 名称 FROM t WHERE a=? AND b=?", "SELECT 名称 FROM t WHERE a=$1 AND b=$2", 2 },
		{ "", "", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pl_buf b;
		size_t n = 99;
		pl_buf_init(&b, 4096);
		cr_assert_eq(store__pg_rewrite(cases[i].in, &b, &n), 0);
		cr_expect_str_eq(b.data ? b.data : "", cases[i].out, "case %zu", i);
		cr_expect_eq(n, cases[i].n, "case %zu: %zu placeholders", i, n);
		pl_buf_release(&b);
	}
	struct pl_buf small;
	size_t n;
	pl_buf_init(&small, 8);
	cr_expect_eq(store__pg_rewrite("SELECT ?, ?, ?, ?", &small, &n), PL_ETOOBIG);
	pl_buf_release(&small);
}

/* ------------------------------------------------ durability settings */

struct setting_case {
	enum store_kind kind;
	const char *sql;
	const char *want; /* text of the first column */
};

/* Every pooled handle carries the settings durability depends on (SQLite
 * keeps them per connection, so check each slot, not just the first). */
STORE_TEST(durability_settings_on_every_handle)
{
	static const struct setting_case cases[] = {
		/* The url asks for synchronous_commit=off; the driver must
		 * not let it lose acknowledged writes. */
		{ STORE_SQLITE, "PRAGMA journal_mode", "wal" },
		{ STORE_SQLITE, "PRAGMA synchronous", "2" },  /* FULL */
		{ STORE_SQLITE, "PRAGMA foreign_keys", "1" },
		{ STORE_SQLITE, "PRAGMA busy_timeout", "2000" },
		{ STORE_POSTGRES, "SHOW synchronous_commit", "on" },
		{ STORE_POSTGRES, "SHOW fsync", "on" },
		{ STORE_POSTGRES, "SHOW client_encoding", "UTF8" },
	};
	enum { N = 3 };
	struct tenv e;
	struct store_conn *c[N];

	env_open_opts(&e, d, N, 2000);
	if (d->pg) {
		char url[1100];
		store_free(e.st);
		e.st = NULL;
		snprintf(url, sizeof(url), "%s%%20-csynchronous_commit%%3Doff", e.url);
		struct store_options o = { .pool_size = N };
		cr_assert_eq(store_open(url, &o, &e.st), 0, "%s", url);
	}
	for (int i = 0; i < N; i++)
		c[i] = get(&e);
	for (int i = 0; i < N; i++) {
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			if (cases[k].kind != store_kind(e.st))
				continue;
			struct store_rows *r = NULL;
			cr_assert_eq(store_query(c[i], cases[k].sql, NULL, 0, &r), 0);
			cr_assert_eq(store_rows_next(r), 1);
			cr_expect_str_eq(store_rows_text(r, 0), cases[k].want, "handle %d: %s", i,
					 cases[k].sql);
			store_rows_free(r);
		}
	}
	for (int i = 0; i < N; i++)
		store_conn_put(c[i]);
	tenv_close(&e);
}

/* A raw "BEGIN" through store_exec bypasses store_begin; the pool still
 * ends it before lending the connection again. */
STORE_TEST(stray_transaction_is_ended)
{
	struct tenv e;

	env_open_opts(&e, d, 1, 2000);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	exec_ok(c, "BEGIN");
	exec_ok(c, "INSERT INTO v (k) VALUES (1)");
	store_conn_put(c);
	c = get(&e);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 0);
	exec_ok(c, "INSERT INTO v (k) VALUES (2)"); /* autocommit again */
	store_conn_put(c);
	c = get(&e);
	cr_expect_eq(count_rows(c, "SELECT count(*) FROM v"), 1);
	store_conn_put(c);
	tenv_close(&e);
}

/* PostgreSQL only: a server-side disconnect (restart, admin kill) fails
 * the statement that meets it, and the pool reconnects the next time it
 * lends that connection out. */
Test(store, pg_reconnects_after_disconnect, .timeout = 60)
{
	static const struct tenv_drv pg = { "postgresql", true };
	struct tenv e;
	char sql[96];

	env_open_opts(&e, &pg, 1, 2000);
	struct store_conn *c = get(&e);
	int64_t pid = count_rows(c, "SELECT pg_backend_pid()");
	store_conn_put(c);
	pl_fmt(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)", (long long)pid);
	tenv_pg_admin(sql);
	c = get(&e);
	struct store_rows *r = NULL;
	int rc = store_query(c, "SELECT 1", NULL, 0, &r);
	store_rows_free(r);
	cr_expect_eq(rc, PL_EDB, "query on a killed session: %s", pl_strerror(rc));
	store_conn_put(c);
	c = get(&e);
	cr_expect_neq(count_rows(c, "SELECT pg_backend_pid()"), pid, "same session after reconnect");
	store_conn_put(c);
	cr_expect_eq(store_ping(e.st), 0);
	tenv_close(&e);
}

/* ------------------------------------------------------ crash durability */

/* Child: commit rows k = 0, 1, 2, ... one per transaction and write k to
 * the pipe only after store_commit returned 0 (the acknowledgement). */
static void crash_child(const char *url, int ack_fd)
{
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct store_options o = { .pool_size = 1 };

	if (store_open(url, &o, &st) || store_conn_get(st, &c))
		_exit(3);
	for (int64_t k = 1; k < 1000000; k++) {
		struct store_param p[] = { SP_INT(k), SP_TEXT("已确认") };
		if (store_begin(c) ||
		    store_exec(c, "INSERT INTO v (k, t) VALUES (?, ?)", p, 2, NULL) ||
		    store_commit(c))
			_exit(4);
		if (write(ack_fd, &k, sizeof(k)) != (ssize_t)sizeof(k))
			_exit(5);
	}
	_exit(0);
}

/* kill -9 a writer mid-burst: every write it had acknowledged is there
 * when the database is opened again (recovery from the WAL on SQLite). */
STORE_TEST(acknowledged_writes_survive_kill9)
{
	struct tenv e;
	int fds[2];
	int64_t k = 0, last = 0;
	char url[1024];

	env_open(&e, d, false);
	struct store_conn *c = get(&e);
	make_values_table(&e, c);
	store_conn_put(c);
	env_url(&e, url, sizeof(url));
	store_free(e.st);  /* the child is the only writer */
	e.st = NULL;

	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(url, fds[1]);
	}
	close(fds[1]);
	while (last < 25 && read(fds[0], &k, sizeof(k)) == (ssize_t)sizeof(k))
		last = k;
	cr_assert_eq(last, 25, "writer stopped early at %lld", (long long)last);
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	cr_expect(WIFSIGNALED(status), "writer exited by itself (status %d)", status);
	/* Acks already in the pipe when it died count too. */
	while (read(fds[0], &k, sizeof(k)) == (ssize_t)sizeof(k))
		last = k;
	close(fds[0]);

	struct store_options o = { .pool_size = 1 };
	cr_assert_eq(store_open(url, &o, &e.st), 0);
	c = get(&e);
	struct store_param p[] = { SP_INT(last) };
	struct store_rows *r = NULL;
	cr_assert_eq(store_query(c, "SELECT count(*) FROM v WHERE k <= ?", p, 1, &r), 0);
	cr_assert_eq(store_rows_next(r), 1);
	cr_expect_eq(store_rows_int(r, 0), last, "%lld acknowledged, %lld found", (long long)last,
		     (long long)store_rows_int(r, 0));
	store_rows_free(r);
	store_conn_put(c);
	tenv_close(&e);
}

/* ------------------------------------------------------------ lock waits */

/* A writer that waits longer than busy_timeout_ms for another writer's lock
 * gets PL_EBUSY (SQLite: at BEGIN IMMEDIATE; PostgreSQL: at the row via
 * lock_timeout), and succeeds once the lock is released. */
STORE_TEST(lock_wait_times_out)
{
	struct tenv e;
	struct store *other = NULL;
	struct store_options o = { .pool_size = 1, .busy_timeout_ms = 200 };
	char url[1024];

	env_open(&e, d, false);
	struct store_conn *a = get(&e), *b = NULL;
	make_values_table(&e, a);
	exec_ok(a, "INSERT INTO v (k, i) VALUES (1, 0)");
	env_url(&e, url, sizeof(url));
	cr_assert_eq(store_open(url, &o, &other), 0);
	cr_assert_eq(store_conn_get(other, &b), 0);

	cr_assert_eq(store_begin(a), 0);
	exec_ok(a, "UPDATE v SET i = i + 1 WHERE k = 1");
	int64_t t0 = pl_time_mono_ns();
	int rc = store_begin(b);
	if (rc == 0)
		rc = store_exec(b, "UPDATE v SET i = i + 10 WHERE k = 1", NULL, 0, NULL);
	int64_t waited_ms = (pl_time_mono_ns() - t0) / 1000000;
	cr_expect_eq(rc, PL_EBUSY, "blocked writer: %s (%s)", pl_strerror(rc), store_conn_errmsg(b));
	cr_expect_geq(waited_ms, 150, "gave up after %lld ms", (long long)waited_ms);
	cr_expect_lt(waited_ms, 3000, "waited %lld ms", (long long)waited_ms);
	if (store_in_tx(b))
		store_rollback(b);
	cr_assert_eq(store_commit(a), 0);

	cr_assert_eq(store_begin(b), 0);
	cr_expect_eq(store_exec(b, "UPDATE v SET i = i + 10 WHERE k = 1", NULL, 0, NULL), 0);
	cr_assert_eq(store_commit(b), 0);
	cr_expect_eq(count_rows(a, "SELECT i FROM v WHERE k = 1"), 11);
	store_conn_put(b);
	store_conn_put(a);
	store_free(other);
	tenv_close(&e);
}

/* SQLite's writers of one store queue on the store's writer flag (store.c
 * NOTES 8): a second begin waits for it and gives up after busy_timeout_ms,
 * and every way a transaction ends - commit, rollback, a connection put
 * back mid-transaction - frees it for the next writer at once. A flag that
 * leaked would fail the next begin with PL_EBUSY. PostgreSQL begins
 * without a lock, so only the hand-overs are checked there. */
STORE_TEST(writer_freed_by_every_end)
{
	struct tenv e;

	env_open_opts(&e, d, 2, 300);
	struct store_conn *a = get(&e), *b = get(&e);
	make_values_table(&e, a);

	cr_assert_eq(store_begin(a), 0);
	exec_ok(a, "INSERT INTO v (k, i) VALUES (1, 1)");
	if (store_kind(e.st) == STORE_SQLITE) {
		cr_expect_eq(store_begin(b), PL_EBUSY);
		cr_expect(strstr(store_conn_errmsg(b), "this process"), "%s", store_conn_errmsg(b));
		cr_expect_not(store_in_tx(b));
	}
	cr_assert_eq(store_rollback(a), 0);

	cr_assert_eq(store_begin(b), 0, "after a rollback: %s", store_conn_errmsg(b));
	exec_ok(b, "INSERT INTO v (k, i) VALUES (2, 2)");
	cr_assert_eq(store_commit(b), 0);

	cr_assert_eq(store_begin(a), 0, "after a commit: %s", store_conn_errmsg(a));
	exec_ok(a, "INSERT INTO v (k, i) VALUES (3, 3)");
	store_conn_put(a); /* rolled back there */
	cr_assert_eq(store_begin(b), 0, "after a put mid-transaction: %s", store_conn_errmsg(b));
	exec_ok(b, "INSERT INTO v (k, i) VALUES (4, 4)");
	cr_assert_eq(store_commit(b), 0);
	cr_expect_eq(count_rows(b, "SELECT count(*) FROM v"), 2);
	cr_expect_eq(count_rows(b, "SELECT sum(i) FROM v"), 6);
	store_conn_put(b);
	tenv_close(&e);
}
