/*
 * repo.c - the EPCIS repository on the store: capture jobs, the event
 * tables of migration 3, queries and the page-token key.
 *
 * The pure core (validate.c, hash.c, rows.c, query.c) decides what a valid
 * document, an event's hash and its flattened rows are; this file only
 * moves them in and out of the store, in the SQL subset both engines run.
 *
 * NOTES ON THE DESIGN
 *  1. A document is all or nothing: its events, their side rows and the
 *     job row commit in one transaction. A document that breaks a rule
 *     stores only a failed job row (in its own transaction) naming every
 *     error, so GET /epcis/capture/{id} can report them.
 *  2. Over HTTP, capture is asynchronous (queue.c): the handler stores the
 *     document as a pending job and a worker runs trace__capture_job on
 *     it later, claiming the queue row in the transaction that stores the
 *     outcome. trace_repo_capture is the same work done at once, for the
 *     demo seed, the benchmark and the tests.
 *  3. Deduplication is per tenant on the CBV 2.0 hash: UNIQUE
 *     (enterprise_id, event_time_ms, hash) since migration 27 (note 11;
 *     the hash covers the event time, so this is (enterprise_id, hash)
 *     on a key that appends) with INSERT ... ON CONFLICT DO NOTHING, so a
 *     retried capture stores nothing twice, and two enterprises capturing
 *     the same event each keep their own row (neither learns of the other).
 *     The same eventID with different content is an error.
 *  4. Paging orders by (sort key, row id) - both immutable - and the token
 *     seals the last pair seen (query.c), so pages stay stable while new
 *     events arrive. Row ids are ULIDs: later captures sort later.
 *  5. The page-token key lives in trace_settings, created on first use, so
 *     every daemon on a shared PostgreSQL accepts the others' tokens and a
 *     restart does not invalidate pages in flight.
 *  6. Capture speed (issue 4, docs/benchmarks.md): a document's events are
 *     flattened and hashed before its transaction begins, so a second
 *     capture thread does that CPU work while the first holds the write
 *     lock; inside, only the body (it carries the recordTime, which must
 *     be taken inside the transaction for subscriptions' cursors) is
 *     serialised. Member rows go in one prepared single-row INSERT each
 *     (multi-row VALUES statements were slower and wrote more since
 *     migration 27: docs/benchmarks.md, "No random key").
 *  7. Indexes cost more than rows (migration 19, docs/benchmarks.md): an
 *     event's hash (and its eventID, which is the hash when the document
 *     gives none) is a random key, so each index on it dirties a random
 *     leaf page per event and the WAL carries every such page. Only the
 *     UNIQUE (enterprise_id, ...) pairs remain, and lookups by eventID
 *     (trace_repo_event_get, EQ_eventID) probe them once per enterprise
 *     through "enterprise_id IN (SELECT id FROM enterprises)"; lookups by
 *     hash go through note 11's tables.
 *  8. The body is serialised before the lock too (issue 4's capture pass,
 *     docs/benchmarks.md): with a placeholder recordTime of the same length
 *     as every real one (REPO_RT_HOLD), whose 24 bytes are overwritten in
 *     place inside the transaction. The stored text is byte for byte what
 *     dumping inside gave. When the placeholder is not found exactly once
 *     in the text (an event quoting it somewhere, or a timestamp of another
 *     length), the body is dumped inside the transaction as before.
 *  9. An event whose eventID is its hash (every event a line sends) no
 *     longer stores the hash twice (migration 22): its event_id column
 *     holds "ni:" and its row id (TRACE__HASH_ID_SQL), a key that sorts
 *     after the rows before it, so UNIQUE (enterprise_id, event_id) takes
 *     an append instead of a random leaf page per event (40 % of the bytes
 *     a captured event wrote, docs/benchmarks.md). Readers use
 *     TRACE__EVENT_ID_SQL; lookups by eventID also probe the hash. The rule
 *     "one eventID, one content" crosses the two forms by two probes
 *     (repo__id_conflict), which the single UNIQUE index gave before.
 * 10. A document's events get row ids in document order (pl_id_after).
 *     Row ids break ties between events of one instant (paging, note 4;
 *     the genealogy walk's order), and ids of one millisecond used to
 *     sort at random: a tray's ADD and DELETE of one vial at the same
 *     instant then came out DELETE first half the time, and the vial
 *     stayed on the tray for the rest of the window (genealogy.c note 2).
 *     In document order the line's own sequence decides.
 * 11. No random key in a capture's transaction (migration 27, issue 4's
 *     50,000 events/s, docs/benchmarks.md). A random key costs a page
 *     per event (each insert dirties its own leaf, and the WAL and then
 *     the checkpoint write the whole page), which was half of what an
 *     event wrote. So deduplication uses a key that appends (note 3),
 *     and the lookup by hash, the one random key left, is filled in
 *     batches: capture appends (first 16 hex digits of the hash, row id)
 *     to trace_hash_pending, and trace_repo_hashes_merge moves the rows,
 *     sorted, into trace_event_hashes once TRACE_HASH_BATCH are pending,
 *     so each leaf of that index is written once per batch, not once per
 *     event. Lookups (TRACE__HASH_ROWS_SQL, repo__by_hash) read both
 *     tables: the moved rows by key, the pending ones (at most about a
 *     batch, ~1 MB) by a scan. On SQLite trace_event_epcs is keyed by
 *     (event_row, role, epc) WITHOUT ROWID, one b-tree fewer per member
 *     row; the INSERT says ON CONFLICT DO NOTHING because two spellings
 *     of one EPC in one list (a URN and a Digital Link) are one member.
 */
#include "trace_int.h"

#include <string.h>

#define REPO_EVENT_ARENA (8u << 20) /* one event's rows: far above any valid event */
#define REPO_SQL_MAX (1u << 20)     /* a query's SQL text */
#define REPO_KEY_NAME "page_token_key"
/* note 8: as long as pl_time_format's "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define REPO_RT_HOLD "0000-00-00T00:00:00.000!"
#define REPO_RT_LEN (sizeof(REPO_RT_HOLD) - 1)

static const char *const repo__role_names[] = {
	[TRACE_ROLE_EPC] = "epc", [TRACE_ROLE_CHILD] = "child",
	[TRACE_ROLE_INPUT] = "input", [TRACE_ROLE_OUTPUT] = "output",
	[TRACE_ROLE_PARENT] = "parent",
};

/* ------------------------------------------------------------ the key */

