/*
 * golden.c - the golden model: what the body of a good unit looks like in
 * each view, learnt from good units, so that static deviations from it
 * (glass cracks and scratches, cosmetic marks on the outside of the glass)
 * can be told from the container's own appearance.
 *
 * The static-mark check in inspect.c models each view from itself
 * (C(x) + R(y)); that cannot see a mark that runs along a column or a row
 * (the model absorbs it) nor a faint broad smudge (it shifts the medians).
 * The golden model instead keeps, per view and per pixel of the body in
 * container coordinates, the mean and the spread of the per-view median
 * background over N good units. Because positions are taken relative to the
 * located axis and bottom (sub-pixel, bilinear), the tray's and cameras'
 * position jitter is absorbed; what varies between good units (noise, the
 * tubing's draw lines, the room-light sheen, the meniscus moving within the
 * fill window) becomes spread, and the pixel only alarms beyond k spreads.
 *
 * Training uses Welford's update in float (stable for any N); the spread is
 * the largest standard deviation in each pixel's 3x3 neighbourhood, at
 * least 1 grey level, so a half-pixel misregistration at a refraction edge
 * does not alarm. The model is stored as grey x 64 in uint16 (4 bytes per
 * model pixel per view) and is read-only once built: contexts on several
 * threads share one.
 *
 * File format (version 1, little-endian):
 *   0   8  magic "PLGOLDEN"
 *   8   4  u32 version (1)
 *   12  4  u32 header size (96)
 *   16  4  u32 width      20  4 u32 height     24  4 u32 views
 *   28  4  u32 grid_w     32  4 u32 grid_h     36  4 u32 n_train
 *   40  8  f64 um_per_px  48  8 f64 body_radius_mm
 *   56  8  f64 base_mm    64  8 f64 body_height_mm
 *   72  8  f64 k_sigma    80 16 zero
 *   96     u16 mean[views][grid_h][grid_w], then u16 spread[...] (x 64)
 *   end 4  u32 CRC-32 (IEEE, as zlib's crc32) of every byte before it
 * The grid must be what the geometry implies (vis__golden_geom), so a file
 * cannot claim one size and carry another.
 */
#include "vision/vision_int.h"

#include <errno.h>

#define GOLD_HDR 96
#define GOLD_SCALE 64.0 /* grey levels to stored units */

struct vis_golden {
	struct vis_golden_info info;
	uint16_t *mean;   /* views * gw * gh */
	uint16_t *spread; /* same */
};

struct vis_golden_trainer {
	struct vis_config cfg;
	struct vis__golden_geom geom;
	struct vis_ctx *ctx; /* locate + background */
	uint32_t n;
	float *mean, *m2;    /* Welford, views * gw * gh */
};

void vis__golden_geom(const struct vis_config *c, struct vis__golden_geom *g)
{
	g->ppm = 1000.0 / c->um_per_px;
	/* the static-mark region of inspect.c: central 75 % of the body, from
	 * 0.4 mm above the base's inside to 0.6 mm under the shoulder */
	g->ru = 0.75 * c->body_radius_mm;
	g->zlo = c->base_mm + 0.4;
	g->zhi = c->body_height_mm - 0.6;
	g->gw = (uint32_t)floor(2 * g->ru * g->ppm) + 1;
	g->gh = g->zhi > g->zlo ? (uint32_t)floor((g->zhi - g->zlo) * g->ppm) + 1 : 1;
}

const uint16_t *vis__golden_mean(const struct vis_golden *m, unsigned v)
{
	return m->mean + (size_t)v * m->info.grid_w * m->info.grid_h;
}

const uint16_t *vis__golden_spread(const struct vis_golden *m, unsigned v)
{
	return m->spread + (size_t)v * m->info.grid_w * m->info.grid_h;
}

double vis__golden_k(const struct vis_golden *m)
{
	return m->info.k_sigma;
}

