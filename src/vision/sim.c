/*
 * sim.c - a deterministic renderer of filled vials as the line's cameras
 * see them, with exact ground truth. The project has no real vial images
 * with particle ground truth (domain doc section 7), so this is where the
 * inspector's accuracy is measured.
 *
 * NOTES ON THE MODEL
 * 1. Scene. A back-lit glass vial (geometry from struct vis_config) stands
 *    on the axis; V cameras look at it horizontally from azimuths 2*pi*v/V
 *    (orthographic: at 25 um/px a telecentric lens is the usual choice).
 *    Image rows are heights z above the vial's outside bottom, columns the
 *    signed distance u from the axis.
 * 2. Transmission. Each pixel's grey value is T(u,z) * B(x,y) + noise: B is
 *    the back-light (brightness 225 with radial vignetting and a slight
 *    left-right gradient); T is the fraction of light that reaches the
 *    camera. Through the filled cylinder T falls off towards the walls
 *    (the liquid acts as a cylindrical lens), the wall shows as a dark
 *    refraction band with a bright guided-light line inside it, the empty
 *    part above the liquid is brighter with a wider band, the meniscus is a
 *    dark band that climbs the wall, the thick base and the shoulder are
 *    dark with highlights, the stopper shows dark through the neck, and the
 *    aluminium crimp and plastic flip-off cap are silhouettes with
 *    specular highlights from the room light. Edges are anti-aliased over
 *    one pixel.
 * 3. Noise. Shot plus read noise: sigma^2 = 1.2^2 + 0.012 * I grey levels,
 *    drawn from a 4096-entry table of normal deviates built per simulator
 *    (no globals) and indexed by 12-bit slices of splitmix64.
 * 4. Jitter. Each view has its own position jitter (the tray's and the
 *    cameras' tolerances, up to +-0.3 mm) applied as a whole-pixel shift of
 *    the unit's transmission image; each pass re-draws it. The vial does
 *    not move between the frames of one view (the tray holds it; the
 *    liquid keeps turning), so frames are not registered by the inspector.
 * 5. Motion. After spin-stop the liquid turns as a decaying solid body:
 *    every object in it advances by the same angle per frame (0.15-0.5
 *    rad), particles sink (0.15-0.8 mm/frame), bubbles rise (0.4-1.0) and
 *    stop under the surface. The liquid magnifies horizontal positions by
 *    about 1.3 (less for objects on the far side).
 * 6. Defects. Particles of 50-500 um (dark opaque, bright transparent
 *    with a dark rim, fibres 30 um wide), particles stuck to the inside
 *    wall (static), bubbles (round, dark rim, bright centre, rising: these
 *    must pass), fill too low or high, missing cap (the bare stopper), cap
 *    tilted 4-12 degrees, cracks (jagged dark lines with a glint) and
 *    scratches (faint straight lines) on the outside of the wall, seen
 *    only from the front. Opt-in (vis_sim_set_cosmetic_rate, default 0):
 *    a share of the defective units carry a cosmetic mark instead - a
 *    faint (6-14 %), broad (0.8-2.5 mm) mottled smudge on the outside of
 *    the glass, drawn from its own random stream so that at rate 0 every
 *    unit is byte-identical to before. A defective unit has exactly one defect, so its
 *    class is the truth for the confusion matrix; any unit may also have
 *    bubbles.
 * 7. Dark-field views (vis_config.dark_field_mask; none by default, and
 *    then nothing below runs, so a back-lit-only unit is byte-identical to
 *    before). The light comes from below at a low angle; the camera sees a
 *    black field and only what scatters: grey = 3 + stray + 230 * S(u,z)
 *    + noise, with a smooth stray-light glow of up to 5 grey levels. S is
 *    rendered like T (once per unit, blurred, shifted by the view's
 *    jitter): the outer wall as a bright line just inside the silhouette,
 *    a fainter line at the inner wall, the thick base lit strongly (the
 *    light enters there), the meniscus as a thin bright line where the
 *    surface meets the light, faint haze in the liquid, shoulder and neck
 *    edges, the stopper and cap faintly lit. Objects add light instead of
 *    absorbing it: transparent particles (and glass flakes, whatever
 *    their back-light contrast) brightest, opaque ones and fibres less,
 *    bubbles as bright rings, stuck particles bright and static, cracks
 *    bright glints, scratches bright lines, smudges a faint glow.
 *    Glass flakes (opt-in, vis_sim_set_flake_rate): a share of the bright
 *    particles drawn with 4-9 % back-light contrast from their own stream.
 * 8. Determinism. Everything about the physical unit (defect, size, fill,
 *    cap) comes from rng(unit_seed); everything about one imaging pass
 *    (jitter, noise, where the particles happen to be) from
 *    rng(unit_seed, pass). Same inputs, same bytes, on any machine that
 *    has IEEE doubles (libm's sin/cos/exp/sqrt are correctly rounded for
 *    these arguments on glibc).
 */
#include "vision/vision_int.h"

#define GTAB 4096

struct vis_sim {
	struct vis_config cfg;
	double ppm;          /* pixels per mm */
	float *backlight;    /* w*h, grey level of bare back-light */
	float gauss[GTAB];   /* N(0,1) deviates */
	float sigma[256];    /* noise sigma by grey level */
	float *t_unit;       /* w*h transmission of the unit, no jitter */
	float *t_view;       /* w*h transmission of one view */
	float *t_frame;      /* w*h one frame before noise */
	double cosmetic_rate; /* share of defective units given a cosmetic mark; 0 default */
	double flake_rate;   /* share of bright particles that are glass flakes; 0 default */
	float *s_unit;       /* w*h dark-field scatter of the unit; NULL without dark views */
};

struct vis_sim *vis_sim_new(const struct vis_config *cfg, char *why, size_t whysz)
{
	struct vis_sim *s;
	struct vis__rng rng = { 0x5eed0fba11u };
	size_t n;

