/*
 * sla_repo.c - the park admin's SLA table on the store (migration 12,
 * table desk_sla): read it overlaid on the base table, and replace cells
 * from the settings page, validated all-or-nothing and audited.
 *
 * Only cells that differ from the base (desk_sla_defaults plus the
 * --sla-file overrides) are stored, so changing the shipped defaults in a
 * new release still reaches every cell the park never touched. A stored
 * row this build cannot read (an unknown category after a downgrade) is
 * skipped by desk_sla_load rather than failing request creation.
 */
#include "desk/report.h"

#include <stdarg.h>

static void sla__err(struct desk_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sla__err(struct desk_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static bool sla__same(struct desk_duration a, struct desk_duration b)
{
	return a.unit == b.unit && a.amount == b.amount;
}

int desk_sla_load(struct store_conn *c, const struct desk_sla_table *base,
		  struct desk_sla_table *out)
{
	struct store_rows *r = NULL;
	int rc;

	*out = *base;
	rc = store_query(c, "SELECT category, urgency, clock, duration FROM desk_sla", NULL, 0, &r);
	if (rc)
		return rc;
	while ((rc = store_rows_next(r)) == 1) {
		enum desk_category cat;
		enum desk_urgency urg;
		enum desk_clock k;
		struct desk_duration d;
		if (desk_category_parse(store_rows_text(r, 0), &cat) ||
		    desk_urgency_parse(store_rows_text(r, 1), &urg) ||
		    desk_clock_parse(store_rows_text(r, 2), &k) ||
		    desk_duration_parse(store_rows_text(r, 3), &d))
			continue;
		out->cell[cat][urg][k] = d;
	}
	store_rows_free(r);
	return rc < 0 ? rc : 0;
}

/* The effective table as JSON, with the stored cells marked. */
static json_t *sla__json(const struct desk_sla_table *base, const struct desk_sla_table *t)
{
	json_t *items = json_array();
	char f[16];

	for (int ci = 0; ci < DESK_CAT_COUNT; ci++)
		for (int ui = 0; ui < DESK_URG_COUNT; ui++) {
			json_t *it = json_pack("{s:s, s:s, s:[]}",
					       "category", desk_category_name((enum desk_category)ci),
					       "urgency", desk_urgency_name((enum desk_urgency)ui),
					       "custom");
			for (int k = 0; k < DESK_CLK_COUNT; k++) {
				desk_duration_format(t->cell[ci][ui][k], f);
				json_object_set_new(it, desk_clock_name((enum desk_clock)k),
						    json_string(f));
				if (!sla__same(t->cell[ci][ui][k], base->cell[ci][ui][k]))
					json_array_append_new(json_object_get(it, "custom"),
							      json_string(desk_clock_name(
								      (enum desk_clock)k)));
			}
			json_array_append_new(items, it);
		}
	return items;
}

int desk_sla_get(struct store_conn *c, const struct desk_sla_table *base, json_t **out,
		 struct desk_err *err)
{
	struct desk_sla_table t;
	json_t *last = NULL;
	int rc;

	*out = NULL;
	if ((rc = desk_sla_load(c, base, &t))) {
		sla__err(err, "reading the SLA table failed");
		return rc;
	}
	rc = store_query_one(c, "SELECT updated_at, updated_by FROM desk_sla "
			     "ORDER BY updated_at DESC LIMIT 1", NULL, 0, &last);
	if (rc && rc != PL_ENOTFOUND) {
		sla__err(err, "reading the SLA table failed");
		return rc;
	}
	*out = json_pack("{s:o, s:O, s:O}", "items", sla__json(base, &t),
			 "updated_at", last ? json_object_get(last, "updated_at") : json_null(),
			 "updated_by", last ? json_object_get(last, "updated_by") : json_null());
	json_decref(last);
	return 0;
}

/* Checks one item into t (the new table); seen marks the cells named. */
static int sla__item(const json_t *it, size_t idx, struct desk_sla_table *t,
		     bool seen[DESK_CAT_COUNT][DESK_URG_COUNT], struct desk_err *err)
{
	enum desk_category cat;
	enum desk_urgency urg;
	const char *key;
	const json_t *v;
	const char *cs = json_string_value(json_object_get(it, "category"));
	const char *us = json_string_value(json_object_get(it, "urgency"));

	if (!json_is_object(it)) {
		sla__err(err, "items[%zu] is not an object", idx);
		return PL_EINVAL;
	}
	if (!cs || desk_category_parse(cs, &cat)) {
		sla__err(err, "items[%zu].category: expected one of consult, help, complaint, "
			 "suggestion, utility", idx);
		return PL_EINVAL;
	}
	if (!us || desk_urgency_parse(us, &urg)) {
		sla__err(err, "items[%zu].urgency: expected one of normal, urgent, critical", idx);
		return PL_EINVAL;
	}
	if (seen[cat][urg]) {
		sla__err(err, "items[%zu]: %s/%s is given twice", idx, cs, us);
		return PL_EINVAL;
	}
	seen[cat][urg] = true;
	json_object_foreach((json_t *)it, key, v) {
		enum desk_clock k;
		struct desk_duration d;
		if (!strcmp(key, "category") || !strcmp(key, "urgency") || !strcmp(key, "custom"))
			continue;
		if (desk_clock_parse(key, &k)) {
			sla__err(err, "items[%zu]: unknown field '%.40s' (clocks: sign, contact, "
				 "resolve)", idx, key);
			return PL_EINVAL;
		}
		if (!json_is_string(v) || json_string_length(v) > 15 ||
		    desk_duration_parse(json_string_value(v), &d)) {
			sla__err(err, "items[%zu].%s: expected a duration such as 30m, 2h or 5wd, "
				 "at most %d days (%dwd)", idx, key, DESK_MINUTES_MAX / 1440,
				 DESK_WORKDAYS_MAX);
			return PL_EINVAL;
		}
		if (d.amount <= 0) {
			sla__err(err, "items[%zu].%s must be positive", idx, key);
			return PL_EINVAL;
		}
		t->cell[cat][urg][k] = d;
	}
	return 0;
}

int desk_sla_put(struct store_conn *c, const struct desk_actor *a,
		 const struct desk_sla_table *base, const json_t *body, int64_t now_ms,
		 json_t **out, struct desk_err *err)
{
	const struct auth_principal *p = a ? a->p : NULL;
	const json_t *items = json_object_get(body, "items");
	bool seen[DESK_CAT_COUNT][DESK_URG_COUNT] = { { false } };
	struct desk_sla_table before, after;
	json_t *bj = NULL, *aj = NULL;
	char at[PL_TIME_STRLEN], f[16];
	const char *by;
	int rc;

	*out = NULL;
	if (p && auth_scope_of(p->role, AUTH_A_DESK_SETTINGS) != AUTH_SCOPE_ANY) {
		sla__err(err, "only the park admin may change the SLA table");
		return PL_EFORBIDDEN;
	}
	if (!json_is_array(items) || json_array_size(items) == 0 ||
	    json_array_size(items) > DESK_SLA_ITEMS_MAX) {
		sla__err(err, "field 'items' must be an array of 1 to %d cells", DESK_SLA_ITEMS_MAX);
		return PL_EINVAL;
	}
	if ((rc = desk_sla_load(c, base, &before))) {
		sla__err(err, "reading the SLA table failed");
		return rc;
	}
	after = before;
	for (size_t i = 0; i < json_array_size(items); i++)
		if ((rc = sla__item(json_array_get(items, i), i, &after, seen, err)))
			return rc;

	pl_time_format(now_ms, at);
	by = !p ? "system" : p->user_id[0] ? p->user_id : p->token_id;
	for (int ci = 0; ci < DESK_CAT_COUNT; ci++)
		for (int ui = 0; ui < DESK_URG_COUNT; ui++)
			for (int k = 0; k < DESK_CLK_COUNT; k++) {
				struct desk_duration nd = after.cell[ci][ui][k];
				const char *cn = desk_category_name((enum desk_category)ci);
				const char *un = desk_urgency_name((enum desk_urgency)ui);
				const char *kn = desk_clock_name((enum desk_clock)k);
				if (sla__same(nd, before.cell[ci][ui][k]))
					continue;
				struct store_param del[] = { SP_TEXT(cn), SP_TEXT(un), SP_TEXT(kn) };
				rc = store_exec(c, "DELETE FROM desk_sla WHERE category = ? AND "
						"urgency = ? AND clock = ?", del, STORE_NP(del), NULL);
				if (rc)
					goto db;
				if (sla__same(nd, base->cell[ci][ui][k]))
					continue; /* back to the base: nothing stored */
				desk_duration_format(nd, f);
				struct store_param ins[] = { SP_TEXT(cn), SP_TEXT(un), SP_TEXT(kn),
							     SP_TEXT(f), SP_TEXT(at), SP_TEXT(by) };
				rc = store_exec(c, "INSERT INTO desk_sla (category, urgency, clock, "
						"duration, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
						ins, STORE_NP(ins), NULL);
				if (rc)
					goto db;
			}
	bj = sla__json(base, &before);
	aj = sla__json(base, &after);
	struct store_audit au = {
		.actor_id = by, .actor_name = p ? p->name : "system", .action = "desk.sla.update",
		.entity = "desk_sla", .entity_id = "table", .before = bj, .after = aj,
		.request_id = a ? a->request_id : NULL, .ip = a ? a->ip : NULL,
	};
	if ((rc = store_audit(c, &au)))
		goto db;
	rc = desk_sla_get(c, base, out, err);
	goto out;
db:
	sla__err(err, "writing the SLA table failed: %s", pl_strerror(rc));
out:
	json_decref(bj);
	json_decref(aj);
	return rc;
}
