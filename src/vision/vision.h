/*
 * vision.h - the public face of Parkline's inspection library (prefix vis_).
 *
 * A filled vial is photographed by V cameras around it (22 on the Taiji
 * line, 360/22 degrees apart), F frames each, just after the vial stops
 * spinning. vis_inspect() takes those V x F 8-bit grey frames and returns a
 * verdict (accept / reject / uninspectable), every reason found with its
 * place, size in micrometres, view and confidence, and an overlay image for
 * rejects. The module also holds the decoders for image files (PNG through
 * libspng, JPEG through libturbojpeg, binary PGM), a deterministic vial
 * renderer with exact ground truth (vis_sim_*), and the evaluation tallies
 * (vis_eval_*) that `parkline inspect eval` prints.
 *
 * Depends only on core and the image libraries. No global state: all state
 * lives in a struct vis_ctx (one per thread) or a struct vis_sim (one per
 * thread); a struct vis_config is plain data and may be shared read-only.
 * Memory per inspected unit is bounded by the frame size fixed in the
 * configuration (a handful of w*h scratch planes) plus fixed-size tables;
 * it does not grow with what is in the image (blob and track tables are
 * capped; hitting a cap makes the unit uninspectable, never accepted).
 */
#ifndef PL_VISION_H
#define PL_VISION_H

#include "core/core.h"

/* ------------------------------------------------------------- limits */
#define VIS_VIEWS_MAX 32           /* cameras per unit */
#define VIS_FRAMES_MAX 20          /* frames per camera */
#define VIS_DIM_MAX 8192           /* width or height of one frame, px */
#define VIS_PIXELS_MAX (24u << 20) /* w*h of one frame */
#define VIS_FILE_MAX (64u << 20)   /* bytes of one encoded image file */
#define VIS_REASONS_MAX 32         /* reasons kept per unit (extra dropped) */
#define VIS_DETAIL_LEN 96

/* ------------------------------------------------------------ classes */
enum vis_verdict { VIS_ACCEPT = 0, VIS_REJECT, VIS_UNINSPECTABLE };

/* Defect classes. BUBBLE is never a reject reason: it is counted and
 * reported so a reader can see bubbles were found and passed. */
enum vis_class {
	VIS_C_NONE = 0,
	VIS_C_PARTICLE,
	VIS_C_FIBRE,
	VIS_C_FILL_LOW,
	VIS_C_FILL_HIGH,
	VIS_C_CAP_MISSING,
	VIS_C_CAP_MISALIGNED,
	VIS_C_GLASS_CRACK,
	VIS_C_GLASS_SCRATCH,
	VIS_C_COSMETIC,
	VIS_C_BUBBLE,
	VIS_C_UNINSPECTABLE,
	VIS_C__COUNT
};
/* Static lower_snake names ("particle", "fill_low", ...); "none" for NONE. */
const char *vis_class_name(enum vis_class c);
/* PL_EINVAL for an unknown name. */
int vis_class_parse(const char *s, enum vis_class *out);
const char *vis_verdict_name(enum vis_verdict v); /* "accept"... */

/* -------------------------------------------------------------- image
 * One 8-bit grey plane. px is owned by whoever filled the struct: images
 * from vis_decode_* and vis_sim_* are owned by the caller and freed with
 * vis_image_release(); images the caller builds around its own camera
 * buffers are borrowed by vis_inspect() for the duration of the call. */
struct vis_image {
	uint8_t *px;   /* row-major, row y starts at px + y*stride */
	uint32_t w, h; /* pixels */
	size_t stride; /* bytes per row, >= w */
};
/* Allocates a w x h plane (stride w), zeroed. PL_ETOOBIG past the caps. */
int vis_image_alloc(struct vis_image *im, uint32_t w, uint32_t h);
/* Frees px (if any) and zeroes the struct; safe on a zeroed struct. */
void vis_image_release(struct vis_image *im);

/* ------------------------------------------------------------- decode
 * File input. The format is taken from the first bytes (PNG signature,
 * JPEG SOI, "P5"), never from the name. Colour is converted to grey
 * (ITU-R 601 weights as the libraries do); 16-bit PNG is scaled to 8.
 * Dimensions above max_w/max_h (0: VIS_DIM_MAX) are refused before any
 * pixel memory is allocated.
 * Returns 0, or PL_EINVAL (wrong size), PL_ETOOBIG (over a cap), PL_EPARSE
 * (corrupt or truncated), PL_EUNSUPPORTED (unknown format), PL_EIO (file).
 * On failure *out is zeroed and why (if non-NULL) holds a sentence; on
 * success the caller owns out->px (vis_image_release). */
