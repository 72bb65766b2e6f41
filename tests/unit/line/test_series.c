/* test_series.c - the series block codec: round trips on realistic data
 * (1 s sampled temperatures with jitter, a counter, a state tag) and on
 * adversarial data (NaN, infinities, -0.0, random bits, huge and negative
 * time steps, the time bounds), range decoding, the caps, the late-point
 * merge rule, malformed blocks; and the compression ratio and speed,
 * printed so the report can quote them. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "line/line.h"

/* A small deterministic PRNG (xorshift64*): tests must not depend on
 * libc's rand and must be repeatable. */
static uint64_t rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

enum gen { G_TEMP, G_TEMP_F32, G_COUNTER, G_STATE, G_CONST, G_RANDOM_BITS, G_SPECIALS, G_WILD_TIME,
	   G_BOUNDS, G_ONE };
struct series_case {
	const char *why;
	enum gen gen;
	size_t n;
	double max_bytes_per_point; /* compression bound (0: none) */
};
static const struct series_case cases[] = {
	/* decimal fractions are Gorilla's worst realistic case: 0.01 steps
	 * are not short in binary */
	{ "temperature 1 s +-5 ms jitter, 0.01 resolution", G_TEMP, 4096, 8.0 },
	{ "same, sent as Sparkplug Float (widened to double)", G_TEMP_F32, 4096, 4.5 },
	{ "good-count counter every 1 s", G_COUNTER, 4096, 2.5 },
	{ "state tag changing rarely", G_STATE, 4096, 0.5 },
	{ "constant value, regular", G_CONST, 4096, 0.3 },
	{ "random bit patterns (incl. NaN payloads)", G_RANDOM_BITS, 1000, 0 },
	{ "NaN, inf, -0.0, denormals", G_SPECIALS, 64, 0 },
	{ "wild time steps (1 ms to 2^40 ms)", G_WILD_TIME, 1000, 0 },
	{ "time bounds -2^53 .. 2^53", G_BOUNDS, 3, 0 },
	{ "single point", G_ONE, 1, 0 },
};

