/*
 * share.c - the enterprise's production-sharing switch and the indicators
 * that read shared or service data (owner: helper "park-share"; contract
 * in share.h, words in docs/park.md section 7).
 *
 * Two kinds of figure live here because neither is a registry row:
 *  - desk KPIs (满意率, 按期办结率, 签收及时率): the park-wide total of the
 *    desk's own KPI report (desk_report_kpi, grouped by month over the
 *    year's Beijing days) read as the park admin would, so the dashboard
 *    and /api/v1/desk/reports/kpi cannot disagree;
 *  - line OEE: each line's current tile (line_live.tile, written by the
 *    line module on every flush: the running shift's ISO 22400 OEE), only
 *    for lines of enterprises whose park_sharing.share_production is 1.
 *    The join on park_sharing is the consent check: a non-sharing
 *    enterprise's line is never read, so it can reach neither the average
 *    nor the rows.
 */
#include "park/share.h"
#include "desk/report.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define SHARE_LINES_MAX 5000

static void share__why(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void share__why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	if (!why || !whysz)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* The enterprise id names, if p may do action on it: 0 with *ent {id,
 * name_zh}; PL_ENOTFOUND for a missing or invisible one (the same answer,
 * so ids of other tenants cannot be probed); PL_EFORBIDDEN by role. */
static int share__enterprise(struct store_conn *c, const struct auth_principal *p,
			     enum auth_action action, const char *id, json_t **ent,
			     char *why, size_t whysz)
{
	struct auth_target t;
	int rc;

	*ent = NULL;
	if (id && pl_id_valid(id)) {
		struct store_param q[] = { SP_TEXT(id) };
		rc = store_query_one(c, "SELECT id, name_zh FROM enterprises WHERE id = ?", q, 1, ent);
		if (rc && rc != PL_ENOTFOUND)
			return rc;
		if (rc == 0) {
			if (!p)
				return 0;
			if ((rc = auth_target_for(c, p, id, &t)) == 0 &&
			    (rc = auth_authorize(p, action, &t)) == 0)
				return 0;
			json_decref(*ent);
			*ent = NULL;
			if (rc == PL_EFORBIDDEN) {
				share__why(why, whysz, "you may not do %s",
					   action == AUTH_A_PARK_DATA_WRITE ? "park.data.write" :
					   "park.data.read");
				return rc;
			}
			if (rc != PL_ENOTFOUND)
				return rc;
		}
	}
	share__why(why, whysz, "no enterprise %.40s", id ? id : "");
	return PL_ENOTFOUND;
}

static int share__read(struct store_conn *c, const json_t *ent, json_t **out)
{
	const char *id = pl_json_str(ent, "id");
	struct store_param q[] = { SP_TEXT(id) };
	json_t *row = NULL;
	int rc = store_query_one(c, "SELECT share_production, updated_at, updated_by"
				 " FROM park_sharing WHERE enterprise_id = ?", q, 1, &row);
	if (rc && rc != PL_ENOTFOUND)
		return rc;
	json_t *upd_at = row ? json_incref(json_object_get(row, "updated_at")) : json_null();
	json_t *upd_by = row ? json_incref(json_object_get(row, "updated_by")) : json_null();
	bool on = row && json_integer_value(json_object_get(row, "share_production")) == 1;
	*out = json_pack("{s:s, s:s, s:b, s:o, s:o}", "enterprise_id", id, "enterprise_name",
			 pl_json_str(ent, "name_zh"), "share_production", on, "updated_at",
			 upd_at ? upd_at : json_null(), "updated_by", upd_by ? upd_by : json_null());
	json_decref(row);
	return *out ? 0 : PL_EINTERNAL;
}

int park_sharing_get(struct store_conn *c, const struct auth_principal *p, const char *id,
		     json_t **out, char *why, size_t whysz)
{
	json_t *ent = NULL;
	int rc;

	*out = NULL;
	if ((rc = share__enterprise(c, p, AUTH_A_PARK_DATA_READ, id, &ent, why, whysz)))
		return rc;
	rc = share__read(c, ent, out);
	json_decref(ent);
	return rc;
}

int park_sharing_put(struct store_conn *c, const struct park_actor *a, const char *id,
		     const json_t *body, int64_t now_ms, json_t **out, char *why, size_t whysz)
{
	const json_t *v = json_object_get(body, "share_production");
	json_t *ent = NULL, *before = NULL;
	char now[PL_TIME_STRLEN];
	const char *k;
	json_t *x;
	int rc;

	*out = NULL;
	/* validate the whole body before anything is read or written */
	if (!json_is_object(body)) {
		share__why(why, whysz, "the body must be a JSON object");
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)body, k, x) {
		if (strcmp(k, "share_production")) {
			share__why(why, whysz, "unknown field '%.40s'", k);
			return PL_EINVAL;
		}
	}
	if (!json_is_boolean(v)) {
		share__why(why, whysz, "field 'share_production' must be true or false");
		return PL_EINVAL;
	}
	const struct auth_principal *p = a ? a->p : NULL;
	if ((rc = share__enterprise(c, p, AUTH_A_PARK_DATA_WRITE, id, &ent, why, whysz)))
		return rc;
	if ((rc = share__read(c, ent, &before)))
		goto out;
	pl_time_format(now_ms, now);
	const char *by = p ? p->name : "system";
	struct store_param q[] = { SP_TEXT(id), SP_INT(json_is_true(v) ? 1 : 0), SP_TEXT(now),
				   SP_TEXT(by) };
	if ((rc = store_exec(c, "INSERT INTO park_sharing (enterprise_id, share_production,"
			     " updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (enterprise_id)"
			     " DO UPDATE SET share_production = excluded.share_production,"
			     " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
			     q, 4, NULL)))
		goto out;
	if ((rc = share__read(c, ent, out)))
		goto out;
	struct store_audit au = {
		.actor_id = p ? (*p->user_id ? p->user_id : p->token_id) : "system",
		.actor_name = by, .action = "park.sharing.update", .entity = "park_sharing",
		.entity_id = id, .enterprise_id = id, .before = before, .after = *out,
		.request_id = a ? a->request_id : NULL, .ip = a ? a->ip : NULL,
	};
	rc = store_audit(c, &au);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(before);
	json_decref(ent);
	return rc;
}

