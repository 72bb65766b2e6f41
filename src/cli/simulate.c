/*
 * simulate.c - `parkline simulate vials`: writes a set of rendered vial
 * units with ground truth, for `parkline inspect eval` and for demos.
 *
 * Layout of DIR (the unit manifest `parkline inspect` reads):
 *   DIR/product.json             the struct vis_config the units were made with
 *                                (with dark_field_views when any view is dark-field)
 *   DIR/unit-00000/vVV-fF.png    view VV (00..), frame F, 8-bit grey PNG
 *   DIR/unit-00000/truth.json    ground truth (vis_sim_truth_to_json)
 * Units are a pure function of (--seed, unit index, product), so a set can
 * be regenerated bit for bit instead of archived.
 *
 * The entry point int cli_simulate(int, char **, char **) is dispatched
 * from main.c.
 */
#include "cli/cli.h"
#include "vision/vision.h"

#include <errno.h>
#include <math.h>
#include <sys/stat.h>

int cli_simulate(int argc, char **argv, char **envp);
int cli_simulate_line(int argc, char **argv, char **envp); /* simulate_line.c */
int cli_simulate_desk(int argc, char **argv, char **envp); /* simulate_desk.c */

static const char simulate_usage[] =
	"usage: parkline simulate vials --out DIR [options]\n"
	"       parkline simulate line --mqtt mqtt://HOST:PORT [options]  (see simulate line --help)\n"
	"       parkline simulate desk --url http://HOST:PORT [options]  (see simulate desk --help)\n"
	"\n"
	"Renders vial units as the 22 cameras of an inspection hood see them\n"
	"(back-lit, or dark-field where asked; 8-bit grey PNG), with a JSON\n"
	"ground-truth sidecar per unit.\n"
	"\n"
	"options:\n"
	"  --out DIR           output directory (created; must be empty or new)\n"
	"  --units N           units to render (default 10, at most 100000)\n"
	"  --seed S            set seed (default 1); same seed, same bytes\n"
	"  --defect-rate R     fraction of defective units, 0..1 (default 0.1)\n"
	"  --um-per-px U       scale (default 25)\n"
	"  --width W --height H  frame size in px (default 1024 x 1536)\n"
	"  --views V --frames F  cameras and frames per camera (default 22 x 3)\n"
	"  --product FILE      start from this product.json instead of the defaults\n"
	"  --dark-field N      make N views, evenly spaced, dark-field (lit from below:\n"
	"                      black field, glass, meniscus and particles bright)\n"
	"  --dark-field-views LIST  these views dark-field instead (\"0,11\" or \"none\");\n"
	"                      recorded in product.json as dark_field_views\n"
	"  --flake-rate R      share of bright particles that are thin glass flakes,\n"
	"                      nearly invisible in back-light (default 0)\n";

static int write_json(const char *path, json_t *j)
{
	int rc = json_dump_file(j, path, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) ? PL_EIO : 0;
	json_decref(j);
	return rc;
}

static int load_product(const char *path, struct vis_config *cfg, char *why, size_t whysz)
{
	json_error_t jerr;
	struct pl_json_error perr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc;
	if (!j) {
		snprintf(why, whysz, "%s:%d: %s", path, jerr.line, jerr.text);
		return PL_EPARSE;
	}
	rc = vis_config_from_json(j, cfg, &perr);
	if (rc)
		snprintf(why, whysz, "%s: %s", path, perr.text);
	json_decref(j);
	return rc;
}

