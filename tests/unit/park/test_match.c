/* test_match.c - supplier matching (src/park/match.c).
 *
 * Pure part: GB/T 4754 code canonicalisation and prefix levels, the term
 * cutter (CJK bigrams, ASCII words), and the relevance model on a fixed
 * catalogue of 15 enterprises: a table of needs, each with the supplier
 * that must come first, the relevant set, and suppliers that must not be
 * suggested at all; precision@3 over the table must stay >= 0.9 (the
 * number is printed).
 *
 * Store part, on SQLite and PostgreSQL (tests/unit/support/store_env.h):
 * catalogue put/get with canonical codes, every rejection naming its field
 * and changing nothing, tenancy (another enterprise's catalogue is a 404),
 * suggestions from the store excluding the buyer, and "introduce us"
 * opening one desk request per enterprise, linked in park_introductions.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <string.h>

#include "park/match.h"
#include "support/store_env.h"
#include "support/fixtures.h"

/* -------------------------------------------------------------- codes */

Test(park_match, code_norm)
{
	static const struct { const char *in, *want; } ok[] = {
		{ "C2720", "C2720" }, { "c27", "C27" }, { "2720", "C2720" }, { "272", "C272" },
		{ "G5930", "G5930" }, { "5930", "G5930" }, { "A01", "A01" }, { "T98", "T98" },
		{ "I6513", "I6513" }, { "K70", "K70" },
	};
	static const char *const bad[] = {
		"", "C", "C2", "C27201", "X27", "G2720", "99", "00", "C27a", " C27", "C-27", "27 ",
	};
	char out[PARK_MATCH_CODE_LEN];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_eq(park_match_code_norm(ok[i].in, out), 0, "%s", ok[i].in);
		cr_expect_str_eq(out, ok[i].want, "%s", ok[i].in);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(park_match_code_norm(bad[i], out), PL_EINVAL, "'%s'", bad[i]);
	cr_expect_eq(park_match_code_norm(NULL, out), PL_EINVAL);
}

