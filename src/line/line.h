/*
 * line.h - the public face of the line module (prefix line_): transparent
 * production. This header holds the pure core the ingest path, the HTTP
 * endpoints and the control room build on; none of it touches the store,
 * the network or the clock (times are passed in), so every rule is a
 * table-driven unit test:
 *
 *  - series blocks: a compact codec for one series' points (delta-of-delta
 *    timestamps, XOR floats, after Facebook's Gorilla), one block per store
 *    row, with a merge rule for late and out-of-order points;
 *  - OEE per ISO 22400 (availability x performance x quality) from planned
 *    busy time, actual production time, ideal cycle time and counts, plus
 *    a shift calendar that says which shift a time falls in;
 *  - machine state (running, idle, down, blocked, starved) derived from
 *    state tags and counters;
 *  - alarms: threshold, rate-of-change and stale-data rules, each with the
 *    ISA-18.2 life cycle (normal, unacknowledged, acknowledged,
 *    return-to-normal unacknowledged, shelved) as a pure state machine.
 *
 */
#ifndef PL_LINE_H
#define PL_LINE_H

#include "core/core.h"

/* ============================================================ series blocks
 *
 * NOTES ON THE DESIGN
 * 1. A block holds 1..LINE_BLOCK_POINTS_MAX points of ONE series with
 *    strictly increasing timestamps (ms UTC, |t| <= LINE_TIME_ABS_MAX so no
 *    delta-of-delta can overflow). The store keeps one block per row with
 *    the series id, first and last timestamp and count as plain columns,
 *    so a range query reads only rows whose [first, last] meets the range.
 * 2. Layout (version 1): byte 0x01; varint count; zigzag varint first t;
 *    zigzag varint last t; 8 bytes first value (IEEE 754 bits, LE); then a
 *    bit stream, MSB first, one record per further point:
 *      timestamp: delta-of-delta d = (t_i - t_{i-1}) - (t_{i-1} - t_{i-2})
 *        '0' d = 0 | '10' 7 bits | '110' 9 bits | '1110' 12 bits |
 *        '11110' 32 bits | '11111' 64 bits   (two's complement fields;
 *        the second point's delta is coded as a dod against 0)
 *      value: x = bits(v_i) XOR bits(v_{i-1})
 *        '0' x = 0 | '10' meaningful bits inside the previous window |
 *        '11' 6 bits leading zeros, 6 bits (length - 1), length bits
 *    NaN, infinities and -0.0 round-trip bit for bit.
 * 3. Late and out-of-order points: the encoder refuses a timestamp that is
 *    not after the previous one (PL_EINVAL). The caller's merge rule: read
 *    the block(s) overlapping the late points, line_points_merge() them (a
 *    point whose timestamp already exists REPLACES the stored one: last
 *    write wins, so a re-sent QoS 1 message is idempotent), and write the
 *    result back as one or more blocks of at most LINE_BLOCK_POINTS_MAX,
 *    in the same transaction. Blocks never overlap in time for one series.
 *    The store side is line_repo_points_merge (src/line/repo.h; repo.c
 *    NOTES 3 says which block a late point joins); both ingest paths use
 *    it, so late points are merged, not dropped.
 * 4. Decoding is defensive (blocks come from the database, which anyone
 *    with access can edit): every read is bounds-checked, a count above
 *    the cap or bits past the end are PL_EPARSE, never a crash.
 */
#define LINE_BLOCK_POINTS_MAX 4096
#define LINE_TIME_ABS_MAX ((int64_t)1 << 53)
/* The largest block the encoder can produce (header + worst case 64+5
 * timestamp bits and 2+6+6+64 value bits per point). */
#define LINE_BLOCK_BYTES_MAX (32 + (size_t)LINE_BLOCK_POINTS_MAX * 19)

struct line_point {
	int64_t t; /* ms UTC */
	double v;
};

/* An incremental encoder: the ingest path keeps one per open series and
 * seals it when it is full or old enough. Embed and init/release. */
struct line_block_enc {
	struct pl_buf bits;  /* the bit stream so far (owned), MSB first */
	size_t nbits;        /* bits used in `bits` */
	size_t count;
	int64_t t_first, t_last, delta_last;
	uint64_t v_first, v_last; /* IEEE bits */
	unsigned lead, trail;     /* previous XOR window; lead=255: none yet */
};
void line_block_enc_init(struct line_block_enc *e);
void line_block_enc_release(struct line_block_enc *e);
/* Appends one point. Errors: PL_EINVAL (t not after the previous point, or
 * |t| > LINE_TIME_ABS_MAX), PL_ETOOBIG (block full: seal it first). On
 * error the encoder is unchanged. */