/* ------------------------------------------------------------ indicators */
struct share_ind {
	const char *key, *label_zh, *label_en;
	const char *num, *den; /* members of the desk report's total */
};
static const struct share_ind share__desk[] = {
	{ "desk_satisfaction", "服务满意率", "Service satisfaction", "satisfied", "rated" },
	{ "desk_on_time", "按期办结率", "Resolved on time", "resolved_on_time", "resolved" },
	{ "desk_signed_in_time", "签收及时率", "Signed for in time", "sign_on_time", "dispatched" },
};
#define SHARE_NDESK (sizeof(share__desk) / sizeof(share__desk[0]))
#define SHARE_OEE_KEY "line_oee_avg"

bool park_share_is_key(const char *key)
{
	if (!key)
		return false;
	for (size_t i = 0; i < SHARE_NDESK; i++)
		if (!strcmp(key, share__desk[i].key))
			return true;
	return !strcmp(key, SHARE_OEE_KEY);
}

static json_t *share__pct(int64_t n, int64_t m)
{
	return m ? json_real(round((double)n * 1000.0 / (double)m) / 10.0) : json_null();
}

/* The desk's KPI report over the Beijing days of year, as the park admin
 * sees it (every request): the same call /api/v1/desk/reports/kpi makes. */
static int share__desk_report(struct store_conn *c, int year, json_t **rep)
{
	struct auth_principal sys = { .role = AUTH_ROLE_PARK_ADMIN };
	struct desk_report_query q = { .group = DESK_REPORT_MONTH };
	struct desk_err e;

	memset(&e, 0, sizeof(e));
	pl_strlcpy(sys.name, "park-indicators", sizeof(sys.name));
	if (desk_day_from_ymd(year, 1, 1, &q.from_day) || desk_day_from_ymd(year, 12, 31, &q.to_day))
		return PL_EINVAL;
	return desk_report_kpi(c, &sys, &q, pl_time_now_ms(), rep, &e);
}

/* Lines of sharing enterprises with their tiles' OEE, ordered by
 * enterprise: rows [{enterprise_id, name_zh, line_id, line_name, oee}]. */
static int share__lines(struct store_conn *c, json_t **out)
{
	json_t *rows = NULL;
	size_t i;
	json_t *r;
	int rc = store_query_json(c,
		"SELECT l.enterprise_id, e.name_zh, l.id AS line_id, l.name AS line_name, lv.tile"
		" FROM lines l JOIN enterprises e ON e.id = l.enterprise_id"
		" JOIN park_sharing s ON s.enterprise_id = l.enterprise_id AND s.share_production = 1"
		" LEFT JOIN line_live lv ON lv.line_id = l.id ORDER BY e.name_zh, l.enterprise_id, l.id",
		NULL, 0, SHARE_LINES_MAX, &rows);
	if (rc)
		return rc;
	json_array_foreach(rows, i, r) {
		const char *tile = pl_json_str(r, "tile");
		json_t *t = tile ? json_loads(tile, 0, NULL) : NULL;
		json_t *o = json_object_get(json_object_get(t, "oee"), "oee");
		double v = json_is_number(o) ? json_number_value(o) : NAN;
		json_object_set_new(r, "oee", isfinite(v) ? json_real(round(v * 10000.0) / 10000.0) :
				    json_null());
		json_object_del(r, "tile");
		json_decref(t);
	}
	*out = rows;
	return 0;
}

/* Per-enterprise rows from share__lines; *sum and *n over all lines with
 * an OEE. */
