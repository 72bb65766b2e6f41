/* store_env.h - the shared harness that runs a unit test against BOTH store
 * drivers: SQLite on a file in a fresh temp dir, PostgreSQL on the server
 * named by PARKLINE_TEST_PG (tests/steps/20-unit.sh starts one with
 * scripts/pg.sh), each test in its own schema so tests never see each
 * other's rows. Without PARKLINE_TEST_PG the PostgreSQL cases are skipped
 * on a developer machine but FAIL when CI=true or PL_REQUIRE_PG=1, so CI
 * cannot go green without having tested PostgreSQL.
 *
 * Every test binary links every file of tests/unit/support (see the Makefile's unit
 * rule). Failures inside the harness are Criterion assertions: they end the
 * calling test. Seeding beyond enterprises stays in each test file.
 */
#ifndef PL_TESTS_STORE_ENV_H
#define PL_TESTS_STORE_ENV_H

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>

#include "store/store.h"

/* One store driver a parameterized test runs on. */
struct tenv_drv {
	const char *name; /* "sqlite" or "postgresql", for messages */
	bool pg;          /* true: PostgreSQL */
};

#define TENV_NDRIVERS 2
/* { sqlite, postgresql }: read-only, the parameter table of TENV_TEST. */
extern const struct tenv_drv tenv_drivers[TENV_NDRIVERS];

/* TENV_TEST(suite, name) { ... } declares a Criterion test that runs once
 * per driver, with `const struct tenv_drv *d` naming the driver;
 * TENV_TEST_OPTS adds Criterion test options (.timeout = 60). */
#define TENV_PARAMS_(suite, name)                                               \
	ParameterizedTestParameters(suite, name)                                \
	{                                                                       \
		return cr_make_param_array(struct tenv_drv, tenv_drivers,       \
					   TENV_NDRIVERS);                      \
	}
#define TENV_TEST(suite, name)                                                  \
	TENV_PARAMS_(suite, name)                                               \
	ParameterizedTest(const struct tenv_drv *d, suite, name)
#define TENV_TEST_OPTS(suite, name, ...)                                        \
	TENV_PARAMS_(suite, name)                                               \
	ParameterizedTest(const struct tenv_drv *d, suite, name, __VA_ARGS__)

/* One test's database: a temp dir (SQLite) or a schema (PostgreSQL). The
 * struct owns everything it points to until tenv_close. */
struct tenv {
	bool pg;            /* which driver */
	char dir[64];       /* SQLite: temp dir holding test.db (and its -wal, -shm) */
	char url[1024];     /* the store URL tests may open again */
	char schema[48];    /* PostgreSQL: this test's schema */
	struct store *st;   /* the open store */
	struct store_conn *c; /* one connection taken from st, or NULL (opts.no_conn) */
};

/* How tenv_open_opts opens the store. Zeroes mean: the store's defaults,
 * migrated, one connection taken. */
struct tenv_opts {
	int pool_size;       /* store_options.pool_size; 0: 2 */
	int busy_timeout_ms; /* store_options.busy_timeout_ms; 0: the store's 5000 */
	bool no_migrate;     /* true: leave the schema empty (migration tests) */
	bool no_conn;        /* true: take no connection (e->c stays NULL) */
};

/* Creates the database for one test and opens a store on it.
 * e   (out) filled in; release with tenv_close (only when this returned true).
 * pg  (in)  true: PostgreSQL in a fresh schema; false: SQLite in a temp dir.
 * tag (in)  lower-case letters naming the test file; it prefixes the temp
 *           dir (/tmp/pl-TAG-XXXXXX) and the schema (TAG_<id>).
 * o   (in)  options, NULL for the defaults above.
 * Returns false only when pg is asked for, PARKLINE_TEST_PG is unset and
 * neither CI=true nor PL_REQUIRE_PG=1 (then the caller skips its PostgreSQL
 * half); every other failure is a Criterion assertion. */
bool tenv_open_opts(struct tenv *e, bool pg, const char *tag, const struct tenv_opts *o);

/* tenv_open_opts with default options: a migrated store, pool of two, and
 * one connection in e->c. */
bool tenv_open(struct tenv *e, bool pg, const char *tag);

/* As tenv_open_opts, but skips the running Criterion test (cr_skip_test)
 * instead of returning false; for tests parameterized by driver. */
void tenv_open_or_skip(struct tenv *e, bool pg, const char *tag, const struct tenv_opts *o);

/* Gives back e->c, frees the store, then drops the schema (PostgreSQL) or
 * removes every file in the temp dir and the dir (SQLite). e is unusable
 * afterwards. */
void tenv_close(struct tenv *e);

/* Runs one statement on the PostgreSQL database of PARKLINE_TEST_PG outside
 * any test schema (creating and dropping schemas, killing sessions), on a
 * connection of its own that it closes before returning. */
void tenv_pg_admin(const char *sql);

/* Inserts an enterprise named name_zh through e->c (which must be taken)
 * and writes its fresh id to id (out, PL_ID_LEN + 1 bytes). */
void tenv_add_enterprise(struct tenv *e, const char *name_zh, char id[PL_ID_LEN + 1]);

#endif
