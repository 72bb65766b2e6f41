/* test_golden.c - the golden model (src/vision/golden.c and its hook in
 * inspect.c): learnt from good simulated units, it passes good units it
 * has not seen, catches a cosmetic mark the self-model misses and calls it
 * cosmetic, changes nothing when not set, and its file format round-trips
 * and refuses damaged files with the documented codes. The simulator's
 * cosmetic option leaves every unit as before at rate 0. Small frames
 * (50 um/px, 512x768, 8 views x 3 frames) keep it fast. */
#include <criterion/criterion.h>
#include <math.h>
#include "vision/vision.h"
#include "vis_fixture.h"

/* A model from n good units of seed 777 (a set no test inspects). */
static struct vis_golden *train(struct fixture *f, unsigned n)
{
	char why[200];
	struct vis_golden *m = NULL;
	struct vis_golden_trainer *tr = vis_golden_trainer_new(&f->cfg, why, sizeof(why));
	cr_assert(tr, "%s", why);
	for (unsigned i = 0; i < n; i++) {
		struct vis_sim_truth t;
		cr_assert_eq(vis_sim_unit(f->sim, vis_sim_unit_seed(777, i), 0.0, 0, f->frames, f->n, &t), 0);
		cr_assert_eq(vis_golden_trainer_add(tr, f->frames, f->n, why, sizeof(why)), 0, "%s", why);
	}
	cr_assert_eq(vis_golden_trainer_finish(tr, 6.0, &m, why, sizeof(why)), 0, "%s", why);
	vis_golden_trainer_free(tr);
	return m;
}

Test(golden, good_units_pass_and_cosmetic_caught_only_with_model)
{
	struct fixture f;
	struct vis_result r;
	char why[200];
	fx_init(&f, 0, 0);
	vis_result_init(&r);
	struct vis_golden *m = train(&f, 12);

	/* good units of another seed: accepted with the model */
	unsigned good = 0;
	for (uint64_t i = 0; good < 6 && i < 100; i++) {
		struct vis_sim_truth t;
		uint64_t us = vis_sim_unit_seed(4242, i);
		vis_sim_plan(f.sim, us, 0.0, &t);
		cr_assert_eq(vis_sim_unit(f.sim, us, 0.0, 0, f.frames, f.n, &t), 0);
		cr_assert_eq(vis_ctx_set_golden(f.ctx, m, why, sizeof(why)), 0, "%s", why);
		vis_inspect(f.ctx, f.frames, f.n, &r);
		cr_expect_eq(r.verdict, VIS_ACCEPT, "good unit %llu: %s", (unsigned long long)i,
			     r.n_reasons ? r.reasons[0].detail : "");
		good++;
	}

	/* cosmetic units: the first one the self-model accepts must be
	 * rejected as cosmetic with the model; and every one the self-model
	 * calls a scratch, the model calls cosmetic */
	cr_assert_eq(vis_sim_set_cosmetic_rate(f.sim, 1.0), 0);
	bool missed_found = false;
	unsigned renamed = 0;
	for (uint64_t i = 0; i < 30 && !(missed_found && renamed); i++) {
		struct vis_sim_truth t;
		uint64_t us = vis_sim_unit_seed(99, i);
		cr_assert_eq(vis_sim_unit(f.sim, us, 1.0, 0, f.frames, f.n, &t), 0);
		cr_assert_eq(t.cls, VIS_C_COSMETIC);
		cr_assert_eq(t.objects[0].kind, VIS_K_COSMETIC);
		vis_ctx_set_golden(f.ctx, NULL, NULL, 0);
		vis_inspect(f.ctx, f.frames, f.n, &r);
		enum vis_class without = called(&r);
		cr_assert_eq(vis_ctx_set_golden(f.ctx, m, why, sizeof(why)), 0);
		vis_inspect(f.ctx, f.frames, f.n, &r);
		enum vis_class with = called(&r);
		cr_expect_eq(with, VIS_C_COSMETIC, "cosmetic unit %llu called %s with the model",
			     (unsigned long long)i, vis_class_name(with));
		if (with == VIS_C_COSMETIC && r.n_reasons) {
			cr_expect(r.reasons[0].size_um >= 500 && r.reasons[0].n_views >= 2);
			cr_expect(r.reasons[0].view >= 0 && r.reasons[0].confidence >= 0.5);
		}
		if (without == VIS_C_NONE)
			missed_found = true;
		if (without == VIS_C_GLASS_SCRATCH)
			renamed++;
	}
	cr_expect(missed_found, "no cosmetic unit in 30 was missed by the self-model");
	vis_result_release(&r);
	vis_golden_free(m);
	fx_release(&f);
}