static int repo__hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int repo__key_read(struct store_conn *c, unsigned char key[TRACE_TOKEN_KEY_BYTES],
			  bool *found)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(REPO_KEY_NAME) };
	int rc = store_query(c, "SELECT value FROM trace_settings WHERE name = ?", p, 1, &r);

	*found = false;
	if (rc)
		goto out;
	rc = store_rows_next(r);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		const char *hex = store_rows_text(r, 0);
		if (strlen(hex) != 2 * TRACE_TOKEN_KEY_BYTES) {
			rc = PL_EINTERNAL;
			goto out;
		}
		for (size_t i = 0; i < TRACE_TOKEN_KEY_BYTES; i++) {
			int hi = repo__hexval(hex[2 * i]), lo = repo__hexval(hex[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				rc = PL_EINTERNAL;
				goto out;
			}
			key[i] = (unsigned char)(hi << 4 | lo);
		}
		*found = true;
	}
	rc = 0;
out:
	store_rows_free(r);
	return rc;
}

int trace_repo_token_key(struct store_conn *c, unsigned char key[TRACE_TOKEN_KEY_BYTES])
{
	unsigned char fresh[TRACE_TOKEN_KEY_BYTES];
	char hex[2 * TRACE_TOKEN_KEY_BYTES + 1];
	bool found;
	int rc = repo__key_read(c, key, &found);

	if (rc || found)
		return rc;
	/* Two daemons may race here: ON CONFLICT keeps the first key and both
	 * read that one back. */
	pl_random(fresh, sizeof(fresh));
	pl_hex(fresh, sizeof(fresh), hex);
	struct store_param p[] = { SP_TEXT(REPO_KEY_NAME), SP_TEXT(hex) };
	rc = store_exec(c, "INSERT INTO trace_settings (name, value) VALUES (?, ?) "
			   "ON CONFLICT (name) DO NOTHING", p, 2, NULL);
	if (rc)
		return rc;
	rc = repo__key_read(c, key, &found);
	return rc ? rc : found ? 0 : PL_EINTERNAL;
}

/* ------------------------------------------------------------ capture */

/* Appends one error, keeping trace_errors' cap (validate.c's rule). */
static void repo__err(struct trace_errors *errs, const char *msg)
{
	if (errs->n >= TRACE_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? 2 * errs->cap : 8;
		errs->msg = pl_realloc(errs->msg, errs->cap * sizeof(*errs->msg));
	}
	errs->msg[errs->n++] = pl_strdup(msg);
}

static json_t *repo__errors_json(const struct trace_errors *errs)
{
	json_t *a = json_array();
	for (size_t i = 0; i < errs->n; i++)
		json_array_append_new(a, json_string(errs->msg[i]));
	if (errs->dropped) {
		char more[64];
		pl_fmt(more, sizeof(more), "... and %zu more errors", errs->dropped);
		json_array_append_new(a, json_string(more));
	}
	return a;
}

/* Records a failed job in its own transaction (note 1): a new job row, or
 * for a queued job (queue.c) the existing row updated and its queue row
 * claimed in the same transaction, so a crash leaves the job pending.
 * *claimed is false when another worker had already taken the queue row. */
static int repo__job_fail(struct store_conn *c, const char *tenant, const char *actor,
			  const char *id, const char *created, size_t nevents,
			  const struct trace_errors *errs, bool queued, bool *claimed)
{
	char now[PL_TIME_STRLEN];
	json_t *ej = repo__errors_json(errs);
	char *ejs = pl_json_dump(ej);
	int64_t changes = 1;
	int rc;

	*claimed = true;
	pl_time_format(pl_time_now_ms(), now);
	if ((rc = store_begin(c)))
		goto out;
	if (queued) {
		struct store_param pq[] = { SP_TEXT(id) };
		rc = store_exec(c, "DELETE FROM trace_capture_queue WHERE job_id = ?", pq, 1,
				&changes);
		if (rc == 0 && changes == 0)
			*claimed = false;
		struct store_param p[] = { SP_TEXT(now), SP_INT((int64_t)nevents), SP_TEXT(ejs),
					   SP_TEXT(id) };
		if (rc == 0 && changes)
			rc = store_exec(c, "UPDATE trace_capture_jobs SET finished_at = ?, "
					   "running = 0, success = 0, event_count = ?, errors_json = ? "
					   "WHERE id = ?", p, STORE_NP(p), NULL);
	} else {
		struct store_param p[] = {
			SP_TEXT(id), SP_TEXT(tenant), actor ? SP_TEXT(actor) : SP_NULL,
			SP_TEXT(created), SP_TEXT(now), SP_INT((int64_t)nevents), SP_TEXT(ejs),
		};
		rc = store_exec(c, "INSERT INTO trace_capture_jobs (id, enterprise_id, created_by, "
				   "created_at, finished_at, running, success, event_count, "
				   "errors_json) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)", p, STORE_NP(p),
				NULL);
	}
	if (rc == 0)
		rc = *claimed ? store_commit(c) : store_rollback(c);
	if (rc)
		store_rollback(c);
out:
	free(ejs);
	json_decref(ej);
	return rc;
}

/* One event flattened before the document's transaction begins
 * (note 6): its rows and row id; the body, which carries the recordTime,
 * is serialised inside the transaction. */
struct repo_prep {
	struct pl_arena *a;
	struct trace_rows rows;
	int rc;                      /* trace_event_rows' result */
	char rid[PL_ID_LEN + 1];
	char *body;                  /* owned: the stored body with REPO_RT_HOLD, or NULL */
	char *rt;                    /* where in body the placeholder's bytes are */
};

/* The stored body: eventID filled in (an absent eventID becomes the hash,
 * issue 4 item 3) and recordTime set by the repository, never by the
 * client. A shallow copy: only top-level members are set, so the event's
 * nested lists are shared, not copied (the copy is dropped before the
 * event is). */
static char *repo__body(const json_t *event, const char *event_id, const char *record_time)
{
	json_t *body = json_copy((json_t *)event);
	json_object_set_new(body, "eventID", json_string(event_id));
	json_object_set_new(body, "recordTime", json_string(record_time));
	char *s = pl_json_dump(body);
	json_decref(body);
	return s;
}

