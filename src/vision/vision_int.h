/*
 * vision_int.h - helpers shared by the vision module's own files only:
 * a small deterministic random generator (the simulator must reproduce a
 * unit from its seed on any machine, so no rand()/random()), and the
 * container's outer profile, which both the renderer and the inspector
 * derive from the product configuration.
 */
#ifndef PL_VISION_INT_H
#define PL_VISION_INT_H

#include <math.h>
#include "vision/vision.h"

#define VIS_PI 3.14159265358979323846

/* splitmix64: one 64-bit state, full period, passes BigCrush; plenty for
 * rendering noise and choosing defects. */
struct vis__rng {
	uint64_t s;
};
static inline uint64_t vis__rng_next(struct vis__rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
/* Uniform in [0, 1). */
static inline double vis__rng_unit(struct vis__rng *r)
{
	return (double)(vis__rng_next(r) >> 11) * 0x1.0p-53;
}
static inline double vis__rng_range(struct vis__rng *r, double lo, double hi)
{
	return lo + (hi - lo) * vis__rng_unit(r);
}
/* Standard normal (Box-Muller, one value per call). */
static inline double vis__rng_gauss(struct vis__rng *r)
{
	double u1 = vis__rng_unit(r), u2 = vis__rng_unit(r);
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(2.0 * VIS_PI * u2);
}

/* Outer radius (mm) of the glass at height z above the bottom, for the
 * body, heel, shoulder and neck (the cap is handled by the caller);
 * 0 below the bottom or above the neck. */
static inline double vis__glass_radius(const struct vis_config *c, double z)
{
	double heel = 0.8;
	if (z < 0 || z > c->neck_top_mm)
		return 0;
	if (z < heel) {
		double d = heel - z;
		return c->body_radius_mm - heel + sqrt(heel * heel - d * d);
	}
	if (z <= c->body_height_mm)
		return c->body_radius_mm;
	double sh = (c->neck_top_mm - c->body_height_mm) * 0.55;
	if (z < c->body_height_mm + sh)
		return c->neck_radius_mm + (c->body_radius_mm - c->neck_radius_mm) * 0.5 *
			(1 + cos(VIS_PI * (z - c->body_height_mm) / sh));
	return c->neck_radius_mm;
}

/* The golden model's grid (golden.c) in container coordinates, fixed by the
 * configuration: model pixel (i, j) is at u = -ru + i / ppm mm across the
 * axis and z = zhi - j / ppm mm above the bottom. */
struct vis__golden_geom {
	double ppm, ru, zlo, zhi;
	uint32_t gw, gh;
};
void vis__golden_geom(const struct vis_config *c, struct vis__golden_geom *g);
/* View v's mean and spread planes (gw x gh, grey levels x 64). */
const uint16_t *vis__golden_mean(const struct vis_golden *m, unsigned v);
const uint16_t *vis__golden_spread(const struct vis_golden *m, unsigned v);
double vis__golden_k(const struct vis_golden *m);
/* Model-file helpers (golden.c; the anomaly model's format is the same
 * kind): CRC-32 (IEEE, as zlib's crc32); read at most cap bytes of path
 * (*len = cap + 1 tells "over the cap"; the caller frees *buf; PL_EIO with
 * why); write n bytes (PL_EIO). */
uint32_t vis__crc32(const uint8_t *p, size_t n);
int vis__file_read(const char *path, size_t cap, uint8_t **buf, size_t *len, char *why,
		   size_t whysz);
int vis__file_write(const char *path, const uint8_t *b, size_t n);
/* inspect.c, for the golden trainer: locates one view (frames fr[0..F))
 * and computes its median background over the body. *bg points into the
 * context (valid until its next use), row stride cfg.width. PL_EINVAL with
 * why when the container is not found. */
int vis__view_background(struct vis_ctx *c, const struct vis_image *fr, double *cx, double *yb,
			 const uint8_t **bg, char *why, size_t whysz);

#endif
