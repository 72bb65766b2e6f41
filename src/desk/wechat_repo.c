/*
 * wechat_repo.c - what a WeChat Official Account message does to the desk
 * (owner: helper "desk-wechat"; contract in wechat_repo.h, design in
 * docs/desk.md "WeChat callback"). An OpenID is bound to one enterprise
 * contact (wechat_bindings, migration 15); a text message from it opens a
 * wechat request for that enterprise, or, when the enterprise has an open
 * wechat request raised in the last 24 hours, becomes a history note on
 * it, so one conversation is one request. Every handled message's dedupe
 * key (MsgId, or sender + CreateTime for events) is kept in wechat_inbound
 * in the same transaction, which makes WeChat's three retries harmless.
 * Unbound senders leave no trace: we have no enterprise to charge it to,
 * and an OpenID alone is personal data we have no reason to keep.
 */
#include "desk/wechat_repo.h"
#include "desk/repo_int.h"

#include <string.h>

#define WECHAT_BIND_COLS "openid, enterprise_id, contact_name, created_by, created_at"

int desk_wechat_cfg_init(struct desk_wechat_cfg *cfg, const char *token, const char *aes_key,
			 const char *appid, char *why, size_t whysz)
{
	size_t n = token ? strlen(token) : 0;

	memset(cfg, 0, sizeof(*cfg));
	if (n == 0 || n > DESK_WECHAT_TOKEN_MAX) {
		snprintf(why, whysz, "wechat_token must be 1 to %d characters",
			 DESK_WECHAT_TOKEN_MAX);
		return PL_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (token[i] <= 0x20 || token[i] >= 0x7f) {
			snprintf(why, whysz, "wechat_token must be printable ASCII without spaces");
			return PL_EINVAL;
		}
	}
	pl_strlcpy(cfg->token, token, sizeof(cfg->token));
	if (!aes_key || !*aes_key)
		return 0;
	if (!appid || !*appid) {
		snprintf(why, whysz, "wechat_aes_key needs wechat_appid (the receive_id checked in "
			 "every decrypted message)");
		return PL_EINVAL;
	}
	if (desk_wechat_crypto_init(&cfg->crypto, aes_key, appid)) {
		snprintf(why, whysz, "wechat_aes_key must be the 43-character EncodingAESKey and "
			 "wechat_appid at most %d bytes", DESK_WECHAT_ID_MAX);
		return PL_EINVAL;
	}
	cfg->encrypted = true;
	return 0;
}

/* A request title from a message: the first line, at most 60 bytes, cut
 * on a UTF-8 character boundary. */
