/*
 * bench_trace.c - `make bench-trace`: EPCIS capture
 * throughput, unit trace latency and a recall on a large SQLite store.
 *
 * What it measures, in one run on one store file:
 *   1. capture: documents of 1,000 events of a pharma line's mix (made
 *      before the clock starts), stored durably through trace_repo_capture
 *      (validation, CBV hash, rows, one transaction per document, WAL +
 *      synchronous=FULL), by --threads threads; events/s;
 *   2. the floor: the same rows (flattened before the clock starts) put
 *      into the same tables and indexes (a second SQLite file migrated by
 *      the same binary, so the floor follows every schema change) with
 *      plain prepared single-row INSERTs, one transaction per document,
 *      same pragmas; events/s; for both, process CPU and bytes written
 *      per event (steadier than wall time on a shared machine);
 *   2b. the daemon's capture queue: as many more documents enqueued
 *      (trace_repo_enqueue, untimed), then run by the worker thread
 *      (trace_worker_start) from its start until the last job finished;
 *   3. where capture's time goes: validation, flattening (hash included)
 *      and storing, timed with clock_gettime on one thread;
 *   4. fill: captures go on until --fill-seconds pass or --target events
 *      are stored (the store's size is printed: this is "as large as we
 *      could build in the time", not a claim of 10 M unless it says so);
 *      --bulk 1 writes the rows directly instead (see bulk_fill); then
 *      --docs more documents are captured into the filled store;
 *   5. backward trace of --samples random vials: p50/p99 ms;
 *   6. recall from the raw lot that fed the first batch (--recall-units
 *      vials are filled from it): wall and CPU time, units listed,
 *      truncated flag; --recall-out FILE writes the answer (compact JSON)
 *      so two builds' answers can be compared with cmp.
 *
 * --reuse 1 skips 1-4: the unit traces and the recall on the store --db
 * already holds (kept from an earlier run; not migrated, not modified).
 *
 * The line mix per tray cycle (10 vials): AggregationEvent ADD of the vials
 * onto a GRAI tray, six ObjectEvent OBSERVEs of the tray at stations, ten
 * inspection verdicts (bizStep inspecting, disposition conformant or, one
 * in fifty, non_conformant, with defect class, confidence and image
 * reference extensions), AggregationEvent DELETE. Each document adds the
 * filling TransformationEvent (batch lot -> its vials) and packing-station
 * observations up to 1,000 events. The first document also holds the raw
 * lot -> batch TransformationEvent of every batch it starts.
 */
#include "trace/trace.h"

#include <pthread.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DOC_EVENTS 1000
#define TRAY 10
#define CYCLE_EVENTS (1 + 6 + TRAY + 1)
#define CYCLES 55                       /* 990 events + filling + packing */
#define VIALS_PER_DOC (CYCLES * TRAY)   /* 550 */
#define CTX "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
#define BULK_RECORD_TIME "2026-01-01T00:00:00.000Z"
#define BULK_QUEUE 8                    /* documents flattened ahead of the writer */
#define BULK_TX_DOCS 20                 /* documents per bulk transaction */

struct opts {
	const char *db;
	const char *recall_out;         /* --recall-out: the recall's answer goes here */
	int threads, docs, samples;
	int64_t fill_s, target, recall_units, bulk, reuse;
};

static double now_s(void)
{
	return (double)pl_time_mono_ns() / 1e9;
}

/* Process CPU seconds and bytes written (/proc/self/io wchar) so far: on
 * a shared, loaded machine wall time varies +-50 % between identical runs,
 * while the CPU a run used and the bytes it wrote (WAL, database,
 * checkpoints) do not. */
struct mark {
	double wall, cpu;
	int64_t wchar;
};

static void mark_now(struct mark *m)
{
	struct rusage ru;
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");

	m->wall = now_s();
	getrusage(RUSAGE_SELF, &ru);
	m->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	m->wchar = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "wchar: ", 7)) {
			line[strcspn(line, "\n")] = '\0';
			pl_parse_i64(line + 7, 0, INT64_MAX, &m->wchar);
		}
	if (f)
		fclose(f);
}

/* "(CPU x s, y bytes written per event)" since m0 for events events. */
static void mark_print(const struct mark *m0, int64_t events)
{
	struct mark m1;
	mark_now(&m1);
	printf("         CPU %.2f s for %.2f s wall (%.0f us per event), %.0f bytes written "
	       "per event\n", m1.cpu - m0->cpu, m1.wall - m0->wall,
	       events ? (m1.cpu - m0->cpu) * 1e6 / (double)events : 0.0,
	       events ? (double)(m1.wchar - m0->wchar) / (double)events : 0.0);
}

/* The time of an event at ms milliseconds into document k's minute:
 * documents one a minute, 200 a day, in order. */
static void doc_time(int64_t k, int ms, char *t, size_t tsz)
{
	int64_t day = k / 200, minute = k % 200;
	pl_fmt(t, tsz, "2026-%02d-%02dT%02d:%02d:%02d.%03d+08:00", (int)(1 + day / 28 % 12),
	       (int)(1 + day % 28), (int)(minute / 60 % 24), (int)(minute % 60), ms / 1000, ms % 1000);
}

