/*
 * inspect.c - the inspection pipeline: V views x F frames of one unit in,
 * a verdict with reasons out.
 *
 * NOTES ON THE DESIGN
 * 1. Input contract. Every frame is 8-bit grey, exactly the configured
 *    size; the camera is set up so the container stands upright near the
 *    frame's centre (within +-2 mm). Frames of one view are taken with the
 *    vial held still (the liquid still turns after spin-stop), and frame f
 *    of every camera is taken at the same instant (one trigger). Anything
 *    else - a missing or wrongly sized frame, no container where one must
 *    be, more candidate objects than the tables hold, noise far above a
 *    camera's - makes the unit UNINSPECTABLE, which the line treats as a
 *    reject: bad input is never accepted.
 * 2. Locate (per view). Horizontal profile of frame 0 averaged over 8 rows
 *    low in the body: the outer walls are the first crossings of half the
 *    back-light level from each side (sub-pixel by linear interpolation);
 *    their midpoint is the axis and their distance must match the body
 *    diameter within 15 %. A vertical profile along the axis gives the
 *    outside bottom the same way. All later positions are in container
 *    coordinates: u mm across the axis, z mm above the bottom, so views
 *    with different jitter agree. Only the container's bounding box is
 *    processed further.
 * 3. Background (per view). The per-pixel median over the F frames (for
 *    F = 3 a min/max network that vectorises): moving particles and
 *    bubbles vanish from it when they move more than their own size
 *    between frames; glass, marks and anything stuck stay. It is computed
 *    only over the cap and the body's central 75 % (about half the
 *    container's box); the same pass records each row's largest
 *    |frame - background| per frame, so step 6 skips quiet rows unread.
 * 4. Fill level. The meniscus is a dark band across the liquid surface in
 *    back-light. Mean of the background over the central strip (half the
 *    inner radius) per row, smoothed over 3 rows; the band is the deepest
 *    minimum between base and shoulder, which must be darker than 60 % of
 *    the strip's median. Parabolic sub-pixel fit; fill = band centre +
 *    meniscus_offset_mm (a per-product calibration). The unit's fill is
 *    the median over views; outside [fill_min, fill_max] is fill_low or
 *    fill_high. No band in most views is fill_low ("empty?").
 * 5. Cap. For each column over the cap, the first row from above that is
 *    darker than half the back-light is the top edge. Over the central
 *    70 % of the cap a least-squares line gives the apparent tilt in this
 *    view (a tilted cap shows its tilt times cos(azimuth difference), so
 *    the largest over 22 views is within 1.5 % of the true tilt) and the
 *    median gives the height. The unit's height is the median over views:
 *    too low is cap_missing (the bare stopper is lower), too high or too
 *    tilted is cap_misaligned.
 * 6. Moving objects. In the liquid region (base to just under the
 *    meniscus, inside 82 % of the inner radius where the wall's refraction
 *    band starts) each frame is compared with the background: seeds where
 *    |frame - background| > max(k * sigma, min_contrast), grown by
 *    hysteresis down to half that. sigma is measured per view from the
 *    difference of two frames (MAD, robust to the particles themselves).
 *    Blobs carry area, centroid, second moments, polarity and peak
 *    contrast; size is the major axis (4 sqrt(lambda1), or sqrt(12
 *    lambda1) for elongated blobs) in um.
 * 7. Tracking. Blobs are linked frame to frame inside a motion gate (8 mm
 *    sideways - the swirl - and 1.5 mm vertically - sinking and rising are
 *    slower; area within 4x). The first three frames are matched as
 *    triplets of constant velocity first (cheapest change of velocity
 *    first), so two similar objects passing each other do not swap; the
 *    rest pairwise, cheapest pair first; a chain whose vertical speed
 *    changes by > 0.5 mm/frame is cut. A track needs two frames. Ghosts -
 *    what an object that overlapped itself leaves in the median, showing
 *    as blobs brighter than the background or blobs that do not move by
 *    half their size - are dropped. A track that rises (> 0.2 mm/frame;
 *    0.1 with a bright centre) is a bubble: counted and passed (bubbles
 *    rise, particles sink or turn with the liquid). Elongated tracks
 *    (axis ratio >= 2.5 and >= 150 um) are fibres, the rest particles.
 * 8. Agreement across views. A real particle is seen by neighbouring
 *    cameras at the same height at the same instant (its x differs by the
 *    viewing angle, its z does not); a reflection or a noise blob is not.
 *    A track is confirmed when tracks in min_views_agree distinct views
 *    within 3 cameras of each other agree in z within 0.5 mm in every
 *    common frame. Confirmed tracks are clustered by height into one reason
 *    each; confidence 1 - 0.5^views. Unconfirmed tracks lower the accept
 *    confidence instead.
 * 9. Static marks (glass defects, particles stuck to the wall). Against a
 *    model of the container's appearance built from the view itself (not
 *    yet a golden model learned from good units - see docs/vision):
 *    model(x, y) = C(x) + R(y), C the median of each column (every 8th
 *    row), R the median of each row's remainder (every 4th column, every
 *    4th row), over the body: the container's appearance is, by design,
 *    constant along its axis within a region and vignetting is smooth.
 *    The liquid and the empty part are modelled separately; the band from
 *    0.7 mm under the meniscus line to 0.6 mm above it (where bubbles
 *    rest) and the base are not inspected this way. Blobs of |background
 *    - model| > static_k * sigma_model that are not where a tracked object
 *    was (its residue in the median) must appear in two views within 3
 *    cameras at the same height. Marks >= 0.7 mm long, or elongated and
 *    >= 1 mm, are glass_crack when their contrast is strong (>= 16 % of
 *    the local level) and glass_scratch when faint (particles are
 *    <= 500 um); compact ones are particles stuck to the wall.
 *    Opt-in golden check (vis_ctx_set_golden; see golden_marks below and
 *    src/vision/golden.c): the same background against per-pixel mean and
 *    spread learnt from good units, for what the self-model cannot see
 *    (marks along a column or row, broad faint smudges) and to call
 *    cosmetic marks cosmetic. Without a model nothing here changes.
 * 10. Decision. Reject when any reason has confidence >= 0.5; the verdict's
 *    confidence is the strongest reason's, or for an accept one minus the
 *    strongest unconfirmed evidence. For rejects an overlay (frame 0 of the
 *    strongest reason's view, reasons boxed in red, fill line in yellow)
 *    is attached.
 * 11. Limits. All tables are fixed-size (BLOBS_MAX per frame, TRACKS_MAX
 *    per view); the scratch planes are allocated once per context at the
 *    configured frame size, so memory per unit does not depend on content.
 *    Work is O(pixels in the container's box x frames) plus O(blobs^2) per
 *    frame pair with blobs capped.
 * 12. Dark-field views (cfg.dark_field_mask; none by default, and then
 *    nothing here runs). Lit from below at a low angle, the camera sees a
 *    black field and what scatters: glass edges, the meniscus and every
 *    object, bright - transparent particles and glass flakes that barely
 *    show in back-light included. Steps change as follows. Locate: the
 *    same profiles, but the first rise above a quarter of the way from the
 *    field to the profile's peak (edge_crossing). Fill (4), cap (5) and
 *    the static checks (9: self-model and golden) are back-light
 *    measurements and are skipped, except that the self-model (9) still
 *    runs: a particle stuck to the wall is bright and static on the black
 *    field, and so is a crack or scratch - but brightness cannot tell
 *    those two apart, so a dark-field glass mark is a neutral vote that
 *    counts as an agreeing view while the back-lit views name the class
 *    (glass_crack when no back-lit view saw it). The golden check is
 *    back-lit only. Fill and cap medians and the "no surface"
 *    rule count back-lit views only (vis_config_check keeps at least
 *    one). The back-lit views are therefore inspected first, and a
 *    dark-field view's liquid region ends where the back-lit views'
 *    median fill puts the surface (none: it looks for nothing). Moving
 *    objects (6, 7): the same temporal median and |frame - background|
 *    blobs, with the polarity inverted - the ghost rule drops tracks
 *    darker than the background (where a bright object was in the
 *    median), not brighter, and a bubble is a rising track (> 0.2
 *    mm/frame; its bright ring gives no bright-centre hint). The ghost
 *    rule of note 7 (bright blobs are not objects) thus holds for
 *    back-lit views only. Agreement (8) is unchanged and counts
 *    dark-field tracks like any other: same height, same instant.
 */
/* The pixel loops below are written to vectorise (no branches, unsigned
 * bytes); GCC's -O2 cost model ("very cheap") refuses most of them, so this
 * file asks for -O3's loop optimisations. clang vectorises them at -O2. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "vision/vision_int.h"

#include <float.h>

#define BLOBS_MAX 48   /* per frame per view; more is uninspectable */
#define TRACKS_MAX 48  /* per view */
#define STATIC_MAX 32  /* static blobs per view */

struct blob {
	double x, y;        /* centroid, px */
	double area;
	double len_px;      /* major axis */
	double elong;       /* sqrt(l1/l2) */
	double peak;        /* max |d| */
	double mean;        /* mean |d| */
	double bright_frac; /* fraction of pixels brighter than background */
	int track;          /* index into the view's tracks, -1 */
	int prev, next;     /* linked blob in the previous / next frame, -1 */
};

struct track {
	int frames;               /* frames with a blob */
	int first;                /* first frame */
	double z[VIS_FRAMES_MAX]; /* mm, NAN where absent */
	double bx[VIS_FRAMES_MAX], by[VIS_FRAMES_MAX], br[VIS_FRAMES_MAX]; /* px, radius px */
	double u0;                /* mm across the axis at the first frame */
	double px, py;            /* px at the first frame (for the overlay) */
	double size_um, peak, elong, bright, vz;
	enum vis_class cls;       /* PARTICLE, FIBRE or BUBBLE */
	bool confirmed;
};

struct sblob {
	double z, u, len_um, rel, peak, elong, px, py;
	enum vis_class cls;
};

