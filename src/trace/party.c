/*
 * party.c - which enterprise a GLN belongs to: the rows of
 * trace_party_ids (migration 9) behind the shared-visibility rule in
 * TRACE__VISIBLE_SQL (trace_int.h; docs/trace.md, "Tenancy").
 *
 * An EPCIS event names the parties of a shipment in its sourceList and
 * destinationList (types owning_party, possessing_party, location), as
 * PGLNs (AI 417) or SGLNs (AI 414, optionally with 254). Registering such
 * a GLN for an enterprise makes every event that names it as a source or
 * destination visible to that enterprise too, whoever captured it. A GLN
 * belongs to one enterprise: a second claim is refused, so no enterprise
 * can make itself a party to others' shipments by registering their GLN.
 * Only the exact canonical identifier matches (an SGLN with extension 254
 * is its own location); GCP-prefix ownership is not inferred.
 */
#include "trace_int.h"

#include <string.h>

int trace_party_add(struct store_conn *c, const char *enterprise_id, const char *gln,
		    char canon[TRACE_ID_MAX])
{
	struct trace_id id;
	char now[PL_TIME_STRLEN];
	int64_t changes = 0;
	json_t *row = NULL;
	int rc = trace_id_parse(gln, &id, NULL);

	if (rc || (id.kind != TRACE_ID_PGLN && id.kind != TRACE_ID_SGLN))
		return PL_EINVAL;
	pl_strlcpy(canon, id.canon, TRACE_ID_MAX);
	pl_time_format(pl_time_now_ms(), now);
	struct store_param p[] = { SP_TEXT(id.canon), SP_TEXT(enterprise_id), SP_TEXT(now) };
	rc = store_exec(c, "INSERT INTO trace_party_ids (value, enterprise_id, created_at) "
			   "VALUES (?, ?, ?) ON CONFLICT (value) DO NOTHING", p, 3, &changes);
	if (rc || changes)
		return rc;
	/* already there: fine when it is this enterprise's (idempotent) */
	struct store_param q[] = { SP_TEXT(id.canon) };
	rc = store_query_one(c, "SELECT enterprise_id FROM trace_party_ids WHERE value = ?", q, 1,
			     &row);
	if (rc == 0 && strcmp(pl_json_str(row, "enterprise_id"), enterprise_id))
		rc = PL_EEXIST;
	json_decref(row);
	return rc;
}

int trace_party_list(struct store_conn *c, const char *tenant, json_t **out)
{
	json_t *rows = NULL;
	struct store_param p[] = { SP_TEXT(tenant), SP_TEXT(tenant) };
	int rc = store_query_json(c, "SELECT value AS gln, enterprise_id, created_at FROM "
				     "trace_party_ids WHERE (? IS NULL OR enterprise_id = ?) "
				     "ORDER BY enterprise_id, value", p, 2, 10000, &rows);

	*out = rc ? NULL : rows;
	return rc;
}
