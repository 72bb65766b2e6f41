/*
 * session.c - login, logout and cookie sessions.
 *
 * A session is 32 random bytes given to the browser once, as the
 * pl_session cookie (43 base64url characters); the store keeps only their
 * SHA-256, so a copy of the database cannot be replayed as a cookie. Each
 * session has its own CSRF token (32 random bytes, hex) that cookie-
 * authenticated writes must echo in X-CSRF-Token.
 *
 * Design notes:
 *  1. Same answer, same work: an unknown username, a wrong password and a
 *     disabled account all return PL_EAUTH after one Argon2 verification
 *     (a dummy hash stands in for a missing user), so neither the answer nor
 *     its timing tells which usernames exist.
 *  2. No pooled connection is held while hashing: Argon2 takes most of a
 *     second at production cost and the pool is shared with every request.
 *  3. Idle expiry slides: each check moves expires_at to now + ttl, but
 *     writes at most once a minute per session so authenticated reads stay
 *     reads.
 */
#include "auth/auth_int.h"

#include <sodium.h>

#define AUTH__UA_MAX 256          /* user agents are stored truncated */
#define AUTH__TOUCH_MS (60 * 1000) /* minimum gap between sliding writes */

/* A stand-in hash for unknown users, made once at a's cost. */
static const char *auth__dummy_hash(struct auth *a)
{
	char tmp[AUTH_HASH_MAX];
	pthread_mutex_lock(&a->hmu);
	bool have = a->dummy_hash[0] != '\0';
	pthread_mutex_unlock(&a->hmu);
	if (!have) {
		char pw[33];
		unsigned char raw[16];
		pl_random(raw, sizeof(raw));
		pl_hex(raw, sizeof(raw), pw);
		auth_password_hash(a, pw, tmp);
		pthread_mutex_lock(&a->hmu);
		if (!a->dummy_hash[0])
			pl_strlcpy(a->dummy_hash, tmp, sizeof(a->dummy_hash));
		pthread_mutex_unlock(&a->hmu);
	}
	return a->dummy_hash; /* written once, never changed after */
}

struct auth__login_row {
	bool found;
	bool disabled;
	char hash[AUTH_HASH_MAX];
	struct auth_principal p;
};

static void auth__fill_user(struct auth_principal *p, struct store_rows *r, int col0)
{
	/* columns from col0: id, username, display_name, role, enterprise_id,
	 * department, enterprise name */
	pl_strlcpy(p->user_id, store_rows_text(r, col0), sizeof(p->user_id));
	auth__copy_text(p->name, store_rows_text(r, col0 + 1), sizeof(p->name));
	auth__copy_text(p->display_name, store_rows_text(r, col0 + 2), sizeof(p->display_name));
	if (auth_role_parse(store_rows_text(r, col0 + 3), &p->role))
		p->role = AUTH_ROLE_DEVICE; /* CHECK constraint makes this unreachable;
					       device is the least privileged */
	pl_strlcpy(p->enterprise_id, store_rows_text(r, col0 + 4), sizeof(p->enterprise_id));
	auth__copy_text(p->department, store_rows_text(r, col0 + 5), sizeof(p->department));
	auth__copy_text(p->enterprise_name, store_rows_text(r, col0 + 6), sizeof(p->enterprise_name));
}

#define AUTH__USER_COLS \
	"u.id, u.username, u.display_name, u.role, u.enterprise_id, u.department, e.name_zh"

static int auth__load_login(struct auth *a, const char *username, struct auth__login_row *out)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	struct store_param p[] = { SP_TEXT(username) };
	rc = store_query(c,
			 "SELECT " AUTH__USER_COLS ", u.password_hash, u.disabled FROM users u "
			 "LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE u.username = ?",
			 p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		out->found = true;
		auth__fill_user(&out->p, r, 0);
		pl_strlcpy(out->hash, store_rows_text(r, 7), sizeof(out->hash));
		out->disabled = store_rows_int(r, 8) != 0;
	}
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	return rc;
}

/* Audits a failed or throttled attempt in its own transaction. */
static void auth__audit_attempt(struct auth *a, const char *action, const char *username,
				const char *user_id, const struct auth_req *rq)
{
	struct store_conn *c = NULL;
	struct auth_principal who = { .role = AUTH_ROLE_DEVICE };
	json_t *after = json_object();

	/* The attempted name is recorded as typed (truncated), but only when
	 * it is text jansson can hold. */
	pl_strlcpy(who.name, username && auth__text_ok(username, 0, 127) ? username : "?",
		   sizeof(who.name));
	pl_strlcpy(who.user_id, user_id ? user_id : "", sizeof(who.user_id));
	json_object_set_new(after, "username", json_string(who.name));
	if (rq && rq->user_agent && auth__text_ok(rq->user_agent, 0, AUTH__UA_MAX))
		json_object_set_new(after, "user_agent", json_string(rq->user_agent));
	if (store_conn_get(a->st, &c))
		goto out;
	if (store_begin(c))
		goto out;
	if (auth__audit(c, &who, action, "user", user_id && *user_id ? user_id : NULL, NULL,
			NULL, after, rq) || store_commit(c))
		pl_warn(a->log, "auth", "could not audit %s for %s", action, who.name);
out:
	if (c)
		store_conn_put(c);
	json_decref(after);
}

