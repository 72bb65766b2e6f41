/* test_auth.c - the auth module against a real store: the role x action
 * table (cell by cell against tests/authz/table.json, plus explicit cases),
 * Argon2id hashing, users and their rules, sessions with idle expiry,
 * API tokens (scope, expiry, revocation), the login throttle per user and
 * per address, tenancy filters and the demo seed.
 *
 * Every test runs on a fresh SQLite file in a temp dir, and again on
 * PostgreSQL when PARKLINE_TEST_PG holds a connection URL (then names get a
 * per-run suffix, since the database is shared). Time is an injected clock,
 * so expiry and throttle windows are tested without sleeping. Hashes use
 * libsodium's MIN limits: the cost parameters are the only difference from
 * production. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <sodium.h>
#include "auth/auth_int.h" /* auth__copy_text is tested directly */

/* ------------------------------------------------------------- fixture */
struct fx {
	char dir[64];            /* SQLite temp dir, "" for PostgreSQL */
	char url[512];
	struct store *st;
	struct auth *a;
	int64_t now;             /* the injected clock, ms */
	char sfx[9];             /* unique suffix for names */
	char ent1[PL_ID_LEN + 1], ent2[PL_ID_LEN + 1];
	bool pg;
};

static int64_t fx_clock(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static void fx_ent_id(struct fx *f, const char *uscc, char out[PL_ID_LEN + 1])
{
	struct store_conn *c;
	json_t *row = NULL;
	cr_assert_eq(store_conn_get(f->st, &c), 0);
	struct store_param p[] = { SP_TEXT(uscc) };
	cr_assert_eq(store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", p, 1, &row), 0);
	pl_strlcpy(out, pl_json_str(row, "id"), PL_ID_LEN + 1);
	json_decref(row);
	store_conn_put(c);
}

static void fx_open(struct fx *f, bool pg, const struct auth_options *extra)
{
	unsigned char r[4];
	memset(f, 0, sizeof(*f));
	f->pg = pg;
	f->now = 1795628756123LL; /* 2026-11-25T17:45:56.123Z */
	pl_random(r, sizeof(r));
	pl_hex(r, sizeof(r), f->sfx);
	if (pg) {
		pl_strlcpy(f->url, getenv("PARKLINE_TEST_PG"), sizeof(f->url));
	} else {
		pl_strlcpy(f->dir, "/tmp/pl-auth-XXXXXX", sizeof(f->dir));
		cr_assert_not_null(mkdtemp(f->dir));
		pl_fmt(f->url, sizeof(f->url), "%s/t.db", f->dir);
	}
	cr_assert_eq(store_open(f->url, NULL, &f->st), 0, "store_open %s", f->url);
	cr_assert_eq(store_migrate(f->st, NULL), 0);
	struct auth_options o = extra ? *extra : (struct auth_options){ 0 };
	o.hash_cost = AUTH_HASH_MIN;
	o.clock_ms = fx_clock;
	o.clock_ctx = f;
	f->a = auth_new(f->st, &o, NULL);
	cr_assert_eq(auth_demo_seed(f->a, NULL), 0);
	fx_ent_id(f, AUTH_DEMO_USCC_1, f->ent1);
	fx_ent_id(f, AUTH_DEMO_USCC_2, f->ent2);
}

static void fx_close(struct fx *f)
{
	auth_free(f->a);
	store_free(f->st);
	if (f->dir[0]) {
		static const char *const files[] = { "t.db", "t.db-wal", "t.db-shm" };
		for (size_t i = 0; i < 3; i++) {
			char p[128];
			pl_fmt(p, sizeof(p), "%s/%s", f->dir, files[i]);
			unlink(p);
		}
		rmdir(f->dir);
	}
}

/* Runs fn on SQLite, then on PostgreSQL when configured. */
static void on_each_store(void (*fn)(struct fx *), const struct auth_options *extra)
{
	for (int pg = 0; pg < 2; pg++) {
		if (pg && !getenv("PARKLINE_TEST_PG"))
			continue;
		struct fx f;
		fx_open(&f, pg, extra);
		fn(&f);
		fx_close(&f);
	}
}

static void uname(struct fx *f, const char *base, char out[AUTH_USERNAME_MAX + 1])
{
	pl_fmt(out, AUTH_USERNAME_MAX + 1, "%s_%s", base, f->sfx);
}

static int64_t count_rows(struct fx *f, const char *sql, const char *arg)
{
	struct store_conn *c;
	struct store_rows *r;
	struct store_param p[] = { SP_TEXT(arg) };
	cr_assert_eq(store_conn_get(f->st, &c), 0);
	cr_assert_eq(store_query(c, sql, p, arg ? 1 : 0, &r), 0, "%s", sql);
	cr_assert_eq(store_rows_next(r), 1);
	int64_t n = store_rows_int(r, 0);
	store_rows_free(r);
	store_conn_put(c);
	return n;
}

/* ------------------------------------------------- the table (pure) */
static struct auth_principal mkp(enum auth_role role, const char *ent, const char *dept)
{
	struct auth_principal p;
	memset(&p, 0, sizeof(p));
	p.role = role;
	pl_strlcpy(p.user_id, "01HZZZZZZZZZZZZZZZZZZZZZZZ", sizeof(p.user_id));
	pl_strlcpy(p.name, "t", sizeof(p.name));
	pl_strlcpy(p.enterprise_id, ent ? ent : "", sizeof(p.enterprise_id));
	pl_strlcpy(p.department, dept ? dept : "", sizeof(p.department));
	return p;
}

#define E1 "01J00000000000000000000001"
#define E2 "01J00000000000000000000002"

enum tgt { T_COLLECTION, T_OWN, T_OTHER, T_NONE };
static const char *const tgt_names[] = { "collection", "own", "other", "no-enterprise" };

/* The outcome a scope gives for a target kind: the rules in docs/security.md. */
static int expected_for(enum auth_scope s, enum tgt t)
{
	if (s == AUTH_SCOPE_DENY)
		return PL_EFORBIDDEN;
	if (t == T_COLLECTION || s == AUTH_SCOPE_ANY)
		return 0;
	if (s == AUTH_SCOPE_DEPARTMENT)
		return t == T_OWN ? 0 : PL_ENOTFOUND; /* own = routed to my dept */
	return t == T_OWN ? 0 : PL_ENOTFOUND;
}

Test(auth_policy, table_json_matches_code_cell_by_cell)
{
	json_error_t je;
	json_t *doc = json_load_file("tests/authz/table.json", 0, &je);
	cr_assert_not_null(doc, "tests/authz/table.json: %s", je.text);
	json_t *actions = json_object_get(doc, "actions");
	cr_assert_eq(json_object_size(actions), AUTH_A_COUNT, "one row per action");
	for (int a = 0; a < AUTH_A_COUNT; a++) {
		json_t *row = json_object_get(actions, auth_action_name(a));
		cr_assert_not_null(row, "table.json lacks action %s", auth_action_name(a));
		cr_assert_eq(json_object_size(row), AUTH_ROLE_COUNT);
		for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
			const char *want = json_string_value(json_object_get(row, auth_role_name(r)));
			cr_expect_str_eq(auth_scope_name(auth_scope_of(r, a)), want ? want : "(missing)",
					 "%s x %s", auth_role_name(r), auth_action_name(a));
		}
	}
	json_decref(doc);
}

Test(auth_policy, every_role_action_target)
{
	int checked = 0;
	for (int r = 0; r < AUTH_ROLE_COUNT; r++)
		for (int a = 0; a < AUTH_A_COUNT; a++)
			for (int t = T_COLLECTION; t <= T_NONE; t++) {
				struct auth_principal p = mkp(r, r == AUTH_ROLE_ENTERPRISE ||
							      r == AUTH_ROLE_DEVICE ? E1 : NULL,
							      r == AUTH_ROLE_DEPARTMENT ? "tax" : NULL);
				struct auth_target tg = { 0 };
				tg.enterprise_id = t == T_OWN ? E1 : t == T_OTHER ? E2 : NULL;
				tg.assigned_to_caller = t == T_OWN; /* specialist: E1 assigned */
				tg.department = t == T_OWN ? "tax" : t == T_OTHER ? "land" : NULL;
				int got = auth_authorize(&p, a, t == T_COLLECTION ? NULL : &tg);
				int want = a == AUTH_A_PUBLIC ? 0 : expected_for(auth_scope_of(r, a), t);
				cr_expect_eq(got, want, "%s x %s x %s: got %d want %d", auth_role_name(r),
					     auth_action_name(a), tgt_names[t], got, want);
				checked++;
			}
	cr_expect_eq(checked, AUTH_ROLE_COUNT * AUTH_A_COUNT * 4);
}

struct az_case {
	enum auth_role role;
	const char *p_ent;
	const char *p_dept;
	enum auth_action action;
	bool has_target;
	const char *t_ent;
	bool assigned;
	int want;
};
/* Cells that matter most, spelled out so a wrong table cannot hide behind a
 * wrong expected_for(). */
static const struct az_case az_cases[] = {
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_ENTERPRISE_READ, true, E1, false, 0 },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_ENTERPRISE_READ, true, E2, false, PL_ENOTFOUND },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_ENTERPRISE_UPDATE, true, E2, false, PL_ENOTFOUND },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_ENTERPRISE_CREATE, false, NULL, false, PL_EFORBIDDEN },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_USER_ADMIN, false, NULL, false, PL_EFORBIDDEN },
	{ AUTH_ROLE_ENTERPRISE, "", NULL, AUTH_A_ENTERPRISE_READ, true, E1, false, PL_ENOTFOUND },
	{ AUTH_ROLE_SPECIALIST, NULL, NULL, AUTH_A_ENTERPRISE_READ, true, E1, true, 0 },
	{ AUTH_ROLE_SPECIALIST, NULL, NULL, AUTH_A_ENTERPRISE_READ, true, E2, false, PL_ENOTFOUND },
	{ AUTH_ROLE_SPECIALIST, NULL, NULL, AUTH_A_ENTERPRISE_UPDATE, true, E1, true, PL_EFORBIDDEN },
	{ AUTH_ROLE_PARK_ADMIN, NULL, NULL, AUTH_A_ENTERPRISE_UPDATE, true, E2, false, 0 },
	{ AUTH_ROLE_PARK_ADMIN, NULL, NULL, AUTH_A_USER_ADMIN, false, NULL, false, 0 },
	{ AUTH_ROLE_AUDITOR, NULL, NULL, AUTH_A_ENTERPRISE_READ, true, E2, false, 0 },
	{ AUTH_ROLE_AUDITOR, NULL, NULL, AUTH_A_ENTERPRISE_UPDATE, true, E2, false, PL_EFORBIDDEN },
	{ AUTH_ROLE_AUDITOR, NULL, NULL, AUTH_A_AUDIT_READ, false, NULL, false, 0 },
	{ AUTH_ROLE_DEPARTMENT, NULL, "tax", AUTH_A_ENTERPRISE_LIST, false, NULL, false, 0 },
	{ AUTH_ROLE_DEPARTMENT, NULL, "tax", AUTH_A_TOKEN_ADMIN, false, NULL, false, PL_EFORBIDDEN },
	{ AUTH_ROLE_DEVICE, E1, NULL, AUTH_A_ENTERPRISE_READ, true, E1, false, PL_EFORBIDDEN },
	{ AUTH_ROLE_DEVICE, E1, NULL, AUTH_A_SELF, false, NULL, false, 0 },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_TOKEN_ADMIN, true, E1, false, 0 },
	{ AUTH_ROLE_ENTERPRISE, E1, NULL, AUTH_A_TOKEN_ADMIN, true, E2, false, PL_ENOTFOUND },
};

