/*
 * api_park_match.c - supplier matching's HTTP API (强链条): the catalogue of an enterprise (GET/PUT
 * /api/v1/park/enterprises/{id}/catalog), ranked suggestions
 * (/api/v1/park/match) and "introduce us" (POST /api/v1/park/introductions).
 * Thin wrappers over src/park/match.c, which authorises per enterprise
 * (park.match), validates, writes and audits; these check the query string,
 * take one connection and commit. Any error rolls back, so a rejected
 * request changes nothing.
 */
#include "http/http_int.h"
#include "park/match.h"

#include <string.h>

int http__h_park_catalog_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct park_match_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_catalog_get(c, &r->principal, r->params[0], &out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
	store_conn_put(c);
	return rc;
}

int http__h_park_catalog_put(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct park_match_err e = { .text = "" };
	struct desk_actor a = { &r->principal, r->request_id, r->ip };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = park_catalog_put(c, &a, r->params[0], r->json, pl_time_now_ms(), &out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
	store_conn_put(c);
	return rc;
}

int http__h_park_match(struct http_req *r)
{
	static const char *const known[] = { "enterprise_id", "need", "industry", "limit", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct park_match_err e = { .text = "" };
	json_t *out = NULL;
	int64_t limit;
	int rc;

	if ((rc = http_query_known(r, known, "enterprise_id, need, industry, limit",
				    PARK_MATCH_NEED_MAX)) ||
	    (rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, PARK_MATCH_LIMIT_MAX, 10, &limit)))
		return rc;
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_match_suggest(c, &r->principal, http_query_get(q, "enterprise_id"),
				http_query_get(q, "need"), http_query_get(q, "industry"), limit,
				&out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
	store_conn_put(c);
	return rc;
}

int http__h_park_introduce(struct http_req *r)
{
	const struct desk_svc *svc = r->srv->opt.desk;
	struct store_conn *c = NULL;
	struct park_match_err e = { .text = "" };
	struct desk_actor a = { &r->principal, r->request_id, r->ip };
	json_t *out = NULL;
	int rc;

	if (!svc)
		return http_fail(r, PL_EBUSY, NULL, "the service desk is not configured on this server");
	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = park_introduce(svc, c, &a, pl_json_str(r->json, "buyer_id"),
			    pl_json_str(r->json, "supplier_id"), pl_json_str(r->json, "note"),
			    pl_time_now_ms(), &out, &e);
	if (rc == 0)
		http_header_add(r, "Location", pl_arena_printf(r->arena, "/api/v1/desk/requests/%s",
							       pl_json_str(json_object_get(out,
										   "buyer_request"), "id")));
	rc = http_store_finish(r, c, rc, 201, out, e.text);
	store_conn_put(c);
	return rc;
}
