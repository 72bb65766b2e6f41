/* test_report_rollup.c - the KPI report read from the rollup (migration 18,
 * src/desk/rollup.c) against the reference scan (desk_report_kpi_scan), on
 * SQLite and PostgreSQL.
 *
 * Each case plays a seeded random history through the real write paths:
 * requests created by enterprises and the park admin, every workflow action
 * by the role that may take it (签收, 办理, 转办 to tax, 退单, 延期 asked,
 * approved and refused, 补充材料/补正, 办结 by specialist or department,
 * the three ratings, 不满意 then a replacement, 归档, 撤回), the overdue
 * job, plain reassignments, generated bulk requests (multi-row INSERTs of
 * requests and of two rounds of ratings) and a raw multi-row UPDATE. The
 * clock jumps by minutes to days and lands on purpose on 15:59:59.999Z and
 * 16:00:00.000Z (the Beijing day boundary) and on month ends. At several
 * points the two paths must give identical reports (json_equal of the
 * whole answer) for many ranges (single days, partial months at either
 * end, several months, a year boundary), every grouping, five principals
 * and several as_of values, including as_of exactly at a stored deadline
 * (where due counts it and overdue does not), at the Beijing day start
 * around it (the edge of migration 21's due-day buckets) and after every
 * deadline. Then the rollup rebuilt from
 * scratch must answer the same.
 *
 * The mutation cases drop one trigger (migration 18's or 21's) and play
 * the same history: the
 * comparison must then find a difference, so a write path the rollup
 * missed cannot pass unnoticed. Histories also copy requests that have a
 * deadline with a raw multi-row INSERT (an operator's import), the one
 * insert path left where migration 21's insert trigger does the counting.
 *
 * Bulk generation (desk_demo_bulk) holds both tables' triggers off and
 * adds its requests in grouped statements (migration 24, rollup_sql.h
 * note 7): a few thousand generated requests must give the scan's reports
 * and tables identical to a rebuild from scratch; the held triggers must
 * really do nothing while desk_kpi_bulk holds a row; and a store whose
 * history was written under migration 21's triggers keeps its counts when
 * migration 24 swaps them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "desk/repo.h"
#include "desk/report.h"
#include "support/store_env.h"
#include "support/fixtures.h"

#define HOUR 3600000LL
#define DAY (24 * HOUR)
/* 2025-12-20T00:00:00Z: histories cross the 2025/2026 year boundary. */
#define T_START 1766188800000LL

struct fx {
	struct tenv t;
	struct auth *a;
	struct desk_svc *svc;
	struct auth_principal who[8];
	char ent2_id[PL_ID_LEN + 1];
};
enum { ADMIN, SPEC1, TAX, ENT1, ENT2, AUDITOR, SPEC2, NWHO };
static const char *const who_names[NWHO] = { "admin", "specialist1", "dept_tax", "ent1",
					      "ent2", "auditor", "spec2" };

/* Opens the fixture; hold_back > 0 records that migration as applied
 * before migrating, so the store runs the schema without it (the way
 * test_plant.c holds back migration 17) until fx_migrate_held. */
static bool fx_open_held(struct fx *f, bool pg, int hold_back)
{
	char why[300] = "";
	struct tenv_opts o = { .no_migrate = hold_back > 0 };
	memset(f, 0, sizeof(*f));
	if (!tenv_open_opts(&f->t, pg, "rollup", &o))
		return false;
	if (hold_back > 0) {
		struct store_param v[] = { SP_INT(hold_back) };
		cr_assert_eq(store_exec(f->t.c, "CREATE TABLE schema_migrations (version INTEGER "
					"PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
					NULL, 0, NULL), 0);
		cr_assert_eq(store_exec(f->t.c, "INSERT INTO schema_migrations VALUES (?, 'held back', "
					"'x')", v, 1, NULL), 0);
		cr_assert_eq(store_migrate(f->t.st, NULL), 0);
	}
	f->a = tfx_auth_demo(f->t.st);
	struct auth_user_new nu = { .username = "spec2", .password = "spec2-password",
				    .display_name = "Spec Two", .role = "specialist" };
	char uid[PL_ID_LEN + 1];
	cr_assert_eq(auth_user_add(f->a, NULL, &nu, NULL, uid, NULL), 0);
	for (int i = 0; i < NWHO; i++)
		tfx_principal(f->a, who_names[i], &f->who[i]);
	pl_strlcpy(f->ent2_id, f->who[ENT2].enterprise_id, sizeof(f->ent2_id));
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
	return true;
}

