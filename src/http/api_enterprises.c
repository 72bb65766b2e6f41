/*
 * api_enterprises.c - /api/v1/enterprises: list (tenant-filtered, searched,
 * paged), create (park admins), read and update (own enterprise or as the
 * policy table allows). Enterprises are the tenancy root, so the object's
 * own id is its tenant: the check is auth_authorize with that id, and an
 * enterprise the caller may not see answers exactly as a missing one (404).
 * Every write runs in one transaction with its audit row.
 */
#include "http/http_int.h"
#include "desk/desk.h"

#define ENT_COLS "e.id, e.name_zh, e.name_en, e.uscc, e.created_at, e.updated_at"
#define ENT_LIST_MAX 500

/* "%" + q escaped for LIKE + "%", lower-cased by SQL. */
static char *ent__like(struct http_req *r, const char *q)
{
	struct pl_buf b;
	char *out;

	pl_buf_init(&b, 1024);
	pl_buf_puts(&b, "%");
	for (const char *p = q; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			pl_buf_puts(&b, "\\");
		if (pl_buf_append(&b, p, 1))
			break;
	}
	pl_buf_puts(&b, "%");
	out = pl_arena_strdup(r->arena, b.data ? b.data : "%");
	pl_buf_release(&b);
	return out;
}

int http__h_ent_list(struct http_req *r)
{
	const struct http_query *q;
	struct store_conn *c = NULL;
	struct store_param p[8];
	size_t np = 0;
	struct pl_buf where;
	json_t *items = NULL, *total = NULL;
	int64_t limit, offset;
	const char *search;
	int rc;

	pl_buf_init(&where, 4096);
	if ((rc = http_query_of(r, &q)) ||
	    (rc = http_query_int(r, "limit", 1, ENT_LIST_MAX, 50, &limit)) ||
	    (rc = http_query_int(r, "offset", 0, 1000000, 0, &offset)))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, "q") && strcmp(q->pairs[i].key, "limit") &&
		    strcmp(q->pairs[i].key, "offset")) {
			rc = http_fail(r, PL_EINVAL, "bad-query",
				       "unknown query parameter '%.60s'; known: q, limit, offset",
				       q->pairs[i].key);
			goto out;
		}
	pl_buf_puts(&where, " WHERE 1 = 1");
	rc = auth_tenant_filter(&r->principal, AUTH_A_ENTERPRISE_LIST, "e.id", &where, p, &np);
	if (rc) {
		rc = http_fail(r, rc, NULL, "you may not list enterprises");
		goto out;
	}
	search = http_query_get(q, "q");
	if (search && *search) {
		const char *like = ent__like(r, search);
		if (!like) {
			rc = PL_ETOOBIG;
			goto out;
		}
		pl_buf_puts(&where, " AND (lower(e.name_zh) LIKE lower(?) ESCAPE '\\' OR "
				    "lower(e.name_en) LIKE lower(?) ESCAPE '\\' OR "
				    "e.uscc LIKE upper(?) ESCAPE '\\')");
		p[np++] = SP_TEXT(like);
		p[np++] = SP_TEXT(like);
		p[np++] = SP_TEXT(like);
	}
	if ((rc = http_store_get(r, &c)))
		goto out;
	const char *sql_n = pl_arena_printf(r->arena, "SELECT count(*) AS n FROM enterprises e%s",
					    where.data);
	const char *sql = pl_arena_printf(r->arena, "SELECT " ENT_COLS " FROM enterprises e%s "
					  "ORDER BY e.id LIMIT %lld OFFSET %lld", where.data,
					  (long long)limit, (long long)offset);
	if (!sql || !sql_n) {
		rc = PL_ETOOBIG;
		goto out;
	}
	if ((rc = store_query_one(c, sql_n, p, np, &total)) ||
	    (rc = store_query_json(c, sql, p, np, ENT_LIST_MAX, &items))) {
		rc = http_fail(r, rc, NULL, "listing enterprises failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:o, s:O}", "items", items, "total",
					       json_object_get(total, "n")));
	items = NULL;
out:
	json_decref(items);
	json_decref(total);
	store_conn_put(c);
	pl_buf_release(&where);
	return rc;
}

/* Loads enterprise id and checks the caller may do action on it; a missing
 * and an invisible enterprise give the same 404. */
static int ent__load(struct http_req *r, struct store_conn *c, const char *id,
		     enum auth_action action, json_t **out)
{
	struct auth_target t;
	int rc;

	*out = NULL;
	if (pl_id_valid(id)) {
		struct store_param p[] = { SP_TEXT(id) };
		rc = store_query_one(c, "SELECT " ENT_COLS " FROM enterprises e WHERE e.id = ?",
				     p, 1, out);
		if (rc && rc != PL_ENOTFOUND)
			return http_fail(r, rc, NULL, "reading the enterprise failed: %s",
					 pl_strerror(rc));
		if (rc == 0) {
			rc = auth_target_for(c, &r->principal, id, &t);
			if (rc == 0)
				rc = auth_authorize(&r->principal, action, &t);
			if (rc == 0)
				return 0;
			json_decref(*out);
			*out = NULL;
			if (rc != PL_ENOTFOUND)
				return http_fail(r, rc, NULL, "you may not do %s on this enterprise",
						 auth_action_name(action));
		}
	}
	return http_fail(r, PL_ENOTFOUND, NULL, "no enterprise %.40s", id);
}

int http__h_ent_get(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *e = NULL;
	int rc = http_store_get(r, &c);

	if (rc == 0 && (rc = ent__load(r, c, r->params[0], AUTH_A_ENTERPRISE_READ, &e)) == 0) {
		rc = http_reply_json(r, 200, e);
		e = NULL;
	}
	json_decref(e);
	store_conn_put(c);
	return rc;
}

