/*
 * live.c - live production over the store (src/line/live.h): tiles,
 * machine-state log, OEE reports and persisted ISA-18.2 alarms.
 *
 * NOTES ON THE DESIGN
 * 1. The store is the state of record. An alarm row holds the rule and
 *    every field of struct line_alarm; each change loads the row, runs the
 *    pure state machine (alarm.c) and writes the row back guarded by its
 *    version column (optimistic concurrency), so the ingest worker, an
 *    operator's acknowledgement and another daemon on the same PostgreSQL
 *    cannot overwrite each other: the loser gets PL_ECONFLICT and retries.
 * 2. Machine state: line_live keeps what line_state_machine needs between
 *    flushes (state, since, counter, when it last moved); each apply
 *    rebuilds the machine from it, feeds the flush's samples in time order
 *    and appends a line_state_log row per change. The log is what OEE
 *    reads: actual production time = running intervals inside planned
 *    time; downtime Pareto = the other states' time inside planned time.
 * 3. Counts come from the stored counter series: the increments between
 *    consecutive points inside the window (a drop is a counter reset and
 *    counts the new value). The increment from the last point before the
 *    window to its first point is not counted: at one point a second that
 *    is at most one second of production per window edge.
 * 4. A tile reuses its OEE figure for LINE_LIVE_OEE_REUSE_MS: the report
 *    decodes the shift's counter blocks, which is the costly part, and a
 *    tile is rebuilt on every flush (every 250 ms).
 * 5. Limits: a line's rules are loaded per apply (capped at
 *    LINE_RULES_MAX); reports read at most LINE_QUERY_POINTS_MAX points per
 *    counter and LINE_REASONS_MAX reject reasons.
 * 6. Plans have a history (line_plan_versions, migration 23): a report
 *    cuts its window at every plan change inside it (at most
 *    LINE_OEE_PIECES_MAX pieces) and takes each piece's planned time from
 *    that piece's calendar, its counts into that piece (an increment
 *    belongs to the piece of its later point), and performance as
 *    sum(count x ideal cycle) / actual production time, so a product
 *    changeover mid-shift is weighed right and a plan changed today leaves
 *    last week's reports as they were. A window that starts before the
 *    first version uses the first; a plan row without any version (written
 *    by hand) is used as it is.
 */
#include "line/live.h"
#include "line/repo.h"

#include <math.h>
#include <string.h>

#define LINE_RULES_MAX 200
#define LINE_REASONS_MAX 100
#define LINE_LOG_ROWS_MAX 20000
#define LINE_OEE_PIECES_MAX 16 /* plan versions in force during one report (NOTES 6) */
#define DAY_MS (86400 * 1000LL)

static const char *const kind_names[] = { "high", "low", "roc", "stale" };
static const char *const cat_names[] = { "process", "equipment", "quality", "fire", "smoke", "gas" };

const char *line_alarm_kind_name(enum line_alarm_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}
const char *line_alarm_category_name(enum line_alarm_category c)
{
	return (unsigned)c < 6 ? cat_names[c] : "?";
}
int line_alarm_kind_parse(const char *s, enum line_alarm_kind *out)
{
	for (int i = 0; i < 4; i++)
		if (s && !strcmp(s, kind_names[i]))
			return (*out = (enum line_alarm_kind)i), 0;
	return PL_EINVAL;
}
int line_alarm_category_parse(const char *s, enum line_alarm_category *out)
{
	for (int i = 0; i < 6; i++)
		if (s && !strcmp(s, cat_names[i]))
			return (*out = (enum line_alarm_category)i), 0;
	return PL_EINVAL;
}
static int state_parse(const char *s, enum line_alarm_state *out)
{
	for (int i = 0; i <= LINE_AS_SHELVED; i++)
		if (!strcmp(s, line_alarm_state_name((enum line_alarm_state)i)))
			return (*out = (enum line_alarm_state)i), 0;
	return PL_EPARSE;
}
static enum line_state mstate_parse(const char *s)
{
	for (int i = 0; i < LINE_ST_COUNT; i++)
		if (!strcmp(s, line_state_name((enum line_state)i)))
			return (enum line_state)i;
	return LINE_ST_UNKNOWN;
}

/* true when metric key is name or ends in "/name" (a device's metric). */
static bool metric_is(const char *key, const char *name)
{
	size_t k = strlen(key), n = strlen(name);
	return (k == n && !memcmp(key, name, n)) ||
	       (k > n && key[k - n - 1] == '/' && !memcmp(key + k - n, name, n));
}
static bool metric_good(const char *m) { return metric_is(m, "good") || metric_is(m, "Counts/Good"); }
static bool metric_reject(const char *m) { return metric_is(m, "reject") || metric_is(m, "Counts/Reject"); }
/* The reason of a "Reject/<reason>" metric (optionally device-prefixed), or NULL. */
static const char *metric_reason(const char *m)
{
	const char *p = m;
	while ((p = strstr(p, "Reject/"))) {
		if ((p == m || p[-1] == '/') && p[7])
			return p + 7;
		p++;
	}
	return NULL;
}

/* ---------------------------------------------------------------- plans */

/* Parses the stored calendar JSON {utc_offset_min, shifts:[{name,
 * start_min, length_min, stops:[{offset_min, length_min}]}]}. */
static int calendar_parse(const char *text, struct line_calendar *cal)
{
	json_t *j = json_loads(text, 0, NULL), *shifts, *s;
	size_t i;
	int rc = PL_EPARSE;

	memset(cal, 0, sizeof(*cal));
	if (!j || !json_is_integer(json_object_get(j, "utc_offset_min")))
		goto out;
	cal->utc_offset_min = (int)json_integer_value(json_object_get(j, "utc_offset_min"));
	shifts = json_object_get(j, "shifts");
	if (!json_is_array(shifts) || json_array_size(shifts) > LINE_SHIFTS_MAX)
		goto out;
	json_array_foreach(shifts, i, s) {
		struct line_shift *sh = &cal->shifts[cal->n_shifts++];
		json_t *stops = json_object_get(s, "stops"), *st;
		size_t k;
		pl_strlcpy(sh->name, pl_json_str(s, "name") ? pl_json_str(s, "name") : "", sizeof(sh->name));
		sh->start_min = (int)json_integer_value(json_object_get(s, "start_min"));
		sh->length_min = (int)json_integer_value(json_object_get(s, "length_min"));
		if (stops && (!json_is_array(stops) || json_array_size(stops) > LINE_STOPS_MAX))
			goto out;
		json_array_foreach(stops, k, st) {
			sh->stops[sh->n_stops].offset_min = (int)json_integer_value(json_object_get(st, "offset_min"));
			sh->stops[sh->n_stops].length_min = (int)json_integer_value(json_object_get(st, "length_min"));
			sh->n_stops++;
		}
	}
	rc = line_calendar_check(cal) ? PL_EPARSE : 0;
out:
	json_decref(j);
	return rc;
}

struct plan {
	char product[128];
	double ideal_cycle_ms;
	struct line_calendar cal;
};