/* Without a model (never set, or set and cleared) the result is the same,
 * byte for byte in its JSON form: the check is opt-in. */
Test(golden, off_means_unchanged)
{
	struct fixture f;
	struct vis_result a, b;
	fx_init(&f, 0, 0);
	vis_result_init(&a);
	vis_result_init(&b);
	struct vis_golden *m = train(&f, 8);
	for (uint64_t i = 0; i < 4; i++) {
		struct vis_sim_truth t;
		cr_assert_eq(vis_sim_unit(f.sim, vis_sim_unit_seed(5, i), 0.5, 0, f.frames, f.n, &t), 0);
		vis_inspect(f.ctx, f.frames, f.n, &a);
		vis_ctx_set_golden(f.ctx, m, NULL, 0);
		vis_ctx_set_golden(f.ctx, NULL, NULL, 0);
		vis_inspect(f.ctx, f.frames, f.n, &b);
		json_t *ja = vis_result_to_json(&a), *jb = vis_result_to_json(&b);
		cr_expect(json_equal(ja, jb), "unit %llu differs", (unsigned long long)i);
		json_decref(ja);
		json_decref(jb);
	}
	vis_result_release(&a);
	vis_result_release(&b);
	vis_golden_free(m);
	fx_release(&f);
}

/* Cosmetic rate 0 keeps every unit as before; a positive rate changes
 * only defective units, and only into cosmetic ones. */
