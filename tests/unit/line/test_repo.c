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

/* ------------------------------------------------------------------------
 * Late and out-of-order points merged into the stored blocks
 * (line_repo_points_merge, repo.c NOTES 3) and the rollups read back
 * (line_repo_rollups, NOTES 5). Each row of the table stores some blocks,
 * merges one or more batches of late points and is checked against a
 * model computed here independently (all points, stable-sorted, the last
 * of each timestamp kept): the range query returns exactly the model
 * (sorted, no duplicates), the blocks do not overlap and hold no more than
 * LINE_BLOCK_POINTS_MAX points, every 1-minute and 1-hour rollup equals the
 * one computed from scratch on the model, and the last-value cache holds
 * the model's newest point.
 */
#define MIN 60000LL
#define HOUR 3600000LL
#define FULL LINE_BLOCK_POINTS_MAX

/* A stored block: n points from t0, step ms apart, value = index / 2
 * (halves add exactly, so sums compare with ==). */
struct blk { int64_t t0, step; size_t n; };
/* One merge call: its points (the input order matters for ties). */
struct batch { struct line_point p[6]; size_t n; };

static const struct mcase {
	const char *name;
	struct blk blocks[3];
	size_t nblocks;
	struct batch batches[2];
	size_t nbatches;
	size_t want_blocks;     /* rows afterwards */
	size_t want_replaced;   /* stats of the last batch */
	size_t want_read;
} cases[] = {
	{ "into the middle of a sealed block", { { T0, 1000, 10 } }, 1,
	  { { { { T0 + 2500, 7 }, { T0 + 7001, -3 } }, 2 } }, 1, 1, 0, 1 },
	{ "into a gap between blocks: joins the block before",
	  { { T0, 1000, 10 }, { T0 + 2 * MIN, 1000, 10 } }, 2,
	  { { { { T0 + MIN, 4 } }, 1 } }, 1, 2, 0, 1 },
	{ "before the first block: a block of its own", { { T0 + HOUR, 1000, 5 } }, 1,
	  { { { { T0 + 3 * MIN, 1 }, { T0, 2 }, { T0 + 59 * MIN, 3 } }, 3 } }, 1, 2, 0, 0 },
	{ "equal timestamp replaces", { { T0, 1000, 10 } }, 1,
	  { { { { T0 + 3000, 42 }, { T0, -1 } }, 2 } }, 1, 1, 2, 1 },
	{ "the newest point replaced: the last value takes it", { { T0, 1000, 10 } }, 1,
	  { { { { T0 + 9000, 99.5 } }, 1 } }, 1, 1, 1, 1 },
	{ "ties within a batch: the last given wins", { { T0, 1000, 4 } }, 1,
	  { { { { T0 + 1500, 1 }, { T0 + 1500, 2 }, { T0 + 1500, 3 } }, 3 } }, 1, 1, 0, 1 },
	{ "a re-sent batch is idempotent", { { T0, 1000, 10 } }, 1,
	  { { { { T0 + 500, 5 }, { T0 + 4000, 2 } }, 2 }, { { { T0 + 500, 5 }, { T0 + 4000, 2 } }, 2 } }, 2,
	  1, 2, 1 },
	{ "a batch spanning two blocks and the gap",
	  { { T0, 1000, 10 }, { T0 + HOUR, 1000, 10 } }, 2,
	  { { { { T0 + HOUR + 500, 1 }, { T0 + 500, 2 }, { T0 + 30 * MIN, 3 }, { T0 + HOUR + 9500, 4 },
	      { T0 - 1, 5 } }, 5 } }, 1, 3, 0, 2 },
	{ "overflowing LINE_BLOCK_POINTS_MAX splits the block", { { T0, 1000, FULL } }, 1,
	  { { { { T0 + 500, 1 }, { T0 + 1500, 2 } }, 2 } }, 1, 2, 0, 1 },
	{ "a split block stays before the next one",
	  { { T0, 10, FULL }, { T0 + 10 * FULL + 5, 1000, 3 } }, 2,
	  { { { { T0 + 10 * FULL, 1 }, { T0 + 10 * FULL + 1, 2 } }, 2 } }, 1, 3, 0, 1 },
};