/* Fills pl from a row (product, ideal_cycle_ms, calendar). */
static int plan_row(struct store_rows *r, struct plan *pl)
{
	pl_strlcpy(pl->product, store_rows_text(r, 0), sizeof(pl->product));
	pl->ideal_cycle_ms = store_rows_real(r, 1);
	return calendar_parse(store_rows_text(r, 2), &pl->cal);
}

/* The first row of sql (bound to p) into pl; PL_ENOTFOUND when none. */
static int plan_query(struct store_conn *c, const char *sql, const struct store_param *p,
		      size_t np, struct plan *pl)
{
	struct store_rows *r = NULL;
	int rc = store_query(c, sql, p, np, &r);
	if (rc == 0) {
		rc = store_rows_next(r);
		rc = rc < 0 ? rc : rc == 0 ? PL_ENOTFOUND : plan_row(r, pl);
	}
	store_rows_free(r);
	return rc;
}

/* The plan in force at t (NOTES 6): the newest version from at or before
 * t, else the oldest one (t predates the history), else the plan itself
 * (a line_plans row written without a version). */
static int plan_load(struct store_conn *c, const char *line_id, int64_t t, struct plan *pl)
{
	struct store_param p[] = { SP_TEXT(line_id), SP_INT(t) };
	int rc = plan_query(c, "SELECT product, ideal_cycle_ms, calendar FROM line_plan_versions"
			    " WHERE line_id = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1",
			    p, 2, pl);
	if (rc == PL_ENOTFOUND)
		rc = plan_query(c, "SELECT product, ideal_cycle_ms, calendar FROM line_plan_versions"
				" WHERE line_id = ? ORDER BY valid_from LIMIT 1", p, 1, pl);
	if (rc == PL_ENOTFOUND)
		rc = plan_query(c, "SELECT product, ideal_cycle_ms, calendar FROM line_plans"
				" WHERE line_id = ?", p, 1, pl);
	return rc;
}

/* A part of a report's window with one plan in force. */
struct plan_piece {
	int64_t from, to;
	struct plan pl;
	double good, reject; /* counted inside it */
};

/* Cuts [from, to) at every plan change inside it (NOTES 6): *n pieces in
 * time order, the first starting at from. More than max pieces is
 * PL_ETOOBIG (a window with that many plan changes is asked in parts). */
static int plan_pieces(struct store_conn *c, const char *line_id, int64_t from, int64_t to,
		       struct plan_piece *pc, size_t max, size_t *n)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(line_id), SP_INT(from), SP_INT(to) };
	size_t k = 0;
	int rc;

	*n = 0;
	/* the versions starting inside the window, newest first */
	if ((rc = store_query(c, "SELECT product, ideal_cycle_ms, calendar, valid_from"
			      " FROM line_plan_versions WHERE line_id = ? AND valid_from > ?"
			      " AND valid_from < ? ORDER BY valid_from DESC LIMIT 64", p, 3, &r)))
		return rc;
	while ((rc = store_rows_next(r)) == 1) {
		if (k + 1 >= max) {
			rc = PL_ETOOBIG;
			break;
		}
		pc[max - 1 - k].from = store_rows_int(r, 3);
		if ((rc = plan_row(r, &pc[max - 1 - k].pl)))
			break;
		k++;
	}
	store_rows_free(r);
	if (rc < 0) /* a database error, a bad calendar or too many pieces */
		return rc;
	/* the plan in force at from, then the changes in time order */
	struct plan_piece *first = &pc[max - 1 - k];
	if ((rc = plan_load(c, line_id, from, &first->pl)))
		return rc;
	first->from = from;
	memmove(pc, first, (k + 1) * sizeof(*pc));
	for (size_t i = 0; i <= k; i++) {
		pc[i].to = i < k ? pc[i + 1].from : to;
		pc[i].good = pc[i].reject = 0;
	}
	*n = k + 1;
	return 0;
}

int line_live_demo_seed(struct store *st, FILE *print_to)
{
	static const char cal[] =
		"{\"utc_offset_min\":480,\"shifts\":["
		"{\"name\":\"早班\",\"start_min\":480,\"length_min\":480,\"stops\":[{\"offset_min\":240,\"length_min\":30}]},"
		"{\"name\":\"中班\",\"start_min\":960,\"length_min\":480,\"stops\":[{\"offset_min\":240,\"length_min\":30}]},"
		"{\"name\":\"夜班\",\"start_min\":0,\"length_min\":480,\"stops\":[{\"offset_min\":240,\"length_min\":30}]}]}";
	static const struct { const char *node, *product; double cycle_ms; } plans[] = {
		{ "fill-1", "注射用头孢曲松钠 1 g Ceftriaxone 1 g vials", 500 },
		{ "pack-1", "头孢曲松钠 10 支装 Ceftriaxone 10-vial cartons", 1000 },
	};
	struct store_conn *c = NULL;
	int rc, made = 0;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	if ((rc = store_begin(c)))
		goto out;
	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		char line_id[PL_ID_LEN + 1], ent[PL_ID_LEN + 1];
		int64_t ch = 0;
		if ((rc = line_repo_line_by_node(c, "taiji", plans[i].node, line_id, ent)))
			goto out;
		struct store_param p[] = { SP_TEXT(line_id), SP_TEXT(plans[i].product),
					   SP_REAL(plans[i].cycle_ms), SP_TEXT(cal) };
		if ((rc = store_exec(c, "INSERT INTO line_plans (line_id, product, ideal_cycle_ms, calendar)"
				     " VALUES (?, ?, ?, ?) ON CONFLICT (line_id) DO NOTHING",
				     p, STORE_NP(p), &ch)))
			goto out;
		if (ch && (rc = store_exec(c, "INSERT INTO line_plan_versions (line_id, valid_from, product,"
					   " ideal_cycle_ms, calendar) VALUES (?, 0, ?, ?, ?)",
					   p, STORE_NP(p), NULL)))
			goto out; /* the demo plan, in force since always */
		if (ch == 0)
			continue; /* seeded before: the rules are there too */
		made++;
		static const struct { const char *name, *metric; struct line_alarm_rule r; } rules[] = {
			{ "温度过高 Temperature high", "temperature",
			  { LINE_ALARM_HIGH, LINE_ALARM_PROCESS, 2, 80, 2, 0 } },
			{ "数据中断 No data", "speed",
			  { LINE_ALARM_STALE, LINE_ALARM_EQUIPMENT, 3, 0, 0, 30000 } },
			/* state codes 3 down, 4 blocked, 5 starved are above 2.5 */
			{ "产线停机 Line stopped", "state",
			  { LINE_ALARM_HIGH, LINE_ALARM_EQUIPMENT, 1, 2.5, 0, 0 } },
		};
		for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
			struct line_alarm_def d = { rules[k].name, rules[k].metric, rules[k].r };
			char why[120];
			if ((rc = line_live_alarm_add(c, line_id, &d, pl_time_now_ms(), NULL, why, sizeof(why))))
				goto out;
		}
	}
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "line demo: plans (3 shifts, Beijing time) and alarm rules (%d new)\n", made);
out:
	store_conn_put(c);
	return rc;
}

/* --------------------------------------------------------------- alarms */

