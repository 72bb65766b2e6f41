/*
 * api_park_share.c - GET/PUT /api/v1/park/enterprises/{id}/sharing: what an
 * enterprise shares with the park (owner: helper "park-share"; the work,
 * tenancy and audit are in src/park/share.c). The route table checks the
 * action (park.data.read / park.data.write) and the body's shape; these
 * take one connection, call the module and commit, so a refused request
 * (bad field, another tenant's enterprise) rolls back and changes nothing.
 */
#include "http/http_int.h"
#include "park/share.h"

int http__h_park_sharing_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	char why[200] = "";
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_sharing_get(c, &r->principal, r->params[0], &out, why, sizeof(why));
	rc = http_store_finish(r, c, rc, 200, out, why);
	store_conn_put(c);
	return rc;
}

int http__h_park_sharing_put(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct park_actor a = { &r->principal, r->request_id, r->ip };
	char why[200] = "";
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = park_sharing_put(c, &a, r->params[0], r->json, pl_time_now_ms(), &out, why,
			      sizeof(why));
	rc = http_store_finish(r, c, rc, 200, out, why);
	store_conn_put(c);
	return rc;
}
