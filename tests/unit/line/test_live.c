/* test_live.c - live production over a real store (src/line/live.c), on
 * SQLite and PostgreSQL (tests/unit/support/store_env.h): an OEE report
 * worked by hand from a seeded state log and counter blocks (with a counter
 * reset and device-prefixed reject reasons), the alarm life cycle driven by
 * line_live_apply / line_live_tick / line_live_alarm_op as tables of
 * {input, expected state, expected event}, and the machine-state log.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "line/live.h"
#include "line/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"
#include "auth/auth.h"

struct fx {
	struct tenv t;
	struct auth *a;
	char line[PL_ID_LEN + 1], ent[PL_ID_LEN + 1];
	int64_t shift0; /* 2026-11-25 08:00 Beijing: the start of the 早班 */
};

static bool fx_open(struct fx *f, bool pg)
{
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "live"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	cr_assert_eq(line_repo_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_live_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_live_demo_seed(f->t.st, NULL), 0, "idempotent");
	cr_assert_eq(line_repo_line_by_node(f->t.c, "taiji", "fill-1", f->line, f->ent), 0);
	cr_assert_eq(pl_time_parse("2026-11-25T00:00:00Z", &f->shift0), 0);
	return true;
}

static void fx_close(struct fx *f)
{
	auth_free(f->a);
	tenv_close(&f->t);
}

TFX_ON_EACH_STORE

static void put_series(struct fx *f, const char *metric, const struct line_point *p, size_t n)
{
	char sid[PL_ID_LEN + 1];
	int64_t last;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, metric, sid, &last), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, p, n), 0, "%s", metric);
}

static void log_state(struct fx *f, int64_t t, const char *state)
{
	struct store_param p[] = { SP_TEXT(f->line), SP_INT(t), SP_TEXT(state) };
	cr_assert_eq(store_exec(f->t.c, "INSERT INTO line_state_log (line_id, t_start, state)"
				" VALUES (?, ?, ?)", p, 3, NULL), 0);
}

/* One hour of the 早班 (no planned stop in it), worked by hand:
 *   running 45 min, down 15 min -> APT 2,700,000 ms of PBT 3,600,000;
 *   good 0, 20, ..., 1180 each minute -> 1180; reject 0..29 then a reset
 *   to 0..29 -> 29 + 0 + 29 = 58; PQ 1238; ideal cycle 500 ms;
 *   A = 0.75, P = 500 x 1238 / 2,700,000, Q = 1180 / 1238,
 *   OEE = 500 x 1180 / 3,600,000. */
