/* test_pause.c - clock pauses (补充材料 / 补正) and 延期:
 * desk_due_after_pause as a table on the shipped 2025/2026 calendars
 * (weekends, 春节 with its 调休 Saturday), then the workflow on a real
 * store, SQLite and PostgreSQL (tests/unit/support/store_env.h), with the
 * clock injected: a pause moves the deadline by the paused working time
 * and is never escalated, an extension moves it only when approved, and
 * one asked for after the deadline is refused with nothing written. */
#include <criterion/criterion.h>
#include <string.h>

#include "desk/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"

#define HOUR 3600000LL
#define MIN 60000LL

/* Beijing y-m-d h:mi as UTC ms. */
static int64_t bj(int y, int m, int d, int h, int mi)
{
	int32_t day;
	cr_assert_eq(desk_day_from_ymd(y, m, d, &day), 0);
	return desk_day_start_ms(day) + h * HOUR + mi * MIN;
}

static struct desk_calendar cal;

static void cal_setup(void)
{
	struct desk_cal_error e = { .text = "" };
	desk_calendar_init(&cal);
	cr_assert_eq(desk_calendar_load_dir(&cal, "data/calendar", &e), 0, "%s", e.text);
}

static void cal_teardown(void)
{
	desk_calendar_release(&cal);
}

struct pause_case {
	const char *what;
	enum desk_unit unit;
	int64_t due, from, to;
	int rc;
	int64_t want;
};