/* Where the placeholder's bytes are in s when it occurs exactly once as a
 * member value "recordTime":"...", else NULL (note 8). */
static char *repo__rt_slot(char *s)
{
	static const char key[] = "\"recordTime\":\"" REPO_RT_HOLD "\"";
	char *at = strstr(s, key), *first = strstr(s, REPO_RT_HOLD);

	if (!at || first != at + strlen("\"recordTime\":\"") || strstr(first + 1, REPO_RT_HOLD))
		return NULL;
	return first;
}

/* prev: the row id of the document's previous event, NULL for the first
 * (note 10). */
static void repo__prep(struct repo_prep *pr, const json_t *event, const json_t *context,
		       const char *prev)
{
	pr->a = pl_arena_new(REPO_EVENT_ARENA);
	pr->rc = trace_event_rows(event, context, pr->a, &pr->rows);
	pl_id_after(prev, pr->rid);
	pr->body = NULL;
	pr->rt = NULL;
	if (pr->rc)
		return;
	pr->body = repo__body(event, pr->rows.event_id, REPO_RT_HOLD);
	pr->rt = repo__rt_slot(pr->body);
	if (!pr->rt) {
		free(pr->body);
		pr->body = NULL;
	}
}

/* An event's member rows (note 6), one prepared single-row INSERT each:
 * multi-row VALUES statements were slower in SQLite and wrote more
 * (docs/benchmarks.md, "No random key"). */
static int repo__insert_members(struct store_conn *c, const char *rid,
				const struct trace_rows *rows)
{
	int rc = 0;

	/* an EPC listed twice in one role is one member (SQLite's key, note 11) */
	for (size_t i = 0; i < rows->n_epcs && rc == 0; i++) {
		const struct trace_epc_row *er = &rows->epcs[i];
		struct store_param p[] = { SP_TEXT(rid), SP_TEXT(repo__role_names[er->role]),
					   SP_TEXT(er->epc), SP_INT(rows->event_time_ms) };
		rc = store_exec(c, "INSERT INTO trace_event_epcs (event_row, role, epc, event_time_ms) "
				   "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", p, STORE_NP(p), NULL);
	}
	for (size_t i = 0; i < rows->n_qtys && rc == 0; i++) {
		const struct trace_qty_row *qr = &rows->qtys[i];
		struct store_param p[] = { SP_TEXT(rid), SP_TEXT(repo__role_names[qr->role]),
					   SP_TEXT(qr->epc_class),
					   qr->has_quantity ? SP_REAL(qr->quantity) : SP_NULL,
					   SP_TEXT(qr->uom), SP_INT(rows->event_time_ms) };
		rc = store_exec(c, "INSERT INTO trace_event_qty (event_row, role, epc_class, quantity, "
				   "uom, event_time_ms) VALUES (?, ?, ?, ?, ?, ?)", p, STORE_NP(p), NULL);
	}
	for (size_t i = 0; i < rows->n_pairs && rc == 0; i++) {
		const struct trace_pair_row *pair = &rows->pairs[i];
		char dir[2] = { pair->dir, 0 };
		struct store_param p[] = { SP_TEXT(rid), SP_TEXT(dir), SP_TEXT(pair->type),
					   SP_TEXT(pair->value) };
		rc = store_exec(c, "INSERT INTO trace_event_pairs (event_row, dir, type, value) "
				   "VALUES (?, ?, ?, ?)", p, STORE_NP(p), NULL);
	}
	return rc;
}

/* Note 9: whether storing this event would give this tenant two events
 * with one eventID and different content across the two forms. An event
 * keyed by its hash H conflicts with a row whose client-given eventID is
 * H (its content differs, or its eventID would be its hash too); an event
 * with a client eventID E in the hash's form conflicts with a row keyed
 * by hash E. Clashes within one form are UNIQUE (enterprise_id, event_id)
 * violations, as before. */
static int repo__id_conflict(struct store_conn *c, const char *tenant,
			     const struct trace_rows *rows, bool hash_keyed, bool *clash)
{
	const char *v = rows->event_id;
	struct store_param p[] = { SP_TEXT(tenant), SP_TEXT(v), SP_TEXT(v), SP_TEXT(v) };
	struct store_rows *r = NULL;
	int rc;

	*clash = false;
	if (!hash_keyed && strncmp(rows->event_id, "ni:///", 6) != 0)
		return 0; /* no hash has this form: nothing to cross */
	/* a cursor, not store_query_one: this runs once per captured event */
	if (hash_keyed)
		rc = store_query(c, "SELECT e.id FROM trace_events e WHERE e.enterprise_id = ? "
				 "AND e.event_id = ?", p, 2, &r);
	else
		rc = store_query(c, "SELECT e.id FROM trace_events e WHERE e.enterprise_id = ? "
				 "AND e.id IN " TRACE__HASH_ROWS_SQL " AND e.hash = ? AND "
				 TRACE__HASH_ID_SQL, p, STORE_NP(p), &r);
	if (rc == 0) {
		rc = store_rows_next(r);
		*clash = rc == 1;
		rc = rc < 0 ? rc : 0;
	}
	store_rows_free(r);
	return rc;
}

/* Inserts one event's row and side rows. *dup is set when this tenant
 * already holds an event with the same hash (nothing inserted then). */
static int repo__insert_event(struct store_conn *c, const char *tenant, const char *job_id,
			      const json_t *event, struct repo_prep *pr, const char *ctx_s,
			      int64_t now_ms, const char *now, bool *dup,
			      struct trace_errors *errs, size_t idx)
{
	const struct trace_rows *rows = &pr->rows;
	const char *rid = pr->rid;
	char *body_own = NULL;        /* the body dumped here when prep could not (note 8) */
	const char *body_s;
	const char *parent = NULL;
	int64_t changes = 0;
	int rc = pr->rc;

