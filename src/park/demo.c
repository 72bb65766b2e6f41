/*
 * demo.c - the demo park for `parkline serve --demo`, shaped like the seed
 * article's 涪陵高新区 so that the dashboard, computing everything from
 * rows, reproduces the article's figures for the latest year:
 *   138 科技型企业 of which 102 有效期内高新技术企业; R&D 4.6 % of revenue;
 *   high-tech output 53.6 % of industrial output; high-tech product revenue
 *   38.4 % of revenue; 33 enterprises, 72 smart-transformation projects,
 *   6.7 亿元 invested, 5 smart factories, 22 digital workshops.
 *
 * NOTES ON THE DESIGN
 *  1. Figures are drawn from a fixed pseudo-random sequence (an LCG seeded
 *     with a constant), then park__spread() scales them to the article's
 *     totals exactly: each share is floored and the remainder handed out a
 *     yuan at a time to items with room under their cap (rd_spending under
 *     revenue, high_tech_output under industrial_output), so the sums are
 *     exact integers and every row passes the import rules.
 *  2. Dates are relative to now_ms (certificates valid from about a year
 *     ago for two more years; yearly figures for the three years before
 *     this one), so the figures hold on the day the demo is seeded and for
 *     about two years after; tests pass explicit dates.
 *  3. Speed: one transaction of about 1,600 plain INSERTs; the 200
 *     specialist accounts get a password_hash that is not an Argon2 string
 *     ("!" - auth_password_verify refuses it), so no hashing happens and
 *     nobody can log in as them. The existing demo accounts are untouched.
 *  4. Idempotent: nothing is done when the demo's third enterprise exists.
 */
#include "park/park.h"
#include "desk/desk.h"
#include "trace/trace.h"

#include <string.h>

#define DEMO_N 240           /* enterprises, auth's two included */
#define DEMO_PROD 152        /* in production: indices 0..151 */
#define DEMO_HIGH_TECH 102   /* valid 高新技术企业: indices 0..101 */
#define DEMO_TECH 138        /* valid 高新 or 科技型中小: indices 0..137 */
#define DEMO_SPECIALISTS 200
#define DEMO_PROJ 72
#define DEMO_PROJ_ENTS 33
#define DAY_MS 86400000LL

struct demo_ent {
	char id[PL_ID_LEN + 1];
	char uscc[DESK_USCC_LEN + 1];
	char name_zh[128], name_en[160];
	const char *industry;
	int64_t revenue[3], output[3];
};

static uint64_t demo__rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* Spreads total over n items in proportion to w (>= 0), each at most
 * cap[i] (cap NULL: no cap); out[i] sums to total exactly (NOTES 1).
 * Returns false when the caps cannot hold the total. */
static bool park__spread(int64_t total, const double *w, const int64_t *cap, size_t n,
			 int64_t *out)
{
	double wsum = 0;
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		wsum += w[i];
	for (size_t i = 0; i < n; i++) {
		out[i] = wsum > 0 ? (int64_t)((double)total * w[i] / wsum) : 0;
		if (cap && out[i] > cap[i])
			out[i] = cap[i];
		sum += out[i];
	}
	/* hand out the rest: big steps first, then single yuan */
	for (int pass = 0; pass < 2 && sum != total; pass++)
		for (size_t i = 0; i < n && sum != total; i++) {
			if (w[i] <= 0)
				continue;
			int64_t room = cap ? cap[i] - out[i] : total - sum;
			int64_t give = total - sum;
			if (give < 0) { /* overshoot from rounding: take back */
				int64_t take = out[i] < -give ? out[i] : -give;
				out[i] -= take;
				sum -= take;
				continue;
			}
			if (give > room)
				give = room;
			out[i] += give;
			sum += give;
		}
	return sum == total;
}

