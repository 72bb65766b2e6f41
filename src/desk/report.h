/*
 * report.h - the desk's KPI reports, its SLA settings and the bulk demo, on
 * the store (prefix desk_; src/desk/report.c,
 * sla_repo.c, demo_bulk.c; HTTP in src/http/api_desk_report.c).
 *
 * The KPI report is defined as one SQL aggregation over the requests
 * (GROUP BY on either engine: desk_report_kpi_scan) and answered from the
 * rollup of migration 18 (rollup.c), which gives the same numbers from a
 * few hundred rows plus the requests still due after as_of. The formulas are those of
 * desk.h's KPI section, restated in docs/desk.md section 13 with the exact
 * columns each one counts.
 *
 * Conventions as in repo.h: c is a connection the caller owns (writers
 * expect an open transaction and commit on 0), now_ms is the injected
 * clock, json_t results are new references, err (may be NULL) gets one
 * English sentence for a problem+json detail.
 */
#ifndef PL_DESK_REPORT_H
#define PL_DESK_REPORT_H

#include "desk/repo.h"

/* ================================================================ reports */
enum desk_report_group {
	DESK_REPORT_SPECIALIST, /* by requests.specialist_id (unassigned: key "") */
	DESK_REPORT_DEPARTMENT, /* by requests.department; requests never
				 * transferred (department NULL) are left out */
	DESK_REPORT_MONTH,      /* by the Beijing month of created_at, "2026-11" */
};
/* "specialist", "department", "month"; PL_EINVAL for anything else. */
int desk_report_group_parse(const char *s, enum desk_report_group *out);

#define DESK_REPORT_DAYS_MAX 3660 /* longest range one report may cover */
#define DESK_REPORT_ROWS_MAX 5000 /* groups one report answers with */

struct desk_report_query {
	enum desk_report_group group;
	int32_t from_day, to_day;  /* Beijing day numbers, inclusive both ends;
				    * requests whose created_at falls in them */
};

/* The KPI report for p over q at now_ms:
 *   {"group","from","to","as_of",
 *    "items":[{key,name,requests,dispatched,sign_on_time,resolved,
 *              resolved_on_time,ever_resolved,due,resolved_due,rated,
 *              satisfied,basic,unsatisfied,reopened,returned,overdue,
 *              sign_on_time_rate,on_time_rate,resolution_rate,
 *              satisfaction_rate,reopen_rate,return_rate}],
 *    "total":{... the same over every row p may see, key "total"}}
 * Rates are fractions rounded to 4 places (half up, from basis points),
 * null when the denominator is 0. Items are ordered by key.
 * Tenancy (desk.report): park admins and auditors see every request, a
 * specialist the requests it holds (requests.specialist_id), department
 * staff the requests with their department; others PL_EFORBIDDEN.
 * Errors: PL_EINVAL (from > to, range over DESK_REPORT_DAYS_MAX: err says
 * which), PL_EFORBIDDEN, PL_ETOOBIG (more than DESK_REPORT_ROWS_MAX
 * groups), PL_EDB. */
int desk_report_kpi(struct store_conn *c, const struct auth_principal *p,
		    const struct desk_report_query *q, int64_t now_ms, json_t **out,
		    struct desk_err *err);
/* The same answer computed by one scan of the requests in the range (the
 * reference desk_report_kpi is tested against; seconds at a million
 * requests). desk_report_kpi itself reads the rollup (migration 18,
 * src/desk/rollup.c) except for scopes the rollup does not key. */
int desk_report_kpi_scan(struct store_conn *c, const struct auth_principal *p,
			 const struct desk_report_query *q, int64_t now_ms, json_t **out,
			 struct desk_err *err);

/* Recomputes desk_kpi_rollup from every request in one transaction of its
 * own on a connection from st (PostgreSQL: writers of requests and ratings
 * wait until it commits). The triggers of migration 18 keep the rollup
 * exact on every write, so this is a repair tool (`parkline admin db
 * kpi-rebuild`), not part of normal operation. *rows (may be NULL) gets
 * the number of rollup rows. Errors: PL_EDB, PL_EBUSY. */
int desk_kpi_rollup_rebuild(struct store *st, int64_t *rows);

/* The report as CSV: a UTF-8 byte-order mark (so Excel reads the Chinese
 * headers as UTF-8), one header line, one line per item, then the total.
 * rep is a desk_report_kpi answer (borrowed). *out is malloc'd (free() it),
 * *len its length. Fields are quoted per RFC 4180 when they need it. */
int desk_report_csv(const json_t *rep, char **out, size_t *len);

/* ========================================================= SLA settings
 * The park admin's SLA table lives in desk_sla (migration 12): one row per
 * (category, urgency, clock) that differs from the base table (defaults
 * plus the --sla-file overrides). */

/* out = base overlaid with the stored cells. A stored cell that no longer
 * parses (a name or duration this build does not know) is skipped, so an
 * old row never stops requests from being created. Errors: PL_EDB. */
int desk_sla_load(struct store_conn *c, const struct desk_sla_table *base,
		  struct desk_sla_table *out);

/* {"items":[{category,urgency,sign,contact,resolve,custom:[clock...]}],
 *  "updated_at","updated_by"} of the effective table (base + stored). */
int desk_sla_get(struct store_conn *c, const struct desk_sla_table *base, json_t **out,
		 struct desk_err *err);

/* Replaces cells from body {"items":[{category,urgency,sign?,contact?,
 * resolve?}]} (borrowed): each item names a known category and urgency
 * once; each given clock is a duration ("30m", "2h", "5wd") that is
 * positive and within DESK_MINUTES_MAX / DESK_WORKDAYS_MAX; a clock equal
 * to base removes the stored cell. All-or-nothing; audited as
 * desk.sla.update with before and after. *out as desk_sla_get.
 * Errors: PL_EINVAL (names the item and field), PL_EFORBIDDEN (not
 * desk.settings), PL_EDB. */
#define DESK_SLA_ITEMS_MAX (DESK_CAT_COUNT * DESK_URG_COUNT)
int desk_sla_put(struct store_conn *c, const struct desk_actor *a,
		 const struct desk_sla_table *base, const json_t *body, int64_t now_ms,
		 json_t **out, struct desk_err *err);

/* ================================================================ demo
 * Bulk demo requests for `serve --demo` and the benchmark: n requests
 * created uniformly in [from_ms, to_ms), spread over every enterprise that
 * has a current specialist, in every state with plausible timing as seen
 * at now_ms (most signed within the limit, some late, some transferred
 * and returned, some reopened), with ratings. Rows go in with multi-row
 * INSERTs in the caller's transaction; no history events or audit rows
 * (this is generated data, not anyone's action). seed makes the content
 * reproducible (ids are fresh). *made gets the number inserted (0 when no
 * enterprise has a specialist). The KPI rollup's triggers are held off
 * during the call and its requests added in one statement at the end
 * (demo_bulk.c note 4), so two calls must not overlap on one store.
 * Errors: PL_EINVAL (n out of range, from_ms >= to_ms, to_ms > now_ms),
 * PL_EDB. */
#define DESK_BULK_MAX 5000000
int desk_demo_bulk(struct store_conn *c, int64_t n, int64_t from_ms, int64_t to_ms,
		   uint64_t seed, int64_t now_ms, int64_t *made);

/* `serve --demo`: when fewer than 100 requests exist, adds 3000 bulk
 * requests over the last 12 months in one transaction (idempotent: a
 * second call finds them and does nothing). Prints one line to print_to
 * (may be NULL). */
int desk_demo_bulk_seed(struct store *st, FILE *print_to);

#endif /* PL_DESK_REPORT_H */
