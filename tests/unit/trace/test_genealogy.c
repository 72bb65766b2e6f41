/* test_genealogy.c - the genealogy walk and recall (src/trace/genealogy.c)
 * on BOTH store drivers (SQLite; PostgreSQL from PARKLINE_TEST_PG, which
 * must be set when CI=true or PL_REQUIRE_PG=1).
 *
 * The story: raw lot R becomes lot L (TransformationEvent), L is filled
 * into vials 1..20 (TransformationEvent). ONE tray T carries vials 1..10
 * past station S1, is unloaded (DELETE naming its children), then carries
 * vials 11..20 past station S2 and is emptied (DELETE with no children),
 * and is finally seen empty at station S3. Time bounds decide everything:
 * vial 5 was at S1 only, vial 15 at S2 only, nobody at S3. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "support/store_env.h"
#include "trace/trace.h"
#include "trace/trace_int.h"
#include "auth/auth.h"

/* One test's store (tests/unit/support/store_env.h) with two enterprises
 * of its own. */
struct env {
	struct tenv t;
	char ent[2][PL_ID_LEN + 1];
};

/* A migrated store with two enterprises, and one connection taken (e->t.c). */
static void env_open(struct env *e, const struct tenv_drv *d)
{
	tenv_open_or_skip(&e->t, d->pg, "genealogy", NULL);
	tenv_add_enterprise(&e->t, "企业一", e->ent[0]);
	tenv_add_enterprise(&e->t, "企业二", e->ent[1]);
}

static void env_close(struct env *e)
{
	tenv_close(&e->t);
}

#define EV(type, action, time, body) "{\"type\":\"" type "\"," action "\"eventTime\":\"" \
	"2026-03-01T" time ":00Z\",\"eventTimeZoneOffset\":\"+00:00\"," body "}"
#define ACT(a) "\"action\":\"" a "\","
#define LOT_R "urn:epc:class:lgtin:0614141.107346.RAW1"
#define LOT_L "urn:epc:class:lgtin:0614141.107346.LOT1"
#define TRAY "urn:epc:id:grai:0614141.12345.T1"
#define S(n) "urn:epc:id:sgln:0614141.00001." n
#define VIAL "urn:epc:id:sgtin:0614141.107346."

/* Opens an EPCIS document in b, up to its eventList's "[". */
static void doc_head(struct pl_buf *b)
{
	pl_buf_puts(b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"
		    "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
		    "\"2026-03-01T12:00:00Z\",\"epcisBody\":{\"eventList\":[");
}

/* vials from..to as a JSON array body. */
static void vials(struct pl_buf *b, int from, int to)
{
	pl_buf_puts(b, "[");
	for (int i = from; i <= to; i++)
		pl_buf_printf(b, "%s\"" VIAL "%d\"", i > from ? "," : "", i);
	pl_buf_puts(b, "]");
}

static char *story(void)
{
	struct pl_buf b;
	pl_buf_init(&b, 1 << 20);
	doc_head(&b);
	pl_buf_puts(&b, EV("TransformationEvent", "", "07:00", "\"inputQuantityList\":[{\"epcClass\":\""
		    LOT_R "\",\"quantity\":5}],\"outputQuantityList\":[{\"epcClass\":\"" LOT_L
		    "\",\"quantity\":20}]") ",");
	pl_buf_puts(&b, EV("TransformationEvent", "", "08:00", "\"inputQuantityList\":[{\"epcClass\":\""
		    LOT_L "\",\"quantity\":1}],\"outputEPCList\":"));
	b.len--; /* reopen the event to append the list */
	vials(&b, 1, 20);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("AggregationEvent", ACT("ADD"), "09:00", "\"parentID\":\"" TRAY "\",\"childEPCs\":"));
	b.len--;
	vials(&b, 1, 10);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("ObjectEvent", ACT("OBSERVE"), "09:05", "\"epcList\":[\"" TRAY "\"],"
		    "\"readPoint\":{\"id\":\"" S("1") "\"}") ",");
	pl_buf_puts(&b, EV("AggregationEvent", ACT("DELETE"), "09:10", "\"parentID\":\"" TRAY "\",\"childEPCs\":"));
	b.len--;
	vials(&b, 1, 10);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("AggregationEvent", ACT("ADD"), "09:20", "\"parentID\":\"" TRAY "\",\"childEPCs\":"));
	b.len--;
	vials(&b, 11, 20);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("ObjectEvent", ACT("OBSERVE"), "09:25", "\"epcList\":[\"" TRAY "\"],"
		    "\"readPoint\":{\"id\":\"" S("2") "\"},\"disposition\":\"conformant\"") ",");
	pl_buf_puts(&b, EV("AggregationEvent", ACT("DELETE"), "09:30", "\"parentID\":\"" TRAY "\",\"childEPCs\":[]") ",");
	pl_buf_puts(&b, EV("ObjectEvent", ACT("OBSERVE"), "09:40", "\"epcList\":[\"" TRAY "\"],"
		    "\"readPoint\":{\"id\":\"" S("3") "\"}"));
	pl_buf_puts(&b, "]}}");
	return pl_buf_steal(&b);
}

