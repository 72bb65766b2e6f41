/*
 * registry.c - the park's registry on the store: CSV import and export of
 * enterprises, certifications, yearly figures and smart-transformation
 * projects, and the enterprise list and profile the dashboard reads.
 *
 * NOTES ON THE DESIGN
 *  1. All or nothing. park_import checks every row and writes the rows that
 *     pass while no row has failed yet; once one fails it keeps checking
 *     (so the answer lists every bad row) but writes nothing more, and the
 *     caller rolls the transaction back. A rejected file therefore never
 *     leaves half its rows, and no second pass over the file is needed.
 *  2. Keys seen earlier in the same file are remembered in a jansson object
 *     used as a hash set, so duplicates within a file are found in O(1)
 *     each and name the row they repeat.
 *  3. Tenancy: every row's enterprise is authorised with auth_authorize
 *     under park.data.write; an enterprise the caller may not write is
 *     reported as "unknown enterprise", the same words as a missing one,
 *     so an import cannot be used to probe other enterprises' codes.
 *  4. Values are checked in the order of the columns, and a row collects
 *     one error per bad field (not just the first), capped per file.
 */
#include "park/park.h"
#include "desk/desk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PARK_MONEY_MAX 1000000000000000LL /* 1e15 yuan = 1000 万亿: no single firm */
#define PARK_NAME_MAX 200
#define PARK_TEXT_MAX 400

static const char *const park__kinds[PARK_K_COUNT] = {
	"enterprises", "certifications", "yearly", "projects",
};

const char *park_kind_name(enum park_kind k)
{
	return (unsigned)k < PARK_K_COUNT ? park__kinds[k] : "?";
}

int park_kind_parse(const char *s, enum park_kind *out)
{
	for (int i = 0; s && i < PARK_K_COUNT; i++)
		if (!strcmp(s, park__kinds[i])) {
			*out = (enum park_kind)i;
			return 0;
		}
	return PL_EINVAL;
}

/* ------------------------------------------------------------- dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's
 * days_from_civil). */
static int64_t park__days(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int park_date_parse(const char *s, int64_t *days)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int v[3] = { 0, 0, 0 };

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return PL_EINVAL;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return PL_EINVAL;
		v[i < 4 ? 0 : i < 7 ? 1 : 2] = v[i < 4 ? 0 : i < 7 ? 1 : 2] * 10 + (s[i] - '0');
	}
	if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1])
		return PL_EINVAL;
	if (v[1] == 2 && v[2] == 29 &&
	    !((v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0))
		return PL_EINVAL;
	if (days)
		*days = park__days(v[0], v[1], v[2]);
	return 0;
}

void park_date_of(int64_t ms, char out[11])
{
	char t[PL_TIME_STRLEN];
	pl_time_format(ms, t);
	memcpy(out, t, 10);
	out[10] = '\0';
}

/* ---------------------------------------------------------- the import */

struct imp {
	struct store_conn *c;
	const struct park_actor *a;
	json_t *errors;      /* [{row, field, reason}] */
	size_t nerr;         /* all errors, also past the cap */
	bool row_bad;        /* the current row has an error */
	json_t *seen;        /* key -> row number (NOTES 2) */
	int64_t min_day, max_day, this_year;
	const char *now_s;
	int64_t written;
	int rc;              /* a store error: stop at once */
};