	if (vis_config_check(cfg, why, whysz))
		return NULL;
	s = pl_calloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->ppm = 1000.0 / cfg->um_per_px;
	n = (size_t)cfg->width * cfg->height;
	s->backlight = pl_malloc(n * sizeof(float));
	s->t_unit = pl_malloc(n * sizeof(float));
	s->t_view = pl_malloc(n * sizeof(float));
	s->t_frame = pl_malloc(n * sizeof(float));
	if (cfg->dark_field_mask)
		s->s_unit = pl_malloc(n * sizeof(float));
	double cx = cfg->width * 0.5, cy = cfg->height * 0.5;
	double r2max = cx * cx + cy * cy;
	for (uint32_t y = 0; y < cfg->height; y++)
		for (uint32_t x = 0; x < cfg->width; x++) {
			double dx = x - cx, dy = y - cy;
			/* diffuser mottling: a few long-wavelength ripples, +-1.5 % */
			double mott = 0.006 * sin(x * 0.013 + 0.7) * sin(y * 0.009 + 1.3) +
				      0.005 * sin((x + 2 * y) * 0.004 + 2.1) +
				      0.004 * sin((3 * x - y) * 0.021);
			double v = 225.0 * (1.0 - 0.30 * (dx * dx + dy * dy) / r2max) *
				   (1.0 + 0.04 * (x / (double)cfg->width - 0.5)) * (1.0 + mott);
			s->backlight[(size_t)y * cfg->width + x] = (float)v;
		}
	for (int i = 0; i < GTAB; i++)
		s->gauss[i] = (float)vis__rng_gauss(&rng);
	for (int i = 0; i < 256; i++)
		s->sigma[i] = (float)sqrt(1.2 * 1.2 + 0.012 * i);
	return s;
}

void vis_sim_free(struct vis_sim *s)
{
	if (!s)
		return;
	free(s->backlight);
	free(s->t_unit);
	free(s->t_view);
	free(s->t_frame);
	free(s->s_unit);
	free(s);
}

int vis_sim_set_cosmetic_rate(struct vis_sim *s, double rate)
{
	if (!(rate >= 0 && rate <= 1))
		return PL_EINVAL;
	s->cosmetic_rate = rate;
	return 0;
}

int vis_sim_set_flake_rate(struct vis_sim *s, double rate)
{
	if (!(rate >= 0 && rate <= 1))
		return PL_EINVAL;
	s->flake_rate = rate;
	return 0;
}

uint64_t vis_sim_unit_seed(uint64_t seed, uint64_t i)
{
	struct vis__rng r = { seed ^ (i * 0xd1b54a32d192ed03ULL) };
	vis__rng_next(&r);
	return vis__rng_next(&r);
}

/* ------------------------------------------------------------ geometry */
static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}
static double gbell(double x, double w)
{
	return exp(-(x * x) / (w * w));
}

/* Per-view state of the unit that changes the static picture. */
struct scene {
	double fill;         /* mm, at the axis */
	bool cap_missing;
	double tilt;         /* apparent cap tilt in this view, rad */
	double px_mm;        /* one pixel in mm */
	double streak[3];    /* glass draw lines: phase per unit */
	double sheen;        /* room-light highlight strength on the body */
};

/* Transmission of the cap zone (z above the neck top): crimp and flip-off
 * cap, or the bare stopper when the cap is missing. 1 = background. */
static double t_cap(const struct vis_config *c, const struct scene *sc, double u, double z)
{
	double z0 = c->neck_top_mm;
	/* Tilt: rotate into the cap's own frame about the centre of the lip. */
	double ct = cos(sc->tilt), st = sin(sc->tilt);
	double up = u * ct + (z - z0) * st;
	double zp = z0 + (z - z0) * ct - u * st;
	double a = fabs(up), R, t;

	if (zp < z0 - 0.5)
		return -1; /* below the cap: caller renders glass */
	if (sc->cap_missing) {
		double lip = z0 + 1.0;
		if (zp < z0)
			return -1;
		if (zp < lip) { /* glass lip */
			R = c->cap_radius_mm - 0.3;
			t = 0.12 + 0.35 * gbell(a / R - 0.85, 0.05) + 0.1 * gbell(a / R - 0.3, 0.2);
		} else if (zp < c->stopper_top_mm) { /* rubber flange, rounded corner */
			double d = c->stopper_top_mm - zp;
			R = c->cap_radius_mm - 0.4 - (d < 0.4 ? 0.4 - sqrt(0.16 - (0.4 - d) * (0.4 - d)) : 0);
			t = 0.08 + 0.07 * gbell(a / R - 0.3, 0.3);
		} else {
			return 1;
		}
	} else {
		double crimp_top = z0 + 0.6 * (c->cap_top_mm - z0);
		if (zp > c->cap_top_mm)
			return 1;
		if (zp < crimp_top) { /* aluminium crimp: bright band highlights */
			R = c->cap_radius_mm;
			if (zp < z0 + 0.5) /* rolled edge under the lip */
				R -= 0.5 - sqrt(fmax(0, 0.25 - (z0 + 0.5 - zp) * (z0 + 0.5 - zp)));
			double ridge = zp < z0 + 0.9 ? 0.7 + 0.3 * cos((zp - z0) * 2 * VIS_PI / 0.3) : 1;
			t = (0.07 + 0.60 * gbell(up / R - 0.32, 0.10) +
			     0.22 * gbell(up / R + 0.58, 0.07)) * ridge;
		} else { /* plastic flip-off cap, rounded top corners */
			double d = c->cap_top_mm - zp;
			R = c->cap_radius_mm - 0.3;
			if (d < 0.6)
				R -= 0.6 - sqrt(fmax(0, 0.36 - (0.6 - d) * (0.6 - d)));
			t = 0.06 + 0.16 * gbell(up / R - 0.25, 0.18);
		}
	}
	if (a >= R + sc->px_mm)
		return 1;
	double cov = clamp01((R - a) / sc->px_mm + 0.5);
	return 1 + (t - 1) * cov;
}