static void env_story(struct env *e, const struct tenv_drv *d)
{
	struct trace_errors errs;
	json_t *job = NULL;
	char *text = story();
	env_open(e, d);
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e->t.c, e->ent[0], "test", text, strlen(text), false,
					&errs, &job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "story: %s",
		  json_dumps(json_object_get(job, "errors"), 0));
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), 9);
	json_decref(job);
	trace_errors_release(&errs);
	free(text);
}

/* Does the walk's timeline hold an event at read point rp (URN)? */
static bool at_station(const json_t *walk, const char *rp)
{
	char canon[TRACE_ID_MAX];
	cr_assert_eq(trace_id_canon_gs1(rp, canon, sizeof(canon)), 0);
	const json_t *tl = json_object_get(walk, "timeline");
	for (size_t i = 0; i < json_array_size(tl); i++) {
		const char *r = pl_json_str(json_array_get(tl, i), "read_point");
		if (r && !strcmp(r, canon))
			return true;
	}
	return false;
}

static bool has_node(const json_t *walk, const char *urn)
{
	char canon[TRACE_ID_MAX];
	cr_assert_eq(trace_id_canon_gs1(urn, canon, sizeof(canon)), 0);
	const json_t *n = json_object_get(walk, "nodes");
	for (size_t i = 0; i < json_array_size(n); i++)
		if (!strcmp(pl_json_str(json_array_get(n, i), "id"), canon))
			return true;
	return false;
}

TENV_TEST(genealogy, tray_reuse_is_time_bounded)
{
	static const struct { const char *vial; bool s1, s2; } cases[] = {
		{ VIAL "1", true, false }, { VIAL "5", true, false }, { VIAL "10", true, false },
		{ VIAL "11", false, true }, { VIAL "15", false, true }, { VIAL "20", false, true },
	};
	struct env e;
	env_story(&e, d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *w = NULL;
		cr_assert_eq(trace_walk(e.t.c, e.ent[0], cases[i].vial, TRACE_WALK_BACKWARD, &w), 0);
		cr_assert_eq(at_station(w, S("1")), cases[i].s1, "%s at S1", cases[i].vial);
		cr_assert_eq(at_station(w, S("2")), cases[i].s2, "%s at S2", cases[i].vial);
		cr_assert(!at_station(w, S("3")), "%s: the empty tray's later trip leaked",
			  cases[i].vial);
		/* multi-hop back to the raw lot, through the tray */
		cr_assert(has_node(w, LOT_L) && has_node(w, LOT_R) && has_node(w, TRAY),
			  "%s: nodes %s", cases[i].vial, json_dumps(json_object_get(w, "nodes"), 0));
		/* no sibling vial comes in through the tray */
		const char *other = cases[i].s1 ? VIAL "2" : VIAL "12";
		if (strcmp(other, cases[i].vial))
			cr_assert(!has_node(w, other), "%s: sibling %s in the walk", cases[i].vial, other);
		cr_assert(json_is_false(json_object_get(w, "truncated")));
		json_decref(w);
	}
	env_close(&e);
}

/* Note 9: walking back from a vial, the batch lot's other fillings (its
 * consumption into sibling vials, before and after the vial's own) stay
 * off the timeline, while the lot traced back as the root lists them; and
 * every timeline entry carries its event's body, read after the walk. */
TENV_TEST(genealogy, backward_skips_a_lots_other_consumptions)
{
	struct env e;
	struct pl_buf b;
	struct trace_errors errs;
	json_t *job = NULL;
	env_story(&e, d);
	pl_buf_init(&b, 1 << 20);
	doc_head(&b);
	pl_buf_puts(&b, EV("TransformationEvent", "", "07:30", "\"inputQuantityList\":[{\"epcClass\":\""
		    LOT_L "\",\"quantity\":1}],\"outputEPCList\":"));
	b.len--;
	vials(&b, 31, 40);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("TransformationEvent", "", "10:00", "\"inputQuantityList\":[{\"epcClass\":\""
		    LOT_L "\",\"quantity\":1}],\"outputEPCList\":"));
	b.len--;
	vials(&b, 41, 50);
	pl_buf_puts(&b, "}]}}");
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "test", b.data, b.len, false, &errs, &job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")));
	json_decref(job);
	trace_errors_release(&errs);
	pl_buf_release(&b);

	static const struct { const char *code; size_t fillings; } cases[] = {
		{ VIAL "1", 1 },  /* its own filling only */
		{ VIAL "35", 1 },
		{ LOT_L, 3 },     /* the root: all three */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *w = NULL;
		size_t fillings = 0;
		cr_assert_eq(trace_walk(e.t.c, NULL, cases[i].code, TRACE_WALK_BACKWARD, &w), 0);
		const json_t *tl = json_object_get(w, "timeline");
		for (size_t k = 0; k < json_array_size(tl); k++) {
			const json_t *en = json_array_get(tl, k), *body = json_object_get(en, "event");
			cr_assert(json_is_object(body), "%s: entry %zu has no body", cases[i].code, k);
			cr_expect_str_eq(pl_json_str(body, "eventID"), pl_json_str(en, "event_id"));
			cr_expect_null(json_object_get(en, "_row"));
			if (json_object_get(body, "outputEPCList"))
				fillings++;
		}
		cr_expect_eq(fillings, cases[i].fillings, "%s: %zu fillings on the timeline",
			     cases[i].code, fillings);
		cr_expect_eq(json_array_size(json_object_get(w, "events")), json_array_size(tl),
			     "%s: events and timeline differ", cases[i].code);
		cr_assert(has_node(w, LOT_R), "%s: the raw lot is reached", cases[i].code);
		json_decref(w);
	}
	env_close(&e);
}

