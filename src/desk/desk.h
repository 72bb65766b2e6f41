/*
 * desk.h - the public face of the service-desk module's pure core (prefix
 * desk_).
 *
 * The desk is where an enterprise's phone call or WeChat message becomes a
 * 工单 that its service specialist works to a deadline and that the
 * enterprise then rates. This header is the part of the desk that needs no
 * database and no network, so the store-backed registry and the HTTP
 * endpoints (wired by the lead) build on tested pieces:
 *
 *   1. 统一社会信用代码 (USCC) validation per GB 32100-2015, naming the check
 *      that failed, and construction of valid codes (demo data, tests).
 *   2. The request state machine as one data table: states, actions, the
 *      roles allowed to take each action, and an explanation of an illegal
 *      transition that names the current state and the allowed actions.
 *   3. The working calendar (Chinese public holidays and 调休 make-up days
 *      from yearly data files), SLA deadlines in Beijing time with pauses,
 *      and the configurable SLA table (category x urgency).
 *   4. Satisfaction scoring and the replacement rule, as functions over
 *      arrays of ratings and assignments that the store hands in.
 *   5. The service KPIs (签收及时率, 按期办结率, 办结率, 满意率, 重办率,
 *      退单率, 超期数) over request summaries, grouped as the caller says.
 *   6. Phone numbers normalised to E.164 for contacts and SMS.
 *   7. Green-channel measurement: approval steps in working days against
 *      their statutory limits, and the days saved.
 *   8. The WeChat callback's signature check, AES message crypto and
 *      message XML (OpenSSL libcrypto, libxml2).
 *
 * Nothing here keeps global state; every stateful object is a struct the
 * caller owns. Times are int64 milliseconds since the Unix epoch, UTC, like
 * everywhere in Parkline; calendar days are Beijing (UTC+8) days, since
 * China has one time zone and no daylight saving. See docs/desk.md for the
 * state table, the calendar file format, the SLA defaults and the scoring
 * and replacement rules.
 */
#ifndef PL_DESK_H
#define PL_DESK_H

#include "core/core.h"

/* ================================================================= USCC
 * 统一社会信用代码, GB 32100-2015: 18 characters from the 31-character set
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I O Z S V):
 *   [0]     registration authority code (登记管理部门代码)
 *   [1]     organisation type code (机构类别代码), valid per authority
 *   [2..7]  registration authority's region code (GB/T 2260, 6 digits)
 *   [8..16] organisation code (GB 11714-1997): 8 body characters and its
 *           own check character (weights 3 7 9 10 5 8 4 2, mod 11; 10 is
 *           'X', 11 is '0')
 *   [17]    check character over the first 17 (weights 3^i mod 31, mod 31)
 * Checks run in that order and the first failure is reported. */
#define DESK_USCC_LEN 18

enum desk_uscc_check {
	DESK_USCC_OK = 0,
	DESK_USCC_LENGTH,     /* not exactly 18 characters */
	DESK_USCC_CHARSET,    /* a character outside the set (pos names it) */
	DESK_USCC_AUTHORITY,  /* unknown registration authority code */
	DESK_USCC_ORG_TYPE,   /* type code not defined for that authority */
	DESK_USCC_REGION,     /* region code not a GB/T 2260 province prefix */
	DESK_USCC_ORG_CODE,   /* GB 11714 organisation code check failed */
	DESK_USCC_CHECK,      /* the 18th (check) character is wrong */
};

struct desk_uscc_error {
	enum desk_uscc_check check; /* which check failed; DESK_USCC_OK on success */
	int pos;                    /* 1-based position of the culprit, 0 if none */
	char text[160];             /* one English sentence for a problem+json detail */
};

/* Validates s (NUL-terminated). Returns 0, or PL_EINVAL with err (may be
 * NULL) naming the failing check. Upper case only, as the standard writes
 * it: lower-case letters fail DESK_USCC_CHARSET with a hint. */
int desk_uscc_validate(const char *s, struct desk_uscc_error *err);

/* Short stable name of a check ("check_character", ...) for APIs/logs. */
const char *desk_uscc_check_name(enum desk_uscc_check c);

/* Builds a valid code from its parts, computing both check characters:
 * authority and type codes, a 6-digit region, the 8-character organisation
 * code body. out receives 18 characters and a NUL. PL_EINVAL (err says why)
 * when a part fails its check. For demo data and tests. */
int desk_uscc_make(char authority, char type, const char *region6,
		   const char *org8, char out[DESK_USCC_LEN + 1],
		   struct desk_uscc_error *err);

/* ========================================================== state machine
 * The 工单 lifecycle (docs/desk.md has the table). States and actions are
 * small dense enums so the HTTP layer can keep bitmasks; names are the
 * stable lower_snake strings stored in the database and used in the API. */
