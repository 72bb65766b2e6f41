/* test_queue.c - asynchronous capture (src/trace/queue.c) and named
 * queries (src/trace/named.c) on BOTH store drivers (tests/unit/support/
 * store_env.h: SQLite in a temp dir, PostgreSQL in a fresh schema).
 *
 * The queue: an enqueued job is pending (running, nothing stored) until a
 * worker step runs it; jobs run oldest first; a broken document becomes a
 * failed job naming its errors and stores nothing; a job another worker
 * already took is not run twice; the worker thread drains the queue, and
 * a backlog in queue order while it reads ahead.
 * Shipment parties: a registered GLN makes a shipment visible to its
 * owner, and only one enterprise may own a GLN. Subscriptions: a failed
 * push is recorded and backed off; deleting a query deletes them.
 * Named queries: a definition is checked like GET /epcis/events, names are
 * unique per owner, owners do not see each other's queries. */
#include <criterion/criterion.h>
#include <string.h>

#include "support/store_env.h"
#include "trace/trace.h"

struct env {
	struct tenv t;
	char ent[2][PL_ID_LEN + 1];
};

static void env_open(struct env *e, const struct tenv_drv *d)
{
	tenv_open_or_skip(&e->t, d->pg, "tracequeue", NULL);
	tenv_add_enterprise(&e->t, "企业一", e->ent[0]);
	tenv_add_enterprise(&e->t, "企业二", e->ent[1]);
}