/* Validates the fields of a create or patch body that are present. */
static int ent__check(struct http_req *r)
{
	const char *zh = pl_json_str(r->json, "name_zh");
	const char *en = pl_json_str(r->json, "name_en");
	const char *uscc = pl_json_str(r->json, "uscc");
	struct desk_uscc_error ue;
	int rc;

	if (json_is_null(json_object_get(r->json, "name_zh")))
		return http_fail(r, PL_EINVAL, NULL, "field 'name_zh' may not be null");
	if ((zh && (rc = http_text_check(r, "name_zh", zh))) ||
	    (en && (rc = http_text_check(r, "name_en", en))))
		return rc;
	if (uscc && desk_uscc_validate(uscc, &ue))
		return http_fail(r, PL_EINVAL, NULL, "field 'uscc': %s", ue.text);
	return 0;
}

static void ent__audit(struct http_req *r, struct store_audit *a, const char *action,
		       const char *id, const json_t *before, const json_t *after)
{
	memset(a, 0, sizeof(*a));
	http_audit_from(r, a);
	a->action = action;
	a->entity = "enterprise";
	a->entity_id = id;
	a->enterprise_id = id;
	a->before = before;
	a->after = after;
}

int http__h_ent_create(struct http_req *r)
{
	char id[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	const char *en = pl_json_str(r->json, "name_en");
	const char *uscc = pl_json_str(r->json, "uscc");
	struct store_conn *c = NULL;
	struct store_audit a;
	json_t *after = NULL;
	int rc;

	if ((rc = ent__check(r)) || (rc = http_store_begin(r, &c)))
		goto out;
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(pl_json_str(r->json, "name_zh")),
		en ? SP_TEXT(en) : SP_NULL, uscc ? SP_TEXT(uscc) : SP_NULL,
		SP_TEXT(now), SP_TEXT(now),
	};
	rc = store_exec(c, "INSERT INTO enterprises (id, name_zh, name_en, uscc, created_at, "
			   "updated_at) VALUES (?, ?, ?, ?, ?, ?)", p, STORE_NP(p), NULL);
	if (rc == PL_EEXIST) {
		rc = http_fail(r, rc, NULL, "field 'uscc': an enterprise with USCC %s exists", uscc);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "creating the enterprise failed: %s", pl_strerror(rc));
		goto out;
	}
	struct store_param pid[] = { SP_TEXT(id) };
	if ((rc = store_query_one(c, "SELECT " ENT_COLS " FROM enterprises e WHERE e.id = ?",
				  pid, 1, &after)))
		goto fail_db;
	ent__audit(r, &a, "enterprise.create", id, NULL, after);
	if ((rc = store_audit(c, &a)) || (rc = store_commit(c)))
		goto fail_db;
	http_header_add(r, "Location", pl_arena_printf(r->arena, "/api/v1/enterprises/%s", id));
	rc = http_reply_json(r, 201, after);
	after = NULL;
	goto out;
fail_db:
	rc = http_fail(r, rc, NULL, "creating the enterprise failed: %s", pl_strerror(rc));
out:
	if (c && rc)
		store_rollback(c); /* a rejected request changes nothing */
	json_decref(after);
	store_conn_put(c);
	return rc;
}

int http__h_ent_patch(struct http_req *r)
{
	static const char *const fields[] = { "name_zh", "name_en", "uscc" };
	const char *id = r->params[0];
	char now[PL_TIME_STRLEN];
	struct store_conn *c = NULL;
	struct store_param p[8];
	struct store_audit a;
	struct pl_buf sql;
	json_t *before = NULL, *after = NULL;
	size_t np = 0;
	int rc;

	pl_buf_init(&sql, 1024);
	if (json_object_size(r->json) == 0) {
		rc = http_fail(r, PL_EINVAL, NULL,
			       "nothing to change: send at least one of name_zh, name_en, uscc");
		goto out;
	}
	if ((rc = ent__check(r)) || (rc = http_store_begin(r, &c)) ||
	    (rc = ent__load(r, c, id, AUTH_A_ENTERPRISE_UPDATE, &before)))
		goto out;
	pl_time_format(pl_time_now_ms(), now);
	pl_buf_puts(&sql, "UPDATE enterprises SET updated_at = ?");
	p[np++] = SP_TEXT(now);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *v = json_object_get(r->json, fields[i]);
		if (!v)
			continue;
		pl_buf_printf(&sql, ", %s = ?", fields[i]);
		p[np++] = json_is_null(v) ? SP_NULL : SP_TEXT(json_string_value(v));
	}
	pl_buf_puts(&sql, " WHERE id = ?");
	p[np++] = SP_TEXT(id);
	rc = store_exec(c, sql.data, p, np, NULL);
	if (rc == PL_EEXIST) {
		rc = http_fail(r, rc, NULL, "field 'uscc': another enterprise has USCC %s",
			       pl_json_str(r->json, "uscc"));
		goto out;
	}
	struct store_param pid[] = { SP_TEXT(id) };
	if (rc || (rc = store_query_one(c, "SELECT " ENT_COLS " FROM enterprises e WHERE e.id = ?",
					pid, 1, &after)))
		goto fail_db;
	ent__audit(r, &a, "enterprise.update", id, before, after);
	if ((rc = store_audit(c, &a)) || (rc = store_commit(c)))
		goto fail_db;
	rc = http_reply_json(r, 200, after);
	after = NULL;
	goto out;
fail_db:
	rc = http_fail(r, rc, NULL, "updating the enterprise failed: %s", pl_strerror(rc));
out:
	if (c && rc)
		store_rollback(c); /* a rejected request changes nothing */
	json_decref(before);
	json_decref(after);
	store_conn_put(c);
	pl_buf_release(&sql);
	return rc;
}