TENV_TEST(genealogy, forward_and_recall)
{
	struct env e;
	json_t *w = NULL, *r = NULL;
	char s1[TRACE_ID_MAX], s2[TRACE_ID_MAX];
	env_story(&e, d);
	cr_assert_eq(trace_walk(e.t.c, e.ent[0], LOT_R, TRACE_WALK_FORWARD, &w), 0);
	for (int i = 1; i <= 20; i++) {
		char v[64];
		pl_fmt(v, sizeof(v), VIAL "%d", i);
		cr_assert(has_node(w, v), "forward from the raw lot misses %s", v);
	}
	cr_assert_eq(trace_recall(e.t.c, e.ent[0], LOT_R, &r), 0);
	cr_assert_eq(json_integer_value(json_object_get(r, "total")), 20);
	cr_assert_eq(trace_id_canon_gs1(S("1"), s1, sizeof(s1)), 0);
	cr_assert_eq(trace_id_canon_gs1(S("2"), s2, sizeof(s2)), 0);
	const json_t *by = json_object_get(r, "by_location");
	cr_assert_eq(json_integer_value(json_object_get(by, s1)), 10, "%s", json_dumps(by, 0));
	cr_assert_eq(json_integer_value(json_object_get(by, s2)), 10, "%s", json_dumps(by, 0));
	/* the second round's disposition came from the tray's observation */
	const json_t *units = json_object_get(r, "units");
	size_t conformant = 0;
	for (size_t i = 0; i < json_array_size(units); i++) {
		const char *disp = pl_json_str(json_array_get(units, i), "disposition");
		conformant += disp && strstr(disp, "conformant") != NULL;
	}
	cr_assert_eq(conformant, 10);
	json_decref(w);
	json_decref(r);
	env_close(&e);
}

/* repo.c note 10: twenty vials, each loaded onto its own tray and
 * unloaded again at one instant (ADD, then DELETE, in document order),
 * the trays seen later at station S9. In document order every
 * containment closes at that instant, so no vial reaches S9; ordered at
 * random, each vial would have had even odds of staying on its tray. */
TENV_TEST(genealogy, same_instant_add_delete_keeps_document_order)
{
	struct env e;
	struct pl_buf b;
	struct trace_errors errs;
	json_t *job = NULL;

	env_open(&e, d);
	pl_buf_init(&b, 1 << 20);
	doc_head(&b);
	for (int i = 0; i < 20; i++) {
		char tray[64], vial[64];
		pl_fmt(tray, sizeof(tray), "urn:epc:id:grai:0614141.12345.Q%d", i);
		pl_fmt(vial, sizeof(vial), VIAL "%d", 500 + i);
		pl_buf_printf(&b, "%s" EV("AggregationEvent", ACT("ADD"), "10:00", "\"parentID\":\"%s\","
			      "\"childEPCs\":[\"%s\"]") "," EV("AggregationEvent", ACT("DELETE"), "10:00",
			      "\"parentID\":\"%s\",\"childEPCs\":[\"%s\"]") "," EV("ObjectEvent",
			      ACT("OBSERVE"), "10:30", "\"epcList\":[\"%s\"],\"readPoint\":{\"id\":\""
			      S("9") "\"}"), i ? "," : "", tray, vial, tray, vial, tray);
	}
	pl_buf_puts(&b, "]}}");
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "test", b.data, b.len, false, &errs, &job),
		     0);
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), 60, "%s",
		     json_dumps(job, 0));
	for (int i = 0; i < 20; i++) {
		char vial[64];
		json_t *w = NULL;
		pl_fmt(vial, sizeof(vial), VIAL "%d", 500 + i);
		cr_assert_eq(trace_walk(e.t.c, e.ent[0], vial, TRACE_WALK_BACKWARD, &w), 0);
		cr_expect(!at_station(w, S("9")), "%s stayed on its tray after the DELETE", vial);
		json_decref(w);
	}
	json_decref(job);
	trace_errors_release(&errs);
	pl_buf_release(&b);
	env_close(&e);
}

