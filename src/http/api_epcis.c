/*
 * api_epcis.c - the EPCIS 2.0 REST binding mounted at /epcis/:
 * POST /epcis/capture, GET /epcis/capture/{id}, GET /epcis/events (the
 * standard query parameters, perPage + nextPageToken with a Link header),
 * GET /epcis/events/{eventID} and GET /epcis/eventTypes. Answers are
 * EPCISQueryDocuments in JSON-LD, or EPCIS 2.0 XML for Accept:
 * application/xml; capture takes JSON-LD or XML.
 *
 * The work is the trace module's (repo.c): these handlers map HTTP to it,
 * choose the tenant (an enterprise sees its own events; park admins and
 * auditors all, auditors audited), and turn its errors into problem+json.
 * Capture runs inside the request; see repo.c's design notes.
 *
 * Path parameters are decoded before routing, so an eventID containing '/'
 * (the ni:/// hash form) cannot be a path segment: such events are fetched
 * by the 64 hex digits of their hash, or with ?EQ_eventID= on /epcis/events.
 */
#include "http/http_int.h"
#include "trace/trace.h"

#include <string.h>

#define EPCIS_LINK_MAX (16u << 10) /* a Link header: the query is capped at 4 KiB */

int http__trace_tenant(struct http_req *r, enum auth_action action, const char **tenant)
{
	enum auth_scope sc = auth_scope_of(r->principal.role, action);

	*tenant = NULL;
	if (sc == AUTH_SCOPE_ANY)
		return 0;
	if (sc == AUTH_SCOPE_OWN && r->principal.enterprise_id[0]) {
		*tenant = r->principal.enterprise_id;
		return 0;
	}
	return http_fail(r, PL_EFORBIDDEN, NULL, "you may not do %s", auth_action_name(action));
}

int http__trace_audit_read(struct http_req *r, const char *what, const char *subject)
{
	struct store_conn *c = NULL;
	struct store_audit a;
	json_t *after = NULL;
	int rc;

	if (r->principal.role != AUTH_ROLE_AUDITOR)
		return 0;
	memset(&a, 0, sizeof(a));
	http_audit_from(r, &a);
	after = json_pack("{s:s, s:s?}", "path", r->path, "query", r->raw_query);
	a.action = what;
	a.entity = "trace";
	a.entity_id = subject;
	a.after = after;
	if ((rc = http_store_begin(r, &c)))
		goto out;
	if ((rc = store_audit(c, &a)) || (rc = store_commit(c)))
		rc = http_fail(r, rc, NULL, "auditing the read failed: %s", pl_strerror(rc));
out:
	json_decref(after);
	store_conn_put(c);
	return rc;
}

/* "application/xml" or "text/xml" (parameters allowed). */
static bool epcis__is_xml(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	return !strncasecmp(ct, "application/xml", 15) || !strncasecmp(ct, "text/xml", 8);
}

static bool epcis__is_json(const char *ct)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; ");
	return (n == 16 && !strncasecmp(ct, "application/json", 16)) ||
	       (n == 19 && !strncasecmp(ct, "application/ld+json", 19));
}

static bool epcis__wants_xml(struct http_req *r)
{
	const char *acc = http_header(r, "Accept");
	return acc && (strstr(acc, "application/xml") || strstr(acc, "text/xml")) &&
	       !strstr(acc, "json");
}

/* Replies with doc (stolen) as JSON-LD or XML per Accept. */
static int epcis__reply_doc(struct http_req *r, json_t *doc)
{
	struct pl_buf b;
	int rc;

	if (!epcis__wants_xml(r)) {
		http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
		return http_reply_json(r, 200, doc);
	}
	pl_buf_init(&b, 64u << 20);
	rc = trace_doc_to_xml(doc, &b);
	json_decref(doc);
	if (rc) {
		pl_buf_release(&b);
		return http_fail(r, rc == PL_EUNSUPPORTED ? PL_EUNSUPPORTED : PL_EINTERNAL, NULL,
				 "these events cannot be written as XML: %s", pl_strerror(rc));
	}
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	size_t len = b.len;
	return http_reply_buf(r, 200, "application/xml", pl_buf_steal(&b), len);
}

/* RFC 7240 "Prefer: wait=N" (seconds): how long the client is willing to
 * wait for the job's outcome in the 202; 0 when absent or malformed (a
 * preference, so a bad one is ignored, as the RFC says). */
