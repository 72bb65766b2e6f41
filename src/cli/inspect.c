/*
 * inspect.c - `parkline inspect`: the inspection library from the command
 * line.
 *
 *   parkline inspect unit UNITDIR        one unit's frames -> verdict JSON
 *   parkline inspect eval DIR            a simulated set -> accuracy report
 *   parkline inspect eval --simulate N   the same, rendered in memory
 *   parkline inspect knapp --units N     Knapp-style re-inspection report
 *   parkline inspect golden --simulate N --model FILE   learn a golden model
 *   parkline inspect golden --good DIR --model FILE     ... from good units
 *   parkline inspect cameras             cameras Aravis sees (inspect_cam.c)
 *
 * A unit directory holds vVV-fF.png (or .jpg / .pgm) for every view VV and
 * frame F of the product; the product comes from --product FILE, else
 * UNITDIR/../product.json, else the defaults. A frame that is missing or
 * fails to decode makes the unit uninspectable with the decoder's reason;
 * the process carries on with the next unit.
 *
 * Worker threads (--jobs) each own a struct vis_ctx (and a struct vis_sim
 * for in-memory sets) and their own tallies, merged at the end; units are
 * handed out through an atomic counter, so results do not depend on the
 * thread count. The entry point int cli_inspect(int, char **, char **) is
 * dispatched from main.c.
 */
#include "cli/cli.h"
#include "cli/inspect_io.h"
#include "vision/vision.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <sys/stat.h>

int cli_inspect(int argc, char **argv, char **envp);
int cli_inspect_run(int argc, char **argv, char **envp); /* inspect_run.c */
int cli_inspect_anomaly(int argc, char **argv, char **envp); /* inspect_anomaly.c */
int cli_inspect_cameras(int argc, char **argv, char **envp); /* inspect_cam.c */

static const char inspect_usage[] =
	"usage: parkline inspect unit UNITDIR [--product FILE] [--overlay OUT.png]\n"
	"       parkline inspect eval DIR [--report OUT.md] [--jobs N] [--verbose]\n"
	"       parkline inspect eval --simulate N [--seed S] [--defect-rate R] [sim options]\n"
	"       parkline inspect knapp --units N [--passes P] [--seed S] [--report OUT.md] [sim options]\n"
	"       parkline inspect golden (--simulate N [--seed S] [sim options] | --good DIR)\n"
	"                               --model FILE [--k K]\n"
	"       parkline inspect run --inbox DIR --spool DIR --out DIR --url URL  (see inspect run --help)\n"
	"       parkline inspect run --camera ID[,ID...] --inbox DIR ...  the node fed by cameras (Aravis)\n"
	"       parkline inspect cameras [--fake]  lists the GigE Vision / USB3 Vision cameras Aravis sees\n"
	"       parkline inspect train|score|bottles ...  generic anomaly mode (see inspect train --help)\n"
	"\n"
	"unit   inspects one unit (views x frames of vVV-fF.png/.jpg/.pgm) and prints\n"
	"       its verdict as JSON; exit 0 accept, 3 reject, 4 uninspectable.\n"
	"eval   inspects every unit-*/ of a set written by 'parkline simulate vials'\n"
	"       (or N units rendered in memory) and prints the confusion matrix,\n"
	"       POD by particle size and the false-reject rate as Markdown.\n"
	"knapp  inspects each unit P times (default 10) with fresh noise, position\n"
	"       and particle motion; prints per-class rejection probabilities and\n"
	"       the machine's reject-zone efficiency. With --report OUT.md it also\n"
	"       writes OUT-knapp.png and OUT-pod.png (plots) and links them.\n"
	"\n"
	"golden learns the static appearance of good units per view (mean and\n"
	"       spread of the body in container coordinates) from N good simulated\n"
	"       units or every unit-*/ of DIR (all taken as good) and writes it to\n"
	"       FILE; K (default 6) is how many spreads a deviation must exceed.\n"
	"       unit, eval, knapp and run take --golden FILE to use it: static marks\n"
	"       beyond the learnt spread become glass_crack, glass_scratch or\n"
	"       cosmetic reasons. Without --golden nothing changes.\n"
	"\n"
	"sim options: --um-per-px U --width W --height H --views V --frames F\n"
	"             --product FILE --jobs N (default 2)\n"
	"             --cosmetic-rate R  share of defective units rendered with a\n"
	"                                cosmetic mark instead (default 0)\n"
	"             --dark-field N     N views, evenly spaced, lit dark-field (default 0)\n"
	"             --flake-rate R     share of bright particles rendered as glass\n"
	"                                flakes, faint in back-light (default 0)\n";

#define USAGE(...) cli_usage_error("inspect", inspect_usage, __VA_ARGS__)

