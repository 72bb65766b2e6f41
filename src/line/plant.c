/*
 * plant.c - the ISA-95 plant model over the store (src/line/plant.h,
 * migration 17): sites, areas, machines/stations and products as one
 * table-driven repository, a line's place in an area, the line's plan
 * (product, ideal cycle time, shift calendar with planned stops) and the
 * tree the control room shows.
 *
 * NOTES ON THE DESIGN
 * 1. One description per kind (struct pkind: table, parent column, fields
 *    with their rule) drives create, update, get and delete, so the four
 *    kinds cannot drift apart in how they validate or what they return.
 *    Every field is checked before any SQL runs; a write that fails later
 *    (a taken code) leaves the caller's transaction to be rolled back.
 * 2. Every row carries enterprise_id (copied from its parent at creation,
 *    never changed), so tenancy is one lookup (line_plant_owner) and the
 *    tree is filtered per table by the same auth_tenant_filter fragment.
 * 3. The plan keeps its own copy of the product's name and ideal cycle time
 *    (line_plans.product, ideal_cycle_ms: what live.c's OEE reads); a plan
 *    that names a product_id gets both from the product, and a product
 *    change is copied into the plans running it in the same transaction.
 *    The OEE of a window reads the plan in force now: a plan change does
 *    not re-cut old reports (docs/line.md).
 * 4. The calendar is parsed strictly here (types, unknown members, the
 *    16-byte shift name of struct line_shift) and checked with
 *    line_calendar_check, then stored re-serialised from the struct, so
 *    what live.c parses back is exactly what was checked.
 */
#include "line/plant.h"
#include "line/line.h"
#include "line/repo.h"

#include <string.h>

/* ------------------------------------------------------------ the kinds */

enum pf_rule {
	PF_CODE,    /* 1..LINE_PLANT_CODE_MAX of [A-Za-z0-9._-] */
	PF_NAME,    /* 1..max bytes of text, not blank, no control characters */
	PF_TEXT,    /* like PF_NAME, or null */
	PF_POS,     /* integer 1..LINE_PLANT_POSITION_MAX */
	PF_DEVICE,  /* null or 1..LINE_PLANT_DEVICE_MAX of [A-Za-z0-9._-] */
	PF_GTIN,    /* line_gtin_check */
	PF_CYCLE,   /* number, 0 < ms <= LINE_PLANT_CYCLE_MAX_MS */
	PF_AREA,    /* an area id of the row's enterprise, or null */
};
struct pfield {
	const char *name;   /* JSON member and column */
	enum pf_rule rule;
	bool required;      /* on create */
	size_t max;         /* bytes, text rules */
};
struct pkind {
	const char *name;        /* "site" */
	const char *table;       /* "plant_sites" */
	const char *cols;        /* what line_plant_get returns */
	const char *parent_col;  /* column naming the parent, NULL: not creatable */
	enum line_plant_kind parent;
	const char *order;       /* ORDER BY of the tree */
	const char *ref_sql;     /* a row referring to it blocks delete (? = id), or NULL */
	const char *ref_why;
	const struct pfield *fields;
};

static const struct pfield site_fields[] = {
	{ "code", PF_CODE, true, LINE_PLANT_CODE_MAX },
	{ "name", PF_NAME, true, LINE_PLANT_NAME_MAX },
	{ "address", PF_TEXT, false, LINE_PLANT_ADDRESS_MAX },
	{ NULL, 0, false, 0 },
};
static const struct pfield area_fields[] = {
	{ "code", PF_CODE, true, LINE_PLANT_CODE_MAX },
	{ "name", PF_NAME, true, LINE_PLANT_NAME_MAX },
	{ NULL, 0, false, 0 },
};
static const struct pfield line_fields[] = {
	{ "name", PF_NAME, false, LINE_PLANT_NAME_MAX },
	{ "area_id", PF_AREA, false, PL_ID_LEN },
	{ NULL, 0, false, 0 },
};
static const struct pfield machine_fields[] = {
	{ "code", PF_CODE, true, LINE_PLANT_CODE_MAX },
	{ "name", PF_NAME, true, LINE_PLANT_NAME_MAX },
	{ "kind", PF_NAME, true, LINE_PLANT_KIND_MAX },
	{ "position", PF_POS, true, 0 },
	{ "sp_device", PF_DEVICE, false, LINE_PLANT_DEVICE_MAX },
	{ NULL, 0, false, 0 },
};
static const struct pfield product_fields[] = {
	{ "gtin", PF_GTIN, true, 14 },
	{ "name", PF_NAME, true, LINE_PLANT_NAME_MAX },
	{ "ideal_cycle_ms", PF_CYCLE, true, 0 },
	{ NULL, 0, false, 0 },
};
static const struct pfield no_fields[] = { { NULL, 0, false, 0 } };