	*dup = false;
	if (rc) {
		char msg[200];
		pl_fmt(msg, sizeof(msg), "epcisBody.eventList[%zu]: cannot be normalised (%s)",
		       idx, pl_strerror(rc));
		repo__err(errs, msg);
		rc = PL_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < rows->n_epcs; i++)
		if (rows->epcs[i].role == TRACE_ROLE_PARENT)
			parent = rows->epcs[i].epc;
	/* The stored body is what queries return (repo__body). */
	if (pr->rt && strlen(now) == REPO_RT_LEN) {
		memcpy(pr->rt, now, REPO_RT_LEN);
		body_s = pr->body;
	} else {
		body_s = body_own = repo__body(event, rows->event_id, now);
	}
	/* note 9: the eventID column of an event keyed by its hash */
	bool hash_keyed = !strcmp(rows->event_id, rows->hash), clash;
	char hash_id[sizeof(TRACE__HASH_ID_PREFIX) + PL_ID_LEN];
	pl_fmt(hash_id, sizeof(hash_id), TRACE__HASH_ID_PREFIX "%s", rid);
	rc = repo__id_conflict(c, tenant, rows, hash_keyed, &clash);
	if (rc)
		goto out;
	struct store_param p[] = {
		SP_TEXT(rid), SP_TEXT(tenant), SP_TEXT(hash_keyed ? hash_id : rows->event_id),
		SP_TEXT(rows->hash),
		SP_TEXT(job_id), SP_TEXT(rows->type), SP_TEXT(rows->action),
		SP_INT(rows->event_time_ms), SP_TEXT(rows->tz_offset), SP_TEXT(now), SP_INT(now_ms),
		SP_TEXT(rows->biz_step), SP_TEXT(rows->disposition), SP_TEXT(rows->read_point),
		SP_TEXT(rows->biz_location), SP_TEXT(parent), SP_TEXT(rows->transformation_id),
		SP_TEXT(ctx_s), SP_TEXT(body_s), SP_INT(trace_rows_empties(rows)),
	};
	rc = clash ? PL_EEXIST
		   : store_exec(c, "INSERT INTO trace_events (id, enterprise_id, event_id, hash, "
			   "capture_id, type, action, event_time_ms, tz_offset, record_time, "
			   "record_time_ms, biz_step, disposition, read_point, biz_location, "
			   "parent_id, transformation_id, context_json, body_json, empties) VALUES "
			   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
			   "ON CONFLICT (enterprise_id, event_time_ms, hash) DO NOTHING",
			p, STORE_NP(p), &changes);
	if (rc == PL_EEXIST) {
		char msg[TRACE_ID_MAX + 160];
		pl_fmt(msg, sizeof(msg), "epcisBody.eventList[%zu].eventID: an event with "
		       "eventID %.300s and different content is already stored", idx, rows->event_id);
		repo__err(errs, msg);
		rc = PL_EINVAL;
		goto out;
	}
	if (rc)
		goto out;
	if (changes == 0) {
		*dup = true;
		goto out;
	}
	/* the lookup by hash, moved into trace_event_hashes later (note 11) */
	struct store_param ph[] = { SP_TEXT(rows->hash), SP_TEXT(rid) };
	rc = store_exec(c, "INSERT INTO trace_hash_pending (h, event_row) VALUES "
			   "(substr(?, 15, 16), ?)", ph, STORE_NP(ph), NULL);
	if (rc)
		goto out;
	rc = repo__insert_members(c, rid, rows);
out:
	free(body_own);
	return rc;
}

void trace__capture_prep(const char *buf, size_t len, bool xml, bool queued,
			 struct trace_errors *errs, struct trace__doc *d)
{
	const json_t *events, *context;
	int rc;

	memset(d, 0, sizeof(*d));
	if (xml) {
		rc = trace_xml_to_doc(buf, len, &d->doc, errs);
		if (rc == 0 && (rc = trace_doc_check(d->doc, errs)) != 0) {
			json_decref(d->doc);
			d->doc = NULL;
		}
	} else {
		rc = trace_doc_validate(buf, len, &d->doc, errs);
	}
	d->rc = rc;
	if (rc == PL_EINVAL && (d->doc || !xml || errs->n)) {
		/* A readable document that broke rules: a failed job (note 1). */
		d->fail = true;
		return;
	}
	if (rc && queued && (rc == PL_EPARSE || rc == PL_ETOOBIG)) {
		/* The handler checked readability before queueing (queue.c), so
		 * only a body it let through lands here: still a job outcome. */
		d->fail = true;
		return;
	}
	if (rc)
		return;
	events = trace_doc_events(d->doc);
	context = json_object_get(d->doc, "@context");
	d->nev = json_array_size(events);
	/* flatten and hash every event before taking the write lock (note 6) */
	d->prep = pl_calloc(d->nev ? d->nev : 1, sizeof(*d->prep));
	for (size_t i = 0; i < d->nev; i++)
		repo__prep(&d->prep[i], json_array_get(events, i), context,
			   i ? d->prep[i - 1].rid : NULL);
	/* the document's @context, serialised once for all its events */
	d->ctx_s = context ? pl_json_dump(context) : NULL;
}

void trace__capture_doc_free(struct trace__doc *d)
{
	for (size_t i = 0; d->prep && i < d->nev; i++) {
		pl_arena_free(d->prep[i].a);
		free(d->prep[i].body);
	}
	free(d->prep);
	free(d->ctx_s);
	json_decref(d->doc);
	memset(d, 0, sizeof(*d));
}

/* Note 11: the pending rows go over sorted, in one transaction, so the
 * random key costs about a page per leaf of the index per batch instead of
 * a page per event. A pending row is deleted only once its copy is there:
 * a row another writer committed between the two statements (PostgreSQL)
 * stays for the next batch. */
int trace_repo_hashes_merge(struct store_conn *c, int64_t min_pending)
{
	json_t *row = NULL;
	int rc = store_query_one(c, "SELECT COALESCE(MAX(seq) - MIN(seq) + 1, 0) AS n, "
				 "COALESCE(MAX(seq), 0) AS last FROM trace_hash_pending", NULL, 0, &row);
	if (rc)
		return rc;
	json_int_t n = json_integer_value(json_object_get(row, "n"));
	struct store_param p[] = { SP_INT(json_integer_value(json_object_get(row, "last"))) };
	json_decref(row);
	if (n < min_pending || n == 0)
		return 0;
	if ((rc = store_begin(c)) != 0)
		return rc;
	rc = store_exec(c, "INSERT INTO trace_event_hashes (h, event_row) SELECT h, event_row "
			   "FROM trace_hash_pending WHERE seq <= ? ORDER BY h, event_row "
			   "ON CONFLICT DO NOTHING", p, STORE_NP(p), NULL);
	if (rc == 0)
		rc = store_exec(c, "DELETE FROM trace_hash_pending WHERE seq <= ? AND EXISTS "
				   "(SELECT 1 FROM trace_event_hashes x WHERE x.h = trace_hash_pending.h "
				   "AND x.event_row = trace_hash_pending.event_row)", p, STORE_NP(p),
				NULL);
	if (rc == 0)
		rc = store_commit(c);
	if (rc)
		store_rollback(c);
	return rc;
}

