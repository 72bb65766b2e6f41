/* test_repo.c - the desk repository (src/desk/repo.c) on a real store:
 * every test runs on SQLite (a file in a fresh temp dir) and on PostgreSQL
 * (the server in PARKLINE_TEST_PG, one schema per test), through the
 * shared harness tests/unit/support/store_env.h. Without PARKLINE_TEST_PG the
 * PostgreSQL half is skipped on a developer machine but FAILS when CI=true
 * or PL_REQUIRE_PG=1. The clock is injected (now_ms arguments), so
 * deadlines and the overdue job are checked without sleeping.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "desk/repo.h"
#include "desk/report.h"
#include "support/store_env.h"
#include "support/fixtures.h"

/* 2026-11-25T02:00:00Z = 10:00 Beijing, a Wednesday and a working day */
#define T0 1795572000000LL
#define HOUR 3600000LL

struct fx {
	struct tenv t; /* the store (tests/unit/support/store_env.h) and its connection t.c */
	struct auth *a;
	struct desk_svc *svc;
	struct auth_principal who[8]; /* admin, specialist1, dept_tax, ent1, ent2, auditor, spec2 */
};
enum { ADMIN, SPEC1, TAX, ENT1, ENT2, AUDITOR, SPEC2, NWHO };
static const char *const who_names[NWHO] = { "admin", "specialist1", "dept_tax", "ent1",
					      "ent2", "auditor", "spec2" };

/* Opens the store (false: PostgreSQL not configured, skip), seeds auth's
 * demo park plus a second specialist, loads the shipped calendar. */
static bool fx_open(struct fx *f, bool pg)
{
	char why[300] = "";
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "desk"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	struct auth_user_new nu = { .username = "spec2", .password = "spec2-password",
				    .display_name = "Spec Two", .role = "specialist" };
	char uid[PL_ID_LEN + 1];
	cr_assert_eq(auth_user_add(f->a, NULL, &nu, NULL, uid, NULL), 0);
	for (int i = 0; i < NWHO; i++)
		tfx_principal(f->a, who_names[i], &f->who[i]);
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
	return true;
}

