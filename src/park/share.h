/*
 * share.h - what each enterprise shares with the park, and the indicators
 * built on it (prefix park_share_; owner: helper "park-share";
 * src/park/share.c, HTTP in src/http/api_park_share.c; docs/park.md
 * section 7).
 *
 * Issue 7 asks for "line OEE per enterprise (only what each enterprise
 * shares with the park)": production figures belong to the enterprise, so
 * the park sees a line's OEE only while its enterprise has switched
 * share_production on (park_sharing, migration 16; no row = off). The desk
 * KPIs are the park's own service figures and need no consent.
 *
 * Conventions as in park.h: c is a connection the caller owns, json_t
 * results are new references, why (may be NULL) gets one English sentence
 * for a problem+json detail.
 */
#ifndef PL_PARK_SHARE_H
#define PL_PARK_SHARE_H

#include "park/park.h"

/* {enterprise_id, enterprise_name, share_production, updated_at,
 * updated_by} (updated_* null while never set). Tenancy park.data.read:
 * an enterprise not visible to p is PL_ENOTFOUND (the same as a missing
 * one); PL_EFORBIDDEN when p's role may never read. PL_EDB. */
int park_sharing_get(struct store_conn *c, const struct auth_principal *p, const char *id,
		     json_t **out, char *why, size_t whysz);

/* Sets the setting from body {"share_production": bool} (borrowed; no
 * other member). park.data.write: the park admin, or the enterprise's own
 * users; others as park_sharing_get. c must be in a transaction; audited
 * as park.sharing.update with before and after. *out as park_sharing_get.
 * Errors: PL_EINVAL (why names the field), PL_ENOTFOUND, PL_EFORBIDDEN,
 * PL_EDB. */
int park_sharing_put(struct store_conn *c, const struct park_actor *a, const char *id,
		     const json_t *body, int64_t now_ms, json_t **out, char *why, size_t whysz);

/* Appends to list (an array, borrowed) the shared-data indicators of year
 * (Beijing days of that year for the desk; the lines' current tiles for
 * OEE): desk_satisfaction, desk_on_time, desk_signed_in_time,
 * line_oee_avg, each {key,label_zh,label_en,value,unit,numerator,
 * denominator,source}. Errors: PL_EDB. */
int park_share_indicators(struct store_conn *c, int year, json_t *list);

/* Whether key is one of the above (then park_share_rows answers it). */
bool park_share_is_key(const char *key);

/* The rows behind key for year: desk keys one row per Beijing month (the
 * desk report's items); line_oee_avg one row per sharing enterprise
 * {enterprise_id, name_zh, lines, lines_with_oee, oee_avg, lines:[...]};
 * enterprises that do not share never appear. New array in *rows.
 * Errors: PL_ENOTFOUND (not a share key), PL_EDB. */
int park_share_rows(struct store_conn *c, const char *key, int year, json_t **rows);

/* `serve --demo`: every enterprise with a production line shares it with
 * the park (the demo's control room and park dashboard tell one story).
 * Only enterprises without a setting yet are touched, so a switch turned
 * off in the demo stays off across restarts. Prints one line to print_to
 * (may be NULL). Errors: PL_EDB. */
int park_share_demo_seed(struct store *st, FILE *print_to);

#endif /* PL_PARK_SHARE_H */
