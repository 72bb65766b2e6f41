/*
 * report.c - the service KPI report (签收及时率, 按期办结率, 办结率, 满意率,
 * 重办率, 退单率, 超期数) per specialist, department or month, as one SQL
 * aggregation over requests, and its CSV form.
 *
 * NOTES ON THE DESIGN
 * 1. The counts are SUM(CASE ...) over requests in [from, to) of created_at
 *    with a LEFT JOIN to the request's final rating (ratings.round =
 *    requests.reopened: the rating of the current round). Both engines run
 *    the same text; times are RFC 3339 strings of one fixed width (UTC,
 *    milliseconds, Z), so comparing them as text compares the instants.
 * 2. Months are Beijing months. created_at is UTC, so the month key is a
 *    CASE over the month boundaries (00:00 Beijing on the 1st is 16:00 UTC
 *    the day before), computed here and written into the SQL as literals
 *    that this file formats from integers (never from input). A range
 *    holds at most 122 months, so the CASE stays short.
 * 3. Rates are computed here from the counts, in basis points rounded half
 *    up, exactly as desk_kpi_compute does (kpi.c), so the pure function
 *    and the SQL report agree; null when the denominator is 0.
 * 4. Tenancy is a WHERE condition from auth_scope_of(role, desk.report):
 *    the total row is the sum of the rows under that condition, so a
 *    specialist's total is the total of its own requests, never the
 *    park's. (Every count is additive: each request is in one group.)
 * 5. desk_report_kpi reads the rollup of migration 18 (rollup.c), which
 *    gives the same items in milliseconds at a million requests; the scan
 *    below stays as the reference (desk_report_kpi_scan: the unit test
 *    compares the two, the benchmark times both) and answers the scopes
 *    the rollup does not key (rep__rollup_fits).
 */
#include "desk/report.h"
#include "desk/rollup_int.h"

#include <stdarg.h>

static void rep__err(struct desk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void rep__err(struct desk_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

int desk_report_group_parse(const char *s, enum desk_report_group *out)
{
	static const char *const names[] = { "specialist", "department", "month" };
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum desk_report_group)i;
			return 0;
		}
	return PL_EINVAL;
}

static const char *rep__group_name(enum desk_report_group g)
{
	return g == DESK_REPORT_SPECIALIST ? "specialist"
	       : g == DESK_REPORT_DEPARTMENT ? "department" : "month";
}

/* The counted columns, in the order the report and the CSV list them.
 * Each is COALESCE(SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0) except
 * "requests"; ? in cond is the as_of time (bound once per use). */
struct rep_col {
	const char *name;
	const char *cond;   /* NULL: count(*) */
	int nasof;          /* times cond uses the as_of parameter */
};
#define RESOLVED_NOW "r.resolved_at IS NOT NULL AND r.state IN ('resolved','rated','closed')"
static const struct rep_col rep__cols[] = {
	{ "requests", NULL, 0 },
	{ "dispatched", "r.dispatched_at IS NOT NULL", 0 },
	{ "sign_on_time", "r.dispatched_at IS NOT NULL AND r.accepted_at IS NOT NULL AND "
	  "r.sign_due_at IS NOT NULL AND r.accepted_at <= r.sign_due_at", 0 },
	{ "resolved", RESOLVED_NOW, 0 },
	{ "resolved_on_time", RESOLVED_NOW " AND r.due_at IS NOT NULL AND "
	  "r.resolved_at <= r.due_at", 0 },
	{ "ever_resolved", "r.resolved_at IS NOT NULL", 0 },
	{ "due", "r.due_at IS NOT NULL AND r.due_at <= ?", 1 },
	{ "resolved_due", "r.due_at IS NOT NULL AND r.due_at <= ? AND " RESOLVED_NOW, 1 },
	{ "rated", "g.rating IS NOT NULL", 0 },
	{ "satisfied", "g.rating = 'satisfied'", 0 },
	{ "basic", "g.rating = 'basic'", 0 },
	{ "unsatisfied", "g.rating = 'unsatisfied'", 0 },
	{ "reopened", "r.resolved_at IS NOT NULL AND r.reopened > 0", 0 },
	{ "returned", "r.dispatched_at IS NOT NULL AND r.returned > 0", 0 },
	{ "overdue", "r.due_at IS NOT NULL AND ((" RESOLVED_NOW " AND r.resolved_at > r.due_at) OR "
	  "(NOT (" RESOLVED_NOW ") AND r.state NOT IN ('closed') AND r.due_at < ?))", 1 },
};
#define REP_NCOLS (sizeof(rep__cols) / sizeof(rep__cols[0]))

