/*
 * wechat_repo.h - the WeChat Official Account callback's settings and its
 * store side (owner: helper "desk-wechat"; docs/desk.md "WeChat callback"):
 * which OpenID is bound to which enterprise contact, and what an inbound
 * message does (opens a wechat request, or notes itself on the one opened
 * in the last 24 h). The crypto, signature and XML are desk.h's
 * desk_wechat_*; the HTTP side is src/http/api_wechat.c.
 */
#ifndef PL_DESK_WECHAT_REPO_H
#define PL_DESK_WECHAT_REPO_H

#include "desk/desk.h"
#include "desk/repo.h"

#define DESK_WECHAT_TOKEN_MAX 128   /* the account's Token: 3..32 in WeChat's UI */
#define DESK_WECHAT_OPENID_MAX 64   /* OpenIDs are 28 characters; room for UserIDs */
#define DESK_WECHAT_CONTACT_MAX 100 /* contact name bytes */
#define DESK_WECHAT_WINDOW_S 300    /* timestamp freshness, either way */

/* The callback's settings (serve.c's wechat_token, wechat_aes_key,
 * wechat_appid). Immutable after desk_wechat_cfg_init, so the HTTP threads
 * share one without locking. encrypted: an EncodingAESKey was given (safe
 * mode is accepted and replies are encrypted then). */
struct desk_wechat_cfg {
	char token[DESK_WECHAT_TOKEN_MAX + 1];
	bool encrypted;
	struct desk_wechat_crypto crypto;
};

/* Fills cfg. token: 1..DESK_WECHAT_TOKEN_MAX printable ASCII; aes_key ""
 * (plain mode only) or 43 characters, which then needs appid. PL_EINVAL
 * with why (>= 160 bytes) naming the setting. */
int desk_wechat_cfg_init(struct desk_wechat_cfg *cfg, const char *token, const char *aes_key,
			 const char *appid, char *why, size_t whysz);

/* Handles one parsed, verified, fresh message. Unbound sender: result
 * "unbound", nothing stored. Replay of key (desk_wechat_dedupe_key):
 * "duplicate", nothing changed. A text message from a bound OpenID:
 * "appended" (a wechat_message history note on the enterprise's open
 * wechat request from the last 24 h) or "created" (a new request, channel
 * wechat). Other types from a bound OpenID: "ignored" (recorded for
 * dedupe only). *result is static; req_id gets the request id or "".
 * Runs in the caller's transaction. Errors: PL_EDB, PL_EINVAL (err). */
int desk_wechat_inbound(const struct desk_svc *svc, struct store_conn *c,
			const struct desk_wechat_msg *m, const char *key, int64_t now_ms,
			const char **result, char req_id[PL_ID_LEN + 1], char *err,
			size_t errsz);

/* Binds openid to a contact of enterprise_id (caller already authorised
 * for enterprise.update on it). Audited as desk.wechat.bind. *out: the
 * binding. PL_ECONFLICT when openid is bound already, PL_EINVAL (err). */
int desk_wechat_bind(struct store_conn *c, const struct desk_actor *a, const char *openid,
		     const char *enterprise_id, const char *contact_name, int64_t now_ms,
		     json_t **out, char *err, size_t errsz);
/* {"items":[...]}: the bindings of enterprise_id, or all when NULL. */
int desk_wechat_bindings(struct store_conn *c, const char *enterprise_id, json_t **out);
/* One binding (*out) or PL_ENOTFOUND. */
int desk_wechat_binding_get(struct store_conn *c, const char *openid, json_t **out);
/* Removes a binding (audited as desk.wechat.unbind); PL_ENOTFOUND. */
int desk_wechat_unbind(struct store_conn *c, const struct desk_actor *a, const char *openid);

#endif /* PL_DESK_WECHAT_REPO_H */
