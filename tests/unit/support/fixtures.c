/* fixtures.c - the shared unit-test seeding (see fixtures.h). It holds no
 * state: what it makes is owned by the caller. */
#include "fixtures.h"

#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

struct auth *tfx_auth_demo(struct store *st)
{
	/* AUTH_HASH_MIN: Argon2id at its floor keeps seeding fast; no test
	 * here measures hashing */
	struct auth_options ao = { .hash_cost = AUTH_HASH_MIN };
	struct auth *a = auth_new(st, &ao, NULL);
	cr_assert_not_null(a, "auth_new");
	cr_assert_eq(auth_demo_seed(a, NULL), 0);
	return a;
}

void tfx_principal(struct auth *a, const char *username, struct auth_principal *p)
{
	json_t *u = NULL;
	enum auth_role role;

	cr_assert_eq(auth_user_get(a, username, &u), 0, "user %s", username);
	memset(p, 0, sizeof(*p));
	pl_strlcpy(p->user_id, pl_json_str(u, "id"), sizeof(p->user_id));
	pl_strlcpy(p->name, username, sizeof(p->name));
	cr_assert_eq(auth_role_parse(pl_json_str(u, "role"), &role), 0);
	p->role = role;
	if (pl_json_str(u, "enterprise_id"))
		pl_strlcpy(p->enterprise_id, pl_json_str(u, "enterprise_id"), sizeof(p->enterprise_id));
	if (pl_json_str(u, "department"))
		pl_strlcpy(p->department, pl_json_str(u, "department"), sizeof(p->department));
	json_decref(u);
}

int64_t tfx_count(struct store_conn *c, const char *sql, const char *arg)
{
	json_t *row = NULL;
	struct store_param p[] = { SP_TEXT(arg) };
	cr_assert_eq(store_query_one(c, sql, p, arg ? 1 : 0, &row), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}