struct view_state {
	bool located;
	bool dark;           /* dark-field view (note 12) */
	double cx, yb;       /* axis column, bottom row (px) */
	double fill_mm;      /* NAN when no meniscus */
	double dip_y;        /* meniscus row; -1 when none (dark-field: from the back-lit fill) */
	double cap_top_mm;   /* NAN when not measured */
	double tilt_deg;
	double sigma;
	int n_tracks;
	struct track tracks[TRACKS_MAX];
	int n_static;
	struct sblob stat[STATIC_MAX];
};

struct link_pair {
	float cost;
	int8_t i, j; /* blob in frame f, blob in frame f + 1 */
};

struct vis_ctx {
	struct vis_config cfg;
	double ppm;             /* px per mm */
	uint8_t *bg;            /* w*h background (median) */
	uint32_t *seen;         /* w*h flood-fill generation stamps */
	uint32_t gen;
	uint32_t *stack;        /* w*h flood-fill stack */
	int16_t *res;           /* w*h static residual */
	int *colv, *rowv;       /* models C(x), R(y), grey levels */
	uint32_t *hist;         /* 512 bins scratch */
	uint8_t *rowmax[VIS_FRAMES_MAX]; /* per frame, per row: max |frame - bg| */
	double *prof[3];        /* profile scratch, max(w, h) each */
	struct link_pair *pairs; /* BLOBS_MAX^2 link candidates */
	struct blob blobs[VIS_FRAMES_MAX][BLOBS_MAX];
	int nblobs[VIS_FRAMES_MAX];
	struct view_state views[VIS_VIEWS_MAX];
	const struct vis_golden *golden; /* borrowed, read-only; NULL: no golden check */
};

struct vis_ctx *vis_ctx_new(const struct vis_config *cfg, char *why, size_t whysz)
{
	struct vis_ctx *c;
	size_t n;
	if (vis_config_check(cfg, why, whysz))
		return NULL;
	c = pl_calloc(1, sizeof(*c));
	c->cfg = *cfg;
	c->ppm = 1000.0 / cfg->um_per_px;
	n = (size_t)cfg->width * cfg->height;
	c->bg = pl_malloc(n);
	c->seen = pl_calloc(n, sizeof(uint32_t));
	c->stack = pl_malloc(n * sizeof(uint32_t));
	c->res = pl_malloc(n * sizeof(int16_t));
	c->colv = pl_malloc(cfg->width * sizeof(int));
	c->rowv = pl_malloc(cfg->height * sizeof(int));
	c->hist = pl_malloc(512 * sizeof(uint32_t));
	for (unsigned f = 0; f < cfg->frames; f++)
		c->rowmax[f] = pl_calloc(cfg->height, 1);
	for (int k = 0; k < 3; k++)
		c->prof[k] = pl_calloc(cfg->width > cfg->height ? cfg->width : cfg->height,
				       sizeof(double));
	c->pairs = pl_malloc(BLOBS_MAX * BLOBS_MAX * sizeof(*c->pairs));
	return c;
}

void vis_ctx_free(struct vis_ctx *c)
{
	if (!c)
		return;
	free(c->bg);
	free(c->seen);
	free(c->stack);
	free(c->res);
	free(c->colv);
	free(c->rowv);
	free(c->hist);
	for (unsigned f = 0; f < VIS_FRAMES_MAX; f++)
		free(c->rowmax[f]);
	for (int k = 0; k < 3; k++)
		free(c->prof[k]);
	free(c->pairs);
	free(c);
}

const struct vis_config *vis_ctx_config(const struct vis_ctx *c)
{
	return &c->cfg;
}

int vis_ctx_set_golden(struct vis_ctx *c, const struct vis_golden *m, char *why, size_t whysz)
{
	struct vis_golden_info in;
	const struct vis_config *g = &c->cfg;
	if (m) {
		vis_golden_info(m, &in);
		/* exact equality: the model's grid is a function of these */
		if (in.width != g->width || in.height != g->height || in.views != g->views ||
		    in.um_per_px != g->um_per_px || in.body_radius_mm != g->body_radius_mm ||
		    in.base_mm != g->base_mm || in.body_height_mm != g->body_height_mm) {
			snprintf(why, whysz,
				 "golden model is for %u views of %ux%u at %g um/px (body r %g, base %g, "
				 "height %g mm); the product is %u views of %ux%u at %g um/px",
				 in.views, in.width, in.height, in.um_per_px, in.body_radius_mm, in.base_mm,
				 in.body_height_mm, g->views, g->width, g->height, g->um_per_px);
			return PL_EINVAL;
		}
	}
	c->golden = m;
	return 0;
}

/* A new flood-fill generation; on wrap-around the stamps are cleared so an
 * old stamp can never equal the new generation. */
static uint32_t next_gen(struct vis_ctx *c)
{
	if (++c->gen == 0) {
		memset(c->seen, 0, (size_t)c->cfg.width * c->cfg.height * sizeof(uint32_t));
		c->gen = 1;
	}
	return c->gen;
}

/* Median of a 512-bin histogram holding n values. */
static int hist_median(const uint32_t *h, int bins, uint64_t n)
{
	uint64_t acc = 0;
	for (int i = 0; i < bins; i++) {
		acc += h[i];
		if (2 * acc >= n)
			return i;
	}
	return bins - 1;
}

/* ------------------------------------------------------------- locate */
struct box {
	int x0, x1, y0, y1; /* inclusive-exclusive */
};

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* First crossing along a profile from start (dir +1 or -1), sub-pixel;
 * -1 when none. Back-light: below half of the start level. Dark-field
 * (note 12), where the field is black and the glass bright: above a
 * quarter of the way from the start level to the profile's peak - a
 * quarter, not a half, because a bright particle in frame 0 may outshine
 * the wall line and a quarter of its peak still lies under the line; -1
 * also when nothing rises 8 grey levels above the field. */
static double edge_crossing(const double *p, int n, int start, int dir, bool dark)
{
	double lvl = 0, peak = 0;
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
	lvl /= k;
	if (dark) {
		for (int i = 0; i < n; i++)
			peak = fmax(peak, p[i]);
		if (peak - lvl < 8)
			return -1;
		lvl += 0.25 * (peak - lvl);
	} else {
		lvl *= 0.5;
	}
	for (int i = start; i >= 0 && i < n; i += dir) {
		if (dark ? p[i] > lvl : p[i] < lvl) {
			int prev = i - dir;
			if (prev < 0 || prev >= n)
				return i;
			double t = (p[prev] - lvl) / (p[prev] - p[i] + (dark ? -1e-9 : 1e-9));
			return prev + dir * t;
		}
	}
	return -1;
}

static int locate(struct vis_ctx *c, const struct vis_image *im, struct view_state *vs,
		  char *why, size_t whysz)
{
	const struct vis_config *g = &c->cfg;
	int w = (int)g->width, h = (int)g->height;
	double *prof = c->prof[0];
	/* expected bottom with the container centred, then a row low in the body */
	double yb_nom = h * 0.5 + 0.5 * g->cap_top_mm * c->ppm;
	int yr = (int)(yb_nom - 0.45 * g->fill_min_mm * c->ppm);
	yr = clampi(yr, 4, h - 5);
	for (int x = 0; x < w; x++) {
		int s = 0;
		for (int y = yr - 4; y < yr + 4; y++)
			s += im->px[(size_t)y * im->stride + x];
		prof[x] = s / 8.0;
	}
	double xl = edge_crossing(prof, w, 0, 1, vs->dark);
	double xr = edge_crossing(prof, w, w - 1, -1, vs->dark);
	double width_mm = (xr - xl) / c->ppm, want = 2 * g->body_radius_mm;
	if (xl < 0 || xr < 0 || fabs(width_mm - want) > 0.15 * want) {
		snprintf(why, whysz, "no container in view (edge width %.1f mm, expected %.1f)",
			 xl < 0 || xr < 0 ? 0.0 : width_mm, want);
		return PL_EINVAL;
	}
	vs->cx = 0.5 * (xl + xr);
	int cxi = (int)lround(vs->cx);
	for (int y = 0; y < h; y++) {
		int s = 0;
		for (int x = cxi - 4; x < cxi + 4; x++)
			s += im->px[(size_t)y * im->stride + clampi(x, 0, w - 1)];
		prof[y] = s / 8.0;
	}
	double yb = edge_crossing(prof, h, h - 1, -1, vs->dark);
	if (yb < 0 || fabs(yb - yb_nom) > 3.0 * c->ppm) {
		snprintf(why, whysz, "container bottom not found near row %.0f", yb_nom);
		return PL_EINVAL;
	}
	vs->yb = yb;
	return 0;
}

/* The two regions later steps read from the background, clipped to the
 * frame: the cap (top edge search, central 70 % of its width) and the body
 * (fill strip, moving-object and static-mark regions, all within 75 % of
 * the outer radius). Only these are computed: about half the container's
 * bounding box. */
static void work_boxes(const struct vis_ctx *c, const struct view_state *vs, struct box *cap,
		       struct box *body)
{
	const struct vis_config *g = &c->cfg;
	int W = (int)g->width, H = (int)g->height;
	double rc = (0.7 * g->cap_radius_mm + 0.2) * c->ppm;
	double rb = (0.75 * g->body_radius_mm + 0.2) * c->ppm;
	cap->x0 = clampi((int)(vs->cx - rc), 0, W);
	cap->x1 = clampi((int)(vs->cx + rc) + 1, 0, W);
	cap->y0 = clampi((int)(vs->yb - (g->cap_top_mm + 2.2) * c->ppm), 0, H);
	cap->y1 = clampi((int)(vs->yb - (g->neck_top_mm - 1.2) * c->ppm), 0, H);
	body->x0 = clampi((int)(vs->cx - rb), 0, W);
	body->x1 = clampi((int)(vs->cx + rb) + 1, 0, W);
	body->y0 = clampi((int)(vs->yb - (g->body_height_mm - 0.5) * c->ppm), 0, H);
	body->y1 = clampi((int)(vs->yb - 0.5 * g->base_mm * c->ppm) + 1, 0, H);
}

#define VMIN(a, b) ((a) < (b) ? (a) : (b))
#define VMAX(a, b) ((a) > (b) ? (a) : (b))