struct opts {
	const char *product, *overlay, *report;
	const char *golden_path, *model, *good;
	const struct vis_golden *golden; /* loaded from golden_path; read-only */
	double cosmetic_rate, k_golden, flake_rate;
	int64_t dark_field; /* --dark-field N; -1: as the product says */
	int64_t jobs, sim_units, seed, passes, knapp_units;
	double rate;
	bool verbose;
	double um;
	int64_t w, h, views, frames;
};

static void apply_sim_opts(const struct opts *o, struct vis_config *cfg)
{
	if (o->um > 0)
		cfg->um_per_px = o->um;
	if (o->w)
		cfg->width = (uint32_t)o->w;
	if (o->h)
		cfg->height = (uint32_t)o->h;
	if (o->views)
		cfg->views = (unsigned)o->views;
	if (o->frames)
		cfg->frames = (unsigned)o->frames;
	if (cfg->min_views_agree > cfg->views)
		cfg->min_views_agree = cfg->views;
	/* N >= views: every view dark, which the caller's vis_config_check
	 * then refuses with its own sentence */
	if (o->dark_field >= 0 && vis_config_set_dark_field(cfg, (unsigned)o->dark_field))
		cfg->dark_field_mask = cfg->views >= 32 ? UINT32_MAX : (1u << cfg->views) - 1;
}

static int cmd_unit(const char *dir, const struct opts *o)
{
	struct vis_config cfg;
	char path[4096], why[200];
	struct vis_result res;
	struct vis_ctx *ctx = NULL;
	struct vis_image *frames = NULL;
	size_t n = 0;
	int rc = 1;

	if (o->product) {
		if (cli_vis_load_product("parkline inspect", o->product, &cfg, true))
			return 1;
	} else {
		snprintf(path, sizeof(path), "%s/../product.json", dir);
		if (cli_vis_load_product("parkline inspect", path, &cfg, false))
			return 1;
	}
	ctx = vis_ctx_new(&cfg, why, sizeof(why));
	if (!ctx) {
		fprintf(stderr, "parkline inspect: product: %s\n", why);
		return 1;
	}
	struct vis_golden *gm = NULL;
	if (o->golden_path) {
		if (cli_vis_load_golden("parkline inspect", o->golden_path, &cfg, &gm)) {
			vis_ctx_free(ctx);
			return 1;
		}
		vis_ctx_set_golden(ctx, gm, why, sizeof(why));
	}
	vis_result_init(&res);
	n = (size_t)cfg.views * cfg.frames;
	frames = pl_calloc(n, sizeof(*frames));
	if (cli_vis_load_unit(dir, &cfg, frames, &res, NULL) == 0)
		vis_inspect(ctx, frames, n, &res);
	json_t *j = vis_result_to_json(&res);
	char *js = pl_json_dump(j);
	puts(js);
	free(js);
	json_decref(j);
	if (o->overlay && res.overlay &&
	    vis_png_write(o->overlay, res.overlay, res.overlay_w, res.overlay_h, 3, 6))
		fprintf(stderr, "parkline inspect: cannot write %s\n", o->overlay);
	rc = res.verdict == VIS_ACCEPT ? 0 : res.verdict == VIS_REJECT ? 3 : 4;
	for (size_t i = 0; i < n; i++)
		vis_image_release(&frames[i]);
	free(frames);
	vis_result_release(&res);
	vis_ctx_free(ctx);
	vis_golden_free(gm);
	return rc;
}

/* ------------------------------------------------------------- workers */
struct job {
	const struct vis_config *cfg;
	const struct opts *o;
	/* file set */
	char **units;       /* unit directories (owned by the caller) */
	/* in-memory set */
	uint64_t n_units;
	unsigned passes;    /* knapp: inspections per unit */
	double *p_reject;   /* knapp: per unit rejection probability */
	struct vis_sim_truth *truths; /* knapp: per unit truth (pass 0) */
	atomic_uint_fast64_t next;
	pthread_mutex_t out_mu; /* serialises --verbose lines */
	int err;
};

struct worker {
	struct job *job;
	struct vis_eval ev;
	pthread_t th;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct job *jb = wk->job;
	const struct vis_config *cfg = jb->cfg;
	size_t n = (size_t)cfg->views * cfg->frames;
	struct vis_image *frames = pl_calloc(n, sizeof(*frames));
	struct vis_ctx *ctx = vis_ctx_new(cfg, NULL, 0);
	struct vis_sim *sim = NULL;
	struct vis_result res;
	char path[4096];

