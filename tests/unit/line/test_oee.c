/* test_oee.c - OEE per ISO 22400 against hand-worked cases, and the shift
 * calendar (Beijing time, a night shift across midnight, planned stops). */
#include <criterion/criterion.h>
#include <math.h>
#include "line/line.h"

struct oee_case {
	const char *why;
	struct line_oee_in in;
	int rc;
	double a, p, q, oee;
	bool has_p, has_q;
};

static const struct oee_case oee_cases[] = {
	/* Worked by hand: an 8 h shift (480 min) less 60 min of planned
	 * breaks gives PBT 420 min; 47 min of breakdowns leave APT 373 min;
	 * ideal cycle 1.0 s; 19 271 produced, 423 rejected, 18 848 good.
	 * A = 373/420 = 0.888095; P = 19271 s / 22380 s = 0.861081;
	 * Q = 18848/19271 = 0.978050; OEE = 18848 s / 25200 s = 0.747937. */
	{ "classic shift", { 420 * 60000LL, 373 * 60000LL, 1000.0, 19271, 18848 }, 0,
	  0.888095, 0.861081, 0.978050, 0.747937, true, true },
	/* Filling line, 12 h shift less a 60 min lunch: PBT 660 min; down
	 * 66 min: APT 594 min = 35 640 s; ideal 0.2 s/vial (300/min);
	 * 160 380 vials, 1 604 rejected by inspection: 158 776 good.
	 * A = 594/660 = 0.9; P = 0.2*160380/35640 = 0.9;
	 * Q = 158776/160380 = 0.98999875; OEE = 0.2*158776/39600 = 0.801899. */
	{ "filling line", { 660 * 60000LL, 594 * 60000LL, 200.0, 160380, 158776 }, 0,
	  0.9, 0.9, 0.989999, 0.801899, true, true },
	{ "no production time: performance undefined", { 3600000, 0, 1000.0, 0, 0 }, 0,
	  0, 0, 0, 0, false, false },
	{ "ran but made nothing: quality undefined", { 3600000, 1800000, 1000.0, 0, 0 }, 0,
	  0.5, 0, 0, 0, true, false },
	{ "ideal cycle set too slow: performance 2.0 shown, not clamped",
	  { 100000, 100000, 2000.0, 100, 100 }, 0, 1, 2, 1, 2, true, true },
	{ "all good, no loss", { 1000, 1000, 10.0, 100, 100 }, 0, 1, 1, 1, 1, true, true },
	{ "PBT 0", { 0, 0, 1000.0, 0, 0 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "APT > PBT", { 1000, 1001, 1000.0, 0, 0 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "negative APT", { 1000, -1, 1000.0, 0, 0 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "good > produced", { 1000, 1000, 1.0, 5, 6 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "ideal cycle 0", { 1000, 1000, 0.0, 5, 5 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "ideal cycle NaN", { 1000, 1000, NAN, 5, 5 }, PL_EINVAL, 0, 0, 0, 0, false, false },
	{ "count past 2^53", { 1000, 1000, 1.0, (1ull << 53) + 1, 0 }, PL_EINVAL, 0, 0, 0, 0, false, false },
};

Test(line_oee, hand_worked)
{
	for (size_t i = 0; i < sizeof(oee_cases) / sizeof(oee_cases[0]); i++) {
		const struct oee_case *c = &oee_cases[i];
		struct line_oee o = { .oee = -1 };
		int rc = line_oee_compute(&c->in, &o);
		cr_expect_eq(rc, c->rc, "%s: rc %d", c->why, rc);
		if (rc) {
			cr_expect_eq(o.oee, -1, "%s: written on error", c->why);
			continue;
		}
		cr_expect(fabs(o.availability - c->a) < 5e-7, "%s: A %.6f", c->why, o.availability);
		cr_expect(fabs(o.performance - c->p) < 5e-7, "%s: P %.6f", c->why, o.performance);
		cr_expect(fabs(o.quality - c->q) < 5e-7, "%s: Q %.6f", c->why, o.quality);
		cr_expect(fabs(o.oee - c->oee) < 5e-7, "%s: OEE %.6f", c->why, o.oee);
		cr_expect_eq(o.has_performance, c->has_p, "%s", c->why);
		cr_expect_eq(o.has_quality, c->has_q, "%s", c->why);
		cr_expect_eq(o.downtime_ms, c->in.pbt_ms - c->in.apt_ms, "%s", c->why);
		cr_expect_eq(o.reject, c->in.produced - c->in.good, "%s", c->why);
		/* ISO 22400 identity: OEE = PRI x GQ / PBT */
		cr_expect(fabs(o.oee - c->in.ideal_cycle_ms * (double)c->in.good /
				       (double)c->in.pbt_ms) < 1e-9, "%s: identity", c->why);
	}
}

/* Day 08:00-20:00 Beijing with lunch 12:00-13:00; Night 20:00-08:00
 * (across midnight) with a stop 00:00-00:30. */
static const struct line_calendar cal = {
	.utc_offset_min = 480,
	.n_shifts = 2,
	.shifts = {
		{ "Day", 8 * 60, 720, 1, { { 240, 60 } } },
		{ "Night", 20 * 60, 720, 1, { { 240, 30 } } },
	},
};

static int64_t ts(const char *s)
{
	int64_t t;
	cr_assert_eq(pl_time_parse(s, &t), 0, "%s", s);
	return t;
}

Test(line_calendar, shift_at)
{
	struct {
		const char *at;
		int rc, shift;
		const char *start, *end;
	} c[] = {
		{ "2026-11-25T01:00:00Z", 0, 0, "2026-11-25T00:00:00Z", "2026-11-25T12:00:00Z" }, /* 09:00 BJ */
		{ "2026-11-25T00:00:00Z", 0, 0, "2026-11-25T00:00:00Z", "2026-11-25T12:00:00Z" }, /* start inclusive */
		{ "2026-11-25T12:00:00Z", 0, 1, "2026-11-25T12:00:00Z", "2026-11-26T00:00:00Z" }, /* end exclusive */
		{ "2026-11-25T15:30:00Z", 0, 1, "2026-11-25T12:00:00Z", "2026-11-26T00:00:00Z" }, /* 23:30 BJ */
		{ "2026-11-25T19:00:00Z", 0, 1, "2026-11-25T12:00:00Z", "2026-11-26T00:00:00Z" }, /* 03:00 BJ next day */
		{ "2026-11-25T23:59:59.999Z", 0, 1, "2026-11-25T12:00:00Z", "2026-11-26T00:00:00Z" },
		{ "2026-11-26T00:00:00Z", 0, 0, "2026-11-26T00:00:00Z", "2026-11-26T12:00:00Z" },
		{ "1969-12-31T01:00:00Z", 0, 0, "1969-12-31T00:00:00Z", "1969-12-31T12:00:00Z" }, /* before the epoch: floor division */
		{ "1969-12-31T23:00:00Z", 0, 1, "1969-12-31T12:00:00Z", "1970-01-01T00:00:00Z" }, /* 07:00 BJ 1970-01-01 */
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct line_shift_span s;
		int rc = line_shift_at(&cal, ts(c[i].at), &s);
		cr_expect_eq(rc, c[i].rc, "%s: rc %d", c[i].at, rc);
		if (rc)
			continue;
		cr_expect_eq(s.shift, c[i].shift, "%s: shift %d", c[i].at, s.shift);
		cr_expect_eq(s.start_ms, ts(c[i].start), "%s: start", c[i].at);
		cr_expect_eq(s.end_ms, ts(c[i].end), "%s: end", c[i].at);
		cr_expect_eq(s.planned_stop_ms, s.shift == 0 ? 3600000 : 1800000, "%s", c[i].at);
	}
	/* PBT of a part of the night shift: stop 16:00Z-16:30Z */
	struct line_shift_span s;
	cr_assert_eq(line_shift_at(&cal, ts("2026-11-25T15:30:00Z"), &s), 0);
	cr_expect_eq(line_shift_stops_within(&cal, &s, s.start_ms, ts("2026-11-25T17:00:00Z")), 1800000);
	cr_expect_eq(line_shift_stops_within(&cal, &s, ts("2026-11-25T16:15:00Z"),
					     ts("2026-11-25T18:00:00Z")), 900000);
	cr_expect_eq(line_shift_stops_within(&cal, &s, s.start_ms, ts("2026-11-25T16:00:00Z")), 0);

	/* a time between shifts */
	struct line_calendar gap = { 480, 1, { { "Early", 8 * 60, 60, 0, { { 0, 0 } } } } };
	cr_expect_eq(line_shift_at(&gap, ts("2026-11-25T02:00:00Z"), &s), PL_ENOTFOUND);
}

Test(line_calendar, invalid)
{
	struct line_calendar bad[] = {
		{ 480, 2, { { "A", 8 * 60, 720, 0, { { 0, 0 } } }, { "B", 19 * 60, 600, 0, { { 0, 0 } } } } },
		/* night to 08:00 overlaps an early shift at 07:00 next day */
		{ 480, 2, { { "N", 20 * 60, 720, 0, { { 0, 0 } } }, { "E", 7 * 60, 60, 0, { { 0, 0 } } } } },
		{ 480, 1, { { "A", 8 * 60, 60, 1, { { 50, 20 } } } } },          /* stop past the end */
		{ 480, 1, { { "A", 8 * 60, 120, 2, { { 10, 20 }, { 20, 5 } } } } }, /* stops overlap */
		{ 15 * 60, 1, { { "A", 0, 60, 0, { { 0, 0 } } } } },             /* offset */
		{ 480, 0, { { "A", 0, 60, 0, { { 0, 0 } } } } },                 /* no shifts */
		{ 480, 1, { { "A", 1440, 60, 0, { { 0, 0 } } } } },              /* start */
		{ 480, 1, { { "A", 0, 1441, 0, { { 0, 0 } } } } },               /* length */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct line_shift_span s;
		cr_expect_eq(line_calendar_check(&bad[i]), PL_EINVAL, "calendar %zu", i);
		cr_expect_eq(line_shift_at(&bad[i], 0, &s), PL_EINVAL, "calendar %zu", i);
	}
	cr_expect_eq(line_calendar_check(&cal), 0);
	/* one 24 h shift is valid */
	struct line_calendar full = { 0, 1, { { "All", 0, 1440, 0, { { 0, 0 } } } } };
	cr_expect_eq(line_calendar_check(&full), 0);
}