/* The model: stored points then each batch in order, stable by time, the
 * last of each timestamp kept (insertion: small inputs). *n gets the count. */
static struct line_point *model(const struct mcase *mc, size_t *n)
{
	size_t cap = 16, k = 0;
	for (size_t b = 0; b < mc->nblocks; b++)
		cap += mc->blocks[b].n;
	for (size_t b = 0; b < mc->nbatches; b++)
		cap += mc->batches[b].n;
	struct line_point *m = calloc(cap, sizeof(*m));
	cr_assert(m);
	for (size_t b = 0; b < mc->nblocks; b++)
		for (size_t i = 0; i < mc->blocks[b].n; i++)
			m[k++] = (struct line_point){ mc->blocks[b].t0 + (int64_t)i * mc->blocks[b].step,
						      (double)i / 2 };
	for (size_t b = 0; b < mc->nbatches; b++) {
		for (size_t i = 0; i < mc->batches[b].n; i++) {
			struct line_point p = mc->batches[b].p[i];
			size_t j = 0;
			while (j < k && m[j].t < p.t)
				j++;
			if (j < k && m[j].t == p.t) {
				m[j].v = p.v;
			} else {
				memmove(&m[j + 1], &m[j], (k - j) * sizeof(*m));
				m[j] = p;
				k++;
			}
		}
	}
	/* stored blocks of a case are given in time order and apart */
	for (size_t i = 1; i < k; i++)
		cr_assert_gt(m[i].t, m[i - 1].t, "model not sorted");
	*n = k;
	return m;
}

/* Two rollups agree: everything equal, the sum to within rel (0: exactly;
 * a row built by increments adds partial sums in another order). */
static bool rollup_eq(const struct line_rollup *g, const struct line_rollup *w, double rel)
{
	if (g->bucket != w->bucket || g->count != w->count || g->skipped != w->skipped)
		return false;
	if (w->count == 0)
		return true; /* no finite value: nothing else is defined */
	return g->min == w->min && g->max == w->max && fabs(g->sum - w->sum) <= rel * fabs(w->sum) &&
	       g->t_first == w->t_first && g->t_last == w->t_last && g->first == w->first &&
	       g->last == w->last;
}

static void check_rollups(struct fx *f, const char *sid, const struct line_point *m, size_t n,
			  int64_t width, const char *name)
{
	enum { MAXB = 9000 };
	struct line_rollup *want = calloc(MAXB, sizeof(*want)), *got = calloc(MAXB, sizeof(*got));
	size_t nw = 0, ng = 0;
	int64_t from = T0 - 2 * HOUR, to = T0 + 3 * HOUR;
	cr_assert_eq(line_rollup_points(m, n, width, want, MAXB, &nw), 0);
	/* the stored rows (migration 25), kept by block_put and the merge */
	cr_assert_eq(line_repo_rollups_stored(f->t.c, sid, width, from, to, got, MAXB, &ng), 0, "%s", name);
	cr_expect_eq(ng, nw, "%s: %zu stored buckets of %lld ms, want %zu", name, ng, (long long)width, nw);
	for (size_t i = 0; i < nw && i < ng; i++)
		cr_expect(rollup_eq(&got[i], &want[i], 0), "%s: stored width %lld bucket %zu (%lld)"
			  " differs: count %llu/%llu sum %g/%g", name, (long long)width, i,
			  (long long)want[i].bucket, (unsigned long long)got[i].count,
			  (unsigned long long)want[i].count, got[i].sum, want[i].sum);
	cr_assert_eq(line_repo_rollups(f->t.c, sid, from, to, width, got, MAXB, &ng), 0, "%s", name);
	cr_expect_eq(ng, nw, "%s: %zu buckets of %lld ms, want %zu", name, ng, (long long)width, nw);
	for (size_t i = 0; i < nw && i < ng; i++) {
		const struct line_rollup *w = &want[i], *g = &got[i];
		cr_expect(g->bucket == w->bucket && g->count == w->count && g->skipped == w->skipped &&
			  g->min == w->min && g->max == w->max && g->sum == w->sum &&
			  g->t_first == w->t_first && g->t_last == w->t_last && g->first == w->first &&
			  g->last == w->last,
			  "%s: width %lld bucket %zu (%lld) differs: count %llu/%llu sum %g/%g",
			  name, (long long)width, i, (long long)w->bucket, (unsigned long long)g->count,
			  (unsigned long long)w->count, g->sum, w->sum);
	}
	free(want);
	free(got);
}