Test(desk_pause, due_after_pause, .init = cal_setup, .fini = cal_teardown)
{
	const int64_t t = bj(2026, 11, 25, 10, 0); /* Wednesday */
	const struct pause_case cases[] = {
		{ "minutes: an hour paused, an hour later", DESK_UNIT_MINUTES,
		  t + 120 * MIN, t + 30 * MIN, t + 90 * MIN, 0, t + 180 * MIN },
		{ "minutes: paused after running out changes nothing", DESK_UNIT_MINUTES,
		  t + 60 * MIN, t + 61 * MIN, t + 600 * MIN, 0, t + 60 * MIN },
		{ "minutes: an empty pause changes nothing", DESK_UNIT_MINUTES,
		  t + 60 * MIN, t + 30 * MIN, t + 30 * MIN, 0, t + 60 * MIN },
		{ "working days: 24 h on working days moves it one working day", DESK_UNIT_WORKDAYS,
		  bj(2026, 11, 30, 0, 0), bj(2026, 11, 25, 10, 0), bj(2026, 11, 26, 10, 0), 0,
		  bj(2026, 12, 1, 0, 0) },
		{ "working days: over a weekend only Fri 18-24 and Mon 0-9 count", DESK_UNIT_WORKDAYS,
		  bj(2026, 12, 2, 0, 0), bj(2026, 11, 27, 18, 0), bj(2026, 11, 30, 9, 0), 0,
		  bj(2026, 12, 2, 15, 0) },
		{ "working days: over 春节, the 调休 Saturday counts, the holiday not",
		  DESK_UNIT_WORKDAYS, bj(2026, 2, 25, 0, 0), bj(2026, 2, 13, 12, 0),
		  bj(2026, 2, 24, 12, 0), 0, bj(2026, 2, 27, 0, 0) },
		{ "working days: no working time left before a Monday 00:00 deadline",
		  DESK_UNIT_WORKDAYS, bj(2026, 11, 30, 0, 0), bj(2026, 11, 28, 10, 0),
		  bj(2026, 12, 1, 10, 0), 0, bj(2026, 11, 30, 0, 0) },
		{ "working days: the pause crosses the year end", DESK_UNIT_WORKDAYS,
		  bj(2026, 1, 6, 0, 0), bj(2025, 12, 31, 0, 0), bj(2026, 1, 5, 0, 0), 0,
		  /* left: 12-31 24h + 01-04 (调休 Sunday) 24h + 01-05 24h = 72h; from
		   * 01-05 00:00: 05, 06, 07 -> 01-08 00:00 */
		  bj(2026, 1, 8, 0, 0) },
		{ "the pause ends before it begins", DESK_UNIT_MINUTES,
		  t + HOUR, t + 30 * MIN, t, PL_EINVAL, 0 },
		{ "a year the calendar lacks", DESK_UNIT_WORKDAYS,
		  bj(2099, 1, 10, 0, 0), bj(2099, 1, 5, 0, 0), bj(2099, 1, 6, 0, 0), PL_ENOTFOUND, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pause_case *c = &cases[i];
		int64_t got = -1;
		int rc = desk_due_after_pause(&cal, c->unit, c->due, c->from, c->to, &got);
		cr_expect_eq(rc, c->rc, "%s: rc %d", c->what, rc);
		if (rc == 0 && c->rc == 0) {
			char g[PL_TIME_STRLEN], w[PL_TIME_STRLEN];
			pl_time_format(got, g);
			pl_time_format(c->want, w);
			cr_expect_eq(got, c->want, "%s: got %s, want %s", c->what, g, w);
		}
	}
	int64_t got;
	cr_expect_eq(desk_due_after_pause(NULL, DESK_UNIT_WORKDAYS, t + HOUR, t, t + 1, &got),
		     PL_EINVAL, "working days need a calendar");
}

/* ------------------------------------------------------------ on a store */

struct fx {
	struct tenv t;
	struct auth *a;
	struct desk_svc *svc;
	struct auth_principal admin, spec, ent;
};

static bool fx_open(struct fx *f, bool pg)
{
	char why[300] = "";
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "pause"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	tfx_principal(f->a, "admin", &f->admin);
	tfx_principal(f->a, "specialist1", &f->spec);
	tfx_principal(f->a, "ent1", &f->ent);
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
	return true;
}

static void fx_close(struct fx *f)
{
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

/* One action in its own transaction; returns rc, *due the due_at after. */
static int act(struct fx *f, const struct auth_principal *p, const char *id,
	       struct desk_action_in in, int64_t now, char due[PL_TIME_STRLEN])
{
	struct desk_actor a = { .p = p };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	int rc = desk_request_act(f->svc, f->t.c, &a, id, &in, now, &o, &e);
	if (rc == 0) {
		cr_assert_eq(store_commit(f->t.c), 0);
		if (due)
			pl_strlcpy(due, pl_json_str(o, "due_at") ? pl_json_str(o, "due_at") : "",
				   PL_TIME_STRLEN);
	} else {
		store_rollback(f->t.c);
	}
	json_decref(o);
	return rc;
}

/* Creates a help/normal request by ent1 at t, accepted and started by its
 * specialist at t + 1 h: resolve clock 5 working days. */
static void started(struct fx *f, int64_t t, char id[PL_ID_LEN + 1], char due[PL_TIME_STRLEN])
{
	struct desk_actor a = { .p = &f->ent };
	struct desk_request_new in = { .channel = "web", .category = "help", .urgency = "normal",
				       .title = "pause test", .description = "details" };
	struct desk_err e = { .text = "" };
	json_t *o = NULL;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_request_create(f->svc, f->t.c, &a, &in, t, &o, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f->t.c), 0);
	pl_strlcpy(id, pl_json_str(o, "id"), PL_ID_LEN + 1);
	json_decref(o);
	cr_assert_eq(act(f, &f->spec, id, (struct desk_action_in){ .action = "accept" }, t + HOUR,
			 due), 0);
	cr_assert_eq(act(f, &f->spec, id, (struct desk_action_in){ .action = "start" },
			 t + HOUR, NULL), 0);
}

TENV_TEST(desk_pause, pause_moves_deadline_and_blocks_escalation)
{
	struct fx f;
	char id[PL_ID_LEN + 1], due[PL_TIME_STRLEN], after[PL_TIME_STRLEN], want[PL_TIME_STRLEN];
	const int64_t t = bj(2026, 11, 25, 10, 0);
	int n = -1;

	if (!fx_open(&f, d->pg))
		return;
	started(&f, t, id, due);
	/* accepted Wed 11:00: 5 working days from Thu -> Thu 12-03 00:00 */
	pl_time_format(bj(2026, 12, 3, 0, 0), want);
	cr_assert_str_eq(due, want);
	cr_assert_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "await_enterprise" },
			 t + 2 * HOUR, NULL), PL_EINVAL, "a reason is required");
	cr_assert_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "await_enterprise",
			 .note = "请补充图纸" }, t + 2 * HOUR, NULL), 0);
	/* waiting long past the deadline: the overdue job leaves it alone */
	cr_assert_eq(store_begin(f.t.c), 0);
	cr_assert_eq(desk_escalate_overdue(f.t.c, bj(2026, 12, 10, 0, 0), &n), 0);
	cr_assert_eq(store_commit(f.t.c), 0);
	cr_assert_eq(n, 0, "a paused request was escalated");
	cr_assert_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "resolve",
			 .resolution = "x" }, t + 3 * HOUR, NULL), PL_ECONFLICT);
	/* the enterprise answers Thu 12:00: 24 working hours paused */
	cr_assert_eq(act(&f, &f.ent, id, (struct desk_action_in){ .action = "supplement",
			 .note = "已上传" }, t + 26 * HOUR, after), 0);
	pl_time_format(bj(2026, 12, 4, 0, 0), want);
	cr_expect_str_eq(after, want, "%s: due after the pause", d->name);
	cr_expect_eq(tfx_count(f.t.c, "SELECT paused_ms AS n FROM requests WHERE id = ?", id), 24 * HOUR);
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_pauses WHERE request_id = ? "
			   "AND to_at IS NOT NULL", id), 1);
	/* a second pause over the weekend: Fri 18:00 .. Mon 09:00 is 15 working hours */
	cr_assert_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "await_enterprise",
			 .note = "再补充" }, bj(2026, 11, 27, 18, 0), NULL), 0);
	cr_assert_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "supplement",
			 .note = "电话补正" }, bj(2026, 11, 30, 9, 0), after), 0);
	pl_time_format(bj(2026, 12, 4, 15, 0), want);
	cr_expect_str_eq(after, want, "%s: due after the second pause", d->name);
	fx_close(&f);
}