static bool fx_open(struct fx *f, bool pg)
{
	return fx_open_held(f, pg, 0);
}

/* Runs the migration fx_open_held held back; it must be the one applied. */
static void fx_migrate_held(struct fx *f, int version)
{
	int applied = 0;
	struct store_param v[] = { SP_INT(version) };
	cr_assert_eq(store_exec(f->t.c, "DELETE FROM schema_migrations WHERE version = ?", v, 1,
				NULL), 0);
	cr_assert_eq(store_migrate(f->t.st, &applied), 0, "migration %d failed", version);
	cr_assert_eq(applied, 1);
}

static void fx_close(struct fx *f)
{
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

/* xorshift64*: the history's only source of choices. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}
static int64_t pick(uint64_t *s, int64_t n)
{
	return (int64_t)(rnd(s) % (uint64_t)n);
}

/* Runs fn's write in its own transaction; commits on 0, else rolls back
 * (refused actions are part of the history: they must change nothing). */
static void tx_end(struct fx *f, int rc)
{
	if (rc == 0)
		cr_assert_eq(store_commit(f->t.c), 0, "%s", store_conn_errmsg(f->t.c));
	else
		store_rollback(f->t.c);
}

/* Who takes action on request row (in state): the request's specialist
 * for the specialist's actions, tax for the department's (and for 办结 of
 * a transferred request), the enterprise's user for the enterprise's,
 * else the park admin. */
static int actor_for(struct fx *f, const char *action, const char *state, const json_t *row)
{
	const char *spec = pl_json_str(row, "specialist_id");
	bool ent1 = !strcmp(pl_json_str(row, "enterprise_id"), f->who[ENT1].enterprise_id);
	static const char *const spec_acts[] = { "accept", "start", "transfer", "request_extension",
						 "resolve", "await_enterprise" };
	static const char *const ent_acts[] = { "rate", "supplement", "withdraw" };
	if (!strcmp(action, "return") || (!strcmp(action, "resolve") &&
					  !strcmp(state, "transferred")))
		return TAX;
	for (size_t i = 0; i < sizeof(ent_acts) / sizeof(ent_acts[0]); i++)
		if (!strcmp(action, ent_acts[i]))
			return ent1 ? ENT1 : ENT2;
	for (size_t i = 0; i < sizeof(spec_acts) / sizeof(spec_acts[0]); i++)
		if (!strcmp(action, spec_acts[i]) && spec && spec[0])
			return !strcmp(spec, f->who[SPEC1].user_id) ? SPEC1 : SPEC2;
	return ADMIN;
}

/* The actions tried in each state, repeated to weight them (the state
 * machine's table in src/desk/flow.c; a refused one changes nothing). */
static const struct {
	const char *state;
	const char *acts[6];
} by_state[] = {
	{ "received", { "dispatch", "dispatch", "withdraw" } },
	{ "dispatched", { "accept", "accept", "accept", "escalate", "withdraw", "dispatch" } },
	{ "accepted", { "start", "start", "transfer", "request_extension", "await_enterprise",
			"withdraw" } },
	{ "in_progress", { "resolve", "resolve", "resolve", "transfer", "request_extension",
			   "await_enterprise" } },
	{ "waiting", { "supplement", "supplement", "withdraw" } },
	{ "transferred", { "resolve", "return", "escalate" } },
	{ "extension", { "approve_extension", "reject_extension", "escalate" } },
	{ "escalated", { "resolve", "start", "transfer", "dispatch" } },
	{ "resolved", { "rate", "rate", "rate", "rate", "close" } },
	{ "rated", { "close" } },
	{ "reopened", { "accept", "accept", "dispatch", "escalate" } },
};

/* One action on one random request at now, chosen for its state. */
static void act_random(struct fx *f, uint64_t *s, int64_t now)
{
	static const char *const ratings[] = { "satisfied", "satisfied", "basic", "unsatisfied" };
	json_t *ids = NULL, *row = NULL, *out = NULL;
	char due[PL_TIME_STRLEN];
	struct desk_err e = { .text = "" };
	const char *action = NULL;

	/* by number, not id: ids made in one millisecond sort at random, and
	 * a pick by position among them made the seeded history differ from
	 * run to run (migrated_from_21 once found no due rows at all) */
	cr_assert_eq(store_query_json(f->t.c, "SELECT id FROM requests WHERE no NOT LIKE 'DM-%' "
				      "AND state <> 'closed' ORDER BY no", NULL, 0, 1000, &ids), 0);
	if (json_array_size(ids) == 0)
		goto out;
	const char *id = pl_json_str(json_array_get(ids, (size_t)pick(s, (int64_t)json_array_size(ids))),
				     "id");
	struct store_param p[] = { SP_TEXT(id) };
	cr_assert_eq(store_query_one(f->t.c, "SELECT specialist_id, enterprise_id, state FROM "
				     "requests WHERE id = ?", p, 1, &row), 0);
	const char *state = pl_json_str(row, "state");
	for (size_t i = 0; i < sizeof(by_state) / sizeof(by_state[0]) && !action; i++)
		if (!strcmp(state, by_state[i].state)) {
			size_t n = 0;
			while (n < 6 && by_state[i].acts[n])
				n++;
			action = by_state[i].acts[pick(s, (int64_t)n)];
		}
	if (!action)
		goto out;
	struct desk_action_in in = { .action = action, .note = "note", .department = "tax",
				     .resolution = "done", .comment = "comment" };
	if (!strcmp(in.action, "rate"))
		in.rating = ratings[pick(s, 4)];
	pl_time_format(now + (1 + pick(s, 20)) * DAY, due);
	in.due_at = due;
	int who = actor_for(f, in.action, state, row);
	struct desk_actor a = { .p = &f->who[who] };
	cr_assert_eq(store_begin(f->t.c), 0);
	int rc = desk_request_act(f->svc, f->t.c, &a, id, &in, now, &out, &e);
	tx_end(f, rc);
	/* 不满意: the enterprise asks for a new specialist at once, the admin
	 * hands it over (re-dispatching the reopened request). */
	if (rc == 0 && in.rating && !strcmp(in.rating, "unsatisfied") && pick(s, 2) == 0) {
		json_t *rep = NULL, *done = NULL;
		struct desk_actor ea = { .p = &f->who[who] }, aa = { .p = &f->who[ADMIN] };
		cr_assert_eq(store_begin(f->t.c), 0);
		rc = desk_replacement_create(f->svc, f->t.c, &ea, NULL, "不满意", now, &rep, &e);
		tx_end(f, rc);
		if (rc == 0) {
			const char *cur = pl_json_str(row, "specialist_id");
			const char *to = cur && !strcmp(cur, f->who[SPEC1].user_id)
						 ? f->who[SPEC2].user_id : f->who[SPEC1].user_id;
			cr_assert_eq(store_begin(f->t.c), 0);
			rc = desk_replacement_assign(f->svc, f->t.c, &aa, pl_json_str(rep, "id"), to,
						     now + HOUR, &done, &e);
			tx_end(f, rc);
		}
		json_decref(rep);
		json_decref(done);
	}
out:
	json_decref(out);
	json_decref(row);
	json_decref(ids);
}

/* The principals the reports are read as. */
static const int readers[] = { ADMIN, SPEC1, SPEC2, TAX };
#define NREADERS (sizeof(readers) / sizeof(readers[0]))

#define NASOF 7

/* Compares the two paths for every range, group, reader and as_of; returns
 * the number of differences (printing the first few). */
static int compare_all(struct fx *f, uint64_t *s, int64_t now, int64_t first, int *checked)
{
	int32_t d0 = desk_day_from_ms(first), d1 = desk_day_from_ms(now);
	int32_t ranges[16][2];
	size_t nr = 0;
	int diffs = 0;
	int y, m, d;

	ranges[nr][0] = d0 - 3;  /* everything */
	ranges[nr++][1] = d1 + 3;
	ranges[nr][0] = d1;      /* today only */
	ranges[nr++][1] = d1;
	desk_day_to_ymd(d1, &y, &m, &d);
	cr_assert_eq(desk_day_from_ymd(y, m, 1, &ranges[nr][0]), 0); /* this month so far */
	ranges[nr++][1] = d1;
	cr_assert_eq(desk_day_from_ymd(2026, 1, 1, &ranges[nr][0]), 0); /* a year boundary */
	ranges[nr][0] -= 5;
	ranges[nr][1] = ranges[nr][0] + 40;
	nr++;
	cr_assert_eq(desk_day_from_ymd(2026, 1, 31, &ranges[nr][0]), 0); /* month end + start */
	ranges[nr][1] = ranges[nr][0] + 1;
	nr++;
	while (nr < 9) { /* random ranges inside the history */
		int32_t a = d0 + (int32_t)pick(s, d1 - d0 + 1);
		int32_t len = (int32_t)pick(s, 4) == 0 ? 0 : (int32_t)pick(s, 120);
		ranges[nr][0] = a;
		ranges[nr++][1] = a + len;
	}

	/* as_of: the history's now, a random earlier time, exactly a stored
	 * deadline and just before it, the start of that deadline's Beijing day
	 * (the edge of a due-day bucket, migration 21) and just before it, and
	 * after every deadline (no bucket left to read). */
	int64_t asofs[NASOF] = { now, first + pick(s, now - first + 1), now, now, now, now,
				 now + 60 * DAY };
	json_t *dues = NULL;
	cr_assert_eq(store_query_json(f->t.c, "SELECT due_at FROM requests WHERE due_at IS NOT NULL "
				      "ORDER BY due_at", NULL, 0, 100000, &dues), 0);
	if (json_array_size(dues)) {
		const char *t = pl_json_str(json_array_get(dues, (size_t)pick(s,
					(int64_t)json_array_size(dues))), "due_at");
		cr_assert_eq(pl_time_parse(t, &asofs[2]), 0);
		asofs[3] = asofs[2] - 1;
		asofs[4] = desk_day_start_ms(desk_day_from_ms(asofs[2]));
		asofs[5] = asofs[4] - 1;
	}
	json_decref(dues);

	for (size_t r = 0; r < nr; r++)
		for (int g = 0; g < 3; g++)
			for (size_t w = 0; w < NREADERS; w++)
				for (size_t k = 0; k < NASOF; k++) {
					struct desk_report_query q = { .group = (enum desk_report_group)g,
								       .from_day = ranges[r][0],
								       .to_day = ranges[r][1] };
					struct desk_err e1 = { .text = "" }, e2 = { .text = "" };
					json_t *a = NULL, *b = NULL;
					int rc1 = desk_report_kpi(f->t.c, &f->who[readers[w]], &q,
								  asofs[k], &a, &e1);
					int rc2 = desk_report_kpi_scan(f->t.c, &f->who[readers[w]], &q,
								       asofs[k], &b, &e2);
					cr_assert_eq(rc1, rc2, "rc %d vs %d (%s / %s: %s)", rc1, rc2, e1.text,
						     e2.text, store_conn_errmsg(f->t.c));
					cr_assert_eq(rc2, 0, "%s", e2.text);
					(*checked)++;
					if (!json_equal(a, b)) {
						if (diffs++ < 3) {
							char *ja = json_dumps(a, JSON_COMPACT);
							char *jb = json_dumps(b, JSON_COMPACT);
							cr_log_info("%s: range %zu group %d reader %s as_of %zu:"
								    "\n rollup %s\n scan   %s",
								    f->t.pg ? "pg" : "sqlite", r, g,
								    who_names[readers[w]], k, ja, jb);
							free(ja);
							free(jb);
						}
					}
					json_decref(a);
					json_decref(b);
				}
	return diffs;
}

/* Copies up to three requests that have a deadline, from a random offset,
 * as new requests in one raw multi-row INSERT ... SELECT (an operator's
 * import): the row triggers count them, the bulk path does not. */
static void copy_requests(struct fx *f, uint64_t *s, int step)
{
	int64_t n = tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE due_at IS NOT NULL "
			      "AND no NOT LIKE 'DM-%'", NULL);
	char suffix[24];
	snprintf(suffix, sizeof(suffix), "-c%d", step);
	struct store_param p[] = { SP_TEXT(suffix), SP_TEXT(suffix), SP_INT(n ? pick(s, n) : 0) };
	cr_assert_eq(store_begin(f->t.c), 0);
	tx_end(f, store_exec(f->t.c, "INSERT INTO requests (id, no, enterprise_id, park_wide, title, "
			     "description, channel, category, urgency, state, specialist_id, department, "
			     "created_by, sign_due_at, contact_due_at, due_at, dispatched_at, accepted_at, "
			     "escalated_at, created_at, updated_at, resolved_at, resolution, paused_ms, "
			     "reopened, returned) SELECT id || ?, 'CP-' || no || ?, enterprise_id, "
			     "park_wide, title, description, channel, category, urgency, state, "
			     "specialist_id, department, created_by, sign_due_at, contact_due_at, due_at, "
			     "dispatched_at, accepted_at, escalated_at, created_at, updated_at, "
			     "resolved_at, resolution, paused_ms, reopened, returned FROM requests WHERE "
			     "due_at IS NOT NULL AND no NOT LIKE 'DM-%' ORDER BY no LIMIT 3 OFFSET ?",
			     p, 3, NULL));
}