static void t_oee_report(struct fx *f)
{
	int64_t from = f->shift0, to = from + 3600000;
	struct line_point good[60], rej[60], particle[11], crack[6];
	for (int k = 0; k < 60; k++) {
		good[k] = (struct line_point){ from + k * 60000LL, 20.0 * k };
		rej[k] = (struct line_point){ from + k * 60000LL, (double)(k % 30) };
	}
	for (int k = 0; k <= 10; k++)
		particle[k] = (struct line_point){ from + k * 60000LL, (double)k };
	for (int k = 0; k <= 5; k++)
		crack[k] = (struct line_point){ from + k * 60000LL, (double)k };
	put_series(f, "good", good, 60);
	put_series(f, "reject", rej, 60);
	put_series(f, "vision/Reject/particle", particle, 11);
	put_series(f, "Reject/crack", crack, 6);
	log_state(f, from - 600000, "running"); /* in force before the window */
	log_state(f, from + 2700000, "down");
	log_state(f, to, "running");

	json_t *r = NULL;
	cr_assert_eq(line_live_oee(f->t.c, f->line, from, to, to + 86400000, &r), 0);
	static const struct { const char *key; double want; } cases[] = {
		{ "planned_busy_ms", 3600000 }, { "planned_stop_ms", 0 },
		{ "actual_production_ms", 2700000 }, { "good", 1180 }, { "reject", 58 },
		{ "produced", 1238 }, { "availability", 0.75 },
		{ "performance", 500.0 * 1238 / 2700000 }, { "quality", 1180.0 / 1238 },
		{ "oee", 500.0 * 1180 / 3600000 }, { "defect_rate", 58.0 / 1238 },
		{ "downtime_ms", 900000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_object_get(r, cases[i].key);
		cr_expect(json_is_number(v) && fabs(json_number_value(v) - cases[i].want) < 1e-9,
			  "%s = %f, want %f", cases[i].key, json_number_value(v), cases[i].want);
	}
	json_t *rp = json_object_get(r, "reject_pareto"), *dp = json_object_get(r, "downtime_pareto");
	cr_expect_eq(json_array_size(rp), 2);
	cr_expect_str_eq(pl_json_str(json_array_get(rp, 0), "reason"), "particle");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(rp, 0), "count")), 10);
	cr_expect_str_eq(pl_json_str(json_array_get(rp, 1), "reason"), "crack");
	cr_expect_eq(json_array_size(dp), 1);
	cr_expect_str_eq(pl_json_str(json_array_get(dp, 0), "state"), "down");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(dp, 0), "ms")), 900000);
	json_decref(r);

	/* windows: the shift containing a time, a Beijing day, bad input */
	int64_t a, b;
	char name[16];
	cr_expect_eq(line_live_window_shift(f->t.c, f->line, from + 5, &a, &b, name), 0);
	cr_expect(a == from && b == from + 8 * 3600000LL && !strcmp(name, "早班"));
	cr_expect_eq(line_live_window_day(f->t.c, f->line, "2026-11-25", &a, &b), 0);
	cr_expect(a == from - 8 * 3600000LL && b == a + 86400000LL);
	cr_expect_eq(line_live_window_day(f->t.c, f->line, "2026-1-25", &a, &b), PL_EINVAL);
	cr_expect_eq(line_live_oee(f->t.c, f->line, to, from, to, &r), PL_EINVAL);
	/* the whole 早班 has its 30 min break planned: PBT 7.5 h */
	cr_assert_eq(line_live_oee(f->t.c, f->line, from, from + 8 * 3600000LL, from + 86400000LL, &r), 0);
	cr_expect_eq(json_integer_value(json_object_get(r, "planned_busy_ms")), 7 * 3600000LL + 1800000);
	json_decref(r);
}
Test(line_live, oee_report, .timeout = 60) { on_each_store(t_oee_report); }

static json_t *alarm_by_metric(struct fx *f, const char *metric)
{
	json_t *arr = NULL, *v, *out = NULL;
	size_t i;
	cr_assert_eq(line_live_alarm_list(f->t.c, f->line, NULL, NULL, 0, 100, false, &arr), 0);
	json_array_foreach(arr, i, v)
		if (!strcmp(pl_json_str(v, "metric"), metric))
			out = json_incref(v);
	json_decref(arr);
	cr_assert(out, "no alarm on %s", metric);
	return out;
}

/* The demo rule "temperature > 80, deadband 2" through apply and the
 * operator actions; each row: input, then the state and the event. */