struct alarm_row {
	char id[PL_ID_LEN + 1];
	char line_id[PL_ID_LEN + 1];
	char enterprise_id[PL_ID_LEN + 1];
	char name[LINE_ALARM_NAME_MAX + 1];
	char metric[LINE_METRIC_MAX + 1];
	bool has_request;
	int64_t version;
	struct line_alarm a;
};

#define ALARM_COLS "id, line_id, enterprise_id, name, metric, kind, category, priority, limit_v," \
	" deadband, stale_ms, state, cond, has_last, last_t, last_v, shelved_until, since, version," \
	" desk_request_id"

static int alarm_row_read(struct store_rows *r, struct alarm_row *x)
{
	memset(x, 0, sizeof(*x));
	pl_strlcpy(x->id, store_rows_text(r, 0), sizeof(x->id));
	pl_strlcpy(x->line_id, store_rows_text(r, 1), sizeof(x->line_id));
	pl_strlcpy(x->enterprise_id, store_rows_text(r, 2), sizeof(x->enterprise_id));
	pl_strlcpy(x->name, store_rows_text(r, 3), sizeof(x->name));
	pl_strlcpy(x->metric, store_rows_text(r, 4), sizeof(x->metric));
	if (line_alarm_kind_parse(store_rows_text(r, 5), &x->a.rule.kind) ||
	    line_alarm_category_parse(store_rows_text(r, 6), &x->a.rule.category) ||
	    state_parse(store_rows_text(r, 11), &x->a.state))
		return PL_EPARSE;
	x->a.rule.priority = (int)store_rows_int(r, 7);
	x->a.rule.limit = store_rows_real(r, 8);
	x->a.rule.deadband = store_rows_real(r, 9);
	x->a.rule.stale_ms = store_rows_int(r, 10);
	x->a.cond = store_rows_int(r, 12) != 0;
	x->a.has_last = store_rows_int(r, 13) != 0;
	x->a.last_t = store_rows_int(r, 14);
	x->a.last_v = store_rows_real(r, 15);
	x->a.shelved_until = store_rows_int(r, 16);
	x->a.since = store_rows_int(r, 17);
	x->version = store_rows_int(r, 18);
	x->has_request = !store_rows_isnull(r, 19);
	return 0;
}

/* Loads alarm rows matching sql's WHERE (params p) into a new array. */
static int alarm_rows_load(struct store_conn *c, const char *where, const struct store_param *p,
			   size_t np, struct alarm_row **out, size_t *n)
{
	struct store_rows *r = NULL;
	struct pl_buf sql;
	struct alarm_row *v = NULL;
	size_t k = 0;
	int rc;

	pl_buf_init(&sql, 4096);
	pl_buf_printf(&sql, "SELECT " ALARM_COLS " FROM line_alarms WHERE %s ORDER BY id LIMIT %d",
		      where, LINE_RULES_MAX);
	if ((rc = store_query(c, sql.data, p, np, &r)))
		goto out;
	v = pl_calloc(LINE_RULES_MAX, sizeof(*v));
	while ((rc = store_rows_next(r)) == 1 && k < LINE_RULES_MAX)
		if ((rc = alarm_row_read(r, &v[k])) == 0)
			k++;
		else
			goto out;
	rc = rc < 0 ? rc : 0;
out:
	store_rows_free(r);
	pl_buf_release(&sql);
	if (rc) {
		free(v);
		v = NULL;
		k = 0;
	}
	*out = v;
	*n = k;
	return rc;
}

/* Writes x back if nobody changed it since it was read (NOTES 1) and
 * records ev in the history. clear_request: the alarm went back to
 * normal, so its next activation may open a new desk request. */
static int alarm_row_save(struct store_conn *c, struct alarm_row *x, enum line_alarm_event ev,
			  int64_t at, bool has_value, double value, const char *actor)
{
	int64_t ch = 0;
	const struct line_alarm *a = &x->a;
	bool clear_request = a->state == LINE_AS_NORMAL;
	struct store_param p[] = {
		SP_TEXT(line_alarm_state_name(a->state)), SP_INT(a->cond), SP_INT(a->has_last),
		SP_INT(a->last_t), SP_REAL(isfinite(a->last_v) ? a->last_v : 0), SP_INT(a->shelved_until),
		SP_INT(a->since), SP_INT(clear_request), SP_TEXT(x->id), SP_INT(x->version),
	};
	int rc = store_exec(c, "UPDATE line_alarms SET state = ?, cond = ?, has_last = ?, last_t = ?,"
			    " last_v = ?, shelved_until = ?, since = ?, version = version + 1,"
			    " desk_request_id = CASE WHEN ? = 1 THEN NULL ELSE desk_request_id END"
			    " WHERE id = ? AND version = ?", p, STORE_NP(p), &ch);
	if (rc)
		return rc;
	if (ch != 1)
		return PL_ECONFLICT;
	x->version++;
	if (clear_request)
		x->has_request = false;
	if (ev == LINE_AE_NONE)
		return 0;
	char id[PL_ID_LEN + 1];
	pl_id_new(id);
	struct store_param pe[] = {
		SP_TEXT(id), SP_TEXT(x->id), SP_INT(at), SP_TEXT(line_alarm_event_name(ev)),
		SP_TEXT(line_alarm_state_name(a->state)), has_value && isfinite(value) ? SP_REAL(value) : SP_NULL,
		actor ? SP_TEXT(actor) : SP_NULL,
	};
	return store_exec(c, "INSERT INTO line_alarm_events (id, alarm_id, at, event, state, value, actor)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?)", pe, STORE_NP(pe), NULL);
}

static json_t *alarm_event_json(const struct alarm_row *x, enum line_alarm_event ev, int64_t at,
				bool has_value, double value)
{
	char t[PL_TIME_STRLEN];
	bool safety = line_alarm_category_is_safety(x->a.rule.category);
	pl_time_format(at, t);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:b}",
			 "alarm_id", x->id, "line_id", x->line_id, "enterprise_id", x->enterprise_id,
			 "name", x->name, "category", line_alarm_category_name(x->a.rule.category),
			 "safety", safety, "event", line_alarm_event_name(ev),
			 "state", line_alarm_state_name(x->a.state), "at", t,
			 "value", has_value && isfinite(value) ? json_real(value) : json_null(),
			 /* the caller opens one desk request per activation */
			 "needs_request", safety && ev == LINE_AE_RAISED && !x->has_request);
}