Test(auth_policy, explicit_cases)
{
	for (size_t i = 0; i < sizeof(az_cases) / sizeof(az_cases[0]); i++) {
		const struct az_case *c = &az_cases[i];
		struct auth_principal p = mkp(c->role, c->p_ent, c->p_dept);
		struct auth_target t = { .enterprise_id = c->t_ent, .assigned_to_caller = c->assigned };
		int got = auth_authorize(&p, c->action, c->has_target ? &t : NULL);
		cr_expect_eq(got, c->want, "case %zu (%s x %s): got %d want %d", i,
			     auth_role_name(c->role), auth_action_name(c->action), got, c->want);
	}
}

Test(auth_policy, anonymous_and_bad_action)
{
	for (int a = 0; a < AUTH_A_COUNT; a++)
		cr_expect_eq(auth_authorize(NULL, a, NULL), a == AUTH_A_PUBLIC ? 0 : PL_EAUTH,
			     "%s", auth_action_name(a));
	struct auth_principal p = mkp(AUTH_ROLE_PARK_ADMIN, NULL, NULL);
	cr_expect_eq(auth_authorize(&p, AUTH_A_COUNT, NULL), PL_EFORBIDDEN);
	cr_expect_eq(auth_authorize(&p, (enum auth_action)-1, NULL), PL_EFORBIDDEN);
	cr_expect_eq(auth_scope_of(AUTH_ROLE_COUNT, AUTH_A_SELF), AUTH_SCOPE_DENY);
}