/* Transmission at (u, z) in mm; 1 where there is only back-light. */
static double t_vial(const struct vis_config *c, const struct scene *sc, double u, double z)
{
	double a = fabs(u), t;

	if (z > c->neck_top_mm - 0.5) {
		double tc = t_cap(c, sc, u, z);
		if (tc >= 0)
			return tc;
	}
	double R = vis__glass_radius(c, z);
	if (R <= 0 || a >= R + sc->px_mm)
		return 1;
	double rho = a / R;
	if (z < c->base_mm) {
		/* thick bottom: dark, with a bright line where the punt bends light */
		t = (0.28 + 0.35 * gbell(z - c->base_mm * 0.45, 0.12) * (1 - rho * rho)) *
		    (1 - 0.6 * pow(rho, 4));
	} else if (z > c->body_height_mm) {
		/* shoulder and neck: strong refraction; stopper rubber inside */
		if (rho < 0.68 && z > c->body_height_mm + 1.0)
			t = 0.07 + 0.05 * gbell(rho - 0.3, 0.2);
		else
			t = 0.10 + 0.35 * gbell(rho - 0.80, 0.06) + 0.12 * gbell(rho - 0.3, 0.25);
	} else {
		double rin = R - c->wall_mm;
		/* meniscus: surface climbs the wall; the dark band thickens there */
		double climb = exp((a - rin) / 0.9);
		double zs = sc->fill + 0.5 * climb;
		double band = 0.30 + 0.6 * climb;
		bool liquid = z < zs;
		double re = liquid ? 0.90 : 0.87;
		double inner;
		if (liquid) {
			double q = rho / re;
			inner = 0.80 + 0.08 * gbell(rho, 0.18) - 0.55 * pow(q, 8);
		} else {
			double q = rho / re;
			inner = 0.95 - 0.45 * pow(q, 10);
		}
		double edge = 0.06 + 0.55 * gbell(rho - 0.94, 0.012) + 0.10 * gbell(rho - re, 0.01);
		double w = clamp01((rho - re) * R / sc->px_mm + 0.5);
		t = inner + (edge - inner) * w;
		/* the meniscus band, soft over one pixel on both sides */
		double in_band = clamp01((zs - z) / sc->px_mm + 0.5) *
				 clamp01((z - (zs - band)) / sc->px_mm + 0.5);
		if (in_band > 0 && rho < re + 0.02)
			t = t + (0.22 - t) * in_band;
		/* a thin bright line just under the band (light focused by the curve) */
		t += 0.07 * gbell((zs - band - 0.08) - z, 0.06) * (rho < re ? 1 : 0);
		/* faint vertical draw lines in the tubing glass and a room-light
		 * highlight on one side: static, different on every vial */
		t *= 1 + 0.006 * sin(u * 9.1 + sc->streak[0]) + 0.004 * sin(u * 17.0 + sc->streak[1]) +
		     0.006 * sin(u * 5.3 + sc->streak[2]);
		t += sc->sheen * gbell(rho - 0.62, 0.05) * (u < 0);
	}
	double cov = clamp01((R - a) / sc->px_mm + 0.5);
	return 1 + (t - 1) * cov;
}

/* Dark-field scatter at (u, z) in mm (note 7): 0 where the field is
 * black, about 0.5 for the brightest glass. The cap zone reuses t_cap's
 * shapes: what blocks the back-light is what the low light grazes. */
static double s_vial(const struct vis_config *c, const struct scene *sc, double u, double z)
{
	double a = fabs(u), sv;

	if (z > c->neck_top_mm - 0.5) {
		double tc = t_cap(c, sc, u, z);
		if (tc >= 0)
			return 0.07 * (1 - tc);
	}
	double R = vis__glass_radius(c, z);
	if (R <= 0 || a >= R + sc->px_mm)
		return 0;
	double rho = a / R;
	if (z < c->base_mm) {
		/* the light enters through the thick bottom: the brightest glass */
		sv = 0.42 + 0.10 * gbell(z - c->base_mm * 0.45, 0.12) + 0.08 * gbell(rho - 0.9, 0.06);
	} else if (z > c->body_height_mm) {
		sv = 0.02 + 0.30 * gbell(rho - 0.95, 0.05) + 0.03 * gbell(rho - 0.3, 0.25);
	} else {
		double rin = R - c->wall_mm;
		double climb = exp((a - rin) / 0.9);
		double zs = sc->fill + 0.5 * climb;
		bool liquid = z < zs;
		double re = liquid ? 0.90 : 0.87;
		/* outer wall line just inside the silhouette, fainter inner wall */
		sv = 0.42 * gbell(rho - 0.985, 0.015) + 0.16 * gbell(rho - re, 0.012);
		sv += liquid ? 0.012 : 0.004; /* haze */
		/* the meniscus: a thin bright line where the surface meets the light */
		if (rho < re + 0.02)
			sv += 0.28 * gbell(z - zs, 0.06);
		/* draw lines in the tubing glass scatter a little */
		sv *= 1 + 0.08 * sin(u * 9.1 + sc->streak[0]) + 0.05 * sin(u * 17.0 + sc->streak[1]);
	}
	double cov = clamp01((R - a) / sc->px_mm + 0.5);
	return sv * cov;
}

/* -------------------------------------------------------------- defects */
static void pick_particle_size(struct vis__rng *r, struct vis_sim_object *o)
{
	static const double lo[5] = { 50, 100, 150, 200, 300 }, hi[5] = { 100, 150, 200, 300, 500 };
	int b = (int)(vis__rng_unit(r) * 5);
	o->size_um = vis__rng_range(r, lo[b], hi[b]);
}