static void check_blocks(struct fx *f, const char *sid, size_t want_rows, size_t npoints,
			 const char *name)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(sid) };
	int64_t prev_last = INT64_MIN;
	size_t rows = 0, total = 0;
	cr_assert_eq(store_query(f->t.c, "SELECT t_first, t_last, count, data FROM line_series_blocks"
				 " WHERE series_id = ? ORDER BY t_first", p, 1, &r), 0);
	while (store_rows_next(r) == 1) {
		size_t len = 0, cnt = 0;
		int64_t tf = 0, tl = 0;
		const void *blk = store_rows_blob(r, 3, &len);
		cr_assert_eq(line_block_info(blk, len, &cnt, &tf, &tl), 0, "%s", name);
		cr_expect(tf == store_rows_int(r, 0) && tl == store_rows_int(r, 1) &&
			  (int64_t)cnt == store_rows_int(r, 2), "%s: row %zu columns disagree with its block",
			  name, rows);
		cr_expect_gt(tf, prev_last, "%s: block %zu overlaps the one before", name, rows);
		cr_expect_leq(cnt, (size_t)FULL, "%s", name);
		prev_last = tl;
		total += cnt;
		rows++;
	}
	store_rows_free(r);
	cr_expect_eq(rows, want_rows, "%s: %zu blocks, want %zu", name, rows, want_rows);
	cr_expect_eq(total, npoints, "%s: %zu points in blocks, want %zu", name, total, npoints);
}

static void t_merge_table(struct fx *f)
{
	struct line_point *pts = malloc(FULL * sizeof(*pts));
	cr_assert(pts);
	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		const struct mcase *mc = &cases[ci];
		char sid[PL_ID_LEN + 1], metric[16];
		size_t nm = 0;
		struct line_merge_stats st = { 0 };
		snprintf(metric, sizeof(metric), "m%zu", ci);
		cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, metric, sid, NULL), 0);
		for (size_t b = 0; b < mc->nblocks; b++) {
			for (size_t i = 0; i < mc->blocks[b].n; i++)
				pts[i] = (struct line_point){ mc->blocks[b].t0 + (int64_t)i * mc->blocks[b].step,
							      (double)i / 2 };
			cr_assert_eq(line_repo_block_put(f->t.c, sid, pts, mc->blocks[b].n), 0);
		}
		for (size_t b = 0; b < mc->nbatches; b++) {
			struct line_point in[6];
			memcpy(in, mc->batches[b].p, sizeof(in));
			cr_assert_eq(store_begin(f->t.c), 0);
			cr_assert_eq(line_repo_points_merge(f->t.c, sid, in, mc->batches[b].n, &st), 0,
				     "%s", mc->name);
			cr_assert_eq(store_commit(f->t.c), 0);
		}
		cr_expect_eq(st.replaced, mc->want_replaced, "%s: replaced %zu", mc->name, st.replaced);
		cr_expect_eq(st.blocks_read, mc->want_read, "%s: read %zu", mc->name, st.blocks_read);

		struct line_point *m = model(mc, &nm);
		/* the range query: sorted, no duplicates, the model exactly */
		json_t *arr = NULL;
		cr_assert_eq(line_repo_points(f->t.c, f->line, metric, T0 - 2 * HOUR, T0 + 3 * HOUR, &arr), 0);
		cr_expect_eq(json_array_size(arr), nm, "%s: %zu points, want %zu", mc->name,
			     json_array_size(arr), nm);
		for (size_t i = 0; i < nm && i < json_array_size(arr); i++) {
			json_t *p = json_array_get(arr, i);
			cr_expect(json_integer_value(json_array_get(p, 0)) == m[i].t &&
				  json_real_value(json_array_get(p, 1)) == m[i].v,
				  "%s: point %zu is [%lld, %g], want [%lld, %g]", mc->name, i,
				  (long long)json_integer_value(json_array_get(p, 0)),
				  json_real_value(json_array_get(p, 1)), (long long)m[i].t, m[i].v);
		}
		json_decref(arr);
		check_blocks(f, sid, mc->want_blocks, nm, mc->name);
		check_rollups(f, sid, m, nm, MIN, mc->name);
		check_rollups(f, sid, m, nm, HOUR, mc->name);
		/* the last value is the model's newest point: an older point
		 * never moves it back, a replaced newest point updates it */
		json_t *met = NULL, *e = NULL;
		char want_t[PL_TIME_STRLEN];
		size_t i;
		json_t *v;
		cr_assert_eq(line_repo_metrics(f->t.c, f->line, &met), 0);
		json_array_foreach(met, i, v)
			if (!strcmp(pl_json_str(v, "metric"), metric))
				e = v;
		pl_time_format(m[nm - 1].t, want_t);
		cr_expect(e && !strcmp(pl_json_str(e, "t"), want_t) &&
			  json_real_value(json_object_get(e, "value")) == m[nm - 1].v,
			  "%s: last value %s %g, want %s %g", mc->name, e ? pl_json_str(e, "t") : "-",
			  e ? json_real_value(json_object_get(e, "value")) : 0, want_t, m[nm - 1].v);
		json_decref(met);
		free(m);
	}
	free(pts);
}
Test(line_repo, merge_table, .timeout = 120) { on_each_store(t_merge_table); }