struct vis_decode_limits {
	uint32_t max_w, max_h; /* 0: VIS_DIM_MAX */
	uint32_t want_w, want_h; /* nonzero: anything else is PL_EINVAL */
};
int vis_decode_mem(const void *buf, size_t len, const struct vis_decode_limits *lim,
		   struct vis_image *out, char *why, size_t whysz);
/* Reads at most VIS_FILE_MAX bytes of path, then vis_decode_mem(). */
int vis_decode_file(const char *path, const struct vis_decode_limits *lim,
		    struct vis_image *out, char *why, size_t whysz);

/* PNG output through libspng: channels 1 (grey) or 3 (RGB), rows packed
 * (stride w*channels). level is the zlib level (1 fast .. 9 small).
 * PL_EIO on a write failure. */
int vis_png_write(const char *path, const uint8_t *px, uint32_t w, uint32_t h,
		  unsigned channels, int level);
/* Binary PGM (P5) output, for tools that want no decoder. */
int vis_pgm_write(const char *path, const struct vis_image *im);

/* ------------------------------------------------------ configuration
 * One product: container geometry in mm (heights measured up from the
 * outside of the vial's bottom, radii from its axis), acquisition, the fill
 * window and the detection thresholds. Plain data: copy it, share it. The
 * defaults describe a 2R vial (16 mm glass, 13 mm crimp cap) with 2 mL at
 * 25 um per pixel in 1024 x 1536 frames, 22 views x 3 frames. */
struct vis_config {
	double um_per_px;       /* scale at the vial axis */
	uint32_t width, height; /* frame size every image must have */
	unsigned views, frames; /* cameras, frames per camera */
	/* geometry (mm) */
	double body_radius_mm;  /* outer radius of the cylindrical body */
	double wall_mm;         /* glass wall thickness */
	double base_mm;         /* glass bottom thickness */
	double body_height_mm;  /* where the shoulder starts */
	double neck_radius_mm;  /* outer radius of the neck */
	double neck_top_mm;     /* top of the glass lip, bottom of the crimp */
	double cap_radius_mm;   /* outer radius of the crimp cap */
	double cap_top_mm;      /* top of the flip-off cap when present */
	double stopper_top_mm;  /* top of the bare stopper when the cap is missing */
	/* fill (mm above the outside bottom, at the axis) */
	double fill_min_mm, fill_max_mm;
	double meniscus_offset_mm; /* calibration: fill = dark meniscus line + this */
	/* thresholds */
	double k_sigma;          /* moving blobs: |frame - background| > k * sigma */
	double min_contrast;     /* ... and > this many grey levels */
	double static_k_sigma;   /* static marks: |background - local mean| > k * sigma */
	double particle_min_um;  /* smaller blobs are not reported */
	double cap_tilt_max_deg; /* tilt above this is cap_misaligned */
	double cap_height_tol_mm;/* cap top this far off nominal is a fault */
	unsigned min_views_agree;/* a particle must be seen in this many views */
	/* Lighting per view: bit v set = view v is a dark-field view (light
	 * from below at a low angle, black field, what scatters is bright);
	 * clear = back-light. JSON "dark_field_views": [indices], written only
	 * when non-empty. Default 0: every view back-lit, as before. At least
	 * one view must stay back-lit (fill, cap and glass are measured there). */
	uint32_t dark_field_mask;
};
void vis_config_default(struct vis_config *cfg);
/* Whether view v is dark-field in cfg (false for v >= VIS_VIEWS_MAX). */
bool vis_config_dark_field(const struct vis_config *cfg, unsigned v);
/* Makes n views dark-field, evenly spaced round the vial (view
 * floor(k * views / n) for k = 0..n-1; 0 clears them). PL_EINVAL, cfg
 * unchanged, unless n < views. */
int vis_config_set_dark_field(struct vis_config *cfg, unsigned n);
/* The command-line form: list is comma-separated view indices ("0,11")
 * or "none"; replaces cfg's dark-field views, then runs vis_config_check.
 * PL_EINVAL with why (cfg unchanged) for a malformed list, an index not
 * below views, a repeat, or every view dark. */