static void why_set(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	if (!why || !whysz)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- trainer */
struct vis_golden_trainer *vis_golden_trainer_new(const struct vis_config *cfg, char *why,
						  size_t whysz)
{
	struct vis_golden_trainer *tr;
	struct vis_ctx *ctx = vis_ctx_new(cfg, why, whysz);
	if (!ctx)
		return NULL;
	tr = pl_calloc(1, sizeof(*tr));
	tr->cfg = *cfg;
	tr->ctx = ctx;
	vis__golden_geom(cfg, &tr->geom);
	size_t np = (size_t)cfg->views * tr->geom.gw * tr->geom.gh;
	tr->mean = pl_calloc(np, sizeof(float));
	tr->m2 = pl_calloc(np, sizeof(float));
	return tr;
}

void vis_golden_trainer_free(struct vis_golden_trainer *tr)
{
	if (!tr)
		return;
	vis_ctx_free(tr->ctx);
	free(tr->mean);
	free(tr->m2);
	free(tr);
}

/* Bilinear sample of plane p (row stride w) at (x, y); the caller keeps
 * (x, y) at least one pixel inside the computed region. */
static double bilinear(const uint8_t *p, size_t w, double x, double y)
{
	double fx = floor(x), fy = floor(y), ax = x - fx, ay = y - fy;
	const uint8_t *q = p + (size_t)fy * w + (size_t)fx;
	return (1 - ay) * ((1 - ax) * q[0] + ax * q[1]) + ay * ((1 - ax) * q[w] + ax * q[w + 1]);
}

int vis_golden_trainer_add(struct vis_golden_trainer *tr, const struct vis_image *frames, size_t n,
			   char *why, size_t whysz)
{
	const struct vis_config *g = &tr->cfg;
	const struct vis__golden_geom *gg = &tr->geom;
	size_t plane = (size_t)gg->gw * gg->gh;
	double cx[VIS_VIEWS_MAX], yb[VIS_VIEWS_MAX];

	if (n != (size_t)g->views * g->frames) {
		why_set(why, whysz, "unit has %zu frames, expected %u x %u", n, g->views, g->frames);
		return PL_EINVAL;
	}
	if (tr->n >= VIS_GOLDEN_TRAIN_MAX) {
		why_set(why, whysz, "more than %u good units", VIS_GOLDEN_TRAIN_MAX);
		return PL_ETOOBIG;
	}
	for (size_t i = 0; i < n; i++)
		if (!frames[i].px || frames[i].w != g->width || frames[i].h != g->height ||
		    frames[i].stride < frames[i].w) {
			why_set(why, whysz, "view %zu frame %zu is missing or not %ux%u",
				i / g->frames, i % g->frames, g->width, g->height);
			return PL_EINVAL;
		}
	/* Locate every view first: a unit that fails anywhere teaches nothing
	 * (the accumulators are only touched once all views are usable). The
	 * second pass recomputes each background, since the context holds one. */
	for (unsigned v = 0; v < g->views; v++) {
		const uint8_t *bg;
		char w2[160];
		if (vis__view_background(tr->ctx, &frames[(size_t)v * g->frames], &cx[v], &yb[v], &bg,
					 w2, sizeof(w2))) {
			why_set(why, whysz, "view %u: %s", v, w2);
			return PL_EINVAL;
		}
		/* bilinear reads one pixel right and below: keep a margin */
		double x0 = cx[v] - gg->ru * gg->ppm, y0 = yb[v] - gg->zhi * gg->ppm;
		if (x0 < 1 || y0 < 1 || x0 + gg->gw + 1 > g->width || y0 + gg->gh + 1 > g->height) {
			why_set(why, whysz, "view %u: the body is not wholly inside the frame", v);
			return PL_EINVAL;
		}
	}
	tr->n++;
	for (unsigned v = 0; v < g->views; v++) {
		const uint8_t *bg;
		char w2[160];
		(void)vis__view_background(tr->ctx, &frames[(size_t)v * g->frames], &cx[v], &yb[v],
					   &bg, w2, sizeof(w2));
		float *mean = tr->mean + v * plane, *m2 = tr->m2 + v * plane;
		double x0 = cx[v] - gg->ru * gg->ppm, y0 = yb[v] - gg->zhi * gg->ppm;
		for (uint32_t j = 0; j < gg->gh; j++)
			for (uint32_t i = 0; i < gg->gw; i++) {
				size_t k = (size_t)j * gg->gw + i;
				float val = (float)bilinear(bg, g->width, x0 + i, y0 + j);
				float d = val - mean[k];
				mean[k] += d / (float)tr->n;
				m2[k] += d * (val - mean[k]);
			}
	}
	return 0;
}

static uint16_t to_u16(double grey)
{
	double s = grey * GOLD_SCALE + 0.5;
	return (uint16_t)(s < 0 ? 0 : s > 65535 ? 65535 : s);
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* Median spread, for reports: from a strided sample (at most ~64k values). */
static double spread_median(const struct vis_golden *m)
{
	size_t np = (size_t)m->info.views * m->info.grid_w * m->info.grid_h;
	size_t step = np / 65536 + 1, k = 0;
	uint16_t *s = pl_malloc((np / step + 1) * sizeof(uint16_t));
	for (size_t i = 0; i < np; i += step)
		s[k++] = m->spread[i];
	qsort(s, k, sizeof(uint16_t), cmp_u16);
	double med = k ? s[k / 2] / GOLD_SCALE : 0;
	free(s);
	return med;
}

int vis_golden_trainer_finish(struct vis_golden_trainer *tr, double k_sigma,
			      struct vis_golden **out, char *why, size_t whysz)
{
	const struct vis__golden_geom *gg = &tr->geom;
	uint32_t gw = gg->gw, gh = gg->gh;
	*out = NULL;
	if (tr->n < VIS_GOLDEN_TRAIN_MIN) {
		why_set(why, whysz, "%u good units learnt, at least %u are needed", tr->n,
			VIS_GOLDEN_TRAIN_MIN);
		return PL_EINVAL;
	}
	if (!(k_sigma >= 3 && k_sigma <= 50)) {
		why_set(why, whysz, "k_sigma must be in [3, 50]");
		return PL_EINVAL;
	}
	struct vis_golden *m = pl_calloc(1, sizeof(*m));
	struct vis_golden_info *in = &m->info;
	in->width = tr->cfg.width;
	in->height = tr->cfg.height;
	in->views = tr->cfg.views;
	in->grid_w = gw;
	in->grid_h = gh;
	in->um_per_px = tr->cfg.um_per_px;
	in->body_radius_mm = tr->cfg.body_radius_mm;
	in->base_mm = tr->cfg.base_mm;
	in->body_height_mm = tr->cfg.body_height_mm;
	in->n_train = tr->n;
	in->k_sigma = k_sigma;
	size_t plane = (size_t)gw * gh;
	m->mean = pl_malloc(in->views * plane * sizeof(uint16_t));
	m->spread = pl_malloc(in->views * plane * sizeof(uint16_t));
	for (unsigned v = 0; v < in->views; v++) {
		const float *mean = tr->mean + v * plane, *m2 = tr->m2 + v * plane;
		uint16_t *om = m->mean + v * plane, *os = m->spread + v * plane;
		for (uint32_t j = 0; j < gh; j++)
			for (uint32_t i = 0; i < gw; i++) {
				double worst = 0;
				for (int dj = -1; dj <= 1; dj++)
					for (int di = -1; di <= 1; di++) {
						int jj = (int)j + dj, ii = (int)i + di;
						if (jj < 0 || ii < 0 || jj >= (int)gh || ii >= (int)gw)
							continue;
						worst = fmax(worst, m2[(size_t)jj * gw + ii]);
					}
				size_t k = (size_t)j * gw + i;
				om[k] = to_u16(mean[k]);
				os[k] = to_u16(fmin(128.0, fmax(1.0, sqrt(worst / (tr->n - 1)))));
			}
	}
	in->spread_median = spread_median(m);
	*out = m;
	return 0;
}

void vis_golden_free(struct vis_golden *m)
{
	if (!m)
		return;
	free(m->mean);
	free(m->spread);
	free(m);
}

void vis_golden_info(const struct vis_golden *m, struct vis_golden_info *out)
{
	*out = m->info;
}

/* ---------------------------------------------------------- file format */

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), table-free: a model is read
 * once per process. Shared with the module through vision_int.h. */
uint32_t vis__crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
	}
	return ~c;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