/* --------------------------------------------------------- background
 * Median over the frames inside box b. In the same pass (the frame rows
 * are in cache) it records, per frame and row, the largest |frame - median|
 * over the box, so the moving-object search can skip quiet rows without
 * reading the frames again. */
static void background(struct vis_ctx *c, const struct vis_image *fr, unsigned nf,
		       const struct box *b)
{
	size_t w = c->cfg.width;
	for (int y = b->y0; y < b->y1; y++) {
		uint8_t *o = c->bg + (size_t)y * w;
		if (nf == 3) {
			/* restrict + min/max only: GCC and clang turn this into
			 * pminub/pmaxub over 16 or 32 pixels at a time */
			const uint8_t *restrict p0 = fr[0].px + y * fr[0].stride;
			const uint8_t *restrict p1 = fr[1].px + y * fr[1].stride;
			const uint8_t *restrict p2 = fr[2].px + y * fr[2].stride;
			uint8_t *restrict ob = o;
			uint8_t m0 = 0, m1 = 0, m2 = 0;
			/* bounds in locals: a byte store may alias *b, which would
			 * stop the vectoriser from counting iterations */
			const int x0 = b->x0, x1 = b->x1;
			for (int x = x0; x < x1; x++) {
				uint8_t a = p0[x], bb = p1[x], cc = p2[x];
				uint8_t lo = VMIN(a, bb), hi = VMAX(a, bb);
				uint8_t md = VMAX(lo, VMIN(hi, cc));
				ob[x] = md;
				m0 = VMAX(m0, (uint8_t)(VMAX(a, md) - VMIN(a, md)));
				m1 = VMAX(m1, (uint8_t)(VMAX(bb, md) - VMIN(bb, md)));
				m2 = VMAX(m2, (uint8_t)(VMAX(cc, md) - VMIN(cc, md)));
			}
			c->rowmax[0][y] = m0;
			c->rowmax[1][y] = m1;
			c->rowmax[2][y] = m2;
			continue;
		}
		for (unsigned f = 0; f < nf; f++)
			c->rowmax[f][y] = 0;
		for (int x = b->x0; x < b->x1; x++) {
			uint8_t v[VIS_FRAMES_MAX] = { 0 };
			for (unsigned f = 0; f < nf; f++) {
				uint8_t t = fr[f].px[(size_t)y * fr[f].stride + x];
				unsigned k = f;
				while (k > 0 && v[k - 1] > t) {
					v[k] = v[k - 1];
					k--;
				}
				v[k] = t;
			}
			uint8_t md = nf % 2 ? v[nf / 2] : (uint8_t)((v[nf / 2 - 1] + v[nf / 2] + 1) / 2);
			o[x] = md;
			for (unsigned f = 0; f < nf; f++) {
				int d = abs((int)fr[f].px[(size_t)y * fr[f].stride + x] - md);
				if (d > c->rowmax[f][y])
					c->rowmax[f][y] = (uint8_t)d;
			}
		}
	}
}

/* --------------------------------------------------------------- fill */
static void measure_fill(struct vis_ctx *c, struct view_state *vs)
{
	const struct vis_config *g = &c->cfg;
	size_t w = g->width;
	double *prof = c->prof[0], *sm = c->prof[1];
	double half = 0.5 * (g->body_radius_mm - g->wall_mm) * c->ppm;
	int x0 = clampi((int)(vs->cx - half), 0, (int)w - 1);
	int x1 = clampi((int)(vs->cx + half), x0 + 1, (int)w);
	int ylo = clampi((int)(vs->yb - (g->body_height_mm - 0.8) * c->ppm), 1, (int)g->height - 2);
	int yhi = clampi((int)(vs->yb - (g->base_mm + 0.8) * c->ppm), ylo + 3, (int)g->height - 2);

	vs->fill_mm = NAN;
	vs->dip_y = -1;
	for (int y = ylo - 1; y <= yhi + 1; y++) {
		uint32_t s = 0;
		const uint8_t *row = c->bg + (size_t)y * w;
		for (int x = x0; x < x1; x++)
			s += row[x];
		prof[y] = (double)s / (x1 - x0);
	}
	double *vals = c->prof[2];
	int nv = 0, best = -1;
	for (int y = ylo; y <= yhi; y++) {
		sm[y] = (prof[y - 1] + prof[y] + prof[y + 1]) / 3.0;
		vals[nv++] = sm[y];
		if (best < 0 || sm[y] < sm[best])
			best = y;
	}
	/* median of the strip by partial selection (nv <= 8192) */
	double lo = 0, hi = 256;
	for (int it = 0; it < 30; it++) {
		double mid = 0.5 * (lo + hi);
		int below = 0;
		for (int i = 0; i < nv; i++)
			below += vals[i] < mid;
		if (2 * below < nv)
			lo = mid;
		else
			hi = mid;
	}
	if (best <= ylo || best >= yhi || sm[best] > 0.6 * lo)
		return;
	double a = sm[best - 1], b = sm[best], cc = sm[best + 1];
	double den = a - 2 * b + cc, off = den > 1e-9 ? 0.5 * (a - cc) / den : 0;
	vs->dip_y = best + off;
	vs->fill_mm = (vs->yb - vs->dip_y) / c->ppm + g->meniscus_offset_mm;
}

/* ---------------------------------------------------------------- cap */
static void measure_cap(struct vis_ctx *c, const struct vis_image *f0, struct view_state *vs)
{
	const struct vis_config *g = &c->cfg;
	size_t w = g->width;
	double rc = 0.7 * g->cap_radius_mm * c->ppm;
	int x0 = clampi((int)(vs->cx - rc), 0, (int)w - 1);
	int x1 = clampi((int)(vs->cx + rc), x0 + 1, (int)w);
	int ytop = clampi((int)(vs->yb - (g->cap_top_mm + 2.0) * c->ppm), 0, (int)g->height - 1);
	int ystop = clampi((int)(vs->yb - (g->neck_top_mm - 1.0) * c->ppm), ytop + 1, (int)g->height);
	double *xs = c->prof[0], *ts = c->prof[1];
	int n = 0;

	vs->cap_top_mm = NAN;
	vs->tilt_deg = 0;
	/* back-light level beside the cap at the search's first row (from
	 * frame 0: the background is only computed over the cap itself) */
	int xb = clampi((int)(vs->cx - (g->cap_radius_mm + 0.6) * c->ppm), 2, (int)w - 3);
	double lvl = 0;
	for (int k = -2; k <= 2; k++)
		lvl += f0->px[(size_t)ytop * f0->stride + xb + k];
	lvl = 0.5 * lvl / 5;
	for (int x = x0; x < x1; x++) {
		for (int y = ytop + 1; y < ystop; y++) {
			double v = c->bg[(size_t)y * w + x];
			if (v < lvl) {
				double p = c->bg[(size_t)(y - 1) * w + x];
				xs[n] = x;
				ts[n] = y - 1 + (p - lvl) / (p - v + 1e-9);
				n++;
				break;
			}
		}
	}
	if (n < (x1 - x0) / 2)
		return; /* nothing on top of the neck in most columns */
	double mx = 0, my = 0, sxx = 0, sxy = 0;
	for (int i = 0; i < n; i++) {
		mx += xs[i];
		my += ts[i];
	}
	mx /= n;
	my /= n;
	for (int i = 0; i < n; i++) {
		sxx += (xs[i] - mx) * (xs[i] - mx);
		sxy += (xs[i] - mx) * (ts[i] - my);
	}
	double slope = sxx > 0 ? sxy / sxx : 0;
	vs->tilt_deg = atan(slope) * 180.0 / VIS_PI;
	/* height: median of the top edge */
	for (int i = 1; i < n; i++) {
		double t = ts[i];
		int k = i;
		while (k > 0 && ts[k - 1] > t) {
			ts[k] = ts[k - 1];
			k--;
		}
		ts[k] = t;
	}
	vs->cap_top_mm = (vs->yb - ts[n / 2]) / c->ppm;
}

/* ------------------------------------------------------------- blobs */
struct flood_acc {
	double n, sx, sy, sxx, syy, sxy, sd, peak, bright;
};

/* Grows a blob from (x, y) over pixels with |d| > lo inside box; d is
 * frame - bg (or the static residual when frame is NULL). Bounded by the
 * box's pixel count. */
static void flood(struct vis_ctx *c, const struct vis_image *frame, const struct box *bx,
		  int x, int y, int lo, uint32_t gen, struct flood_acc *a)
{
	size_t w = c->cfg.width, sp = 0;
	memset(a, 0, sizeof(*a));
	c->seen[(size_t)y * w + x] = gen;
	c->stack[sp++] = (uint32_t)((size_t)y * w + x);
	while (sp) {
		uint32_t idx = c->stack[--sp];
		int px = (int)(idx % w), py = (int)(idx / w);
		int d = frame ? (int)frame->px[(size_t)py * frame->stride + px] - c->bg[idx]
			      : c->res[idx];
		int ad = d < 0 ? -d : d;
		a->n += 1;
		a->sx += px;
		a->sy += py;
		a->sxx += (double)px * px;
		a->syy += (double)py * py;
		a->sxy += (double)px * py;
		a->sd += ad;
		a->bright += d > 0;
		if (ad > a->peak)
			a->peak = ad;
		for (int dy = -1; dy <= 1; dy++) {
			int ny = py + dy;
			if (ny < bx->y0 || ny >= bx->y1)
				continue;
			for (int dx = -1; dx <= 1; dx++) {
				int nx = px + dx;
				if (nx < bx->x0 || nx >= bx->x1)
					continue;
				size_t j = (size_t)ny * w + nx;
				if (c->seen[j] == gen)
					continue;
				int e = frame ? (int)frame->px[(size_t)ny * frame->stride + nx] - c->bg[j]
					      : c->res[j];
				if (e > lo || e < -lo) {
					c->seen[j] = gen;
					c->stack[sp++] = (uint32_t)j;
				}
			}
		}
	}
}

