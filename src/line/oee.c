/*
 * oee.c - OEE per ISO 22400-2 and the shift calendar that supplies its
 * planned busy time. The formulas and the reasons behind the edge cases
 * (no production time, nothing produced, performance above 1) are in
 * line.h; this file only adds the arithmetic and the validation.
 */
#include "line/line.h"

#include <math.h>
#include <string.h>

#define DAY_MS 86400000LL
#define COUNT_MAX ((uint64_t)1 << 53) /* exact in a double */

int line_oee_compute(const struct line_oee_in *in, struct line_oee *out)
{
	if (in->pbt_ms <= 0 || in->apt_ms < 0 || in->apt_ms > in->pbt_ms ||
	    !isfinite(in->ideal_cycle_ms) || in->ideal_cycle_ms <= 0 ||
	    in->good > in->produced || in->produced > COUNT_MAX)
		return PL_EINVAL;
	struct line_oee o = { 0 };
	o.availability = (double)in->apt_ms / (double)in->pbt_ms;
	o.downtime_ms = in->pbt_ms - in->apt_ms;
	o.reject = in->produced - in->good;
	if (in->apt_ms > 0) {
		o.has_performance = true;
		o.performance = in->ideal_cycle_ms * (double)in->produced / (double)in->apt_ms;
	}
	if (in->produced > 0) {
		o.has_quality = true;
		o.quality = (double)in->good / (double)in->produced;
	}
	/* = PRI x GQ / PBT, computed as the product so the parts and the
	 * whole agree to the last bit a UI shows. */
	o.oee = o.availability * o.performance * o.quality;
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- shifts */

static bool overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	return a0 < b1 && b0 < a1;
}

int line_calendar_check(const struct line_calendar *cal)
{
	if (cal->utc_offset_min < -14 * 60 || cal->utc_offset_min > 14 * 60 ||
	    cal->n_shifts < 1 || cal->n_shifts > LINE_SHIFTS_MAX)
		return PL_EINVAL;
	for (int i = 0; i < cal->n_shifts; i++) {
		const struct line_shift *s = &cal->shifts[i];
		if (!memchr(s->name, '\0', sizeof(s->name)) || s->start_min < 0 ||
		    s->start_min >= 1440 || s->length_min < 1 || s->length_min > 1440 ||
		    s->n_stops < 0 || s->n_stops > LINE_STOPS_MAX)
			return PL_EINVAL;
		for (int k = 0; k < s->n_stops; k++) {
			int o = s->stops[k].offset_min, l = s->stops[k].length_min;
			if (o < 0 || l < 1 || o + l > s->length_min)
				return PL_EINVAL;
			for (int j = 0; j < k; j++)
				if (overlap(o, o + l, s->stops[j].offset_min,
					    s->stops[j].offset_min + s->stops[j].length_min))
					return PL_EINVAL;
		}
		/* Shifts repeat daily: compare against the other shift on the
		 * previous, same and next day. */
		for (int j = 0; j < i; j++) {
			const struct line_shift *o = &cal->shifts[j];
			for (int d = -1; d <= 1; d++)
				if (overlap(s->start_min, s->start_min + s->length_min,
					    o->start_min + d * 1440,
					    o->start_min + d * 1440 + o->length_min))
					return PL_EINVAL;
		}
	}
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int line_shift_at(const struct line_calendar *cal, int64_t t, struct line_shift_span *out)
{
	if (line_calendar_check(cal))
		return PL_EINVAL;
	if (t < -LINE_TIME_ABS_MAX || t > LINE_TIME_ABS_MAX)
		return PL_EINVAL;
	int64_t off = (int64_t)cal->utc_offset_min * 60000;
	int64_t local = t + off;
	int64_t day = floor_div(local, DAY_MS);
	for (int i = 0; i < cal->n_shifts; i++) {
		const struct line_shift *s = &cal->shifts[i];
		/* the occurrence that began today, or yesterday (past midnight) */
		for (int64_t d = day; d >= day - 1; d--) {
			int64_t start = d * DAY_MS + (int64_t)s->start_min * 60000;
			int64_t end = start + (int64_t)s->length_min * 60000;
			if (local >= start && local < end) {
				int64_t stops = 0;
				for (int k = 0; k < s->n_stops; k++)
					stops += (int64_t)s->stops[k].length_min * 60000;
				*out = (struct line_shift_span){ i, start - off, end - off, stops };
				return 0;
			}
		}
	}
	return PL_ENOTFOUND;
}

int64_t line_shift_stops_within(const struct line_calendar *cal,
				const struct line_shift_span *s, int64_t from, int64_t to)
{
	const struct line_shift *sh = &cal->shifts[s->shift];
	int64_t sum = 0;
	for (int k = 0; k < sh->n_stops; k++) {
		int64_t a = s->start_ms + (int64_t)sh->stops[k].offset_min * 60000;
		int64_t b = a + (int64_t)sh->stops[k].length_min * 60000;
		int64_t lo = a > from ? a : from, hi = b < to ? b : to;
		if (hi > lo)
			sum += hi - lo;
	}
	return sum;
}
