/*
 * api_plant.c - the ISA-95 plant model over HTTP (src/line/plant.h):
 *   GET    /api/v1/plant                        the tree the caller may see (line.read)
 *   POST   /api/v1/enterprises/{id}/sites       add a site           (line.alarm.act)
 *   PATCH  /api/v1/sites/{id}, DELETE           change / remove it   (line.alarm.act)
 *   POST   /api/v1/sites/{id}/areas             add an area          (line.alarm.act)
 *   PATCH  /api/v1/areas/{id}, DELETE
 *   PATCH  /api/v1/lines/{id}                   name, area_id        (line.alarm.act)
 *   POST   /api/v1/lines/{id}/machines          add a machine/station
 *   PATCH  /api/v1/machines/{id}, DELETE
 *   POST   /api/v1/enterprises/{id}/products    add a product (GTIN, ideal cycle time)
 *   PATCH  /api/v1/products/{id}, DELETE
 *   GET    /api/v1/lines/{id}/plan              the plan OEE uses    (line.read)
 *   PUT    /api/v1/lines/{id}/plan              set it               (line.alarm.act)
 * Writes use line.alarm.act, the action line configuration (alarm rules)
 * already uses: the park admin, the enterprise's assigned specialist and
 * the enterprise's own users. Tenancy: every object's enterprise is looked
 * up first; another tenant's object answers exactly like a missing one
 * (404), and one named in a body (area_id, product_id) like a missing one
 * there (400). Validation happens before anything is written; every write
 * is audited (line.<kind>.create|update|delete, line.plan.put) in its
 * transaction, and a rejected request rolls back, so it changes nothing.
 */
#include "http/http_int.h"
#include "http/api_plant.h"
#include "line/plant.h"

#include <string.h>

/* Tenancy for object id of kind k under action a: 0, or the recorded
 * problem (404 for a missing or hidden object). ent gets its enterprise. */
static int plant__authorize(struct http_req *r, struct store_conn *c, enum line_plant_kind k,
			    const char *id, enum auth_action a, char ent[PL_ID_LEN + 1])
{
	struct auth_target t;
	int rc = line_plant_owner(c, k, id, ent);

	if (rc == 0)
		rc = auth_target_for(c, &r->principal, ent, &t);
	if (rc == 0)
		rc = auth_authorize(&r->principal, a, &t);
	if (rc == 0)
		return 0;
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no %s '%.40s'", line_plant_kind_name(k), id);
	if (rc == PL_EFORBIDDEN)
		return http_fail(r, rc, NULL, "you may not change this %s", line_plant_kind_name(k));
	return http_fail(r, rc, NULL, "reading the %s failed: %s", line_plant_kind_name(k), pl_strerror(rc));
}

/* The problem for a repository error of a write. */
static int plant__fail(struct http_req *r, int rc, enum line_plant_kind k, const char *why)
{
	switch (rc) {
	case PL_EINVAL:
		return http_fail(r, rc, "validation", "%s", why);
	case PL_EEXIST:
	case PL_ECONFLICT:
		return http_fail(r, rc, "conflict", "%s", why);
	case PL_ENOTFOUND:
		return http_fail(r, rc, NULL, "no %s '%.40s'", line_plant_kind_name(k), r->params[0]);
	default:
		return http_fail(r, rc, NULL, "changing the %s failed: %s", line_plant_kind_name(k),
				 pl_strerror(rc));
	}
}

/* Audits the change and commits; the caller answers. */
static int plant__commit(struct http_req *r, struct store_conn *c, const char *action,
			 const char *entity, const char *id, const char *ent, const json_t *before,
			 const json_t *after)
{
	struct store_audit au = { 0 };
	int rc;

	http_audit_from(r, &au);
	au.action = action;
	au.entity = entity;
	au.entity_id = id;
	au.enterprise_id = ent;
	au.before = before;
	au.after = after;
	if ((rc = store_audit(c, &au)) || (rc = store_commit(c)))
		return http_fail(r, rc, NULL, "saving the %s failed: %s", entity, pl_strerror(rc));
	return 0;
}

/* Answers a read that returned rc: 200 with *body (stolen) on 0, else the
 * problem (a missing plan is 404 "no plan yet"; PL_ETOOBIG names the cap). */
static int plant__answer(struct http_req *r, int rc, json_t **body, const char *what)
{
	if (rc == 0) {
		rc = http_reply_json(r, 200, *body);
		*body = NULL;
		return rc;
	}
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "the line has no plan yet");
	if (rc == PL_ETOOBIG)
		return http_fail(r, rc, NULL, "more than %d objects of one kind", LINE_PLANT_TREE_MAX);
	return http_fail(r, rc, NULL, "reading %s failed: %s", what, pl_strerror(rc));
}