static void blob_shape(const struct flood_acc *a, struct blob *b)
{
	double n = a->n;
	b->area = n;
	b->x = a->sx / n;
	b->y = a->sy / n;
	double cxx = a->sxx / n - b->x * b->x + 1.0 / 12;
	double cyy = a->syy / n - b->y * b->y + 1.0 / 12;
	double cxy = a->sxy / n - b->x * b->y;
	double tr = 0.5 * (cxx + cyy), det = sqrt(fmax(0, 0.25 * (cxx - cyy) * (cxx - cyy) + cxy * cxy));
	double l1 = tr + det, l2 = fmax(1.0 / 12, tr - det);
	b->elong = sqrt(l1 / l2);
	b->len_px = b->elong >= 3 ? sqrt(12 * l1) : 4 * sqrt(l1);
	b->peak = a->peak;
	b->mean = a->sd / n;
	b->bright_frac = a->bright / n;
	b->track = -1;
}

/* Noise of one view: MAD of frame0 - frame1 over the ROI, sampled. */
static double view_sigma(struct vis_ctx *c, const struct vis_image *f0,
			 const struct vis_image *f1, const struct box *r)
{
	uint32_t *h = c->hist;
	uint64_t n = 0;
	memset(h, 0, 512 * sizeof(uint32_t));
	for (int y = r->y0; y < r->y1; y += 2) {
		const uint8_t *a = f0->px + (size_t)y * f0->stride, *b = f1->px + (size_t)y * f1->stride;
		for (int x = r->x0; x < r->x1; x += 2) {
			int d = a[x] - b[x];
			h[d < 0 ? -d : d]++;
			n++;
		}
	}
	if (!n)
		return 1;
	return fmax(0.5, 1.4826 * hist_median(h, 256, n) / sqrt(2.0));
}

/* Cheapest first; ties by index so the order is total (qsort is not
 * stable and results must not depend on the libc). */
static int link_pair_cmp(const void *a, const void *b)
{
	const struct link_pair *p = a, *q = b;
	if (p->cost != q->cost)
		return p->cost < q->cost ? -1 : 1;
	if (p->i != q->i)
		return p->i - q->i;
	return p->j - q->j;
}

/* Three-frame matching for the first frames: with two similar objects
 * (two bubbles, say) nearest-neighbour pairs can cross; a triplet whose
 * velocity stays constant (vertical change < 0.5 mm/frame) cannot. The
 * cheapest triplets (smallest change of velocity) are linked first; the
 * pairwise pass then links what is left. At most TRIPLETS_MAX candidates
 * are considered; past that the pairwise pass does all the work. */
#define TRIPLETS_MAX 4096
static void link_triplets(struct vis_ctx *c, double maxd, double maxdy)
{
	struct trip { float cost; int8_t i, j, k; } *t;
	int nt = 0;
	double maxa = 0.5 * c->ppm;
	if (c->cfg.frames < 3)
		return;
	t = pl_malloc(TRIPLETS_MAX * sizeof(*t));
	for (int j = 0; j < c->nblobs[1]; j++) {
		const struct blob *b1 = &c->blobs[1][j];
		for (int i = 0; i < c->nblobs[0]; i++) {
			const struct blob *b0 = &c->blobs[0][i];
			double vx = b1->x - b0->x, vy = b1->y - b0->y;
			if (fabs(vx) > maxd || fabs(vy) > maxdy)
				continue;
			for (int k = 0; k < c->nblobs[2]; k++) {
				const struct blob *b2 = &c->blobs[2][k];
				double ax = (b2->x - b1->x) - vx, ay = (b2->y - b1->y) - vy;
				if (fabs(ay) > maxa || fabs(ax) > maxd || fabs(b2->y - b1->y) > maxdy)
					continue;
				if (nt == TRIPLETS_MAX)
					goto out;
				t[nt].cost = (float)(fabs(ax) / maxd + fabs(ay) / maxa);
				t[nt].i = (int8_t)i;
				t[nt].j = (int8_t)j;
				t[nt].k = (int8_t)k;
				nt++;
			}
		}
	}
	/* cheapest first (insertion sort keeps equal costs in scan order) */
	for (int a = 1; a < nt; a++) {
		struct trip x = t[a];
		int m = a;
		while (m > 0 && t[m - 1].cost > x.cost) {
			t[m] = t[m - 1];
			m--;
		}
		t[m] = x;
	}
	for (int a = 0; a < nt; a++) {
		struct blob *b0 = &c->blobs[0][t[a].i], *b1 = &c->blobs[1][t[a].j];
		struct blob *b2 = &c->blobs[2][t[a].k];
		if (b0->next >= 0 || b1->prev >= 0 || b1->next >= 0 || b2->prev >= 0)
			continue;
		b0->next = t[a].j;
		b1->prev = t[a].i;
		b1->next = t[a].k;
		b2->prev = t[a].j;
	}
out:
	free(t);
}

/* Moving objects in one view: blobs per frame, then tracks. Returns
 * PL_ETOOBIG when a frame has more blobs than the table holds. */
static int moving(struct vis_ctx *c, const struct vis_image *fr, struct view_state *vs)
{
	const struct vis_config *g = &c->cfg;
	double rin = (g->body_radius_mm - g->wall_mm) * c->ppm;
	struct box r;
	unsigned nf = g->frames;

	vs->n_tracks = 0;
	if (vs->dip_y < 0) /* no liquid surface (a dark-field view: none in the back-lit views) */
		return 0;
	r.x0 = clampi((int)(vs->cx - 0.82 * rin), 0, (int)g->width);
	r.x1 = clampi((int)(vs->cx + 0.82 * rin) + 1, 0, (int)g->width);
	r.y0 = clampi((int)(vs->dip_y + 0.30 * c->ppm), 0, (int)g->height);
	r.y1 = clampi((int)(vs->yb - (g->base_mm + 0.25) * c->ppm), 0, (int)g->height);
	if (r.y1 <= r.y0 || r.x1 <= r.x0)
		return 0;
	vs->sigma = view_sigma(c, &fr[0], &fr[1], &r);
	int hi = (int)ceil(fmax(g->k_sigma * vs->sigma, g->min_contrast));
	int lo = hi / 2;
	double min_len_px = g->particle_min_um / g->um_per_px;

	for (unsigned f = 0; f < nf; f++) {
		const struct vis_image *im = &fr[f];
		uint32_t gen = next_gen(c);
		c->nblobs[f] = 0;
		for (int y = r.y0; y < r.y1; y++) {
			const uint8_t *p = im->px + (size_t)y * im->stride;
			const uint8_t *q = c->bg + (size_t)y * g->width;
			/* background() recorded each row's largest change: most rows
			 * hold nothing and are not read again */
			if (c->rowmax[f][y] <= hi)
				continue;
			for (int x = r.x0; x < r.x1; x++) {
				int d = (int)p[x] - q[x];
				if ((d > hi || d < -hi) && c->seen[(size_t)y * g->width + x] != gen) {
					struct flood_acc a;
					struct blob b;
					flood(c, im, &r, x, y, lo, gen, &a);
					if (a.n < 2)
						continue;
					blob_shape(&a, &b);
					if (b.len_px < min_len_px)
						continue;
					if (c->nblobs[f] >= BLOBS_MAX)
						return PL_ETOOBIG;
					c->blobs[f][c->nblobs[f]++] = b;
				}
			}
		}
	}
	/* Pairwise linking (design note 7). Candidate pairs are those inside the motion gate
	 * (the liquid's swirl moves objects sideways by up to ~0.6 rad x r;
	 * sinking and rising are at most ~1 mm per frame; area within 4x); they
	 * are taken cheapest first over the whole frame pair, not blob by blob,
	 * so two bubbles passing each other do not swap tracks. */
	double maxd = 8.0 * c->ppm, maxdy = 1.5 * c->ppm;
	for (unsigned f = 0; f < nf; f++)
		for (int i = 0; i < c->nblobs[f]; i++)
			c->blobs[f][i].prev = c->blobs[f][i].next = -1;
	link_triplets(c, maxd, maxdy);
	for (unsigned f = 0; f + 1 < nf; f++) {
		struct link_pair *pairs = c->pairs;
		int np = 0;
		for (int i = 0; i < c->nblobs[f]; i++) {
			for (int j = 0; j < c->nblobs[f + 1]; j++) {
				const struct blob *b0 = &c->blobs[f][i], *b1 = &c->blobs[f + 1][j];
				double dx = b1->x - b0->x, dy = b1->y - b0->y, ar = b1->area / b0->area;
				if (fabs(dx) > maxd || fabs(dy) > maxdy || ar > 4 || ar < 0.25)
					continue;
				/* vertical steps cost more: the gate is 5x narrower */
				pairs[np].cost = (float)(fabs(dx) / maxd + fabs(dy) / maxdy);
				pairs[np].i = (int8_t)i;
				pairs[np].j = (int8_t)j;
				np++;
			}
		}
		if (np > 1)
			qsort(pairs, (size_t)np, sizeof(pairs[0]), link_pair_cmp);
		for (int k = 0; k < np; k++) {
			struct blob *b0 = &c->blobs[f][pairs[k].i], *b1 = &c->blobs[f + 1][pairs[k].j];
			if (b0->next >= 0 || b1->prev >= 0)
				continue;
			b0->next = pairs[k].j;
			b1->prev = pairs[k].i;
		}
	}
	/* Follow the chains into tracks. A chain whose vertical speed changes
	 * by more than 0.5 mm/frame is two objects, not one: it is cut there
	 * (liquid motion decays smoothly over a few frames). */
	for (unsigned f = 0; f < nf; f++)
		for (int i = 0; i < c->nblobs[f]; i++) {
			struct blob *b = &c->blobs[f][i];
			if (b->track >= 0)
				continue; /* already on a track started earlier */
			if (vs->n_tracks >= TRACKS_MAX)
				return PL_ETOOBIG;
			int id = vs->n_tracks++;
			struct track *t = &vs->tracks[id];
			memset(t, 0, sizeof(*t));
			for (unsigned k = 0; k < VIS_FRAMES_MAX; k++)
				t->z[k] = NAN;
			t->first = (int)f;
			t->u0 = (b->x - vs->cx) / c->ppm;
			t->px = b->x;
			t->py = b->y;
			double last_dz = NAN;
			for (unsigned g2 = f; g2 < nf; g2++) {
				t->frames++;
				b->track = id;
				t->z[g2] = (vs->yb - b->y) / c->ppm;
				t->bx[g2] = b->x;
				t->by[g2] = b->y;
				t->br[g2] = 0.5 * b->len_px;
				t->size_um += b->len_px * g->um_per_px;
				t->peak = fmax(t->peak, b->peak);
				t->elong += b->elong;
				t->bright += b->bright_frac;
				if (b->next < 0 || g2 + 1 >= nf)
					break;
				struct blob *nb = &c->blobs[g2 + 1][b->next];
				double dz = (b->y - nb->y) / c->ppm;
				if (!isnan(last_dz) && fabs(dz - last_dz) > 0.5) {
					nb->prev = -1; /* starts its own track */
					break;
				}
				last_dz = dz;
				b = nb;
			}
		}
	/* classify */
	for (int i = 0; i < vs->n_tracks; i++) {
		struct track *t = &vs->tracks[i];
		t->size_um /= t->frames;
		t->elong /= t->frames;
		t->bright /= t->frames;
		double z0 = NAN, z1 = NAN;
		int f0 = -1, f1 = -1;
		for (unsigned f = 0; f < nf; f++)
			if (!isnan(t->z[f])) {
				if (f0 < 0) {
					f0 = (int)f;
					z0 = t->z[f];
				}
				f1 = (int)f;
				z1 = t->z[f];
			}
		t->vz = f1 > f0 ? (z1 - z0) / (f1 - f0) : 0;
		if (f0 < 0) { /* cannot happen: a track holds at least one blob */
			t->cls = VIS_C_NONE;
			continue;
		}
		/* Ghosts: where an object overlapped itself between frames the
		 * median keeps part of it, and the differences show it where it is
		 * not - blobs brighter than the background (in back-light real
		 * objects are dark or dark-rimmed), or blobs that do not move by
		 * half their size. Neither is a moving object: drop the track. */
		double mv = hypot(t->bx[f1] - t->bx[f0], t->by[f1] - t->by[f0]);
		/* In a dark-field view the polarity is inverted (note 12): objects
		 * scatter and are bright, and a ghost is darker than the median. */
		bool ghost_polarity = vs->dark ? t->bright < 0.4 : t->bright > 0.6;
		if (ghost_polarity || mv < 0.5 * t->size_um / g->um_per_px) {
			t->cls = VIS_C_NONE;
			continue;
		}
		/* rising is a bubble; the bright-centre hint is back-light only
		 * (in dark-field every object is bright; a bubble is a ring) */
		if (t->vz > 0.2 || (!vs->dark && t->vz > 0.1 && t->bright > 0.08))
			t->cls = VIS_C_BUBBLE;
		else if (t->elong >= 2.5 && t->size_um >= 150)
			t->cls = VIS_C_FIBRE;
		else
			t->cls = VIS_C_PARTICLE;
	}
	return 0;
}

