/*
 * rollup.c - the KPI report read from the rollup (migration 18,
 * src/desk/rollup_sql.h) instead of a scan of every request, and the
 * rebuild of that rollup. report.c decides which path answers; both give
 * the same items (tests/unit/desk/test_report_rollup.c compares them on
 * generated histories, both engines).
 *
 * NOTES ON THE DESIGN
 * 1. A range [from, to] of Beijing days is cut into months. A month wholly
 *    inside reads its month row; a partial month reads either its days
 *    inside (+) or its month row (+) minus its days outside (-), whichever
 *    reads fewer day buckets. Days after as_of are free: nothing was
 *    created then (in the ordinary case), so "this month so far" is one
 *    month row minus nothing. Both choices are exact whatever the data;
 *    only the cost differs. A report therefore reads at most 122 month
 *    buckets and at most 2 x 15 day buckets per (specialist, department).
 * 2. as_of: the rollup keeps has_due, due_resolved, late_resolved and
 *    open_due; the report's due, resolved_due and overdue are those minus
 *    the requests of the same range and scope whose due_at is after (for
 *    overdue: at or after) as_of, counted live from requests_due_kpi_idx
 *    (due_at first, covering the columns the correction reads; for a
 *    specialist's own report requests_specialist_due_idx, the same led by
 *    specialist_id, so it reads that specialist's rows only). At a
 *    steady million requests a year these are the last one to three weeks
 *    of accepted work. The range test on created_at is written
 *    (r.created_at || '') so that no index offers it: both engines then
 *    walk the due_at index (a handful of rows) instead of the created_at
 *    index over the whole range (SQLite chose the latter: 52 ms at 20,000
 *    requests instead of 2). At a million those are ~16,000 rows, most
 *    of the monthly report's time, so for the reports that migration 21's
 *    grains key (ru__due_fits) the correction reads desk_kpi_due's rows
 *    due after as_of's Beijing day (whole days after as_of, so they count
 *    whole) and live only the rest of as_of's own day (due_at < the next
 *    16:00Z): a few dozen bucket rows and a few hundred requests.
 * 3. Bucket numbers (yyyymm, yyyymmdd) are formatted here from integers,
 *    never from input; the rest is bound.
 */
#include "desk/rollup_int.h"
#include "desk/rollup_sql.h"

#define RN "r.resolved_at IS NOT NULL AND r.state IN ('resolved','rated','closed')"

static int32_t ru__ymd(int32_t day)
{
	int y, m, d;
	desk_day_to_ymd(day, &y, &m, &d);
	return y * 10000 + m * 100 + d;
}

/* Days of [lo, hi] on or before last (0 when empty). */
static int32_t ru__days(int32_t lo, int32_t hi, int32_t last)
{
	if (hi > last)
		hi = last;
	return hi >= lo ? hi - lo + 1 : 0;
}

/* Appends " OR t0.bucket BETWEEN a AND b" (day numbers) to b when lo <= hi. */
static void ru__range(struct pl_buf *b, int32_t lo, int32_t hi)
{
	if (lo <= hi)
		pl_buf_printf(b, " OR t0.bucket BETWEEN %ld AND %ld", (long)ru__ymd(lo),
			      (long)ru__ymd(hi));
}

/* The buckets for [from, to] seen at as_of day asof (note 1): pos gets
 * " OR ..." terms read with sign +1, neg those read with -1. */
static void ru__plan(int32_t from, int32_t to, int32_t asof, struct pl_buf *pos,
		     struct pl_buf *neg)
{
	int y, m, d;
	desk_day_to_ymd(from, &y, &m, &d);
	pl_buf_puts(pos, "t0.bucket IN (0");
	struct pl_buf days;
	pl_buf_init(&days, 64 * 1024);
	for (;;) {
		int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
		int32_t first, next;
		if (desk_day_from_ymd(y, m, 1, &first) || desk_day_from_ymd(ny, nm, 1, &next))
			break; /* cannot happen for days the report accepts */
		if (first > to)
			break;
		int32_t last = next - 1, lo = from > first ? from : first, hi = to < last ? to : last;
		if (lo == first && hi == last) {
			pl_buf_printf(pos, ", %d", y * 100 + m);
		} else {
			int32_t in = hi - lo + 1;
			int32_t out = ru__days(first, lo - 1, asof) + ru__days(hi + 1, last, asof);
			if (out < in) {
				pl_buf_printf(pos, ", %d", y * 100 + m);
					ru__range(neg, first, lo - 1);
				ru__range(neg, hi + 1, last);
			} else {
				ru__range(&days, lo, hi);
			}
		}
		y = ny;
		m = nm;
	}
	pl_buf_puts(pos, ")");
	if (days.len)
		pl_buf_puts(pos, days.data);
	pl_buf_release(&days);
}