static void put_f64(uint8_t *p, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	put_le(p, v, 8);
}
static double get_f64(const uint8_t *p)
{
	uint64_t v = get_le(p, 8);
	double d;
	memcpy(&d, &v, 8);
	return d;
}

static const char gold_magic[8] = { 'P', 'L', 'G', 'O', 'L', 'D', 'E', 'N' };

int vis_golden_save_mem(const struct vis_golden *m, uint8_t **buf, size_t *len)
{
	const struct vis_golden_info *in = &m->info;
	size_t np = (size_t)in->views * in->grid_w * in->grid_h;
	size_t n = GOLD_HDR + 2 * np * 2 + 4;
	uint8_t *b = pl_calloc(n, 1), *p;
	memcpy(b, gold_magic, 8);
	put_le(b + 8, VIS_GOLDEN_VERSION, 4);
	put_le(b + 12, GOLD_HDR, 4);
	put_le(b + 16, in->width, 4);
	put_le(b + 20, in->height, 4);
	put_le(b + 24, in->views, 4);
	put_le(b + 28, in->grid_w, 4);
	put_le(b + 32, in->grid_h, 4);
	put_le(b + 36, in->n_train, 4);
	put_f64(b + 40, in->um_per_px);
	put_f64(b + 48, in->body_radius_mm);
	put_f64(b + 56, in->base_mm);
	put_f64(b + 64, in->body_height_mm);
	put_f64(b + 72, in->k_sigma);
	p = b + GOLD_HDR;
	for (size_t j = 0; j < np; j++, p += 2)
		put_le(p, m->mean[j], 2);
	for (size_t j = 0; j < np; j++, p += 2)
		put_le(p, m->spread[j], 2);
	put_le(p, vis__crc32(b, n - 4), 4);
	*buf = b;
	*len = n;
	return 0;
}

