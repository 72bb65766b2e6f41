/*
 * test_logistics.c - port-to-plant shipments (src/park/logistics.c) on
 * both store drivers, from EPCIS documents captured through the trace
 * module's own capture function: a table of bizTransactions with their
 * declaration and receiving events and the days each must give (or that
 * it is not a shipment), the average, the per-enterprise split, the date
 * window and the configured baseline; then the baseline as a setting
 * (park_logistics_baseline_get/put): who may change it, a table of bad
 * bodies refused with nothing changed, the audit row, and the shipments'
 * saved_days following the new value.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "support/store_env.h"
#include "park/logistics.h"
#include "support/fixtures.h"
#include "trace/trace.h"

struct ev {
	const char *po, *step, *time; /* time: RFC 3339 */
};
/* Enterprise A's events. Expected below. */
static const struct ev evs_a[] = {
	/* 2.5 days */
	{ "urn:test:po:A1", "departing", "2025-03-01T08:00:00.000+08:00" },
	{ "urn:test:po:A1", "receiving", "2025-03-03T20:00:00.000+08:00" },
	/* two declarations: the first counts; 3 days */
	{ "urn:test:po:A2", "shipping", "2025-04-01T00:00:00.000Z" },
	{ "urn:test:po:A2", "departing", "2025-04-02T00:00:00.000Z" },
	{ "urn:test:po:A2", "receiving", "2025-04-04T00:00:00.000Z" },
	/* in transit: not counted */
	{ "urn:test:po:A3", "departing", "2025-05-01T00:00:00.000Z" },
	/* received before any declaration, never again: not a port shipment */
	{ "urn:test:po:A4", "receiving", "2025-06-01T00:00:00.000Z" },
	{ "urn:test:po:A4", "departing", "2025-06-02T00:00:00.000Z" },
	/* two receipts: the first after the declaration counts; 1.25 days */
	{ "urn:test:po:A5", "departing", "2025-07-01T00:00:00.000Z" },
	{ "urn:test:po:A5", "receiving", "2025-07-02T06:00:00.000Z" },
	{ "urn:test:po:A5", "receiving", "2025-07-09T00:00:00.000Z" },
	/* another year: 10 days */
	{ "urn:test:po:A6", "departing", "2024-12-25T00:00:00.000Z" },
	{ "urn:test:po:A6", "receiving", "2025-01-04T00:00:00.000Z" },
};
/* Enterprise B uses the same PO number: its own shipment, 4 days. */
static const struct ev evs_b[] = {
	{ "urn:test:po:A1", "departing", "2025-03-10T00:00:00.000Z" },
	{ "urn:test:po:A1", "receiving", "2025-03-14T00:00:00.000Z" },
};

static void capture(struct tenv *e, const char *tenant, const struct ev *evs, size_t n)
{
	json_t *list = json_array(), *job = NULL;
	struct trace_errors errs;
	trace_errors_init(&errs);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:[s], s:s, s:{s:s}, s:[{s:s, s:s}]}",
			"type", "ObjectEvent", "eventTime", evs[i].time, "eventTimeZoneOffset", "+08:00",
			"action", "OBSERVE", "epcList", "https://id.gs1.org/00/069012340000005004",
			"bizStep", evs[i].step, "readPoint", "id", "https://id.gs1.org/414/6901234500011",
			"bizTransactionList", "type", "po", "bizTransaction", evs[i].po));
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:o}}",
				"@context", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
				"type", "EPCISDocument", "schemaVersion", "2.0",
				"creationDate", "2025-12-31T00:00:00.000Z", "epcisBody", "eventList", list);
	char *text = pl_json_dump(doc);
	cr_assert_eq(trace_repo_capture(e->c, tenant, "test", text, strlen(text), false, &errs,
					&job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "capture: %s",
		  errs.n ? errs.msg[0] : "?");
	free(text);
	json_decref(doc);
	json_decref(job);
	trace_errors_release(&errs);
}

static double days_of(json_t *out, const char *ent, const char *po)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(out, "shipments"), i, s)
		if (!strcmp(pl_json_str(s, "id"), po) && !strcmp(pl_json_str(s, "enterprise_id"), ent))
			return json_real_value(json_object_get(s, "days"));
	return -1;
}

static int64_t ms_of(const char *t)
{
	int64_t ms;
	cr_assert_eq(pl_time_parse(t, &ms), 0);
	return ms;
}