int http__h_plant_tree(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct store_param p[4];
	size_t np = 0;
	struct pl_buf where;
	json_t *tree = NULL;
	int rc;

	pl_buf_init(&where, 2048);
	if ((rc = http_query_known(r, (const char *const[]){ NULL }, "none", 0)))
		goto out;
	if ((rc = auth_tenant_filter(&r->principal, AUTH_A_LINE_READ, "x.enterprise_id", &where, p, &np))) {
		rc = http_fail(r, rc, NULL, "you may not read the plant model");
		goto out;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = plant__answer(r, line_plant_tree(c, where.data ? where.data : "", p, np, &tree), &tree,
			   "the plant model");
out:
	json_decref(tree);
	store_conn_put(c);
	pl_buf_release(&where);
	return rc;
}

/* POST under a parent: params[0] is the parent of kind parent. */
static int plant__create(struct http_req *r, enum line_plant_kind k, enum line_plant_kind parent)
{
	struct store_conn *c = NULL;
	json_t *out = NULL;
	char ent[PL_ID_LEN + 1], why[240] = "", action[40];
	int rc;

	if ((rc = http_store_begin(r, &c)) ||
	    (rc = plant__authorize(r, c, parent, r->params[0], AUTH_A_LINE_ALARM_ACT, ent)))
		goto out;
	if ((rc = line_plant_create(c, k, r->params[0], r->json, &out, why, sizeof(why)))) {
		rc = plant__fail(r, rc, parent, why);
		goto out;
	}
	pl_fmt(action, sizeof(action), "line.%s.create", line_plant_kind_name(k));
	if ((rc = plant__commit(r, c, action, line_plant_kind_name(k), pl_json_str(out, "id"), ent,
				NULL, out)))
		goto out;
	rc = http_reply_json(r, 201, out);
	out = NULL;
out:
	json_decref(out);
	store_conn_put(c);
	return rc;
}

/* PATCH (del false) or DELETE (del true) of object params[0]. */
static int plant__change(struct http_req *r, enum line_plant_kind k, bool del)
{
	struct store_conn *c = NULL;
	json_t *before = NULL, *after = NULL;
	char ent[PL_ID_LEN + 1], why[240] = "", action[40];
	int rc;

	if ((rc = http_store_begin(r, &c)) ||
	    (rc = plant__authorize(r, c, k, r->params[0], AUTH_A_LINE_ALARM_ACT, ent)))
		goto out;
	if ((rc = line_plant_get(c, k, r->params[0], &before))) {
		rc = plant__fail(r, rc, k, why);
		goto out;
	}
	rc = del ? line_plant_delete(c, k, r->params[0], why, sizeof(why))
		 : line_plant_update(c, k, r->params[0], r->json, &after, why, sizeof(why));
	if (rc) {
		rc = plant__fail(r, rc, k, why);
		goto out;
	}
	pl_fmt(action, sizeof(action), "line.%s.%s", line_plant_kind_name(k), del ? "delete" : "update");
	if ((rc = plant__commit(r, c, action, line_plant_kind_name(k), r->params[0], ent, before, after)))
		goto out;
	if (del)
		rc = http_reply_empty(r, 204);
	else {
		rc = http_reply_json(r, 200, after);
		after = NULL;
	}
out:
	json_decref(before);
	json_decref(after);
	store_conn_put(c);
	return rc;
}

int http__h_plant_site_create(struct http_req *r) { return plant__create(r, LINE_PLANT_SITE, LINE_PLANT_ENTERPRISE); }
int http__h_plant_site_patch(struct http_req *r) { return plant__change(r, LINE_PLANT_SITE, false); }
int http__h_plant_site_delete(struct http_req *r) { return plant__change(r, LINE_PLANT_SITE, true); }
int http__h_plant_area_create(struct http_req *r) { return plant__create(r, LINE_PLANT_AREA, LINE_PLANT_SITE); }
int http__h_plant_area_patch(struct http_req *r) { return plant__change(r, LINE_PLANT_AREA, false); }
int http__h_plant_area_delete(struct http_req *r) { return plant__change(r, LINE_PLANT_AREA, true); }
int http__h_plant_line_patch(struct http_req *r) { return plant__change(r, LINE_PLANT_LINE, false); }
int http__h_plant_machine_create(struct http_req *r) { return plant__create(r, LINE_PLANT_MACHINE, LINE_PLANT_LINE); }
int http__h_plant_machine_patch(struct http_req *r) { return plant__change(r, LINE_PLANT_MACHINE, false); }
int http__h_plant_machine_delete(struct http_req *r) { return plant__change(r, LINE_PLANT_MACHINE, true); }
int http__h_plant_product_create(struct http_req *r) { return plant__create(r, LINE_PLANT_PRODUCT, LINE_PLANT_ENTERPRISE); }
int http__h_plant_product_patch(struct http_req *r) { return plant__change(r, LINE_PLANT_PRODUCT, false); }
int http__h_plant_product_delete(struct http_req *r) { return plant__change(r, LINE_PLANT_PRODUCT, true); }

int http__h_plant_plan_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *plan = NULL;
	char ent[PL_ID_LEN + 1];
	int rc;

	if ((rc = http_store_get(r, &c)) ||
	    (rc = plant__authorize(r, c, LINE_PLANT_LINE, r->params[0], AUTH_A_LINE_READ, ent)))
		goto out;
	rc = plant__answer(r, line_plan_get(c, r->params[0], &plan), &plan, "the plan");
out:
	json_decref(plan);
	store_conn_put(c);
	return rc;
}

int http__h_plant_plan_put(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *before = NULL, *after = NULL;
	char ent[PL_ID_LEN + 1], why[320] = "";
	int rc;

	if ((rc = http_store_begin(r, &c)) ||
	    (rc = plant__authorize(r, c, LINE_PLANT_LINE, r->params[0], AUTH_A_LINE_ALARM_ACT, ent)))
		goto out;
	rc = line_plan_get(c, r->params[0], &before);
	if (rc && rc != PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "reading the plan failed: %s", pl_strerror(rc));
		goto out;
	}
	if ((rc = line_plan_put(c, r->params[0], r->json, pl_time_now_ms(), &after, why, sizeof(why)))) {
		rc = plant__fail(r, rc, LINE_PLANT_LINE, why);
		goto out;
	}
	if ((rc = plant__commit(r, c, "line.plan.put", "line_plan", r->params[0], ent, before, after)))
		goto out;
	rc = http_reply_json(r, 200, after);
	after = NULL;
out:
	json_decref(before);
	json_decref(after);
	store_conn_put(c);
	return rc;
}
