/*
 * api_park.c - /api/v1/park/...: the park registry, its CSV import and
 * export, the indicators with the rows behind each, and port-to-plant
 * logistics (src/park/park.h does the work).
 * Handlers check what the route table cannot (query parameters, path
 * words, the CSV media type), take one store connection and call the park
 * module. An import runs in one transaction that is rolled back when any
 * row is refused: the 422 lists every bad row and nothing is stored.
 * Indicators are park-wide aggregates under park.indicators; enterprise
 * data is filtered per caller under park.data.read / park.data.write.
 */
#include "http/http_int.h"
#include "park/park.h"
#include "desk/repo.h"

#include <string.h>

/* Ends a read handler: 200 with *out (taken, *out NULL afterwards) or, for
 * rc, the problem "<what> failed: <reason>". */
static int parkh__answer(struct http_req *r, int rc, json_t **out, const char *what)
{
	if (rc)
		return http_fail(r, rc, NULL, "%s failed: %s", what, pl_strerror(rc));
	rc = http_reply_json(r, 200, *out);
	*out = NULL;
	return rc;
}

/* The query of the indicator routes: only date (default today) and year
 * (default 0: latest with figures). */
static int parkh__date_year(struct http_req *r, const char **date, int64_t *year)
{
	static const char *const keys[] = { "date", "year", NULL };
	const struct http_query *q;
	int rc;

	if ((rc = http_query_known(r, keys, "date, year", 0)) || (rc = http_query_of(r, &q)))
		return rc;
	*date = http_query_get(q, "date");
	if (*date && park_date_parse(*date, NULL))
		return http_fail(r, PL_EINVAL, "bad-query", "date must be YYYY-MM-DD");
	if ((rc = http_query_int(r, "year", 1949, 9999, 0, year)))
		return rc;
	return 0;
}

/* The park-wide days saved by the green channel, as one more indicator
 * (computed by the desk's own definition, docs/desk.md section 8). The
 * sum is read as the system would: it is an aggregate every caller of
 * park.indicators may see, like the others. Absent without a desk. */
static void parkh__green(struct http_req *r, struct store_conn *c, json_t *list)
{
	const struct desk_svc *svc = r->srv->opt.desk;
	struct auth_principal sys;
	struct desk_err e = { .text = "" };
	json_t *g = NULL;

	if (!svc)
		return;
	memset(&sys, 0, sizeof(sys));
	sys.role = AUTH_ROLE_PARK_ADMIN;
	pl_strlcpy(sys.name, "park-indicators", sizeof(sys.name));
	if (desk_green_list(svc, c, &sys, pl_time_now_ms(), &g, &e) == 0) {
		json_t *s = json_object_get(g, "summary");
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:O, s:s, s:O, s:O, s:s}", "key", "green_days_saved",
			"label_zh", "绿色通道节省工作日", "label_en", "Working days saved by the green channel",
			"value", json_object_get(s, "days_saved"), "unit", "工作日",
			"numerator", json_object_get(s, "days_saved"),
			"denominator", json_object_get(s, "projects"),
			"source", "/api/v1/desk/green-projects"));
	}
	json_decref(g);
}

int http__h_park_indicators(struct http_req *r)
{
	struct store_conn *c = NULL;
	const char *date;
	int64_t year;
	json_t *out = NULL;
	int rc;

	if ((rc = parkh__date_year(r, &date, &year)) || (rc = http_store_get(r, &c)))
		goto out;
	rc = park_indicators(c, date, (int)year, &out);
	if (rc == 0)
		parkh__green(r, c, json_object_get(out, "indicators"));
	rc = parkh__answer(r, rc, &out, "computing the indicators");
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}

int http__h_park_indicator_rows(struct http_req *r)
{
	struct store_conn *c = NULL;
	const char *date;
	int64_t year;
	json_t *out = NULL;
	int rc;

	if ((rc = parkh__date_year(r, &date, &year)) || (rc = http_store_get(r, &c)))
		goto out;
	rc = park_indicator_rows(c, r->params[0], date, (int)year, &out);
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "no indicator %.60s", r->params[0]);
		goto out;
	}
	rc = parkh__answer(r, rc, &out, "reading the rows");
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}

int http__h_park_ent_list(struct http_req *r)
{
	static const char *const keys[] = { "q", "cert", "in_production", "limit", "offset",
					    "date", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct park_ent_query eq = { .in_production = -1 };
	char today[11];
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, keys, "q, cert, in_production, limit, offset, date", 0)) ||
	    (rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, 500, 50, &eq.limit)) ||
	    (rc = http_query_int(r, "offset", 0, 1000000, 0, &eq.offset)))
		goto out;
	const char *prod = http_query_get(q, "in_production");
	if (prod && !strcmp(prod, "true"))
		eq.in_production = 1;
	else if (prod && !strcmp(prod, "false"))
		eq.in_production = 0;
	else if (prod) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "in_production must be true or false");
		goto out;
	}
	eq.cert = http_query_get(q, "cert");
	if (eq.cert && strcmp(eq.cert, PARK_CERT_TECH_SME) && strcmp(eq.cert, PARK_CERT_HIGH_TECH) &&
	    strcmp(eq.cert, PARK_CERT_SPECIALIZED)) {
		rc = http_fail(r, PL_EINVAL, "bad-query",
			       "cert must be tech_sme, high_tech or specialized");
		goto out;
	}
	eq.q = http_query_get(q, "q");
	if (eq.q && strlen(eq.q) > 100) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "q is longer than 100 bytes");
		goto out;
	}
	eq.date = http_query_get(q, "date");
	if (eq.date && park_date_parse(eq.date, NULL)) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "date must be YYYY-MM-DD");
		goto out;
	}
	if (!eq.date) {
		park_date_of(pl_time_now_ms(), today);
		eq.date = today;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = park_enterprise_list(c, &r->principal, &eq, &out);
	rc = parkh__answer(r, rc, &out, "listing enterprises");
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}

