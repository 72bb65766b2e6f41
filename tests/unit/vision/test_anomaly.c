/* test_anomaly.c - the generic anomaly mode (src/vision/anomaly.c):
 *   - AUROC on hand-worked tables (perfect, inverted, all ties = 0.5,
 *     partial ties worked by mid-ranks, the textbook 0.75 case) and its
 *     refusals;
 *   - train on demo bottles (good only), score fresh good and defective
 *     ones: AUROC floor, false rejects on fresh goods, every defect kind
 *     above the threshold on average;
 *   - the model file: save/load round trip scores bit for bit the same;
 *     every damaged form (flipped byte, truncated, other version, bad
 *     magic, oversized) is refused with its documented code;
 *   - trainer refusals (wrong size, too few images, bad rate);
 *   - the demo product is deterministic by seed.
 * Real components throughout: the demo images are rendered by the library
 * and go through the same scoring path the CLI uses. */
#include <criterion/criterion.h>
#include <math.h>
#include "vision/vision.h"

#define SZ 128 /* demo image side: small keeps the test fast */

struct auc_case {
	const char *name;
	double s[8];
	int l[8];
	size_t n;
	double want;
};

Test(anomaly, auroc_table)
{
	static const struct auc_case cases[] = {
		{ "perfect", { 1, 2, 3, 4 }, { 0, 0, 1, 1 }, 4, 1.0 },
		{ "inverted", { 1, 2, 3, 4 }, { 1, 1, 0, 0 }, 4, 0.0 },
		{ "all ties", { 5, 5, 5, 5, 5 }, { 0, 1, 0, 1, 1 }, 5, 0.5 },
		/* ranks 1, 2.5, 2.5, 4; positives 2.5 + 4 = 6.5; U = 3.5; /4 */
		{ "one tie across classes", { 1, 2, 2, 3 }, { 0, 1, 0, 1 }, 4, 0.875 },
		/* the textbook case (scikit-learn's roc_auc_score docs) */
		{ "textbook", { 0.1, 0.4, 0.35, 0.8 }, { 0, 0, 1, 1 }, 4, 0.75 },
		/* 1 positive above 2 of 3 negatives, ties with none */
		{ "one positive", { 0.2, 0.5, 0.9, 0.7 }, { 0, 0, 0, 1 }, 4, 2.0 / 3.0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double a = -1;
		cr_assert_eq(vis_anomaly_auroc(cases[i].s, cases[i].l, cases[i].n, &a), 0, "%s",
			     cases[i].name);
		cr_assert_float_eq(a, cases[i].want, 1e-12, "%s: %g, want %g", cases[i].name, a,
				   cases[i].want);
	}
}

Test(anomaly, auroc_refusals)
{
	double s[3] = { 1, 2, 3 }, a;
	int none[3] = { 0, 0, 0 }, all[3] = { 1, 1, 1 }, bad[3] = { 0, 2, 1 };
	cr_assert_eq(vis_anomaly_auroc(s, none, 3, &a), PL_EINVAL);
	cr_assert_eq(vis_anomaly_auroc(s, all, 3, &a), PL_EINVAL);
	cr_assert_eq(vis_anomaly_auroc(s, bad, 3, &a), PL_EINVAL);
	double withnan[2] = { NAN, 1 };
	int l2[2] = { 0, 1 };
	cr_assert_eq(vis_anomaly_auroc(withnan, l2, 2, &a), PL_EINVAL);
	cr_assert_eq(vis_anomaly_auroc(s, l2, 0, &a), PL_EINVAL);
}

static struct vis_anomaly_model *train_demo(unsigned n, uint64_t seed0)
{
	char why[200] = "";
	struct vis_anomaly_model *m = NULL;
	struct vis_anomaly_trainer *tr = vis_anomaly_trainer_new(SZ, SZ, 0.05, why, sizeof(why));
	cr_assert(tr, "%s", why);
	for (unsigned i = 0; i < n; i++) {
		struct vis_image im;
		cr_assert_eq(vis_anomaly_demo_bottle(seed0 + i, 0, SZ, &im), 0);
		cr_assert_eq(vis_anomaly_trainer_add(tr, &im, why, sizeof(why)), 0, "%s", why);
		vis_image_release(&im);
	}
	cr_assert_eq(vis_anomaly_trainer_finish(tr, &m, why, sizeof(why)), 0, "%s", why);
	vis_anomaly_trainer_free(tr);
	return m;
}

static double score_of(const struct vis_anomaly_model *m, uint64_t seed, int defect, bool *bad)
{
	struct vis_image im;
	double s;
	char why[200];
	cr_assert_eq(vis_anomaly_demo_bottle(seed, defect, SZ, &im), 0);
	cr_assert_eq(vis_anomaly_score(m, &im, &s, bad, NULL, why, sizeof(why)), 0, "%s", why);
	vis_image_release(&im);
	return s;
}

Test(anomaly, train_and_score_demo, .timeout = 60)
{
	struct vis_anomaly_model *m = train_demo(30, 1000);
	struct vis_anomaly_info info;
	vis_anomaly_model_info(m, &info);
	cr_assert_eq(info.n_train, 30);
	cr_assert_eq(info.grid_w, SZ); /* 128 px: one cell per pixel */
	cr_assert(info.threshold > 0 && isfinite(info.threshold));
	cr_assert(info.loo_frr <= 0.05, "LOO FRR %g over the 5 %% target", info.loo_frr);

	enum { NG = 30, NB = 30 };
	double s[NG + NB], kind_sum[4] = { 0 };
	int l[NG + NB], fr = 0;
	for (int i = 0; i < NG + NB; i++) {
		bool bad;
		int defect = i < NG ? 0 : 1 + i % 3;
		s[i] = score_of(m, 5000 + (uint64_t)i, defect, &bad);
		l[i] = defect != 0;
		kind_sum[defect] += s[i];
		if (!defect && bad)
			fr++;
	}
	double auc;
	cr_assert_eq(vis_anomaly_auroc(s, l, NG + NB, &auc), 0);
	cr_assert(auc >= 0.95, "AUROC %g under the 0.95 floor", auc);
	/* 5 % target on 30 fresh goods: allow sampling noise up to 4 */
	cr_assert(fr <= 4, "%d of %d fresh good bottles rejected", fr, NG);
	for (int k = 1; k <= 3; k++)
		cr_assert(kind_sum[k] / 10 > info.threshold, "defect kind %d mean score %g <= %g", k,
			  kind_sum[k] / 10, info.threshold);
	/* a heat map comes back at the image size, and is red where the
	 * missing cap is (the centre) but not in a background corner */
	struct vis_image im;
	uint8_t *heat = NULL;
	double sc;
	bool bad;
	cr_assert_eq(vis_anomaly_demo_bottle(77, 3, SZ, &im), 0);
	cr_assert_eq(vis_anomaly_score(m, &im, &sc, &bad, &heat, NULL, 0), 0);
	cr_assert(bad && heat);
	const uint8_t *c = heat + ((size_t)(SZ / 2) * SZ + SZ / 2) * 3, *k0 = heat;
	cr_assert(c[0] > 200 && c[2] < 60, "centre rgb %u,%u,%u", c[0], c[1], c[2]);
	cr_assert(k0[0] == k0[2], "corner should be grey, got %u,%u,%u", k0[0], k0[1], k0[2]);
	free(heat);
	vis_image_release(&im);
	vis_anomaly_model_free(m);
}

Test(anomaly, model_file_round_trip_and_damage, .timeout = 60)
{
	struct vis_anomaly_model *m = train_demo(8, 42), *m2 = NULL;
	uint8_t *buf, *cp;
	size_t len;
	char why[200];
	cr_assert_eq(vis_anomaly_model_save_mem(m, &buf, &len), 0);
	cr_assert_eq(len, 64 + 2 * 2 * SZ * SZ * 4 + 4);
	cr_assert_eq(vis_anomaly_model_load_mem(buf, len, &m2, why, sizeof(why)), 0, "%s", why);
	for (int i = 0; i < 6; i++) {
		bool b1, b2;
		double s1 = score_of(m, 900 + (uint64_t)i, i % 4, &b1);
		double s2 = score_of(m2, 900 + (uint64_t)i, i % 4, &b2);
		cr_assert_eq(s1, s2);
		cr_assert_eq(b1, b2);
	}
	vis_anomaly_model_free(m2);

	struct {
		const char *name;
		size_t off; /* byte to change; SIZE_MAX: truncate instead */
		uint8_t x;
		int want;
	} dmg[] = {
		{ "bad magic", 0, 0x20, PL_EPARSE },
		{ "other version", 8, 0x02, PL_EUNSUPPORTED },
		{ "header size", 12, 0x01, PL_EPARSE },
		{ "grid size", 24, 0x01, PL_EPARSE },
		{ "threshold bit", 50, 0x01, PL_EPARSE }, /* CRC catches it */
		{ "a mean", 64 + 4000, 0x80, PL_EPARSE },
		{ "the crc", 0, 0, PL_EPARSE },           /* off set below */
		{ "truncated", SIZE_MAX, 0, PL_EPARSE },
	};
	dmg[6].off = len - 1;
	dmg[6].x = 0xff;
	for (size_t i = 0; i < sizeof(dmg) / sizeof(dmg[0]); i++) {
		size_t n = len;
		cp = malloc(len);
		memcpy(cp, buf, len);
		if (dmg[i].off == SIZE_MAX)
			n = len - 100;
		else
			cp[dmg[i].off] ^= dmg[i].x;
		why[0] = '\0';
		m2 = (void *)1;
		cr_assert_eq(vis_anomaly_model_load_mem(cp, n, &m2, why, sizeof(why)), dmg[i].want,
			     "%s", dmg[i].name);
		cr_assert_null(m2, "%s", dmg[i].name);
		cr_assert(why[0], "%s: no reason given", dmg[i].name);
		free(cp);
	}
	/* oversized: refused on length before anything is read */
	cp = calloc(VIS_ANOM_FILE_MAX + 1, 1);
	cr_assert_eq(vis_anomaly_model_load_mem(cp, VIS_ANOM_FILE_MAX + 1, &m2, why, sizeof(why)),
		     PL_ETOOBIG);
	free(cp);
	free(buf);
	vis_anomaly_model_free(m);
}

Test(anomaly, trainer_refusals)
{
	char why[200];
	struct vis_anomaly_model *m = NULL;
	struct vis_image im, other;
	cr_assert_null(vis_anomaly_trainer_new(SZ, SZ, 0, why, sizeof(why)));
	cr_assert_null(vis_anomaly_trainer_new(SZ, SZ, 0.6, why, sizeof(why)));
	cr_assert_null(vis_anomaly_trainer_new(4, SZ, 0.01, why, sizeof(why)));
	cr_assert_null(vis_anomaly_trainer_new(8, 4000, 0.01, why, sizeof(why)));
	struct vis_anomaly_trainer *tr = vis_anomaly_trainer_new(SZ, SZ, 0.01, why, sizeof(why));
	cr_assert(tr);
	cr_assert_eq(vis_anomaly_demo_bottle(1, 0, SZ, &im), 0);
	cr_assert_eq(vis_anomaly_demo_bottle(1, 0, 64, &other), 0);
	cr_assert_eq(vis_anomaly_trainer_add(tr, &other, why, sizeof(why)), PL_EINVAL);
	for (int i = 0; i < VIS_ANOM_TRAIN_MIN - 1; i++)
		cr_assert_eq(vis_anomaly_trainer_add(tr, &im, why, sizeof(why)), 0);
	cr_assert_eq(vis_anomaly_trainer_finish(tr, &m, why, sizeof(why)), PL_EINVAL);
	cr_assert_null(m);
	cr_assert_eq(vis_anomaly_trainer_add(tr, &im, why, sizeof(why)), 0);
	cr_assert_eq(vis_anomaly_trainer_finish(tr, &m, why, sizeof(why)), 0, "%s", why);
	/* scoring an image of another size is refused, nothing returned */
	double s = -1;
	bool bad;
	uint8_t *heat = (void *)1;
	cr_assert_eq(vis_anomaly_score(m, &other, &s, &bad, &heat, why, sizeof(why)), PL_EINVAL);
	cr_assert_null(heat);
	vis_anomaly_model_free(m);
	vis_anomaly_trainer_free(tr);
	vis_image_release(&im);
	vis_image_release(&other);
}

Test(anomaly, demo_is_deterministic)
{
	struct vis_image a, b, c;
	cr_assert_eq(vis_anomaly_demo_bottle(9, 2, SZ, &a), 0);
	cr_assert_eq(vis_anomaly_demo_bottle(9, 2, SZ, &b), 0);
	cr_assert_eq(vis_anomaly_demo_bottle(10, 2, SZ, &c), 0);
	cr_assert_eq(memcmp(a.px, b.px, SZ * SZ), 0);
	cr_assert_neq(memcmp(a.px, c.px, SZ * SZ), 0);
	vis_image_release(&c);
	cr_assert_eq(vis_anomaly_demo_bottle(9, 4, SZ, &c), PL_EINVAL);
	cr_assert_null(c.px);
	cr_assert_eq(vis_anomaly_demo_bottle(9, 0, 16, &c), PL_EINVAL);
	vis_image_release(&a);
	vis_image_release(&b);
}
