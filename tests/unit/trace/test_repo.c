/* test_repo.c - the EPCIS repository (src/trace/repo.c) on BOTH store
 * drivers: SQLite in a temp dir, PostgreSQL in a fresh schema on the server
 * named by PARKLINE_TEST_PG (tests/steps/20-unit.sh starts one). Without
 * it the PostgreSQL cases skip, but FAIL when CI=true or PL_REQUIRE_PG=1.
 *
 * Published data first: every GS1 example document in
 * $PL_SHARED/data/epcis/examples (PL_SHARED defaults to ../shared) must
 * capture, and each event must read back equal to what was sent, modulo
 * the recordTime and eventID the repository adds. Then the rules: a
 * duplicate capture stores nothing twice, a bad document stores nothing,
 * an eventID reused with other content is refused, tenants see only their
 * own events and jobs, and paging visits every event exactly once. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/store_env.h"
#include "trace/trace.h"

/* One test's store (tests/unit/support/store_env.h) with two enterprises
 * of its own. */
struct env {
	struct tenv t;
	char ent[2][PL_ID_LEN + 1];
};

/* A migrated store with two enterprises, and one connection taken (e->t.c). */
static void env_open(struct env *e, const struct tenv_drv *d)
{
	tenv_open_or_skip(&e->t, d->pg, "trace", NULL);
	tenv_add_enterprise(&e->t, "企业一", e->ent[0]);
	tenv_add_enterprise(&e->t, "企业二", e->ent[1]);
}

static void env_close(struct env *e)
{
	tenv_close(&e->t);
}

static int64_t count(struct env *e, const char *table)
{
	char sql[128];
	json_t *row = NULL;
	pl_fmt(sql, sizeof(sql), "SELECT count(*) AS n FROM %s", table);
	cr_assert_eq(store_query_one(e->t.c, sql, NULL, 0, &row), 0);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

/* Captures text for tenant; returns the job (caller decrefs). */
static json_t *capture(struct env *e, const char *tenant, const char *text)
{
	struct trace_errors errs;
	json_t *job = NULL;
	trace_errors_init(&errs);
	int rc = trace_repo_capture(e->t.c, tenant, "test", text, strlen(text), false, &errs, &job);
	cr_assert_eq(rc, 0, "capture: %s (%s)", pl_strerror(rc), errs.n ? errs.msg[0] : "");
	trace_errors_release(&errs);
	return job;
}

static char *doc_of(const char *events_json)
{
	struct pl_buf b;
	pl_buf_init(&b, 1 << 20);
	pl_buf_printf(&b, "{\"@context\":[\"https://ref.gs1.org/standards/epcis/epcis-context."
		      "jsonld\"],\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\","
		      "\"creationDate\":\"2026-01-01T00:00:00Z\",\"epcisBody\":{\"eventList\":%s}}",
		      events_json);
	return pl_buf_steal(&b);
}

/* An ObjectEvent observing one SGTIN at minute m. */
static char *obs(int serial, int m)
{
	char *s = NULL;
	cr_assert(asprintf(&s, "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\","
			   "\"eventTime\":\"2026-01-01T10:%02d:00Z\",\"eventTimeZoneOffset\":"
			   "\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.%d\"]}",
			   m, serial) > 0);
	return s;
}

/* ------------------------------------------------- the GS1 examples */

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = pl_malloc((size_t)n + 1);
	*len = fread(*out, 1, (size_t)n, f);
	(*out)[*len] = 0;
	fclose(f);
	return 0;
}

/* Every *.jsonld under dir (recursively) into paths[*n]. */
static void list_examples(const char *dir, char paths[][512], size_t *n, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	cr_assert_not_null(d, "cannot open %s (set PL_SHARED)", dir);
	while ((de = readdir(d))) {
		char p[512];
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		pl_fmt(p, sizeof(p), "%.300s/%.200s", dir, de->d_name);
		if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			list_examples(p, paths, n, max);
			continue;
		}
		size_t l = strlen(p);
		if (l > 7 && !strcmp(p + l - 7, ".jsonld") && *n < max)
			pl_strlcpy(paths[(*n)++], p, 512);
	}
	closedir(d);
}