enum desk_state {
	DESK_ST_RECEIVED,        /* 受理: recorded, not yet dispatched */
	DESK_ST_DISPATCHED,      /* 派单: sent to the enterprise's specialist */
	DESK_ST_ACCEPTED,        /* 签收: acknowledged; the handling clock runs */
	DESK_ST_IN_PROGRESS,     /* 办理: the specialist is working on it */
	DESK_ST_TRANSFERRED,     /* 转办: with a department */
	DESK_ST_EXTENSION,       /* 延期: an extension waits for an admin */
	DESK_ST_ESCALATED,       /* 督办: overdue, under supervision */
	DESK_ST_RESOLVED,        /* 办结: resolution given, awaiting 回访/评价 */
	DESK_ST_RATED,           /* 评价: rated 满意 or 基本满意, to be archived */
	DESK_ST_REOPENED,        /* 重办: rated 不满意, to be handled again */
	DESK_ST_CLOSED,          /* 归档: final */
	DESK_ST_WAITING,         /* 待补充: waiting on the enterprise; the clock is paused */
	DESK_ST_COUNT
};

enum desk_action {
	DESK_ACT_DISPATCH,          /* 派单 (again, after 重办: the replacement) */
	DESK_ACT_ACCEPT,            /* 签收 */
	DESK_ACT_START,             /* 办理: first contact made, work begins */
	DESK_ACT_TRANSFER,          /* 转办 to a department */
	DESK_ACT_RETURN,            /* 退单 by the department, reason required */
	DESK_ACT_REQUEST_EXTENSION, /* 延期申请, reason required */
	DESK_ACT_APPROVE_EXTENSION, /* 延期批准 */
	DESK_ACT_REJECT_EXTENSION,  /* 延期驳回, reason required */
	DESK_ACT_ESCALATE,          /* 督办: the overdue job or an admin */
	DESK_ACT_RESOLVE,           /* 办结, resolution required */
	DESK_ACT_RATE_SATISFIED,    /* 评价 满意 */
	DESK_ACT_RATE_BASIC,        /* 评价 基本满意 */
	DESK_ACT_RATE_UNSATISFIED,  /* 评价 不满意 (comment required) -> 重办 */
	DESK_ACT_CLOSE,             /* 归档 */
	DESK_ACT_WITHDRAW,          /* the enterprise withdraws before handling */
	DESK_ACT_AWAIT,             /* 补充材料: ask the enterprise for more; pauses the clock */
	DESK_ACT_SUPPLEMENT,        /* 补正: the enterprise's answer; the clock runs again */
	DESK_ACT_COUNT
};

enum desk_role {
	DESK_ROLE_ENTERPRISE,  /* a user of the requesting enterprise */
	DESK_ROLE_SPECIALIST,  /* the enterprise's assigned specialist */
	DESK_ROLE_DEPARTMENT,  /* staff of the department it was transferred to */
	DESK_ROLE_PARK_ADMIN,
	DESK_ROLE_SYSTEM,      /* Parkline's own jobs: auto-dispatch, overdue scan */
	DESK_ROLE_COUNT
};
#define DESK_ROLE_BIT(r) (1u << (r))

/* Names: stable lower_snake; zh: the Chinese term shown in the UI. Never
 * NULL for a valid value, "?" otherwise. Static storage. */
const char *desk_state_name(enum desk_state s);
const char *desk_state_zh(enum desk_state s);
const char *desk_action_name(enum desk_action a);
const char *desk_action_zh(enum desk_action a);
const char *desk_role_name(enum desk_role r);
/* Parse a name back; PL_EINVAL when unknown. */
int desk_state_parse(const char *s, enum desk_state *out);
int desk_action_parse(const char *s, enum desk_action *out);
int desk_role_parse(const char *s, enum desk_role *out);
/* True when the action must come with a text (reason, resolution, comment):
 * the HTTP layer rejects an empty one before calling desk_transition. */
bool desk_action_needs_text(enum desk_action a);

/* One row of the transition table. */
struct desk_transition_rule {
	enum desk_state from;
	enum desk_action action;
	unsigned roles;        /* DESK_ROLE_BIT mask of roles allowed */
	enum desk_state to;
};
/* The table itself (borrowed, static); *n gets its length. For docs,
 * the UI's action buttons and tests. */
const struct desk_transition_rule *desk_transition_table(size_t *n);

/* Bitmask (1u << action) of actions allowed in state s: for any role when
 * role is DESK_ROLE_COUNT, else for that role. 0 for a bad state. */
unsigned desk_actions_allowed(enum desk_state s, enum desk_role role);

struct desk_flow_error {
	unsigned allowed;  /* actions allowed in the state (any role), as a mask */
	char text[320];    /* names the state, the action and the allowed actions */
};

/* Applies action a by role r in state s. On success *next is the new state.
 * Errors (err, may be NULL, explains each):
 *   PL_EINVAL     s, a or r out of range
 *   PL_ECONFLICT  the state does not allow the action (409; err->text names
 *                 the current state and lists the allowed actions)
 *   PL_EFORBIDDEN the state allows the action, but not for this role (403)
 * *next is untouched on error. */