Test(auth_policy, names_round_trip)
{
	for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
		enum auth_role back;
		cr_expect_eq(auth_role_parse(auth_role_name(r), &back), 0);
		cr_expect_eq((int)back, r);
	}
	for (int a = 0; a < AUTH_A_COUNT; a++) {
		enum auth_action back;
		cr_expect_eq(auth_action_parse(auth_action_name(a), &back), 0);
		cr_expect_eq((int)back, a);
	}
	static const char *const bad[] = { "", "admin", "PARK_ADMIN", "park_admin ", "root" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum auth_role r;
		cr_expect_eq(auth_role_parse(bad[i], &r), PL_EINVAL, "'%s'", bad[i]);
	}
	enum auth_role r;
	cr_expect_eq(auth_role_parse(NULL, &r), PL_EINVAL);
}

Test(auth_policy, csrf_check)
{
	struct auth_principal p = mkp(AUTH_ROLE_ENTERPRISE, E1, NULL);
	cr_expect_eq(auth_csrf_check(&p, NULL), 0, "bearer tokens need no CSRF");
	p.via_session = true;
	pl_strlcpy(p.csrf, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		   sizeof(p.csrf));
	struct { const char *hdr; int want; } cases[] = {
		{ "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0 },
		{ "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef0", PL_EFORBIDDEN },
		{ "00112233", PL_EFORBIDDEN },
		{ "", PL_EFORBIDDEN },
		{ NULL, PL_EFORBIDDEN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(auth_csrf_check(&p, cases[i].hdr), cases[i].want, "case %zu", i);
}

Test(auth_policy, username_syntax)
{
	struct { const char *s; bool ok; } cases[] = {
		{ "abc", true }, { "a.b-c_9", true }, { "ab", false }, { "Abc", false },
		{ "a b", false }, { "用户名", false }, { "", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(auth_username_valid(cases[i].s), cases[i].ok, "'%s'", cases[i].s);
	cr_expect(!auth_username_valid(NULL));
}

Test(auth_policy, copy_text_cuts_at_utf8_boundaries)
{
	struct { const char *src; size_t size; const char *want; } cases[] = {
		{ "abc", 8, "abc" },
		{ "abcdef", 4, "abc" },
		{ "太极", 7, "太极" },      /* 6 bytes fit in 7 */
		{ "太极", 6, "太" },        /* 5 bytes of room: the second char is cut whole */
		{ "太极", 4, "太" },
		{ "太极", 3, "" },
		{ "a太", 3, "a" },
		{ "", 1, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[16];
		memset(out, 'x', sizeof(out));
		auth__copy_text(out, cases[i].src, cases[i].size);
		cr_expect_str_eq(out, cases[i].want, "case %zu", i);
	}
}

/* --------------------------------------------------------- hashing */
Test(auth_hash, round_trip_and_wrong_password)
{
	struct auth_options o = { .hash_cost = AUTH_HASH_MIN };
	struct auth *a = auth_new(NULL, &o, NULL);
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
	cr_assert_eq(auth_password_hash(a, "correct horse", h1), 0);
	cr_assert_eq(auth_password_hash(a, "correct horse", h2), 0);
	cr_expect(!strncmp(h1, "$argon2id$", 10), "%s", h1);
	cr_expect(strcmp(h1, h2) != 0, "salted: two hashes of one password differ");
	cr_expect_eq(auth_password_verify(a, h1, "correct horse"), 0);
	cr_expect_eq(auth_password_verify(a, h1, "correct horsE"), PL_EAUTH);
	cr_expect_eq(auth_password_verify(a, h1, ""), PL_EAUTH);
	cr_expect_eq(auth_password_verify(a, "not a hash", "correct horse"), PL_EAUTH);
	cr_expect_eq(auth_password_verify(a, NULL, "correct horse"), PL_EAUTH);
	cr_expect_eq(auth_password_hash(a, "short", h1), PL_EINVAL);
	cr_expect_eq(auth_password_hash(a, "123456789", h1), PL_EINVAL);
	cr_expect_eq(auth_password_hash(a, NULL, h1), PL_EINVAL);
	auth_free(a);
}

Test(auth_hash, interactive_cost_is_argon2id_with_real_memory)
{
	struct auth_options o = { .fast_hash = true };
	struct auth *a = auth_new(NULL, &o, NULL);
	char h[AUTH_HASH_MAX];
	cr_assert_eq(auth_password_hash(a, "parkline-demo", h), 0);
	/* libsodium's INTERACTIVE limits: 64 MiB, 2 passes. */
	cr_expect(strstr(h, "$argon2id$v=19$m=65536,t=2,") != NULL, "%s", h);
	cr_expect_eq(auth_password_verify(a, h, "parkline-demo"), 0);
	auth_free(a);
}

/* ------------------------------------------------------------ users */
struct user_case {
	const char *username, *password, *display, *role;
	int ent;             /* 0 none, 1 ent1, 2 ent2, 3 a valid but absent id */
	const char *dept;
	int want;
	const char *field;
};
static const struct user_case user_cases[] = {
	{ "ok1", "long enough pw", "显示名", "park_admin", 0, NULL, 0, NULL },
	{ "ok2", "long enough pw", "E", "enterprise", 1, NULL, 0, NULL },
	{ "ok3", "long enough pw", "D", "department", 0, "land", 0, NULL },
	{ "OK4", "long enough pw", "x", "park_admin", 0, NULL, PL_EINVAL, "username" },
	{ "a", "long enough pw", "x", "park_admin", 0, NULL, PL_EINVAL, "username" },
	{ "short", "123456789", "x", "park_admin", 0, NULL, PL_EINVAL, "password" },
	{ "nodisp", "long enough pw", "", "park_admin", 0, NULL, PL_EINVAL, "display_name" },
	{ "ctl", "long enough pw", "a\tb", "park_admin", 0, NULL, PL_EINVAL, "display_name" },
	{ "badrole", "long enough pw", "x", "root", 0, NULL, PL_EINVAL, "role" },
	{ "devrole", "long enough pw", "x", "device", 0, NULL, PL_EINVAL, "role" },
	{ "noent", "long enough pw", "x", "enterprise", 0, NULL, PL_EINVAL, "enterprise_id" },
	{ "absent", "long enough pw", "x", "enterprise", 3, NULL, PL_EINVAL, "enterprise_id" },
	{ "entspec", "long enough pw", "x", "specialist", 1, NULL, PL_EINVAL, "enterprise_id" },
	{ "nodept", "long enough pw", "x", "department", 0, NULL, PL_EINVAL, "department" },
	{ "deptadm", "long enough pw", "x", "park_admin", 0, "tax", PL_EINVAL, "department" },
};

static void t_user_add_table(struct fx *f)
{
	for (size_t i = 0; i < sizeof(user_cases) / sizeof(user_cases[0]); i++) {
		const struct user_case *c = &user_cases[i];
		char name[80], id[PL_ID_LEN + 1] = "";
		struct pl_json_error err = { 0 };
		/* Suffix valid names only: the invalid ones must stay invalid. */
		if (auth_username_valid(c->username))
			uname(f, c->username, name);
		else
			pl_strlcpy(name, c->username, sizeof(name));
		struct auth_user_new in = {
			.username = name, .password = c->password, .display_name = c->display,
			.role = c->role,
			.enterprise_id = c->ent == 1 ? f->ent1 : c->ent == 2 ? f->ent2
				: c->ent == 3 ? "01J99999999999999999999999" : NULL,
			.department = c->dept,
		};
		int rc = auth_user_add(f->a, NULL, &in, NULL, id, &err);
		cr_expect_eq(rc, c->want, "case %zu %s: rc %d (%s)", i, c->username, rc, err.text);
		if (c->field)
			cr_expect_str_eq(err.field, c->field, "case %zu", i);
		if (rc == 0) {
			cr_expect(pl_id_valid(id));
			json_t *u = NULL;
			cr_assert_eq(auth_user_get(f->a, name, &u), 0);
			cr_expect_str_eq(pl_json_str(u, "id"), id);
			cr_expect_str_eq(pl_json_str(u, "role"), c->role);
			cr_expect_null(json_object_get(u, "password_hash"), "hash never leaves");
			json_decref(u);
			/* the same name again is taken */
			rc = auth_user_add(f->a, NULL, &in, NULL, id, &err);
			cr_expect_eq(rc, PL_EEXIST, "case %zu duplicate: %d", i, rc);
		}
	}
	/* an admin-only action */
	struct auth_principal ent = mkp(AUTH_ROLE_ENTERPRISE, f->ent1, NULL);
	char name[80], id[PL_ID_LEN + 1];
	uname(f, "byent", name);
	struct auth_user_new in = { .username = name, .password = "long enough pw",
				    .display_name = "x", .role = "auditor" };
	cr_expect_eq(auth_user_add(f->a, &ent, &in, NULL, id, NULL), PL_EFORBIDDEN);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM users WHERE username = ?", name), 0);
	cr_expect(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?", "user.create") >= 3);
}
Test(auth_user, add_validation_table) { on_each_store(t_user_add_table, NULL); }

static void t_user_update(struct fx *f)
{
	char name[80], id[PL_ID_LEN + 1], tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p;
	struct pl_json_error err = { 0 };
	json_t *u = NULL;
	uname(f, "upd", name);
	struct auth_user_new in = { .username = name, .password = "first password",
				    .display_name = "Before", .role = "specialist" };
	cr_assert_eq(auth_user_add(f->a, NULL, &in, NULL, id, NULL), 0);
	cr_assert_eq(auth_login(f->a, name, "first password", NULL, tok, csrf, &p, NULL), 0);

	struct auth_user_patch dp = { .display_name = "After", .disabled = -1 };
	cr_expect_eq(auth_user_update(f->a, NULL, id, &dp, NULL, &err), 0, "%s", err.text);
	cr_assert_eq(auth_user_get(f->a, id, &u), 0);
	cr_expect_str_eq(pl_json_str(u, "display_name"), "After");
	json_decref(u);
	cr_expect_eq(auth_session_check(f->a, tok, &p), 0, "a rename keeps sessions");

	cr_expect_eq(auth_user_set_password(f->a, NULL, name, "second password", NULL, &err), 0);
	cr_expect_eq(auth_session_check(f->a, tok, &p), PL_EAUTH, "a new password ends sessions");
	cr_expect_eq(auth_login(f->a, name, "first password", NULL, tok, csrf, &p, NULL), PL_EAUTH);
	cr_expect_eq(auth_login(f->a, name, "second password", NULL, tok, csrf, &p, NULL), 0);
	cr_expect_eq(auth_user_set_password(f->a, NULL, name, "short", NULL, &err), PL_EINVAL);
	cr_expect_str_eq(err.field, "password");

	cr_expect_eq(auth_user_disable(f->a, NULL, id, true, NULL), 0);
	cr_expect_eq(auth_session_check(f->a, tok, &p), PL_EAUTH, "disabling ends sessions");
	cr_expect_eq(auth_login(f->a, name, "second password", NULL, tok, csrf, &p, NULL), PL_EAUTH);
	cr_expect_eq(auth_user_disable(f->a, NULL, id, false, NULL), 0);
	cr_expect_eq(auth_login(f->a, name, "second password", NULL, tok, csrf, &p, NULL), 0);

	/* role changes that keep bindings are fine; others are refused */
	struct auth_user_patch rp = { .role = "auditor", .disabled = -1 };
	cr_expect_eq(auth_user_update(f->a, NULL, id, &rp, NULL, &err), 0);
	rp.role = "enterprise";
	cr_expect_eq(auth_user_update(f->a, NULL, id, &rp, NULL, &err), PL_EINVAL);
	cr_expect_str_eq(err.field, "role");
	rp.role = "device";
	cr_expect_eq(auth_user_update(f->a, NULL, id, &rp, NULL, &err), PL_EINVAL);
	cr_expect_eq(auth_user_update(f->a, NULL, "nosuchuser", &dp, NULL, &err), PL_ENOTFOUND);
	cr_expect(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.update' "
			     "AND entity_id = ?", id) >= 5);
	/* before/after never carry the hash */
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE entity_id = ? AND "
			       "(after_json LIKE '%argon2%' OR before_json LIKE '%argon2%')", id), 0);
}
Test(auth_user, update_password_disable_role) { on_each_store(t_user_update, NULL); }

static void t_last_admin(struct fx *f)
{
	json_t *admin = NULL;
	struct pl_json_error err = { 0 };
	cr_assert_eq(auth_user_get(f->a, "admin", &admin), 0);
	const char *aid = pl_json_str(admin, "id");
	if (f->pg) {
		/* A shared database may hold other admins: only SQLite is a
		 * known world here. */
		json_decref(admin);
		return;
	}
	cr_expect_eq(auth_user_disable(f->a, NULL, aid, true, NULL), PL_ECONFLICT);
	struct auth_user_patch rp = { .role = "auditor", .disabled = -1 };
	cr_expect_eq(auth_user_update(f->a, NULL, aid, &rp, NULL, &err), PL_ECONFLICT);
	char name[80], id[PL_ID_LEN + 1];
	uname(f, "admin2", name);
	struct auth_user_new in = { .username = name, .password = "long enough pw",
				    .display_name = "Second", .role = "park_admin" };
	cr_assert_eq(auth_user_add(f->a, NULL, &in, NULL, id, NULL), 0);
	cr_expect_eq(auth_user_disable(f->a, NULL, aid, true, NULL), 0, "another admin remains");
	cr_expect_eq(auth_user_disable(f->a, NULL, id, true, NULL), PL_ECONFLICT);
	json_decref(admin);
}
Test(auth_user, last_park_admin_stays) { on_each_store(t_last_admin, NULL); }

static void t_user_list(struct fx *f)
{
	json_t *l = NULL;
	cr_assert_eq(auth_user_list(f->a, 500, 0, &l), 0);
	cr_expect_geq(json_integer_value(json_object_get(l, "total")), 6);
	cr_expect_geq(json_array_size(json_object_get(l, "items")), 6);
	json_t *first = json_array_get(json_object_get(l, "items"), 0);
	cr_expect_null(json_object_get(first, "password_hash"));
	json_decref(l);
	cr_assert_eq(auth_user_list(f->a, 2, 1, &l), 0);
	cr_expect_eq(json_array_size(json_object_get(l, "items")), 2);
	json_decref(l);
	cr_expect_eq(auth_user_list(f->a, 0, 0, &l), PL_EINVAL);
	cr_expect_eq(auth_user_list(f->a, 501, 0, &l), PL_EINVAL);
	cr_expect_eq(auth_user_list(f->a, 10, -1, &l), PL_EINVAL);
}
Test(auth_user, list_pages) { on_each_store(t_user_list, NULL); }

/* --------------------------------------------------------- sessions */
static void t_session_lifecycle(struct fx *f)
{
	char tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p, q;
	struct auth_req rq = { .ip = "192.0.2.10", .user_agent = "criterion", .request_id = "r1" };
	char name[80], uid[PL_ID_LEN + 1];
	uname(f, "sess", name);
	struct auth_user_new in = { .username = name, .password = "session pass",
				    .display_name = "S", .role = "enterprise",
				    .enterprise_id = f->ent1 };
	cr_assert_eq(auth_user_add(f->a, NULL, &in, NULL, uid, NULL), 0);
	cr_assert_eq(auth_login(f->a, name, "session pass", &rq, tok, csrf, &p, NULL), 0);
	cr_expect_eq(strlen(tok), 43);
	cr_expect_eq(strlen(csrf), 64);
	cr_expect_str_eq(p.name, name);
	cr_expect_str_eq(p.user_id, uid);
	cr_expect_eq(p.role, AUTH_ROLE_ENTERPRISE);
	cr_expect_str_eq(p.enterprise_id, f->ent1);
	cr_expect_str_eq(p.enterprise_name, "重庆太极制药有限公司");
	cr_expect(p.via_session);
	/* only the hash is stored */
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM sessions WHERE id_hash = ?", tok), 0);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", p.user_id), 1);

	cr_assert_eq(auth_session_check(f->a, tok, &q), 0);
	cr_expect_str_eq(q.user_id, p.user_id);
	cr_expect_str_eq(q.csrf, csrf);
	cr_expect_eq(auth_csrf_check(&q, csrf), 0);
	json_t *j = auth_principal_json(&q);
	cr_expect_str_eq(pl_json_str(j, "role"), "enterprise");
	cr_expect_str_eq(pl_json_str(j, "enterprise_id"), f->ent1);
	cr_expect(json_is_null(json_object_get(j, "department")));
	json_decref(j);

	/* idle expiry slides: 7 h, 7 h, then 8 h idle ends it */
	f->now += 7 * 3600 * 1000LL;
	cr_expect_eq(auth_session_check(f->a, tok, &q), 0);
	f->now += 7 * 3600 * 1000LL;
	cr_expect_eq(auth_session_check(f->a, tok, &q), 0, "activity keeps it alive");
	f->now += 8 * 3600 * 1000LL;
	cr_expect_eq(auth_session_check(f->a, tok, &q), PL_EAUTH, "idle past the ttl");
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", p.user_id), 0,
		     "expired session deleted");

	/* an abandoned session is swept by the next login after it expired */
	char tok2[AUTH_SESSION_TOKEN_MAX];
	cr_assert_eq(auth_login(f->a, name, "session pass", &rq, tok2, csrf, &p, NULL), 0);
	f->now += 9 * 3600 * 1000LL;
	cr_assert_eq(auth_login(f->a, name, "session pass", &rq, tok, csrf, &p, NULL), 0);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM sessions WHERE user_id = ?", p.user_id), 1,
		     "the expired session was swept");
	cr_expect_eq(auth_logout(f->a, tok, &rq), 0);
	cr_expect_eq(auth_session_check(f->a, tok, &q), PL_EAUTH);
	cr_expect_eq(auth_logout(f->a, tok, &rq), PL_ENOTFOUND);

	static const char *const bad[] = { "", "x", "not-a-token-at-all-but-43-chars-long-xxxxx!",
					   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(auth_session_check(f->a, bad[i], &q), PL_EAUTH, "'%s'", bad[i]);
	cr_expect_eq(auth_session_check(f->a, NULL, &q), PL_EAUTH);

	cr_expect_geq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login' "
				 "AND actor_id = ?", p.user_id), 2);
	cr_expect_geq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.logout' "
				 "AND actor_id = ?", p.user_id), 1);
}
Test(auth_session, lifecycle_expiry_logout) { on_each_store(t_session_lifecycle, NULL); }

