/*
 * user.c - user accounts: create, list, read, update (display name,
 * password, role, disabled), with all validation in one place so the HTTP
 * handlers and the admin CLI give the same answers.
 *
 * Rules that hold after every call:
 *  - username is 3-64 of [a-z0-9_.-] and unique;
 *  - an enterprise user has an existing enterprise_id, nobody else has one;
 *  - a department user has a department, nobody else has one;
 *  - at least one park admin stays active (the last one cannot be disabled
 *    or demoted, so nobody locks the park out of its own system);
 *  - a password change or disabling ends that user's sessions.
 * Password hashes never leave this file: not in results, not in audit rows.
 */
#include "auth/auth_int.h"

#define AUTH__DEPT_MAX 63
#define AUTH__USER_COLS_PUB \
	"id, username, display_name, role, enterprise_id, department, disabled, " \
	"created_at, updated_at"

bool auth_username_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n < AUTH_USERNAME_MIN || n > AUTH_USERNAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
			return false;
	return true;
}

static bool auth__dept_ok(const char *s)
{
	return auth__text_ok(s, 1, AUTH__DEPT_MAX);
}

int auth_user_add(struct auth *a, const struct auth_principal *actor,
		  const struct auth_user_new *in, const struct auth_req *rq,
		  char out_id[PL_ID_LEN + 1], struct pl_json_error *err)
{
	struct store_conn *c = NULL;
	enum auth_role role;
	const char *ent = in->enterprise_id && *in->enterprise_id ? in->enterprise_id : NULL;
	const char *dept = in->department && *in->department ? in->department : NULL;
	char hash[AUTH_HASH_MAX], id[PL_ID_LEN + 1], now_s[PL_TIME_STRLEN];
	json_t *after = NULL;
	bool exists = false;
	int rc;

	if (actor) {
		rc = auth_authorize(actor, AUTH_A_USER_ADMIN, NULL);
		if (rc)
			return rc;
	}
	if (!auth_username_valid(in->username))
		return auth__field_error(err, "username",
					 "username must be %d to %d of [a-z0-9_.-]",
					 AUTH_USERNAME_MIN, AUTH_USERNAME_MAX);
	if (!in->password || strlen(in->password) < AUTH_PASSWORD_MIN ||
	    strlen(in->password) > AUTH_PASSWORD_MAX)
		return auth__field_error(err, "password",
					 "password must be %d to %d characters",
					 AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	if (!auth__text_ok(in->display_name, 1, AUTH_DISPLAY_MAX))
		return auth__field_error(err, "display_name",
					 "display_name must be 1 to %d bytes of text",
					 AUTH_DISPLAY_MAX);
	if (auth_role_parse(in->role, &role) || role == AUTH_ROLE_DEVICE)
		return auth__field_error(err, "role",
					 "role must be one of park_admin, specialist, department, "
					 "enterprise, auditor");
	if (role == AUTH_ROLE_ENTERPRISE && !ent)
		return auth__field_error(err, "enterprise_id",
					 "enterprise_id is required for enterprise users");
	if (role != AUTH_ROLE_ENTERPRISE && ent)
		return auth__field_error(err, "enterprise_id",
					 "only enterprise users belong to an enterprise");
	if (ent && !pl_id_valid(ent))
		return auth__field_error(err, "enterprise_id", "enterprise_id is not a valid id");
	if (role == AUTH_ROLE_DEPARTMENT && !dept)
		return auth__field_error(err, "department",
					 "department is required for department users");
	if (role != AUTH_ROLE_DEPARTMENT && dept)
		return auth__field_error(err, "department",
					 "only department users have a department");
	if (dept && !auth__dept_ok(dept))
		return auth__field_error(err, "department",
					 "department must be 1 to %d bytes of text", AUTH__DEPT_MAX);

	/* Hash before taking a connection (session.c design note 2). */
	rc = auth_password_hash(a, in->password, hash);
	if (rc)
		return rc;
	pl_id_new(id);
	pl_time_format(auth__now(a), now_s);
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
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(in->username), SP_TEXT(in->display_name), SP_TEXT(hash),
		SP_TEXT(auth_role_name(role)), ent ? SP_TEXT(ent) : SP_NULL,
		dept ? SP_TEXT(dept) : SP_NULL, SP_TEXT(now_s), SP_TEXT(now_s),
	};
	rc = store_exec(c,
			"INSERT INTO users (id, username, display_name, password_hash, role, "
			"enterprise_id, department, disabled, created_at, updated_at) "
			"VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
			p, STORE_NP(p), NULL);
	if (rc == PL_EEXIST)
		auth__field_error(err, "username", "username %s is taken", in->username);
	if (rc)
		goto out;
	after = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:b}", "id", id,
			  "username", in->username, "display_name", in->display_name,
			  "role", auth_role_name(role),
			  "enterprise_id", ent ? json_string(ent) : json_null(),
			  "department", dept ? json_string(dept) : json_null(), "disabled", 0);
	rc = auth__audit(c, actor, "user.create", "user", id, ent, NULL, after, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
	if (rc)
		goto out;
	pl_strlcpy(out_id, id, PL_ID_LEN + 1);
out:
	if (c)
		store_conn_put(c);
	json_decref(after);
	return rc;
}

