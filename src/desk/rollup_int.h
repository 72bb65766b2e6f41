/*
 * rollup_int.h - what report.c uses of rollup.c (not for other modules):
 * the KPI report's items read from the rollup (migration 18) rather than
 * from a scan of requests. Contracts as in report.h.
 */
#ifndef PL_DESK_ROLLUP_INT_H
#define PL_DESK_ROLLUP_INT_H

#include "desk/report.h"

/* The report's items (the array desk_report_kpi answers under "items",
 * before rates) for p over q at now_ms, from desk_kpi_rollup plus the live
 * as_of correction (rollup.c NOTES). asof, from and to are the RFC 3339
 * texts of now_ms and of the range's bounds [from, to) (borrowed). p's
 * desk.report scope must be ANY, or ASSIGNED / DEPARTMENT with a non-empty
 * user id / department (report.c sends the rest to the scan). *items is a
 * new reference. Errors: PL_ETOOBIG (more than DESK_REPORT_ROWS_MAX
 * groups), PL_EFORBIDDEN, PL_EDB. */
int desk__kpi_rollup_items(struct store_conn *c, const struct auth_principal *p,
			   const struct desk_report_query *q, int64_t now_ms, const char *asof,
			   const char *from, const char *to, json_t **items);

/* Appends to b the SQL expression giving the Beijing month of
 * r.created_at for a request created in Beijing days [from, to]: text
 * '2026-11', or the integer 202611 when as_int. Boundaries are literals
 * formatted from the day numbers (report.c). */
void desk__month_case(struct pl_buf *b, int32_t from, int32_t to, bool as_int);

#endif /* PL_DESK_ROLLUP_INT_H */