/* The tenancy and group condition: on the live rows r as report.c's scan
 * has it, on the rollup t0 as the coarsest grain that keeps the grouping
 * and the scope (rollup_sql.h note 1): a specialist's own rows or every
 * specialist's when grouped by specialist, else the '*' rows; the same for
 * departments. report.c has already sent OWN scopes and empty scope values
 * to the scan. */
static int ru__scope(const struct auth_principal *p, enum desk_report_group g,
		     struct pl_buf *w, struct store_param *prm, size_t *np, bool rollup)
{
	enum auth_scope sc = auth_scope_of(p->role, AUTH_A_DESK_REPORT);
	if (sc != AUTH_SCOPE_ANY && sc != AUTH_SCOPE_ASSIGNED && sc != AUTH_SCOPE_DEPARTMENT)
		return PL_EFORBIDDEN;
	if (!rollup) {
		if (sc == AUTH_SCOPE_ASSIGNED) {
			prm[(*np)++] = SP_TEXT(p->user_id);
			pl_buf_puts(w, " AND r.specialist_id = ?");
		} else if (sc == AUTH_SCOPE_DEPARTMENT) {
			prm[(*np)++] = SP_TEXT(p->department);
			pl_buf_puts(w, " AND r.department = ?");
		}
		if (g == DESK_REPORT_DEPARTMENT)
			pl_buf_puts(w, " AND r.department IS NOT NULL");
		return 0;
	}
	/* Grains (rollup_sql.h note 1): a department (grouped or scoped) is
	 * only kept with its specialist; a specialist also alone; else all. */
	bool dept = g == DESK_REPORT_DEPARTMENT || sc == AUTH_SCOPE_DEPARTMENT;
	bool spec = dept || g == DESK_REPORT_SPECIALIST || sc == AUTH_SCOPE_ASSIGNED;
	if (sc == AUTH_SCOPE_ASSIGNED) {
		prm[(*np)++] = SP_TEXT(p->user_id);
		pl_buf_puts(w, " AND t0.specialist_id = ?");
	} else {
		pl_buf_puts(w, spec ? " AND t0.specialist_id <> '*'" : " AND t0.specialist_id = '*'");
	}
	if (sc == AUTH_SCOPE_DEPARTMENT) {
		prm[(*np)++] = SP_TEXT(p->department);
		pl_buf_puts(w, " AND t0.department = ?");
	} else if (g == DESK_REPORT_DEPARTMENT) {
		pl_buf_puts(w, " AND t0.department <> '*' AND t0.department <> ''");
	} else {
		pl_buf_puts(w, " AND t0.department = '*'"); /* dept is false here */
	}
	return 0;
}

/* Whether desk_kpi_due (migration 21, rollup_sql.h note 6) keys the
 * report's correction: its grains are all specialists ('*') and one
 * specialist, so a report by month (or by specialist) of the whole park
 * or of the principal's own requests. ru__scope has checked the scope. */
static bool ru__due_fits(const struct auth_principal *p, enum desk_report_group g)
{
	enum auth_scope sc = auth_scope_of(p->role, AUTH_A_DESK_REPORT);
	if (sc == AUTH_SCOPE_ASSIGNED)
		return g != DESK_REPORT_DEPARTMENT;
	return sc == AUTH_SCOPE_ANY && g == DESK_REPORT_MONTH;
}

/* The stored counters that the report sums straight (the other four feed
 * due, resolved_due and overdue). */
static const char *const ru__plain[] = {
	"requests", "dispatched", "sign_on_time", "resolved", "resolved_on_time",
	"ever_resolved", "rated", "satisfied", "basic", "unsatisfied", "reopened", "returned",
};
#define RU_NPLAIN (sizeof(ru__plain) / sizeof(ru__plain[0]))
static const char *const ru__due[] = { "has_due", "due_resolved", "late_resolved", "open_due" };
#define RU_NDUE (sizeof(ru__due) / sizeof(ru__due[0]))