int vis_config_parse_dark_field(struct vis_config *cfg, const char *list, char *why,
				size_t whysz);
/* Checks ranges and that the container fits the frame; PL_EINVAL with a
 * sentence in why. */
int vis_config_check(const struct vis_config *cfg, char *why, size_t whysz);
/* JSON form (all fields, same names): to_json returns a new reference;
 * from_json starts from the defaults, overrides the members present,
 * rejects unknown members and wrong types, then runs vis_config_check. */
json_t *vis_config_to_json(const struct vis_config *cfg);
int vis_config_from_json(const json_t *obj, struct vis_config *cfg,
			 struct pl_json_error *err);

/* ------------------------------------------------------------- result */
struct vis_reason {
	enum vis_class cls;
	int view;           /* strongest view, -1 when unit-level */
	double x_mm, z_mm;  /* across the axis (in that view), height above bottom */
	double size_um;     /* longest dimension; fill/cap: deviation in um */
	double confidence;  /* 0..1 */
	unsigned n_views;   /* views that agree */
	int px_x, px_y, px_r; /* where to draw it in that view's frame 0 */
	char detail[VIS_DETAIL_LEN];
};
struct vis_result {
	enum vis_verdict verdict;
	double confidence;       /* in the verdict, 0..1 */
	size_t n_reasons;        /* <= VIS_REASONS_MAX, rejects first */
	size_t n_dropped;        /* reasons past the cap */
	struct vis_reason reasons[VIS_REASONS_MAX];
	unsigned n_bubbles;      /* bubble tracks seen and passed */
	double fill_mm;          /* median over views; NAN when not measured */
	double cap_top_mm;       /* median over views; NAN when not measured */
	double cap_tilt_deg;     /* largest apparent tilt over views */
	/* For rejects: frame 0 of the view with the strongest reason, as packed
	 * RGB with the reasons drawn; owned by the result. NULL otherwise. */
	uint8_t *overlay;
	uint32_t overlay_w, overlay_h;
	int overlay_view;
};
void vis_result_init(struct vis_result *r);
void vis_result_release(struct vis_result *r); /* frees overlay, then init */
/* Appends a reason (dropped and counted when full). */
void vis_result_add(struct vis_result *r, const struct vis_reason *rs);
/* Marks the unit uninspectable with one reason; for callers whose input
 * failed before vis_inspect (decode errors, missing files). */
void vis_result_set_uninspectable(struct vis_result *r, int view, const char *why);
/* The result as a JSON object (verdict, confidence, reasons...); new ref. */
json_t *vis_result_to_json(const struct vis_result *r);

/* ------------------------------------------------------------ inspect
 * A context holds one configuration and the scratch planes for one unit at
 * a time. It is NOT shared between threads: give each worker its own (they
 * may share the config they were made from, which is copied). */
struct vis_ctx;
/* NULL with why filled when the config fails vis_config_check. */
struct vis_ctx *vis_ctx_new(const struct vis_config *cfg, char *why, size_t whysz);
void vis_ctx_free(struct vis_ctx *ctx);
const struct vis_config *vis_ctx_config(const struct vis_ctx *ctx);

/* Inspects one unit. frames[v * cfg.frames + f] is view v, frame f; every
 * plane is borrowed for the call and must be cfg.width x cfg.height; a NULL
 * px marks a missing frame. res must be initialised; it is cleared first.
 * Returns 0 whenever a verdict was reached (including uninspectable: bad
 * input is a verdict, not an error); PL_EINVAL only for n != views*frames. */
int vis_inspect(struct vis_ctx *ctx, const struct vis_image *frames, size_t n,
		struct vis_result *res);

/* ----------------------------------------------------------- simulator
 * Renders units as the cameras would see them: back-lit glass with
 * refraction edges, meniscus, stopper and crimp cap with specular
 * highlights, vignetting, shot and read noise, position jitter; the
 * configuration's dark-field views as a black field with the glass edges,
 * meniscus and every object scattering bright; defects
 * with exact ground truth. Deterministic: a unit is a pure function of
 * (config, unit_seed, pass); pass 0 is the unit as written to disk and
 * other passes re-image the same physical unit with fresh noise, position
 * and particle motion (the Knapp re-inspection). */