int line_live_alarm_add(struct store_conn *c, const char *line_id,
			const struct line_alarm_def *d, int64_t now, json_t **out,
			char *why, size_t whysz)
{
	json_t *line = NULL;
	struct line_alarm a;
	char id[PL_ID_LEN + 1], at[PL_TIME_STRLEN];
	size_t nl = d->name ? strlen(d->name) : 0, ml = d->metric ? strlen(d->metric) : 0;
	int rc;

	if (out)
		*out = NULL;
	if (nl == 0 || nl > LINE_ALARM_NAME_MAX) {
		pl_fmt(why, whysz, "'name' must be 1..%d bytes", LINE_ALARM_NAME_MAX);
		return PL_EINVAL;
	}
	if (ml == 0 || ml > LINE_METRIC_MAX) {
		pl_fmt(why, whysz, "'metric' must be 1..%d bytes", LINE_METRIC_MAX);
		return PL_EINVAL;
	}
	if (line_alarm_init(&a, &d->rule, now)) {
		pl_fmt(why, whysz, "the rule is invalid: priority 1..4, finite limit, deadband >= 0,"
		       " 'stale' needs stale_ms > 0, 'roc' needs limit > 0");
		return PL_EINVAL;
	}
	if ((rc = line_repo_line_get(c, line_id, &line)))
		return rc;
	pl_id_new(id);
	pl_time_format(now, at);
	struct store_param p[] = {
		SP_TEXT(id), SP_TEXT(line_id), SP_TEXT(pl_json_str(line, "enterprise_id")), SP_TEXT(d->name),
		SP_TEXT(d->metric), SP_TEXT(line_alarm_kind_name(a.rule.kind)),
		SP_TEXT(line_alarm_category_name(a.rule.category)), SP_INT(a.rule.priority),
		SP_REAL(a.rule.limit), SP_REAL(a.rule.deadband), SP_INT(a.rule.stale_ms),
		SP_TEXT(line_alarm_state_name(a.state)), SP_INT(a.last_t), SP_INT(a.since), SP_TEXT(at),
	};
	rc = store_exec(c, "INSERT INTO line_alarms (id, line_id, enterprise_id, name, metric, kind,"
			" category, priority, limit_v, deadband, stale_ms, state, cond, has_last, last_t,"
			" last_v, shelved_until, since, version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
			" ?, ?, ?, ?, ?, 0, 0, ?, 0, 0, ?, 1, ?)", p, STORE_NP(p), NULL);
	json_decref(line);
	if (rc == 0 && out)
		rc = line_live_alarm_get(c, id, out);
	return rc;
}

static json_t *alarm_json(const struct alarm_row *x)
{
	char since[PL_TIME_STRLEN], shelved[PL_TIME_STRLEN];
	const struct line_alarm *a = &x->a;
	pl_time_format(a->since, since);
	pl_time_format(a->shelved_until, shelved);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:f, s:f, s:I, s:s, s:b,"
			 " s:s, s:o, s:o}",
			 "id", x->id, "line_id", x->line_id, "enterprise_id", x->enterprise_id,
			 "name", x->name, "metric", x->metric, "kind", line_alarm_kind_name(a->rule.kind),
			 "category", line_alarm_category_name(a->rule.category),
			 "safety", line_alarm_category_is_safety(a->rule.category),
			 "priority", a->rule.priority, "limit", a->rule.limit, "deadband", a->rule.deadband,
			 "stale_ms", (json_int_t)a->rule.stale_ms, "state", line_alarm_state_name(a->state),
			 "active", a->cond, "since", since,
			 "shelved_until", a->state == LINE_AS_SHELVED ? json_string(shelved) : json_null(),
			 "last_value", a->has_last && isfinite(a->last_v) ? json_real(a->last_v) : json_null());
}

int line_live_alarm_get(struct store_conn *c, const char *alarm_id, json_t **out)
{
	struct alarm_row *v = NULL;
	size_t n = 0;
	struct store_param p[] = { SP_TEXT(alarm_id) };
	int rc = alarm_rows_load(c, "id = ?", p, 1, &v, &n);
	if (rc == 0 && n == 0)
		rc = PL_ENOTFOUND;
	if (rc == 0) {
		*out = alarm_json(&v[0]);
		json_t *rq = NULL;
		if (store_query_one(c, "SELECT desk_request_id FROM line_alarms WHERE id = ?", p, 1, &rq) == 0)
			json_object_set(*out, "desk_request_id", json_object_get(rq, "desk_request_id"));
		json_decref(rq);
	}
	free(v);
	return rc;
}

int line_live_alarm_list(struct store_conn *c, const char *line_id, const char *where,
			 const struct store_param *p, size_t np, size_t limit, bool history,
			 json_t **out)
{
	struct pl_buf sql;
	struct store_rows *r = NULL;
	struct store_param pp[9];
	json_t *arr = json_array();
	size_t k = 0;
	int rc;

	pl_buf_init(&sql, 4096);
	pl_buf_puts(&sql, "SELECT a.id FROM line_alarms a JOIN lines l ON l.id = a.line_id WHERE ");
	if (line_id) {
		pl_buf_puts(&sql, "a.line_id = ?");
		pp[k++] = SP_TEXT(line_id);
	} else {
		pl_buf_printf(&sql, "a.state <> 'normal'%s", where ? where : "");
		for (size_t i = 0; i < np && k < 8; i++)
			pp[k++] = p[i];
	}
	pl_buf_printf(&sql, " ORDER BY a.priority, a.since DESC, a.id LIMIT %zu", limit);
	if ((rc = store_query(c, sql.data, pp, k, &r)))
		goto out;
	json_t *ids = json_array();
	while ((rc = store_rows_next(r)) == 1)
		json_array_append_new(ids, json_string(store_rows_text(r, 0)));
	store_rows_free(r);
	r = NULL;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		json_t *a = NULL;
		if (rc < 0 || (rc = line_live_alarm_get(c, json_string_value(id), &a)))
			break;
		if (history) {
			json_t *h = NULL;
			struct store_param ph[] = { SP_TEXT(json_string_value(id)) };
			if ((rc = store_query_json(c, "SELECT at, event, state, value, actor FROM line_alarm_events"
						   " WHERE alarm_id = ? ORDER BY at DESC, id DESC LIMIT 20",
						   ph, 1, 20, &h))) {
				json_decref(a);
				break;
			}
			json_object_set_new(a, "history", h);
		}
		json_array_append_new(arr, a);
	}
	json_decref(ids);
