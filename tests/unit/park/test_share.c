/*
 * test_share.c - production sharing and the shared-data indicators
 * (src/park/share.c) on both store drivers, against hand-worked figures:
 *  - two enterprises with lines whose live tiles carry an OEE; only 甲
 *    shares, so the park average and the rows are 甲's alone, and 乙's
 *    0.10 never moves the figure until 乙 switches sharing on;
 *  - desk KPIs over a year equal the desk's own KPI report total, and the
 *    hand-worked fractions (a request of another year left out);
 *  - the setting's tenancy: another enterprise can neither read nor write
 *    it (404, as for a missing one) and a refused write changes nothing.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "support/store_env.h"
#include "park/share.h"
#include "desk/report.h"
#include "support/fixtures.h"

static void add_line(struct tenv *e, const char *ent, const char *name, const char *oee_json)
{
	char id[PL_ID_LEN + 1], tile[200];
	pl_id_new(id);
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(ent), SP_TEXT(name), SP_TEXT(id),
				   SP_TEXT("2025-01-01T00:00:00.000Z") };
	cr_assert_eq(store_exec(e->c, "INSERT INTO lines (id, enterprise_id, name, sp_group, sp_node,"
				" created_at) VALUES (?, ?, ?, 'g', ?, ?)", p, 5, NULL), 0, "%s",
		     store_conn_errmsg(e->c));
	pl_fmt(tile, sizeof(tile), "{\"line_id\":\"%s\",\"oee\":%s}", id, oee_json);
	struct store_param q[] = { SP_TEXT(id), SP_TEXT(tile) };
	cr_assert_eq(store_exec(e->c, "INSERT INTO line_live (line_id, state, state_since, last_t,"
				" tile) VALUES (?, 'running', 0, 0, ?)", q, 2, NULL), 0, "%s",
		     store_conn_errmsg(e->c));
}

static json_t *find(json_t *out, const char *key)
{
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(out, "indicators"), i, x)
		if (!strcmp(pl_json_str(x, "key"), key))
			return x;
	cr_assert_fail("no indicator %s", key);
	return NULL;
}

static void expect_num(json_t *x, double want, const char *what)
{
	double v = json_number_value(json_object_get(x, "value"));
	cr_expect(json_is_number(json_object_get(x, "value")) && v > want - 1e-9 && v < want + 1e-9,
		  "%s: %g, want %g", what, v, want);
}

static void set_sharing(struct tenv *e, const struct auth_principal *p, const char *ent, bool on,
			int want)
{
	struct park_actor a = { p, NULL, NULL };
	json_t *body = json_pack("{s:b}", "share_production", on), *out = NULL;
	char why[200] = "";
	cr_assert_eq(store_begin(e->c), 0);
	int rc = park_sharing_put(e->c, &a, ent, body, pl_time_now_ms(), &out, why, sizeof(why));
	cr_expect_eq(rc, want, "put %d: %d (%s)", on, rc, why);
	if (rc == 0)
		cr_assert_eq(store_commit(e->c), 0);
	else
		cr_assert_eq(store_rollback(e->c), 0);
	json_decref(out);
	json_decref(body);
}

TENV_TEST_OPTS(park_share, oee_only_of_sharing_enterprises, .timeout = 120)
{
	struct tenv e;
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1];
	json_t *out = NULL;
	tenv_open_or_skip(&e, d->pg, "parkshare", NULL);
	tenv_add_enterprise(&e, "甲", a);
	tenv_add_enterprise(&e, "乙", b);
	add_line(&e, a, "A1", "{\"oee\":0.8}");
	add_line(&e, a, "A2", "{\"oee\":0.6}");
	add_line(&e, a, "A3", "null"); /* no plan: no OEE, not averaged */
	add_line(&e, b, "B1", "{\"oee\":0.1}");

	/* nobody shares: no figure, no rows */
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);
	cr_expect(json_is_null(json_object_get(find(out, "line_oee_avg"), "value")));
	json_decref(out);

	set_sharing(&e, NULL, a, true, 0);
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);
	json_t *x = find(out, "line_oee_avg");
	expect_num(x, 70.0, "甲 only: (0.8 + 0.6) / 2");
	cr_expect_eq(json_integer_value(json_object_get(x, "denominator")), 2);
	json_decref(out);

	cr_assert_eq(park_indicator_rows(e.c, "line_oee_avg", "2025-12-31", 2025, &out), 0);
	json_t *rows = json_object_get(out, "rows");
	cr_assert_eq(json_array_size(rows), 1, "only 甲 appears");
	json_t *r = json_array_get(rows, 0);
	cr_expect_str_eq(pl_json_str(r, "enterprise_id"), a);
	cr_expect_eq(json_integer_value(json_object_get(r, "lines")), 3);
	cr_expect_eq(json_integer_value(json_object_get(r, "lines_with_oee")), 2);
	double avg = json_number_value(json_object_get(r, "oee_avg"));
	cr_expect(avg > 0.7 - 1e-9 && avg < 0.7 + 1e-9, "甲's average %g", avg);
	json_decref(out);

	/* 乙 shares: (0.8 + 0.6 + 0.1) / 3 = 50 %; then stops: back to 70 % */
	set_sharing(&e, NULL, b, true, 0);
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);
	expect_num(find(out, "line_oee_avg"), 50.0, "both share");
	json_decref(out);
	set_sharing(&e, NULL, b, false, 0);
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);
	expect_num(find(out, "line_oee_avg"), 70.0, "乙 stopped");
	json_decref(out);
	cr_assert_eq(park_indicator_rows(e.c, "line_oee_avg", "2025-12-31", 2025, &out), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "rows")), 1);
	json_decref(out);
	tenv_close(&e);
}

