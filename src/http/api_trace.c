/*
 * api_trace.c - genealogy and recall over the EPCIS store:
 *   GET /api/v1/trace/{code}/backward   where did this unit come from
 *   GET /api/v1/trace/{code}/forward    where did this lot/unit go
 *   GET /api/v1/trace/recall?code=...[&format=csv]
 *   POST /api/v1/trace/parties          register a GLN as an enterprise's
 *   GET /api/v1/trace/parties           the GLNs the caller may see
 * (the parties make both sides of a shipment see it: src/trace/party.c)
 * The walk itself is src/trace/genealogy.c (its design notes say how trays
 * and time windows are handled). {code} is any identifier trace_id_parse
 * accepts; since path segments cannot hold '/', Digital Links go as EPC
 * URNs (urn:epc:id:sgtin:...) here, or as ?code= on the recall.
 * Enterprises walk their own events; park admins and auditors walk all,
 * and each auditor walk or recall is written to the audit log.
 */
#include "http/http_int.h"
#include "trace/trace.h"

#include <string.h>

#define TRACE_CSV_MAX (64u << 20) /* a recall as CSV: bounded by the walk's node cap */

static int trace__walk(struct http_req *r, enum trace_walk_dir dir)
{
	const char *tenant, *code = r->params[0];
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = trace_walk(c, tenant, code, dir, &out);
	store_conn_put(c);
	if (rc == PL_EINVAL)
		return http_fail(r, rc, NULL, "'%.200s' is not a valid identifier (check digit, "
				 "syntax)", code);
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no event names %.200s", code);
	if (rc)
		return http_fail(r, rc, NULL, "the trace failed: %s", pl_strerror(rc));
	if ((rc = http__trace_audit_read(r, "trace.walk", code))) {
		json_decref(out);
		return rc;
	}
	return http_reply_json(r, 200, out);
}

int http__h_trace_backward(struct http_req *r)
{
	return trace__walk(r, TRACE_WALK_BACKWARD);
}

int http__h_trace_forward(struct http_req *r)
{
	return trace__walk(r, TRACE_WALK_FORWARD);
}

/* One CSV field (RFC 4180 quoting). */
static void trace__csv(struct pl_buf *b, const char *s, bool last)
{
	pl_buf_puts(b, "\"");
	for (const char *p = s ? s : ""; *p; p++)
		if (*p == '"')
			pl_buf_puts(b, "\"\"");
		else
			pl_buf_append(b, p, 1);
	pl_buf_puts(b, last ? "\"\r\n" : "\",");
}

int http__h_trace_recall(struct http_req *r)
{
	const struct http_query *q;
	const char *tenant, *code, *format;
	struct store_conn *c = NULL;
	json_t *out = NULL;
	struct pl_buf csv;
	int rc;

	pl_buf_init(&csv, TRACE_CSV_MAX);
	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_query_of(r, &q)))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, "code") && strcmp(q->pairs[i].key, "format")) {
			rc = http_fail(r, PL_EINVAL, "bad-query", "unknown query parameter '%.60s'; "
				       "known: code, format", q->pairs[i].key);
			goto out;
		}
	code = http_query_get(q, "code");
	format = http_query_get(q, "format");
	if (!code || !*code) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "query parameter 'code' is required: "
			       "the lot or unit to recall");
		goto out;
	}
	if (format && strcmp(format, "json") && strcmp(format, "csv")) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "query parameter 'format' must be json "
			       "or csv");
		goto out;
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = trace_recall(c, tenant, code, &out);
	store_conn_put(c);
	c = NULL;
	if (rc == PL_ENOTFOUND) {
		/* Nothing recorded about the code: an empty recall, not an
		 * error (a regulator asking must get an answer). */
		rc = 0;
		out = json_pack("{s:s, s:i, s:[], s:{}, s:b}", "root", code, "total", 0, "units",
				"by_location", "truncated", 0);
	}
	if (rc == PL_EINVAL) {
		rc = http_fail(r, rc, NULL, "field 'code': '%.200s' is not a valid identifier",
			       code);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "the recall failed: %s", pl_strerror(rc));
		goto out;
	}
	if ((rc = http__trace_audit_read(r, "trace.recall", code)))
		goto out;
	if (!format || !strcmp(format, "json")) {
		rc = http_reply_json(r, 200, out);
		out = NULL;
		goto out;
	}
	pl_buf_puts(&csv, "id,label,location,location_time,disposition,disposition_time\r\n");
	json_t *units = json_object_get(out, "units");
	for (size_t i = 0; i < json_array_size(units); i++) {
		const json_t *u = json_array_get(units, i);
		trace__csv(&csv, pl_json_str(u, "id"), false);
		trace__csv(&csv, pl_json_str(u, "label"), false);
		trace__csv(&csv, pl_json_str(u, "location"), false);
		trace__csv(&csv, pl_json_str(u, "location_time"), false);
		trace__csv(&csv, pl_json_str(u, "disposition"), false);
		trace__csv(&csv, pl_json_str(u, "disposition_time"), true);
	}
	if (csv.len >= TRACE_CSV_MAX) {
		rc = http_fail(r, PL_ETOOBIG, NULL, "the recall is too large for CSV");
		goto out;
	}
	http_header_add(r, "Content-Disposition", "attachment; filename=\"recall.csv\"");
	size_t len = csv.len;
	rc = http_reply_buf(r, 200, "text/csv; charset=utf-8", pl_buf_steal(&csv), len);