Test(golden, sim_cosmetic_rate_is_opt_in)
{
	struct fixture f;
	fx_init(&f, 0, 0);
	struct vis_sim *plain = vis_sim_new(&f.cfg, NULL, 0);
	cr_assert_eq(vis_sim_set_cosmetic_rate(f.sim, 0.0), 0);
	cr_expect_eq(vis_sim_set_cosmetic_rate(f.sim, 1.5), PL_EINVAL);
	cr_expect_eq(vis_sim_set_cosmetic_rate(f.sim, NAN), PL_EINVAL);
	unsigned changed = 0;
	for (uint64_t i = 0; i < 400; i++) {
		struct vis_sim_truth a, b;
		uint64_t us = vis_sim_unit_seed(1, i);
		vis_sim_plan(plain, us, 0.3, &a);
		vis_sim_set_cosmetic_rate(f.sim, 0.0);
		vis_sim_plan(f.sim, us, 0.3, &b);
		cr_assert(!memcmp(&a, &b, sizeof(a)), "unit %llu changed at rate 0", (unsigned long long)i);
		vis_sim_set_cosmetic_rate(f.sim, 0.5);
		vis_sim_plan(f.sim, us, 0.3, &b);
		if (memcmp(&a, &b, sizeof(a))) {
			cr_expect(a.reject && b.cls == VIS_C_COSMETIC);
			changed++;
		}
	}
	cr_expect(changed > 20 && changed < 100, "%u of 400 changed", changed);
	vis_sim_free(plain);
	fx_release(&f);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

Test(golden, file_round_trip_and_refusals)
{
	struct fixture f;
	char why[300];
	uint8_t *buf, *buf2;
	size_t len, len2;
	fx_init(&f, 0, 0);
	struct vis_golden *m = train(&f, 8), *m2 = NULL;
	cr_assert_eq(vis_golden_save_mem(m, &buf, &len), 0);
	cr_assert_eq(vis_golden_load_mem(buf, len, &m2, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(vis_golden_save_mem(m2, &buf2, &len2), 0);
	cr_expect(len == len2 && !memcmp(buf, buf2, len), "round trip changed the bytes");
	struct vis_golden_info a, b;
	vis_golden_info(m, &a);
	vis_golden_info(m2, &b);
	cr_expect_eq(a.n_train, 8);
	cr_expect(a.grid_w == b.grid_w && a.grid_h == b.grid_h && a.views == 8);
	cr_expect(b.spread_median >= 1 && b.spread_median < 20);
	free(buf2);
	vis_golden_free(m2);

	/* a context for another product refuses it */
	struct vis_config other = f.cfg;
	other.views = 6;
	struct vis_ctx *oc = vis_ctx_new(&other, NULL, 0);
	cr_expect_eq(vis_ctx_set_golden(oc, m, why, sizeof(why)), PL_EINVAL);
	cr_expect(strstr(why, "golden model is for 8 views") != NULL, "%s", why);
	vis_ctx_free(oc);

	struct {
		const char *name;
		size_t off;      /* byte to change (SIZE_MAX: none) */
		uint32_t val32;  /* written as u32 at off when set_u32 */
		bool set_u32, fix_crc;
		size_t cut;      /* bytes removed from the end */
		int want;
		const char *says;
	} rows[] = {
		{ "magic", 0, 0, false, false, 0, PL_EPARSE, "not a Parkline golden model" },
		{ "version", 8, 2, true, true, 0, PL_EUNSUPPORTED, "version 2" },
		{ "crc", 200, 0, false, false, 0, PL_EPARSE, "checksum" },
		{ "truncated", SIZE_MAX, 0, false, false, 1000, PL_EPARSE, "truncated" },
		{ "grid", 28, 7, true, true, 0, PL_EPARSE, "does not match its geometry" },
		{ "views", 24, 0, true, true, 0, PL_EPARSE, "geometry is out of range" },
		{ "n_train", 36, 3, true, true, 0, PL_EPARSE, "header values" },
		{ "spread 0", 96 + 2 * (len - 100) / 4, 0, true, true, 0, PL_EPARSE, "out of range" },
		{ "reserved", 90, 1, true, true, 0, PL_EPARSE, "reserved" },
		{ "empty", SIZE_MAX, 0, false, false, len, PL_EPARSE, "too short" },
	};
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		uint8_t *c = malloc(len);
		memcpy(c, buf, len);
		size_t n = len - rows[k].cut;
		if (rows[k].off != SIZE_MAX) {
			if (rows[k].set_u32)
				put32(c + rows[k].off, rows[k].val32);
			else
				c[rows[k].off] ^= 0x5a;
		}
		if (rows[k].fix_crc)
			put32(c + n - 4, crc32_ieee(c, n - 4));
		struct vis_golden *x = (void *)1;
		why[0] = 0;
		int rc = vis_golden_load_mem(c, n, &x, why, sizeof(why));
		cr_expect_eq(rc, rows[k].want, "%s: rc %d (%s)", rows[k].name, rc, why);
		cr_expect_null(x, "%s", rows[k].name);
		cr_expect(strstr(why, rows[k].says) != NULL, "%s: '%s'", rows[k].name, why);
		free(c);
	}
	cr_expect_eq(vis_golden_load("/nonexistent/g.bin", &m2, why, sizeof(why)), PL_EIO);
	free(buf);
	vis_golden_free(m);
	fx_release(&f);
}

Test(golden, trainer_refusals)
{
	struct fixture f;
	char why[200];
	struct vis_golden *m = (void *)1;
	fx_init(&f, 0, 0);
	struct vis_golden_trainer *tr = vis_golden_trainer_new(&f.cfg, why, sizeof(why));
	cr_assert(tr);
	cr_expect_eq(vis_golden_trainer_add(tr, f.frames, f.n - 1, why, sizeof(why)), PL_EINVAL);
	/* blank frames: no container, nothing learnt */
	for (size_t i = 0; i < f.n; i++)
		memset(f.frames[i].px, 200, (size_t)f.cfg.width * f.cfg.height);
	cr_expect_eq(vis_golden_trainer_add(tr, f.frames, f.n, why, sizeof(why)), PL_EINVAL);
	cr_expect(strstr(why, "no container") != NULL, "%s", why);
	struct vis_sim_truth t;
	for (unsigned i = 0; i < 7; i++) {
		vis_sim_unit(f.sim, vis_sim_unit_seed(3, i), 0.0, 0, f.frames, f.n, &t);
		cr_assert_eq(vis_golden_trainer_add(tr, f.frames, f.n, why, sizeof(why)), 0, "%s", why);
	}
	cr_expect_eq(vis_golden_trainer_finish(tr, 6.0, &m, why, sizeof(why)), PL_EINVAL);
	cr_expect_null(m);
	cr_expect(strstr(why, "7 good units") != NULL, "%s", why);
	vis_sim_unit(f.sim, vis_sim_unit_seed(3, 7), 0.0, 0, f.frames, f.n, &t);
	cr_assert_eq(vis_golden_trainer_add(tr, f.frames, f.n, why, sizeof(why)), 0);
	cr_expect_eq(vis_golden_trainer_finish(tr, 2.0, &m, why, sizeof(why)), PL_EINVAL);
	cr_expect_eq(vis_golden_trainer_finish(tr, 6.0, &m, why, sizeof(why)), 0, "%s", why);
	vis_golden_free(m);
	vis_golden_trainer_free(tr);
	fx_release(&f);
}