int cli_simulate(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *out = NULL, *product = NULL;
	int64_t units = 10, seed = 1, iv;
	double rate = 0.1, dv;
	struct vis_config cfg;
	struct vis_sim *sim = NULL;
	struct vis_image *frames = NULL;
	size_t n = 0;
	int rc = 1;
	char why[256], path[4096];
	/* flags that override the product, applied after --product is read */
	double o_um = 0;
	int64_t o_w = 0, o_h = 0, o_v = 0, o_f = 0, o_dark = -1;
	const char *o_dark_list = NULL;
	double flake = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(simulate_usage, stdout);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "line"))
		return cli_simulate_line(argc, argv, envp);
	if (argc >= 2 && !strcmp(argv[1], "desk"))
		return cli_simulate_desk(argc, argv, envp);
	if (argc < 2 || strcmp(argv[1], "vials"))
		return cli_usage_error("simulate", simulate_usage, "the scenes are 'vials', 'line' and 'desk'");
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(simulate_usage, stdout);
			return 0;
		}
		if (!v)
			return cli_usage_error("simulate", simulate_usage, "%s needs a value", a);
		i++;
		if (!strcmp(a, "--out")) {
			out = v;
		} else if (!strcmp(a, "--product")) {
			product = v;
		} else if (!strcmp(a, "--units")) {
			if (pl_parse_i64(v, 1, 100000, &units))
				return cli_usage_error("simulate", simulate_usage, "--units must be 1..100000");
		} else if (!strcmp(a, "--seed")) {
			if (pl_parse_i64(v, 0, INT64_MAX, &seed))
				return cli_usage_error("simulate", simulate_usage, "--seed must be a non-negative integer");
		} else if (!strcmp(a, "--defect-rate")) {
			if (cli_parse_double(v, 0, 1, &rate))
				return cli_usage_error("simulate", simulate_usage, "--defect-rate must be in [0, 1]");
		} else if (!strcmp(a, "--um-per-px")) {
			if (cli_parse_double(v, 5, 200, &dv))
				return cli_usage_error("simulate", simulate_usage, "--um-per-px must be in [5, 200]");
			o_um = dv;
		} else if (!strcmp(a, "--width") || !strcmp(a, "--height")) {
			if (pl_parse_i64(v, 64, VIS_DIM_MAX, &iv))
				return cli_usage_error("simulate", simulate_usage, "%s must be 64..8192", a);
			*(a[2] == 'w' ? &o_w : &o_h) = iv;
		} else if (!strcmp(a, "--views")) {
			if (pl_parse_i64(v, 1, VIS_VIEWS_MAX, &o_v))
				return cli_usage_error("simulate", simulate_usage, "--views must be 1..32");
		} else if (!strcmp(a, "--frames")) {
			if (pl_parse_i64(v, 2, VIS_FRAMES_MAX, &o_f))
				return cli_usage_error("simulate", simulate_usage, "--frames must be 2..20");
		} else if (!strcmp(a, "--dark-field")) {
			if (pl_parse_i64(v, 0, VIS_VIEWS_MAX - 1, &o_dark))
				return cli_usage_error("simulate", simulate_usage, "--dark-field must be 0..31");
		} else if (!strcmp(a, "--dark-field-views")) {
			o_dark_list = v;
		} else if (!strcmp(a, "--flake-rate")) {
			if (cli_parse_double(v, 0, 1, &flake))
				return cli_usage_error("simulate", simulate_usage, "--flake-rate must be in [0, 1]");
		} else {
			return cli_usage_error("simulate", simulate_usage, "unknown option '%s'", a);
		}
	}
	if (!out)
		return cli_usage_error("simulate", simulate_usage, "--out DIR is required");
	vis_config_default(&cfg);
	if (product && load_product(product, &cfg, why, sizeof(why))) {
		fprintf(stderr, "parkline simulate: %s\n", why);
		return 1;
	}
	if (o_um > 0)
		cfg.um_per_px = o_um;
	if (o_w)
		cfg.width = (uint32_t)o_w;
	if (o_h)
		cfg.height = (uint32_t)o_h;
	if (o_v)
		cfg.views = (unsigned)o_v;
	if (o_f)
		cfg.frames = (unsigned)o_f;
	if (cfg.min_views_agree > cfg.views)
		cfg.min_views_agree = cfg.views;
	if (o_dark >= 0 && vis_config_set_dark_field(&cfg, (unsigned)o_dark))
		return cli_usage_error("simulate", simulate_usage, "--dark-field must be below --views (%u)",
				       cfg.views);
	if (o_dark_list && vis_config_parse_dark_field(&cfg, o_dark_list, why, sizeof(why)))
		return cli_usage_error("simulate", simulate_usage, "--dark-field-views: %s", why);
	sim = vis_sim_new(&cfg, why, sizeof(why));
	if (!sim) {
		fprintf(stderr, "parkline simulate: product: %s\n", why);
		return 1;
	}
	vis_sim_set_flake_rate(sim, flake); /* checked above */
	if (mkdir(out, 0777) && errno != EEXIST) {
		fprintf(stderr, "parkline simulate: %s: %s\n", out, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/product.json", out);
	if (write_json(path, vis_config_to_json(&cfg))) {
		fprintf(stderr, "parkline simulate: cannot write %s\n", path);
		goto out;
	}
	n = (size_t)cfg.views * cfg.frames;
	frames = pl_calloc(n, sizeof(*frames));
	for (size_t i = 0; i < n; i++)
		if (vis_image_alloc(&frames[i], cfg.width, cfg.height))
			goto out; /* cannot happen: config checked against the caps */
	for (int64_t u = 0; u < units; u++) {
		struct vis_sim_truth truth;
		uint64_t us = vis_sim_unit_seed((uint64_t)seed, (uint64_t)u);
		if (vis_sim_unit(sim, us, rate, 0, frames, n, &truth))
			goto out;
		snprintf(path, sizeof(path), "%s/unit-%05lld", out, (long long)u);
		if (mkdir(path, 0777) && errno != EEXIST) {
			fprintf(stderr, "parkline simulate: %s: %s\n", path, strerror(errno));
			goto out;
		}
		for (unsigned v = 0; v < cfg.views; v++)
			for (unsigned f = 0; f < cfg.frames; f++) {
				const struct vis_image *im = &frames[v * cfg.frames + f];
				snprintf(path, sizeof(path), "%s/unit-%05lld/v%02u-f%u.png", out,
					 (long long)u, v, f);
				if (vis_png_write(path, im->px, im->w, im->h, 1, 1)) {
					fprintf(stderr, "parkline simulate: cannot write %s\n", path);
					goto out;
				}
			}
		snprintf(path, sizeof(path), "%s/unit-%05lld/truth.json", out, (long long)u);
		if (write_json(path, vis_sim_truth_to_json(&truth))) {
			fprintf(stderr, "parkline simulate: cannot write %s\n", path);
			goto out;
		}
	}
	printf("wrote %lld units (%u views x %u frames, %ux%u px at %.1f um/px) to %s\n",
	       (long long)units, cfg.views, cfg.frames, cfg.width, cfg.height, cfg.um_per_px, out);
	rc = 0;
out:
	for (size_t i = 0; frames && i < n; i++)
		vis_image_release(&frames[i]);
	free(frames);
	vis_sim_free(sim);
	return rc;
}
