/* test_inspect.c - the inspection pipeline on simulator units with known
 * ground truth: one table row per defect class (the unit is the first of a
 * fixed seed's set with that class), good units with and without bubbles,
 * fill-level accuracy, and bad input that must never be accepted. Small
 * frames (50 um/px, 512x768, 8 views x 3 frames) keep it fast; the same
 * code runs at 25 um/px in `parkline inspect eval`. */
#include <criterion/criterion.h>
#include <math.h>
#include "vision/vision.h"
#include "vis_fixture.h"

struct icase {
	const char *name;
	enum vis_class truth;
	enum vis_sim_kind kind;
	double min_um;
	enum vis_verdict verdict;
	enum vis_class call, alt_call; /* alt: also acceptable (fibre seen as particle) */
};

static const struct icase icases[] = {
	{ "good", VIS_C_NONE, VIS_K_DARK, 0, VIS_ACCEPT, VIS_C_NONE, VIS_C_NONE },
	{ "good with bubbles", VIS_C_NONE, VIS_K_BUBBLE, 0, VIS_ACCEPT, VIS_C_NONE, VIS_C_NONE },
	{ "dark particle >= 200 um", VIS_C_PARTICLE, VIS_K_DARK, 200, VIS_REJECT, VIS_C_PARTICLE, VIS_C_PARTICLE },
	{ "bright particle >= 200 um", VIS_C_PARTICLE, VIS_K_BRIGHT, 200, VIS_REJECT, VIS_C_PARTICLE, VIS_C_PARTICLE },
	{ "stuck particle >= 200 um", VIS_C_PARTICLE, VIS_K_STUCK, 200, VIS_REJECT, VIS_C_PARTICLE, VIS_C_PARTICLE },
	{ "fibre >= 300 um", VIS_C_FIBRE, VIS_K_FIBRE, 300, VIS_REJECT, VIS_C_FIBRE, VIS_C_PARTICLE },
	{ "fill low", VIS_C_FILL_LOW, VIS_K_DARK, 0, VIS_REJECT, VIS_C_FILL_LOW, VIS_C_FILL_LOW },
	{ "fill high", VIS_C_FILL_HIGH, VIS_K_DARK, 0, VIS_REJECT, VIS_C_FILL_HIGH, VIS_C_FILL_HIGH },
	{ "cap missing", VIS_C_CAP_MISSING, VIS_K_DARK, 0, VIS_REJECT, VIS_C_CAP_MISSING, VIS_C_CAP_MISSING },
	{ "cap tilted", VIS_C_CAP_MISALIGNED, VIS_K_DARK, 0, VIS_REJECT, VIS_C_CAP_MISALIGNED, VIS_C_CAP_MISALIGNED },
	{ "glass crack", VIS_C_GLASS_CRACK, VIS_K_CRACK, 0, VIS_REJECT, VIS_C_GLASS_CRACK, VIS_C_GLASS_CRACK },
	{ "glass scratch", VIS_C_GLASS_SCRATCH, VIS_K_SCRATCH, 0, VIS_REJECT, VIS_C_GLASS_SCRATCH, VIS_C_GLASS_SCRATCH },
};

Test(vis_inspect, classes_table)
{
	struct fixture f;
	fx_init(&f, 0, 0);
	for (size_t i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
		const struct icase *c = &icases[i];
		double rate = c->truth == VIS_C_NONE ? 0.0 : 1.0;
		uint64_t us = find_unit(&f, c->truth, c->kind, c->min_um, rate);
		struct vis_sim_truth t;
		struct vis_result r;
		vis_result_init(&r);
		cr_assert_eq(vis_sim_unit(f.sim, us, rate, 0, f.frames, f.n, &t), 0);
		cr_assert_eq(vis_inspect(f.ctx, f.frames, f.n, &r), 0);
		enum vis_class got = called(&r);
		cr_expect_eq(r.verdict, c->verdict, "case '%s': verdict %s (%s)", c->name,
			     vis_verdict_name(r.verdict), r.n_reasons ? r.reasons[0].detail : "");
		cr_expect(got == c->call || got == c->alt_call, "case '%s': called %s", c->name,
			  vis_class_name(got));
		/* fill is measured on every inspectable unit, to 0.15 mm */
		cr_expect(fabs(r.fill_mm - t.fill_mm) < 0.15, "case '%s': fill %.3f vs truth %.3f",
			  c->name, r.fill_mm, t.fill_mm);
		if (r.verdict == VIS_REJECT) {
			cr_expect_not_null(r.overlay, "case '%s': rejects carry an overlay", c->name);
			cr_expect_eq(r.overlay_w, f.cfg.width);
		} else {
			cr_expect_null(r.overlay);
		}
		/* particles are located at the right height */
		if (c->truth == VIS_C_PARTICLE || c->truth == VIS_C_FIBRE) {
			bool near = false;
			for (size_t k = 0; k < r.n_reasons; k++)
				for (unsigned fr = 0; fr < f.cfg.frames; fr++)
					near |= fabs(r.reasons[k].z_mm - t.objects[0].z_mm[fr]) < 0.6;
			cr_expect(near, "case '%s': no reason at the particle's height", c->name);
		}
		vis_result_release(&r);
	}
	fx_release(&f);
}

