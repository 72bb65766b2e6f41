/* test_report.c - the desk's KPI report, its CSV and the SLA settings
 * (src/desk/report.c, sla_repo.c) on SQLite and PostgreSQL through the
 * shared harness (tests/unit/support/store_env.h).
 *
 * The fixture is eight requests written straight into the tables with
 * fixed times, so every count below was worked out by hand from the table
 * in fx_requests (the comment on each row says what it contributes). The
 * clock is T0 = 2026-11-25T02:00:00Z. */
#include <criterion/criterion.h>
#include <string.h>

#include "desk/report.h"
#include "support/store_env.h"
#include "support/fixtures.h"

#define T0 1795572000000LL

struct fx {
	struct tenv t;
	struct auth *a;
	struct auth_principal who[8];
	char ent1[PL_ID_LEN + 1], ent2[PL_ID_LEN + 1];
};
enum { ADMIN, SPEC1, TAX, ENT1, AUDITOR, SPEC2, NWHO };
static const char *const who_names[NWHO] = { "admin", "specialist1", "dept_tax", "ent1",
					      "auditor", "spec2" };

/* One fixture request. Times are literal RFC 3339 (NULL: not happened). */
struct fx_req {
	int spec;            /* SPEC1, SPEC2 or -1 (unassigned) */
	const char *dept;
	const char *state;
	const char *created, *dispatched, *sign_due, *accepted, *due, *resolved;
	int reopened, returned;
	const char *rating;  /* rating of the current round, or NULL */
	const char *old_rating; /* rating of round 0 when reopened */
};

/* Range 2026-10-01..2026-11-30 (Beijing); as_of T0 = 2026-11-25T02:00Z. */
static const struct fx_req fx_requests[] = {
	/* R1 S1 Nov: signed on time, resolved on time, 满意 */
	{ SPEC1, NULL, "closed", "2026-11-02T01:00:00.000Z", "2026-11-02T01:00:00.000Z",
	  "2026-11-02T03:00:00.000Z", "2026-11-02T02:00:00.000Z", "2026-11-09T16:00:00.000Z",
	  "2026-11-05T08:00:00.000Z", 0, 0, "satisfied", NULL },
	/* R2 S1 Nov: signed late, resolved late (overdue), 基本满意 */
	{ SPEC1, NULL, "rated", "2026-11-03T01:00:00.000Z", "2026-11-03T01:00:00.000Z",
	  "2026-11-03T03:00:00.000Z", "2026-11-03T05:00:00.000Z", "2026-11-10T16:00:00.000Z",
	  "2026-11-12T08:00:00.000Z", 0, 0, "basic", NULL },
	/* R3 S1 Nov: signed exactly at the limit (on time), open past due
	 * (overdue), sent back once */
	{ SPEC1, NULL, "in_progress", "2026-11-04T01:00:00.000Z", "2026-11-04T01:00:00.000Z",
	  "2026-11-04T03:00:00.000Z", "2026-11-04T03:00:00.000Z", "2026-11-11T16:00:00.000Z",
	  NULL, 0, 1, NULL, NULL },
	/* R4 S1 Oct (23:00 Beijing on Oct 31): reopened after 不满意, resolved
	 * again on time, the new round not rated yet */
	{ SPEC1, NULL, "resolved", "2026-10-31T15:00:00.000Z", "2026-10-31T15:00:00.000Z",
	  "2026-10-31T17:00:00.000Z", "2026-10-31T16:00:00.000Z", "2026-11-06T16:00:00.000Z",
	  "2026-11-06T08:00:00.000Z", 1, 0, NULL, "unsatisfied" },
	/* R5 S2 Nov (01:00 Beijing on Nov 1): with the tax department, due later */
	{ SPEC2, "tax", "transferred", "2026-10-31T17:00:00.000Z", "2026-10-31T17:00:00.000Z",
	  "2026-10-31T19:00:00.000Z", "2026-10-31T18:00:00.000Z", "2026-12-01T16:00:00.000Z",
	  NULL, 0, 0, NULL, NULL },
	/* R6 S2 Nov: dispatched, never signed */
	{ SPEC2, NULL, "dispatched", "2026-11-20T01:00:00.000Z", "2026-11-20T01:00:00.000Z",
	  "2026-11-20T03:00:00.000Z", NULL, NULL, NULL, 0, 0, NULL, NULL },
	/* R7 unassigned Oct: received only */
	{ -1, NULL, "received", "2026-10-10T01:00:00.000Z", NULL, NULL, NULL, NULL, NULL, 0, 0,
	  NULL, NULL },
	/* R8 S2 September: outside the range */
	{ SPEC2, NULL, "closed", "2026-09-10T01:00:00.000Z", "2026-09-10T01:00:00.000Z",
	  "2026-09-10T03:00:00.000Z", "2026-09-10T02:00:00.000Z", "2026-09-16T16:00:00.000Z",
	  "2026-09-11T08:00:00.000Z", 0, 0, "satisfied", NULL },
};

