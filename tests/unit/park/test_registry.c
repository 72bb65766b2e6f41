/*
 * test_registry.c - the park registry on both store drivers
 * (src/park/registry.c, indicators.c, logistics.c, demo.c): one table case
 * per import rule (each must be refused with its row and field, and leave
 * every table as it was), certificate validity edges, indicator arithmetic
 * on a hand-worked data set, export/import round trip, tenancy, and the
 * demo park reproducing the seed article's figures.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "support/store_env.h"
#include "park/park.h"
#include "desk/desk.h"

/* A fixed clock: 2026-06-01T00:00:00Z. */
#define NOW_MS 1780272000000LL

struct fix {
	struct tenv e;
	char u[4][DESK_USCC_LEN + 1]; /* u[1..3] valid codes */
	char id[4][PL_ID_LEN + 1];    /* the enterprises of u[1..3] */
};

static const struct park_actor sys = { NULL, NULL, NULL };

/* Replaces @1 @2 @3 with the fixture's credit codes into out. */
static void subst(const struct fix *f, const char *in, struct pl_buf *out)
{
	for (const char *p = in; *p; p++) {
		if (p[0] == '@' && p[1] >= '1' && p[1] <= '3') {
			pl_buf_puts(out, f->u[p[1] - '0']);
			p++;
		} else {
			pl_buf_append(out, p, 1);
		}
	}
}

/* Imports csv (with @n substituted) as actor a in a transaction that is
 * committed on success and rolled back otherwise. */
static int imp(struct fix *f, const struct park_actor *a, enum park_kind k, const char *csv,
	       json_t **errors, int64_t *n)
{
	struct pl_buf b;
	int rc;
	pl_buf_init(&b, 1u << 20);
	subst(f, csv, &b);
	cr_assert_eq(store_begin(f->e.c), 0);
	rc = park_import(f->e.c, a, k, b.data ? b.data : "", b.len, NOW_MS, errors, n);
	if (rc == 0)
		cr_assert_eq(store_commit(f->e.c), 0);
	else
		store_rollback(f->e.c);
	pl_buf_release(&b);
	return rc;
}

static void must_import(struct fix *f, enum park_kind k, const char *csv)
{
	json_t *errors = NULL;
	int64_t n;
	int rc = imp(f, &sys, k, csv, &errors, &n);
	char *s = errors ? pl_json_dump(errors) : NULL;
	cr_assert_eq(rc, 0, "import %s: %d %s", park_kind_name(k), rc, s ? s : "");
	free(s);
}

static int64_t count(struct fix *f, const char *table)
{
	char sql[80];
	json_t *o = NULL;
	pl_fmt(sql, sizeof(sql), "SELECT count(*) AS n FROM %s", table);
	cr_assert_eq(store_query_one(f->e.c, sql, NULL, 0, &o), 0);
	int64_t n = json_integer_value(json_object_get(o, "n"));
	json_decref(o);
	return n;
}

static const char ENTS[] =
	"uscc,name_zh,name_en,industry,address,in_production\r\n"
	"@1,甲科技有限公司,Alpha Tech,电子信息,\"涪陵区1号, 北楼\",1\r\n"
	"@2,乙制造有限公司,Beta Works,装备制造,,1\r\n"
	"@3,丙材料有限公司,,新材料,,0\r\n";
/* The hand-worked set (see the indicator table below). */
static const char CERTS[] =
	"uscc,type,cert_no,valid_from,valid_to\n"
	"@1,high_tech,GR2024001,2024-01-01,2026-12-31\n"
	"@1,科技型中小企业,KJ2025001,2025-01-01,2025-12-31\n"
	"@2,tech_sme,KJ2025002,2025-06-01,2025-06-30\n"
	"@3,specialized,ZJ2020003,2020-01-01,2030-12-31\n";
static const char YEARLY[] =
	"uscc,year,revenue,industrial_output,rd_spending,high_tech_output,high_tech_product_revenue\n"
	"@1,2025,1000,2000,50,1500,400\n"
	"@2,2025,3000,1000,90,0,0\n"
	"@1,2024,800,1600,40,800,200\n";