int desk__kpi_rollup_items(struct store_conn *c, const struct auth_principal *p,
			   const struct desk_report_query *q, int64_t now_ms, const char *asof,
			   const char *from, const char *to, json_t **items)
{
	struct store_param prm[20];
	size_t np = 0;
	struct pl_buf s, pos, neg;
	char *sql = NULL;
	int rc;
	const char *kt, *kr;

	*items = NULL;
	pl_buf_init(&s, 256 * 1024);
	pl_buf_init(&pos, 64 * 1024);
	pl_buf_init(&neg, 64 * 1024);
	int32_t asof_day = desk_day_from_ms(now_ms);
	char dayend[PL_TIME_STRLEN];
	pl_time_format(desk_day_start_ms(asof_day + 1), dayend);
	ru__plan(q->from_day, q->to_day, asof_day, &pos, &neg);
	switch (q->group) {
	case DESK_REPORT_SPECIALIST:
		kt = "t.specialist_id";
		kr = "COALESCE(r.specialist_id, '')";
		break;
	case DESK_REPORT_DEPARTMENT:
		kt = "t.department";
		kr = "r.department";
		break;
	default:
		kt = "(CASE WHEN t.bucket < 1000000 THEN t.bucket ELSE t.bucket / 100 END)";
		kr = NULL; /* desk__month_case below */
		break;
	}

	/* Outer: names and the month key as text ('2026-11'). */
	if (q->group == DESK_REPORT_SPECIALIST)
		pl_buf_puts(&s, "SELECT a.key AS key, u.display_name AS name");
	else if (q->group == DESK_REPORT_DEPARTMENT)
		pl_buf_puts(&s, "SELECT a.key AS key, dp.name_zh AS name");
	else
		pl_buf_puts(&s, "SELECT CAST(a.key / 100 AS TEXT) || '-' || CASE WHEN a.key % 100 < 10 "
			    "THEN '0' ELSE '' END || CAST(a.key % 100 AS TEXT) AS key, NULL AS name");
	pl_buf_puts(&s, ", a.requests, a.dispatched, a.sign_on_time, a.resolved, a.resolved_on_time, "
		    "a.ever_resolved, a.due, a.resolved_due, a.rated, a.satisfied, a.basic, "
		    "a.unsatisfied, a.reopened, a.returned, a.overdue FROM (SELECT x.k AS key");
	for (size_t i = 0; i < RU_NPLAIN; i++)
		pl_buf_printf(&s, ", CAST(SUM(x.%s) AS BIGINT) AS %s", ru__plain[i], ru__plain[i]);
	pl_buf_puts(&s, ", CAST(SUM(x.has_due) - SUM(x.c_due) AS BIGINT) AS due"
		    ", CAST(SUM(x.due_resolved) - SUM(x.c_rdue) AS BIGINT) AS resolved_due"
		    ", CAST(SUM(x.late_resolved) + SUM(x.open_due) - SUM(x.c_open) AS BIGINT) AS overdue"
		    " FROM (");

	/* The stored buckets, each with its sign (note 1). */
	pl_buf_printf(&s, "SELECT %s AS k", kt);
	for (size_t i = 0; i < RU_NPLAIN; i++)
		pl_buf_printf(&s, ", t.s * t.%s AS %s", ru__plain[i], ru__plain[i]);
	for (size_t i = 0; i < RU_NDUE; i++)
		pl_buf_printf(&s, ", t.s * t.%s AS %s", ru__due[i], ru__due[i]);
	pl_buf_puts(&s, ", 0 AS c_due, 0 AS c_rdue, 0 AS c_open FROM (SELECT t0.*, CASE WHEN 1 = 0");
	pl_buf_puts(&s, neg.len ? neg.data : "");
	pl_buf_puts(&s, " THEN -1 ELSE 1 END AS s FROM desk_kpi_rollup t0 WHERE (");
	pl_buf_puts(&s, pos.data);
	pl_buf_puts(&s, neg.len ? neg.data : "");
	pl_buf_puts(&s, ")");
	if ((rc = ru__scope(p, q->group, &s, prm, &np, true)))
		goto out;
	pl_buf_puts(&s, ") t");

	/* The correction for deadlines after as_of (note 2). For the park's
	 * and a specialist's own reports (ru__due_fits) the due-day buckets
	 * after as_of's Beijing day, summed in their own branch, and live only
	 * the rest of as_of's own day; for the others everything live. */
	bool buckets = ru__due_fits(p, q->group);
	if (buckets) {
		pl_buf_puts(&s, " UNION ALL SELECT ");
		pl_buf_puts(&s, q->group == DESK_REPORT_MONTH ? "t0.created_day / 100" : "t0.specialist_id");
		pl_buf_puts(&s, " AS k");
		for (size_t i = 0; i < RU_NPLAIN + RU_NDUE; i++)
			pl_buf_puts(&s, ", 0");
		/* created_day + 0: no index offers it, so both engines take the
		 * one range (specialist_id, due_day > as_of's day). */
		pl_buf_printf(&s, ", SUM(t0.has_due), SUM(t0.due_resolved), SUM(t0.open_due) FROM "
			      "desk_kpi_due t0 WHERE t0.specialist_id = ? AND t0.due_day > %ld AND "
			      "t0.created_day + 0 BETWEEN %ld AND %ld GROUP BY 1",
			      (long)ru__ymd(asof_day), (long)ru__ymd(q->from_day),
			      (long)ru__ymd(q->to_day));
		prm[np++] = auth_scope_of(p->role, AUTH_A_DESK_REPORT) == AUTH_SCOPE_ASSIGNED
				    ? SP_TEXT(p->user_id) : SP_TEXT("*");
	}

	/* ... and live, from requests_due_kpi_idx (note 2): with buckets the
	 * few hundred requests due from as_of to the next 16:00Z, else every
	 * request due at or after as_of. */
	pl_buf_puts(&s, " UNION ALL SELECT ");
	if (kr)
		pl_buf_puts(&s, kr);
	else
		desk__month_case(&s, q->from_day, q->to_day, true);
	pl_buf_puts(&s, " AS k");
	for (size_t i = 0; i < RU_NPLAIN + RU_NDUE; i++)
		pl_buf_puts(&s, ", 0");
	pl_buf_puts(&s, ", SUM(CASE WHEN r.due_at > ? THEN 1 ELSE 0 END)"
		    ", SUM(CASE WHEN r.due_at > ? AND " RN " THEN 1 ELSE 0 END)"
		    ", SUM(CASE WHEN NOT (" RN ") AND r.state <> 'closed' THEN 1 ELSE 0 END)"
		    " FROM requests r WHERE r.due_at >= ?");
	prm[np++] = SP_TEXT(asof);
	prm[np++] = SP_TEXT(asof);
	prm[np++] = SP_TEXT(asof);
	if (buckets) {
		pl_buf_puts(&s, " AND r.due_at < ?");
		prm[np++] = SP_TEXT(dayend);
	}
	pl_buf_puts(&s, " AND (r.created_at || '') >= ? AND (r.created_at || '') < ?");
	prm[np++] = SP_TEXT(from);
	prm[np++] = SP_TEXT(to);
	if ((rc = ru__scope(p, q->group, &s, prm, &np, false)))
		goto out;
	pl_buf_puts(&s, " GROUP BY 1) x GROUP BY x.k HAVING SUM(x.requests) > 0) a");
	if (q->group == DESK_REPORT_SPECIALIST)
		pl_buf_puts(&s, " LEFT JOIN users u ON u.id = a.key");
	else if (q->group == DESK_REPORT_DEPARTMENT)
		pl_buf_puts(&s, " LEFT JOIN departments dp ON dp.id = a.key");
	pl_buf_puts(&s, " ORDER BY a.key");
	sql = pl_buf_steal(&s);
	rc = store_query_json(c, sql, prm, np, DESK_REPORT_ROWS_MAX, items);
out:
	free(sql);
	pl_buf_release(&s);
	pl_buf_release(&pos);
	pl_buf_release(&neg);
	return rc;
}