static void fx_close(struct fx *f)
{
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

TFX_ON_EACH_STORE

/* Creates a request for enterprise user ent at now in its own transaction;
 * its id goes to out. */
static void create(struct fx *f, int ent, const char *category, const char *urgency,
		   int64_t now, char out[PL_ID_LEN + 1], json_t **row)
{
	struct desk_actor a = { .p = &f->who[ent] };
	struct desk_request_new in = { .channel = "web", .category = category, .urgency = urgency,
				       .title = "test request", .description = "details" };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_request_create(f->svc, f->t.c, &a, &in, now, &o, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	pl_strlcpy(out, pl_json_str(o, "id"), PL_ID_LEN + 1);
	if (row)
		*row = o;
	else
		json_decref(o);
}

/* One workflow step and what it must give. */
struct step {
	int who;
	struct desk_action_in in;
	int rc;
	const char *state;      /* state afterwards (read back) */
};

static void run_steps(struct fx *f, const char *id, const struct step *s, size_t n, int64_t t)
{
	for (size_t i = 0; i < n; i++, t += HOUR) {
		struct desk_actor a = { .p = &f->who[s[i].who] };
		struct desk_err e = { .text = "" };
		json_t *o = NULL, *g = NULL;
		cr_assert_eq(store_begin(f->t.c), 0);
		int rc = desk_request_act(f->svc, f->t.c, &a, id, &s[i].in, t, &o, &e);
		if (rc == 0)
			cr_assert_eq(store_commit(f->t.c), 0);
		else
			store_rollback(f->t.c);
		cr_assert_eq(rc, s[i].rc, "%s step %zu (%s by %s): rc %d (%s), want %d",
			     f->t.pg ? "pg" : "sqlite", i, s[i].in.action, who_names[s[i].who], rc,
			     e.text, s[i].rc);
		if (rc == PL_ECONFLICT && e.state[0]) {
			cr_assert_str_eq(e.state, s[i].state);
			cr_assert(strstr(e.text, s[i].state), "%s", e.text);
		}
		cr_assert_eq(desk_request_get(f->t.c, &f->who[ADMIN], id, t, &g, &e), 0);
		cr_assert_str_eq(pl_json_str(g, "state"), s[i].state, "step %zu", i);
		json_decref(o);
		json_decref(g);
	}
}

static void t_flow(struct fx *f)
{
	char id[PL_ID_LEN + 1];
	json_t *row = NULL;
	create(f, ENT1, "help", "normal", T0, id, &row);
	/* auto-dispatched to the enterprise's specialist with the 2 h sign clock */
	cr_assert_str_eq(pl_json_str(row, "state"), "dispatched");
	cr_assert_str_eq(pl_json_str(row, "specialist_id"), f->who[SPEC1].user_id);
	cr_assert_str_eq(pl_json_str(row, "sign_due_at"), "2026-11-25T04:00:00.000Z");
	cr_assert(!strncmp(pl_json_str(row, "no"), "GD20261125-", 11), "%s", pl_json_str(row, "no"));
	json_decref(row);
	const struct step steps[] = {
		{ ENT1, { .action = "accept" }, PL_EFORBIDDEN, "dispatched" },
		{ SPEC2, { .action = "accept" }, PL_ENOTFOUND, "dispatched" },
		{ SPEC1, { .action = "resolve", .resolution = "x" }, PL_ECONFLICT, "dispatched" },
		{ SPEC1, { .action = "fly" }, PL_EINVAL, "dispatched" },
		{ SPEC1, { .action = "accept" }, 0, "accepted" },
		{ SPEC1, { .action = "start" }, 0, "in_progress" },
		{ SPEC1, { .action = "transfer", .department = "nowhere" }, PL_EINVAL, "in_progress" },
		{ SPEC1, { .action = "transfer", .department = "tax" }, 0, "transferred" },
		{ TAX, { .action = "return" }, PL_EINVAL, "transferred" },
		{ TAX, { .action = "return", .note = "属地不符" }, 0, "in_progress" },
		{ TAX, { .action = "resolve", .resolution = "x" }, PL_ENOTFOUND, "in_progress" },
		{ SPEC1, { .action = "resolve" }, PL_EINVAL, "in_progress" },
		{ SPEC1, { .action = "resolve", .resolution = "done" }, 0, "resolved" },
		{ ADMIN, { .action = "rate", .rating = "satisfied" }, PL_EFORBIDDEN, "resolved" },
		{ ENT2, { .action = "rate", .rating = "satisfied" }, PL_ENOTFOUND, "resolved" },
		{ AUDITOR, { .action = "close" }, PL_EFORBIDDEN, "resolved" },
		{ ENT1, { .action = "rate", .rating = "unsatisfied" }, PL_EINVAL, "resolved" },
		{ ENT1, { .action = "rate", .rating = "unsatisfied", .comment = "no" }, 0, "reopened" },
		{ ENT1, { .action = "rate", .rating = "satisfied" }, PL_ECONFLICT, "reopened" },
		{ SPEC1, { .action = "accept" }, 0, "accepted" },
		{ SPEC1, { .action = "start" }, 0, "in_progress" },
		{ SPEC1, { .action = "resolve", .resolution = "done again" }, 0, "resolved" },
		{ ENT1, { .action = "rate", .rating = "basically_satisfied" }, 0, "rated" },
		{ ADMIN, { .action = "close" }, 0, "closed" },
		{ ADMIN, { .action = "close" }, PL_ECONFLICT, "closed" },
	};
	run_steps(f, id, steps, sizeof(steps) / sizeof(steps[0]), T0 + HOUR);
	/* one history event per applied step, plus create and dispatch */
	cr_assert_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM request_events WHERE request_id = ?", id), 13);
	cr_assert_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM ratings WHERE request_id = ?", id), 2);
	cr_assert_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM audit_log WHERE entity = 'request' AND "
			   "entity_id = ?", id), 12);
	cr_assert_eq(tfx_count(f->t.c, "SELECT reopened + returned * 10 AS n FROM requests WHERE id = ?", id), 11);
}
Test(repo, flow_table_on_both_stores) { on_each_store(t_flow); }

/* The park admin's stored SLA cells (desk_sla) decide new deadlines: the
 * sign clock at dispatch, contact and resolve at accept; a cell put back to
 * the base table's value is the default again. Times: T0 = Wed 10:00
 * Beijing; accept at 11:00; 2wd from Wed (start day not counted) is due
 * at 00:00 after Fri, 2026-11-27T16:00Z. */
