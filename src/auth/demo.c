/*
 * demo.c - the demo park's enterprises and accounts, for `parkline serve
 * --demo`, the route walk test and anyone trying Parkline out.
 *
 * Idempotent: enterprises are found by their USCC and users by username,
 * and whatever already exists is left exactly as it is (a changed demo
 * password stays changed). Everything created is audited as "system".
 */
#include "auth/auth_int.h"

struct auth__demo_ent {
	const char *uscc;
	const char *name_zh;
	const char *name_en;
};
static const struct auth__demo_ent auth__demo_ents[] = {
	{ AUTH_DEMO_USCC_1, "重庆太极制药有限公司", "Chongqing Taiji Pharmaceutical" },
	{ AUTH_DEMO_USCC_2, "华兰生物疫苗有限公司", "Hualan Biological Vaccine" },
};

struct auth__demo_user {
	const char *username;
	const char *display_name;
	const char *role;
	int enterprise;          /* 1-based index into auth__demo_ents, 0: none */
	const char *department;
	int assigned;            /* specialists: 1-based enterprise assigned */
};
static const struct auth__demo_user auth__demo_users[] = {
	{ "admin", "园区管理员 Park Admin", "park_admin", 0, NULL, 0 },
	{ "specialist1", "服务专员 Specialist One", "specialist", 0, NULL, 1 },
	{ "dept_tax", "税务部门 Tax Department", "department", 0, "tax", 0 },
	{ "ent1", "太极制药 Taiji User", "enterprise", 1, NULL, 0 },
	{ "ent2", "华兰生物 Hualan User", "enterprise", 2, NULL, 0 },
	{ "auditor", "审计员 Auditor", "auditor", 0, NULL, 0 },
};
#define AUTH__NDEMO_ENTS (sizeof(auth__demo_ents) / sizeof(auth__demo_ents[0]))
#define AUTH__NDEMO_USERS (sizeof(auth__demo_users) / sizeof(auth__demo_users[0]))

/* Finds or creates one demo enterprise; its id goes to id_out. */
static int auth__demo_enterprise(struct store_conn *c, const struct auth__demo_ent *e,
				 const char *now_s, char id_out[PL_ID_LEN + 1])
{
	json_t *row = NULL, *after = NULL;
	struct store_param q[] = { SP_TEXT(e->uscc) };
	int rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", q, STORE_NP(q), &row);
	if (rc == 0) {
		pl_strlcpy(id_out, pl_json_str(row, "id"), PL_ID_LEN + 1);
		goto out;
	}
	if (rc != PL_ENOTFOUND)
		goto out;
	pl_id_new(id_out);
	struct store_param p[] = {
		SP_TEXT(id_out), SP_TEXT(e->name_zh), SP_TEXT(e->name_en), SP_TEXT(e->uscc),
		SP_TEXT(now_s), SP_TEXT(now_s),
	};
	rc = store_exec(c, "INSERT INTO enterprises (id, name_zh, name_en, uscc, created_at, "
			"updated_at) VALUES (?, ?, ?, ?, ?, ?)", p, STORE_NP(p), NULL);
	if (rc)
		goto out;
	after = json_pack("{s:s, s:s, s:s, s:s}", "id", id_out, "name_zh", e->name_zh,
			  "name_en", e->name_en, "uscc", e->uscc);
	rc = auth__audit(c, NULL, "enterprise.create", "enterprise", id_out, id_out, NULL,
			 after, NULL);
out:
	json_decref(row);
	json_decref(after);
	return rc;
}

static int auth__demo_assign(struct store_conn *c, const char *spec_id, const char *ent_id,
			     const char *now_s)
{
	bool yes = false;
	json_t *after = NULL;
	char id[PL_ID_LEN + 1];
	int rc = auth_is_assigned(c, spec_id, ent_id, &yes);
	if (rc || yes)
		return rc;
	pl_id_new(id);
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(ent_id), SP_TEXT(spec_id), SP_TEXT(now_s) };
	rc = store_exec(c, "INSERT INTO assignments (id, enterprise_id, specialist_id, started_at, "
			"reason) VALUES (?, ?, ?, ?, 'demo')", p, STORE_NP(p), NULL);
	if (rc)
		return rc;
	after = json_pack("{s:s, s:s, s:s}", "id", id, "enterprise_id", ent_id,
			  "specialist_id", spec_id);
	rc = auth__audit(c, NULL, "assignment.create", "assignment", id, ent_id, NULL, after, NULL);
	json_decref(after);
	return rc;
}

int auth_demo_seed(struct auth *a, FILE *print_to)
{
	struct store_conn *c = NULL;
	char ent_ids[AUTH__NDEMO_ENTS][PL_ID_LEN + 1];
	char user_ids[AUTH__NDEMO_USERS][PL_ID_LEN + 1];
	char now_s[PL_TIME_STRLEN];
	json_t *u = NULL;
	int rc;

	pl_time_format(auth__now(a), now_s);
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	for (size_t i = 0; i < AUTH__NDEMO_ENTS; i++) {
		rc = auth__demo_enterprise(c, &auth__demo_ents[i], now_s, ent_ids[i]);
		if (rc)
			goto out;
	}
	rc = store_commit(c);
	if (rc)
		goto out;
	/* Users go through auth_user_add (its own transaction and hashing),
	 * so the demo accounts obey every rule real ones do. */
	store_conn_put(c);
	c = NULL;
	for (size_t i = 0; i < AUTH__NDEMO_USERS; i++) {
		const struct auth__demo_user *d = &auth__demo_users[i];
		rc = auth_user_get(a, d->username, &u);
		if (rc == 0) {
			pl_strlcpy(user_ids[i], pl_json_str(u, "id"), PL_ID_LEN + 1);
			json_decref(u);
			u = NULL;
			continue;
		}
		if (rc != PL_ENOTFOUND)
			goto out;
		struct auth_user_new in = {
			.username = d->username, .password = AUTH_DEMO_PASSWORD,
			.display_name = d->display_name, .role = d->role,
			.enterprise_id = d->enterprise ? ent_ids[d->enterprise - 1] : NULL,
			.department = d->department,
		};
		rc = auth_user_add(a, NULL, &in, NULL, user_ids[i], NULL);
		if (rc)
			goto out;
	}
	rc = store_conn_get(a->st, &c);
	if (rc)
		goto out;
	rc = store_begin(c);
	if (rc)
		goto out;
	for (size_t i = 0; i < AUTH__NDEMO_USERS; i++)
		if (auth__demo_users[i].assigned) {
			rc = auth__demo_assign(c, user_ids[i],
					       ent_ids[auth__demo_users[i].assigned - 1], now_s);
			if (rc)
				goto out;
		}
	rc = store_commit(c);
	if (rc)
		goto out;

	if (print_to) {
		fprintf(print_to, "Demo accounts (password for all: %s):\n", AUTH_DEMO_PASSWORD);
		fprintf(print_to, "  %-12s %-11s %s\n", "username", "role", "enterprise / department");
		for (size_t i = 0; i < AUTH__NDEMO_USERS; i++) {
			const struct auth__demo_user *d = &auth__demo_users[i];
			const char *what = d->enterprise ? auth__demo_ents[d->enterprise - 1].name_zh
				: d->department ? d->department
				: d->assigned ? auth__demo_ents[d->assigned - 1].name_zh : "";
			fprintf(print_to, "  %-12s %-11s %s%s\n", d->username, d->role,
				d->assigned ? "assigned: " : "", what);
		}
		fflush(print_to);
	}
out:
	if (c)
		store_conn_put(c);
	json_decref(u);
	return rc;
}
