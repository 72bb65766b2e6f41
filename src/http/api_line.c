/*
 * api_line.c - the production line endpoints (action line.read):
 *   GET /api/v1/lines                       lines the caller may see
 *   GET /api/v1/lines/{id}/metrics          last value of every series, with stale
 *   GET /api/v1/lines/{id}/series?metric=&from=&to=   decoded points
 *   GET /api/v1/lines/{id}/live             the live tile
 *   GET /api/v1/lines/{id}/oee?shift=|day=  ISO 22400 report
 *   POST /api/v1/lines/{id}/ingest          HTTP batch ingest (line.ingest)
 * Tenancy: the list is filtered by auth_tenant_filter; a line of an
 * enterprise the caller may not see answers exactly like a missing one
 * (404); a device token reaches only the line it is bound to. The batch
 * ingest commits its points before answering 200, then updates live state
 * and publishes the tile and alarm changes to the SSE streams.
 */
#include "http/http_int.h"
#include "line/repo.h"
#include "line/live.h"
#include "desk/repo.h"

#include <math.h>

#include <string.h>

#define LINE_LIST_MAX 1000
#define LINE_RANGE_DEFAULT_MS (3600 * 1000) /* series without from: the last hour */

int http__h_line_list(struct http_req *r)
{
	struct store_conn *c = NULL;
	struct store_param p[4];
	size_t np = 0;
	struct pl_buf sql;
	json_t *items = NULL;
	int rc;

	pl_buf_init(&sql, 4096);
	pl_buf_puts(&sql, "SELECT l.id, l.enterprise_id, l.name, l.sp_group, l.sp_node, l.created_at"
			  " FROM lines l WHERE 1 = 1");
	if ((rc = auth_tenant_filter(&r->principal, AUTH_A_LINE_READ, "l.enterprise_id", &sql,
				     p, &np))) {
		rc = http_fail(r, rc, NULL, "you may not list lines");
		goto out;
	}
	pl_buf_printf(&sql, " ORDER BY l.name, l.id LIMIT %d", LINE_LIST_MAX);
	if ((rc = http_store_get(r, &c)))
		goto out;
	if ((rc = store_query_json(c, sql.data, p, np, LINE_LIST_MAX, &items))) {
		rc = http_fail(r, rc, NULL, "listing lines failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:o}", "items", items));
	items = NULL;
out:
	json_decref(items);
	store_conn_put(c);
	pl_buf_release(&sql);
	return rc;
}

int http__line_load(struct http_req *r, struct store_conn *c, const char *id,
		    enum auth_action action, json_t **out)
{
	struct auth_target t;
	int rc = PL_ENOTFOUND;

	*out = NULL;
	if (pl_id_valid(id)) {
		rc = line_repo_line_get(c, id, out);
		if (rc && rc != PL_ENOTFOUND)
			return http_fail(r, rc, NULL, "reading the line failed: %s", pl_strerror(rc));
		if (rc == 0) {
			rc = auth_target_for(c, &r->principal, pl_json_str(*out, "enterprise_id"), &t);
			if (rc == 0)
				rc = auth_authorize(&r->principal, action, &t);
			/* a device token is bound to one line, not its whole enterprise */
			if (rc == 0 && r->principal.role == AUTH_ROLE_DEVICE &&
			    strcmp(r->principal.line_id, id))
				rc = PL_EFORBIDDEN;
			if (rc == 0)
				return 0;
			json_decref(*out);
			*out = NULL;
			if (rc != PL_ENOTFOUND)
				return http_fail(r, rc, NULL, "you may not read this line");
		}
	}
	return http_fail(r, PL_ENOTFOUND, NULL, "no line '%.40s'", id);
}

static int line__load(struct http_req *r, struct store_conn *c, const char *id, json_t **out)
{
	return http__line_load(r, c, id, AUTH_A_LINE_READ, out);
}

