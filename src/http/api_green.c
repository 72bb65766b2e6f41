/*
 * api_green.c - /api/v1/desk/green-projects...: the green channel's HTTP
 * API. Thin wrappers like api_desk.c: check what
 * the route table could not (path integers, timestamps), take one store
 * connection, call src/desk/green_repo.c (which authorises per object,
 * writes and audits) and commit; any error rolls back, so a rejected
 * request changes nothing. A server started without the desk's calendar
 * answers 503.
 */
#include "http/http_int.h"
#include "desk/repo.h"

static int greenh__svc(struct http_req *r, const struct desk_svc **out)
{
	*out = r->srv->opt.desk;
	if (!*out)
		return http_fail(r, PL_EBUSY, NULL, "the service desk is not configured on this server");
	return 0;
}

/* The steps array of template id, as desk_green_create takes it (new
 * reference), or NULL when there is no such template. */
static json_t *greenh__template_steps(const char *id)
{
	const struct desk_green_template *t = desk_green_template_find(id);
	json_t *a;

	if (!t)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < t->nsteps; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "name", t->steps[i].name,
						   "department", t->steps[i].department,
						   "statutory_days", (int)t->steps[i].statutory_days));
	return a;
}

/* GET /api/v1/desk/green-templates: the procedure templates (green.c). */
int http__h_green_templates(struct http_req *r)
{
	size_t n;
	const struct desk_green_template *t = desk_green_templates(&n);
	json_t *items = json_array();

	for (size_t i = 0; i < n; i++) {
		int days = 0;
		for (size_t k = 0; k < t[i].nsteps; k++)
			days += t[i].steps[k].statutory_days;
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:i, s:o}", "id", t[i].id,
						       "name_zh", t[i].name_zh, "name_en",
						       t[i].name_en, "statutory_days", days, "steps",
						       greenh__template_steps(t[i].id)));
	}
	return http_reply_json(r, 200, json_pack("{s:o}", "items", items));
}

int http__h_green_list(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = greenh__svc(r, &svc)) || (rc = http_store_get(r, &c)))
		goto out;
	rc = desk_green_list(svc, c, &r->principal, pl_time_now_ms(), &out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
out:
	store_conn_put(c);
	return rc;
}

int http__h_green_get(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = greenh__svc(r, &svc)) || (rc = http_store_get(r, &c)))
		goto out;
	rc = desk_green_get(svc, c, &r->principal, r->params[0], pl_time_now_ms(), &out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
out:
	store_conn_put(c);
	return rc;
}

int http__h_green_create(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a = { &r->principal, r->request_id, r->ip };
	const char *ent = pl_json_str(r->json, "enterprise_id");
	json_t *out = NULL, *owned = NULL;
	int rc;

	/* an enterprise's users cannot write here (policy), so only the
	 * admin's and the specialist's requests reach this point */
	const char *tpl = pl_json_str(r->json, "template");
	json_t *steps = json_object_get(r->json, "steps");
	if (tpl && steps)
		return http_fail(r, PL_EINVAL, NULL, "give either 'steps' or 'template', not both");
	if (!tpl && !steps)
		return http_fail(r, PL_EINVAL, NULL, "field 'steps' or 'template' is required");
	if (tpl && !(steps = greenh__template_steps(tpl)))
		return http_fail(r, PL_EINVAL, NULL, "field 'template': no template '%.40s'; see "
				 "GET /api/v1/desk/green-templates", tpl);
	else if (tpl)
		owned = steps;
	if ((rc = greenh__svc(r, &svc)) || (rc = http_store_begin(r, &c)))
		goto out;
	rc = desk_green_create(svc, c, &a, ent, pl_json_str(r->json, "name"), steps,
			       pl_time_now_ms(), &out, &e);
	if (rc == 0)
		http_header_add(r, "Location", pl_arena_printf(r->arena,
							       "/api/v1/desk/green-projects/%s",
							       pl_json_str(out, "id")));
	rc = http_store_finish(r, c, rc, 201, out, e.text);
out:
	store_conn_put(c);
	json_decref(owned);
	return rc;
}

int http__h_green_step(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a = { &r->principal, r->request_id, r->ip };
	const char *at = pl_json_str(r->json, "at");
	const char *seqs = r->params[1];
	int64_t at_ms = DESK_NEVER, seq = 0;
	json_t *out = NULL;
	int rc;

	/* {seq}: 1..DESK_GREEN_STEPS_NEW_MAX in plain decimal */
	for (const char *q = seqs; *q; q++) {
		if (*q < '0' || *q > '9' || seq > DESK_GREEN_STEPS_NEW_MAX)
			return http_fail(r, PL_ENOTFOUND, NULL, "the project has no step %.20s", seqs);
		seq = seq * 10 + (*q - '0');
	}
	if (seq < 1 || seq > DESK_GREEN_STEPS_NEW_MAX)
		return http_fail(r, PL_ENOTFOUND, NULL, "the project has no step %.20s", seqs);
	if (at && pl_time_parse(at, &at_ms))
		return http_fail(r, PL_EINVAL, NULL, "field 'at' is not an RFC 3339 time");
	if ((rc = greenh__svc(r, &svc)) || (rc = http_store_begin(r, &c)))
		goto out;
	rc = desk_green_step_act(svc, c, &a, r->params[0], seq, pl_json_str(r->json, "action"),
				 at_ms, pl_time_now_ms(), &out, &e);
	rc = http_store_finish(r, c, rc, 200, out, e.text);
out:
	store_conn_put(c);
	return rc;
}