#define VIS_SIM_DEFECTS_MAX 4
enum vis_sim_kind {
	VIS_K_DARK, VIS_K_BRIGHT, VIS_K_FIBRE, VIS_K_STUCK, VIS_K_BUBBLE,
	VIS_K_CRACK, VIS_K_SCRATCH, VIS_K_COSMETIC,
};
struct vis_sim_object {
	enum vis_sim_kind kind;
	enum vis_class cls;   /* what an inspector must call it */
	double size_um;       /* longest dimension */
	double r_mm, theta;   /* radius from the axis, azimuth (rad), frame 0 */
	double z_mm[VIS_FRAMES_MAX]; /* height above bottom per frame */
	double th[VIS_FRAMES_MAX];   /* azimuth per frame */
	double contrast;      /* opacity 0..1 */
	double angle;         /* in-plane orientation (fibres, marks) */
	uint64_t shape_seed;
};
struct vis_sim_truth {
	uint64_t unit_seed;
	enum vis_class cls;      /* primary class; NONE for a good unit */
	bool reject;             /* what a perfect inspector does */
	unsigned n_frames;       /* frames per view the positions cover */
	double fill_mm;
	bool cap_missing;
	double cap_tilt_deg, cap_tilt_azimuth;
	size_t n_objects;        /* defects and bubbles */
	struct vis_sim_object objects[VIS_SIM_DEFECTS_MAX];
};
struct vis_sim;
/* cfg is copied; NULL with why when it fails vis_config_check. */
struct vis_sim *vis_sim_new(const struct vis_config *cfg, char *why, size_t whysz);
void vis_sim_free(struct vis_sim *sim);
/* Seed of unit i of a set made with seed: a mix, so units are independent. */
uint64_t vis_sim_unit_seed(uint64_t seed, uint64_t i);
/* Chooses the unit's defects (defect_rate in [0,1]) and renders pass
 * `pass` into frames[0..views*frames), which must be allocated at the
 * config size (their contents are overwritten). */
int vis_sim_unit(struct vis_sim *sim, uint64_t unit_seed, double defect_rate,
		 unsigned pass, struct vis_image *frames, size_t n,
		 struct vis_sim_truth *truth);
/* The ground truth vis_sim_unit would produce for pass 0, without
 * rendering (cheap: for choosing units in tests and reports). */
void vis_sim_plan(const struct vis_sim *sim, uint64_t unit_seed, double defect_rate,
		  struct vis_sim_truth *truth);
json_t *vis_sim_truth_to_json(const struct vis_sim_truth *t);
/* Reads the fields eval needs (cls, reject, objects' kind/class/size). */
int vis_sim_truth_from_json(const json_t *obj, struct vis_sim_truth *t,
			    struct pl_json_error *err);

/* ---------------------------------------------------------- evaluation
 * Tallies of inspected units against ground truth. Plain data; add from
 * one thread (or merge per-thread tallies with vis_eval_merge). */
#define VIS_EVAL_BINS 6 /* 0-50 (unused), 50-100, 100-150, 150-200, 200-300, 300-500 */
struct vis_eval {
	/* confusion[truth class][called class]; called = primary reason class,
	 * NONE for accept, UNINSPECTABLE for uninspectable. */
	uint64_t confusion[VIS_C__COUNT][VIS_C__COUNT];
	uint64_t truth_n[VIS_C__COUNT];     /* units per truth class */
	uint64_t rejected[VIS_C__COUNT];    /* of those, rejected or uninspectable */
	uint64_t pod_n[VIS_EVAL_BINS], pod_hit[VIS_EVAL_BINS]; /* moving+stuck particles and fibres */
	uint64_t good_n, good_rejected;     /* good units (truth NONE) */
	uint64_t bubble_good_n, bubble_good_rejected; /* good units with bubbles */
	uint64_t units;
};
void vis_eval_init(struct vis_eval *e);
void vis_eval_add(struct vis_eval *e, const struct vis_sim_truth *t,
		  const struct vis_result *r);
void vis_eval_merge(struct vis_eval *into, const struct vis_eval *from);
/* Size bin of a particle size, 0..VIS_EVAL_BINS-1. */
int vis_eval_bin(double size_um);
const char *vis_eval_bin_name(int bin); /* "100-150" ... */
/* Markdown report (confusion matrix, POD per bin, false rejects) appended
 * to out; PL_ETOOBIG if out's cap is hit. */
int vis_eval_markdown(const struct vis_eval *e, struct pl_buf *out);