/* play's flags. */
enum { PLAY_REBUILD = 1,    /* compare again after desk_kpi_rollup_rebuild */
       PLAY_NO_BULK = 2,    /* no desk_demo_bulk (a store without migration
			     * 24, whose triggers would count the generated
			     * rows twice): the raw UPDATE instead */
       PLAY_NO_COMPARE = 4 }; /* no comparison during the history */

/* Plays a history of nsteps from seed with its clock from start; compares
 * at its middle and end (unless PLAY_NO_COMPARE) and, with PLAY_REBUILD,
 * after a rebuild. Returns the differences. */
static int play(struct fx *f, uint64_t seed, int64_t start, int nsteps, int *checked, int flags)
{
	uint64_t s = seed;
	int64_t now = start;
	int diffs = 0;
	struct desk_err e = { .text = "" };

	for (int i = 1; i <= nsteps; i++) {
		/* The clock: mostly hours, sometimes days; every 9th step lands on
		 * either side of 16:00Z (the Beijing day boundary). */
		now += pick(&s, 4) == 0 ? pick(&s, 3 * DAY) : pick(&s, 6 * HOUR) + 1;
		if (i % 9 == 0)
			now = now - now % DAY + 16 * HOUR - (int64_t)pick(&s, 2);
		int64_t kind = pick(&s, 22);
		if (kind < 5) { /* a new request */
			int who = pick(&s, 3) == 0 ? ADMIN : (pick(&s, 2) ? ENT1 : ENT2);
			static const char *const cats[] = { "help", "consult", "utility", "complaint" };
			static const char *const urgs[] = { "normal", "urgent", "critical" };
			struct desk_request_new in = { .channel = "web",
						       .category = cats[pick(&s, 4)],
						       .urgency = urgs[pick(&s, 3)],
						       .title = "t", .description = "d" };
			if (who == ADMIN)
				in.enterprise_id = pick(&s, 2) ? f->who[ENT1].enterprise_id : f->ent2_id;
			struct desk_actor a = { .p = &f->who[who] };
			json_t *o = NULL;
			cr_assert_eq(store_begin(f->t.c), 0);
			tx_end(f, desk_request_create(f->svc, f->t.c, &a, &in, now, &o, &e));
			json_decref(o);
		} else if (kind < 17) { /* 12 in 22: an action */
			act_random(f, &s, now);
		} else if (kind == 17) { /* the overdue job */
			int n = 0;
			cr_assert_eq(store_begin(f->t.c), 0);
			tx_end(f, desk_escalate_overdue(f->t.c, now, &n));
		} else if (kind == 18) { /* a plain reassignment of one enterprise */
			struct desk_actor a = { .p = &f->who[ADMIN] };
			const char *ent = pick(&s, 2) ? f->who[ENT1].enterprise_id : f->ent2_id;
			json_t *o = NULL;
			cr_assert_eq(store_begin(f->t.c), 0);
			tx_end(f, desk_assign(f->svc, f->t.c, &a, ent,
					      f->who[pick(&s, 2) ? SPEC1 : SPEC2].user_id, "rotation",
					      now, &o, &e));
			json_decref(o);
		} else if (kind == 19) {
			if (pick(&s, 2) && !(flags & PLAY_NO_BULK)) {
				/* generated requests: multi-row INSERTs, triggers held */
				int64_t made = 0;
				cr_assert_eq(store_begin(f->t.c), 0);
				tx_end(f, desk_demo_bulk(f->t.c, 1 + pick(&s, 40), now - 20 * DAY,
							 now - HOUR, rnd(&s), now, &made));
			} else { /* a raw multi-row UPDATE, as an operator's fix would be */
				cr_assert_eq(store_begin(f->t.c), 0);
				tx_end(f, store_exec(f->t.c, "UPDATE requests SET department = 'tax' "
						     "WHERE state = 'in_progress' AND department IS NULL "
						     "AND no LIKE 'DM-%'", NULL, 0, NULL));
			}
		} else { /* 2 in 22: copies through the row triggers */
			copy_requests(f, &s, i);
		}
		if (i % (nsteps / 2) == 0 && !(flags & PLAY_NO_COMPARE))
			diffs += compare_all(f, &s, now, T_START, checked);
	}
	if (flags & PLAY_REBUILD) {
		int64_t rows = 0;
		store_conn_put(f->t.c);
		f->t.c = NULL;
		cr_assert_eq(desk_kpi_rollup_rebuild(f->t.st, &rows), 0);
		cr_assert_eq(store_conn_get(f->t.st, &f->t.c), 0);
		cr_assert_gt(rows, 0);
		diffs += compare_all(f, &s, now, T_START, checked);
	}
	return diffs;
}

