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
 * Each shipment is set against the park's baseline (the days it took
 * before the linked ports; a park_settings row the park admin edits, see
 * logistics.h): saved_days = baseline - days, negative when a shipment
 * took longer than the baseline.
 *
 * Work limits: one query over the events with those three bizSteps that
 * carry a bizTransaction (at most 20000 rows, in time order per
 * transaction); at most PARK_SHIPMENTS_MAX shipments are returned.
 */
#include "park/logistics.h"

#include <math.h>
#include <string.h>

#define LOG_ROWS_MAX 20000
#define BIZ_DEPART "https://ref.gs1.org/cbv/BizStep-departing"
#define BIZ_SHIP "https://ref.gs1.org/cbv/BizStep-shipping"
#define BIZ_RECV "https://ref.gs1.org/cbv/BizStep-receiving"

#define LOG_BASELINE_KEY "logistics_baseline_days"

/* The baseline row: *days (the default when the row is missing or does not
 * hold a number in range) and, when row is not NULL, the row itself (new
 * reference, NULL when missing). */
static int log__baseline_row(struct store_conn *c, int64_t *days, json_t **row)
{
	json_t *o = NULL;
	int rc = store_query_one(c, "SELECT value, updated_at, updated_by FROM park_settings"
				 " WHERE name = '" LOG_BASELINE_KEY "'", NULL, 0, &o);
	*days = PARK_BASELINE_DEFAULT;
	if (rc == 0 && pl_parse_i64(pl_json_str(o, "value"), PARK_BASELINE_MIN,
				    PARK_BASELINE_MAX, days))
		*days = PARK_BASELINE_DEFAULT;
	if (row)
		*row = o;
	else
		json_decref(o);
	return rc == PL_ENOTFOUND ? 0 : rc;
}

static int log__baseline(struct store_conn *c, int64_t *out)
{
	return log__baseline_row(c, out, NULL);
}

int park_logistics_baseline_get(struct store_conn *c, json_t **out)
{
	json_t *row = NULL;
	int64_t days;
	int rc;

	*out = NULL;
	if ((rc = log__baseline_row(c, &days, &row)))
		return rc;
	json_t *at = json_object_get(row, "updated_at"), *by = json_object_get(row, "updated_by");
	*out = json_pack("{s:I, s:O, s:O}", "baseline_days", (json_int_t)days, "updated_at",
			 json_is_string(at) ? at : json_null(), "updated_by",
			 json_is_string(by) ? by : json_null());
	json_decref(row);
	return *out ? 0 : PL_EINTERNAL;
}

/* One sentence into why (may be NULL) for the problem detail. */
#define LOG_WHY(...)                                    \
	do {                                            \
		if (why && whysz)                       \
			pl_fmt(why, whysz, __VA_ARGS__); \
	} while (0)

int park_logistics_baseline_put(struct store_conn *c, const struct park_actor *a,
				const json_t *body, int64_t now_ms, json_t **out, char *why,
				size_t whysz)
{
	const json_t *v = json_object_get(body, "baseline_days");
	const struct auth_principal *p = a ? a->p : NULL;
	json_t *before = NULL;
	char now[PL_TIME_STRLEN], val[24];
	const char *k;
	json_t *x;
	int rc;

	*out = NULL;
	/* the whole body first: a refused request reads and writes nothing */
	if (!json_is_object(body)) {
		LOG_WHY("the body must be a JSON object");
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)body, k, x) {
		if (strcmp(k, "baseline_days")) {
			LOG_WHY("unknown field '%.40s'", k);
			return PL_EINVAL;
		}
	}
	if (!json_is_integer(v) || json_integer_value(v) < PARK_BASELINE_MIN ||
	    json_integer_value(v) > PARK_BASELINE_MAX) {
		LOG_WHY("field 'baseline_days' must be a whole number of days from %d to %d",
			 PARK_BASELINE_MIN, PARK_BASELINE_MAX);
		return PL_EINVAL;
	}
	if (p) {
		/* a park-wide setting belongs to no enterprise: only the "any"
		 * scope passes; enterprise-scoped callers see no such object */
		struct auth_target t = { .enterprise_id = "" };
		if ((rc = auth_authorize(p, AUTH_A_PARK_DATA_WRITE, &t))) {
			LOG_WHY(rc == PL_EFORBIDDEN ? "you may not do park.data.write" :
				 "the logistics baseline is the park's setting");
			return rc;
		}
	}
	if ((rc = park_logistics_baseline_get(c, &before)))
		goto out;
	pl_time_format(now_ms, now);
	pl_fmt(val, sizeof(val), "%lld", (long long)json_integer_value(v));
	const char *by = p ? p->name : "system";
	struct store_param q[] = { SP_TEXT(val), SP_TEXT(now), SP_TEXT(by) };
	if ((rc = store_exec(c, "INSERT INTO park_settings (name, value, updated_at, updated_by)"
			     " VALUES ('" LOG_BASELINE_KEY "', ?, ?, ?) ON CONFLICT (name) DO UPDATE"
			     " SET value = excluded.value, updated_at = excluded.updated_at,"
			     " updated_by = excluded.updated_by", q, 3, NULL)))
		goto out;
	if ((rc = park_logistics_baseline_get(c, out)))
		goto out;
	struct store_audit au = {
		.actor_id = p ? (*p->user_id ? p->user_id : p->token_id) : "system",
		.actor_name = by, .action = "park.logistics.baseline", .entity = "park_settings",
		.entity_id = LOG_BASELINE_KEY, .enterprise_id = NULL, .before = before, .after = *out,
		.request_id = a ? a->request_id : NULL, .ip = a ? a->ip : NULL,
	};
	rc = store_audit(c, &au);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(before);
	return rc;
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
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s}",
						      "id", cur_btx, "enterprise_id", cur_ent,
						      "enterprise_name", ent_name, "declared_at", ds,
						      "received_at", rs, "days", days, "saved_days",
						      round(((double)baseline - days) * 100.0) / 100.0,
						      "port", decl_port, "plant", loc));
		sum += (double)(t - decl) / 86400000.0;
		n++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	/* average_saved_days is baseline - average_days, from the unrounded
	 * average so the two figures add up to the baseline */
	*out = json_pack("{s:I, s:o, s:o, s:I, s:o, s:f}", "baseline_days", (json_int_t)baseline,
			 "average_days", n ? json_real(round(sum / (double)n * 100.0) / 100.0) : json_null(),
			 "average_saved_days", n ? json_real(round(((double)baseline - sum / (double)n) *
								   100.0) / 100.0) : json_null(),
			 "count", (json_int_t)n, "shipments", list, "total_days",
			 round(sum * 100.0) / 100.0);
	list = NULL;
out:
	store_rows_free(rows);
	json_decref(list);
	return rc;
}