static void wechat__title(const char *text, char *out, size_t outsz)
{
	size_t n = strcspn(text, "\r\n");
	if (n > 60)
		n = 60;
	while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
		n--;
	if (n + 1 > outsz)
		n = outsz - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

/* Text we accept into a request: 1..DESK_DESCRIPTION_MAX bytes, not all
 * blank, no control characters but tab and line breaks. */
static bool wechat__text_ok(const char *t)
{
	bool blank = true;
	if (!t || !*t || strlen(t) > DESK_DESCRIPTION_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			return false;
		blank &= *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t';
	}
	return !blank;
}

int desk_wechat_inbound(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_wechat_msg *m, const char *key, int64_t now_ms,
			const char **result, char req_id[PL_ID_LEN + 1], char *err,
			size_t errsz)
{
	json_t *bind = NULL, *prev = NULL, *open = NULL, *made = NULL;
	char now[PL_TIME_STRLEN], since[PL_TIME_STRLEN], title[80];
	const char *ent;
	int rc;

	*result = "unbound";
	req_id[0] = '\0';
	err[0] = '\0';
	if (!m->from_user || !*m->from_user || strlen(m->from_user) > DESK_WECHAT_OPENID_MAX) {
		snprintf(err, errsz, "FromUserName must be 1 to %d bytes", DESK_WECHAT_OPENID_MAX);
		return PL_EINVAL;
	}
	if ((rc = desk_wechat_binding_get(c, m->from_user, &bind))) {
		if (rc == PL_ENOTFOUND)
			rc = 0; /* unbound: store nothing */
		goto out;
	}
	ent = pl_json_str(bind, "enterprise_id");
	struct store_param d[] = { SP_TEXT(key) };
	rc = store_query_one(c, "SELECT result, request_id FROM wechat_inbound WHERE "
			     "dedupe_key = ?", d, 1, &prev);
	if (rc == 0) {
		*result = "duplicate";
		if (pl_json_str(prev, "request_id"))
			pl_strlcpy(req_id, pl_json_str(prev, "request_id"), PL_ID_LEN + 1);
		goto out;
	}
	if (rc != PL_ENOTFOUND)
		goto out;
	rc = 0;
	pl_time_format(now_ms, now);
	if (!m->msg_type || strcmp(m->msg_type, "text") || !wechat__text_ok(m->content)) {
		*result = "ignored"; /* images, events...: the specialist calls back */
	} else {
		pl_time_format(now_ms - 24 * 3600 * 1000LL, since);
		struct store_param o[] = { SP_TEXT(ent), SP_TEXT(since) };
		rc = store_query_one(c, "SELECT id, state FROM requests WHERE enterprise_id = ? AND "
				     "channel = 'wechat' AND created_at >= ? AND state NOT IN "
				     "('resolved', 'rated', 'closed') ORDER BY created_at DESC, id DESC "
				     "LIMIT 1", o, 2, &open);
		if (rc == 0) {
			/* the conversation goes on: a note on the open request, in
			 * the contact's name, state unchanged */
			struct desk_actor sys = { 0 };
			const char *st = pl_json_str(open, "state");
			char note[DESK_NOTE_MAX + 200];
			snprintf(note, sizeof(note), "%s: %s", pl_json_str(bind, "contact_name"),
				 m->content);
			pl_strlcpy(req_id, pl_json_str(open, "id"), PL_ID_LEN + 1);
			if ((rc = desk__event(c, &sys, req_id, now, "wechat_message", st, st, note)))
				goto out;
			*result = "appended";
		} else if (rc == PL_ENOTFOUND) {
			struct desk_err de = { .text = "" };
			wechat__title(m->content, title, sizeof(title));
			struct desk_request_new in = {
				.enterprise_id = ent, .channel = "wechat", .category = "consult",
				.urgency = "normal", .title = title[0] ? title : "微信留言",
				.description = m->content,
			};
			if ((rc = desk_request_create(svc, c, NULL, &in, now_ms, &made, &de))) {
				snprintf(err, errsz, "%s", de.text);
				goto out;
			}
			pl_strlcpy(req_id, pl_json_str(made, "id"), PL_ID_LEN + 1);
			*result = "created";
		} else {
			goto out;
		}
	}
	struct store_param p[] = {
		SP_TEXT(key), SP_TEXT(m->from_user), SP_TEXT(ent),
		SP_TEXT(req_id[0] ? req_id : NULL), SP_TEXT(*result), SP_TEXT(now),
	};
	rc = store_exec(c, "INSERT INTO wechat_inbound (dedupe_key, openid, enterprise_id, "
			"request_id, result, received_at) VALUES (?, ?, ?, ?, ?, ?)", p,
			STORE_NP(p), NULL);
out:
	if (rc && !err[0])
		snprintf(err, errsz, "recording the WeChat message failed: %s", pl_strerror(rc));
	json_decref(bind);
	json_decref(prev);
	json_decref(open);
	json_decref(made);
	return rc;
}

int desk_wechat_binding_get(struct store_conn *c, const char *openid, json_t **out)
{
	struct store_param p[] = { SP_TEXT(openid) };
	return store_query_one(c, "SELECT " WECHAT_BIND_COLS " FROM wechat_bindings WHERE "
			       "openid = ?", p, 1, out);
}

int desk_wechat_bind(struct store_conn *c, const struct desk_actor *a, const char *openid,
		     const char *enterprise_id, const char *contact_name, int64_t now_ms,
		     json_t **out, char *err, size_t errsz)
{
	char now[PL_TIME_STRLEN];
	json_t *old = NULL;
	int rc;

	*out = NULL;
	err[0] = '\0';
	size_t n = openid ? strlen(openid) : 0;
	if (n == 0 || n > DESK_WECHAT_OPENID_MAX) {
		snprintf(err, errsz, "field 'openid' must be 1 to %d bytes", DESK_WECHAT_OPENID_MAX);
		return PL_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = openid[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '_')) {
			snprintf(err, errsz, "field 'openid' may hold only letters, digits, '-' "
				 "and '_'");
			return PL_EINVAL;
		}
	}
	if (!wechat__text_ok(contact_name) || strlen(contact_name) > DESK_WECHAT_CONTACT_MAX ||
	    strpbrk(contact_name, "\r\n\t")) {
		snprintf(err, errsz, "field 'contact_name' must be 1 to %d bytes on one line",
			 DESK_WECHAT_CONTACT_MAX);
		return PL_EINVAL;
	}
	rc = desk_wechat_binding_get(c, openid, &old);
	json_decref(old);
	if (rc == 0) {
		snprintf(err, errsz, "openid '%s' is bound already; delete that binding first",
			 openid);
		return PL_ECONFLICT;
	}
	if (rc != PL_ENOTFOUND)
		return rc;
	pl_time_format(now_ms, now);
	const char *by = a && a->p && a->p->user_id[0] ? a->p->user_id : NULL;
	struct store_param p[] = {
		SP_TEXT(openid), SP_TEXT(enterprise_id), SP_TEXT(contact_name),
		SP_TEXT(by), SP_TEXT(now),
	};
	if ((rc = store_exec(c, "INSERT INTO wechat_bindings (" WECHAT_BIND_COLS ") VALUES "
			     "(?, ?, ?, ?, ?)", p, STORE_NP(p), NULL)))
		return rc;
	if ((rc = desk_wechat_binding_get(c, openid, out)))
		return rc;
	rc = desk__audit(c, a, "desk.wechat.bind", "wechat_binding", openid, enterprise_id, NULL,
			 *out);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int desk_wechat_bindings(struct store_conn *c, const char *enterprise_id, json_t **out)
{
	json_t *items = NULL;
	int rc;

	*out = NULL;
	struct store_param p[] = { SP_TEXT(enterprise_id) };
	rc = enterprise_id
		? store_query_json(c, "SELECT " WECHAT_BIND_COLS " FROM wechat_bindings WHERE "
				   "enterprise_id = ? ORDER BY created_at, openid LIMIT 1001", p, 1,
				   1000, &items)
		: store_query_json(c, "SELECT " WECHAT_BIND_COLS " FROM wechat_bindings ORDER "
				   "BY created_at, openid LIMIT 1001", NULL, 0, 1000, &items);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "items", items);
	return *out ? 0 : PL_EINTERNAL;
}

int desk_wechat_unbind(struct store_conn *c, const struct desk_actor *a, const char *openid)
{
	json_t *old = NULL;
	int rc;

	if ((rc = desk_wechat_binding_get(c, openid, &old)))
		return rc;
	struct store_param p[] = { SP_TEXT(openid) };
	rc = store_exec(c, "DELETE FROM wechat_bindings WHERE openid = ?", p, 1, NULL);
	if (rc == 0)
		rc = desk__audit(c, a, "desk.wechat.unbind", "wechat_binding", openid,
				 pl_json_str(old, "enterprise_id"), old, NULL);
	json_decref(old);
	return rc;
}
