/*
 * token.c - API tokens for machines and scripts (Authorization: Bearer).
 *
 * A token is "pl_" followed by 32 random bytes in base64url: the prefix
 * makes a leaked token recognisable to secret scanners and to people. It is
 * shown once, at creation; the store keeps its SHA-256 (api_tokens.
 * token_hash). Each token carries its own scope - a role, an enterprise for
 * enterprise and device roles, and optionally one line for device tokens -
 * and may expire. Revocation sets revoked_at; rows are kept for the audit
 * trail.
 *
 * Rule: a token never outranks its creator. Park admins may mint any token;
 * enterprise users only enterprise or device tokens of their own enterprise.
 */
#include "auth/auth_int.h"

#include <sodium.h>

#define AUTH__LINE_ID_MAX 63
#define AUTH__TOUCH_MS (60 * 1000) /* minimum gap between last_used_at writes */

static bool auth__line_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > AUTH__LINE_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:-", *s)))
			return false;
	return true;
}

static bool auth__role_needs_enterprise(enum auth_role r)
{
	return r == AUTH_ROLE_ENTERPRISE || r == AUTH_ROLE_DEVICE;
}

int auth_token_create(struct auth *a, const struct auth_principal *actor,
		      const struct auth_token_new *in, const struct auth_req *rq,
		      char out_token[AUTH_API_TOKEN_MAX], char out_id[PL_ID_LEN + 1],
		      struct pl_json_error *err)
{
	struct store_conn *c = NULL;
	enum auth_role role;
	const char *ent = in->enterprise_id && *in->enterprise_id ? in->enterprise_id : NULL;
	const char *line = in->line_id && *in->line_id ? in->line_id : NULL;
	char secret[AUTH_SESSION_TOKEN_MAX], token[AUTH_API_TOKEN_MAX], hash[65];
	char id[PL_ID_LEN + 1], now_s[PL_TIME_STRLEN], exp_s[PL_TIME_STRLEN] = "";
	int64_t now = auth__now(a), exp = 0;
	json_t *after = NULL;
	bool exists = false;
	int rc;

	if (actor) {
		rc = auth_authorize(actor, AUTH_A_TOKEN_ADMIN, NULL);
		if (rc)
			return rc;
	}
	if (!auth__text_ok(in->name, 1, AUTH_TOKEN_NAME_MAX))
		return auth__field_error(err, "name", "name must be 1 to %d bytes of text",
					 AUTH_TOKEN_NAME_MAX);
	if (auth_role_parse(in->role, &role))
		return auth__field_error(err, "role",
					 "role must be one of park_admin, specialist, department, "
					 "enterprise, auditor, device");
	if (actor && actor->role == AUTH_ROLE_ENTERPRISE) {
		if (!auth__role_needs_enterprise(role))
			return auth__field_error(err, "role",
						 "an enterprise user may create only enterprise "
						 "or device tokens");
		if (!ent)
			ent = actor->enterprise_id;
		else if (strcmp(ent, actor->enterprise_id))
			return PL_ENOTFOUND; /* another tenant's id: say nothing */
	}
	if (auth__role_needs_enterprise(role) && !ent)
		return auth__field_error(err, "enterprise_id",
					 "enterprise_id is required for %s tokens",
					 auth_role_name(role));
	if (!auth__role_needs_enterprise(role) && ent)
		return auth__field_error(err, "enterprise_id",
					 "only enterprise and device tokens belong to an enterprise");
	if (ent && !pl_id_valid(ent))
		return auth__field_error(err, "enterprise_id", "enterprise_id is not a valid id");
	if (line && role != AUTH_ROLE_DEVICE)
		return auth__field_error(err, "line_id", "line_id is only for device tokens");
	if (line && !auth__line_id_ok(line))
		return auth__field_error(err, "line_id",
					 "line_id must be 1 to %d of [A-Za-z0-9_.:-]",
					 AUTH__LINE_ID_MAX);
	if (in->expires_at && *in->expires_at) {
		if (pl_time_parse(in->expires_at, &exp))
			return auth__field_error(err, "expires_at",
						 "expires_at must be an RFC 3339 date-time");
		if (exp <= now)
			return auth__field_error(err, "expires_at", "expires_at is in the past");
		pl_time_format(exp, exp_s);
	}

