/* test_plant.c - the ISA-95 plant model over a real store (src/line/plant.c),
 * on SQLite and PostgreSQL (tests/unit/support/store_env.h): GTIN check
 * digits, create/update validation as a table of {kind, parent, body,
 * expected code, reason}, the tree filtered per tenant, delete guards, a
 * product's cycle time reaching the plan, plans put through line_plan_put
 * changing the OEE of a hand-worked shift, plan versions weighing a
 * mid-shift product changeover, and migration 17 moving existing lines
 * into a default site and area.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "line/plant.h"
#include "line/live.h"
#include "line/repo.h"
#include "support/store_env.h"
#include "support/fixtures.h"
#include "auth/auth.h"

struct fx {
	struct tenv t;
	struct auth *a;
	char line[PL_ID_LEN + 1], ent[PL_ID_LEN + 1], ent2[PL_ID_LEN + 1];
	int64_t shift0; /* 2026-11-25 08:00 Beijing: the start of the 早班 */
};

static bool fx_open(struct fx *f, bool pg)
{
	memset(f, 0, sizeof(*f));
	if (!tenv_open(&f->t, pg, "plant"))
		return false;
	f->a = tfx_auth_demo(f->t.st);
	cr_assert_eq(line_repo_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_live_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_plant_demo_seed(f->t.st, NULL), 0);
	cr_assert_eq(line_plant_demo_seed(f->t.st, NULL), 0, "idempotent");
	cr_assert_eq(line_repo_line_by_node(f->t.c, "taiji", "fill-1", f->line, f->ent), 0);
	tenv_add_enterprise(&f->t, "第二测试企业", f->ent2);
	cr_assert_eq(pl_time_parse("2026-11-25T00:00:00Z", &f->shift0), 0);
	return true;
}

static void fx_close(struct fx *f)
{
	auth_free(f->a);
	tenv_close(&f->t);
}

TFX_ON_EACH_STORE

static json_t *js(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	cr_assert(j, "bad test JSON %s", text);
	return j;
}

/* The repository calls with the body given as JSON text (freed here). */
static int mk(struct fx *f, enum line_plant_kind k, const char *parent, const char *text, json_t **out,
	      char *why, size_t whysz)
{
	json_t *b = js(text), *o = NULL;
	int rc = line_plant_create(f->t.c, k, parent, b, &o, why, whysz);
	json_decref(b);
	if (out)
		*out = o;
	else
		json_decref(o);
	return rc;
}
static int upd(struct fx *f, enum line_plant_kind k, const char *id, const char *text, char *why, size_t whysz)
{
	json_t *b = js(text);
	int rc = line_plant_update(f->t.c, k, id, b, NULL, why, whysz);
	json_decref(b);
	return rc;
}
static int put_plan(struct fx *f, const char *line, const char *text, char *why, size_t whysz)
{
	json_t *b = js(text), *plan = NULL;
	int rc = line_plan_put(f->t.c, line, b, pl_time_now_ms(), &plan, why, whysz);
	cr_expect((rc == 0) == (plan != NULL), "a plan comes back iff it was put");
	json_decref(plan);
	json_decref(b);
	return rc;
}

/* Published and constructed GTINs: the GS1 examples (GTIN-8 96385074,
 * GTIN-13 4006381333931, GTIN-12 036000291452) and the demo's. */