static void t_sla_stored(struct fx *f)
{
	struct desk_actor adm = { .p = &f->who[ADMIN] };
	struct desk_err e = { .text = "" };
	char id[PL_ID_LEN + 1];
	json_t *row = NULL, *o = NULL, *g = NULL;
	const struct { const char *body, *sign, *contact, *due; } cases[] = {
		{ "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"30m\","
		  "\"contact\":\"3h\",\"resolve\":\"2wd\"}]}",
		  "2026-11-25T02:30:00.000Z", "2026-11-25T06:00:00.000Z", "2026-11-27T16:00:00.000Z" },
		/* back to the defaults (2h, 1h, 5wd: Thu Fri Mon Tue Wed, due 00:00 Thu) */
		{ "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"2h\","
		  "\"contact\":\"1h\",\"resolve\":\"5wd\"}]}",
		  "2026-11-25T04:00:00.000Z", "2026-11-25T04:00:00.000Z", "2026-12-02T16:00:00.000Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = json_loads(cases[i].body, 0, NULL);
		cr_assert(body);
		cr_assert_eq(store_begin(f->t.c), 0);
		cr_assert_eq(desk_sla_put(f->t.c, &adm, desk_svc_sla(f->svc), body, T0, &o, &e), 0,
			     "%s", e.text);
		cr_assert_eq(store_commit(f->t.c), 0);
		json_decref(body);
		json_decref(o);
		o = NULL;
		create(f, ENT1, "help", "normal", T0, id, &row);
		cr_assert_str_eq(pl_json_str(row, "sign_due_at"), cases[i].sign, "%s case %zu",
				 f->t.pg ? "pg" : "sqlite", i);
		struct desk_actor sp = { .p = &f->who[SPEC1] };
		struct desk_action_in in = { .action = "accept" };
		cr_assert_eq(store_begin(f->t.c), 0);
		cr_assert_eq(desk_request_act(f->svc, f->t.c, &sp, id, &in, T0 + HOUR, &o, &e), 0,
			     "%s", e.text);
		cr_assert_eq(store_commit(f->t.c), 0);
		cr_assert_eq(desk_request_get(f->t.c, &f->who[ADMIN], id, T0 + HOUR, &g, &e), 0);
		cr_assert_str_eq(pl_json_str(g, "contact_due_at"), cases[i].contact, "case %zu: %s",
				 i, pl_json_str(g, "contact_due_at"));
		cr_assert_str_eq(pl_json_str(g, "due_at"), cases[i].due, "case %zu: %s", i,
				 pl_json_str(g, "due_at"));
		json_decref(row);
		json_decref(o);
		json_decref(g);
		row = o = g = NULL;
	}
}
Test(repo, stored_sla_decides_new_deadlines) { on_each_store(t_sla_stored); }

/* The list's two-branch tenancy (repo.c desk__list_scope) gives exactly
 * what the single OR condition it replaced gives: same total, same rows in
 * the same order on every page, for every role, with and without a state
 * filter. The data makes both branches non-empty: ent1's first requests
 * stay with specialist1 after ent1 is reassigned to spec2 (spec2 sees them
 * through the assignment, specialist1 because it holds them), two requests
 * share a created_at (the id breaks the tie), and one is unassigned. */
static void t_list_branches(struct fx *f)
{
	char id[PL_ID_LEN + 1];
	struct desk_actor adm = { .p = &f->who[ADMIN] };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	for (int i = 0; i < 5; i++)
		create(f, ENT1, "help", "normal", T0 + i * 60000, id, NULL);
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_assign(f->svc, f->t.c, &adm, f->who[ENT1].enterprise_id,
				 f->who[SPEC2].user_id, "test", T0 + HOUR, &o, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	json_decref(o);
	for (int i = 0; i < 4; i++)
		create(f, ENT1, "consult", "urgent", T0 + 2 * HOUR + (i / 2) * 60000, id, NULL);
	for (int i = 0; i < 3; i++)
		create(f, ENT2, "help", "normal", T0 + 3 * HOUR + i * 60000, id, NULL);
	/* one unassigned request of ent1 (as if dispatch never happened) */
	struct store_param up[] = { SP_TEXT(f->who[ENT1].enterprise_id), SP_TEXT(id) };
	cr_assert_eq(store_exec(f->t.c, "UPDATE requests SET enterprise_id = ?, specialist_id = NULL, "
				"state = 'received' WHERE id = ?", up, 2, NULL), 0);

	static const char *const ref_where[] = {
		[SPEC1] = "(r.specialist_id = ? OR r.enterprise_id IN (SELECT enterprise_id FROM "
			  "assignments WHERE specialist_id = ? AND ended_at IS NULL))",
		[ENT1] = "(r.enterprise_id = ? OR r.id IN (SELECT request_id FROM request_links "
			 "WHERE enterprise_id = ?))",
	};
	const int roles[] = { SPEC1, SPEC2, ENT1, ENT2, ADMIN, TAX };
	const char *states[] = { NULL, "dispatched" };
	for (size_t ri = 0; ri < sizeof(roles) / sizeof(roles[0]); ri++)
		for (size_t si = 0; si < 2; si++)
			for (int64_t off = 0; off < 15; off += 4) {
				const struct auth_principal *p = &f->who[roles[ri]];
				const char *w = p->role == AUTH_ROLE_SPECIALIST ? ref_where[SPEC1]
						: p->enterprise_id[0] ? ref_where[ENT1]
						: p->department[0] ? "r.department = ?" : "1 = 1";
				const char *key = p->role == AUTH_ROLE_SPECIALIST ? p->user_id
						  : p->enterprise_id[0] ? p->enterprise_id
						  : p->department;
				char sql[1024];
				snprintf(sql, sizeof(sql), "SELECT r.id FROM requests r WHERE %s%s "
					 "ORDER BY r.created_at DESC, r.id DESC LIMIT 4 OFFSET %lld", w,
					 states[si] ? " AND r.state = ?" : "", (long long)off);
				struct store_param rp[4];
				size_t n = 0;
				for (const char *q = strchr(w, '?'); q; q = strchr(q + 1, '?'))
					rp[n++] = SP_TEXT(key);
				if (states[si])
					rp[n++] = SP_TEXT(states[si]);
				json_t *ref = NULL, *got = NULL, *cnt = NULL;
				cr_assert_eq(store_query_json(f->t.c, sql, rp, n, 100, &ref), 0, "%s", sql);
				char csql[1024];
				snprintf(csql, sizeof(csql), "SELECT count(*) AS n FROM requests r WHERE %s%s",
					 w, states[si] ? " AND r.state = ?" : "");
				cr_assert_eq(store_query_one(f->t.c, csql, rp, n, &cnt), 0, "%s", csql);
				struct desk_list_query q = { .state = states[si], .limit = 4, .offset = off };
				cr_assert_eq(desk_request_list(f->t.c, p, &q, T0 + 4 * HOUR, &got, &e), 0,
					     "%s", e.text);
				const char *ctx = f->t.pg ? "pg" : "sqlite";
				cr_assert_eq(json_integer_value(json_object_get(got, "total")),
					     json_integer_value(json_object_get(cnt, "n")),
					     "%s %s state %s: total", ctx, who_names[roles[ri]],
					     states[si] ? states[si] : "-");
				json_t *items = json_object_get(got, "items");
				cr_assert_eq(json_array_size(items), json_array_size(ref),
					     "%s %s off %lld: rows", ctx, who_names[roles[ri]], (long long)off);
				for (size_t k = 0; k < json_array_size(ref); k++)
					cr_assert_str_eq(pl_json_str(json_array_get(items, k), "id"),
							 pl_json_str(json_array_get(ref, k), "id"),
							 "%s %s off %lld row %zu", ctx, who_names[roles[ri]],
							 (long long)off, k);
				json_decref(ref);
				json_decref(got);
				json_decref(cnt);
			}
	/* the data does exercise both branches for spec2 and the tie */
	cr_assert_gt(tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE specialist_id = ?",
			   f->who[SPEC1].user_id), 0);
	cr_assert_gt(tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE specialist_id = ?",
			   f->who[SPEC2].user_id), 0);
}
Test(repo, list_branches_equal_the_or_filter) { on_each_store(t_list_branches); }

