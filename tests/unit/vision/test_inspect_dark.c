/* test_inspect_dark.c - dark-field views (simulator note 7, inspector note
 * 12) on simulator units with known ground truth: the product's
 * dark_field_views in JSON and on the command line (bad indices refused
 * with a sentence), the rendered picture (black field, bright glass; the
 * back-lit views byte-identical to a product without dark-field views),
 * and the pipeline: good units and bubbles pass, glass flakes that are
 * faint in back-light are found with the dark-field views' evidence, and
 * fill and cap verdicts still come from the back-lit views. Small frames
 * (50 um/px, 512x768, 8 views x 3 frames, views 0 and 4 dark-field) as in
 * test_inspect.c. */
#include <criterion/criterion.h>
#include <math.h>
#include "vision/vision.h"
#include "vis_fixture.h"

/* ----------------------------------------------------------- config */
struct cfgcase {
	const char *name;
	const char *json;
	int rc;
	uint32_t mask;     /* expected when rc is 0 */
	const char *words; /* in the error text when rc is not 0 */
};
static const struct cfgcase cfgcases[] = {
	{ "absent: none", "{}", 0, 0, NULL },
	{ "empty list", "{\"dark_field_views\": []}", 0, 0, NULL },
	{ "two views", "{\"views\": 8, \"dark_field_views\": [4, 0]}", 0, 0x11, NULL },
	{ "views given after the list", "{\"dark_field_views\": [7], \"views\": 8}", 0, 0x80, NULL },
	{ "index not below views", "{\"views\": 8, \"dark_field_views\": [8]}", PL_EINVAL, 0, "not below views" },
	{ "negative index", "{\"dark_field_views\": [-1]}", PL_EINVAL, 0, "view indices" },
	{ "index past the cap", "{\"dark_field_views\": [32]}", PL_EINVAL, 0, "view indices" },
	{ "not a number", "{\"dark_field_views\": [\"1\"]}", PL_EINVAL, 0, "view indices" },
	{ "not an array", "{\"dark_field_views\": 3}", PL_EINVAL, 0, "view indices" },
	{ "repeated", "{\"dark_field_views\": [2, 2]}", PL_EINVAL, 0, "twice" },
	{ "every view dark", "{\"views\": 2, \"min_views_agree\": 1, \"dark_field_views\": [0, 1]}",
	  PL_EINVAL, 0, "back-lit" },
};

Test(vis_dark, config_json_table)
{
	for (size_t i = 0; i < sizeof(cfgcases) / sizeof(cfgcases[0]); i++) {
		const struct cfgcase *k = &cfgcases[i];
		json_error_t je;
		json_t *j = json_loads(k->json, 0, &je);
		struct vis_config c;
		struct pl_json_error err;
		cr_assert(j, "case '%s' JSON", k->name);
		int rc = vis_config_from_json(j, &c, &err);
		cr_expect_eq(rc, k->rc, "case '%s': rc %d (%s)", k->name, rc, err.text);
		if (rc == 0) {
			cr_expect_eq(c.dark_field_mask, k->mask, "case '%s': mask %#x", k->name,
				     c.dark_field_mask);
			/* round trip, and the member is written only when set */
			json_t *back = vis_config_to_json(&c);
			struct vis_config d;
			cr_expect_eq(json_object_get(back, "dark_field_views") != NULL, k->mask != 0);
			cr_expect_eq(vis_config_from_json(back, &d, &err), 0, "%s", err.text);
			cr_expect_eq(memcmp(&c, &d, sizeof(c)), 0, "case '%s' round trip", k->name);
			json_decref(back);
		} else {
			cr_expect(strstr(err.text, k->words), "case '%s': message '%s' lacks '%s'", k->name,
				  err.text, k->words);
		}
		json_decref(j);
	}
}

struct listcase {
	const char *list;
	int rc;
	uint32_t mask;
};
static const struct listcase listcases[] = {
	{ "0,4", 0, 0x11 },  { "7", 0, 0x80 },        { "none", 0, 0 },
	{ "8", PL_EINVAL, 0 }, { "1,,2", PL_EINVAL, 0 }, { "1,1", PL_EINVAL, 0 },
	{ "", PL_EINVAL, 0 }, { "x", PL_EINVAL, 0 },    { "0,1,2,3,4,5,6,7", PL_EINVAL, 0 },
	{ "-1", PL_EINVAL, 0 },
};

