/*
 * live.h - live production over the store (migration 10): the line's plan
 * (product, ideal cycle time, shift calendar), the live tile (machine
 * state, speed, counts, OEE of the running shift, active alarms, stale),
 * the machine-state log, OEE / defect / Pareto reports for a shift or a
 * day, and alarm rules carrying their ISA-18.2 life cycle.
 *
 * Writers: the MQTT ingest worker (src/mqtt/client.c) after each committed
 * flush, the HTTP batch ingest (src/http/api_line.c) and the alarm
 * endpoints (acknowledge, shelve). Every function works on a connection the
 * caller holds; the writers call them inside the caller's transaction.
 * Nothing here keeps state in memory between calls, so several `parkline
 * serve` processes on one PostgreSQL see the same alarms (live.c NOTES).
 *
 * Metric names (the series keys the ingest stores, optionally prefixed by
 * "<device>/"): machine state "state" (codes 1 running, 2 idle, 3 down,
 * 4 blocked, 5 starved, as `parkline simulate line` publishes); good count
 * "good" or "Counts/Good"; reject count "reject" or "Counts/Reject";
 * reject reasons "Reject/<reason>" (cumulative counters, as the vision node
 * publishes); speed "speed". Counters are cumulative; a drop is a reset.
 */
#ifndef PL_LINE_LIVE_H
#define PL_LINE_LIVE_H

#include "store/store.h"
#include "line/line.h"

/* Alarm rule names and the points one apply call takes. */
#define LINE_ALARM_NAME_MAX 100
#define LINE_LIVE_POINTS_MAX 100000
/* How long a tile's OEE figure is reused before it is recomputed (reading
 * the shift's counters is the costly part of a tile). */
#define LINE_LIVE_OEE_REUSE_MS 5000

struct line_live_point {
	const char *metric;  /* borrowed for the call */
	int64_t t;           /* ms UTC */
	double v;
};

/* Seeds the demo plans (one product and three 8-hour shifts each with a
 * 30-minute break, Beijing time) and three alarm rules per demo line
 * (temperature high at 80 degC, stale data after 30 s, line stopped:
 * state code above 2.5 = down, blocked or starved); idempotent. Call
 * after line_repo_demo_seed. Errors: PL_EDB. */
int line_live_demo_seed(struct store *st, FILE *print_to);

/* Applies the points of one flush of line_id (any order; each metric's
 * points are taken in time order): advances the machine state (logging
 * changes), evaluates the line's alarm rules on the points of their
 * metric, and rebuilds the tile. Runs inside the caller's transaction.
 * *tile (may be NULL) gets the new tile (new reference); *events (may be
 * NULL) a new array of alarm changes {alarm_id, line_id, enterprise_id,
 * name, category, safety, event, state, at, value}. Errors: PL_ENOTFOUND
 * (no such line), PL_EINVAL (n over LINE_LIVE_POINTS_MAX), PL_ECONFLICT
 * (an alarm row was changed concurrently: retry the call), PL_EDB. */
int line_live_apply(struct store_conn *c, const char *line_id,
		    const struct line_live_point *pts, size_t n, int64_t now,
		    json_t **tile, json_t **events);

/* Time passes for every alarm: stale rules and shelving expiry. *events
 * gets a new array as above (each with line_id). Errors: PL_ECONFLICT,
 * PL_EDB. */
int line_live_tick(struct store_conn *c, int64_t now, json_t **events);

/* The tile of a line now (new reference): {line_id, enterprise_id, name,
 * state, state_since, t, speed, temperature, good, reject, stale, alarms_active,
 * alarms_unack, oee}. oee is the running shift's report (line_live_oee) or
 * null without a plan or outside shifts. When persist, the tile is stored
 * (inside the caller's transaction). Errors: PL_ENOTFOUND, PL_EDB. */
int line_live_tile(struct store_conn *c, const char *line_id, int64_t now, bool persist,
		   json_t **out);

/* The window of a shift or a day: shift_at: the occurrence of the shift
 * that contains that time, by the plan version in force then; day: a
 * Beijing date "YYYY-MM-DD" (the UTC offset of the plan in force at that
 * date's UTC midnight). Errors: PL_ENOTFOUND (no plan; shift_at between shifts),
 * PL_EINVAL (bad date). */