/* The physical unit: what is wrong with it, from rng(unit_seed) only. */
static void choose_unit(const struct vis_config *c, uint64_t unit_seed, double rate,
			double cosmetic_rate, double flake_rate, struct vis_sim_truth *t)
{
	struct vis__rng r = { unit_seed };
	double nominal = 0.5 * (c->fill_min_mm + c->fill_max_mm);
	double half = 0.5 * (c->fill_max_mm - c->fill_min_mm);

	memset(t, 0, sizeof(*t));
	t->unit_seed = unit_seed;
	double g = vis__rng_gauss(&r) * 0.25 * half;
	t->fill_mm = nominal + fmax(-0.6 * half, fmin(0.6 * half, g));
	t->cap_tilt_deg = fmin(1.0, fabs(vis__rng_gauss(&r)) * 0.4);
	t->cap_tilt_azimuth = vis__rng_range(&r, 0, 2 * VIS_PI);
	bool defective = vis__rng_unit(&r) < rate;
	double pick = vis__rng_unit(&r);
	struct vis_sim_object *o = &t->objects[0];
	o->shape_seed = vis__rng_next(&r);
	o->angle = vis__rng_range(&r, 0, VIS_PI);
	/* Cosmetic marks (opt-in) come from a stream of their own, so with
	 * cosmetic_rate 0 every draw below - and every existing unit - is the
	 * same as before the class existed. */
	struct vis__rng cr = { unit_seed ^ 0x3c6ef372fe94f82bULL };
	bool cosmetic = defective && cosmetic_rate > 0 && vis__rng_unit(&cr) < cosmetic_rate;
	if (defective && cosmetic) {
		/* a faint smudge or print mark on the outside of the glass: broad
		 * (0.8-2.5 mm), low contrast (6-14 %), static, seen from the front */
		t->reject = true;
		o->kind = VIS_K_COSMETIC; o->cls = VIS_C_COSMETIC;
		o->contrast = vis__rng_range(&cr, 0.06, 0.14);
		o->size_um = vis__rng_range(&cr, 800, 2500);
		o->angle = vis__rng_range(&cr, 0, VIS_PI);
		o->shape_seed = vis__rng_next(&cr);
		t->cls = o->cls;
		o->r_mm = c->body_radius_mm;
		o->theta = vis__rng_range(&cr, 0, 2 * VIS_PI);
		o->z_mm[0] = vis__rng_range(&cr, c->base_mm + 2.0, c->body_height_mm - 3.0);
		t->n_objects = 1;
	} else if (defective) {
		t->reject = true;
		/* class weights (sum 1): particles 46 %, the rest 9 % each */
		if (pick < 0.22) {
			o->kind = VIS_K_DARK; o->cls = VIS_C_PARTICLE;
			o->contrast = vis__rng_range(&r, 0.35, 0.9);
		} else if (pick < 0.30) {
			o->kind = VIS_K_BRIGHT; o->cls = VIS_C_PARTICLE;
			o->contrast = vis__rng_range(&r, 0.2, 0.5);
			/* a glass flake (opt-in): its own stream, r is untouched */
			struct vis__rng fr = { unit_seed ^ 0xa54ff53a5f1d36f1ULL };
			if (flake_rate > 0 && vis__rng_unit(&fr) < flake_rate)
				o->contrast = vis__rng_range(&fr, 0.04, 0.09);
		} else if (pick < 0.40) {
			o->kind = VIS_K_FIBRE; o->cls = VIS_C_FIBRE;
			o->contrast = vis__rng_range(&r, 0.3, 0.7);
		} else if (pick < 0.46) {
			o->kind = VIS_K_STUCK; o->cls = VIS_C_PARTICLE;
			o->contrast = vis__rng_range(&r, 0.35, 0.9);
		} else if (pick < 0.55) {
			t->cls = VIS_C_FILL_LOW;
			t->fill_mm = c->fill_min_mm - vis__rng_range(&r, 0.8, 0.8 + 4.5 * half);
		} else if (pick < 0.64) {
			t->cls = VIS_C_FILL_HIGH;
			t->fill_mm = c->fill_max_mm + vis__rng_range(&r, 0.8, 0.8 + 3 * half);
		} else if (pick < 0.73) {
			t->cls = VIS_C_CAP_MISSING;
			t->cap_missing = true;
		} else if (pick < 0.82) {
			t->cls = VIS_C_CAP_MISALIGNED;
			t->cap_tilt_deg = vis__rng_range(&r, 4, 12);
		} else if (pick < 0.91) {
			o->kind = VIS_K_CRACK; o->cls = VIS_C_GLASS_CRACK;
			o->contrast = vis__rng_range(&r, 0.45, 0.7);
			o->size_um = vis__rng_range(&r, 1000, 4000);
		} else {
			o->kind = VIS_K_SCRATCH; o->cls = VIS_C_GLASS_SCRATCH;
			o->contrast = vis__rng_range(&r, 0.12, 0.22);
			o->size_um = vis__rng_range(&r, 2000, 6000);
		}
		if (o->cls != VIS_C_NONE) {
			t->cls = o->cls;
			if (o->size_um == 0)
				pick_particle_size(&r, o);
			if (o->kind == VIS_K_CRACK || o->kind == VIS_K_SCRATCH) {
				o->r_mm = c->body_radius_mm;
				o->theta = vis__rng_range(&r, 0, 2 * VIS_PI);
				o->z_mm[0] = vis__rng_range(&r, c->base_mm + 2.0, c->body_height_mm - 3.0);
			} else if (o->kind == VIS_K_STUCK) {
				o->r_mm = c->body_radius_mm - c->wall_mm;
				o->theta = vis__rng_range(&r, 0, 2 * VIS_PI);
				o->z_mm[0] = vis__rng_range(&r, c->base_mm + 1.5, t->fill_mm - 1.5);
			}
			t->n_objects = 1;
		}
	}
	/* bubbles: on a third of all units, one or two */
	if (vis__rng_unit(&r) < 0.33) {
		int nb = vis__rng_unit(&r) < 0.7 ? 1 : 2;
		for (int i = 0; i < nb && t->n_objects < VIS_SIM_DEFECTS_MAX; i++) {
			struct vis_sim_object *b = &t->objects[t->n_objects++];
			memset(b, 0, sizeof(*b));
			b->kind = VIS_K_BUBBLE;
			b->cls = VIS_C_BUBBLE;
			b->size_um = vis__rng_range(&r, 150, 600);
			b->contrast = vis__rng_range(&r, 0.45, 0.7);
			b->shape_seed = vis__rng_next(&r);
		}
	}
}