static void imp__err(struct imp *im, size_t row, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void imp__err(struct imp *im, size_t row, const char *field, const char *fmt, ...)
{
	char text[300];
	va_list ap;

	im->row_bad = true;
	if (im->nerr++ >= PARK_IMPORT_ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_array_append_new(im->errors, json_pack("{s:I, s:s?, s:s}", "row", (json_int_t)row,
						    "field", field, "reason", text));
}

/* The columns of a kind, in export order. */
struct imp_col {
	const char *name;
	bool required;       /* the header must have it */
};
static const struct imp_col cols_ent[] = {
	{ "id", false }, { "uscc", true }, { "name_zh", true }, { "name_en", false },
	{ "industry", false }, { "address", false }, { "in_production", false }, { NULL, false },
};
static const struct imp_col cols_cert[] = {
	{ "uscc", true }, { "type", true }, { "cert_no", true }, { "valid_from", true },
	{ "valid_to", true }, { NULL, false },
};
static const struct imp_col cols_yearly[] = {
	{ "uscc", true }, { "year", true }, { "revenue", true }, { "industrial_output", true },
	{ "rd_spending", true }, { "high_tech_output", true },
	{ "high_tech_product_revenue", true }, { NULL, false },
};
static const struct imp_col cols_proj[] = {
	{ "uscc", true }, { "name", true }, { "type", true }, { "investment", true },
	{ "status", true }, { "started_on", true }, { "accepted_on", false }, { NULL, false },
};
static const struct imp_col *const park__cols[PARK_K_COUNT] = {
	cols_ent, cols_cert, cols_yearly, cols_proj,
};

#define IMP_MAXCOLS 8
/* Header: map[column index in table] = field index in the file, or -1. */
static int imp__header(struct imp *im, const struct imp_col *cols,
		       const struct park_csv_record *h, int map[IMP_MAXCOLS])
{
	int n = 0;
	for (; cols[n].name; n++)
		map[n] = -1;
	for (size_t j = 0; j < h->n; j++) {
		int k = -1;
		for (int i = 0; i < n; i++)
			if (!strcmp(h->f[j], cols[i].name))
				k = i;
		if (k < 0)
			imp__err(im, 1, h->f[j], "unknown column");
		else if (map[k] >= 0)
			imp__err(im, 1, h->f[j], "column named twice");
		else
			map[k] = (int)j;
	}
	for (int i = 0; i < n; i++)
		if (cols[i].required && map[i] < 0)
			imp__err(im, 1, cols[i].name, "required column missing");
	return im->row_bad ? PL_EINVAL : 0;
}

static const char *imp__get(const struct park_csv_record *r, const int map[IMP_MAXCOLS],
			    int i)
{
	return map[i] >= 0 ? r->f[map[i]] : "";
}

/* Text: required or not, at most max bytes, no control characters. */
static const char *imp__text(struct imp *im, size_t row, const char *field, const char *v,
			     size_t max, bool required)
{
	size_t n = strlen(v);
	if (!n) {
		if (required)
			imp__err(im, row, field, "required");
		return NULL;
	}
	if (n > max) {
		imp__err(im, row, field, "longer than %zu bytes", max);
		return NULL;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7F) {
			imp__err(im, row, field, "control characters are not allowed");
			return NULL;
		}
	return v;
}

static bool imp__money(struct imp *im, size_t row, const char *field, const char *v,
		       int64_t *out)
{
	if (!*v) {
		imp__err(im, row, field, "required");
		return false;
	}
	if (v[0] == '-' && pl_parse_i64(v, INT64_MIN, INT64_MAX, out) == 0) {
		imp__err(im, row, field, "must not be negative");
		return false;
	}
	if (pl_parse_i64(v, 0, PARK_MONEY_MAX, out)) {
		imp__err(im, row, field, "not a whole number of yuan in 0..10^15");
		return false;
	}
	return true;
}

static bool imp__date(struct imp *im, size_t row, const char *field, const char *v,
		      int64_t *days)
{
	if (park_date_parse(v, days)) {
		imp__err(im, row, field, "not a date YYYY-MM-DD");
		return false;
	}
	if (*days < im->min_day || *days > im->max_day) {
		imp__err(im, row, field, "out of range (1949-01-01 to 50 years from today)");
		return false;
	}
	return true;
}

/* Remembers key at row; false (and an error) when an earlier row had it. */
static bool imp__unique(struct imp *im, size_t row, const char *field, const char *key,
			const char *what)
{
	json_t *prev = json_object_get(im->seen, key);
	if (prev) {
		imp__err(im, row, field, "duplicate %s: also on row %lld", what,
			 (long long)json_integer_value(prev));
		return false;
	}
	json_object_set_new(im->seen, key, json_integer((json_int_t)row));
	return true;
}

static bool imp__may_write(struct imp *im, const char *ent_id)
{
	struct auth_target t;
	if (!im->a->p)
		return true;
	if (auth_target_for(im->c, im->a->p, ent_id, &t))
		return false;
	return auth_authorize(im->a->p, AUTH_A_PARK_DATA_WRITE, &t) == 0;
}

/* The enterprise id of uscc into id (must be writable by the actor). */
static bool imp__enterprise(struct imp *im, size_t row, const char *uscc,
			    char id[PL_ID_LEN + 1])
{
	json_t *o = NULL;
	struct store_param p[] = { SP_TEXT(uscc) };
	int rc;

	if (!*uscc) {
		imp__err(im, row, "uscc", "required");
		return false;
	}
	rc = store_query_one(im->c, "SELECT id FROM enterprises WHERE uscc = ?", p, 1, &o);
	if (rc && rc != PL_ENOTFOUND) {
		im->rc = rc;
		return false;
	}
	if (rc == 0 && imp__may_write(im, pl_json_str(o, "id"))) {
		pl_strlcpy(id, pl_json_str(o, "id"), PL_ID_LEN + 1);
		json_decref(o);
		return true;
	}
	json_decref(o);
	imp__err(im, row, "uscc", "unknown enterprise %.18s", uscc);
	return false;
}

/* Runs one write of the import; counts a row when row is true (an upsert
 * is a delete and an insert, counted once). */
static void imp__exec(struct imp *im, const char *sql, const struct store_param *p, size_t np,
		      bool row)
{
	if (im->rc || im->nerr)
		return; /* NOTES 1: after the first bad row nothing is written */
	im->rc = store_exec(im->c, sql, p, np, NULL);
	if (im->rc == 0 && row)
		im->written++;
}

static void imp_enterprise(struct imp *im, const struct park_csv_record *r, const int map[])
{
	const char *id = imp__get(r, map, 0), *uscc = imp__get(r, map, 1);
	const char *name_zh = imp__text(im, r->row, "name_zh", imp__get(r, map, 2), PARK_NAME_MAX, true);
	const char *name_en = imp__text(im, r->row, "name_en", imp__get(r, map, 3), PARK_NAME_MAX, false);
	const char *industry = imp__text(im, r->row, "industry", imp__get(r, map, 4), 100, false);
	const char *address = imp__text(im, r->row, "address", imp__get(r, map, 5), PARK_TEXT_MAX, false);
	const char *prod = imp__get(r, map, 6);
	struct desk_uscc_error ue;
	char key[64];
	json_t *owner = NULL;
	int64_t in_prod = 0;

	if (!strcmp(prod, "1") || !strcmp(prod, "true") || !strcmp(prod, "是"))
		in_prod = 1;
	else if (*prod && strcmp(prod, "0") && strcmp(prod, "false") && strcmp(prod, "否"))
		imp__err(im, r->row, "in_production", "must be 1 or 0");
	if (*id && !pl_id_valid(id))
		imp__err(im, r->row, "id", "not an enterprise id");
	if (desk_uscc_validate(uscc, &ue)) {
		imp__err(im, r->row, "uscc", "%s", ue.text);
		return;
	}
	pl_fmt(key, sizeof(key), "u:%s", uscc);
	if (!imp__unique(im, r->row, "uscc", key, "credit code"))
		return;
	if (*id) {
		pl_fmt(key, sizeof(key), "i:%.40s", id);
		if (!imp__unique(im, r->row, "id", key, "id"))
			return;
	}
	struct store_param pu[] = { SP_TEXT(uscc) };
	int rc = store_query_one(im->c, "SELECT id FROM enterprises WHERE uscc = ?", pu, 1, &owner);
	if (rc && rc != PL_ENOTFOUND) {
		im->rc = rc;
		return;
	}
	const char *owner_id = rc == 0 ? pl_json_str(owner, "id") : NULL;
	char target[PL_ID_LEN + 1] = "";
	if (*id && pl_id_valid(id)) {
		json_t *e = NULL;
		struct store_param pi[] = { SP_TEXT(id) };
		rc = store_query_one(im->c, "SELECT id FROM enterprises WHERE id = ?", pi, 1, &e);
		json_decref(e);
		if (rc && rc != PL_ENOTFOUND) {
			im->rc = rc;
			goto out;
		}
		if (rc || !imp__may_write(im, id))
			imp__err(im, r->row, "id", "unknown enterprise %s", id);
		else if (owner_id && strcmp(owner_id, id))
			imp__err(im, r->row, "uscc", "credit code %s belongs to another enterprise",
				 uscc);
		else
			pl_strlcpy(target, id, sizeof(target));
	} else if (owner_id) {
		if (imp__may_write(im, owner_id))
			pl_strlcpy(target, owner_id, sizeof(target));
		else
			imp__err(im, r->row, "uscc", "credit code %s belongs to another enterprise",
				 uscc);
	} else if (im->a->p && auth_scope_of(im->a->p->role, AUTH_A_PARK_DATA_WRITE) !=
			       AUTH_SCOPE_ANY) {
		imp__err(im, r->row, "uscc", "unknown enterprise %s; only the park may add enterprises",
			 uscc);
	}
	if (im->row_bad || im->rc || !name_zh)
		goto out;
	if (target[0]) {
		/* an optional column the file does not have keeps its value (an
		 * empty cell in a column it has clears it) */
		struct store_param p[] = {
			SP_TEXT(uscc), SP_TEXT(name_zh),
			SP_INT(map[3] >= 0), SP_TEXT(name_en), SP_INT(map[4] >= 0), SP_TEXT(industry),
			SP_INT(map[5] >= 0), SP_TEXT(address), SP_INT(map[6] >= 0), SP_INT(in_prod),
			SP_TEXT(im->now_s), SP_TEXT(target),
		};
		imp__exec(im, "UPDATE enterprises SET uscc = ?, name_zh = ?,"
			  " name_en = CASE WHEN ? = 1 THEN ? ELSE name_en END,"
			  " industry = CASE WHEN ? = 1 THEN ? ELSE industry END,"
			  " address = CASE WHEN ? = 1 THEN ? ELSE address END,"
			  " in_production = CASE WHEN ? = 1 THEN ? ELSE in_production END,"
			  " updated_at = ? WHERE id = ?", p, STORE_NP(p), true);
	} else {
		char nid[PL_ID_LEN + 1];
		pl_id_new(nid);
		struct store_param p[] = {
			SP_TEXT(nid), SP_TEXT(uscc), SP_TEXT(name_zh), SP_TEXT(name_en),
			SP_TEXT(industry), SP_TEXT(address), SP_INT(in_prod), SP_TEXT(im->now_s),
			SP_TEXT(im->now_s),
		};
		imp__exec(im, "INSERT INTO enterprises (id, uscc, name_zh, name_en, industry, address,"
			  " in_production, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			  p, STORE_NP(p), true);
	}
out:
	json_decref(owner);
}

static const char *park__cert_code(const char *v)
{
	static const char *const m[][2] = {
		{ PARK_CERT_TECH_SME, "科技型中小企业" }, { PARK_CERT_HIGH_TECH, "高新技术企业" },
		{ PARK_CERT_SPECIALIZED, "专精特新" },
	};
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(v, m[i][0]) || !strcmp(v, m[i][1]))
			return m[i][0];
	return NULL;
}

static void imp_cert(struct imp *im, const struct park_csv_record *r, const int map[])
{
	char ent[PL_ID_LEN + 1], key[200];
	const char *type = park__cert_code(imp__get(r, map, 1));
	const char *no = imp__text(im, r->row, "cert_no", imp__get(r, map, 2), 100, true);
	const char *from = imp__get(r, map, 3), *to = imp__get(r, map, 4);
	int64_t df = 0, dt = 0;
	bool ok_ent = imp__enterprise(im, r->row, imp__get(r, map, 0), ent);

	if (!type)
		imp__err(im, r->row, "type", "must be tech_sme, high_tech or specialized");
	bool okf = imp__date(im, r->row, "valid_from", from, &df);
	bool okt = imp__date(im, r->row, "valid_to", to, &dt);
	if (okf && okt && dt < df)
		imp__err(im, r->row, "valid_to", "before valid_from");
	if (!ok_ent || !type || !no || im->rc)
		return;
	pl_fmt(key, sizeof(key), "c:%s|%s|%.100s", ent, type, no);
	if (!imp__unique(im, r->row, "cert_no", key, "certificate") || im->row_bad)
		return;
	json_t *o = NULL;
	struct store_param q[] = { SP_TEXT(ent), SP_TEXT(type), SP_TEXT(no) };
	int rc = store_query_one(im->c, "SELECT id FROM certifications WHERE enterprise_id = ?"
				 " AND type = ? AND cert_no = ?", q, 3, &o);
	if (rc && rc != PL_ENOTFOUND) {
		im->rc = rc;
		return;
	}
	if (rc == 0) {
		struct store_param p[] = { SP_TEXT(from), SP_TEXT(to), SP_TEXT(pl_json_str(o, "id")) };
		imp__exec(im, "UPDATE certifications SET valid_from = ?, valid_to = ? WHERE id = ?",
			  p, 3, true);
	} else {
		char id[PL_ID_LEN + 1];
		pl_id_new(id);
		struct store_param p[] = { SP_TEXT(id), SP_TEXT(ent), SP_TEXT(type), SP_TEXT(no),
					   SP_TEXT(from), SP_TEXT(to), SP_TEXT(im->now_s) };
		imp__exec(im, "INSERT INTO certifications (id, enterprise_id, type, cert_no, valid_from,"
			  " valid_to, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p), true);
	}
	json_decref(o);
}

static void imp_yearly(struct imp *im, const struct park_csv_record *r, const int map[])
{
	static const char *const f[5] = { "revenue", "industrial_output", "rd_spending",
					  "high_tech_output", "high_tech_product_revenue" };
	char ent[PL_ID_LEN + 1], key[64];
	int64_t year = 0, v[5] = { 0 };
	bool ok = true;
	bool ok_ent = imp__enterprise(im, r->row, imp__get(r, map, 0), ent);

	if (pl_parse_i64(imp__get(r, map, 1), 1949, im->this_year, &year)) {
		imp__err(im, r->row, "year", "must be a year from 1949 to %lld",
			 (long long)im->this_year);
		ok = false;
	}
	for (int i = 0; i < 5; i++)
		ok &= imp__money(im, r->row, f[i], imp__get(r, map, 2 + i), &v[i]);
	if (ok && v[2] > v[0])
		imp__err(im, r->row, "rd_spending", "larger than revenue");
	if (ok && v[4] > v[0])
		imp__err(im, r->row, "high_tech_product_revenue", "larger than revenue");
	if (ok && v[3] > v[1])
		imp__err(im, r->row, "high_tech_output", "larger than industrial_output");
	if (!ok_ent || !ok || im->rc)
		return;
	pl_fmt(key, sizeof(key), "y:%s|%lld", ent, (long long)year);
	if (!imp__unique(im, r->row, "year", key, "enterprise and year") || im->row_bad)
		return;
	struct store_param d[] = { SP_TEXT(ent), SP_INT(year) };
	imp__exec(im, "DELETE FROM park_yearly WHERE enterprise_id = ? AND year = ?", d, 2, false);
	struct store_param p[] = { SP_TEXT(ent), SP_INT(year), SP_INT(v[0]), SP_INT(v[1]),
				   SP_INT(v[2]), SP_INT(v[3]), SP_INT(v[4]), SP_TEXT(im->now_s) };
	imp__exec(im, "INSERT INTO park_yearly (enterprise_id, year, revenue, industrial_output,"
		  " rd_spending, high_tech_output, high_tech_product_revenue, updated_at)"
		  " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p), true);
}

static const char *park__proj_type(const char *v)
{
	static const char *const m[][2] = {
		{ "smart_factory", "智能工厂" }, { "digital_workshop", "数字化车间" },
		{ "smart_retrofit", "智能化改造" }, { "platform", "工业互联网平台" },
		{ "other", "其他" },
	};
	for (size_t i = 0; i < 5; i++)
		if (!strcmp(v, m[i][0]) || !strcmp(v, m[i][1]))
			return m[i][0];
	return NULL;
}

static void imp_project(struct imp *im, const struct park_csv_record *r, const int map[])
{
	char ent[PL_ID_LEN + 1], key[300];
	const char *name = imp__text(im, r->row, "name", imp__get(r, map, 1), PARK_NAME_MAX, true);
	const char *type = park__proj_type(imp__get(r, map, 2));
	const char *status = imp__get(r, map, 4);
	const char *started = imp__get(r, map, 5), *accepted = imp__get(r, map, 6);
	int64_t inv = 0, ds = 0, da = 0;
	bool ok_ent = imp__enterprise(im, r->row, imp__get(r, map, 0), ent);

	if (!type)
		imp__err(im, r->row, "type", "must be smart_factory, digital_workshop, "
			 "smart_retrofit, platform or other");
	imp__money(im, r->row, "investment", imp__get(r, map, 3), &inv);
	bool is_acc = !strcmp(status, "accepted");
	if (!is_acc && strcmp(status, "planned") && strcmp(status, "in_progress"))
		imp__err(im, r->row, "status", "must be planned, in_progress or accepted");
	bool oks = imp__date(im, r->row, "started_on", started, &ds);
	if (is_acc && !*accepted)
		imp__err(im, r->row, "accepted_on", "required when the status is accepted");
	else if (!is_acc && *accepted)
		imp__err(im, r->row, "accepted_on", "only an accepted project has one");
	else if (*accepted && imp__date(im, r->row, "accepted_on", accepted, &da) && oks && da < ds)
		imp__err(im, r->row, "accepted_on", "before started_on");
	if (!ok_ent || !name || im->rc)
		return;
	pl_fmt(key, sizeof(key), "p:%s|%s", ent, name);
	if (!imp__unique(im, r->row, "name", key, "project") || im->row_bad)
		return;
	struct store_param d[] = { SP_TEXT(ent), SP_TEXT(name) };
	imp__exec(im, "DELETE FROM park_projects WHERE enterprise_id = ? AND name = ?", d, 2, false);
	char id[PL_ID_LEN + 1];
	pl_id_new(id);
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(ent), SP_TEXT(name), SP_TEXT(type),
				   SP_INT(inv), SP_TEXT(status), SP_TEXT(started),
				   SP_TEXT(*accepted ? accepted : NULL), SP_TEXT(im->now_s) };
	imp__exec(im, "INSERT INTO park_projects (id, enterprise_id, name, type, investment, status,"
		  " started_on, accepted_on, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		  p, STORE_NP(p), true);
}

int park_import(struct store_conn *c, const struct park_actor *a, enum park_kind k,
		const char *buf, size_t len, int64_t now_ms, json_t **errors, int64_t *imported)
{
	static void (*const fns[PARK_K_COUNT])(struct imp *, const struct park_csv_record *,
					       const int *) = {
		imp_enterprise, imp_cert, imp_yearly, imp_project,
	};
	struct park_csv csv = { 0 };
	struct park_csv_error ce = { 0, "" };
	char now_s[PL_TIME_STRLEN], today[11];
	struct imp im = { .c = c, .a = a, .now_s = now_s };
	int map[IMP_MAXCOLS];
	int64_t tday = 0;
	int rc;

	*errors = NULL;
	*imported = 0;
	if ((unsigned)k >= PARK_K_COUNT)
		return PL_EINVAL;
	if (a->p && auth_scope_of(a->p->role, AUTH_A_PARK_DATA_WRITE) == AUTH_SCOPE_DENY)
		return PL_EFORBIDDEN;
	pl_time_format(now_ms, now_s);
	park_date_of(now_ms, today);
	park_date_parse(today, &tday);
	im.min_day = park__days(1949, 1, 1);
	im.max_day = tday + 50 * 365 + 12; /* 50 years ahead, leap days included */
	im.this_year = (today[0] - '0') * 1000 + (today[1] - '0') * 100 + (today[2] - '0') * 10 +
		       (today[3] - '0');
	im.errors = json_array();
	im.seen = json_object();
	rc = park_csv_parse(buf, len, &csv, &ce);
	if (rc) {
		imp__err(&im, ce.row, NULL, "%s", ce.text);
		goto out;
	}
	if (csv.n == 0) {
		imp__err(&im, 1, NULL, "the file is empty; the first row names the columns");
		goto out;
	}
	if (imp__header(&im, park__cols[k], &csv.rec[0], map))
		goto out;
	for (size_t i = 1; i < csv.n && !im.rc; i++) {
		const struct park_csv_record *r = &csv.rec[i];
		im.row_bad = false;
		if (r->n != csv.rec[0].n) {
			imp__err(&im, r->row, NULL, "%zu fields; the header has %zu", r->n,
				 csv.rec[0].n);
			continue;
		}
		fns[k](&im, r, map);
	}
	if (!im.rc && !im.nerr && csv.n == 1)
		imp__err(&im, 1, NULL, "no rows below the header");
	if (!im.rc && !im.nerr) {
		json_t *after = json_pack("{s:s, s:I}", "kind", park_kind_name(k), "imported",
					  (json_int_t)(csv.n - 1));
		struct store_audit au = {
			.actor_id = a->p ? (a->p->user_id[0] ? a->p->user_id : a->p->token_id) : "system",
			.actor_name = a->p ? a->p->name : "system",
			.action = "park.import", .entity = "park_import",
			.entity_id = park_kind_name(k),
			.enterprise_id = a->p && a->p->enterprise_id[0] ? a->p->enterprise_id : NULL,
			.after = after, .request_id = a->request_id, .ip = a->ip,
		};
		im.rc = store_audit(c, &au);
		json_decref(after);
	}
out:
	park_csv_release(&csv);
	json_decref(im.seen);
	if (im.rc) {
		json_decref(im.errors);
		return im.rc;
	}
	if (im.nerr) {
		*errors = im.errors;
		return PL_EINVAL;
	}
	json_decref(im.errors);
	*imported = im.written;
	return 0;
}

/* ---------------------------------------------------------- the export */

/* Each kind's query as a head and an order; the tenant filter goes
 * between them (two parts, so no format string is built at run time). */
static const char *const park__export_sql[PARK_K_COUNT][2] = {
	{ "SELECT e.id, e.uscc, e.name_zh, e.name_en, e.industry, e.address,"
	  " CAST(e.in_production AS TEXT) AS in_production FROM enterprises e WHERE 1 = 1",
	  " ORDER BY e.uscc, e.id" },
	{ "SELECT e.uscc, x.type, x.cert_no, x.valid_from, x.valid_to FROM certifications x"
	  " JOIN enterprises e ON e.id = x.enterprise_id WHERE 1 = 1",
	  " ORDER BY e.uscc, x.type, x.cert_no" },
	{ "SELECT e.uscc, CAST(x.year AS TEXT) AS year, CAST(x.revenue AS TEXT) AS revenue,"
	  " CAST(x.industrial_output AS TEXT) AS industrial_output,"
	  " CAST(x.rd_spending AS TEXT) AS rd_spending,"
	  " CAST(x.high_tech_output AS TEXT) AS high_tech_output,"
	  " CAST(x.high_tech_product_revenue AS TEXT) AS high_tech_product_revenue"
	  " FROM park_yearly x JOIN enterprises e ON e.id = x.enterprise_id WHERE 1 = 1",
	  " ORDER BY e.uscc, x.year" },
	{ "SELECT e.uscc, x.name, x.type, CAST(x.investment AS TEXT) AS investment, x.status,"
	  " x.started_on, x.accepted_on FROM park_projects x"
	  " JOIN enterprises e ON e.id = x.enterprise_id WHERE 1 = 1",
	  " ORDER BY e.uscc, x.name" },
};

int park_export(struct store_conn *c, const struct auth_principal *p, enum park_kind k,
		struct pl_buf *out)
{
	struct pl_buf where;
	struct store_param params[2];
	struct store_rows *rows = NULL;
	size_t np = 0;
	char *sql = NULL;
	int rc;

	if ((unsigned)k >= PARK_K_COUNT)
		return PL_EINVAL;
	pl_buf_init(&where, 512);
	if (p && (rc = auth_tenant_filter(p, AUTH_A_PARK_DATA_READ, "e.id", &where, params, &np)))
		goto out;
	{
		struct pl_buf s;
		pl_buf_init(&s, 4096);
		pl_buf_puts(&s, park__export_sql[k][0]);
		pl_buf_puts(&s, where.data ? where.data : "");
		pl_buf_puts(&s, park__export_sql[k][1]);
		sql = pl_buf_steal(&s);
	}
	if ((rc = pl_buf_append(out, "\xEF\xBB\xBF", 3)))
		goto out;
	for (int i = 0; park__cols[k][i].name; i++)
		if ((rc = pl_buf_printf(out, "%s%s", i ? "," : "", park__cols[k][i].name)))
			goto out;
	if ((rc = pl_buf_puts(out, "\r\n")))
		goto out;
	if ((rc = store_query(c, sql, params, np, &rows)))
		goto out;
	while ((rc = store_rows_next(rows)) == 1) {
		for (int i = 0; i < store_rows_ncols(rows); i++)
			if ((i && (rc = pl_buf_puts(out, ","))) ||
			    (rc = park_csv_put(out, store_rows_text(rows, i))))
				goto out;
		if ((rc = pl_buf_puts(out, "\r\n")))
			goto out;
	}
out:
	store_rows_free(rows);
	free(sql);
	pl_buf_release(&where);
	return rc;
}

/* ------------------------------------------------- list and profile */

/* JSON array of the certification types of enterprise id valid on date. */
static int park__valid_certs(struct store_conn *c, const char *id, const char *date, json_t **out)
{
	struct store_rows *rows = NULL;
	struct store_param p[] = { SP_TEXT(id), SP_TEXT(date), SP_TEXT(date) };
	int rc = store_query(c, "SELECT DISTINCT type FROM certifications WHERE enterprise_id = ?"
			     " AND valid_from <= ? AND valid_to >= ? ORDER BY type", p, 3, &rows);
	*out = json_array();
	if (rc)
		return rc;
	while ((rc = store_rows_next(rows)) == 1)
		json_array_append_new(*out, json_string(store_rows_text(rows, 0)));
	store_rows_free(rows);
	return rc < 0 ? rc : 0;
}

int park_enterprise_list(struct store_conn *c, const struct auth_principal *p,
			 const struct park_ent_query *q, json_t **out)
{
	struct pl_buf where, like, t;
	struct store_param params[12];
	size_t np = 0;
	json_t *items = NULL, *total = NULL;
	char *sn = NULL, *sl = NULL;
	int rc;

	*out = NULL;
	pl_buf_init(&where, 4096);
	pl_buf_init(&like, 512);
	pl_buf_init(&t, 8192);
	pl_buf_puts(&where, " WHERE 1 = 1");
	if ((rc = auth_tenant_filter(p, AUTH_A_PARK_DATA_READ, "e.id", &where, params, &np)))
		goto out;
	if (q->q && *q->q) {
		/* LIKE wildcards in the search are dropped, not escaped: a name
		 * search never needs them */
		pl_buf_puts(&like, "%");
		for (const char *s = q->q; *s; s++)
			if (*s != '%' && *s != '_' && *s != '\\' && (rc = pl_buf_append(&like, s, 1)))
				goto out;
		pl_buf_puts(&like, "%");
		pl_buf_puts(&where, " AND (e.name_zh LIKE ? OR lower(e.name_en) LIKE lower(?)"
			    " OR e.uscc LIKE upper(?))");
		params[np++] = SP_TEXT(like.data);
		params[np++] = SP_TEXT(like.data);
		params[np++] = SP_TEXT(like.data);
	}
	if (q->cert && *q->cert) {
		pl_buf_puts(&where, " AND EXISTS (SELECT 1 FROM certifications x WHERE"
			    " x.enterprise_id = e.id AND x.type = ? AND x.valid_from <= ?"
			    " AND x.valid_to >= ?)");
		params[np++] = SP_TEXT(q->cert);
		params[np++] = SP_TEXT(q->date);
		params[np++] = SP_TEXT(q->date);
	}
	if (q->in_production >= 0) {
		pl_buf_puts(&where, " AND e.in_production = ?");
		params[np++] = SP_INT(q->in_production);
	}
	pl_buf_printf(&t, "SELECT count(*) AS n FROM enterprises e%s", where.data);
	sn = pl_buf_steal(&t);
	pl_buf_printf(&t, "SELECT e.id, e.name_zh, e.name_en, e.uscc, e.industry,"
		      " e.in_production, (SELECT y.revenue FROM park_yearly y WHERE"
		      " y.enterprise_id = e.id ORDER BY y.year DESC LIMIT 1) AS revenue_last_year"
		      " FROM enterprises e%s ORDER BY e.name_zh, e.id LIMIT %lld OFFSET %lld",
		      where.data, (long long)q->limit, (long long)q->offset);
	sl = pl_buf_steal(&t);
	if ((rc = store_query_one(c, sn, params, np, &total)) ||
	    (rc = store_query_json(c, sl, params, np, 1000, &items)))
		goto out;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		json_t *certs = NULL;
		if ((rc = park__valid_certs(c, pl_json_str(it, "id"), q->date, &certs))) {
			json_decref(certs);
			goto out;
		}
		json_object_set_new(it, "certs", certs);
		json_object_set_new(it, "in_production",
				    json_boolean(json_integer_value(json_object_get(it, "in_production"))));
	}
	*out = json_pack("{s:O, s:O}", "items", items, "total", json_object_get(total, "n"));
out:
	json_decref(items);
	json_decref(total);
	free(sn);
	free(sl);
	pl_buf_release(&where);
	pl_buf_release(&like);
	pl_buf_release(&t);
	return rc;
}

int park_enterprise_get(struct store_conn *c, const struct auth_principal *p,
			const char *id, const char *date, json_t **out)
{
	json_t *ent = NULL, *certs = NULL, *yearly = NULL, *proj = NULL;
	struct auth_target t;
	int rc;

	*out = NULL;
	if (!pl_id_valid(id))
		return PL_ENOTFOUND;
	struct store_param pi[] = { SP_TEXT(id) };
	rc = store_query_one(c, "SELECT id, name_zh, name_en, uscc, industry, address, contact_name,"
			     " contact_phone, in_production, created_at, updated_at FROM enterprises"
			     " WHERE id = ?", pi, 1, &ent);
	if (rc)
		goto out;
	if ((rc = auth_target_for(c, p, id, &t)) ||
	    (rc = auth_authorize(p, AUTH_A_PARK_DATA_READ, &t))) {
		if (rc == PL_EFORBIDDEN && auth_scope_of(p->role, AUTH_A_PARK_DATA_READ) != AUTH_SCOPE_DENY)
			rc = PL_ENOTFOUND;
		goto out;
	}
	json_object_set_new(ent, "in_production",
			    json_boolean(json_integer_value(json_object_get(ent, "in_production"))));
	struct store_param pc[] = { SP_TEXT(date), SP_TEXT(date), SP_TEXT(id) };
	if ((rc = store_query_json(c, "SELECT id, type, cert_no, valid_from, valid_to,"
				   " CASE WHEN valid_from <= ? AND valid_to >= ? THEN 1 ELSE 0 END"
				   " AS valid FROM certifications WHERE enterprise_id = ?"
				   " ORDER BY type, valid_from", pc, 3, 500, &certs)) ||
	    (rc = store_query_json(c, "SELECT year, revenue, industrial_output, rd_spending,"
				   " high_tech_output, high_tech_product_revenue FROM park_yearly"
				   " WHERE enterprise_id = ? ORDER BY year", pi, 1, 200, &yearly)) ||
	    (rc = store_query_json(c, "SELECT id, name, type, investment, status, started_on,"
				   " accepted_on FROM park_projects WHERE enterprise_id = ?"
				   " ORDER BY started_on, name", pi, 1, 500, &proj)))
		goto out;
	size_t i;
	json_t *it;
	json_array_foreach(certs, i, it)
		json_object_set_new(it, "valid",
				    json_boolean(json_integer_value(json_object_get(it, "valid"))));
	*out = json_pack("{s:O, s:O, s:O, s:O}", "enterprise", ent, "certifications", certs,
			 "yearly", yearly, "projects", proj);
out:
	json_decref(ent);
	json_decref(certs);
	json_decref(yearly);
	json_decref(proj);
	return rc;
}
