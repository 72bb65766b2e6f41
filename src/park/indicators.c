/*
 * indicators.c - the park's figures, computed from the registry on every
 * read and never stored (issue 7: "computed, never typed in"). Each figure
 * is one row of the table below: the SQL of its numerator, of its
 * denominator and of the rows it counts, so the number on the dashboard,
 * the fraction behind it and the list behind that cannot disagree.
 *
 * Definitions (docs/park.md has them in words):
 *  - certification counts are on date D: a certificate counts iff
 *    valid_from <= D <= valid_to (both ends inclusive);
 *  - 科技型企业 (tech_enterprises) is an enterprise holding a valid
 *    科技型中小企业 or 高新技术企业 certificate: the article's 138 includes
 *    its 102 高新技术企业;
 *  - ratios are over the yearly figures of year Y of every enterprise that
 *    reported that year, value = numerator / denominator in percent to one
 *    decimal (null when the denominator is 0);
 *  - projects count when started on or before D; smart factories and
 *    digital workshops when accepted (验收) on or before D.
 * The trend evaluates the same table for every year with figures, with D
 * the year's last day (or today, for the current year).
 *
 * Work limits: three queries per figure (two for the value, none for
 * rows), 12 figures, and the trend repeats that per year (at most
 * PARK_TREND_YEARS years).
 */
#include "park/park.h"
#include "park/share.h"

#include <math.h>
#include <string.h>

#define PARK_TREND_YEARS 20
#define PARK_ROWS_MAX 5000

/* How a query binds its parameters. */
enum ind_params { IP_NONE, IP_D, IP_DD, IP_Y };
enum ind_value { IV_COUNT, IV_PCT, IV_YI, IV_DAYS };

struct ind {
	const char *key, *label_zh, *label_en, *unit;
	enum ind_value vk;
	const char *num; enum ind_params num_p;
	const char *den; enum ind_params den_p;
	const char *rows; enum ind_params rows_p;
};

/* An uncorrelated IN: one range scan of certifications_type_idx, not one
 * per enterprise (a correlated EXISTS made the indicators 10x slower). */
#define CERT_VALID(types) \
	"e.id IN (SELECT x.enterprise_id FROM certifications x WHERE x.type IN " \
	types " AND x.valid_from <= ? AND x.valid_to >= ?)"
#define ENT_ROWS(types) \
	"SELECT e.id AS enterprise_id, e.name_zh, e.uscc, e.industry FROM enterprises e WHERE " \
	CERT_VALID(types) " ORDER BY e.name_zh, e.id"
#define SUM_Y(col) "SELECT CAST(COALESCE(SUM(" col "), 0) AS BIGINT) FROM park_yearly WHERE year = ?"
#define YEAR_ROWS(a, b) \
	"SELECT y.enterprise_id, e.name_zh, e.uscc, y.year, y." a ", y." b " FROM park_yearly y" \
	" JOIN enterprises e ON e.id = y.enterprise_id WHERE y.year = ? ORDER BY e.name_zh, e.id"
#define PROJ_ROWS(cond) \
	"SELECT p.enterprise_id, e.name_zh, p.name, p.type, p.investment, p.status, p.started_on," \
	" p.accepted_on FROM park_projects p JOIN enterprises e ON e.id = p.enterprise_id WHERE " \
	cond " ORDER BY e.name_zh, p.name"