	auth__random_token(secret);
	pl_fmt(token, sizeof(token), AUTH_TOKEN_PREFIX "%s", secret);
	auth__sha256_hex(token, hash);
	pl_id_new(id);
	pl_time_format(now, now_s);

	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	if (ent) {
		rc = auth__enterprise_exists(c, ent, &exists);
		if (rc)
			goto out;
		if (!exists) {
			rc = auth__field_error(err, "enterprise_id", "no enterprise has id %s", ent);
			goto out;
		}
	}
	const char *by = actor ? (actor->user_id[0] ? actor->user_id : actor->token_id) : "system";
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(in->name), SP_TEXT(hash), SP_TEXT(auth_role_name(role)),
		ent ? SP_TEXT(ent) : SP_NULL, line ? SP_TEXT(line) : SP_NULL,
		SP_TEXT(by), SP_TEXT(now_s), exp_s[0] ? SP_TEXT(exp_s) : SP_NULL,
	};
	rc = store_exec(c,
			"INSERT INTO api_tokens (id, name, token_hash, user_id, role, enterprise_id, "
			"line_id, created_by, created_at, expires_at) "
			"VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
			p, STORE_NP(p), NULL);
	if (rc)
		goto out;
	after = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", id, "name", in->name,
			  "role", auth_role_name(role),
			  "enterprise_id", ent ? json_string(ent) : json_null(),
			  "line_id", line ? json_string(line) : json_null(),
			  "expires_at", exp_s[0] ? json_string(exp_s) : json_null());
	rc = auth__audit(c, actor, "token.create", "api_token", id, ent, NULL, after, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
	if (rc)
		goto out;
	pl_strlcpy(out_token, token, AUTH_API_TOKEN_MAX);
	pl_strlcpy(out_id, id, PL_ID_LEN + 1);
out:
	if (c)
		store_conn_put(c);
	json_decref(after);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(token, sizeof(token));
	return rc;
}