Test(vis_dark, command_line_list_and_spacing)
{
	struct vis_config c;
	char why[160];
	vis_config_default(&c);
	c.views = 8;
	for (size_t i = 0; i < sizeof(listcases) / sizeof(listcases[0]); i++) {
		struct vis_config t = c;
		t.dark_field_mask = 0x2; /* replaced on success, kept on failure */
		why[0] = 0;
		int rc = vis_config_parse_dark_field(&t, listcases[i].list, why, sizeof(why));
		cr_expect_eq(rc, listcases[i].rc, "'%s': rc %d (%s)", listcases[i].list, rc, why);
		cr_expect_eq(t.dark_field_mask, rc ? 0x2u : listcases[i].mask, "'%s': mask %#x",
			     listcases[i].list, t.dark_field_mask);
		if (rc)
			cr_expect(why[0], "'%s' needs a message", listcases[i].list);
	}
	/* N evenly spaced: 22 views, 4 dark -> 0, 5, 11, 16 */
	c.views = 22;
	cr_expect_eq(vis_config_set_dark_field(&c, 4), 0);
	cr_expect_eq(c.dark_field_mask, (1u << 0) | (1u << 5) | (1u << 11) | (1u << 16));
	cr_expect_eq(vis_config_set_dark_field(&c, 22), PL_EINVAL);
	cr_expect_eq(c.dark_field_mask, (1u << 0) | (1u << 5) | (1u << 11) | (1u << 16));
	cr_expect_eq(vis_config_set_dark_field(&c, 0), 0);
	cr_expect_eq(c.dark_field_mask, 0u);
}

/* ---------------------------------------------------------- fixture */
#define DARK_0_4 0x11u

/* FNV-1a over one frame. */
static uint64_t frame_hash(const struct vis_image *im)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t p = 0; p < (size_t)im->w * im->h; p++)
		h = (h ^ im->px[p]) * 1099511628211ULL;
	return h;
}

/* Mean grey of a 5x5 patch at (u, z) mm in a view rendered centred
 * (jitter is at most 0.3 mm: patches are placed well inside features). */
static double at(const struct vis_config *c, const struct vis_image *im, double u, double z)
{
	double ppm = 1000.0 / c->um_per_px;
	int x = (int)lround(c->width * 0.5 + u * ppm);
	int y = (int)lround(c->height * 0.5 + 0.5 * c->cap_top_mm * ppm - z * ppm);
	double s = 0;
	for (int dy = -2; dy <= 2; dy++)
		for (int dx = -2; dx <= 2; dx++)
			s += im->px[(size_t)(y + dy) * im->stride + x + dx];
	return s / 25;
}

