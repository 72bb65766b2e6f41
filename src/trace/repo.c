/*
 * repo.c - the EPCIS repository on the store: capture jobs, the event
 * tables of migration 3, queries and the page-token key (trace-api).
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
 *  2. Capture runs inside the request (the daemon's handler threads do
 *     bounded work: a document is capped at TRACE_DOC_MAX_EVENTS events).
 *     The job record still exists, so clients written against the
 *     asynchronous contract (202 + poll) work unchanged.
 *  3. Deduplication is per tenant on the CBV 2.0 hash: UNIQUE
 *     (enterprise_id, hash) with INSERT ... ON CONFLICT DO NOTHING, so a
 *     retried capture stores nothing twice, and two enterprises capturing
 *     the same event each keep their own row (neither learns of the other).
 *     The same eventID with different content is an error.
 *  4. Paging orders by (sort key, row id) - both immutable - and the token
 *     seals the last pair seen (query.c), so pages stay stable while new
 *     events arrive. Row ids are ULIDs: later captures sort later.
 *  5. The page-token key lives in trace_settings, created on first use, so
 *     every daemon on a shared PostgreSQL accepts the others' tokens and a
 *     restart does not invalidate pages in flight.
 */
#include "trace/trace.h"

#include <string.h>

#define REPO_EVENT_ARENA (8u << 20) /* one event's rows: far above any valid event */
#define REPO_SQL_MAX (1u << 20)     /* a query's SQL text */
#define REPO_KEY_NAME "page_token_key"

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

/* Records a failed job in its own transaction (note 1). */
static int repo__job_fail(struct store_conn *c, const char *tenant, const char *actor,
			  const char *id, const char *created, size_t nevents,
			  const struct trace_errors *errs)
{
	char now[PL_TIME_STRLEN];
	json_t *ej = repo__errors_json(errs);
	char *ejs = pl_json_dump(ej);
	int rc;

	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(tenant), actor ? SP_TEXT(actor) : SP_NULL, SP_TEXT(created),
		SP_TEXT(now), SP_INT((int64_t)nevents), SP_TEXT(ejs),
	};
	if ((rc = store_begin(c)))
		goto out;
	rc = store_exec(c, "INSERT INTO trace_capture_jobs (id, enterprise_id, created_by, "
			   "created_at, finished_at, running, success, event_count, errors_json) "
			   "VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)", p, STORE_NP(p), NULL);
	if (rc == 0)
		rc = store_commit(c);
	if (rc)
		store_rollback(c);
out:
	free(ejs);
	json_decref(ej);
	return rc;
}

/* Inserts one event's row and side rows. *dup is set when this tenant
 * already holds an event with the same hash (nothing inserted then). */