/* Seeds, each a different history (table-driven). */
static const uint64_t seeds[] = { 0x5eed0003ULL, 20261125ULL };

static void t_rollup_equals_scan(struct fx *f)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		int checked = 0;
		if (i) { /* a fresh store per seed */
			bool pg = f->t.pg;
			fx_close(f);
			cr_assert(fx_open(f, pg));
		}
		int diffs = play(f, seeds[i], T_START, 150, &checked, PLAY_REBUILD);
		cr_expect_eq(diffs, 0, "%s seed %zu: %d of %d reports differ", f->t.pg ? "pg" : "sqlite",
			     i, diffs, checked);
		cr_expect_gt(checked, 1000);
		/* the history did reach the states that matter */
		int64_t rated = tfx_count(f->t.c, "SELECT count(*) AS n FROM ratings", NULL);
		int64_t reop = tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE reopened > 0",
					 NULL);
		int64_t dept = tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE department "
					 "IS NOT NULL", NULL);
		cr_expect(rated > 0 && reop > 0 && dept > 0, "%s seed %zu: rated %lld reopened %lld "
			  "dept %lld", f->t.pg ? "pg" : "sqlite", i, (long long)rated, (long long)reop,
			  (long long)dept);
	}
}

TFX_ON_EACH_STORE