int http__h_line_metrics(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *items = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	if ((rc = line_repo_metrics(c, r->params[0], &items))) {
		rc = http_fail(r, rc, NULL, "reading the line's metrics failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "line_id", r->params[0], "items", items));
	items = NULL;
out:
	json_decref(items);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

/* A time query parameter: RFC 3339 or integer ms UTC; def when absent. */
static int line__time_param(struct http_req *r, const struct http_query *q, const char *key,
			    int64_t def, int64_t *out)
{
	const char *v = http_query_get(q, key);

	*out = def;
	if (!v)
		return 0;
	if (pl_parse_i64(v, -LINE_TIME_ABS_MAX, LINE_TIME_ABS_MAX, out) == 0 ||
	    pl_time_parse(v, out) == 0)
		return 0;
	return http_fail(r, PL_EINVAL, "bad-query",
			 "query parameter '%s' must be an RFC 3339 time or milliseconds since the epoch",
			 key);
}

/* The step query parameter: absent = raw points (*width 0), "1m" or "1h"
 * = the stored rollups of that width. */
static int line__step_param(struct http_req *r, const struct http_query *q, int64_t *width)
{
	const char *v = http_query_get(q, "step");

	*width = 0;
	if (!v)
		return 0;
	if (!strcmp(v, "1m"))
		*width = LINE_ROLLUP_MINUTE_MS;
	else if (!strcmp(v, "1h"))
		*width = LINE_ROLLUP_HOUR_MS;
	else
		return http_fail(r, PL_EINVAL, "bad-query", "query parameter 'step' must be 1m or 1h"
				 " (absent: raw points)");
	return 0;
}

/* The stored rollups answer of http__h_line_series (step=1m|1h). */
static int line__series_buckets(struct http_req *r, struct store_conn *c, const char *metric,
				int64_t width, int64_t from, int64_t to)
{
	json_t *b = NULL;
	int rc = line_repo_rollups_json(c, r->params[0], metric, width, from, to, &b);

	if (rc == PL_ENOTFOUND)
		return http_fail(r, rc, NULL, "line has no metric '%.100s'", metric);
	if (rc == PL_ETOOBIG)
		return http_fail(r, rc, NULL, "more than %d buckets in the range; narrow it or use a"
				 " larger step", LINE_QUERY_BUCKETS_MAX);
	if (rc)
		return http_fail(r, rc, NULL, "reading the rollups failed: %s", pl_strerror(rc));
	return http_reply_json(r, 200, json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "line_id",
						 r->params[0], "metric", metric, "from", (json_int_t)from,
						 "to", (json_int_t)to, "step",
						 width == LINE_ROLLUP_HOUR_MS ? "1h" : "1m", "buckets", b));
}

int http__h_line_series(struct http_req *r)
{
	const struct http_query *q;
	struct store_conn *c = NULL;
	json_t *line = NULL, *pts = NULL;
	const char *metric;
	int64_t now = pl_time_now_ms(), from, to, width;
	int rc;

	if ((rc = http_query_of(r, &q)))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, "metric") && strcmp(q->pairs[i].key, "from") &&
		    strcmp(q->pairs[i].key, "to") && strcmp(q->pairs[i].key, "step")) {
			rc = http_fail(r, PL_EINVAL, "bad-query",
				       "unknown query parameter '%.60s'; known: metric, from, to, step",
				       q->pairs[i].key);
			goto out;
		}
	if ((rc = line__step_param(r, q, &width)))
		goto out;
	metric = http_query_get(q, "metric");
	if (!metric || !*metric || strlen(metric) > LINE_METRIC_MAX) {
		rc = http_fail(r, PL_EINVAL, "bad-query",
			       "query parameter 'metric' is required (1..%d bytes)", LINE_METRIC_MAX);
		goto out;
	}
	if ((rc = line__time_param(r, q, "to", now + 1, &to)) ||
	    (rc = line__time_param(r, q, "from", to - LINE_RANGE_DEFAULT_MS, &from)))
		goto out;
	if (from >= to) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "'from' must be before 'to'");
		goto out;
	}
	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	if (width) {
		rc = line__series_buckets(r, c, metric, width, from, to);
		goto out;
	}
	rc = line_repo_points(c, r->params[0], metric, from, to, &pts);
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "line has no metric '%.100s'", metric);
		goto out;
	}
	if (rc == PL_ETOOBIG) {
		rc = http_fail(r, rc, NULL, "more than %d points in the range; narrow it",
			       LINE_QUERY_POINTS_MAX);
		goto out;
	}
	if (rc) {
		rc = http_fail(r, rc, NULL, "reading the series failed: %s", pl_strerror(rc));
		goto out;
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:s, s:I, s:I, s:o}", "line_id", r->params[0],
					       "metric", metric, "from", (json_int_t)from,
					       "to", (json_int_t)to, "points", pts));
	pts = NULL;