static const char PROJECTS[] =
	"uscc,name,type,investment,status,started_on,accepted_on\n"
	"@1,一号智能工厂,智能工厂,300000000,accepted,2024-01-01,2025-03-01\n"
	"@1,装配数字化车间,digital_workshop,50000000,in_progress,2025-01-01,\n"
	"@2,焊接数字化车间,数字化车间,20000000,accepted,2025-02-01,2025-06-15\n";

static void fix_open(struct fix *f, const struct tenv_drv *d, bool seed)
{
	static const char *const org[4] = { "", "PT000001", "PT000002", "PT000003" };
	tenv_open_or_skip(&f->e, d->pg, "parkreg", NULL);
	for (int i = 1; i <= 3; i++)
		cr_assert_eq(desk_uscc_make('9', '1', "500102", org[i], f->u[i], NULL), 0);
	if (!seed)
		return;
	must_import(f, PARK_K_ENTERPRISES, ENTS);
	for (int i = 1; i <= 3; i++) {
		json_t *o = NULL;
		struct store_param p[] = { SP_TEXT(f->u[i]) };
		cr_assert_eq(store_query_one(f->e.c, "SELECT id FROM enterprises WHERE uscc = ?", p, 1,
					     &o), 0);
		pl_strlcpy(f->id[i], pl_json_str(o, "id"), sizeof(f->id[i]));
		json_decref(o);
	}
	must_import(f, PARK_K_CERTIFICATIONS, CERTS);
	must_import(f, PARK_K_YEARLY, YEARLY);
	must_import(f, PARK_K_PROJECTS, PROJECTS);
}

/* ------------------------------------------------------ import rules */

struct rule_case {
	const char *name;
	enum park_kind kind;
	const char *csv;
	int64_t row;          /* the first error's row */
	const char *field;    /* its field, NULL for a whole-row error */
	const char *reason;   /* substring of its reason */
};