int line_block_enc_add(struct line_block_enc *e, int64_t t, double v);
size_t line_block_enc_count(const struct line_block_enc *e);
/* Appends the finished block to out and resets the encoder for reuse.
 * Errors: PL_EINVAL (no points), PL_ETOOBIG (out's cap; the encoder keeps
 * its points). */
int line_block_enc_finish(struct line_block_enc *e, struct pl_buf *out);
/* Appends the block of the points added so far to out and leaves the
 * encoder as it is, so more points can follow: the ingest path rewrites
 * its open block on every flush without encoding it again from its first
 * point. Errors as line_block_enc_finish. */
int line_block_enc_peek(const struct line_block_enc *e, struct pl_buf *out);

/* One-shot: encodes pts[0..n) (strictly increasing t) into out. */
int line_block_encode(const struct line_point *pts, size_t n, struct pl_buf *out);

/* Header facts without decoding the stream. Errors: PL_EPARSE. */
int line_block_info(const void *blk, size_t len, size_t *count,
		    int64_t *t_first, int64_t *t_last);
/* Decodes the points with from <= t < to into out[0..max) and says how
 * many in *n. Errors: PL_EPARSE (malformed block; *n = 0), PL_ETOOBIG
 * (more than max points in the range; out holds the first max). */
int line_block_decode(const void *blk, size_t len, int64_t from, int64_t to,
		      struct line_point *out, size_t max, size_t *n);

/* Merges two runs sorted by strictly increasing t into out[0..na+nb):
 * where both hold a timestamp, b's point wins (NOTES 3). *n gets the
 * merged count. b may be unsorted: it is sorted first (stably, so of
 * equal timestamps within b the last one wins). b is modified. */
void line_points_merge(const struct line_point *a, size_t na,
		       struct line_point *b, size_t nb,
		       struct line_point *out, size_t *n);

/* Rollups: per-bucket aggregates of one series (1-minute and 1-hour rows
 * in the store). Buckets are [k*width, (k+1)*width) in UTC ms, so hour
 * buckets are whole hours in Beijing time too. Non-finite values are not
 * aggregated; they are counted in `skipped`. A late point re-rolls its
 * bucket from the merged points (NOTES 3), or, when it is newer than
 * everything in the bucket, is folded in with line_rollup_merge. */
struct line_rollup {
	int64_t bucket;       /* start of the bucket, ms UTC */
	uint64_t count;       /* finite values aggregated */
	uint64_t skipped;     /* NaN / infinite values seen */
	double min, max, sum; /* over the finite values (0 when count = 0) */
	int64_t t_first, t_last;
	double first, last;   /* values at t_first / t_last (finite ones) */
};
/* Rolls pts[0..n) (strictly increasing t) into consecutive buckets of
 * width_ms, written to out[0..max); *nout gets the bucket count (buckets
 * with no points are not written). Errors: PL_EINVAL (width_ms <= 0, or t
 * not increasing), PL_ETOOBIG (more than max buckets; out holds the
 * first max). */
int line_rollup_points(const struct line_point *pts, size_t n, int64_t width_ms,
		       struct line_rollup *out, size_t max, size_t *nout);
/* Folds `from` into `into`: the same bucket, from's points all later than
 * into's (a live bucket gaining points). Errors: PL_EINVAL (another
 * bucket, or from starts before into ends). */
int line_rollup_merge(struct line_rollup *into, const struct line_rollup *from);

/* ===================================================================== OEE
 * ISO 22400-2 terms: PBT planned busy time (the shift less planned stops),
 * APT actual production time (the machine was producing), PRI planned run
 * time per item (ideal cycle time), PQ produced quantity, GQ good
 * quantity. Availability = APT / PBT; effectiveness (performance) =
 * PRI x PQ / APT; quality ratio = GQ / PQ; OEE = their product
 * (= PRI x GQ / PBT). Performance is not clamped: above 1 means the ideal
 * cycle time is set too slow, which the UI should show, not hide.
 */