static const char *const demo_words[] = {
	"长江", "乌江", "白鹤", "江东", "李渡", "清溪", "龙桥", "荔枝", "鹤凤", "马武",
	"新妙", "焦石", "南沱", "珍溪", "百胜", "蔺市", "石沱", "义和", "罗云", "同乐",
};
static const char *const demo_words_en[] = {
	"Changjiang", "Wujiang", "Baihe", "Jiangdong", "Lidu", "Qingxi", "Longqiao", "Lizhi",
	"Hefeng", "Mawu", "Xinmiao", "Jiaoshi", "Nantuo", "Zhenxi", "Baisheng", "Linshi",
	"Shituo", "Yihe", "Luoyun", "Tongle",
};
static const struct { const char *zh, *en, *industry; } demo_trades[] = {
	{ "新材料", "New Materials", "新材料" }, { "生物医药", "Biopharma", "医药" },
	{ "智能装备", "Smart Equipment", "装备制造" }, { "电子科技", "Electronics", "电子信息" },
	{ "化工", "Chemicals", "化工" }, { "食品", "Foods", "食品加工" },
	{ "汽车零部件", "Auto Parts", "汽车" }, { "节能环保", "Green Tech", "节能环保" },
	{ "精密机械", "Precision Machinery", "装备制造" }, { "包装材料", "Packaging", "新材料" },
	{ "页岩气装备", "Shale Gas Equipment", "能源" }, { "数据科技", "Data Technology", "软件和信息服务" },
};
/* The article's enterprises, indices 2..7 (0 and 1 are auth's demo ones). */
static const struct { const char *zh, *en, *industry; int64_t revenue_yi; } demo_named[] = {
	{ "华晨鑫源重庆汽车有限公司", "Brilliance Xinyuan Chongqing Auto", "汽车", 160 },
	{ "重庆攀华板材有限公司", "Chongqing Panhua Steel Plate", "钢铁", 200 },
	{ "重庆涪陵页岩气勘探开发有限公司", "Sinopec Chongqing Fuling Shale Gas", "能源", 130 },
	{ "重庆市涪陵榨菜集团股份有限公司", "Chongqing Fuling Zhacai Group", "食品加工", 25 },
	{ "重庆首键药用包装材料有限公司", "Chongqing Shoujian Pharma Packaging", "医药", 8 },
	{ "百望（重庆）财税科技有限公司", "Baiwang (Chongqing) Tax Technology", "软件和信息服务", 3 },
};

static int demo__exec(struct store_conn *c, const char *sql, const struct store_param *p,
		      size_t np)
{
	return store_exec(c, sql, p, np, NULL);
}

static void demo__date(int64_t now_ms, int64_t days, char out[11])
{
	park_date_of(now_ms + days * DAY_MS, out);
}