out:
	store_rows_free(r);
	pl_buf_release(&sql);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int line_live_alarm_op(struct store_conn *c, const char *alarm_id, enum line_alarm_op op,
		       int64_t now, int64_t until, const char *actor, json_t **event)
{
	struct alarm_row *v = NULL;
	size_t n = 0;
	enum line_alarm_event ev = LINE_AE_NONE;
	struct store_param p[] = { SP_TEXT(alarm_id) };
	int rc;

	*event = NULL;
	if ((rc = alarm_rows_load(c, "id = ?", p, 1, &v, &n)))
		goto out;
	if (n == 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	/* a time that runs backwards must not move the life cycle back */
	if (now < v->a.since)
		now = v->a.since;
	switch (op) {
	case LINE_ALARM_OP_ACK:
		rc = line_alarm_ack(&v->a, now, &ev);
		break;
	case LINE_ALARM_OP_SHELVE:
		rc = line_alarm_shelve(&v->a, now, until, &ev);
		break;
	case LINE_ALARM_OP_UNSHELVE:
		rc = line_alarm_unshelve(&v->a, now, &ev);
		break;
	}
	if (rc)
		goto out;
	if ((rc = alarm_row_save(c, v, ev, now, false, 0, actor)))
		goto out;
	*event = alarm_event_json(v, ev, now, false, 0);
out:
	free(v);
	return rc;
}

int line_live_alarm_set_request(struct store_conn *c, const char *alarm_id,
				const char *request_id)
{
	struct store_param p[] = { SP_TEXT(request_id), SP_TEXT(alarm_id) };
	return store_exec(c, "UPDATE line_alarms SET desk_request_id = ? WHERE id = ?"
			  " AND desk_request_id IS NULL", p, STORE_NP(p), NULL);
}

/* ----------------------------------------------------- counters and logs */

/* Sum of the increments of a counter series in [from, to) (NOTES 3). */
static int counter_delta(struct store_conn *c, const char *series_id, int64_t from, int64_t to,
			 const struct plan_piece *pc, size_t npc, double *out /* [npc] */)
{
	struct store_rows *r = NULL;
	struct line_point *pts = pl_malloc(LINE_BLOCK_POINTS_MAX * sizeof(*pts));
	bool has_prev = false;
	double prev = 0;
	size_t total = 0, k = 0;
	struct store_param p[] = { SP_TEXT(series_id), SP_INT(from), SP_INT(to) };
	int rc = store_query(c, "SELECT data FROM line_series_blocks WHERE series_id = ?"
			     " AND t_last >= ? AND t_first < ? ORDER BY t_first LIMIT 1000",
			     p, STORE_NP(p), &r);
	if (rc)
		goto out;
	while ((rc = store_rows_next(r)) == 1) {
		size_t len = 0, n = 0;
		const void *blk = store_rows_blob(r, 0, &len);
		if ((rc = line_block_decode(blk, len, from, to, pts, LINE_BLOCK_POINTS_MAX, &n)))
			goto out;
		if ((total += n) > LINE_QUERY_POINTS_MAX) {
			rc = PL_ETOOBIG;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			double v = pts[i].v;
			if (!isfinite(v))
				continue;
			while (k + 1 < npc && pts[i].t >= pc[k + 1].from)
				k++; /* an increment counts in the piece of its later point */
			if (has_prev)
				out[k] += v >= prev ? v - prev : v; /* a drop is a reset */
			prev = v;
			has_prev = true;
		}
	}
	rc = rc < 0 ? rc : 0;
out:
	store_rows_free(r);
	free(pts);
	return rc;
}

struct planned_seg { int64_t from, to, stops; };

/* The planned segments of [from, to): the parts inside shifts, each with
 * its planned stop time. At most 64 segments (a window of weeks). */
static size_t planned_segments(const struct line_calendar *cal, int64_t from, int64_t to,
			       struct planned_seg *out, size_t max)
{
	size_t n = 0;
	int64_t t = from;
	while (t < to && n < max) {
		struct line_shift_span s;
		if (line_shift_at(cal, t, &s)) {
			t = (t / 60000 + 1) * 60000; /* between shifts: next minute */
			continue;
		}
		int64_t a = s.start_ms > t ? s.start_ms : t, b = s.end_ms < to ? s.end_ms : to;
		out[n++] = (struct planned_seg){ a, b, line_shift_stops_within(cal, &s, a, b) };
		t = s.end_ms;
	}
	return n;
}

static int64_t overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
	return hi > lo ? hi - lo : 0;
}

/* Durations per machine state inside the planned segments. */
static int state_durations(struct store_conn *c, const char *line_id, const struct planned_seg *seg,
			   size_t nseg, int64_t from, int64_t to, int64_t dur[LINE_ST_COUNT])
{
	struct store_rows *r = NULL;
	int64_t prev_t = 0;
	enum line_state prev = LINE_ST_UNKNOWN;
	bool has_prev = false;
	int rc;

	memset(dur, 0, sizeof(int64_t) * LINE_ST_COUNT);
	/* the interval in force at `from` starts before it */
	struct store_param p0[] = { SP_TEXT(line_id), SP_INT(from) };
	json_t *first = NULL;
	rc = store_query_one(c, "SELECT t_start, state FROM line_state_log WHERE line_id = ? AND t_start <= ?"
			     " ORDER BY t_start DESC LIMIT 1", p0, 2, &first);
	if (rc == 0) {
		prev = mstate_parse(pl_json_str(first, "state") ? pl_json_str(first, "state") : "");
		prev_t = from;
		has_prev = true;
	}
	json_decref(first);
	if (rc && rc != PL_ENOTFOUND)
		return rc;
	struct store_param p[] = { SP_TEXT(line_id), SP_INT(from), SP_INT(to) };
	if ((rc = store_query(c, "SELECT t_start, state FROM line_state_log WHERE line_id = ?"
			      " AND t_start > ? AND t_start < ? ORDER BY t_start LIMIT 20000",
			      p, STORE_NP(p), &r)))
		return rc;
	for (;;) {
		int more = store_rows_next(r);
		if (more < 0) {
			rc = more;
			break;
		}
		int64_t t = more ? store_rows_int(r, 0) : to;
		if (has_prev)
			for (size_t i = 0; i < nseg; i++)
				dur[prev] += overlap(prev_t, t, seg[i].from, seg[i].to);
		if (!more)
			break;
		prev = mstate_parse(store_rows_text(r, 1));
		prev_t = t;
		has_prev = true;
	}
	store_rows_free(r);
	return rc;
}

static int cmp_pareto(const void *a, const void *b)
{
	double x = json_number_value(json_array_get(*(json_t *const *)a, 1));
	double y = json_number_value(json_array_get(*(json_t *const *)b, 1));
	return x < y ? 1 : x > y ? -1 : 0;
}