int trace__capture_store(struct store_conn *c, const char *tenant, const char *actor,
			 const char *id, const char *created, bool queued, bool *claimed,
			 struct trace_errors *errs, struct trace__doc *d)
{
	char now[PL_TIME_STRLEN];
	const json_t *events;
	size_t stored = 0, dups = 0, nev = d->nev;
	int64_t now_ms, changes = 1;
	int rc = d->rc;

	*claimed = true;
	if (d->fail)
		goto failed;
	if (rc)
		return rc;
	events = trace_doc_events(d->doc);
	if ((rc = store_begin(c)))
		return rc;
	if (queued) {
		/* The claim: deleting the queue row first makes a second worker
		 * (another daemon on the same PostgreSQL) block here, then find
		 * nothing to delete once this transaction commits. */
		struct store_param pq[] = { SP_TEXT(id) };
		rc = store_exec(c, "DELETE FROM trace_capture_queue WHERE job_id = ?", pq, 1,
				&changes);
		if (rc == 0 && changes == 0) {
			*claimed = false;
			store_rollback(c);
			return 0;
		}
		struct store_param pj[] = { SP_INT((int64_t)nev), SP_TEXT(id) };
		if (rc == 0)
			rc = store_exec(c, "UPDATE trace_capture_jobs SET event_count = ? WHERE id = ?",
					pj, STORE_NP(pj), NULL);
	} else {
		struct store_param pj[] = { SP_TEXT(id), SP_TEXT(tenant),
					    actor ? SP_TEXT(actor) : SP_NULL, SP_TEXT(created),
					    SP_INT((int64_t)nev) };
		rc = store_exec(c, "INSERT INTO trace_capture_jobs (id, enterprise_id, created_by, "
				   "created_at, running, success, event_count) "
				   "VALUES (?, ?, ?, ?, 1, 1, ?)", pj, STORE_NP(pj), NULL);
	}
	now_ms = pl_time_now_ms();
	pl_time_format(now_ms, now);
	for (size_t i = 0; i < nev && !rc; i++) {
		bool dup;
		rc = repo__insert_event(c, tenant, id, json_array_get(events, i), &d->prep[i], d->ctx_s,
					now_ms, now, &dup, errs, i);
		if (rc == 0)
			dup ? dups++ : stored++;
	}
	if (rc == 0) {
		char fin[PL_TIME_STRLEN];
		pl_time_format(pl_time_now_ms(), fin);
		struct store_param pu[] = { SP_TEXT(fin), SP_INT((int64_t)stored),
					    SP_INT((int64_t)dups), SP_TEXT(id) };
		rc = store_exec(c, "UPDATE trace_capture_jobs SET running = 0, finished_at = ?, "
				   "stored = ?, duplicates = ? WHERE id = ?", pu, STORE_NP(pu), NULL);
	}
	if (rc == 0)
		rc = store_commit(c);
	if (rc) {
		store_rollback(c);
		if (rc == PL_EINVAL)
			goto failed;
		/* A queued job that fails for a reason a retry will not cure
		 * (not the store being busy or down) is finished as failed,
		 * naming the reason: left pending it would block the queue. */
		if (queued && rc != PL_EDB && rc != PL_EBUSY) {
			char msg[160];
			pl_fmt(msg, sizeof(msg), "document: could not be stored (%s)", pl_strerror(rc));
			repo__err(errs, msg);
			goto failed;
		}
	}
	/* the document is stored whatever this gives: a batch that could not
	 * move now stays pending, where lookups find it too (note 11) */
	if (rc == 0 && stored)
		trace_repo_hashes_merge(c, TRACE_HASH_BATCH);
	return rc;
failed:
	if (errs->n == 0)
		repo__err(errs, "document: rejected");
	return repo__job_fail(c, tenant, actor, id, created, nev, errs, queued, claimed);
}

int trace__capture_job(struct store_conn *c, const char *tenant, const char *actor,
		       const char *id, const char *created, const char *buf, size_t len,
		       bool xml, bool queued, bool *claimed, struct trace_errors *errs)
{
	struct trace__doc d;
	int rc;

	trace__capture_prep(buf, len, xml, queued, errs, &d);
	rc = trace__capture_store(c, tenant, actor, id, created, queued, claimed, errs, &d);
	trace__capture_doc_free(&d);
	return rc;
}

int trace_repo_capture(struct store_conn *c, const char *tenant, const char *actor,
		       const char *buf, size_t len, bool xml,
		       struct trace_errors *errs, json_t **job)
{
	char id[PL_ID_LEN + 1], created[PL_TIME_STRLEN];
	bool claimed;
	int rc;

	*job = NULL;
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), created);
	rc = trace__capture_job(c, tenant, actor, id, created, buf, len, xml, false, &claimed,
				errs);
	if (rc == 0)
		rc = trace_repo_job_get(c, tenant, id, job);
	return rc;
}

int trace_repo_job_get(struct store_conn *c, const char *tenant, const char *id,
		       json_t **job)
{
	json_t *row = NULL;
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(tenant), SP_TEXT(tenant) };
	int rc;

	*job = NULL;
	rc = store_query_one(c, "SELECT id, created_at, finished_at, running, success, "
				"event_count, stored, duplicates, errors_json FROM trace_capture_jobs "
				"WHERE id = ? AND (? IS NULL OR enterprise_id = ?)", p, 3, &row);
	if (rc)
		return rc;
	json_t *errs = json_object_get(row, "errors_json");
	*job = json_pack("{s:O, s:O, s:O, s:b, s:b, s:s, s:o, s:O, s:O, s:O}",
			 "captureID", json_object_get(row, "id"),
			 "createdAt", json_object_get(row, "created_at"),
			 "finishedAt", json_object_get(row, "finished_at"),
			 "running", json_integer_value(json_object_get(row, "running")) != 0,
			 "success", json_integer_value(json_object_get(row, "success")) != 0,
			 "captureErrorBehaviour", "rollback",
			 "errors", json_is_array(errs) ? json_incref(errs) : json_array(),
			 "eventCount", json_object_get(row, "event_count"),
			 "stored", json_object_get(row, "stored"),
			 "duplicates", json_object_get(row, "duplicates"));
	json_decref(row);
	return *job ? 0 : PL_EINTERNAL;
}