/* Document k: vials k*550 .. k*550+549, batch = k / docs_per_batch. Events
 * happen in the order a line makes them: the filling at the minute's
 * start, tray cycle c one second after another (ADD at +50 ms, stations
 * at +100..600, verdicts at +700, DELETE at +800), packing at +59 s. No
 * two steps of a tray share an instant: an ADD and a DELETE at the same
 * time would leave their order to the row ids, and a containment whose
 * DELETE sorts first never closes (the tray's later cycles then leak
 * into the vial's trace). */
static char *make_doc(int64_t k, int64_t docs_per_batch, bool with_lots, int64_t nbatches)
{
	int64_t batch = k / docs_per_batch, v0 = k * VIALS_PER_DOC;
	struct pl_buf b;
	char t[64];

	pl_buf_init(&b, 8u << 20);
	pl_buf_puts(&b, "{\"@context\":[\"" CTX "\",{\"pl\":\"https://parkline.example/ns/\"}],"
			"\"type\":\"EPCISDocument\",\"schemaVersion\":\"2.0\",\"creationDate\":"
			"\"2026-01-01T00:00:00Z\",\"epcisBody\":{\"eventList\":[");
	doc_time(k, 0, t, sizeof(t));
	int n = 0;
	if (with_lots) {
		for (int64_t bt = 0; bt < nbatches; bt++) {
			pl_buf_printf(&b, "%s{\"type\":\"TransformationEvent\",\"eventTime\":\"%s\","
				      "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"creating_class_instance\","
				      "\"inputQuantityList\":[{\"epcClass\":\"urn:epc:class:lgtin:0614141.107340.RAW%lld\","
				      "\"quantity\":12.5,\"uom\":\"KGM\"}],\"outputQuantityList\":[{\"epcClass\":"
				      "\"urn:epc:class:lgtin:0614141.107346.B%lld\",\"quantity\":50,\"uom\":\"LTR\"}]}",
				      n ? "," : "", "2025-12-31T08:00:00.000+08:00", (long long)bt,
				      (long long)bt);
			n++;
		}
	}
	/* filling: the batch into this document's vials */
	pl_buf_printf(&b, "%s{\"type\":\"TransformationEvent\",\"eventTime\":\"%s\",\"eventTimeZoneOffset\":"
		      "\"+08:00\",\"bizStep\":\"commissioning\",\"inputQuantityList\":[{\"epcClass\":"
		      "\"urn:epc:class:lgtin:0614141.107346.B%lld\",\"quantity\":0.12,\"uom\":\"LTR\"}],"
		      "\"outputEPCList\":[", n ? "," : "", t, (long long)batch);
	for (int i = 0; i < VIALS_PER_DOC; i++)
		pl_buf_printf(&b, "%s\"urn:epc:id:sgtin:0614141.107346.%lld\"", i ? "," : "",
			      (long long)(v0 + i));
	pl_buf_puts(&b, "]}");
	n++;
	for (int c = 0; c < CYCLES; c++) {
		int64_t tray = (k * CYCLES + c) % 500; /* trays are reused */
		char vials[TRAY * 48 + 8];
		size_t off = 0;
		for (int i = 0; i < TRAY; i++)
			off += (size_t)snprintf(vials + off, sizeof(vials) - off,
						"%s\"urn:epc:id:sgtin:0614141.107346.%lld\"", i ? "," : "",
						(long long)(v0 + c * TRAY + i));
		doc_time(k, c * 1000 + 50, t, sizeof(t));
		pl_buf_printf(&b, ",{\"type\":\"AggregationEvent\",\"action\":\"ADD\",\"eventTime\":\"%s\","
			      "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"loading\",\"parentID\":"
			      "\"urn:epc:id:grai:0614141.12345.%lld\",\"childEPCs\":[%s],\"readPoint\":"
			      "{\"id\":\"urn:epc:id:sgln:0614141.00001.0\"}}", t, (long long)tray, vials);
		for (int s = 2; s <= 7; s++) {
			doc_time(k, c * 1000 + 100 * (s - 1), t, sizeof(t));
			pl_buf_printf(&b, ",{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
				      "\"%s\",\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"%s\","
				      "\"disposition\":\"in_progress\",\"epcList\":[\"urn:epc:id:grai:0614141."
				      "12345.%lld\"],\"readPoint\":{\"id\":\"urn:epc:id:sgln:0614141.0000%d.0\"}}",
				      t, s == 7 ? "inspecting" : "urn:parkline:bizstep:station", (long long)tray, s);
		}
		doc_time(k, c * 1000 + 700, t, sizeof(t));
		for (int i = 0; i < TRAY; i++) {
			int64_t v = v0 + c * TRAY + i;
			bool bad = v % 50 == 7;
			pl_buf_printf(&b, ",{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":"
				      "\"%s\",\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"inspecting\","
				      "\"disposition\":\"%s\",\"epcList\":[\"urn:epc:id:sgtin:0614141.107346.%lld\"],"
				      "\"readPoint\":{\"id\":\"urn:epc:id:sgln:0614141.00007.0\"},"
				      "\"pl:defectClass\":\"%s\",\"pl:confidence\":%.2f,\"pl:image\":"
				      "\"https://parkline.example/img/%lld.png\"}",
				      t, bad ? "non_conformant" : "conformant", (long long)v,
				      bad ? "particle" : "none", bad ? 0.93 : 0.99, (long long)v);
		}
		doc_time(k, c * 1000 + 800, t, sizeof(t));
		pl_buf_printf(&b, ",{\"type\":\"AggregationEvent\",\"action\":\"DELETE\",\"eventTime\":\"%s\","
			      "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"unloading\",\"parentID\":"
			      "\"urn:epc:id:grai:0614141.12345.%lld\",\"childEPCs\":[%s],\"readPoint\":"
			      "{\"id\":\"urn:epc:id:sgln:0614141.00008.0\"}}", t, (long long)tray, vials);
		n += CYCLE_EVENTS;
	}
	doc_time(k, 59000, t, sizeof(t));
	for (int i = 0; n < DOC_EVENTS; i++, n++)
		pl_buf_printf(&b, ",{\"type\":\"ObjectEvent\",\"action\":\"OBSERVE\",\"eventTime\":\"%s\","
			      "\"eventTimeZoneOffset\":\"+08:00\",\"bizStep\":\"packing\",\"epcList\":"
			      "[\"urn:epc:id:sgtin:0614141.107346.%lld\"],\"readPoint\":{\"id\":"
			      "\"urn:epc:id:sgln:0614141.00009.0\"}}", t, (long long)(v0 + i));
	pl_buf_puts(&b, "]}}");
	return pl_buf_steal(&b);
}