static void gen(enum gen g, size_t n, struct line_point *p, uint64_t seed)
{
	uint64_t s = seed;
	int64_t t = 1764000000000; /* 2025-11 */
	static const double specials[] = { NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0,
					   5e-324, -5e-324, 1.7976931348623157e308, 1.0 };
	for (size_t i = 0; i < n; i++) {
		switch (g) {
		case G_TEMP:
			t += 1000 + (int64_t)(rng(&s) % 11) - 5;
			p[i].v = round((72.0 + 3 * sin((double)i / 300) + (double)(rng(&s) % 100) / 100) * 100) / 100;
			break;
		case G_TEMP_F32:
			t += 1000 + (int64_t)(rng(&s) % 11) - 5;
			p[i].v = (float)(round((72.0 + 3 * sin((double)i / 300) + (double)(rng(&s) % 100) / 100) * 100) / 100);
			break;
		case G_COUNTER:
			t += 1000;
			p[i].v = (double)(i * 2 + (rng(&s) % 2));
			break;
		case G_STATE:
			t += 1000;
			p[i].v = (double)((i / 500) % 3);
			break;
		case G_CONST:
			t += 500;
			p[i].v = 42.0;
			break;
		case G_RANDOM_BITS: {
			uint64_t u = rng(&s);
			t += 1 + (int64_t)(rng(&s) % 100000);
			memcpy(&p[i].v, &u, 8);
			break;
		}
		case G_SPECIALS:
			t += 1;
			p[i].v = specials[rng(&s) % 10];
			break;
		case G_WILD_TIME:
			t += 1 + (int64_t)(rng(&s) % ((uint64_t)1 << (rng(&s) % 40)));
			p[i].v = (double)i;
			break;
		case G_BOUNDS:
			p[0].t = -LINE_TIME_ABS_MAX, p[1].t = 0, p[2].t = LINE_TIME_ABS_MAX;
			p[i].v = (double)i;
			continue;
		case G_ONE:
			t = 5;
			p[i].v = -1.5;
			break;
		}
		p[i].t = t;
	}
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

Test(line_series, round_trips_and_ratio)
{
	static struct line_point in[LINE_BLOCK_POINTS_MAX], out[LINE_BLOCK_POINTS_MAX];
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct series_case *k = &cases[c];
		gen(k->gen, k->n, in, 0x9e3779b97f4a7c15ull + c);
		struct pl_buf b;
		pl_buf_init(&b, LINE_BLOCK_BYTES_MAX);
		cr_assert_eq(line_block_encode(in, k->n, &b), 0, "%s", k->why);
		size_t cnt, n;
		int64_t t0, t1;
		cr_assert_eq(line_block_info(b.data, b.len, &cnt, &t0, &t1), 0, "%s", k->why);
		cr_expect_eq(cnt, k->n, "%s", k->why);
		cr_expect_eq(t0, in[0].t, "%s", k->why);
		cr_expect_eq(t1, in[k->n - 1].t, "%s", k->why);
		cr_assert_eq(line_block_decode(b.data, b.len, INT64_MIN, INT64_MAX, out,
					       LINE_BLOCK_POINTS_MAX, &n), 0, "%s", k->why);
		cr_assert_eq(n, k->n, "%s: %zu points back", k->why, n);
		for (size_t i = 0; i < n; i++) {
			cr_assert_eq(out[i].t, in[i].t, "%s: t[%zu]", k->why, i);
			cr_assert(same_bits(out[i].v, in[i].v), "%s: v[%zu] %g vs %g", k->why, i,
				  out[i].v, in[i].v);
		}
		double bpp = (double)b.len / (double)k->n;
		if (k->max_bytes_per_point > 0)
			cr_expect(bpp <= k->max_bytes_per_point, "%s: %.2f bytes/point", k->why, bpp);
		cr_log_info("%s: %zu points, %zu bytes, %.2f bytes/point, ratio %.1fx vs 16",
			    k->why, k->n, b.len, bpp, 16.0 / bpp);
		pl_buf_release(&b);
	}
}

Test(line_series, range_decode)
{
	struct line_point in[100], out[100];
	for (int i = 0; i < 100; i++)
		in[i] = (struct line_point){ 1000 + i * 10, i * 0.5 };
	struct pl_buf b;
	pl_buf_init(&b, LINE_BLOCK_BYTES_MAX);
	cr_assert_eq(line_block_encode(in, 100, &b), 0);
	struct { int64_t from, to; size_t max; int rc; size_t n; int64_t first; } r[] = {
		{ 1000, 1010, 100, 0, 1, 1000 },  /* [from, to) */
		{ 1005, 1035, 100, 0, 3, 1010 },
		{ 0, 1000, 100, 0, 0, 0 },
		{ 1990, 5000, 100, 0, 1, 1990 },
		{ 2000, 5000, 100, 0, 0, 0 },
		{ 0, 5000, 10, PL_ETOOBIG, 10, 1000 },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		size_t n = 77;
		int rc = line_block_decode(b.data, b.len, r[i].from, r[i].to, out, r[i].max, &n);
		cr_expect_eq(rc, r[i].rc, "range %zu: rc %d", i, rc);
		cr_expect_eq(n, r[i].n, "range %zu: n %zu", i, n);
		if (n)
			cr_expect_eq(out[0].t, r[i].first, "range %zu", i);
	}
	pl_buf_release(&b);
}

