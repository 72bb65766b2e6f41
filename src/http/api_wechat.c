/*
 * api_wechat.c - the WeChat Official Account callback and its bindings
 * (owner: helper "desk-wechat"; docs/desk.md "WeChat callback"):
 *
 *   GET  /api/v1/desk/inbound/wechat   URL verification: echoes echostr
 *        when the signature checks (encrypted mode: msg_signature over the
 *        encrypted echostr, answered decrypted)
 *   POST /api/v1/desk/inbound/wechat   messages, plain or safe mode
 *        (encrypt_type=aes); a text from a bound OpenID opens or extends a
 *        wechat request (src/desk/wechat_repo.c)
 *   POST|GET /api/v1/desk/wechat-bindings, DELETE .../{openid}: which
 *        OpenID is which enterprise contact (enterprise.update: park admins
 *        for any enterprise, enterprise users for their own)
 *
 * Both callback routes are public: WeChat authenticates with the SHA-1
 * signature over our shared token, checked (constant time) before the body
 * is parsed, and with the timestamp, which must be within
 * DESK_WECHAT_WINDOW_S of our clock, so a captured request cannot be
 * replayed later; inside the window the MsgId dedupe catches it. WeChat
 * gives up after 5 s and retries, so the handler does one short
 * transaction and answers "success" (or a passive text reply, encrypted in
 * safe mode); it never calls out to anything.
 */
#include "http/http_int.h"
#include "desk/wechat_repo.h"

#include <inttypes.h>

#define WECHAT_BIND_REPLY "您好，这个微信号还没有绑定园区企业联系人，暂时无法受理。请联系您企业的服务专员或园区管理员完成绑定。"

/* The callback's settings, or a 503 problem when the server has none. */
static int wechat__cfg(struct http_req *r, const struct desk_wechat_cfg **out)
{
	*out = r->srv->opt.wechat;
	if (!*out || !r->srv->opt.desk)
		return http_fail(r, PL_EBUSY, NULL, "the WeChat callback is not configured on "
				 "this server (wechat_token, wechat_aes_key, wechat_appid)");
	return 0;
}

/* The query's timestamp and nonce, checked fresh; 0 or the problem's code. */
static int wechat__stamp(struct http_req *r, const struct http_query *q, const char **ts,
			 const char **nonce)
{
	*ts = http_query_get(q, "timestamp");
	*nonce = http_query_get(q, "nonce");
	if (!*ts || !*nonce || !**nonce || strlen(*nonce) > 64)
		return http_fail(r, PL_EINVAL, "bad-query", "timestamp and nonce (1 to 64 bytes) "
				 "are required");
	int rc = desk_wechat_fresh(*ts, pl_time_now_ms(), DESK_WECHAT_WINDOW_S);
	if (rc == PL_EINVAL)
		return http_fail(r, rc, "bad-query", "timestamp must be decimal seconds");
	if (rc)
		return http_fail(r, PL_EAUTH, NULL, "timestamp is more than %d s away from our "
				 "clock (stale or replayed)", DESK_WECHAT_WINDOW_S);
	return 0;
}

int http__h_wechat_verify(struct http_req *r)
{
	const struct desk_wechat_cfg *cfg;
	const struct http_query *q;
	const char *ts, *nonce, *echo, *sig, *msig;
	char *plain = NULL;
	size_t len = 0;
	int rc;

	if ((rc = wechat__cfg(r, &cfg)) || (rc = http_query_of(r, &q)) ||
	    (rc = wechat__stamp(r, q, &ts, &nonce)))
		return rc;
	echo = http_query_get(q, "echostr");
	sig = http_query_get(q, "signature");
	msig = http_query_get(q, "msg_signature");
	if (!echo || !*echo)
		return http_fail(r, PL_EINVAL, "bad-query", "echostr is required");
	if (msig) {
		/* encrypted verification: the signature covers the ciphertext,
		 * and WeChat wants the plaintext back, nothing around it */
		if (!cfg->encrypted)
			return http_fail(r, PL_EINVAL, "bad-query", "msg_signature given but no "
					 "wechat_aes_key is configured");
		if (desk_wechat_verify(cfg->token, ts, nonce, echo, msig))
			return http_fail(r, PL_EAUTH, NULL, "msg_signature does not match");
		if ((rc = desk_wechat_decrypt(&cfg->crypto, echo, &plain, &len)))
			return http_fail(r, PL_EAUTH, NULL, "echostr does not decrypt with our key "
					 "and AppID");
		return http_reply_buf(r, 200, "text/plain; charset=utf-8", plain, len);
	}
	if (!sig || desk_wechat_verify(cfg->token, ts, nonce, NULL, sig))
		return http_fail(r, PL_EAUTH, NULL, "signature does not match");
	size_t n = strlen(echo);
	char *copy = malloc(n + 1);
	if (!copy)
		return http_fail(r, PL_EINTERNAL, NULL, "out of memory");
	memcpy(copy, echo, n + 1);
	return http_reply_buf(r, 200, "text/plain; charset=utf-8", copy, n);
}