/* ------------------------------------------------------ anomaly mode
 * Generic anomaly detection for products other than vials (bottles seen
 * from above, syringes, ampoules): a model learnt from good images only.
 * Each image is reduced to a grid of at most VIS_ANOM_GRID_MAX cells a
 * side (area average), shifted so its bright-mass centroid lands where the
 * training images' did, brightness-normalised, and described per cell by
 * two features: grey level and gradient magnitude. The model keeps their
 * per-cell mean and variance; a cell's anomaly is the smallest squared
 * z-score against the model cells in its 3x3 neighbourhood (robust to a
 * one-cell shift), averaged over a 3x3 patch; the image score is the
 * largest patch value. The decision threshold is the (1 - target_frr)
 * quantile of leave-one-out scores of the good images. File format and
 * design notes: src/vision/anomaly.c and docs/vision/README.md. */
#define VIS_ANOM_GRID_MAX 128   /* cells along the longer side */
#define VIS_ANOM_TRAIN_MAX 1000 /* good images per model */
#define VIS_ANOM_TRAIN_MIN 5    /* fewer cannot give a threshold */
#define VIS_ANOM_FILE_MAX (1u << 20) /* bytes of a model file */
#define VIS_ANOM_VERSION 1

struct vis_anomaly_model;   /* opaque; read-only once built, share freely */
struct vis_anomaly_trainer; /* opaque; one thread */

/* A trainer for images of exactly w x h pixels; target_frr in (0, 0.5].
 * NULL with why when the size or rate is out of range. */
struct vis_anomaly_trainer *vis_anomaly_trainer_new(uint32_t w, uint32_t h, double target_frr,
						    char *why, size_t whysz);
void vis_anomaly_trainer_free(struct vis_anomaly_trainer *tr);
/* Adds one good image (borrowed for the call). PL_EINVAL for another
 * size, PL_ETOOBIG past VIS_ANOM_TRAIN_MAX images. */
int vis_anomaly_trainer_add(struct vis_anomaly_trainer *tr, const struct vis_image *im,
			    char *why, size_t whysz);
/* Builds the model and its threshold (leave-one-out). PL_EINVAL with fewer
 * than VIS_ANOM_TRAIN_MIN images. On success the caller owns *out
 * (vis_anomaly_model_free); the trainer may be freed or fed more. */
int vis_anomaly_trainer_finish(struct vis_anomaly_trainer *tr, struct vis_anomaly_model **out,
			       char *why, size_t whysz);
void vis_anomaly_model_free(struct vis_anomaly_model *m);

/* Model facts for reports. */
struct vis_anomaly_info {
	uint32_t img_w, img_h;   /* image size the model accepts */
	uint32_t grid_w, grid_h; /* cells */
	uint32_t n_train;        /* good images learnt */
	double target_frr;       /* as asked */
	double threshold;        /* score above this is anomalous */
	double loo_frr;          /* leave-one-out false-reject rate at threshold */
};
void vis_anomaly_model_info(const struct vis_anomaly_model *m, struct vis_anomaly_info *out);

/* Serialise to the versioned binary format (little-endian, CRC-32 at the
 * end); *buf is the caller's (free). */
int vis_anomaly_model_save_mem(const struct vis_anomaly_model *m, uint8_t **buf, size_t *len);
int vis_anomaly_model_save(const struct vis_anomaly_model *m, const char *path);
/* Parses and validates (magic, version, sizes against the length, every
 * value finite and in range, CRC): PL_EPARSE (corrupt or truncated),
 * PL_EUNSUPPORTED (other version), PL_ETOOBIG (over a cap), PL_EIO (file).
 * On failure *out is NULL and why says what is wrong. */
int vis_anomaly_model_load_mem(const void *buf, size_t len, struct vis_anomaly_model **out,
			       char *why, size_t whysz);
int vis_anomaly_model_load(const char *path, struct vis_anomaly_model **out, char *why,
			   size_t whysz);

/* Scores one image (borrowed). *score >= 0; *anomalous is score >
 * threshold. heat (optional, may be NULL): allocated by the call at the
 * image's size as packed RGB (the image dimmed, anomalous patches in
 * red/yellow); the caller frees it. PL_EINVAL for another image size.
 * Thread-safe on a shared model (scratch is per call, O(grid)). */
int vis_anomaly_score(const struct vis_anomaly_model *m, const struct vis_image *im,
		      double *score, bool *anomalous, uint8_t **heat, char *why, size_t whysz);