/* The rates: name, numerator column, denominator column (note 3). */
static const struct {
	const char *name, *num, *den;
} rep__rates[] = {
	{ "sign_on_time_bp", "sign_on_time", "dispatched" },
	{ "on_time_bp", "resolved_on_time", "resolved" },
	{ "resolution_bp", "resolved_due", "due" },
	{ "satisfaction_bp", "satisfied", "rated" },
	{ "reopen_bp", "reopened", "ever_resolved" },
	{ "return_bp", "returned", "dispatched" },
};
#define REP_NRATES (sizeof(rep__rates) / sizeof(rep__rates[0]))

/* num/den in basis points, half up (as kpi.c); -1 when den is 0. */
static int64_t rep__bp(int64_t num, int64_t den)
{
	if (den <= 0 || num < 0)
		return -1;
	return (int64_t)(((uint64_t)num * 20000 + (uint64_t)den) / (2 * (uint64_t)den));
}

/* Adds the rate members to one row. Missing counts read as 0. */
static void rep__rates_add(json_t *row)
{
	for (size_t i = 0; i < REP_NRATES; i++) {
		int64_t bp = rep__bp(json_integer_value(json_object_get(row, rep__rates[i].num)),
				     json_integer_value(json_object_get(row, rep__rates[i].den)));
		json_object_set_new(row, rep__rates[i].name, bp < 0 ? json_null() : json_integer(bp));
	}
}

/* Appends the tenancy condition for p (note 4). */
static int rep__filter(const struct auth_principal *p, struct pl_buf *w, struct store_param *prm,
		       size_t *np)
{
	switch (auth_scope_of(p->role, AUTH_A_DESK_REPORT)) {
	case AUTH_SCOPE_DENY:
		return PL_EFORBIDDEN;
	case AUTH_SCOPE_ANY:
		return 0;
	case AUTH_SCOPE_OWN:
		prm[(*np)++] = SP_TEXT(p->enterprise_id);
		return pl_buf_puts(w, " AND r.enterprise_id = ?");
	case AUTH_SCOPE_ASSIGNED:
		prm[(*np)++] = SP_TEXT(p->user_id);
		return pl_buf_puts(w, " AND r.specialist_id = ?");
	case AUTH_SCOPE_DEPARTMENT:
		prm[(*np)++] = SP_TEXT(p->department);
		return pl_buf_puts(w, " AND r.department = ?");
	}
	return PL_EINTERNAL;
}

/* The month key expression (note 2) for Beijing days [from, to]: text
 * '2026-11', or the integer 202611 when as_int (rollup.c's correction). */