static struct store_param opt(const char *s)
{
	return s ? SP_TEXT(s) : SP_NULL;
}

static void fx_insert(struct fx *f)
{
	cr_assert_eq(store_begin(f->t.c), 0);
	for (size_t i = 0; i < sizeof(fx_requests) / sizeof(fx_requests[0]); i++) {
		const struct fx_req *q = &fx_requests[i];
		char id[PL_ID_LEN + 1], no[32], rid[PL_ID_LEN + 1];
		const char *spec = q->spec < 0 ? NULL : f->who[q->spec].user_id;
		pl_id_new(id);
		snprintf(no, sizeof(no), "GD-TEST-%zu", i);
		struct store_param p[] = {
			SP_TEXT(id), SP_TEXT(no), SP_TEXT(i % 2 ? f->ent2 : f->ent1), SP_TEXT(q->state),
			opt(spec), opt(q->dept), opt(q->sign_due), opt(q->due), opt(q->dispatched),
			opt(q->accepted), SP_TEXT(q->created), SP_TEXT(q->created), opt(q->resolved),
			SP_INT(q->reopened), SP_INT(q->returned),
		};
		cr_assert_eq(store_exec(f->t.c, "INSERT INTO requests (id, no, enterprise_id, title, "
					"description, channel, category, urgency, state, specialist_id, "
					"department, sign_due_at, due_at, dispatched_at, accepted_at, "
					"created_at, updated_at, resolved_at, reopened, returned) VALUES "
					"(?, ?, ?, 't', 'd', 'web', 'help', 'normal', ?, ?, ?, ?, ?, ?, "
					"?, ?, ?, ?, ?, ?)", p, STORE_NP(p), NULL), 0,
			    "%s", store_conn_errmsg(f->t.c));
		for (int round = 0; round < 2; round++) {
			const char *g = round == q->reopened ? q->rating : q->old_rating;
			if (!g || (round > q->reopened))
				continue;
			pl_id_new(rid);
			struct store_param rp[] = { SP_TEXT(rid), SP_TEXT(id), SP_INT(round),
						    SP_TEXT(i % 2 ? f->ent2 : f->ent1), opt(spec),
						    SP_TEXT(g), SP_TEXT(q->created) };
			cr_assert_eq(store_exec(f->t.c, "INSERT INTO ratings (id, request_id, round, "
						"enterprise_id, specialist_id, rating, at) VALUES "
						"(?, ?, ?, ?, ?, ?, ?)", rp, STORE_NP(rp), NULL), 0,
				    "%s", store_conn_errmsg(f->t.c));
		}
	}
	cr_assert_eq(store_commit(f->t.c), 0);
}

static bool fx_open(struct fx *f, bool pg)
{
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "report"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	struct auth_user_new nu = { .username = "spec2", .password = "spec2-password",
				    .display_name = "Spec, Two", .role = "specialist" };
	char uid[PL_ID_LEN + 1];
	cr_assert_eq(auth_user_add(f->a, NULL, &nu, NULL, uid, NULL), 0);
	for (int i = 0; i < NWHO; i++)
		tfx_principal(f->a, who_names[i], &f->who[i]);
	pl_strlcpy(f->ent1, f->who[ENT1].enterprise_id, sizeof(f->ent1));
	tenv_add_enterprise(&f->t, "第二企业", f->ent2);
	fx_insert(f);
	return true;
}

static void fx_close(struct fx *f)
{
	auth_free(f->a);
	tenv_close(&f->t);
}

TFX_ON_EACH_STORE