/* The passive text reply for m's sender, as XML; in safe mode wrapped in
 * the encrypted envelope with its own msg_signature. *out malloc'd; PL_EINVAL
 * when a name would break out of CDATA (then answer "success"). */
static int wechat__reply(const struct desk_wechat_cfg *cfg, bool safe,
			 const struct desk_wechat_msg *m, const char *text, const char *nonce,
			 char **out)
{
	struct pl_buf b;
	char ts[24], sig[DESK_WECHAT_SIG_LEN + 1];
	uint8_t rnd[16];
	char *enc = NULL;
	int rc = 0;

	*out = NULL;
	if (!m->from_user || !m->to_user || strstr(m->from_user, "]]>") ||
	    strstr(m->to_user, "]]>"))
		return PL_EINVAL;
	snprintf(ts, sizeof(ts), "%" PRId64, pl_time_now_ms() / 1000);
	pl_buf_init(&b, 8192);
	rc = pl_buf_printf(&b, "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]>"
		      "</FromUserName><CreateTime>%s</CreateTime><MsgType><![CDATA[text]]>"
		      "</MsgType><Content><![CDATA[%s]]></Content></xml>", m->from_user,
		      m->to_user, ts, text);
	if (rc)
		goto out;
	if (!safe) {
		*out = pl_buf_steal(&b);
		goto out;
	}
	pl_random(rnd, sizeof(rnd));
	if ((rc = desk_wechat_encrypt(&cfg->crypto, rnd, b.data, b.len, &enc)) ||
	    (rc = desk_wechat_sign(cfg->token, ts, nonce, enc, sig)))
		goto out;
	pl_buf_clear(&b);
	if ((rc = pl_buf_printf(&b, "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]>"
		      "</MsgSignature><TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>",
		      enc, sig, ts, nonce)))
		goto out;
	*out = pl_buf_steal(&b);
out:
	free(enc);
	pl_buf_release(&b);
	return *out ? 0 : (rc ? rc : PL_EINTERNAL);
}

