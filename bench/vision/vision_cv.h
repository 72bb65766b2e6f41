/*
 * vision_cv.h - the C face of bench/vision/vision_cv.cpp, the OpenCV
 * version of the inspection pipeline's core steps that `make bench-vision`
 * times beside vis_inspect. Plain C types only, so bench_vision.c (C17)
 * calls it without seeing any C++.
 */
#ifndef PL_BENCH_VISION_CV_H
#define PL_BENCH_VISION_CV_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Geometry in pixels, derived by the caller from struct vis_config. */
struct vis_cv_geom {
	int w, h;              /* frame size */
	double ppm;            /* pixels per mm */
	double body_radius_mm, base_mm, body_height_mm, neck_top_mm;
	double cap_radius_mm, cap_top_mm, fill_min_mm;
	double min_contrast;   /* grey levels: |frame - background| seed level */
};

/* One unit: planes[v * frames + f] (w*h bytes each, borrowed). Per view:
 * locate the container (two half-level profile crossings and the bottom),
 * per-pixel median of the frames over the cap and body boxes, then per
 * frame |frame - median| > min_contrast and connected components with
 * statistics over the body box. Returns the blobs found (area >= 2 px)
 * summed over views and frames, or -1 when a view has no container.
 * Single-threaded inside (cv::setNumThreads(1) is the caller's: see
 * vis_cv_init); call from any number of threads. */
int vis_cv_unit(const uint8_t *const *planes, unsigned views, unsigned frames,
		const struct vis_cv_geom *g);
/* Turns OpenCV's own thread pool off so each caller thread is one core,
 * as with vis_inspect; returns the OpenCV version string (static). */
const char *vis_cv_init(void);

#ifdef __cplusplus
}
#endif
#endif