#define YH "uscc,year,revenue,industrial_output,rd_spending,high_tech_output,high_tech_product_revenue\n"
#define CH "uscc,type,cert_no,valid_from,valid_to\n"
#define PH "uscc,name,type,investment,status,started_on,accepted_on\n"
static const struct rule_case rules[] = {
	{ "malformed quoting", PARK_K_YEARLY, YH "@1,2025,1,1,0,0,0\n\"@1,2024,1,1,0,0,0\n", 3, NULL,
	  "not closed" },
	{ "wrong field count", PARK_K_YEARLY, YH "@1,2025,1,1,0,0\n", 2, NULL, "6 fields" },
	{ "unknown column", PARK_K_YEARLY, "uscc,year,profit\n", 1, "profit", "unknown column" },
	{ "missing column", PARK_K_YEARLY, "uscc,year\n@1,2025\n", 1, "revenue", "missing" },
	{ "empty file", PARK_K_YEARLY, "", 1, NULL, "empty" },
	{ "header only", PARK_K_YEARLY, YH, 1, NULL, "no rows" },
	{ "bad credit code", PARK_K_ENTERPRISES, "uscc,name_zh\n9150010212345,某公司\n", 2,
	  "uscc", "18" },
	{ "duplicate credit code in file", PARK_K_ENTERPRISES,
	  "uscc,name_zh\n@1,甲\n@1,甲二\n", 3, "uscc", "also on row 2" },
	{ "credit code of another enterprise", PARK_K_ENTERPRISES,
	  "id,uscc,name_zh\n%ID2%,@1,冒用\n", 2, "uscc", "another enterprise" },
	{ "negative figure", PARK_K_YEARLY, YH "@1,2023,-5,10,0,0,0\n", 2, "revenue", "negative" },
	{ "not a number", PARK_K_YEARLY, YH "@1,2023,12.5,10,0,0,0\n", 2, "revenue", "whole number" },
	{ "rd larger than revenue", PARK_K_YEARLY, YH "@1,2023,100,100,101,0,0\n", 2, "rd_spending",
	  "larger than revenue" },
	{ "high-tech output larger than output", PARK_K_YEARLY, YH "@1,2023,100,100,0,101,0\n", 2,
	  "high_tech_output", "larger than industrial_output" },
	{ "high-tech product revenue larger than revenue", PARK_K_YEARLY,
	  YH "@1,2023,100,100,0,0,101\n", 2, "high_tech_product_revenue", "larger than revenue" },
	{ "year before 1949", PARK_K_YEARLY, YH "@1,1948,1,1,0,0,0\n", 2, "year", "1949" },
	{ "year in the future", PARK_K_YEARLY, YH "@1,2027,1,1,0,0,0\n", 2, "year", "1949" },
	{ "duplicate enterprise and year", PARK_K_YEARLY, YH "@1,2023,1,1,0,0,0\n@1,2023,2,2,0,0,0\n",
	  3, "year", "also on row 2" },
	{ "unknown enterprise", PARK_K_YEARLY, YH "@3,2023,1,1,0,0,0\n91500102MA5U4QXR7F,2023,1,1,0,0,0\n",
	  3, "uscc", "unknown enterprise" },
	{ "date before 1949", PARK_K_CERTIFICATIONS, CH "@1,high_tech,X1,1948-12-31,2030-01-01\n", 2,
	  "valid_from", "out of range" },
	{ "date after today + 50 years", PARK_K_CERTIFICATIONS,
	  CH "@1,high_tech,X1,2020-01-01,2076-06-30\n", 2, "valid_to", "out of range" },
	{ "not a calendar date", PARK_K_CERTIFICATIONS, CH "@1,high_tech,X1,2025-02-29,2026-01-01\n",
	  2, "valid_from", "not a date" },
	{ "valid_to before valid_from", PARK_K_CERTIFICATIONS,
	  CH "@1,high_tech,X1,2025-01-02,2025-01-01\n", 2, "valid_to", "before valid_from" },
	{ "unknown certificate type", PARK_K_CERTIFICATIONS, CH "@1,gold,X1,2025-01-01,2025-12-31\n",
	  2, "type", "tech_sme" },
	{ "accepted without a date", PARK_K_PROJECTS,
	  PH "@1,新项目,smart_factory,1,accepted,2025-01-01,\n", 2, "accepted_on", "required" },
	{ "accepted before started", PARK_K_PROJECTS,
	  PH "@1,新项目,smart_factory,1,accepted,2025-01-01,2024-12-31\n", 2, "accepted_on",
	  "before started_on" },
	{ "unknown project status", PARK_K_PROJECTS,
	  PH "@1,新项目,smart_factory,1,done,2025-01-01,\n", 2, "status", "planned" },
	{ "control characters in a name", PARK_K_PROJECTS,
	  PH "@1,新\x01项目,smart_factory,1,planned,2025-01-01,\n", 2, "name", "control" },
};

static int64_t table_sum(struct fix *f)
{
	return count(f, "enterprises") * 1000000 + count(f, "certifications") * 10000 +
	       count(f, "park_yearly") * 100 + count(f, "park_projects");
}

TENV_TEST_OPTS(park_registry, import_rules, .timeout = 120)
{
	struct fix f;
	fix_open(&f, d, true);
	int64_t before = table_sum(&f);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule_case *t = &rules[i];
		json_t *errors = NULL;
		int64_t n = -1;
		/* %ID2% stands for enterprise 2's id */
		struct pl_buf csv;
		pl_buf_init(&csv, 4096);
		const char *at = strstr(t->csv, "%ID2%");
		if (at) {
			pl_buf_append(&csv, t->csv, (size_t)(at - t->csv));
			pl_buf_puts(&csv, f.id[2]);
			pl_buf_puts(&csv, at + 5);
		} else {
			pl_buf_puts(&csv, t->csv);
		}
		int rc = imp(&f, &sys, t->kind, csv.data ? csv.data : "", &errors, &n);
		pl_buf_release(&csv);
		cr_expect_eq(rc, PL_EINVAL, "%s: rc %d", t->name, rc);
		json_t *e0 = json_array_get(errors, 0);
		char *s = errors ? pl_json_dump(errors) : pl_strdup("(none)");
		cr_expect(e0 != NULL, "%s: no errors", t->name);
		if (e0) {
			cr_expect_eq(json_integer_value(json_object_get(e0, "row")), t->row, "%s: %s",
				     t->name, s);
			const char *field = pl_json_str(e0, "field");
			if (t->field)
				cr_expect(field && !strcmp(field, t->field), "%s: %s", t->name, s);
			else
				cr_expect(json_is_null(json_object_get(e0, "field")), "%s: %s", t->name, s);
			cr_expect(strstr(pl_json_str(e0, "reason"), t->reason), "%s: %s", t->name, s);
		}
		free(s);
		json_decref(errors);
		cr_expect_eq(table_sum(&f), before, "%s: a refused import changed rows", t->name);
	}
	tenv_close(&f.e);
}