int desk_kpi_rollup_rebuild(struct store *st, int64_t *rows)
{
	struct store_conn *c = NULL;
	json_t *n = NULL;
	int rc;

	if (rows)
		*rows = 0;
	if ((rc = store_conn_get(st, &c)))
		return rc;
	if ((rc = store_begin(c)))
		goto out;
	/* PostgreSQL: hold off writers of requests and ratings until the new
	 * rows are committed, so none of their trigger deltas lands on a row
	 * this transaction deletes (SQLite's BEGIN IMMEDIATE already excludes
	 * every other writer). */
	if (store_kind(st) == STORE_POSTGRES &&
	    (rc = store_exec(c, "LOCK TABLE requests, ratings IN SHARE MODE", NULL, 0, NULL)))
		goto out;
	if ((rc = store_exec(c, "DELETE FROM desk_kpi_rollup", NULL, 0, NULL)) ||
	    (rc = store_exec(c, DESK_KPI_FILL_SQL, NULL, 0, NULL)) ||
	    (rc = store_exec(c, "DELETE FROM desk_kpi_due", NULL, 0, NULL)) ||
	    (rc = store_exec(c, DESK_KPI_DUE_FILL_SQL, NULL, 0, NULL)) ||
	    (rc = store_query_one(c, "SELECT count(*) AS n FROM desk_kpi_rollup", NULL, 0, &n)))
		goto out;
	if ((rc = store_commit(c)))
		goto out;
	if (rows)
		*rows = json_integer_value(json_object_get(n, "n"));
out:
	if (rc && c && store_in_tx(c))
		store_rollback(c);
	json_decref(n);
	store_conn_put(c);
	return rc;
}