/* ------------------------------------------------------------ picture */
Test(vis_dark, picture_and_determinism)
{
	struct fixture d, b;
	struct vis_sim_truth td, tb;
	fx_init(&d, DARK_0_4, 0);
	fx_init(&b, 0, 0);
	uint64_t us = vis_sim_unit_seed(31, 0);
	cr_assert_eq(vis_sim_unit(d.sim, us, 0.0, 0, d.frames, d.n, &td), 0);
	cr_assert_eq(vis_sim_unit(b.sim, us, 0.0, 0, b.frames, b.n, &tb), 0);
	/* back-lit views are exactly what a back-lit-only product renders;
	 * the dark-field views are not */
	for (unsigned v = 0; v < d.cfg.views; v++)
		for (unsigned fr = 0; fr < d.cfg.frames; fr++) {
			size_t i = (size_t)v * d.cfg.frames + fr;
			bool same = frame_hash(&d.frames[i]) == frame_hash(&b.frames[i]);
			cr_expect_eq(same, !vis_config_dark_field(&d.cfg, v), "view %u frame %u", v, fr);
		}
	/* the physics of a dark-field view (table: where, lowest, highest) */
	const struct vis_config *c = &d.cfg;
	double rin = c->body_radius_mm - c->wall_mm, zl = 0.5 * c->fill_min_mm;
	static const char *const what[] = { "field beside the vial", "liquid", "base",
					     "field above the cap" };
	double pts[][2] = { { c->body_radius_mm + 2.5, zl }, { 0.3 * rin, zl },
			    { 0, 0.5 * c->base_mm }, { 0, c->cap_top_mm + 1.0 } };
	double lo[] = { 0, 0, 60, 0 }, hi[] = { 15, 20, 255, 15 };
	const struct vis_image *dv = &d.frames[0];      /* view 0 frame 0: dark-field */
	const struct vis_image *bv = &b.frames[0];      /* the same view back-lit */
	for (size_t k = 0; k < sizeof(what) / sizeof(what[0]); k++) {
		double g = at(c, dv, pts[k][0], pts[k][1]);
		cr_expect(g >= lo[k] && g <= hi[k], "%s: grey %.1f outside [%.0f, %.0f]", what[k], g,
			  lo[k], hi[k]);
	}
	/* the outer wall: a bright line just inside the silhouette (searched
	 * over the jitter) */
	double wall = 0;
	for (double u = 0.9 * c->body_radius_mm; u <= c->body_radius_mm + 0.4; u += 0.02)
		wall = fmax(wall, at(c, dv, u, zl));
	cr_expect(wall > 35, "outer wall line: grey %.1f", wall);
	/* back-light is bright where dark-field is black */
	cr_expect(at(c, bv, c->body_radius_mm + 2.5, zl) > 120);
	/* a bright meniscus line near the truth's fill height in the dark view */
	double best = 0, bestz = 0;
	for (double z = td.fill_mm - 1.0; z <= td.fill_mm + 1.0; z += 0.05) {
		double g = at(c, dv, 0, z);
		if (g > best) {
			best = g;
			bestz = z;
		}
	}
	cr_expect(best > 25 && fabs(bestz - td.fill_mm) < 0.5, "meniscus line %.1f grey at %.2f mm, fill %.2f",
		  best, bestz, td.fill_mm);
	/* deterministic: a second simulator gives the same bytes */
	struct fixture d2;
	fx_init(&d2, DARK_0_4, 0);
	vis_sim_unit(d2.sim, us, 0.0, 0, d2.frames, d2.n, &td);
	for (size_t i = 0; i < d.n; i++)
		cr_expect_eq(frame_hash(&d.frames[i]), frame_hash(&d2.frames[i]), "frame %zu", i);
	fx_release(&d2);
	fx_release(&d);
	fx_release(&b);
}

/* ----------------------------------------------------------- pipeline */
struct dcase {
	const char *name;
	enum vis_class truth;
	enum vis_sim_kind kind; /* of the first object, when it has objects */
	double min_um;
	double flake_rate;
	enum vis_verdict verdict;
	enum vis_class call;
	bool from_dark; /* the strongest reason's view must be dark-field */
};
static const struct dcase dcases[] = {
	{ "good", VIS_C_NONE, VIS_K_DARK, 0, 0, VIS_ACCEPT, VIS_C_NONE, false },
	{ "good with bubbles", VIS_C_NONE, VIS_K_BUBBLE, 0, 0, VIS_ACCEPT, VIS_C_NONE, false },
	{ "glass flake >= 150 um", VIS_C_PARTICLE, VIS_K_BRIGHT, 150, 1, VIS_REJECT, VIS_C_PARTICLE, true },
	{ "dark particle >= 200 um", VIS_C_PARTICLE, VIS_K_DARK, 200, 0, VIS_REJECT, VIS_C_PARTICLE, false },
	{ "stuck particle >= 200 um", VIS_C_PARTICLE, VIS_K_STUCK, 200, 0, VIS_REJECT, VIS_C_PARTICLE, false },
	{ "glass crack", VIS_C_GLASS_CRACK, VIS_K_CRACK, 0, 0, VIS_REJECT, VIS_C_GLASS_CRACK, false },
	{ "fill low", VIS_C_FILL_LOW, VIS_K_DARK, 0, 0, VIS_REJECT, VIS_C_FILL_LOW, false },
	{ "fill high", VIS_C_FILL_HIGH, VIS_K_DARK, 0, 0, VIS_REJECT, VIS_C_FILL_HIGH, false },
	{ "cap missing", VIS_C_CAP_MISSING, VIS_K_DARK, 0, 0, VIS_REJECT, VIS_C_CAP_MISSING, false },
	{ "cap tilted", VIS_C_CAP_MISALIGNED, VIS_K_DARK, 0, 0, VIS_REJECT, VIS_C_CAP_MISALIGNED, false },
};

