/* store_env.c - the two-driver store harness for unit tests (see
 * store_env.h). It holds no state of its own: everything a test opens
 * lives in the caller's struct tenv and is released by tenv_close. */
#include "store_env.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct tenv_drv tenv_drivers[TENV_NDRIVERS] = { { "sqlite", false },
						      { "postgresql", true } };

static bool env_flag(const char *name, const char *want)
{
	const char *v = getenv(name);
	return v && !strcmp(v, want);
}

/* Opens its own one-connection store on PARKLINE_TEST_PG, runs sql, and
 * closes it again; the caller owns nothing afterwards. */
void tenv_pg_admin(const char *sql)
{
	struct store_options o = { .pool_size = 1 };
	struct store *st = NULL;
	struct store_conn *c = NULL;

	cr_assert_eq(store_open(getenv("PARKLINE_TEST_PG"), &o, &st), 0, "admin connect");
	cr_assert_eq(store_conn_get(st, &c), 0);
	cr_assert_eq(store_exec(c, sql, NULL, 0, NULL), 0, "%s: %s", sql, store_conn_errmsg(c));
	store_conn_put(c);
	store_free(st);
}

/* Creates this test's schema and points e->url at it. The schema name is
 * TAG_ plus a fresh lower-cased id, so parallel tests never collide and
 * the name needs no quoting. Returns false when PostgreSQL is not
 * configured and not required. */
static bool pg_create(struct tenv *e, const char *tag)
{
	const char *base = getenv("PARKLINE_TEST_PG");
	char id[PL_ID_LEN + 1], sql[128];

	if (!base || !*base) {
		cr_assert(!(env_flag("CI", "true") || env_flag("PL_REQUIRE_PG", "1")),
			  "PARKLINE_TEST_PG is not set, but CI/PL_REQUIRE_PG requires "
			  "the PostgreSQL cases to run");
		return false;
	}
	pl_id_new(id);
	for (char *p = id; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	pl_fmt(e->schema, sizeof(e->schema), "%s_%s", tag, id);
	pl_fmt(sql, sizeof(sql), "CREATE SCHEMA %s", e->schema);
	tenv_pg_admin(sql);
	/* libpq's options parameter sets search_path on every pooled
	 * connection, so unqualified names land in this schema. */
	snprintf(e->url, sizeof(e->url), "%s%soptions=-csearch_path%%3D%s", base,
		 strchr(base, '?') ? "&" : "?", e->schema);
	return true;
}

bool tenv_open_opts(struct tenv *e, bool pg, const char *tag, const struct tenv_opts *o)
{
	static const struct tenv_opts defaults = { 0 };
	struct store_options so = { 0 };

	if (!o)
		o = &defaults;
	for (const char *p = tag; *p; p++)
		cr_assert(*p >= 'a' && *p <= 'z', "tenv tag '%s': lower-case letters only", tag);
	cr_assert(*tag && strlen(tag) <= 12, "tenv tag '%s': 1 to 12 letters", tag);
	so.pool_size = o->pool_size ? o->pool_size : 2;
	so.busy_timeout_ms = o->busy_timeout_ms;

	memset(e, 0, sizeof(*e));
	e->pg = pg;
	if (pg) {
		if (!pg_create(e, tag))
			return false;
	} else {
		pl_fmt(e->dir, sizeof(e->dir), "/tmp/pl-%s-XXXXXX", tag);
		cr_assert_not_null(mkdtemp(e->dir));
		pl_fmt(e->url, sizeof(e->url), "%s/test.db", e->dir);
	}
	int rc = store_open(e->url, &so, &e->st);
	cr_assert_eq(rc, 0, "store_open(%s): %s", e->url, pl_strerror(rc));
	if (!o->no_migrate)
		cr_assert_eq(store_migrate(e->st, NULL), 0);
	if (!o->no_conn)
		cr_assert_eq(store_conn_get(e->st, &e->c), 0);
	return true;
}

bool tenv_open(struct tenv *e, bool pg, const char *tag)
{
	return tenv_open_opts(e, pg, tag, NULL);
}

void tenv_open_or_skip(struct tenv *e, bool pg, const char *tag, const struct tenv_opts *o)
{
	if (!tenv_open_opts(e, pg, tag, o))
		cr_skip_test("PARKLINE_TEST_PG not set: PostgreSQL case skipped");
}

void tenv_close(struct tenv *e)
{
	if (e->c)
		store_conn_put(e->c);
	e->c = NULL;
	store_free(e->st);
	e->st = NULL;
	if (e->pg) {
		char sql[128];
		pl_fmt(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", e->schema);
		tenv_pg_admin(sql);
	} else {
		/* Every file, not just test.db: tests leave backups and the
		 * -wal/-shm files next to it. */
		DIR *dir = opendir(e->dir);
		struct dirent *de;
		char path[512];
		while (dir && (de = readdir(dir))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", e->dir, de->d_name);
			unlink(path);
		}
		if (dir)
			closedir(dir);
		rmdir(e->dir);
	}
}

void tenv_add_enterprise(struct tenv *e, const char *name_zh, char id[PL_ID_LEN + 1])
{
	char now[PL_TIME_STRLEN];

	cr_assert_not_null(e->c, "tenv_add_enterprise needs the connection (no_conn was set)");
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(name_zh), SP_TEXT(now), SP_TEXT(now) };
	cr_assert_eq(store_exec(e->c, "INSERT INTO enterprises (id, name_zh, created_at, "
			       "updated_at) VALUES (?, ?, ?, ?)", p, 4, NULL), 0);
}