static void t_login_failures(struct fx *f)
{
	char tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p;
	struct { const char *user, *pw; int want; } cases[] = {
		{ "admin", AUTH_DEMO_PASSWORD, 0 },
		{ "admin", "parkline-demO", PL_EAUTH },
		{ "admin", "", PL_EAUTH },
		{ "nosuchuser", AUTH_DEMO_PASSWORD, PL_EAUTH },
		{ "Admin", AUTH_DEMO_PASSWORD, PL_EAUTH },
		{ "", "", PL_EAUTH },
		{ NULL, NULL, PL_EAUTH },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(auth_login(f->a, cases[i].user, cases[i].pw, NULL, tok, csrf, &p, NULL),
			     cases[i].want, "case %zu", i);
	cr_expect_geq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
				 "auth.login_failed"), 6);
}
Test(auth_session, failures_look_alike_and_are_audited) { on_each_store(t_login_failures, NULL); }

static void t_rehash(struct fx *f)
{
	char name[80], id[PL_ID_LEN + 1], tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p;
	json_t *row = NULL;
	struct store_conn *c;
	uname(f, "rehash", name);
	struct auth_user_new in = { .username = name, .password = "cheap hash pw",
				    .display_name = "R", .role = "auditor" };
	cr_assert_eq(auth_user_add(f->a, NULL, &in, NULL, id, NULL), 0); /* MIN cost */
	/* the same store under a daemon configured for INTERACTIVE */
	struct auth_options o = { .hash_cost = AUTH_HASH_INTERACTIVE };
	struct auth *a2 = auth_new(f->st, &o, NULL);
	cr_assert_eq(auth_login(a2, name, "cheap hash pw", NULL, tok, csrf, &p, NULL), 0,
		     "a hash made at other limits still verifies");
	auth_free(a2);
	cr_assert_eq(store_conn_get(f->st, &c), 0);
	struct store_param q[] = { SP_TEXT(id) };
	cr_assert_eq(store_query_one(c, "SELECT password_hash FROM users WHERE id = ?", q, 1, &row), 0);
	store_conn_put(c);
	cr_expect(strstr(pl_json_str(row, "password_hash"), "$m=65536,t=2,") != NULL,
		  "upgraded on login: %s", pl_json_str(row, "password_hash"));
	json_decref(row);
	cr_expect_eq(auth_login(f->a, name, "cheap hash pw", NULL, tok, csrf, &p, NULL), 0);
}
Test(auth_session, login_upgrades_cheaper_hashes) { on_each_store(t_rehash, NULL); }