/* Where the moving objects are in this pass: from rng(unit_seed, pass). */
static void place_moving(const struct vis_config *c, struct vis_sim_truth *t, struct vis__rng *r)
{
	double rin = c->body_radius_mm - c->wall_mm;
	double omega = vis__rng_range(r, 0.15, 0.5) * (vis__rng_unit(r) < 0.5 ? -1 : 1);
	for (size_t i = 0; i < t->n_objects; i++) {
		struct vis_sim_object *o = &t->objects[i];
		if (o->kind == VIS_K_CRACK || o->kind == VIS_K_SCRATCH || o->kind == VIS_K_STUCK ||
		    o->kind == VIS_K_COSMETIC) {
			for (unsigned f = 0; f < c->frames; f++) {
				o->z_mm[f] = o->z_mm[0];
				o->th[f] = o->theta;
			}
			continue;
		}
		bool bubble = o->kind == VIS_K_BUBBLE;
		o->r_mm = rin * sqrt(vis__rng_range(r, 0.0, 0.72));
		o->theta = vis__rng_range(r, 0, 2 * VIS_PI);
		double top = t->fill_mm - 0.6, bot = c->base_mm + 0.4;
		double z0 = bubble ? vis__rng_range(r, bot + 1.0, fmax(bot + 1.1, top - 3.0))
				   : vis__rng_range(r, bot + 1.5, fmax(bot + 1.6, top - 1.0));
		double v = bubble ? vis__rng_range(r, 0.4, 1.0)
			   : o->kind == VIS_K_FIBRE ? -vis__rng_range(r, 0.15, 0.5)
						    : -vis__rng_range(r, 0.25, 0.8);
		for (unsigned f = 0; f < c->frames; f++) {
			o->z_mm[f] = fmax(bot, fmin(top, z0 + v * f));
			o->th[f] = o->theta + omega * f;
		}
	}
}

/* ------------------------------------------------------------- drawing */
struct canvas {
	float *t;          /* transmission plane */
	uint32_t w, h;
	double cx, yb;     /* axis column and bottom row (px) of this view */
	double ppm;
	bool dark;         /* dark-field: t is scatter, objects add light */
};

/* Projected position of an object in a view; false when not visible. */
static bool project(const struct vis_config *c, const struct vis_sim_object *o, unsigned f,
		    double phi, const struct canvas *cv, double *px, double *py)
{
	double rin = c->body_radius_mm - c->wall_mm;
	double s = sin(o->th[f] - phi), co = cos(o->th[f] - phi);
	double u;
	if (o->kind == VIS_K_CRACK || o->kind == VIS_K_SCRATCH || o->kind == VIS_K_COSMETIC) {
		if (co < 0.25)
			return false; /* marks on the far side are not drawn */
		u = c->body_radius_mm * s;
	} else {
		double m = 1.33 - 0.2 * co * o->r_mm / rin;
		u = o->r_mm * s * m;
		if (fabs(u) > 0.97 * rin)
			u = copysign(0.97 * rin, u);
	}
	*px = cv->cx + u * cv->ppm;
	*py = cv->yb - o->z_mm[f] * cv->ppm;
	return true;
}

static void draw_blob(struct canvas *cv, const struct vis_sim_object *o, double px, double py)
{
	double a = 0.5 * o->size_um / 1000.0 * cv->ppm; /* radius, px */
	struct vis__rng r = { o->shape_seed };
	double p1 = vis__rng_range(&r, 0, 6.3), p2 = vis__rng_range(&r, 0, 6.3);
	int x0 = (int)floor(px - a - 2), x1 = (int)ceil(px + a + 2);
	int y0 = (int)floor(py - a - 2), y1 = (int)ceil(py + a + 2);
	for (int y = y0; y <= y1; y++) {
		if (y < 0 || y >= (int)cv->h)
			continue;
		for (int x = x0; x <= x1; x++) {
			if (x < 0 || x >= (int)cv->w)
				continue;
			double dx = x - px, dy = y - py, d = sqrt(dx * dx + dy * dy);
			double ph = atan2(dy, dx);
			float *t = &cv->t[(size_t)y * cv->w + x];
			if (cv->dark) {
				/* note 7: scatter adds; a bubble is a bright ring */
				if (o->kind == VIS_K_BUBBLE) {
					double ring = clamp01(0.5 + (0.22 * a + 0.5 - fabs(d - 0.78 * a)));
					*t += (float)((0.25 + 0.4 * o->contrast) * ring);
					continue;
				}
				double rr = a * (1 + 0.22 * sin(3 * ph + p1) + 0.12 * sin(5 * ph + p2)) / 1.25;
				double cov = clamp01(rr - d + 0.5);
				double gain = o->kind == VIS_K_BRIGHT ? 0.70 : 0.20 + 0.25 * o->contrast;
				*t += (float)(gain * cov);
				continue;
			}
			if (o->kind == VIS_K_BUBBLE) {
				double ring = clamp01(0.5 + (0.22 * a + 0.5 - fabs(d - 0.78 * a)));
				double cdx = dx, cdy = dy + 0.25 * a;
				double core = clamp01(0.5 + 0.3 * a - sqrt(cdx * cdx + cdy * cdy));
				*t = (float)(*t * (1 - o->contrast * ring) + 0.35 * core);
			} else {
				double rr = a * (1 + 0.22 * sin(3 * ph + p1) + 0.12 * sin(5 * ph + p2)) / 1.25;
				double cov = clamp01(rr - d + 0.5);
				if (cov <= 0)
					continue;
				if (o->kind == VIS_K_BRIGHT) {
					double rim = clamp01(0.5 + 0.9 - fabs(d - rr * 0.8));
					*t = (float)(*t * (1 - o->contrast * rim * cov) +
						     0.18 * cov * (d < rr * 0.55));
				} else {
					*t = (float)(*t * (1 - o->contrast * cov));
				}
			}
		}
	}
}

/* Distance from (x,y) to segment (ax,ay)-(bx,by). */
static double seg_dist(double x, double y, double ax, double ay, double bx, double by)
{
	double vx = bx - ax, vy = by - ay, wx = x - ax, wy = y - ay;
	double l2 = vx * vx + vy * vy, q = l2 > 0 ? (wx * vx + wy * vy) / l2 : 0;
	q = q < 0 ? 0 : q > 1 ? 1 : q;
	double dx = wx - q * vx, dy = wy - q * vy;
	return sqrt(dx * dx + dy * dy);
}