static int64_t epcis__prefer_wait_ms(struct http_req *r)
{
	const char *p = http_header(r, "Prefer"), *w;
	int64_t s = 0;

	if (!p || !(w = strstr(p, "wait=")))
		return 0;
	w += 5;
	while (*w >= '0' && *w <= '9' && s < 1000)
		s = s * 10 + (*w++ - '0');
	s *= 1000;
	return s > TRACE_WAIT_MAX_MS ? TRACE_WAIT_MAX_MS : s;
}

int http__h_epcis_capture(struct http_req *r)
{
	const char *ct = http_header(r, "Content-Type"), *tenant;
	const char *beh = http_header(r, "GS1-Capture-Error-Behaviour");
	struct store_conn *c = NULL;
	struct trace_errors errs;
	json_t *job = NULL;
	bool xml = epcis__is_xml(ct);
	int64_t wait_ms = epcis__prefer_wait_ms(r);
	int rc;

	trace_errors_init(&errs);
	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_CAPTURE, &tenant)))
		goto out;
	if (!xml && !epcis__is_json(ct)) {
		rc = http_fail(r, PL_EUNSUPPORTED, NULL, "Content-Type must be application/ld+json, "
			       "application/json or application/xml");
		goto out;
	}
	/* All or nothing is the only behaviour offered (OPTIONS-free: the 202
	 * says so in GS1-Capture-Error-Behaviour); "proceed" would store the
	 * valid part of a broken document, which the issue rules out. */
	if (beh && strcasecmp(beh, "rollback")) {
		rc = http_fail(r, PL_EUNSUPPORTED, "implementation-exception",
			       "ImplementationException: GS1-Capture-Error-Behaviour %.40s is not "
			       "supported; this repository only rolls back", beh);
		goto out;
	}
	/* Unreadable bodies get their answer now and no job; rule violations
	 * are the job's to report (queue.c). */
	rc = trace_doc_readable(r->body.data ? r->body.data : "", r->body.len, xml, &errs);
	if (rc) {
		rc = http_fail(r, rc, rc == PL_ETOOBIG ? "capture-too-large" : NULL,
			       "the document cannot be captured: %s",
			       errs.n ? errs.msg[0] : pl_strerror(rc));
		goto out;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = trace_repo_enqueue(c, tenant, r->principal.user_id[0] ? r->principal.user_id
								   : r->principal.token_id,
				r->body.data ? r->body.data : "", r->body.len, xml, &job);
	store_conn_put(c);
	c = NULL;
	if (rc) {
		rc = http_fail(r, rc, NULL, "the capture job cannot be stored: %s", pl_strerror(rc));
		goto out;
	}
	if (wait_ms > 0) {
		json_t *done = NULL;
		if (trace_repo_job_wait(r->srv->opt.store, tenant, pl_json_str(job, "captureID"),
					wait_ms, &done) == 0) {
			json_decref(job);
			job = done;
		}
	}
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/epcis/capture/%s",
						       pl_json_str(job, "captureID")));
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	http_header_add(r, "GS1-Capture-Error-Behaviour", "rollback");
	http_header_add(r, "GS1-EPCIS-Capture-Limit",
			pl_arena_printf(r->arena, "%d", TRACE_DOC_MAX_EVENTS));
	http_header_add(r, "GS1-EPCIS-Capture-File-Size-Limit",
			pl_arena_printf(r->arena, "%u", TRACE_DOC_MAX_BYTES));
	rc = http_reply_json(r, 202, job);
	job = NULL;
out:
	json_decref(job);
	store_conn_put(c);
	trace_errors_release(&errs);
	return rc;
}

int http__h_epcis_job(struct http_req *r)
{
	const char *tenant, *id = r->params[0];
	struct store_conn *c = NULL;
	json_t *job = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_CAPTURE, &tenant)))
		return rc;
	if (!pl_id_valid(id))
		return http_fail(r, PL_ENOTFOUND, NULL, "no capture job %.40s", id);
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = trace_repo_job_get(c, tenant, id, &job);
	store_conn_put(c);
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no capture job %.40s", id);
	if (rc)
		return http_fail(r, rc, NULL, "reading the capture job failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, job);
}

/* Percent-encodes s (RFC 3986 unreserved kept) onto b. */
static void epcis__urlenc(struct pl_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			pl_buf_append(b, p, 1);
		else
			pl_buf_printf(b, "%%%02X", *p);
	}
}

