/*
 * rollup.c - per-bucket aggregates (count, min, max, sum, first, last) of
 * one series: the 1-minute and 1-hour rows the control room's trend charts
 * read instead of raw points when zoomed out. Pure arithmetic over sorted
 * points; the caller stores the rows and decides when a bucket is final.
 */
#include "line/line.h"

#include <math.h>

static int64_t bucket_of(int64_t t, int64_t w)
{
	int64_t q = t / w;
	if (t % w != 0 && t < 0)
		q--; /* floor, so buckets before 1970 line up too */
	return q * w;
}

static void add(struct line_rollup *r, int64_t t, double v)
{
	if (!isfinite(v)) {
		r->skipped++;
		return;
	}
	if (r->count == 0) {
		r->min = r->max = v;
		r->t_first = t;
		r->first = v;
	} else {
		if (v < r->min)
			r->min = v;
		if (v > r->max)
			r->max = v;
	}
	r->sum += v;
	r->t_last = t;
	r->last = v;
	r->count++;
}

int line_rollup_points(const struct line_point *pts, size_t n, int64_t width_ms,
		       struct line_rollup *out, size_t max, size_t *nout)
{
	size_t k = 0;
	*nout = 0;
	if (width_ms <= 0)
		return PL_EINVAL;
	for (size_t i = 1; i < n; i++)
		if (pts[i].t <= pts[i - 1].t)
			return PL_EINVAL;
	/* the points are sorted: a point after the current bucket's last t
	 * opens the next one, so the division runs once per bucket, not per
	 * point, and the bucket is built in a local (out may alias pts as far
	 * as the compiler knows) and stored when it is complete; both were
	 * most of this function in the MQTT flush */
	struct line_rollup cur = { 0 };
	int64_t hi = 0; /* the last t of cur's bucket, when k > 0 */
	for (size_t i = 0; i < n; i++) {
		if (k == 0 || pts[i].t > hi) {
			int64_t b = bucket_of(pts[i].t, width_ms);
			if (k > 0)
				out[k - 1] = cur;
			if (k == max) {
				*nout = k;
				return PL_ETOOBIG;
			}
			k++;
			cur = (struct line_rollup){ .bucket = b };
			hi = b > INT64_MAX - (width_ms - 1) ? INT64_MAX : b + (width_ms - 1);
		}
		add(&cur, pts[i].t, pts[i].v);
	}
	if (k > 0)
		out[k - 1] = cur;
	*nout = k;
	return 0;
}

int line_rollup_merge(struct line_rollup *into, const struct line_rollup *from)
{
	if (into->bucket != from->bucket)
		return PL_EINVAL;
	if (into->count && from->count && from->t_first <= into->t_last)
		return PL_EINVAL;
	into->skipped += from->skipped;
	if (from->count == 0)
		return 0;
	if (into->count == 0) {
		uint64_t skipped = into->skipped;
		*into = *from;
		into->skipped = skipped;
		return 0;
	}
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->sum += from->sum;
	into->count += from->count;
	into->t_last = from->t_last;
	into->last = from->last;
	return 0;
}