/* ------------------------------------------------------ static marks */
/* Builds the model C(x) + R(y) over rows [y0, y1) of box b from the
 * background and writes the residual into c->res; returns sigma of the
 * residual (MAD). */
static double static_model(struct vis_ctx *c, int x0, int x1, int y0, int y1)
{
	size_t w = c->cfg.width;
	uint32_t *h = c->hist;
	uint64_t n = 0;
	if (y1 - y0 < 4 || x1 - x0 < 4)
		return -1;
	/* Medians from every 8th row / 4th column, and the row term only on
	 * every 4th row (vignetting is smooth; a row inherits the one above):
	 * over a hundred samples that is as robust, at a fraction of the work. */
	for (int x = x0; x < x1; x++) {
		memset(h, 0, 256 * sizeof(uint32_t));
		n = 0;
		for (int y = y0; y < y1; y += 8, n++)
			h[c->bg[(size_t)y * w + x]]++;
		c->colv[x] = hist_median(h, 256, n);
	}
	for (int y = y0; y < y1; y++) {
		if ((y - y0) % 4) {
			c->rowv[y] = c->rowv[y - 1];
			continue;
		}
		const uint8_t *row = c->bg + (size_t)y * w;
		memset(h, 0, 256 * sizeof(uint32_t));
		n = 0;
		for (int x = x0; x < x1; x += 4, n++)
			h[clampi((int)row[x] - c->colv[x] + 128, 0, 255)]++;
		c->rowv[y] = hist_median(h, 256, n) - 128;
	}
	memset(h, 0, 512 * sizeof(uint32_t));
	n = 0;
	for (int y = y0; y < y1; y++) {
		const uint8_t *row = c->bg + (size_t)y * w;
		int16_t *rr = c->res + (size_t)y * w;
		int rv = c->rowv[y];
		for (int x = x0; x < x1; x++)
			rr[x] = (int16_t)((int)row[x] - c->colv[x] - rv);
		if ((y - y0) % 4)
			continue;
		for (int x = x0; x < x1; x += 4, n++) {
			int r = rr[x];
			h[clampi(r < 0 ? -r : r, 0, 511)]++;
		}
	}
	return fmax(0.5, 1.4826 * hist_median(h, 512, n));
}

/* A static blob where a tracked object was in some frame is what a slow
 * particle or bubble left in the median background, not a mark. */
static bool moving_residue(const struct vis_ctx *c, const struct view_state *vs,
			   const struct blob *b)
{
	for (int i = 0; i < vs->n_tracks; i++) {
		const struct track *t = &vs->tracks[i];
		for (unsigned f = 0; f < c->cfg.frames; f++) {
			if (isnan(t->z[f]))
				continue;
			double dx = t->bx[f] - b->x, dy = t->by[f] - b->y;
			double r = t->br[f] + 0.5 * b->len_px + 0.25 * c->ppm;
			if (dx * dx + dy * dy < r * r)
				return true;
		}
	}
	return false;
}

/* Grows the static blob seeded at (x, y) over the residual plane and says
 * whether it is a candidate mark: big enough, and not what a tracked object
 * left in the median. Shared by the self-model and the golden check. */
static bool static_blob(struct vis_ctx *c, const struct view_state *vs, const struct box *bx,
			int x, int y, int lo, uint32_t gen, struct blob *b)
{
	struct flood_acc a;
	flood(c, NULL, bx, x, y, lo, gen, &a);
	if (a.n < 2)
		return false;
	blob_shape(&a, b);
	return b->len_px >= c->cfg.particle_min_um / c->cfg.um_per_px && !moving_residue(c, vs, b);
}

static int static_region(struct vis_ctx *c, struct view_state *vs, int x0, int x1, int y0,
			 int y1)
{
	const struct vis_config *g = &c->cfg;
	double sig = static_model(c, x0, x1, y0, y1);
	if (sig < 0)
		return 0;
	int hi = (int)ceil(fmax(g->static_k_sigma * sig, g->min_contrast));
	int lo = hi / 2;
	struct box bx = { x0, x1, y0, y1 };
	uint32_t gen = next_gen(c);
	for (int y = y0; y < y1; y++) {
		/* branch-free scan first: most rows hold nothing */
		const int16_t *rr = c->res + (size_t)y * g->width;
		int mx = 0;
		for (int x = x0; x < x1; x++) {
			int a = rr[x] < 0 ? -rr[x] : rr[x];
			mx = a > mx ? a : mx;
		}
		if (mx <= hi)
			continue;
		for (int x = x0; x < x1; x++) {
			size_t j = (size_t)y * g->width + x;
			int r = c->res[j];
			if ((r > hi || r < -hi) && c->seen[j] != gen) {
				struct blob b;
				if (!static_blob(c, vs, &bx, x, y, lo, gen, &b))
					continue;
				if (vs->n_static >= STATIC_MAX)
					return PL_ETOOBIG;
				struct sblob *s = &vs->stat[vs->n_static++];
				double level = c->colv[clampi((int)lround(b.x), x0, x1 - 1)] +
					       c->rowv[clampi((int)lround(b.y), y0, y1 - 1)];
				s->z = (vs->yb - b.y) / c->ppm;
				s->u = (b.x - vs->cx) / c->ppm;
				s->len_um = b.len_px * g->um_per_px;
				s->rel = b.mean / fmax(8.0, level);
				/* below ~5 % of the local level a "mark" is the back-light's
				 * own mottling, which the separable model cannot follow */
				if (s->rel < 0.05) {
					vs->n_static--;
					continue;
				}
				s->peak = b.peak;
				s->elong = b.elong;
				s->px = b.x;
				s->py = b.y;
				/* particles are <= 500 um; anything static and much longer is
				 * the glass itself */
				if ((b.elong >= 3 && s->len_um >= 1000) || s->len_um >= 700)
					s->cls = s->rel >= 0.16 ? VIS_C_GLASS_CRACK : VIS_C_GLASS_SCRATCH;
				else
					s->cls = VIS_C_PARTICLE;
			}
		}
	}
	return 0;
}

static int static_marks(struct vis_ctx *c, struct view_state *vs)
{
	const struct vis_config *g = &c->cfg;
	int x0 = clampi((int)(vs->cx - 0.75 * g->body_radius_mm * c->ppm), 0, (int)g->width);
	int x1 = clampi((int)(vs->cx + 0.75 * g->body_radius_mm * c->ppm) + 1, 0, (int)g->width);
	int ybot = clampi((int)(vs->yb - (g->base_mm + 0.4) * c->ppm), 0, (int)g->height);
	int ytop = clampi((int)(vs->yb - (g->body_height_mm - 0.6) * c->ppm), 0, (int)g->height);
	int rc;
	vs->n_static = 0;
	if (vs->dip_y < 0) /* no surface: no fill in back-light, none known in dark-field */
		return 0;
	/* liquid: up to 0.7 mm under the meniscus line (its band and the
	 * bubbles resting under it are not marks) */
	int yl = clampi((int)(vs->dip_y + 0.7 * c->ppm), 0, (int)g->height);
	if ((rc = static_region(c, vs, x0, x1, yl, ybot)))
		return rc;
	/* empty part: from 0.6 mm above the meniscus to the shoulder */
	int ya = clampi((int)(vs->dip_y - 0.6 * c->ppm), 0, (int)g->height);
	if ((rc = static_region(c, vs, x0, x1, ytop, ya)))
		return rc;
	/* Note 12: on the black field of a dark-field view whatever scatters
	 * is bright, so contrast cannot tell a crack from a scratch; there a
	 * glass mark is a neutral vote (NONE): it counts as a view that agrees,
	 * and the back-lit views' votes name it (decide_static). */
	for (int i = 0; vs->dark && i < vs->n_static; i++)
		if (vs->stat[i].cls != VIS_C_PARTICLE)
			vs->stat[i].cls = VIS_C_NONE;
	return 0;
}

