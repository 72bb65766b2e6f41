/*
 * anomaly.c - generic anomaly mode: learn "good" from good images only and
 * score new images against it, for products the vial pipeline does not
 * model (bottles seen from above, syringes, ampoules). `parkline inspect
 * train` and `parkline inspect score` (src/cli/inspect_anomaly.c) are its
 * command-line face.
 *
 * NOTES ON THE DESIGN
 *
 *  1. Reduction. Every image is area-averaged onto a grid of at most
 *     VIS_ANOM_GRID_MAX cells along its longer side (grid_of()). Sensor
 *     noise averages out, the model stays small (<= 128x128 cells x 2
 *     features x mean+variance = 256 KiB) and scoring is cheap. Defects
 *     smaller than about one cell (img/grid px) are diluted; that is the
 *     documented resolution limit.
 *  2. Normalisation. The grid is scaled so its mean grey is 100 (lighting
 *     drift), then shifted, with bilinear sampling and clamped edges, so
 *     that the centroid of its above-mean mass lands on the grid centre:
 *     products that sit a little off-centre line up with the model. This
 *     is translation only; rotation and scale are not normalised.
 *  3. Features. Per cell: grey level, and gradient magnitude (Sobel / 4).
 *     Grey catches dark spots and missing parts; gradient catches thin
 *     marks (scratches) whose mean grey change is small after reduction.
 *  4. Model. Per cell and feature, mean and (population) variance over the
 *     good images. Variances get a floor (ANOM_VAR_FLOOR, i.e. 2 grey
 *     levels) so a cell that never varied in training does not turn every
 *     last bit of noise into an anomaly.
 *  5. Score. A cell's anomaly is the SMALLEST sum over features of squared
 *     z-scores against the model cells in its 3x3 neighbourhood (an image
 *     one cell off after alignment still matches), then averaged over a 3x3
 *     patch (one noisy cell is not a defect, a patch is). The image score
 *     is the largest patch value; the heat map is the patch map.
 *  6. Threshold. Leave-one-out over the good images: each is scored by the
 *     model of the others (means and variances taken back out of running
 *     sums, so this costs one scoring pass per image, not one training),
 *     and the threshold is the ceil((1 - target_frr) * n)-th smallest
 *     score, so at most target_frr of the held-out good images would have
 *     been rejected. With few images this is the largest LOO score (a
 *     target of 1 % needs 100 good images to mean anything; the model
 *     reports the LOO rate it reached).
 *  7. File format, version 1, all little-endian:
 *       0  8  magic "PLANOMAL"
 *       8  4  u32 version (1)
 *      12  4  u32 header bytes (64)
 *      16  4  u32 image width      20 4 u32 image height
 *      24  4  u32 grid width       28 4 u32 grid height (must equal grid_of())
 *      32  4  u32 features (2)     36 4 u32 good images learnt
 *      40  8  f64 target FRR       48 8 f64 threshold   56 8 f64 LOO FRR
 *      64  .  f32 mean[feature][row][col], then f32 var[feature][row][col]
 *     end  4  u32 CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before
 *     The loader checks length, magic, version, header size, CRC, then that
 *     every number is finite and in range, before anything is allocated
 *     for the model. A wrong CRC is PL_EPARSE: a damaged model must never
 *     pass or reject product silently.
 *
 * Thread safety: a model is read-only after it is built or loaded; scoring
 * allocates its own O(grid) scratch, so any number of threads may score
 * against one model. A trainer belongs to one thread.
 */
#include "vision/vision_int.h"

#include <float.h>

#define NFEAT 2
#define ANOM_VAR_FLOOR 4.0 /* (2 grey levels on the normalised scale)^2 */
#define ANOM_HDR 64
#define ANOM_GRID_MIN 8
#define ANOM_LEVEL 100.0 /* normalised mean grey */

struct vis_anomaly_model {
	struct vis_anomaly_info info;
	float *mean; /* NFEAT * cells, owned */
	float *var;  /* NFEAT * cells, owned, raw (floor added when scoring) */
};

