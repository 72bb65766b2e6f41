/*
 * api_users.c - /api/v1/users, /api/v1/tokens and /api/v1/audit. Users and
 * tokens are the auth module's: it validates, writes and audits them (each
 * in its own transaction with its audit row); these handlers translate
 * JSON to its structs and its errors to problem details. The audit list is
 * read here, tenant-filtered by the policy table.
 */
#include "http/http_int.h"

#define AUDIT_LIST_MAX 500

/* Maps an auth error with its field sentence to a problem. */
static int users__fail(struct http_req *r, int rc, const struct pl_json_error *je,
		       const char *what)
{
	if (rc == PL_EINVAL || rc == PL_EEXIST || rc == PL_ECONFLICT)
		return http_fail(r, rc, NULL, "%s", je->text[0] ? je->text : pl_strerror(rc));
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no such %s", what);
	if (rc == PL_EFORBIDDEN)
		return http_fail(r, rc, NULL, "you may not change this %s%s%s", what,
				 je->text[0] ? ": " : "", je->text);
	return http_fail(r, rc, NULL, "%s failed: %s", what, pl_strerror(rc));
}

/* Refuses query parameters other than the listed ones (NULL-terminated). */
static int users__known_params(struct http_req *r, const char *const *known)
{
	const struct http_query *q;
	int rc = http_query_of(r, &q);
	if (rc)
		return rc;
	for (size_t i = 0; i < q->n; i++) {
		const char *const *k = known;
		while (*k && strcmp(*k, q->pairs[i].key))
			k++;
		if (!*k)
			return http_fail(r, PL_EINVAL, "bad-query", "unknown query parameter '%.60s'",
					 q->pairs[i].key);
	}
	return 0;
}