int desk_transition(enum desk_state s, enum desk_action a, enum desk_role r,
		    enum desk_state *next, struct desk_flow_error *err);

/* ============================================================== calendar
 * A working calendar: which Beijing days are holidays (放假) and which
 * weekend days are make-up working days (调休上班), loaded from yearly data
 * files (data/calendar/YYYY.txt; format in docs/desk.md). A day is a
 * working day when it is a declared workday, or a Monday-Friday that is not
 * a declared holiday. Days are counted as "day numbers": days since
 * 1970-01-01 in Beijing time. */
#define DESK_CAL_FILE_MAX (64 * 1024)  /* bytes per calendar file */
#define DESK_CAL_LINE_MAX 256          /* bytes per line */
#define DESK_CAL_DAYS_MAX 4096         /* declared days across all years */
#define DESK_CAL_YEARS_MAX 64          /* years one calendar may cover */
#define DESK_CAL_RANGE_MAX 31          /* days in one holiday range */

enum desk_day_kind { DESK_DAY_HOLIDAY = 1, DESK_DAY_WORKDAY = 2 };

struct desk_cal_day {
	int32_t day;              /* day number (Beijing) */
	enum desk_day_kind kind;
};

struct desk_calendar {
	struct desk_cal_day *days; /* owned, sorted by day, unique */
	size_t n, cap;
	int years[DESK_CAL_YEARS_MAX]; /* years loaded, in load order */
	size_t nyears;
};

struct desk_cal_error {
	char name[64];   /* the file name given to the parser */
	int line;        /* 1-based line of the error, 0 when not line-specific */
	char text[200];  /* "2026.txt:12: workday 2026-02-16 is a Monday ..." */
};

void desk_calendar_init(struct desk_calendar *cal);
void desk_calendar_release(struct desk_calendar *cal);

/* Parses one year's file from text[0..len) and adds it to cal. name is used
 * in error texts only. All-or-nothing: on error cal is unchanged.
 * Errors: PL_ETOOBIG (file, line or day caps), PL_EPARSE (syntax, with the
 * line), PL_EINVAL (a date outside the year, a weekday declared as make-up
 * workday, a day declared twice, a year loaded twice). */
int desk_calendar_parse(struct desk_calendar *cal, const char *text, size_t len,
			const char *name, struct desk_cal_error *err);
/* Reads path (capped at DESK_CAL_FILE_MAX) and parses it. PL_EIO when it
 * cannot be read. */
int desk_calendar_load_file(struct desk_calendar *cal, const char *path,
			    struct desk_cal_error *err);

/* Loads every "YYYY.txt" in dir (other names are ignored), in year order.
 * Stops at the first file that fails (err names it); the files loaded
 * before it stay loaded. PL_EIO when dir cannot be read, PL_ENOTFOUND when
 * it holds no calendar file. */
int desk_calendar_load_dir(struct desk_calendar *cal, const char *dir,
			   struct desk_cal_error *err);

/* Day-number helpers (Beijing days). */
int32_t desk_day_from_ms(int64_t ms);          /* the Beijing day containing ms */
int64_t desk_day_start_ms(int32_t day);        /* 00:00 Beijing of day, as UTC ms */
int desk_day_from_ymd(int y, int m, int d, int32_t *out); /* PL_EINVAL if no such date */
void desk_day_to_ymd(int32_t day, int *y, int *m, int *d);
int desk_day_weekday(int32_t day);             /* 0 Sunday .. 6 Saturday */

/* Whether day is a working day. PL_ENOTFOUND when the calendar has no data
 * for the day's year: guessing Monday-Friday would put deadlines on
 * holidays, so a missing year is a configuration error to fix. */
int desk_calendar_is_workday(const struct desk_calendar *cal, int32_t day,
			     bool *out);
/* Working days in (from, to]: the first day is not counted, as the
 * 行政许可法 counts periods. 0 when to <= from. PL_ENOTFOUND as above. */
int desk_calendar_workdays_between(const struct desk_calendar *cal, int32_t from,
				   int32_t to, int32_t *out);

/* ============================================================= deadlines */
enum desk_unit {
	DESK_UNIT_MINUTES,   /* elapsed clock time, around the clock */
	DESK_UNIT_WORKDAYS,  /* working days on the calendar */
};
struct desk_duration {
	enum desk_unit unit;
	int32_t amount;  /* minutes 1..DESK_MINUTES_MAX or days 1..DESK_WORKDAYS_MAX */
};
#define DESK_MINUTES_MAX (366 * 24 * 60)
#define DESK_WORKDAYS_MAX 366

/* Parses "30m", "2h", "5wd" (working days). PL_EINVAL otherwise. */
int desk_duration_parse(const char *s, struct desk_duration *out);
/* Formats as the parser reads it ("2h", "90m", "5wd"); out >= 16 bytes. */
void desk_duration_format(struct desk_duration d, char out[16]);