Test(report_rollup, rollup_equals_scan, .timeout = 600) { on_each_store(t_rollup_equals_scan); }

/* Mutations: one trigger gone, the same history must show a difference. */
static const struct {
	const char *sqlite, *pg;
} drops[] = {
	{ "DROP TRIGGER ratings_kpi_insert", "DROP TRIGGER ratings_kpi ON ratings" },
	{ "DROP TRIGGER requests_kpi_update", "DROP TRIGGER requests_kpi ON requests" },
	/* migration 21's due-day counts */
	{ "DROP TRIGGER requests_kpi_due_insert", "DROP TRIGGER requests_kpi_due ON requests" },
	{ "DROP TRIGGER requests_kpi_due_update", "DROP TRIGGER requests_kpi_due ON requests" },
};

static void t_missing_trigger_is_caught(struct fx *f)
{
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++) {
		int checked = 0;
		if (i) {
			bool pg = f->t.pg;
			fx_close(f);
			cr_assert(fx_open(f, pg));
		}
		cr_assert_eq(store_exec(f->t.c, f->t.pg ? drops[i].pg : drops[i].sqlite, NULL, 0, NULL),
			     0, "%s", store_conn_errmsg(f->t.c));
		int diffs = play(f, seeds[0], T_START, 150, &checked, 0);
		cr_expect_gt(diffs, 0, "%s: without trigger %zu the rollup still matched", f->t.pg ? "pg"
			     : "sqlite", i);
	}
}