/* -------------------------------------------------------- golden marks
 * Opt-in (a model set with vis_ctx_set_golden): the view's background
 * against the golden model learnt from good units (golden.c). Per pixel of
 * the model's region, z = (background - mean) / spread, the model sampled
 * bilinearly at the located axis and bottom (sub-pixel; the fractions are
 * the same for every pixel of a view). The residual plane holds 8 z, so
 * the flood's thresholds are 8 k (seed) and 4 k (grow); deviations under
 * 3 grey levels are ignored whatever the spread. The band around this
 * unit's meniscus (0.6 mm above to 0.7 mm under, as for the self-model)
 * is skipped: the model's spread there depends on the training units'
 * fills, not on this unit's. Blobs the self-model already found, or where
 * a tracked object was, are not counted twice. What is left is classified
 * by shape and contrast relative to the model's level: elongated (axis
 * ratio >= 2.5) and >= 700 um long is a crack (>= 16 %) or a scratch;
 * compact and >= 700 um, or faint (< 12 %), is cosmetic (a smudge or print
 * mark on the outside: broad, low contrast, no particle does that); the
 * rest are particles on the wall. Views must agree as in decide_static. */
static int golden_marks(struct vis_ctx *c, struct view_state *vs, unsigned v)
{
	const struct vis_config *g = &c->cfg;
	struct vis__golden_geom gg;
	size_t w = g->width;
	int n_self = vs->n_static;

	if (!c->golden || isnan(vs->fill_mm))
		return 0;
	vis__golden_geom(g, &gg);
	const uint16_t *mean = vis__golden_mean(c->golden, v), *spr = vis__golden_spread(c->golden, v);
	double k = vis__golden_k(c->golden);
	/* image pixel (x, y) is model pixel (x - ox, y - oy) */
	double ox = vs->cx - gg.ru * c->ppm, oy = vs->yb - gg.zhi * c->ppm;
	int x0 = clampi((int)ceil(ox), 0, (int)g->width), y0 = clampi((int)ceil(oy), 0, (int)g->height);
	int x1 = clampi((int)floor(ox + gg.gw - 1), x0, (int)g->width);
	int y1 = clampi((int)floor(oy + gg.gh - 1), y0, (int)g->height);
	double fx = x0 - ox, fy = y0 - oy;
	int ix = (int)floor(fx), iy = (int)floor(fy);
	double ax = fx - ix, ay = fy - iy;
	double w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
	int ya = (int)floor(vs->dip_y - 0.6 * c->ppm), yl = (int)ceil(vs->dip_y + 0.7 * c->ppm);
	int hi = (int)ceil(8 * k), lo = hi / 2;
	bool any = false;
	if (x1 - x0 < 4 || y1 - y0 < 4)
		return 0;
	/* float and branch-free: this loop is the check's cost (~1 ms per view
	 * at 50 um/px); the weights already carry the x64 of the stored units */
	const float f00 = (float)(w00 / 64), f10 = (float)(w10 / 64), f01 = (float)(w01 / 64),
		    f11 = (float)(w11 / 64);
	for (int y = y0; y < y1; y++) {
		int16_t *rr = c->res + (size_t)y * w;
		if (y >= ya && y <= yl) {
			memset(rr + x0, 0, (size_t)(x1 - x0) * sizeof(int16_t));
			continue;
		}
		const uint8_t *row = c->bg + (size_t)y * w;
		const uint16_t *m0 = mean + (size_t)(iy + y - y0) * gg.gw + (size_t)ix - (size_t)x0;
		const uint16_t *s0 = spr + (size_t)(iy + y - y0) * gg.gw + (size_t)ix - (size_t)x0;
		const uint16_t *m1 = m0 + gg.gw, *s1 = s0 + gg.gw;
		int rowmax = 0;
		for (int x = x0; x < x1; x++) {
			float mu = f00 * m0[x] + f10 * m0[x + 1] + f01 * m1[x] + f11 * m1[x + 1];
			float sd = f00 * s0[x] + f10 * s0[x + 1] + f01 * s1[x] + f11 * s1[x + 1];
			float d = (float)row[x] - mu;
			float zf = 8.0f * d / sd;
			zf = zf > 4000.0f ? 4000.0f : zf < -4000.0f ? -4000.0f : zf;
			int z = (d < 3.0f && d > -3.0f) ? 0 : (int)zf;
			rr[x] = (int16_t)z;
			z = z < 0 ? -z : z;
			rowmax = z > rowmax ? z : rowmax;
		}
		any |= rowmax > hi;
	}
	if (!any)
		return 0;
	struct box bx = { x0, x1, y0, y1 };
	uint32_t gen = next_gen(c);
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++) {
			size_t j = (size_t)y * w + x;
			int r = c->res[j];
			struct blob b;
			if ((r <= hi && r >= -hi) || c->seen[j] == gen ||
			    !static_blob(c, vs, &bx, x, y, lo, gen, &b))
				continue;
			/* Found by the self-model too: not a second mark. The self-model
			 * calls every long faint mark a scratch; a compact, broad one by
			 * the golden residual (axis ratio < 2, >= 700 um) is a smudge,
			 * so the golden check renames it cosmetic. */
			bool dup = false;
			for (int i = 0; i < n_self && !dup; i++) {
				struct sblob *o = &vs->stat[i];
				double rr = 0.5 * b.len_px + 0.5 * o->len_um / g->um_per_px + 0.25 * c->ppm;
				dup = hypot(o->px - b.x, o->py - b.y) < rr;
				if (dup && o->cls == VIS_C_GLASS_SCRATCH && b.elong < 2 &&
				    b.len_px * g->um_per_px >= 700)
					o->cls = VIS_C_COSMETIC;
			}
			if (dup)
				continue;
			if (vs->n_static >= STATIC_MAX)
				return PL_ETOOBIG;
			/* contrast in grey levels around the centroid, relative to the
			 * model's level there */
			int bxi = clampi((int)lround(b.x), x0 + 1, x1 - 2);
			int byi = clampi((int)lround(b.y), y0 + 1, y1 - 2);
			size_t q = (size_t)(iy + byi - y0) * gg.gw + (size_t)(ix + bxi - x0);
			double level = mean[q] / 64.0, dev = 0;
			for (int dy = -1; dy <= 1; dy++)
				for (int dx = -1; dx <= 1; dx++)
					dev = fmax(dev, fabs(c->bg[(size_t)(byi + dy) * w + bxi + dx] -
							      mean[q + (size_t)((ptrdiff_t)dy * gg.gw + dx)] / 64.0));
			struct sblob *s = &vs->stat[vs->n_static++];
			s->z = (vs->yb - b.y) / c->ppm;
			s->u = (b.x - vs->cx) / c->ppm;
			s->len_um = b.len_px * g->um_per_px;
			s->rel = dev / fmax(8.0, level);
			s->peak = b.peak;
			s->elong = b.elong;
			s->px = b.x;
			s->py = b.y;
			if (b.elong >= 2.5 && s->len_um >= 700)
				s->cls = s->rel >= 0.16 ? VIS_C_GLASS_CRACK : VIS_C_GLASS_SCRATCH;
			else if (s->len_um >= 700 || s->rel < 0.12)
				s->cls = VIS_C_COSMETIC;
			else
				s->cls = VIS_C_PARTICLE;
		}
	return 0;
}

int vis__view_background(struct vis_ctx *c, const struct vis_image *fr, double *cx, double *yb,
			 const uint8_t **bg, char *why, size_t whysz)
{
	struct view_state vs = { 0 };
	struct box capb, bodyb;
	int rc = locate(c, &fr[0], &vs, why, whysz);
	if (rc)
		return rc;
	work_boxes(c, &vs, &capb, &bodyb);
	background(c, fr, c->cfg.frames, &bodyb);
	*cx = vs.cx;
	*yb = vs.yb;
	*bg = c->bg;
	return 0;
}

/* ----------------------------------------------------------- decision */
static int view_dist(int a, int b, int n)
{
	int d = a > b ? a - b : b - a;
	return d < n - d ? d : n - d;
}

static bool tracks_agree(const struct track *a, const struct track *b, unsigned nf)
{
	int common = 0;
	for (unsigned f = 0; f < nf; f++) {
		if (isnan(a->z[f]) || isnan(b->z[f]))
			continue;
		if (fabs(a->z[f] - b->z[f]) > 0.5)
			return false;
		common++;
	}
	return common >= 1;
}

static double median_of(double *v, int n)
{
	for (int i = 1; i < n; i++) {
		double t = v[i];
		int k = i;
		while (k > 0 && v[k - 1] > t) {
			v[k] = v[k - 1];
			k--;
		}
		v[k] = t;
	}
	return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
}