/* -------------------------------------------------------------- queries */

struct repo_sql {
	struct pl_buf sql;
	struct store_param *p; /* owned */
	size_t np, cap;
};

static void repo__param(struct repo_sql *s, struct store_param v)
{
	if (s->np == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->p = pl_realloc(s->p, s->cap * sizeof(*s->p));
	}
	s->p[s->np++] = v;
}

/* " AND <expr> IN (?, ?, ...)" for a list; nothing when the list is absent. */
static void repo__in(struct repo_sql *s, const char *expr, const struct trace_query_list *l)
{
	if (!l->n)
		return;
	pl_buf_printf(&s->sql, " AND %s IN (", expr);
	for (size_t i = 0; i < l->n; i++) {
		pl_buf_puts(&s->sql, i ? ", ?" : "?");
		repo__param(s, SP_TEXT(l->v[i]));
	}
	pl_buf_puts(&s->sql, ")");
}

/* Rows whose hash is one of l (note 11): through trace_event_hashes and
 * trace_hash_pending by the hashes' first 16 hex digits, then the hash. */
static void repo__by_hash(struct repo_sql *s, const struct trace_query_list *l)
{
	static const char *const from[] = { "trace_event_hashes", "trace_hash_pending" };

	pl_buf_puts(&s->sql, " AND e.id IN (");
	for (size_t t = 0; t < 2; t++) {
		pl_buf_printf(&s->sql, "%sSELECT event_row FROM %s WHERE h IN (",
			      t ? " UNION ALL " : "", from[t]);
		for (size_t i = 0; i < l->n; i++) {
			pl_buf_puts(&s->sql, i ? ", substr(?, 15, 16)" : "substr(?, 15, 16)");
			repo__param(s, SP_TEXT(l->v[i]));
		}
		pl_buf_puts(&s->sql, ")");
	}
	pl_buf_puts(&s->sql, ")");
	repo__in(s, "e.hash", l);
}

/* A member-table filter (MATCH_*): roles is a trusted SQL list like
 * "'epc','child'". Written as e.id IN (rows naming the ids), not as a
 * correlated EXISTS, so SQLite starts from the (id, time, row, role)
 * index (migration 26) and reads the named ids' rows only; EXISTS had it
 * scan every event in time order and probe each (0.16 s against 7 ms on a
 * 150 k-event store, growing with the store). */
static void repo__exists(struct repo_sql *s, const char *table, const char *col,
			 const char *roles, const struct trace_query_list *l)
{
	if (!l->n)
		return;
	pl_buf_printf(&s->sql, " AND e.id IN (SELECT x.event_row FROM %s x WHERE x.role IN (%s)",
		      table, roles);
	char expr[32];
	pl_fmt(expr, sizeof(expr), "x.%s", col);
	repo__in(s, expr, l);
	pl_buf_puts(&s->sql, ")");
}

static void repo__typed(struct repo_sql *s, char dir, const struct trace_query_typed *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *d = dir == 'b' ? "b" : dir == 's' ? "s" : "d";
		/* IN, not EXISTS: see repo__exists */
		pl_buf_puts(&s->sql, " AND e.id IN (SELECT x.event_row FROM trace_event_pairs x "
				     "WHERE x.dir = ? AND x.type = ?");
		repo__param(s, SP_TEXT(d));
		repo__param(s, SP_TEXT(t->type[i]));
		repo__in(s, "x.value", &t->values[i]);
		pl_buf_puts(&s->sql, ")");
	}
}

/* The WHERE clause of a query (without paging). */
static void repo__where(struct repo_sql *s, const char *tenant, const struct trace_query *q)
{
	pl_buf_puts(&s->sql, " WHERE 1 = 1");
	if (tenant) {
		pl_buf_puts(&s->sql, " AND " TRACE__VISIBLE_SQL);
		repo__param(s, SP_TEXT(tenant));
		repo__param(s, SP_TEXT(tenant));
		repo__param(s, SP_TEXT(tenant));
	}
	repo__in(s, "e.type", &q->event_type);
	if (q->has_ge_event_time) {
		pl_buf_puts(&s->sql, " AND e.event_time_ms >= ?");
		repo__param(s, SP_INT(q->ge_event_time_ms));
	}
	if (q->has_lt_event_time) {
		pl_buf_puts(&s->sql, " AND e.event_time_ms < ?");
		repo__param(s, SP_INT(q->lt_event_time_ms));
	}
	if (q->has_ge_record_time) {
		pl_buf_puts(&s->sql, " AND e.record_time_ms >= ?");
		repo__param(s, SP_INT(q->ge_record_time_ms));
	}
	if (q->has_lt_record_time) {
		pl_buf_puts(&s->sql, " AND e.record_time_ms < ?");
		repo__param(s, SP_INT(q->lt_record_time_ms));
	}
	if (q->actions) {
		pl_buf_puts(&s->sql, " AND e.action IN (''");
		if (q->actions & TRACE_ACTION_ADD)
			pl_buf_puts(&s->sql, ", 'ADD'");
		if (q->actions & TRACE_ACTION_OBSERVE)
			pl_buf_puts(&s->sql, ", 'OBSERVE'");
		if (q->actions & TRACE_ACTION_DELETE)
			pl_buf_puts(&s->sql, ", 'DELETE'");
		pl_buf_puts(&s->sql, ")");
	}
	repo__in(s, "e.biz_step", &q->eq_biz_step);
	repo__in(s, "e.disposition", &q->eq_disposition);
	repo__in(s, "e.read_point", &q->eq_read_point);
	repo__in(s, "e.biz_location", &q->eq_biz_location);
	repo__in(s, "e.transformation_id", &q->eq_transformation_id);
	if (q->eq_event_id.n) {
		/* through UNIQUE (enterprise_id, event_id), naming the
		 * enterprise so that it can use the index, or, for events keyed
		 * by their hash, through the hash tables: notes 7, 9 and 11 */
		pl_buf_puts(&s->sql, " AND ((e.enterprise_id IN (SELECT id FROM enterprises)");
		repo__in(s, "e.event_id", &q->eq_event_id);
		pl_buf_puts(&s->sql, " AND NOT " TRACE__HASH_ID_SQL ") OR (1 = 1");
		repo__by_hash(s, &q->eq_event_id);
		pl_buf_puts(&s->sql, " AND " TRACE__HASH_ID_SQL "))");
	}
	repo__in(s, "e.parent_id", &q->match_parent_id);
	repo__exists(s, "trace_event_epcs", "epc", "'epc','child'", &q->match_epc);
	repo__exists(s, "trace_event_epcs", "epc", "'input'", &q->match_input_epc);
	repo__exists(s, "trace_event_epcs", "epc", "'output'", &q->match_output_epc);
	repo__exists(s, "trace_event_epcs", "epc", "'epc','child','input','output','parent'",
		     &q->match_any_epc);
	repo__exists(s, "trace_event_qty", "epc_class", "'epc','child'", &q->match_epc_class);
	repo__exists(s, "trace_event_qty", "epc_class", "'input'", &q->match_input_epc_class);
	repo__exists(s, "trace_event_qty", "epc_class", "'output'", &q->match_output_epc_class);
	repo__exists(s, "trace_event_qty", "epc_class", "'epc','child','input','output'",
		     &q->match_any_epc_class);
	repo__typed(s, 'b', &q->eq_biz_transaction);
	repo__typed(s, 's', &q->eq_source);
	repo__typed(s, 'd', &q->eq_destination);
}

