/*
 * kpi.c - the park's service KPIs (签收及时率, 按期办结率, 办结率, 满意率,
 * 重办率, 退单率, 超期数) over request summaries the store hands in.
 *
 * Cities define these rates differently, so the formulas are fixed here
 * once, written in desk.h and docs/desk.md, and every report states them.
 * The rates describe the park's service, not a specialist's standing: the
 * score that replaces specialists is satisfaction alone (score.c).
 * Grouping is by an opaque key the caller chooses (specialist id,
 * department id or a month), so one function serves every report.
 */
#include "desk.h"

static int kpi__cmp(const void *a, const void *b)
{
	const struct desk_kpi_request *x = *(const struct desk_kpi_request *const *)a;
	const struct desk_kpi_request *y = *(const struct desk_kpi_request *const *)b;
	return strcmp(x->group, y->group);
}

/* num/den in basis points, half up; -1 when den is 0 (no rate, not 0 %). */
static int32_t kpi__bp(size_t num, size_t den)
{
	if (den == 0)
		return -1;
	return (int32_t)(((uint64_t)num * 20000 + den) / (2 * (uint64_t)den));
}

static void kpi__add(struct desk_kpi *k, const struct desk_kpi_request *r, int64_t as_of)
{
	bool resolved = r->resolved_at != DESK_NEVER;
	bool has_due = r->resolve_due != DESK_NEVER;

	k->requests++;
	if (r->dispatched_at != DESK_NEVER) {
		k->dispatched++;
		if (r->signed_at != DESK_NEVER && r->sign_due != DESK_NEVER &&
		    r->signed_at <= r->sign_due)
			k->sign_on_time++;
		if (r->returned)
			k->returned++;
	}
	if (resolved) {
		k->resolved++;
		if (has_due && r->resolved_at <= r->resolve_due)
			k->resolved_on_time++;
		if (r->reopened)
			k->reopened++;
	}
	if (has_due && r->resolve_due <= as_of) {
		k->due++;
		if (resolved)
			k->resolved_due++;
	}
	if (has_due && (resolved ? r->resolved_at > r->resolve_due : as_of > r->resolve_due))
		k->overdue++;
	if (r->rating >= 0) {
		k->rated++;
		if (r->rating == DESK_GRADE_SATISFIED)
			k->satisfied++;
		else if (r->rating == DESK_GRADE_BASIC)
			k->basic++;
	}
}

static void kpi__finish(struct desk_kpi *k, bool count_basic)
{
	k->sign_on_time_bp = kpi__bp(k->sign_on_time, k->dispatched);
	k->on_time_bp = kpi__bp(k->resolved_on_time, k->resolved);
	k->resolution_bp = kpi__bp(k->resolved_due, k->due);
	k->satisfaction_bp = kpi__bp(k->satisfied + (count_basic ? k->basic : 0), k->rated);
	k->reopen_bp = kpi__bp(k->reopened, k->resolved);
	k->return_bp = kpi__bp(k->returned, k->dispatched);
}

int desk_kpi_compute(const struct desk_kpi_request *r, size_t n, int64_t as_of_ms,
		     bool count_basic, struct desk_kpi **rows, size_t *nrows)
{
	const struct desk_kpi_request **v = NULL;
	struct desk_kpi *out = NULL;
	size_t no = 0;

	*rows = NULL;
	*nrows = 0;
	if (n && !r)
		return PL_EINVAL;
	if (n > DESK_BOARD_MAX)
		return PL_ETOOBIG;
	for (size_t i = 0; i < n; i++)
		if (!r[i].group || r[i].rating < -1 || r[i].rating > DESK_GRADE_UNSATISFIED)
			return PL_EINVAL;
	v = pl_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = &r[i];
	if (n)
		qsort(v, n, sizeof(*v), kpi__cmp);
	out = pl_calloc(n ? n : 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i]->group, v[i - 1]->group) != 0)
			out[no++] = (struct desk_kpi){ .group = v[i]->group };
		kpi__add(&out[no - 1], v[i], as_of_ms);
	}
	for (size_t i = 0; i < no; i++)
		kpi__finish(&out[i], count_basic);
	*rows = out;
	*nrows = no;
	free(v);
	return 0;
}