static void t_tenancy(struct fx *f)
{
	char id[PL_ID_LEN + 1];
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	create(f, ENT1, "consult", "normal", T0, id, NULL);
	/* who sees it: table of caller -> expected rc and list total */
	const struct { int who; int rc; int64_t total; } tbl[] = {
		{ ADMIN, 0, 1 }, { AUDITOR, 0, 1 }, { SPEC1, 0, 1 }, { ENT1, 0, 1 },
		{ ENT2, PL_ENOTFOUND, 0 }, { SPEC2, PL_ENOTFOUND, 0 }, { TAX, PL_ENOTFOUND, 0 },
	};
	for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++) {
		struct desk_list_query q = { .limit = 50 };
		cr_assert_eq(desk_request_get(f->t.c, &f->who[tbl[i].who], id, T0, &o, &e), tbl[i].rc,
			     "%s get", who_names[tbl[i].who]);
		json_decref(o);
		cr_assert_eq(desk_request_list(f->t.c, &f->who[tbl[i].who], &q, T0, &o, &e), 0);
		cr_assert_eq(json_integer_value(json_object_get(o, "total")), tbl[i].total,
			     "%s list", who_names[tbl[i].who]);
		json_decref(o);
	}
	/* ent2 may not raise a request for ent1 */
	struct desk_actor a = { .p = &f->who[ENT2] };
	struct desk_request_new in = { .enterprise_id = f->who[ENT1].enterprise_id,
				       .channel = "web", .category = "help", .urgency = "normal",
				       .title = "t", .description = "d" };
	cr_assert_eq(desk_request_create(f->svc, f->t.c, &a, &in, T0, &o, &e), PL_EINVAL);
	cr_assert(strstr(e.text, "enterprise_id"));
	/* bad input is named */
	in.enterprise_id = NULL;
	in.channel = "pigeon";
	cr_assert_eq(desk_request_create(f->svc, f->t.c, &a, &in, T0, &o, &e), PL_EINVAL);
	cr_assert(strstr(e.text, "channel"), "%s", e.text);
}
Test(repo, tenancy_on_both_stores) { on_each_store(t_tenancy); }