static void repo__sql_release(struct repo_sql *s)
{
	free(s->p);
	pl_buf_release(&s->sql);
}

#define REPO_STD_CONTEXT "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"

/* Adds the entries of one stored @context (string, object or array of
 * them) to ctx, skipping the standard context and entries already there,
 * so a page's document declares every prefix its events use. */
static void repo__context_merge(json_t *ctx, const char *stored)
{
	json_t *v = stored && *stored ? json_loads(stored, 0, NULL) : NULL, *one;
	size_t i;

	if (!v)
		return;
	if (!json_is_array(v)) {
		json_t *a = json_array();
		json_array_append_new(a, v);
		v = a;
	}
	json_array_foreach(v, i, one) {
		bool have = json_is_string(one) && !strcmp(json_string_value(one), REPO_STD_CONTEXT);
		for (size_t k = 0; !have && k < json_array_size(ctx); k++)
			have = json_equal(json_array_get(ctx, k), one);
		if (!have)
			json_array_append(ctx, one);
	}
	json_decref(v);
}

/* The query proper: key NULL means "do not make a next-page token" (the
 * subscription cursor, subscribe.c); *last_key / last_id get the page's
 * last position and *more whether rows follow it. */
static int repo__query(struct store_conn *c, const char *tenant, const struct trace_query *q,
		       const unsigned char *key, json_t **events, json_t **contexts,
		       char next_token[TRACE_TOKEN_MAX], int64_t *last_key_out,
		       char last_id_out[PL_ID_LEN + 2], bool *more_out);

int trace__repo_query_cursor(struct store_conn *c, const char *tenant,
			     const struct trace_query *q, struct pl_arena *a, json_t **events,
			     json_t **contexts, int64_t *last_ms, char last_row[PL_ID_LEN + 2],
			     bool *more)
{
	char unused[TRACE_TOKEN_MAX];
	(void)a;
	return repo__query(c, tenant, q, NULL, events, contexts, unused, last_ms, last_row, more);
}

int trace_repo_query(struct store_conn *c, const char *tenant, const struct trace_query *q,
		     const unsigned char key[TRACE_TOKEN_KEY_BYTES], struct pl_arena *a,
		     json_t **events, json_t **contexts, char next_token[TRACE_TOKEN_MAX])
{
	int64_t lk;
	char lid[PL_ID_LEN + 2];
	bool more;
	(void)a;
	return repo__query(c, tenant, q, key, events, contexts, next_token, &lk, lid, &more);
}

static int repo__query(struct store_conn *c, const char *tenant, const struct trace_query *q,
		       const unsigned char *key, json_t **events, json_t **contexts,
		       char next_token[TRACE_TOKEN_MAX], int64_t *last_key_out,
		       char last_id_out[PL_ID_LEN + 2], bool *more_out)
{
	struct repo_sql s = { .np = 0 };
	struct store_rows *r = NULL;
	const char *col = q->order_by == TRACE_ORDER_EVENT_TIME ? "e.event_time_ms"
								 : "e.record_time_ms";
	bool desc = q->order_by != TRACE_ORDER_NONE && q->order_desc;
	int64_t limit = q->per_page, last_key = 0;
	char last_id[PL_ID_LEN + 1] = "";
	int64_t got = 0;
	int rc;

	*more_out = false;
	*events = NULL;
	*contexts = NULL;
	next_token[0] = '\0';
	pl_buf_init(&s.sql, REPO_SQL_MAX);
	if (q->max_event_count > 0) {
		json_t *cnt = NULL;
		pl_buf_puts(&s.sql, "SELECT count(*) AS n FROM trace_events e");
		repo__where(&s, tenant, q);
		rc = s.sql.len >= REPO_SQL_MAX ? PL_ETOOBIG
					       : store_query_one(c, s.sql.data, s.p, s.np, &cnt);
		if (rc)
			goto out;
		int64_t n = json_integer_value(json_object_get(cnt, "n"));
		json_decref(cnt);
		if (n > q->max_event_count) {
			rc = PL_ETOOBIG;
			goto out;
		}
		repo__sql_release(&s);
		s = (struct repo_sql){ .np = 0 };
		pl_buf_init(&s.sql, REPO_SQL_MAX);
	}
	pl_buf_printf(&s.sql, "SELECT e.body_json, %s AS k, e.id, e.context_json FROM trace_events e",
		      col);
	repo__where(&s, tenant, q);
	if (q->has_page_token) {
		pl_buf_printf(&s.sql, " AND (%s %s ? OR (%s = ? AND e.id %s ?))", col,
			      desc ? "<" : ">", col, desc ? "<" : ">");
		repo__param(&s, SP_INT(q->after_record_time_ms));
		repo__param(&s, SP_INT(q->after_record_time_ms));
		repo__param(&s, SP_TEXT(q->after_event_id));
	}
	if (q->event_count_limit > 0 && q->event_count_limit < limit)
		limit = q->event_count_limit;
	pl_buf_printf(&s.sql, " ORDER BY %s %s, e.id %s LIMIT %lld", col, desc ? "DESC" : "ASC",
		      desc ? "DESC" : "ASC", (long long)limit + 1);
	if (s.sql.len >= REPO_SQL_MAX) {
		rc = PL_ETOOBIG;
		goto out;
	}
	if ((rc = store_query(c, s.sql.data, s.p, s.np, &r)))
		goto out;
	*events = json_array();
	*contexts = json_array();
	while ((rc = store_rows_next(r)) == 1) {
		if (got == limit) {
			/* One row past the page: there is a next page, unless
			 * eventCountLimit ended the results here. */
			*more_out = true;
			if (key && !(q->event_count_limit > 0 && q->event_count_limit <= limit))
				rc = trace_page_token_encode(key, last_key, last_id, next_token);
			break;
		}
		json_t *ev = json_loads(store_rows_text(r, 0), 0, NULL);
		if (!ev) {
			rc = PL_EINTERNAL;
			break;
		}
		json_array_append_new(*events, ev);
		repo__context_merge(*contexts, store_rows_text(r, 3));
		last_key = store_rows_int(r, 1);
		pl_strlcpy(last_id, store_rows_text(r, 2), sizeof(last_id));
		got++;
	}
	if (rc == 1 || rc == 0)
		rc = 0;
	if (rc == 0 && got) {
		*last_key_out = last_key;
		pl_strlcpy(last_id_out, last_id, PL_ID_LEN + 2);
	}
out:
	if (rc) {
		json_decref(*events);
		json_decref(*contexts);
		*events = NULL;
		*contexts = NULL;
	}
	store_rows_free(r);
	repo__sql_release(&s);
	return rc;
}