/* --------------------------------------------------------- throttle */
static void t_throttle(struct fx *f)
{
	char tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
	struct auth_principal p;
	struct auth_req ip1 = { .ip = "198.51.100.1" }, ip2 = { .ip = "198.51.100.2" };
	int retry = 0;

	/* per user: 3 failures (throttle_max in this test's options) */
	for (int i = 0; i < 3; i++) {
		f->now += 1000;
		cr_expect_eq(auth_login(f->a, "ent2", "wrong password", &ip1, tok, csrf, &p, &retry),
			     PL_EAUTH, "failure %d", i);
	}
	f->now += 1000;
	cr_expect_eq(auth_login(f->a, "ent2", AUTH_DEMO_PASSWORD, &ip2, tok, csrf, &p, &retry),
		     PL_ETHROTTLED, "even the right password waits, from any address");
	/* window 60 s; the first failure was 4 s ago */
	cr_expect_eq(retry, 57, "retry %d", retry);
	cr_expect(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
			     "auth.login_throttled") >= 1);
	f->now += 56 * 1000;
	cr_expect_eq(auth_login(f->a, "ent2", AUTH_DEMO_PASSWORD, &ip2, tok, csrf, &p, &retry),
		     PL_ETHROTTLED);
	cr_expect_eq(retry, 1);
	f->now += 1000;
	cr_expect_eq(auth_login(f->a, "ent2", AUTH_DEMO_PASSWORD, &ip2, tok, csrf, &p, &retry), 0,
		     "the window slid past the first failure");
	/* a success clears the user's failures */
	for (int i = 0; i < 2; i++)
		cr_expect_eq(auth_login(f->a, "ent2", "wrong password", &ip2, tok, csrf, &p, &retry),
			     PL_EAUTH);
	cr_expect_eq(auth_login(f->a, "ent2", AUTH_DEMO_PASSWORD, &ip2, tok, csrf, &p, &retry), 0);

	/* per address: 6 failures over different usernames from ip1 (which
	 * already has 3 from above, aged out by now) */
	f->now += 120 * 1000;
	static const char *const names[] = { "auditor", "dept_tax", "ent1", "nobody1", "nobody2",
					     "nobody3" };
	for (int i = 0; i < 6; i++)
		cr_expect_eq(auth_login(f->a, names[i], "wrong password", &ip1, tok, csrf, &p, &retry),
			     PL_EAUTH, "%s", names[i]);
	cr_expect_eq(auth_login(f->a, "admin", AUTH_DEMO_PASSWORD, &ip1, tok, csrf, &p, &retry),
		     PL_ETHROTTLED, "the address is throttled for every user");
	cr_expect_eq(retry, 60);
	cr_expect_eq(auth_login(f->a, "admin", AUTH_DEMO_PASSWORD, &ip2, tok, csrf, &p, &retry), 0,
		     "another address is not");
	f->now += 60 * 1000;
	cr_expect_eq(auth_login(f->a, "admin", AUTH_DEMO_PASSWORD, &ip1, tok, csrf, &p, &retry), 0,
		     "resets after the window");
}
Test(auth_throttle, per_user_and_per_address)
{
	struct auth_options o = { .throttle_max = 3, .throttle_ip_max = 6, .throttle_window_s = 60 };
	on_each_store(t_throttle, &o);
}

