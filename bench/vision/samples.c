/*
 * samples.c - regenerates the sample pictures in docs/vision/ from the
 * simulator at the default product (25 um/px, 1024x1536), so the pictures
 * in the docs are the renderer's real output, not retouched:
 *   sample-good-bubble.png   a good unit with a bubble, view 0 frame 0, 1/2 size
 *   sample-particle-crop.png a dark particle, frames 0 and 1 side by side,
 *                            256x256 crops at full resolution
 *   sample-cap-missing.png   a unit without its crimp cap, 1/2 size
 *   sample-overlay-crack.png the inspector's overlay for a glass crack, 1/2 size
 * Usage: samples OUTDIR   (bench/vision/run.sh builds it)
 */
#include <math.h>
#include "vision/vision.h"

static int half(const char *path, const uint8_t *px, uint32_t w, uint32_t h, unsigned ch)
{
	uint32_t ow = w / 2, oh = h / 2;
	uint8_t *o = pl_malloc((size_t)ow * oh * ch);
	for (uint32_t y = 0; y < oh; y++)
		for (uint32_t x = 0; x < ow; x++)
			for (unsigned c = 0; c < ch; c++) {
				unsigned s = 0;
				for (int j = 0; j < 2; j++)
					for (int i = 0; i < 2; i++)
						s += px[((size_t)(2 * y + j) * w + 2 * x + i) * ch + c];
				o[((size_t)y * ow + x) * ch + c] = (uint8_t)((s + 2) / 4);
			}
	int rc = vis_png_write(path, o, ow, oh, ch, 9);
	free(o);
	return rc;
}

/* First unit of seed 7 with the wanted class (and kind for objects). */
static uint64_t find(struct vis_sim *s, enum vis_class cls, int kind, double min_um, bool bubble)
{
	for (uint64_t i = 0; i < 5000; i++) {
		struct vis_sim_truth t;
		uint64_t us = vis_sim_unit_seed(7, i);
		vis_sim_plan(s, us, cls == VIS_C_NONE ? 0.0 : 1.0, &t);
		if (t.cls != cls)
			continue;
		if (bubble && !(t.n_objects && t.objects[t.n_objects - 1].kind == VIS_K_BUBBLE))
			continue;
		if (kind >= 0 && (!t.n_objects || (int)t.objects[0].kind != kind ||
				  t.objects[0].size_um < min_um))
			continue;
		return us;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vis_config c;
	char path[4096];
	struct vis_sim_truth t;
	struct vis_result r;

	if (argc != 2) {
		fprintf(stderr, "usage: samples OUTDIR\n");
		return 2;
	}
	vis_config_default(&c);
	struct vis_sim *s = vis_sim_new(&c, NULL, 0);
	struct vis_ctx *x = vis_ctx_new(&c, NULL, 0);
	size_t n = (size_t)c.views * c.frames;
	struct vis_image *f = pl_calloc(n, sizeof(*f));
	for (size_t i = 0; i < n; i++)
		vis_image_alloc(&f[i], c.width, c.height);
	vis_result_init(&r);

	vis_sim_unit(s, find(s, VIS_C_NONE, -1, 0, true), 0.0, 0, f, n, &t);
	snprintf(path, sizeof(path), "%s/sample-good-bubble.png", argv[1]);
	half(path, f[0].px, c.width, c.height, 1);

	vis_sim_unit(s, find(s, VIS_C_CAP_MISSING, -1, 0, false), 1.0, 0, f, n, &t);
	snprintf(path, sizeof(path), "%s/sample-cap-missing.png", argv[1]);
	half(path, f[3 * c.frames].px, c.width, c.height, 1);

	vis_sim_unit(s, find(s, VIS_C_GLASS_CRACK, VIS_K_CRACK, 0, false), 1.0, 0, f, n, &t);
	vis_inspect(x, f, n, &r);
	if (r.overlay) {
		snprintf(path, sizeof(path), "%s/sample-overlay-crack.png", argv[1]);
		half(path, r.overlay, r.overlay_w, r.overlay_h, 3);
	}

	/* particle: crop around where the inspector found it, frames 0 and 1 */
	vis_sim_unit(s, find(s, VIS_C_PARTICLE, VIS_K_DARK, 250, false), 1.0, 0, f, n, &t);
	vis_inspect(x, f, n, &r);
	if (r.n_reasons && r.reasons[0].view >= 0) {
		int v = r.reasons[0].view, cx = r.reasons[0].px_x, cy = r.reasons[0].px_y;
		int x0 = cx - 128 < 0 ? 0 : cx - 128 > (int)c.width - 256 ? (int)c.width - 256 : cx - 128;
		int y0 = cy - 128 < 0 ? 0 : cy - 128 > (int)c.height - 256 ? (int)c.height - 256 : cy - 128;
		uint8_t *o = pl_malloc(512 * 256);
		for (int y = 0; y < 256; y++)
			for (int k = 0; k < 2; k++)
				memcpy(o + y * 512 + k * 256,
				       f[(size_t)v * c.frames + k].px + (size_t)(y0 + y) * c.width + x0, 256);
		for (int y = 0; y < 256; y++)
			o[y * 512 + 255] = o[y * 512 + 256] = 0; /* divider */
		snprintf(path, sizeof(path), "%s/sample-particle-crop.png", argv[1]);
		vis_png_write(path, o, 512, 256, 1, 9);
		free(o);
		printf("particle: %.0f um truth, found %s %.0f um in view %d\n", t.objects[0].size_um,
		       vis_class_name(r.reasons[0].cls), r.reasons[0].size_um, v);
	}
	vis_result_release(&r);
	for (size_t i = 0; i < n; i++)
		vis_image_release(&f[i]);
	free(f);
	vis_ctx_free(x);
	vis_sim_free(s);
	return 0;
}