/* ------------------------------------------------------------- capture */

struct cap {
	const struct opts *o;
	struct store *st;
	const char *tenant;
	int64_t docs_per_batch, nbatches;
	pthread_mutex_t mu;
	int64_t next, end, events;      /* under mu */
	int64_t from;                   /* docs[0] is document from */
	char **docs;                    /* made before the clock, or NULL: made by each thread */
	double deadline;
	int err;
};

static void *cap_main(void *arg)
{
	struct cap *c = arg;
	struct store_conn *conn = NULL;

	if (store_conn_get(c->st, &conn)) {
		c->err = 1;
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&c->mu);
		int64_t k = c->next < c->end && now_s() < c->deadline ? c->next++ : -1;
		pthread_mutex_unlock(&c->mu);
		if (k < 0)
			break;
		char *d = c->docs ? c->docs[k - c->from]
				  : make_doc(k, c->docs_per_batch, k == 0, c->nbatches);
		struct trace_errors errs;
		json_t *job = NULL;
		trace_errors_init(&errs);
		int rc = trace_repo_capture(conn, c->tenant, "bench", d, strlen(d), false, &errs, &job);
		if (rc || !json_is_true(json_object_get(job, "success"))) {
			fprintf(stderr, "capture of document %lld failed: %s %s\n", (long long)k,
				pl_strerror(rc), errs.n ? errs.msg[0] : "");
			c->err = 1;
		}
		pthread_mutex_lock(&c->mu);
		c->events += json_integer_value(json_object_get(job, "stored"));
		pthread_mutex_unlock(&c->mu);
		json_decref(job);
		trace_errors_release(&errs);
		if (!c->docs)
			free(d);
		if (c->err)
			break;
	}
	store_conn_put(conn);
	return NULL;
}

/* Runs docs [from, to) through capture on o->threads threads; returns seconds.
 * m0: a measured window; the documents are made before the clock starts and
 * m0 is marked then (a document arrives made, and the floor's are made
 * beforehand too). NULL: each thread makes its documents as it goes (the
 * fill, which runs for a time, not a count). */
static double capture_run(struct cap *c, int64_t from, int64_t to, double max_s,
			  struct mark *m0)
{
	pthread_t th[16];
	int n = c->o->threads;

	c->docs = NULL;
	c->from = from;
	if (m0) {
		c->docs = pl_calloc((size_t)(to - from), sizeof(*c->docs));
		for (int64_t k = from; k < to; k++)
			c->docs[k - from] = make_doc(k, c->docs_per_batch, k == 0, c->nbatches);
		mark_now(m0);
	}
	double t0 = now_s();
	c->next = from;
	c->end = to;
	c->events = 0;
	c->deadline = t0 + max_s;
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, cap_main, c);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	double t = now_s() - t0;
	for (int64_t k = from; c->docs && k < to; k++)
		free(c->docs[k - from]);
	free(c->docs);
	c->docs = NULL;
	return t;
}

