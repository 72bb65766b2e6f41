/*
 * api_park_match.c - supplier matching's HTTP API (强链条; owner: helper
 * "park-web"): the catalogue of an enterprise (GET/PUT
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

/* Refuses unknown query parameters and over-long values (400 bad-query). */
static int parkmh__query_known(struct http_req *r, const char *const *known,
			       const char *list, size_t max_len)
{
	const struct http_query *q;
	int rc = http_query_of(r, &q);
	if (rc)
		return rc;
	for (size_t i = 0; i < q->n; i++) {
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(q->pairs[i].key, *k);
		if (!ok)
			return http_fail(r, PL_EINVAL, "bad-query",
					 "unknown query parameter '%.60s'; known: %s",
					 q->pairs[i].key, list);
		if (q->pairs[i].value_len > max_len)
			return http_fail(r, PL_EINVAL, "bad-query",
					 "query parameter '%.60s' is longer than %zu bytes",
					 q->pairs[i].key, max_len);
	}
	return 0;
}

/* Commits when a transaction is open and answers status with body
 * (stolen), or fails with rc and e's sentence. */
static int parkmh__finish(struct http_req *r, struct store_conn *c, int rc, int status,
			  json_t *body, const struct park_match_err *e)
{
	if (rc == 0 && c && store_in_tx(c) && (rc = store_commit(c)))
		return json_decref(body), http_fail(r, rc, NULL, "committing failed: %s",
						    pl_strerror(rc));
	if (rc) {
		json_decref(body);
		if (c && store_in_tx(c))
			store_rollback(c);
		return http_fail(r, rc, NULL, "%s", e->text[0] ? e->text : pl_strerror(rc));
	}
	return http_reply_json(r, status, body);
}

int http__h_park_catalog_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct park_match_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_catalog_get(c, &r->principal, r->params[0], &out, &e);
	rc = parkmh__finish(r, c, rc, 200, out, &e);
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
	rc = parkmh__finish(r, c, rc, 200, out, &e);
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

	if ((rc = parkmh__query_known(r, known, "enterprise_id, need, industry, limit",
				      PARK_MATCH_NEED_MAX)) ||
	    (rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, PARK_MATCH_LIMIT_MAX, 10, &limit)))
		return rc;
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_match_suggest(c, &r->principal, http_query_get(q, "enterprise_id"),
				http_query_get(q, "need"), http_query_get(q, "industry"), limit,
				&out, &e);
	rc = parkmh__finish(r, c, rc, 200, out, &e);
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
	rc = parkmh__finish(r, c, rc, 201, out, &e);
	store_conn_put(c);
	return rc;
}