static bool repo__is_hex64(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (repo__hexval(s[n]) < 0)
			return false;
	return n == 64;
}

/* One lookup of trace_repo_event_get, the row whose eventID (by_hash
 * false) or hash (true) is value and that cond, a trusted condition,
 * holds for. By eventID it goes through UNIQUE (enterprise_id, event_id)
 * one enterprise at a time (note 7: there is no single-column index), by
 * hash through the hash tables (note 11). */
static int repo__event_by(struct store_conn *c, const char *tenant, bool by_hash,
			  const char *cond, const char *value, json_t **row)
{
	char sql[1024];
	struct store_param p[6];
	size_t np = 0;
	int rc;

	for (int i = by_hash ? 3 : 1; i > 0; i--) /* TRACE__HASH_ROWS_SQL's two, the hash */
		p[np++] = SP_TEXT(value);
	for (int i = 0; i < 3; i++)               /* TRACE__VISIBLE_SQL's three */
		p[np++] = SP_TEXT(tenant);

	*row = NULL;
	pl_fmt(sql, sizeof(sql), "SELECT e.id, e.body_json, e.context_json AS context_text "
	       "FROM trace_events e WHERE %s AND %s AND " TRACE__VISIBLE_SQL
	       " ORDER BY e.id LIMIT 1", by_hash ? "e.id IN " TRACE__HASH_ROWS_SQL " AND e.hash = ?"
	       : "e.enterprise_id IN (SELECT id FROM enterprises) AND e.event_id = ?", cond);
	rc = store_query_one(c, sql, p, np, row);
	return rc == PL_ENOTFOUND ? 0 : rc;
}

int trace_repo_event_get(struct store_conn *c, const char *tenant, const char *event_id,
			 json_t **event, json_t **contexts)
{
	char hash[TRACE_HASH_STRLEN];
	json_t *row = NULL, *by_hash = NULL;
	int rc;

	*event = NULL;
	if (contexts)
		*contexts = NULL;
	/* the eventID as given (a client's in event_id, or one in the hash's
	 * form kept as the hash: note 9), else (64 hex digits) the CBV hash it
	 * names; both match: the lower row id wins, as one OR query gave */
	rc = repo__event_by(c, tenant, false, "NOT " TRACE__HASH_ID_SQL, event_id, &row);
	if (rc == 0 && !row && !strncmp(event_id, "ni:///", 6))
		rc = repo__event_by(c, tenant, true, TRACE__HASH_ID_SQL, event_id, &row);
	if (rc == 0 && repo__is_hex64(event_id)) {
		pl_fmt(hash, sizeof(hash), "ni:///sha-256;%s?ver=CBV2.0", event_id);
		rc = repo__event_by(c, tenant, true, "1 = 1", hash, &by_hash);
		if (rc == 0 && by_hash &&
		    (!row || strcmp(pl_json_str(by_hash, "id"), pl_json_str(row, "id")) < 0)) {
			json_decref(row);
			row = by_hash;
			by_hash = NULL;
		}
	}
	if (rc == 0 && !row)
		rc = PL_ENOTFOUND;
	if (rc)
		goto out;
	*event = json_incref(json_object_get(row, "body_json"));
	if (contexts) {
		*contexts = json_array();
		repo__context_merge(*contexts, pl_json_str(row, "context_text"));
	}
	rc = *event ? 0 : PL_EINTERNAL;
out:
	json_decref(by_hash);
	json_decref(row);
	return rc;
}

int trace_repo_event_types(struct store_conn *c, const char *tenant, json_t **out)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { TRACE__VISIBLE_P(tenant) };
	int rc;

	*out = json_array();
	rc = store_query(c, "SELECT DISTINCT e.type FROM trace_events e WHERE "
			    TRACE__VISIBLE_SQL " ORDER BY e.type", p, STORE_NP(p), &r);
	while (rc == 0 && (rc = store_rows_next(r)) == 1)
		json_array_append_new(*out, json_string(store_rows_text(r, 0)));
	if (rc == 1)
		rc = 0;
	store_rows_free(r);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

json_t *trace_query_doc(json_t *events, json_t *contexts, const char *query_name)
{
	char now[PL_TIME_STRLEN];
	json_t *ctx = json_pack("[s]", REPO_STD_CONTEXT);

	if (contexts)
		json_array_extend(ctx, contexts);
	json_decref(contexts);
	pl_time_format(pl_time_now_ms(), now);
	return json_pack("{s:o, s:s, s:s, s:s, s:{s:{s:s, s:{s:o}}}}",
			 "@context", ctx,
			 "type", "EPCISQueryDocument", "schemaVersion", "2.0", "creationDate", now,
			 "epcisBody", "queryResults", "queryName", query_name, "resultsBody",
			 "eventList", events);
}
