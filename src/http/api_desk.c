/*
 * api_desk.c - /api/v1/desk/...: the service desk's HTTP API. Each handler checks the input the route table could
 * not (text content, query parameters), takes one store connection, calls
 * the desk repository (src/desk/repo.h), which does the object-level
 * authorisation, the change, the history and the audit row, and commits.
 * A rejected request changes nothing: any error rolls the transaction back.
 *
 * The one answer shaped here rather than by problem.c is an illegal
 * workflow action: a 409 problem+json whose detail names the current state
 * and the allowed actions, with "state" and "allowed_actions" extension
 * members (RFC 9457 section 3.2) so the UI can offer the right buttons.
 *
 * The desk's calendar and SLA table come from http_options.desk (loaded by
 * serve at start); a server started without one answers the desk routes
 * with 503.
 */
#include "http/http_int.h"
#include "desk/repo.h"

#define DESK_ARG_MAX 200 /* query parameter values we accept, bytes */

static int deskh__svc(struct http_req *r, const struct desk_svc **out)
{
	*out = r->srv->opt.desk;
	if (!*out)
		return http_fail(r, PL_EBUSY, NULL, "the service desk is not configured on this server");
	return 0;
}

static void deskh__actor(struct http_req *r, struct desk_actor *a)
{
	a->p = &r->principal;
	a->request_id = r->request_id;
	a->ip = r->ip;
}

/* Text fields may hold line breaks and tabs (descriptions, resolutions),
 * nothing else below 0x20, and not be blank. */
static int deskh__text(struct http_req *r, const char *field, const char *v)
{
	bool blank = true;
	if (!v)
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return http_fail(r, PL_EINVAL, NULL, "field '%s' contains a control character",
					 field);
		if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
			blank = false;
	}
	if (blank)
		return http_fail(r, PL_EINVAL, NULL, "field '%s' must not be empty", field);
	return 0;
}

/* The problem for a repository error; an illegal transition gets its
 * extension members. */
static int deskh__fail(struct http_req *r, int rc, const struct desk_err *e)
{
	if (rc == PL_ECONFLICT && e->state[0]) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o}",
				      "type", "urn:parkline:problem:invalid-transition",
				      "title", "The current state does not allow this",
				      "status", 409, "detail", e->text,
				      "instance", r->path ? r->path : "",
				      "request_id", r->request_id, "state", e->state,
				      "allowed_actions", json_array());
		if (!o)
			return http_fail(r, rc, NULL, "%s", e->text);
		json_t *names = json_object_get(o, "allowed_actions");
		for (int i = 0; i < DESK_ACT_COUNT; i++)
			if (e->allowed & (1u << i))
				json_array_append_new(names, json_string(
					desk_action_name((enum desk_action)i)));
		r->problem.status = 409; /* for the access log */
		pl_strlcpy(r->problem.slug, "invalid-transition", sizeof(r->problem.slug));
		char *s = pl_json_dump(o);
		json_decref(o);
		return http_reply_buf(r, 409, "application/problem+json", s, strlen(s));
	}
	return http_fail(r, rc, NULL, "%s", e->text[0] ? e->text : pl_strerror(rc));
}

/* Commits and answers status with body (stolen), or fails with rc. */
static int deskh__finish(struct http_req *r, struct store_conn *c, int rc, int status,
			 json_t *body, const struct desk_err *e)
{
	if (rc == 0 && c && store_in_tx(c) && (rc = store_commit(c)))
		return json_decref(body), http_fail(r, rc, NULL, "committing failed: %s",
						    pl_strerror(rc));
	if (rc) {
		json_decref(body);
		if (c)
			store_rollback(c); /* a rejected request changes nothing */
		return deskh__fail(r, rc, e);
	}
	return http_reply_json(r, status, body);
}

/* -------------------------------------------------------------- requests */