struct line_oee_in {
	int64_t pbt_ms;          /* planned busy time, > 0 */
	int64_t apt_ms;          /* actual production time, 0..pbt_ms */
	double ideal_cycle_ms;   /* PRI, > 0 */
	uint64_t produced;       /* PQ (good + reject) */
	uint64_t good;           /* GQ <= PQ */
};
struct line_oee {
	double availability, performance, quality, oee;
	bool has_performance;    /* false when APT = 0 (performance then 0) */
	bool has_quality;        /* false when PQ = 0 (quality then 0) */
	int64_t downtime_ms;     /* PBT - APT: the availability loss */
	uint64_t reject;         /* PQ - GQ */
};
/* Errors: PL_EINVAL (a rule above broken, or a count over 2^53). */
int line_oee_compute(const struct line_oee_in *in, struct line_oee *out);

/* A repeating shift pattern in local time (the park runs on Beijing time,
 * UTC+8, which has no daylight saving). Shifts may cross midnight; each
 * has planned stops (breaks, planned maintenance) as offsets into it. */
#define LINE_SHIFTS_MAX 8
#define LINE_STOPS_MAX 8
struct line_shift {
	char name[16];           /* "A", "早班"... */
	int start_min;           /* minutes after local midnight, 0..1439 */
	int length_min;          /* 1..1440 */
	int n_stops;
	struct { int offset_min, length_min; } stops[LINE_STOPS_MAX];
};
struct line_calendar {
	int utc_offset_min;      /* +480 for Beijing */
	int n_shifts;            /* 1..LINE_SHIFTS_MAX, not overlapping */
	struct line_shift shifts[LINE_SHIFTS_MAX];
};
/* One occurrence of a shift. */
struct line_shift_span {
	int shift;               /* index into calendar.shifts */
	int64_t start_ms, end_ms;/* UTC */
	int64_t planned_stop_ms; /* total planned stops inside it */
};
/* Checks a calendar: offsets in -14h..+14h, shifts valid and not
 * overlapping (across midnight too), stops inside their shift and not
 * overlapping each other. Errors: PL_EINVAL. */
int line_calendar_check(const struct line_calendar *cal);
/* The shift occurrence that contains t. Errors: PL_ENOTFOUND (t falls
 * between shifts), PL_EINVAL (calendar invalid). */
int line_shift_at(const struct line_calendar *cal, int64_t t, struct line_shift_span *out);
/* Planned stop time of span s that lies inside [from, to): so PBT of a
 * partial shift (the live tile, mid-shift) is (to - from) minus this. */
int64_t line_shift_stops_within(const struct line_calendar *cal,
				const struct line_shift_span *s, int64_t from, int64_t to);

/* =========================================================== machine state */
enum line_state {
	LINE_ST_UNKNOWN, LINE_ST_RUNNING, LINE_ST_IDLE, LINE_ST_DOWN,
	LINE_ST_BLOCKED, LINE_ST_STARVED,
};
#define LINE_ST_COUNT (LINE_ST_STARVED + 1)
const char *line_state_name(enum line_state s); /* "running", ... */

/* One sample of whatever tags a machine publishes; has_* say which. */
struct line_state_sample {
	int64_t t;
	bool has_code;   int64_t code;    /* a state tag, mapped by code_map */
	bool has_fault;  bool fault;
	bool has_blocked; bool blocked;   /* downstream full */
	bool has_starved; bool starved;   /* upstream empty */
	bool has_counter; uint64_t counter; /* cumulative good+reject count */
};
struct line_state_config {
	/* code_map[i] = state for state-tag value i (0..15), UNKNOWN: ignore */
	enum line_state code_map[16];
	int64_t idle_after_ms;   /* no count for this long while not faulted: idle */
};
/* Derivation, in priority order: fault -> DOWN; a mapped state code;
 * blocked -> BLOCKED; starved -> STARVED; the counter rose -> RUNNING;
 * the counter has not moved for idle_after_ms -> IDLE; otherwise the
 * previous state stands. A counter that goes down was reset: it resyncs
 * and counts as movement. Samples must come in time order; an older one
 * is ignored (PL_EINVAL). */