/* Runs params as an EPCIS query for tenant and replies with one page;
 * link_base is the path the next-page Link repeats with the URL's own
 * parameters (hq); query_name goes into the EPCISQueryDocument. */
static int epcis__run(struct http_req *r, const char *tenant,
		      const struct trace_query_param *params, size_t n,
		      const struct http_query *hq, const char *link_base, const char *query_name)
{
	struct trace_query q;
	struct trace_query_error qe = { .exception = NULL };
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	char next[TRACE_TOKEN_MAX];
	struct store_conn *c = NULL;
	json_t *events = NULL, *contexts = NULL;
	struct pl_buf link;
	int rc;

	pl_buf_init(&link, EPCIS_LINK_MAX);
	if ((rc = http_store_get(r, &c)) || (rc = trace_repo_token_key(c, key))) {
		if (rc != PL_EBUSY && c)
			rc = http_fail(r, rc, NULL, "reading the page-token key failed");
		goto out;
	}
	rc = trace_query_parse(params, n, key, r->arena, &q, &qe);
	if (rc) {
		rc = http_fail(r, rc, rc == PL_EUNSUPPORTED ? "implementation-exception"
							    : "query-parameter-exception",
			       "%s: %s", qe.exception ? qe.exception : "QueryParameterException",
			       qe.text);
		goto out;
	}
	rc = trace_repo_query(c, tenant, &q, key, r->arena, &events, &contexts, next);
	if (rc == PL_ETOOBIG) {
		rc = http_fail(r, rc, "query-too-large", "QueryTooLargeException: more than "
			       "maxEventCount=%lld events match", (long long)q.max_event_count);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "the query failed: %s", pl_strerror(rc));
		goto out;
	}
	store_conn_put(c);
	c = NULL;
	if ((rc = http__trace_audit_read(r, "trace.query", query_name)))
		goto out;
	if (next[0]) {
		pl_buf_printf(&link, "<%s?", link_base);
		for (size_t i = 0; i < hq->n; i++) {
			if (!strcmp(hq->pairs[i].key, "nextPageToken"))
				continue;
			epcis__urlenc(&link, hq->pairs[i].key);
			pl_buf_puts(&link, "=");
			epcis__urlenc(&link, hq->pairs[i].value);
			pl_buf_puts(&link, "&");
		}
		pl_buf_puts(&link, "nextPageToken=");
		epcis__urlenc(&link, next);
		if (pl_buf_puts(&link, ">; rel=\"next\"") == 0)
			http_header_add(r, "Link", link.data);
	}
	rc = epcis__reply_doc(r, trace_query_doc(events, contexts, query_name));
	events = contexts = NULL;
out:
	json_decref(events);
	json_decref(contexts);
	store_conn_put(c);
	pl_buf_release(&link);
	return rc;
}

int http__h_epcis_events(struct http_req *r)
{
	const struct http_query *hq;
	struct trace_query_param *params;
	const char *tenant;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_query_of(r, &hq)))
		return rc;
	params = pl_arena_alloc(r->arena, (hq->n ? hq->n : 1) * sizeof(*params));
	if (!params)
		return http_fail(r, PL_ETOOBIG, NULL, "query too large");
	for (size_t i = 0; i < hq->n; i++)
		params[i] = (struct trace_query_param){ hq->pairs[i].key, hq->pairs[i].value };
	return epcis__run(r, tenant, params, hq->n, hq, "/epcis/events", "SimpleEventQuery");
}

/* ------------------------------------------------------- named queries
 * (src/trace/named.c) Writes need trace.subscribe, reads trace.read; the
 * tenant is the owner: an enterprise's own queries, or the park's for
 * admins and auditors. */

static int epcis__named_fail(struct http_req *r, int rc, const char *name)
{
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, "no-such-name", "NoSuchNameException: no query %.64s", name);
	return http_fail(r, rc, NULL, "the named query failed: %s", pl_strerror(rc));
}

/* The start of a handler on the named query {name} of the path: the
 * caller's tenant for action, the name checked (an invalid one is 404 like
 * an unknown one) and a store connection in *c, which the caller puts back
 * (*c stays NULL on failure, with the problem recorded). */
static int epcis__named_open(struct http_req *r, enum auth_action action, const char *name,
			     const char **tenant, struct store_conn **c)
{
	int rc;

	if ((rc = http__trace_tenant(r, action, tenant)))
		return rc;
	if (!trace_query_name_valid(name))
		return epcis__named_fail(r, PL_ENOTFOUND, name);
	return http_store_get(r, c);
}