static void decide_particles(struct vis_ctx *c, struct vis_result *res, double *weak)
{
	const struct vis_config *g = &c->cfg;
	int nv = (int)g->views;
	/* confirm */
	for (int v = 0; v < nv; v++)
		for (int i = 0; i < c->views[v].n_tracks; i++) {
			struct track *t = &c->views[v].tracks[i];
			if ((t->cls != VIS_C_PARTICLE && t->cls != VIS_C_FIBRE) || t->frames < 2)
				continue;
			unsigned agree = 1;
			for (int w = 0; w < nv; w++) {
				if (w == v || view_dist(v, w, nv) > 3)
					continue;
				for (int j = 0; j < c->views[w].n_tracks; j++) {
					struct track *o = &c->views[w].tracks[j];
					if ((o->cls == VIS_C_PARTICLE || o->cls == VIS_C_FIBRE) && o->frames >= 2 &&
					    tracks_agree(t, o, g->frames)) {
						agree++;
						break;
					}
				}
			}
			t->confirmed = agree >= g->min_views_agree;
			if (!t->confirmed)
				*weak = fmax(*weak, 0.3);
		}
	/* cluster confirmed tracks by height into reasons */
	bool used[VIS_VIEWS_MAX][TRACKS_MAX] = { { false } };
	for (int v = 0; v < nv; v++)
		for (int i = 0; i < c->views[v].n_tracks; i++) {
			struct track *t = &c->views[v].tracks[i];
			if (!t->confirmed || used[v][i])
				continue;
			double sizes[VIS_VIEWS_MAX * 4];
			int ns = 0, nfib = 0, npart = 0, bestv = v, besti = i;
			unsigned views = 0;
			for (int w = 0; w < nv; w++) {
				bool in_view = false;
				for (int j = 0; j < c->views[w].n_tracks; j++) {
					struct track *o = &c->views[w].tracks[j];
					if (!o->confirmed || used[w][j] || !tracks_agree(t, o, g->frames))
						continue;
					used[w][j] = true;
					in_view = true;
					if (ns < (int)(sizeof(sizes) / sizeof(sizes[0])))
						sizes[ns++] = o->size_um;
					if (o->cls == VIS_C_FIBRE)
						nfib++;
					else
						npart++;
					if (o->peak > c->views[bestv].tracks[besti].peak) {
						bestv = w;
						besti = j;
					}
				}
				views += in_view;
			}
			const struct track *b = &c->views[bestv].tracks[besti];
			struct vis_reason rs = { 0 };
			rs.cls = nfib > npart ? VIS_C_FIBRE : VIS_C_PARTICLE;
			rs.view = bestv;
			rs.x_mm = b->u0;
			rs.z_mm = b->z[b->first];
			rs.size_um = median_of(sizes, ns);
			rs.n_views = views;
			rs.confidence = fmin(0.99, 1 - pow(0.5, views));
			rs.px_x = (int)lround(b->px);
			rs.px_y = (int)lround(b->py);
			rs.px_r = (int)lround(fmax(8, b->size_um / g->um_per_px));
			snprintf(rs.detail, sizeof(rs.detail),
				 "moving %s, %.0f um, seen in %u views, %.2f mm/frame vertical",
				 rs.cls == VIS_C_FIBRE ? "fibre" : "particle", rs.size_um, views, b->vz);
			vis_result_add(res, &rs);
		}
	for (int v = 0; v < nv; v++)
		for (int i = 0; i < c->views[v].n_tracks; i++)
			if (c->views[v].tracks[i].cls == VIS_C_BUBBLE && c->views[v].tracks[i].frames >= 2)
				res->n_bubbles++;
}

static void decide_static(struct vis_ctx *c, struct vis_result *res)
{
	const struct vis_config *g = &c->cfg;
	int nv = (int)g->views;
	bool used[VIS_VIEWS_MAX][STATIC_MAX] = { { false } };
	for (int v = 0; v < nv; v++)
		for (int i = 0; i < c->views[v].n_static; i++) {
			struct sblob *s = &c->views[v].stat[i];
			if (used[v][i])
				continue;
			unsigned views = 1;
			int votes[VIS_C__COUNT] = { 0 }, bestv = v, besti = i;
			double len = s->len_um;
			votes[s->cls]++;
			used[v][i] = true;
			for (int w = 0; w < nv; w++) {
				if (w == v || view_dist(v, w, nv) > 3)
					continue;
				bool in_view = false;
				for (int j = 0; j < c->views[w].n_static; j++) {
					struct sblob *o = &c->views[w].stat[j];
					if (used[w][j] || fabs(o->z - s->z) > 0.6)
						continue;
					used[w][j] = true;
					in_view = true;
					votes[o->cls]++;
					len = fmax(len, o->len_um);
					if (o->peak > c->views[bestv].stat[besti].peak) {
						bestv = w;
						besti = j;
					}
				}
				views += in_view;
			}
			if (views < 2)
				continue;
			enum vis_class cls = VIS_C_PARTICLE;
			/* only dark-field glass marks (neutral votes, note 12): glass */
			if (votes[VIS_C_NONE] && !votes[VIS_C_PARTICLE] && !votes[VIS_C_COSMETIC] &&
			    !votes[VIS_C_GLASS_CRACK] && !votes[VIS_C_GLASS_SCRATCH])
				votes[VIS_C_GLASS_CRACK] = 1;
			/* cosmetic votes only come from the golden check (opt-in) */
			if (votes[VIS_C_COSMETIC] > votes[VIS_C_PARTICLE] &&
			    votes[VIS_C_COSMETIC] > votes[VIS_C_GLASS_CRACK] + votes[VIS_C_GLASS_SCRATCH])
				cls = VIS_C_COSMETIC;
			else if (votes[VIS_C_GLASS_CRACK] + votes[VIS_C_GLASS_SCRATCH] > votes[VIS_C_PARTICLE])
				cls = votes[VIS_C_GLASS_CRACK] >= votes[VIS_C_GLASS_SCRATCH]
					      ? VIS_C_GLASS_CRACK : VIS_C_GLASS_SCRATCH;
			const struct sblob *b = &c->views[bestv].stat[besti];
			struct vis_reason rs = { 0 };
			rs.cls = cls;
			rs.view = bestv;
			rs.x_mm = b->u;
			rs.z_mm = b->z;
			rs.size_um = len;
			rs.n_views = views;
			rs.confidence = fmin(0.99, 1 - pow(0.5, views));
			rs.px_x = (int)lround(b->px);
			rs.px_y = (int)lround(b->py);
			rs.px_r = (int)lround(fmax(8, 0.5 * len / g->um_per_px));
			snprintf(rs.detail, sizeof(rs.detail), "static %s, %.0f um, %.0f %% contrast, %u views",
				 cls == VIS_C_PARTICLE ? "particle on the wall" : vis_class_name(cls), len,
				 100 * b->rel, views);
			vis_result_add(res, &rs);
		}
}

static void decide_fill_cap(struct vis_ctx *c, struct vis_result *res, double *weak)
{
	const struct vis_config *g = &c->cfg;
	double fills[VIS_VIEWS_MAX], caps[VIS_VIEWS_MAX], maxtilt = 0;
	int nf = 0, nc = 0, tv = 0;
	unsigned nbl = 0; /* back-lit views: the only ones that measure fill and cap */
	for (unsigned v = 0; v < g->views; v++) {
		struct view_state *vs = &c->views[v];
		nbl += !vs->dark;
		if (!isnan(vs->fill_mm))
			fills[nf++] = vs->fill_mm;
		if (!isnan(vs->cap_top_mm))
			caps[nc++] = vs->cap_top_mm;
		if (fabs(vs->tilt_deg) > fabs(maxtilt)) {
			maxtilt = vs->tilt_deg;
			tv = (int)v;
		}
	}
	struct view_state *v0 = &c->views[0];
	struct vis_reason rs = { 0 };
	rs.view = -1;
	if (2 * nf <= (int)nbl) {
		rs.cls = VIS_C_FILL_LOW;
		rs.confidence = 0.7;
		rs.n_views = nbl - (unsigned)nf;
		rs.px_x = (int)lround(v0->cx);
		rs.px_y = (int)lround(v0->yb - 0.5 * g->body_height_mm * c->ppm);
		rs.px_r = (int)lround(g->body_radius_mm * c->ppm);
		snprintf(rs.detail, sizeof(rs.detail), "no liquid surface in %u of %u views (empty?)",
			 rs.n_views, nbl);
		vis_result_add(res, &rs);
	} else {
		double fill = median_of(fills, nf);
		res->fill_mm = fill;
		double dev = fill < g->fill_min_mm ? g->fill_min_mm - fill
			     : fill > g->fill_max_mm ? fill - g->fill_max_mm : 0;
		double margin = fmin(fill - g->fill_min_mm, g->fill_max_mm - fill);
		if (dev > 0) {
			rs.cls = fill < g->fill_min_mm ? VIS_C_FILL_LOW : VIS_C_FILL_HIGH;
			rs.confidence = fmin(0.99, 0.6 + 0.4 * fmin(1, dev / 0.5));
			rs.z_mm = fill;
			rs.size_um = dev * 1000;
			rs.n_views = (unsigned)nf;
			rs.px_x = (int)lround(v0->cx);
			rs.px_y = (int)lround(v0->yb - fill * c->ppm);
			rs.px_r = (int)lround((g->body_radius_mm - g->wall_mm) * c->ppm);
			snprintf(rs.detail, sizeof(rs.detail), "fill %.2f mm, window %.2f-%.2f mm", fill,
				 g->fill_min_mm, g->fill_max_mm);
			vis_result_add(res, &rs);
		} else if (margin < 0.2) {
			*weak = fmax(*weak, 0.4);
		}
	}
	memset(&rs, 0, sizeof(rs));
	rs.view = -1;
	double top = nc ? median_of(caps, nc) : NAN;
	res->cap_top_mm = top;
	res->cap_tilt_deg = fabs(maxtilt);
	rs.px_x = (int)lround(v0->cx);
	rs.px_y = (int)lround(v0->yb - 0.5 * (g->neck_top_mm + g->cap_top_mm) * c->ppm);
	rs.px_r = (int)lround((g->cap_radius_mm + 0.5) * c->ppm);
	rs.n_views = (unsigned)nc;
	if (isnan(top) || top < g->cap_top_mm - g->cap_height_tol_mm) {
		rs.cls = VIS_C_CAP_MISSING;
		rs.z_mm = isnan(top) ? 0 : top;
		rs.size_um = isnan(top) ? 0 : (g->cap_top_mm - top) * 1000;
		rs.confidence = isnan(top) ? 0.9
					   : fmin(0.99, 0.6 + 0.4 * fmin(1, (g->cap_top_mm - g->cap_height_tol_mm - top) / 0.5 + 0.5));
		snprintf(rs.detail, sizeof(rs.detail), "top of closure at %.2f mm, cap top should be %.2f mm",
			 isnan(top) ? 0.0 : top, g->cap_top_mm);
		vis_result_add(res, &rs);
	} else if (top > g->cap_top_mm + g->cap_height_tol_mm ||
		   fabs(maxtilt) > g->cap_tilt_max_deg) {
		rs.cls = VIS_C_CAP_MISALIGNED;
		rs.z_mm = top;
		rs.view = tv;
		rs.size_um = (top - g->cap_top_mm) * 1000;
		double over = fabs(maxtilt) / g->cap_tilt_max_deg;
		rs.confidence = fmin(0.99, 0.5 + 0.3 * fmax(over - 1, 0) / 0.5 +
					   (top > g->cap_top_mm + g->cap_height_tol_mm ? 0.4 : 0));
		rs.confidence = fmax(rs.confidence, 0.55);
		struct view_state *tvs = &c->views[tv];
		rs.px_x = (int)lround(tvs->cx);
		rs.px_y = (int)lround(tvs->yb - 0.5 * (g->neck_top_mm + g->cap_top_mm) * c->ppm);
		snprintf(rs.detail, sizeof(rs.detail), "cap tilted %.1f deg (max %.1f), top at %.2f mm",
			 fabs(maxtilt), g->cap_tilt_max_deg, top);
		vis_result_add(res, &rs);
	} else if (fabs(maxtilt) > 0.8 * g->cap_tilt_max_deg) {
		*weak = fmax(*weak, 0.4);
	}
}