static int repo__insert_event(struct store_conn *c, const char *tenant, const char *job_id,
			      const json_t *event, const json_t *context, int64_t now_ms,
			      const char *now, bool *dup, struct trace_errors *errs, size_t idx)
{
	struct pl_arena *a = pl_arena_new(REPO_EVENT_ARENA);
	struct trace_rows rows;
	char rid[PL_ID_LEN + 1];
	json_t *body = NULL;
	char *body_s = NULL, *ctx_s = NULL;
	const char *parent = NULL;
	int64_t changes = 0;
	int rc;

	*dup = false;
	rc = trace_event_rows(event, context, a, &rows);
	if (rc) {
		char msg[200];
		pl_fmt(msg, sizeof(msg), "epcisBody.eventList[%zu]: cannot be normalised (%s)",
		       idx, pl_strerror(rc));
		repo__err(errs, msg);
		rc = PL_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < rows.n_epcs; i++)
		if (rows.epcs[i].role == TRACE_ROLE_PARENT)
			parent = rows.epcs[i].epc;
	/* The stored body is what queries return: eventID filled in (note 3 of
	 * the issue: an absent eventID becomes the hash) and recordTime set by
	 * the repository, never by the client. */
	body = json_deep_copy(event);
	json_object_set_new(body, "eventID", json_string(rows.event_id));
	json_object_set_new(body, "recordTime", json_string(now));
	body_s = pl_json_dump(body);
	ctx_s = context ? pl_json_dump(context) : NULL;
	pl_id_new(rid);
	struct store_param p[] = {
		SP_TEXT(rid), SP_TEXT(tenant), SP_TEXT(rows.event_id), SP_TEXT(rows.hash),
		SP_TEXT(job_id), SP_TEXT(rows.type), SP_TEXT(rows.action),
		SP_INT(rows.event_time_ms), SP_TEXT(rows.tz_offset), SP_TEXT(now), SP_INT(now_ms),
		SP_TEXT(rows.biz_step), SP_TEXT(rows.disposition), SP_TEXT(rows.read_point),
		SP_TEXT(rows.biz_location), SP_TEXT(parent), SP_TEXT(rows.transformation_id),
		SP_TEXT(ctx_s), SP_TEXT(body_s),
	};
	rc = store_exec(c, "INSERT INTO trace_events (id, enterprise_id, event_id, hash, "
			   "capture_id, type, action, event_time_ms, tz_offset, record_time, "
			   "record_time_ms, biz_step, disposition, read_point, biz_location, "
			   "parent_id, transformation_id, context_json, body_json) VALUES "
			   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
			   "ON CONFLICT (enterprise_id, hash) DO NOTHING",
			p, STORE_NP(p), &changes);
	if (rc == PL_EEXIST) {
		char msg[TRACE_ID_MAX + 160];
		pl_fmt(msg, sizeof(msg), "epcisBody.eventList[%zu].eventID: an event with "
		       "eventID %.300s and different content is already stored", idx, rows.event_id);
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
	for (size_t i = 0; i < rows.n_epcs && !rc; i++) {
		struct store_param q[] = { SP_TEXT(rid), SP_TEXT(repo__role_names[rows.epcs[i].role]),
					   SP_TEXT(rows.epcs[i].epc) };
		rc = store_exec(c, "INSERT INTO trace_event_epcs (event_row, role, epc) "
				   "VALUES (?, ?, ?)", q, 3, NULL);
	}
	for (size_t i = 0; i < rows.n_qtys && !rc; i++) {
		const struct trace_qty_row *qr = &rows.qtys[i];
		struct store_param q[] = { SP_TEXT(rid), SP_TEXT(repo__role_names[qr->role]),
					   SP_TEXT(qr->epc_class),
					   qr->has_quantity ? SP_REAL(qr->quantity) : SP_NULL,
					   SP_TEXT(qr->uom) };
		rc = store_exec(c, "INSERT INTO trace_event_qty (event_row, role, epc_class, "
				   "quantity, uom) VALUES (?, ?, ?, ?, ?)", q, 5, NULL);
	}
	for (size_t i = 0; i < rows.n_pairs && !rc; i++) {
		const struct trace_pair_row *pr = &rows.pairs[i];
		char dir[2] = { pr->dir, 0 };
		struct store_param q[] = { SP_TEXT(rid), SP_TEXT(dir), SP_TEXT(pr->type),
					   SP_TEXT(pr->value) };
		rc = store_exec(c, "INSERT INTO trace_event_pairs (event_row, dir, type, value) "
				   "VALUES (?, ?, ?, ?)", q, 4, NULL);
	}
out:
	free(body_s);
	free(ctx_s);
	json_decref(body);
	pl_arena_free(a);
	return rc;
}

int trace_repo_capture(struct store_conn *c, const char *tenant, const char *actor,
		       const char *buf, size_t len, bool xml,
		       struct trace_errors *errs, json_t **job)
{
	char id[PL_ID_LEN + 1], created[PL_TIME_STRLEN], now[PL_TIME_STRLEN];
	json_t *doc = NULL;
	const json_t *events, *context;
	size_t stored = 0, dups = 0, nev = 0;
	int64_t now_ms;
	int rc;

	*job = NULL;
	pl_id_new(id);
	now_ms = pl_time_now_ms();
	pl_time_format(now_ms, created);
	if (xml) {
		rc = trace_xml_to_doc(buf, len, &doc, errs);
		if (rc == 0 && (rc = trace_doc_check(doc, errs)) != 0) {
			json_decref(doc);
			doc = NULL;
		}
	} else {
		rc = trace_doc_validate(buf, len, &doc, errs);
	}
	if (rc == PL_EINVAL && (doc || !xml || errs->n)) {
		/* A readable document that broke rules: a failed job (note 1). */
		goto failed;
	}
	if (rc)
		goto out;
	events = trace_doc_events(doc);
	context = json_object_get(doc, "@context");
	nev = json_array_size(events);
	if ((rc = store_begin(c)))
		goto out;
	struct store_param pj[] = { SP_TEXT(id), SP_TEXT(tenant), actor ? SP_TEXT(actor) : SP_NULL,
				    SP_TEXT(created), SP_INT((int64_t)nev) };
	rc = store_exec(c, "INSERT INTO trace_capture_jobs (id, enterprise_id, created_by, "
			   "created_at, running, success, event_count) VALUES (?, ?, ?, ?, 1, 1, ?)",
			pj, STORE_NP(pj), NULL);
	pl_time_format(now_ms, now);
	for (size_t i = 0; i < nev && !rc; i++) {
		bool dup;
		rc = repo__insert_event(c, tenant, id, json_array_get(events, i), context, now_ms,
					now, &dup, errs, i);
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
		if (rc != PL_EINVAL)
			goto out;
		goto failed;
	}
	rc = trace_repo_job_get(c, tenant, id, job);
	goto out;
failed:
	if (errs->n == 0)
		repo__err(errs, "document: rejected");
	rc = repo__job_fail(c, tenant, actor, id, created, nev, errs);
	if (rc == 0)
		rc = trace_repo_job_get(c, tenant, id, job);
out:
	json_decref(doc);
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

/* EXISTS over a side table: roles is a trusted SQL list like "'epc','child'". */
static void repo__exists(struct repo_sql *s, const char *table, const char *col,
			 const char *roles, const struct trace_query_list *l)
{
	if (!l->n)
		return;
	pl_buf_printf(&s->sql, " AND EXISTS (SELECT 1 FROM %s x WHERE x.event_row = e.id "
			       "AND x.role IN (%s)", table, roles);
	char expr[32];
	pl_fmt(expr, sizeof(expr), "x.%s", col);
	repo__in(s, expr, l);
	pl_buf_puts(&s->sql, ")");
}

static void repo__typed(struct repo_sql *s, char dir, const struct trace_query_typed *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *d = dir == 'b' ? "b" : dir == 's' ? "s" : "d";
		pl_buf_puts(&s->sql, " AND EXISTS (SELECT 1 FROM trace_event_pairs x WHERE "
				     "x.event_row = e.id AND x.dir = ? AND x.type = ?");
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
		pl_buf_puts(&s->sql, " AND e.enterprise_id = ?");
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
	repo__in(s, "e.event_id", &q->eq_event_id);
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

int trace_repo_query(struct store_conn *c, const char *tenant, const struct trace_query *q,
		     const unsigned char key[TRACE_TOKEN_KEY_BYTES], struct pl_arena *a,
		     json_t **events, json_t **contexts, char next_token[TRACE_TOKEN_MAX])
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

	(void)a;
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
			if (!(q->event_count_limit > 0 && q->event_count_limit <= limit))
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

int trace_repo_event_get(struct store_conn *c, const char *tenant, const char *event_id,
			 json_t **event, json_t **contexts)
{
	char hash[TRACE_HASH_STRLEN];
	json_t *row = NULL;
	int rc;

	*event = NULL;
	if (contexts)
		*contexts = NULL;
	if (repo__is_hex64(event_id))
		pl_fmt(hash, sizeof(hash), "ni:///sha-256;%s?ver=CBV2.0", event_id);
	else
		pl_strlcpy(hash, "", sizeof(hash));
	struct store_param p[] = { SP_TEXT(event_id), SP_TEXT(hash), SP_TEXT(tenant),
				   SP_TEXT(tenant) };
	rc = store_query_one(c, "SELECT e.body_json, e.context_json AS context_text FROM trace_events e WHERE "
				"(e.event_id = ? OR e.hash = ?) AND (? IS NULL OR e.enterprise_id = ?) "
				"ORDER BY e.id LIMIT 1", p, STORE_NP(p), &row);
	if (rc)
		return rc;
	*event = json_incref(json_object_get(row, "body_json"));
	if (contexts) {
		*contexts = json_array();
		repo__context_merge(*contexts, pl_json_str(row, "context_text"));
	}
	json_decref(row);
	return *event ? 0 : PL_EINTERNAL;
}

int trace_repo_event_types(struct store_conn *c, const char *tenant, json_t **out)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(tenant), SP_TEXT(tenant) };
	int rc;

	*out = json_array();
	rc = store_query(c, "SELECT DISTINCT e.type FROM trace_events e WHERE "
			    "(? IS NULL OR e.enterprise_id = ?) ORDER BY e.type", p, 2, &r);
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