/* Fibres, cracks and scratches: a polyline of NSEG segments, width wpx. */
#define NSEG 8
static void draw_line(struct canvas *cv, const struct vis_sim_object *o, double px, double py,
		      double len_px, double wpx, double glint)
{
	struct vis__rng r = { o->shape_seed };
	double xs[NSEG + 1], ys[NSEG + 1], ang = o->angle;
	double bend = o->kind == VIS_K_FIBRE ? vis__rng_range(&r, -0.25, 0.25) : 0;
	double jag = o->kind == VIS_K_CRACK ? 0.6 : 0;
	double step = len_px / NSEG;
	xs[0] = 0;
	ys[0] = 0;
	for (int i = 1; i <= NSEG; i++) {
		ang += bend + jag * vis__rng_range(&r, -1, 1);
		xs[i] = xs[i - 1] + step * cos(ang);
		ys[i] = ys[i - 1] + step * sin(ang);
	}
	double mx = xs[NSEG] / 2, my = ys[NSEG] / 2, minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
	for (int i = 0; i <= NSEG; i++) {
		xs[i] += px - mx;
		ys[i] += py - my;
		minx = fmin(minx, xs[i]); maxx = fmax(maxx, xs[i]);
		miny = fmin(miny, ys[i]); maxy = fmax(maxy, ys[i]);
	}
	for (int y = (int)floor(miny - 3); y <= (int)ceil(maxy + 3); y++) {
		if (y < 0 || y >= (int)cv->h)
			continue;
		for (int x = (int)floor(minx - 3); x <= (int)ceil(maxx + 3); x++) {
			if (x < 0 || x >= (int)cv->w)
				continue;
			double d = 1e9, dg = 1e9;
			for (int i = 0; i < NSEG; i++) {
				d = fmin(d, seg_dist(x, y, xs[i], ys[i], xs[i + 1], ys[i + 1]));
				if (glint > 0)
					dg = fmin(dg, seg_dist(x, y, xs[i] + 1.2, ys[i] - 1.2,
							       xs[i + 1] + 1.2, ys[i + 1] - 1.2));
			}
			double cov = clamp01(wpx * 0.5 - d + 0.5);
			float *t = &cv->t[(size_t)y * cv->w + x];
			if (cv->dark) {
				/* fibres and scratches scatter along their length,
				 * a crack's faces glint */
				double gain = o->kind == VIS_K_CRACK ? 0.65
					      : o->kind == VIS_K_SCRATCH ? 0.35 : 0.20 + 0.40 * o->contrast;
				*t += (float)(gain * cov);
				continue;
			}
			*t = (float)(*t * (1 - o->contrast * cov));
			if (glint > 0)
				*t += (float)(glint * clamp01(0.5 - dg + 0.5) * (1 - cov));
		}
	}
}

/* A cosmetic mark: a soft ellipse (axes len x 0.6 len, the across-axis one
 * scaled by fore), its opacity mottled by two low-frequency waves so it
 * looks like a smear, not a disc; soft-edged over a quarter of its size. */
static void draw_smudge(struct canvas *cv, const struct vis_sim_object *o, double px, double py,
			double len, double fore)
{
	struct vis__rng r = { o->shape_seed };
	double p1 = vis__rng_range(&r, 0, 6.3), p2 = vis__rng_range(&r, 0, 6.3);
	double a = 0.5 * len, b = 0.3 * len, ca = cos(o->angle), sa = sin(o->angle);
	int ext = (int)ceil(a + 2);
	for (int y = (int)floor(py) - ext; y <= (int)ceil(py) + ext; y++) {
		if (y < 0 || y >= (int)cv->h)
			continue;
		for (int x = (int)floor(px) - ext; x <= (int)ceil(px) + ext; x++) {
			if (x < 0 || x >= (int)cv->w)
				continue;
			double dx = (x - px) / fore, dy = y - py;
			double s = dx * ca + dy * sa, t = -dx * sa + dy * ca;
			double q = sqrt((s * s) / (a * a) + (t * t) / (b * b));
			double cov = clamp01((1 - q) * 4);
			if (cov <= 0)
				continue;
			double mot = 0.75 + 0.25 * sin(s / a * 5 + p1) * cos(t / b * 4 + p2);
			float *tp = &cv->t[(size_t)y * cv->w + x];
			if (cv->dark)
				*tp += (float)(0.5 * o->contrast * cov * mot); /* a faint glow */
			else
				*tp = (float)(*tp * (1 - o->contrast * cov * mot));
		}
	}
}

static void draw_object(const struct vis_config *c, struct canvas *cv,
			const struct vis_sim_object *o, unsigned f, double phi)
{
	double px, py;
	if (!project(c, o, f, phi, cv, &px, &py))
		return;
	double len = o->size_um / 1000.0 * cv->ppm;
	switch (o->kind) {
	case VIS_K_FIBRE:
		draw_line(cv, o, px, py, len, fmax(0.9, 0.030 * cv->ppm), 0);
		break;
	case VIS_K_CRACK:
		draw_line(cv, o, px, py, len, fmax(1.2, 0.045 * cv->ppm), 0.25);
		break;
	case VIS_K_SCRATCH:
		draw_line(cv, o, px, py, len, 1.0, 0);
		break;
	case VIS_K_COSMETIC:
		/* foreshortened towards the silhouette like the glass it sits on */
		draw_smudge(cv, o, px, py, len, fmax(0.3, cos(o->th[f] - phi)));
		break;
	default:
		draw_blob(cv, o, px, py);
	}
}