Test(line_plant, gtin_check_digit)
{
	static const struct { const char *in; int want; } cases[] = {
		{ "96385074", 0 }, { "4006381333931", 0 }, { "036000291452", 0 },
		{ "06901234000016", 0 }, { "06901234000047", 0 },
		{ "96385075", PL_EINVAL }, { "4006381333932", PL_EINVAL }, { "06901234000024", PL_EINVAL },
		{ "1234567", PL_EINVAL }, { "12345678901", PL_EINVAL }, { "123456789012345", PL_EINVAL },
		{ "40063813339a1", PL_EINVAL }, { " 4006381333931", PL_EINVAL }, { "", PL_EINVAL },
		{ NULL, PL_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(line_gtin_check(cases[i].in), cases[i].want, "%s", cases[i].in ? cases[i].in : "NULL");
}

/* ------------------------------------------------------------ validation */

enum parent_sel { P_ENT, P_ENT_MISSING, P_SITE, P_LINE };

static void t_create_table(struct fx *f)
{
	json_t *site = NULL;
	char why[240];
	cr_assert_eq(mk(f, LINE_PLANT_SITE, f->ent, "{\"code\":\"T1\",\"name\":\"测试厂区\"}", &site, why,
			sizeof(why)), 0, "%s", why);
	char site_id[PL_ID_LEN + 1];
	pl_strlcpy(site_id, pl_json_str(site, "id"), sizeof(site_id));
	cr_expect_str_eq(pl_json_str(site, "enterprise_id"), f->ent);
	cr_expect(json_is_null(json_object_get(site, "address")));
	json_decref(site);

	static const struct {
		enum line_plant_kind k;
		enum parent_sel parent;
		const char *body;
		int want;
		const char *why; /* substring of the reason */
	} cases[] = {
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T2\",\"name\":\"二厂\",\"address\":\"地址\"}", 0, "" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T1\",\"name\":\"重复\"}", PL_EEXIST, "already has a site" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T 3\",\"name\":\"空格\"}", PL_EINVAL, "'code'" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"\",\"name\":\"空\"}", PL_EINVAL, "'code'" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T3\"}", PL_EINVAL, "'name' is required" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T3\",\"name\":\"a\\u0007b\"}", PL_EINVAL, "'name'" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T3\",\"name\":\"  \"}", PL_EINVAL, "'name'" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T3\",\"name\":\"x\",\"zip\":1}", PL_EINVAL, "unknown member 'zip'" },
		{ LINE_PLANT_SITE, P_ENT, "{\"code\":\"T3\",\"name\":\"x\",\"address\":5}", PL_EINVAL, "'address'" },
		{ LINE_PLANT_SITE, P_ENT_MISSING, "{\"code\":\"T3\",\"name\":\"x\"}", PL_ENOTFOUND, "" },
		{ LINE_PLANT_AREA, P_SITE, "{\"code\":\"A1\",\"name\":\"一车间\"}", 0, "" },
		{ LINE_PLANT_AREA, P_SITE, "{\"code\":\"A1\",\"name\":\"重复\"}", PL_EEXIST, "code" },
		{ LINE_PLANT_AREA, P_ENT, "{\"code\":\"A2\",\"name\":\"父级不对\"}", PL_ENOTFOUND, "" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"X-1\",\"name\":\"贴标机\",\"kind\":\"贴标机\",\"position\":9,\"sp_device\":\"label_1\"}", 0, "" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"X-2\",\"name\":\"m\",\"kind\":\"k\",\"position\":1000}", PL_EINVAL, "'position'" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"X-2\",\"name\":\"m\",\"kind\":\"k\",\"position\":1.5}", PL_EINVAL, "'position'" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"X-2\",\"name\":\"m\",\"kind\":\"k\",\"position\":2,\"sp_device\":\"a/b\"}", PL_EINVAL, "'sp_device'" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"X-2\",\"name\":\"m\",\"position\":2}", PL_EINVAL, "'kind' is required" },
		{ LINE_PLANT_MACHINE, P_LINE, "{\"code\":\"FILL-1\",\"name\":\"m\",\"kind\":\"k\",\"position\":2}", PL_EEXIST, "" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"96385074\",\"name\":\"小包装\",\"ideal_cycle_ms\":120.5}", 0, "" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"96385074\",\"name\":\"重复\",\"ideal_cycle_ms\":1}", PL_EEXIST, "GTIN" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"96385075\",\"name\":\"校验位\",\"ideal_cycle_ms\":1}", PL_EINVAL, "'gtin'" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"4006381333931\",\"name\":\"零\",\"ideal_cycle_ms\":0}", PL_EINVAL, "'ideal_cycle_ms'" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"4006381333931\",\"name\":\"负\",\"ideal_cycle_ms\":-5}", PL_EINVAL, "'ideal_cycle_ms'" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"4006381333931\",\"name\":\"太慢\",\"ideal_cycle_ms\":86400001}", PL_EINVAL, "'ideal_cycle_ms'" },
		{ LINE_PLANT_PRODUCT, P_ENT, "{\"gtin\":\"4006381333931\",\"name\":\"字符串\",\"ideal_cycle_ms\":\"5\"}", PL_EINVAL, "'ideal_cycle_ms'" },
		{ LINE_PLANT_LINE, P_ENT, "{\"name\":\"不能新建产线\"}", PL_EINVAL, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *parent = cases[i].parent == P_ENT ? f->ent : cases[i].parent == P_SITE ? site_id
				     : cases[i].parent == P_LINE ? f->line : "01ZZZZZZZZZZZZZZZZZZZZZZZZ";
		json_t *body = js(cases[i].body), *out = NULL;
		why[0] = '\0';
		/* on PostgreSQL a failed statement spoils the transaction: one per case */
		cr_assert_eq(store_begin(f->t.c), 0);
		int rc = line_plant_create(f->t.c, cases[i].k, parent, body, &out, why, sizeof(why));
		cr_expect_eq(rc, cases[i].want, "case %zu %s: %d (%s)", i, cases[i].body, rc, why);
		cr_expect(strstr(why, cases[i].why), "case %zu: reason '%s' lacks '%s'", i, why, cases[i].why);
		cr_expect((rc == 0) == (out != NULL), "case %zu: out iff created", i);
		cr_assert_eq(rc == 0 ? store_commit(f->t.c) : store_rollback(f->t.c), 0);
		json_decref(out);
		json_decref(body);
	}
	/* what the table left: T1, T2; A1; the machine; the product */
	cr_expect_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM plant_sites WHERE enterprise_id = ?", f->ent), 3);
	cr_expect_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM plant_areas WHERE site_id = ?", site_id), 1);
	cr_expect_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM line_machines WHERE line_id = ?", f->line), 5);
	cr_expect_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM line_products WHERE enterprise_id = ?", f->ent), 3);
}
Test(line_plant, create_table, .timeout = 60) { on_each_store(t_create_table); }

/* Updates: members checked like creates, the line's area only one of its
 * own enterprise, nothing changed on a refusal. */
static void t_update(struct fx *f)
{
	json_t *s2 = NULL, *a2 = NULL, *out = NULL, *line = NULL;
	char why[240];

	cr_assert_eq(mk(f, LINE_PLANT_SITE, f->ent2, "{\"code\":\"S\",\"name\":\"二\"}", &s2, why, sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(mk(f, LINE_PLANT_AREA, pl_json_str(s2, "id"), "{\"code\":\"A\",\"name\":\"二车间\"}", &a2,
			why, sizeof(why)), 0, "%s", why);
	cr_expect_str_eq(pl_json_str(a2, "enterprise_id"), f->ent2, "an area takes its site's enterprise");
	cr_assert_eq(line_plant_get(f->t.c, LINE_PLANT_LINE, f->line, &line), 0);
	char area[PL_ID_LEN + 1];
	pl_strlcpy(area, pl_json_str(line, "area_id"), sizeof(area));

	char body_other[128];
	pl_fmt(body_other, sizeof(body_other), "{\"area_id\":\"%s\"}", pl_json_str(a2, "id"));
	static const struct { const char *body; int want; const char *why; } cases[] = {
		{ "{}", PL_EINVAL, "nothing to change" },
		{ "{\"name\":\"\"}", PL_EINVAL, "'name'" },
		{ "{\"area_id\":\"nope\"}", PL_EINVAL, "'area_id'" },
		{ "{\"area_id\":\"01ZZZZZZZZZZZZZZZZZZZZZZZZ\"}", PL_EINVAL, "no area" },
		{ NULL /* another enterprise's area */, PL_EINVAL, "no area" },
		{ "{\"sp_node\":\"x\"}", PL_EINVAL, "unknown member" },
		{ "{\"name\":\"灌装线 1 改名\"}", 0, "" },
		{ "{\"area_id\":null}", 0, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = js(cases[i].body ? cases[i].body : body_other);
		why[0] = '\0';
		cr_expect_eq(line_plant_update(f->t.c, LINE_PLANT_LINE, f->line, body, &out, why, sizeof(why)),
			     cases[i].want, "case %zu (%s)", i, why);
		cr_expect(strstr(why, cases[i].why), "case %zu: '%s' lacks '%s'", i, why, cases[i].why);
		json_decref(body);
		json_decref(out);
		out = NULL;
		if (i == 4) { /* the refusals left the line where it was */
			json_t *now = NULL;
			cr_assert_eq(line_plant_get(f->t.c, LINE_PLANT_LINE, f->line, &now), 0);
			cr_expect_str_eq(pl_json_str(now, "area_id"), area);
			json_decref(now);
		}
	}
	cr_assert_eq(line_plant_get(f->t.c, LINE_PLANT_LINE, f->line, &out), 0);
	cr_expect(json_is_null(json_object_get(out, "area_id")));
	cr_expect_str_eq(pl_json_str(out, "name"), "灌装线 1 改名");
	json_decref(out);
	cr_expect_eq(upd(f, LINE_PLANT_SITE, "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "{\"name\":\"x\"}", why, sizeof(why)),
		     PL_ENOTFOUND);
	json_decref(line);
	json_decref(s2);
	json_decref(a2);
}
Test(line_plant, update, .timeout = 60) { on_each_store(t_update); }

/* ------------------------------------------------------------ tree */

static json_t *tree_for(struct fx *f, const char *ent)
{
	json_t *t = NULL;
	struct store_param p[] = { SP_TEXT(ent) };
	cr_assert_eq(line_plant_tree(f->t.c, ent ? " AND x.enterprise_id = ?" : "", p, ent ? 1 : 0, &t), 0);
	return json_object_get(t, "items") ? t : NULL;
}

static void t_tree(struct fx *f)
{
	json_t *t = tree_for(f, f->ent), *e = json_array_get(json_object_get(t, "items"), 0);
	cr_assert_eq(json_array_size(json_object_get(t, "items")), 1);
	cr_expect_str_eq(pl_json_str(e, "enterprise_id"), f->ent);
	json_t *site = json_array_get(json_object_get(e, "sites"), 0);
	cr_expect_str_eq(pl_json_str(site, "code"), "fuling");
	json_t *areas = json_object_get(site, "areas");
	cr_assert_eq(json_array_size(areas), 2);
	static const struct { const char *area, *node; size_t machines; } want[] = {
		{ "packing", "pack-1", 3 }, { "sterile", "fill-1", 4 },
	};
	for (size_t i = 0; i < 2; i++) {
		json_t *a = json_array_get(areas, i), *l = json_array_get(json_object_get(a, "lines"), 0);
		cr_expect_str_eq(pl_json_str(a, "code"), want[i].area);
		cr_expect_str_eq(pl_json_str(l, "sp_node"), want[i].node);
		cr_expect_eq(json_array_size(json_object_get(l, "machines")), want[i].machines);
		cr_expect(json_is_string(json_object_get(json_object_get(l, "plan"), "product_id")));
	}
	cr_expect_eq(json_array_size(json_object_get(e, "products")), 2);
	cr_expect_eq(json_array_size(json_object_get(e, "unassigned_lines")), 0);
	json_decref(t);

	/* enterprise 2 has nothing yet: it is not listed */
	t = tree_for(f, f->ent2);
	cr_expect_eq(json_array_size(json_object_get(t, "items")), 0);
	json_decref(t);
	/* the same filter the handler builds for an enterprise user */
	struct auth_principal p;
	struct store_param sp[4];
	size_t np = 0;
	struct pl_buf where;
	pl_buf_init(&where, 256);
	tfx_principal(f->a, "ent1", &p);
	cr_assert_eq(auth_tenant_filter(&p, AUTH_A_LINE_READ, "x.enterprise_id", &where, sp, &np), 0);
	cr_assert_eq(line_plant_tree(f->t.c, where.data ? where.data : "", sp, np, &t), 0);
	cr_expect_eq(json_array_size(json_object_get(t, "items")), 1);
	cr_expect_str_eq(pl_json_str(json_array_get(json_object_get(t, "items"), 0), "enterprise_id"), f->ent);
	json_decref(t);
	pl_buf_release(&where);

	/* a line without an area is listed under its enterprise */
	char why[200];
	cr_assert_eq(upd(f, LINE_PLANT_LINE, f->line, "{\"area_id\":null}", why, sizeof(why)), 0);
	t = tree_for(f, NULL);
	e = json_array_get(json_object_get(t, "items"), 0);
	json_t *un = json_object_get(e, "unassigned_lines");
	cr_expect_eq(json_array_size(un), 1);
	cr_expect_eq(json_array_size(json_object_get(json_array_get(un, 0), "machines")), 4);
	json_decref(t);
}
Test(line_plant, tree, .timeout = 60) { on_each_store(t_tree); }

/* Delete guards and a product change reaching the plans that run it. */
static void t_delete_and_product(struct fx *f)
{
	json_t *plan = NULL, *site = NULL;
	char why[240];
	cr_assert_eq(line_plan_get(f->t.c, f->line, &plan), 0);
	char product[PL_ID_LEN + 1], area[PL_ID_LEN + 1];
	pl_strlcpy(product, pl_json_str(plan, "product_id"), sizeof(product));
	json_decref(plan);
	cr_assert_eq(store_query_one(f->t.c, "SELECT area_id FROM lines WHERE id = ?",
				     (struct store_param[]){ SP_TEXT(f->line) }, 1, &site), 0);
	pl_strlcpy(area, pl_json_str(site, "area_id"), sizeof(area));
	json_decref(site);
	site = NULL;
	char site_id[PL_ID_LEN + 1];
	cr_assert_eq(store_query_one(f->t.c, "SELECT site_id FROM plant_areas WHERE id = ?",
				     (struct store_param[]){ SP_TEXT(area) }, 1, &site), 0);
	pl_strlcpy(site_id, pl_json_str(site, "site_id"), sizeof(site_id));
	json_decref(site);

	static const struct { enum line_plant_kind k; int which; int want; const char *why; } cases[] = {
		{ LINE_PLANT_PRODUCT, 0, PL_ECONFLICT, "plan runs this product" },
		{ LINE_PLANT_AREA, 1, PL_ECONFLICT, "still has lines" },
		{ LINE_PLANT_SITE, 2, PL_ECONFLICT, "still has areas" },
		{ LINE_PLANT_LINE, 3, PL_EINVAL, "" },
		{ LINE_PLANT_MACHINE, 4, PL_ENOTFOUND, "" },
	};
	const char *ids[] = { product, area, site_id, f->line, "01ZZZZZZZZZZZZZZZZZZZZZZZZ" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(line_plant_delete(f->t.c, cases[i].k, ids[cases[i].which], why, sizeof(why)),
			     cases[i].want, "case %zu", i);
		cr_expect(strstr(why, cases[i].why), "case %zu: '%s'", i, why);
	}
	cr_expect_eq(tfx_count(f->t.c, "SELECT count(*) AS n FROM line_products WHERE id = ?", product), 1);

	/* the product's new cycle time and name are what the plan (and OEE) read */
	cr_assert_eq(upd(f, LINE_PLANT_PRODUCT, product, "{\"ideal_cycle_ms\":250,\"name\":\"新名称\"}", why,
			 sizeof(why)), 0, "%s", why);
	cr_assert_eq(line_plan_get(f->t.c, f->line, &plan), 0);
	cr_expect_eq(json_number_value(json_object_get(plan, "ideal_cycle_ms")), 250);
	cr_expect_str_eq(pl_json_str(plan, "product"), "新名称");
	json_decref(plan);
	json_t *r = NULL;
	cr_assert_eq(line_live_oee(f->t.c, f->line, f->shift0, f->shift0 + 3600000, f->shift0 + 86400000, &r), 0);
	cr_expect_eq(json_number_value(json_object_get(r, "ideal_cycle_ms")), 250);
	cr_expect_str_eq(pl_json_str(r, "product"), "新名称");
	json_decref(r);

	/* a machine goes, and is gone */
	json_t *m = NULL;
	cr_assert_eq(mk(f, LINE_PLANT_MACHINE, f->line, "{\"code\":\"TMP\",\"name\":\"临时\",\"kind\":\"k\","
			"\"position\":9}", &m, why, sizeof(why)), 0);
	cr_expect_eq(line_plant_delete(f->t.c, LINE_PLANT_MACHINE, pl_json_str(m, "id"), why, sizeof(why)), 0);
	cr_expect_eq(line_plant_delete(f->t.c, LINE_PLANT_MACHINE, pl_json_str(m, "id"), why, sizeof(why)), PL_ENOTFOUND);
	json_decref(m);
}
Test(line_plant, delete_and_product, .timeout = 60) { on_each_store(t_delete_and_product); }

/* ------------------------------------------------------------ plans */

/* One 早班 08:00-16:00 Beijing = [shift0, shift0 + 8 h) UTC. The line runs
 * for 6 h, is down 6 h..8 h. Each row puts a plan and works the OEE of the
 * shift by hand: PBT = shift time in the window less planned stops, APT =
 * running time in it (6 h), A = APT / PBT. */
static void t_plan_oee(struct fx *f)
{
	static const struct {
		const char *shifts;
		int64_t pbt, stops;
		double a;
	} cases[] = {
		{ "[{\"name\":\"早班\",\"start_min\":480,\"length_min\":480}]", 8 * 3600000LL, 0, 0.75 },
		/* a planned stop while the line is down: 6 h of 7 */
		{ "[{\"name\":\"早班\",\"start_min\":480,\"length_min\":480,\"stops\":[{\"offset_min\":360,\"length_min\":60}]}]",
		  7 * 3600000LL, 3600000, 6.0 / 7 },
		/* the whole downtime planned: 6 h of 6 */
		{ "[{\"name\":\"早班\",\"start_min\":480,\"length_min\":480,\"stops\":[{\"offset_min\":360,\"length_min\":60},"
		  "{\"offset_min\":420,\"length_min\":60}]}]", 6 * 3600000LL, 7200000, 1.0 },
		/* a 6-hour shift: the down time falls outside it */
		{ "[{\"name\":\"短班\",\"start_min\":480,\"length_min\":360}]", 6 * 3600000LL, 0, 1.0 },
	};
	struct store_param p1[] = { SP_TEXT(f->line), SP_INT(f->shift0), SP_TEXT("running") };
	struct store_param p2[] = { SP_TEXT(f->line), SP_INT(f->shift0 + 6 * 3600000LL), SP_TEXT("down") };
	struct store_param p3[] = { SP_TEXT(f->line), SP_INT(f->shift0 + 8 * 3600000LL), SP_TEXT("running") };
	const char *ins = "INSERT INTO line_state_log (line_id, t_start, state) VALUES (?, ?, ?)";
	cr_assert_eq(store_exec(f->t.c, ins, p1, 3, NULL), 0);
	cr_assert_eq(store_exec(f->t.c, ins, p2, 3, NULL), 0);
	cr_assert_eq(store_exec(f->t.c, ins, p3, 3, NULL), 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[1024], why[320];
		json_t *r = NULL;
		/* in force from the shift's start: a plan put at the same instant
		 * replaces that version (a plan put now would leave it alone) */
		pl_fmt(body, sizeof(body), "{\"product\":\"测试产品\",\"ideal_cycle_ms\":500,"
		       "\"effective_from\":%lld,\"calendar\":{\"utc_offset_min\":480,\"shifts\":%s}}",
		       (long long)f->shift0, cases[i].shifts);
		cr_assert_eq(put_plan(f, f->line, body, why, sizeof(why)), 0, "case %zu: %s", i, why);
		cr_assert_eq(line_live_oee(f->t.c, f->line, f->shift0, f->shift0 + 8 * 3600000LL,
					   f->shift0 + 86400000, &r), 0);
		cr_expect_eq(json_integer_value(json_object_get(r, "planned_busy_ms")), cases[i].pbt, "case %zu", i);
		cr_expect_eq(json_integer_value(json_object_get(r, "planned_stop_ms")), cases[i].stops, "case %zu", i);
		cr_expect_eq(json_integer_value(json_object_get(r, "actual_production_ms")), 6 * 3600000LL);
		cr_expect(fabs(json_number_value(json_object_get(r, "availability")) - cases[i].a) < 1e-12,
			  "case %zu: A = %f, want %f", i, json_number_value(json_object_get(r, "availability")),
			  cases[i].a);
		json_decref(r);
	}

	/* refusals: nothing changes */
	static const struct { const char *body; const char *why; } bad[] = {
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5}", "'calendar' must be" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[]}}", "1..8 shifts" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":900,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60}]}}", "not a valid shift pattern" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":1440,\"length_min\":60}]}}", "not a valid shift pattern" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60,\"stops\":[{\"offset_min\":30,\"length_min\":31}]}]}}", "not a valid shift pattern" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60,\"stops\":[{\"offset_min\":0,\"length_min\":10},{\"offset_min\":5,\"length_min\":10}]}]}}", "not a valid shift pattern" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60,\"break\":1}]}}", "'calendar.shifts[0]'" },
		{ "{\"product\":\"p\",\"ideal_cycle_ms\":5,\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"0123456789abcdef\",\"start_min\":0,\"length_min\":60}]}}", "'calendar.shifts[0]'" },
		{ "{\"product\":\"p\",\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60}]}}", "give 'product_id'" },
		{ "{\"product_id\":\"01ZZZZZZZZZZZZZZZZZZZZZZZZ\",\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,\"length_min\":60}]}}", "no product" },
		{ "{\"owner\":1,\"calendar\":{}}", "unknown member 'owner'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char why[320] = "";
		cr_expect_eq(put_plan(f, f->line, bad[i].body, why, sizeof(why)), PL_EINVAL, "bad %zu", i);
		cr_expect(strstr(why, bad[i].why), "bad %zu: '%s' lacks '%s'", i, why, bad[i].why);
	}
	json_t *plan = NULL;
	cr_assert_eq(line_plan_get(f->t.c, f->line, &plan), 0);
	cr_expect_str_eq(pl_json_str(json_array_get(json_object_get(json_object_get(plan, "calendar"), "shifts"), 0),
				     "name"), "短班", "the last good plan stays");
	json_decref(plan);
	/* another enterprise's product is refused like a missing one */
	json_t *other = NULL;
	char why[240];
	cr_assert_eq(mk(f, LINE_PLANT_PRODUCT, f->ent2, "{\"gtin\":\"96385074\",\"name\":\"二\",\"ideal_cycle_ms\":5}",
			&other, why, sizeof(why)), 0);
	char body[256];
	pl_fmt(body, sizeof(body), "{\"product_id\":\"%s\",\"calendar\":{\"utc_offset_min\":480,\"shifts\":"
	       "[{\"name\":\"A\",\"start_min\":0,\"length_min\":60}]}}", pl_json_str(other, "id"));
	cr_expect_eq(put_plan(f, f->line, body, why, sizeof(why)), PL_EINVAL);
	cr_expect(strstr(why, "no product"), "%s", why);
	cr_expect_eq(put_plan(f, "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "{\"product\":\"p\",\"ideal_cycle_ms\":5,"
			      "\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"A\",\"start_min\":0,"
			      "\"length_min\":60}]}}", why, sizeof(why)), PL_ENOTFOUND);
	json_decref(other);
}
Test(line_plant, plan_oee, .timeout = 60) { on_each_store(t_plan_oee); }

/* Plan versions (migration 23, src/line/live.c NOTES 6), hand-worked on one
 * 8-hour shift from shift0 with no planned stop, running throughout: 产品甲
 * (500 ms) from the shift's start, 产品乙 (1,000 ms) from 4 h. The good
 * counter makes 14,000 units in the first four hours and 7,000 in the
 * last four (a point every 15 min, and one just before the changeover).
 * Performance = (14,000 x 0.5 s + 7,000 x 1 s) / 8 h = 14,000 / 28,800;
 * the old single-plan arithmetic would give 21,000 x 1 s / 8 h (0.729).
 * Then: a change dated before a later version is a conflict and changes
 * nothing; a change made now leaves the shift's report as it was; the plan
 * lists its versions newest first. */
static void t_plan_versions(struct fx *f)
{
	const int64_t h = 3600000, s0 = f->shift0;
	const char *cal = "\"calendar\":{\"utc_offset_min\":480,\"shifts\":[{\"name\":\"早班\","
			  "\"start_min\":480,\"length_min\":480}]}";
	char body[512], why[320] = "";
	struct line_point good[40];
	size_t n = 0;
	json_t *r = NULL, *plan = NULL;

	for (int64_t t = 0; t < 4 * h; t += h / 4)
		good[n++] = (struct line_point){ s0 + t, 14000.0 * (double)t / (4.0 * h) };
	good[n++] = (struct line_point){ s0 + 4 * h - 1000, 14000 };
	for (int64_t t = 4 * h; t <= 8 * h - h / 4; t += h / 4)
		good[n++] = (struct line_point){ s0 + t, 14000 + 7000.0 * (double)(t - 4 * h) / (3.75 * h) };
	char sid[PL_ID_LEN + 1];
	int64_t last;
	cr_assert_eq(line_repo_series_ensure(f->t.c, f->line, "good", sid, &last), 0);
	cr_assert_eq(line_repo_block_put(f->t.c, sid, good, n), 0);
	struct store_param ps[] = { SP_TEXT(f->line), SP_INT(s0), SP_TEXT("running") };
	cr_assert_eq(store_exec(f->t.c, "INSERT INTO line_state_log (line_id, t_start, state) VALUES (?, ?, ?)",
				ps, 3, NULL), 0);

	pl_fmt(body, sizeof(body), "{\"product\":\"产品甲\",\"ideal_cycle_ms\":500,\"effective_from\":%lld,%s}",
	       (long long)s0, cal);
	cr_assert_eq(put_plan(f, f->line, body, why, sizeof(why)), 0, "%s", why);
	pl_fmt(body, sizeof(body), "{\"product\":\"产品乙\",\"ideal_cycle_ms\":1000,"
	       "\"effective_from\":\"2026-11-25T04:00:00Z\",%s}", cal);
	cr_assert_eq(put_plan(f, f->line, body, why, sizeof(why)), 0, "%s", why);

	for (int pass = 0; pass < 2; pass++) {
		cr_assert_eq(line_live_oee(f->t.c, f->line, s0, s0 + 8 * h, s0 + 86400000, &r), 0);
		cr_expect_eq(json_integer_value(json_object_get(r, "planned_busy_ms")), 8 * h, "pass %d", pass);
		cr_expect_eq(json_integer_value(json_object_get(r, "good")), 21000, "pass %d", pass);
		double perf = json_number_value(json_object_get(r, "performance"));
		cr_expect(fabs(perf - 14000.0 / 28800) < 1e-12, "pass %d: P = %.6f", pass, perf);
		json_t *per = json_object_get(r, "periods");
		cr_assert_eq(json_array_size(per), 2, "pass %d", pass);
		cr_expect_str_eq(pl_json_str(json_array_get(per, 0), "product"), "产品甲");
		cr_expect_eq(json_integer_value(json_object_get(json_array_get(per, 0), "good")), 14000);
		cr_expect_str_eq(pl_json_str(json_array_get(per, 1), "from"), "2026-11-25T04:00:00.000Z");
		cr_expect_eq(json_integer_value(json_object_get(json_array_get(per, 1), "good")), 7000);
		cr_expect_str_eq(pl_json_str(r, "product"), "产品乙", "the plan at the window's end");
		json_decref(r);
		r = NULL;
		if (pass)
			break;
		/* dated before the 04:00 version: refused, nothing changed */
		pl_fmt(body, sizeof(body), "{\"product\":\"产品丙\",\"ideal_cycle_ms\":50,\"effective_from\":%lld,%s}",
		       (long long)(s0 + h), cal);
		cr_expect_eq(put_plan(f, f->line, body, why, sizeof(why)), PL_ECONFLICT);
		cr_expect(strstr(why, "2026-11-25T04:00:00"), "%s", why);
		cr_assert_eq(line_plan_get(f->t.c, f->line, &plan), 0);
		cr_expect_str_eq(pl_json_str(plan, "product"), "产品乙", "the refusal wrote nothing");
		json_decref(plan);
		plan = NULL;
		/* a change now: today's plan, not the shift's */
		pl_fmt(body, sizeof(body), "{\"product\":\"产品丙\",\"ideal_cycle_ms\":50,%s}", cal);
		cr_expect_eq(put_plan(f, f->line, body, why, sizeof(why)), 0, "%s", why);
	}
	/* bad effective_from values */
	static const char *const bad[] = { "\"yesterday\"", "1.5", "true", "946684799999", "99999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_fmt(body, sizeof(body), "{\"product\":\"产品丁\",\"ideal_cycle_ms\":5,\"effective_from\":%s,%s}",
		       bad[i], cal);
		cr_expect_eq(put_plan(f, f->line, body, why, sizeof(why)), PL_EINVAL, "%s", bad[i]);
		cr_expect(strstr(why, "effective_from"), "%s: %s", bad[i], why);
	}
	cr_assert_eq(line_plan_get(f->t.c, f->line, &plan), 0);
	json_t *v = json_object_get(plan, "versions");
	cr_expect_str_eq(pl_json_str(plan, "product"), "产品丙");
	cr_assert_geq(json_array_size(v), 4, "demo, 甲, 乙, 丙");
	cr_expect_str_eq(pl_json_str(json_array_get(v, 0), "product"), "产品丙");
	cr_expect_str_eq(pl_json_str(json_array_get(v, 1), "product"), "产品乙");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(v, 2), "valid_from")), s0);
	cr_expect_eq(json_integer_value(json_object_get(plan, "effective_from")),
		     json_integer_value(json_object_get(json_array_get(v, 0), "valid_from")));
	json_decref(plan);
}
Test(line_plant, plan_versions, .timeout = 60) { on_each_store(t_plan_versions); }

/* ------------------------------------------------------------ migration */

/* Lines that exist before migration 17 land in one default site and area
 * of their enterprise. The migration (and every later one) is held back
 * by recording it as applied, the older schema gets a line, then they run
 * for real. */
static void t_migration(bool pg)
{
	struct tenv e;
	struct tenv_opts o = { .no_migrate = true };
	int applied = 0;
	char ent[PL_ID_LEN + 1], line[PL_ID_LEN + 1];

	if (!tenv_open_opts(&e, pg, "plantmig", &o))
		return;
	cr_assert_eq(store_exec(e.c, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
				" name TEXT NOT NULL, applied_at TEXT NOT NULL)", NULL, 0, NULL), 0);
	/* 17 and every later one, as a store of that age would be */
	for (int v = 17; v < 100; v++) {
		struct store_param pv[] = { SP_INT(v) };
		cr_assert_eq(store_exec(e.c, "INSERT INTO schema_migrations VALUES (?, 'held back', 'x')",
					pv, 1, NULL), 0);
	}
	cr_assert_eq(store_migrate(e.st, &applied), 0);
	tenv_add_enterprise(&e, "迁移前企业", ent);
	pl_id_new(line);
	struct store_param p[] = { SP_TEXT(line), SP_TEXT(ent) };
	cr_assert_eq(store_exec(e.c, "INSERT INTO lines (id, enterprise_id, name, sp_group, sp_node, created_at)"
				" VALUES (?, ?, '老产线', 'g', 'n', '2026-01-01T00:00:00Z')", p, 2, NULL), 0);
	cr_assert_eq(store_exec(e.c, "DELETE FROM schema_migrations WHERE version >= 17", NULL, 0, NULL), 0);
	cr_assert_eq(store_migrate(e.st, &applied), 0);
	cr_expect_geq(applied, 2, "17 and the later ones (23 at least)");

	json_t *row = NULL, *area = NULL, *site = NULL;
	cr_assert_eq(store_query_one(e.c, "SELECT area_id FROM lines WHERE id = ?", p, 1, &row), 0);
	const char *area_id = pl_json_str(row, "area_id");
	cr_assert(area_id && pl_id_valid(area_id), "line moved into an area with a valid id: %s", area_id);
	cr_assert_eq(store_query_one(e.c, "SELECT site_id, enterprise_id, code, name FROM plant_areas WHERE id = ?",
				     (struct store_param[]){ SP_TEXT(area_id) }, 1, &area), 0);
	cr_expect_str_eq(pl_json_str(area, "enterprise_id"), ent);
	cr_expect_str_eq(pl_json_str(area, "code"), "default");
	cr_assert_eq(store_query_one(e.c, "SELECT id, enterprise_id, code, name FROM plant_sites WHERE id = ?",
				     (struct store_param[]){ SP_TEXT(pl_json_str(area, "site_id")) }, 1, &site), 0);
	cr_expect_str_eq(pl_json_str(site, "enterprise_id"), ent);
	cr_expect_str_eq(pl_json_str(site, "name"), "默认厂区");
	cr_expect(pl_id_valid(pl_json_str(site, "id")));
	json_decref(site);
	json_decref(area);
	json_decref(row);
	tenv_close(&e);
}
Test(line_plant, migration_moves_lines, .timeout = 60)
{
	t_migration(false);
	t_migration(true);
}