int line_live_oee(struct store_conn *c, const char *line_id, int64_t from, int64_t to,
		  int64_t now, json_t **out)
{
	struct plan_piece *pc = pl_calloc(LINE_OEE_PIECES_MAX, sizeof(*pc));
	size_t npc = 0, nseg = 0;
	double *d = pl_calloc(LINE_OEE_PIECES_MAX, sizeof(*d));
	struct planned_seg seg[64];
	struct store_rows *r = NULL;
	int64_t dur[LINE_ST_COUNT], pbt = 0, stops = 0;
	double good = 0, reject = 0;
	json_t *reasons = json_object(), *rp = json_array(), *dp = json_array();
	char f[PL_TIME_STRLEN], t[PL_TIME_STRLEN];
	int rc;

	*out = NULL;
	if (to > now)
		to = now;
	if (from >= to) {
		rc = PL_EINVAL;
		goto out;
	}
	if ((rc = plan_pieces(c, line_id, from, to, pc, LINE_OEE_PIECES_MAX, &npc)))
		goto out;
	/* each piece's planned time by its own calendar (NOTES 6) */
	for (size_t i = 0; i < npc; i++)
		nseg += planned_segments(&pc[i].pl.cal, pc[i].from, pc[i].to, seg + nseg, 64 - nseg);
	for (size_t i = 0; i < nseg; i++) {
		pbt += seg[i].to - seg[i].from - seg[i].stops;
		stops += seg[i].stops;
	}
	if ((rc = state_durations(c, line_id, seg, nseg, from, to, dur)))
		goto out;
	/* counters: the good / reject series and every reject reason */
	struct store_param p[] = { SP_TEXT(line_id) };
	if ((rc = store_query(c, "SELECT id, metric FROM line_series WHERE line_id = ? ORDER BY metric"
			      " LIMIT 10000", p, 1, &r)))
		goto out;
	json_t *series = json_array();
	while ((rc = store_rows_next(r)) == 1)
		json_array_append_new(series, json_pack("[s, s]", store_rows_text(r, 0), store_rows_text(r, 1)));
	store_rows_free(r);
	r = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(series, i, s) {
		const char *sid = json_string_value(json_array_get(s, 0));
		const char *m = json_string_value(json_array_get(s, 1));
		const char *reason = metric_reason(m);
		double sum = 0;
		if (rc < 0 || (!metric_good(m) && !metric_reject(m) && !reason))
			continue;
		if (reason && json_object_size(reasons) >= LINE_REASONS_MAX)
			continue;
		memset(d, 0, npc * sizeof(*d));
		if ((rc = counter_delta(c, sid, from, to, pc, npc, d)))
			break;
		for (size_t k = 0; k < npc; k++) {
			sum += d[k];
			if (metric_good(m))
				pc[k].good += d[k];
			else if (metric_reject(m))
				pc[k].reject += d[k];
		}
		if (metric_good(m))
			good += sum;
		else if (metric_reject(m))
			reject += sum;
		else {
			json_t *prev = json_object_get(reasons, reason);
			json_object_set_new(reasons, reason,
					    json_real(sum + (prev ? json_number_value(prev) : 0)));
		}
	}
	json_decref(series);
	if (rc < 0)
		goto out;
	rc = 0;
	const char *k;
	json_t *v;
	json_object_foreach(reasons, k, v)
		if (json_number_value(v) > 0)
			json_array_append_new(rp, json_pack("[s, I]", k, (json_int_t)json_number_value(v)));
	for (int st = 0; st < LINE_ST_COUNT; st++)
		if (st != LINE_ST_RUNNING && dur[st] > 0)
			json_array_append_new(dp, json_pack("[s, I]", line_state_name((enum line_state)st),
							    (json_int_t)dur[st]));
	/* sort both Paretos, largest first (small arrays: insertion sort) */
	json_t *arrs[2] = { rp, dp };
	for (int a = 0; a < 2; a++) {
		size_t na = json_array_size(arrs[a]);
		json_t **tmp = pl_calloc(na ? na : 1, sizeof(*tmp));
		for (size_t j = 0; j < na; j++)
			tmp[j] = json_incref(json_array_get(arrs[a], j));
		qsort(tmp, na, sizeof(*tmp), cmp_pareto);
		json_array_clear(arrs[a]);
		for (size_t j = 0; j < na; j++) {
			json_t *e = tmp[j];
			json_array_append_new(arrs[a], json_pack("{s:O, s:O}", a ? "state" : "reason",
								 json_array_get(e, 0), a ? "ms" : "count",
								 json_array_get(e, 1)));
			json_decref(e);
		}
		free(tmp);
	}
	int64_t apt = dur[LINE_ST_RUNNING] < pbt ? dur[LINE_ST_RUNNING] : pbt;
	/* performance weighs each piece's count by its own ideal cycle time:
	 * handed to line_oee_compute as the count-weighted mean cycle */
	const struct plan *now_pl = &pc[npc - 1].pl;
	double ideal_ms = 0;
	json_t *periods = json_array();
	for (size_t q = 0; q < npc; q++) {
		char pf[PL_TIME_STRLEN], pt[PL_TIME_STRLEN];
		ideal_ms += (pc[q].good + pc[q].reject) * pc[q].pl.ideal_cycle_ms;
		pl_time_format(pc[q].from, pf);
		pl_time_format(pc[q].to, pt);
		json_array_append_new(periods, json_pack("{s:s, s:s, s:s, s:f, s:I, s:I}", "from", pf,
							 "to", pt, "product", pc[q].pl.product,
							 "ideal_cycle_ms", pc[q].pl.ideal_cycle_ms,
							 "good", (json_int_t)pc[q].good,
							 "reject", (json_int_t)pc[q].reject));
	}
	struct line_oee_in in = {
		.pbt_ms = pbt, .apt_ms = apt,
		.ideal_cycle_ms = good + reject > 0 ? ideal_ms / (good + reject) : now_pl->ideal_cycle_ms,
		.produced = (uint64_t)(good + reject), .good = (uint64_t)good,
	};
	struct line_oee o;
	bool ok = pbt > 0 && line_oee_compute(&in, &o) == 0;
	pl_time_format(from, f);
	pl_time_format(to, t);
	*out = json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o,"
			 " s:o, s:O, s:O, s:o}",
			 "from", f, "to", t, "product", now_pl->product,
			 "ideal_cycle_ms", now_pl->ideal_cycle_ms,
			 "planned_busy_ms", (json_int_t)pbt, "planned_stop_ms", (json_int_t)stops,
			 "actual_production_ms", (json_int_t)apt, "good", (json_int_t)good,
			 "reject", (json_int_t)reject, "produced", (json_int_t)(good + reject),
			 "availability", ok ? json_real(o.availability) : json_null(),
			 "performance", ok && o.has_performance ? json_real(o.performance) : json_null(),
			 "quality", ok && o.has_quality ? json_real(o.quality) : json_null(),
			 "oee", ok && o.has_performance && o.has_quality ? json_real(o.oee) : json_null(),
			 "defect_rate", good + reject > 0 ? json_real(reject / (good + reject)) : json_null(),
			 "downtime_ms", ok ? json_integer((json_int_t)o.downtime_ms) : json_null(),
			 "reject_pareto", rp, "downtime_pareto", dp, "periods", periods);
out:
	store_rows_free(r);
	free(pc);
	free(d);
	json_decref(reasons);
	json_decref(rp);
	json_decref(dp);
	return rc;
}

int line_live_window_shift(struct store_conn *c, const char *line_id, int64_t shift_at,
			   int64_t *from, int64_t *to, char shift_name[16])
{
	struct plan pl;
	struct line_shift_span s;
	int rc = plan_load(c, line_id, shift_at, &pl);
	if (rc)
		return rc;
	if ((rc = line_shift_at(&pl.cal, shift_at, &s)))
		return rc;
	*from = s.start_ms;
	*to = s.end_ms;
	pl_strlcpy(shift_name, pl.cal.shifts[s.shift].name, 16);
	return 0;
}

int line_live_window_day(struct store_conn *c, const char *line_id, const char *day,
			 int64_t *from, int64_t *to)
{
	struct plan pl;
	char ts[40];
	int64_t t;
	int rc;

	if (strlen(day) != 10 || day[4] != '-' || day[7] != '-')
		return PL_EINVAL;
	pl_fmt(ts, sizeof(ts), "%sT00:00:00Z", day);
	if (pl_time_parse(ts, &t))
		return PL_EINVAL;
	if ((rc = plan_load(c, line_id, t, &pl)))
		return rc;
	*from = t - (int64_t)pl.cal.utc_offset_min * 60000;
	*to = *from + DAY_MS;
	return 0;
}

/* ----------------------------------------------------------------- tiles */

struct live_row {
	bool exists;
	enum line_state state;
	int64_t since, last_t;
	bool has_counter;
	int64_t counter, counter_moved_t;
	json_t *tile; /* owned; the stored tile */
};