/* Updating enterprises from a file without the optional columns keeps
 * their values; an empty cell in a column the file has clears it. */
TENV_TEST(park_registry, enterprise_update_keeps_absent_columns)
{
	struct fix f;
	json_t *o = NULL;
	fix_open(&f, d, true);
	must_import(&f, PARK_K_ENTERPRISES, "uscc,name_zh\n@1,甲科技股份有限公司\n");
	must_import(&f, PARK_K_ENTERPRISES, "uscc,name_zh,address\n@2,乙制造有限公司,\n");
	struct store_param p[] = { SP_TEXT(f.id[1]), SP_TEXT(f.id[2]) };
	cr_assert_eq(store_query_json(f.e.c, "SELECT name_zh, name_en, industry, address, in_production"
				      " FROM enterprises WHERE id IN (?, ?) ORDER BY uscc", p, 2, 10, &o), 0);
	json_t *a = json_array_get(o, 0), *b = json_array_get(o, 1);
	cr_expect_str_eq(pl_json_str(a, "name_zh"), "甲科技股份有限公司");
	cr_expect_str_eq(pl_json_str(a, "name_en"), "Alpha Tech");
	cr_expect_str_eq(pl_json_str(a, "address"), "涪陵区1号, 北楼");
	cr_expect_eq(json_integer_value(json_object_get(a, "in_production")), 1);
	cr_expect_str_eq(pl_json_str(b, "industry"), "装备制造");
	cr_expect(json_is_null(json_object_get(b, "address")));
	json_decref(o);
	tenv_close(&f.e);
}

/* A good row before a bad one: nothing is stored, every bad row listed,
 * and the list is capped at 100. */
TENV_TEST_OPTS(park_registry, all_or_nothing_and_cap, .timeout = 120)
{
	struct fix f;
	struct pl_buf b;
	json_t *errors = NULL;
	int64_t n;
	fix_open(&f, d, true);
	int64_t before = table_sum(&f);
	pl_buf_init(&b, 1u << 20);
	pl_buf_puts(&b, YH "@1,2023,10,10,1,1,1\n");
	for (int i = 0; i < 150; i++)
		pl_buf_printf(&b, "@1,%d,-1,10,1,1,1\n", 1950 + i);
	cr_assert_eq(imp(&f, &sys, PARK_K_YEARLY, b.data, &errors, &n), PL_EINVAL);
	cr_expect_eq(json_array_size(errors), PARK_IMPORT_ERRORS_MAX);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(errors, 0), "row")), 3);
	cr_expect_eq(table_sum(&f), before);
	json_decref(errors);
	pl_buf_release(&b);
	tenv_close(&f.e);
}

/* ----------------------------------------------- indicator arithmetic */

struct ind_case {
	const char *date;
	int year;
	const char *key;
	int64_t num, den;
	double value;         /* -1: null */
};

/* Worked by hand from CERTS / YEARLY / PROJECTS above (3 enterprises):
 *  - 甲 high_tech 2024-01-01..2026-12-31 and tech_sme 2025; 乙 tech_sme
 *    only in June 2025; 丙 specialized 2020..2030;
 *  - 2025: revenue 1000+3000, rd 50+90 = 3.5 %; output 2000+1000, high-tech
 *    output 1500 = 50.0 %; high-tech product revenue 400 = 10.0 %;
 *    2024: 甲 alone: rd 40/800 = 5.0 %, 800/1600 = 50.0 %, 200/800 = 25.0 %;
 *  - projects: 3 in all, 3.7 亿元; the workshop of 乙 accepted 2025-06-15. */