static void t_replacement(struct fx *f)
{
	char id[PL_ID_LEN + 1], rep[PL_ID_LEN + 1];
	struct desk_err e = { .text = "" };
	struct desk_actor ent = { .p = &f->who[ENT1] }, admin = { .p = &f->who[ADMIN] };
	json_t *o = NULL;
	const char *ent1 = f->who[ENT1].enterprise_id;
	/* auth's demo assignment starts at wall-clock time: date it back */
	cr_assert_eq(store_exec(f->t.c, "UPDATE assignments SET started_at = '2026-01-01T00:00:00.000Z'",
				NULL, 0, NULL), 0);
	create(f, ENT1, "help", "normal", T0, id, NULL);
	cr_assert_eq(desk_replacement_create(f->svc, f->t.c, &ent, NULL, "why", T0, &o, &e),
		     PL_ECONFLICT, "before any rating");
	const struct step steps[] = {
		{ SPEC1, { .action = "accept" }, 0, "accepted" },
		{ SPEC1, { .action = "start" }, 0, "in_progress" },
		{ SPEC1, { .action = "resolve", .resolution = "r" }, 0, "resolved" },
		{ ENT1, { .action = "rate", .rating = "unsatisfied", .comment = "c" }, 0, "reopened" },
	};
	run_steps(f, id, steps, 4, T0 + HOUR);
	int64_t t = T0 + 6 * HOUR;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_replacement_create(f->svc, f->t.c, &ent, NULL, "why", t, &o, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	pl_strlcpy(rep, pl_json_str(o, "id"), sizeof(rep));
	/* due in 3 working days: Thu 26, Fri 27, Mon 30 -> Tue 1 Dec 00:00 Beijing */
	cr_assert_str_eq(pl_json_str(o, "due_at"), "2026-11-30T16:00:00.000Z");
	json_decref(o);
	cr_assert_eq(desk_replacement_create(f->svc, f->t.c, &ent, NULL, "again", t, &o, &e),
		     PL_ECONFLICT, "one pending at a time");
	/* the rule: not the current specialist; not someone who is not one */
	const struct { const char *cand; int rc; } tbl[] = {
		{ f->who[SPEC1].user_id, PL_ECONFLICT },
		{ f->who[ENT1].user_id, PL_EINVAL },
		{ "01M00000000000000000000000", PL_EINVAL },
	};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(store_begin(f->t.c), 0);
		cr_assert_eq(desk_replacement_assign(f->svc, f->t.c, &admin, rep, tbl[i].cand, t, &o, &e),
			     tbl[i].rc, "candidate %zu: %s", i, e.text);
		store_rollback(f->t.c);
	}
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_replacement_assign(f->svc, f->t.c, &admin, rep, f->who[SPEC2].user_id, t,
					     &o, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	cr_assert_str_eq(pl_json_str(o, "state"), "done");
	json_decref(o);
	/* the reopened request went to the new specialist */
	cr_assert_eq(desk_request_get(f->t.c, &f->who[SPEC2], id, t, &o, &e), 0);
	cr_assert_str_eq(pl_json_str(o, "state"), "dispatched");
	cr_assert_str_eq(pl_json_str(o, "specialist_id"), f->who[SPEC2].user_id);
	json_decref(o);
	cr_assert_eq(desk_assignments(f->t.c, &f->who[ENT1], ent1, &o, &e), 0);
	cr_assert_eq(json_array_size(json_object_get(o, "items")), 2);
	json_decref(o);
	cr_assert_eq(desk_assignments(f->t.c, &f->who[ENT2], ent1, &o, &e), PL_ENOTFOUND);
}
Test(repo, replacement_on_both_stores) { on_each_store(t_replacement); }

static void t_overdue(struct fx *f)
{
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1];
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	int n = -1;
	/* a: consult/normal, sign clock 2 h; b: critical, sign clock 10 min */
	create(f, ENT1, "consult", "normal", T0, a, NULL);
	create(f, ENT1, "consult", "critical", T0, b, NULL);
	const struct { int64_t at; int n; } tbl[] = {
		{ T0 + 5 * 60000, 0 },  /* nothing due yet */
		{ T0 + 11 * 60000, 1 }, /* b's 10 minutes ran out */
		{ T0 + 60 * 60000, 0 }, /* b is escalated once only */
		{ T0 + 121 * 60000, 1 },/* a's 2 hours ran out */
	};
	for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++) {
		cr_assert_eq(store_begin(f->t.c), 0);
		cr_assert_eq(desk_escalate_overdue(f->t.c, tbl[i].at, &n), 0);
		cr_assert_eq(store_commit(f->t.c), 0);
		cr_assert_eq(n, tbl[i].n, "run %zu: %d escalated, want %d", i, n, tbl[i].n);
	}
	cr_assert_eq(desk_request_get(f->t.c, &f->who[ADMIN], b, T0, &o, &e), 0);
	cr_assert_str_eq(pl_json_str(o, "state"), "escalated");
	json_decref(o);
	cr_assert_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM audit_log WHERE action = ?",
			   "desk.request.escalate"), 2);
	/* supervision: only a park admin re-dispatches an escalated request */
	const struct step steps[] = {
		{ SPEC1, { .action = "dispatch" }, PL_EFORBIDDEN, "escalated" },
		{ ADMIN, { .action = "dispatch" }, 0, "dispatched" },
		{ SPEC1, { .action = "accept" }, 0, "accepted" },
	};
	run_steps(f, b, steps, 3, T0 + 2 * HOUR);
}
Test(repo, overdue_escalation_with_injected_clock) { on_each_store(t_overdue); }