static void t_alarm_cycle(struct fx *f)
{
	int64_t t0 = f->shift0;
	static const struct { char op; double v; int rc; const char *state, *event; } cases[] = {
		{ 'p', 70, 0, "normal", NULL },
		{ 'p', 85, 0, "unacknowledged", "raised" },
		{ 'p', 79, 0, "unacknowledged", NULL },       /* inside the deadband */
		{ 'p', 77, 0, "returned_unacknowledged", "returned" },
		{ 'p', 90, 0, "unacknowledged", "raised" },
		{ 'a', 0, 0, "acknowledged", "acknowledged" },
		{ 'a', 0, PL_ECONFLICT, "acknowledged", NULL },
		{ 's', 0, 0, "shelved", "shelved" },
		{ 'p', 70, 0, "shelved", NULL },              /* tracked, not annunciated */
		{ 'u', 0, 0, "normal", "unshelved" },         /* the condition cleared meanwhile */
		{ 'u', 0, PL_ECONFLICT, "normal", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = t0 + (int64_t)i * 1000;
		json_t *a = alarm_by_metric(f, "temperature"), *ev = NULL, *tile = NULL;
		int rc;
		if (cases[i].op == 'p') {
			struct line_live_point p = { "temperature", t, cases[i].v };
			rc = line_live_apply(f->t.c, f->line, &p, 1, t, &tile, &ev);
			if (rc == 0 && json_array_size(ev))
				cr_expect_str_eq(pl_json_str(json_array_get(ev, 0), "event"),
						 cases[i].event ? cases[i].event : "-", "row %zu", i);
			else if (rc == 0)
				cr_expect_null(cases[i].event, "row %zu: no event", i);
			if (rc == 0)
				cr_expect_eq(json_integer_value(json_object_get(tile, "alarms_active")),
					     !strcmp(cases[i].state, "unacknowledged") ||
					     !strcmp(cases[i].state, "acknowledged") ||
					     !strcmp(cases[i].state, "returned_unacknowledged"), "row %zu", i);
		} else {
			enum line_alarm_op op = cases[i].op == 'a' ? LINE_ALARM_OP_ACK
					       : cases[i].op == 's' ? LINE_ALARM_OP_SHELVE : LINE_ALARM_OP_UNSHELVE;
			rc = line_live_alarm_op(f->t.c, pl_json_str(a, "id"), op, t, t + 3600000, "tester", &ev);
			if (rc == 0)
				cr_expect_str_eq(pl_json_str(ev, "event"), cases[i].event, "row %zu", i);
		}
		cr_expect_eq(rc, cases[i].rc, "row %zu rc %d", i, rc);
		json_decref(a);
		a = alarm_by_metric(f, "temperature");
		cr_expect_str_eq(pl_json_str(a, "state"), cases[i].state, "row %zu", i);
		json_decref(a);
		json_decref(ev);
		json_decref(tile);
	}
	/* every event is in the history: 3 raised/returned + ack, shelve, unshelve */
	json_t *o = NULL;
	cr_assert_eq(store_query_one(f->t.c, "SELECT count(*) AS n FROM line_alarm_events", NULL, 0, &o), 0);
	cr_expect_eq(json_integer_value(json_object_get(o, "n")), 6);
	json_decref(o);
}
Test(line_live, alarm_cycle, .timeout = 60) { on_each_store(t_alarm_cycle); }

/* Stale data and shelving expiry by the timer, and a safety rule. */
static void t_tick_and_safety(struct fx *f)
{
	int64_t t0 = pl_time_now_ms();
	struct line_alarm_def d = { "quick stale", "vibration",
				    { LINE_ALARM_STALE, LINE_ALARM_EQUIPMENT, 2, 0, 0, 1000 } };
	char why[200];
	json_t *a = NULL, *ev = NULL;
	cr_assert_eq(line_live_alarm_add(f->t.c, f->line, &d, t0, &a, why, sizeof(why)), 0, "%s", why);
	const char *id = pl_json_str(a, "id");
	static const struct { int64_t dt; const char *state; size_t nev; } ticks[] = {
		{ 500, "normal", 0 }, { 1000, "unacknowledged", 1 }, { 1500, "unacknowledged", 0 },
	};
	for (size_t i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		cr_assert_eq(line_live_tick(f->t.c, t0 + ticks[i].dt, &ev), 0);
		size_t n = 0, k;
		json_t *e;
		json_array_foreach(ev, k, e)
			n += !strcmp(pl_json_str(e, "alarm_id"), id);
		cr_expect_eq(n, ticks[i].nev, "tick %zu", i);
		json_decref(ev);
		json_t *cur = NULL;
		cr_assert_eq(line_live_alarm_get(f->t.c, id, &cur), 0);
		cr_expect_str_eq(pl_json_str(cur, "state"), ticks[i].state, "tick %zu", i);
		json_decref(cur);
	}
	cr_assert_eq(line_live_alarm_op(f->t.c, id, LINE_ALARM_OP_SHELVE, t0 + 2000, t0 + 5000, "x", &ev), 0);
	json_decref(ev);
	cr_expect_eq(line_live_alarm_op(f->t.c, id, LINE_ALARM_OP_SHELVE, t0 + 2000, t0 + 1000, "x", &ev), PL_EINVAL);
	cr_assert_eq(line_live_tick(f->t.c, t0 + 6000, &ev), 0);
	cr_expect_str_eq(pl_json_str(json_array_get(ev, 0), "event"), "unshelved");
	json_decref(ev);
	json_decref(a);

	/* invalid rules are refused with a reason */
	static const struct line_alarm_def bad[] = {
		{ "", "x", { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, 1, 0, 0 } },
		{ "x", "", { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, 1, 0, 0 } },
		{ "x", "x", { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 0, 1, 0, 0 } },
		{ "x", "x", { LINE_ALARM_ROC, LINE_ALARM_PROCESS, 1, 0, 0, 0 } },
		{ "x", "x", { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 1, NAN, 0, 0 } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(line_live_alarm_add(f->t.c, f->line, &bad[i], t0, NULL, why, sizeof(why)),
			     PL_EINVAL, "bad rule %zu", i);

	/* a safety rule asks for one desk request per activation */
	struct line_alarm_def gas = { "gas", "gas_ppm", { LINE_ALARM_HIGH, LINE_ALARM_GAS, 1, 50, 0, 0 } };
	cr_assert_eq(line_live_alarm_add(f->t.c, f->line, &gas, t0, &a, why, sizeof(why)), 0);
	cr_expect(json_is_true(json_object_get(a, "safety")));
	struct line_live_point p = { "gas_ppm", t0 + 100, 80 };
	cr_assert_eq(line_live_apply(f->t.c, f->line, &p, 1, t0 + 100, NULL, &ev), 0);
	cr_expect(json_is_true(json_object_get(json_array_get(ev, 0), "needs_request")));
	json_decref(ev);
	cr_assert_eq(line_live_alarm_set_request(f->t.c, pl_json_str(a, "id"), "01J00000000000000000000000"), 0);
	struct line_live_point p2[] = { { "gas_ppm", t0 + 200, 10 }, { "gas_ppm", t0 + 300, 90 } };
	cr_assert_eq(line_live_apply(f->t.c, f->line, p2, 2, t0 + 300, NULL, &ev), 0);
	/* returned then raised again while unacknowledged: same activation */
	cr_expect_eq(json_array_size(ev), 2);
	cr_expect(!json_is_true(json_object_get(json_array_get(ev, 1), "needs_request")));
	json_decref(ev);
	json_decref(a);
}
Test(line_live, tick_and_safety, .timeout = 60) { on_each_store(t_tick_and_safety); }

/* Machine state from the state tag and from counters, logged on change. */
static void t_state_log(struct fx *f)
{
	int64_t t0 = f->shift0;
	static const struct { const char *metric; double v; const char *state; } cases[] = {
		{ "state", 1, "running" }, { "state", 3, "down" }, { "speed", 0, "down" },
		{ "state", 4, "blocked" }, { "state", 1, "running" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct line_live_point p = { cases[i].metric, t0 + (int64_t)i * 1000, cases[i].v };
		json_t *tile = NULL;
		cr_assert_eq(line_live_apply(f->t.c, f->line, &p, 1, p.t, &tile, NULL), 0);
		cr_expect_str_eq(pl_json_str(tile, "state"), cases[i].state, "row %zu", i);
		json_decref(tile);
	}
	json_t *o = NULL;
	cr_assert_eq(store_query_one(f->t.c, "SELECT count(*) AS n FROM line_state_log", NULL, 0, &o), 0);
	cr_expect_eq(json_integer_value(json_object_get(o, "n")), 4, "four changes logged");
	json_decref(o);
	cr_expect_eq(line_live_apply(f->t.c, "01J00000000000000000000000", NULL, 0, t0, NULL, NULL),
		     PL_ENOTFOUND);
}
Test(line_live, state_log, .timeout = 60) { on_each_store(t_state_log); }