/* Refused input changes nothing. */
static void t_merge_refused(struct fx *f)
{
	char sid[PL_ID_LEN + 1];
	struct line_point base[] = { { T0, 1 }, { T0 + 1000, 2 } };
	struct line_point bad[] = { { T0 + 500, 1 }, { LINE_TIME_ABS_MAX + 1, 2 } };
	json_t *arr = NULL;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "speed", sid, NULL), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, base, 2), 0);
	cr_expect_eq(line_repo_points_merge(f->t.c, sid, bad, 0, NULL), PL_EINVAL);
	cr_expect_eq(line_repo_points_merge(f->t.c, sid, bad, 2, NULL), PL_EINVAL);
	cr_assert_eq(line_repo_points(f->t.c, f->line, "speed", T0 - 1, T0 + 2000, &arr), 0);
	cr_expect_eq(json_array_size(arr), 2);
	json_decref(arr);
	struct line_rollup r[1];
	size_t n = 9;
	cr_expect_eq(line_repo_rollups(f->t.c, sid, T0, T0 + HOUR, 0, r, 1, &n), PL_EINVAL);
	cr_expect_eq(n, 0);
	/* more buckets than room: the first ones and PL_ETOOBIG */
	cr_expect_eq(line_repo_rollups(f->t.c, sid, T0, T0 + HOUR, 500, r, 1, &n), PL_ETOOBIG);
	cr_expect(n == 1 && r[0].bucket == T0 && r[0].count == 1);
}
Test(line_repo, merge_refused) { on_each_store(t_merge_refused); }

/* ------------------------------------------------------------------------
 * Stored rollups (migration 25, src/line/repo_rollup.c). Each row writes
 * a series the way the MQTT worker does - one open block rewritten by
 * line_repo_block_put_enc at every "flush" of `chunk` new points, the new
 * points added with line_repo_rollups_add, the block sealed at `seal`
 * points - then checks every stored 1-minute and 1-hour row against
 * line_rollup_points over all the points and against line_repo_rollups
 * over the blocks. A row may make every k-th value NaN or infinite, and
 * may fail each flush once (rolled back, then retried: nothing counted
 * twice).
 */