Test(line_series, encoder_rules)
{
	struct line_block_enc e;
	line_block_enc_init(&e);
	struct pl_buf b;
	pl_buf_init(&b, LINE_BLOCK_BYTES_MAX);
	cr_expect_eq(line_block_enc_finish(&e, &b), PL_EINVAL, "empty block");
	cr_expect_eq(line_block_enc_add(&e, 100, 1), 0);
	cr_expect_eq(line_block_enc_add(&e, 100, 2), PL_EINVAL, "same timestamp");
	cr_expect_eq(line_block_enc_add(&e, 99, 2), PL_EINVAL, "out of order");
	cr_expect_eq(line_block_enc_add(&e, LINE_TIME_ABS_MAX + 1, 2), PL_EINVAL, "past the bound");
	cr_expect_eq(line_block_enc_count(&e), 1u, "refused points leave it unchanged");
	for (int i = 1; i < LINE_BLOCK_POINTS_MAX; i++)
		cr_assert_eq(line_block_enc_add(&e, 100 + i, i), 0);
	cr_expect_eq(line_block_enc_add(&e, 100000, 1), PL_ETOOBIG, "block full");
	/* a capped output keeps the points */
	struct pl_buf tiny;
	pl_buf_init(&tiny, 16);
	cr_expect_eq(line_block_enc_finish(&e, &tiny), PL_ETOOBIG);
	cr_expect_eq(line_block_enc_count(&e), (size_t)LINE_BLOCK_POINTS_MAX);
	cr_expect_eq(line_block_enc_finish(&e, &b), 0);
	cr_expect_eq(line_block_enc_count(&e), 0u, "reset for reuse");
	/* reused encoder starts a fresh block, appended after the first */
	size_t first_len = b.len;
	cr_expect_eq(line_block_enc_add(&e, 5, 5), 0);
	cr_expect_eq(line_block_enc_finish(&e, &b), 0);
	struct line_point p[2];
	size_t n;
	cr_expect_eq(line_block_decode(b.data + first_len, b.len - first_len, INT64_MIN, INT64_MAX,
				       p, 2, &n), 0);
	cr_expect(n == 1 && p[0].t == 5 && p[0].v == 5);
	pl_buf_release(&tiny);
	pl_buf_release(&b);
	line_block_enc_release(&e);
}

