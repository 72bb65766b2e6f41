/*
 * api_notify.c - the desk's notification endpoints (docs/notify.md):
 *
 *   GET  /api/v1/desk/notifications          the outbox with each row's
 *        state (desk.notify.read: park admins and auditors, park-wide)
 *   POST /api/v1/desk/inbound/sms/{provider}  an SMS gateway's inbound
 *        message webhook (public; authenticated by an HMAC-SHA256 of the raw
 *        body with the shared secret notify_inbound_sms_secret in
 *        X-Parkline-Signature: sha256=<hex>); provider "generic" is the
 *        JSON shape {message_id, from, text}.
 *
 * The webhook checks the signature over the raw bytes before it parses
 * anything, so a forged request costs one HMAC. A replay (same provider
 * and message_id) answers 200 with "duplicate" and changes nothing, so a
 * gateway's retries are harmless.
 */
#include "http/http_int.h"
#include "desk/notify.h"
#include "desk/repo.h"

#define NOTIFY_ARG_MAX 64

int http__h_notify_list(struct http_req *r)
{
	const struct http_query *q;
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int64_t limit, offset;
	int rc;

	if ((rc = http_query_of(r, &q)))
		return rc;
	for (size_t i = 0; i < q->n; i++) {
		const char *k = q->pairs[i].key;
		if (strcmp(k, "state") && strcmp(k, "request_id") && strcmp(k, "limit") &&
		    strcmp(k, "offset"))
			return http_fail(r, PL_EINVAL, "bad-query",
					 "unknown query parameter '%.60s'; known: state, "
					 "request_id, limit, offset", k);
		if (q->pairs[i].value_len > NOTIFY_ARG_MAX)
			return http_fail(r, PL_EINVAL, "bad-query",
					 "query parameter '%.60s' is longer than %d bytes", k,
					 NOTIFY_ARG_MAX);
	}
	if ((rc = http_query_int(r, "limit", 1, 500, 50, &limit)) ||
	    (rc = http_query_int(r, "offset", 0, 1000000, 0, &offset)))
		return rc;
	const char *state = http_query_get(q, "state");
	const char *req = http_query_get(q, "request_id");
	if (req && !pl_id_valid(req))
		return http_fail(r, PL_EINVAL, "bad-query", "request_id is not an id");
	if ((rc = http_store_get(r, &c)))
		return rc;
	rc = desk_outbox_list(c, state, req, limit, offset, &out);
	store_conn_put(c);
	if (rc == PL_EINVAL)
		return http_fail(r, rc, "bad-query",
				 "state must be one of pending, sending, sent, dead, skipped");
	if (rc)
		return http_fail(r, rc, NULL, "reading the outbox failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, out);
}

static const struct pl_json_field inbound_spec[] = {
	{ "message_id", PL_JT_STRING, true, 128 },
	{ "from", PL_JT_STRING, true, 40 },
	{ "text", PL_JT_STRING, true, 1000 },
	{ "received_at", PL_JT_STRING, false, 40 },
	{ NULL, 0, false, 0 },
};

int http__h_notify_inbound_sms(struct http_req *r)
{
	const struct desk_notify *n = r->srv->opt.notify;
	const char *secret = desk_notify_inbound_secret(n);
	const char *provider = r->params[0];
	struct store_conn *c = NULL;
	struct pl_json_error je = { .text = "" };
	json_t *body = NULL, *out = NULL;
	char err[400] = "";
	int rc;

	if (strcmp(provider, "generic"))
		return http_fail(r, PL_ENOTFOUND, NULL, "no inbound SMS provider '%.40s' (known: "
				 "generic)", provider);
	if (!r->srv->opt.desk || !*secret)
		return http_fail(r, PL_EBUSY, NULL, "inbound SMS is not configured on this server "
				 "(notify_inbound_sms_secret)");
	if (!desk_notify_hmac_verify(secret, r->body.data ? r->body.data : "", r->body.len,
				     http_header(r, "X-Parkline-Signature")))
		return http_fail(r, PL_EAUTH, NULL, "X-Parkline-Signature must be sha256=<hex "
				 "HMAC-SHA256 of the body with the shared secret>");
	if ((rc = pl_json_parse(r->body.data ? r->body.data : "", r->body.len, 4, &body, &je)))
		return http_fail(r, rc, NULL, "%s", je.text);
	if ((rc = pl_json_check(body, inbound_spec, &je))) {
		json_decref(body);
		return http_fail(r, rc, NULL, "%s", je.text);
	}
	if ((rc = http_store_begin(r, &c)))
		goto out;
	rc = desk_notify_inbound_sms(r->srv->opt.desk, c, provider,
				     pl_json_str(body, "message_id"), pl_json_str(body, "from"),
				     pl_json_str(body, "text"), pl_time_now_ms(), &out, err,
				     sizeof(err));
	if (rc == 0 && (rc = store_commit(c)))
		snprintf(err, sizeof(err), "committing failed: %s", pl_strerror(rc));
	if (rc) {
		store_rollback(c);
		rc = http_fail(r, rc, NULL, "%s", err[0] ? err : pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, out);
	out = NULL;
out:
	if (c)
		store_conn_put(c);
	json_decref(out);
	json_decref(body);
	return rc;
}