struct line_state_machine {
	struct line_state_config cfg;
	enum line_state state;
	int64_t since;           /* when state began */
	bool has_counter;
	uint64_t counter;
	int64_t counter_moved_t; /* last time the counter rose */
	int64_t last_t;          /* INT64_MIN before the first sample */
	/* time spent in each state so far (closed intervals only) */
	int64_t dur_ms[LINE_ST_COUNT];
};
void line_state_init(struct line_state_machine *m, const struct line_state_config *cfg);
/* Feeds one sample; *changed (may be NULL) says whether the state changed. */
int line_state_feed(struct line_state_machine *m, const struct line_state_sample *s,
		    bool *changed);
/* Re-evaluates the idle rule at time now without a sample (a silent
 * counter is exactly the case that sends no samples). */
void line_state_tick(struct line_state_machine *m, int64_t now, bool *changed);

/* ================================================================== alarms */
enum line_alarm_kind {
	LINE_ALARM_HIGH,   /* value > limit; clears below limit - deadband */
	LINE_ALARM_LOW,    /* value < limit; clears above limit + deadband */
	LINE_ALARM_ROC,    /* |dv/dt| > limit per second between samples */
	LINE_ALARM_STALE,  /* no sample for stale_ms (evaluated by tick) */
};
enum line_alarm_category {
	LINE_ALARM_PROCESS, LINE_ALARM_EQUIPMENT, LINE_ALARM_QUALITY,
	/* safety categories: the desk module opens an urgent request */
	LINE_ALARM_FIRE, LINE_ALARM_SMOKE, LINE_ALARM_GAS,
};
bool line_alarm_category_is_safety(enum line_alarm_category c);

struct line_alarm_rule {
	enum line_alarm_kind kind;
	enum line_alarm_category category;
	int priority;            /* 1 (highest) .. 4 */
	double limit;
	double deadband;         /* >= 0 */
	int64_t stale_ms;        /* STALE only, > 0 */
};
/* Errors: PL_EINVAL (non-finite limit, negative deadband, priority out of
 * range, STALE without stale_ms, ROC with limit <= 0). */
int line_alarm_rule_check(const struct line_alarm_rule *r);

/* ISA-18.2 states. */
enum line_alarm_state {
	LINE_AS_NORMAL,      /* condition false, nothing to acknowledge */
	LINE_AS_UNACK,       /* active, unacknowledged */
	LINE_AS_ACKED,       /* active, acknowledged */
	LINE_AS_RTN_UNACK,   /* returned to normal, still unacknowledged */
	LINE_AS_SHELVED,     /* suppressed by an operator until a time */
};
const char *line_alarm_state_name(enum line_alarm_state s);
enum line_alarm_event {
	LINE_AE_NONE, LINE_AE_RAISED, LINE_AE_ACKED, LINE_AE_RETURNED,
	LINE_AE_CLEARED, LINE_AE_SHELVED, LINE_AE_UNSHELVED,
};
const char *line_alarm_event_name(enum line_alarm_event e);

/* One alarm instance: a rule applied to one series. Embed; init copies
 * the rule. */
struct line_alarm {
	struct line_alarm_rule rule;
	enum line_alarm_state state;
	bool cond;               /* the rule's condition, as last evaluated */
	bool has_last;
	int64_t last_t;          /* last sample time (also the stale clock) */
	double last_v;
	int64_t shelved_until;
	int64_t since;           /* when state was entered */
};
/* Errors: PL_EINVAL (rule invalid). now starts the stale clock. */
int line_alarm_init(struct line_alarm *a, const struct line_alarm_rule *r, int64_t now);
/* A new sample: re-evaluates the condition and moves the life cycle.
 * Samples older than the last are ignored (PL_EINVAL). */
int line_alarm_sample(struct line_alarm *a, int64_t t, double v, enum line_alarm_event *ev);
/* Time passes: stale rule, shelving expiry. */
void line_alarm_tick(struct line_alarm *a, int64_t now, enum line_alarm_event *ev);
/* Operator acknowledges. Errors: PL_ECONFLICT (nothing to acknowledge:
 * NORMAL, ACKED or SHELVED). */
int line_alarm_ack(struct line_alarm *a, int64_t now, enum line_alarm_event *ev);
/* Operator shelves until `until` (> now) or unshelves. Errors:
 * PL_EINVAL (until <= now), PL_ECONFLICT (unshelve when not shelved). */
int line_alarm_shelve(struct line_alarm *a, int64_t now, int64_t until,
		      enum line_alarm_event *ev);
int line_alarm_unshelve(struct line_alarm *a, int64_t now, enum line_alarm_event *ev);

#endif /* PL_LINE_H */