struct vis_anomaly_trainer {
	uint32_t img_w, img_h, gw, gh;
	double frr;
	size_t n, cap; /* images added, feature rows allocated */
	float *feat;   /* n rows of NFEAT * cells, owned */
};

static void why_set(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	if (!why || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* Grid size for an image: the longer side becomes at most
 * VIS_ANOM_GRID_MAX cells, the aspect is kept. 0 when a side would be
 * under ANOM_GRID_MIN cells (too small or too thin to model). */
static int grid_of(uint32_t w, uint32_t h, uint32_t *gw, uint32_t *gh)
{
	if (w < ANOM_GRID_MIN || h < ANOM_GRID_MIN || w > VIS_DIM_MAX || h > VIS_DIM_MAX)
		return PL_EINVAL;
	double s = (double)(w > h ? w : h) / VIS_ANOM_GRID_MAX;
	if (s < 1)
		s = 1;
	*gw = (uint32_t)lround(w / s);
	*gh = (uint32_t)lround(h / s);
	if (*gw < ANOM_GRID_MIN || *gh < ANOM_GRID_MIN)
		return PL_EINVAL;
	return 0;
}

static float clampf_at(const float *a, uint32_t gw, uint32_t gh, long x, long y)
{
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x >= (long)gw)
		x = gw - 1;
	if (y >= (long)gh)
		y = gh - 1;
	return a[(size_t)y * gw + (size_t)x];
}

/* Notes 1-3: image -> NFEAT planes of gw*gh floats in feat. scratch holds
 * 2 * cells floats. Returns the alignment shift (dx, dy), in cells, that
 * maps feature cell (x, y) back to grid cell (x + dx, y + dy). */
static void features(const struct vis_image *im, uint32_t gw, uint32_t gh, float *feat,
		     float *scratch, double *sdx, double *sdy)
{
	size_t cells = (size_t)gw * gh;
	float *g = scratch, *a = feat; /* grey plane is feature 0 */
	double total = 0;

	/* 1. area average */
	for (uint32_t gy = 0; gy < gh; gy++) {
		uint32_t y0 = (uint32_t)((uint64_t)gy * im->h / gh);
		uint32_t y1 = (uint32_t)((uint64_t)(gy + 1) * im->h / gh);
		if (y1 <= y0)
			y1 = y0 + 1;
		for (uint32_t gx = 0; gx < gw; gx++) {
			uint32_t x0 = (uint32_t)((uint64_t)gx * im->w / gw);
			uint32_t x1 = (uint32_t)((uint64_t)(gx + 1) * im->w / gw);
			if (x1 <= x0)
				x1 = x0 + 1;
			uint64_t sum = 0;
			for (uint32_t y = y0; y < y1; y++) {
				const uint8_t *row = im->px + (size_t)y * im->stride;
				for (uint32_t x = x0; x < x1; x++)
					sum += row[x];
			}
			float v = (float)((double)sum / ((double)(y1 - y0) * (x1 - x0)));
			g[(size_t)gy * gw + gx] = v;
			total += v;
		}
	}
	/* 2. brightness, then centroid of the above-mean mass */
	double mean = total / (double)cells;
	double k = ANOM_LEVEL / (mean < 1 ? 1 : mean);
	double wsum = 0, wx = 0, wy = 0;
	for (uint32_t y = 0; y < gh; y++)
		for (uint32_t x = 0; x < gw; x++) {
			float *p = &g[(size_t)y * gw + x];
			*p = (float)(*p * k);
			double w = *p - ANOM_LEVEL;
			if (w > 0) {
				wsum += w;
				wx += w * x;
				wy += w * y;
			}
		}
	double dx = 0, dy = 0;
	if (wsum > 0) {
		dx = wx / wsum - (gw - 1) / 2.0;
		dy = wy / wsum - (gh - 1) / 2.0;
	}
	*sdx = dx;
	*sdy = dy;
	/* shift by (dx, dy), bilinear with clamped edges */
	for (uint32_t y = 0; y < gh; y++)
		for (uint32_t x = 0; x < gw; x++) {
			double sx = x + dx, sy = y + dy;
			double fx = floor(sx), fy = floor(sy);
			double tx = sx - fx, ty = sy - fy;
			long ix = (long)fx, iy = (long)fy;
			double v = (1 - ty) * ((1 - tx) * clampf_at(g, gw, gh, ix, iy) +
					       tx * clampf_at(g, gw, gh, ix + 1, iy)) +
				   ty * ((1 - tx) * clampf_at(g, gw, gh, ix, iy + 1) +
					 tx * clampf_at(g, gw, gh, ix + 1, iy + 1));
			a[(size_t)y * gw + x] = (float)v;
		}
	/* 3. gradient magnitude (Sobel / 4, so a step of d grey is ~d) */
	float *gm = feat + cells;
	for (long y = 0; y < (long)gh; y++)
		for (long x = 0; x < (long)gw; x++) {
#define A(xx, yy) clampf_at(a, gw, gh, (xx), (yy))
			float gx = (A(x + 1, y - 1) + 2 * A(x + 1, y) + A(x + 1, y + 1)) -
				   (A(x - 1, y - 1) + 2 * A(x - 1, y) + A(x - 1, y + 1));
			float gy = (A(x - 1, y + 1) + 2 * A(x, y + 1) + A(x + 1, y + 1)) -
				   (A(x - 1, y - 1) + 2 * A(x, y - 1) + A(x + 1, y - 1));
#undef A
			gm[(size_t)y * gw + (size_t)x] = sqrtf(gx * gx + gy * gy) / 4.0f;
		}
}

/* Note 5: the patch map of one feature set against (mean, var); map gets
 * cells floats, tmp cells floats of scratch. Returns the image score. */
static double score_map(const float *x, const float *mu, const float *var, uint32_t gw,
			uint32_t gh, float *map, float *tmp)
{
	size_t cells = (size_t)gw * gh;
	for (long y = 0; y < (long)gh; y++)
		for (long xx = 0; xx < (long)gw; xx++) {
			size_t p = (size_t)y * gw + (size_t)xx;
			float best = FLT_MAX;
			for (long ny = y - 1; ny <= y + 1; ny++) {
				if (ny < 0 || ny >= (long)gh)
					continue;
				for (long nx = xx - 1; nx <= xx + 1; nx++) {
					if (nx < 0 || nx >= (long)gw)
						continue;
					size_t q = (size_t)ny * gw + (size_t)nx;
					float d = 0;
					for (int f = 0; f < NFEAT; f++) {
						size_t o = (size_t)f * cells;
						float e = x[o + p] - mu[o + q];
						d += e * e / (var[o + q] + (float)ANOM_VAR_FLOOR);
					}
					if (d < best)
						best = d;
				}
			}
			tmp[p] = best;
		}
	double top = 0;
	for (long y = 0; y < (long)gh; y++)
		for (long xx = 0; xx < (long)gw; xx++) {
			double s = 0;
			int n = 0;
			for (long ny = y - 1; ny <= y + 1; ny++)
				for (long nx = xx - 1; nx <= xx + 1; nx++)
					if (ny >= 0 && ny < (long)gh && nx >= 0 && nx < (long)gw) {
						s += tmp[(size_t)ny * gw + (size_t)nx];
						n++;
					}
			s /= n;
			map[(size_t)y * gw + (size_t)xx] = (float)s;
			if (s > top)
				top = s;
		}
	return top;
}

/* ------------------------------------------------------------ training */

struct vis_anomaly_trainer *vis_anomaly_trainer_new(uint32_t w, uint32_t h, double target_frr,
						    char *why, size_t whysz)
{
	struct vis_anomaly_trainer *tr;
	uint32_t gw, gh;
	if (!(target_frr > 0 && target_frr <= 0.5)) {
		why_set(why, whysz, "target false-reject rate %g is outside (0, 0.5]", target_frr);
		return NULL;
	}
	if (grid_of(w, h, &gw, &gh)) {
		why_set(why, whysz, "image size %ux%u cannot be modelled (each side %u..%u px)", w, h,
			ANOM_GRID_MIN, VIS_DIM_MAX);
		return NULL;
	}
	tr = pl_calloc(1, sizeof(*tr));
	tr->img_w = w;
	tr->img_h = h;
	tr->gw = gw;
	tr->gh = gh;
	tr->frr = target_frr;
	return tr;
}

void vis_anomaly_trainer_free(struct vis_anomaly_trainer *tr)
{
	if (!tr)
		return;
	free(tr->feat);
	free(tr);
}

int vis_anomaly_trainer_add(struct vis_anomaly_trainer *tr, const struct vis_image *im,
			    char *why, size_t whysz)
{
	size_t row = (size_t)NFEAT * tr->gw * tr->gh;
	double dx, dy;
	if (!im->px || im->w != tr->img_w || im->h != tr->img_h) {
		why_set(why, whysz, "image is %ux%u, the model's images are %ux%u", im->w, im->h,
			tr->img_w, tr->img_h);
		return PL_EINVAL;
	}
	if (tr->n >= VIS_ANOM_TRAIN_MAX) {
		why_set(why, whysz, "more than %u training images", VIS_ANOM_TRAIN_MAX);
		return PL_ETOOBIG;
	}
	if (tr->n == tr->cap) {
		/* Grows geometrically; bounded by VIS_ANOM_TRAIN_MAX rows of at
		 * most 128 KiB each. */
		size_t ncap = tr->cap ? tr->cap * 2 : 16;
		if (ncap > VIS_ANOM_TRAIN_MAX)
			ncap = VIS_ANOM_TRAIN_MAX;
		float *nf = realloc(tr->feat, ncap * row * sizeof(float));
		if (!nf)
			abort();
		tr->feat = nf;
		tr->cap = ncap;
	}
	float *scratch = pl_malloc(2 * (size_t)tr->gw * tr->gh * sizeof(float));
	features(im, tr->gw, tr->gh, tr->feat + tr->n * row, scratch, &dx, &dy);
	free(scratch);
	tr->n++;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int vis_anomaly_trainer_finish(struct vis_anomaly_trainer *tr, struct vis_anomaly_model **out,
			       char *why, size_t whysz)
{
	size_t cells = (size_t)tr->gw * tr->gh, row = NFEAT * cells, n = tr->n;
	double *s1 = NULL, *s2 = NULL, *loo = NULL;
	float *mu = NULL, *var = NULL, *map = NULL, *tmp = NULL;
	struct vis_anomaly_model *m = NULL;
	int rc = 0;

	*out = NULL;
	if (n < VIS_ANOM_TRAIN_MIN) {
		why_set(why, whysz, "%zu good images; at least %u are needed", n, VIS_ANOM_TRAIN_MIN);
		return PL_EINVAL;
	}
	s1 = pl_calloc(row, sizeof(double));
	s2 = pl_calloc(row, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		const float *x = tr->feat + i * row;
		for (size_t j = 0; j < row; j++) {
			s1[j] += x[j];
			s2[j] += (double)x[j] * x[j];
		}
	}
	/* Note 6: leave-one-out scores */
	mu = pl_malloc(row * sizeof(float));
	var = pl_malloc(row * sizeof(float));
	map = pl_malloc(cells * sizeof(float));
	tmp = pl_malloc(cells * sizeof(float));
	loo = pl_malloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		const float *x = tr->feat + i * row;
		double k = (double)(n - 1);
		for (size_t j = 0; j < row; j++) {
			double a = (s1[j] - x[j]) / k;
			double v = (s2[j] - (double)x[j] * x[j]) / k - a * a;
			mu[j] = (float)a;
			var[j] = (float)(v > 0 ? v : 0);
		}
		loo[i] = score_map(x, mu, var, tr->gw, tr->gh, map, tmp);
	}
	qsort(loo, n, sizeof(double), cmp_double);
	size_t kth = (size_t)ceil((1.0 - tr->frr) * (double)n - 1e-9);
	if (kth < 1)
		kth = 1;
	if (kth > n)
		kth = n;
	double thr = loo[kth - 1];
	size_t over = 0;
	for (size_t i = 0; i < n; i++)
		over += loo[i] > thr;

	m = pl_calloc(1, sizeof(*m));
	m->info.img_w = tr->img_w;
	m->info.img_h = tr->img_h;
	m->info.grid_w = tr->gw;
	m->info.grid_h = tr->gh;
	m->info.n_train = (uint32_t)n;
	m->info.target_frr = tr->frr;
	m->info.threshold = thr;
	m->info.loo_frr = (double)over / (double)n;
	m->mean = mu;
	m->var = var;
	mu = var = NULL;
	for (size_t j = 0; j < row; j++) {
		double a = s1[j] / (double)n, v = s2[j] / (double)n - a * a;
		m->mean[j] = (float)a;
		m->var[j] = (float)(v > 0 ? v : 0);
	}
	*out = m;
	free(loo);
	free(tmp);
	free(map);
	free(var);
	free(mu);
	free(s2);
	free(s1);
	return rc;
}

void vis_anomaly_model_free(struct vis_anomaly_model *m)
{
	if (!m)
		return;
	free(m->mean);
	free(m->var);
	free(m);
}

void vis_anomaly_model_info(const struct vis_anomaly_model *m, struct vis_anomaly_info *out)
{
	*out = m->info;
}

/* ------------------------------------------------------------- scoring */

int vis_anomaly_score(const struct vis_anomaly_model *m, const struct vis_image *im,
		      double *score, bool *anomalous, uint8_t **heat, char *why, size_t whysz)
{
	uint32_t gw = m->info.grid_w, gh = m->info.grid_h;
	size_t cells = (size_t)gw * gh;
	double dx, dy, s;
	if (heat)
		*heat = NULL;
	if (!im->px || im->w != m->info.img_w || im->h != m->info.img_h) {
		why_set(why, whysz, "image is %ux%u, the model was trained on %ux%u", im->w, im->h,
			m->info.img_w, m->info.img_h);
		return PL_EINVAL;
	}
	/* one block: features (NFEAT planes), two scratch planes, map */
	float *buf = pl_malloc((NFEAT + 3) * cells * sizeof(float));
	float *feat = buf, *scr = buf + NFEAT * cells, *map = scr + 2 * cells;
	features(im, gw, gh, feat, scr, &dx, &dy);
	s = score_map(feat, m->mean, m->var, gw, gh, map, scr);
	*score = s;
	*anomalous = s > m->info.threshold;
	if (heat) {
		/* The map is in aligned cells: feature cell (x, y) came from grid
		 * cell (x + dx, y + dy), so image pixel -> grid -> minus the shift. */
		uint8_t *rgb = pl_malloc((size_t)im->w * im->h * 3);
		double thr = m->info.threshold > 0 ? m->info.threshold : 1;
		for (uint32_t y = 0; y < im->h; y++)
			for (uint32_t x = 0; x < im->w; x++) {
				double gx = ((double)x + 0.5) * gw / im->w - 0.5 - dx;
				double gy = ((double)y + 0.5) * gh / im->h - 0.5 - dy;
				float v = clampf_at(map, gw, gh, lround(gx), lround(gy));
				double h = v / thr, base = im->px[(size_t)y * im->stride + x] * 0.5;
				double al = (h - 0.5) / 1.5;
				al = al < 0 ? 0 : al > 1 ? 1 : al;
				double yel = h - 1 < 0 ? 0 : h - 1 > 1 ? 1 : h - 1;
				uint8_t *o = rgb + ((size_t)y * im->w + x) * 3;
				o[0] = (uint8_t)lround(base + al * (255 - base));
				o[1] = (uint8_t)lround(base * (1 - al) + al * 255 * yel);
				o[2] = (uint8_t)lround(base * (1 - al));
			}
		*heat = rgb;
	}
	free(buf);
	return 0;
}

/* --------------------------------------------------------------- AUROC */

struct ranked {
	double s;
	int label;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->s, y = ((const struct ranked *)b)->s;
	return (x > y) - (x < y);
}

int vis_anomaly_auroc(const double *scores, const int *labels, size_t n, double *out)
{
	size_t npos = 0, nneg = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(scores[i]) || (labels[i] != 0 && labels[i] != 1))
			return PL_EINVAL;
		if (labels[i])
			npos++;
		else
			nneg++;
	}
	if (!npos || !nneg)
		return PL_EINVAL;
	struct ranked *r = pl_malloc(n * sizeof(*r));
	for (size_t i = 0; i < n; i++)
		r[i] = (struct ranked){ scores[i], labels[i] };
	qsort(r, n, sizeof(*r), cmp_ranked);
	/* Mid-ranks: a run of equal scores at positions i..j-1 (1-based ranks
	 * i+1..j) all get (i+1+j)/2. */
	double rank_pos = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && r[j].s == r[i].s)
			j++;
		double mid = ((double)(i + 1) + (double)j) / 2.0;
		for (size_t k = i; k < j; k++)
			if (r[k].label)
				rank_pos += mid;
		i = j;
	}
	free(r);
	double u = rank_pos - (double)npos * (double)(npos + 1) / 2.0;
	*out = u / ((double)npos * (double)nneg);
	return 0;
}