static const struct ind_case inds[] = {
	{ "2025-06-15", 2025, "tech_enterprises", 2, 3, 2 },
	{ "2025-06-01", 2025, "tech_enterprises", 2, 3, 2 },  /* 乙's first day */
	{ "2025-05-31", 2025, "tech_enterprises", 1, 3, 1 },  /* the day before */
	{ "2025-06-30", 2025, "tech_enterprises", 2, 3, 2 },  /* 乙's last day */
	{ "2025-07-01", 2025, "tech_enterprises", 1, 3, 1 },  /* the day after */
	{ "2023-12-31", 2025, "tech_enterprises", 0, 3, 0 },
	{ "2024-01-01", 2025, "high_tech_enterprises", 1, 3, 1 },
	{ "2026-12-31", 2025, "high_tech_enterprises", 1, 3, 1 },
	{ "2027-01-01", 2025, "high_tech_enterprises", 0, 3, 0 },
	{ "2025-06-15", 2025, "specialized_enterprises", 1, 3, 1 },
	{ "2025-06-15", 2025, "rd_intensity", 140, 4000, 3.5 },
	{ "2025-06-15", 2025, "high_tech_output_share", 1500, 3000, 50.0 },
	{ "2025-06-15", 2025, "high_tech_product_revenue_share", 400, 4000, 10.0 },
	{ "2025-06-15", 2024, "rd_intensity", 40, 800, 5.0 },
	{ "2025-06-15", 2024, "high_tech_product_revenue_share", 200, 800, 25.0 },
	{ "2025-06-15", 2019, "rd_intensity", 0, 0, -1 },
	{ "2025-06-15", 2025, "smart_enterprises", 2, 3, 2 },
	{ "2024-06-01", 2025, "smart_enterprises", 1, 3, 1 },
	{ "2025-06-15", 2025, "smart_projects", 3, 3, 3 },
	{ "2024-12-31", 2025, "smart_projects", 1, 3, 1 },
	{ "2025-06-15", 2025, "smart_investment", 370000000, 100000000, 3.7 },
	{ "2025-06-15", 2025, "smart_factories", 1, 1, 1 },
	{ "2025-02-28", 2025, "smart_factories", 0, 1, 0 },
	{ "2025-06-15", 2025, "digital_workshops", 1, 2, 1 },
	{ "2025-06-14", 2025, "digital_workshops", 0, 2, 0 },
};

static json_t *find_ind(json_t *out, const char *key)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(out, "indicators"), i, it)
		if (!strcmp(pl_json_str(it, "key"), key))
			return it;
	return NULL;
}

TENV_TEST_OPTS(park_registry, indicator_arithmetic, .timeout = 120)
{
	struct fix f;
	fix_open(&f, d, true);
	for (size_t i = 0; i < sizeof(inds) / sizeof(inds[0]); i++) {
		const struct ind_case *t = &inds[i];
		json_t *out = NULL;
		cr_assert_eq(park_indicators(f.e.c, t->date, t->year, &out), 0);
		json_t *x = find_ind(out, t->key);
		cr_assert(x, "%s missing", t->key);
		cr_expect_eq(json_integer_value(json_object_get(x, "numerator")), t->num,
			     "%s on %s/%d: numerator", t->key, t->date, t->year);
		cr_expect_eq(json_integer_value(json_object_get(x, "denominator")), t->den,
			     "%s on %s/%d: denominator", t->key, t->date, t->year);
		json_t *v = json_object_get(x, "value");
		if (t->value < 0)
			cr_expect(json_is_null(v), "%s: value not null", t->key);
		else
			cr_expect(json_number_value(v) > t->value - 1e-9 &&
				  json_number_value(v) < t->value + 1e-9, "%s on %s/%d: value %g, want %g",
				  t->key, t->date, t->year, json_number_value(v), t->value);
		/* the rows behind a count are exactly the count */
		if (json_is_integer(v) && strcmp(t->key, "smart_projects")) {
			json_t *rows = NULL;
			cr_assert_eq(park_indicator_rows(f.e.c, t->key, t->date, t->year, &rows), 0);
			cr_expect_eq((int64_t)json_array_size(json_object_get(rows, "rows")), t->num,
				     "%s rows on %s", t->key, t->date);
			json_decref(rows);
		}
		json_decref(out);
	}
	/* the trend covers the years with figures, oldest first */
	json_t *out = NULL;
	cr_assert_eq(park_indicators(f.e.c, "2025-06-15", 0, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "year")), 2025);
	json_t *trend = json_object_get(out, "trend");
	cr_assert_eq(json_array_size(trend), 2);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(trend, 0), "year")), 2024);
	json_decref(out);
	json_t *rows = NULL;
	cr_expect_eq(park_indicator_rows(f.e.c, "nope", NULL, 0, &rows), PL_ENOTFOUND);
	cr_expect_eq(park_indicators(f.e.c, "2025-13-01", 0, &out), PL_EINVAL);
	tenv_close(&f.e);
}