TENV_TEST_OPTS(park_logistics, shipments, .timeout = 120)
{
	struct tenv e;
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1];
	json_t *out = NULL;
	tenv_open_or_skip(&e, d->pg, "parklog", NULL);
	tenv_add_enterprise(&e, "甲", a);
	tenv_add_enterprise(&e, "乙", b);
	capture(&e, a, evs_a, sizeof(evs_a) / sizeof(evs_a[0]));
	capture(&e, b, evs_b, sizeof(evs_b) / sizeof(evs_b[0]));

	static const struct { const char *ent_is_b, *po; double days; } want[] = {
		{ NULL, "urn:test:po:A1", 2.5 }, { NULL, "urn:test:po:A2", 3.0 },
		{ NULL, "urn:test:po:A3", -1 }, { NULL, "urn:test:po:A4", -1 },
		{ NULL, "urn:test:po:A5", 1.25 }, { NULL, "urn:test:po:A6", 10.0 },
		{ "b", "urn:test:po:A1", 4.0 },
	};
	cr_assert_eq(park_logistics(e.c, 0, INT64_MAX, &out), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		double got = days_of(out, want[i].ent_is_b ? b : a, want[i].po);
		cr_expect(got > want[i].days - 1e-9 && got < want[i].days + 1e-9, "%s%s: %g days, want %g",
			  want[i].po, want[i].ent_is_b ? " (B)" : "", got, want[i].days);
	}
	cr_expect_eq(json_integer_value(json_object_get(out, "count")), 5);
	/* (2.5 + 3 + 1.25 + 10 + 4) / 5 = 4.15 */
	double avg = json_real_value(json_object_get(out, "average_days"));
	cr_expect(avg > 4.15 - 1e-9 && avg < 4.15 + 1e-9, "average %g", avg);
	cr_expect_eq(json_integer_value(json_object_get(out, "baseline_days")), 30);
	/* against the 30-day baseline: 30 - 4.15 saved on average, 27.5 for A1 */
	double sv = json_real_value(json_object_get(out, "average_saved_days"));
	cr_expect(sv > 25.85 - 1e-9 && sv < 25.85 + 1e-9, "average saved %g", sv);
	size_t k;
	json_t *sh;
	json_array_foreach(json_object_get(out, "shipments"), k, sh)
		if (!strcmp(pl_json_str(sh, "id"), "urn:test:po:A1") &&
		    !strcmp(pl_json_str(sh, "enterprise_id"), a))
			cr_expect(fabs(json_real_value(json_object_get(sh, "saved_days")) - 27.5) < 1e-9);
	json_decref(out);

	/* the window is on the declaration: 2025 leaves A6 (declared 2024) out */
	cr_assert_eq(park_logistics(e.c, ms_of("2025-01-01T00:00:00Z"), ms_of("2026-01-01T00:00:00Z"),
				    &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "count")), 4);
	cr_expect_lt(days_of(out, a, "urn:test:po:A6"), 0);
	json_decref(out);
	cr_assert_eq(park_logistics(e.c, 0, ms_of("2000-01-01T00:00:00Z"), &out), 0);
	cr_expect(json_is_null(json_object_get(out, "average_days")));
	json_decref(out);

	/* the baseline is a setting */
	cr_assert_eq(store_exec(e.c, "UPDATE park_settings SET value = '20' WHERE name ="
				" 'logistics_baseline_days'", NULL, 0, NULL), 0);
	cr_assert_eq(park_logistics(e.c, 0, INT64_MAX, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "baseline_days")), 20);
	json_decref(out);

	/* the indicator is the same average over the declarations of a year */
	cr_assert_eq(park_indicators(e.c, "2025-12-31", 2025, &out), 0);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(out, "indicators"), i, x)
		if (!strcmp(pl_json_str(x, "key"), "port_to_plant_days")) {
			cr_expect_eq(json_integer_value(json_object_get(x, "denominator")), 4);
			double v = json_real_value(json_object_get(x, "value"));
			cr_expect(v > 2.69 - 1e-9 && v < 2.69 + 1e-9, "2025 average %g", v); /* 10.75 / 4 */
		}
	json_decref(out);
	tenv_close(&e);
}

/* One PUT as p with body text; returns its code and rolls back unless 0
 * (as the HTTP handler does), so a refusal leaves nothing behind. */
static int put_baseline(struct tenv *e, const struct auth_principal *p, const char *text)
{
	struct park_actor act = { p, "req-1", "127.0.0.1" };
	json_t *body = json_loads(text, JSON_DECODE_ANY, NULL), *out = NULL;
	char why[200] = "";
	cr_assert_eq(store_begin(e->c), 0);
	int rc = park_logistics_baseline_put(e->c, &act, body, ms_of("2026-02-03T04:05:06Z"), &out,
					     why, sizeof(why));
	if (rc == 0) {
		cr_expect_eq(json_integer_value(json_object_get(out, "baseline_days")),
			     json_integer_value(json_object_get(body, "baseline_days")));
		cr_assert_eq(store_commit(e->c), 0);
	} else {
		cr_expect(why[0], "%s: a refusal says why", text);
		cr_expect_null(out);
		cr_assert_eq(store_rollback(e->c), 0);
	}
	json_decref(out);
	json_decref(body);
	return rc;
}