int http__h_epcis_queries_create(struct http_req *r)
{
	const char *tenant, *name = pl_json_str(r->json, "name");
	const json_t *def = json_object_get(r->json, "query");
	struct trace_query_error qe = { .exception = NULL };
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	struct store_conn *c = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_SUBSCRIBE, &tenant)))
		return rc;
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = trace_repo_token_key(c, key);
	if (rc == 0)
		rc = trace_named_create(c, tenant, r->principal.user_id[0] ? r->principal.user_id
									   : r->principal.token_id,
					name, def, key, &qe);
	store_conn_put(c);
	if (rc == PL_EEXIST)
		return http_fail(r, rc, "resource-already-exists",
				 "ResourceAlreadyExistsException: a query named %.64s exists", name);
	if (rc == PL_EINVAL || rc == PL_EUNSUPPORTED)
		return http_fail(r, rc, rc == PL_EUNSUPPORTED ? "implementation-exception"
							      : "query-parameter-exception",
				 "%s: %s", qe.exception ? qe.exception : "QueryParameterException",
				 qe.text);
	if (rc)
		return epcis__named_fail(r, rc, name);
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/epcis/queries/%s", name));
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	return http_reply_json(r, 201, json_pack("{s:s, s:O}", "name", name, "query", def));
}

int http__h_epcis_queries_list(struct http_req *r)
{
	const char *tenant;
	struct store_conn *c = NULL;
	json_t *list = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = trace_named_list(c, tenant, &list);
	store_conn_put(c);
	if (rc)
		return epcis__named_fail(r, rc, "");
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	return http_reply_json(r, 200, list);
}

int http__h_epcis_query_get(struct http_req *r)
{
	const char *tenant, *name = r->params[0];
	struct store_conn *c = NULL;
	json_t *q = NULL;
	int rc;

	if ((rc = epcis__named_open(r, AUTH_A_TRACE_READ, name, &tenant, &c)))
		return rc;
	rc = trace_named_get(c, tenant, name, &q);
	store_conn_put(c);
	if (rc)
		return epcis__named_fail(r, rc, name);
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	return http_reply_json(r, 200, q);
}

int http__h_epcis_query_delete(struct http_req *r)
{
	const char *tenant, *name = r->params[0];
	struct store_conn *c = NULL;
	int rc;

	if ((rc = epcis__named_open(r, AUTH_A_TRACE_SUBSCRIBE, name, &tenant, &c)))
		return rc;
	rc = trace_named_delete(c, tenant, name);
	store_conn_put(c);
	if (rc)
		return epcis__named_fail(r, rc, name);
	return http_reply_empty(r, 204);
}

/* GET /epcis/queries/{name}/events: the definition's parameters, then
 * the URL's perPage and nextPageToken (named.c note 2). */
int http__h_epcis_query_events(struct http_req *r)
{
	const char *tenant, *name = r->params[0];
	const struct http_query *hq;
	struct trace_query_param *params = NULL, *all;
	struct trace_query_error qe = { .exception = NULL };
	struct store_conn *c = NULL;
	json_t *q = NULL;
	size_t n = 0;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_query_of(r, &hq)))
		return rc;
	if (!trace_query_name_valid(name))
		return epcis__named_fail(r, PL_ENOTFOUND, name);
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = trace_named_get(c, tenant, name, &q);
	store_conn_put(c);
	if (rc)
		return epcis__named_fail(r, rc, name);
	rc = trace_named_params(json_object_get(q, "query"), r->arena, &params, &n, &qe);
	json_decref(q);
	if (rc)
		return http_fail(r, PL_EINTERNAL, NULL, "the stored query no longer parses: %s",
				 qe.text);
	all = pl_arena_alloc(r->arena, (n + hq->n + 1) * sizeof(*all));
	if (!all)
		return http_fail(r, PL_ETOOBIG, NULL, "query too large");
	if (n)
		memcpy(all, params, n * sizeof(*all));
	for (size_t i = 0; i < hq->n; i++) {
		if (strcmp(hq->pairs[i].key, "perPage") && strcmp(hq->pairs[i].key, "nextPageToken"))
			return http_fail(r, PL_EINVAL, "query-parameter-exception",
					 "QueryParameterException: %.64s: a named query takes only "
					 "perPage and nextPageToken in its URL", hq->pairs[i].key);
		all[n++] = (struct trace_query_param){ hq->pairs[i].key, hq->pairs[i].value };
	}
	return epcis__run(r, tenant, all, n, hq,
			  pl_arena_printf(r->arena, "/epcis/queries/%s/events", name), name);
}