#define AUTH__USER_LIST_MAX 500

int auth_user_list(struct auth *a, int limit, int offset, json_t **out)
{
	struct store_conn *c = NULL;
	struct store_rows *r = NULL;
	json_t *items = NULL;
	int64_t total = 0;
	int rc;

	*out = NULL;
	if (limit < 1 || limit > AUTH__USER_LIST_MAX || offset < 0)
		return PL_EINVAL;
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_query(c, "SELECT COUNT(*) FROM users", NULL, 0, &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	total = rc == 1 ? store_rows_int(r, 0) : 0;
	store_rows_free(r);
	r = NULL;
	struct store_param p[] = { SP_INT(limit), SP_INT(offset) };
	rc = store_query_json(c, "SELECT " AUTH__USER_COLS_PUB " FROM users "
			      "ORDER BY username LIMIT ? OFFSET ?",
			      p, STORE_NP(p), AUTH__USER_LIST_MAX, &items);
	if (rc)
		goto out;
	*out = json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)total);
out:
	if (r)
		store_rows_free(r);
	if (c)
		store_conn_put(c);
	json_decref(items);
	return rc;
}

static int auth__user_get(struct store_conn *c, const char *id_or_username, json_t **out)
{
	struct store_param p[] = { SP_TEXT(id_or_username), SP_TEXT(id_or_username) };
	return store_query_one(c, "SELECT " AUTH__USER_COLS_PUB " FROM users "
			       "WHERE id = ? OR username = ?", p, STORE_NP(p), out);
}

int auth_user_get(struct auth *a, const char *id_or_username, json_t **out)
{
	struct store_conn *c = NULL;
	int rc;

	*out = NULL;
	if (!id_or_username || !*id_or_username || strlen(id_or_username) > AUTH_USERNAME_MAX)
		return PL_ENOTFOUND;
	rc = store_conn_get(a->st, &c);
	if (rc)
		return rc;
	rc = auth__user_get(c, id_or_username, out);
	store_conn_put(c);
	return rc;
}

/* Active park admins other than user_id. */
static int auth__other_admins(struct store_conn *c, const char *user_id, int64_t *n)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(user_id) };
	int rc = store_query(c, "SELECT COUNT(*) FROM users WHERE role = 'park_admin' "
			     "AND disabled = 0 AND id <> ?", p, STORE_NP(p), &r);
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	*n = rc == 1 ? store_rows_int(r, 0) : 0;
	rc = 0;
out:
	if (r)
		store_rows_free(r);
	return rc;
}

