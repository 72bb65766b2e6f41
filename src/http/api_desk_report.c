/*
 * api_desk_report.c - /api/v1/desk/reports/kpi and /api/v1/desk/sla: the
 * desk's KPI report (JSON or CSV) and the SLA settings (src/desk/report.h).
 *
 * The handlers check what the route table could not (query parameters,
 * dates, the report group), take one store connection and call the desk
 * report functions, which apply tenancy. A rejected PUT changes nothing:
 * every error rolls the transaction back.
 *
 * The SLA base table is the service's (the shipped defaults with the
 * --sla-file overrides, desk_svc_sla), so GET shows what requests use: the
 * stored cells over that base.
 */
#include "http/http_int.h"
#include "desk/report.h"
#include "desk/repo.h"

#define REPORT_ARG_MAX 32 /* query parameter values we accept, bytes */

/* The SLA table requests start from: the service's when this server runs
 * the desk, else the shipped defaults. */
static void reph__sla_base(struct http_req *r, struct desk_sla_table *base)
{
	if (r->srv->opt.desk)
		*base = *desk_svc_sla(r->srv->opt.desk);
	else
		desk_sla_defaults(base);
}

/* A YYYY-MM-DD query parameter as a Beijing day number; def when absent. */
static int reph__day(struct http_req *r, const struct http_query *q, const char *key,
		     int32_t def, int32_t *out)
{
	const char *v = http_query_get(q, key);
	int y, m, d, used = 0;

	*out = def;
	if (!v)
		return 0;
	if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 ||
	    desk_day_from_ymd(y, m, d, out))
		return http_fail(r, PL_EINVAL, "bad-query",
				 "query parameter '%s' must be a date YYYY-MM-DD", key);
	return 0;
}

int http__h_desk_report_kpi(struct http_req *r)
{
	static const char *const known[] = { "group", "from", "to", "format", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_report_query rq = { 0 };
	const char *group, *format;
	int64_t now = pl_time_now_ms();
	int32_t today = desk_day_from_ms(now);
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, known, "group, from, to, format", REPORT_ARG_MAX)) ||
	    (rc = http_query_of(r, &q)))
		return rc;
	group = http_query_get(q, "group");
	if (desk_report_group_parse(group ? group : "month", &rq.group))
		return http_fail(r, PL_EINVAL, "bad-query",
				 "query parameter 'group' must be specialist, department or month");
	format = http_query_get(q, "format");
	if (format && strcmp(format, "json") && strcmp(format, "csv"))
		return http_fail(r, PL_EINVAL, "bad-query",
				 "query parameter 'format' must be json or csv");
	if ((rc = reph__day(r, q, "to", today, &rq.to_day)) ||
	    (rc = reph__day(r, q, "from", rq.to_day - 364, &rq.from_day)))
		return rc;
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_report_kpi(c, &r->principal, &rq, now, &out, &e);
	store_conn_put(c);
	if (rc)
		return http_fail(r, rc, rc == PL_EINVAL ? "bad-query" : NULL, "%s",
				 e.text[0] ? e.text : pl_strerror(rc));
	if (format && !strcmp(format, "csv")) {
		char *csv = NULL, disp[96];
		size_t len = 0;
		rc = desk_report_csv(out, &csv, &len);
		json_decref(out);
		if (rc)
			return http_fail(r, rc, NULL, "formatting the report failed");
		snprintf(disp, sizeof(disp), "attachment; filename=\"desk-kpi-%s.csv\"",
			 group ? group : "month");
		http_header_add(r, "Content-Disposition", disp);
		return http_reply_buf(r, 200, "text/csv; charset=utf-8", csv, len);
	}
	return http_reply_json(r, 200, out);
}

int http__h_desk_sla_get(struct http_req *r)
{
	struct desk_sla_table base;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, (const char *const[]){ NULL }, "none", REPORT_ARG_MAX)))
		return rc;
	reph__sla_base(r, &base);
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_sla_get(c, &base, &out, &e);
	store_conn_put(c);
	if (rc)
		return http_fail(r, rc, NULL, "%s", e.text[0] ? e.text : pl_strerror(rc));
	return http_reply_json(r, 200, out);
}

int http__h_desk_sla_put(struct http_req *r)
{
	struct desk_sla_table base;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a = { .p = &r->principal, .request_id = r->request_id, .ip = r->ip };
	json_t *out = NULL;
	int rc;

	reph__sla_base(r, &base);
	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = desk_sla_put(c, &a, &base, r->json, pl_time_now_ms(), &out, &e);
	if (rc == 0)
		rc = store_commit(c);
	if (rc) {
		store_rollback(c); /* a rejected request changes nothing */
		store_conn_put(c);
		json_decref(out);
		return http_fail(r, rc, NULL, "%s", e.text[0] ? e.text : pl_strerror(rc));
	}
	store_conn_put(c);
	return http_reply_json(r, 200, out);
}