out:
	json_decref(pts);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

/* ------------------------------------------------------------ live state */

void http_server_publish(struct http_server *s, const char *event, const char *enterprise_id,
			 const char *data)
{
	struct store_conn *c = NULL;
	/* specialists need their assignment looked up; without a connection
	 * they simply get nothing this time */
	if (store_conn_get(s->opt.store, &c))
		c = NULL;
	http__sse_publish(s->hub, c, event, NULL, enterprise_id, data);
	store_conn_put(c);
}

/* One JSON value to every stream allowed to see its enterprise. */
static void line__publish(struct http_req *r, struct store_conn *c, const char *event, json_t *v)
{
	char *text = pl_json_dump(v);
	http__sse_publish(r->srv->hub, c, event, NULL, pl_json_str(v, "enterprise_id"), text);
	free(text);
}

void http__line_events(struct http_req *r, struct store_conn *c, json_t *events)
{
	json_t *lines = json_object(), *ev, *v;
	const char *line_id;
	size_t i;

	json_array_foreach(events, i, ev) {
		if (r->srv->opt.desk && json_is_true(json_object_get(ev, "needs_request"))) {
			/* a safety alarm became active: one urgent desk request,
			 * opened by the system for the line's enterprise */
			struct desk_err err = { .text = "" };
			struct desk_actor a = { .p = NULL, .request_id = r->request_id, .ip = r->ip };
			char title[DESK_TITLE_MAX + 1], desc[600];
			json_t *req = NULL;
			pl_fmt(title, sizeof(title), "[安全告警 Safety alarm] %.80s", pl_json_str(ev, "name"));
			pl_fmt(desc, sizeof(desc), "产线 %s 的 %s 类告警于 %s 触发 (alarm %s), 请立即处置。",
			       pl_json_str(ev, "line_id"), pl_json_str(ev, "category"), pl_json_str(ev, "at"),
			       pl_json_str(ev, "alarm_id"));
			struct desk_request_new in = {
				.enterprise_id = pl_json_str(ev, "enterprise_id"), .channel = "web",
				.category = "help", .urgency = "critical", .title = title, .description = desc,
			};
			int rc = store_begin(c);
			if (rc == 0)
				rc = desk_request_create(r->srv->opt.desk, c, &a, &in, pl_time_now_ms(), &req, &err);
			if (rc == 0)
				rc = line_live_alarm_set_request(c, pl_json_str(ev, "alarm_id"), pl_json_str(req, "id"));
			if (rc == 0)
				rc = store_commit(c);
			if (rc == 0)
				json_object_set_new(ev, "desk_request_id", json_string(pl_json_str(req, "id")));
			else {
				if (store_in_tx(c))
					store_rollback(c);
				pl_warn(r->srv->opt.log, "line", "opening the desk request of alarm %s failed: %s",
					pl_json_str(ev, "alarm_id"), *err.text ? err.text : pl_strerror(rc));
			}
			json_decref(req);
		}
		line__publish(r, c, "alarm", ev);
		json_object_set_new(lines, pl_json_str(ev, "line_id"), json_true());
	}
	json_object_foreach(lines, line_id, v) {
		json_t *tile = NULL;
		if (line_live_tile(c, line_id, pl_time_now_ms(), false, &tile) == 0)
			line__publish(r, c, "line", tile);
		json_decref(tile);
	}
	json_decref(lines);
}

