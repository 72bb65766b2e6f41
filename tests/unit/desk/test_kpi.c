/* test_kpi.c - the service KPIs: each rate's numerator and denominator on
 * a table of request summaries that covers on-time and late, open and
 * resolved, due and not yet due, the boundaries (exactly at the limit
 * counts as on time), and groups with empty denominators (-1, not 0 %). */
#include <criterion/criterion.h>
#include "desk/desk.h"

#define N DESK_NEVER
#define SAT DESK_GRADE_SATISFIED
#define BAS DESK_GRADE_BASIC
#define UNS DESK_GRADE_UNSATISFIED

/* group, dispatched, sign_due, signed, resolve_due, resolved, reopened, returned, rating */
static const struct desk_kpi_request reqs[] = {
	{ "S2", N, N, N, N, N, 0, 0, -1 },           /* received, never dispatched */
	{ "S1", 0, 10, 5, 100, 90, 0, 0, SAT },      /* all on time */
	{ "S1", 0, 10, 20, 100, 150, 1, 0, UNS },    /* signed late, resolved late, reopened */
	{ "S1", 0, 10, N, N, N, 0, 0, -1 },          /* never signed */
	{ "S1", 0, 10, 8, 300, N, 0, 1, -1 },        /* open, not due yet, returned once */
	{ "S1", 0, 10, 9, 150, N, 0, 0, -1 },        /* open and overdue */
	{ "S2", 0, 10, 10, 200, 200, 0, 0, BAS },    /* exactly at both limits */
};
#define NREQ (sizeof(reqs) / sizeof(reqs[0]))

struct want {
	const char *group;
	size_t requests, dispatched, sign_on_time, resolved, resolved_on_time, due, resolved_due;
	size_t rated, satisfied, basic, reopened, returned, overdue;
	int32_t sign_bp, on_time_bp, resolution_bp, satisfaction_bp, reopen_bp, return_bp;
};

static void check(const struct desk_kpi *k, const struct want *w)
{
	cr_expect_str_eq(k->group, w->group);
	cr_expect_eq(k->requests, w->requests, "%s requests", w->group);
	cr_expect_eq(k->dispatched, w->dispatched, "%s dispatched", w->group);
	cr_expect_eq(k->sign_on_time, w->sign_on_time, "%s sign_on_time", w->group);
	cr_expect_eq(k->resolved, w->resolved, "%s resolved", w->group);
	cr_expect_eq(k->resolved_on_time, w->resolved_on_time, "%s on time", w->group);
	cr_expect_eq(k->due, w->due, "%s due", w->group);
	cr_expect_eq(k->resolved_due, w->resolved_due, "%s resolved_due", w->group);
	cr_expect_eq(k->rated, w->rated, "%s rated", w->group);
	cr_expect_eq(k->satisfied, w->satisfied, "%s satisfied", w->group);
	cr_expect_eq(k->basic, w->basic, "%s basic", w->group);
	cr_expect_eq(k->reopened, w->reopened, "%s reopened", w->group);
	cr_expect_eq(k->returned, w->returned, "%s returned", w->group);
	cr_expect_eq(k->overdue, w->overdue, "%s overdue", w->group);
	cr_expect_eq(k->sign_on_time_bp, w->sign_bp, "%s 签收及时率 %d", w->group, k->sign_on_time_bp);
	cr_expect_eq(k->on_time_bp, w->on_time_bp, "%s 按期办结率 %d", w->group, k->on_time_bp);
	cr_expect_eq(k->resolution_bp, w->resolution_bp, "%s 办结率 %d", w->group, k->resolution_bp);
	cr_expect_eq(k->satisfaction_bp, w->satisfaction_bp, "%s 满意率 %d", w->group, k->satisfaction_bp);
	cr_expect_eq(k->reopen_bp, w->reopen_bp, "%s 重办率 %d", w->group, k->reopen_bp);
	cr_expect_eq(k->return_bp, w->return_bp, "%s 退单率 %d", w->group, k->return_bp);
}

Test(desk_kpi, per_group)
{
	static const struct want want[] = {
		{ "S1", 5, 5, 3, 2, 1, 3, 2, 2, 1, 0, 1, 1, 2, 6000, 5000, 6667, 5000, 5000, 2000 },
		{ "S2", 2, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 10000, 10000, 10000, 0, 0, 0 },
	};
	struct desk_kpi *rows;
	size_t n;
	cr_assert_eq(desk_kpi_compute(reqs, NREQ, 200, false, &rows, &n), 0);
	cr_assert_eq(n, 2u);
	for (size_t i = 0; i < n; i++)
		check(&rows[i], &want[i]);
	free(rows);

	/* 基本满意 counted: S2's one rating becomes satisfied. */
	cr_assert_eq(desk_kpi_compute(reqs, NREQ, 200, true, &rows, &n), 0);
	cr_expect_eq(rows[1].satisfaction_bp, 10000);
	cr_expect_eq(rows[0].satisfaction_bp, 5000);
	free(rows);

	/* Earlier as_of: fewer requests are due, and r5 is not overdue yet. */
	cr_assert_eq(desk_kpi_compute(reqs, NREQ, 120, false, &rows, &n), 0);
	cr_expect_eq(rows[0].due, 2u);
	cr_expect_eq(rows[0].overdue, 1u);
	cr_expect_eq(rows[1].due, 0u);
	cr_expect_eq(rows[1].resolution_bp, -1);
	free(rows);
}

Test(desk_kpi, empty_and_bad)
{
	struct desk_kpi *rows;
	size_t n;
	cr_expect_eq(desk_kpi_compute(NULL, 0, 0, false, &rows, &n), 0);
	cr_expect_eq(n, 0u);
	free(rows);
	/* One group that was only received: every rate is undefined. */
	cr_assert_eq(desk_kpi_compute(reqs, 1, 200, false, &rows, &n), 0);
	cr_expect_eq(rows[0].sign_on_time_bp, -1);
	cr_expect_eq(rows[0].on_time_bp, -1);
	cr_expect_eq(rows[0].satisfaction_bp, -1);
	cr_expect_eq(rows[0].return_bp, -1);
	free(rows);
	struct desk_kpi_request bad = reqs[1];
	bad.group = NULL;
	cr_expect_eq(desk_kpi_compute(&bad, 1, 0, false, &rows, &n), PL_EINVAL);
	cr_expect_null(rows);
	bad = reqs[1];
	bad.rating = 3;
	cr_expect_eq(desk_kpi_compute(&bad, 1, 0, false, &rows, &n), PL_EINVAL);
}