static const struct scase {
	const char *name;
	int64_t t0, step;  /* point i at t0 + i * step */
	size_t n, chunk, seal;
	size_t nan_every;  /* 0: none; else every k-th value NaN (odd k) or inf (even k) */
	bool retry;        /* each flush fails once first */
} scases[] = {
	{ "one flush inside one minute", T0 + 1000, 100, 50, 50, 1024, 0, false },
	{ "many flushes across minute edges", T0 + 59000, 700, 400, 7, 1024, 0, false },
	{ "across hour edges, sealed blocks", T0 + HOUR - 90000, 1500, 300, 40, 128, 0, false },
	{ "before 1970 (floor buckets)", -2 * HOUR - 30000, 997, 200, 13, 64, 0, false },
	{ "NaN and inf are skipped", T0, 250, 600, 33, 256, 3, false },
	{ "NaN-only buckets", T0, 30000, 40, 5, 1024, 1, false },
	{ "a failed flush is retried, nothing counted twice", T0 + 30000, 800, 300, 21, 100, 0, true },
};

static double svalue(const struct scase *sc, size_t i)
{
	if (sc->nan_every && i % sc->nan_every == 0)
		return (i / sc->nan_every) % 2 ? NAN : INFINITY;
	return (double)((i * 7) % 23) / 4 - 2; /* quarters: sums add exactly */
}

/* Stored rows of width == line_rollup_points(m) == line_repo_rollups. */
static void check_stored(struct fx *f, const char *sid, const struct line_point *m, size_t n,
			 int64_t width, int64_t from, int64_t to, const char *name)
{
	enum { MAXB = 4096 };
	struct line_rollup *want = calloc(MAXB, sizeof(*want)), *got = calloc(MAXB, sizeof(*got)),
			   *blk = calloc(MAXB, sizeof(*blk));
	size_t nw = 0, ng = 0, nb = 0;
	cr_assert(want && got && blk);
	cr_assert_eq(line_rollup_points(m, n, width, want, MAXB, &nw), 0);
	cr_assert_eq(line_repo_rollups_stored(f->t.c, sid, width, from, to, got, MAXB, &ng), 0);
	cr_assert_eq(line_repo_rollups(f->t.c, sid, from, to, width, blk, MAXB, &nb), 0);
	cr_expect(ng == nw && nb == nw, "%s: width %lld: %zu stored, %zu from blocks, want %zu",
		  name, (long long)width, ng, nb, nw);
	for (size_t i = 0; i < nw && i < ng && i < nb; i++)
		cr_expect(rollup_eq(&got[i], &want[i], 0) && rollup_eq(&got[i], &blk[i], 0),
			  "%s: width %lld bucket %zu (%lld): stored n %llu skipped %llu sum %g min %g"
			  " max %g, want n %llu skipped %llu sum %g min %g max %g", name, (long long)width,
			  i, (long long)want[i].bucket, (unsigned long long)got[i].count,
			  (unsigned long long)got[i].skipped, got[i].sum, got[i].min, got[i].max,
			  (unsigned long long)want[i].count, (unsigned long long)want[i].skipped,
			  want[i].sum, want[i].min, want[i].max);
	free(blk);
	free(got);
	free(want);
}