/* Image-level area under the ROC curve of scores against labels (1 =
 * defective, higher score = more anomalous), by the Mann-Whitney rank sum
 * with mid-ranks for ties (a tie between a good and a bad image counts a
 * half). PL_EINVAL when there is no positive or no negative label. */
int vis_anomaly_auroc(const double *scores, const int *labels, size_t n, double *out);

/* A deterministic demo product for tests and documentation: a bottle seen
 * from above (bright shoulder disc, cap with a ring) at size x size px,
 * with position, brightness and noise varying by seed. defect: 0 good,
 * 1 dark spot, 2 scratch, 3 missing cap. out is allocated by the call. */
int vis_anomaly_demo_bottle(uint64_t seed, int defect, uint32_t size, struct vis_image *out);

/* ------------------------------------------------------ golden model
 * Opt-in (src/vision/golden.c): per view, the static appearance of good
 * units - per pixel, in container coordinates (u mm across the axis, z mm
 * above the bottom, over the body's central 75 % from the base to the
 * shoulder), the mean and spread of the per-view median background - learnt
 * from good units. A context given a model (vis_ctx_set_golden) also
 * reports static deviations beyond the learnt spread as glass_crack,
 * glass_scratch or cosmetic (and compact strong ones as particles on the
 * wall); without one, vis_inspect is unchanged. The model is read-only once
 * built or loaded: share it between threads and contexts freely; it must
 * outlive every context it is set on. Memory: 4 bytes per model pixel per
 * view (about 9 MB for 22 views at 50 um/px, 37 MB at 25 um/px). */
#define VIS_GOLDEN_VERSION 1
#define VIS_GOLDEN_TRAIN_MIN 8       /* fewer good units give no spread */
#define VIS_GOLDEN_TRAIN_MAX 100000
#define VIS_GOLDEN_FILE_MAX (128u << 20) /* bytes of a model file */

struct vis_golden;         /* opaque; read-only once built */
struct vis_golden_trainer; /* opaque; one thread */

/* A trainer for units of cfg (copied). NULL with why when cfg fails
 * vis_config_check. Memory: 8 bytes per model pixel per view. */
struct vis_golden_trainer *vis_golden_trainer_new(const struct vis_config *cfg, char *why,
						  size_t whysz);
void vis_golden_trainer_free(struct vis_golden_trainer *tr);
/* Adds one good unit (frames as for vis_inspect, borrowed). PL_EINVAL when
 * n is wrong, a frame is missing or of another size, or a view's container
 * cannot be located (why says which); nothing is learnt from such a unit.
 * PL_ETOOBIG past VIS_GOLDEN_TRAIN_MAX units. */
int vis_golden_trainer_add(struct vis_golden_trainer *tr, const struct vis_image *frames, size_t n,
			   char *why, size_t whysz);
/* Builds the model: mean, and spread = the largest standard deviation in
 * each pixel's 3x3 neighbourhood (absorbs sub-pixel misregistration at
 * edges), at least 1 grey level. k_sigma in [3, 50] is stored with it: a
 * deviation must exceed k_sigma spreads. PL_EINVAL with fewer than
 * VIS_GOLDEN_TRAIN_MIN units. On success the caller owns *out. */
int vis_golden_trainer_finish(struct vis_golden_trainer *tr, double k_sigma,
			      struct vis_golden **out, char *why, size_t whysz);
void vis_golden_free(struct vis_golden *m);

struct vis_golden_info {
	uint32_t width, height;   /* frame size */
	unsigned views;
	uint32_t grid_w, grid_h;  /* model pixels per view */
	double um_per_px, body_radius_mm, base_mm, body_height_mm;
	uint32_t n_train;         /* good units learnt */
	double k_sigma;
	double spread_median;     /* median spread over all model pixels, grey levels */
};
void vis_golden_info(const struct vis_golden *m, struct vis_golden_info *out);

/* Versioned binary format (little-endian, CRC-32 at the end; layout in
 * golden.c). *buf is the caller's (free). */
int vis_golden_save_mem(const struct vis_golden *m, uint8_t **buf, size_t *len);
int vis_golden_save(const struct vis_golden *m, const char *path);
/* Parses and validates (magic, version, sizes against the length, every
 * value in range, CRC): PL_EPARSE (corrupt or truncated), PL_EUNSUPPORTED
 * (other version), PL_ETOOBIG (over VIS_GOLDEN_FILE_MAX or a size cap),
 * PL_EIO (file). On failure *out is NULL and why says what is wrong. */