int http__h_desk_req_list(struct http_req *r)
{
	static const char *const known[] = { "state", "enterprise_id", "q", "limit", "offset", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_list_query lq = { 0 };
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, known, "state, enterprise_id, q, limit, offset", DESK_ARG_MAX)) ||
	    (rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, DESK_LIST_MAX, 50, &lq.limit)) ||
	    (rc = http_query_int(r, "offset", 0, 1000000, 0, &lq.offset)))
		return rc;
	lq.state = http_query_get(q, "state");
	lq.enterprise_id = http_query_get(q, "enterprise_id");
	lq.q = http_query_get(q, "q");
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_request_list(c, &r->principal, &lq, pl_time_now_ms(), &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

int http__h_desk_req_create(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;
	struct desk_request_new in = {
		.enterprise_id = pl_json_str(r->json, "enterprise_id"),
		.channel = pl_json_str(r->json, "channel"),
		.category = pl_json_str(r->json, "category"),
		.urgency = pl_json_str(r->json, "urgency"),
		.title = pl_json_str(r->json, "title"),
		.description = pl_json_str(r->json, "description"),
	};

	if ((rc = deskh__svc(r, &svc)) || (rc = http_text_check(r, "title", in.title)) ||
	    (rc = deskh__text(r, "description", in.description)) ||
	    (rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	/* 园区共性问题: park_wide with the enterprises it links and who handles it */
	json_t *pw = json_object_get(r->json, "park_wide");
	if (json_is_true(pw))
		rc = desk_request_create_park_wide(svc, c, &a, &in,
						   json_object_get(r->json, "enterprise_ids"),
						   pl_json_str(r->json, "specialist_id"),
						   pl_time_now_ms(), &out, &e);
	else if (json_object_get(r->json, "enterprise_ids") ||
		 json_object_get(r->json, "specialist_id")) {
		rc = PL_EINVAL;
		pl_strlcpy(e.text, "fields 'enterprise_ids' and 'specialist_id' belong to a park-wide "
			   "request: set 'park_wide' to true", sizeof(e.text));
	} else
		rc = desk_request_create(svc, c, &a, &in, pl_time_now_ms(), &out, &e);
	if (rc == 0)
		http_header_add(r, "Location", pl_arena_printf(r->arena, "/api/v1/desk/requests/%s",
							       pl_json_str(out, "id")));
	rc = deskh__finish(r, c, rc, 201, out, &e);
out:
	store_conn_put(c);
	return rc;
}

int http__h_desk_req_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_request_get(c, &r->principal, r->params[0], pl_time_now_ms(), &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

int http__h_desk_req_act(struct http_req *r)
{
	static const char *const texts[] = { "note", "resolution", "comment" };
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;
	struct desk_action_in in = {
		.action = pl_json_str(r->json, "action"),
		.note = pl_json_str(r->json, "note"),
		.department = pl_json_str(r->json, "department"),
		.resolution = pl_json_str(r->json, "resolution"),
		.rating = pl_json_str(r->json, "rating"),
		.comment = pl_json_str(r->json, "comment"),
		.due_at = pl_json_str(r->json, "due_at"),
	};

	if ((rc = deskh__svc(r, &svc)))
		return rc;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if ((rc = deskh__text(r, texts[i], pl_json_str(r->json, texts[i]))))
			return rc;
	if ((rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	rc = desk_request_act(svc, c, &a, r->params[0], &in, pl_time_now_ms(), &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
out:
	store_conn_put(c);
	return rc;
}

/* ---------------------------------------------------------------- scores */

int http__h_desk_scores(struct http_req *r)
{
	static const char *const known[] = { "days", NULL };
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int64_t days;
	int rc;

	if ((rc = http_query_known(r, known, "days", DESK_ARG_MAX)) ||
	    (rc = http_query_int(r, "days", 1, 3650, 90, &days)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = desk_scores(c, days, pl_time_now_ms(), &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

/* ---------------------------------------------------- replacements, assignments */

int http__h_desk_repl_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_replacement_list(c, &r->principal, &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

int http__h_desk_repl_create(struct http_req *r)
{
	const struct desk_svc *svc;
	const char *reason = pl_json_str(r->json, "reason");
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;

	if ((rc = deskh__svc(r, &svc)) || (rc = deskh__text(r, "reason", reason)) ||
	    (rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	rc = desk_replacement_create(svc, c, &a, pl_json_str(r->json, "enterprise_id"), reason,
				     pl_time_now_ms(), &out, &e);
	rc = deskh__finish(r, c, rc, 201, out, &e);
out:
	store_conn_put(c);
	return rc;
}

int http__h_desk_repl_assign(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;

	if ((rc = deskh__svc(r, &svc)) || (rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	rc = desk_replacement_assign(svc, c, &a, r->params[0],
				     pl_json_str(r->json, "specialist_id"), pl_time_now_ms(),
				     &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
out:
	store_conn_put(c);
	return rc;
}

int http__h_desk_assign_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_assignments(c, &r->principal, r->params[0], &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

int http__h_desk_assign_create(struct http_req *r)
{
	const struct desk_svc *svc;
	const char *reason = pl_json_str(r->json, "reason");
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;

	if ((rc = deskh__svc(r, &svc)) || (rc = deskh__text(r, "reason", reason)) ||
	    (rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	rc = desk_assign(svc, c, &a, r->params[0], pl_json_str(r->json, "specialist_id"), reason,
			 pl_time_now_ms(), &out, &e);
	/* the enterprise is in the path: an unknown one is a 404, as for GET */
	if (rc == PL_EINVAL && !strncmp(e.text, "field 'enterprise_id'", 21)) {
		rc = PL_ENOTFOUND;
		pl_fmt(e.text, sizeof(e.text), "no enterprise %.40s", r->params[0]);
	}
	rc = deskh__finish(r, c, rc, 200, out, &e);
out:
	store_conn_put(c);
	return rc;
}

/* ----------------------------------------------------------- attachments
 * The upload is the raw file as the body (Content-Type: its type; the
 * name in ?filename=, percent-encoded UTF-8), capped by the route at
 * DESK_ATTACH_MAX. The download is served with the stored type as an
 * attachment (never rendered inline) with nosniff (server.c adds it to
 * every response), after the checksum was verified (src/desk/attach.c). */

int http__h_desk_attach_add(struct http_req *r)
{
	static const char *const known[] = { "filename", NULL };
	const struct http_query *q;
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	struct desk_actor a;
	json_t *out = NULL;
	int rc;

	if ((rc = deskh__svc(r, &svc)) ||
	    (rc = http_query_known(r, known, "filename", DESK_ARG_MAX)) || (rc = http_query_of(r, &q)))
		return rc;
	const char *name = http_query_get(q, "filename");
	if (!name || !*name)
		return http_fail(r, PL_EINVAL, "bad-query",
				 "query parameter 'filename' is required (the file's name)");
	if ((rc = http_store_begin(r, &c)))
		goto out;
	deskh__actor(r, &a);
	rc = desk_attach_add(svc, c, &a, r->params[0], name,
			     http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE),
			     (const uint8_t *)(r->body.data ? r->body.data : ""), r->body.len,
			     pl_time_now_ms(), &out, &e);
	if (rc == 0)
		http_header_add(r, "Location", pl_arena_printf(r->arena,
			"/api/v1/desk/requests/%s/attachments/%s", r->params[0],
			pl_json_str(out, "id")));
	rc = deskh__finish(r, c, rc, 201, out, &e);
out:
	store_conn_put(c);
	return rc;
}

int http__h_desk_attach_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_attach_list(c, &r->principal, r->params[0], &out, &e);
	rc = deskh__finish(r, c, rc, 200, out, &e);
	store_conn_put(c);
	return rc;
}

/* Content-Disposition for name: an ASCII fallback (non-ASCII, quotes and
 * backslashes become '_') and the exact UTF-8 name per RFC 6266 / 8187. */
static const char *deskh__disposition(struct http_req *r, const char *name)
{
	struct pl_buf b;
	char *s;

	pl_buf_init(&b, 4096);
	pl_buf_puts(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char ch = (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') ? '_' : (char)*p;
		pl_buf_append(&b, &ch, 1);
	}
	pl_buf_puts(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p))
			pl_buf_append(&b, (const char *)p, 1);
		else
			pl_buf_printf(&b, "%%%02X", *p);
	}
	s = pl_arena_strdup(r->arena, b.data ? b.data : "attachment");
	pl_buf_release(&b);
	return s;
}

int http__h_desk_attach_get(struct http_req *r)
{
	const struct desk_svc *svc;
	struct store_conn *c = NULL;
	struct desk_err e = { .text = "" };
	json_t *meta = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc;

	if ((rc = deskh__svc(r, &svc)) || (rc = http_store_get(r, &c)))
		return rc;
	rc = desk_attach_fetch(svc, c, &r->principal, r->params[0], r->params[1], &meta, &data,
			       &len, &e);
	store_conn_put(c);
	if (rc)
		return deskh__fail(r, rc, &e);
	http_header_add(r, "Content-Disposition", deskh__disposition(r, pl_json_str(meta,
							"filename")));
	http_header_add(r, "Cache-Control", "private, no-store");
	http_header_add(r, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_header_add(r, "X-Checksum-SHA256", pl_json_str(meta, "sha256"));
	const char *type = pl_arena_strdup(r->arena, pl_json_str(meta, "type"));
	json_decref(meta);
	return http_reply_buf(r, 200, type, (char *)data, len);
}