/* The answers a store gives for the story, as sorted JSON text: two
 * vials' backward traces (one per tray trip) and the raw lot's recall. */
static char *story_answers(struct env *e)
{
	static const char *const vials_[] = { VIAL "5", VIAL "15" };
	json_t *all = json_array(), *r = NULL;
	for (size_t i = 0; i < 2; i++) {
		json_t *w = NULL;
		cr_assert_eq(trace_walk(e->t.c, e->ent[0], vials_[i], TRACE_WALK_BACKWARD, &w), 0);
		json_array_append_new(all, w);
	}
	cr_assert_eq(trace_recall(e->t.c, e->ent[0], LOT_R, &r), 0);
	json_array_append_new(all, r);
	char *s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(all);
	return s;
}

/* Migration 26 on a store that predates it: the story is captured, the
 * store is put back as migration 25 left it (the time copies and the
 * empties mark dropped, migration 13's indexes back), and migrating again
 * fills them from the events - every member row gets its event's time,
 * only the childless DELETE is marked - and the answers do not change. */
TENV_TEST(genealogy, member_time_migration_backfills)
{
	static const char *const back[] = {
		"DROP INDEX trace_event_epcs_epc_time_idx",
		"DROP INDEX trace_event_qty_class_time_idx",
		"DROP INDEX trace_events_empties_idx",
		"ALTER TABLE trace_event_epcs DROP COLUMN event_time_ms",
		"ALTER TABLE trace_event_qty DROP COLUMN event_time_ms",
		"ALTER TABLE trace_events DROP COLUMN empties",
		"CREATE INDEX trace_event_epcs_epc_row_idx ON trace_event_epcs (epc, event_row, role)",
		"CREATE INDEX trace_event_qty_class_row_idx ON trace_event_qty "
		"(epc_class, event_row, role)",
		"DELETE FROM schema_migrations WHERE version = 26",
	};
	static const struct { const char *sql; int64_t want; } checks[] = {
		{ "SELECT count(*) FROM trace_event_epcs x JOIN trace_events e ON e.id = x.event_row "
		  "WHERE x.event_time_ms <> e.event_time_ms", 0 },
		{ "SELECT count(*) FROM trace_event_qty x JOIN trace_events e ON e.id = x.event_row "
		  "WHERE x.event_time_ms <> e.event_time_ms", 0 },
		{ "SELECT count(*) FROM trace_event_epcs", 57 },
		{ "SELECT count(*) FROM trace_event_qty", 3 },
		{ "SELECT count(*) FROM trace_events WHERE empties = 1", 1 },
		{ "SELECT count(*) FROM trace_events WHERE empties = 1 AND action = 'DELETE' "
		  "AND event_time_ms = 1772357400000", 1 },
	};
	struct env e;
	int applied = 0;
	env_story(&e, d);
	char *before = story_answers(&e);
	for (size_t i = 0; i < sizeof(back) / sizeof(back[0]); i++)
		cr_assert_eq(store_exec(e.t.c, back[i], NULL, 0, NULL), 0, "%s", back[i]);
	cr_assert_eq(store_migrate(e.t.st, &applied), 0);
	cr_assert_eq(applied, 1);
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		json_t *row = NULL;
		cr_assert_eq(store_query_one(e.t.c, checks[i].sql, NULL, 0, &row), 0, "%s",
			     checks[i].sql);
		json_t *v = json_object_iter_value(json_object_iter(row));
		cr_expect_eq(json_integer_value(v), checks[i].want, "%s: %lld", checks[i].sql,
			     (long long)json_integer_value(v));
		json_decref(row);
	}
	char *after = story_answers(&e);
	cr_expect_str_eq(after, before);
	free(before);
	free(after);
	env_close(&e);
}

TENV_TEST(genealogy, tenancy_and_bad_codes)
{
	static const struct { const char *code; int tenant; int rc; } cases[] = {
		{ VIAL "5", 1, PL_ENOTFOUND },  /* another enterprise sees nothing */
		{ VIAL "5", -1, 0 },            /* auditors walk every tenant */
		{ VIAL "5", 0, 0 },
		{ "urn:epc:id:sgtin:0614141.107346", 0, PL_EINVAL }, /* malformed key */
		{ "https://id.gs1.org/01/09521568251205/21/x", 0, PL_EINVAL }, /* check digit */
		{ VIAL "999", 0, PL_ENOTFOUND },
	};
	struct env e;
	env_story(&e, d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *w = NULL;
		const char *t = cases[i].tenant < 0 ? NULL : e.ent[cases[i].tenant];
		int rc = trace_walk(e.t.c, t, cases[i].code, TRACE_WALK_BACKWARD, &w);
		cr_assert_eq(rc, cases[i].rc, "case %zu: %s", i, pl_strerror(rc));
		cr_assert_eq(w == NULL, rc != 0);
		json_decref(w);
	}
	env_close(&e);
}

/* The demo park's story (repo_demo.c) is valid, seeds once however often
 * it runs, and traces a vial back to both raw lots through its tray. */