int http__h_park_ent_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	char today[11];
	json_t *out = NULL;
	int rc;

	park_date_of(pl_time_now_ms(), today);
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = park_enterprise_get(c, &r->principal, r->params[0], today, &out);
	if (rc) {
		rc = http_fail(r, rc, NULL, rc == PL_ENOTFOUND ? "no enterprise %.40s" :
			       "reading enterprise %.40s failed", r->params[0]);
		goto out;
	}
	rc = http_reply_json(r, 200, out);
	out = NULL;
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}

static int parkh__kind(struct http_req *r, enum park_kind *k)
{
	if (park_kind_parse(r->params[0], k))
		return http_fail(r, PL_ENOTFOUND, NULL, "no import/export kind %.40s; known: "
				 "enterprises, certifications, yearly, projects", r->params[0]);
	return 0;
}

int http__h_park_import(struct http_req *r)
{
	const char *ct = http_header(r, "Content-Type");
	struct park_actor a = { &r->principal, r->request_id, r->ip };
	struct store_conn *c = NULL;
	enum park_kind k;
	json_t *errors = NULL;
	int64_t n = 0;
	int rc;

	if ((rc = parkh__kind(r, &k)))
		goto out;
	if (!ct || strncasecmp(ct, "text/csv", 8) || (ct[8] && ct[8] != ';' && ct[8] != ' ')) {
		rc = http_fail(r, PL_EUNSUPPORTED, NULL, "Content-Type must be text/csv (UTF-8)");
		goto out;
	}
	if ((rc = http_store_begin(r, &c)))
		goto out;
	rc = park_import(c, &a, k, r->body.data ? r->body.data : "", r->body.len,
			 pl_time_now_ms(), &errors, &n);
	if (rc == PL_EINVAL && errors) {
		store_rollback(c);
		size_t nerr = json_array_size(errors);
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:O}",
				      "type", "urn:parkline:problem:csv-rows",
				      "title", "Some rows of the file cannot be imported",
				      "status", 422, "detail", pl_arena_printf(r->arena,
				      "%zu row error%s; nothing was imported", nerr, nerr == 1 ? "" : "s"),
				      "instance", r->path, "request_id", r->request_id,
				      "kind", park_kind_name(k), "errors", errors);
		char *s = pl_json_dump(o);
		json_decref(o);
		rc = http_reply_buf(r, 422, "application/problem+json", s, strlen(s));
		goto out;
	}
	if (rc == 0)
		rc = store_commit(c);
	if (rc) {
		store_rollback(c);
		rc = http_fail(r, rc, NULL, "importing failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:I}", "kind", park_kind_name(k),
					       "imported", (json_int_t)n));
out:
	json_decref(errors);
	store_conn_put(c);
	return rc;
}

int http__h_park_export(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct pl_buf b;
	enum park_kind k;
	int rc;

	pl_buf_init(&b, 64u << 20);
	if ((rc = parkh__kind(r, &k)) || (rc = http_store_get(r, &c)))
		goto out;
	if ((rc = park_export(c, &r->principal, k, &b))) {
		rc = http_fail(r, rc, NULL, "exporting failed: %s", pl_strerror(rc));
		goto out;
	}
	http_header_add(r, "Content-Disposition",
			pl_arena_printf(r->arena, "attachment; filename=\"park-%s.csv\"",
					park_kind_name(k)));
	size_t len = b.len;
	rc = http_reply_buf(r, 200, "text/csv; charset=utf-8", pl_buf_steal(&b), len);
out:
	pl_buf_release(&b);
	store_conn_put(c);
	return rc;
}

int http__h_park_logistics(struct http_req *r)
{
	static const char *const keys[] = { "from", "to", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	int64_t from = 0, to = INT64_MAX;
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, keys, "from, to", 0)) || (rc = http_query_of(r, &q)))
		goto out;
	const char *f = http_query_get(q, "from"), *t = http_query_get(q, "to");
	int64_t days;
	if (f && (park_date_parse(f, &days) || days < 0)) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "from must be YYYY-MM-DD");
		goto out;
	}
	if (f)
		from = days * 86400000LL;
	if (t && (park_date_parse(t, &days) || days < 0)) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "to must be YYYY-MM-DD");
		goto out;
	}
	if (t)
		to = (days + 1) * 86400000LL; /* to is inclusive: the whole day */
	if (to <= from) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "to is before from");
		goto out;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = park_logistics(c, from, to, &out);
	rc = parkh__answer(r, rc, &out, "reading shipments");
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}