int auth_login(struct auth *a, const char *username, const char *password,
	       const struct auth_req *rq, char out_token[AUTH_SESSION_TOKEN_MAX],
	       char out_csrf[AUTH_CSRF_MAX], struct auth_principal *out,
	       int *retry_after_s)
{
	struct auth__login_row row;
	struct store_conn *c = NULL;
	char ukey[AUTH__TKEY_MAX], akey[AUTH__TKEY_MAX];
	char token[AUTH_SESSION_TOKEN_MAX], idhash[65], csrf[AUTH_CSRF_MAX];
	char now_s[PL_TIME_STRLEN], exp_s[PL_TIME_STRLEN];
	char ua[AUTH__UA_MAX + 1];
	int retry = 0, rc;
	int64_t now = auth__now(a);
	json_t *after = NULL;

	if (!username)
		username = "";
	if (!password)
		password = "";
	pl_fmt(ukey, sizeof(ukey), "u:%.*s", AUTH_USERNAME_MAX, username);
	pl_fmt(akey, sizeof(akey), "a:%.*s", 80, rq && rq->ip ? rq->ip : "");

	if (auth__throttle_check(a, ukey, a->throttle_user_max, now, &retry) ||
	    (rq && rq->ip && auth__throttle_check(a, akey, a->throttle_ip_max, now, &retry))) {
		auth__audit_attempt(a, "auth.login_throttled", username, NULL, rq);
		if (retry_after_s)
			*retry_after_s = retry;
		return PL_ETHROTTLED;
	}

	memset(&row, 0, sizeof(row));
	if (auth_username_valid(username) && strlen(password) <= AUTH_PASSWORD_MAX) {
		rc = auth__load_login(a, username, &row);
		if (rc)
			return rc;
	}
	/* Verify even when there is no such user (design note 1). */
	rc = auth_password_verify(a, row.found ? row.hash : auth__dummy_hash(a), password);
	if (rc || !row.found || row.disabled) {
		auth__throttle_fail(a, ukey, now);
		if (rq && rq->ip)
			auth__throttle_fail(a, akey, now);
		auth__audit_attempt(a, "auth.login_failed", username,
				    row.found ? row.p.user_id : NULL, rq);
		sodium_memzero(row.hash, sizeof(row.hash));
		return PL_EAUTH;
	}
	auth__throttle_reset(a, ukey);

	/* Upgrade a hash made at a cheaper cost (a demo seed, old limits). */
	char newhash[AUTH_HASH_MAX] = "";
	if (crypto_pwhash_str_needs_rehash(row.hash, a->ops, a->mem) != 0)
		auth_password_hash(a, password, newhash);

	auth__random_token(token);
	auth__sha256_hex(token, idhash);
	{
		unsigned char raw[32];
		pl_random(raw, sizeof(raw));
		pl_hex(raw, sizeof(raw), csrf);
	}
	pl_time_format(now, now_s);
	pl_time_format(now + a->session_ttl_ms, exp_s);
	auth__copy_text(ua, rq && rq->user_agent && auth__text_ok(rq->user_agent, 0, SIZE_MAX)
			? rq->user_agent : "", sizeof(ua));

	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	struct store_param sp[] = {
		SP_TEXT(idhash), SP_TEXT(row.p.user_id), SP_TEXT(csrf), SP_TEXT(now_s),
		SP_TEXT(exp_s), SP_TEXT(now_s),
		rq && rq->ip ? SP_TEXT(rq->ip) : SP_NULL, ua[0] ? SP_TEXT(ua) : SP_NULL,
	};
	rc = store_exec(c,
			"INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, "
			"last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			sp, STORE_NP(sp), NULL);
	if (rc)
		goto out;
	/* Sweep sessions that expired unseen, so the table does not grow
	 * with abandoned logins (times sort as strings; indexed). */
	{
		struct store_param xp[] = { SP_TEXT(now_s) };
		rc = store_exec(c, "DELETE FROM sessions WHERE expires_at < ?", xp, STORE_NP(xp), NULL);
		if (rc)
			goto out;
	}
	if (newhash[0]) {
		struct store_param hp[] = { SP_TEXT(newhash), SP_TEXT(row.p.user_id) };
		rc = store_exec(c, "UPDATE users SET password_hash = ? WHERE id = ?",
				hp, STORE_NP(hp), NULL);
		if (rc)
			goto out;
	}
	after = json_pack("{s:s, s:s}", "username", row.p.name, "expires_at", exp_s);
	if (ua[0])
		json_object_set_new(after, "user_agent", json_string(ua));
	rc = auth__audit(c, &row.p, "auth.login", "user", row.p.user_id,
			 row.p.enterprise_id, NULL, after, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
	if (rc)
		goto out;

	row.p.via_session = true;
	pl_strlcpy(row.p.csrf, csrf, sizeof(row.p.csrf));
	*out = row.p;
	pl_strlcpy(out_token, token, AUTH_SESSION_TOKEN_MAX);
	pl_strlcpy(out_csrf, csrf, AUTH_CSRF_MAX);
out:
	if (c)
		store_conn_put(c);
	json_decref(after);
	sodium_memzero(row.hash, sizeof(row.hash));
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* A session token is exactly 43 base64url characters; anything else is
 * rejected before touching the store. */
static bool auth__session_token_ok(const char *t)
{
	if (!t || strlen(t) != 43)
		return false;
	for (const char *s = t; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

int auth_logout(struct auth *a, const char *token, const struct auth_req *rq)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	struct auth_principal who = { .role = AUTH_ROLE_DEVICE };
	char idhash[65];
	int64_t n = 0;
	int rc;

	if (!auth__session_token_ok(token))
		return PL_ENOTFOUND;
	auth__sha256_hex(token, idhash);
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	struct store_param p[] = { SP_TEXT(idhash) };
	rc = store_query(c,
			 "SELECT " AUTH__USER_COLS " FROM sessions s JOIN users u ON u.id = s.user_id "
			 "LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE s.id_hash = ?",
			 p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	auth__fill_user(&who, r, 0);
	store_rows_free(r);
	r = NULL;
	rc = store_exec(c, "DELETE FROM sessions WHERE id_hash = ?", p, STORE_NP(p), &n);
	if (rc)
		goto out;
	rc = auth__audit(c, &who, "auth.logout", "user", who.user_id, who.enterprise_id,
			 NULL, NULL, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	return rc;
}

int auth_session_check(struct auth *a, const char *token, struct auth_principal *out)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	struct auth_principal p;
	char idhash[65];
	int64_t now = auth__now(a), exp = 0, seen = 0;
	bool disabled;
	int rc;

	if (!auth__session_token_ok(token))
		return PL_EAUTH;
	auth__sha256_hex(token, idhash);
	memset(&p, 0, sizeof(p));
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	struct store_param ip[] = { SP_TEXT(idhash) };
	rc = store_query(c,
			 "SELECT " AUTH__USER_COLS ", s.id_hash, s.csrf, s.expires_at, "
			 "s.last_seen_at, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id "
			 "LEFT JOIN enterprises e ON e.id = u.enterprise_id WHERE s.id_hash = ?",
			 ip, STORE_NP(ip), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = PL_EAUTH;
		goto out;
	}
	auth__fill_user(&p, r, 0);
	/* The row was found by this hash; comparing again in constant time
	 * costs nothing and keeps the rule "secrets compare with memcmp". */
	if (sodium_memcmp(store_rows_text(r, 7), idhash, 64) != 0) {
		rc = PL_EAUTH;
		goto out;
	}
	pl_strlcpy(p.csrf, store_rows_text(r, 8), sizeof(p.csrf));
	if (pl_time_parse(store_rows_text(r, 9), &exp) ||
	    pl_time_parse(store_rows_text(r, 10), &seen)) {
		rc = PL_EAUTH;
		goto out;
	}
	disabled = store_rows_int(r, 11) != 0;
	store_rows_free(r);
	r = NULL;

	if (now >= exp || disabled) {
		/* Best effort: an expired row left behind is harmless. */
		store_exec(c, "DELETE FROM sessions WHERE id_hash = ?", ip, STORE_NP(ip), NULL);
		rc = PL_EAUTH;
		goto out;
	}
	if (now - seen >= AUTH__TOUCH_MS) {
		char now_s[PL_TIME_STRLEN], exp_s[PL_TIME_STRLEN];
		pl_time_format(now, now_s);
		pl_time_format(now + a->session_ttl_ms, exp_s);
		struct store_param up[] = { SP_TEXT(now_s), SP_TEXT(exp_s), SP_TEXT(idhash) };
		rc = store_exec(c,
				"UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?",
				up, STORE_NP(up), NULL);
		if (rc)
			goto out;
	}
	p.via_session = true;
	*out = p;
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	return rc;
}