int vis_golden_load_mem(const void *buf, size_t len, struct vis_golden **out, char *why,
			size_t whysz);
int vis_golden_load(const char *path, struct vis_golden **out, char *why, size_t whysz);

/* Uses m (borrowed; NULL switches the check off) for the context's later
 * units. PL_EINVAL with why when m was learnt for another frame size,
 * view count, scale or container geometry. */
int vis_ctx_set_golden(struct vis_ctx *ctx, const struct vis_golden *m, char *why, size_t whysz);

/* Simulator option: the share of defective units (those drawn by
 * defect_rate) that carry a cosmetic mark - a faint smudge on the outside
 * of the glass - instead of their usual defect; 0 (the default) renders
 * every unit exactly as before. PL_EINVAL outside [0, 1]. */
int vis_sim_set_cosmetic_rate(struct vis_sim *sim, double rate);
/* Simulator option: the share of bright (transparent) particles that are
 * thin glass flakes - nearly invisible in back-light (4-9 % contrast) but
 * as bright as any transparent particle in dark-field views. Drawn from a
 * stream of its own: 0 (the default) renders every unit exactly as
 * before. PL_EINVAL outside [0, 1]. */
int vis_sim_set_flake_rate(struct vis_sim *sim, double rate);

/* -------------------------------------------------------- Knapp plots
 * PNG plots of the Knapp-style report (src/vision/plot.c), 800 x 420 RGB
 * written through libspng. vis_plot_knapp_png: units sorted by the
 * machine's reject probability p_machine[0..n) (bars; red in the reject
 * zone), the manual reference's p of the same units (p_manual, may be
 * NULL) as marks, and the reject-zone line at zone (0 < zone < 1).
 * vis_plot_pod_png: detection probability per particle size bin of e with
 * 95 % Wilson intervals and the goal lines. Both return 0, PL_EINVAL (no
 * units, bad zone) or PL_EIO; memory is a fixed canvas, not O(n) beyond a
 * sorted copy of the probabilities. */
int vis_plot_knapp_png(const char *path, const double *p_machine, const double *p_manual,
		       size_t n, double zone);
int vis_plot_pod_png(const char *path, const struct vis_eval *e);

/* ------------------------------------------------------- live cameras
 * GigE Vision / USB3 Vision cameras through Aravis 0.8 (src/vision/
 * camera.c): open a camera by its Aravis id (or the first one found), fix
 * it to Mono8 at the product's frame size, and grab frames into the
 * caller's 8-bit grey planes with a bounded wait per frame.
 *
 * Aravis keeps one process-wide list of interfaces and devices. All calls
 * that touch it (listing, opening) go through a struct vis_cam_sys, whose
 * mutex serialises them; make one per process (main), share it between
 * threads, and call vis_cam_shutdown() (arv_shutdown) once, at process
 * exit, after every camera and the sys are freed. An open struct vis_cam
 * is used by one thread at a time (its own stream and buffers); different
 * cameras may grab from different threads at once. */
#define VIS_CAM_LIST_MAX 64 /* cameras vis_cam_list reports */
#define VIS_CAM_ID_LEN 128  /* bytes of an Aravis device id, with the NUL */
struct vis_cam_info {
	char id[VIS_CAM_ID_LEN];   /* what vis_cam_open takes, e.g. "Aravis-Fake-GV01" */
	char vendor[64], model[64], serial[64];
	char address[64];          /* IP for GigE Vision, bus path for USB */
	char protocol[16];         /* "GigEVision", "USB3Vision", "Fake" */
};
struct vis_cam_params {
	uint32_t width, height;    /* region from the sensor's top left; 0: keep */
	double exposure_us;        /* > 0: fixed exposure (auto off); 0: keep */
	unsigned buffers;          /* stream buffers, 2..64; 0: 8 */
	bool trigger;              /* take each frame on a software trigger when
				      the camera offers one (vis_cam_triggered);
				      false: free-running, triggers turned off */
};
struct vis_cam_sys;
struct vis_cam;
struct vis_cam_sys *vis_cam_sys_new(void);
void vis_cam_sys_free(struct vis_cam_sys *sys);
/* arv_shutdown(): frees Aravis's interface list. Process exit only. */
void vis_cam_shutdown(void);
/* Enables Aravis's in-process "Fake" interface (ids "Fake_1"...), for
 * tests without a network camera. */