int vis__file_write(const char *path, const uint8_t *b, size_t n)
{
	int rc = 0;
	FILE *f = fopen(path, "wb");
	if (!f)
		return PL_EIO;
	if (fwrite(b, 1, n, f) != n)
		rc = PL_EIO;
	if (fclose(f))
		rc = PL_EIO;
	return rc;
}

int vis_golden_save(const struct vis_golden *m, const char *path)
{
	uint8_t *b;
	size_t n;
	vis_golden_save_mem(m, &b, &n);
	int rc = vis__file_write(path, b, n);
	free(b);
	return rc;
}

int vis_golden_load_mem(const void *vbuf, size_t len, struct vis_golden **out, char *why,
			size_t whysz)
{
	const uint8_t *b = vbuf;
	struct vis_golden_info in;
	struct vis_config cfg;
	struct vis__golden_geom gg;
	uint32_t ver;

	*out = NULL;
	if (len > VIS_GOLDEN_FILE_MAX) {
		why_set(why, whysz, "golden model is %zu bytes, over the %u-byte cap", len,
			VIS_GOLDEN_FILE_MAX);
		return PL_ETOOBIG;
	}
	if (len < GOLD_HDR + 4 || memcmp(b, gold_magic, 8)) {
		why_set(why, whysz, "not a Parkline golden model (bad magic or too short)");
		return PL_EPARSE;
	}
	ver = (uint32_t)get_le(b + 8, 4);
	if (ver != VIS_GOLDEN_VERSION) {
		why_set(why, whysz, "golden model format version %u; this build reads version %u",
			ver, VIS_GOLDEN_VERSION);
		return PL_EUNSUPPORTED;
	}
	if (get_le(b + 12, 4) != GOLD_HDR) {
		why_set(why, whysz, "golden model header size is wrong");
		return PL_EPARSE;
	}
	for (int i = 80; i < GOLD_HDR; i++)
		if (b[i]) {
			why_set(why, whysz, "golden model reserved header bytes are not zero");
			return PL_EPARSE;
		}
	memset(&in, 0, sizeof(in));
	in.width = (uint32_t)get_le(b + 16, 4);
	in.height = (uint32_t)get_le(b + 20, 4);
	in.views = (unsigned)get_le(b + 24, 4);
	in.grid_w = (uint32_t)get_le(b + 28, 4);
	in.grid_h = (uint32_t)get_le(b + 32, 4);
	in.n_train = (uint32_t)get_le(b + 36, 4);
	in.um_per_px = get_f64(b + 40);
	in.body_radius_mm = get_f64(b + 48);
	in.base_mm = get_f64(b + 56);
	in.body_height_mm = get_f64(b + 64);
	in.k_sigma = get_f64(b + 72);
	/* The geometry must be a valid configuration's, and the grid the one it
	 * implies: checked through the config checker with the stored fields. */
	vis_config_default(&cfg);
	cfg.width = in.width;
	cfg.height = in.height;
	cfg.views = in.views;
	cfg.um_per_px = in.um_per_px;
	cfg.body_radius_mm = in.body_radius_mm;
	cfg.base_mm = in.base_mm;
	cfg.body_height_mm = in.body_height_mm;
	if (in.views < 1 || in.views > VIS_VIEWS_MAX || in.width < 1 || in.width > VIS_DIM_MAX ||
	    in.height < 1 || in.height > VIS_DIM_MAX || !(in.um_per_px >= 5 && in.um_per_px <= 200) ||
	    !(in.body_radius_mm > 0 && in.body_radius_mm < 100) ||
	    !(in.base_mm >= 0 && in.base_mm < 100) ||
	    !(in.body_height_mm > in.base_mm + 1.0 && in.body_height_mm < 1000)) {
		why_set(why, whysz, "golden model geometry is out of range");
		return PL_EPARSE;
	}
	vis__golden_geom(&cfg, &gg);
	if (gg.gw != in.grid_w || gg.gh != in.grid_h ||
	    (uint64_t)in.grid_w * in.grid_h > VIS_PIXELS_MAX) {
		why_set(why, whysz, "golden model grid %ux%u does not match its geometry",
			in.grid_w, in.grid_h);
		return PL_EPARSE;
	}
	if (in.n_train < VIS_GOLDEN_TRAIN_MIN || in.n_train > VIS_GOLDEN_TRAIN_MAX ||
	    !(in.k_sigma >= 3 && in.k_sigma <= 50)) {
		why_set(why, whysz, "golden model header values are out of range");
		return PL_EPARSE;
	}
	size_t np = (size_t)in.views * in.grid_w * in.grid_h; /* <= 32 * 24 Mi */
	size_t need = GOLD_HDR + 4 * np + 4;
	if (need > VIS_GOLDEN_FILE_MAX) {
		why_set(why, whysz, "golden model would be %zu bytes, over the cap", need);
		return PL_ETOOBIG;
	}
	if (len != need) {
		why_set(why, whysz, "golden model is %zu bytes, its header says %zu (truncated?)",
			len, need);
		return PL_EPARSE;
	}
	if (vis__crc32(b, len - 4) != get_le(b + len - 4, 4)) {
		why_set(why, whysz, "golden model checksum does not match (damaged file)");
		return PL_EPARSE;
	}
	const uint8_t *p = b + GOLD_HDR;
	struct vis_golden *m = pl_calloc(1, sizeof(*m));
	m->mean = pl_malloc(np * sizeof(uint16_t));
	m->spread = pl_malloc(np * sizeof(uint16_t));
	for (size_t j = 0; j < np; j++) {
		m->mean[j] = (uint16_t)get_le(p + 2 * j, 2);
		m->spread[j] = (uint16_t)get_le(p + 2 * (np + j), 2);
		/* a mean is a grey level (<= 255 x 64); a spread at least 1 grey
		 * level (the trainer's floor) and at most 128 */
		if (m->mean[j] > 255 * 64 || m->spread[j] < 64 || m->spread[j] > 128 * 64) {
			why_set(why, whysz, "golden model value %zu is out of range", j);
			vis_golden_free(m);
			return PL_EPARSE;
		}
	}
	m->info = in;
	m->info.spread_median = spread_median(m);
	*out = m;
	return 0;
}

int vis__file_read(const char *path, size_t cap, uint8_t **buf, size_t *len, char *why,
		    size_t whysz)
{
	int rc = 0;
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		why_set(why, whysz, "%s: %s", path, strerror(errno));
		return PL_EIO;
	}
	/* one byte past the cap tells "too big" from "exactly the cap" */
	*buf = pl_malloc(cap + 1);
	*len = fread(*buf, 1, cap + 1, f);
	if (ferror(f)) {
		why_set(why, whysz, "%s: read error", path);
		free(*buf);
		*buf = NULL;
		rc = PL_EIO;
	}
	fclose(f);
	return rc;
}

int vis_golden_load(const char *path, struct vis_golden **out, char *why, size_t whysz)
{
	uint8_t *b;
	size_t n;
	*out = NULL;
	int rc = vis__file_read(path, VIS_GOLDEN_FILE_MAX, &b, &n, why, whysz);
	if (rc)
		return rc;
	rc = vis_golden_load_mem(b, n, out, why, whysz);
	free(b);
	return rc;
}