/* A pause of the clock (waiting on the enterprise): [from_ms, to_ms). An
 * ongoing pause has to_ms == DESK_OPEN. */
#define DESK_OPEN INT64_MAX
#define DESK_NO_DUE INT64_MAX  /* due time while the clock is paused for good */
#define DESK_PAUSES_MAX 64
struct desk_pause {
	int64_t from_ms, to_ms;
};

/* Computes when a clock started at start_ms with duration d runs out.
 *  - minutes: start_ms + d, plus every paused instant after start_ms.
 *  - working days: the clock counts from 00:00 Beijing of the day after
 *    start's day (the first day is not counted), and only during working
 *    days; d working days are d x 24 h of such time. Paused time inside
 *    working days does not count, so a pause extends the due time by the
 *    working time it covered. Without pauses the due time is 00:00 Beijing
 *    after the d-th working day.
 * Pauses may overlap and come in any order; at most DESK_PAUSES_MAX.
 * cal is only read for working days (may be NULL for minutes).
 * *due_ms is DESK_NO_DUE when an open pause stops the clock before it runs
 * out. Errors: PL_EINVAL (bad duration, pause with from >= to, NULL cal for
 * working days), PL_ETOOBIG (too many pauses), PL_ENOTFOUND (the calendar
 * lacks a year the walk needs; it walks at most DESK_WORKDAYS_MAX * 3 days
 * past the last pause). */
int desk_deadline_add(int64_t start_ms, struct desk_duration d,
		      const struct desk_calendar *cal,
		      const struct desk_pause *pauses, size_t npauses,
		      int64_t *due_ms);

/* The due time after a pause of the clock (src/desk/pause.c). A clock due
 * at due_ms stopped at from_ms and ran again at to_ms: the time it had left
 * at from_ms (elapsed time for minutes, time inside working days for
 * working days, as desk_deadline_add counts) now runs from to_ms. A pause
 * that began at or after due_ms changes nothing (the clock had run out).
 * Errors: PL_EINVAL (to < from, bad unit, NULL cal for working days),
 * PL_ENOTFOUND (the calendar lacks a year the walk needs; it walks at most
 * DESK_WORKDAYS_MAX * 3 days). */
int desk_due_after_pause(const struct desk_calendar *cal, enum desk_unit unit,
			 int64_t due_ms, int64_t from_ms, int64_t to_ms, int64_t *out);

/* ================================================================ SLA
 * The time limits per category and urgency. Each cell has three clocks:
 * sign (派单 -> 签收), contact (签收 -> first contact, 响应) and resolve
 * (签收 -> 办结). Defaults from the domain note (docs/desk.md cites each);
 * a text file overrides cells. */
enum desk_category {
	DESK_CAT_CONSULT,     /* 咨询 */
	DESK_CAT_HELP,        /* 求助 */
	DESK_CAT_COMPLAINT,   /* 投诉 */
	DESK_CAT_SUGGESTION,  /* 建议 */
	DESK_CAT_UTILITY,     /* 水电气热: water, power, gas, heat */
	DESK_CAT_COUNT
};
enum desk_urgency {
	DESK_URG_NORMAL,      /* 一般 */
	DESK_URG_URGENT,      /* 紧急 */
	DESK_URG_CRITICAL,    /* 特急: risk to life or property */
	DESK_URG_COUNT
};
enum desk_clock { DESK_CLK_SIGN, DESK_CLK_CONTACT, DESK_CLK_RESOLVE, DESK_CLK_COUNT };

struct desk_sla_table {
	struct desk_duration cell[DESK_CAT_COUNT][DESK_URG_COUNT][DESK_CLK_COUNT];
};

const char *desk_category_name(enum desk_category c);
const char *desk_urgency_name(enum desk_urgency u);
const char *desk_clock_name(enum desk_clock k);
int desk_category_parse(const char *s, enum desk_category *out);
int desk_urgency_parse(const char *s, enum desk_urgency *out);
int desk_clock_parse(const char *s, enum desk_clock *out);

/* Fills t with the defaults. */
void desk_sla_defaults(struct desk_sla_table *t);
#define DESK_SLA_FILE_MAX (16 * 1024)
/* Applies override lines "<category|*> <urgency|*> <clock|*> <duration>"
 * ('#' comments, blank lines) from text[0..len) on top of t. All-or-nothing.
 * Errors: PL_ETOOBIG, PL_EPARSE / PL_EINVAL with the line in err. */
int desk_sla_parse(struct desk_sla_table *t, const char *text, size_t len,
		   const char *name, struct desk_cal_error *err);

/* The due time of one clock of a request: the table's duration for its
 * category and urgency, added to start_ms by desk_deadline_add (same
 * errors, plus PL_EINVAL for an out-of-range category, urgency or clock). */
int desk_sla_due(const struct desk_sla_table *t, enum desk_category c,
		 enum desk_urgency u, enum desk_clock k, int64_t start_ms,
		 const struct desk_calendar *cal, const struct desk_pause *pauses,
		 size_t npauses, int64_t *due_ms);