TENV_TEST_OPTS(repo, examples_capture_and_read_back, .timeout = 300)
{
	static char paths[128][512];
	const char *shared = getenv("PL_SHARED") ? getenv("PL_SHARED") : "../shared";
	char dir[400];
	size_t n = 0, events = 0;
	struct env e;

	pl_fmt(dir, sizeof(dir), "%.300s/data/epcis/examples", shared);
	list_examples(dir, paths, &n, 128);
	cr_assert_geq(n, 40, "found %zu example documents in %s", n, dir);
	env_open(&e, d);
	for (size_t i = 0; i < n; i++) {
		char *text;
		size_t len;
		struct trace_errors errs;
		json_t *doc = NULL;
		cr_assert_eq(read_file(paths[i], &text, &len), 0);
		trace_errors_init(&errs);
		cr_assert_eq(trace_doc_validate(text, len, &doc, &errs), 0, "%s: %s", paths[i],
			     errs.n ? errs.msg[0] : "");
		trace_errors_release(&errs);
		/* Each document goes to an enterprise of its own: the examples
		 * are independent, and some reuse another's eventID for other
		 * content, which one tenant rightly refuses (see the test
		 * event_id_reused_with_other_content_is_refused). */
		char ent[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
		pl_id_new(ent);
		pl_time_format(pl_time_now_ms(), now);
		struct store_param ep[] = { SP_TEXT(ent), SP_TEXT("示例"), SP_TEXT(now), SP_TEXT(now) };
		cr_assert_eq(store_exec(e.t.c, "INSERT INTO enterprises (id, name_zh, created_at, "
					"updated_at) VALUES (?, ?, ?, ?)", ep, 4, NULL), 0);
		json_t *job = capture(&e, ent, text);
		cr_assert(json_is_true(json_object_get(job, "success")), "%s: %s", paths[i],
			  json_dumps(json_object_get(job, "errors"), 0));
		const json_t *evs = trace_doc_events(doc), *ctx = json_object_get(doc, "@context");
		for (size_t k = 0; k < json_array_size(evs); k++) {
			json_t *ev = json_deep_copy(json_array_get(evs, k)), *got = NULL;
			char hash[TRACE_HASH_STRLEN];
			cr_assert_eq(trace_event_hash(ev, ctx, hash), 0);
			const char *id = pl_json_str(ev, "eventID") ? pl_json_str(ev, "eventID") : hash;
			cr_assert_eq(trace_repo_event_get(e.t.c, ent, id, &got, NULL), 0,
				     "%s event %zu (%s) not found", paths[i], k, id);
			cr_assert_str_eq(pl_json_str(got, "eventID"), id);
			cr_assert_not_null(pl_json_str(got, "recordTime"));
			json_object_del(got, "recordTime");
			json_object_del(got, "eventID");
			json_object_del(ev, "eventID");
			json_object_del(ev, "recordTime"); /* the repository sets it */
			cr_assert(json_equal(ev, got), "%s event %zu reads back different", paths[i], k);
			events++;
			json_decref(ev);
			json_decref(got);
		}
		json_decref(job);
		json_decref(doc);
		free(text);
	}
	cr_assert_geq(events, 50);
	env_close(&e);
}

/* ------------------------------------------------------------ the rules */

/* Migration 19 dropped the single-column event_id and hash indexes: an
 * event is still found by its eventID and by the 64 hex digits of its CBV
 * hash, only by those who may see it, and EQ_eventID still selects it. */
TENV_TEST(repo, event_found_by_id_and_hash_through_unique_indexes)
{
	struct env e;
	char ev[512], hash[TRACE_HASH_STRLEN];
	env_open(&e, d);
	pl_fmt(ev, sizeof(ev), "[{\"type\":\"ObjectEvent\",\"eventID\":\"urn:uuid:0c7d1a52-"
	       "4f2e-4a77-9d2a-1b0c7e0f1901\",\"action\":\"OBSERVE\",\"eventTime\":"
	       "\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
	       "[\"urn:epc:id:sgtin:0614141.107346.1901\"]}]");
	char *doc = doc_of(ev), *plain = obs(1902, 3), *doc2 = doc_of(plain);
	json_t *j = capture(&e, e.ent[0], doc), *j2 = capture(&e, e.ent[0], doc2);
	json_t *stored = NULL;
	cr_assert_eq(trace_repo_event_get(e.t.c, e.ent[0], "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-"
					  "1b0c7e0f1901", &stored, NULL), 0);
	/* the digest of the stored event's hash (it has an eventID of its own) */
	json_t *one = json_loads(ev, 0, NULL);
	json_t *ctx = json_pack("[s]", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld");
	cr_assert_eq(trace_event_hash(json_array_get(one, 0), ctx, hash), 0);
	char hex[65];
	const char *semi = strchr(hash, ';');
	cr_assert_not_null(semi);
	pl_strlcpy(hex, semi + 1, sizeof(hex));
	struct { const char *id; const char *tenant; int want; const char *event_id; } cases[] = {
		{ "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901", NULL, 0,
		  "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901" },
		{ hex, e.ent[0], 0, "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901" },
		{ hex, NULL, 0, "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901" },
		{ hex, e.ent[1], PL_ENOTFOUND, NULL },
		{ "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901", e.ent[1], PL_ENOTFOUND, NULL },
		{ "urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1999", NULL, PL_ENOTFOUND, NULL },
		{ "0000000000000000000000000000000000000000000000000000000000000000", NULL,
		  PL_ENOTFOUND, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *got = NULL;
		int rc = trace_repo_event_get(e.t.c, cases[i].tenant, cases[i].id, &got, NULL);
		cr_expect_eq(rc, cases[i].want, "case %zu: %s", i, pl_strerror(rc));
		if (cases[i].event_id && got)
			cr_expect_str_eq(pl_json_str(got, "eventID"), cases[i].event_id, "case %zu", i);
		json_decref(got);
	}
	/* EQ_eventID: the owner sees it, the other enterprise does not */
	struct trace_query q;
	struct trace_query_error qerr;
	struct trace_query_param qp = { "EQ_eventID",
					"urn:uuid:0c7d1a52-4f2e-4a77-9d2a-1b0c7e0f1901" };
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	char tok[TRACE_TOKEN_MAX];
	json_t *events = NULL, *contexts = NULL;
	cr_assert_eq(trace_repo_token_key(e.t.c, key), 0);
	struct pl_arena *a = pl_arena_new(1 << 20);
	cr_assert_eq(trace_query_parse(&qp, 1, key, a, &q, &qerr), 0, "%s", qerr.text);
	cr_assert_eq(trace_repo_query(e.t.c, e.ent[0], &q, key, a, &events, &contexts, tok), 0);
	cr_expect_eq(json_array_size(events), 1);
	json_decref(events);
	json_decref(contexts);
	cr_assert_eq(trace_repo_query(e.t.c, e.ent[1], &q, key, a, &events, &contexts, tok), 0);
	cr_expect_eq(json_array_size(events), 0, "another enterprise's event by EQ_eventID");
	json_decref(events);
	json_decref(contexts);
	pl_arena_free(a);
	json_decref(ctx);
	json_decref(one);
	json_decref(stored);
	json_decref(j);
	json_decref(j2);
	free(doc);
	free(doc2);
	free(plain);
	env_close(&e);
}

TENV_TEST(repo, duplicate_capture_stores_once)
{
	struct env e;
	char *a = obs(1, 1), *b = obs(2, 2), list[1024];
	env_open(&e, d);
	pl_fmt(list, sizeof(list), "[%s,%s,%s]", a, b, a); /* a twice in one document too */
	char *doc = doc_of(list);
	json_t *j1 = capture(&e, e.ent[0], doc), *j2 = capture(&e, e.ent[0], doc);
	cr_assert_eq(json_integer_value(json_object_get(j1, "stored")), 2);
	cr_assert_eq(json_integer_value(json_object_get(j1, "duplicates")), 1);
	cr_assert_eq(json_integer_value(json_object_get(j2, "stored")), 0);
	cr_assert_eq(json_integer_value(json_object_get(j2, "duplicates")), 3);
	cr_assert_eq(count(&e, "trace_events"), 2);
	cr_assert_eq(count(&e, "trace_event_epcs"), 2);
	/* The other tenant capturing the same events gets its own rows. */
	json_t *j3 = capture(&e, e.ent[1], doc);
	cr_assert_eq(json_integer_value(json_object_get(j3, "stored")), 2);
	cr_assert_eq(count(&e, "trace_events"), 4);
	json_decref(j1);
	json_decref(j2);
	json_decref(j3);
	free(doc);
	free(a);
	free(b);
	env_close(&e);
}

TENV_TEST(repo, bad_documents_store_nothing)
{
	static const struct { const char *events; const char *error; } cases[] = {
		/* second event breaks a rule: the first must not be stored */
		{ "{\"type\":\"ObjectEvent\",\"action\":\"JUMP\",\"eventTime\":"
		  "\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[]}",
		  "eventList[1].action" },
		/* a bad SGTIN check digit (Digital Link) */
		{ "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		  "\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		  "[\"https://id.gs1.org/01/09521568251205/21/x\"]}", "eventList[1]" },
		/* bizStep neither a CBV word nor a URI */
		{ "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		  "\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		  "[\"urn:epc:id:sgtin:0614141.107346.9\"],\"bizStep\":\"transforming\"}",
		  "eventList[1].bizStep" },
	};
	struct env e;
	char *a = obs(1, 1);
	env_open(&e, d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char list[2048];
		pl_fmt(list, sizeof(list), "[%s,%s]", a, cases[i].events);
		char *doc = doc_of(list);
		json_t *job = capture(&e, e.ent[0], doc), *again = NULL;
		cr_assert(json_is_false(json_object_get(job, "success")), "case %zu", i);
		char *errs = json_dumps(json_object_get(job, "errors"), 0);
		cr_assert(strstr(errs, cases[i].error), "case %zu: %s", i, errs);
		cr_assert_eq(count(&e, "trace_events"), 0, "case %zu stored events", i);
		/* the job row is kept and reports the same errors */
		cr_assert_eq(trace_repo_job_get(e.t.c, e.ent[0], pl_json_str(job, "captureID"), &again), 0);
		cr_assert(json_equal(json_object_get(job, "errors"), json_object_get(again, "errors")));
		free(errs);
		free(doc);
		json_decref(job);
		json_decref(again);
	}
	/* Unreadable documents: no job at all. */
	struct trace_errors te;
	json_t *job = NULL;
	trace_errors_init(&te);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "t", "{not json", 9, false, &te, &job),
		     PL_EPARSE);
	cr_assert_null(job);
	trace_errors_release(&te);
	cr_assert_eq(count(&e, "trace_capture_jobs"), 3);
	free(a);
	env_close(&e);
}

TENV_TEST(repo, event_id_reused_with_other_content_is_refused)
{
	struct env e;
#define REUSED(serial) "[{\"type\":\"ObjectEvent\",\"eventID\":\"urn:uuid:7a1e3f1c-0e7b-4d0b-" \
	"9d59-2d3c3a9f0c11\",\"action\":\"OBSERVE\",\"eventTime\":" \
	"\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":" \
	"[\"urn:epc:id:sgtin:0614141.107346." serial "\"]}]"
	const char *l1 = REUSED("1"), *l2 = REUSED("2");
	env_open(&e, d);
	char *d1 = doc_of(l1), *d2 = doc_of(l2);
	json_t *j1 = capture(&e, e.ent[0], d1), *j2 = capture(&e, e.ent[0], d2);
	cr_assert(json_is_true(json_object_get(j1, "success")));
	cr_assert(json_is_false(json_object_get(j2, "success")));
	char *errs = json_dumps(json_object_get(j2, "errors"), 0);
	cr_assert(strstr(errs, "eventList[0].eventID"), "%s", errs);
	cr_assert_eq(count(&e, "trace_events"), 1);
	free(errs);
	free(d1);
	free(d2);
	json_decref(j1);
	json_decref(j2);
	env_close(&e);
}

/* Runs a query given as name=value pairs. */
static int run_query(struct env *e, const char *tenant, const struct trace_query_param *p,
		     size_t n, json_t **events, char next[TRACE_TOKEN_MAX])
{
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	struct trace_query q;
	struct trace_query_error qe;
	struct pl_arena *a = pl_arena_new(1 << 20);
	cr_assert_eq(trace_repo_token_key(e->t.c, key), 0);
	int rc = trace_query_parse(p, n, key, a, &q, &qe);
	json_t *ctx = NULL;
	if (rc == 0)
		rc = trace_repo_query(e->t.c, tenant, &q, key, a, events, &ctx, next);
	json_decref(ctx);
	pl_arena_free(a);
	return rc;
}

TENV_TEST(repo, tenancy_and_paging)
{
	struct env e;
	struct pl_buf l;
	char next[TRACE_TOKEN_MAX];
	json_t *evs = NULL, *seen = json_object();
	env_open(&e, d);
	pl_buf_init(&l, 1 << 20);
	pl_buf_puts(&l, "[");
	for (int i = 0; i < 7; i++) {
		char *o = obs(100 + i, i);
		pl_buf_printf(&l, "%s%s", i ? "," : "", o);
		free(o);
	}
	pl_buf_puts(&l, "]");
	char *doc = doc_of(l.data);
	json_t *job = capture(&e, e.ent[0], doc), *other = NULL;
	/* another tenant sees neither the events nor the job */
	struct trace_query_param all[] = { { "eventType", "ObjectEvent" } };
	cr_assert_eq(run_query(&e, e.ent[1], all, 1, &evs, next), 0);
	cr_assert_eq(json_array_size(evs), 0);
	json_decref(evs);
	cr_assert_eq(trace_repo_job_get(e.t.c, e.ent[1], pl_json_str(job, "captureID"), &other),
		     PL_ENOTFOUND);
	/* paging, 3 per page, visits each of the 7 once and ends */
	int pages = 0;
	next[0] = 0;
	do {
		char tok[TRACE_TOKEN_MAX];
		pl_strlcpy(tok, next, sizeof(tok));
		struct trace_query_param p[] = { { "perPage", "3" }, { "nextPageToken", tok } };
		cr_assert_eq(run_query(&e, e.ent[0], p, tok[0] ? 2 : 1, &evs, next), 0);
		for (size_t i = 0; i < json_array_size(evs); i++) {
			const char *id = pl_json_str(json_array_get(evs, i), "eventID");
			cr_assert_null(json_object_get(seen, id), "event %s twice", id);
			json_object_set_new(seen, id, json_true());
		}
		json_decref(evs);
		pages++;
	} while (next[0] && pages < 10);
	cr_assert_eq(pages, 3);
	cr_assert_eq(json_object_size(seen), 7);
	/* a filter: MATCH_epc matches the one event naming that SGTIN */
	struct trace_query_param m[] = { { "MATCH_epc", "urn:epc:id:sgtin:0614141.107346.103" } };
	cr_assert_eq(run_query(&e, e.ent[0], m, 1, &evs, next), 0);
	cr_assert_eq(json_array_size(evs), 1);
	json_decref(evs);
	/* maxEventCount exceeded: QueryTooLargeException */
	struct trace_query_param x[] = { { "maxEventCount", "5" } };
	cr_assert_eq(run_query(&e, e.ent[0], x, 1, &evs, next), PL_ETOOBIG);
	/* a token from elsewhere is refused */
	struct trace_query_param t[] = { { "nextPageToken", "AAAA" } };
	cr_assert_eq(run_query(&e, e.ent[0], t, 1, &evs, next), PL_EINVAL);
	json_decref(seen);
	json_decref(job);
	free(doc);
	pl_buf_release(&l);
	env_close(&e);
}

/* The XML binding: a GS1 example written as EPCIS 2.0 XML (xmlout.c)
 * captures through the XML reader into the same events, so the hash
 * deduplicates it against the JSON-LD capture of the same document, and
 * the query document carries the example's extension @context. */
TENV_TEST(repo, xml_capture_reads_back)
{
	const char *shared = getenv("PL_SHARED") ? getenv("PL_SHARED") : "../shared";
	char path[512], *text;
	size_t len;
	struct trace_errors errs;
	struct pl_buf xml;
	json_t *doc = NULL, *job = NULL, *jj = NULL;
	struct env e;

	pl_fmt(path, sizeof(path), "%.300s/data/epcis/examples/Example_9.6.1-ObjectEvent.jsonld",
	       shared);
	cr_assert_eq(read_file(path, &text, &len), 0, "%s", path);
	trace_errors_init(&errs);
	cr_assert_eq(trace_doc_validate(text, len, &doc, &errs), 0);
	pl_buf_init(&xml, 1 << 22);
	cr_assert_eq(trace_doc_to_xml(doc, &xml), 0);
	env_open(&e, d);
	cr_assert_eq(trace_repo_capture(e.t.c, e.ent[0], "t", xml.data, xml.len, true, &errs, &job), 0);
	cr_assert(json_is_true(json_object_get(job, "success")), "%s",
		  json_dumps(json_object_get(job, "errors"), 0));
	size_t n = json_array_size(trace_doc_events(doc));
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), (json_int_t)n);
	jj = capture(&e, e.ent[0], text);
	cr_assert_eq(json_integer_value(json_object_get(jj, "duplicates")), (json_int_t)n,
		     "JSON-LD and XML forms of one event must hash alike");
	json_t *evs = NULL, *ctx = NULL;
	char next[TRACE_TOKEN_MAX];
	unsigned char key[TRACE_TOKEN_KEY_BYTES];
	struct trace_query q = { .per_page = 100 };
	cr_assert_eq(trace_repo_token_key(e.t.c, key), 0);
	cr_assert_eq(trace_repo_query(e.t.c, e.ent[0], &q, key, NULL, &evs, &ctx, next), 0);
	cr_assert_eq(json_array_size(evs), n);
	cr_assert_geq(json_array_size(ctx), 1, "the example's extension context is kept");
	json_decref(evs);
	json_decref(ctx);
	json_decref(jj);
	json_decref(job);
	json_decref(doc);
	pl_buf_release(&xml);
	trace_errors_release(&errs);
	free(text);
	env_close(&e);
}