Test(line_series, malformed_blocks)
{
	struct line_point in[50], out[50];
	for (int i = 0; i < 50; i++)
		in[i] = (struct line_point){ 1000 + i * 7 + (i % 3), sin(i) };
	struct pl_buf b;
	pl_buf_init(&b, LINE_BLOCK_BYTES_MAX);
	cr_assert_eq(line_block_encode(in, 50, &b), 0);
	size_t n;
	/* every truncation fails cleanly */
	for (size_t len = 0; len < b.len; len++)
		cr_expect_eq(line_block_decode(b.data, len, INT64_MIN, INT64_MAX, out, 50, &n),
			     PL_EPARSE, "truncated to %zu", len);
	/* every single-bit flip either fails or decodes within bounds (never
	 * crashes; ASan/UBSan watch) */
	char *copy = pl_malloc(b.len);
	size_t refused = 0;
	for (size_t bit = 0; bit < b.len * 8; bit++) {
		memcpy(copy, b.data, b.len);
		copy[bit / 8] ^= (char)(1 << (bit % 8));
		int rc = line_block_decode(copy, b.len, INT64_MIN, INT64_MAX, out, 50, &n);
		cr_expect(rc == 0 || rc == PL_EPARSE || rc == PL_ETOOBIG, "bit %zu: rc %d", bit, rc);
		refused += rc != 0;
		for (size_t i = 1; rc == 0 && i < n; i++)
			cr_expect(out[i].t > out[i - 1].t, "bit %zu: order", bit);
	}
	cr_expect(refused > 0);
	free(copy);
	static const struct { const char *bytes; size_t n; } bad[] = {
		{ "\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12 }, /* version */
		{ "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12 }, /* count 0 */
		{ "\x01\x81\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 13 }, /* count 8193 */
		{ "\x01\x01\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12 }, /* last < first */
		{ "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11 },     /* varint overflow */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t cnt;
		int64_t a, z;
		cr_expect_eq(line_block_info(bad[i].bytes, bad[i].n, &cnt, &a, &z), PL_EPARSE, "bad %zu", i);
	}
	pl_buf_release(&b);
}

struct merge_case {
	const char *why;
	struct line_point a[6];
	size_t na;
	struct line_point b[6];
	size_t nb;
	struct line_point want[10];
	size_t nw;
};
static const struct merge_case merges[] = {
	{ "late points interleave", { { 10, 1 }, { 30, 3 } }, 2, { { 20, 2 }, { 40, 4 } }, 2,
	  { { 10, 1 }, { 20, 2 }, { 30, 3 }, { 40, 4 } }, 4 },
	{ "re-sent point replaces (last write wins)", { { 10, 1 }, { 20, 2 } }, 2, { { 20, 9 } }, 1,
	  { { 10, 1 }, { 20, 9 } }, 2 },
	{ "unsorted late batch, duplicate inside it: the later wins", { { 10, 1 } }, 1,
	  { { 30, 3 }, { 5, 0 }, { 30, 7 } }, 3, { { 5, 0 }, { 10, 1 }, { 30, 7 } }, 3 },
	{ "nothing late", { { 10, 1 } }, 1, { { 0, 0 } }, 0, { { 10, 1 } }, 1 },
	{ "nothing stored", { { 0, 0 } }, 0, { { 2, 2 }, { 1, 1 } }, 2, { { 1, 1 }, { 2, 2 } }, 2 },
};

Test(line_series, merge_rule)
{
	for (size_t c = 0; c < sizeof(merges) / sizeof(merges[0]); c++) {
		const struct merge_case *m = &merges[c];
		struct line_point b[6], out[12];
		memcpy(b, m->b, sizeof(b));
		size_t n = 99;
		line_points_merge(m->a, m->na, b, m->nb, out, &n);
		cr_expect_eq(n, m->nw, "%s: n %zu", m->why, n);
		for (size_t i = 0; i < n && i < m->nw; i++) {
			cr_expect_eq(out[i].t, m->want[i].t, "%s [%zu]", m->why, i);
			cr_expect_eq(out[i].v, m->want[i].v, "%s [%zu]", m->why, i);
		}
	}
}


/* ---------------------------------------------------------------- rollups */
Test(line_rollup, buckets_by_hand)
{
	/* minute buckets; values worked by hand */
	const struct line_point p[] = {
		{ 0, 10 }, { 20000, 14 }, { 59999, 12 },   /* [0, 60 s): n 3, min 10, max 14, sum 36 */
		{ 60000, NAN }, { 61000, -2 },              /* [60, 120 s): NaN skipped */
		{ 300000, INFINITY },                       /* [300, 360 s): only skipped */
		{ -1, 7 },                                  /* out of order: placed first below */
	};
	struct line_rollup r[4];
	size_t n;
	cr_expect_eq(line_rollup_points(p, 7, 60000, r, 4, &n), PL_EINVAL, "not increasing");
	const struct line_point q[] = { { -1, 7 }, { 0, 10 }, { 20000, 14 }, { 59999, 12 },
					{ 60000, NAN }, { 61000, -2 }, { 300000, INFINITY } };
	cr_assert_eq(line_rollup_points(q, 7, 60000, r, 4, &n), 0);
	cr_assert_eq(n, 4u);
	cr_expect(r[0].bucket == -60000 && r[0].count == 1 && r[0].min == 7);  /* floor before 0 */
	cr_expect(r[1].bucket == 0 && r[1].count == 3 && r[1].min == 10 && r[1].max == 14);
	cr_expect(r[1].sum == 36 && r[1].first == 10 && r[1].last == 12);
	cr_expect(r[1].t_first == 0 && r[1].t_last == 59999);
	cr_expect(r[2].bucket == 60000 && r[2].count == 1 && r[2].skipped == 1 && r[2].min == -2);
	cr_expect(r[3].bucket == 300000 && r[3].count == 0 && r[3].skipped == 1);
	cr_expect_eq(line_rollup_points(q, 7, 60000, r, 2, &n), PL_ETOOBIG);
	cr_expect_eq(n, 2u);
	cr_expect_eq(line_rollup_points(q, 7, 0, r, 4, &n), PL_EINVAL);

	/* folding a live bucket's later points equals rolling all at once */
	const struct line_point all[] = { { 0, 5 }, { 1000, 1 }, { 2000, 9 }, { 3000, 4 } };
	struct line_rollup whole, a, b;
	cr_assert_eq(line_rollup_points(all, 4, 3600000, &whole, 1, &n), 0);
	cr_assert_eq(line_rollup_points(all, 2, 3600000, &a, 1, &n), 0);
	cr_assert_eq(line_rollup_points(all + 2, 2, 3600000, &b, 1, &n), 0);
	cr_expect_eq(line_rollup_merge(&b, &a), PL_EINVAL, "from must be later");
	cr_assert_eq(line_rollup_merge(&a, &b), 0);
	cr_expect(a.count == whole.count && a.min == whole.min && a.max == whole.max);
	cr_expect(a.sum == whole.sum && a.first == whole.first && a.last == whole.last);
	cr_expect(a.t_first == whole.t_first && a.t_last == whole.t_last);
	struct line_rollup other = { .bucket = 3600000 };
	cr_expect_eq(line_rollup_merge(&a, &other), PL_EINVAL, "another bucket");
	struct line_rollup empty = { .bucket = 0, .skipped = 2 };
	cr_expect_eq(line_rollup_merge(&empty, &whole), 0);
	cr_expect(empty.count == 4 && empty.skipped == 2 && empty.sum == 19);
}

/* The ingest path keeps one encoder per open block and writes
 * line_block_enc_peek after every flush: at every cut, the peeked bytes
 * must equal a one-shot encoding of the same prefix, and adding more
 * points after a peek must give the one-shot encoding of the longer run
 * (so incremental rewrites store exactly what a full re-encode would). */
Test(line_series, peek_equals_one_shot_at_every_cut)
{
	static const struct { enum gen g; size_t n, step; } runs[] = {
		{ G_TEMP, 4096, 97 }, { G_SPECIALS, 64, 1 }, { G_RANDOM_BITS, 500, 13 }, { G_ONE, 1, 1 },
	};
	struct line_point *p = malloc(LINE_BLOCK_POINTS_MAX * sizeof(*p));
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		struct line_block_enc e;
		struct pl_buf a, b;
		gen(runs[r].g, runs[r].n, p, 7 + r);
		line_block_enc_init(&e);
		pl_buf_init(&a, LINE_BLOCK_BYTES_MAX);
		pl_buf_init(&b, LINE_BLOCK_BYTES_MAX);
		cr_expect_eq(line_block_enc_peek(&e, &a), PL_EINVAL, "no points: nothing to peek");
		for (size_t i = 0; i < runs[r].n; i++) {
			cr_assert_eq(line_block_enc_add(&e, p[i].t, p[i].v), 0);
			if ((i + 1) % runs[r].step && i + 1 != runs[r].n)
				continue;
			a.len = b.len = 0;
			cr_assert_eq(line_block_enc_peek(&e, &a), 0);
			cr_assert_eq(line_block_encode(p, i + 1, &b), 0);
			cr_assert_eq(a.len, b.len, "run %zu cut %zu: %zu vs %zu bytes", r, i + 1, a.len, b.len);
			cr_assert(!memcmp(a.data, b.data, a.len), "run %zu cut %zu differs", r, i + 1);
			cr_assert_eq(line_block_enc_count(&e), i + 1, "peek must not reset the encoder");
		}
		pl_buf_release(&a);
		pl_buf_release(&b);
		line_block_enc_release(&e);
	}
	free(p);
}