TENV_TEST(genealogy, demo_story_traces_and_is_idempotent)
{
	struct env e;
	char now[PL_TIME_STRLEN], id[PL_ID_LEN + 1];
	json_t *w = NULL, *r = NULL;

	env_open(&e, d);
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(id), SP_TEXT("重庆太极制药有限公司"),
				   SP_TEXT(AUTH_DEMO_USCC_1), SP_TEXT(now), SP_TEXT(now) };
	cr_assert_eq(store_exec(e.t.c, "INSERT INTO enterprises (id, name_zh, uscc, created_at, "
				"updated_at) VALUES (?, ?, ?, ?, ?)", p, 5, NULL), 0);
	cr_assert_eq(trace_demo_seed(e.t.st, NULL), 0);
	json_t *n1 = NULL, *n2 = NULL;
	cr_assert_eq(store_query_one(e.t.c, "SELECT count(*) AS n FROM trace_events", NULL, 0, &n1), 0);
	cr_assert_eq(trace_demo_seed(e.t.st, NULL), 0);
	cr_assert_eq(store_query_one(e.t.c, "SELECT count(*) AS n FROM trace_events", NULL, 0, &n2), 0);
	cr_assert_gt(json_integer_value(json_object_get(n1, "n")), 20);
	cr_assert(json_equal(n1, n2), "seeding twice stored events twice");
	cr_assert_eq(trace_walk(e.t.c, id, "urn:epc:id:sgtin:6901234.000001.V0003",
				TRACE_WALK_BACKWARD, &w), 0);
	cr_assert(has_node(w, "urn:epc:class:lgtin:6901234.000002.API-2611A"));
	cr_assert(has_node(w, "urn:epc:class:lgtin:6901234.000003.EXC-2610C"));
	cr_assert(has_node(w, "urn:epc:id:grai:6901234.10001.T01"));
	cr_assert_eq(trace_recall(e.t.c, id, "urn:epc:class:lgtin:6901234.000003.EXC-2610C", &r), 0);
	cr_assert_eq(json_integer_value(json_object_get(r, "total")), 12);
	json_decref(n1);
	json_decref(n2);
	json_decref(w);
	json_decref(r);
	env_close(&e);
}

/* The set-based walk at scale (genealogy.c note 8): one lot filled into
 * 6,000 vials - more than the old 5,000-node cap, more than one chunk of
 * nodes (1,024) and many IN batches (256) - loaded ten at a time onto 60
 * trays, each reused ten times. Group k rides past S1 (k even, unloaded by
 * a DELETE naming its vials) or S2 (k odd, disposition conformant, the
 * tray emptied by a childless DELETE); every tray is finally seen empty at
 * S3. The recall must list all 6,000 with the location of their own round
 * only: 3,000 at S1, 3,000 at S2 (1,500 + 1,500 conformant), none at S3. */
#define BIG_VIALS 6000
#define BIG_TRAYS 60
#define BIG_T0 1772409600000LL /* 2026-03-02T00:00:00Z */

static void big_time(struct pl_buf *b, int64_t s)
{
	char tm[PL_TIME_STRLEN];
	pl_time_format(BIG_T0 + s * 1000, tm);
	pl_buf_printf(b, "\"eventTime\":\"%s\",\"eventTimeZoneOffset\":\"+00:00\"", tm);
}