TENV_TEST_OPTS(park_share, sharing_tenancy, .timeout = 120)
{
	struct tenv e;
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1], why[200];
	json_t *out = NULL;
	tenv_open_or_skip(&e, d->pg, "parkshare", NULL);
	tenv_add_enterprise(&e, "甲", a);
	tenv_add_enterprise(&e, "乙", b);
	struct auth_principal pa = { .role = AUTH_ROLE_ENTERPRISE }, pb = pa,
			      adm = { .role = AUTH_ROLE_PARK_ADMIN },
			      aud = { .role = AUTH_ROLE_AUDITOR };
	pl_strlcpy(pa.enterprise_id, a, sizeof(pa.enterprise_id));
	pl_strlcpy(pa.user_id, "ua", sizeof(pa.user_id));
	pl_strlcpy(pb.enterprise_id, b, sizeof(pb.enterprise_id));
	pl_strlcpy(pb.user_id, "ub", sizeof(pb.user_id));
	pl_strlcpy(adm.user_id, "adm", sizeof(adm.user_id));

	/* default off, never set */
	cr_assert_eq(park_sharing_get(e.c, &pa, a, &out, why, sizeof(why)), 0);
	cr_expect(json_is_false(json_object_get(out, "share_production")));
	cr_expect(json_is_null(json_object_get(out, "updated_at")));
	json_decref(out);

	static const struct { const char *who; int get, put; } cases[] = {
		{ "own", 0, 0 }, { "other", PL_ENOTFOUND, PL_ENOTFOUND },
		{ "admin", 0, 0 }, { "auditor", 0, PL_EFORBIDDEN },
	};
	const struct auth_principal *ps[] = { &pa, &pb, &adm, &aud };
	for (size_t i = 0; i < 4; i++) {
		int rc = park_sharing_get(e.c, ps[i], a, &out, why, sizeof(why));
		cr_expect_eq(rc, cases[i].get, "%s get: %d", cases[i].who, rc);
		json_decref(out);
		set_sharing(&e, ps[i], a, i % 2 == 0, cases[i].put);
	}
	/* own true, admin true: on; other's and auditor's false refused */
	cr_assert_eq(park_sharing_get(e.c, NULL, a, &out, why, sizeof(why)), 0);
	cr_expect(json_is_true(json_object_get(out, "share_production")));
	json_decref(out);
	cr_expect_eq(tfx_count(e.c, "SELECT count(*) AS n FROM audit_log WHERE action = ?",
			       "park.sharing.update"), 2);

	/* bad bodies: refused before anything is read, nothing changes */
	static const char *const bad[] = { "{\"share_production\":1}", "{}",
					   "{\"share_production\":false,\"x\":1}", "[]" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct park_actor act = { &pa, NULL, NULL };
		json_t *body = json_loads(bad[i], 0, NULL);
		cr_assert_eq(store_begin(e.c), 0);
		cr_expect_eq(park_sharing_put(e.c, &act, a, body, 0, &out, why, sizeof(why)),
			     PL_EINVAL, "%s", bad[i]);
		cr_assert_eq(store_rollback(e.c), 0);
		json_decref(body);
	}
	cr_assert_eq(park_sharing_get(e.c, NULL, a, &out, why, sizeof(why)), 0);
	cr_expect(json_is_true(json_object_get(out, "share_production")));
	json_decref(out);
	tenv_close(&e);
}

/* Requests of 2025 (and one of 2024) with the timestamps the KPIs read. */
struct req {
	const char *state, *created, *dispatched, *sign_due, *accepted, *due, *resolved, *rating;
};
static const struct req reqs[] = {
	/* signed on time, resolved on time, 满意 */
	{ "rated", "2025-03-02T01:00:00.000Z", "2025-03-02T01:00:00.000Z", "2025-03-02T03:00:00.000Z",
	  "2025-03-02T02:00:00.000Z", "2025-03-09T16:00:00.000Z", "2025-03-05T08:00:00.000Z",
	  "satisfied" },
	/* signed late, resolved late, 基本满意 (not counted as satisfied) */
	{ "rated", "2025-06-03T01:00:00.000Z", "2025-06-03T01:00:00.000Z", "2025-06-03T03:00:00.000Z",
	  "2025-06-03T05:00:00.000Z", "2025-06-10T16:00:00.000Z", "2025-06-12T08:00:00.000Z",
	  "basic" },
	/* signed exactly at the limit (on time), still open */
	{ "in_progress", "2025-09-04T01:00:00.000Z", "2025-09-04T01:00:00.000Z",
	  "2025-09-04T03:00:00.000Z", "2025-09-04T03:00:00.000Z", "2025-09-11T16:00:00.000Z", NULL,
	  NULL },
	/* received only: not dispatched */
	{ "received", "2025-10-10T01:00:00.000Z", NULL, NULL, NULL, NULL, NULL, NULL },
	/* 2024: outside the year */
	{ "rated", "2024-12-20T01:00:00.000Z", "2024-12-20T01:00:00.000Z", "2024-12-20T03:00:00.000Z",
	  "2024-12-20T02:00:00.000Z", "2024-12-27T16:00:00.000Z", "2024-12-21T08:00:00.000Z",
	  "satisfied" },
};