int auth_user_update(struct auth *a, const struct auth_principal *actor,
		     const char *id, const struct auth_user_patch *patch,
		     const struct auth_req *rq, struct pl_json_error *err)
{
	struct store_conn *c = NULL;
	json_t *before = NULL, *after = NULL;
	char hash[AUTH_HASH_MAX] = "", now_s[PL_TIME_STRLEN], uid[PL_ID_LEN + 1];
	enum auth_role role = AUTH_ROLE_DEVICE, old_role;
	int rc;

	if (actor) {
		rc = auth_authorize(actor, AUTH_A_USER_ADMIN, NULL);
		if (rc)
			return rc;
	}
	if (!id || !*id || strlen(id) > AUTH_USERNAME_MAX)
		return PL_ENOTFOUND;
	if (patch->display_name && !auth__text_ok(patch->display_name, 1, AUTH_DISPLAY_MAX))
		return auth__field_error(err, "display_name",
					 "display_name must be 1 to %d bytes of text",
					 AUTH_DISPLAY_MAX);
	if (patch->password && (strlen(patch->password) < AUTH_PASSWORD_MIN ||
				strlen(patch->password) > AUTH_PASSWORD_MAX))
		return auth__field_error(err, "password",
					 "password must be %d to %d characters",
					 AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	if (patch->role && (auth_role_parse(patch->role, &role) || role == AUTH_ROLE_DEVICE))
		return auth__field_error(err, "role",
					 "role must be one of park_admin, specialist, department, "
					 "enterprise, auditor");
	if (patch->disabled < -1 || patch->disabled > 1)
		return auth__field_error(err, "disabled", "disabled must be true or false");
	if (patch->password) {
		rc = auth_password_hash(a, patch->password, hash);
		if (rc)
			return rc;
	}
	pl_time_format(auth__now(a), now_s);

	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	rc = auth__user_get(c, id, &before);
	if (rc)
		goto out;
	pl_strlcpy(uid, pl_json_str(before, "id"), sizeof(uid));
	if (auth_role_parse(pl_json_str(before, "role"), &old_role)) {
		rc = PL_EINTERNAL;
		goto out;
	}
	if (!patch->role)
		role = old_role;
	/* A role change may not add or drop a binding: the binding fields
	 * are not patchable, so the rules of auth_user_add keep holding. */
	if (role != old_role &&
	    (role == AUTH_ROLE_ENTERPRISE || old_role == AUTH_ROLE_ENTERPRISE ||
	     role == AUTH_ROLE_DEPARTMENT || old_role == AUTH_ROLE_DEPARTMENT)) {
		rc = auth__field_error(err, "role",
				       "cannot change role from %s to %s: the enterprise or "
				       "department binding would change; create a new user",
				       auth_role_name(old_role), auth_role_name(role));
		goto out;
	}
	bool was_active_admin = old_role == AUTH_ROLE_PARK_ADMIN &&
				json_integer_value(json_object_get(before, "disabled")) == 0;
	bool stays_active_admin = role == AUTH_ROLE_PARK_ADMIN &&
				  (patch->disabled == -1 ? was_active_admin : patch->disabled == 0);
	if (was_active_admin && !stays_active_admin) {
		int64_t others = 0;
		rc = auth__other_admins(c, uid, &others);
		if (rc)
			goto out;
		if (others == 0) {
			rc = PL_ECONFLICT;
			auth__field_error(err, patch->role ? "role" : "disabled",
					  "this is the last active park admin");
			goto out;
		}
	}
	struct store_param p[] = {
		patch->display_name ? SP_TEXT(patch->display_name) : SP_NULL,
		hash[0] ? SP_TEXT(hash) : SP_NULL,
		SP_TEXT(auth_role_name(role)),
		SP_INT(patch->disabled),
		SP_INT(patch->disabled),
		SP_TEXT(now_s),
		SP_TEXT(uid),
	};
	rc = store_exec(c,
			"UPDATE users SET display_name = COALESCE(?, display_name), "
			"password_hash = COALESCE(?, password_hash), role = ?, "
			"disabled = CASE WHEN ? < 0 THEN disabled ELSE ? END, updated_at = ? "
			"WHERE id = ?",
			p, STORE_NP(p), NULL);
	if (rc)
		goto out;
	if (hash[0] || patch->disabled == 1) {
		struct store_param sp[] = { SP_TEXT(uid) };
		rc = store_exec(c, "DELETE FROM sessions WHERE user_id = ?", sp, STORE_NP(sp), NULL);
		if (rc)
			goto out;
	}
	rc = auth__user_get(c, uid, &after);
	if (rc)
		goto out;
	if (hash[0])
		json_object_set_new(after, "password_changed", json_true());
	const char *ent = pl_json_str(before, "enterprise_id");
	rc = auth__audit(c, actor, "user.update", "user", uid, ent, before, after, rq);
	if (rc)
		goto out;
	rc = store_commit(c);
out:
	if (c)
		store_conn_put(c);
	json_decref(before);
	json_decref(after);
	return rc;
}

int auth_user_set_password(struct auth *a, const struct auth_principal *actor,
			   const char *id, const char *password,
			   const struct auth_req *rq, struct pl_json_error *err)
{
	struct auth_user_patch p = { .password = password ? password : "", .disabled = -1 };
	return auth_user_update(a, actor, id, &p, rq, err);
}

int auth_user_disable(struct auth *a, const struct auth_principal *actor,
		      const char *id, bool disabled, const struct auth_req *rq)
{
	struct auth_user_patch p = { .disabled = disabled ? 1 : 0 };
	return auth_user_update(a, actor, id, &p, rq, NULL);
}