static char *big_story(void)
{
	struct pl_buf b;
	int groups = BIG_VIALS / 10;

	pl_buf_init(&b, 8 << 20);
	pl_buf_puts(&b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"
		    "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
		    "\"2026-03-02T12:00:00Z\",\"epcisBody\":{\"eventList\":[");
	pl_buf_puts(&b, "{\"type\":\"TransformationEvent\",");
	big_time(&b, 0);
	pl_buf_puts(&b, ",\"inputQuantityList\":[{\"epcClass\":\"" LOT_L "\",\"quantity\":1}],"
		    "\"outputEPCList\":");
	vials(&b, 1, BIG_VIALS);
	pl_buf_puts(&b, "}");
	for (int k = 0; k < groups; k++) {
		int tray = k % BIG_TRAYS;
		int64_t t = 10 + 3 * (int64_t)k;
		pl_buf_puts(&b, ",{\"type\":\"AggregationEvent\",\"action\":\"ADD\",");
		big_time(&b, t);
		pl_buf_printf(&b, ",\"parentID\":\"urn:epc:id:grai:0614141.12345.B%d\",\"childEPCs\":", tray);
		vials(&b, 10 * k + 1, 10 * k + 10);
		pl_buf_puts(&b, "},{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",");
		big_time(&b, t + 1);
		pl_buf_printf(&b, ",\"epcList\":[\"urn:epc:id:grai:0614141.12345.B%d\"],"
			      "\"readPoint\":{\"id\":\"%s\"}%s}", tray, k % 2 ? S("2") : S("1"),
			      k % 2 ? ",\"disposition\":\"conformant\"" : "");
		pl_buf_puts(&b, ",{\"type\":\"AggregationEvent\",\"action\":\"DELETE\",");
		big_time(&b, t + 2);
		pl_buf_printf(&b, ",\"parentID\":\"urn:epc:id:grai:0614141.12345.B%d\",\"childEPCs\":", tray);
		if (k % 2)
			pl_buf_puts(&b, "[]");
		else
			vials(&b, 10 * k + 1, 10 * k + 10);
		pl_buf_puts(&b, "}");
	}
	for (int tray = 0; tray < BIG_TRAYS; tray++) {
		pl_buf_puts(&b, ",{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",");
		big_time(&b, 10 + 3 * (int64_t)groups + tray);
		pl_buf_printf(&b, ",\"epcList\":[\"urn:epc:id:grai:0614141.12345.B%d\"],"
			      "\"readPoint\":{\"id\":\"%s\"}}", tray, S("3"));
	}
	pl_buf_puts(&b, "]}}");
	return pl_buf_steal(&b);
}

TENV_TEST_OPTS(genealogy, recall_at_scale, .timeout = 300)
{
	struct env e;
	struct trace_errors errs;
	json_t *job = NULL, *r = NULL, *w = NULL;
	char s1[TRACE_ID_MAX], s2[TRACE_ID_MAX], s3[TRACE_ID_MAX];
	char *text = big_story();

	cr_assert(text);
	env_open(&e, d);
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "test", text, strlen(text), false,
					&errs, &job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "big story: %s",
		  json_dumps(job, 0));
	cr_assert_eq(trace_recall(e.t.c, e.ent[0], LOT_L, &r), 0);
	cr_assert_eq(json_integer_value(json_object_get(r, "total")), BIG_VIALS);
	cr_assert(json_is_false(json_object_get(r, "truncated")));
	cr_assert_eq(trace_id_canon_gs1(S("1"), s1, sizeof(s1)), 0);
	cr_assert_eq(trace_id_canon_gs1(S("2"), s2, sizeof(s2)), 0);
	cr_assert_eq(trace_id_canon_gs1(S("3"), s3, sizeof(s3)), 0);
	const json_t *by = json_object_get(r, "by_location");
	cr_assert_eq(json_integer_value(json_object_get(by, s1)), BIG_VIALS / 2);
	cr_assert_eq(json_integer_value(json_object_get(by, s2)), BIG_VIALS / 2);
	cr_assert_null(json_object_get(by, s3), "an empty tray's last trip leaked");
	cr_assert_eq(json_object_size(by), 2);
	size_t conformant = 0;
	const json_t *units = json_object_get(r, "units");
	for (size_t i = 0; i < json_array_size(units); i++) {
		const char *disp = pl_json_str(json_array_get(units, i), "disposition");
		conformant += disp && strstr(disp, "conformant") != NULL;
	}
	cr_assert_eq(conformant, BIG_VIALS / 2);
	/* one vial of an odd group, traced back: its own round's tray trip
	 * (S2) and the lot, not the tray's other rounds */
	cr_assert_eq(trace_walk(e.t.c, e.ent[0], VIAL "4015", TRACE_WALK_BACKWARD, &w), 0);
	cr_assert(at_station(w, S("2")) && !at_station(w, S("1")) && !at_station(w, S("3")));
	cr_assert(has_node(w, LOT_L));
	cr_assert(json_is_false(json_object_get(w, "truncated")));
	json_decref(w);
	json_decref(r);
	json_decref(job);
	trace_errors_release(&errs);
	free(text);
	env_close(&e);
}

/* ------------------------------------------------------------------------
 * The set-wise recall (genealogy.c notes 11-13) against the generic walk
 * (trace__recall_generic: notes 1-10, item by item): the same answer, key
 * for key, on stores drawn at random from a small world where every tricky
 * case is common - trays and pallets reused for many loads, nested
 * containers, DELETEs naming the children or none (emptying), ADD and
 * DELETE at the same instant, lots transformed into lots and into vials,
 * a second enterprise's events, and an item with more than 1,000 events
 * (the per-node bound: truncated). */
#define RND_LOTS 4
#define RND_VIALS 40
#define RND_TRAYS 4
#define RND_PALLETS 2

struct rnd {
	uint64_t s;
};

static unsigned rnd_next(struct rnd *r, unsigned n)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((r->s >> 33) % n);
}

static void rnd_time(struct pl_buf *b, struct rnd *r)
{
	/* few distinct instants: ties between ADD, DELETE and observations */
	pl_buf_printf(b, "\"eventTime\":\"2026-03-03T10:%02u:00Z\",\"eventTimeZoneOffset\":\"+00:00\"",
		      rnd_next(r, 12));
}