static void t_throttle_table_bounded(struct fx *f)
{
	char tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX], name[32];
	struct auth_principal p;
	int retry = 0;
	/* More distinct keys than the table holds: the oldest are reused and
	 * nothing grows; the newest still throttle. */
	for (int i = 0; i < 1100; i++) {
		pl_fmt(name, sizeof(name), "ghost%d", i);
		f->now += 1;
		cr_assert_eq(auth_login(f->a, name, "wrong password", NULL, tok, csrf, &p, &retry),
			     PL_EAUTH);
	}
	cr_expect_eq(auth_login(f->a, "ghost1099", "wrong password", NULL, tok, csrf, &p, &retry),
		     PL_ETHROTTLED);
}
Test(auth_throttle, table_is_bounded, .timeout = 60)
{
	struct auth_options o = { .throttle_max = 1 };
	/* SQLite only: 1100 audit rows in a shared PostgreSQL add nothing. */
	struct fx f;
	fx_open(&f, false, &o);
	t_throttle_table_bounded(&f);
	fx_close(&f);
}

/* ----------------------------------------------------------- tokens */
static void t_tokens(struct fx *f)
{
	char tok[AUTH_API_TOKEN_MAX], id[PL_ID_LEN + 1], exp[PL_TIME_STRLEN];
	struct auth_principal p;
	struct pl_json_error err = { 0 };
	struct auth_principal admin = mkp(AUTH_ROLE_PARK_ADMIN, NULL, NULL);
	struct auth_principal ent1 = mkp(AUTH_ROLE_ENTERPRISE, f->ent1, NULL);
	struct auth_principal spec = mkp(AUTH_ROLE_SPECIALIST, NULL, NULL);

	pl_time_format(f->now + 3600 * 1000LL, exp);
	struct auth_token_new dev = { .name = "line 1 camera", .role = "device",
				      .enterprise_id = f->ent1, .line_id = "L1", .expires_at = exp };
	cr_assert_eq(auth_token_create(f->a, &admin, &dev, NULL, tok, id, &err), 0, "%s", err.text);
	cr_expect(!strncmp(tok, "pl_", 3) && strlen(tok) == 46, "%s", tok);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?", tok), 0,
		     "the token itself is never stored");
	cr_assert_eq(auth_token_check(f->a, tok, &p), 0);
	cr_expect_str_eq(p.token_id, id);
	cr_expect_eq(p.role, AUTH_ROLE_DEVICE);
	cr_expect_str_eq(p.enterprise_id, f->ent1);
	cr_expect_str_eq(p.line_id, "L1");
	cr_expect(!p.via_session);
	cr_expect_eq(auth_csrf_check(&p, NULL), 0);
	cr_expect_eq(auth_authorize(&p, AUTH_A_ENTERPRISE_READ, NULL), PL_EFORBIDDEN);

	/* expiry */
	f->now += 3600 * 1000LL;
	cr_expect_eq(auth_token_check(f->a, tok, &p), PL_EAUTH, "expired");
	f->now -= 3600 * 1000LL;

	/* revocation: another tenant cannot, its own can, once */
	cr_expect_eq(auth_token_revoke(f->a, &spec, id, NULL), PL_EFORBIDDEN);
	struct auth_principal ent2 = mkp(AUTH_ROLE_ENTERPRISE, f->ent2, NULL);
	cr_expect_eq(auth_token_revoke(f->a, &ent2, id, NULL), PL_ENOTFOUND);
	cr_expect_eq(auth_token_check(f->a, tok, &p), 0);
	cr_expect_eq(auth_token_revoke(f->a, &ent1, id, NULL), 0);
	cr_expect_eq(auth_token_check(f->a, tok, &p), PL_EAUTH, "revoked");
	cr_expect_eq(auth_token_revoke(f->a, &admin, id, NULL), PL_ENOTFOUND);
	cr_expect_eq(auth_token_revoke(f->a, &admin, "nonsense", NULL), PL_ENOTFOUND);

	/* scope rules */
	struct { const struct auth_principal *who; struct auth_token_new in; int want;
		 const char *field; } cases[] = {
		{ &ent1, { .name = "mine", .role = "device" }, 0, NULL },
		{ &ent1, { .name = "mine", .role = "enterprise", .enterprise_id = f->ent1 }, 0, NULL },
		{ &ent1, { .name = "theirs", .role = "device", .enterprise_id = f->ent2 },
		  PL_ENOTFOUND, NULL },
		{ &ent1, { .name = "up", .role = "park_admin" }, PL_EINVAL, "role" },
		{ &spec, { .name = "x", .role = "device", .enterprise_id = f->ent1 },
		  PL_EFORBIDDEN, NULL },
		{ &admin, { .name = "", .role = "device", .enterprise_id = f->ent1 },
		  PL_EINVAL, "name" },
		{ &admin, { .name = "x", .role = "sudo" }, PL_EINVAL, "role" },
		{ &admin, { .name = "x", .role = "device" }, PL_EINVAL, "enterprise_id" },
		{ &admin, { .name = "x", .role = "auditor", .enterprise_id = f->ent1 },
		  PL_EINVAL, "enterprise_id" },
		{ &admin, { .name = "x", .role = "device", .enterprise_id = "01J99999999999999999999999" },
		  PL_EINVAL, "enterprise_id" },
		{ &admin, { .name = "x", .role = "auditor", .line_id = "L1" }, PL_EINVAL, "line_id" },
		{ &admin, { .name = "x", .role = "device", .enterprise_id = f->ent1, .line_id = "a b" },
		  PL_EINVAL, "line_id" },
		{ &admin, { .name = "x", .role = "auditor", .expires_at = "tomorrow" },
		  PL_EINVAL, "expires_at" },
		{ &admin, { .name = "x", .role = "auditor", .expires_at = "2001-01-01T00:00:00Z" },
		  PL_EINVAL, "expires_at" },
		{ &admin, { .name = "scraper", .role = "auditor" }, 0, NULL },
		{ NULL, { .name = "cli", .role = "park_admin" }, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		int rc = auth_token_create(f->a, cases[i].who, &cases[i].in, NULL, tok, id, &err);
		cr_expect_eq(rc, cases[i].want, "case %zu: %d (%s)", i, rc, err.text);
		if (cases[i].field)
			cr_expect_str_eq(err.field, cases[i].field, "case %zu", i);
		if (rc == 0 && i == 0) {
			cr_assert_eq(auth_token_check(f->a, tok, &p), 0);
			cr_expect_str_eq(p.enterprise_id, f->ent1, "defaults to the creator's enterprise");
		}
	}

	/* lists: ent1 sees only its own */
	json_t *l = NULL;
	cr_assert_eq(auth_token_list(f->a, &ent1, &l), 0);
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(l, "items"), i, it) {
		cr_expect_str_eq(pl_json_str(it, "enterprise_id"), f->ent1);
		cr_expect_null(json_object_get(it, "token_hash"));
	}
	cr_expect_geq(json_array_size(json_object_get(l, "items")), 3);
	json_decref(l);
	cr_expect_eq(auth_token_list(f->a, &spec, &l), PL_EFORBIDDEN);

	static const char *const bad[] = { "", "pl_", "pl_short", "xx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					   "pl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		cr_expect_eq(auth_token_check(f->a, bad[k], &p), PL_EAUTH, "'%s'", bad[k]);
	cr_expect_geq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
				 "token.create"), 5);
	cr_expect_geq(count_rows(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
				 "token.revoke"), 1);
}
Test(auth_token, create_check_expire_revoke_scope) { on_each_store(t_tokens, NULL); }