/* ====================================================== scoring, replacement
 * Satisfaction is the only score (docs/desk.md). The store hands in the
 * ratings and assignments as arrays; strings are borrowed from the caller
 * for the duration of the call unless said otherwise. */
enum desk_grade { DESK_GRADE_SATISFIED, DESK_GRADE_BASIC, DESK_GRADE_UNSATISFIED };
const char *desk_grade_name(enum desk_grade g);  /* satisfied, basic, unsatisfied */

struct desk_rating {
	const char *enterprise_id;
	const char *specialist_id;  /* who handled the rated request */
	int64_t at_ms;              /* when the rating was given */
	enum desk_grade grade;
};

struct desk_assignment {
	const char *enterprise_id;
	const char *specialist_id;
	int64_t from_ms;
	int64_t to_ms;              /* DESK_OPEN while it is the current one */
};

struct desk_score_query {
	const char *specialist_id;  /* NULL: any */
	const char *enterprise_id;  /* NULL: any */
	int64_t from_ms, to_ms;     /* window [from, to) on at_ms */
	bool count_basic;           /* count 基本满意 as satisfied (off: 满意 only) */
};

struct desk_score {
	size_t rated;         /* ratings in the window matching the query */
	size_t satisfied;     /* 满意 */
	size_t basic;         /* 基本满意 */
	size_t unsatisfied;   /* 不满意 */
	/* satisfied (+ basic if counted) per 10000 rated, rounded half up;
	 * -1 when nothing was rated (no score, not zero). */
	int32_t share_bp;
};

/* Scores the ratings that match q. PL_EINVAL when q->from_ms > q->to_ms or
 * a rating has a bad grade. */
int desk_score_compute(const struct desk_rating *r, size_t n,
		       const struct desk_score_query *q, struct desk_score *out);

struct desk_board_row {
	const char *specialist_id;  /* borrowed from the ratings array */
	const char *enterprise_id;  /* NULL in the overall rows */
	struct desk_score score;
};
/* The leaderboard over [from, to): one row per specialist overall
 * (enterprise_id NULL), ordered by share (high first), then by number
 * rated (more first), then by id; and, in *rel, one row per
 * enterprise-specialist relationship ordered by specialist, enterprise.
 * *rows and *rel are allocated (free() them); n <= DESK_BOARD_MAX.
 * Errors: PL_EINVAL (from > to), PL_ETOOBIG (n too large). */
#define DESK_BOARD_MAX (16u * 1024 * 1024)
int desk_score_board(const struct desk_rating *r, size_t n, int64_t from_ms,
		     int64_t to_ms, bool count_basic,
		     struct desk_board_row **rows, size_t *nrows,
		     struct desk_board_row **rel, size_t *nrel);

/* The replacement rule for one enterprise. After a 不满意 rating of its
 * current specialist the enterprise may ask for a new one; the new one must
 * be someone who has not served it since its last 满意 rating (any
 * specialist), so it keeps getting different people until it is
 * satisfied. */
#define DESK_EXCLUDED_MAX 64
struct desk_replacement {
	const char *current;       /* current specialist (borrowed), NULL if none */
	bool may_request;          /* latest rating of the current relationship is 不满意 */
	int64_t cycle_from_ms;     /* last 满意 rating by this enterprise, INT64_MIN if none */
	const char *excluded[DESK_EXCLUDED_MAX]; /* borrowed; who may not be chosen */
	size_t nexcluded;
};

/* Works out the rule's state for enterprise at now_ms from its assignment
 * history and ratings (other enterprises' rows are ignored).
 * Errors: PL_EINVAL (an assignment with from > to, or two current ones),
 * PL_ETOOBIG (more than DESK_EXCLUDED_MAX specialists to exclude). */
int desk_replacement_state(const struct desk_assignment *a, size_t na,
			   const struct desk_rating *r, size_t nr,
			   const char *enterprise_id, int64_t now_ms,
			   struct desk_replacement *out);

/* Whether the admin's choice is allowed: 0, or PL_ECONFLICT with text (may
 * be NULL, >= 160 bytes) saying that the candidate is the current specialist
 * or served the enterprise since its last 满意. */
int desk_replacement_check(const struct desk_replacement *st,
			   const char *candidate, char *text, size_t textsz);

/* Suggests a candidate: the allowed one with the lowest load (enterprises
 * served now), ties broken by id. *idx gets its index in candidates.
 * PL_ENOTFOUND when nobody is allowed. */
int desk_replacement_suggest(const struct desk_replacement *st,
			     const char *const *candidates, const uint32_t *loads,
			     size_t n, size_t *idx);