void vis_cam_enable_fake(struct vis_cam_sys *sys);
/* Discovers cameras (GigE discovery waits about a second) and fills
 * out[0..*n), at most max (<= VIS_CAM_LIST_MAX). Always 0. */
int vis_cam_list(struct vis_cam_sys *sys, struct vis_cam_info *out, size_t max, size_t *n);
/* Opens camera id (NULL or "": the first one found), sets Mono8 (refused
 * with PL_EUNSUPPORTED when the camera does not offer it), the region and
 * exposure of p (PL_EINVAL with the camera's bounds when outside them, or
 * when the camera rounds them to other values), and creates its stream.
 * Errors: PL_ENOTFOUND (no such camera), PL_EUNSUPPORTED, PL_EINVAL,
 * PL_EIO (the camera did not answer). why gets a sentence. On success the
 * caller owns *out (vis_cam_close). */
int vis_cam_open(struct vis_cam_sys *sys, const char *id, const struct vis_cam_params *p,
		 struct vis_cam **out, char *why, size_t whysz);
/* The open camera's id and frame size. */
const char *vis_cam_id(const struct vis_cam *c);
void vis_cam_size(const struct vis_cam *c, uint32_t *w, uint32_t *h);
/* Whether the open camera takes each frame on vis_cam_fire (software
 * trigger, asked for with vis_cam_params.trigger and offered by the
 * camera). When it was asked for but the camera runs free, the note says
 * why in a sentence ("the camera offers no software trigger"); else the
 * note is "". Both stay valid while the camera is open. */
bool vis_cam_triggered(const struct vis_cam *c);
const char *vis_cam_trigger_note(const struct vis_cam *c);
/* Starts acquisition, copies the next n complete frames into frames[0..n)
 * (each allocated by the caller at the camera's size, any stride >= w; a
 * triggered camera is fired once before each frame), stops acquisition
 * and drops frames left over, so each call sees fresh frames. Waits at
 * most timeout_ms (1..60000) for each frame. frame_ids
 * (may be NULL) gets each frame's camera counter. Errors, with why naming
 * the frame: PL_ETIMEOUT (no frame in time), PL_EIO (incomplete buffer:
 * missing packets, size mismatch, aborted ...), PL_EUNSUPPORTED (a frame
 * came in another pixel format than Mono8), PL_EINVAL (a frame or a plane
 * of another size, or bad arguments). On error the planes' contents are
 * unspecified and acquisition is stopped. */
int vis_cam_grab(struct vis_cam *c, struct vis_image *frames, size_t n, unsigned timeout_ms,
		 uint64_t *frame_ids, char *why, size_t whysz);
/* vis_cam_grab in steps, for several cameras whose frame k must be taken
 * together: vis_cam_arm every camera, then for each frame vis_cam_fire
 * every camera back to back and vis_cam_collect one frame from each, then
 * vis_cam_disarm every camera (also after an error; a camera not armed is
 * a no-op). vis_cam_arm drops frames left over and starts acquisition:
 * PL_EINVAL (timeout_ms outside 1..60000, already armed) or PL_EIO.
 * vis_cam_fire sends the software trigger (a no-op when the camera runs
 * free): PL_EINVAL (not armed) or PL_EIO. A triggered camera takes one
 * frame per fire and none without. vis_cam_collect waits at most
 * timeout_ms for the next frame and copies it into frame (allocated by the
 * caller at the camera's size), with the errors of vis_cam_grab; k only
 * names the frame in why; frame_id (may be NULL) gets the camera's
 * counter. vis_cam_disarm stops acquisition and drops what is left: 0 or
 * PL_EIO. why may be NULL. */
int vis_cam_arm(struct vis_cam *c, unsigned timeout_ms, char *why, size_t whysz);
int vis_cam_fire(struct vis_cam *c, char *why, size_t whysz);
int vis_cam_collect(struct vis_cam *c, struct vis_image *frame, size_t k, unsigned timeout_ms,
		    uint64_t *frame_id, char *why, size_t whysz);
int vis_cam_disarm(struct vis_cam *c, char *why, size_t whysz);
/* Stops acquisition and frees the stream, buffers and camera. NULL ok. */
void vis_cam_close(struct vis_cam *c);

#endif /* PL_VISION_H */