static int demo__registry(struct store_conn *c, struct demo_ent *e, int64_t now_ms,
			  const char *now_s, int y0)
{
	uint64_t seed = 20191231;
	char from[11], to[11], old_from[11], old_to[11];
	int rc = 0;

	/* enterprises (0 and 1 exist: auth's demo) */
	for (int i = 0; i < DEMO_N; i++) {
		if (i >= 2 && i < 8) {
			pl_strlcpy(e[i].name_zh, demo_named[i - 2].zh, sizeof(e[i].name_zh));
			pl_strlcpy(e[i].name_en, demo_named[i - 2].en, sizeof(e[i].name_en));
			e[i].industry = demo_named[i - 2].industry;
		} else if (i >= 8) {
			size_t w = (size_t)i % 20, t = ((size_t)i / 20) % 12;
			pl_fmt(e[i].name_zh, sizeof(e[i].name_zh), "重庆%s%s%s有限公司",
			       demo_words[w], demo_trades[t].zh, i >= 20 * 12 / 2 ? "科技" : "");
			pl_fmt(e[i].name_en, sizeof(e[i].name_en), "Chongqing %s %s%s Co., Ltd.",
			       demo_words_en[w], demo_trades[t].en, i >= 120 ? " Technology" : "");
			e[i].industry = demo_trades[t].industry;
		} else {
			e[i].industry = i == 0 ? "医药" : "生物制品";
		}
		if (i < 2) {
			struct store_param p[] = { SP_TEXT(e[i].industry), SP_TEXT(now_s),
						   SP_TEXT(e[i].id) };
			rc = demo__exec(c, "UPDATE enterprises SET industry = ?, in_production = 1,"
					" updated_at = ? WHERE id = ?", p, 3);
		} else {
			char org[9];
			struct desk_uscc_error ue;
			pl_fmt(org, sizeof(org), "PK%06d", i);
			if ((rc = desk_uscc_make('9', '1', "500102", org, e[i].uscc, &ue)))
				return rc;
			pl_id_new(e[i].id);
			char addr[80];
			pl_fmt(addr, sizeof(addr), "重庆市涪陵区高新区%d号", 100 + i);
			struct store_param p[] = {
				SP_TEXT(e[i].id), SP_TEXT(e[i].name_zh), SP_TEXT(e[i].name_en),
				SP_TEXT(e[i].uscc), SP_TEXT(e[i].industry), SP_TEXT(addr),
				SP_INT(i < DEMO_PROD), SP_TEXT(now_s), SP_TEXT(now_s),
			};
			rc = demo__exec(c, "INSERT INTO enterprises (id, name_zh, name_en, uscc, industry,"
					" address, in_production, created_at, updated_at)"
					" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p));
		}
		if (rc)
			return rc;
	}
	/* certifications (NOTES 2): valid ones around now, some expired */
	demo__date(now_ms, 700, to);
	demo__date(now_ms, -1500, old_from);
	demo__date(now_ms, -405, old_to);
	for (int i = 0; i < DEMO_N; i++) {
		/* valid since 400, 750 or 1100 days ago, so the trend grows */
		demo__date(now_ms, -(400 + (i % 3) * 350), from);
		struct { const char *type, *f, *t; bool on; } cs[] = {
			{ PARK_CERT_HIGH_TECH, from, to, i < DEMO_HIGH_TECH },
			/* 高新 certificates that lapsed: no longer count */
			{ PARK_CERT_HIGH_TECH, old_from, old_to, i >= 102 && i < 112 },
			{ PARK_CERT_TECH_SME, from, to, (i < 40) || (i >= DEMO_HIGH_TECH && i < DEMO_TECH) },
			{ PARK_CERT_TECH_SME, old_from, old_to, i >= DEMO_TECH && i < 150 },
			{ PARK_CERT_SPECIALIZED, from, to, i >= 10 && i < 34 },
		};
		for (size_t k = 0; k < sizeof(cs) / sizeof(cs[0]); k++) {
			if (!cs[k].on)
				continue;
			char id[PL_ID_LEN + 1], no[40];
			pl_id_new(id);
			pl_fmt(no, sizeof(no), "%s%.4s%05d%zu", k < 2 ? "GR" : k < 4 ? "KJ" : "ZJ",
			       cs[k].f, i, k);
			struct store_param p[] = { SP_TEXT(id), SP_TEXT(e[i].id), SP_TEXT(cs[k].type),
						   SP_TEXT(no), SP_TEXT(cs[k].f), SP_TEXT(cs[k].t),
						   SP_TEXT(now_s) };
			if ((rc = demo__exec(c, "INSERT INTO certifications (id, enterprise_id, type,"
					     " cert_no, valid_from, valid_to, created_at)"
					     " VALUES (?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p))))
				return rc;
		}
	}
	/* yearly figures for y0-2, y0-1, y0 over the enterprises in production */
	static const struct { int64_t rev_yi, out_yi, rd_pm, hto_pm, htpr_pm; } tot[3] = {
		{ 812, 984, 41, 487, 350 },   /* y0 - 2 */
		{ 891, 1080, 43, 510, 362 },  /* y0 - 1 */
		{ 990, 1200, 46, 536, 384 },  /* y0: the article's 4.6 / 53.6 / 38.4 */
	};
	double w[DEMO_PROD], wo[DEMO_PROD];
	int64_t rev[DEMO_PROD], out[DEMO_PROD], rd[DEMO_PROD], hto[DEMO_PROD], htpr[DEMO_PROD];
	for (int i = 0; i < DEMO_PROD; i++)
		w[i] = (i >= 2 && i < 8) ? (double)demo_named[i - 2].revenue_yi * 100.0
					 : 20.0 + (double)(demo__rand(&seed) % 400);
	for (int yi = 0; yi < 3; yi++) {
		int64_t R = tot[yi].rev_yi * 100000000LL, O = tot[yi].out_yi * 100000000LL;
		double wr[DEMO_PROD], wh[DEMO_PROD], wt[DEMO_PROD];
		for (int i = 0; i < DEMO_PROD; i++)
			wr[i] = w[i] * (0.9 + (double)(demo__rand(&seed) % 200) / 1000.0);
		if (!park__spread(R, wr, NULL, DEMO_PROD, rev))
			return PL_EINTERNAL;
		for (int i = 0; i < DEMO_PROD; i++)
			wo[i] = (double)rev[i] * (1.0 + (double)(demo__rand(&seed) % 400) / 1000.0);
		if (!park__spread(O, wo, NULL, DEMO_PROD, out))
			return PL_EINTERNAL;
		for (int i = 0; i < DEMO_PROD; i++) {
			wr[i] = (double)rev[i] * (0.5 + (double)(demo__rand(&seed) % 1000) / 1000.0);
			wh[i] = i < DEMO_HIGH_TECH ? (double)out[i] *
					(0.6 + (double)(demo__rand(&seed) % 400) / 1000.0) : 0;
			wt[i] = i < DEMO_HIGH_TECH ? (double)rev[i] *
					(0.3 + (double)(demo__rand(&seed) % 700) / 1000.0) : 0;
		}
		if (!park__spread(R / 1000 * tot[yi].rd_pm, wr, rev, DEMO_PROD, rd) ||
		    !park__spread(O / 1000 * tot[yi].hto_pm, wh, out, DEMO_PROD, hto) ||
		    !park__spread(R / 1000 * tot[yi].htpr_pm, wt, rev, DEMO_PROD, htpr))
			return PL_EINTERNAL;
		for (int i = 0; i < DEMO_PROD; i++) {
			struct store_param p[] = {
				SP_TEXT(e[i].id), SP_INT(y0 - 2 + yi), SP_INT(rev[i]), SP_INT(out[i]),
				SP_INT(rd[i]), SP_INT(hto[i]), SP_INT(htpr[i]), SP_TEXT(now_s),
			};
			if ((rc = demo__exec(c, "INSERT INTO park_yearly (enterprise_id, year, revenue,"
					     " industrial_output, rd_spending, high_tech_output,"
					     " high_tech_product_revenue, updated_at)"
					     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p))))
				return rc;
		}
	}
	/* 72 projects of 33 enterprises: 5 accepted smart factories, 22
	 * accepted digital workshops, more under way; 6.7 亿元 in all */
	double pw[DEMO_PROJ];
	int64_t inv[DEMO_PROJ];
	for (int k = 0; k < DEMO_PROJ; k++) /* factories cost most, retrofits least */
		pw[k] = (k < 7 ? 300.0 : k < 33 ? 120.0 : 40.0) + (double)(demo__rand(&seed) % 60);
	if (!park__spread(670000000LL, pw, NULL, DEMO_PROJ, inv))
		return PL_EINTERNAL;
	for (int k = 0; k < DEMO_PROJ; k++) {
		static const char *const names[3] = { "智能工厂", "数字化车间", "智能化改造" };
		int kind = k < 7 ? 0 : k < 33 ? 1 : 2;
		const char *type = kind == 0 ? "smart_factory" : kind == 1 ? "digital_workshop"
								       : "smart_retrofit";
		/* accepted: factories 0..4, workshops 7..28, retrofits every other */
		bool accepted = (kind == 0 && k < 5) || (kind == 1 && k < 29) ||
				(kind == 2 && k % 2 == 0);
		const char *status = accepted ? "accepted" : "in_progress";
		char id[PL_ID_LEN + 1], name[160], started[11], acc[11];
		int ent = (k * 7) % DEMO_PROJ_ENTS; /* enterprises 0..32 */
		pl_id_new(id);
		pl_fmt(name, sizeof(name), "%s项目%02d", names[kind], k + 1);
		demo__date(now_ms, -(220 + 12 * k), started);
		demo__date(now_ms, -(220 + 12 * k) + 180, acc);
		struct store_param p[] = {
			SP_TEXT(id), SP_TEXT(e[ent].id), SP_TEXT(name), SP_TEXT(type), SP_INT(inv[k]),
			SP_TEXT(status), SP_TEXT(started), SP_TEXT(accepted ? acc : NULL), SP_TEXT(now_s),
		};
		if ((rc = demo__exec(c, "INSERT INTO park_projects (id, enterprise_id, name, type,"
				     " investment, status, started_on, accepted_on, updated_at)"
				     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", p, STORE_NP(p))))
			return rc;
	}
	return 0;
}

/* 200 specialists with an unusable password (NOTES 3), each enterprise
 * without an active assignment given one. */
static int demo__specialists(struct store_conn *c, struct demo_ent *e, const char *now_s)
{
	static const char *const depts[] = { "construction", "transport", "energy", "tax",
					     "market", "hr" };
	char ids[DEMO_SPECIALISTS][PL_ID_LEN + 1];
	int rc;

	for (int i = 0; i < DEMO_SPECIALISTS; i++) {
		char user[16], disp[64];
		pl_id_new(ids[i]);
		pl_fmt(user, sizeof(user), "zy%03d", i + 1);
		pl_fmt(disp, sizeof(disp), "企业服务专员%03d", i + 1);
		struct store_param p[] = { SP_TEXT(ids[i]), SP_TEXT(user), SP_TEXT(disp),
					   SP_TEXT(depts[i % 6]), SP_TEXT(now_s), SP_TEXT(now_s) };
		if ((rc = demo__exec(c, "INSERT INTO users (id, username, display_name, password_hash,"
				     " role, department, disabled, created_at, updated_at)"
				     " VALUES (?, ?, ?, '!', 'specialist', ?, 0, ?, ?)", p,
				     STORE_NP(p))))
			return rc;
	}
	for (int i = 2; i < DEMO_N; i++) {
		char id[PL_ID_LEN + 1];
		pl_id_new(id);
		struct store_param p[] = { SP_TEXT(id), SP_TEXT(e[i].id),
					   SP_TEXT(ids[(i - 2) % DEMO_SPECIALISTS]), SP_TEXT(now_s) };
		if ((rc = demo__exec(c, "INSERT INTO assignments (id, enterprise_id, specialist_id,"
				     " started_at, reason) VALUES (?, ?, ?, ?, 'demo')", p, 4)))
			return rc;
	}
	return 0;
}

/* GS1 key digits + check digit. */
static void demo__gs1(const char *digits, char *out, size_t outsz)
{
	pl_fmt(out, outsz, "%s%d", digits, trace_gs1_check_digit(digits, strlen(digits)));
}

/* Six inbound shipments of 攀华 (index 3) through the linked ports: the
 * customs declaration and departure at 张家港 or 上海 (bizStep departing),
 * then receipt at the plant in 涪陵. */
static int demo__shipments(struct store_conn *c, const char *tenant, int y0)
{
	static const struct { const char *decl, *recv; int port; } sh[] = {
		{ "02-10T09:00", "02-15T16:00", 0 }, { "03-18T10:00", "03-24T09:00", 1 },
		{ "05-06T08:30", "05-11T14:30", 0 }, { "07-22T15:00", "07-29T11:00", 1 },
		{ "09-09T09:00", "09-14T09:00", 0 }, { "11-03T11:00", "11-09T17:00", 1 },
	};
	char port[2][80], plant[80], g[32];
	json_t *list = json_array(), *doc = NULL, *job = NULL;
	struct trace_errors errs;
	char *text = NULL;
	int rc;

	trace_errors_init(&errs);
	demo__gs1("690123450001", g, sizeof(g));
	pl_fmt(port[0], sizeof(port[0]), "https://id.gs1.org/414/%s", g); /* 张家港港 */
	demo__gs1("690123450002", g, sizeof(g));
	pl_fmt(port[1], sizeof(port[1]), "https://id.gs1.org/414/%s", g); /* 上海港 */
	demo__gs1("690123450010", g, sizeof(g));
	pl_fmt(plant, sizeof(plant), "https://id.gs1.org/414/%s", g);     /* 攀华涪陵厂 */
	for (size_t i = 0; i < sizeof(sh) / sizeof(sh[0]); i++) {
		char sscc[64], po[64], t1[40], t2[40], digits[24];
		pl_fmt(digits, sizeof(digits), "06901234%09zu", 500 + i);
		demo__gs1(digits, g, sizeof(g));
		pl_fmt(sscc, sizeof(sscc), "https://id.gs1.org/00/%s", g);
		pl_fmt(po, sizeof(po), "urn:parkline:po:PH-%d-%04zu", y0, i + 1);
		pl_fmt(t1, sizeof(t1), "%d-%s:00.000+08:00", y0, sh[i].decl);
		pl_fmt(t2, sizeof(t2), "%d-%s:00.000+08:00", y0, sh[i].recv);
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}, s:[{s:s, s:s}]}",
			"type", "ObjectEvent", "eventTime", t1, "eventTimeZoneOffset", "+08:00",
			"action", "OBSERVE", "epcList", sscc, "bizStep", "departing",
			"disposition", "in_transit", "readPoint", "id", port[sh[i].port],
			"bizTransactionList", "type", "po", "bizTransaction", po));
		json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:s, s:[s], s:s, s:s, s:{s:s}, s:{s:s}, s:[{s:s, s:s}]}",
			"type", "ObjectEvent", "eventTime", t2, "eventTimeZoneOffset", "+08:00",
			"action", "OBSERVE", "epcList", sscc, "bizStep", "receiving",
			"disposition", "in_progress", "readPoint", "id", plant, "bizLocation", "id", plant,
			"bizTransactionList", "type", "po", "bizTransaction", po));
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:{s:O}}",
			"@context", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
			"type", "EPCISDocument", "schemaVersion", "2.0",
			"creationDate", "2026-01-01T00:00:00.000+08:00", "epcisBody", "eventList", list);
	text = pl_json_dump(doc);
	rc = trace_repo_capture(c, tenant, "system", text, strlen(text), false, &errs, &job);
	if (rc == 0 && !json_is_true(json_object_get(job, "success"))) {
		fprintf(stderr, "park demo shipments: %s\n", errs.n ? errs.msg[0] : "?");
		rc = PL_EINTERNAL;
	}
	free(text);
	json_decref(job);
	json_decref(doc);
	json_decref(list);
	trace_errors_release(&errs);
	return rc;
}

