/*
 * api_park_logistics.c - GET/PUT /api/v1/park/logistics/baseline: the
 * port-to-plant baseline (区港联动, the days a shipment took before the
 * linked ports) that the park dashboard sets each shipment against. The
 * work, the park-wide-only check and the audit are in src/park/logistics.c;
 * the route table checks the action (park.indicators to read, as the
 * shipments; park.data.write to change) and the body's shape. The PUT runs
 * in one transaction that a refusal rolls back, so nothing changes.
 */
#include "http/http_int.h"
#include "park/logistics.h"

int http__h_park_baseline_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = park_logistics_baseline_get(c, &out);
	rc = http_store_finish(r, c, rc, 200, out, NULL);
	store_conn_put(c);
	return rc;
}

int http__h_park_baseline_put(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct park_actor a = { &r->principal, r->request_id, r->ip };
	char why[200] = "";
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = park_logistics_baseline_put(c, &a, r->json, pl_time_now_ms(), &out, why, sizeof(why));
	rc = http_store_finish(r, c, rc, 200, out, why);
	store_conn_put(c);
	return rc;
}