int http__h_wechat_inbound(struct http_req *r)
{
	const struct desk_wechat_cfg *cfg;
	const struct http_query *q;
	const char *ts, *nonce, *sig, *msig, *etype, *result = NULL;
	struct desk_wechat_msg env = { 0 }, m = { 0 };
	struct store_conn *c = NULL;
	char key[160], req[PL_ID_LEN + 1], err[400] = "", *plain = NULL, *reply = NULL;
	size_t plen = 0;
	bool safe;
	int rc;

	if ((rc = wechat__cfg(r, &cfg)) || (rc = http_query_of(r, &q)) ||
	    (rc = wechat__stamp(r, q, &ts, &nonce)))
		return rc;
	sig = http_query_get(q, "signature");
	msig = http_query_get(q, "msg_signature");
	etype = http_query_get(q, "encrypt_type");
	safe = etype && !strcmp(etype, "aes");
	if (etype && !safe && strcmp(etype, "raw"))
		return http_fail(r, PL_EINVAL, "bad-query", "encrypt_type must be aes or raw");
	if (safe && !cfg->encrypted)
		return http_fail(r, PL_EINVAL, "bad-query", "encrypt_type=aes but no "
				 "wechat_aes_key is configured");
	/* the plain signature covers only token, timestamp and nonce; WeChat
	 * sends it in every mode, and it is all we get in plain mode */
	if (!sig || desk_wechat_verify(cfg->token, ts, nonce, NULL, sig))
		return http_fail(r, PL_EAUTH, NULL, "signature does not match");
	if ((rc = desk_wechat_parse(r->body.data ? r->body.data : "", r->body.len, &env, err,
				    sizeof(err))))
		return http_fail(r, rc, NULL, "%s", err);
	if (safe) {
		if (!env.encrypt) {
			rc = http_fail(r, PL_EINVAL, NULL, "encrypt_type=aes needs <Encrypt>");
			goto out;
		}
		if (!msig || desk_wechat_verify(cfg->token, ts, nonce, env.encrypt, msig)) {
			rc = http_fail(r, PL_EAUTH, NULL, "msg_signature does not match");
			goto out;
		}
		if ((rc = desk_wechat_decrypt(&cfg->crypto, env.encrypt, &plain, &plen))) {
			rc = http_fail(r, PL_EAUTH, NULL, "<Encrypt> does not decrypt with our key "
				       "and AppID");
			goto out;
		}
		if ((rc = desk_wechat_parse(plain, plen, &m, err, sizeof(err)))) {
			rc = http_fail(r, rc, NULL, "decrypted message: %s", err);
			goto out;
		}
	} else {
		if (!env.from_user) {
			rc = http_fail(r, PL_EINVAL, NULL, "an encrypted envelope needs "
				       "encrypt_type=aes and msg_signature");
			goto out;
		}
		m = env; /* moved: env is released once, through m */
		memset(&env, 0, sizeof(env));
	}
	if (desk_wechat_dedupe_key(&m, key, sizeof(key))) {
		rc = http_fail(r, PL_EINVAL, NULL, "the message has neither MsgId nor an event "
			       "with CreateTime");
		goto out;
	}
	if ((rc = http_store_begin(r, &c)))
		goto out;
	rc = desk_wechat_inbound(r->srv->opt.desk, c, &m, key, pl_time_now_ms(), &result, req,
				 err, sizeof(err));
	if (rc == 0 && (rc = store_commit(c)))
		snprintf(err, sizeof(err), "committing failed: %s", pl_strerror(rc));
	if (rc == PL_EEXIST) {
		/* a retry raced us to the dedupe key: the first one did the work */
		store_rollback(c);
		result = "duplicate";
		rc = 0;
	}
	if (rc) {
		store_rollback(c);
		/* not "success": WeChat retries, and the dedupe key makes that safe */
		rc = http_fail(r, rc, NULL, "%s", err[0] ? err : pl_strerror(rc));
		goto out;
	}
	http_header_add(r, "X-Parkline-WeChat-Result", result);
	if (!strcmp(result, "unbound") &&
	    wechat__reply(cfg, safe, &m, WECHAT_BIND_REPLY, nonce, &reply) == 0) {
		rc = http_reply_buf(r, 200, "application/xml; charset=utf-8", reply, strlen(reply));
		reply = NULL;
		goto out;
	}
	char *ok = malloc(8);
	if (!ok) {
		rc = http_fail(r, PL_EINTERNAL, NULL, "out of memory");
		goto out;
	}
	memcpy(ok, "success", 8);
	rc = http_reply_buf(r, 200, "text/plain; charset=utf-8", ok, 7);
out:
	if (c)
		store_conn_put(c);
	free(reply);
	free(plain);
	desk_wechat_msg_release(&env);
	desk_wechat_msg_release(&m);
	return rc;
}

/* ------------------------------------------------------------ bindings */

/* Whether the caller may do enterprise.update on enterprise id: 0,
 * PL_ENOTFOUND (unknown, or another tenant's: the same answer),
 * PL_EFORBIDDEN, PL_EDB. Records no problem: callers word it. */