static const struct pkind kinds[] = {
	[LINE_PLANT_ENTERPRISE] = { "enterprise", "enterprises", "id, id AS enterprise_id, name_zh AS name",
				    NULL, 0, "name_zh", NULL, NULL, no_fields },
	[LINE_PLANT_SITE] = { "site", "plant_sites", "id, enterprise_id, code, name, address",
			      "enterprise_id", LINE_PLANT_ENTERPRISE, "code",
			      "SELECT id FROM plant_areas WHERE site_id = ? LIMIT 1",
			      "the site still has areas: delete or move them first", site_fields },
	[LINE_PLANT_AREA] = { "area", "plant_areas", "id, site_id, enterprise_id, code, name",
			      "site_id", LINE_PLANT_SITE, "code",
			      "SELECT id FROM lines WHERE area_id = ? LIMIT 1",
			      "the area still has lines: move them to another area first", area_fields },
	[LINE_PLANT_LINE] = { "line", "lines", "id, enterprise_id, area_id, name, sp_group, sp_node",
			      NULL, 0, "name, id", NULL, NULL, line_fields },
	[LINE_PLANT_MACHINE] = { "machine", "line_machines",
				 "id, line_id, enterprise_id, code, name, kind, position, sp_device",
				 "line_id", LINE_PLANT_LINE, "position, code", NULL, NULL, machine_fields },
	[LINE_PLANT_PRODUCT] = { "product", "line_products", "id, enterprise_id, gtin, name, ideal_cycle_ms",
				 "enterprise_id", LINE_PLANT_ENTERPRISE, "name, gtin",
				 "SELECT line_id FROM line_plans WHERE product_id = ? LIMIT 1",
				 "a line's plan runs this product: change the plan first", product_fields },
};

const char *line_plant_kind_name(enum line_plant_kind k)
{
	return (unsigned)k <= LINE_PLANT_PRODUCT ? kinds[k].name : "?";
}

/* ------------------------------------------------------------- checks */

int line_gtin_check(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int sum = 0;

	if (n != 8 && n != 12 && n != 13 && n != 14)
		return PL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return PL_EINVAL;
	/* GS1: from the right, the digit left of the check digit weighs 3,
	 * the next 1, alternating; the check digit completes a multiple of 10 */
	for (size_t i = 0; i + 1 < n; i++)
		sum += (s[n - 2 - i] - '0') * (i % 2 ? 1 : 3);
	return (10 - sum % 10) % 10 == s[n - 1] - '0' ? 0 : PL_EINVAL;
}

static bool id_chars(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Text a person typed: jansson already gave valid UTF-8. */
static bool text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	bool blank = true;
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch != ' ')
			blank = false;
	}
	return !blank;
}

/* Checks member f of v (present in the body) and turns it into a
 * parameter (borrowing v's string). */
static int field_param(const struct pfield *f, const json_t *v, struct store_param *out,
		       char *why, size_t whysz)
{
	const char *s = json_string_value(v);

	switch (f->rule) {
	case PF_CODE:
		if (!s || !id_chars(s, f->max))
			goto bad;
		break;
	case PF_NAME:
		if (!s || !text_ok(s, f->max))
			goto bad;
		break;
	case PF_TEXT:
	case PF_DEVICE:
	case PF_AREA:
		if (json_is_null(v)) {
			*out = SP_TEXT(NULL);
			return 0;
		}
		if (!s || (f->rule == PF_TEXT ? !text_ok(s, f->max)
			   : f->rule == PF_DEVICE ? !id_chars(s, f->max) : !pl_id_valid(s)))
			goto bad;
		break;
	case PF_GTIN:
		if (!s || line_gtin_check(s))
			goto bad;
		break;
	case PF_POS:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > LINE_PLANT_POSITION_MAX)
			goto bad;
		*out = SP_INT(json_integer_value(v));
		return 0;
	case PF_CYCLE:
		if (!json_is_number(v) || !(json_number_value(v) > 0) ||
		    json_number_value(v) > LINE_PLANT_CYCLE_MAX_MS)
			goto bad;
		*out = SP_REAL(json_number_value(v));
		return 0;
	}
	*out = SP_TEXT(s);
	return 0;
bad:
	switch (f->rule) {
	case PF_CODE:
		pl_fmt(why, whysz, "'%s' must be 1..%zu of A-Z a-z 0-9 . _ -", f->name, f->max);
		break;
	case PF_NAME:
	case PF_TEXT:
		pl_fmt(why, whysz, "'%s' must be text of 1..%zu bytes without control characters%s",
		       f->name, f->max, f->rule == PF_TEXT ? ", or null" : "");
		break;
	case PF_DEVICE:
		pl_fmt(why, whysz, "'%s' must be null or a Sparkplug device id (1..%zu of A-Z a-z 0-9 . _ -)",
		       f->name, f->max);
		break;
	case PF_AREA:
		pl_fmt(why, whysz, "'%s' must be an id or null", f->name);
		break;
	case PF_GTIN:
		pl_fmt(why, whysz, "'%s' must be a GTIN-8, -12, -13 or -14 with its check digit", f->name);
		break;
	case PF_POS:
		pl_fmt(why, whysz, "'%s' must be an integer 1..%d", f->name, LINE_PLANT_POSITION_MAX);
		break;
	case PF_CYCLE:
		pl_fmt(why, whysz, "'%s' must be a number of milliseconds above 0 and at most %.0f",
		       f->name, LINE_PLANT_CYCLE_MAX_MS);
		break;
	}
	return PL_EINVAL;
}

/* Refuses members the kind does not know (the route's spec does too; this
 * keeps the repository safe on its own). */