/* ================================================================= KPIs
 * The park's speed and quality rates (shared/docs/domain/service-desk.md
 * §3). They are reported per specialist, department or month - the caller
 * picks the grouping by what it puts in group - and never enter a
 * specialist's score (section above). Formulas, stated in every report:
 *   签收及时率 sign_on_time / dispatched   signed by sign_due
 *   按期办结率 resolved_on_time / resolved resolved by resolve_due (which
 *                                         includes approved extensions)
 *   办结率     resolved_due / due          due: resolve_due before as_of
 *   满意率     satisfied (+basic) / rated
 *   重办率     reopened / resolved         requests reopened at least once
 *   退单率     returned / dispatched       requests sent back at least once
 *   超期数     overdue                     open past resolve_due at as_of,
 *                                         or resolved after it */
#define DESK_NEVER INT64_MIN  /* a time that has not happened */

struct desk_kpi_request {
	const char *group;      /* grouping key (borrowed): specialist, department, "2026-11" */
	int64_t dispatched_at;  /* DESK_NEVER when not dispatched yet */
	int64_t sign_due;       /* DESK_NEVER when no sign clock */
	int64_t signed_at;
	int64_t resolve_due;    /* DESK_NEVER when no resolve clock yet */
	int64_t resolved_at;    /* last 办结; DESK_NEVER while open */
	uint32_t reopened;      /* times 重办 */
	uint32_t returned;      /* times 退单 */
	int rating;             /* enum desk_grade of the final rating, -1 none */
};

struct desk_kpi {
	const char *group;      /* borrowed from the input */
	size_t requests, dispatched, sign_on_time, resolved, resolved_on_time;
	size_t due, resolved_due, rated, satisfied, basic, reopened, returned, overdue;
	/* Rates in basis points, rounded half up; -1 when the denominator is 0. */
	int32_t sign_on_time_bp, on_time_bp, resolution_bp, satisfaction_bp;
	int32_t reopen_bp, return_bp;
};

/* One row per distinct group (by strcmp order), computed at as_of_ms.
 * *rows is allocated (free() it). Errors: PL_EINVAL (a NULL group, or a
 * rating out of range), PL_ETOOBIG (n > DESK_BOARD_MAX). */
int desk_kpi_compute(const struct desk_kpi_request *r, size_t n, int64_t as_of_ms,
		     bool count_basic, struct desk_kpi **rows, size_t *nrows);

/* ================================================================= phones
 * Phone numbers are normalised once, at the edge, to E.164 ("+86..."), as
 * the SMS gateways want (Tencent takes E.164; Aliyun takes it too), so
 * contacts, specialists and SMS recipients compare as plain strings.
 * Accepted input: digits with optional spaces, hyphens, dots and
 * parentheses; a Chinese mobile (11 digits, 1[3-9]...) bare or after
 * +86 / 0086 / 86; a Chinese landline with its trunk 0 (010-..., 023-...,
 * 0xxx-...) or after +86 without it; any other "+<country>" number of 8 to
 * 15 digits, kept as given. */
#define DESK_PHONE_MAX 20  /* "+" and up to 15 digits, NUL, spare */

/* out gets the E.164 form. PL_EINVAL with why (may be NULL, >= 120 bytes)
 * otherwise. */
int desk_phone_normalize(const char *in, char out[DESK_PHONE_MAX], char *why, size_t whysz);
/* True for a normalised Chinese mobile number (+861[3-9] and 9 digits):
 * the numbers an SMS can reach. */
bool desk_phone_is_cn_mobile(const char *e164);

/* ========================================================= green channel
 * 绿色通道 / 全程代办: a project's approval steps, run by an agent on the
 * enterprise's behalf, measured against their statutory limits. Limits and
 * actual durations are counted in working days on the calendar, as
 * 行政许可法 Art. 82 counts them, from the day after 受理 to the decision
 * (desk_calendar_workdays_between). Steps may run in parallel, so a
 * project reports both the sum of its steps and the elapsed span. */
#define DESK_GREEN_STEPS_MAX 256

struct desk_green_step {
	int32_t statutory_days;  /* 法定时限, working days (> 0) */
	int32_t promised_days;   /* 承诺时限, working days; 0: none promised */
	int64_t accepted_at;     /* 受理; DESK_NEVER while not submitted */
	int64_t decided_at;      /* decision; DESK_NEVER while pending */
};

struct desk_green_step_result {
	bool done;               /* accepted and decided */
	int32_t actual_days;     /* working days so far (to as_of while pending) */
	int32_t saved_days;      /* statutory - actual; negative when over */
	bool over_statutory;     /* actual > statutory */
	bool over_promised;      /* a promise was made and actual > promised */
};

struct desk_green_summary {
	size_t steps, done;
	int32_t statutory_sum;   /* sum of the steps' statutory days */
	int32_t actual_sum;      /* sum of the done steps' actual days */
	int32_t saved_sum;       /* statutory - actual over the done steps */
	bool complete;           /* every step done */
	int32_t elapsed_days;    /* working days from the first 受理 to the last
				  * decision (to as_of while incomplete); -1 if
				  * nothing was accepted */
	int32_t elapsed_calendar_days; /* the same span in calendar days */
};

