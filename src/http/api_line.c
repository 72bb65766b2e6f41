/*
 * api_line.c - the production line endpoints (action line.read):
 *   GET /api/v1/lines                       lines the caller may see
 *   GET /api/v1/lines/{id}/metrics          last value of every series, with stale
 *   GET /api/v1/lines/{id}/series?metric=&from=&to=   decoded points
 * Tenancy: the list is filtered by auth_tenant_filter; a line of an
 * enterprise the caller may not see answers exactly like a missing one
 * (404). Reads only; the ingest worker (src/mqtt/client.c) writes.
 */
#include "http/http_int.h"
#include "line/repo.h"

#include <string.h>

#define LINE_LIST_MAX 1000
#define LINE_RANGE_DEFAULT_MS (3600 * 1000) /* series without from: the last hour */

int http__h_line_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct store_param p[4];
	size_t np = 0;
	struct pl_buf sql;
	json_t *items = NULL;
	int rc;

	pl_buf_init(&sql, 4096);
	pl_buf_puts(&sql, "SELECT l.id, l.enterprise_id, l.name, l.sp_group, l.sp_node, l.created_at"
			  " FROM lines l WHERE 1 = 1");
	if ((rc = auth_tenant_filter(&r->principal, AUTH_A_LINE_READ, "l.enterprise_id", &sql,
				     p, &np))) {
		rc = http_fail(r, rc, NULL, "you may not list lines");
		goto out;
	}
	pl_buf_printf(&sql, " ORDER BY l.name, l.id LIMIT %d", LINE_LIST_MAX);
	if ((rc = http_store_get(r, &c)))
		goto out;
	if ((rc = store_query_json(c, sql.data, p, np, LINE_LIST_MAX, &items))) {
		rc = http_fail(r, rc, NULL, "listing lines failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:o}", "items", items));
	items = NULL;
out:
	json_decref(items);
	store_conn_put(c);
	pl_buf_release(&sql);
	return rc;
}

/* Loads line id and checks the caller may read it; another tenant's line
 * and a missing one both give 404. *out is a new reference on 0. */
static int line__load(struct http_req *r, struct store_conn *c, const char *id, json_t **out)
{
	struct auth_target t;
	int rc = PL_ENOTFOUND;

	*out = NULL;
	if (pl_id_valid(id)) {
		rc = line_repo_line_get(c, id, out);
		if (rc && rc != PL_ENOTFOUND)
			return http_fail(r, rc, NULL, "reading the line failed: %s", pl_strerror(rc));
		if (rc == 0) {
			rc = auth_target_for(c, &r->principal, pl_json_str(*out, "enterprise_id"), &t);
			if (rc == 0)
				rc = auth_authorize(&r->principal, AUTH_A_LINE_READ, &t);
			if (rc == 0)
				return 0;
			json_decref(*out);
			*out = NULL;
			if (rc != PL_ENOTFOUND)
				return http_fail(r, rc, NULL, "you may not read this line");
		}
	}
	return http_fail(r, PL_ENOTFOUND, NULL, "no line '%.40s'", id);
}

int http__h_line_metrics(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *items = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	if ((rc = line_repo_metrics(c, r->params[0], &items))) {
		rc = http_fail(r, rc, NULL, "reading the line's metrics failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "line_id", r->params[0], "items", items));
	items = NULL;
out:
	json_decref(items);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

/* A time query parameter: RFC 3339 or integer ms UTC; def when absent. */
static int line__time_param(struct http_req *r, const struct http_query *q, const char *key,
			    int64_t def, int64_t *out)
{
	const char *v = http_query_get(q, key);

	*out = def;
	if (!v)
		return 0;
	if (pl_parse_i64(v, -LINE_TIME_ABS_MAX, LINE_TIME_ABS_MAX, out) == 0 ||
	    pl_time_parse(v, out) == 0)
		return 0;
	return http_fail(r, PL_EINVAL, "bad-query",
			 "query parameter '%s' must be an RFC 3339 time or milliseconds since the epoch",
			 key);
}

int http__h_line_series(struct http_req *r)
{
	const struct http_query *q;
	struct store_conn *c = NULL;
	json_t *line = NULL, *pts = NULL;
	const char *metric;
	int64_t now = pl_time_now_ms(), from, to;
	int rc;

	if ((rc = http_query_of(r, &q)))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, "metric") && strcmp(q->pairs[i].key, "from") &&
		    strcmp(q->pairs[i].key, "to")) {
			rc = http_fail(r, PL_EINVAL, "bad-query",
				       "unknown query parameter '%.60s'; known: metric, from, to",
				       q->pairs[i].key);
			goto out;
		}
	metric = http_query_get(q, "metric");
	if (!metric || !*metric || strlen(metric) > LINE_METRIC_MAX) {
		rc = http_fail(r, PL_EINVAL, "bad-query",
			       "query parameter 'metric' is required (1..%d bytes)", LINE_METRIC_MAX);
		goto out;
	}
	if ((rc = line__time_param(r, q, "to", now + 1, &to)) ||
	    (rc = line__time_param(r, q, "from", to - LINE_RANGE_DEFAULT_MS, &from)))
		goto out;
	if (from >= to) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "'from' must be before 'to'");
		goto out;
	}
	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	rc = line_repo_points(c, r->params[0], metric, from, to, &pts);
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "line has no metric '%.100s'", metric);
		goto out;
	}
	if (rc == PL_ETOOBIG) {
		rc = http_fail(r, rc, NULL, "more than %d points in the range; narrow it",
			       LINE_QUERY_POINTS_MAX);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the series failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:s, s:I, s:I, s:o}", "line_id", r->params[0],
					       "metric", metric, "from", (json_int_t)from,
					       "to", (json_int_t)to, "points", pts));
	pts = NULL;
out:
	json_decref(pts);
	json_decref(line);
	store_conn_put(c);
	return rc;
}