void desk__month_case(struct pl_buf *b, int32_t from, int32_t to, bool as_int)
{
	int y, m, d, ty, tm;
	char at[PL_TIME_STRLEN];

	desk_day_to_ymd(from, &y, &m, &d);
	desk_day_to_ymd(to, &ty, &tm, &d);
	if (y == ty && m == tm) { /* one month: "CASE ELSE x END" is not SQL */
		if (as_int)
			pl_buf_printf(b, "%04d%02d", ty, tm);
		else
			pl_buf_printf(b, "'%04d-%02d'", ty, tm);
		return;
	}
	pl_buf_puts(b, "CASE");
	for (;;) {
		int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
		int32_t next;
		if (y > ty || (y == ty && m >= tm))
			break;
		if (desk_day_from_ymd(ny, nm, 1, &next))
			break; /* cannot happen for valid days */
		pl_time_format(desk_day_start_ms(next), at);
		pl_buf_printf(b, " WHEN r.created_at < '%s'", at);
		if (as_int)
			pl_buf_printf(b, " THEN %04d%02d", y, m);
		else
			pl_buf_printf(b, " THEN '%04d-%02d'", y, m);
		y = ny;
		m = nm;
	}
	if (as_int)
		pl_buf_printf(b, " ELSE %04d%02d END", ty, tm);
	else
		pl_buf_printf(b, " ELSE '%04d-%02d' END", ty, tm);
}

/* SELECT list of the counted columns; binds as_of for each use. */
static void rep__select_counts(struct pl_buf *b, struct store_param *prm, size_t *np,
			       const char *asof)
{
	for (size_t i = 0; i < REP_NCOLS; i++) {
		if (!rep__cols[i].cond)
			pl_buf_printf(b, ", count(*) AS %s", rep__cols[i].name);
		else
			pl_buf_printf(b, ", COALESCE(SUM(CASE WHEN %s THEN 1 ELSE 0 END), 0) AS %s",
				      rep__cols[i].cond, rep__cols[i].name);
		for (int k = 0; k < rep__cols[i].nasof; k++)
			prm[(*np)++] = SP_TEXT(asof);
	}
}

/* Whether the rollup can answer for p (rollup.c): every scope but an
 * enterprise's own, which the rollup does not key, and a scope value that
 * is empty, which the scan matches to nothing but the rollup's '' keys
 * (NULL kept as '') would match to unassigned requests. */
static bool rep__rollup_fits(const struct auth_principal *p)
{
	switch (auth_scope_of(p->role, AUTH_A_DESK_REPORT)) {
	case AUTH_SCOPE_ANY:
		return true;
	case AUTH_SCOPE_ASSIGNED:
		return p->user_id[0] != '\0';
	case AUTH_SCOPE_DEPARTMENT:
		return p->department[0] != '\0';
	default:
		return false;
	}
}

static int rep__kpi(struct store_conn *c, const struct auth_principal *p,
		    const struct desk_report_query *q, int64_t now_ms, bool scan, json_t **out,
		    struct desk_err *err)
{
	struct store_param prm[32], wprm[4];
	size_t np = 0, nw = 0;
	struct pl_buf w, s;
	char from[PL_TIME_STRLEN], to[PL_TIME_STRLEN], asof[PL_TIME_STRLEN];
	char fd[16], td[16];
	json_t *items = NULL, *total = NULL;
	char *sql = NULL;
	int rc, y, m, d;

	*out = NULL;
	pl_buf_init(&w, 4096);
	pl_buf_init(&s, 64 * 1024);
	if (q->from_day > q->to_day) {
		rep__err(err, "query parameter 'from' is after 'to'");
		rc = PL_EINVAL;
		goto out;
	}
	if ((int64_t)q->to_day - q->from_day + 1 > DESK_REPORT_DAYS_MAX) {
		rep__err(err, "the range from 'from' to 'to' is longer than %d days",
			 DESK_REPORT_DAYS_MAX);
		rc = PL_EINVAL;
		goto out;
	}
	pl_time_format(desk_day_start_ms(q->from_day), from);
	pl_time_format(desk_day_start_ms(q->to_day + 1), to);
	pl_time_format(now_ms, asof);
	wprm[nw++] = SP_TEXT(from);
	wprm[nw++] = SP_TEXT(to);
	pl_buf_puts(&w, " WHERE r.created_at >= ? AND r.created_at < ?");
	if ((rc = rep__filter(p, &w, wprm, &nw))) {
		rep__err(err, "you may not read desk reports");
		goto out;
	}
	if (q->group == DESK_REPORT_DEPARTMENT)
		pl_buf_puts(&w, " AND r.department IS NOT NULL");