static json_t *report(struct fx *f, int who, enum desk_report_group g, int *rc_out)
{
	struct desk_report_query q = { .group = g };
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	cr_assert_eq(desk_day_from_ymd(2026, 10, 1, &q.from_day), 0);
	cr_assert_eq(desk_day_from_ymd(2026, 11, 30, &q.to_day), 0);
	int rc = desk_report_kpi(f->t.c, &f->who[who], &q, T0, &out, &e);
	if (rc_out)
		*rc_out = rc;
	else
		cr_assert_eq(rc, 0, "%s", e.text);
	return out;
}

static const json_t *row_by_key(const json_t *rep, const char *key)
{
	size_t i;
	const json_t *it;
	json_array_foreach(json_object_get(rep, "items"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "key")), key))
			return it;
	cr_assert_fail("no row with key '%s'", key);
	return NULL;
}

/* Expected values, in the order of the names below; -1 for a null rate. */
static const char *const exp_names[] = {
	"requests", "dispatched", "sign_on_time", "resolved", "resolved_on_time",
	"ever_resolved", "due", "resolved_due", "rated", "satisfied", "basic", "reopened",
	"returned", "overdue", "sign_on_time_bp", "on_time_bp", "resolution_bp",
	"satisfaction_bp", "reopen_bp", "return_bp",
};
#define NEXP (sizeof(exp_names) / sizeof(exp_names[0]))

static void expect_row(const json_t *row, const int64_t *want, const char *what)
{
	for (size_t i = 0; i < NEXP; i++) {
		const json_t *v = json_object_get(row, exp_names[i]);
		if (want[i] < 0)
			cr_expect(json_is_null(v), "%s.%s should be null", what, exp_names[i]);
		else
			cr_expect_eq(json_integer_value(v), want[i], "%s.%s = %lld, want %lld", what,
				     exp_names[i], (long long)json_integer_value(v),
				     (long long)want[i]);
	}
}

/* Specialist 1: R1-R4. Specialist 2: R5, R6. Unassigned: R7. */
static const int64_t exp_spec1[NEXP] = { 4, 4, 3, 3, 2, 3, 4, 3, 2, 1, 1, 1, 1, 2,
					 7500, 6667, 7500, 5000, 3333, 2500 };
static const int64_t exp_spec2[NEXP] = { 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					 5000, -1, -1, -1, -1, 0 };
static const int64_t exp_none[NEXP] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					-1, -1, -1, -1, -1, -1 };
static const int64_t exp_total[NEXP] = { 7, 6, 4, 3, 2, 3, 4, 3, 2, 1, 1, 1, 1, 2,
					 6667, 6667, 7500, 5000, 3333, 1667 };
/* October (Beijing): R4, R7. November: R1, R2, R3, R5, R6. */
static const int64_t exp_oct[NEXP] = { 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0,
				       10000, 10000, 10000, -1, 10000, 0 };
static const int64_t exp_nov[NEXP] = { 5, 5, 3, 2, 1, 2, 3, 2, 2, 1, 1, 0, 1, 2,
				       6000, 5000, 6667, 5000, 0, 2000 };
/* The tax department: R5 only. */
static const int64_t exp_tax[NEXP] = { 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				       10000, -1, -1, -1, -1, 0 };

static void t_by_specialist(struct fx *f)
{
	json_t *r = report(f, ADMIN, DESK_REPORT_SPECIALIST, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 3);
	expect_row(row_by_key(r, f->who[SPEC1].user_id), exp_spec1, "spec1");
	expect_row(row_by_key(r, f->who[SPEC2].user_id), exp_spec2, "spec2");
	expect_row(row_by_key(r, ""), exp_none, "unassigned");
	expect_row(json_object_get(r, "total"), exp_total, "total");
	cr_expect_str_eq(json_string_value(json_object_get(row_by_key(r, f->who[SPEC2].user_id),
							   "name")), "Spec, Two");
	cr_expect_str_eq(json_string_value(json_object_get(r, "from")), "2026-10-01");
	cr_expect_str_eq(json_string_value(json_object_get(r, "to")), "2026-11-30");
	json_decref(r);
}
Test(report, by_specialist, .timeout = 60) { on_each_store(t_by_specialist); }

static void t_by_month(struct fx *f)
{
	json_t *r = report(f, AUDITOR, DESK_REPORT_MONTH, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 2);
	expect_row(row_by_key(r, "2026-10"), exp_oct, "2026-10");
	expect_row(row_by_key(r, "2026-11"), exp_nov, "2026-11");
	expect_row(json_object_get(r, "total"), exp_total, "total");
	json_decref(r);
}
Test(report, by_month_beijing_boundaries, .timeout = 60) { on_each_store(t_by_month); }

