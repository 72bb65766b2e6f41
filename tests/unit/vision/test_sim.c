/* test_sim.c - the vial simulator: a unit is a pure function of (product,
 * unit seed, pass); different passes re-image the same physical unit; the
 * defect mix follows the requested rate; truth survives its JSON form; the
 * rendered picture has the physics the inspector relies on (dark walls,
 * a dark meniscus at the truth's fill height, back-light around). */
#include <criterion/criterion.h>
#include <math.h>
#include "vision/vision.h"

static struct vis_config small_cfg(void)
{
	struct vis_config c;
	vis_config_default(&c);
	c.um_per_px = 50;
	c.width = 512;
	c.height = 768;
	c.views = 4;
	return c;
}

/* FNV-1a over every frame. */
static uint64_t frames_hash(const struct vis_image *f, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		for (size_t p = 0; p < (size_t)f[i].w * f[i].h; p++)
			h = (h ^ f[i].px[p]) * 1099511628211ULL;
	return h;
}

static struct vis_image *alloc_frames(const struct vis_config *c, size_t *n)
{
	*n = (size_t)c->views * c->frames;
	struct vis_image *f = calloc(*n, sizeof(*f));
	for (size_t i = 0; i < *n; i++)
		cr_assert_eq(vis_image_alloc(&f[i], c->width, c->height), 0);
	return f;
}

static void free_frames(struct vis_image *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vis_image_release(&f[i]);
	free(f);
}

Test(vis_sim, deterministic_from_seed)
{
	struct vis_config c = small_cfg();
	size_t n;
	struct vis_image *f = alloc_frames(&c, &n);
	struct vis_sim *a = vis_sim_new(&c, NULL, 0), *b = vis_sim_new(&c, NULL, 0);
	struct vis_sim_truth ta, tb;
	/* table: {unit index, pass}; same inputs must give the same bytes from
	 * two independent simulators, in any order */
	static const struct { uint64_t unit; unsigned pass; } runs[] = { { 0, 0 }, { 3, 0 }, { 3, 1 }, { 0, 2 } };
	uint64_t ha[4], hb[4];
	for (size_t i = 0; i < 4; i++) {
		vis_sim_unit(a, vis_sim_unit_seed(9, runs[i].unit), 0.5, runs[i].pass, f, n, &ta);
		ha[i] = frames_hash(f, n);
	}
	for (size_t k = 4; k-- > 0;) {
		vis_sim_unit(b, vis_sim_unit_seed(9, runs[k].unit), 0.5, runs[k].pass, f, n, &tb);
		hb[k] = frames_hash(f, n);
	}
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(ha[i], hb[i], "run %zu differs between simulators", i);
	cr_expect_neq(ha[1], ha[2], "a new pass must re-image (fresh noise and position)");
	cr_expect_neq(ha[0], ha[1], "different units must differ");
	/* a pass changes the picture, never the physical unit */
	vis_sim_unit(a, vis_sim_unit_seed(9, 3), 0.5, 0, f, n, &ta);
	vis_sim_unit(a, vis_sim_unit_seed(9, 3), 0.5, 5, f, n, &tb);
	cr_expect_eq(ta.cls, tb.cls);
	cr_expect_eq(ta.fill_mm, tb.fill_mm);
	cr_expect_eq(ta.n_objects, tb.n_objects);
	vis_sim_free(a);
	vis_sim_free(b);
	free_frames(f, n);
}