out:
	json_decref(out);
	store_conn_put(c);
	pl_buf_release(&csv);
	return rc;
}

/* POST /api/v1/trace/parties {enterprise_id, gln}: the park admin vouches
 * that a GLN is this enterprise's (enterprise.create: admin only, since a
 * GLN grants sight of every shipment naming it); audited. */
int http__h_trace_party_add(struct http_req *r)
{
	const char *ent = pl_json_str(r->json, "enterprise_id"), *gln = pl_json_str(r->json, "gln");
	char canon[TRACE_ID_MAX];
	struct store_conn *c = NULL;
	struct store_audit a;
	json_t *row = NULL, *after = NULL;
	int rc;

	if ((rc = http_store_begin(r, &c)))
		return rc;
	struct store_param pe[] = { SP_TEXT(ent) };
	rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", pe, 1, &row);
	json_decref(row);
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, PL_EINVAL, NULL, "field 'enterprise_id': no such enterprise");
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the enterprise failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = trace_party_add(c, ent, gln, canon);
	if (rc == PL_EINVAL) {
		rc = http_fail(r, rc, NULL, "field 'gln': a PGLN or SGLN (EPC URN or GS1 Digital "
			       "Link with a valid check digit)");
		goto out;
	}
	if (rc == PL_EEXIST) {
		rc = http_fail(r, rc, NULL, "field 'gln': %s belongs to another enterprise", canon);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "registering the GLN failed: %s", pl_strerror(rc));
		goto out;
	}
	after = json_pack("{s:s, s:s}", "gln", canon, "enterprise_id", ent);
	memset(&a, 0, sizeof(a));
	http_audit_from(r, &a);
	a.action = "trace.party.add";
	a.entity = "trace_party";
	a.entity_id = canon;
	a.after = after;
	if ((rc = store_audit(c, &a)) || (rc = store_commit(c))) {
		rc = http_fail(r, rc, NULL, "registering the GLN failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 201, after);
	after = NULL;
out:
	if (c && rc)
		store_rollback(c); /* a rejected request changes nothing */
	json_decref(after);
	store_conn_put(c);
	return rc;
}

/* GET /api/v1/trace/parties: an enterprise sees its own GLNs; park admins
 * and auditors all (trace.read). */
int http__h_trace_party_list(struct http_req *r)
{
	const char *tenant;
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int rc;

	if ((rc = http__trace_tenant(r, AUTH_A_TRACE_READ, &tenant)) ||
	    (rc = http_store_get(r, &c)))
		return rc;
	rc = trace_party_list(c, tenant, &out);
	store_conn_put(c);
	if (rc)
		return http_fail(r, rc, NULL, "listing GLNs failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, out);
}