static void t_by_department(struct fx *f)
{
	json_t *r = report(f, ADMIN, DESK_REPORT_DEPARTMENT, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 1);
	expect_row(row_by_key(r, "tax"), exp_tax, "tax");
	cr_expect_str_eq(json_string_value(json_object_get(row_by_key(r, "tax"), "name")), "税务");
	json_decref(r);
}
Test(report, by_department, .timeout = 60) { on_each_store(t_by_department); }

static void t_tenancy(struct fx *f)
{
	int rc;
	/* A specialist sees its own requests only, total included. */
	json_t *r = report(f, SPEC1, DESK_REPORT_SPECIALIST, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 1);
	expect_row(row_by_key(r, f->who[SPEC1].user_id), exp_spec1, "own");
	expect_row(json_object_get(r, "total"), exp_spec1, "own total");
	json_decref(r);
	/* Department staff see what is with their department. */
	r = report(f, TAX, DESK_REPORT_MONTH, NULL);
	cr_assert_eq(json_array_size(json_object_get(r, "items")), 1);
	expect_row(row_by_key(r, "2026-11"), exp_tax, "tax by month");
	json_decref(r);
	/* Enterprises get no report. */
	r = report(f, ENT1, DESK_REPORT_MONTH, &rc);
	cr_expect_eq(rc, PL_EFORBIDDEN);
	cr_expect_null(r);
}
Test(report, tenancy, .timeout = 60) { on_each_store(t_tenancy); }

static void t_bad_range(struct fx *f)
{
	struct desk_err e = { .text = "" };
	json_t *out = NULL;
	static const struct { int32_t from, to; } cases[] = {
		{ 20000, 19999 },                       /* from after to */
		{ 20000, 20000 + DESK_REPORT_DAYS_MAX }, /* one day too long */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct desk_report_query q = { DESK_REPORT_MONTH, cases[i].from, cases[i].to };
		cr_expect_eq(desk_report_kpi(f->t.c, &f->who[ADMIN], &q, T0, &out, &e), PL_EINVAL,
			     "case %zu", i);
		cr_expect_null(out);
	}
	struct desk_report_query ok = { DESK_REPORT_MONTH, 20000,
					20000 + DESK_REPORT_DAYS_MAX - 1 };
	cr_expect_eq(desk_report_kpi(f->t.c, &f->who[ADMIN], &ok, T0, &out, &e), 0, "%s", e.text);
	json_decref(out);
}
Test(report, bad_range, .timeout = 60) { on_each_store(t_bad_range); }

static void t_csv(struct fx *f)
{
	json_t *r = report(f, ADMIN, DESK_REPORT_SPECIALIST, NULL);
	char *csv = NULL;
	size_t len = 0, lines = 0;
	cr_assert_eq(desk_report_csv(r, &csv, &len), 0);
	cr_expect_eq(memcmp(csv, "\xEF\xBB\xBF", 3), 0, "starts with the UTF-8 BOM");
	cr_expect(strstr(csv, "签收及时率% sign_on_time_rate") != NULL);
	cr_expect(strstr(csv, ",\"Spec, Two\",2,2,1,50.00,") != NULL, "%s", csv);
	cr_expect(strstr(csv, "\r\ntotal,,7,6,4,66.67,3,2,66.67,4,3,75.00,2,1,50.00,3,1,33.33,"
			 "1,16.67,2\r\n") != NULL, "%s", csv);
	for (size_t i = 0; i < len; i++)
		lines += csv[i] == '\n';
	cr_expect_eq(lines, 1 + 3 + 1, "header, three rows, total");
	free(csv);
	json_decref(r);
}
Test(report, csv, .timeout = 60) { on_each_store(t_csv); }

/* ------------------------------------------------------------------ SLA */

static int put(struct fx *f, int who, const char *body, json_t **out)
{
	struct desk_sla_table base;
	struct desk_err e = { .text = "" };
	struct desk_actor a = { .p = &f->who[who] };
	json_t *b = json_loads(body, 0, NULL);
	cr_assert_not_null(b, "%s", body);
	desk_sla_defaults(&base);
	cr_assert_eq(store_begin(f->t.c), 0);
	int rc = desk_sla_put(f->t.c, &a, &base, b, T0, out, &e);
	if (rc)
		store_rollback(f->t.c);
	else
		cr_assert_eq(store_commit(f->t.c), 0);
	json_decref(b);
	return rc;
}