/* Measures a project's steps at as_of_ms. results (may be NULL) gets one
 * entry per step. Errors: PL_EINVAL (bad limits, decided before accepted,
 * decided without being accepted), PL_ETOOBIG (n > DESK_GREEN_STEPS_MAX),
 * PL_ENOTFOUND (the calendar lacks a year the steps span). */
int desk_green_measure(const struct desk_green_step *steps, size_t n,
		       const struct desk_calendar *cal, int64_t as_of_ms,
		       struct desk_green_step_result *results,
		       struct desk_green_summary *out);

/* Procedure templates (全程代办 chains with statutory working days per
 * step, green.c): a project is built from one in a single call. Static
 * storage; steps in order. */
struct desk_green_tpl_step {
	const char *name;        /* 立项备案, ... */
	const char *department;  /* the approving department */
	int32_t statutory_days;  /* working days */
};
struct desk_green_template {
	const char *id;          /* stable lower_snake id used in the API */
	const char *name_zh, *name_en;
	const struct desk_green_tpl_step *steps;
	size_t nsteps;
};
/* The templates (borrowed, static); *n gets their number. */
const struct desk_green_template *desk_green_templates(size_t *n);
/* The template with id, or NULL. */
const struct desk_green_template *desk_green_template_find(const char *id);

/* ============================================================ attachments
 * Files attached to a request (src/desk/attach.c). The type is decided by
 * the content's magic bytes, never by what the client says, and must agree
 * with the declared Content-Type and the file name's extension: a
 * disguised file (an executable or HTML named .png) is refused. Files are
 * stored outside the database, content-addressed by SHA-256, written to a
 * temporary file, fsync'ed and renamed, so a crash never leaves half a
 * file under a final name. */
#define DESK_ATTACH_MAX (10u << 20)      /* bytes per file */
#define DESK_ATTACH_PER_REQUEST 20       /* files per request */
#define DESK_ATTACH_NAME_MAX 200         /* file name bytes */
#define DESK_SHA256_HEX 64

/* The media type sniffed from data[0..len): "image/png", "image/jpeg",
 * "application/pdf", the OOXML word/spreadsheet types, "text/plain"
 * (valid UTF-8 without control characters other than tab, CR, LF, FF, and
 * not HTML/SVG/script markup). NULL when the content is none of these. */
const char *desk_attach_sniff(const uint8_t *data, size_t len);

/* Checks an upload: the file name (1..DESK_ATTACH_NAME_MAX bytes of UTF-8,
 * no path separators or control characters, an extension we know), the
 * sniffed type, and that the declared type (parameters ignored; NULL,
 * empty or application/octet-stream: not declared) and the extension
 * agree with it. *type gets the sniffed type (static). Errors, with why
 * (>= 200 bytes) saying what is wrong: PL_EINVAL (file name),
 * PL_ETOOBIG (empty or over DESK_ATTACH_MAX: len 0 is PL_EINVAL),
 * PL_EUNSUPPORTED (unknown content, or content that disagrees with the
 * declared type or the extension). */
int desk_attach_check(const char *filename, const char *declared, const uint8_t *data,
		      size_t len, const char **type, char *why, size_t whysz);

/* Writes data into dir (created 0700 when missing) as <sha256-hex>, via a
 * temporary file, fsync and rename, and fsyncs the directory. When the file
 * exists already (same content) nothing is written. hex gets the checksum.
 * PL_EIO on any file-system failure (nothing left under the final name). */
int desk_attach_put(const char *dir, const uint8_t *data, size_t len,
		    char hex[DESK_SHA256_HEX + 1]);

/* Reads the file for hex from dir (at most max bytes) into *data (malloc'd,
 * caller frees) and checks its SHA-256. Errors: PL_EINVAL (hex not 64
 * lower-case hex digits), PL_ENOTFOUND (no such file), PL_ETOOBIG,
 * PL_EIO (read failure, or the content no longer matches its checksum). */
int desk_attach_get(const char *dir, const char *hex, size_t max, uint8_t **data,
		    size_t *len);

/* The default attachments directory for a store location: next to an
 * SQLite file ("<dir of db>/attachments"), "var/attachments" for a
 * PostgreSQL URL. */
void desk_attach_default_dir(const char *db, char *out, size_t outsz);

/* ================================================================ WeChat
 * The Official Account / WeCom callback's crypto and message format
 * (shared/docs/domain/wechat-sms.md): the SHA-1 signature over the sorted
 * strings, AES-256-CBC with the key from EncodingAESKey and PKCS#7 padding
 * to 32-byte blocks, and the message XML (libxml2). SHA-1 and AES come from
 * OpenSSL's libcrypto. The HTTP layer decodes query parameters first. */
