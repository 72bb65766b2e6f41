/*
 * pause.c - moving a deadline by a pause of its clock (desk.h,
 * desk_due_after_pause).
 *
 * While a request waits on the enterprise (待补充, after the specialist's
 * 补充材料) its handling clock stands still. When the enterprise answers
 * (补正) the clock runs again with the time it had left when it stopped.
 * For a clock counted in working days that time is measured inside working
 * days only, the way desk_deadline_add counts (a working day is 24 h of
 * clock; weekends and holidays do not count), so a pause over a weekend
 * moves the deadline by the working time it covered, not by its length.
 *
 * The store keeps the due time, not the clock's history: one pause is
 * applied to the current due time when it ends. That composes with an
 * approved 延期 (which replaces the due time) and with several pauses in
 * a row, each moving the due time it finds.
 */
#include "desk.h"

#define DAY_MS INT64_C(86400000)
#define PAUSE_WALK_MAX (DESK_WORKDAYS_MAX * 3)

/* Time inside working days in [a, b) into *out. */
static int pause__worktime(const struct desk_calendar *cal, int64_t a, int64_t b, int64_t *out)
{
	int32_t d = desk_day_from_ms(a), last = desk_day_from_ms(b);
	int64_t sum = 0;
	bool work;
	int rc;

	*out = 0;
	if (last - d > PAUSE_WALK_MAX * 4)
		return PL_EINVAL; /* a pause of years: a bad input, not a wait */
	for (; d <= last; d++) {
		int64_t s = desk_day_start_ms(d), e = desk_day_start_ms(d + 1);
		if ((rc = desk_calendar_is_workday(cal, d, &work)))
			return rc;
		if (!work)
			continue;
		if (s < a)
			s = a;
		if (e > b)
			e = b;
		if (e > s)
			sum += e - s;
	}
	*out = sum;
	return 0;
}

/* The instant w ms of working time after t into *out. */
static int pause__advance(const struct desk_calendar *cal, int64_t t, int64_t w, int64_t *out)
{
	int32_t d = desk_day_from_ms(t);
	int64_t pos = t;
	bool work;
	int rc;

	for (int i = 0; i < PAUSE_WALK_MAX; i++, d++) {
		int64_t end = desk_day_start_ms(d + 1);
		if ((rc = desk_calendar_is_workday(cal, d, &work)))
			return rc;
		if (work) {
			if (w <= end - pos) {
				*out = pos + w;
				return 0;
			}
			w -= end - pos;
		}
		pos = end;
	}
	return PL_ENOTFOUND;
}

int desk_due_after_pause(const struct desk_calendar *cal, enum desk_unit unit,
			 int64_t due_ms, int64_t from_ms, int64_t to_ms, int64_t *out)
{
	int64_t left;
	int rc;

	if (to_ms < from_ms)
		return PL_EINVAL;
	if (from_ms >= due_ms || to_ms == from_ms) {
		*out = due_ms; /* ran out before the pause, or no pause at all */
		return 0;
	}
	switch (unit) {
	case DESK_UNIT_MINUTES:
		*out = to_ms + (due_ms - from_ms);
		return 0;
	case DESK_UNIT_WORKDAYS:
		if (!cal)
			return PL_EINVAL;
		if ((rc = pause__worktime(cal, from_ms, due_ms, &left)))
			return rc;
		if (left == 0) {
			/* stopped after the last working day before the due time
			 * (a weekend before a Monday 00:00 deadline): no working
			 * time was left, so the pause does not move it */
			*out = due_ms;
			return 0;
		}
		return pause__advance(cal, to_ms, left, out);
	}
	return PL_EINVAL;
}