Test(report_rollup, missing_trigger_is_caught, .timeout = 600)
{
	on_each_store(t_missing_trigger_is_caught);
}

/* ------------------------------------------------ bulk generation (m. 24) */

/* The two tables the triggers keep, whole, in key order. */
static json_t *dump_tables(struct fx *f)
{
	json_t *due = NULL, *roll = NULL;
	cr_assert_eq(store_query_json(f->t.c, "SELECT * FROM desk_kpi_due ORDER BY specialist_id, "
				      "due_day, created_day", NULL, 0, 1000000, &due), 0);
	cr_assert_eq(store_query_json(f->t.c, "SELECT * FROM desk_kpi_rollup ORDER BY bucket, "
				      "specialist_id, department", NULL, 0, 1000000, &roll), 0);
	return json_pack("{s:o, s:o}", "due", due, "rollup", roll);
}

/* desk_demo_bulk of n requests created in [from, to) at now, committed. */
static void bulk(struct fx *f, int64_t n, int64_t from, int64_t to, uint64_t seed, int64_t now)
{
	int64_t made = 0;
	cr_assert_eq(store_begin(f->t.c), 0);
	cr_assert_eq(desk_demo_bulk(f->t.c, n, from, to, seed, now, &made), 0, "%s",
		     store_conn_errmsg(f->t.c));
	cr_assert_eq(store_commit(f->t.c), 0);
	cr_assert_eq(made, n);
}