static void t_rollups_stored(struct fx *f)
{
	struct pl_buf scratch;
	pl_buf_init(&scratch, LINE_BLOCK_BYTES_MAX);
	for (size_t ci = 0; ci < sizeof(scases) / sizeof(scases[0]); ci++) {
		const struct scase *sc = &scases[ci];
		struct line_point *m = calloc(sc->n, sizeof(*m));
		char sid[PL_ID_LEN + 1], metric[16];
		size_t in_block = 0; /* points of the open block already committed */
		cr_assert(m);
		snprintf(metric, sizeof(metric), "s%zu", ci);
		cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, metric, sid, NULL), 0);
		for (size_t i = 0; i < sc->n; i++)
			m[i] = (struct line_point){ sc->t0 + (int64_t)i * sc->step, svalue(sc, i) };
		for (size_t i = 0; i < sc->n; i += sc->chunk) {
			size_t k = sc->n - i < sc->chunk ? sc->n - i : sc->chunk;
			for (int attempt = sc->retry ? 0 : 1; attempt < 2; attempt++) {
				struct line_block_enc tmp;
				/* the worker's encoder is rebuilt after a failure; here
				 * the attempt works on a copy built from the block */
				line_block_enc_init(&tmp);
				for (size_t j = i - in_block; j < i + k; j++)
					cr_assert_eq(line_block_enc_add(&tmp, m[j].t, m[j].v), 0);
				cr_assert_eq(store_begin(f->t.c), 0);
				cr_assert_eq(line_repo_block_put_enc(f->t.c, sid, &tmp, &scratch), 0);
				cr_assert_eq(line_repo_rollups_add(f->t.c, sid, m + i, k), 0);
				if (attempt == 0)
					cr_assert_eq(store_rollback(f->t.c), 0); /* the failed flush */
				else
					cr_assert_eq(store_commit(f->t.c), 0);
				line_block_enc_release(&tmp);
			}
			in_block += k;
			if (in_block >= sc->seal)
				in_block = 0; /* sealed: the next flush opens a block */
		}
		int64_t from = sc->t0 - 2 * HOUR, to = sc->t0 + (int64_t)sc->n * sc->step + 2 * HOUR;
		check_stored(f, sid, m, sc->n, MIN, from, to, sc->name);
		check_stored(f, sid, m, sc->n, HOUR, from, to, sc->name);
		free(m);
	}
	pl_buf_release(&scratch);
}
Test(line_repo, rollups_stored, .timeout = 120) { on_each_store(t_rollups_stored); }

/* A rewritten block (line_repo_block_put of the same start) and a rebuild
 * of a span replace rows, never add to them; a replaced NaN point (merge,
 * equal t) leaves skipped right. */
static void t_rollups_rewrite(struct fx *f)
{
	char sid[PL_ID_LEN + 1];
	struct line_point p[] = {
		{ T0, 1 }, { T0 + 20000, 2 }, { T0 + 59999, NAN }, { T0 + 60000, 4 }, { T0 + 130000, 5 },
	};
	struct line_point late[] = { { T0 + 59999, 3 }, { T0 + 20000, -2 } };
	struct line_point want[] = {
		{ T0, 1 }, { T0 + 20000, -2 }, { T0 + 59999, 3 }, { T0 + 60000, 4 }, { T0 + 130000, 5 },
	};
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "rw", sid, NULL), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, p, 2), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, p, 5), 0); /* the same block, grown */
	check_stored(f, sid, p, 5, MIN, T0 - HOUR, T0 + HOUR, "block rewritten");
	check_stored(f, sid, p, 5, HOUR, T0 - HOUR, T0 + HOUR, "block rewritten");
	/* a rebuild of what is right changes nothing */
	cr_assert_eq(line_repo_rollups_rebuild(f->t.c, sid, MIN, T0, T0 + 130000), 0);
	check_stored(f, sid, p, 5, MIN, T0 - HOUR, T0 + HOUR, "rebuilt");
	/* equal t replaces: the NaN becomes 3 (skipped 1 -> 0, n + 1), 2 -> -2 */
	cr_assert_eq(line_repo_points_merge(f->t.c, sid, late, 2, NULL), 0);
	check_stored(f, sid, want, 5, MIN, T0 - HOUR, T0 + HOUR, "equal t replaced");
	check_stored(f, sid, want, 5, HOUR, T0 - HOUR, T0 + HOUR, "equal t replaced");
	cr_expect_eq(line_repo_rollups_rebuild(f->t.c, sid, 0, T0, T0), PL_EINVAL);
	cr_expect_eq(line_repo_rollups_rebuild(f->t.c, sid, MIN, T0 + 1, T0), PL_EINVAL);
	cr_expect_eq(line_repo_rollups_rebuild(f->t.c, sid, MIN, T0, LINE_TIME_ABS_MAX + 1), PL_EINVAL);
	cr_expect_eq(line_repo_rollups_rebuild(f->t.c, sid, LINE_TIME_ABS_MAX + 1, T0, T0), PL_EINVAL);
	struct line_rollup r[1];
	size_t n = 0;
	cr_expect_eq(line_repo_rollups_stored(f->t.c, sid, MIN, T0 - HOUR, T0 + HOUR, r, 1, &n), PL_ETOOBIG);
	cr_expect(n == 1 && r[0].bucket == T0 && r[0].count == 3);
}
Test(line_repo, rollups_rewrite) { on_each_store(t_rollups_rewrite); }