Test(vis_inspect, good_units_accepted)
{
	struct fixture f;
	fx_init(&f, 0, 0);
	for (uint64_t i = 0; i < 6; i++) {
		struct vis_sim_truth t;
		struct vis_result r;
		vis_result_init(&r);
		vis_sim_unit(f.sim, vis_sim_unit_seed(77, i), 0.0, 0, f.frames, f.n, &t);
		vis_inspect(f.ctx, f.frames, f.n, &r);
		cr_expect_eq(r.verdict, VIS_ACCEPT, "good unit %llu: %s",
			     (unsigned long long)i, r.n_reasons ? r.reasons[0].detail : "");
		cr_expect(r.confidence > 0.5);
		cr_expect(fabs(r.cap_top_mm - f.cfg.cap_top_mm) < 0.3, "cap top %.2f", r.cap_top_mm);
		vis_result_release(&r);
	}
	fx_release(&f);
}

enum bad { B_MISSING, B_WRONG_SIZE, B_BLANK, B_BLACK, B_NOISE, B_SHIFTED };
struct bcase {
	const char *name;
	enum bad what;
	enum vis_verdict verdict; /* UNINSPECTABLE; for noise: anything but accept */
};
static const struct bcase bcases[] = {
	{ "missing frame", B_MISSING, VIS_UNINSPECTABLE },
	{ "wrong frame size", B_WRONG_SIZE, VIS_UNINSPECTABLE },
	{ "blank view (no container)", B_BLANK, VIS_UNINSPECTABLE },
	{ "black view", B_BLACK, VIS_UNINSPECTABLE },
	{ "noise view", B_NOISE, VIS_UNINSPECTABLE },
	{ "container far off centre", B_SHIFTED, VIS_UNINSPECTABLE },
};

Test(vis_inspect, bad_input_never_accepted)
{
	struct fixture f;
	fx_init(&f, 0, 0);
	for (size_t i = 0; i < sizeof(bcases) / sizeof(bcases[0]); i++) {
		const struct bcase *c = &bcases[i];
		struct vis_sim_truth t;
		struct vis_result r;
		struct vis_image keep = f.frames[5], small;
		vis_result_init(&r);
		vis_sim_unit(f.sim, vis_sim_unit_seed(5, 0), 0.0, 0, f.frames, f.n, &t);
		size_t plane = (size_t)f.cfg.width * f.cfg.height;
		switch (c->what) {
		case B_MISSING:
			f.frames[5].px = NULL;
			break;
		case B_WRONG_SIZE:
			vis_image_alloc(&small, 100, 100);
			f.frames[5] = small;
			break;
		case B_BLANK:
			for (int k = 3; k < 6; k++)
				memset(f.frames[k].px, 200, plane);
			break;
		case B_BLACK:
			for (int k = 3; k < 6; k++)
				memset(f.frames[k].px, 0, plane);
			break;
		case B_NOISE:
			for (int k = 3; k < 6; k++)
				for (size_t p = 0; p < plane; p++)
					f.frames[k].px[p] = (uint8_t)((p * 2654435761u) >> 13);
			break;
		case B_SHIFTED:
			/* move view 1 up by 4 mm: its bottom is no longer where a centred
			 * container's must be */
			for (int k = 3; k < 6; k++) {
				size_t off = (size_t)(4.0 * 20) * f.cfg.width;
				memmove(f.frames[k].px, f.frames[k].px + off, plane - off);
				memset(f.frames[k].px + plane - off, 200, off);
			}
			break;
		}
		cr_assert_eq(vis_inspect(f.ctx, f.frames, f.n, &r), 0);
		cr_expect_eq(r.verdict, c->verdict, "case '%s': verdict %s", c->name,
			     vis_verdict_name(r.verdict));
		cr_expect(r.n_reasons >= 1 && r.reasons[0].detail[0], "case '%s': needs a reason", c->name);
		if (c->what == B_WRONG_SIZE)
			vis_image_release(&small);
		f.frames[5] = keep;
		vis_result_release(&r);
	}
	/* the count of frames is a caller bug, not a verdict */
	struct vis_result r;
	vis_result_init(&r);
	cr_expect_eq(vis_inspect(f.ctx, f.frames, f.n - 1, &r), PL_EINVAL);
	fx_release(&f);
}