TENV_TEST(desk_pause, extension_before_and_after_deadline)
{
	struct fx f;
	char id[PL_ID_LEN + 1], due[PL_TIME_STRLEN], after[PL_TIME_STRLEN];
	const int64_t t = bj(2026, 11, 25, 10, 0);
	int64_t due_ms;

	if (!fx_open(&f, d->pg))
		return;
	started(&f, t, id, due);
	cr_assert_eq(pl_time_parse(due, &due_ms), 0);
	/* after the deadline: refused, nothing recorded, state unchanged */
	struct desk_action_in late = { .action = "request_extension", .note = "来不及",
				       .due_at = "2026-12-20T00:00:00Z" };
	cr_expect_eq(act(&f, &f.spec, id, late, due_ms + HOUR, NULL), PL_ECONFLICT);
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_extensions WHERE request_id = ?",
			   id), 0);
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM requests WHERE id = ? AND "
			   "state = 'in_progress'", id), 1);
	/* before it: a deadline not later than the current one is refused */
	struct desk_action_in early = late;
	early.due_at = due;
	cr_expect_eq(act(&f, &f.spec, id, early, t + 2 * HOUR, NULL), PL_EINVAL);
	struct desk_action_in bad = late;
	bad.due_at = "next week";
	cr_expect_eq(act(&f, &f.spec, id, bad, t + 2 * HOUR, NULL), PL_EINVAL);
	/* asked for in time: the deadline stays until the admin approves */
	cr_assert_eq(act(&f, &f.spec, id, late, t + 2 * HOUR, after), 0);
	cr_expect_str_eq(after, due);
	cr_expect_eq(act(&f, &f.spec, id, (struct desk_action_in){ .action = "approve_extension" },
			 t + 3 * HOUR, NULL), PL_EFORBIDDEN);
	cr_assert_eq(act(&f, &f.admin, id, (struct desk_action_in){ .action = "approve_extension" },
			 t + 3 * HOUR, after), 0);
	cr_expect_str_eq(after, "2026-12-20T00:00:00.000Z");
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_extensions WHERE request_id = ? "
			   "AND state = 'approved' AND decided_by IS NOT NULL", id), 1);
	/* a second application, rejected: the approved deadline stays */
	struct desk_action_in again = late;
	again.due_at = "2026-12-30T00:00:00Z";
	cr_assert_eq(act(&f, &f.spec, id, again, t + 4 * HOUR, NULL), 0);
	cr_assert_eq(act(&f, &f.admin, id, (struct desk_action_in){ .action = "reject_extension",
			 .note = "不予延期" }, t + 5 * HOUR, after), 0);
	cr_expect_str_eq(after, "2026-12-20T00:00:00.000Z");
	cr_expect_eq(tfx_count(f.t.c, "SELECT count(*) AS n FROM request_extensions WHERE request_id = ? "
			   "AND state = 'rejected'", id), 1);
	fx_close(&f);
}