#define DESK_WECHAT_SIG_LEN 40         /* lower-case hex SHA-1 */
#define DESK_WECHAT_AESKEY_LEN 43      /* EncodingAESKey characters */
#define DESK_WECHAT_ID_MAX 64          /* receive_id (AppID/CorpID) bytes */
#define DESK_WECHAT_BODY_MAX (64 * 1024) /* XML body, and base64 ciphertext */
#define DESK_WECHAT_FIELD_MAX 4096     /* one XML field's text, in bytes */

/* signature = hex(sha1(concat(sort([token, timestamp, nonce(, encrypt)])))).
 * encrypt is NULL in plain mode. out gets 40 hex digits and a NUL.
 * PL_EINVAL when a part is NULL or longer than DESK_WECHAT_BODY_MAX. */
int desk_wechat_sign(const char *token, const char *timestamp, const char *nonce,
		     const char *encrypt, char out[DESK_WECHAT_SIG_LEN + 1]);
/* Checks a received signature in constant time: 0, or PL_EAUTH when it
 * does not match (or is not 40 hex digits), PL_EINVAL as above. */
int desk_wechat_verify(const char *token, const char *timestamp, const char *nonce,
		       const char *encrypt, const char *signature);

/* Replay guard: the callback's timestamp (decimal seconds) must lie within
 * window_s of now_ms, either way (clocks drift). A captured request
 * replayed later fails here even though its signature is valid; within the
 * window the MsgId dedupe key catches it. 0, PL_EAUTH (stale or future) or
 * PL_EINVAL (not a number). */
int desk_wechat_fresh(const char *timestamp, int64_t now_ms, int64_t window_s);

struct desk_wechat_crypto {
	uint8_t key[32];                        /* AESKey; IV is key[0..16) */
	char receive_id[DESK_WECHAT_ID_MAX + 1]; /* AppID / CorpID / SuiteID */
};
/* aes_key: the 43-character EncodingAESKey. Its last character's two low
 * bits are discarded, as WeChat does; anything else that is not base64 is
 * PL_EINVAL, as is an empty or too long receive_id. */
int desk_wechat_crypto_init(struct desk_wechat_crypto *c, const char *aes_key,
			    const char *receive_id);
/* Encrypts msg[0..len) with the 16 random bytes given (the caller draws
 * them with pl_random; tests pass fixed ones). *out is a new base64 string
 * (free() it). PL_ETOOBIG past DESK_WECHAT_BODY_MAX. */
int desk_wechat_encrypt(const struct desk_wechat_crypto *c, const uint8_t random[16],
			const char *msg, size_t len, char **out);
/* Decrypts a base64 ciphertext (an <Encrypt> text or an encrypted echostr):
 * checks the padding (1..32 equal bytes), the length field and that the
 * receive_id is ours. *out is the message, NUL-terminated (free() it);
 * *len its length. Errors: PL_ETOOBIG, PL_EINVAL (not base64, not whole
 * blocks), PL_EAUTH (bad padding, length or receive_id: a forged or
 * corrupted message). */
int desk_wechat_decrypt(const struct desk_wechat_crypto *c, const char *b64,
			char **out, size_t *len);

/* A parsed callback body. Strings are owned (free with _release); absent
 * fields are NULL. */
struct desk_wechat_msg {
	char *to_user;      /* ToUserName: the account's gh_ id or CorpID */
	char *from_user;    /* FromUserName: OpenID / UserID */
	int64_t create_time; /* CreateTime, seconds; 0 when absent */
	char *msg_type;     /* text image voice video shortvideo location link event */
	char *content;      /* Content (text messages) */
	char *event;        /* Event (event messages) */
	char *event_key;    /* EventKey */
	char *media_id;     /* MediaId */
	char *pic_url;      /* PicUrl */
	char *agent_id;     /* AgentID (WeCom) */
	char *encrypt;      /* Encrypt (safe and compatible modes, WeCom) */
	uint64_t msg_id;    /* MsgId; valid when has_msg_id */
	bool has_msg_id;
};
void desk_wechat_msg_release(struct desk_wechat_msg *m);

/* Parses a callback body: root <xml>, known fields once each, unknown ones
 * ignored. A body with only <Encrypt> (and ToUserName/AgentID) is an
 * envelope; otherwise ToUserName, FromUserName, CreateTime and MsgType are
 * required, text needs Content, event needs Event, other types MsgId. DTDs
 * are refused (no entity tricks) and the network is never touched.
 * err (may be NULL, >= 160 bytes) says what is wrong. Errors: PL_ETOOBIG,
 * PL_EPARSE (not XML), PL_EINVAL (fields). On error *m is empty. */
int desk_wechat_parse(const char *xml, size_t len, struct desk_wechat_msg *m,
		      char *err, size_t errsz);

/* The key that makes request creation idempotent across WeChat's retries:
 * "msg:<MsgId>", or "event:<FromUserName>:<CreateTime>" for events, which
 * have no MsgId. PL_EINVAL for an envelope or a message lacking both. */
int desk_wechat_dedupe_key(const struct desk_wechat_msg *m, char *out, size_t outsz);

#endif /* PL_DESK_H */
