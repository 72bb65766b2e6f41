/* vis_fixture.h - the small-frame fixture the vision pipeline tests share
 * (test_inspect.c, test_inspect_dark.c, test_golden.c): a simulator and an inspection
 * context for one product (50 um/px, 512x768, 8 views x 3 frames, the
 * given dark-field views), frames allocated at its size; choosing a unit
 * of seed 2024's set by its planned truth; the class a result calls.
 * Header-only (static inline): each test file is its own binary. */
#ifndef PL_TEST_VIS_FIXTURE_H
#define PL_TEST_VIS_FIXTURE_H

#include <criterion/criterion.h>
#include "vision/vision.h"

struct fixture {
	struct vis_config cfg;
	struct vis_sim *sim;
	struct vis_ctx *ctx;
	struct vis_image *frames; /* views * frames, owned; fx_release frees */
	size_t n;
};

static inline void fx_init(struct fixture *f, uint32_t dark_mask, double flake_rate)
{
	char why[200];
	vis_config_default(&f->cfg);
	f->cfg.um_per_px = 50;
	f->cfg.width = 512;
	f->cfg.height = 768;
	f->cfg.views = 8;
	f->cfg.dark_field_mask = dark_mask;
	f->sim = vis_sim_new(&f->cfg, why, sizeof(why));
	cr_assert(f->sim, "%s", why);
	cr_assert_eq(vis_sim_set_flake_rate(f->sim, flake_rate), 0);
	f->ctx = vis_ctx_new(&f->cfg, why, sizeof(why));
	cr_assert(f->ctx, "%s", why);
	f->n = (size_t)f->cfg.views * f->cfg.frames;
	f->frames = calloc(f->n, sizeof(*f->frames));
	for (size_t i = 0; i < f->n; i++)
		cr_assert_eq(vis_image_alloc(&f->frames[i], f->cfg.width, f->cfg.height), 0);
}

static inline void fx_release(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		vis_image_release(&f->frames[i]);
	free(f->frames);
	vis_ctx_free(f->ctx);
	vis_sim_free(f->sim);
}

/* The first unit of seed 2024's set (at rate) whose planned truth has
 * class cls and, when it has objects, kind as its first object of at
 * least min_um; for a good unit (NONE), kind BUBBLE asks for bubbles and
 * anything else for none. */
static inline uint64_t find_unit(struct fixture *f, enum vis_class cls, enum vis_sim_kind kind,
				 double min_um, double rate)
{
	for (uint64_t i = 0; i < 2000; i++) {
		struct vis_sim_truth t;
		uint64_t us = vis_sim_unit_seed(2024, i);
		vis_sim_plan(f->sim, us, rate, &t);
		if (t.cls != cls)
			continue;
		if (cls == VIS_C_NONE) {
			bool bubble = t.n_objects > 0;
			if (bubble != (kind == VIS_K_BUBBLE))
				continue;
			return us;
		}
		if (t.n_objects && (t.objects[0].kind != kind || t.objects[0].size_um < min_um))
			continue;
		return us;
	}
	cr_assert_fail("no unit of class %s in 2000", vis_class_name(cls));
	return 0;
}

/* The strongest reason's class; NONE for an accept. */
static inline enum vis_class called(const struct vis_result *r)
{
	enum vis_class c = VIS_C_NONE;
	double best = -1;
	for (size_t i = 0; i < r->n_reasons; i++)
		if (r->reasons[i].confidence > best) {
			best = r->reasons[i].confidence;
			c = r->reasons[i].cls;
		}
	return r->verdict == VIS_ACCEPT ? VIS_C_NONE : c;
}

#endif