static void t_numbers_scores(struct fx *f)
{
	char id[PL_ID_LEN + 1];
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	/* numbers count per Beijing day: 15:59Z and 16:00Z are different days */
	const struct { int64_t at; const char *no; } tbl[] = {
		{ T0, "GD20261125-0001" },
		{ T0 + HOUR, "GD20261125-0002" },
		{ 1795622340000LL, "GD20261125-0003" }, /* 15:59Z = 23:59 Beijing */
		{ 1795622400000LL, "GD20261126-0001" }, /* 16:00Z = 00:00 Beijing */
	};
	for (size_t i = 0; i < 4; i++) {
		create(f, ENT2, "help", "normal", tbl[i].at, id, &o);
		cr_assert_str_eq(pl_json_str(o, "no"), tbl[i].no);
		json_decref(o);
	}
	/* no ratings: an empty board; bad window refused */
	cr_assert_eq(desk_scores(f->t.c, 90, T0, &o, &e), 0);
	cr_assert_eq(json_array_size(json_object_get(o, "items")), 0);
	json_decref(o);
	cr_assert_eq(desk_scores(f->t.c, 0, T0, &o, &e), PL_EINVAL);
}
Test(repo, numbers_and_scores_on_both_stores) { on_each_store(t_numbers_scores); }

Test(repo, demo_seed_is_idempotent)
{
	struct fx f;
	fx_open(&f, false);
	cr_assert_eq(desk_demo_seed(f.a, f.svc, NULL), 0);
	int64_t n = tfx_count(f.t.c, "SELECT count(*) AS n FROM requests", NULL);
	cr_assert_eq(n, 5);
	cr_assert_eq(desk_demo_seed(f.a, f.svc, NULL), 0);
	cr_assert_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM requests", NULL), n);
	cr_assert_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM replacements WHERE state = 'pending'", NULL), 1);
	fx_close(&f);
}