/* ---------------------------------------------------------- round trip */

TENV_TEST_OPTS(park_registry, export_round_trip, .timeout = 120)
{
	struct fix f;
	fix_open(&f, d, true);
	for (int k = 0; k < PARK_K_COUNT; k++) {
		struct pl_buf a, b;
		json_t *errors = NULL;
		int64_t n = 0, rows_before = table_sum(&f);
		pl_buf_init(&a, 1u << 20);
		pl_buf_init(&b, 1u << 20);
		cr_assert_eq(park_export(f.e.c, NULL, (enum park_kind)k, &a), 0);
		cr_assert_eq(store_begin(f.e.c), 0);
		int rc = park_import(f.e.c, &sys, (enum park_kind)k, a.data, a.len, NOW_MS, &errors, &n);
		char *s = errors ? pl_json_dump(errors) : NULL;
		cr_assert_eq(rc, 0, "%s: %s", park_kind_name((enum park_kind)k), s ? s : "");
		free(s);
		cr_assert_eq(store_commit(f.e.c), 0);
		cr_expect_eq(table_sum(&f), rows_before, "%s: re-import added rows",
			     park_kind_name((enum park_kind)k));
		cr_assert_eq(park_export(f.e.c, NULL, (enum park_kind)k, &b), 0);
		cr_expect_eq(a.len, b.len);
		cr_expect(a.len == b.len && !memcmp(a.data, b.data, a.len), "%s differs:\n%s\n---\n%s",
			  park_kind_name((enum park_kind)k), a.data, b.data);
		pl_buf_release(&a);
		pl_buf_release(&b);
	}
	tenv_close(&f.e);
}

/* -------------------------------------------------------------- tenancy */