static struct store_param opt(const char *s)
{
	return s ? SP_TEXT(s) : SP_NULL;
}

TENV_TEST_OPTS(park_share, desk_kpis_equal_the_desk_report, .timeout = 120)
{
	struct tenv e;
	char a[PL_ID_LEN + 1];
	json_t *out = NULL, *rep = NULL;
	tenv_open_or_skip(&e, d->pg, "parkshare", NULL);
	tenv_add_enterprise(&e, "甲", a);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const struct req *q = &reqs[i];
		char id[PL_ID_LEN + 1], no[32], rid[PL_ID_LEN + 1];
		pl_id_new(id);
		pl_fmt(no, sizeof(no), "GD-SHARE-%zu", i);
		struct store_param p[] = { SP_TEXT(id), SP_TEXT(no), SP_TEXT(a), SP_TEXT(q->state),
					   opt(q->sign_due), opt(q->due), opt(q->dispatched),
					   opt(q->accepted), SP_TEXT(q->created), SP_TEXT(q->created),
					   opt(q->resolved) };
		cr_assert_eq(store_exec(e.c, "INSERT INTO requests (id, no, enterprise_id, title,"
					" description, channel, category, urgency, state, sign_due_at,"
					" due_at, dispatched_at, accepted_at, created_at, updated_at,"
					" resolved_at, reopened, returned) VALUES (?, ?, ?, 't', 'd', 'web',"
					" 'help', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)", p, STORE_NP(p),
					NULL), 0, "%s", store_conn_errmsg(e.c));
		if (!q->rating)
			continue;
		pl_id_new(rid);
		struct store_param rp[] = { SP_TEXT(rid), SP_TEXT(id), SP_TEXT(a), SP_TEXT(q->rating),
					    SP_TEXT(q->created) };
		cr_assert_eq(store_exec(e.c, "INSERT INTO ratings (id, request_id, round, enterprise_id,"
					" rating, at) VALUES (?, ?, 0, ?, ?, ?)", rp, STORE_NP(rp), NULL),
			     0, "%s", store_conn_errmsg(e.c));
	}
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);

	/* the desk's own report over 2025 as the park admin */
	struct auth_principal adm = { .role = AUTH_ROLE_PARK_ADMIN };
	struct desk_report_query rq = { .group = DESK_REPORT_MONTH };
	struct desk_err de;
	memset(&de, 0, sizeof(de));
	cr_assert_eq(desk_day_from_ymd(2025, 1, 1, &rq.from_day), 0);
	cr_assert_eq(desk_day_from_ymd(2025, 12, 31, &rq.to_day), 0);
	cr_assert_eq(desk_report_kpi(e.c, &adm, &rq, pl_time_now_ms(), &rep, &de), 0, "%s", de.text);
	const json_t *tot = json_object_get(rep, "total");

	static const struct { const char *key, *num, *den; int64_t n, m; double pct; } want[] = {
		{ "desk_satisfaction", "satisfied", "rated", 1, 2, 50.0 },
		{ "desk_on_time", "resolved_on_time", "resolved", 1, 2, 50.0 },
		{ "desk_signed_in_time", "sign_on_time", "dispatched", 2, 3, 66.7 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *x = find(out, want[i].key);
		int64_t n = json_integer_value(json_object_get(x, "numerator"));
		int64_t m = json_integer_value(json_object_get(x, "denominator"));
		cr_expect_eq(n, want[i].n, "%s numerator %lld", want[i].key, (long long)n);
		cr_expect_eq(m, want[i].m, "%s denominator %lld", want[i].key, (long long)m);
		cr_expect_eq(n, json_integer_value(json_object_get(tot, want[i].num)), "%s vs report",
			     want[i].key);
		cr_expect_eq(m, json_integer_value(json_object_get(tot, want[i].den)), "%s vs report",
			     want[i].key);
		expect_num(x, want[i].pct, want[i].key);
		cr_expect(strstr(pl_json_str(x, "source"), "/api/v1/desk/reports/kpi?") != NULL);
	}
	json_decref(out);
	/* rows: the report's months */
	cr_assert_eq(park_indicator_rows(e.c, "desk_on_time", NULL, 2025, &out), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "rows")), 4);
	json_decref(out);
	json_decref(rep);
	tenv_close(&e);
}