static int64_t baseline_now(struct tenv *e, json_t **row)
{
	json_t *out = NULL;
	cr_assert_eq(park_logistics_baseline_get(e->c, &out), 0);
	int64_t v = json_integer_value(json_object_get(out, "baseline_days"));
	if (row)
		*row = out;
	else
		json_decref(out);
	return v;
}

TENV_TEST_OPTS(park_logistics, baseline_setting, .timeout = 120)
{
	struct tenv e;
	char a[PL_ID_LEN + 1];
	json_t *row = NULL, *out = NULL;
	tenv_open_or_skip(&e, d->pg, "parkbase", NULL);
	tenv_add_enterprise(&e, "甲", a);
	capture(&e, a, evs_b, sizeof(evs_b) / sizeof(evs_b[0])); /* one 4-day shipment */

	/* the migration's row: 30, never edited */
	cr_expect_eq(baseline_now(&e, &row), 30);
	cr_expect(json_is_null(json_object_get(row, "updated_at")));
	cr_expect(json_is_null(json_object_get(row, "updated_by")));
	json_decref(row);

	struct auth_principal adm = { .role = AUTH_ROLE_PARK_ADMIN }, ent = { .role = AUTH_ROLE_ENTERPRISE },
			      aud = { .role = AUTH_ROLE_AUDITOR }, spec = { .role = AUTH_ROLE_SPECIALIST };
	pl_strlcpy(adm.user_id, "adm", sizeof(adm.user_id));
	pl_strlcpy(adm.name, "admin", sizeof(adm.name));
	pl_strlcpy(ent.user_id, "ue", sizeof(ent.user_id));
	pl_strlcpy(ent.enterprise_id, a, sizeof(ent.enterprise_id));
	pl_strlcpy(aud.user_id, "ua", sizeof(aud.user_id));
	pl_strlcpy(spec.user_id, "us", sizeof(spec.user_id));

	/* who may change it: only the park-wide writer; the enterprise's own
	 * users find no such object of theirs (404), roles without
	 * park.data.write are 403; a good body each time */
	static const struct { const char *who; int want; } who[] = {
		{ "enterprise", PL_ENOTFOUND }, { "auditor", PL_EFORBIDDEN },
		{ "specialist", PL_EFORBIDDEN }, { "admin", 0 },
	};
	const struct auth_principal *ps[] = { &ent, &aud, &spec, &adm };
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		int rc = put_baseline(&e, ps[i], "{\"baseline_days\": 12}");
		cr_expect_eq(rc, who[i].want, "%s: %d", who[i].who, rc);
		cr_expect_eq(baseline_now(&e, NULL), who[i].want ? 30 : 12, "%s", who[i].who);
	}
	cr_expect_eq(baseline_now(&e, &row), 12);
	cr_expect_str_eq(pl_json_str(row, "updated_by"), "admin");
	cr_expect_str_eq(pl_json_str(row, "updated_at"), "2026-02-03T04:05:06.000Z");
	json_decref(row);
	cr_expect_eq(tfx_count(e.c, "SELECT count(*) AS n FROM audit_log WHERE action = ?",
			       "park.logistics.baseline"), 1);

	/* bad bodies, even from the admin: refused, the value stays 12 */
	static const char *const bad[] = {
		"{\"baseline_days\": 0}", "{\"baseline_days\": 366}", "{\"baseline_days\": -5}",
		"{\"baseline_days\": 12.5}", "{\"baseline_days\": \"20\"}", "{\"baseline_days\": null}",
		"{}", "{\"baseline_days\": 20, \"note\": 1}", "[20]", "20",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(put_baseline(&e, &adm, bad[i]), PL_EINVAL, "%s", bad[i]);
		cr_expect_eq(baseline_now(&e, NULL), 12, "%s", bad[i]);
	}
	cr_expect_eq(tfx_count(e.c, "SELECT count(*) AS n FROM audit_log WHERE action = ?",
			       "park.logistics.baseline"), 1);
	/* the edges of the range are accepted */
	cr_expect_eq(put_baseline(&e, &adm, "{\"baseline_days\": 1}"), 0);
	cr_expect_eq(put_baseline(&e, NULL, "{\"baseline_days\": 365}"), 0);
	cr_expect_eq(put_baseline(&e, &adm, "{\"baseline_days\": 12}"), 0);

	/* the shipments follow the setting: 12 - 4 = 8 days saved */
	cr_assert_eq(park_logistics(e.c, 0, INT64_MAX, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "baseline_days")), 12);
	json_t *s0 = json_array_get(json_object_get(out, "shipments"), 0);
	cr_expect(fabs(json_real_value(json_object_get(s0, "saved_days")) - 8.0) < 1e-9);
	cr_expect(fabs(json_real_value(json_object_get(out, "average_saved_days")) - 8.0) < 1e-9);
	json_decref(out);
	tenv_close(&e);
}