static int wechat__may(struct http_req *r, struct store_conn *c, const char *id)
{
	struct auth_target t;
	json_t *e = NULL;
	int rc;

	if (!id || !pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param p[] = { SP_TEXT(id) };
	if ((rc = store_query_one(c, "SELECT id FROM enterprises WHERE id = ?", p, 1, &e)))
		return rc;
	json_decref(e);
	if ((rc = auth_target_for(c, &r->principal, id, &t)))
		return rc;
	return auth_authorize(&r->principal, AUTH_A_ENTERPRISE_UPDATE, &t);
}

/* wechat__may with the problem recorded, naming the enterprise asked for. */
static int wechat__authorize(struct http_req *r, struct store_conn *c, const char *id)
{
	int rc = wechat__may(r, c, id);
	if (rc == 0)
		return 0;
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no enterprise %.40s", id ? id : "");
	if (rc == PL_EFORBIDDEN)
		return http_fail(r, rc, NULL, "you may not manage this enterprise's WeChat bindings");
	return http_fail(r, rc, NULL, "checking the enterprise failed: %s", pl_strerror(rc));
}

/* The enterprise a bindings call is about: the body's or query's, else
 * the caller's own. */
static const char *wechat__ent(struct http_req *r, const char *given)
{
	if (given && *given)
		return given;
	return r->principal.enterprise_id[0] ? r->principal.enterprise_id : NULL;
}

int http__h_wechat_bind_create(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *out = NULL;
	char err[400] = "";
	int rc;
	const char *ent = wechat__ent(r, pl_json_str(r->json, "enterprise_id"));

	if (!ent)
		return http_fail(r, PL_EINVAL, NULL, "field 'enterprise_id' is required");
	if ((rc = http_text_check(r, "contact_name", pl_json_str(r->json, "contact_name"))))
		return rc;
	if ((rc = http_store_begin(r, &c)))
		return rc;
	if ((rc = wechat__authorize(r, c, ent)))
		goto out;
	struct desk_actor a = { .p = &r->principal, .request_id = r->request_id, .ip = r->ip };
	rc = desk_wechat_bind(c, &a, pl_json_str(r->json, "openid"), ent,
			      pl_json_str(r->json, "contact_name"), pl_time_now_ms(), &out, err,
			      sizeof(err));
	rc = http_store_finish(r, c, rc, 201, out, err);
out:
	if (c)
		store_conn_put(c);
	return rc;
}

int http__h_wechat_bind_list(struct http_req *r)
{
	static const char *const known[] = { "enterprise_id", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	json_t *out = NULL;
	int rc;

	if ((rc = http_query_known(r, known, "enterprise_id", PL_ID_LEN)) ||
	    (rc = http_query_of(r, &q)))
		return rc;
	const char *ent = wechat__ent(r, http_query_get(q, "enterprise_id"));
	if (!ent && r->principal.role != AUTH_ROLE_PARK_ADMIN)
		return http_fail(r, PL_EINVAL, "bad-query", "enterprise_id is required");
	if ((rc = http_store_get(r, &c)))
		return rc;
	if (ent && (rc = wechat__authorize(r, c, ent)))
		goto out;
	rc = desk_wechat_bindings(c, ent, &out);
	rc = http_store_finish(r, c, rc, 200, out, "reading the WeChat bindings failed");
out:
	if (c)
		store_conn_put(c);
	return rc;
}

int http__h_wechat_bind_delete(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *b = NULL;
	int rc;

	if ((rc = http_store_begin(r, &c)))
		return rc;
	rc = desk_wechat_binding_get(c, r->params[0], &b);
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "no WeChat binding for openid %.64s", r->params[0]);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the binding failed: %s", pl_strerror(rc));
		goto out;
	}
	/* another tenant's binding is a 404 that names nothing of theirs */
	if ((rc = wechat__may(r, c, pl_json_str(b, "enterprise_id")))) {
		if (rc == PL_ENOTFOUND)
			rc = http_fail(r, rc, NULL, "no WeChat binding for openid %.64s", r->params[0]);
		else if (rc == PL_EFORBIDDEN)
			rc = http_fail(r, rc, NULL, "you may not remove this binding");
		else
			rc = http_fail(r, rc, NULL, "checking the enterprise failed: %s",
				       pl_strerror(rc));
		goto out;
	}
	struct desk_actor a = { .p = &r->principal, .request_id = r->request_id, .ip = r->ip };
	rc = desk_wechat_unbind(c, &a, r->params[0]);
	if (rc == 0 && (rc = store_commit(c)) == 0) {
		rc = http_reply_empty(r, 204);
		goto out;
	}
	store_rollback(c);
	rc = http_fail(r, rc, NULL, "removing the binding failed: %s", pl_strerror(rc));
out:
	json_decref(b);
	if (c)
		store_conn_put(c);
	return rc;
}