static int live_load(struct store_conn *c, const char *line_id, struct live_row *lr)
{
	struct store_rows *r = NULL;
	struct store_param p[] = { SP_TEXT(line_id) };
	int rc;

	memset(lr, 0, sizeof(*lr));
	if ((rc = store_query(c, "SELECT state, state_since, last_t, counter, counter_moved_t, tile"
			      " FROM line_live WHERE line_id = ?", p, 1, &r)))
		return rc;
	if ((rc = store_rows_next(r)) == 1) {
		lr->exists = true;
		lr->state = mstate_parse(store_rows_text(r, 0));
		lr->since = store_rows_int(r, 1);
		lr->last_t = store_rows_int(r, 2);
		lr->has_counter = !store_rows_isnull(r, 3);
		lr->counter = lr->has_counter ? store_rows_int(r, 3) : 0;
		lr->counter_moved_t = store_rows_isnull(r, 4) ? 0 : store_rows_int(r, 4);
		lr->tile = json_loads(store_rows_text(r, 5), 0, NULL);
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

int line_live_tile(struct store_conn *c, const char *line_id, int64_t now, bool persist,
		   json_t **out)
{
	struct live_row lr;
	json_t *line = NULL, *metrics = NULL, *cnt = NULL, *tile = NULL, *oee = NULL;
	double speed = NAN, good = NAN, reject = NAN, temp = NAN;
	int64_t t_max = 0;
	bool stale = false;
	char since[PL_TIME_STRLEN], tt[PL_TIME_STRLEN];
	int rc;

	*out = NULL;
	if ((rc = line_repo_line_get(c, line_id, &line)))
		return rc;
	if ((rc = live_load(c, line_id, &lr)) || (rc = line_repo_metrics(c, line_id, &metrics)))
		goto out;
	size_t i;
	json_t *m;
	json_array_foreach(metrics, i, m) {
		const char *k = pl_json_str(m, "metric");
		json_t *v = json_object_get(m, "value");
		int64_t mt = 0;
		if (json_is_true(json_object_get(m, "stale")))
			stale = true;
		if (pl_json_str(m, "t") && pl_time_parse(pl_json_str(m, "t"), &mt) == 0 && mt > t_max)
			t_max = mt;
		if (!json_is_number(v) || !k)
			continue;
		if (metric_is(k, "speed"))
			speed = json_number_value(v);
		else if (metric_is(k, "temperature"))
			temp = json_number_value(v);
		else if (metric_good(k))
			good = json_number_value(v);
		else if (metric_reject(k))
			reject = json_number_value(v);
	}
	struct store_param p[] = { SP_TEXT(line_id) };
	if ((rc = store_query_one(c, "SELECT count(*) AS active, COALESCE(sum(CASE WHEN state IN"
				  " ('unacknowledged','returned_unacknowledged') THEN 1 ELSE 0 END), 0) AS unack"
				  " FROM line_alarms WHERE line_id = ? AND state <> 'normal' AND state <> 'shelved'",
				  p, 1, &cnt)))
		goto out;
	/* OEE of the running shift, reused for a few seconds (NOTES 4) */
	json_t *old = lr.tile ? json_object_get(lr.tile, "oee") : NULL;
	json_t *old_at = lr.tile ? json_object_get(lr.tile, "oee_at") : NULL;
	if (old && json_is_integer(old_at) && now - json_integer_value(old_at) < LINE_LIVE_OEE_REUSE_MS &&
	    now >= json_integer_value(old_at)) {
		oee = json_incref(old);
	} else {
		int64_t from, to;
		char shift[16];
		if (line_live_window_shift(c, line_id, now, &from, &to, shift) == 0 &&
		    line_live_oee(c, line_id, from, to, now, &oee) == 0) {
			json_object_set_new(oee, "shift", json_string(shift));
		} else {
			oee = json_null();
		}
		old_at = NULL;
	}
	/* a line whose state was never known has no start (INT64_MIN) */
	bool has_since = lr.exists && lr.since >= -LINE_TIME_ABS_MAX && lr.since <= LINE_TIME_ABS_MAX;
	if (has_since)
		pl_time_format(lr.since, since);
	pl_time_format(t_max ? t_max : now, tt);
	tile = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:b, s:O, s:O, s:O, s:I}",
			 "line_id", line_id, "enterprise_id", pl_json_str(line, "enterprise_id"),
			 "name", pl_json_str(line, "name"),
			 "state", line_state_name(lr.exists ? lr.state : LINE_ST_UNKNOWN),
			 "state_since", has_since ? json_string(since) : json_null(), "t", tt,
			 "speed", isfinite(speed) ? json_real(speed) : json_null(),
			 "temperature", isfinite(temp) ? json_real(temp) : json_null(),
			 "good", isfinite(good) ? json_integer((json_int_t)good) : json_null(),
			 "reject", isfinite(reject) ? json_integer((json_int_t)reject) : json_null(),
			 "stale", stale, "alarms_active", json_object_get(cnt, "active"),
			 "alarms_unack", json_object_get(cnt, "unack"), "oee", oee,
			 "oee_at", (json_int_t)(old_at ? json_integer_value(json_object_get(lr.tile, "oee_at")) : now));
	if (!tile) {
		rc = PL_EINVAL;
		goto out;
	}
	if (persist) {
		char *text = pl_json_dump(tile);
		struct store_param pu[] = {
			SP_TEXT(line_id), SP_TEXT(line_state_name(lr.exists ? lr.state : LINE_ST_UNKNOWN)),
			SP_INT(lr.exists ? lr.since : now), SP_INT(lr.exists ? lr.last_t : INT64_MIN / 2),
			SP_TEXT(text),
		};
		rc = store_exec(c, "INSERT INTO line_live (line_id, state, state_since, last_t, tile)"
				" VALUES (?, ?, ?, ?, ?) ON CONFLICT (line_id) DO UPDATE SET tile = excluded.tile",
				pu, STORE_NP(pu), NULL);
		free(text);
		if (rc)
			goto out;
	}
	*out = tile;
	tile = NULL;
out:
	json_decref(tile);
	json_decref(oee);
	json_decref(cnt);
	json_decref(metrics);
	json_decref(line);
	json_decref(lr.tile);
	return rc;
}

/* ----------------------------------------------------------------- apply */