	vis_result_init(&res);
	if (jb->o->golden) /* checked against cfg when loaded */
		vis_ctx_set_golden(ctx, jb->o->golden, NULL, 0);
	if (!jb->units) {
		sim = vis_sim_new(cfg, NULL, 0);
		vis_sim_set_cosmetic_rate(sim, jb->o->cosmetic_rate);
		vis_sim_set_flake_rate(sim, jb->o->flake_rate);
		for (size_t i = 0; i < n; i++)
			vis_image_alloc(&frames[i], cfg->width, cfg->height);
	}
	for (;;) {
		uint64_t u = atomic_fetch_add(&jb->next, 1);
		struct vis_sim_truth truth;
		if (u >= jb->n_units)
			break;
		if (jb->units) {
			json_error_t jerr;
			struct pl_json_error perr;
			snprintf(path, sizeof(path), "%s/truth.json", jb->units[u]);
			json_t *tj = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
			int bad = !tj || vis_sim_truth_from_json(tj, &truth, &perr);
			json_decref(tj);
			if (bad) {
				fprintf(stderr, "parkline inspect: %s: unreadable ground truth, skipped\n", path);
				continue;
			}
			vis_result_release(&res);
			if (cli_vis_load_unit(jb->units[u], cfg, frames, &res, NULL) == 0)
				vis_inspect(ctx, frames, n, &res);
			for (size_t i = 0; i < n; i++)
				vis_image_release(&frames[i]);
			vis_eval_add(&wk->ev, &truth, &res);
		} else {
			uint64_t us = vis_sim_unit_seed((uint64_t)jb->o->seed, u);
			unsigned passes = jb->passes ? jb->passes : 1, rej = 0;
			for (unsigned p = 0; p < passes; p++) {
				vis_sim_unit(sim, us, jb->o->rate, p, frames, n, &truth);
				vis_inspect(ctx, frames, n, &res);
				rej += res.verdict != VIS_ACCEPT;
				if (p == 0)
					vis_eval_add(&wk->ev, &truth, &res);
				if (p == 0 && jb->truths)
					jb->truths[u] = truth;
			}
			if (jb->p_reject)
				jb->p_reject[u] = (double)rej / passes;
		}
		if (jb->o->verbose) {
			pthread_mutex_lock(&jb->out_mu);
			printf("unit %llu truth=%s verdict=%s", (unsigned long long)u,
			       vis_class_name(truth.cls), vis_verdict_name(res.verdict));
			for (size_t i = 0; i < res.n_reasons; i++)
				printf(" [%s %.2f: %s]", vis_class_name(res.reasons[i].cls),
				       res.reasons[i].confidence, res.reasons[i].detail);
			printf("\n");
			pthread_mutex_unlock(&jb->out_mu);
		}
	}
	vis_result_release(&res);
	for (size_t i = 0; i < n; i++)
		vis_image_release(&frames[i]);
	free(frames);
	vis_sim_free(sim);
	vis_ctx_free(ctx);
	return NULL;
}