struct cfgcase {
	const char *name;
	const char *json;
	int rc;
};
static const struct cfgcase cfgcases[] = {
	{ "empty object: defaults", "{}", 0 },
	{ "smaller frames", "{\"um_per_px\": 50, \"width\": 512, \"height\": 768}", 0 },
	{ "unknown member", "{\"colour\": 1}", PL_EINVAL },
	{ "wrong type", "{\"views\": \"22\"}", PL_EINVAL },
	{ "no views", "{\"views\": 0}", PL_EINVAL },
	{ "one frame", "{\"frames\": 1}", PL_EINVAL },
	{ "vial does not fit", "{\"width\": 256}", PL_EINVAL },
	{ "fill window above the body", "{\"fill_max_mm\": 30}", PL_EINVAL },
	{ "inverted fill window", "{\"fill_min_mm\": 15, \"fill_max_mm\": 13}", PL_EINVAL },
	{ "agreement needs more views than exist", "{\"views\": 2, \"min_views_agree\": 3}", PL_EINVAL },
	{ "not an object", "[1]", PL_EINVAL },
};

Test(vis_config, json_table)
{
	for (size_t i = 0; i < sizeof(cfgcases) / sizeof(cfgcases[0]); i++) {
		json_error_t je;
		json_t *j = json_loads(cfgcases[i].json, 0, &je);
		struct vis_config c;
		struct pl_json_error err;
		cr_assert(j, "case '%s' JSON", cfgcases[i].name);
		int rc = vis_config_from_json(j, &c, &err);
		cr_expect_eq(rc, cfgcases[i].rc, "case '%s': rc %d (%s)", cfgcases[i].name, rc, err.text);
		if (rc)
			cr_expect(err.text[0], "case '%s' needs a message", cfgcases[i].name);
		json_decref(j);
	}
	/* round trip */
	struct vis_config a, b;
	struct pl_json_error err;
	vis_config_default(&a);
	a.um_per_px = 30;
	a.views = 12;
	json_t *j = vis_config_to_json(&a);
	cr_assert_eq(vis_config_from_json(j, &b, &err), 0, "%s", err.text);
	cr_expect_eq(memcmp(&a, &b, sizeof(a)), 0);
	json_decref(j);
}

Test(vis_eval, tallies)
{
	struct vis_eval e;
	struct vis_sim_truth t;
	struct vis_result r;
	struct vis_reason rs = { .cls = VIS_C_PARTICLE, .confidence = 0.9 };
	vis_eval_init(&e);
	memset(&t, 0, sizeof(t));
	t.cls = VIS_C_PARTICLE;
	t.n_objects = 1;
	t.objects[0].cls = VIS_C_PARTICLE;
	t.objects[0].size_um = 120;
	vis_result_init(&r);
	r.verdict = VIS_REJECT;
	vis_result_add(&r, &rs);
	vis_eval_add(&e, &t, &r);
	t.objects[0].size_um = 160;
	r.verdict = VIS_ACCEPT;
	vis_eval_add(&e, &t, &r);
	memset(&t, 0, sizeof(t));
	vis_eval_add(&e, &t, &r);
	cr_expect_eq(e.pod_n[2], 1);
	cr_expect_eq(e.pod_hit[2], 1);
	cr_expect_eq(e.pod_n[3], 1);
	cr_expect_eq(e.pod_hit[3], 0);
	cr_expect_eq(e.confusion[VIS_C_PARTICLE][VIS_C_PARTICLE], 1);
	cr_expect_eq(e.confusion[VIS_C_PARTICLE][VIS_C_NONE], 1);
	cr_expect_eq(e.good_n, 1);
	cr_expect_eq(e.good_rejected, 0);
	static const struct { double um; int bin; } bins[] = {
		{ 10, 0 }, { 50, 1 }, { 99.9, 1 }, { 100, 2 }, { 150, 3 }, { 299, 4 }, { 300, 5 }, { 800, 5 },
	};
	for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++)
		cr_expect_eq(vis_eval_bin(bins[i].um), bins[i].bin, "%.1f um", bins[i].um);
	struct pl_buf md;
	pl_buf_init(&md, 1 << 16);
	cr_expect_eq(vis_eval_markdown(&e, &md), 0);
	cr_expect(strstr(md.data, "| 100-150 | 1 | 100.0 %") != NULL, "%s", md.data);
	pl_buf_release(&md);
}
