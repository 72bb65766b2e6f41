/*
 * vision_cv.cpp - the inspection pipeline's core steps written with
 * OpenCV (core + imgproc), for `make bench-vision` to time beside our own
 * vis_inspect in the same run (issue 5, item 6). Built only by
 * bench/vision/run.sh, never linked into parkline: OpenCV is a benchmark
 * reference here, not a dependency.
 *
 * What it does per view - the same steps src/vision/inspect.c does first,
 * in OpenCV's idiom (notes 2, 3 and 6 of inspect.c's design block):
 *   1. locate: cv::reduce of 8 rows low in the body to a column profile,
 *      the first half-level crossing from each side (the walls), then an
 *      8-column strip along the axis reduced to a row profile for the
 *      bottom;
 *   2. background: per-pixel median of the (3) frames as
 *      max(min(a, b), min(max(a, b), c)) with cv::min / cv::max, over the
 *      cap box and the body box (75 % of the radius), as ours does;
 *   3. blobs: per frame cv::absdiff against the median, cv::threshold at
 *      min_contrast, cv::connectedComponentsWithStats (8-connected) over the
 *      body box.
 * What it does NOT do, and ours does: hysteresis growth, blob moments,
 * noise estimation, tracking, cross-view agreement, fill level, cap
 * geometry, static-mark model, verdict and overlay. So it is a lower bound
 * on what an OpenCV implementation of the whole pipeline would cost.
 */
#include "vision_cv.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace {

/* half of the level of the first 6 samples from start; -1 if never crossed */
double half_crossing(const float *p, int n, int start, int dir)
{
	double lvl = 0;
	int k = 0;
	for (int i = 0; i < 6; i++) {
		int j = start + dir * i;
		if (j >= 0 && j < n) {
			lvl += p[j];
			k++;
		}
	}
	if (!k)
		return -1;
	lvl = 0.5 * lvl / k;
	for (int i = start; i >= 0 && i < n; i += dir)
		if (p[i] < lvl) {
			int prev = i - dir;
			if (prev < 0 || prev >= n)
				return i;
			double t = (p[prev] - lvl) / (p[prev] - p[i] + 1e-9);
			return prev + dir * t;
		}
	return -1;
}

cv::Rect clip(int x0, int y0, int x1, int y1, int w, int h)
{
	x0 = std::clamp(x0, 0, w);
	x1 = std::clamp(x1, 0, w);
	y0 = std::clamp(y0, 0, h);
	y1 = std::clamp(y1, 0, h);
	return cv::Rect(x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0));
}

void median_into(const cv::Mat *f, unsigned nf, const cv::Rect &r, cv::Mat &bg)
{
	if (r.area() == 0)
		return;
	if (nf >= 3) {
		cv::Mat lo, hi;
		cv::min(f[0](r), f[1](r), lo);
		cv::max(f[0](r), f[1](r), hi);
		cv::min(hi, f[2](r), hi);
		cv::Mat dst = bg(r); /* a view: same size and type, so written in place */
		cv::max(lo, hi, dst);
	} else {
		f[0](r).copyTo(bg(r));
	}
}

} // namespace

extern "C" const char *vis_cv_init(void)
{
	cv::setNumThreads(1);
	return CV_VERSION;
}

extern "C" int vis_cv_unit(const uint8_t *const *planes, unsigned views, unsigned frames,
			   const struct vis_cv_geom *g)
{
	int w = g->w, h = g->h, blobs = 0;
	double ppm = g->ppm;
	cv::Mat f[8], bg(h, w, CV_8U), diff, mask, labels, stats, cents, prof;
	if (frames > 8)
		frames = 8;
	for (unsigned v = 0; v < views; v++) {
		for (unsigned k = 0; k < frames; k++)
			f[k] = cv::Mat(h, w, CV_8U, const_cast<uint8_t *>(planes[v * frames + k]));
		/* 1. locate */
		double yb_nom = h * 0.5 + 0.5 * g->cap_top_mm * ppm;
		int yr = std::clamp((int)(yb_nom - 0.45 * g->fill_min_mm * ppm), 4, h - 5);
		cv::reduce(f[0](cv::Rect(0, yr - 4, w, 8)), prof, 0, cv::REDUCE_AVG, CV_32F);
		const float *p = prof.ptr<float>(0);
		double xl = half_crossing(p, w, 0, 1), xr = half_crossing(p, w, w - 1, -1);
		double want = 2 * g->body_radius_mm;
		if (xl < 0 || xr < 0 || std::fabs((xr - xl) / ppm - want) > 0.15 * want)
			return -1;
		double cx = 0.5 * (xl + xr);
		int cxi = (int)std::lround(cx);
		cv::reduce(f[0](clip(cxi - 4, 0, cxi + 4, h, w, h)), prof, 1, cv::REDUCE_AVG, CV_32F);
		if (prof.rows != h) /* column vector: contiguous, one float per row */
			return -1;
		double yb = half_crossing(prof.ptr<float>(0), h, h - 1, -1);
		if (yb < 0 || std::fabs(yb - yb_nom) > 3.0 * ppm)
			return -1;
		/* 2. background over the cap and body boxes */
		double rc = (0.7 * g->cap_radius_mm + 0.2) * ppm;
		double rb = (0.75 * g->body_radius_mm + 0.2) * ppm;
		cv::Rect cap = clip((int)(cx - rc), (int)(yb - (g->cap_top_mm + 2.2) * ppm),
				    (int)(cx + rc) + 1, (int)(yb - (g->neck_top_mm - 1.2) * ppm), w, h);
		cv::Rect body = clip((int)(cx - rb), (int)(yb - (g->body_height_mm - 0.5) * ppm),
				     (int)(cx + rb) + 1, (int)(yb - 0.5 * g->base_mm * ppm) + 1, w, h);
		median_into(f, frames, cap, bg);
		median_into(f, frames, body, bg);
		/* 3. blobs per frame over the body */
		if (body.area() == 0)
			continue;
		for (unsigned k = 0; k < frames; k++) {
			cv::absdiff(f[k](body), bg(body), diff);
			cv::threshold(diff, mask, g->min_contrast, 255, cv::THRESH_BINARY);
			int n = cv::connectedComponentsWithStats(mask, labels, stats, cents, 8, CV_32S);
			for (int i = 1; i < n; i++)
				blobs += stats.at<int>(i, cv::CC_STAT_AREA) >= 2;
		}
	}
	return blobs;
}