static const struct ind park__ind[] = {
	{ "tech_enterprises", "科技型企业", "Technology enterprises", "家", IV_COUNT,
	  "SELECT count(*) FROM enterprises e WHERE " CERT_VALID("('tech_sme','high_tech')"), IP_DD,
	  "SELECT count(*) FROM enterprises", IP_NONE,
	  ENT_ROWS("('tech_sme','high_tech')"), IP_DD },
	{ "high_tech_enterprises", "有效期内高新技术企业", "Certified high-tech enterprises", "家",
	  IV_COUNT,
	  "SELECT count(*) FROM enterprises e WHERE " CERT_VALID("('high_tech')"), IP_DD,
	  "SELECT count(*) FROM enterprises", IP_NONE, ENT_ROWS("('high_tech')"), IP_DD },
	{ "specialized_enterprises", "专精特新企业", "Specialised SMEs (专精特新)", "家", IV_COUNT,
	  "SELECT count(*) FROM enterprises e WHERE " CERT_VALID("('specialized')"), IP_DD,
	  "SELECT count(*) FROM enterprises", IP_NONE, ENT_ROWS("('specialized')"), IP_DD },
	{ "rd_intensity", "科研投入占比", "R&D spending / revenue", "%", IV_PCT,
	  SUM_Y("rd_spending"), IP_Y, SUM_Y("revenue"), IP_Y,
	  YEAR_ROWS("rd_spending", "revenue"), IP_Y },
	{ "high_tech_output_share", "高新技术产值占比", "High-tech share of industrial output", "%",
	  IV_PCT, SUM_Y("high_tech_output"), IP_Y, SUM_Y("industrial_output"), IP_Y,
	  YEAR_ROWS("high_tech_output", "industrial_output"), IP_Y },
	{ "high_tech_product_revenue_share", "高新技术产品收入占比",
	  "High-tech product revenue / revenue", "%", IV_PCT,
	  SUM_Y("high_tech_product_revenue"), IP_Y, SUM_Y("revenue"), IP_Y,
	  YEAR_ROWS("high_tech_product_revenue", "revenue"), IP_Y },
	{ "smart_enterprises", "实施智能化改造企业", "Enterprises with smart-transformation projects",
	  "家", IV_COUNT,
	  "SELECT count(DISTINCT enterprise_id) FROM park_projects WHERE started_on <= ?", IP_D,
	  "SELECT count(*) FROM enterprises", IP_NONE,
	  "SELECT p.enterprise_id, e.name_zh, e.uscc, count(*) AS projects,"
	  " CAST(SUM(p.investment) AS BIGINT) AS investment FROM park_projects p JOIN enterprises e"
	  " ON e.id = p.enterprise_id WHERE p.started_on <= ? GROUP BY p.enterprise_id, e.name_zh,"
	  " e.uscc ORDER BY e.name_zh, p.enterprise_id", IP_D },
	{ "smart_projects", "智能化改造项目", "Smart-transformation projects", "个", IV_COUNT,
	  "SELECT count(*) FROM park_projects WHERE started_on <= ?", IP_D,
	  "SELECT count(*) FROM park_projects", IP_NONE,
	  PROJ_ROWS("p.started_on <= ?"), IP_D },
	{ "smart_investment", "智能化改造投资", "Smart-transformation investment", "亿元", IV_YI,
	  "SELECT CAST(COALESCE(SUM(investment), 0) AS BIGINT) FROM park_projects WHERE started_on <= ?",
	  IP_D, "SELECT CAST(100000000 AS BIGINT)", IP_NONE,
	  PROJ_ROWS("p.started_on <= ?"), IP_D },
	{ "smart_factories", "智能工厂", "Smart factories (accepted)", "个", IV_COUNT,
	  "SELECT count(*) FROM park_projects WHERE type = 'smart_factory' AND status = 'accepted'"
	  " AND accepted_on <= ?", IP_D,
	  "SELECT count(*) FROM park_projects WHERE type = 'smart_factory'", IP_NONE,
	  PROJ_ROWS("p.type = 'smart_factory' AND p.status = 'accepted' AND p.accepted_on <= ?"), IP_D },
	{ "digital_workshops", "数字化车间", "Digital workshops (accepted)", "个", IV_COUNT,
	  "SELECT count(*) FROM park_projects WHERE type = 'digital_workshop' AND status = 'accepted'"
	  " AND accepted_on <= ?", IP_D,
	  "SELECT count(*) FROM park_projects WHERE type = 'digital_workshop'", IP_NONE,
	  PROJ_ROWS("p.type = 'digital_workshop' AND p.status = 'accepted' AND p.accepted_on <= ?"),
	  IP_D },
	/* computed by logistics.c; the SQL fields are unused */
	{ "port_to_plant_days", "区港联动平均通关天数", "Port-to-plant days (average)", "天", IV_DAYS,
	  NULL, IP_NONE, NULL, IP_NONE, NULL, IP_NONE },
};
#define PARK_NIND (sizeof(park__ind) / sizeof(park__ind[0]))