/* Events the store holds. */
static int64_t events_stored(struct store_conn *conn)
{
	json_t *row = NULL;
	store_query_one(conn, "SELECT count(*) AS n FROM trace_events", NULL, 0, &row);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

/* 2b: documents [from, to) through the daemon's capture queue (queue.c):
 * enqueued first, untimed (the HTTP handler's share), then run by the
 * worker thread trace_worker_start starts, timed from its start until the
 * last job has finished (trace_repo_job_wait polls every 20 ms). */
static int queue_run(struct cap *c, struct store_conn *conn, int64_t from, int64_t to,
		     double *secs, int64_t *events)
{
	struct trace_worker *w = NULL;
	char last[PL_ID_LEN + 1] = "";
	json_t *done = NULL;
	int64_t before = events_stored(conn);
	int rc = 0;

	for (int64_t k = from; k < to && rc == 0; k++) {
		char *d = make_doc(k, c->docs_per_batch, false, c->nbatches);
		json_t *job = NULL;
		rc = trace_repo_enqueue(conn, c->tenant, "bench", d, strlen(d), false, &job);
		if (rc == 0)
			pl_strlcpy(last, pl_json_str(job, "captureID"), sizeof(last));
		json_decref(job);
		free(d);
	}
	double t0 = now_s();
	if (rc == 0)
		rc = trace_worker_start(c->st, NULL, &w);
	if (rc == 0)
		rc = trace_repo_job_wait(c->st, c->tenant, last, 600000, &done);
	*secs = now_s() - t0;
	trace_worker_stop(w);
	if (rc == 0 && !json_is_true(json_object_get(done, "success")))
		rc = PL_EINTERNAL;
	json_decref(done);
	*events = events_stored(conn) - before;
	return rc;
}

/* ------------------------------------------------ the plain-insert floor */

static const char *const ROLE[] = { "epc", "child", "input", "output", "parent" };

struct flat { /* one document's rows, ready to insert */
	struct pl_arena *a;
	struct trace_rows *rows;
	char **body;
	char *ctx;              /* the document's @context, as stored */
	size_t n;
};

/* The rows and stored bodies of document d, as trace_repo_capture makes
 * them (eventID filled in; recordTime is the bulk fill's fixed instant). */
static void flatten(const char *d, struct flat *f, bool check)
{
	struct trace_errors errs;
	json_t *doc = NULL;
	trace_errors_init(&errs);
	/* the bulk fill skips the rule check (it changes nothing in the
	 * document, and the floor's run checks documents of the same shape) */
	if (!check)
		doc = json_loadb(d, strlen(d), 0, NULL);
	if (check ? trace_doc_validate(d, strlen(d), &doc, &errs) != 0 : !doc) {
		fprintf(stderr, "bench document invalid: %s\n", errs.n ? errs.msg[0] : "?");
		exit(1);
	}
	const json_t *ev = trace_doc_events(doc), *ctx = json_object_get(doc, "@context");
	f->n = json_array_size(ev);
	f->a = pl_arena_new(64u << 20);
	f->rows = pl_calloc(f->n, sizeof(*f->rows));
	f->body = pl_calloc(f->n, sizeof(*f->body));
	for (size_t i = 0; i < f->n; i++) {
		if (trace_event_rows(json_array_get(ev, i), ctx, f->a, &f->rows[i]))
			exit(1);
		json_t *body = json_copy(json_array_get(ev, i));
		json_object_set_new(body, "eventID", json_string(f->rows[i].event_id));
		json_object_set_new(body, "recordTime", json_string(BULK_RECORD_TIME));
		f->body[i] = pl_json_dump(body);
		json_decref(body);
	}
	f->ctx = pl_json_dump(ctx);
	json_decref(doc);
	trace_errors_release(&errs);
}

static void flat_free(struct flat *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->body[i]);
	free(f->body);
	free(f->ctx);
	free(f->rows);
	pl_arena_free(f->a);
}

#define BIND_T(st, i, s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)

/* Inserts one document's rows with prepared single-row statements: the
 * floor (one transaction per document) and the bulk fill (the caller
 * groups documents into larger transactions). */