TENV_TEST_OPTS(park_registry, tenancy, .timeout = 120)
{
	struct fix f;
	struct auth_principal ent;
	json_t *out = NULL, *errors = NULL;
	int64_t n;
	fix_open(&f, d, true);
	memset(&ent, 0, sizeof(ent));
	ent.role = AUTH_ROLE_ENTERPRISE;
	pl_strlcpy(ent.user_id, "01HZZZZZZZZZZZZZZZZZZZZZZZ", sizeof(ent.user_id));
	pl_strlcpy(ent.enterprise_id, f.id[1], sizeof(ent.enterprise_id));
	struct park_actor a = { &ent, NULL, NULL };

	/* its own rows: yes; another's: "unknown", exactly like a missing one */
	cr_expect_eq(imp(&f, &a, PARK_K_YEARLY, YH "@1,2023,10,10,1,1,1\n@1,2022,9,9,1,1,1\n",
			 &errors, &n), 0);
	cr_expect_eq(n, 2, "imported %lld rows", (long long)n);
	cr_expect_eq(imp(&f, &a, PARK_K_YEARLY, YH "@2,2023,10,10,1,1,1\n", &errors, &n), PL_EINVAL);
	cr_expect(strstr(pl_json_str(json_array_get(errors, 0), "reason"), "unknown enterprise"));
	json_decref(errors);
	errors = NULL;
	/* it may not add enterprises */
	cr_expect_eq(imp(&f, &a, PARK_K_ENTERPRISES, "uscc,name_zh\n91500102MA5U4QXR7F,新公司\n",
			 &errors, &n), PL_EINVAL);
	json_decref(errors);
	errors = NULL;
	/* reads: list, profile, export */
	struct park_ent_query q = { NULL, NULL, -1, 50, 0, "2025-06-15" };
	cr_assert_eq(park_enterprise_list(f.e.c, &ent, &q, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "total")), 1);
	json_decref(out);
	cr_expect_eq(park_enterprise_get(f.e.c, &ent, f.id[2], "2025-06-15", &out), PL_ENOTFOUND);
	cr_assert_eq(park_enterprise_get(f.e.c, &ent, f.id[1], "2025-06-15", &out), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "certifications")), 2);
	json_decref(out);
	struct pl_buf b;
	pl_buf_init(&b, 1u << 20);
	cr_assert_eq(park_export(f.e.c, &ent, PARK_K_YEARLY, &b), 0);
	cr_expect(strstr(b.data, f.u[1]) && !strstr(b.data, f.u[2]));
	pl_buf_release(&b);
	/* an auditor reads everything and writes nothing */
	ent.role = AUTH_ROLE_AUDITOR;
	ent.enterprise_id[0] = '\0';
	cr_assert_eq(park_enterprise_list(f.e.c, &ent, &q, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "total")), 3);
	json_decref(out);
	cr_expect_eq(imp(&f, &a, PARK_K_YEARLY, YH "@1,2023,10,10,1,1,1\n", &errors, &n),
		     PL_EFORBIDDEN);
	/* a specialist reads the enterprises assigned to it, and no others */
	char uid[PL_ID_LEN + 1], aid[PL_ID_LEN + 1];
	pl_id_new(uid);
	pl_id_new(aid);
	struct store_param pu[] = { SP_TEXT(uid) };
	cr_assert_eq(store_exec(f.e.c, "INSERT INTO users (id, username, display_name, password_hash,"
				" role, created_at, updated_at) VALUES (?, 'zy_test', '专员', '!',"
				" 'specialist', 'x', 'x')", pu, 1, NULL), 0);
	struct store_param pa[] = { SP_TEXT(aid), SP_TEXT(f.id[2]), SP_TEXT(uid) };
	cr_assert_eq(store_exec(f.e.c, "INSERT INTO assignments (id, enterprise_id, specialist_id,"
				" started_at) VALUES (?, ?, ?, 'x')", pa, 3, NULL), 0);
	ent.role = AUTH_ROLE_SPECIALIST;
	pl_strlcpy(ent.user_id, uid, sizeof(ent.user_id));
	cr_assert_eq(park_enterprise_list(f.e.c, &ent, &q, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "total")), 1);
	cr_expect_str_eq(pl_json_str(json_array_get(json_object_get(out, "items"), 0), "id"), f.id[2]);
	json_decref(out);
	cr_expect_eq(park_enterprise_get(f.e.c, &ent, f.id[1], "2025-06-15", &out), PL_ENOTFOUND);
	cr_assert_eq(park_enterprise_get(f.e.c, &ent, f.id[2], "2025-06-15", &out), 0);
	json_decref(out);
	cr_expect_eq(imp(&f, &a, PARK_K_YEARLY, YH "@2,2023,10,10,1,1,1\n", &errors, &n),
		     PL_EFORBIDDEN);
	/* filters: cert valid on the date, in production */
	ent.role = AUTH_ROLE_PARK_ADMIN;
	struct park_ent_query q2 = { NULL, PARK_CERT_TECH_SME, -1, 50, 0, "2025-06-15" };
	cr_assert_eq(park_enterprise_list(f.e.c, &ent, &q2, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "total")), 2);
	json_decref(out);
	struct park_ent_query q3 = { "丙", NULL, 0, 50, 0, "2025-06-15" };
	cr_assert_eq(park_enterprise_list(f.e.c, &ent, &q3, &out), 0);
	cr_expect_eq(json_integer_value(json_object_get(out, "total")), 1);
	json_decref(out);
	tenv_close(&f.e);
}

/* --------------------------------------------------------------- demo */

