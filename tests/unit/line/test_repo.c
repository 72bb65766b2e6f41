/* test_repo.c - the line repository (src/line/repo.c) on a real store:
 * every test runs on SQLite (a file in a fresh temp dir) and on PostgreSQL
 * (the server in PARKLINE_TEST_PG, one schema per test, through
 * tests/unit/support/store_env.h; skipped without it unless CI=true or
 * PL_REQUIRE_PG=1). Cases are tables of {input, expected}.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "line/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"
#include "auth/auth.h"

#define T0 1795572000000LL

struct fx {
	struct tenv t; /* the store (tests/unit/support/store_env.h) and its connection t.c */
	struct auth *a;
	char line[PL_ID_LEN + 1], ent[PL_ID_LEN + 1];
};

static bool fx_open(struct fx *f, bool pg)
{
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "line"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	cr_assert_eq(line_repo_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_repo_line_by_node(f->t.c, "taiji", "fill-1", f->line, f->ent), 0);
	return true;
}

static void fx_close(struct fx *f)
{
	auth_free(f->a);
	tenv_close(&f->t);
}

TFX_ON_EACH_STORE

static int64_t count_rows(struct store_conn *c, const char *sql)
{
	json_t *o = NULL;
	cr_assert_eq(store_query_one(c, sql, NULL, 0, &o), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(o, "n"));
	json_decref(o);
	return n;
}

/* the metric entry of line_repo_metrics' array, or NULL */
static json_t *metric_of(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (!strcmp(pl_json_str(v, "metric"), name))
			return v;
	return NULL;
}

static void t_demo_and_lookup(struct fx *f)
{
	static const struct { const char *group, *node; int rc; } cases[] = {
		{ "taiji", "fill-1", 0 },
		{ "taiji", "pack-1", 0 },
		{ "taiji", "nope", PL_ENOTFOUND },
		{ "other", "fill-1", PL_ENOTFOUND },
	};
	/* seeding again changes nothing */
	cr_assert_eq(line_repo_demo_seed(f->t.st, NULL), 0);
	cr_expect_eq(count_rows(f->t.c, "SELECT count(*) AS n FROM lines"), 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char l[PL_ID_LEN + 1] = "", e[PL_ID_LEN + 1] = "";
		cr_expect_eq(line_repo_line_by_node(f->t.c, cases[i].group, cases[i].node, l, e),
			     cases[i].rc, "%s/%s", cases[i].group, cases[i].node);
		if (cases[i].rc == 0)
			cr_expect_str_eq(e, f->ent);
	}
	json_t *line = NULL;
	cr_assert_eq(line_repo_line_get(f->t.c, f->line, &line), 0);
	cr_expect_str_eq(pl_json_str(line, "sp_node"), "fill-1");
	json_decref(line);
	cr_expect_eq(line_repo_line_get(f->t.c, "01J99999999999999999999999", &line), PL_ENOTFOUND);
}
Test(line_repo, demo_and_lookup) { on_each_store(t_demo_and_lookup); }

static void t_series_ensure(struct fx *f)
{
	char id1[PL_ID_LEN + 1], id2[PL_ID_LEN + 1], longname[LINE_METRIC_MAX + 2];
	int64_t last = 0;

	memset(longname, 'm', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	static const struct { const char *metric; int rc; } bad[] = { { "", PL_EINVAL } };
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", id1, &last), 0);
	cr_expect_eq(last, INT64_MIN);
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", id2, &last), 0);
	cr_expect_str_eq(id1, id2, "the same series comes back");
	cr_expect_eq(line_repo_series_ensure(f->t.c, f->line, bad[0].metric, id2, NULL), bad[0].rc);
	cr_expect_eq(line_repo_series_ensure(f->t.c, f->line, longname, id2, NULL), PL_EINVAL);
	longname[LINE_METRIC_MAX] = '\0'; /* exactly the cap: fine */
	cr_expect_eq(line_repo_series_ensure(f->t.c, f->line, longname, id2, NULL), 0);
	/* after a block, last_t is its newest point */
	struct line_point p[] = { { T0, 1 }, { T0 + 10, 2 } };
	cr_assert_eq(line_repo_block_put(f->t.c, id1, p, 2), 0);
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", id2, &last), 0);
	cr_expect_eq(last, T0 + 10);
}
Test(line_repo, series_ensure) { on_each_store(t_series_ensure); }

static void t_blocks_and_ranges(struct fx *f)
{
	char sid[PL_ID_LEN + 1];
	struct line_point pts[8];
	for (int i = 0; i < 8; i++)
		pts[i] = (struct line_point){ T0 + i * 1000, 10.5 + i };
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", sid, NULL), 0);
	/* the open block is rewritten in place as it grows (NOTES 1) */
	cr_assert_eq(line_repo_block_put(f->t.c, sid, pts, 3), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, pts, 5), 0);
	/* a second block after it */
	cr_assert_eq(line_repo_block_put(f->t.c, sid, pts + 5, 3), 0);
	cr_expect_eq(count_rows(f->t.c, "SELECT count(*) AS n FROM line_series_blocks"), 2);

	static const struct { int64_t from, to; size_t n; int first; } cases[] = {
		{ T0, T0 + 8000, 8, 0 },          /* everything */
		{ T0 + 1000, T0 + 3000, 2, 1 },   /* inside the first block, to exclusive */
		{ T0 + 4000, T0 + 6000, 2, 4 },   /* across the block boundary */
		{ T0 + 7000, T0 + 7001, 1, 7 },   /* the last point only */
		{ T0 + 8000, T0 + 9000, 0, 0 },   /* after everything */
		{ T0 - 5000, T0, 0, 0 },          /* before everything */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *arr = NULL;
		cr_assert_eq(line_repo_points(f->t.c, f->line, "speed", cases[i].from, cases[i].to, &arr), 0);
		cr_expect_eq(json_array_size(arr), cases[i].n, "case %zu: %zu points", i,
			     json_array_size(arr));
		if (cases[i].n) {
			json_t *p0 = json_array_get(arr, 0);
			cr_expect_eq(json_integer_value(json_array_get(p0, 0)), pts[cases[i].first].t);
			cr_expect_float_eq(json_real_value(json_array_get(p0, 1)), pts[cases[i].first].v, 1e-12);
		}
		json_decref(arr);
	}
	json_t *arr = NULL;
	cr_expect_eq(line_repo_points(f->t.c, f->line, "nope", T0, T0 + 1, &arr), PL_ENOTFOUND);
	cr_expect_eq(line_repo_block_put(f->t.c, sid, pts, 0), PL_EINVAL);
	struct line_point unordered[] = { { T0 + 2, 1 }, { T0 + 1, 2 } };
	cr_expect_eq(line_repo_block_put(f->t.c, sid, unordered, 2), PL_EINVAL);
}
Test(line_repo, blocks_and_ranges) { on_each_store(t_blocks_and_ranges); }