	if (!scan && rep__rollup_fits(p)) {
		rc = desk__kpi_rollup_items(c, p, q, now_ms, asof, from, to, &items);
		goto rows;
	}
	/* The grouped rows. */
	switch (q->group) {
	case DESK_REPORT_SPECIALIST:
		pl_buf_puts(&s, "SELECT COALESCE(r.specialist_id, '') AS key, "
			    "MAX(u.display_name) AS name");
		break;
	case DESK_REPORT_DEPARTMENT:
		pl_buf_puts(&s, "SELECT r.department AS key, MAX(dp.name_zh) AS name");
		break;
	case DESK_REPORT_MONTH:
		pl_buf_puts(&s, "SELECT ");
		desk__month_case(&s, q->from_day, q->to_day, false);
		pl_buf_puts(&s, " AS key, NULL AS name");
		break;
	}
	rep__select_counts(&s, prm, &np, asof);
	pl_buf_puts(&s, " FROM requests r LEFT JOIN ratings g ON g.request_id = r.id AND "
		    "g.round = r.reopened");
	if (q->group == DESK_REPORT_SPECIALIST)
		pl_buf_puts(&s, " LEFT JOIN users u ON u.id = r.specialist_id");
	if (q->group == DESK_REPORT_DEPARTMENT)
		pl_buf_puts(&s, " LEFT JOIN departments dp ON dp.id = r.department");
	pl_buf_puts(&s, w.data);
	pl_buf_puts(&s, " GROUP BY 1 ORDER BY 1");
	for (size_t i = 0; i < nw; i++)
		prm[np++] = wprm[i];
	sql = pl_buf_steal(&s);
	rc = store_query_json(c, sql, prm, np, DESK_REPORT_ROWS_MAX, &items);
rows:
	if (rc) {
		rep__err(err, rc == PL_ETOOBIG ? "the report has more than %d rows; narrow the range"
			 : "reading the report failed", DESK_REPORT_ROWS_MAX);
		goto out;
	}
	free(sql);
	sql = NULL;

	/* The total: every count is a count of requests, and each request
	 * falls in exactly one group under the same WHERE, so the total is the
	 * column sums (one scan instead of two). */
	total = json_pack("{s:s, s:n}", "key", "total", "name");
	for (size_t k = 0; k < REP_NCOLS; k++) {
		size_t j;
		json_t *row;
		json_int_t sum = 0;
		json_array_foreach(items, j, row)
			sum += json_integer_value(json_object_get(row, rep__cols[k].name));
		json_object_set_new(total, rep__cols[k].name, json_integer(sum));
	}

	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		rep__rates_add(it);
	rep__rates_add(total);
	desk_day_to_ymd(q->from_day, &y, &m, &d);
	snprintf(fd, sizeof(fd), "%04d-%02d-%02d", y, m, d);
	desk_day_to_ymd(q->to_day, &y, &m, &d);
	snprintf(td, sizeof(td), "%04d-%02d-%02d", y, m, d);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "group", rep__group_name(q->group),
			 "from", fd, "to", td, "as_of", asof, "items", items, "total", total);
	items = total = NULL;
	rc = *out ? 0 : PL_EINTERNAL;
out:
	json_decref(items);
	json_decref(total);
	free(sql);
	pl_buf_release(&s);
	pl_buf_release(&w);
	return rc;
}

int desk_report_kpi(struct store_conn *c, const struct auth_principal *p,
		    const struct desk_report_query *q, int64_t now_ms, json_t **out,
		    struct desk_err *err)
{
	return rep__kpi(c, p, q, now_ms, false, out, err);
}

int desk_report_kpi_scan(struct store_conn *c, const struct auth_principal *p,
			 const struct desk_report_query *q, int64_t now_ms, json_t **out,
			 struct desk_err *err)
{
	return rep__kpi(c, p, q, now_ms, true, out, err);
}

/* ------------------------------------------------------------------ CSV */