TENV_TEST_OPTS(park_registry, demo_reproduces_article, .timeout = 180)
{
	static const struct { const char *key; double value; } want[] = {
		{ "tech_enterprises", 138 }, { "high_tech_enterprises", 102 },
		{ "rd_intensity", 4.6 }, { "high_tech_output_share", 53.6 },
		{ "high_tech_product_revenue_share", 38.4 }, { "smart_enterprises", 33 },
		{ "smart_projects", 72 }, { "smart_investment", 6.7 }, { "smart_factories", 5 },
		{ "digital_workshops", 22 },
	};
	struct fix f;
	char a[PL_ID_LEN + 1], b[PL_ID_LEN + 1], today[11];
	json_t *out = NULL;
	int64_t now = pl_time_now_ms();
	fix_open(&f, d, false);
	/* auth's two demo enterprises, as auth_demo_seed makes them */
	pl_id_new(a);
	pl_id_new(b);
	struct store_param p[] = { SP_TEXT(a), SP_TEXT(AUTH_DEMO_USCC_1), SP_TEXT(b),
				   SP_TEXT(AUTH_DEMO_USCC_2) };
	cr_assert_eq(store_exec(f.e.c, "INSERT INTO enterprises (id, name_zh, uscc, created_at,"
				" updated_at) VALUES (?, '重庆太极制药有限公司', ?, 'x', 'x'), (?,"
				" '华兰生物疫苗有限公司', ?, 'x', 'x')", p, 4, NULL), 0);
	store_conn_put(f.e.c);
	f.e.c = NULL;
	int64_t t0 = pl_time_mono_ns();
	cr_assert_eq(park_demo_seed(f.e.st, now, NULL), 0);
	int64_t ms = (pl_time_mono_ns() - t0) / 1000000;
	cr_log_info("park demo seed (%s): %lld ms", d->pg ? "postgresql" : "sqlite", (long long)ms);
	cr_expect_lt(ms, 2000, "demo seed took %lld ms", (long long)ms);
	cr_assert_eq(park_demo_seed(f.e.st, now, NULL), 0); /* idempotent */
	cr_assert_eq(store_conn_get(f.e.st, &f.e.c), 0);
	cr_expect_eq(count(&f, "park_projects"), 72);
	cr_expect_eq(count(&f, "users"), 200);
	park_date_of(now, today);
	cr_assert_eq(park_indicators(f.e.c, today, 0, &out), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *x = find_ind(out, want[i].key);
		cr_assert(x);
		double v = json_number_value(json_object_get(x, "value"));
		cr_expect(v > want[i].value - 1e-9 && v < want[i].value + 1e-9, "%s = %g, want %g",
			  want[i].key, v, want[i].value);
	}
	json_t *lg = find_ind(out, "port_to_plant_days");
	cr_expect_eq(json_integer_value(json_object_get(lg, "denominator")), 6);
	cr_expect_lt(json_number_value(json_object_get(lg, "value")), 30.0);
	cr_expect_eq(json_integer_value(json_object_get(out, "year")),
		     (today[0] - '0') * 1000 + (today[1] - '0') * 100 + (today[2] - '0') * 10 +
		     (today[3] - '0') - 1);
	json_decref(out);
	/* the demo's own rows pass the import rules: export and re-import */
	for (int k = 0; k < PARK_K_COUNT; k++) {
		struct pl_buf buf;
		json_t *errors = NULL;
		int64_t n;
		pl_buf_init(&buf, 8u << 20);
		cr_assert_eq(park_export(f.e.c, NULL, (enum park_kind)k, &buf), 0);
		cr_assert_eq(store_begin(f.e.c), 0);
		int rc = park_import(f.e.c, &sys, (enum park_kind)k, buf.data, buf.len, now, &errors, &n);
		char *s = errors ? pl_json_dump(errors) : NULL;
		cr_expect_eq(rc, 0, "%s: %.400s", park_kind_name((enum park_kind)k), s ? s : "");
		free(s);
		json_decref(errors);
		store_rollback(f.e.c);
		pl_buf_release(&buf);
	}
	tenv_close(&f.e);
}