Test(vis_sim, defect_rate_and_classes)
{
	struct vis_config c = small_cfg();
	struct vis_sim *s = vis_sim_new(&c, NULL, 0);
	static const double rates[] = { 0.0, 0.1, 1.0 };
	for (size_t k = 0; k < 3; k++) {
		unsigned bad = 0, seen[VIS_C__COUNT] = { 0 };
		for (uint64_t i = 0; i < 2000; i++) {
			struct vis_sim_truth t;
			vis_sim_plan(s, vis_sim_unit_seed(1, i), rates[k], &t);
			bad += t.reject;
			seen[t.cls]++;
			cr_assert_eq(t.reject, t.cls != VIS_C_NONE);
			for (size_t o = 0; o < t.n_objects; o++)
				if (t.objects[o].cls == VIS_C_PARTICLE || t.objects[o].cls == VIS_C_FIBRE)
					cr_assert(t.objects[o].size_um >= 50 && t.objects[o].size_um <= 500);
			if (t.cls == VIS_C_NONE)
				cr_assert(t.fill_mm >= c.fill_min_mm && t.fill_mm <= c.fill_max_mm);
			if (t.cls == VIS_C_FILL_LOW)
				cr_assert(t.fill_mm < c.fill_min_mm - 0.5);
			if (t.cls == VIS_C_FILL_HIGH)
				cr_assert(t.fill_mm > c.fill_max_mm + 0.5);
		}
		double got = bad / 2000.0;
		cr_expect(fabs(got - rates[k]) < 0.03, "rate %.2f gave %.3f", rates[k], got);
		if (rates[k] == 1.0)
			for (int cl = VIS_C_PARTICLE; cl <= VIS_C_GLASS_SCRATCH; cl++)
				if (cl != VIS_C_COSMETIC)
					cr_expect(seen[cl] > 50, "class %s only %u times", vis_class_name(cl), seen[cl]);
	}
	vis_sim_free(s);
}

Test(vis_sim, truth_json_round_trip)
{
	struct vis_config c = small_cfg();
	struct vis_sim *s = vis_sim_new(&c, NULL, 0);
	for (uint64_t i = 0; i < 50; i++) {
		struct vis_sim_truth t, back;
		struct pl_json_error err;
		vis_sim_plan(s, vis_sim_unit_seed(3, i), 0.6, &t);
		json_t *j = vis_sim_truth_to_json(&t);
		cr_assert_eq(vis_sim_truth_from_json(j, &back, &err), 0, "%s", err.text);
		cr_expect_eq(back.cls, t.cls);
		cr_expect_eq(back.reject, t.reject);
		cr_expect_eq(back.n_objects, t.n_objects);
		for (size_t o = 0; o < t.n_objects; o++) {
			cr_expect_eq(back.objects[o].kind, t.objects[o].kind);
			cr_expect(fabs(back.objects[o].size_um - t.objects[o].size_um) < 0.06);
		}
		json_decref(j);
	}
	vis_sim_free(s);
}

/* Average of 5 px around height z (mm above the bottom) at u mm from the
 * axis; the renderer centres the container (bottom at h/2 + cap_top/2). */
static double at(const struct vis_config *c, const struct vis_image *im, double u, double z)
{
	double ppm = 1000.0 / c->um_per_px, yb = c->height / 2.0 + 0.5 * c->cap_top_mm * ppm, s = 0;
	int y = (int)lround(yb - z * ppm), x = (int)c->width / 2 + (int)lround(u * ppm);
	for (int k = -2; k <= 2; k++)
		s += im->px[(size_t)y * im->stride + x + k];
	return s / 5;
}

Test(vis_sim, picture_physics)
{
	struct vis_config c = small_cfg();
	size_t n;
	struct vis_image *f = alloc_frames(&c, &n);
	struct vis_sim *s = vis_sim_new(&c, NULL, 0);
	struct vis_sim_truth t;
	vis_sim_unit(s, vis_sim_unit_seed(4, 0), 0.0, 0, f, n, &t);
	const struct vis_image *im = &f[0];
	double backlight = at(&c, im, -11.0, 10.0);
	double liquid = at(&c, im, 0, t.fill_mm - 2.0);
	double air = at(&c, im, 0, t.fill_mm + 2.0);
	double meniscus = at(&c, im, 0, t.fill_mm - 0.15);
	double wall = at(&c, im, 7.8, 5.0);
	cr_expect(backlight > 150, "back-light %.0f", backlight);
	cr_expect(air > liquid, "air %.0f should be brighter than liquid %.0f", air, liquid);
	cr_expect(meniscus < 0.5 * liquid, "meniscus %.0f vs liquid %.0f", meniscus, liquid);
	cr_expect(wall < 0.4 * backlight, "wall %.0f vs back-light %.0f", wall, backlight);
	vis_sim_free(s);
	free_frames(f, n);
}
