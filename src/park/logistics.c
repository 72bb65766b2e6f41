/*
 * logistics.c - port-to-plant times (区港联动) measured from the trace
 * module's EPCIS events, so the park's figure comes from what the
 * enterprises captured and not from a form.
 *
 * A shipment is one bizTransaction (a PO, a customs declaration...) of one
 * enterprise that appears on a port declaration - an event whose bizStep
 * is departing or shipping: the goods are declared and leave the port -
 * and later on a receiving event at the plant. declared_at is the first
 * such declaration, received_at the first receiving event at or after it.
 * A transaction with no receiving event yet is in transit and not counted.
 *
 * Work limits: one query over the events with those three bizSteps that
 * carry a bizTransaction (at most 20000 rows, in time order per
 * transaction); at most PARK_SHIPMENTS_MAX shipments are returned.
 */
#include "park/park.h"

#include <math.h>
#include <string.h>

#define LOG_ROWS_MAX 20000
#define BIZ_DEPART "https://ref.gs1.org/cbv/BizStep-departing"
#define BIZ_SHIP "https://ref.gs1.org/cbv/BizStep-shipping"
#define BIZ_RECV "https://ref.gs1.org/cbv/BizStep-receiving"

static int log__baseline(struct store_conn *c, int64_t *out)
{
	json_t *o = NULL;
	int rc = store_query_one(c, "SELECT value FROM park_settings WHERE name ="
				 " 'logistics_baseline_days'", NULL, 0, &o);
	*out = 30;
	if (rc == 0 && pl_parse_i64(pl_json_str(o, "value"), 0, 3650, out))
		*out = 30;
	json_decref(o);
	return rc == PL_ENOTFOUND ? 0 : rc;
}

int park_logistics(struct store_conn *c, int64_t from_ms, int64_t to_ms, json_t **out)
{
	struct store_rows *rows = NULL;
	json_t *list = json_array();
	int64_t baseline = 30, n = 0;
	double sum = 0;
	char cur_ent[64] = "", cur_btx[512] = "";
	char decl_port[512] = "", ent_name[256] = "";
	int64_t decl = -1;
	bool done = false;
	int rc;

	*out = NULL;
	if ((rc = log__baseline(c, &baseline)))
		goto out;
	struct store_param p[] = { SP_TEXT(BIZ_DEPART), SP_TEXT(BIZ_SHIP), SP_TEXT(BIZ_RECV) };
	rc = store_query(c, "SELECT ev.enterprise_id, en.name_zh, pr.value, ev.biz_step,"
			 " ev.event_time_ms, COALESCE(ev.biz_location, ev.read_point, '') AS loc"
			 " FROM trace_events ev JOIN trace_event_pairs pr ON pr.event_row = ev.id"
			 " AND pr.dir = 'b' JOIN enterprises en ON en.id = ev.enterprise_id"
			 " WHERE ev.biz_step IN (?, ?, ?)"
			 " ORDER BY ev.enterprise_id, pr.value, ev.event_time_ms LIMIT 20000",
			 p, 3, &rows);
	if (rc)
		goto out;
	while ((rc = store_rows_next(rows)) == 1) {
		/* a column's text is valid only until the next column is read
		 * (drivers may share one buffer), so each is copied at once */
		char ent[64], btx[512], loc[512];
		pl_strlcpy(ent, store_rows_text(rows, 0), sizeof(ent));
		pl_strlcpy(btx, store_rows_text(rows, 2), sizeof(btx));
		bool recv = !strcmp(store_rows_text(rows, 3), BIZ_RECV);
		pl_strlcpy(loc, store_rows_text(rows, 5), sizeof(loc));
		int64_t t = store_rows_int(rows, 4);
		if (strcmp(ent, cur_ent) || strcmp(btx, cur_btx)) {
			pl_strlcpy(cur_ent, ent, sizeof(cur_ent));
			pl_strlcpy(cur_btx, btx, sizeof(cur_btx));
			pl_strlcpy(ent_name, store_rows_text(rows, 1), sizeof(ent_name));
			decl = -1;
			done = false;
		}
		if (done)
			continue;
		if (!recv) { /* a declaration */
			if (decl < 0) {
				decl = t;
				pl_strlcpy(decl_port, loc, sizeof(decl_port));
			}
			continue;
		}
		if (decl < 0 || t < decl)
			continue; /* received before any declaration: not a port shipment */
		done = true;
		if (decl < from_ms || decl >= to_ms || json_array_size(list) >= PARK_SHIPMENTS_MAX)
			continue;
		char ds[PL_TIME_STRLEN], rs[PL_TIME_STRLEN];
		double days = round((double)(t - decl) / 864000.0) / 100.0;
		pl_time_format(decl, ds);
		pl_time_format(t, rs);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:s}",
						      "id", cur_btx, "enterprise_id", cur_ent,
						      "enterprise_name", ent_name, "declared_at", ds,
						      "received_at", rs, "days", days, "port", decl_port,
						      "plant", loc));
		sum += (double)(t - decl) / 86400000.0;
		n++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	*out = json_pack("{s:I, s:o, s:I, s:o, s:f}", "baseline_days", (json_int_t)baseline,
			 "average_days", n ? json_real(round(sum / (double)n * 100.0) / 100.0) : json_null(),
			 "count", (json_int_t)n, "shipments", list, "total_days",
			 round(sum * 100.0) / 100.0);
	list = NULL;
out:
	store_rows_free(rows);
	json_decref(list);
	return rc;
}