static void rnd_vials(struct pl_buf *b, struct rnd *r, unsigned max)
{
	unsigned n = 1 + rnd_next(r, max), v0 = rnd_next(r, RND_VIALS);
	pl_buf_puts(b, "[");
	for (unsigned i = 0; i < n; i++)
		pl_buf_printf(b, "%s\"" VIAL "%u\"", i ? "," : "", (v0 + 3 * i) % RND_VIALS);
	pl_buf_puts(b, "]");
}

/* A container: a tray (GRAI) or a pallet (SSCC). */
static void rnd_parent(struct pl_buf *b, struct rnd *r, bool pallet)
{
	if (pallet)
		pl_buf_printf(b, "\"urn:epc:id:sscc:0614141.100000000%u\"", rnd_next(r, RND_PALLETS));
	else
		pl_buf_printf(b, "\"urn:epc:id:grai:0614141.12345.R%u\"", rnd_next(r, RND_TRAYS));
}

/* One random event, serial k (an extension member keeps every event
 * distinct, so none is a duplicate of another). */
static void rnd_event(struct pl_buf *b, struct rnd *r, unsigned k)
{
	unsigned kind = rnd_next(r, 10);
	pl_buf_puts(b, "{");
	if (kind == 0) { /* lot -> lot */
		pl_buf_puts(b, "\"type\":\"TransformationEvent\",");
		rnd_time(b, r);
		pl_buf_printf(b, ",\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:"
			      "0614141.107346.Q%u\",\"quantity\":1}],\"outputQuantityList\":[{"
			      "\"epcClass\":\"urn:epc:class:lgtin:0614141.107346.Q%u\",\"quantity\":1}]",
			      rnd_next(r, RND_LOTS), rnd_next(r, RND_LOTS));
	} else if (kind == 1) { /* lot -> vials */
		pl_buf_puts(b, "\"type\":\"TransformationEvent\",");
		rnd_time(b, r);
		pl_buf_printf(b, ",\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:"
			      "0614141.107346.Q%u\",\"quantity\":1}],\"outputEPCList\":",
			      rnd_next(r, RND_LOTS));
		rnd_vials(b, r, 8);
	} else if (kind <= 5) { /* ADD / DELETE of vials, or of a tray onto a pallet */
		bool del = kind >= 4, nest = rnd_next(r, 4) == 0;
		pl_buf_printf(b, "\"type\":\"AggregationEvent\",\"action\":\"%s\",", del ? "DELETE" : "ADD");
		rnd_time(b, r);
		pl_buf_puts(b, ",\"parentID\":");
		rnd_parent(b, r, nest);
		pl_buf_puts(b, ",\"childEPCs\":");
		if (del && rnd_next(r, 3) == 0)
			pl_buf_puts(b, "[]"); /* emptying */
		else if (nest)
			pl_buf_printf(b, "[\"urn:epc:id:grai:0614141.12345.R%u\"]", rnd_next(r, RND_TRAYS));
		else
			rnd_vials(b, r, 5);
	} else { /* an observation of a container or a vial */
		pl_buf_puts(b, "\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",");
		rnd_time(b, r);
		pl_buf_puts(b, ",\"epcList\":[");
		if (rnd_next(r, 3) == 0)
			pl_buf_printf(b, "\"" VIAL "%u\"", rnd_next(r, RND_VIALS));
		else
			rnd_parent(b, r, rnd_next(r, 4) == 0);
		pl_buf_printf(b, "],\"%s\":{\"id\":\"%s%u\"}", rnd_next(r, 2) ? "readPoint" : "bizLocation",
			      "urn:epc:id:sgln:0614141.00001.", rnd_next(r, 5));
		if (rnd_next(r, 2))
			pl_buf_printf(b, ",\"disposition\":\"%s\"",
				      rnd_next(r, 2) ? "conformant" : "in_progress");
	}
	pl_buf_printf(b, ",\"pl:n\":%u}", k);
}

/* Captures n random events as enterprise e->ent[ent]. */
static void rnd_capture(struct env *e, struct rnd *r, int ent, unsigned n, unsigned k0)
{
	struct pl_buf b;
	struct trace_errors errs;
	json_t *job = NULL;

	pl_buf_init(&b, 4 << 20);
	pl_buf_puts(&b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\","
		    "{\"pl\":\"https://parkline.example/ns/\"}],\"type\":\"EPCISDocument\","
		    "\"schemaVersion\":\"2.0\",\"creationDate\":\"2026-03-03T12:00:00Z\","
		    "\"epcisBody\":{\"eventList\":[");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			pl_buf_puts(&b, ",");
		rnd_event(&b, r, k0 + i);
	}
	pl_buf_puts(&b, "]}}");
	cr_assert(b.data);
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e->t.c, e->ent[ent], "test", b.data, b.len, false, &errs,
					&job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "random store: %s",
		  json_dumps(json_object_get(job, "errors"), 0));
	json_decref(job);
	trace_errors_release(&errs);
	pl_buf_release(&b);
}