/* One object found by separate view clusters (agreement is checked
 * between cameras at most 3 apart, so a particle seen all round can form
 * two clusters) is one reason: merge same-class reasons within 0.8 mm of
 * height, keeping the stronger. */
static void dedupe(struct vis_result *res)
{
	size_t out = 0;
	for (size_t i = 0; i < res->n_reasons; i++) {
		struct vis_reason *r = &res->reasons[i];
		bool merged = false;
		for (size_t j = 0; j < out && r->view >= 0; j++) {
			struct vis_reason *k = &res->reasons[j];
			if (k->view < 0 || k->cls != r->cls || fabs(k->z_mm - r->z_mm) > 0.8)
				continue;
			if (r->confidence > k->confidence) {
				unsigned nv = k->n_views;
				*k = *r;
				k->n_views = k->n_views > nv ? k->n_views : nv;
			}
			merged = true;
			break;
		}
		if (!merged)
			res->reasons[out++] = *r;
	}
	res->n_reasons = out;
}

/* Red box outline (or yellow line for fill) into packed RGB. */
static void draw_box(uint8_t *rgb, uint32_t w, uint32_t h, int cx, int cy, int r,
		     uint8_t cr, uint8_t cg, uint8_t cb)
{
	for (int t = 0; t < 3; t++)
		for (int k = -r - t; k <= r + t; k++) {
			int pts[4][2] = { { cx + k, cy - r - t }, { cx + k, cy + r + t },
					  { cx - r - t, cy + k }, { cx + r + t, cy + k } };
			for (int p = 0; p < 4; p++) {
				int x = pts[p][0], y = pts[p][1];
				if (x < 0 || y < 0 || x >= (int)w || y >= (int)h)
					continue;
				uint8_t *q = rgb + 3 * ((size_t)y * w + x);
				q[0] = cr;
				q[1] = cg;
				q[2] = cb;
			}
		}
}

static void make_overlay(struct vis_ctx *c, const struct vis_image *frames, struct vis_result *res)
{
	const struct vis_config *g = &c->cfg;
	int view = 0;
	double best = -1;
	for (size_t i = 0; i < res->n_reasons; i++)
		if (res->reasons[i].confidence > best) {
			best = res->reasons[i].confidence;
			view = res->reasons[i].view >= 0 ? res->reasons[i].view : 0;
		}
	const struct vis_image *im = &frames[(size_t)view * g->frames];
	uint32_t w = im->w, h = im->h;
	uint8_t *rgb = pl_malloc((size_t)w * h * 3);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t v = im->px[(size_t)y * im->stride + x];
			uint8_t *q = rgb + 3 * ((size_t)y * w + x);
			q[0] = q[1] = q[2] = v;
		}
	for (size_t i = 0; i < res->n_reasons; i++) {
		const struct vis_reason *r = &res->reasons[i];
		int rv = r->view >= 0 ? r->view : 0;
		if (rv != view)
			continue;
		if (r->cls == VIS_C_FILL_LOW || r->cls == VIS_C_FILL_HIGH) {
			for (int x = r->px_x - r->px_r; x <= r->px_x + r->px_r; x++)
				for (int t = -1; t <= 1; t++) {
					int y = r->px_y + t;
					if (x < 0 || y < 0 || x >= (int)w || y >= (int)h)
						continue;
					uint8_t *q = rgb + 3 * ((size_t)y * w + x);
					q[0] = 255; q[1] = 220; q[2] = 0;
				}
		} else {
			draw_box(rgb, w, h, r->px_x, r->px_y, r->px_r, 255, 0, 0);
		}
	}
	res->overlay = rgb;
	res->overlay_w = w;
	res->overlay_h = h;
	res->overlay_view = view;
}

/* Steps 2-9 for view v (frames fr[0..F)). A dark-field view (note 12)
 * takes its liquid surface from bl_fill, the back-lit views' median fill
 * (NAN: none, and it looks for nothing). Returns 0, or 1 when the unit
 * became uninspectable (res says why). */
static int inspect_view(struct vis_ctx *c, const struct vis_image *fr, unsigned v, double bl_fill,
			struct vis_result *res)
{
	const struct vis_config *g = &c->cfg;
	struct view_state *vs = &c->views[v];
	char why[160];
	vs->dark = vis_config_dark_field(g, v);
	vs->n_tracks = 0;
	vs->n_static = 0;
	vs->fill_mm = NAN;
	vs->dip_y = -1;
	vs->cap_top_mm = NAN;
	vs->tilt_deg = 0;
	if (locate(c, &fr[0], vs, why, sizeof(why))) {
		char msg[200];
		snprintf(msg, sizeof(msg), "view %u: %s", v, why);
		vis_result_set_uninspectable(res, (int)v, msg);
		return 1;
	}
	struct box capb, bodyb;
	work_boxes(c, vs, &capb, &bodyb);
	if (vs->dark) {
		/* fill, cap and glass are judged in back-light only */
		background(c, fr, g->frames, &bodyb);
		if (!isnan(bl_fill))
			vs->dip_y = vs->yb - (bl_fill - g->meniscus_offset_mm) * c->ppm;
	} else {
		background(c, fr, g->frames, &capb);
		background(c, fr, g->frames, &bodyb);
		measure_fill(c, vs);
		measure_cap(c, &fr[0], vs);
	}
	int rc = moving(c, fr, vs);
	if (rc == 0 && vs->sigma > 25) {
		snprintf(why, sizeof(why), "view %u: noise sigma %.1f grey levels is far above a camera's", v, vs->sigma);
		vis_result_set_uninspectable(res, (int)v, why);
		return 1;
	}
	if (rc == 0)
		rc = static_marks(c, vs);
	if (rc == 0 && !vs->dark)
		rc = golden_marks(c, vs, v);
	if (rc) {
		snprintf(why, sizeof(why), "view %u: more candidate objects than the tables hold", v);
		vis_result_set_uninspectable(res, (int)v, why);
		return 1;
	}
	return 0;
}

int vis_inspect(struct vis_ctx *c, const struct vis_image *frames, size_t n, struct vis_result *res)
{
	const struct vis_config *g = &c->cfg;
	char why[160];
	double weak = 0;

	vis_result_release(res);
	if (n != (size_t)g->views * g->frames)
		return PL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!frames[i].px) {
			snprintf(why, sizeof(why), "view %zu frame %zu is missing", i / g->frames,
				 i % g->frames);
			vis_result_set_uninspectable(res, (int)(i / g->frames), why);
			return 0;
		}
		if (frames[i].w != g->width || frames[i].h != g->height ||
		    frames[i].stride < frames[i].w) {
			snprintf(why, sizeof(why), "view %zu frame %zu is %ux%u, expected %ux%u",
				 i / g->frames, i % g->frames, frames[i].w, frames[i].h, g->width,
				 g->height);
			vis_result_set_uninspectable(res, (int)(i / g->frames), why);
			return 0;
		}
	}
	/* Back-lit views first: they measure the fill, whose median bounds the
	 * liquid region of the dark-field views (note 12). */
	for (int pass = 0; pass < 2; pass++) {
		double bl_fill = NAN;
		if (pass == 1 && !g->dark_field_mask)
			break;
		if (pass == 1) {
			double fills[VIS_VIEWS_MAX];
			int nf = 0, nbl = 0;
			for (unsigned v = 0; v < g->views; v++)
				if (!vis_config_dark_field(g, v)) {
					nbl++;
					if (!isnan(c->views[v].fill_mm))
						fills[nf++] = c->views[v].fill_mm;
				}
			if (2 * nf > nbl)
				bl_fill = median_of(fills, nf);
		}
		for (unsigned v = 0; v < g->views; v++) {
			if (vis_config_dark_field(g, v) != (pass == 1))
				continue;
			if (inspect_view(c, &frames[(size_t)v * g->frames], v, bl_fill, res))
				return 0;
		}
	}
	decide_fill_cap(c, res, &weak);
	decide_particles(c, res, &weak);
	decide_static(c, res);

	dedupe(res);
	double best = 0;
	for (size_t i = 0; i < res->n_reasons; i++)
		best = fmax(best, res->reasons[i].confidence);
	if (best >= 0.5) {
		res->verdict = VIS_REJECT;
		res->confidence = best;
		make_overlay(c, frames, res);
	} else {
		res->verdict = VIS_ACCEPT;
		res->confidence = 1 - fmax(weak, best);
	}
	return 0;
}