/* ----------------------------------------------------- tenancy, demo */
static void t_tenant_filter(struct fx *f)
{
	struct { enum auth_role role; const char *ent; int rc; int min, max; } cases[] = {
		{ AUTH_ROLE_PARK_ADMIN, NULL, 0, 2, 1 << 30 },
		{ AUTH_ROLE_AUDITOR, NULL, 0, 2, 1 << 30 },
		{ AUTH_ROLE_ENTERPRISE, "ent1", 0, 1, 1 },
		{ AUTH_ROLE_SPECIALIST, NULL, 0, 1, 1 },
		{ AUTH_ROLE_DEVICE, "ent1", PL_EFORBIDDEN, 0, 0 },
	};
	json_t *spec = NULL;
	cr_assert_eq(auth_user_get(f->a, "specialist1", &spec), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct auth_principal p = mkp(cases[i].role, cases[i].ent ? f->ent1 : NULL, NULL);
		pl_strlcpy(p.user_id, pl_json_str(spec, "id"), sizeof(p.user_id));
		struct pl_buf sql;
		struct store_param prm[2];
		size_t np = 0;
		pl_buf_init(&sql, 1024);
		pl_buf_puts(&sql, "SELECT id FROM enterprises e WHERE 1 = 1");
		int rc = auth_tenant_filter(&p, AUTH_A_ENTERPRISE_LIST, "e.id", &sql, prm, &np);
		cr_expect_eq(rc, cases[i].rc, "case %zu", i);
		if (rc == 0) {
			struct store_conn *c;
			json_t *rows = NULL;
			cr_assert_eq(store_conn_get(f->st, &c), 0);
			cr_assert_eq(store_query_json(c, sql.data, prm, np, 1000, &rows), 0, "%s", sql.data);
			int n = (int)json_array_size(rows);
			cr_expect(n >= cases[i].min && n <= cases[i].max, "case %zu: %d rows", i, n);
			if (cases[i].max == 1)
				cr_expect_str_eq(pl_json_str(json_array_get(rows, 0), "id"), f->ent1);
			json_decref(rows);
			store_conn_put(c);
		}
		pl_buf_release(&sql);
	}
	json_decref(spec);
}
Test(auth_tenancy, filter_rows_per_role) { on_each_store(t_tenant_filter, NULL); }