static int cmp_point_t(const void *a, const void *b)
{
	const struct line_live_point *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

int line_live_apply(struct store_conn *c, const char *line_id,
		    const struct line_live_point *pts, size_t n, int64_t now,
		    json_t **tile, json_t **events)
{
	struct live_row lr;
	struct line_live_point *sorted = NULL;
	struct alarm_row *al = NULL;
	size_t nal = 0;
	json_t *evs = json_array(), *line = NULL;
	struct line_state_config cfg = { .idle_after_ms = 30000 };
	struct line_state_machine sm;
	double good = NAN, reject = NAN;
	int rc;

	if (tile)
		*tile = NULL;
	if (events)
		*events = NULL;
	if (n > LINE_LIVE_POINTS_MAX)
		return PL_EINVAL;
	memset(&lr, 0, sizeof(lr));
	if ((rc = line_repo_line_get(c, line_id, &line)) || (rc = live_load(c, line_id, &lr)))
		goto out;
	/* Only state, the counters and the metrics of the line's alarm rules
	 * matter below; the ingest hands over every point of the flush (tens
	 * of thousands at full rate), so keep the few that matter before the
	 * sort rather than sort them all (docs/benchmarks.md, line). */
	struct store_param pa[] = { SP_TEXT(line_id) };
	if ((rc = alarm_rows_load(c, "line_id = ?", pa, 1, &al, &nal)))
		goto out;
	sorted = pl_malloc((n ? n : 1) * sizeof(*sorted));
	size_t nin = n;
	bool keep = false;
	n = 0;
	for (size_t i = 0; i < nin; i++) {
		/* the ingest lists a series' points together under one metric
		 * pointer: decide once per run, not once per point */
		if (i == 0 || pts[i].metric != pts[i - 1].metric) {
			keep = metric_is(pts[i].metric, "state") || metric_good(pts[i].metric) ||
			       metric_reject(pts[i].metric);
			for (size_t k = 0; !keep && k < nal; k++)
				keep = !strcmp(pts[i].metric, al[k].metric);
		}
		if (keep)
			sorted[n++] = pts[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_point_t); /* stable enough: equal t do not depend on order */

	/* 1. machine state (NOTES 2) */
	cfg.code_map[1] = LINE_ST_RUNNING;
	cfg.code_map[2] = LINE_ST_IDLE;
	cfg.code_map[3] = LINE_ST_DOWN;
	cfg.code_map[4] = LINE_ST_BLOCKED;
	cfg.code_map[5] = LINE_ST_STARVED;
	line_state_init(&sm, &cfg);
	if (lr.exists) {
		sm.state = lr.state;
		sm.since = lr.since;
		sm.last_t = lr.last_t;
		sm.has_counter = lr.has_counter;
		sm.counter = (uint64_t)lr.counter;
		sm.counter_moved_t = lr.counter_moved_t;
	}
	/* the last good/reject values make the combined counter */
	{
		json_t *g = lr.tile ? json_object_get(lr.tile, "good") : NULL;
		json_t *rj = lr.tile ? json_object_get(lr.tile, "reject") : NULL;
		if (json_is_integer(g))
			good = (double)json_integer_value(g);
		if (json_is_integer(rj))
			reject = (double)json_integer_value(rj);
	}
	for (size_t i = 0; i < n; i++) {
		const struct line_live_point *pt = &sorted[i];
		struct line_state_sample smp = { .t = pt->t };
		bool changed = false;
		if (!isfinite(pt->v))
			continue;
		if (metric_is(pt->metric, "state") && pt->v >= 0 && pt->v < 16) {
			smp.has_code = true;
			smp.code = (int64_t)pt->v;
		} else if (metric_good(pt->metric) || metric_reject(pt->metric)) {
			if (metric_good(pt->metric))
				good = pt->v;
			else
				reject = pt->v;
			if (!isfinite(good) || !isfinite(reject) || good < 0 || reject < 0)
				continue;
			smp.has_counter = true;
			smp.counter = (uint64_t)good + (uint64_t)reject;
		} else {
			continue;
		}
		if (line_state_feed(&sm, &smp, &changed) == 0 && changed) {
			struct store_param pl[] = { SP_TEXT(line_id), SP_INT(sm.since),
						    SP_TEXT(line_state_name(sm.state)) };
			if ((rc = store_exec(c, "INSERT INTO line_state_log (line_id, t_start, state)"
					     " VALUES (?, ?, ?) ON CONFLICT (line_id, t_start) DO UPDATE"
					     " SET state = excluded.state", pl, STORE_NP(pl), NULL)))
				goto out;
		}
	}
	{
		bool changed = false;
		line_state_tick(&sm, now, &changed);
		if (changed) {
			struct store_param pl[] = { SP_TEXT(line_id), SP_INT(sm.since),
						    SP_TEXT(line_state_name(sm.state)) };
			if ((rc = store_exec(c, "INSERT INTO line_state_log (line_id, t_start, state)"
					     " VALUES (?, ?, ?) ON CONFLICT (line_id, t_start) DO UPDATE"
					     " SET state = excluded.state", pl, STORE_NP(pl), NULL)))
				goto out;
		}
	}
	struct store_param pu[] = {
		SP_TEXT(line_id), SP_TEXT(line_state_name(sm.state)), SP_INT(sm.since),
		SP_INT(sm.last_t == INT64_MIN ? INT64_MIN / 2 : sm.last_t),
		sm.has_counter ? SP_INT((int64_t)sm.counter) : SP_NULL, SP_INT(sm.counter_moved_t),
	};
	if ((rc = store_exec(c, "INSERT INTO line_live (line_id, state, state_since, last_t, counter,"
			     " counter_moved_t, tile) VALUES (?, ?, ?, ?, ?, ?, '{}') ON CONFLICT (line_id)"
			     " DO UPDATE SET state = excluded.state, state_since = excluded.state_since,"
			     " last_t = excluded.last_t, counter = excluded.counter,"
			     " counter_moved_t = excluded.counter_moved_t", pu, STORE_NP(pu), NULL)))
		goto out;

	/* 2. alarms on the points of their metric (NOTES 1; loaded above) */
	for (size_t k = 0; k < nal; k++) {
		struct alarm_row *x = &al[k];
		bool dirty = false;
		for (size_t i = 0; i < n; i++) {
			enum line_alarm_event ev;
			if (strcmp(sorted[i].metric, x->metric) ||
			    line_alarm_sample(&x->a, sorted[i].t, sorted[i].v, &ev))
				continue; /* another metric, not finite, or older than the last */
			dirty = true;
			if (ev != LINE_AE_NONE) {
				if ((rc = alarm_row_save(c, x, ev, sorted[i].t, true, sorted[i].v, NULL)))
					goto out;
				dirty = false;
				json_array_append_new(evs, alarm_event_json(x, ev, sorted[i].t, true, sorted[i].v));
			}
		}
		if (dirty && (rc = alarm_row_save(c, x, LINE_AE_NONE, now, false, 0, NULL)))
			goto out;
	}
	/* 3. the tile */
	if (tile && (rc = line_live_tile(c, line_id, now, true, tile)))
		goto out;
out:
	if (rc == 0 && events) {
		*events = evs;
		evs = NULL;
	}
	json_decref(evs);
	json_decref(line);
	json_decref(lr.tile);
	free(al);
	free(sorted);
	return rc;
}

int line_live_tick(struct store_conn *c, int64_t now, json_t **events)
{
	struct alarm_row *al = NULL;
	size_t nal = 0;
	json_t *evs = json_array();
	int rc;

	*events = NULL;
	if ((rc = alarm_rows_load(c, "kind = 'stale' OR state = 'shelved'", NULL, 0, &al, &nal)))
		goto out;
	for (size_t k = 0; k < nal; k++) {
		enum line_alarm_event ev;
		struct alarm_row *x = &al[k];
		if (now < x->a.since)
			continue;
		line_alarm_tick(&x->a, now, &ev);
		if (ev == LINE_AE_NONE)
			continue;
		if ((rc = alarm_row_save(c, x, ev, now, false, 0, NULL)))
			goto out;
		json_array_append_new(evs, alarm_event_json(x, ev, now, false, 0));
	}
out:
	free(al);
	if (rc) {
		json_decref(evs);
		return rc;
	}
	*events = evs;
	return 0;
}