/* ---------------------------------------------------------- file format */

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_f64(uint8_t *p, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static double get_f64(const uint8_t *p)
{
	uint64_t v = 0;
	double d;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	memcpy(&d, &v, 8);
	return d;
}
static void put_f32(uint8_t *p, float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	put_u32(p, v);
}
static float get_f32(const uint8_t *p)
{
	uint32_t v = get_u32(p);
	float f;
	memcpy(&f, &v, 4);
	return f;
}

static const char anom_magic[8] = { 'P', 'L', 'A', 'N', 'O', 'M', 'A', 'L' };

int vis_anomaly_model_save_mem(const struct vis_anomaly_model *m, uint8_t **buf, size_t *len)
{
	size_t row = (size_t)NFEAT * m->info.grid_w * m->info.grid_h;
	size_t n = ANOM_HDR + 2 * row * 4 + 4;
	uint8_t *b = pl_calloc(n, 1), *p;
	memcpy(b, anom_magic, 8);
	put_u32(b + 8, VIS_ANOM_VERSION);
	put_u32(b + 12, ANOM_HDR);
	put_u32(b + 16, m->info.img_w);
	put_u32(b + 20, m->info.img_h);
	put_u32(b + 24, m->info.grid_w);
	put_u32(b + 28, m->info.grid_h);
	put_u32(b + 32, NFEAT);
	put_u32(b + 36, m->info.n_train);
	put_f64(b + 40, m->info.target_frr);
	put_f64(b + 48, m->info.threshold);
	put_f64(b + 56, m->info.loo_frr);
	p = b + ANOM_HDR;
	for (size_t j = 0; j < row; j++, p += 4)
		put_f32(p, m->mean[j]);
	for (size_t j = 0; j < row; j++, p += 4)
		put_f32(p, m->var[j]);
	put_u32(p, vis__crc32(b, n - 4));
	*buf = b;
	*len = n;
	return 0;
}

int vis_anomaly_model_save(const struct vis_anomaly_model *m, const char *path)
{
	uint8_t *b;
	size_t n;
	vis_anomaly_model_save_mem(m, &b, &n);
	int rc = vis__file_write(path, b, n);
	free(b);
	return rc;
}

int vis_anomaly_model_load_mem(const void *vbuf, size_t len, struct vis_anomaly_model **out,
			       char *why, size_t whysz)
{
	const uint8_t *b = vbuf;
	struct vis_anomaly_info in;
	uint32_t ver, gw, gh;
	size_t row, need;

	*out = NULL;
	if (len > VIS_ANOM_FILE_MAX) {
		why_set(why, whysz, "model is %zu bytes, over the %u-byte cap", len,
			VIS_ANOM_FILE_MAX);
		return PL_ETOOBIG;
	}
	if (len < ANOM_HDR + 4 || memcmp(b, anom_magic, 8)) {
		why_set(why, whysz, "not a Parkline anomaly model (bad magic or too short)");
		return PL_EPARSE;
	}
	ver = get_u32(b + 8);
	if (ver != VIS_ANOM_VERSION) {
		why_set(why, whysz, "model format version %u; this build reads version %u", ver,
			VIS_ANOM_VERSION);
		return PL_EUNSUPPORTED;
	}
	if (get_u32(b + 12) != ANOM_HDR || get_u32(b + 32) != NFEAT) {
		why_set(why, whysz, "model header size or feature count is wrong");
		return PL_EPARSE;
	}
	memset(&in, 0, sizeof(in));
	in.img_w = get_u32(b + 16);
	in.img_h = get_u32(b + 20);
	in.grid_w = get_u32(b + 24);
	in.grid_h = get_u32(b + 28);
	if (grid_of(in.img_w, in.img_h, &gw, &gh) || gw != in.grid_w || gh != in.grid_h) {
		why_set(why, whysz, "model sizes are inconsistent (image %ux%u, grid %ux%u)",
			in.img_w, in.img_h, in.grid_w, in.grid_h);
		return PL_EPARSE;
	}
	row = (size_t)NFEAT * gw * gh; /* <= 2 * 128 * 128: no overflow */
	need = ANOM_HDR + 2 * row * 4 + 4;
	if (len != need) {
		why_set(why, whysz, "model is %zu bytes, its header says %zu (truncated?)", len,
			need);
		return PL_EPARSE;
	}
	if (vis__crc32(b, len - 4) != get_u32(b + len - 4)) {
		why_set(why, whysz, "model checksum does not match (damaged file)");
		return PL_EPARSE;
	}
	in.n_train = get_u32(b + 36);
	in.target_frr = get_f64(b + 40);
	in.threshold = get_f64(b + 48);
	in.loo_frr = get_f64(b + 56);
	if (in.n_train < VIS_ANOM_TRAIN_MIN || in.n_train > VIS_ANOM_TRAIN_MAX ||
	    !(in.target_frr > 0 && in.target_frr <= 0.5) ||
	    !(isfinite(in.threshold) && in.threshold >= 0 && in.threshold < 1e12) ||
	    !(in.loo_frr >= 0 && in.loo_frr <= 1)) {
		why_set(why, whysz, "model header values are out of range");
		return PL_EPARSE;
	}
	/* Means are normalised grey or gradient (0..~1e4), variances their
	 * squares: anything else did not come from a trainer. */
	const uint8_t *p = b + ANOM_HDR;
	for (size_t j = 0; j < 2 * row; j++) {
		float v = get_f32(p + 4 * j);
		float hi = j < row ? 1e5f : 1e10f;
		if (!(isfinite(v) && v >= 0 && v <= hi)) {
			why_set(why, whysz, "model value %zu is out of range", j);
			return PL_EPARSE;
		}
	}
	struct vis_anomaly_model *m = pl_calloc(1, sizeof(*m));
	m->info = in;
	m->mean = pl_malloc(row * sizeof(float));
	m->var = pl_malloc(row * sizeof(float));
	for (size_t j = 0; j < row; j++) {
		m->mean[j] = get_f32(p + 4 * j);
		m->var[j] = get_f32(p + 4 * (row + j));
	}
	*out = m;
	return 0;
}

int vis_anomaly_model_load(const char *path, struct vis_anomaly_model **out, char *why,
			   size_t whysz)
{
	uint8_t *b;
	size_t n;
	*out = NULL;
	int rc = vis__file_read(path, VIS_ANOM_FILE_MAX, &b, &n, why, whysz);
	if (rc)
		return rc;
	rc = vis_anomaly_model_load_mem(b, n, out, why, whysz);
	free(b);
	return rc;
}

/* ------------------------------------------------------- demo product */

/* smooth 0..1 edge of width 1 px centred on 0 (d < 0 inside) */
static double inside(double d)
{
	return d <= -0.5 ? 1 : d >= 0.5 ? 0 : 0.5 - d;
}

int vis_anomaly_demo_bottle(uint64_t seed, int defect, uint32_t size, struct vis_image *out)
{
	struct vis__rng rng = { seed * 0x2545F4914F6CDD1DULL + 0x9E3779B97F4A7C15ULL };
	double S = size;
	int rc;

	memset(out, 0, sizeof(*out));
	if (size < 32 || size > 2048 || defect < 0 || defect > 3)
		return PL_EINVAL;
	rc = vis_image_alloc(out, size, size);
	if (rc)
		return rc;
	double cx = S / 2 + vis__rng_range(&rng, -0.03, 0.03) * S;
	double cy = S / 2 + vis__rng_range(&rng, -0.03, 0.03) * S;
	double gain = 1 + 0.04 * vis__rng_gauss(&rng);
	double R = 0.40 * S, Rc = 0.18 * S, Rn = 0.12 * S;
	/* the defect's place and shape, drawn even for good units so every
	 * unit consumes the generator the same way */
	double da = vis__rng_range(&rng, 0, 2 * VIS_PI);
	double dr = vis__rng_range(&rng, 0.25, 0.8) * R;
	double dxp = cx + dr * cos(da), dyp = cy + dr * sin(da);
	double spot_r = vis__rng_range(&rng, 0.006, 0.02) * S;
	double spot_k = vis__rng_range(&rng, 25, 70);
	double sc_ang = vis__rng_range(&rng, 0, VIS_PI);
	double sc_len = vis__rng_range(&rng, 0.10, 0.2) * S;
	double sc_w = 0.003 * S + 0.5;
	double sc_k = vis__rng_range(&rng, 20, 45);

	for (uint32_t y = 0; y < size; y++)
		for (uint32_t x = 0; x < size; x++) {
			double px = x + 0.5, py = y + 0.5;
			double r = hypot(px - cx, py - cy);
			double vg = hypot(px - S / 2, py - S / 2) / (0.7 * S);
			double v = 45 - 15 * vg * vg; /* dark background, vignetting */
			double in = inside(r - R);
			/* shoulder: brighter towards the rim, a specular ring */
			double sh = 120 + 60 * (r / R) +
				    45 * exp(-pow((r - 0.86 * R) / (0.03 * R), 2));
			v = v * (1 - in) + sh * in;
			if (defect == 3) {
				/* no cap: the neck lip and a dark opening */
				double lip = inside(r - Rn) - inside(r - (Rn - 0.015 * S));
				double hole = inside(r - (Rn - 0.015 * S));
				v = v * (1 - lip - hole) + 210 * lip + 40 * hole;
			} else {
				/* cap: flat top, a dark edge ring, a faint inner ring */
				double cap = inside(r - Rc);
				double ring = exp(-pow((r - Rc) / (0.012 * S), 2));
				double inner = exp(-pow((r - 0.6 * Rc) / (0.01 * S), 2));
				v = v * (1 - cap) + (170 - 8 * (r / Rc)) * cap - 90 * ring + 15 * inner;
			}
			if (defect == 1) {
				double d = hypot(px - dxp, py - dyp);
				v -= spot_k * inside(d - spot_r);
			} else if (defect == 2) {
				/* distance to the segment through (dxp, dyp) */
				double ux = cos(sc_ang), uy = sin(sc_ang);
				double t = (px - dxp) * ux + (py - dyp) * uy;
				double h = fabs(-(px - dxp) * uy + (py - dyp) * ux);
				if (fabs(t) < sc_len / 2)
					v -= sc_k * inside(h - sc_w / 2);
			}
			v = v * gain + 3.0 * vis__rng_gauss(&rng);
			out->px[(size_t)y * out->stride + x] =
				(uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
		}
	return 0;
}