/* The stored body is serialised before the transaction with a placeholder
 * recordTime that is overwritten in place (repo.c note 8). Each event must
 * read back with the recordTime of its row and its own content intact,
 * both on that path and on the fallback taken when an event quotes the
 * placeholder itself (as a nested recordTime or an extension value). */
TENV_TEST(repo, body_record_time_is_the_rows)
{
	static const char *const events[] = {
		/* the common path: the placeholder is patched */
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		"\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		"[\"urn:epc:id:sgtin:0614141.107346.71\"]}",
		/* a client recordTime: replaced, its position kept */
		"{\"type\":\"ObjectEvent\",\"recordTime\":\"2020-01-01T00:00:00.000Z\",\"action\":"
		"\"OBSERVE\",\"eventTime\":\"2026-01-01T10:01:00Z\",\"eventTimeZoneOffset\":\"+00:00\","
		"\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.72\"]}",
		/* the placeholder quoted by the event: the fallback path */
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		"\"2026-01-01T10:02:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		"[\"urn:epc:id:sgtin:0614141.107346.73\"],\"https://ns.example/note\":"
		"\"0000-00-00T00:00:00.000!\"}",
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		"\"2026-01-01T10:03:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		"[\"urn:epc:id:sgtin:0614141.107346.74\"],\"https://ns.example/x\":"
		"{\"recordTime\":\"0000-00-00T00:00:00.000!\"}}",
	};
	struct env e;
	struct pl_buf list;
	env_open(&e, d);
	pl_buf_init(&list, 1 << 16);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		pl_buf_printf(&list, "%s%s", i ? "," : "[", events[i]);
	pl_buf_puts(&list, "]");
	char *doc = doc_of(list.data);
	json_t *job = capture(&e, e.ent[0], doc);
	cr_assert(json_is_true(json_object_get(job, "success")));
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), 4);
	struct store_rows *r = NULL;
	cr_assert_eq(store_query(e.t.c, "SELECT record_time, body_json, event_time_ms FROM "
				 "trace_events ORDER BY event_time_ms", NULL, 0, &r), 0);
	size_t i = 0;
	while (store_rows_next(r) == 1) {
		cr_assert_lt(i, 4);
		json_t *got = json_loads(store_rows_text(r, 1), 0, NULL), *want;
		cr_assert_not_null(got);
		cr_expect_str_eq(pl_json_str(got, "recordTime"), store_rows_text(r, 0),
				 "event %zu: the body's recordTime is the row's", i);
		cr_expect_neq(strcmp(store_rows_text(r, 0), "0000-00-00T00:00:00.000!"), 0);
		want = json_loads(events[i], 0, NULL);
		json_object_set(want, "recordTime", json_object_get(got, "recordTime"));
		json_object_set(want, "eventID", json_object_get(got, "eventID"));
		cr_expect(json_equal(got, want), "event %zu: %s", i, store_rows_text(r, 1));
		/* the key order of the stored text: recordTime where the client
		 * had it, else after the event's own members and eventID */
		const char *text = store_rows_text(r, 1);
		const char *rt = NULL;
		for (const char *at = text; (at = strstr(at, "\"recordTime\":\"20")); at++)
			rt = at; /* the top-level one: the last with a real time */
		cr_assert_not_null(rt);
		if (i == 1)
			cr_expect(rt < strstr(text, "\"action\""), "%s", text);
		else
			cr_expect(rt > strstr(text, "\"eventID\""), "%s", text);
		json_decref(want);
		json_decref(got);
		i++;
	}
	cr_expect_eq(i, 4);
	store_rows_free(r);
	json_decref(job);
	free(doc);
	pl_buf_release(&list);
	env_close(&e);
}

/* ------------------------------------------ hash-keyed events (note 9) */

/* The CBV hash of the one event in the JSON text ev (standard context). */
static void hash_of(const char *ev, char hash[TRACE_HASH_STRLEN])
{
	json_t *one = json_loads(ev, 0, NULL);
	json_t *ctx = json_pack("[s]", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld");
	cr_assert_not_null(one);
	cr_assert_eq(trace_event_hash(one, ctx, hash), 0);
	json_decref(ctx);
	json_decref(one);
}

/* "one eventID, one content" across the two ways an eventID is kept: a
 * client eventID in event_id, a hash-keyed event's in hash (repo.c note
 * 9). Each case captures first, then second, into a fresh store; second
 * must be refused naming eventList[0].eventID and store nothing, or be
 * a duplicate. Each case runs twice: with first's hash row still pending,
 * and moved into trace_event_hashes (note 11). */
TENV_TEST(repo, event_id_one_content_across_hash_keyed_rows)
{
#define OBS_EV(id_member, serial) "{\"type\":\"ObjectEvent\"" id_member ",\"action\":\"OBSERVE\"," \
	"\"eventTime\":\"2026-01-01T10:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":" \
	"[\"urn:epc:id:sgtin:0614141.107346." serial "\"]}"
	char h1[TRACE_HASH_STRLEN], with_h1[512], other_with_h1[512];
	hash_of(OBS_EV("", "81"), h1);
	pl_fmt(with_h1, sizeof(with_h1), OBS_EV(",\"eventID\":\"%s\"", "81"), h1);
	pl_fmt(other_with_h1, sizeof(other_with_h1), OBS_EV(",\"eventID\":\"%s\"", "82"), h1);
	const struct { const char *first, *second; bool refused; int64_t rows; } cases[] = {
		/* hash-keyed first, then a client eventID equal to its hash on other content */
		{ OBS_EV("", "81"), other_with_h1, true, 1 },
		/* the other way round */
		{ other_with_h1, OBS_EV("", "81"), true, 1 },
		/* an eventID that is the event's own hash is the same event as none */
		{ with_h1, OBS_EV("", "81"), false, 1 },
		{ OBS_EV("", "81"), with_h1, false, 1 },
		/* unrelated events of both forms live side by side */
		{ OBS_EV("", "81"), OBS_EV(",\"eventID\":\"urn:uuid:4b1d2c3e-0000-4000-8000-000000000083\"", "83"),
		  false, 2 },
	};
	for (size_t k = 0; k < 2 * sizeof(cases) / sizeof(cases[0]); k++) {
		size_t i = k / 2;
		struct env e;
		char l1[600], l2[600];
		env_open(&e, d);
		pl_fmt(l1, sizeof(l1), "[%s]", cases[i].first);
		pl_fmt(l2, sizeof(l2), "[%s]", cases[i].second);
		char *d1 = doc_of(l1), *d2 = doc_of(l2);
		json_t *j1 = capture(&e, e.ent[0], d1);
		if (k % 2) {
			cr_assert_eq(trace_repo_hashes_merge(e.t.c, 1), 0);
			cr_assert_eq(count(&e, "trace_hash_pending"), 0, "case %zu", i);
		}
		json_t *j2 = capture(&e, e.ent[0], d2);
		cr_expect(json_is_true(json_object_get(j1, "success")), "case %zu", i);
		cr_expect_eq(json_is_false(json_object_get(j2, "success")), cases[i].refused,
			     "case %zu", i);
		if (cases[i].refused) {
			char *errs = json_dumps(json_object_get(j2, "errors"), 0);
			cr_expect(strstr(errs, "eventList[0].eventID"), "case %zu: %s", i, errs);
			free(errs);
		}
		cr_expect_eq(count(&e, "trace_events"), cases[i].rows, "case %zu", i);
		/* the hash-keyed event is found by its hash as eventID, by both routes */
		json_t *got = NULL;
		cr_expect_eq(trace_repo_event_get(e.t.c, e.ent[0], h1, &got, NULL), 0, "case %zu", i);
		json_decref(got);
		json_decref(j1);
		json_decref(j2);
		free(d1);
		free(d2);
		env_close(&e);
	}
#undef OBS_EV
}

/* Lookups by hash (repo.c note 11) read the pending rows and the moved
 * ones: each event of a document is found by its hash, as given and as
 * 64 hex digits, by GET and by EQ_eventID, and a second capture of the
 * document stores nothing, with the rows pending, then after a merge that
 * asks for more rows than are pending (nothing moves), then after one
 * that moves them. */
TENV_TEST(repo, hash_lookups_read_pending_and_moved_rows)
{
	static const char *const evs[] = {
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"2026-02-01T08:00:00Z\","
		"\"eventTimeZoneOffset\":\"+08:00\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.31\"]}",
		"{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"2026-02-01T08:00:01Z\","
		"\"eventTimeZoneOffset\":\"+08:00\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.32\","
		"\"https://id.gs1.org/01/10614141073464/21/32\"]}",
		"{\"type\":\"AggregationEvent\",\"action\":\"ADD\",\"eventTime\":\"2026-02-01T08:00:02Z\","
		"\"eventTimeZoneOffset\":\"+08:00\",\"parentID\":\"urn:epc:id:grai:0614141.12345.3\","
		"\"childEPCs\":[\"urn:epc:id:sgtin:0614141.107346.31\"]}",
	};
	const size_t n = sizeof(evs) / sizeof(evs[0]);
	const struct { int64_t merge_min, pending, moved; } rounds[] = {
		{ 0, 3, 0 },  /* as captured */
		{ 4, 3, 0 },  /* fewer pending than asked: nothing moves */
		{ 1, 0, 3 },  /* all moved */
	};
	struct env e;
	struct pl_buf list;
	env_open(&e, d);
	pl_buf_init(&list, 4096);
	for (size_t i = 0; i < n; i++)
		pl_buf_printf(&list, "%s%s", i ? "," : "[", evs[i]);
	pl_buf_puts(&list, "]");
	char *doc = doc_of(list.data);
	json_t *job = capture(&e, e.ent[0], doc);
	char *errs = json_dumps(json_object_get(job, "errors"), 0);
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), 3, "%s", errs);
	free(errs);
	json_decref(job);
	for (size_t r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
		if (rounds[r].merge_min)
			cr_assert_eq(trace_repo_hashes_merge(e.t.c, rounds[r].merge_min), 0);
		cr_expect_eq(count(&e, "trace_hash_pending"), rounds[r].pending, "round %zu", r);
		cr_expect_eq(count(&e, "trace_event_hashes"), rounds[r].moved, "round %zu", r);
		for (size_t i = 0; i < n; i++) {
			char h[TRACE_HASH_STRLEN], hex[65];
			hash_of(evs[i], h);
			pl_strlcpy(hex, h + strlen("ni:///sha-256;"), sizeof(hex));
			const char *const ids[] = { h, hex };
			for (size_t k = 0; k < 2; k++) {
				json_t *ev = NULL;
				cr_expect_eq(trace_repo_event_get(e.t.c, e.ent[0], ids[k], &ev, NULL), 0,
					     "round %zu, event %zu, %s", r, i, ids[k]);
				cr_expect_str_eq(pl_json_str(ev, "eventID"), h, "round %zu", r);
				json_decref(ev);
			}
			/* another enterprise does not find it */
			json_t *none = NULL;
			cr_expect_eq(trace_repo_event_get(e.t.c, e.ent[1], h, &none, NULL),
				     PL_ENOTFOUND, "round %zu", r);
			struct trace_query_param qp[] = { { "EQ_eventID", h } };
			json_t *found = NULL;
			char next[TRACE_TOKEN_MAX];
			cr_assert_eq(run_query(&e, e.ent[0], qp, 1, &found, next), 0);
			cr_expect_eq(json_array_size(found), 1, "round %zu, event %zu", r, i);
			json_decref(found);
		}
		job = capture(&e, e.ent[0], doc);
		cr_expect_eq(json_integer_value(json_object_get(job, "stored")), 0, "round %zu", r);
		cr_expect_eq(json_integer_value(json_object_get(job, "duplicates")), 3, "round %zu", r);
		json_decref(job);
	}
	/* one EPC listed twice in one epcList (as a URN and as a Digital Link)
	 * is one member row where the member table has a key (SQLite) */
	cr_expect_eq(count(&e, "trace_event_epcs WHERE epc LIKE '%/21/32'"),
		     d->pg ? 2 : 1);
	free(doc);
	pl_buf_release(&list);
	env_close(&e);
}

/* A store written before migration 22 (hash-keyed rows with the hash in
 * event_id, made here by undoing the migration's update) answers the same
 * walks, queries and lookups after migrating again, and its rows are in
 * the new form. */
TENV_TEST(repo, migration_22_keeps_answers)
{
	struct env e;
	struct pl_buf list;
	char h[TRACE_HASH_STRLEN];
	env_open(&e, d);
	pl_buf_init(&list, 1 << 16);
	pl_buf_puts(&list, "[{\"type\":\"AggregationEvent\",\"action\":\"ADD\",\"eventTime\":"
		    "\"2026-01-01T09:00:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"parentID\":"
		    "\"urn:epc:id:grai:0614141.12345.9\",\"childEPCs\":[\"urn:epc:id:sgtin:0614141."
		    "107346.91\",\"urn:epc:id:sgtin:0614141.107346.92\"]},");
	pl_buf_puts(&list, "{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		    "\"2026-01-01T09:10:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		    "[\"urn:epc:id:grai:0614141.12345.9\"],\"readPoint\":{\"id\":"
		    "\"urn:epc:id:sgln:0614141.00002.0\"}},");
	pl_buf_puts(&list, "{\"type\":\"ObjectEvent\",\"eventID\":\"urn:uuid:4b1d2c3e-0000-4000-"
		    "8000-000000000093\",\"action\":\"OBSERVE\",\"eventTime\":\"2026-01-01T09:20:00Z\","
		    "\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346."
		    "91\"]}]");
	char *doc = doc_of(list.data);
	json_t *job = capture(&e, e.ent[0], doc);
	cr_assert_eq(json_integer_value(json_object_get(job, "stored")), 3);
	hash_of("{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
		"\"2026-01-01T09:10:00Z\",\"eventTimeZoneOffset\":\"+00:00\",\"epcList\":"
		"[\"urn:epc:id:grai:0614141.12345.9\"],\"readPoint\":{\"id\":"
		"\"urn:epc:id:sgln:0614141.00002.0\"}}", h);
	struct trace_query_param qp[] = { { "EQ_eventID", h } };
	char hex[65];
	pl_strlcpy(hex, h + strlen("ni:///sha-256;"), sizeof(hex));
	const char *const ids[] = { h, hex, "urn:uuid:4b1d2c3e-0000-4000-8000-000000000093" };
	json_t *walk[2][2] = { { NULL, NULL }, { NULL, NULL } }, *evs[2] = { NULL, NULL };
	char got_ids[2][3][TRACE_ID_MAX];
	for (int round = 0; round < 2; round++) {
		char next[TRACE_TOKEN_MAX];
		cr_assert_eq(trace_walk(e.t.c, e.ent[0], "urn:epc:id:sgtin:0614141.107346.92",
					TRACE_WALK_BACKWARD, &walk[round][0]), 0);
		cr_assert_eq(trace_walk(e.t.c, e.ent[0], "urn:epc:id:grai:0614141.12345.9",
					TRACE_WALK_FORWARD, &walk[round][1]), 0);
		cr_assert_eq(run_query(&e, e.ent[0], qp, 1, &evs[round], next), 0);
		cr_expect_eq(json_array_size(evs[round]), 1, "round %d: EQ_eventID by hash", round);
		for (size_t i = 0; i < 3; i++) {
			json_t *ev = NULL;
			cr_assert_eq(trace_repo_event_get(e.t.c, e.ent[0], ids[i], &ev, NULL), 0,
				     "round %d, %s", round, ids[i]);
			pl_strlcpy(got_ids[round][i], pl_json_str(ev, "eventID"), TRACE_ID_MAX);
			json_decref(ev);
		}
		if (round == 1)
			break;
		/* back to the form before migration 22, then migrate again */
		cr_assert_eq(store_exec(e.t.c, "UPDATE trace_events SET event_id = hash WHERE "
					"event_id = ('ni:' || id)", NULL, 0, NULL), 0);
		cr_assert_eq(count(&e, "trace_events WHERE event_id = hash"), 2);
		cr_assert_eq(store_exec(e.t.c, "DELETE FROM schema_migrations WHERE version = 22",
					NULL, 0, NULL), 0);
		int applied = 0;
		cr_assert_eq(store_migrate(e.t.st, &applied), 0);
		cr_expect_eq(applied, 1);
		cr_expect_eq(count(&e, "trace_events WHERE event_id = hash"), 0);
		cr_expect_eq(count(&e, "trace_events WHERE event_id = ('ni:' || id)"), 2);
	}
	for (int k = 0; k < 2; k++)
		cr_expect(json_equal(walk[0][k], walk[1][k]), "walk %d differs after migration 22", k);
	cr_expect(json_equal(evs[0], evs[1]));
	for (size_t i = 0; i < 3; i++)
		cr_expect_str_eq(got_ids[0][i], got_ids[1][i]);
	cr_expect_str_eq(got_ids[0][0], h);
	for (int r = 0; r < 2; r++) {
		json_decref(walk[r][0]);
		json_decref(walk[r][1]);
		json_decref(evs[r]);
	}
	json_decref(job);
	free(doc);
	pl_buf_release(&list);
	env_close(&e);
}