static void run_workers(struct job *jb, struct vis_eval *total)
{
	int nj = (int)jb->o->jobs;
	struct worker *wk = pl_calloc((size_t)nj, sizeof(*wk));
	vis_eval_init(total);
	for (int i = 0; i < nj; i++) {
		wk[i].job = jb;
		vis_eval_init(&wk[i].ev);
		if (pthread_create(&wk[i].th, NULL, worker_main, &wk[i]))
			abort();
	}
	for (int i = 0; i < nj; i++) {
		pthread_join(wk[i].th, NULL);
		vis_eval_merge(total, &wk[i].ev);
	}
	free(wk);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int emit_report(const struct opts *o, struct pl_buf *md)
{
	if (o->report) {
		FILE *f = fopen(o->report, "w");
		if (!f || fwrite(md->data, 1, md->len, f) != md->len) {
			fprintf(stderr, "parkline inspect: cannot write %s\n", o->report);
			if (f)
				fclose(f);
			return 1;
		}
		if (fclose(f))
			return 1;
	}
	fwrite(md->data ? md->data : "", 1, md->len, stdout);
	return 0;
}

static int cmd_eval(const char *dir, const struct opts *o)
{
	struct vis_config cfg;
	struct job jb;
	struct vis_eval total;
	struct pl_buf md;
	char path[4096], why[200];
	char **units = NULL;
	size_t nu = 0, cap = 0;
	int rc = 1;
	int64_t t0 = pl_time_mono_ns();
	struct opts og = *o; /* o plus the loaded golden model */
	struct vis_golden *gm = NULL;

	memset(&jb, 0, sizeof(jb));
	pl_buf_init(&md, 1 << 20);
	if (dir) {
		DIR *d;
		struct dirent *de;
		if (o->product) {
			if (cli_vis_load_product("parkline inspect", o->product, &cfg, true))
				return 1;
		} else {
			snprintf(path, sizeof(path), "%s/product.json", dir);
			if (cli_vis_load_product("parkline inspect", path, &cfg, false))
				return 1;
		}
		d = opendir(dir);
		if (!d) {
			fprintf(stderr, "parkline inspect: %s: %s\n", dir, strerror(errno));
			return 1;
		}
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "unit-", 5))
				continue;
			if (nu == cap) {
				cap = cap ? 2 * cap : 64;
				units = pl_realloc(units, cap * sizeof(*units));
			}
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			units[nu++] = pl_strdup(path);
		}
		closedir(d);
		if (!nu) {
			fprintf(stderr, "parkline inspect: %s holds no unit-* directories\n", dir);
			goto out;
		}
		qsort(units, nu, sizeof(*units), cmp_str);
		jb.units = units;
		jb.n_units = nu;
	} else {
		if (o->product) {
			if (cli_vis_load_product("parkline inspect", o->product, &cfg, true))
				return 1;
		} else {
			vis_config_default(&cfg);
		}
		apply_sim_opts(o, &cfg);
		jb.n_units = (uint64_t)o->sim_units;
	}
	if (vis_config_check(&cfg, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect: product: %s\n", why);
		goto out;
	}
	if (o->golden_path) {
		if (cli_vis_load_golden("parkline inspect", o->golden_path, &cfg, &gm))
			goto out;
		og.golden = gm;
	}
	jb.cfg = &cfg;
	jb.o = &og;
	atomic_init(&jb.next, 0);
	pthread_mutex_init(&jb.out_mu, NULL);
	run_workers(&jb, &total);
	pthread_mutex_destroy(&jb.out_mu);
	double secs = (pl_time_mono_ns() - t0) / 1e9;
	pl_buf_printf(&md, "## Inspection accuracy: %s\n\n", dir ? dir : "in-memory simulated set");
	pl_buf_printf(&md, "Product: %u views x %u frames of %ux%u px at %.1f um/px. ",
		      cfg.views, cfg.frames, cfg.width, cfg.height, cfg.um_per_px);
	if (cfg.dark_field_mask)
		pl_buf_printf(&md, "Dark-field views: %d of them. ",
			      __builtin_popcount(cfg.dark_field_mask));
	if (!dir)
		pl_buf_printf(&md, "Set: seed %lld, defect rate %.3f%s%s. ", (long long)o->seed, o->rate,
			      o->cosmetic_rate > 0 ? " (with cosmetic marks)" : "",
			      o->flake_rate > 0 ? " (with glass flakes)" : "");
	if (gm) {
		struct vis_golden_info gi;
		vis_golden_info(gm, &gi);
		pl_buf_printf(&md, "Golden model: %u good units, k %.1f, median spread %.2f grey. ",
			      gi.n_train, gi.k_sigma, gi.spread_median);
	}
	pl_buf_printf(&md, "Wall time %.1f s with %lld job(s).\n\n", secs, (long long)o->jobs);
	if (vis_eval_markdown(&total, &md))
		goto out;
	rc = emit_report(o, &md);
out:
	for (size_t i = 0; i < nu; i++)
		free(units[i]);
	free(units);
	pl_buf_release(&md);
	vis_golden_free(gm);
	return rc;
}

/* Knapp-style report (domain doc section 2). The manual reference is not
 * measured here (no inspectors): it is the documented model of trained
 * human inspectors from USP <1790>-style qualification data, p_manual by
 * particle size: 0.05 below 100 um, 0.40 for 100-150, 0.70 for 150-200,
 * 0.90 for 200-300, 0.97 above; 0.99 for fill, cap and crack defects,
 * 0.60 for scratches and cosmetic marks. The reject zone is p_manual >= 0.7, as in the
 * method; RZE is computed for the model and for the machine on the same
 * units. */
static double manual_p(const struct vis_sim_truth *t)
{
	switch (t->cls) {
	case VIS_C_PARTICLE:
	case VIS_C_FIBRE: {
		double s = t->objects[0].size_um;
		return s < 100 ? 0.05 : s < 150 ? 0.40 : s < 200 ? 0.70 : s < 300 ? 0.90 : 0.97;
	}
	case VIS_C_GLASS_SCRATCH:
	case VIS_C_COSMETIC: /* faint marks: as hard for a person as a scratch */
		return 0.60;
	case VIS_C_NONE:
		return 0.0;
	default:
		return 0.99;
	}
}