static json_t *share__oee_rows(const json_t *lines, double *sum, int64_t *n)
{
	json_t *rows = json_array(), *cur = NULL;
	double esum = 0;
	int64_t en = 0;
	size_t i;
	json_t *l;

	*sum = 0;
	*n = 0;
	json_array_foreach(lines, i, l) {
		const char *eid = pl_json_str(l, "enterprise_id");
		if (!cur || strcmp(pl_json_str(cur, "enterprise_id"), eid)) {
			esum = 0;
			en = 0;
			cur = json_pack("{s:s, s:s, s:i, s:i, s:n, s:[]}", "enterprise_id", eid, "name_zh",
					pl_json_str(l, "name_zh"), "lines", 0, "lines_with_oee", 0,
					"oee_avg", "line_list");
			json_array_append_new(rows, cur);
		}
		json_t *o = json_object_get(l, "oee");
		json_object_set_new(cur, "lines",
				    json_integer(json_integer_value(json_object_get(cur, "lines")) + 1));
		json_array_append_new(json_object_get(cur, "line_list"),
				      json_pack("{s:O, s:O, s:O}", "line_id",
						json_object_get(l, "line_id"), "name",
						json_object_get(l, "line_name"), "oee", o));
		if (json_is_number(o)) {
			esum += json_number_value(o);
			en++;
			*sum += json_number_value(o);
			(*n)++;
			json_object_set_new(cur, "lines_with_oee", json_integer(en));
			json_object_set_new(cur, "oee_avg",
					    json_real(round(esum / (double)en * 10000.0) / 10000.0));
		}
	}
	return rows;
}

int park_share_indicators(struct store_conn *c, int year, json_t *list)
{
	json_t *rep = NULL, *lines = NULL, *rows = NULL;
	char src[200];
	int rc;

	if ((rc = share__desk_report(c, year, &rep)))
		goto out;
	const json_t *tot = json_object_get(rep, "total");
	for (size_t i = 0; i < SHARE_NDESK; i++) {
		const struct share_ind *d = &share__desk[i];
		int64_t n = json_integer_value(json_object_get(tot, d->num));
		int64_t m = json_integer_value(json_object_get(tot, d->den));
		pl_fmt(src, sizeof(src), "/api/v1/desk/reports/kpi?group=month&from=%04d-01-01&to=%04d-12-31",
		       year, year);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I, s:s}", "key",
						       d->key, "label_zh", d->label_zh, "label_en",
						       d->label_en, "value", share__pct(n, m), "unit", "%",
						       "numerator", (json_int_t)n, "denominator",
						       (json_int_t)m, "source", src));
	}
	if ((rc = share__lines(c, &lines)))
		goto out;
	double sum;
	int64_t n;
	rows = share__oee_rows(lines, &sum, &n);
	pl_fmt(src, sizeof(src), "/api/v1/park/indicators/%s/rows?year=%d", SHARE_OEE_KEY, year);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:s, s:f, s:I, s:s, s:I}", "key",
					       SHARE_OEE_KEY, "label_zh", "共享产线平均OEE",
					       "label_en", "Average OEE of shared lines",
					       "value", n ? json_real(round(sum / (double)n * 1000.0) / 10.0) :
					       json_null(), "unit", "%", "numerator",
					       round(sum * 10000.0) / 10000.0, "denominator", (json_int_t)n,
					       "source", src, "enterprises",
					       (json_int_t)json_array_size(rows)));
out:
	json_decref(rep);
	json_decref(lines);
	json_decref(rows);
	return rc;
}

int park_share_rows(struct store_conn *c, const char *key, int year, json_t **rows)
{
	json_t *rep = NULL, *lines = NULL;
	int rc;

	*rows = NULL;
	if (!park_share_is_key(key))
		return PL_ENOTFOUND;
	if (!strcmp(key, SHARE_OEE_KEY)) {
		double sum;
		int64_t n;
		if ((rc = share__lines(c, &lines)))
			return rc;
		*rows = share__oee_rows(lines, &sum, &n);
		json_decref(lines);
		return 0;
	}
	if ((rc = share__desk_report(c, year, &rep)))
		return rc;
	*rows = json_incref(json_object_get(rep, "items"));
	json_decref(rep);
	return 0;
}

int park_share_demo_seed(struct store *st, FILE *print_to)
{
	struct store_conn *c = NULL;
	char now[PL_TIME_STRLEN];
	int64_t n = 0;
	int rc;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(now) };
	if ((rc = store_begin(c)) ||
	    (rc = store_exec(c, "INSERT INTO park_sharing (enterprise_id, share_production, updated_at,"
			     " updated_by) SELECT DISTINCT l.enterprise_id, 1, ?, 'demo' FROM lines l"
			     " WHERE NOT EXISTS (SELECT 1 FROM park_sharing s WHERE s.enterprise_id ="
			     " l.enterprise_id)", p, 1, &n)) ||
	    (rc = store_commit(c)))
		goto out;
	if (print_to && n > 0)
		fprintf(print_to, "park: %lld enterprises share their lines' OEE with the park\n",
			(long long)n);
out:
	store_conn_put(c);
	return rc;
}