/* ------------------------------------------------------------ the unit */
static void render_transmission(const struct vis_sim *s, const struct scene *sc, float *t,
				double cx, double yb, uint32_t row0, uint32_t row1, bool dark)
{
	const float empty = dark ? 0.0f : 1.0f;
	const struct vis_config *c = &s->cfg;
	double xr = (fmax(c->body_radius_mm, c->cap_radius_mm) + 1.0) * s->ppm;
	for (uint32_t y = row0; y < row1; y++) {
		float *row = t + (size_t)y * c->width;
		double z = (yb - y) / s->ppm;
		for (uint32_t x = 0; x < c->width; x++) {
			if (fabs(x - cx) > xr || z < -0.1 || z > c->cap_top_mm + 1.5) {
				row[x] = empty;
				continue;
			}
			row[x] = (float)(dark ? s_vial(c, sc, (x - cx) / s->ppm, z)
					      : t_vial(c, sc, (x - cx) / s->ppm, z));
		}
	}
}

void vis_sim_plan(const struct vis_sim *s, uint64_t unit_seed, double rate,
		  struct vis_sim_truth *truth)
{
	struct vis__rng r;
	choose_unit(&s->cfg, unit_seed, rate, s->cosmetic_rate, s->flake_rate, truth);
	truth->n_frames = s->cfg.frames;
	r.s = unit_seed ^ 0x9e3779b97f4a7c15ULL;
	vis__rng_next(&r);
	place_moving(&s->cfg, truth, &r);
}

/* Lens blur: a separable [1 2 1]/4 kernel in each direction, in place
 * (tmp is scratch of the same size). Edges keep their values. */
static void blur(float *t, float *tmp, uint32_t w, uint32_t h)
{
	for (uint32_t y = 0; y < h; y++) {
		const float *a = t + (size_t)y * w;
		float *o = tmp + (size_t)y * w;
		o[0] = a[0];
		o[w - 1] = a[w - 1];
		for (uint32_t x = 1; x + 1 < w; x++)
			o[x] = 0.25f * a[x - 1] + 0.5f * a[x] + 0.25f * a[x + 1];
	}
	memcpy(t, tmp, (size_t)w * sizeof(float));
	memcpy(t + (size_t)(h - 1) * w, tmp + (size_t)(h - 1) * w, (size_t)w * sizeof(float));
	for (uint32_t y = 1; y + 1 < h; y++) {
		const float *a = tmp + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
		float *o = t + (size_t)y * w;
		for (uint32_t x = 0; x < w; x++)
			o[x] = 0.25f * a[x] + 0.5f * b[x] + 0.25f * c[x];
	}
}

int vis_sim_unit(struct vis_sim *s, uint64_t unit_seed, double defect_rate, unsigned pass,
		 struct vis_image *frames, size_t n, struct vis_sim_truth *truth)
{
	const struct vis_config *c = &s->cfg;
	uint32_t w = c->width, h = c->height;
	struct vis__rng r;
	struct scene sc = { 0 };