static int floor_insert(sqlite3 *db, sqlite3_stmt *st[5], const struct flat *f, int64_t docno,
			const char *tenant, bool own_tx)
{
	char rid[PL_ID_LEN + 1], job[32];
	pl_fmt(job, sizeof(job), "job%lld", (long long)docno);
	if (own_tx)
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (size_t i = 0; i < f->n; i++) {
		const struct trace_rows *r = &f->rows[i];
		const char *parent = NULL;
		for (size_t k = 0; k < r->n_epcs; k++)
			if (r->epcs[k].role == TRACE_ROLE_PARENT)
				parent = r->epcs[k].epc;
		pl_id_new(rid);
		/* an event keyed by its hash keeps "ni:" and its row id as
		 * event_id, as capture stores it (src/trace/repo.c note 9) */
		char hash_id[PL_ID_LEN + 8];
		pl_fmt(hash_id, sizeof(hash_id), "ni:%s", rid);
		sqlite3_stmt *s = st[0];
		sqlite3_reset(s);
		BIND_T(s, 1, rid); BIND_T(s, 2, tenant);
		BIND_T(s, 3, strcmp(r->event_id, r->hash) ? r->event_id : hash_id);
		BIND_T(s, 4, r->hash); BIND_T(s, 5, job); BIND_T(s, 6, r->type);
		BIND_T(s, 7, r->action); sqlite3_bind_int64(s, 8, r->event_time_ms);
		BIND_T(s, 9, r->tz_offset); BIND_T(s, 10, BULK_RECORD_TIME);
		sqlite3_bind_int64(s, 11, 0); BIND_T(s, 12, r->biz_step); BIND_T(s, 13, r->disposition);
		BIND_T(s, 14, r->read_point); BIND_T(s, 15, r->biz_location); BIND_T(s, 16, parent);
		BIND_T(s, 17, r->transformation_id); BIND_T(s, 18, f->ctx); BIND_T(s, 19, f->body[i]);
		sqlite3_bind_int(s, 20, trace_rows_empties(r));
		if (sqlite3_step(s) != SQLITE_DONE)
			return -1;
		s = st[4]; /* the lookup by hash, pending (src/trace/repo.c note 11) */
		sqlite3_reset(s);
		BIND_T(s, 1, r->hash); BIND_T(s, 2, rid);
		if (sqlite3_step(s) != SQLITE_DONE)
			return -1;
		for (size_t k = 0; k < r->n_epcs; k++) {
			s = st[1];
			sqlite3_reset(s);
			BIND_T(s, 1, rid); BIND_T(s, 2, ROLE[r->epcs[k].role]); BIND_T(s, 3, r->epcs[k].epc);
			sqlite3_bind_int64(s, 4, r->event_time_ms);
			if (sqlite3_step(s) != SQLITE_DONE)
				return -1;
		}
		for (size_t k = 0; k < r->n_qtys; k++) {
			s = st[2];
			sqlite3_reset(s);
			BIND_T(s, 1, rid); BIND_T(s, 2, ROLE[r->qtys[k].role]);
			BIND_T(s, 3, r->qtys[k].epc_class); sqlite3_bind_double(s, 4, r->qtys[k].quantity);
			BIND_T(s, 5, r->qtys[k].uom);
			sqlite3_bind_int64(s, 6, r->event_time_ms);
			if (sqlite3_step(s) != SQLITE_DONE)
				return -1;
		}
		for (size_t k = 0; k < r->n_pairs; k++) {
			char dir[2] = { r->pairs[k].dir, 0 };
			s = st[3];
			sqlite3_reset(s);
			BIND_T(s, 1, rid); BIND_T(s, 2, dir); BIND_T(s, 3, r->pairs[k].type);
			BIND_T(s, 4, r->pairs[k].value);
			if (sqlite3_step(s) != SQLITE_DONE)
				return -1;
		}
	}
	if (!own_tx)
		return 0;
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The statements floor_insert uses, on db (the migrated schema). */
static void floor_prepare(sqlite3 *db, sqlite3_stmt *st[5])
{
	static const char *const sql[5] = {
		"INSERT INTO trace_events (id, enterprise_id, event_id, hash, capture_id, type, "
		"action, event_time_ms, tz_offset, record_time, record_time_ms, biz_step, "
		"disposition, read_point, biz_location, parent_id, transformation_id, context_json, "
		"body_json, empties) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
		"ON CONFLICT DO NOTHING",
		"INSERT INTO trace_event_epcs (event_row, role, epc, event_time_ms) VALUES (?,?,?,?) "
		"ON CONFLICT DO NOTHING",
		"INSERT INTO trace_event_qty (event_row, role, epc_class, quantity, uom, event_time_ms) "
		"VALUES (?,?,?,?,?,?)",
		"INSERT INTO trace_event_pairs (event_row, dir, type, value) VALUES (?,?,?,?)",
		"INSERT INTO trace_hash_pending (h, event_row) VALUES (substr(?, 15, 16), ?)",
	};
	for (int i = 0; i < 5; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_trace: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
}

/* A second store file with the schema every migration gives (the same
 * tables and indexes as the store capture writes to). */
static void floor_create(const char *path)
{
	char url[640];
	struct store *st = NULL;
	struct store_options so = { .pool_size = 1 };

	unlink(path);
	pl_fmt(url, sizeof(url), "sqlite:%s", path);
	if (store_open(url, &so, &st) || store_migrate(st, NULL)) {
		fprintf(stderr, "bench_trace: cannot create %s\n", path);
		exit(1);
	}
	store_free(st);
}

static double floor_run(const char *path, int docs, int64_t first_doc, int64_t dpb, int64_t *events,
			struct mark *m0)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st[5];
	struct flat *f = pl_calloc((size_t)docs, sizeof(*f));
	double t0, t;

	floor_create(path);
	if (sqlite3_open(path, &db) ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL)) {
		fprintf(stderr, "floor db: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	floor_prepare(db, st);
	for (int i = 0; i < docs; i++) {
		char *d = make_doc(first_doc + i, dpb, false, 0);
		flatten(d, &f[i], true);
		free(d);
	}
	*events = 0;
	mark_now(m0);
	t0 = now_s();
	for (int i = 0; i < docs; i++) {
		if (floor_insert(db, st, &f[i], i, "ent", true)) {
			fprintf(stderr, "floor insert: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		*events += (int64_t)f[i].n;
	}
	t = now_s() - t0;
	for (int i = 0; i < 5; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	for (int i = 0; i < docs; i++)
		flat_free(&f[i]);
	free(f);
	return t;
}

/* ------------------------------------------------------------ bulk fill
 * --bulk: builds a large store fast for the trace and recall measurements
 * (not a capture figure). Flattener threads turn documents into the rows
 * trace_repo_capture would store (validation and hash included); one
 * writer puts them straight into the store file with prepared statements,
 * BULK_TX_DOCS documents per transaction, synchronous=OFF (a crash loses
 * the bench's fill, nothing else). */
struct bulk {
	const struct cap *cap;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct flat slot[BULK_QUEUE];
	bool ready[BULK_QUEUE];
	int64_t next, end, written;      /* under mu: next to flatten, end, written docs */
	bool stop;
};

static void *bulk_flattener(void *arg)
{
	struct bulk *b = arg;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (!b->stop && b->next < b->end && b->next - b->written >= BULK_QUEUE)
			pthread_cond_wait(&b->cv, &b->mu);
		int64_t k = !b->stop && b->next < b->end ? b->next++ : -1;
		pthread_mutex_unlock(&b->mu);
		if (k < 0)
			return NULL;
		struct flat f;
		char *d = make_doc(k, b->cap->docs_per_batch, false, 0);
		flatten(d, &f, false);
		free(d);
		pthread_mutex_lock(&b->mu);
		b->slot[k % BULK_QUEUE] = f;
		b->ready[k % BULK_QUEUE] = true;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
	}
}

/* Documents [from, to) into db_path for at most max_s seconds; returns the
 * events written and sets *docs_done to the first document not written. */
static int64_t bulk_fill(struct cap *c, const char *db_path, int64_t from, int64_t to,
			 double max_s, int64_t *docs_done)
{
	struct bulk b = { .cap = c, .next = from, .end = to, .written = from };
	pthread_t th[2];
	sqlite3 *db = NULL;
	sqlite3_stmt *st[5];
	double deadline = now_s() + max_s;
	int64_t events = 0;

	if (sqlite3_open(db_path, &db) ||
	    sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;", NULL, NULL,
			 NULL)) {
		fprintf(stderr, "bulk: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_busy_timeout(db, 30000);
	floor_prepare(db, st);
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, bulk_flattener, &b);
	sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (int64_t k = from; k < to && now_s() < deadline; k++) {
		pthread_mutex_lock(&b.mu);
		while (!b.ready[k % BULK_QUEUE])
			pthread_cond_wait(&b.cv, &b.mu);
		struct flat f = b.slot[k % BULK_QUEUE];
		pthread_mutex_unlock(&b.mu);
		if (floor_insert(db, st, &f, k, c->tenant, false)) {
			fprintf(stderr, "bulk insert: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		events += (int64_t)f.n;
		flat_free(&f);
		if ((k - from) % BULK_TX_DOCS == BULK_TX_DOCS - 1)
			sqlite3_exec(db, "COMMIT; BEGIN IMMEDIATE", NULL, NULL, NULL);
		pthread_mutex_lock(&b.mu);
		b.ready[k % BULK_QUEUE] = false;
		b.written = k + 1;
		pthread_cond_broadcast(&b.cv);
		pthread_mutex_unlock(&b.mu);
	}
	/* the pending hash rows in one sorted batch, as capture moves them
	 * (src/trace/repo.c note 11) */
	if (sqlite3_exec(db, "INSERT INTO trace_event_hashes (h, event_row) SELECT h, event_row "
			 "FROM trace_hash_pending WHERE true ORDER BY h, event_row ON CONFLICT DO NOTHING; "
			 "DELETE FROM trace_hash_pending; COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "bulk hashes: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	pthread_mutex_lock(&b.mu);
	b.stop = true;
	pthread_cond_broadcast(&b.cv);
	pthread_mutex_unlock(&b.mu);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	*docs_done = b.written;
	/* documents flattened past the deadline and never written */
	for (int64_t k = b.written; k < b.next; k++)
		if (b.ready[k % BULK_QUEUE])
			flat_free(&b.slot[k % BULK_QUEUE]);
	for (int i = 0; i < 5; i++)
		sqlite3_finalize(st[i]);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mu);
	return events;
}

/* Where one document's capture time goes (single thread, not stored). */
static void split(int64_t k, int64_t dpb)
{
	char *d = make_doc(k, dpb, false, 0);
	struct trace_errors errs;
	json_t *doc = NULL;
	double t0 = now_s(), t1, t2;

	trace_errors_init(&errs);
	trace_doc_validate(d, strlen(d), &doc, &errs);
	t1 = now_s();
	const json_t *ev = trace_doc_events(doc), *ctx = json_object_get(doc, "@context");
	struct pl_arena *a = pl_arena_new(64u << 20);
	for (size_t i = 0; i < json_array_size(ev); i++) {
		struct trace_rows r;
		trace_event_rows(json_array_get(ev, i), ctx, a, &r);
		char *s = pl_json_dump(json_array_get(ev, i));
		free(s);
	}
	t2 = now_s();
	printf("split (one 1,000-event document, one thread): validate %.1f ms, flatten+hash+"
	       "serialise %.1f ms\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	pl_arena_free(a);
	json_decref(doc);
	trace_errors_release(&errs);
	free(d);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* 6: recall from the raw lot of batch 0; prints wall and CPU time (this
 * box is shared: CPU is the steadier figure) and writes the answer to
 * o->recall_out when set. vials: how many were filled from the lot, or
 * -1 when unknown (--reuse). */
static int recall_step(struct store_conn *c, const struct opts *o, int64_t vials)
{
	struct mark m0, m1;
	json_t *out = NULL;

	mark_now(&m0);
	int rc = trace_recall(c, NULL, "urn:epc:class:lgtin:0614141.107340.RAW0", &out);
	mark_now(&m1);
	if (rc) {
		fprintf(stderr, "recall: %s\n", pl_strerror(rc));
		return 1;
	}
	if (vials >= 0)
		printf("recall from raw lot RAW0 (%lld vials filled from it in the store): ",
		       (long long)vials);
	else
		printf("recall from raw lot RAW0: ");
	printf("%.2f s wall, %.2f s CPU, %lld units listed, truncated %s\n", m1.wall - m0.wall,
	       m1.cpu - m0.cpu, (long long)json_integer_value(json_object_get(out, "total")),
	       json_is_true(json_object_get(out, "truncated")) ? "yes" : "no");
	if (o->recall_out && json_dump_file(out, o->recall_out, JSON_COMPACT)) {
		fprintf(stderr, "recall: cannot write %s\n", o->recall_out);
		json_decref(out);
		return 1;
	}
	json_decref(out);
	return 0;
}

/* CPU time of the calling thread, in ms (the traces run on one thread). */
static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 5: backward traces of `samples` random vials among the first `vials`:
 * wall and CPU p50/p99 (on a shared box the wall time measures the
 * neighbours too). */
static int trace_step(struct store_conn *c, const char *tenant, int samples, int64_t vials)
{
	double *lat = pl_calloc((size_t)samples, sizeof(double));
	double *cpu = pl_calloc((size_t)samples, sizeof(double));
	uint64_t seed = 12345;
	int rc = 0;

	for (int i = 0; i < samples && !rc; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		int64_t v = (int64_t)((seed >> 33) % (uint64_t)vials);
		char code[96];
		json_t *out = NULL;
		pl_fmt(code, sizeof(code), "urn:epc:id:sgtin:0614141.107346.%lld", (long long)v);
		double t0 = now_s(), c0 = thread_cpu_ms();
		rc = trace_walk(c, tenant, code, TRACE_WALK_BACKWARD, &out);
		lat[i] = (now_s() - t0) * 1e3;
		cpu[i] = thread_cpu_ms() - c0;
		if (rc)
			fprintf(stderr, "trace of %s: %s\n", code, pl_strerror(rc));
		else if (i == 0)
			printf("a unit's backward trace: %zu nodes, %zu events\n",
			       json_array_size(json_object_get(out, "nodes")),
			       json_array_size(json_object_get(out, "events")));
		json_decref(out);
	}
	if (!rc) {
		qsort(lat, (size_t)samples, sizeof(double), cmp_d);
		qsort(cpu, (size_t)samples, sizeof(double), cmp_d);
		printf("backward trace of a unit: wall p50 %.1f ms, p99 %.1f ms; CPU p50 %.1f ms, "
		       "p99 %.1f ms (%d random vials)\n", lat[samples / 2], lat[(samples * 99) / 100],
		       cpu[samples / 2], cpu[(samples * 99) / 100], samples);
	}
	free(lat);
	free(cpu);
	return rc ? 1 : 0;
}

/* --reuse: the unit traces and the recall on the store o->db holds,
 * nothing else (its enterprise is the tenant; its vial count follows from
 * its event count, 550 vials a 1,000-event document). */
static int reuse_store(const struct opts *o)
{
	char url[600];
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct store_options so = { .pool_size = 1, .busy_timeout_ms = 30000 };

	pl_fmt(url, sizeof(url), "sqlite:%s", o->db);
	if (access(o->db, R_OK) || store_open(url, &so, &st) || store_conn_get(st, &c)) {
		fprintf(stderr, "bench_trace: cannot open %s\n", o->db);
		store_free(st);
		return 1;
	}
	json_t *row = NULL;
	int rc = 1;
	if (store_query_one(c, "SELECT (SELECT id FROM enterprises LIMIT 1) AS ent, "
			    "(SELECT count(*) FROM trace_events) AS n", NULL, 0, &row) == 0) {
		int64_t n = json_integer_value(json_object_get(row, "n"));
		printf("reusing the store %s as it is: %lld events\n", o->db, (long long)n);
		rc = trace_step(c, pl_json_str(row, "ent"), o->samples, n / DOC_EVENTS * VIALS_PER_DOC);
		if (!rc)
			rc = recall_step(c, o, -1);
	}
	json_decref(row);
	store_conn_put(c);
	store_free(st);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .db = "build/bench/trace.db", .threads = 2, .docs = 20, .samples = 200,
			  .fill_s = 300, .target = 10000000, .recall_units = 100000 };
	static const char usage[] =
		"usage: bench_trace [--db PATH] [--threads N] [--docs N] [--samples N] "
		"[--fill-seconds S] [--target EVENTS] [--recall-units N] [--bulk 1] "
		"[--recall-out FILE] [--reuse 1]\n";
	if (argc % 2 == 0) { /* a flag without its value (--help): not a 5-minute run */
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		int64_t v = 0;
		if (!strcmp(argv[i], "--db")) {
			o.db = argv[i + 1];
			continue;
		}
		if (!strcmp(argv[i], "--recall-out")) {
			o.recall_out = argv[i + 1];
			continue;
		}
		if (pl_parse_i64(argv[i + 1], 1, 1000000000, &v)) {
			fprintf(stderr, "bench_trace: %s needs a positive number\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--threads") && v <= 16) o.threads = (int)v;
		else if (!strcmp(argv[i], "--docs")) o.docs = (int)v;
		else if (!strcmp(argv[i], "--samples")) o.samples = (int)v;
		else if (!strcmp(argv[i], "--fill-seconds")) o.fill_s = v;
		else if (!strcmp(argv[i], "--target")) o.target = v;
		else if (!strcmp(argv[i], "--recall-units")) o.recall_units = v;
		else if (!strcmp(argv[i], "--bulk")) o.bulk = v;
		else if (!strcmp(argv[i], "--reuse")) o.reuse = v;
		else {
			fputs(usage, stderr);
			return 2;
		}
	}
	char url[600], floor_path[600], ent[PL_ID_LEN + 1], now[PL_TIME_STRLEN];
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct store_options so = { .pool_size = o.threads + 2, .busy_timeout_ms = 30000 };
	int applied;

	setvbuf(stdout, NULL, _IOLBF, 0); /* lines as they come, also into a file */
	if (o.reuse)
		return reuse_store(&o);
	unlink(o.db);
	pl_fmt(floor_path, sizeof(floor_path), "%s.floor", o.db);
	pl_fmt(url, sizeof(url), "sqlite:%s", o.db);
	if (store_open(url, &so, &st) || store_migrate(st, &applied) || store_conn_get(st, &c)) {
		fprintf(stderr, "bench_trace: cannot open %s\n", o.db);
		return 1;
	}
	pl_id_new(ent);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(ent), SP_TEXT("基准企业"), SP_TEXT(now), SP_TEXT(now) };
	store_exec(c, "INSERT INTO enterprises (id, name_zh, created_at, updated_at) VALUES (?, ?, ?, ?)",
		   p, 4, NULL);
	int64_t dpb = (o.recall_units + VIALS_PER_DOC - 1) / VIALS_PER_DOC;
	int64_t max_docs = (o.target + DOC_EVENTS - 1) / DOC_EVENTS;
	struct cap cap = { .o = &o, .st = st, .tenant = ent, .docs_per_batch = dpb,
			   .nbatches = max_docs / dpb + 1 };
	pthread_mutex_init(&cap.mu, NULL);

	printf("trace bench: %d-event documents (%d vials each), %d capture thread(s), store %s\n",
	       DOC_EVENTS, VIALS_PER_DOC, o.threads, o.db);
	/* 1 + 2: the measured window, then the floor on the same number of documents */
	struct mark m0;
	double tc = capture_run(&cap, 0, o.docs, 1e9, &m0);
	int64_t cap_events = cap.events;
	printf("capture: %lld events in %.2f s = %.0f events/s durable (trace_repo_capture)\n",
	       (long long)cap_events, tc, (double)cap_events / tc);
	mark_print(&m0, cap_events);
	int64_t floor_events = 0;
	double tf = floor_run(floor_path, o.docs, o.docs, dpb, &floor_events, &m0);
	unlink(floor_path);
	printf("floor:   %lld events in %.2f s = %.0f events/s (plain SQLite inserts of the same rows "
	       "into the same schema, one thread)\n", (long long)floor_events, tf,
	       (double)floor_events / tf);
	mark_print(&m0, floor_events);
	printf("ratio:   capture / floor = %.2f\n", ((double)cap_events / tc) /
	       ((double)floor_events / tf));
	mark_now(&m0);
	double tq;
	int64_t q_events;
	if (queue_run(&cap, c, o.docs, 2 * o.docs, &tq, &q_events)) {
		fprintf(stderr, "bench_trace: capture through the queue failed\n");
		return 1;
	}
	printf("queue:   %lld events in %.2f s = %.0f events/s durable (the daemon's capture worker, "
	       "documents queued beforehand)\n", (long long)q_events, tq, (double)q_events / tq);
	mark_print(&m0, q_events);
	split(o.docs + 1, dpb);
	if (cap.err)
		return 1;
	cap.next = 2 * o.docs; /* the queue's documents are stored */
	/* 4: fill */
	double tfill;
	int64_t docs_done = cap.next;
	if (o.bulk) {
		double t0 = now_s();
		cap.events = bulk_fill(&cap, o.db, docs_done, max_docs, (double)o.fill_s, &docs_done);
		tfill = now_s() - t0;
		printf("fill is --bulk: rows written directly, %d documents per transaction, "
		       "synchronous=OFF (not a capture figure)\n", BULK_TX_DOCS);
	} else {
		tfill = capture_run(&cap, docs_done, max_docs, (double)o.fill_s, NULL);
		docs_done = cap.next;
	}
	int64_t total = events_stored(c);
	printf("fill: %lld more events in %.0f s (%.0f events/s); store holds %lld events "
	       "(target %lld)\n", (long long)cap.events, tfill, (double)cap.events / tfill,
	       (long long)total, (long long)o.target);
	/* 4b: capture again, into the filled store (random-key index pages
	 * no longer fit in the caches: the cost that grows with the store) */
	tc = capture_run(&cap, docs_done, docs_done + o.docs, 1e9, &m0);
	docs_done = cap.next;
	printf("capture into the filled store: %lld events in %.2f s = %.0f events/s durable\n",
	       (long long)cap.events, tc, (double)cap.events / tc);
	mark_print(&m0, cap.events);
	/* 5: backward traces of random vials */
	if (trace_step(c, ent, o.samples, docs_done * VIALS_PER_DOC))
		return 1;
	/* 6: recall from the raw lot of batch 0 */
	if (recall_step(c, &o, docs_done < dpb ? docs_done * VIALS_PER_DOC : dpb * VIALS_PER_DOC))
		return 1;
	store_conn_put(c);
	store_free(st);
	pthread_mutex_destroy(&cap.mu);
	return 0;
}