static void t_demo(struct fx *f)
{
	/* fx_open seeded once; seed twice more and count */
	cr_assert_eq(auth_demo_seed(f->a, NULL), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	cr_assert_eq(auth_demo_seed(f->a, mem), 0);
	fclose(mem);
	static const char *const names[] = { "admin", "specialist1", "dept_tax", "ent1", "ent2",
					     "auditor" };
	for (size_t i = 0; i < 6; i++) {
		cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM users WHERE username = ?", names[i]), 1,
			     "%s", names[i]);
		cr_expect(strstr(buf, names[i]) != NULL, "printed table names %s", names[i]);
		char tok[AUTH_SESSION_TOKEN_MAX], csrf[AUTH_CSRF_MAX];
		struct auth_principal p;
		cr_expect_eq(auth_login(f->a, names[i], AUTH_DEMO_PASSWORD, NULL, tok, csrf, &p, NULL),
			     0, "%s logs in", names[i]);
	}
	cr_expect(strstr(buf, AUTH_DEMO_PASSWORD) != NULL);
	free(buf);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM enterprises WHERE uscc = ?", AUTH_DEMO_USCC_1), 1);
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM enterprises WHERE uscc = ?", AUTH_DEMO_USCC_2), 1);
	json_t *spec = NULL;
	cr_assert_eq(auth_user_get(f->a, "specialist1", &spec), 0);
	const char *sid = pl_json_str(spec, "id");
	cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM assignments WHERE specialist_id = ? "
			       "AND ended_at IS NULL", sid), 1);
	struct store_conn *c;
	bool yes = false;
	cr_assert_eq(store_conn_get(f->st, &c), 0);
	cr_expect_eq(auth_is_assigned(c, sid, f->ent1, &yes), 0);
	cr_expect(yes);
	cr_expect_eq(auth_is_assigned(c, sid, f->ent2, &yes), 0);
	cr_expect(!yes);
	struct auth_principal sp = mkp(AUTH_ROLE_SPECIALIST, NULL, NULL);
	pl_strlcpy(sp.user_id, sid, sizeof(sp.user_id));
	struct auth_target t;
	cr_expect_eq(auth_target_for(c, &sp, f->ent1, &t), 0);
	cr_expect_eq(auth_authorize(&sp, AUTH_A_ENTERPRISE_READ, &t), 0);
	cr_expect_eq(auth_target_for(c, &sp, f->ent2, &t), 0);
	cr_expect_eq(auth_authorize(&sp, AUTH_A_ENTERPRISE_READ, &t), PL_ENOTFOUND);
	store_conn_put(c);
	json_decref(spec);
	if (!f->pg)
		cr_expect_eq(count_rows(f, "SELECT COUNT(*) FROM users", NULL), 6);
}
Test(auth_demo, seed_is_idempotent_and_usable) { on_each_store(t_demo, NULL); }

/* A valid USCC: GB 32100-2015 check character over the first 17. */
static bool uscc_ok(const char *s)
{
	static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	if (strlen(s) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		const char *p = strchr(cs, s[i]);
		if (!p)
			return false;
		sum += (int)(p - cs) * w[i];
	}
	return s[17] == cs[(31 - sum % 31) % 31];
}

Test(auth_demo, demo_usccs_have_valid_check_characters)
{
	cr_expect(uscc_ok(AUTH_DEMO_USCC_1));
	cr_expect(uscc_ok(AUTH_DEMO_USCC_2));
	cr_expect(!uscc_ok("91500102203104854X"), "the check must be able to fail");
	/* the published example code of GB 32100 */
	cr_expect(uscc_ok("91350100M000100Y43"));
}