static int64_t count(struct fx *f, const char *sql)
{
	json_t *row = NULL;
	cr_assert_eq(store_query_one(f->t.c, sql, NULL, 0, &row), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

static void t_sla(struct fx *f)
{
	struct desk_sla_table base, t;
	json_t *out = NULL;
	desk_sla_defaults(&base);

	cr_assert_eq(put(f, ADMIN, "{\"items\":[{\"category\":\"complaint\",\"urgency\":\"normal\","
			 "\"resolve\":\"3wd\",\"sign\":\"90m\"}]}", &out), 0);
	json_decref(out);
	cr_assert_eq(desk_sla_load(f->t.c, &base, &t), 0);
	cr_expect_eq(t.cell[DESK_CAT_COMPLAINT][DESK_URG_NORMAL][DESK_CLK_RESOLVE].unit,
		     DESK_UNIT_WORKDAYS);
	cr_expect_eq(t.cell[DESK_CAT_COMPLAINT][DESK_URG_NORMAL][DESK_CLK_RESOLVE].amount, 3);
	cr_expect_eq(t.cell[DESK_CAT_COMPLAINT][DESK_URG_NORMAL][DESK_CLK_SIGN].amount, 90);
	cr_expect_eq(t.cell[DESK_CAT_HELP][DESK_URG_NORMAL][DESK_CLK_RESOLVE].amount, 5,
		     "other cells keep the base");
	cr_expect_eq(count(f, "SELECT count(*) AS n FROM desk_sla"), 2);
	cr_expect_eq(count(f, "SELECT count(*) AS n FROM audit_log WHERE action = 'desk.sla.update'"),
		     1);

	/* Bad input: each is refused and changes nothing. */
	static const struct { int who; const char *body; int rc; } bad[] = {
		{ ADMIN, "{\"items\":[]}", PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"parking\",\"urgency\":\"normal\",\"sign\":\"1h\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"soon\",\"sign\":\"1h\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"0m\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"400d\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"999wd\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"nap\":\"1h\"}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":3}]}",
		  PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"1h\"},"
			 "{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"2h\"}]}", PL_EINVAL },
		{ ADMIN, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"1h\"},"
			 "{\"category\":\"help\",\"urgency\":\"urgent\",\"sign\":\"-1h\"}]}", PL_EINVAL },
		{ SPEC1, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"1h\"}]}",
		  PL_EFORBIDDEN },
		{ AUDITOR, "{\"items\":[{\"category\":\"help\",\"urgency\":\"normal\",\"sign\":\"1h\"}]}",
		  PL_EFORBIDDEN },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = NULL;
		cr_expect_eq(put(f, bad[i].who, bad[i].body, &out), bad[i].rc, "bad case %zu", i);
		cr_expect_null(out);
	}
	cr_expect_eq(count(f, "SELECT count(*) AS n FROM desk_sla"), 2, "nothing changed");
	cr_expect_eq(count(f, "SELECT count(*) AS n FROM audit_log WHERE action = 'desk.sla.update'"),
		     1);

	/* Setting a cell back to the base removes its row; GET marks custom cells. */
	cr_assert_eq(put(f, ADMIN, "{\"items\":[{\"category\":\"complaint\",\"urgency\":\"normal\","
			 "\"sign\":\"2h\"}]}", &out), 0);
	cr_expect_eq(count(f, "SELECT count(*) AS n FROM desk_sla"), 1);
	size_t i;
	const json_t *it;
	int customs = 0;
	json_array_foreach(json_object_get(out, "items"), i, it) {
		if (json_array_size(json_object_get(it, "custom"))) {
			customs++;
			cr_expect_str_eq(json_string_value(json_object_get(it, "category")), "complaint");
			cr_expect_str_eq(json_string_value(json_object_get(it, "resolve")), "3wd");
			cr_expect_str_eq(json_string_value(json_object_get(it, "sign")), "2h");
		}
	}
	cr_expect_eq(customs, 1);
	cr_expect_eq(json_array_size(json_object_get(out, "items")), DESK_SLA_ITEMS_MAX);
	json_decref(out);
}
Test(report, sla_settings, .timeout = 60) { on_each_store(t_sla); }