Test(vis_dark, pipeline_table)
{
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *k = &dcases[i];
		struct fixture f;
		struct vis_sim_truth t;
		struct vis_result r;
		fx_init(&f, DARK_0_4, k->flake_rate);
		double rate = k->truth == VIS_C_NONE ? 0.0 : 1.0;
		uint64_t us = find_unit(&f, k->truth, k->kind, k->min_um, rate);
		vis_result_init(&r);
		cr_assert_eq(vis_sim_unit(f.sim, us, rate, 0, f.frames, f.n, &t), 0);
		cr_assert_eq(vis_inspect(f.ctx, f.frames, f.n, &r), 0);
		cr_expect_eq(r.verdict, k->verdict, "case '%s': verdict %s (%s)", k->name,
			     vis_verdict_name(r.verdict), r.n_reasons ? r.reasons[0].detail : "");
		cr_expect_eq(called(&r), k->call, "case '%s': called %s", k->name,
			     vis_class_name(called(&r)));
		/* fill and cap are measured in the back-lit views, as before */
		if (k->truth != VIS_C_FILL_LOW)
			cr_expect(fabs(r.fill_mm - t.fill_mm) < 0.15, "case '%s': fill %.3f vs %.3f",
				  k->name, r.fill_mm, t.fill_mm);
		if (k->truth == VIS_C_NONE)
			cr_expect(fabs(r.cap_top_mm - f.cfg.cap_top_mm) < 0.3, "case '%s': cap %.2f",
				  k->name, r.cap_top_mm);
		if (k->kind == VIS_K_BUBBLE && k->truth == VIS_C_NONE)
			cr_expect(r.n_bubbles > 0, "case '%s': bubbles seen and passed", k->name);
		if (k->from_dark) {
			cr_assert(r.n_reasons > 0);
			int v = r.reasons[0].view;
			cr_expect(v >= 0 && vis_config_dark_field(&f.cfg, (unsigned)v),
				  "case '%s': strongest view %d is not dark-field", k->name, v);
		}
		vis_result_release(&r);
		fx_release(&f);
	}
}

/* The reason dark-field exists: a small glass flake (seed 2024's first
 * flake of 90-150 um) that the back-lit views alone miss - its rim is a
 * few per cent of the back-light - is found once two of the eight views
 * are dark-field, with a dark-field view giving the strongest evidence. */
Test(vis_dark, small_flake_needs_dark_field)
{
	struct fixture b, d;
	struct vis_sim_truth t;
	struct vis_result rb, rd;
	uint64_t us = 0;
	bool found = false;
	fx_init(&b, 0, 1);
	fx_init(&d, DARK_0_4, 1);
	for (uint64_t i = 0; i < 2000 && !found; i++) {
		us = vis_sim_unit_seed(2024, i);
		vis_sim_plan(b.sim, us, 1.0, &t);
		found = t.cls == VIS_C_PARTICLE && t.objects[0].kind == VIS_K_BRIGHT &&
			t.objects[0].size_um >= 90 && t.objects[0].size_um < 150;
	}
	cr_assert(found);
	cr_expect(t.objects[0].contrast < 0.1, "a flake: contrast %.3f", t.objects[0].contrast);
	vis_result_init(&rb);
	vis_result_init(&rd);
	cr_assert_eq(vis_sim_unit(b.sim, us, 1.0, 0, b.frames, b.n, &t), 0);
	cr_assert_eq(vis_inspect(b.ctx, b.frames, b.n, &rb), 0);
	cr_assert_eq(vis_sim_unit(d.sim, us, 1.0, 0, d.frames, d.n, &t), 0);
	cr_assert_eq(vis_inspect(d.ctx, d.frames, d.n, &rd), 0);
	cr_expect_eq(rb.verdict, VIS_ACCEPT, "back-light only: %s (%s)", vis_verdict_name(rb.verdict),
		     rb.n_reasons ? rb.reasons[0].detail : "");
	cr_expect_eq(rd.verdict, VIS_REJECT, "with dark-field: %s", vis_verdict_name(rd.verdict));
	cr_expect_eq(called(&rd), VIS_C_PARTICLE);
	if (rd.n_reasons) {
		int v = rd.reasons[0].view;
		cr_expect(v >= 0 && vis_config_dark_field(&d.cfg, (unsigned)v), "strongest view %d", v);
		bool near = false;
		for (unsigned fr = 0; fr < d.cfg.frames; fr++)
			near |= fabs(rd.reasons[0].z_mm - t.objects[0].z_mm[fr]) < 0.6;
		cr_expect(near, "reason at %.2f mm, not at the flake", rd.reasons[0].z_mm);
	}
	vis_result_release(&rb);
	vis_result_release(&rd);
	fx_release(&b);
	fx_release(&d);
}