static size_t ind__bind(enum ind_params pk, const char *date, int year, struct store_param *p)
{
	switch (pk) {
	case IP_D: p[0] = SP_TEXT(date); return 1;
	case IP_DD: p[0] = SP_TEXT(date); p[1] = SP_TEXT(date); return 2;
	case IP_Y: p[0] = SP_INT(year); return 1;
	case IP_NONE: break;
	}
	return 0;
}

static int ind__scalar(struct store_conn *c, const char *sql, enum ind_params pk,
		       const char *date, int year, int64_t *out)
{
	struct store_param p[2];
	struct store_rows *r = NULL;
	size_t np = ind__bind(pk, date, year, p);
	int rc = store_query(c, sql, p, np, &r);
	*out = 0;
	if (rc == 0 && (rc = store_rows_next(r)) == 1) {
		*out = store_rows_int(r, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = PL_EDB;
	}
	store_rows_free(r);
	return rc;
}

/* Year range [Y-01-01, Y+1-01-01) in ms. */
static void ind__year_ms(int year, int64_t *from, int64_t *to)
{
	char s[32];
	pl_fmt(s, sizeof(s), "%04d-01-01T00:00:00Z", year);
	pl_time_parse(s, from);
	pl_fmt(s, sizeof(s), "%04d-01-01T00:00:00Z", year + 1);
	pl_time_parse(s, to);
}

/* One figure: *value (new reference), numerator, denominator (as JSON). */
static int ind__eval(struct store_conn *c, const struct ind *d, const char *date, int year,
		     json_t **value, json_t **num, json_t **den, json_t **extra)
{
	int64_t n = 0, m = 0;
	int rc;

	*value = *num = *den = NULL;
	if (extra)
		*extra = NULL;
	if (d->vk == IV_DAYS) {
		json_t *lg = NULL;
		int64_t from, to;
		ind__year_ms(year, &from, &to);
		if ((rc = park_logistics(c, from, to, &lg)))
			return rc;
		*value = json_incref(json_object_get(lg, "average_days"));
		*num = json_incref(json_object_get(lg, "total_days"));
		*den = json_incref(json_object_get(lg, "count"));
		if (extra)
			*extra = json_incref(json_object_get(lg, "baseline_days"));
		json_decref(lg);
		return 0;
	}
	if ((rc = ind__scalar(c, d->num, d->num_p, date, year, &n)) ||
	    (rc = ind__scalar(c, d->den, d->den_p, date, year, &m)))
		return rc;
	*num = json_integer(n);
	*den = json_integer(m);
	switch (d->vk) {
	case IV_COUNT:
		*value = json_integer(n);
		break;
	case IV_PCT:
		*value = m ? json_real(round((double)n * 1000.0 / (double)m) / 10.0) : json_null();
		break;
	case IV_YI:
		*value = json_real(round((double)n / 1e7) / 10.0);
		break;
	case IV_DAYS:
		break;
	}
	return 0;
}

int park_latest_year(struct store_conn *c, int *out)
{
	int64_t y = 0;
	int rc = ind__scalar(c, "SELECT CAST(COALESCE(MAX(year), 0) AS BIGINT) FROM park_yearly",
			     IP_NONE, NULL, 0, &y);
	*out = (int)y;
	return rc;
}

/* Resolves date ("" or NULL: today) and year (0: latest with data, else
 * the year before date's). */
static int ind__resolve(struct store_conn *c, const char *date, int *year, char d[11])
{
	int rc;
	if (!date || !*date)
		park_date_of(pl_time_now_ms(), d);
	else if (park_date_parse(date, NULL))
		return PL_EINVAL;
	else
		pl_strlcpy(d, date, 11);
	if (*year == 0) {
		if ((rc = park_latest_year(c, year)))
			return rc;
		if (*year == 0)
			*year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
				(d[3] - '0') - 1;
	}
	return 0;
}

int park_indicators(struct store_conn *c, const char *date, int year, json_t **out)
{
	char d[11];
	json_t *list = NULL, *trend = NULL, *years = NULL;
	int rc;

	*out = NULL;
	if ((rc = ind__resolve(c, date, &year, d)))
		return rc;
	list = json_array();
	for (size_t i = 0; i < PARK_NIND; i++) {
		const struct ind *x = &park__ind[i];
		json_t *v, *n, *m, *extra;
		if ((rc = ind__eval(c, x, d, year, &v, &n, &m, &extra)))
			goto out;
		char src[160];
		pl_fmt(src, sizeof(src), "/api/v1/park/indicators/%s/rows?date=%s&year=%d", x->key, d,
		       year);
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:s}", "key", x->key,
				      "label_zh", x->label_zh, "label_en", x->label_en, "value", v,
				      "unit", x->unit, "numerator", n, "denominator", m, "source", src);
		if (extra)
			json_object_set_new(o, "baseline", extra);
		json_array_append_new(list, o);
	}
	/* desk KPIs and shared lines' OEE (share.c): current figures, not in
	 * the trend (the lines' OEE is the running shift's only) */
	if ((rc = park_share_indicators(c, year, list)))
		goto out;
	/* trend: every year with figures, oldest first */
	trend = json_array();
	rc = store_query_json(c, "SELECT DISTINCT year FROM park_yearly ORDER BY year", NULL, 0,
			      PARK_TREND_YEARS, &years);
	if (rc == PL_ETOOBIG)
		rc = 0; /* more years than we chart: the trend shows the first ones */
	if (rc)
		goto out;
	char today[11];
	park_date_of(pl_time_now_ms(), today);
	size_t i;
	json_t *yo;
	json_array_foreach(years, i, yo) {
		int y = (int)json_integer_value(json_object_get(yo, "year"));
		char yd[16];
		pl_fmt(yd, sizeof(yd), "%04d-12-31", y);
		if (strcmp(yd, today) > 0)
			pl_strlcpy(yd, today, sizeof(yd));
		json_t *vals = json_object();
		for (size_t k = 0; k < PARK_NIND; k++) {
			json_t *v, *n, *m;
			if ((rc = ind__eval(c, &park__ind[k], yd, y, &v, &n, &m, NULL))) {
				json_decref(vals);
				goto out;
			}
			json_object_set_new(vals, park__ind[k].key, v);
			json_decref(n);
			json_decref(m);
		}
		json_array_append_new(trend, json_pack("{s:i, s:o}", "year", y, "values", vals));
	}
	*out = json_pack("{s:s, s:i, s:O, s:O}", "date", d, "year", year, "indicators", list,
			 "trend", trend);