static int64_t count(struct env *e, const char *sql)
{
	json_t *row = NULL;
	cr_assert_eq(store_query_one(e->t.c, sql, NULL, 0, &row), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

/* A document of n observations of serials base..base+n-1 (valid), or with
 * a bad action on the last event (broken). */
static char *doc(int base, int n, bool broken)
{
	struct pl_buf b;
	pl_buf_init(&b, 1 << 20);
	pl_buf_puts(&b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"
			"\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
			"\"2026-01-01T00:00:00Z\",\"epcisBody\":{\"eventList\":[");
	for (int i = 0; i < n; i++)
		pl_buf_printf(&b, "%s{\"type\":\"ObjectEvent\",\"action\":\"%s\",\"eventTime\":"
			      "\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\","
			      "\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.%d\"]}",
			      i ? "," : "", broken && i == n - 1 ? "JUMP" : "OBSERVE", base + i);
	pl_buf_puts(&b, "]}}");
	return pl_buf_steal(&b);
}

static json_t *enqueue(struct env *e, const char *tenant, int base, int n, bool broken)
{
	char *d = doc(base, n, broken);
	json_t *job = NULL;
	cr_assert_eq(trace_repo_enqueue(e->t.c, tenant, "test", d, strlen(d), false, &job), 0);
	free(d);
	return job;
}

static json_t *job_of(struct env *e, const char *tenant, const json_t *job)
{
	json_t *j = NULL;
	cr_assert_eq(trace_repo_job_get(e->t.c, tenant, pl_json_str(job, "captureID"), &j), 0);
	return j;
}

TENV_TEST(queue, pending_until_run_then_in_order)
{
	struct env e;
	env_open(&e, d);
	json_t *j1 = enqueue(&e, e.ent[0], 100, 3, false);
	json_t *j2 = enqueue(&e, e.ent[1], 200, 2, true);
	json_t *j3 = enqueue(&e, e.ent[0], 300, 1, false);
	cr_expect(json_is_true(json_object_get(j1, "running")));
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_capture_queue"), 3);
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_events"), 0);

	/* table: after each step, which jobs are done (oldest first) */
	const json_t *jobs[] = { j1, j2, j3 };
	const char *tenants[] = { e.ent[0], e.ent[1], e.ent[0] };
	const int64_t events_after[] = { 3, 3, 4 };
	for (int step = 0; step < 3; step++) {
		bool did = false;
		cr_assert_eq(trace_repo_work_one(e.t.c, &did), 0);
		cr_assert(did, "step %d ran a job", step);
		for (int k = 0; k < 3; k++) {
			json_t *j = job_of(&e, tenants[k], jobs[k]);
			cr_expect_eq(json_is_true(json_object_get(j, "running")), k > step,
				     "step %d job %d running", step, k);
			json_decref(j);
		}
		cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_events"), events_after[step]);
	}
	bool did = true;
	cr_assert_eq(trace_repo_work_one(e.t.c, &did), 0);
	cr_expect(!did, "an empty queue runs nothing");
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_capture_queue"), 0);

	json_t *ok = job_of(&e, e.ent[0], j1), *bad = job_of(&e, e.ent[1], j2);
	cr_expect(json_is_true(json_object_get(ok, "success")));
	cr_expect_eq(json_integer_value(json_object_get(ok, "stored")), 3);
	cr_expect(json_is_false(json_object_get(bad, "success")));
	cr_expect_eq(json_integer_value(json_object_get(bad, "stored")), 0);
	const char *msg = json_string_value(json_array_get(json_object_get(bad, "errors"), 0));
	cr_expect(msg && strstr(msg, "eventList[1].action"), "%s", msg ? msg : "(none)");
	/* tenancy of jobs: the other enterprise cannot read it */
	json_t *none = NULL;
	cr_expect_eq(trace_repo_job_get(e.t.c, e.ent[0], pl_json_str(j2, "captureID"), &none),
		     PL_ENOTFOUND);
	json_decref(ok);
	json_decref(bad);
	json_decref(j1);
	json_decref(j2);
	json_decref(j3);
	tenv_close(&e.t);
}

TENV_TEST(queue, a_job_taken_elsewhere_is_not_run_twice)
{
	struct env e;
	env_open(&e, d);
	json_t *j = enqueue(&e, e.ent[0], 400, 2, false);
	/* Another daemon's worker took it: its queue row is gone. */
	struct store_param p[] = { SP_TEXT(pl_json_str(j, "captureID")) };
	cr_assert_eq(store_exec(e.t.c, "DELETE FROM trace_capture_queue WHERE job_id = ?", p, 1,
				NULL), 0);
	bool did = true;
	cr_assert_eq(trace_repo_work_one(e.t.c, &did), 0);
	cr_expect(!did);
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_events"), 0);
	json_decref(j);
	tenv_close(&e.t);
}

TENV_TEST(queue, the_worker_thread_drains_the_queue)
{
	struct env e;
	struct trace_worker *w = NULL;
	env_open(&e, d);
	json_t *j = enqueue(&e, e.ent[0], 500, 5, false);
	cr_assert_eq(trace_worker_start(e.t.st, NULL, &w), 0);
	json_t *done = NULL;
	/* waits on the job's state in the store (bounded), not a guessed time */
	cr_assert_eq(trace_repo_job_wait(e.t.st, e.ent[0], pl_json_str(j, "captureID"), 20000,
					 &done), 0);
	trace_worker_stop(w);
	cr_expect(json_is_false(json_object_get(done, "running")));
	cr_expect_eq(json_integer_value(json_object_get(done, "stored")), 5);
	json_decref(done);
	json_decref(j);
	tenv_close(&e.t);
}

/* A backlog through the worker thread, which reads and prepares the next
 * job while it writes one (queue.c note 7): every job gets its outcome,
 * a broken one in the middle fails alone, and the jobs are written in the
 * order they were queued - each job's events carry record times no
 * earlier than the job's before it. */
TENV_TEST(queue, the_worker_writes_a_backlog_in_queue_order)
{
	enum { JOBS = 8, EVENTS = 60, BROKEN = 3 };
	struct env e;
	struct trace_worker *w = NULL;
	json_t *jobs[JOBS];
	env_open(&e, d);
	for (int i = 0; i < JOBS; i++)
		jobs[i] = enqueue(&e, e.ent[i % 2], 1000 + i * EVENTS, EVENTS, i == BROKEN);
	cr_assert_eq(trace_worker_start(e.t.st, NULL, &w), 0);
	json_t *last = NULL;
	cr_assert_eq(trace_repo_job_wait(e.t.st, e.ent[(JOBS - 1) % 2],
					 pl_json_str(jobs[JOBS - 1], "captureID"), 30000, &last), 0);
	trace_worker_stop(w);
	json_decref(last);

	int64_t prev_hi = INT64_MIN;
	for (int i = 0; i < JOBS; i++) {
		json_t *j = job_of(&e, e.ent[i % 2], jobs[i]);
		cr_expect(json_is_false(json_object_get(j, "running")), "job %d still running", i);
		cr_expect_eq(json_is_true(json_object_get(j, "success")), i != BROKEN, "job %d", i);
		cr_expect_eq(json_integer_value(json_object_get(j, "stored")),
			     i == BROKEN ? 0 : EVENTS, "job %d stored", i);
		json_decref(j);
		if (i == BROKEN)
			continue;
		struct store_param p[] = { SP_TEXT(pl_json_str(jobs[i], "captureID")) };
		json_t *row = NULL;
		cr_assert_eq(store_query_one(e.t.c, "SELECT min(record_time_ms) AS lo, "
					     "max(record_time_ms) AS hi FROM trace_events "
					     "WHERE capture_id = ?", p, 1, &row), 0);
		int64_t lo = json_integer_value(json_object_get(row, "lo"));
		cr_expect_geq(lo, prev_hi, "job %d written before the job queued ahead of it", i);
		prev_hi = json_integer_value(json_object_get(row, "hi"));
		json_decref(row);
	}
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_capture_queue"), 0);
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_events"), (JOBS - 1) * EVENTS);
	for (int i = 0; i < JOBS; i++)
		json_decref(jobs[i]);
	tenv_close(&e.t);
}

/* ------------------------------------------------------- named queries */

TENV_TEST(named, create_list_get_delete_and_owners)
{
	struct env e;
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	struct trace_query_error qe;
	env_open(&e, d);
	cr_assert_eq(trace_repo_token_key(e.t.c, key), 0);

	static const struct {
		const char *name, *def;
		int rc;
	} cases[] = {
		{ "shipments", "{\"EQ_bizStep\": [\"shipping\", \"receiving\"], \"eventType\": "
			       "\"ObjectEvent\"}", 0 },
		{ "shipments", "{\"eventType\": [\"ObjectEvent\"]}", PL_EEXIST },
		{ "bad-action", "{\"EQ_action\": [\"JUMP\"]}", PL_EINVAL },
		{ "paged", "{\"perPage\": 5}", PL_EINVAL },
		{ "pipe", "{\"eventType\": [\"A|B\"]}", PL_EINVAL },
		{ "not/a/name", "{\"eventType\": \"ObjectEvent\"}", PL_EINVAL },
		{ "", "{\"eventType\": \"ObjectEvent\"}", PL_EINVAL },
		{ "limit", "{\"eventCountLimit\": 5, \"orderBy\": \"eventTime\"}", 0 },
		{ "number", "{\"eventType\": 5}", PL_EINVAL },
		{ "list", "[]", PL_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *def = json_loads(cases[i].def, 0, NULL);
		cr_assert(def);
		int rc = trace_named_create(e.t.c, e.ent[0], "test", cases[i].name, def, key, &qe);
		cr_expect_eq(rc, cases[i].rc, "case %zu (%s): %s (%s)", i, cases[i].name,
			     pl_strerror(rc), qe.text);
		json_decref(def);
	}
	json_t *list = NULL;
	cr_assert_eq(trace_named_list(e.t.c, e.ent[0], &list), 0);
	cr_expect_eq(json_array_size(list), 2);
	cr_expect_str_eq(pl_json_str(json_array_get(list, 0), "name"), "limit");
	json_decref(list);
	cr_assert_eq(trace_named_list(e.t.c, e.ent[1], &list), 0);
	cr_expect_eq(json_array_size(list), 0, "another enterprise sees none");
	json_decref(list);
	cr_assert_eq(trace_named_list(e.t.c, NULL, &list), 0);
	cr_expect_eq(json_array_size(list), 0, "the park namespace is separate");
	json_decref(list);

	json_t *q = NULL;
	cr_assert_eq(trace_named_get(e.t.c, e.ent[0], "shipments", &q), 0);
	struct pl_arena *a = pl_arena_new(1 << 16);
	struct trace_query_param *params;
	size_t n;
	cr_assert_eq(trace_named_params(json_object_get(q, "query"), a, &params, &n, &qe), 0);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(params[i].name, "EQ_bizStep"))
			cr_expect_str_eq(params[i].value, "shipping|receiving");
	pl_arena_free(a);
	json_decref(q);
	cr_expect_eq(trace_named_get(e.t.c, e.ent[1], "shipments", &q), PL_ENOTFOUND);
	cr_expect_eq(trace_named_delete(e.t.c, e.ent[1], "shipments"), PL_ENOTFOUND);
	cr_expect_eq(trace_named_delete(e.t.c, e.ent[0], "shipments"), 0);
	cr_expect_eq(trace_named_get(e.t.c, e.ent[0], "shipments", &q), PL_ENOTFOUND);
	tenv_close(&e.t);
}

/* ------------------------------------------- shipment parties (party.c) */

TENV_TEST(party, both_parties_of_a_shipment_see_it)
{
	struct env e;
	char canon[TRACE_ID_MAX];
	env_open(&e, d);
	/* enterprise 0 ships to the PGLN 0614141.00002.0 and keeps one event
	 * to itself */
	const char *text =
		"{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context.jsonld\"],"
		"\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
		"\"2026-01-01T00:00:00Z\",\"epcisBody\":{\"eventList\":["
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"bizStep\":\"shipping\","
		"\"eventTime\":\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\","
		"\"epcList\":[\"urn:epc:id:sscc:0614141.1234567890\"],\"destinationList\":"
		"[{\"type\":\"owning_party\",\"destination\":\"urn:epc:id:pgln:0614141.00002\"}]},"
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"bizStep\":\"packing\","
		"\"eventTime\":\"2026-01-01T09:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\","
		"\"epcList\":[\"urn:epc:id:sscc:0614141.1234567890\"]}]}}";
	struct trace_errors errs;
	json_t *job = NULL;
	trace_errors_init(&errs);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "t", text, strlen(text), false, &errs,
					&job), 0);
	trace_errors_release(&errs);
	json_decref(job);

	/* table: registration attempts in order */
	static const struct {
		int who;
		const char *gln;
		int rc;
	} regs[] = {
		{ 1, "urn:epc:id:pgln:0614141.00002", 0 },
		{ 1, "https://id.gs1.org/417/0614141000029", 0 },          /* same GLN again: no-op */
		{ 0, "urn:epc:id:pgln:0614141.00002", PL_EEXIST },         /* not a second owner */
		{ 0, "urn:epc:id:sgtin:0614141.107346.1", PL_EINVAL },     /* not a GLN */
		{ 0, "https://id.gs1.org/417/0614141000028", PL_EINVAL },  /* check digit */
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		cr_expect_eq(trace_party_add(e.t.c, e.ent[regs[i].who], regs[i].gln, canon), regs[i].rc,
			     "registration %zu", i);

	json_t *types = NULL;
	cr_assert_eq(trace_repo_event_types(e.t.c, e.ent[1], &types), 0);
	cr_expect_eq(json_array_size(types), 1, "enterprise 1 sees the shipment only");
	json_decref(types);
	json_t *walk = NULL;
	cr_assert_eq(trace_walk(e.t.c, e.ent[1], "urn:epc:id:sscc:0614141.1234567890",
				TRACE_WALK_BACKWARD, &walk), 0);
	cr_expect_eq(json_array_size(json_object_get(walk, "events")), 1);
	json_decref(walk);
	cr_assert_eq(trace_walk(e.t.c, e.ent[0], "urn:epc:id:sscc:0614141.1234567890",
				TRACE_WALK_BACKWARD, &walk), 0);
	cr_expect_eq(json_array_size(json_object_get(walk, "events")), 2);
	json_decref(walk);
	tenv_close(&e.t);
}

/* ------------------------------------------ subscriptions (subscribe.c) */

TENV_TEST(subscribe, a_failed_push_is_recorded_and_retried_later)
{
	struct env e;
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	struct trace_query_error qe;
	json_t *def = json_pack("{s:[s]}", "eventType", "ObjectEvent"), *sub = NULL, *list = NULL;
	env_open(&e, d);
	cr_assert_eq(trace_repo_token_key(e.t.c, key), 0);
	cr_assert_eq(trace_named_create(e.t.c, e.ent[0], "t", "all", def, key, &qe), 0);
	/* port 9 on loopback: nothing listens (discard service is never run here) */
	json_t *body = json_pack("{s:s, s:b, s:b, s:s}", "dest", "http://127.0.0.1:9/hook",
				 "reportIfEmpty", 1, "stream", 1, "initialRecordTime",
				 "2020-01-01T00:00:00Z");
	cr_assert_eq(trace_sub_create(e.t.c, e.ent[0], "t", "all", body, &sub, &qe), 0, "%s", qe.text);
	json_t *other = NULL;
	cr_expect_eq(trace_sub_create(e.t.c, e.ent[1], "t", "all", body, &other, &qe), PL_ENOTFOUND,
		     "another enterprise cannot subscribe to it");
	cr_expect_null(other);
	/* a stream is due at once; reportIfEmpty makes it push an empty report */
	int ran = 0;
	cr_assert_eq(trace_sub_run_due(e.t.c, &ran), 0);
	cr_assert_eq(ran, 1);
	cr_assert_eq(trace_sub_list(e.t.c, e.ent[0], "all", &list), 0);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(list, 0), "failedAttempts")), 1);
	cr_expect(json_is_string(json_object_get(json_array_get(list, 0), "lastError")));
	cr_expect(json_is_null(json_object_get(json_array_get(list, 0), "lastDeliveryAt")));
	/* not due again at once: the retry waits (backoff) */
	cr_assert_eq(trace_sub_run_due(e.t.c, &ran), 0);
	cr_expect_eq(ran, 0);
	json_decref(list);
	/* deleting the query takes its subscriptions with it */
	cr_expect_eq(trace_named_delete(e.t.c, e.ent[0], "all"), 0);
	cr_expect_eq(count(&e, "SELECT count(*) AS n FROM trace_subscriptions"), 0);
	json_decref(sub);
	json_decref(body);
	json_decref(def);
	tenv_close(&e.t);
}