static int cmd_knapp(const struct opts *o)
{
	struct vis_config cfg;
	struct job jb;
	struct vis_eval total;
	struct pl_buf md;
	char why[200];
	int rc = 1;
	uint64_t n = (uint64_t)o->knapp_units;

	if (o->product) {
		if (cli_vis_load_product("parkline inspect", o->product, &cfg, true))
			return 1;
	} else {
		vis_config_default(&cfg);
	}
	apply_sim_opts(o, &cfg);
	if (vis_config_check(&cfg, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect: product: %s\n", why);
		return 1;
	}
	struct opts og = *o; /* o plus the loaded golden model */
	struct vis_golden *gm = NULL;
	if (o->golden_path) {
		if (cli_vis_load_golden("parkline inspect", o->golden_path, &cfg, &gm))
			return 1;
		og.golden = gm;
	}
	memset(&jb, 0, sizeof(jb));
	pl_buf_init(&md, 4 << 20);
	jb.cfg = &cfg;
	jb.o = &og;
	jb.n_units = n;
	jb.passes = (unsigned)o->passes;
	jb.p_reject = pl_calloc(n, sizeof(double));
	jb.truths = pl_calloc(n, sizeof(*jb.truths));
	atomic_init(&jb.next, 0);
	pthread_mutex_init(&jb.out_mu, NULL);
	run_workers(&jb, &total);
	pthread_mutex_destroy(&jb.out_mu);

	double rz_man = 0, rz_auto = 0, fr = 0;
	uint64_t rz_n = 0, good_n = 0;
	double cls_man[VIS_C__COUNT] = { 0 }, cls_auto[VIS_C__COUNT] = { 0 };
	uint64_t cls_n[VIS_C__COUNT] = { 0 };
	double bin_man[VIS_EVAL_BINS] = { 0 }, bin_auto[VIS_EVAL_BINS] = { 0 };
	uint64_t bin_n[VIS_EVAL_BINS] = { 0 };
	for (uint64_t u = 0; u < n; u++) {
		const struct vis_sim_truth *t = &jb.truths[u];
		double pm = manual_p(t), pa = jb.p_reject[u];
		if (t->cls == VIS_C_NONE) {
			good_n++;
			fr += pa;
		}
		if (pm >= 0.7) {
			rz_n++;
			rz_man += pm;
			rz_auto += pa;
			cls_n[t->cls]++;
			cls_man[t->cls] += pm;
			cls_auto[t->cls] += pa;
			if (t->cls == VIS_C_PARTICLE || t->cls == VIS_C_FIBRE) {
				int b = vis_eval_bin(t->objects[0].size_um);
				bin_n[b]++;
				bin_man[b] += pm;
				bin_auto[b] += pa;
			}
		}
	}
	pl_buf_printf(&md, "## Knapp-style qualification (simulated set)\n\n"
		      "Container: 2R-format vial per product config (%u views x %u frames, %.1f um/px), "
		      "back-light. Set: %llu units, seed %lld, defect rate %.2f; machine passes per unit: %lld "
		      "(fresh noise, position and particle motion each pass).\n\n"
		      "Manual reference: a documented model of trained inspectors (not measured): "
		      "p = 0.05 (<100 um), 0.40 (100-150), 0.70 (150-200), 0.90 (200-300), 0.97 (>300) "
		      "for particles and fibres; 0.99 for fill, cap and crack defects; 0.60 for scratches "
		      "and cosmetic marks. "
		      "Reject zone: manual p >= 0.70. FQA is summed over the manual reject zone.\n\n",
		      cfg.views, cfg.frames, cfg.um_per_px, (unsigned long long)n, (long long)o->seed,
		      o->rate, (long long)o->passes);
	pl_buf_printf(&md, "| measure | value |\n|---|---|\n| reject-zone units | %llu |\n",
		      (unsigned long long)rz_n);
	if (rz_n) {
		pl_buf_printf(&md, "| RZE manual (model) | %.3f |\n| RZE machine | %.3f |\n"
			      "| Knapp ratio RZE_auto / RZE_man | %.1f %% |\n",
			      rz_man / rz_n, rz_auto / rz_n, 100 * rz_auto / rz_man);
	}
	pl_buf_printf(&md, "| false-reject rate on good units (mean p over %llu units) | %.2f %% |\n\n",
		      (unsigned long long)good_n, good_n ? 100 * fr / good_n : 0.0);
	pl_buf_puts(&md, "### Reject zone by class\n\n| class | units | RZE manual | RZE machine |\n|---|---:|---:|---:|\n");
	for (int c = 1; c < VIS_C__COUNT; c++)
		if (cls_n[c])
			pl_buf_printf(&md, "| %s | %llu | %.3f | %.3f |\n", vis_class_name(c),
				      (unsigned long long)cls_n[c], cls_man[c] / cls_n[c],
				      cls_auto[c] / cls_n[c]);
	pl_buf_puts(&md, "\n### Reject zone particles by size\n\n| size (um) | units | RZE manual | RZE machine |\n|---|---:|---:|---:|\n");
	for (int b = 1; b < VIS_EVAL_BINS; b++)
		if (bin_n[b])
			pl_buf_printf(&md, "| %s | %llu | %.3f | %.3f |\n", vis_eval_bin_name(b),
				      (unsigned long long)bin_n[b], bin_man[b] / bin_n[b],
				      bin_auto[b] / bin_n[b]);
	/* grey zone (manual p 0.4-0.6) and the per-container table */
	double gz_man = 0, gz_auto = 0;
	uint64_t gz_n = 0, rows = 0;
	for (uint64_t u = 0; u < n; u++) {
		double pm = manual_p(&jb.truths[u]);
		if (pm >= 0.4 && pm < 0.7) {
			gz_n++;
			gz_man += pm;
			gz_auto += jb.p_reject[u];
		}
	}
	if (gz_n)
		pl_buf_printf(&md, "\nGrey zone (manual p 0.40-0.69): %llu units, mean p manual %.3f, machine %.3f.\n",
			      (unsigned long long)gz_n, gz_man / gz_n, gz_auto / gz_n);
	pl_buf_puts(&md, "\n### Per container (defective units; first 200)\n\n"
		    "| unit | class | size (um) | p manual | p machine | machine 95 % CI |\n|---:|---|---:|---:|---:|---|\n");
	for (uint64_t u = 0; u < n && rows < 200; u++) {
		const struct vis_sim_truth *t = &jb.truths[u];
		if (t->cls == VIS_C_NONE)
			continue;
		rows++;
		double pa = jb.p_reject[u], z = 1.959964, np = (double)o->passes;
		double d = 1 + z * z / np, cc = (pa + z * z / (2 * np)) / d;
		double hw = z * sqrt(pa * (1 - pa) / np + z * z / (4 * np * np)) / d;
		bool sized = t->cls == VIS_C_PARTICLE || t->cls == VIS_C_FIBRE;
		char size[16] = "-";
		if (sized)
			snprintf(size, sizeof(size), "%.0f", t->objects[0].size_um);
		pl_buf_printf(&md, "| %llu | %s | %s | %.2f | %.2f | %.2f-%.2f |\n",
			      (unsigned long long)u, vis_class_name(t->cls), size, manual_p(t), pa,
			      fmax(0, cc - hw), fmin(1, cc + hw));
	}
	if (o->report) {
		/* plots beside the report: OUT.md -> OUT-knapp.png, OUT-pod.png */
		char kp[4096], pp[4096];
		size_t bl = strlen(o->report);
		if (bl > 3 && !strcmp(o->report + bl - 3, ".md"))
			bl -= 3;
		snprintf(kp, sizeof(kp), "%.*s-knapp.png", (int)bl, o->report);
		snprintf(pp, sizeof(pp), "%.*s-pod.png", (int)bl, o->report);
		double *pman = pl_malloc(n * sizeof(double));
		for (uint64_t u = 0; u < n; u++)
			pman[u] = manual_p(&jb.truths[u]);
		int r1 = vis_plot_knapp_png(kp, jb.p_reject, pman, n, 0.7);
		int r2 = vis_plot_pod_png(pp, &total);
		free(pman);
		const char *kb = strrchr(kp, '/'), *pb = strrchr(pp, '/');
		if (!r1 && !r2)
			pl_buf_printf(&md, "\n### Plots\n\n![reject probability per unit](%s)\n\n"
				      "![probability of detection by size](%s)\n",
				      kb ? kb + 1 : kp, pb ? pb + 1 : pp);
		else
			fprintf(stderr, "parkline inspect: cannot write %s / %s\n", kp, pp);
	}
	pl_buf_puts(&md, "\n### First pass of every unit\n\n");
	vis_eval_markdown(&total, &md);
	rc = emit_report(o, &md);
	free(jb.p_reject);
	free(jb.truths);
	pl_buf_release(&md);
	vis_golden_free(gm);
	return rc;
}

/* `inspect golden`: learns the golden model from good units, one thread
 * (rendering dominates; a few dozen units are enough for the spread).
 * Simulated units are drawn with defect rate 0, so they are good by
 * construction (bubbles included, as on the line); units from --good DIR
 * are taken as good as they are - the operator vouches for them. A unit
 * whose views cannot all be located is skipped with a message. */
static int cmd_golden(const struct opts *o)
{
	struct vis_config cfg;
	struct vis_golden_trainer *tr = NULL;
	struct vis_golden *gm = NULL;
	struct vis_sim *sim = NULL;
	struct vis_image *frames = NULL;
	char why[300], path[4096];
	char **units = NULL;
	size_t n = 0, nu = 0, cap = 0;
	uint64_t skipped = 0;
	int rc = 1;

	if (o->product) {
		if (cli_vis_load_product("parkline inspect", o->product, &cfg, true))
			return 1;
	} else if (o->good) {
		snprintf(path, sizeof(path), "%s/product.json", o->good);
		if (cli_vis_load_product("parkline inspect", path, &cfg, false))
			return 1;
	} else {
		vis_config_default(&cfg);
	}
	if (!o->good)
		apply_sim_opts(o, &cfg);
	if (cfg.dark_field_mask) {
		/* the golden check runs in back-lit views only; a model learnt
		 * from the same product without dark_field_views serves it */
		fprintf(stderr, "parkline inspect: golden: learn the model from back-lit units "
				"(the product without dark_field_views); it is used in the "
				"back-lit views only\n");
		return 1;
	}
	tr = vis_golden_trainer_new(&cfg, why, sizeof(why));
	if (!tr) {
		fprintf(stderr, "parkline inspect: product: %s\n", why);
		return 1;
	}
	n = (size_t)cfg.views * cfg.frames;
	frames = pl_calloc(n, sizeof(*frames));
	if (o->good) {
		DIR *d = opendir(o->good);
		struct dirent *de;
		if (!d) {
			fprintf(stderr, "parkline inspect: %s: %s\n", o->good, strerror(errno));
			goto out;
		}
		while ((de = readdir(d))) {
			if (strncmp(de->d_name, "unit-", 5))
				continue;
			if (nu == cap) {
				cap = cap ? 2 * cap : 64;
				units = pl_realloc(units, cap * sizeof(*units));
			}
			snprintf(path, sizeof(path), "%s/%s", o->good, de->d_name);
			units[nu++] = pl_strdup(path);
		}
		closedir(d);
		qsort(units, nu, sizeof(*units), cmp_str);
		for (size_t u = 0; u < nu; u++) {
			struct vis_result res;
			vis_result_init(&res);
			int bad = cli_vis_load_unit(units[u], &cfg, frames, &res, NULL);
			if (bad) {
				fprintf(stderr, "parkline inspect: %s: %s, skipped\n", units[u],
					res.n_reasons ? res.reasons[0].detail : "unreadable");
				skipped++;
			} else if (vis_golden_trainer_add(tr, frames, n, why, sizeof(why))) {
				fprintf(stderr, "parkline inspect: %s: %s, skipped\n", units[u], why);
				skipped++;
			}
			vis_result_release(&res);
			for (size_t i = 0; i < n; i++)
				vis_image_release(&frames[i]);
		}
	} else {
		sim = vis_sim_new(&cfg, why, sizeof(why));
		for (size_t i = 0; i < n; i++)
			vis_image_alloc(&frames[i], cfg.width, cfg.height);
		for (int64_t u = 0; u < o->sim_units; u++) {
			struct vis_sim_truth truth;
			vis_sim_unit(sim, vis_sim_unit_seed((uint64_t)o->seed, (uint64_t)u), 0.0, 0, frames,
				     n, &truth);
			if (vis_golden_trainer_add(tr, frames, n, why, sizeof(why))) {
				fprintf(stderr, "parkline inspect: simulated unit %lld: %s, skipped\n",
					(long long)u, why);
				skipped++;
			}
		}
	}
	if (vis_golden_trainer_finish(tr, o->k_golden, &gm, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect: %s\n", why);
		goto out;
	}
	if (vis_golden_save(gm, o->model)) {
		fprintf(stderr, "parkline inspect: cannot write %s\n", o->model);
		goto out;
	}
	struct vis_golden_info gi;
	vis_golden_info(gm, &gi);
	printf("golden model %s: %u good units (%llu skipped), %u views x %ux%u model px, "
	       "k %.1f, median spread %.2f grey levels\n",
	       o->model, gi.n_train, (unsigned long long)skipped, gi.views, gi.grid_w, gi.grid_h,
	       gi.k_sigma, gi.spread_median);
	rc = 0;
out:
	for (size_t i = 0; i < nu; i++)
		free(units[i]);
	free(units);
	if (frames)
		for (size_t i = 0; i < n; i++)
			vis_image_release(&frames[i]);
	free(frames);
	vis_sim_free(sim);
	vis_golden_free(gm);
	vis_golden_trainer_free(tr);
	return rc;
}

int cli_inspect(int argc, char **argv, char **envp)
{
	(void)envp;
	struct opts o = { .dark_field = -1 };
	const char *sub, *pos = NULL;
	int64_t iv;

	o.jobs = 2;
	o.seed = 1;
	o.rate = 0.1;
	o.passes = 10;
	o.k_golden = 6.0;
	if (argc < 2)
		return USAGE("a subcommand is required");
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		fputs(inspect_usage, stdout);
		return 0;
	}
	if (!strcmp(sub, "run"))
		return cli_inspect_run(argc, argv, envp);
	if (!strcmp(sub, "cameras"))
		return cli_inspect_cameras(argc, argv, envp);
	if (!strcmp(sub, "train") || !strcmp(sub, "score") || !strcmp(sub, "bottles"))
		return cli_inspect_anomaly(argc, argv, envp);
	if (strcmp(sub, "unit") && strcmp(sub, "eval") && strcmp(sub, "knapp") &&
	    strcmp(sub, "golden"))
		return USAGE("unknown subcommand '%s'", sub);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(inspect_usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--verbose")) {
			o.verbose = true;
			continue;
		}
		if (a[0] != '-') {
			if (pos)
				return USAGE("unexpected argument '%s'", a);
			pos = a;
			continue;
		}
		if (!v)
			return USAGE("%s needs a value", a);
		i++;
		if (!strcmp(a, "--product")) {
			o.product = v;
		} else if (!strcmp(a, "--overlay")) {
			o.overlay = v;
		} else if (!strcmp(a, "--golden")) {
			o.golden_path = v;
		} else if (!strcmp(a, "--model")) {
			o.model = v;
		} else if (!strcmp(a, "--good")) {
			o.good = v;
		} else if (!strcmp(a, "--k")) {
			if (cli_parse_double(v, 3, 50, &o.k_golden))
				return USAGE("--k must be in [3, 50]");
		} else if (!strcmp(a, "--cosmetic-rate")) {
			if (cli_parse_double(v, 0, 1, &o.cosmetic_rate))
				return USAGE("--cosmetic-rate must be in [0, 1]");
		} else if (!strcmp(a, "--report")) {
			o.report = v;
		} else if (!strcmp(a, "--jobs")) {
			if (pl_parse_i64(v, 1, 64, &o.jobs))
				return USAGE("--jobs must be 1..64");
		} else if (!strcmp(a, "--simulate")) {
			if (pl_parse_i64(v, 1, 1000000, &o.sim_units))
				return USAGE("--simulate must be 1..1000000");
		} else if (!strcmp(a, "--units")) {
			if (pl_parse_i64(v, 1, 1000000, &o.knapp_units))
				return USAGE("--units must be 1..1000000");
		} else if (!strcmp(a, "--passes")) {
			if (pl_parse_i64(v, 1, 1000, &o.passes))
				return USAGE("--passes must be 1..1000");
		} else if (!strcmp(a, "--seed")) {
			if (pl_parse_i64(v, 0, INT64_MAX, &o.seed))
				return USAGE("--seed must be a non-negative integer");
		} else if (!strcmp(a, "--defect-rate")) {
			if (cli_parse_double(v, 0, 1, &o.rate))
				return USAGE("--defect-rate must be in [0, 1]");
		} else if (!strcmp(a, "--um-per-px")) {
			if (cli_parse_double(v, 5, 200, &o.um))
				return USAGE("--um-per-px must be in [5, 200]");
		} else if (!strcmp(a, "--width") || !strcmp(a, "--height")) {
			if (pl_parse_i64(v, 64, VIS_DIM_MAX, &iv))
				return USAGE("%s must be 64..8192", a);
			*(a[2] == 'w' ? &o.w : &o.h) = iv;
		} else if (!strcmp(a, "--views")) {
			if (pl_parse_i64(v, 1, VIS_VIEWS_MAX, &o.views))
				return USAGE("--views must be 1..32");
		} else if (!strcmp(a, "--frames")) {
			if (pl_parse_i64(v, 2, VIS_FRAMES_MAX, &o.frames))
				return USAGE("--frames must be 2..20");
		} else if (!strcmp(a, "--dark-field")) {
			if (pl_parse_i64(v, 0, VIS_VIEWS_MAX - 1, &o.dark_field))
				return USAGE("--dark-field must be 0..31");
		} else if (!strcmp(a, "--flake-rate")) {
			if (cli_parse_double(v, 0, 1, &o.flake_rate))
				return USAGE("--flake-rate must be in [0, 1]");
		} else {
			return USAGE("unknown option '%s'", a);
		}
	}
	if (!strcmp(sub, "unit")) {
		if (!pos)
			return USAGE("unit needs UNITDIR");
		return cmd_unit(pos, &o);
	}
	if (!strcmp(sub, "golden")) {
		if (pos || !o.model || !o.sim_units == !o.good)
			return USAGE("golden needs --model FILE and either --simulate N or --good DIR");
		if (o.golden_path)
			return USAGE("golden writes --model; --golden is for unit, eval, knapp and run");
		return cmd_golden(&o);
	}
	if (o.model || o.good)
		return USAGE("--model and --good are for inspect golden");
	if (!strcmp(sub, "eval")) {
		if (!pos == !o.sim_units)
			return USAGE("eval needs either DIR or --simulate N");
		return cmd_eval(pos, &o);
	}
	if (pos || !o.knapp_units)
		return USAGE("knapp needs --units N and no directory");
	return cmd_knapp(&o);
}