int http__h_user_list(struct http_req *r)
{
	static const char *const known[] = { "limit", "offset", NULL };
	int64_t limit, offset;
	json_t *out = NULL;
	int rc;

	if ((rc = users__known_params(r, known)) ||
	    (rc = http_query_int(r, "limit", 1, 500, 100, &limit)) ||
	    (rc = http_query_int(r, "offset", 0, 1000000, 0, &offset)))
		return rc;
	rc = auth_user_list(r->srv->opt.auth, (int)limit, (int)offset, &out);
	if (rc)
		return http_fail(r, rc, NULL, "listing users failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, out);
}

int http__h_user_create(struct http_req *r)
{
	struct pl_json_error je = { .text = "" };
	struct auth_user_new in = {
		.username = pl_json_str(r->json, "username"),
		.password = pl_json_str(r->json, "password"),
		.display_name = pl_json_str(r->json, "display_name"),
		.role = pl_json_str(r->json, "role"),
		.enterprise_id = pl_json_str(r->json, "enterprise_id"),
		.department = pl_json_str(r->json, "department"),
	};
	struct auth_req rq;
	char id[PL_ID_LEN + 1];
	json_t *user = NULL;
	int rc;

	http_auth_req(r, &rq);
	rc = auth_user_add(r->srv->opt.auth, &r->principal, &in, &rq, id, &je);
	if (rc)
		return users__fail(r, rc, &je, "user");
	rc = auth_user_get(r->srv->opt.auth, id, &user);
	if (rc)
		return http_fail(r, rc, NULL, "reading the new user failed: %s", pl_strerror(rc));
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/api/v1/users/%s", id));
	return http_reply_json(r, 201, user);
}

int http__h_user_patch(struct http_req *r)
{
	struct pl_json_error je = { .text = "" };
	json_t *dis = json_object_get(r->json, "disabled");
	struct auth_user_patch patch = {
		.display_name = pl_json_str(r->json, "display_name"),
		.password = pl_json_str(r->json, "password"),
		.role = pl_json_str(r->json, "role"),
		.disabled = json_is_boolean(dis) ? json_is_true(dis) : -1,
	};
	struct auth_req rq;
	json_t *user = NULL;
	int rc;

	if (!patch.display_name && !patch.password && !patch.role && patch.disabled < 0)
		return http_fail(r, PL_EINVAL, NULL, "nothing to change: send at least one of "
				 "display_name, password, disabled, role");
	if (!pl_id_valid(r->params[0]))
		return http_fail(r, PL_ENOTFOUND, NULL, "no user %.40s", r->params[0]);
	http_auth_req(r, &rq);
	rc = auth_user_update(r->srv->opt.auth, &r->principal, r->params[0], &patch, &rq, &je);
	if (rc)
		return users__fail(r, rc, &je, "user");
	rc = auth_user_get(r->srv->opt.auth, r->params[0], &user);
	if (rc)
		return http_fail(r, rc, NULL, "reading the user failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, user);
}

int http__h_token_list(struct http_req *r)
{
	static const char *const known[] = { NULL };
	json_t *out = NULL;
	int rc;

	if ((rc = users__known_params(r, known)))
		return rc;
	rc = auth_token_list(r->srv->opt.auth, &r->principal, &out);
	if (rc)
		return http_fail(r, rc, NULL, "listing tokens failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, out);
}

int http__h_token_create(struct http_req *r)
{
	struct pl_json_error je = { .text = "" };
	struct auth_token_new in = {
		.name = pl_json_str(r->json, "name"),
		.role = pl_json_str(r->json, "role"),
		.enterprise_id = pl_json_str(r->json, "enterprise_id"),
		.line_id = pl_json_str(r->json, "line_id"),
		.expires_at = pl_json_str(r->json, "expires_at"),
	};
	char token[AUTH_API_TOKEN_MAX], id[PL_ID_LEN + 1];
	struct auth_req rq;
	int rc;

	http_auth_req(r, &rq);
	rc = auth_token_create(r->srv->opt.auth, &r->principal, &in, &rq, token, id, &je);
	if (rc == PL_ENOTFOUND) /* another enterprise named: same as a missing one */
		return http_fail(r, PL_EINVAL, NULL, "field 'enterprise_id': no such enterprise");
	if (rc)
		return users__fail(r, rc, &je, "token");
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/api/v1/tokens/%s", id));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "token", token,
			      "name", in.name, "role", in.role);
	json_object_set_new(o, "enterprise_id", in.enterprise_id ? json_string(in.enterprise_id)
								 : json_null());
	json_object_set_new(o, "line_id", in.line_id ? json_string(in.line_id) : json_null());
	json_object_set_new(o, "expires_at", in.expires_at ? json_string(in.expires_at)
							   : json_null());
	return http_reply_json(r, 201, o);
}

int http__h_token_revoke(struct http_req *r)
{
	struct auth_req rq;
	int rc;

	if (!pl_id_valid(r->params[0]))
		return http_fail(r, PL_ENOTFOUND, NULL, "no token %.40s", r->params[0]);
	http_auth_req(r, &rq);
	rc = auth_token_revoke(r->srv->opt.auth, &r->principal, r->params[0], &rq);
	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "no active token %s", r->params[0]);
	if (rc)
		return http_fail(r, rc, NULL, "revoking the token failed: %s", pl_strerror(rc));
	return http_reply_empty(r, 204);
}

int http__h_audit_list(struct http_req *r)
{
	static const char *const known[] = { "entity", "entity_id", "enterprise_id", "limit",
					     "before", NULL };
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct store_param p[8];
	struct pl_buf sql;
	json_t *items = NULL;
	int64_t limit;
	size_t np = 0;
	int rc;

	pl_buf_init(&sql, 4096);
	if ((rc = users__known_params(r, known)) || (rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, AUDIT_LIST_MAX, 100, &limit)))
		goto out;
	pl_buf_puts(&sql, "SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.entity, "
			  "a.entity_id, a.enterprise_id, a.before_json, a.after_json, "
			  "a.request_id, a.ip FROM audit_log a WHERE 1 = 1");
	rc = auth_tenant_filter(&r->principal, AUTH_A_AUDIT_READ, "a.enterprise_id", &sql, p, &np);
	if (rc) {
		rc = http_fail(r, rc, NULL, "you may not read the audit log");
		goto out;
	}
	static const char *const filters[] = { "entity", "entity_id", "enterprise_id" };
	for (size_t i = 0; i < 3; i++) {
		const char *v = http_query_get(q, filters[i]);
		if (!v)
			continue;
		pl_buf_printf(&sql, " AND a.%s = ?", filters[i]);
		p[np++] = SP_TEXT(v);
	}
	const char *before = http_query_get(q, "before");
	if (before) { /* paging: ids sort by time */
		pl_buf_puts(&sql, " AND a.id < ?");
		p[np++] = SP_TEXT(before);
	}
	pl_buf_printf(&sql, " ORDER BY a.id DESC LIMIT %lld", (long long)limit);
	if ((rc = http_store_get(r, &c)))
		goto out;
	rc = store_query_json(c, sql.data, p, np, AUDIT_LIST_MAX, &items);
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the audit log failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:o}", "items", items));
	items = NULL;
out:
	json_decref(items);
	store_conn_put(c);
	pl_buf_release(&sql);
	return rc;
}