int http__h_epcis_event(struct http_req *r)
{
	const char *tenant, *id = r->params[0];
	struct store_conn *c = NULL;
	json_t *ev = NULL, *contexts = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = trace_repo_event_get(c, tenant, id, &ev, &contexts);
	store_conn_put(c);
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no event %.120s", id);
	if (rc)
		return http_fail(r, rc, NULL, "reading the event failed: %s", pl_strerror(rc));
	if ((rc = http__trace_audit_read(r, "trace.query", id))) {
		json_decref(ev);
		json_decref(contexts);
		return rc;
	}
	json_t *list = json_array();
	json_array_append_new(list, ev);
	return epcis__reply_doc(r, trace_query_doc(list, contexts, "SimpleEventQuery"));
}

int http__h_epcis_event_types(struct http_req *r)
{
	static const char *const std[] = { "ObjectEvent", "AggregationEvent", "TransactionEvent",
					   "TransformationEvent", "AssociationEvent" };
	const char *tenant;
	struct store_conn *c = NULL;
	json_t *have = NULL, *out;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = trace_repo_event_types(c, tenant, &have);
	store_conn_put(c);
	if (rc)
		return http_fail(r, rc, NULL, "listing event types failed: %s", pl_strerror(rc));
	/* The five standard types are always queryable; extension types
	 * appear once an event of theirs is stored. */
	out = json_array();
	for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
		json_array_append_new(out, json_string(std[i]));
	for (size_t i = 0; i < json_array_size(have); i++) {
		const char *t = json_string_value(json_array_get(have, i));
		bool known = false;
		for (size_t j = 0; j < sizeof(std) / sizeof(std[0]); j++)
			known |= !strcmp(t, std[j]);
		if (!known)
			json_array_append_new(out, json_string(t));
	}
	json_decref(have);
	return http_reply_json(r, 200, json_pack("{s:o}", "eventTypes", out));
}

/* ------------------------------------------------------- subscriptions
 * (src/trace/subscribe.c) Writes need trace.subscribe, the list trace.read;
 * the subscription belongs to the query's owner. */

int http__h_epcis_subs_create(struct http_req *r)
{
	const char *tenant, *name = r->params[0];
	struct trace_query_error qe = { .exception = NULL };
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int rc;

	if ((rc = epcis__named_open(r, AUTH_A_TRACE_SUBSCRIBE, name, &tenant, &c)))
		return rc;
	rc = trace_sub_create(c, tenant, r->principal.user_id[0] ? r->principal.user_id
								  : r->principal.token_id,
			      name, r->json, &out, &qe);
	store_conn_put(c);
	if (rc == PL_EINVAL)
		return http_fail(r, rc, "subscription-controls-exception", "%s: %s",
				 qe.exception ? qe.exception : "SubscriptionControlsException", qe.text);
	if (rc)
		return epcis__named_fail(r, rc, name);
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/epcis/queries/%s/subscriptions/%s",
						       name, pl_json_str(out, "subscriptionID")));
	http_header_add(r, "GS1-EPCIS-Version", "2.0.0");
	return http_reply_json(r, 201, out);
}

int http__h_epcis_subs_list(struct http_req *r)
{
	const char *tenant, *name = r->params[0];
	struct store_conn *c = NULL;
	json_t *list = NULL;
	int rc;

	if ((rc = epcis__named_open(r, AUTH_A_TRACE_READ, name, &tenant, &c)))
		return rc;
	rc = trace_sub_list(c, tenant, name, &list);
	store_conn_put(c);
	if (rc)
		return epcis__named_fail(r, rc, name);
	return http_reply_json(r, 200, list);
}

int http__h_epcis_sub_delete(struct http_req *r)
{
	const char *tenant, *name = r->params[0], *id = r->params[1];
	struct store_conn *c = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_SUBSCRIBE, &tenant)))
		return rc;
	if (!trace_query_name_valid(name) || !pl_id_valid(id))
		return http_fail(r, PL_ENOTFOUND, NULL, "no such subscription");
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = trace_sub_delete(c, tenant, name, id);
	store_conn_put(c);
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no such subscription");
	if (rc)
		return epcis__named_fail(r, rc, name);
	return http_reply_empty(r, 204);
}