	if (n != (size_t)c->views * c->frames || !(defect_rate >= 0 && defect_rate <= 1))
		return PL_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!frames[i].px || frames[i].w != w || frames[i].h != h)
			return PL_EINVAL;
	choose_unit(c, unit_seed, defect_rate, s->cosmetic_rate, s->flake_rate, truth);
	truth->n_frames = c->frames;
	r.s = unit_seed ^ (0x9e3779b97f4a7c15ULL * (pass + 1));
	vis__rng_next(&r);
	place_moving(c, truth, &r);

	/* The unit centred in the frame: the container's height is centred. */
	double cx0 = w * 0.5, yb0 = h * 0.5 + 0.5 * c->cap_top_mm * s->ppm;
	sc.fill = truth->fill_mm;
	sc.cap_missing = truth->cap_missing;
	sc.px_mm = 1.0 / s->ppm;
	/* glass draw lines and sheen belong to the physical vial: unit rng */
	struct vis__rng ur = { unit_seed ^ 0x6a09e667f3bcc909ULL };
	for (int k = 0; k < 3; k++)
		sc.streak[k] = vis__rng_range(&ur, 0, 2 * VIS_PI);
	sc.sheen = vis__rng_range(&ur, 0.03, 0.10);
	render_transmission(s, &sc, s->t_unit, cx0, yb0, 0, h, false);
	blur(s->t_unit, s->t_view, w, h);
	if (s->s_unit) { /* the same vial under the dark-field light (note 7) */
		render_transmission(s, &sc, s->s_unit, cx0, yb0, 0, h, true);
		blur(s->s_unit, s->t_view, w, h);
	}
	double tilt = truth->cap_tilt_deg * VIS_PI / 180.0;
	uint32_t cap_row1 = (uint32_t)fmax(0, fmin(h, yb0 - (c->neck_top_mm - 1.0) * s->ppm));

	for (unsigned v = 0; v < c->views; v++) {
		double phi = 2 * VIS_PI * v / c->views;
		bool dark = vis_config_dark_field(c, v);
		const float *src = dark ? s->s_unit : s->t_unit;
		const float empty = dark ? 0.0f : 1.0f;
		int dx = (int)lround(vis__rng_range(&r, -0.3, 0.3) * s->ppm);
		int dy = (int)lround(vis__rng_range(&r, -0.3, 0.3) * s->ppm);
		/* shift the unit's image into this view; back-light fills the gap */
		for (uint32_t y = 0; y < h; y++) {
			float *dst = s->t_view + (size_t)y * w;
			int sy = (int)y - dy;
			for (uint32_t x = 0; x < w; x++) {
				int sx = (int)x - dx;
				dst[x] = (sy < 0 || sy >= (int)h || sx < 0 || sx >= (int)w)
						 ? empty
						 : src[(size_t)sy * w + sx];
			}
		}
		struct canvas cv = { s->t_view, w, h, cx0 + dx, yb0 + dy, s->ppm, dark };
		/* a tilted cap looks different from each side: re-render its rows */
		if (tilt > 0) {
			struct scene vs = sc;
			vs.tilt = tilt * cos(phi - truth->cap_tilt_azimuth);
			uint32_t r1 = (uint32_t)fmax(0, fmin(h, (double)cap_row1 + dy));
			render_transmission(s, &vs, s->t_view, cv.cx, cv.yb, 0, r1, dark);
		}
		for (size_t i = 0; i < truth->n_objects; i++) {
			enum vis_sim_kind k = truth->objects[i].kind;
			if (k == VIS_K_CRACK || k == VIS_K_SCRATCH || k == VIS_K_STUCK ||
			    k == VIS_K_COSMETIC)
				draw_object(c, &cv, &truth->objects[i], 0, phi);
		}
		for (unsigned f = 0; f < c->frames; f++) {
			struct vis_image *im = &frames[(size_t)v * c->frames + f];
			memcpy(s->t_frame, s->t_view, (size_t)w * h * sizeof(float));
			struct canvas fc = cv;
			fc.t = s->t_frame;
			for (size_t i = 0; i < truth->n_objects; i++) {
				enum vis_sim_kind k = truth->objects[i].kind;
				if (k != VIS_K_CRACK && k != VIS_K_SCRATCH && k != VIS_K_STUCK &&
				    k != VIS_K_COSMETIC)
					draw_object(c, &fc, &truth->objects[i], f, phi);
			}
			/* expose: back-light times transmission, plus noise */
			for (uint32_t y = 0; y < h; y++) {
				const float *tr = s->t_frame + (size_t)y * w;
				const float *bl = s->backlight + (size_t)y * w;
				uint8_t *out = im->px + (size_t)y * im->stride;
				uint64_t bits = 0;
				int left = 0;
				/* dark-field: a black field, 3 grey levels of offset
				 * and stray light rising towards the lamp below */
				float stray = 3.0f + 5.0f * (float)((double)y / h * y / h);
				for (uint32_t x = 0; x < w; x++) {
					float iv = dark ? stray + 230.0f * tr[x] : tr[x] * bl[x];
					if (iv < 0)
						iv = 0;
					if (iv > 255)
						iv = 255;
					if (left == 0) {
						bits = vis__rng_next(&r);
						left = 5;
					}
					float nv = iv + s->sigma[(int)iv] * s->gauss[bits & (GTAB - 1)];
					bits >>= 12;
					left--;
					out[x] = (uint8_t)(nv < 0 ? 0 : nv > 255 ? 255 : nv + 0.5f);
				}
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- JSON */
static const char *const kind_names[] = {
	"dark", "bright", "fibre", "stuck", "bubble", "crack", "scratch", "cosmetic",
};

json_t *vis_sim_truth_to_json(const struct vis_sim_truth *t)
{
	json_t *o = json_object(), *arr = json_array();
	char seed[24];
	snprintf(seed, sizeof(seed), "%016llx", (unsigned long long)t->unit_seed);
	json_object_set_new(o, "unit_seed", json_string(seed));
	json_object_set_new(o, "class", json_string(vis_class_name(t->cls)));
	json_object_set_new(o, "expected", json_string(t->reject ? "reject" : "accept"));
	json_object_set_new(o, "fill_mm", json_real(round(t->fill_mm * 1000) / 1000));
	json_object_set_new(o, "cap_missing", json_boolean(t->cap_missing));
	json_object_set_new(o, "cap_tilt_deg", json_real(round(t->cap_tilt_deg * 100) / 100));
	json_object_set_new(o, "cap_tilt_azimuth_rad",
			    json_real(round(t->cap_tilt_azimuth * 1000) / 1000));
	for (size_t i = 0; i < t->n_objects; i++) {
		const struct vis_sim_object *b = &t->objects[i];
		json_t *j = json_object(), *zs = json_array(), *ths = json_array();
		json_object_set_new(j, "kind", json_string(kind_names[b->kind]));
		json_object_set_new(j, "class", json_string(vis_class_name(b->cls)));
		json_object_set_new(j, "size_um", json_real(round(b->size_um * 10) / 10));
		json_object_set_new(j, "radius_mm", json_real(round(b->r_mm * 1000) / 1000));
		json_object_set_new(j, "contrast", json_real(round(b->contrast * 1000) / 1000));
		/* per-frame positions (pass 0 as rendered) */
		for (unsigned f = 0; f < t->n_frames && f < VIS_FRAMES_MAX; f++) {
			json_array_append_new(zs, json_real(round(b->z_mm[f] * 1000) / 1000));
			json_array_append_new(ths, json_real(round(b->th[f] * 1000) / 1000));
		}
		json_object_set_new(j, "z_mm", zs);
		json_object_set_new(j, "azimuth_rad", ths);
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "objects", arr);
	return o;
}

int vis_sim_truth_from_json(const json_t *obj, struct vis_sim_truth *t, struct pl_json_error *err)
{
	const char *cls = pl_json_str(obj, "class"), *exp = pl_json_str(obj, "expected");
	json_t *arr = json_object_get(obj, "objects");
	size_t i;
	json_t *j;

	memset(t, 0, sizeof(*t));
	memset(err, 0, sizeof(*err));
	if (!cls || vis_class_parse(cls, &t->cls) || !exp || !json_is_array(arr) ||
	    json_array_size(arr) > VIS_SIM_DEFECTS_MAX) {
		pl_strlcpy(err->text, "truth needs class, expected and at most 4 objects",
			   sizeof(err->text));
		return PL_EINVAL;
	}
	t->reject = !strcmp(exp, "reject");
	t->fill_mm = json_number_value(json_object_get(obj, "fill_mm"));
	json_array_foreach(arr, i, j) {
		struct vis_sim_object *b = &t->objects[t->n_objects];
		const char *k = pl_json_str(j, "kind"), *c = pl_json_str(j, "class");
		size_t ki;
		for (ki = 0; k && ki < sizeof(kind_names) / sizeof(kind_names[0]); ki++)
			if (!strcmp(k, kind_names[ki]))
				break;
		if (!k || ki == sizeof(kind_names) / sizeof(kind_names[0]) || !c ||
		    vis_class_parse(c, &b->cls)) {
			snprintf(err->text, sizeof(err->text), "object %zu: bad kind or class", i);
			return PL_EINVAL;
		}
		b->kind = (enum vis_sim_kind)ki;
		b->size_um = json_number_value(json_object_get(j, "size_um"));
		t->n_objects++;
	}
	return 0;
}