/* Both recalls of code as tenant t: the same return code and answer. */
static void same_recall(struct env *e, const char *t, const char *code, const char *what)
{
	json_t *a = NULL, *g = NULL;
	int ra = trace_recall(e->t.c, t, code, &a);
	int rg = trace__recall_generic(e->t.c, t, code, &g);

	cr_assert_eq(ra, rg, "%s %s: %s vs %s", what, code, pl_strerror(ra), pl_strerror(rg));
	if (ra == 0) {
		char *sa = json_dumps(a, JSON_COMPACT), *sg = json_dumps(g, JSON_COMPACT);
		cr_assert_str_eq(sa, sg, "%s %s (tenant %s) differs", what, code, t ? t : "all");
		free(sa);
		free(sg);
	}
	json_decref(a);
	json_decref(g);
}

TENV_TEST_OPTS(genealogy, setwise_recall_matches_generic, .timeout = 300)
{
	static const struct { uint64_t seed; unsigned events[2]; } cases[] = {
		{ 1, { 60, 20 } }, { 2, { 150, 40 } }, { 3, { 300, 0 } }, { 4, { 40, 80 } },
		{ 5, { 400, 100 } }, { 6, { 250, 250 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct env e;
		struct rnd r = { cases[i].seed };
		char what[32];
		env_open(&e, d);
		for (int ent = 0; ent < 2; ent++)
			if (cases[i].events[ent])
				rnd_capture(&e, &r, ent, cases[i].events[ent], 10000 * (unsigned)ent);
		pl_fmt(what, sizeof(what), "seed %llu", (unsigned long long)cases[i].seed);
		for (unsigned lot = 0; lot < RND_LOTS; lot++) {
			char code[80];
			pl_fmt(code, sizeof(code), "urn:epc:class:lgtin:0614141.107346.Q%u", lot);
			same_recall(&e, NULL, code, what);
			same_recall(&e, e.ent[0], code, what);
			same_recall(&e, e.ent[1], code, what);
		}
		/* a container and a vial as the root */
		same_recall(&e, NULL, "urn:epc:id:grai:0614141.12345.R1", what);
		same_recall(&e, e.ent[0], VIAL "3", what);
		env_close(&e);
	}
}

/* The tricky cases of the story, and the per-node bound: a tray that, after
 * taking vials 1-3, is observed 1,100 times (over 1,000 events in the
 * vials' containment window: the recall is truncated, both ways alike). */
TENV_TEST_OPTS(genealogy, setwise_recall_story_and_bounds, .timeout = 120)
{
	struct env e;
	struct pl_buf b;
	struct trace_errors errs;
	json_t *job = NULL, *r = NULL;

	env_story(&e, d);
	same_recall(&e, e.ent[0], LOT_R, "story");
	same_recall(&e, e.ent[1], LOT_R, "story, other tenant");
	same_recall(&e, NULL, LOT_L, "story, all tenants");
	same_recall(&e, NULL, TRAY, "story, tray root");
	pl_buf_init(&b, 8 << 20);
	pl_buf_puts(&b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"
		    "\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
		    "\"2026-03-04T12:00:00Z\",\"epcisBody\":{\"eventList\":[");
	pl_buf_puts(&b, EV("TransformationEvent", "", "07:00", "\"inputQuantityList\":[{\"epcClass\":\""
		    "urn:epc:class:lgtin:0614141.107346.BIG\",\"quantity\":1}],\"outputEPCList\":"));
	b.len--;
	vials(&b, 101, 103);
	pl_buf_puts(&b, "},");
	pl_buf_puts(&b, EV("AggregationEvent", ACT("ADD"), "07:01", "\"parentID\":\"urn:epc:id:grai:"
		    "0614141.12345.BUSY\",\"childEPCs\":"));
	b.len--;
	vials(&b, 101, 103);
	pl_buf_puts(&b, "}");
	for (int i = 0; i < 1100; i++) {
		char tm[PL_TIME_STRLEN];
		pl_time_format(1772607720000LL + 1000LL * i, tm); /* 2026-03-04T07:02:00Z on */
		pl_buf_printf(&b, ",{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"%s\","
			      "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:grai:0614141."
			      "12345.BUSY\"],\"readPoint\":{\"id\":\"" S("%d") "\"}}", tm, i % 7);
	}
	pl_buf_puts(&b, "]}}");
	cr_assert(b.data);
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "test", b.data, b.len, false, &errs, &job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "%s", json_dumps(job, 0));
	cr_assert_eq(trace_recall(e.t.c, NULL, "urn:epc:class:lgtin:0614141.107346.BIG", &r), 0);
	cr_assert(json_is_true(json_object_get(r, "truncated")));
	cr_assert_eq(json_integer_value(json_object_get(r, "total")), 3);
	same_recall(&e, NULL, "urn:epc:class:lgtin:0614141.107346.BIG", "busy tray");
	same_recall(&e, e.ent[1], "urn:epc:class:lgtin:0614141.107346.BIG", "busy tray, other tenant");
	json_decref(r);
	json_decref(job);
	trace_errors_release(&errs);
	pl_buf_release(&b);
	env_close(&e);
}