Test(park_match, code_common)
{
	static const struct { const char *a, *b; int want; } t[] = {
		{ "C3055", "C3055", 4 }, { "C3055", "C3054", 3 }, { "C3055", "C3011", 2 },
		{ "C3055", "C2730", 0 }, { "C30", "C3055", 2 }, { "C305", "C3055", 3 },
		{ "", "C3055", 0 }, { "G5930", "C5930", 0 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(park_match_code_common(t[i].a, t[i].b), t[i].want, "%s %s", t[i].a,
			     t[i].b);
}

Test(park_match, terms)
{
	static const struct { const char *in, *want; } t[] = {
		{ "中硼硅玻璃", "中硼 硼硅 硅玻 玻璃" },
		{ "药用PTP铝箔", "药用 ptp 铝箔" },
		{ "2-8℃冷链", "2 8 冷链" },
		{ "瓶", "瓶" },
		{ "藿香、白芷", "藿香 白芷" },
		{ "A 药", "a 药" },
		{ "", "" },
		{ "，。！", "" },
		{ "MES系统", "mes 系统" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pl_buf b;
		pl_buf_init(&b, 4096);
		cr_assert_eq(park_match_terms(t[i].in, &b), 0);
		cr_expect_str_eq(b.data ? b.data : "", t[i].want, "'%s'", t[i].in);
		pl_buf_release(&b);
	}
	/* invalid UTF-8 separates runs instead of reading past the end */
	struct pl_buf b;
	pl_buf_init(&b, 4096);
	cr_assert_eq(park_match_terms("玻\xff璃\xe4", &b), 0);
	cr_expect_str_eq(b.data, "玻 璃");
	pl_buf_release(&b);
}

/* ------------------------------------------------------- relevance set */

static const struct park_match_doc cat[] = {
	{ "B00", "C2740", "中成药口服液", "藿香正气口服液等中成药制剂", true },
	{ "S01", "C3055", "中硼硅玻璃管制注射剂瓶（西林瓶）", "中硼硅药用玻璃管制瓶、安瓿，用于疫苗和注射剂", true },
	{ "S02", "C3055", "钠钙玻璃模制药瓶", "模制药瓶、口服液瓶", false },
	{ "S03", "C3252", "药用PTP铝箔", "泡罩包装用PTP铝箔和冷冲压成型铝", true },
	{ "S03", "C2926", "药用PVC硬片", "泡罩包装用聚氯乙烯硬片", true },
	{ "S04", "C2730", "中药饮片", "藿香、白芷、厚朴、黄连饮片炮制", false },
	{ "S05", "G5930", "医药冷链仓储配送", "疫苗和生物制品2-8℃冷链仓储、温控配送", true },
	{ "S06", "C3544", "洗烘灌封联动线", "口服液、西林瓶洗烘灌封联动线，无菌灌装设备", true },
	{ "S07", "C2231", "药品包装纸盒", "药品包装纸盒和说明书印刷", true },
	{ "S08", "C2915", "覆膜丁基胶塞", "注射剂瓶用卤化丁基橡胶塞", false },
	{ "S09", "G5430", "道路货物运输", "普货整车零担运输，重庆至成都干线", true },
	{ "S10", "C3311", "厂房钢结构", "厂房钢结构制作安装", true },
	{ "S11", "I6513", "MES制造执行系统", "制药企业MES、批记录电子化、GMP合规", true },
	{ "S12", "C2710", "化学原料药", "阿莫西林原料药、头孢类中间体", true },
	{ "S13", "M7452", "药品检验检测", "药品质量检验、无菌检查、微生物限度", true },
	{ "S14", "C3054", "日用玻璃制品", "玻璃水杯、玻璃餐具", true },
};
#define NCAT (sizeof(cat) / sizeof(cat[0]))

struct need_case {
	const char *text, *code, *buyer;
	const char *top;
	const char *relevant[3];
	const char *excluded[3];
};

static const struct need_case needs[] = {
	{ "中硼硅玻璃西林瓶，疫苗分装用", "C3055", "B00", "S01", { "S01", "S02" }, { "S09", "S10", "S12" } },
	{ "疫苗冷链运输 2-8℃ 配送", "G5930", "B00", "S05", { "S05", "S09" }, { "S10", "S14", "S12" } },
	{ "藿香 白芷 饮片", NULL, "B00", "S04", { "S04" }, { "S12", "S10", "S11" } },
	{ "泡罩包装铝箔", "C3252", "B00", "S03", { "S03" }, { "S14", "S10", "S05" } },
	{ "洗烘灌封 无菌灌装 设备", NULL, "B00", "S06", { "S06" }, { "S05", "S10", "S03" } },
	{ "注射剂瓶胶塞", "C2915", "B00", "S08", { "S08", "S01" }, { "S10", "S04" } },
	{ "MES 批记录电子化", NULL, "B00", "S11", { "S11" }, { "S13", "S10", "S04" } },
	{ "药品无菌检查、微生物限度检测", "M7452", "B00", "S13", { "S13" }, { "S10", "S03" } },
	{ "新建厂房钢结构", NULL, "B00", "S10", { "S10" }, { "S01", "S05" } },
	{ "口服液瓶", NULL, "B00", "S02", { "S02", "S06" }, { "B00", "S10" } },
	{ "", "C2730", "B00", "S04", { "S04" }, { "S05", "S01" } },
	{ "阿莫西林原料药", "C2710", "S04", "S12", { "S12" }, { "S04", "S10" } },
};

static bool in_list(const char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n && l[i]; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

Test(park_match, relevance_table)
{
	double p3_sum = 0;
	for (size_t k = 0; k < sizeof(needs) / sizeof(needs[0]); k++) {
		const struct need_case *nc = &needs[k];
		char code[PARK_MATCH_CODE_LEN];
		const char *codes[1] = { code };
		struct park_match_hit hits[10];
		size_t n = 0;
		if (nc->code)
			cr_assert_eq(park_match_code_norm(nc->code, code), 0);
		struct park_match_query q = { nc->text, codes, nc->code ? 1 : 0, nc->buyer };
		cr_assert_eq(park_match_rank(cat, NCAT, &q, hits, 10, &n), 0, "need %zu", k);
		cr_assert_gt(n, 0, "need %zu '%s': no suggestion", k, nc->text);
		cr_expect_str_eq(cat[hits[0].doc].enterprise_id, nc->top, "need %zu '%s'", k, nc->text);
		size_t nrel = 0, got = 0;
		while (nrel < 3 && nc->relevant[nrel])
			nrel++;
		for (size_t i = 0; i < n; i++) {
			const char *e = cat[hits[i].doc].enterprise_id;
			cr_expect(!in_list(nc->excluded, 3, e), "need %zu '%s': %s suggested at %zu",
				  k, nc->text, e, i);
			for (size_t j = 0; j < i; j++) /* one hit per enterprise */
				cr_expect_str_neq(cat[hits[j].doc].enterprise_id, e);
			if (i > 0)
				cr_expect_geq(hits[i - 1].score, hits[i].score);
			/* the explanation adds up */
			cr_expect_float_eq(hits[i].score, hits[i].text_score + hits[i].code_bonus +
					   hits[i].park_bonus, 1e-9, "need %zu hit %zu", k, i);
			cr_expect_geq(hits[i].park_bonus, 0.0);
			if (i < 3 && in_list(nc->relevant, 3, e))
				got++;
		}
		double p3 = (double)got / (double)(nrel < 3 ? nrel : 3);
		cr_expect_geq(p3, 0.5, "need %zu '%s': precision@3 %.2f", k, nc->text, p3);
		p3_sum += p3;
	}
	double mean = p3_sum / (double)(sizeof(needs) / sizeof(needs[0]));
	cr_log_info("supplier matching: mean precision@3 = %.3f over %zu needs", mean,
		    sizeof(needs) / sizeof(needs[0]));
	fprintf(stderr, "supplier matching: mean precision@3 = %.3f over %zu needs\n", mean,
		sizeof(needs) / sizeof(needs[0]));
	cr_expect_geq(mean, 0.9, "mean precision@3 %.3f", mean);
}

Test(park_match, in_park_bonus_breaks_ties_and_explains)
{
	static const struct park_match_doc two[] = {
		{ "OUT", "C2730", "中药饮片", "藿香饮片", false },
		{ "IN", "C2730", "中药饮片", "藿香饮片", true },
		{ "OTHER", "C3311", "钢结构", "厂房", true },
	};
	const char *codes[1] = { "C2730" };
	struct park_match_query q = { "藿香饮片", codes, 1, NULL };
	struct park_match_hit h[3];
	size_t n;
	cr_assert_eq(park_match_rank(two, 3, &q, h, 3, &n), 0);
	cr_assert_eq(n, 2);
	cr_expect_str_eq(two[h[0].doc].enterprise_id, "IN");
	cr_expect_str_eq(two[h[1].doc].enterprise_id, "OUT");
	cr_expect_float_eq(h[0].park_bonus, PARK_MATCH_PARK_BONUS * (h[0].text_score + 3.0), 1e-9);
	cr_expect_float_eq(h[1].park_bonus, 0.0, 1e-9);
	cr_expect_eq(h[0].code_digits, 4);
	cr_expect_float_eq(h[0].score, h[0].text_score + h[0].code_bonus + h[0].park_bonus, 1e-9);
	cr_expect_geq(h[0].nterms, 2u);
	cr_expect_str_eq(h[0].terms[0], "饮片"); /* ... and not a term the doc lacks */
	/* max caps the answer */
	cr_assert_eq(park_match_rank(two, 3, &q, h, 1, &n), 0);
	cr_expect_eq(n, 1);
}

Test(park_match, rank_bad_input)
{
	struct park_match_hit h[2];
	size_t n = 9;
	struct park_match_query empty = { "，。", NULL, 0, NULL };
	cr_expect_eq(park_match_rank(cat, NCAT, &empty, h, 2, &n), PL_EINVAL);
	cr_expect_eq(n, 0);
	const char *many[PARK_MATCH_CODES_MAX + 1];
	for (size_t i = 0; i <= PARK_MATCH_CODES_MAX; i++)
		many[i] = "C27";
	struct park_match_query toomany = { "药", many, PARK_MATCH_CODES_MAX + 1, NULL };
	cr_expect_eq(park_match_rank(cat, NCAT, &toomany, h, 2, &n), PL_EINVAL);
	struct park_match_query ok = { "药", NULL, 0, NULL };
	cr_expect_eq(park_match_rank(cat, PARK_MATCH_DOCS_MAX + 1, &ok, h, 2, &n), PL_ETOOBIG);
	cr_expect_eq(park_match_rank(cat, 0, &ok, h, 2, &n), 0);
	cr_expect_eq(n, 0);
}

/* ---------------------------------------------------------- the store */

struct fx {
	struct tenv t;
	struct auth *a;
	struct desk_svc *svc;
	struct auth_principal ent1, ent2, admin, spec1;
	char e1[PL_ID_LEN + 1], e2[PL_ID_LEN + 1];
};

static void fx_open(struct fx *f, bool pg)
{
	char why[300] = "";
	memset(f, 0, sizeof(*f));
	tenv_open_or_skip(&f->t, pg, "parkmatch", NULL);
	f->a = tfx_auth_demo(f->t.st);
	tfx_principal(f->a, "ent1", &f->ent1);
	tfx_principal(f->a, "ent2", &f->ent2);
	tfx_principal(f->a, "admin", &f->admin);
	tfx_principal(f->a, "specialist1", &f->spec1);
	pl_strlcpy(f->e1, f->ent1.enterprise_id, sizeof(f->e1));
	pl_strlcpy(f->e2, f->ent2.enterprise_id, sizeof(f->e2));
	cr_assert_eq(desk_svc_new("data/calendar", NULL, &f->svc, why, sizeof(why)), 0, "%s", why);
}

static void fx_close(struct fx *f)
{
	desk_svc_free(f->svc);
	auth_free(f->a);
	tenv_close(&f->t);
}

/* Runs one put in its own transaction; commits on 0. */
static int put(struct fx *f, const struct auth_principal *p, const char *ent, const char *body,
	       json_t **out, struct park_match_err *e)
{
	struct desk_actor a = { p, "rid", "127.0.0.1" };
	json_error_t je;
	json_t *b = json_loads(body, 0, &je);
	cr_assert(b, "%s: %s", body, je.text);
	cr_assert_eq(store_begin(f->t.c), 0);
	int rc = park_catalog_put(f->t.c, &a, ent, b, 1795572000000LL, out, e);
	if (rc == 0)
		cr_assert_eq(store_commit(f->t.c), 0);
	else
		store_rollback(f->t.c);
	json_decref(b);
	return rc;
}

static int64_t count(struct fx *f, const char *sql)
{
	json_t *row = NULL;
	cr_assert_eq(store_query_one(f->t.c, sql, NULL, 0, &row), 0, "%s", sql);
	int64_t n = json_integer_value(json_object_get(row, "n"));
	json_decref(row);
	return n;
}

#define CAT1 "{\"items\":[{\"kind\":\"make\",\"industry_code\":\"2740\",\"product\":\"中成药口服液\"," \
	"\"description\":\"藿香正气口服液\"},{\"kind\":\"buy\",\"industry_code\":\"C3055\"," \
	"\"product\":\"中硼硅玻璃西林瓶\",\"description\":\"\"}]}"
#define CAT2 "{\"in_park\":false,\"items\":[{\"kind\":\"make\",\"industry_code\":\"C3055\"," \
	"\"product\":\"中硼硅玻璃管制注射剂瓶\",\"description\":\"西林瓶、安瓿\"}]}"

TENV_TEST_OPTS(park_match_store, catalog_put_get_and_rejections, .timeout = 60)
{
	struct fx f;
	struct park_match_err e = { .text = "" };
	json_t *out = NULL;
	fx_open(&f, d->pg);

	cr_assert_eq(put(&f, &f.ent1, f.e1, CAT1, &out, &e), 0, "%s", e.text);
	cr_expect_eq(json_array_size(json_object_get(out, "items")), 2);
	cr_expect_str_eq(pl_json_str(json_array_get(json_object_get(out, "items"), 0),
				     "industry_code"), "C2740");
	cr_expect(json_is_true(json_object_get(out, "in_park")));
	json_decref(out);

	static const struct { const char *body, *text; } bad[] = {
		{ "{\"items\":{}}", "field 'items' must be an array" },
		{ "{\"items\":[1]}", "field 'items[0]' must be an object" },
		{ "{\"items\":[{\"kind\":\"sell\",\"industry_code\":\"C27\",\"product\":\"x\"}]}",
		  "field 'items[0].kind' must be make or buy" },
		{ "{\"items\":[{\"kind\":\"make\",\"industry_code\":\"G2720\",\"product\":\"x\"}]}",
		  "field 'items[0].industry_code' is not a GB/T 4754 code" },
		{ "{\"items\":[{\"kind\":\"make\",\"industry_code\":\"C27\",\"product\":\" \"}]}",
		  "field 'items[0].product' must not be empty" },
		{ "{\"items\":[{\"kind\":\"make\",\"industry_code\":\"C27\",\"product\":\"a\"},"
		  "{\"kind\":\"make\",\"industry_code\":\"C27\",\"product\":\"a\\u0001\"}]}",
		  "field 'items[1].product' contains a control character" },
		{ "{\"items\":[{\"kind\":\"make\",\"industry_code\":\"C27\",\"product\":\"a\",\"x\":\"1\"}]}",
		  "field 'items[0].x' is not known" },
		{ "{\"items\":[],\"in_park\":1}", "field 'in_park' must be a boolean" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.text[0] = '\0';
		cr_expect_eq(put(&f, &f.ent1, f.e1, bad[i].body, &out, &e), PL_EINVAL, "%zu", i);
		cr_expect(strstr(e.text, bad[i].text), "%zu: '%s'", i, e.text);
	}
	/* too many items */
	struct pl_buf b;
	pl_buf_init(&b, 1 << 20);
	pl_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i <= PARK_MATCH_ITEMS_MAX; i++)
		pl_buf_printf(&b, "%s{\"kind\":\"make\",\"industry_code\":\"C27\",\"product\":\"p\"}",
			      i ? "," : "");
	pl_buf_puts(&b, "]}");
	cr_expect_eq(put(&f, &f.ent1, f.e1, b.data, &out, &e), PL_EINVAL);
	pl_buf_release(&b);
	/* tenancy: ent2 may neither read nor write ent1's catalogue */
	cr_expect_eq(put(&f, &f.ent2, f.e1, CAT2, &out, &e), PL_ENOTFOUND);
	cr_expect_eq(park_catalog_get(f.t.c, &f.ent2, f.e1, &out, &e), PL_ENOTFOUND);
	cr_expect_eq(park_catalog_get(f.t.c, &f.ent1, "01NOSUCHENTERPRISE00000000", &out, &e),
		     PL_ENOTFOUND);
	/* nothing changed by any rejection */
	cr_assert_eq(park_catalog_get(f.t.c, &f.ent1, f.e1, &out, &e), 0);
	cr_expect_eq(json_array_size(json_object_get(out, "items")), 2);
	json_decref(out);
	/* the specialist assigned to enterprise 1 reads it, the admin too */
	cr_assert_eq(park_catalog_get(f.t.c, &f.spec1, f.e1, &out, &e), 0);
	json_decref(out);
	cr_expect_eq(park_catalog_get(f.t.c, &f.spec1, f.e2, &out, &e), PL_ENOTFOUND);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM audit_log WHERE action = "
			   "'park.catalog.update'"), 1);
	fx_close(&f);
}

TENV_TEST_OPTS(park_match_store, suggest_and_introduce, .timeout = 60)
{
	struct fx f;
	struct park_match_err e = { .text = "" };
	json_t *out = NULL;
	fx_open(&f, d->pg);
	cr_assert_eq(put(&f, &f.ent1, f.e1, CAT1, &out, &e), 0, "%s", e.text);
	json_decref(out);
	cr_assert_eq(put(&f, &f.ent2, f.e2, CAT2, &out, &e), 0, "%s", e.text);
	json_decref(out);

	/* from enterprise 1's declared purchases: enterprise 2, never itself */
	cr_assert_eq(park_match_suggest(f.t.c, &f.ent1, NULL, NULL, NULL, 10, &out, &e), 0, "%s",
		     e.text);
	json_t *items = json_object_get(out, "items");
	cr_assert_eq(json_array_size(items), 1);
	cr_expect_str_eq(pl_json_str(json_array_get(items, 0), "enterprise_id"), f.e2);
	cr_expect_str_eq(pl_json_str(json_array_get(items, 0), "code_match"), "小类");
	cr_expect(json_is_false(json_object_get(json_array_get(items, 0), "in_park")));
	json_decref(out);
	/* enterprise 2 asks about 口服液: enterprise 1 */
	cr_assert_eq(park_match_suggest(f.t.c, &f.ent2, NULL, "藿香正气口服液", NULL, 5, &out, &e), 0);
	cr_expect_str_eq(pl_json_str(json_array_get(json_object_get(out, "items"), 0),
				     "enterprise_id"), f.e1);
	json_decref(out);
	/* bad input and tenancy */
	static const struct { const char *ent, *need, *ind; int64_t limit; int rc; } bad[] = {
		{ NULL, "x", "G2720", 5, PL_EINVAL },
		{ NULL, "x", NULL, 0, PL_EINVAL },
		{ NULL, "x", NULL, PARK_MATCH_LIMIT_MAX + 1, PL_EINVAL },
		{ NULL, "，。", NULL, 5, PL_EINVAL },
		{ "E2", "西林瓶", NULL, 5, PL_EINVAL }, /* ent1 naming enterprise 2 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *ent = bad[i].ent ? f.e2 : NULL;
		cr_expect_eq(park_match_suggest(f.t.c, &f.ent1, ent, bad[i].need, bad[i].ind,
						bad[i].limit, &out, &e), bad[i].rc, "%zu", i);
	}
	/* enterprise 2 declared no purchases and gave no need */
	cr_expect_eq(park_match_suggest(f.t.c, &f.ent2, NULL, "", NULL, 5, &out, &e), PL_EINVAL);

	/* introduce: one request per enterprise, linked */
	struct desk_actor a = { &f.ent1, "rid", "127.0.0.1" };
	int64_t before = count(&f, "SELECT count(*) AS n FROM requests");
	cr_assert_eq(store_begin(f.t.c), 0);
	cr_assert_eq(park_introduce(f.svc, f.t.c, &a, NULL, f.e2, "年需西林瓶两千万支",
				    1795572000000LL, &out, &e), 0, "%s", e.text);
	cr_assert_eq(store_commit(f.t.c), 0);
	json_t *br = json_object_get(out, "buyer_request"), *sr = json_object_get(out, "supplier_request");
	cr_expect_str_eq(pl_json_str(br, "enterprise_id"), f.e1);
	cr_expect_str_eq(pl_json_str(sr, "enterprise_id"), f.e2);
	/* enterprise 1 has a specialist: its request went straight to them */
	cr_expect_str_eq(pl_json_str(br, "state"), "dispatched");
	cr_expect_str_eq(pl_json_str(br, "specialist_id"), f.spec1.user_id);
	json_decref(out);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM requests") - before, 2);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM park_introductions"), 1);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM requests WHERE title LIKE '产业链对接%'"), 2);

	/* rejections change nothing */
	char e3[PL_ID_LEN + 1];
	tenv_add_enterprise(&f.t, "未申报企业", e3);
	static const struct { int who; bool self; int sup; const char *note; int rc; } rej[] = {
		{ 0, false, 3, "x", PL_EINVAL },   /* supplier declared nothing it makes */
		{ 0, false, 1, "x", PL_EINVAL },   /* the buyer itself */
		{ 0, false, 0, "x", PL_EINVAL },   /* no supplier */
		{ 1, true, 1, "x", PL_EINVAL },    /* ent2 naming enterprise 1 as buyer */
		{ 0, false, 2, "a\x01", PL_EINVAL }, /* control character in the note */
	};
	for (size_t i = 0; i < sizeof(rej) / sizeof(rej[0]); i++) {
		struct desk_actor ra = { rej[i].who ? &f.ent2 : &f.ent1, NULL, NULL };
		const char *sup = rej[i].sup == 1 ? f.e1 : rej[i].sup == 2 ? f.e2
				: rej[i].sup == 3 ? e3 : NULL;
		cr_assert_eq(store_begin(f.t.c), 0);
		cr_expect_eq(park_introduce(f.svc, f.t.c, &ra, rej[i].self ? f.e1 : NULL, sup,
					    rej[i].note, 1795572000000LL, &out, &e), rej[i].rc, "%zu", i);
		store_rollback(f.t.c);
	}
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM requests") - before, 2);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM park_introductions"), 1);
	fx_close(&f);
}

TENV_TEST_OPTS(park_match_store, demo_seed_idempotent, .timeout = 60)
{
	struct fx f;
	fx_open(&f, d->pg);
	cr_assert_eq(park_match_demo_seed(f.t.st, NULL), 0);
	int64_t n = count(&f, "SELECT count(*) AS n FROM park_catalog");
	cr_expect_gt(n, 10);
	cr_assert_eq(park_match_demo_seed(f.t.st, NULL), 0);
	cr_expect_eq(count(&f, "SELECT count(*) AS n FROM park_catalog"), n);
	fx_close(&f);
}
