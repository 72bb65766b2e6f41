/* test_green.c - green-channel measurement on the shipped calendar: steps
 * across 国庆 2025 and its make-up days, promises kept and broken, a step
 * over its statutory limit, a pending step measured to as_of, parallel
 * steps (sum of steps vs elapsed span), and bad input. */
#include <criterion/criterion.h>
#include "desk/desk.h"

#define N DESK_NEVER

static int64_t bj(int y, int mo, int d, int h)
{
	int32_t day;
	cr_assert_eq(desk_day_from_ymd(y, mo, d, &day), 0);
	return desk_day_start_ms(day) + h * 3600 * 1000LL;
}

static void load(struct desk_calendar *cal)
{
	const char *root = getenv("PL_ROOT");
	char dir[512];
	struct desk_cal_error err;
	snprintf(dir, sizeof(dir), "%s/data/calendar", root ? root : ".");
	desk_calendar_init(cal);
	cr_assert_eq(desk_calendar_load_dir(cal, dir, &err), 0, "%s", err.text);
}

struct step_want {
	bool done;
	int32_t actual, saved;
	bool over_statutory, over_promised;
};

Test(desk_green, project_across_national_day)
{
	struct desk_calendar cal;
	load(&cal);
	const struct desk_green_step steps[] = {
		/* Sep 28 (make-up Sunday), 29, 30, Oct 9, 10: 5 working days */
		{ 20, 5, bj(2025, 9, 26, 10), bj(2025, 10, 10, 15) },
		/* Sep 30, Oct 9, 10, 11 (make-up Saturday): 4, promised 3 */
		{ 10, 3, bj(2025, 9, 29, 9), bj(2025, 10, 11, 11) },
		/* Oct 14-17, 20: 5 against a statutory 3 */
		{ 3, 0, bj(2025, 10, 13, 9), bj(2025, 10, 20, 16) },
	};
	const struct step_want want[] = {
		{ true, 5, 15, false, false },
		{ true, 4, 6, false, true },
		{ true, 5, -2, true, false },
	};
	struct desk_green_step_result res[3];
	struct desk_green_summary s;
	cr_assert_eq(desk_green_measure(steps, 3, &cal, bj(2025, 12, 1, 0), res, &s), 0);
	for (size_t i = 0; i < 3; i++) {
		cr_expect_eq(res[i].done, want[i].done, "step %zu", i);
		cr_expect_eq(res[i].actual_days, want[i].actual, "step %zu: %d", i, res[i].actual_days);
		cr_expect_eq(res[i].saved_days, want[i].saved, "step %zu", i);
		cr_expect_eq(res[i].over_statutory, want[i].over_statutory, "step %zu", i);
		cr_expect_eq(res[i].over_promised, want[i].over_promised, "step %zu", i);
	}
	cr_expect_eq(s.steps, 3u);
	cr_expect_eq(s.done, 3u);
	cr_expect(s.complete);
	cr_expect_eq(s.statutory_sum, 33);
	cr_expect_eq(s.actual_sum, 14);
	cr_expect_eq(s.saved_sum, 19);
	/* Sep 26 -> Oct 20: 12 working days, 24 calendar days, though the
	 * steps add up to 14: two of them ran in parallel. */
	cr_expect_eq(s.elapsed_days, 12);
	cr_expect_eq(s.elapsed_calendar_days, 24);
	desk_calendar_release(&cal);
}

Test(desk_green, pending_and_unsubmitted_steps)
{
	struct desk_calendar cal;
	load(&cal);
	const struct desk_green_step steps[] = {
		{ 20, 0, bj(2025, 9, 26, 10), bj(2025, 10, 10, 15) },
		{ 20, 10, bj(2025, 10, 20, 10), N },  /* pending: Oct 21-24 so far */
		{ 5, 0, N, N },                       /* not submitted yet */
	};
	struct desk_green_step_result res[3];
	struct desk_green_summary s;
	cr_assert_eq(desk_green_measure(steps, 3, &cal, bj(2025, 10, 24, 12), res, &s), 0);
	cr_expect(!res[1].done);
	cr_expect_eq(res[1].actual_days, 4);
	cr_expect_eq(res[1].saved_days, 16);
	cr_expect(!res[2].done);
	cr_expect_eq(res[2].actual_days, 0);
	cr_expect_eq(s.done, 1u);
	cr_expect(!s.complete);
	cr_expect_eq(s.statutory_sum, 45);
	cr_expect_eq(s.actual_sum, 5, "only done steps are summed");
	cr_expect_eq(s.saved_sum, 15);
	cr_expect_eq(s.elapsed_days, 16);
	cr_expect_eq(s.elapsed_calendar_days, 28);
	/* results may be NULL */
	cr_expect_eq(desk_green_measure(steps, 3, &cal, bj(2025, 10, 24, 12), NULL, &s), 0);

	/* Nothing submitted: no span. */
	cr_assert_eq(desk_green_measure(steps + 2, 1, &cal, bj(2025, 10, 24, 12), NULL, &s), 0);
	cr_expect_eq(s.elapsed_days, -1);
	cr_assert_eq(desk_green_measure(NULL, 0, &cal, 0, NULL, &s), 0);
	cr_expect(!s.complete);
	desk_calendar_release(&cal);
}

Test(desk_green, bad_input)
{
	struct desk_calendar cal;
	struct desk_green_summary s;
	load(&cal);
	static struct desk_green_step many[DESK_GREEN_STEPS_MAX + 1];
	for (size_t i = 0; i <= DESK_GREEN_STEPS_MAX; i++)
		many[i] = (struct desk_green_step){ 20, 0, N, N };
	const struct {
		const char *why;
		struct desk_green_step st;
		int rc;
	} cases[] = {
		{ "no statutory limit", { 0, 0, N, N }, PL_EINVAL },
		{ "negative promise", { 20, -1, N, N }, PL_EINVAL },
		{ "decided before accepted", { 20, 0, bj(2025, 3, 5, 0), bj(2025, 3, 4, 0) }, PL_EINVAL },
		{ "decided, never accepted", { 20, 0, N, bj(2025, 3, 4, 0) }, PL_EINVAL },
		{ "spans a year not loaded", { 20, 0, bj(2026, 12, 20, 0), bj(2027, 1, 10, 0) }, PL_ENOTFOUND },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(desk_green_measure(&cases[i].st, 1, &cal, bj(2026, 1, 1, 0), NULL, &s),
			     cases[i].rc, "%s", cases[i].why);
	cr_expect_eq(desk_green_measure(many, DESK_GREEN_STEPS_MAX + 1, &cal, 0, NULL, &s), PL_ETOOBIG);
	cr_expect_eq(desk_green_measure(many, DESK_GREEN_STEPS_MAX, &cal, 0, NULL, &s), 0);
	cr_expect_eq(desk_green_measure(many, 1, NULL, 0, NULL, &s), PL_EINVAL);
	desk_calendar_release(&cal);
}