/* A few thousand generated requests (triggers held, both tables added to
 * in grouped statements): the reports equal the scan's, and the tables
 * equal what a rebuild from scratch computes, row for row. The second
 * call lands on buckets the first one made (the upsert path). */
static void t_bulk_equals_scan(struct fx *f)
{
	uint64_t s = 0xb01cULL;
	int64_t now = T_START + 200 * DAY, rows = 0;
	int checked = 0;

	bulk(f, 1600, T_START, now - HOUR, 7, now);
	bulk(f, 400, now - 30 * DAY, now - HOUR, 8, now);
	int64_t due = tfx_count(f->t.c, "SELECT count(*) AS n FROM requests WHERE due_at IS NOT NULL",
				NULL);
	cr_assert_gt(due, 1500, "the generated requests have deadlines: %lld", (long long)due);
	cr_expect_eq(tfx_count(f->t.c, "SELECT COALESCE(SUM(has_due), 0) AS n FROM desk_kpi_due "
			       "WHERE specialist_id = '*'", NULL), due);
	cr_expect_eq(tfx_count(f->t.c, "SELECT COALESCE(SUM(requests), 0) AS n FROM desk_kpi_rollup "
			       "WHERE bucket < 1000000 AND specialist_id = '*'", NULL), 2000);
	int diffs = compare_all(f, &s, now, T_START, &checked);
	cr_expect_eq(diffs, 0, "%s: %d of %d reports differ after bulk generation",
		     f->t.pg ? "pg" : "sqlite", diffs, checked);
	cr_expect_gt(checked, 700);

	json_t *before = dump_tables(f);
	store_conn_put(f->t.c);
	f->t.c = NULL;
	cr_assert_eq(desk_kpi_rollup_rebuild(f->t.st, &rows), 0);
	cr_assert_eq(store_conn_get(f->t.st, &f->t.c), 0);
	json_t *after = dump_tables(f);
	cr_expect(json_equal(before, after), "%s: the bulk path's tables differ from a rebuild",
		  f->t.pg ? "pg" : "sqlite");
	json_decref(before);
	json_decref(after);
}


/* Raw writes of every kind, each of which changes both tables when the
 * triggers run (table-driven). */
static const char *const raw_writes[] = {
	"INSERT INTO requests (id, no, enterprise_id, title, description, channel, category, "
	"urgency, state, specialist_id, created_by, due_at, created_at, updated_at) SELECT id || '-h', "
	"'HX-' || no, enterprise_id, title, description, channel, category, urgency, state, "
	"specialist_id, created_by, due_at, created_at, updated_at FROM requests WHERE due_at IS NOT "
	"NULL AND no LIKE 'DM-%' ORDER BY no LIMIT 50",
	"UPDATE requests SET due_at = NULL WHERE due_at IS NOT NULL AND no LIKE 'DM-%'",
	"DELETE FROM requests WHERE no LIKE 'HX-%'",
};