int line_live_window_shift(struct store_conn *c, const char *line_id, int64_t shift_at,
			   int64_t *from, int64_t *to, char shift_name[16]);
int line_live_window_day(struct store_conn *c, const char *line_id, const char *day,
			 int64_t *from, int64_t *to);

/* ISO 22400 report of [from, to) (to clipped to now): planned busy time
 * (shift time in the window less planned stops), actual production time
 * (running intervals of the state log inside planned time), good and
 * reject counts (increments of the counters), availability, performance,
 * quality, OEE, defect rate, reject-reason and downtime Paretos (largest
 * first), and periods: one {from, to, product, ideal_cycle_ms, good,
 * reject} per plan version in force during the window (live.c NOTES 6;
 * performance weighs each piece's count by its own ideal cycle time).
 * Figures that cannot be computed are null. Errors: PL_ENOTFOUND (no
 * plan), PL_EINVAL (from >= to), PL_ETOOBIG (more than 16 plan versions
 * in the window), PL_EPARSE (a corrupt block), PL_EDB. */
int line_live_oee(struct store_conn *c, const char *line_id, int64_t from, int64_t to,
		  int64_t now, json_t **out);

/* ------------------------------------------------------------- alarms */
struct line_alarm_def {
	const char *name;        /* 1..LINE_ALARM_NAME_MAX bytes */
	const char *metric;      /* 1..LINE_METRIC_MAX bytes */
	struct line_alarm_rule rule;
};
/* Names <-> enums ("high","low","roc","stale"; "process","equipment",
 * "quality","fire","smoke","gas"). Parsers: PL_EINVAL on unknown. */
const char *line_alarm_kind_name(enum line_alarm_kind k);
const char *line_alarm_category_name(enum line_alarm_category c);
int line_alarm_kind_parse(const char *s, enum line_alarm_kind *out);
int line_alarm_category_parse(const char *s, enum line_alarm_category *out);

/* Adds a rule to line_id (state normal, stale clock starting at now).
 * *out: the alarm as line_live_alarm_get. Errors: PL_EINVAL (a field,
 * named in why), PL_ENOTFOUND (line), PL_EDB. */
int line_live_alarm_add(struct store_conn *c, const char *line_id,
			const struct line_alarm_def *d, int64_t now, json_t **out,
			char *why, size_t whysz);
/* {id, line_id, enterprise_id, name, metric, kind, category, safety,
 * priority, limit, deadband, stale_ms, state, active, since, shelved_until,
 * last_value, desk_request_id} (new reference). Errors: PL_ENOTFOUND. */
int line_live_alarm_get(struct store_conn *c, const char *alarm_id, json_t **out);
/* Alarms of a line (line_id non-NULL) or, with line_id NULL, the active
 * ones (not normal) of the lines whose enterprise passes the SQL filter
 * `where` (a fragment over l.enterprise_id, from auth_tenant_filter, with
 * its np params), newest first, at most limit. With history, each alarm
 * carries its last 20 events. Errors: PL_EDB. */
int line_live_alarm_list(struct store_conn *c, const char *line_id, const char *where,
			 const struct store_param *p, size_t np, size_t limit, bool history,
			 json_t **out);

enum line_alarm_op { LINE_ALARM_OP_ACK, LINE_ALARM_OP_SHELVE, LINE_ALARM_OP_UNSHELVE };
/* An operator action (actor: the user name, for the history). until: the
 * shelving end (SHELVE only). *event gets the change (as line_live_apply's
 * events). Errors: PL_ENOTFOUND, PL_ECONFLICT (not allowed in the current
 * state, or changed concurrently), PL_EINVAL (until <= now), PL_EDB. */
int line_live_alarm_op(struct store_conn *c, const char *alarm_id, enum line_alarm_op op,
		       int64_t now, int64_t until, const char *actor, json_t **event);

/* Records the desk request opened for a safety alarm (once per alarm: a
 * second call leaves the first id). Errors: PL_EDB. */
int line_live_alarm_set_request(struct store_conn *c, const char *alarm_id,
				const char *request_id);

#endif /* PL_LINE_LIVE_H */