static int unknown_members(const struct pfield *fields, const json_t *body, char *why, size_t whysz)
{
	const char *key;
	json_t *v;

	if (!json_is_object(body)) {
		pl_fmt(why, whysz, "the body must be a JSON object");
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)body, key, v) {
		const struct pfield *f = fields;
		while (f->name && strcmp(f->name, key))
			f++;
		if (!f->name) {
			pl_fmt(why, whysz, "unknown member '%.40s'", key);
			return PL_EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- objects */

int line_plant_owner(struct store_conn *c, enum line_plant_kind k, const char *id,
		     char ent[PL_ID_LEN + 1])
{
	char sql[160];
	json_t *row = NULL;
	int rc;

	ent[0] = '\0';
	if ((unsigned)k > LINE_PLANT_PRODUCT || !pl_id_valid(id))
		return PL_ENOTFOUND;
	pl_fmt(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?",
	       k == LINE_PLANT_ENTERPRISE ? "id AS enterprise_id" : "enterprise_id", kinds[k].table);
	struct store_param p[] = { SP_TEXT(id) };
	if ((rc = store_query_one(c, sql, p, 1, &row)))
		return rc;
	pl_strlcpy(ent, pl_json_str(row, "enterprise_id") ? pl_json_str(row, "enterprise_id") : "",
		   PL_ID_LEN + 1);
	json_decref(row);
	return 0;
}

int line_plant_get(struct store_conn *c, enum line_plant_kind k, const char *id, json_t **out)
{
	char sql[256];

	*out = NULL;
	if ((unsigned)k > LINE_PLANT_PRODUCT || !pl_id_valid(id))
		return PL_ENOTFOUND;
	pl_fmt(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = ?", kinds[k].cols, kinds[k].table);
	struct store_param p[] = { SP_TEXT(id) };
	return store_query_one(c, sql, p, 1, out);
}

#define PLANT_COLS_MAX 8

int line_plant_create(struct store_conn *c, enum line_plant_kind k, const char *parent_id,
		      const json_t *body, json_t **out, char *why, size_t whysz)
{
	const struct pkind *d;
	struct store_param p[PLANT_COLS_MAX + 4];
	char id[PL_ID_LEN + 1], ent[PL_ID_LEN + 1], at[PL_TIME_STRLEN];
	struct pl_buf sql;
	size_t np = 0;
	int rc;

	*out = NULL;
	why[0] = '\0';
	if ((unsigned)k > LINE_PLANT_PRODUCT || !kinds[k].parent_col)
		return PL_EINVAL;
	d = &kinds[k];
	if ((rc = unknown_members(d->fields, body, why, whysz)))
		return rc;
	pl_buf_init(&sql, 1024);
	pl_id_new(id);
	pl_time_format(pl_time_now_ms(), at);
	pl_buf_printf(&sql, "INSERT INTO %s (id, created_at", d->table);
	p[np++] = SP_TEXT(id);
	p[np++] = SP_TEXT(at);
	for (const struct pfield *f = d->fields; f->name; f++) {
		json_t *v = json_object_get(body, f->name);
		if (!v || (json_is_null(v) && f->required)) {
			if (!f->required)
				continue;
			pl_fmt(why, whysz, "'%s' is required", f->name);
			rc = PL_EINVAL;
			goto out;
		}
		if ((rc = field_param(f, v, &p[np], why, whysz)))
			goto out;
		np++;
		pl_buf_printf(&sql, ", %s", f->name);
	}
	/* the parent last: its enterprise becomes the row's */
	if ((rc = line_plant_owner(c, d->parent, parent_id, ent)))
		goto out;
	p[np++] = SP_TEXT(parent_id);
	pl_buf_printf(&sql, ", %s", d->parent_col);
	if (strcmp(d->parent_col, "enterprise_id")) {
		p[np++] = SP_TEXT(ent);
		pl_buf_puts(&sql, ", enterprise_id");
	}
	pl_buf_puts(&sql, ") VALUES (?");
	for (size_t i = 1; i < np; i++)
		pl_buf_puts(&sql, ", ?");
	pl_buf_puts(&sql, ")");
	rc = store_exec(c, sql.data, p, np, NULL);
	if (rc == PL_EEXIST)
		pl_fmt(why, whysz, "this %s already has a %s with that %s", line_plant_kind_name(d->parent),
		       d->name, k == LINE_PLANT_PRODUCT ? "GTIN" : "code");
	if (rc == 0)
		rc = line_plant_get(c, k, id, out);
out:
	pl_buf_release(&sql);
	return rc;
}

/* Copies a product's name and ideal cycle time into the plans running it
 * and into every past version of them (migration 23). */
static int product_to_plans(struct store_conn *c, const char *product_id)
{
	json_t *pr = NULL;
	int rc = line_plant_get(c, LINE_PLANT_PRODUCT, product_id, &pr);
	if (rc)
		return rc;
	struct store_param p[] = { SP_TEXT(pl_json_str(pr, "name")),
				   SP_REAL(json_number_value(json_object_get(pr, "ideal_cycle_ms"))),
				   SP_TEXT(product_id) };
	rc = store_exec(c, "UPDATE line_plans SET product = ?, ideal_cycle_ms = ? WHERE product_id = ?",
			p, STORE_NP(p), NULL);
	/* a product's master data, not a plan change: every version running it
	 * takes it, so reports over past windows follow the correction too */
	if (rc == 0)
		rc = store_exec(c, "UPDATE line_plan_versions SET product = ?, ideal_cycle_ms = ?"
				" WHERE product_id = ?", p, STORE_NP(p), NULL);
	json_decref(pr);
	return rc;
}

int line_plant_update(struct store_conn *c, enum line_plant_kind k, const char *id,
		      const json_t *body, json_t **out, char *why, size_t whysz)
{
	const struct pkind *d;
	struct store_param p[PLANT_COLS_MAX + 2];
	char ent[PL_ID_LEN + 1];
	struct pl_buf sql;
	size_t np = 0;
	int64_t changed = 0;
	int rc;

	if (out)
		*out = NULL;
	why[0] = '\0';
	if ((unsigned)k > LINE_PLANT_PRODUCT || k == LINE_PLANT_ENTERPRISE)
		return PL_EINVAL;
	d = &kinds[k];
	if ((rc = unknown_members(d->fields, body, why, whysz)))
		return rc;
	pl_buf_init(&sql, 1024);
	pl_buf_printf(&sql, "UPDATE %s SET ", d->table);
	for (const struct pfield *f = d->fields; f->name; f++) {
		json_t *v = json_object_get(body, f->name);
		if (!v)
			continue;
		if (json_is_null(v) && f->required) {
			pl_fmt(why, whysz, "'%s' cannot be null", f->name);
			rc = PL_EINVAL;
			goto out;
		}
		if ((rc = field_param(f, v, &p[np], why, whysz)))
			goto out;
		pl_buf_printf(&sql, "%s%s = ?", np ? ", " : "", f->name);
		np++;
	}
	if (np == 0) {
		pl_fmt(why, whysz, "nothing to change: give at least one member");
		rc = PL_EINVAL;
		goto out;
	}
	if ((rc = line_plant_owner(c, k, id, ent)))
		goto out;
	/* an area must be one of the line's own enterprise: another's is
	 * refused exactly like a missing one */
	const char *area = pl_json_str(body, "area_id");
	if (k == LINE_PLANT_LINE && area) {
		char aent[PL_ID_LEN + 1];
		rc = line_plant_owner(c, LINE_PLANT_AREA, area, aent);
		if (rc == 0 && strcmp(aent, ent))
			rc = PL_ENOTFOUND;
		if (rc == PL_ENOTFOUND) {
			pl_fmt(why, whysz, "'area_id': no area '%.40s'", area);
			rc = PL_EINVAL;
		}
		if (rc)
			goto out;
	}
	pl_buf_puts(&sql, " WHERE id = ?");
	p[np++] = SP_TEXT(id);
	rc = store_exec(c, sql.data, p, np, &changed);
	if (rc == PL_EEXIST)
		pl_fmt(why, whysz, "another %s there already has that %s", d->name,
		       k == LINE_PLANT_PRODUCT ? "GTIN" : "code");
	if (rc)
		goto out;
	if (changed != 1) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	if (k == LINE_PLANT_PRODUCT && (json_object_get(body, "name") || json_object_get(body, "ideal_cycle_ms")))
		if ((rc = product_to_plans(c, id)))
			goto out;
	if (out)
		rc = line_plant_get(c, k, id, out);
out:
	pl_buf_release(&sql);
	return rc;
}

int line_plant_delete(struct store_conn *c, enum line_plant_kind k, const char *id,
		      char *why, size_t whysz)
{
	const struct pkind *d;
	char sql[160];
	json_t *ref = NULL;
	int64_t changed = 0;
	int rc;

	why[0] = '\0';
	if ((unsigned)k > LINE_PLANT_PRODUCT || !kinds[k].parent_col)
		return PL_EINVAL;
	d = &kinds[k];
	if (!pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param p[] = { SP_TEXT(id) };
	if (d->ref_sql) {
		rc = store_query_one(c, d->ref_sql, p, 1, &ref);
		json_decref(ref);
		if (rc == 0) {
			pl_fmt(why, whysz, "%s", d->ref_why);
			return PL_ECONFLICT;
		}
		if (rc != PL_ENOTFOUND)
			return rc;
	}
	pl_fmt(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", d->table);
	if ((rc = store_exec(c, sql, p, 1, &changed)))
		return rc;
	return changed == 1 ? 0 : PL_ENOTFOUND;
}

/* ---------------------------------------------------------------- plans */

/* Parses body's calendar strictly into cal. */
static int calendar_from_json(const json_t *j, struct line_calendar *cal, char *why, size_t whysz)
{
	static const struct pl_json_field cal_spec[] = {
		{ "utc_offset_min", PL_JT_INTEGER, true, 0 },
		{ "shifts", PL_JT_ARRAY, true, 0 },
		{ NULL, 0, false, 0 },
	};
	static const struct pl_json_field shift_spec[] = {
		{ "name", PL_JT_STRING, true, sizeof(((struct line_shift *)0)->name) - 1 },
		{ "start_min", PL_JT_INTEGER, true, 0 },
		{ "length_min", PL_JT_INTEGER, true, 0 },
		{ "stops", PL_JT_ARRAY, false, 0 },
		{ NULL, 0, false, 0 },
	};
	static const struct pl_json_field stop_spec[] = {
		{ "offset_min", PL_JT_INTEGER, true, 0 },
		{ "length_min", PL_JT_INTEGER, true, 0 },
		{ NULL, 0, false, 0 },
	};
	struct pl_json_error err;
	json_t *shifts, *s, *st;
	size_t i, k;

	memset(cal, 0, sizeof(*cal));
	if (!json_is_object(j) || pl_json_check(j, cal_spec, &err)) {
		pl_fmt(why, whysz, "'calendar' must be {utc_offset_min, shifts: [...]}%s%s",
		       json_is_object(j) ? ": " : "", json_is_object(j) ? err.text : "");
		return PL_EINVAL;
	}
	shifts = json_object_get(j, "shifts");
	if (json_array_size(shifts) < 1 || json_array_size(shifts) > LINE_SHIFTS_MAX) {
		pl_fmt(why, whysz, "'calendar.shifts' must hold 1..%d shifts", LINE_SHIFTS_MAX);
		return PL_EINVAL;
	}
	/* ranges are line_calendar_check's; this only keeps ints in int */
	json_int_t off = json_integer_value(json_object_get(j, "utc_offset_min"));
	cal->utc_offset_min = off < -100000 || off > 100000 ? 100000 : (int)off;
	json_array_foreach(shifts, i, s) {
		struct line_shift *sh = &cal->shifts[cal->n_shifts++];
		if (!json_is_object(s) || pl_json_check(s, shift_spec, &err)) {
			pl_fmt(why, whysz, "'calendar.shifts[%zu]' must be {name (1..15 bytes), start_min,"
			       " length_min, stops}%s%s", i, json_is_object(s) ? ": " : "",
			       json_is_object(s) ? err.text : "");
			return PL_EINVAL;
		}
		if (!text_ok(pl_json_str(s, "name"), sizeof(sh->name) - 1)) {
			pl_fmt(why, whysz, "'calendar.shifts[%zu].name' must be text of 1..15 bytes", i);
			return PL_EINVAL;
		}
		pl_strlcpy(sh->name, pl_json_str(s, "name"), sizeof(sh->name));
		json_int_t a = json_integer_value(json_object_get(s, "start_min"));
		json_int_t b = json_integer_value(json_object_get(s, "length_min"));
		sh->start_min = a < -1 || a > 100000 ? -1 : (int)a;
		sh->length_min = b < 0 || b > 100000 ? 0 : (int)b;
		json_t *stops = json_object_get(s, "stops");
		if (json_array_size(stops) > LINE_STOPS_MAX) {
			pl_fmt(why, whysz, "'calendar.shifts[%zu].stops' must hold at most %d stops", i,
			       LINE_STOPS_MAX);
			return PL_EINVAL;
		}
		json_array_foreach(stops, k, st) {
			if (!json_is_object(st) || pl_json_check(st, stop_spec, &err)) {
				pl_fmt(why, whysz, "'calendar.shifts[%zu].stops[%zu]' must be {offset_min,"
				       " length_min}", i, k);
				return PL_EINVAL;
			}
			json_int_t o = json_integer_value(json_object_get(st, "offset_min"));
			json_int_t n = json_integer_value(json_object_get(st, "length_min"));
			sh->stops[k].offset_min = o < -1 || o > 100000 ? -1 : (int)o;
			sh->stops[k].length_min = n < 0 || n > 100000 ? 0 : (int)n;
			sh->n_stops++;
		}
	}
	if (line_calendar_check(cal)) {
		pl_fmt(why, whysz, "'calendar' is not a valid shift pattern: utc_offset_min within"
		       " -840..840, start_min 0..1439, length_min 1..1440, shifts not overlapping,"
		       " each stop inside its shift and not overlapping another");
		return PL_EINVAL;
	}
	return 0;
}

/* The calendar as stored (live.c parses exactly this back). */
static json_t *calendar_to_json(const struct line_calendar *cal)
{
	json_t *shifts = json_array();
	for (int i = 0; i < cal->n_shifts; i++) {
		const struct line_shift *sh = &cal->shifts[i];
		json_t *stops = json_array();
		for (int k = 0; k < sh->n_stops; k++)
			json_array_append_new(stops, json_pack("{s:i, s:i}", "offset_min", sh->stops[k].offset_min,
							       "length_min", sh->stops[k].length_min));
		json_array_append_new(shifts, json_pack("{s:s, s:i, s:i, s:o}", "name", sh->name,
							"start_min", sh->start_min, "length_min",
							sh->length_min, "stops", stops));
	}
	return json_pack("{s:i, s:o}", "utc_offset_min", cal->utc_offset_min, "shifts", shifts);
}

/* A plan row as JSON: the stored calendar text becomes an object. */
static void plan_calendar_embed(json_t *row)
{
	json_t *cal = json_object_get(row, "calendar_json");
	json_object_set(row, "calendar", cal ? cal : json_null());
	json_object_del(row, "calendar_json");
}

int line_plan_get(struct store_conn *c, const char *line_id, json_t **out)
{
	struct store_param p[] = { SP_TEXT(line_id) };
	json_t *versions = NULL;
	int rc = store_query_one(c, "SELECT line_id, product, product_id, ideal_cycle_ms,"
				 " calendar AS calendar_json FROM line_plans WHERE line_id = ?", p, 1, out);
	if (rc)
		return rc;
	plan_calendar_embed(*out);
	/* the newest versions first; the first is the plan in force now */
	rc = store_query_json(c, "SELECT valid_from, product, product_id, ideal_cycle_ms"
			      " FROM line_plan_versions WHERE line_id = ?"
			      " ORDER BY valid_from DESC LIMIT 20", /* LINE_PLAN_VERSIONS_SHOWN */
			      p, 1, LINE_PLAN_VERSIONS_SHOWN, &versions);
	if (rc) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_t *cur = json_array_get(versions, 0);
	json_object_set_new(*out, "effective_from",
			    cur ? json_incref(json_object_get(cur, "valid_from")) : json_integer(0));
	json_object_set_new(*out, "versions", versions);
	return 0;
}

/* The effective_from of a plan put: ms or RFC 3339, from 2000-01-01 to
 * now + 60 s (clock skew), default now. */
static int plan_effective_from(const json_t *v, int64_t now, int64_t *out, char *why, size_t whysz)
{
	int64_t t = now;
	if (json_is_integer(v))
		t = json_integer_value(v);
	else if (v && !(json_is_string(v) && pl_time_parse(json_string_value(v), &t) == 0)) {
		pl_fmt(why, whysz, "'effective_from' must be ms since 1970 or an RFC 3339 time");
		return PL_EINVAL;
	}
	if (t < LINE_PLAN_EPOCH_MS || t > now + 60000) {
		pl_fmt(why, whysz, "'effective_from' must lie between 2000-01-01 and now");
		return PL_EINVAL;
	}
	*out = t;
	return 0;
}

/* Appends the version of a plan put (migration 23): a change may take
 * effect in the past, but not before a version already stored - history
 * is not rewritten under later changes (PL_ECONFLICT, why); the same
 * instant replaces that version. */
static int plan_version_put(struct store_conn *c, const char *line_id, int64_t from,
			    const struct store_param *plan /* name, cycle, calendar, product_id */,
			    char *why, size_t whysz)
{
	struct store_param p[] = { SP_TEXT(line_id), SP_INT(from) };
	json_t *later = NULL;
	int rc = store_query_one(c, "SELECT valid_from FROM line_plan_versions WHERE line_id = ?"
				 " AND valid_from > ? ORDER BY valid_from DESC LIMIT 1", p, 2, &later);
	if (rc == 0) {
		char at[PL_TIME_STRLEN];
		pl_time_format(json_integer_value(json_object_get(later, "valid_from")), at);
		json_decref(later);
		pl_fmt(why, whysz, "a later plan change exists (in force from %s)", at);
		return PL_ECONFLICT;
	}
	if (rc != PL_ENOTFOUND)
		return rc;
	struct store_param v[] = { SP_TEXT(line_id), SP_INT(from), plan[0], plan[1], plan[2], plan[3] };
	return store_exec(c, "INSERT INTO line_plan_versions (line_id, valid_from, product,"
			  " ideal_cycle_ms, calendar, product_id) VALUES (?, ?, ?, ?, ?, ?)"
			  " ON CONFLICT (line_id, valid_from) DO UPDATE SET product = excluded.product,"
			  " ideal_cycle_ms = excluded.ideal_cycle_ms, calendar = excluded.calendar,"
			  " product_id = excluded.product_id", v, STORE_NP(v), NULL);
}

int line_plan_put(struct store_conn *c, const char *line_id, const json_t *body, int64_t now,
		  json_t **out, char *why, size_t whysz)
{
	static const struct pfield plan_fields[] = {
		{ "product_id", PF_AREA, false, PL_ID_LEN }, /* an id or null, checked below */
		{ "product", PF_NAME, false, LINE_PLANT_NAME_MAX },
		{ "ideal_cycle_ms", PF_CYCLE, false, 0 },
		{ "calendar", PF_TEXT, true, 0 },            /* parsed by calendar_from_json */
		{ "effective_from", PF_TEXT, false, 0 },     /* plan_effective_from */
		{ NULL, 0, false, 0 },
	};
	struct line_calendar cal;
	int64_t from;
	struct store_param pid = SP_TEXT(NULL), pname, pcycle;
	json_t *product = NULL, *caljs = NULL;
	char ent[PL_ID_LEN + 1];
	char *caltext = NULL;
	int rc;

	*out = NULL;
	why[0] = '\0';
	if ((rc = unknown_members(plan_fields, body, why, whysz)))
		return rc;
	if ((rc = calendar_from_json(json_object_get(body, "calendar"), &cal, why, whysz)))
		return rc;
	json_t *vid = json_object_get(body, "product_id"), *vname = json_object_get(body, "product"),
	       *vcyc = json_object_get(body, "ideal_cycle_ms");
	if ((vid && (rc = field_param(&plan_fields[0], vid, &pid, why, whysz))) ||
	    (vname && (rc = field_param(&plan_fields[1], vname, &pname, why, whysz))) ||
	    (vcyc && (rc = field_param(&plan_fields[2], vcyc, &pcycle, why, whysz))) ||
	    (rc = plan_effective_from(json_object_get(body, "effective_from"), now, &from, why, whysz)))
		return rc;
	if ((rc = line_plant_owner(c, LINE_PLANT_LINE, line_id, ent)))
		return rc;
	if (pid.s) {
		/* another enterprise's product is refused like a missing one */
		rc = line_plant_get(c, LINE_PLANT_PRODUCT, pid.s, &product);
		if (rc == 0 && strcmp(pl_json_str(product, "enterprise_id"), ent))
			rc = PL_ENOTFOUND;
		if (rc == PL_ENOTFOUND) {
			pl_fmt(why, whysz, "'product_id': no product '%.40s'", pid.s);
			rc = PL_EINVAL;
		}
		if (rc)
			goto out;
		if (!vname)
			pname = SP_TEXT(pl_json_str(product, "name"));
		if (!vcyc)
			pcycle = SP_REAL(json_number_value(json_object_get(product, "ideal_cycle_ms")));
	} else if (!vname || !vcyc) {
		pl_fmt(why, whysz, "give 'product_id', or 'product' and 'ideal_cycle_ms'");
		rc = PL_EINVAL;
		goto out;
	}
	caljs = calendar_to_json(&cal);
	caltext = pl_json_dump(caljs);
	struct store_param p[] = { SP_TEXT(line_id), pname, pcycle, SP_TEXT(caltext), pid };
	/* the version first: its refusal (a later one exists) writes nothing */
	if ((rc = plan_version_put(c, line_id, from, p + 1, why, whysz)) ||
	    (rc = store_exec(c, "INSERT INTO line_plans (line_id, product, ideal_cycle_ms, calendar, product_id)"
			     " VALUES (?, ?, ?, ?, ?) ON CONFLICT (line_id) DO UPDATE SET"
			     " product = excluded.product, ideal_cycle_ms = excluded.ideal_cycle_ms,"
			     " calendar = excluded.calendar, product_id = excluded.product_id",
			     p, STORE_NP(p), NULL)))
		goto out;
	rc = line_plan_get(c, line_id, out);
out:
	free(caltext);
	json_decref(caljs);
	json_decref(product);
	return rc;
}

/* ----------------------------------------------------------------- tree */

/* Rows of kind k (cols plus extra) passing where, as an array. */
static int tree_rows(struct store_conn *c, const char *sql_head, const char *where,
		     const struct store_param *p, size_t np, const char *order, json_t **out)
{
	struct pl_buf sql;
	int rc;

	pl_buf_init(&sql, 4096);
	pl_buf_printf(&sql, "%s WHERE 1 = 1%s ORDER BY %s", sql_head, where, order);
	rc = store_query_json(c, sql.data, p, np, LINE_PLANT_TREE_MAX, out);
	pl_buf_release(&sql);
	return rc;
}

/* Appends each row of rows to the array member `member` of the object that
 * index maps its `key` column to, or, without a parent there, to `orphan`
 * member of the object index2 maps its `key2` to (NULL: dropped). When
 * self is given, the row is indexed there by id (borrowed references:
 * the rows live in their parents' arrays). */
static void tree_attach(json_t *rows, json_t *index, const char *key, const char *member,
			json_t *index2, const char *key2, const char *orphan, json_t *self)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		const char *k = pl_json_str(row, key);
		json_t *parent = k ? json_object_get(index, k) : NULL;
		const char *m = member;
		if (!parent && index2) {
			k = pl_json_str(row, key2);
			parent = k ? json_object_get(index2, k) : NULL;
			m = orphan;
		}
		if (!parent)
			continue;
		json_array_append(json_object_get(parent, m), row);
		if (self)
			json_object_set(self, pl_json_str(row, "id"), row);
	}
}

static void tree_add_arrays(json_t *rows, const char *const *names)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
		for (const char *const *n = names; *n; n++)
			json_object_set_new(row, *n, json_array());
}

int line_plant_tree(struct store_conn *c, const char *where, const struct store_param *p,
		    size_t np, json_t **out)
{
	json_t *ents = NULL, *sites = NULL, *areas = NULL, *lines = NULL, *machines = NULL,
	       *products = NULL, *plans = NULL;
	json_t *ient = json_object(), *isite = json_object(), *iarea = json_object(), *iline = json_object();
	int rc;

	*out = NULL;
	/* x.enterprise_id is the column the tenant filter names */
	if ((rc = tree_rows(c, "SELECT x.enterprise_id, x.name_zh AS name FROM (SELECT id AS enterprise_id,"
			    " name_zh FROM enterprises) x", where, p, np, "x.name_zh, x.enterprise_id", &ents)) ||
	    (rc = tree_rows(c, "SELECT x.id, x.enterprise_id, x.code, x.name, x.address FROM plant_sites x",
			    where, p, np, "x.code, x.id", &sites)) ||
	    (rc = tree_rows(c, "SELECT x.id, x.site_id, x.enterprise_id, x.code, x.name FROM plant_areas x",
			    where, p, np, "x.code, x.id", &areas)) ||
	    (rc = tree_rows(c, "SELECT x.id, x.enterprise_id, x.area_id, x.name, x.sp_group, x.sp_node"
			    " FROM lines x", where, p, np, "x.name, x.id", &lines)) ||
	    (rc = tree_rows(c, "SELECT x.id, x.line_id, x.enterprise_id, x.code, x.name, x.kind, x.position,"
			    " x.sp_device FROM line_machines x", where, p, np, "x.position, x.code", &machines)) ||
	    (rc = tree_rows(c, "SELECT x.id, x.enterprise_id, x.gtin, x.name, x.ideal_cycle_ms"
			    " FROM line_products x", where, p, np, "x.name, x.gtin", &products)) ||
	    (rc = tree_rows(c, "SELECT pl.line_id, pl.product, pl.product_id, pl.ideal_cycle_ms,"
			    " pl.calendar AS calendar_json FROM line_plans pl JOIN lines x ON x.id = pl.line_id",
			    where, p, np, "pl.line_id", &plans)))
		goto out;
	static const char *const ent_arrays[] = { "sites", "unassigned_lines", "products", NULL };
	static const char *const site_arrays[] = { "areas", NULL };
	static const char *const area_arrays[] = { "lines", NULL };
	static const char *const line_arrays[] = { "machines", NULL };
	tree_add_arrays(ents, ent_arrays);
	tree_add_arrays(sites, site_arrays);
	tree_add_arrays(areas, area_arrays);
	tree_add_arrays(lines, line_arrays);
	size_t i;
	json_t *row;
	json_array_foreach(ents, i, row)
		json_object_set(ient, pl_json_str(row, "enterprise_id"), row);
	json_array_foreach(lines, i, row)
		json_object_set_new(row, "plan", json_null());
	tree_attach(sites, ient, "enterprise_id", "sites", NULL, NULL, NULL, isite);
	tree_attach(areas, isite, "site_id", "areas", NULL, NULL, NULL, iarea);
	tree_attach(lines, iarea, "area_id", "lines", ient, "enterprise_id", "unassigned_lines", iline);
	tree_attach(machines, iline, "line_id", "machines", NULL, NULL, NULL, NULL);
	tree_attach(products, ient, "enterprise_id", "products", NULL, NULL, NULL, NULL);
	json_array_foreach(plans, i, row) {
		json_t *line = json_object_get(iline, pl_json_str(row, "line_id"));
		plan_calendar_embed(row);
		if (line)
			json_object_set(line, "plan", row);
	}
	/* only enterprises that have something of the plant */
	json_t *items = json_array();
	json_array_foreach(ents, i, row)
		if (json_array_size(json_object_get(row, "sites")) ||
		    json_array_size(json_object_get(row, "unassigned_lines")) ||
		    json_array_size(json_object_get(row, "products")))
			json_array_append(items, row);
	*out = json_pack("{s:o}", "items", items);
out:
	json_decref(ient);
	json_decref(isite);
	json_decref(iarea);
	json_decref(iline);
	json_decref(ents);
	json_decref(sites);
	json_decref(areas);
	json_decref(lines);
	json_decref(machines);
	json_decref(products);
	json_decref(plans);
	return rc;
}

/* ----------------------------------------------------------------- demo */

/* Creates one demo object through the same path as the API (so the demo
 * passes the same checks); *id gets its id. */
static int demo_make(struct store_conn *c, enum line_plant_kind k, const char *parent, json_t *body,
		     char id[PL_ID_LEN + 1])
{
	json_t *out = NULL;
	char why[240];
	int rc = line_plant_create(c, k, parent, body, &out, why, sizeof(why));
	if (rc == 0)
		pl_strlcpy(id, pl_json_str(out, "id"), PL_ID_LEN + 1);
	json_decref(out);
	json_decref(body);
	return rc;
}

int line_plant_demo_seed(struct store *st, FILE *print_to)
{
	static const struct {
		const char *node, *area_code, *area_name, *gtin;
		const char *machines[4][3]; /* code, name, kind */
	} demo[] = {
		{ "fill-1", "sterile", "无菌制剂车间", "06901234000016",
		  { { "WASH-1", "洗瓶机 1", "洗瓶机" }, { "FILL-1", "灌装机 1", "灌装机" },
		    { "CAP-1", "轧盖机 1", "轧盖机" }, { "INSP-1", "灯检机 1", "灯检机" } } },
		{ "pack-1", "packing", "包装车间", "06901234000047",
		  { { "CART-1", "装盒机 1", "装盒机" }, { "LABEL-1", "贴标机 1", "贴标机" },
		    { "CASE-1", "装箱机 1", "装箱机" }, { NULL, NULL, NULL } } },
	};
	struct store_conn *c = NULL;
	json_t *plan = NULL, *found = NULL;
	char line_id[PL_ID_LEN + 1], ent[PL_ID_LEN + 1], site[PL_ID_LEN + 1], id[PL_ID_LEN + 1];
	int rc;

	if ((rc = store_conn_get(st, &c)))
		return rc;
	if ((rc = store_begin(c)) ||
	    (rc = line_repo_line_by_node(c, "taiji", "fill-1", line_id, ent)))
		goto out;
	struct store_param pe[] = { SP_TEXT(ent) };
	rc = store_query_one(c, "SELECT id FROM plant_sites WHERE enterprise_id = ? AND code = 'fuling'",
			     pe, 1, &found);
	if (rc != PL_ENOTFOUND)
		goto out; /* seeded before (0), or the store failed */
	if ((rc = demo_make(c, LINE_PLANT_SITE, ent,
			    json_pack("{s:s, s:s, s:s}", "code", "fuling", "name", "涪陵生产基地",
				      "address", "重庆市涪陵区（演示）"), site)))
		goto out;
	for (size_t i = 0; i < sizeof(demo) / sizeof(demo[0]); i++) {
		char area[PL_ID_LEN + 1], product[PL_ID_LEN + 1];
		if ((rc = line_repo_line_by_node(c, "taiji", demo[i].node, line_id, ent)) ||
		    (rc = demo_make(c, LINE_PLANT_AREA, site, json_pack("{s:s, s:s}", "code", demo[i].area_code,
									"name", demo[i].area_name), area)))
			goto out;
		struct store_param pa[] = { SP_TEXT(area), SP_TEXT(line_id) };
		if ((rc = store_exec(c, "UPDATE lines SET area_id = ? WHERE id = ?", pa, 2, NULL)))
			goto out;
		for (int m = 0; m < 4 && demo[i].machines[m][0]; m++)
			if ((rc = demo_make(c, LINE_PLANT_MACHINE, line_id,
					    json_pack("{s:s, s:s, s:s, s:i}", "code", demo[i].machines[m][0],
						      "name", demo[i].machines[m][1], "kind",
						      demo[i].machines[m][2], "position", m + 1), id)))
				goto out;
		/* the product the seeded plan already runs, now as a product */
		json_decref(plan);
		plan = NULL;
		if ((rc = line_plan_get(c, line_id, &plan)) ||
		    (rc = demo_make(c, LINE_PLANT_PRODUCT, ent,
				    json_pack("{s:s, s:s, s:O}", "gtin", demo[i].gtin, "name",
					      pl_json_str(plan, "product"), "ideal_cycle_ms",
					      json_object_get(plan, "ideal_cycle_ms")), product)))
			goto out;
		struct store_param pp[] = { SP_TEXT(product), SP_TEXT(line_id) };
		if ((rc = store_exec(c, "UPDATE line_plans SET product_id = ? WHERE line_id = ?", pp, 2, NULL)) ||
		    (rc = store_exec(c, "UPDATE line_plan_versions SET product_id = ? WHERE line_id = ?"
				     " AND product_id IS NULL", pp, 2, NULL)))
			goto out;
	}
	if ((rc = store_commit(c)))
		goto out;
	if (print_to)
		fprintf(print_to, "demo plant: site 涪陵生产基地, 2 areas, 7 machines, 2 products\n");
out:
	json_decref(found);
	json_decref(plan);
	store_conn_put(c);
	return rc;
}