/* The JSON the HTTP route serves: buckets overlapping [from, to), whole;
 * a NaN-only bucket has n 0 and nulls; the bucket cap. */
static void t_rollups_json(struct fx *f)
{
	char sid[PL_ID_LEN + 1];
	struct line_point p[] = {
		{ T0 + 1000, 2 }, { T0 + 2000, 6 }, { T0 + 3000, 4 }, { T0 + MIN + 5, NAN }, { T0 + 3 * MIN, 1 },
	};
	static const struct {
		int64_t from, to, width;
		size_t n;          /* buckets */
		int64_t t0;        /* the first bucket */
		double min0, max0, avg0, first0, last0;
	} jcases[] = {
		{ T0, T0 + HOUR, MIN, 3, T0, 2, 6, 4, 2, 4 },
		{ T0 + 2500, T0 + HOUR, MIN, 3, T0, 2, 6, 4, 2, 4 },     /* from inside: the whole bucket */
		{ T0 + MIN, T0 + 3 * MIN, MIN, 1, T0 + MIN, NAN, 0, 0, 0, 0 }, /* only NaN: nulls */
		{ T0 - HOUR, T0 + HOUR, HOUR, 1, T0, 1, 6, 13.0 / 4, 2, 1 },
		{ T0 + 4 * MIN, T0 + HOUR, MIN, 0, 0, 0, 0, 0, 0, 0 },
	};
	json_t *arr = NULL;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "js", sid, NULL), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, p, 5), 0);
	for (size_t i = 0; i < sizeof(jcases) / sizeof(jcases[0]); i++) {
		cr_assert_eq(line_repo_rollups_json(f->t.c, f->line, "js", jcases[i].width, jcases[i].from,
						    jcases[i].to, &arr), 0);
		cr_expect_eq(json_array_size(arr), jcases[i].n, "case %zu: %zu buckets", i, json_array_size(arr));
		json_t *b = json_array_get(arr, 0);
		if (jcases[i].n && b) {
			cr_expect_eq(json_integer_value(json_object_get(b, "t")), jcases[i].t0, "case %zu", i);
			if (isnan(jcases[i].min0)) {
				cr_expect(json_integer_value(json_object_get(b, "n")) == 0 &&
					  json_is_null(json_object_get(b, "min")) &&
					  json_is_null(json_object_get(b, "avg")) &&
					  json_is_null(json_object_get(b, "last")), "case %zu: nulls", i);
			} else {
				cr_expect(json_real_value(json_object_get(b, "min")) == jcases[i].min0 &&
					  json_real_value(json_object_get(b, "max")) == jcases[i].max0 &&
					  json_real_value(json_object_get(b, "avg")) == jcases[i].avg0 &&
					  json_real_value(json_object_get(b, "first")) == jcases[i].first0 &&
					  json_real_value(json_object_get(b, "last")) == jcases[i].last0,
					  "case %zu: values", i);
			}
		}
		json_decref(arr);
		arr = NULL;
	}
	cr_expect_eq(line_repo_rollups_json(f->t.c, f->line, "nope", MIN, T0, T0 + 1, &arr), PL_ENOTFOUND);
	/* LINE_QUERY_BUCKETS_MAX + 1 one-minute buckets: PL_ETOOBIG */
	struct line_point *many = malloc(FULL * sizeof(*many));
	cr_assert(many);
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "many", sid, NULL), 0);
	cr_assert_eq(store_begin(f->t.c), 0);
	for (size_t i = 0, k = 0; i <= LINE_QUERY_BUCKETS_MAX; i++) {
		many[k++] = (struct line_point){ T0 + (int64_t)i * MIN, 1 };
		if (k == FULL || i == LINE_QUERY_BUCKETS_MAX) {
			cr_assert_eq(line_repo_block_put(f->t.c, sid, many, k), 0);
			k = 0;
		}
	}
	cr_assert_eq(store_commit(f->t.c), 0);
	free(many);
	int64_t end = T0 + (int64_t)(LINE_QUERY_BUCKETS_MAX + 1) * MIN;
	cr_expect_eq(line_repo_rollups_json(f->t.c, f->line, "many", MIN, T0, end, &arr), PL_ETOOBIG);
	cr_assert_eq(line_repo_rollups_json(f->t.c, f->line, "many", MIN, T0, end - MIN, &arr), 0);
	cr_expect_eq(json_array_size(arr), LINE_QUERY_BUCKETS_MAX);
	json_decref(arr);
}
Test(line_repo, rollups_json, .timeout = 120) { on_each_store(t_rollups_json); }