static bool auth__bearer_ok(const char *t)
{
	size_t pre = strlen(AUTH_TOKEN_PREFIX);
	if (!t || strlen(t) != pre + 43 || strncmp(t, AUTH_TOKEN_PREFIX, pre))
		return false;
	for (const char *s = t + pre; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

int auth_token_check(struct auth *a, const char *bearer, struct auth_principal *out)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	struct auth_principal p;
	char hash[65];
	int64_t now = auth__now(a), t = 0;
	int rc;

	if (!auth__bearer_ok(bearer))
		return PL_EAUTH;
	auth__sha256_hex(bearer, hash);
	memset(&p, 0, sizeof(p));
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	struct store_param hp[] = { SP_TEXT(hash) };
	rc = store_query(c,
			 "SELECT t.id, t.name, t.role, t.enterprise_id, t.line_id, t.expires_at, "
			 "t.revoked_at, t.last_used_at, e.name_zh, u.disabled, t.token_hash "
			 "FROM api_tokens t LEFT JOIN enterprises e ON e.id = t.enterprise_id "
			 "LEFT JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?",
			 hp, STORE_NP(hp), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0 || sodium_memcmp(store_rows_text(r, 10), hash, 64) != 0) {
		rc = PL_EAUTH;
		goto out;
	}
	pl_strlcpy(p.token_id, store_rows_text(r, 0), sizeof(p.token_id));
	auth__copy_text(p.name, store_rows_text(r, 1), sizeof(p.name));
	auth__copy_text(p.display_name, store_rows_text(r, 1), sizeof(p.display_name));
	if (auth_role_parse(store_rows_text(r, 2), &p.role)) {
		rc = PL_EAUTH;
		goto out;
	}
	pl_strlcpy(p.enterprise_id, store_rows_text(r, 3), sizeof(p.enterprise_id));
	pl_strlcpy(p.line_id, store_rows_text(r, 4), sizeof(p.line_id));
	auth__copy_text(p.enterprise_name, store_rows_text(r, 8), sizeof(p.enterprise_name));
	if (!store_rows_isnull(r, 6) || store_rows_int(r, 9) != 0) {
		rc = PL_EAUTH; /* revoked, or tied to a disabled user */
		goto out;
	}
	if (!store_rows_isnull(r, 5) &&
	    (pl_time_parse(store_rows_text(r, 5), &t) || now >= t)) {
		rc = PL_EAUTH;
		goto out;
	}
	bool touch = store_rows_isnull(r, 7) ||
		     pl_time_parse(store_rows_text(r, 7), &t) || now - t >= AUTH__TOUCH_MS;
	store_rows_free(r);
	r = NULL;
	if (touch) {
		char now_s[PL_TIME_STRLEN];
		pl_time_format(now, now_s);
		struct store_param up[] = { SP_TEXT(now_s), SP_TEXT(p.token_id) };
		rc = store_exec(c, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
				up, STORE_NP(up), NULL);
		if (rc)
			goto out;
	}
	*out = p;
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	return rc;
}

int auth_token_revoke(struct auth *a, const struct auth_principal *actor,
		      const char *id, const struct auth_req *rq)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	char ent[PL_ID_LEN + 1], now_s[PL_TIME_STRLEN];
	json_t *before = NULL, *after = NULL;
	int rc;

	if (actor) {
		rc = auth_authorize(actor, AUTH_A_TOKEN_ADMIN, NULL);
		if (rc)
			return rc;
	}
	if (!id || !pl_id_valid(id))
		return PL_ENOTFOUND;
	pl_time_format(auth__now(a), now_s);
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	struct store_param ip[] = { SP_TEXT(id) };
	rc = store_query(c, "SELECT enterprise_id, name, role FROM api_tokens "
			 "WHERE id = ? AND revoked_at IS NULL", ip, STORE_NP(ip), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	pl_strlcpy(ent, store_rows_text(r, 0), sizeof(ent));
	before = json_pack("{s:s, s:s, s:s, s:o}", "id", id, "name", store_rows_text(r, 1),
			   "role", store_rows_text(r, 2),
			   "revoked_at", json_null());
	store_rows_free(r);
	r = NULL;
	if (actor) {
		struct auth_target t = { .enterprise_id = ent };
		rc = auth_authorize(actor, AUTH_A_TOKEN_ADMIN, &t);
		if (rc)
			goto out;
	}
	struct store_param up[] = { SP_TEXT(now_s), SP_TEXT(id) };
	rc = store_exec(c, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?",
			up, STORE_NP(up), NULL);
	if (rc)
		goto out;
	after = json_deep_copy(before);
	json_object_set_new(after, "revoked_at", json_string(now_s));
	rc = auth__audit(c, actor, "token.revoke", "api_token", id, ent, before, after, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	json_decref(before);
	json_decref(after);
	return rc;
}

#define AUTH__LIST_MAX 10000 /* more tokens than this is a runaway script */

int auth_token_list(struct auth *a, const struct auth_principal *actor, json_t **out)
{
	struct store_conn *c = NULL;
	struct store_param p[2];
	size_t np = 0;
	struct pl_buf sql;
	json_t *items = NULL;
	int rc;

	*out = NULL;
	pl_buf_init(&sql, 4096);
	rc = pl_buf_puts(&sql,
			 "SELECT id, name, role, enterprise_id, line_id, created_by, created_at, "
			 "expires_at, revoked_at, last_used_at FROM api_tokens WHERE 1 = 1");
	if (rc)
		goto out;
	if (actor) {
		rc = auth_tenant_filter(actor, AUTH_A_TOKEN_ADMIN, "enterprise_id", &sql, p, &np);
		if (rc)
			goto out;
	}
	rc = pl_buf_puts(&sql, " ORDER BY created_at, id");
	if (rc)
		goto out;
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_query_json(c, sql.data, p, np, AUTH__LIST_MAX, &items);
	if (rc)
		goto out;
	*out = json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)json_array_size(items));
out:
	if (c)
		store_conn_put(c);
	json_decref(items);
	pl_buf_release(&sql);
	return rc;
}
