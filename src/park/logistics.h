/*
 * logistics.h - the port-to-plant baseline as an edited setting (prefix
 * park_logistics_; src/park/logistics.c, HTTP in
 * src/http/api_park_logistics.c, docs/park.md section 4). The shipments
 * themselves are park_logistics in park.h.
 *
 * The baseline is the number of days a shipment took from port declaration
 * to plant receipt before the linked ports (区港联动); the article's "more
 * than a month" gives the default of 30. It is one park-wide row of
 * park_settings (migration 6; who changed it and when since migration 20),
 * so it belongs to no enterprise: only a caller whose park.data.write
 * scope is "any" (the park admin) may change it.
 *
 * Conventions as in park.h: c is a connection the caller owns, json_t
 * results are new references the caller json_decrefs, why (may be NULL)
 * gets one English sentence for a problem+json detail.
 */
#ifndef PL_PARK_LOGISTICS_H
#define PL_PARK_LOGISTICS_H

#include "park/park.h"

#define PARK_BASELINE_MIN 1     /* days; a baseline of 0 would make every shipment "late" */
#define PARK_BASELINE_MAX 365   /* days */
#define PARK_BASELINE_DEFAULT 30

/* {baseline_days, updated_at, updated_by} (updated_* null while the row
 * was never edited, e.g. the migration's default). A missing or unreadable
 * row reads as the default. Errors: PL_EDB. */
int park_logistics_baseline_get(struct store_conn *c, json_t **out);

/* Sets the baseline from body {"baseline_days": integer 1..365} (borrowed;
 * no other member). Only a park-wide writer: auth_authorize under
 * park.data.write on a target of no enterprise, so the park admin passes,
 * enterprise users get PL_ENOTFOUND (a park-wide object is none of theirs)
 * and roles without the action PL_EFORBIDDEN; a->p NULL is the system.
 * The body is checked before anything is read. c must be in a
 * transaction; audited as park.logistics.baseline with before and after.
 * *out as park_logistics_baseline_get. Errors: PL_EINVAL (why names the
 * field), PL_ENOTFOUND, PL_EFORBIDDEN, PL_EDB. */
int park_logistics_baseline_put(struct store_conn *c, const struct park_actor *a,
				const json_t *body, int64_t now_ms, json_t **out, char *why,
				size_t whysz);

#endif /* PL_PARK_LOGISTICS_H */