/* The backfill of migration 25: a store whose points were written before
 * the table existed (simulated by undoing migration 25 and running it
 * again) gets every series' rows from its blocks at the next start. */
static void t_rollups_backfill(struct fx *f)
{
	static const struct { const char *metric; int64_t t0, step; size_t n; } series[] = {
		{ "b0", T0 - 30000, 1700, 3000 },
		{ "b1", T0, 61000, 200 },
		{ "b2", T0, 1, 0 }, /* a series without points */
	};
	char sid[3][PL_ID_LEN + 1];
	struct line_point *pts = malloc(FULL * sizeof(*pts));
	size_t done = 9;
	int applied = 0;
	cr_assert(pts);
	for (size_t s = 0; s < 3; s++) {
		cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, series[s].metric, sid[s], NULL), 0);
		for (size_t i = 0; i < series[s].n; i++)
			pts[i] = (struct line_point){ series[s].t0 + (int64_t)i * series[s].step,
						      i % 97 == 0 ? NAN : (double)(i % 11) };
		if (series[s].n)
			cr_assert_eq(line_repo_block_put(f->t.c, sid[s], pts, series[s].n), 0);
	}
	/* nothing pending in a store that had the table from the start */
	cr_assert_eq(line_repo_rollups_backfill(f->t.st, &done), 0);
	cr_expect_eq(done, 0);
	/* back to before migration 25 */
	cr_assert_eq(store_exec(f->t.c, "DROP TABLE line_rollups_pending", NULL, 0, NULL), 0);
	cr_assert_eq(store_exec(f->t.c, "DROP TABLE line_rollups", NULL, 0, NULL), 0);
	cr_assert_eq(store_exec(f->t.c, "DELETE FROM schema_migrations WHERE version = 25", NULL, 0, NULL), 0);
	cr_assert_eq(store_migrate(f->t.st, &applied), 0);
	cr_expect_eq(applied, 1);
	cr_expect_eq(count_rows(f->t.c, "SELECT count(*) AS n FROM line_rollups"), 0);
	cr_expect_eq(count_rows(f->t.c, "SELECT count(*) AS n FROM line_rollups_pending"), 3);
	cr_assert_eq(line_repo_rollups_backfill(f->t.st, &done), 0);
	cr_expect_eq(done, 3);
	cr_expect_eq(count_rows(f->t.c, "SELECT count(*) AS n FROM line_rollups_pending"), 0);
	for (size_t s = 0; s < 3; s++) {
		for (size_t i = 0; i < series[s].n; i++)
			pts[i] = (struct line_point){ series[s].t0 + (int64_t)i * series[s].step,
						      i % 97 == 0 ? NAN : (double)(i % 11) };
		check_stored(f, sid[s], pts, series[s].n, MIN, T0 - HOUR, T0 + 5 * HOUR, series[s].metric);
		check_stored(f, sid[s], pts, series[s].n, HOUR, T0 - HOUR, T0 + 5 * HOUR, series[s].metric);
	}
	/* once only */
	cr_assert_eq(line_repo_rollups_backfill(f->t.st, &done), 0);
	cr_expect_eq(done, 0);
	free(pts);
}
Test(line_repo, rollups_backfill, .timeout = 120) { on_each_store(t_rollups_backfill); }