out:
	json_decref(list);
	json_decref(trend);
	json_decref(years);
	return rc;
}

int park_indicator_rows(struct store_conn *c, const char *key, const char *date, int year,
			json_t **out)
{
	const struct ind *x = NULL;
	char d[11];
	json_t *rows = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < PARK_NIND; i++)
		if (key && !strcmp(key, park__ind[i].key))
			x = &park__ind[i];
	if (!x && !park_share_is_key(key))
		return PL_ENOTFOUND;
	if ((rc = ind__resolve(c, date, &year, d)))
		return rc;
	if (!x) {
		if ((rc = park_share_rows(c, key, year, &rows)))
			return rc;
		*out = json_pack("{s:s, s:s, s:i, s:o}", "key", key, "date", d, "year", year,
				 "rows", rows);
		return 0;
	}
	if (x->vk == IV_DAYS) {
		json_t *lg = NULL;
		int64_t from, to;
		ind__year_ms(year, &from, &to);
		if ((rc = park_logistics(c, from, to, &lg)))
			return rc;
		rows = json_incref(json_object_get(lg, "shipments"));
		json_decref(lg);
	} else {
		struct store_param p[2];
		size_t np = ind__bind(x->rows_p, d, year, p);
		rc = store_query_json(c, x->rows, p, np, PARK_ROWS_MAX, &rows);
		if (rc)
			return rc;
	}
	*out = json_pack("{s:s, s:s, s:i, s:o}", "key", x->key, "date", d, "year", year,
			 "rows", rows);
	return 0;
}