/* The CSV columns: member, header (Chinese first, then the member name so
 * scripts can find it). Rates are printed as percentages. */
static const struct {
	const char *member, *header;
	bool rate;
} rep__csv[] = {
	{ "key", "分组 key", false },
	{ "name", "名称 name", false },
	{ "requests", "工单数 requests", false },
	{ "dispatched", "派单数 dispatched", false },
	{ "sign_on_time", "按时签收 sign_on_time", false },
	{ "sign_on_time_bp", "签收及时率% sign_on_time_rate", true },
	{ "resolved", "办结数 resolved", false },
	{ "resolved_on_time", "按期办结 resolved_on_time", false },
	{ "on_time_bp", "按期办结率% on_time_rate", true },
	{ "due", "到期数 due", false },
	{ "resolved_due", "到期已办结 resolved_due", false },
	{ "resolution_bp", "办结率% resolution_rate", true },
	{ "rated", "评价数 rated", false },
	{ "satisfied", "满意 satisfied", false },
	{ "satisfaction_bp", "满意率% satisfaction_rate", true },
	{ "ever_resolved", "曾办结 ever_resolved", false },
	{ "reopened", "重办 reopened", false },
	{ "reopen_bp", "重办率% reopen_rate", true },
	{ "returned", "退单 returned", false },
	{ "return_bp", "退单率% return_rate", true },
	{ "overdue", "超期数 overdue", false },
};
#define REP_NCSV (sizeof(rep__csv) / sizeof(rep__csv[0]))

/* One field, quoted when it holds a comma, quote or line break (RFC
 * 4180). A leading = + - @ is prefixed with ' so a spreadsheet never runs
 * a name as a formula. */
static void rep__csv_text(struct pl_buf *b, const char *v)
{
	bool quote = strpbrk(v, ",\"\r\n") != NULL;
	if (quote)
		pl_buf_puts(b, "\"");
	if (strchr("=+-@", v[0]) && v[0])
		pl_buf_puts(b, "'");
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			pl_buf_puts(b, "\"");
		pl_buf_append(b, p, 1);
	}
	if (quote)
		pl_buf_puts(b, "\"");
}

static void rep__csv_row(struct pl_buf *b, const json_t *row)
{
	for (size_t i = 0; i < REP_NCSV; i++) {
		const json_t *v = json_object_get(row, rep__csv[i].member);
		if (i)
			pl_buf_puts(b, ",");
		if (json_is_string(v))
			rep__csv_text(b, json_string_value(v));
		else if (json_is_integer(v) && rep__csv[i].rate) {
			long long bp = (long long)json_integer_value(v);
			pl_buf_printf(b, "%lld.%02lld", bp / 100, bp % 100);
		} else if (json_is_integer(v))
			pl_buf_printf(b, "%lld", (long long)json_integer_value(v));
	}
	pl_buf_puts(b, "\r\n");
}

int desk_report_csv(const json_t *rep, char **out, size_t *len)
{
	struct pl_buf b;
	const json_t *items = json_object_get(rep, "items");
	size_t i;
	const json_t *it;

	*out = NULL;
	*len = 0;
	if (!json_is_array(items))
		return PL_EINVAL;
	/* 200 bytes a row is generous; rows are capped by DESK_REPORT_ROWS_MAX. */
	pl_buf_init(&b, (DESK_REPORT_ROWS_MAX + 4) * 1024);
	pl_buf_puts(&b, "\xEF\xBB\xBF");
	for (i = 0; i < REP_NCSV; i++) {
		if (i)
			pl_buf_puts(&b, ",");
		pl_buf_puts(&b, rep__csv[i].header);
	}
	pl_buf_puts(&b, "\r\n");
	json_array_foreach(items, i, it)
		rep__csv_row(&b, it);
	if (json_is_object(json_object_get(rep, "total")))
		rep__csv_row(&b, json_object_get(rep, "total"));
	*len = b.len;
	*out = pl_buf_steal(&b);
	return 0;
}