int http__h_line_live(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *tile = NULL;
	int rc;

	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	if ((rc = line_live_tile(c, r->params[0], pl_time_now_ms(), false, &tile))) {
		rc = http_fail(r, rc, NULL, "reading the live tile failed: %s", pl_strerror(rc));
		goto out;
	}
	json_object_del(tile, "oee_at");
	rc = http_reply_json(r, 200, tile);
	tile = NULL;
out:
	json_decref(tile);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

int http__h_line_oee(struct http_req *r)
{
	const struct http_query *q;
	struct store_conn *c = NULL;
	json_t *line = NULL, *rep = NULL;
	const char *shift, *day;
	int64_t now = pl_time_now_ms(), from = 0, to = 0, at = now;
	char shift_name[16] = "";
	int rc;

	if ((rc = http_query_of(r, &q)))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, "shift") && strcmp(q->pairs[i].key, "day")) {
			rc = http_fail(r, PL_EINVAL, "bad-query",
				       "unknown query parameter '%.60s'; known: shift, day", q->pairs[i].key);
			goto out;
		}
	shift = http_query_get(q, "shift");
	day = http_query_get(q, "day");
	if (shift && day) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "give 'shift' or 'day', not both");
		goto out;
	}
	if (shift && strcmp(shift, "current") && strcmp(shift, "") &&
	    pl_parse_i64(shift, -LINE_TIME_ABS_MAX, LINE_TIME_ABS_MAX, &at) && pl_time_parse(shift, &at)) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "'shift' must be 'current', an RFC 3339 time or"
			       " milliseconds: the shift that contains it");
		goto out;
	}
	if ((rc = http_store_get(r, &c)) || (rc = line__load(r, c, r->params[0], &line)))
		goto out;
	rc = day ? line_live_window_day(c, r->params[0], day, &from, &to)
		 : line_live_window_shift(c, r->params[0], at, &from, &to, shift_name);
	if (rc == PL_EINVAL) {
		rc = http_fail(r, rc, "bad-query", "'day' must be a date YYYY-MM-DD (Beijing time)");
		goto out;
	}
	if (rc == PL_ENOTFOUND) {
		rc = http_fail(r, rc, NULL, "the line has no production plan, or no shift at that time");
		goto out;
	}
	if (rc == 0 && from >= (now < to ? now : to)) {
		rc = http_fail(r, PL_EINVAL, "bad-query", "that shift or day has not begun yet");
		goto out;
	}
	if (rc || (rc = line_live_oee(c, r->params[0], from, to, now, &rep))) {
		rc = http_fail(r, rc, NULL, "computing OEE failed: %s", pl_strerror(rc));
		goto out;
	}
	json_object_set_new(rep, "line_id", json_string(r->params[0]));
	json_object_set_new(rep, "scope", json_string(day ? "day" : "shift"));
	if (!day)
		json_object_set_new(rep, "shift", json_string(shift_name));
	rc = http_reply_json(r, 200, rep);
	rep = NULL;
out:
	json_decref(rep);
	json_decref(line);
	store_conn_put(c);
	return rc;
}

/* Batch ingest limits: points per request, how far ahead of our clock a
 * point may be, and the oldest time accepted. */
#define INGEST_POINTS_MAX 10000
#define INGEST_FUTURE_MS (60 * 1000)
#define INGEST_OLDEST_MS 946684800000LL /* 2000-01-01 */

struct ingest_pt {
	const char *metric; /* borrowed from the body */
	int64_t t;
	double v;
	size_t order;       /* position in the body: ties keep the last */
};