int park_demo_seed(struct store *st, int64_t now_ms, FILE *print_to)
{
	struct store_conn *c = NULL;
	struct demo_ent *e = pl_calloc(DEMO_N, sizeof(*e));
	char now_s[PL_TIME_STRLEN], today[11], first[DESK_USCC_LEN + 1];
	struct desk_uscc_error ue;
	json_t *o = NULL;
	int rc, y0;

	pl_time_format(now_ms, now_s);
	park_date_of(now_ms, today);
	y0 = (today[0] - '0') * 1000 + (today[1] - '0') * 100 + (today[2] - '0') * 10 +
	     (today[3] - '0') - 1;
	if ((rc = desk_uscc_make('9', '1', "500102", "PK000002", first, &ue)))
		goto out;
	if ((rc = store_conn_get(st, &c)))
		goto out;
	struct store_param pf[] = { SP_TEXT(first) };
	rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", pf, 1, &o);
	if (rc == 0) { /* NOTES 4 */
		if (print_to)
			fprintf(print_to, "park demo: already seeded\n");
		goto out;
	}
	if (rc != PL_ENOTFOUND)
		goto out;
	static const char *const demo_usccs[2] = { AUTH_DEMO_USCC_1, AUTH_DEMO_USCC_2 };
	for (int i = 0; i < 2; i++) {
		json_t *r = NULL;
		struct store_param p[] = { SP_TEXT(demo_usccs[i]) };
		if ((rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", p, 1, &r)))
			goto out;
		pl_strlcpy(e[i].id, pl_json_str(r, "id"), sizeof(e[i].id));
		pl_strlcpy(e[i].uscc, demo_usccs[i], sizeof(e[i].uscc));
		json_decref(r);
	}
	if ((rc = store_begin(c)) || (rc = demo__registry(c, e, now_ms, now_s, y0)) ||
	    (rc = demo__specialists(c, e, now_s)))
		goto out;
	json_t *after = json_pack("{s:i, s:i, s:i}", "enterprises", DEMO_N, "projects", DEMO_PROJ,
				  "specialists", DEMO_SPECIALISTS);
	struct store_audit au = { .actor_id = "system", .actor_name = "system",
				  .action = "park.demo.seed", .entity = "park", .entity_id = "demo",
				  .after = after };
	rc = store_audit(c, &au);
	json_decref(after);
	if (rc || (rc = store_commit(c)))
		goto out;
	if ((rc = demo__shipments(c, e[3].id, y0)))
		goto out;
	if (print_to)
		fprintf(print_to, "park demo: %d enterprises (%d in production), %d projects, "
			"%d specialist accounts zy001..zy%03d (no password), 6 port shipments\n",
			DEMO_N, DEMO_PROD, DEMO_PROJ, DEMO_SPECIALISTS, DEMO_SPECIALISTS);
out:
	json_decref(o);
	store_conn_put(c);
	free(e);
	return rc;
}