static void t_last_value(struct fx *f)
{
	char sid[PL_ID_LEN + 1];
	json_t *m = NULL;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "temp", sid, NULL), 0);
	/* {block start, value, expected last value afterwards}: an older block
	 * never rolls the cache back (NOTES 2) */
	static const struct { int64_t t; double v, want; } steps[] = {
		{ T0 + 5000, 20.0, 20.0 },
		{ T0 + 1000, 99.0, 20.0 },
		{ T0 + 9000, 21.5, 21.5 },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct line_point p = { steps[i].t, steps[i].v };
		cr_assert_eq(line_repo_block_put(f->t.c, sid, &p, 1), 0);
		cr_assert_eq(line_repo_metrics(f->t.c, f->line, &m), 0);
		cr_expect_float_eq(json_real_value(json_object_get(metric_of(m, "temp"), "value")),
				   steps[i].want, 1e-12, "step %zu", i);
		json_decref(m);
	}
	/* NaN stays in the block but the cache says null */
	struct line_point nan_p = { T0 + 10000, NAN };
	cr_assert_eq(line_repo_block_put(f->t.c, sid, &nan_p, 1), 0);
	cr_assert_eq(line_repo_metrics(f->t.c, f->line, &m), 0);
	cr_expect(json_is_null(json_object_get(metric_of(m, "temp"), "value")));
	json_decref(m);
	json_t *arr = NULL;
	cr_assert_eq(line_repo_points(f->t.c, f->line, "temp", T0 + 10000, T0 + 10001, &arr), 0);
	cr_expect(json_is_null(json_array_get(json_array_get(arr, 0), 1)));
	json_decref(arr);
}
Test(line_repo, last_value) { on_each_store(t_last_value); }

static void t_stale(struct fx *f)
{
	static const char *const metrics[] = { "speed", "dev1/temp", "dev1x/temp", "dev_/temp" };
	for (size_t i = 0; i < 4; i++) {
		char sid[PL_ID_LEN + 1];
		struct line_point p = { T0, 1 };
		cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, metrics[i], sid, NULL), 0);
		cr_assert_eq(line_repo_block_put(f->t.c, sid, &p, 1), 0);
	}
	/* {device marked, rows changed, which metrics are stale afterwards} */
	static const struct { const char *device; int64_t changed; bool stale[4]; } steps[] = {
		{ "dev1", 1, { false, true, false, false } },
		{ "dev_", 1, { false, true, false, true } }, /* '_' is literal, not a wildcard */
		{ "", 2, { true, true, true, true } },       /* the whole node */
	};
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		int64_t ch = -1;
		json_t *m = NULL;
		cr_assert_eq(line_repo_mark_stale(f->t.c, f->line, steps[s].device, &ch), 0);
		cr_expect_eq(ch, steps[s].changed, "step %zu: %lld changed", s, (long long)ch);
		cr_assert_eq(line_repo_metrics(f->t.c, f->line, &m), 0);
		for (size_t i = 0; i < 4; i++)
			cr_expect_eq(json_is_true(json_object_get(metric_of(m, metrics[i]), "stale")),
				     steps[s].stale[i], "step %zu metric %s", s, metrics[i]);
		json_decref(m);
	}
	/* a new point clears the mark */
	char sid[PL_ID_LEN + 1];
	struct line_point p = { T0 + 1, 2 };
	json_t *m = NULL;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", sid, NULL), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, &p, 1), 0);
	cr_assert_eq(line_repo_metrics(f->t.c, f->line, &m), 0);
	cr_expect(json_is_false(json_object_get(metric_of(m, "speed"), "stale")));
	json_decref(m);
}
Test(line_repo, stale) { on_each_store(t_stale); }