static int ingest_cmp(const void *a, const void *b)
{
	const struct ingest_pt *x = a, *y = b;
	int c = strcmp(x->metric, y->metric);
	if (c)
		return c;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* One HTTP batch's points (validated and sorted), their buffers, and
 * what storing them gave. */
struct ingest_tx {
	struct ingest_pt *pts;
	size_t n;
	struct line_point *run, *old;
	struct line_live_point *live;
	size_t accepted, late, nlive;
};

/* How often a batch the store found busy runs (http__h_line_ingest). */
#define INGEST_BUSY_TRIES 3

/* Stores tx's points in one transaction on *c (taken here; the caller
 * puts it back) and commits; *line gets the line. An error is recorded
 * with http_fail and returned, the transaction left for the caller to
 * roll back. */
static int ingest__tx(struct http_req *r, struct ingest_tx *tx, struct store_conn **c,
		      json_t **line)
{
	struct ingest_pt *pts = tx->pts;
	struct line_point *run = tx->run, *old = tx->old;
	struct line_live_point *live = tx->live;
	size_t n = tx->n, i, accepted = 0, late = 0, nlive = 0;
	int rc;

	if ((rc = http_store_begin(r, c)) ||
	    (rc = http__line_load(r, *c, r->params[0], AUTH_A_LINE_INGEST, line)))
		return rc;
	/* one run per metric, sorted by time: of equal timestamps the last
	 * given wins and counts once; points after the stored newest take
	 * the fast path (blocks of at most LINE_BLOCK_POINTS_MAX, appended),
	 * the rest are late and merged into the stored blocks (repo.c NOTES 3,
	 * the same rule as the MQTT ingest) */
	for (i = 0; i < n;) {
		size_t j = i, k = 0, nold = 0;
		char sid[PL_ID_LEN + 1];
		int64_t last_t;
		while (j < n && !strcmp(pts[j].metric, pts[i].metric))
			j++;
		if ((rc = line_repo_series_ensure(*c, r->params[0], pts[i].metric, sid, &last_t)))
			return http_fail(r, rc, NULL, "storing the points failed: %s", pl_strerror(rc));

		for (size_t x = i; x < j; x++) {
			if (x + 1 < j && pts[x + 1].t == pts[x].t)
				continue; /* duplicate time: the later one wins */
			if (pts[x].t <= last_t) {
				old[nold++] = (struct line_point){ pts[x].t, pts[x].v };
				continue;
			}
			run[k++] = (struct line_point){ pts[x].t, pts[x].v };
			live[nlive++] = (struct line_live_point){ pts[x].metric, pts[x].t, pts[x].v };
			accepted++;
			if (k == LINE_BLOCK_POINTS_MAX || x + 1 == j) {
				if ((rc = line_repo_block_put(*c, sid, run, k)))
					return http_fail(r, rc, NULL, "storing the points failed: %s", pl_strerror(rc));
				k = 0;
			}
		}
		if (k && (rc = line_repo_block_put(*c, sid, run, k)))
			return http_fail(r, rc, NULL, "storing the points failed: %s", pl_strerror(rc));
		/* late points are stored, not replayed into live state: machine
		 * state and alarms move forward in time only (docs/line.md) */
		if (nold && (rc = line_repo_points_merge(*c, sid, old, nold, NULL)))
			return http_fail(r, rc, NULL, "merging late points failed: %s", pl_strerror(rc));
		accepted += nold;
		late += nold;
		i = j;
	}
	if ((rc = store_commit(*c)))
		return http_fail(r, rc, NULL, "committing the points failed: %s", pl_strerror(rc));

	tx->accepted = accepted;
	tx->late = late;
	tx->nlive = nlive;
	return 0;
}

int http__h_line_ingest(struct http_req *r)
{
	struct store_conn *c = NULL;
	json_t *line = NULL, *arr, *p, *tile = NULL, *events = NULL;
	struct ingest_pt *pts = NULL;
	struct line_point *run = NULL, *old = NULL;
	struct line_live_point *live = NULL;
	size_t n, i, accepted = 0, late = 0, nlive = 0;
	int64_t now = pl_time_now_ms();
	int rc;

	arr = json_object_get(r->json, "points");
	n = json_array_size(arr);
	if (n == 0 || n > INGEST_POINTS_MAX) {
		rc = http_fail(r, PL_EINVAL, "validation", "'points' must hold 1..%d points", INGEST_POINTS_MAX);
		goto out;
	}
	/* validate everything before touching the store: nothing is written
	 * when any point is bad */
	pts = pl_calloc(n, sizeof(*pts));
	json_array_foreach(arr, i, p) {
		const char *m = pl_json_str(p, "metric");
		json_t *t = json_object_get(p, "t"), *v = json_object_get(p, "value");
		int64_t ts;
		if (!json_is_object(p) || json_object_size(p) != 3 || !m || !*m ||
		    strlen(m) > LINE_METRIC_MAX || !t || !v) {
			rc = http_fail(r, PL_EINVAL, "validation", "points[%zu] must be {metric (1..%d bytes),"
				       " t, value} and nothing else", i, LINE_METRIC_MAX);
			goto out;
		}
		if (json_is_integer(t))
			ts = json_integer_value(t);
		else if (!json_is_string(t) || pl_time_parse(json_string_value(t), &ts)) {
			rc = http_fail(r, PL_EINVAL, "validation", "points[%zu].t must be milliseconds or"
				       " an RFC 3339 time", i);
			goto out;
		}
		if (ts < INGEST_OLDEST_MS || ts > now + INGEST_FUTURE_MS) {
			rc = http_fail(r, PL_EINVAL, "validation", "points[%zu].t is out of range (2000-01-01"
				       " .. now + %d s)", i, INGEST_FUTURE_MS / 1000);
			goto out;
		}
		double d;
		if (json_is_number(v))
			d = json_number_value(v);
		else if (json_is_boolean(v))
			d = json_is_true(v) ? 1 : 0;
		else {
			rc = http_fail(r, PL_EINVAL, "validation", "points[%zu].value must be a number or a"
				       " boolean", i);
			goto out;
		}
		if (!isfinite(d)) {
			rc = http_fail(r, PL_EINVAL, "validation", "points[%zu].value must be finite", i);
			goto out;
		}
		pts[i] = (struct ingest_pt){ m, ts, d, i };
	}
	qsort(pts, n, sizeof(*pts), ingest_cmp);
	run = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*run));
	live = pl_malloc(n * sizeof(*live));
	old = pl_malloc(n * sizeof(*old));
	struct ingest_tx tx = { pts, n, run, old, live, 0, 0, 0 };
	for (int attempt = 1;; attempt++) {
		rc = ingest__tx(r, &tx, &c, &line);
		if (rc != PL_EBUSY || attempt == INGEST_BUSY_TRIES)
			break;
		/* rolled back: PostgreSQL broke a deadlock with this
		 * transaction, or a lock wait passed the store's timeout; the
		 * points were validated, so the batch runs again */
		pl_warn(r->srv->opt.log, "line", "ingest into line %s: %s; trying again (%d of %d)",
			r->params[0], r->problem.detail, attempt + 1, INGEST_BUSY_TRIES);
		store_conn_put(c);
		c = NULL;
		json_decref(line);
		line = NULL;
		memset(&r->problem, 0, sizeof(r->problem));
	}
	if (rc)
		goto out;
	accepted = tx.accepted;
	late = tx.late;
	nlive = tx.nlive;
	/* committed: the answer is 200 whatever happens to the live step,
	 * which the next batch or flush brings up to date */
	if (store_begin(c) == 0) {
		if (line_live_apply(c, r->params[0], live, nlive, pl_time_now_ms(), &tile, &events) == 0 &&
		    store_commit(c) == 0) {
			http__line_events(r, c, events);
			line__publish(r, c, "line", tile);
		} else if (store_in_tx(c)) {
			store_rollback(c);
		}
	}
	rc = http_reply_json(r, 200, json_pack("{s:s, s:I, s:I}", "line_id", r->params[0],
					       "accepted", (json_int_t)accepted, "late", (json_int_t)late));
out:
	json_decref(tile);
	json_decref(events);
	free(live);
	free(old);
	free(run);
	free(pts);
	json_decref(line);
	store_conn_put(c);
	return rc;
}