/* The held triggers do nothing: while desk_kpi_bulk holds a row no raw
 * write moves either table; without the row each one does (so the check
 * can fail). Everything is rolled back. Runs on t_bulk_equals_scan's
 * store (one fixture: opening one costs more than the checks). */
static void t_bulk_holds_triggers(struct fx *f)
{
	for (int held = 1; held >= 0; held--) {
		cr_assert_eq(store_begin(f->t.c), 0);
		if (held)
			cr_assert_eq(store_exec(f->t.c, "INSERT INTO desk_kpi_bulk (id) VALUES (1)", NULL,
						0, NULL), 0);
		for (size_t i = 0; i < sizeof(raw_writes) / sizeof(raw_writes[0]); i++) {
			int64_t d0 = tfx_count(f->t.c, "SELECT COALESCE(SUM(has_due + open_due), 0) AS n "
					       "FROM desk_kpi_due", NULL);
			int64_t r0 = tfx_count(f->t.c, "SELECT COALESCE(SUM(requests + has_due), 0) AS n "
					       "FROM desk_kpi_rollup", NULL);
			int64_t ch = 0;
			cr_assert_eq(store_exec(f->t.c, raw_writes[i], NULL, 0, &ch), 0, "%s",
				     store_conn_errmsg(f->t.c));
			cr_assert_gt(ch, 0, "write %zu changed no request", i);
			int64_t d1 = tfx_count(f->t.c, "SELECT COALESCE(SUM(has_due + open_due), 0) AS n "
					       "FROM desk_kpi_due", NULL);
			int64_t r1 = tfx_count(f->t.c, "SELECT COALESCE(SUM(requests + has_due), 0) AS n "
					       "FROM desk_kpi_rollup", NULL);
			cr_expect_eq(d1 != d0, !held, "%s write %zu held %d: desk_kpi_due %lld -> %lld",
				     f->t.pg ? "pg" : "sqlite", i, held, (long long)d0, (long long)d1);
			cr_expect_eq(r1 != r0, !held, "%s write %zu held %d: desk_kpi_rollup %lld -> %lld",
				     f->t.pg ? "pg" : "sqlite", i, held, (long long)r0, (long long)r1);
		}
		cr_assert_eq(store_rollback(f->t.c), 0);
	}
}

static void t_bulk(struct fx *f)
{
	t_bulk_equals_scan(f);
	t_bulk_holds_triggers(f);
}

Test(report_rollup, bulk_equals_scan, .timeout = 300) { on_each_store(t_bulk); }

/* A store whose history ran under migration 21's triggers (no bulk: this
 * code's bulk path would count twice there) keeps its tables row for row
 * when migration 24 swaps the triggers, and answers like the scan after
 * bulk generation on top (a wrong count from before the swap would show
 * there too, so the history itself is not compared). */
static void t_migrated_from_21(bool pg)
{
	struct fx f;
	int checked = 0;
	uint64_t s = 0x21ULL;
	int64_t now = T_START + 200 * DAY;

	if (!fx_open_held(&f, pg, 24))
		return;
	play(&f, seeds[1], T_START, 60, &checked, PLAY_NO_BULK | PLAY_NO_COMPARE);
	cr_assert_gt(tfx_count(f.t.c, "SELECT count(*) AS n FROM desk_kpi_due", NULL), 0);
	json_t *before = dump_tables(&f);
	fx_migrate_held(&f, 24);
	json_t *after = dump_tables(&f);
	cr_expect(json_equal(before, after), "%s: migration 24 changed the counts", pg ? "pg" : "sqlite");
	bulk(&f, 400, T_START, now - HOUR, 10, now);
	int diffs = compare_all(&f, &s, now, T_START, &checked);
	cr_expect_eq(diffs, 0, "%s: after migration 24: %d of %d differ", pg ? "pg" : "sqlite",
		     diffs, checked);
	json_decref(before);
	json_decref(after);
	fx_close(&f);
}

Test(report_rollup, migrated_from_21, .timeout = 300)
{
	t_migrated_from_21(false);
	t_migrated_from_21(true);
}
