/*
 * inspect_anomaly.c - `parkline inspect train|score|bottles`: the generic
 * anomaly mode (src/vision/anomaly.c) from the command line.
 *
 *   parkline inspect train --good DIR --model FILE [--target-frr R]
 *   parkline inspect score --model FILE [--heatmap DIR] [--labels CSV] IMAGES...
 *   parkline inspect bottles --out DIR [--good N] [--bad N] [--seed S] [--size PX]
 *
 * train reads every *.png / *.jpg / *.jpeg / *.pgm in DIR (sorted by name;
 * all must have the first image's size), learns the model and writes it.
 * score prints one line per image (path, score, verdict), writes a heat
 * map PNG per image when asked, and with a labels CSV (image,label with 1
 * = defective; image matched by path as given or by file name) prints the
 * image-level AUROC. An image that cannot be read is reported as
 * "uninspectable" with the reason and the run carries on; such images are
 * left out of the AUROC. bottles writes a deterministic demo set (good/,
 * test/ and test/labels.csv) of the bottle product that the tests and the
 * documentation use.
 *
 * Exit: 0 done (whatever the verdicts), 1 a file could not be written or a
 * model not built/loaded, 2 bad arguments, 4 score met an unreadable image.
 * The entry point is dispatched from inspect.c.
 */
#include "cli/cli.h"
#include "vision/vision.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sys/stat.h>

int cli_inspect_anomaly(int argc, char **argv, char **envp);

static const char anom_usage[] =
	"usage: parkline inspect train --good DIR --model FILE [--target-frr R]\n"
	"       parkline inspect score --model FILE [--heatmap DIR] [--labels CSV] IMAGES...\n"
	"       parkline inspect bottles --out DIR [--good N] [--bad N] [--seed S] [--size PX]\n"
	"\n"
	"train    learns a generic anomaly model from good images only (PNG/JPEG/PGM,\n"
	"         all the same size) and picks the threshold for the target false-reject\n"
	"         rate (default 0.01) by leave-one-out over them.\n"
	"score    prints 'image<TAB>score<TAB>verdict' per image (accept / reject /\n"
	"         uninspectable); --heatmap writes DIR/<name>.heat.png; --labels (CSV\n"
	"         image,label with 1 = defective) adds the image-level AUROC.\n"
	"bottles  writes a deterministic demo product (bottles seen from above) for\n"
	"         trying the two: DIR/good/*.png and DIR/test/*.png + labels.csv.\n";

#define AUSAGE(...) cli_usage_error("inspect", anom_usage, __VA_ARGS__)
#define ANOM_FILES_MAX 100000 /* files listed from one directory */

static bool image_name(const char *n)
{
	static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".pgm" };
	size_t ln = strlen(n);
	for (size_t i = 0; i < 4; i++) {
		size_t le = strlen(ext[i]);
		if (ln > le && !strcasecmp(n + ln - le, ext[i]))
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Image paths in dir, sorted; *out (and each string) owned by the caller. */
static int list_images(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	*out = NULL;
	*n = 0;
	if (!d)
		return PL_EIO;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !image_name(e->d_name))
			continue;
		if (cnt == ANOM_FILES_MAX)
			break;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		v[cnt] = pl_malloc(len);
		snprintf(v[cnt], len, "%s/%s", dir, e->d_name);
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*out = v;
	*n = cnt;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmd_train(const char *good, const char *model, double frr)
{
	char **files = NULL, why[256];
	size_t n = 0;
	struct vis_anomaly_trainer *tr = NULL;
	struct vis_anomaly_model *m = NULL;
	struct vis_anomaly_info info;
	int rc = 1;

	if (list_images(good, &files, &n)) {
		fprintf(stderr, "parkline inspect train: cannot read directory %s: %s\n", good,
			strerror(errno));
		goto out;
	}
	if (n == 0) {
		fprintf(stderr, "parkline inspect train: no .png/.jpg/.pgm images in %s\n", good);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct vis_image im;
		if (vis_decode_file(files[i], NULL, &im, why, sizeof(why))) {
			fprintf(stderr, "parkline inspect train: %s: %s\n", files[i], why);
			goto out;
		}
		if (!tr)
			tr = vis_anomaly_trainer_new(im.w, im.h, frr, why, sizeof(why));
		int r = tr ? vis_anomaly_trainer_add(tr, &im, why, sizeof(why)) : PL_EINVAL;
		vis_image_release(&im);
		if (r) {
			fprintf(stderr, "parkline inspect train: %s: %s\n", files[i], why);
			goto out;
		}
	}
	if (vis_anomaly_trainer_finish(tr, &m, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect train: %s\n", why);
		goto out;
	}
	if (vis_anomaly_model_save(m, model)) {
		fprintf(stderr, "parkline inspect train: cannot write %s: %s\n", model,
			strerror(errno));
		goto out;
	}
	vis_anomaly_model_info(m, &info);
	printf("model: %s\nimages: %u good, %ux%u px, grid %ux%u\n"
	       "threshold: %.4f (target FRR %.4g, leave-one-out FRR %.4g)\n",
	       model, info.n_train, info.img_w, info.img_h, info.grid_w, info.grid_h,
	       info.threshold, info.target_frr, info.loo_frr);
	rc = 0;
out:
	vis_anomaly_model_free(m);
	vis_anomaly_trainer_free(tr);
	free_list(files, n);
	return rc;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Reads "image,label" lines (a header line whose label is not 0/1 is
 * skipped; blank lines too) and sets labels[i] for the images named, by
 * the path as given or by file name; -1 for images not in the file.
 * Returns 0, or PL_EIO / PL_EPARSE with a message printed. */
static int read_labels(const char *path, char **imgs, size_t n, int *labels)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned lineno = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		labels[i] = -1;
	if (!f) {
		fprintf(stderr, "parkline inspect score: %s: %s\n", path, strerror(errno));
		return PL_EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			fprintf(stderr, "parkline inspect score: %s:%u: line too long\n", path, lineno);
			rc = PL_EPARSE;
			goto out;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		char *comma = strrchr(line, ',');
		if (!comma || (strcmp(comma + 1, "0") && strcmp(comma + 1, "1"))) {
			if (lineno == 1)
				continue; /* header */
			fprintf(stderr, "parkline inspect score: %s:%u: want image,0 or image,1\n",
				path, lineno);
			rc = PL_EPARSE;
			goto out;
		}
		*comma = '\0';
		int lab = comma[1] - '0';
		for (size_t i = 0; i < n; i++)
			if (!strcmp(imgs[i], line) || !strcmp(base_name(imgs[i]), base_name(line)))
				labels[i] = lab;
	}
out:
	fclose(f);
	return rc;
}

static int cmd_score(const char *model, const char *heatdir, const char *labpath, char **imgs,
		     size_t n)
{
	struct vis_anomaly_model *m = NULL;
	char why[256];
	double *scores = pl_calloc(n, sizeof(double));
	int *labels = pl_calloc(n, sizeof(int));
	bool *ok = pl_calloc(n, sizeof(bool));
	int rc = 1, unreadable = 0;

	if (vis_anomaly_model_load(model, &m, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect score: %s: %s\n", model, why);
		goto out;
	}
	if (labpath && read_labels(labpath, imgs, n, labels))
		goto out;
	if (heatdir && mkdir(heatdir, 0777) && errno != EEXIST) {
		fprintf(stderr, "parkline inspect score: cannot create %s: %s\n", heatdir,
			strerror(errno));
		goto out;
	}
	printf("image\tscore\tverdict\n");
	for (size_t i = 0; i < n; i++) {
		struct vis_image im;
		uint8_t *heat = NULL;
		bool bad;
		int r = vis_decode_file(imgs[i], NULL, &im, why, sizeof(why));
		if (!r)
			r = vis_anomaly_score(m, &im, &scores[i], &bad, heatdir ? &heat : NULL, why,
					      sizeof(why));
		if (r) {
			printf("%s\t-\tuninspectable\t%s\n", imgs[i], why);
			unreadable++;
			vis_image_release(&im);
			continue;
		}
		ok[i] = true;
		printf("%s\t%.4f\t%s\n", imgs[i], scores[i], bad ? "reject" : "accept");
		if (heat) {
			char out[4096];
			snprintf(out, sizeof(out), "%s/%s.heat.png", heatdir, base_name(imgs[i]));
			if (vis_png_write(out, heat, im.w, im.h, 3, 3)) {
				fprintf(stderr, "parkline inspect score: cannot write %s\n", out);
				free(heat);
				vis_image_release(&im);
				goto out;
			}
			free(heat);
		}
		vis_image_release(&im);
	}
	if (labpath) {
		/* only images that were scored and labelled */
		size_t k = 0, npos = 0, unl = 0;
		for (size_t i = 0; i < n; i++) {
			if (ok[i] && labels[i] >= 0) {
				scores[k] = scores[i];
				labels[k] = labels[i];
				npos += labels[k] == 1;
				k++;
			} else if (ok[i]) {
				unl++;
			}
		}
		double auc;
		if (vis_anomaly_auroc(scores, labels, k, &auc)) {
			printf("AUROC: n/a (%zu labelled images, %zu defective: both classes needed)\n",
			       k, npos);
		} else {
			printf("AUROC: %.4f (%zu images: %zu defective, %zu good", auc, k, npos,
			       k - npos);
			if (unl)
				printf("; %zu unlabelled left out", unl);
			printf(")\n");
		}
	}
	rc = unreadable ? 4 : 0;
out:
	vis_anomaly_model_free(m);
	free(ok);
	free(labels);
	free(scores);
	return rc;
}

/* Writes the demo set: good/good-NNNN.png, test/{good,spot,scratch,nocap}-
 * NNNN.png and test/labels.csv. Test defects cycle through the 3 kinds. */
static int cmd_bottles(const char *dir, int64_t ngood, int64_t nbad, int64_t seed, int64_t size)
{
	static const char *const kind[] = { "good", "spot", "scratch", "nocap" };
	char path[4096];
	FILE *lab = NULL;
	int rc = 1;

	snprintf(path, sizeof(path), "%s/good", dir);
	if ((mkdir(dir, 0777) && errno != EEXIST) || (mkdir(path, 0777) && errno != EEXIST))
		goto fail;
	snprintf(path, sizeof(path), "%s/test", dir);
	if (mkdir(path, 0777) && errno != EEXIST)
		goto fail;
	snprintf(path, sizeof(path), "%s/test/labels.csv", dir);
	lab = fopen(path, "w");
	if (!lab)
		goto fail;
	fputs("image,label\n", lab);
	/* training goods, then a test set of ngood goods and nbad defects, all
	 * from distinct seeds */
	int64_t total = ngood + ngood + nbad;
	for (int64_t i = 0; i < total; i++) {
		struct vis_image im;
		int defect = 0;
		bool train = i < ngood;
		if (!train && i >= 2 * ngood)
			defect = 1 + (int)((i - 2 * ngood) % 3);
		uint64_t s = (uint64_t)seed * 1000003u + (uint64_t)i;
		if (vis_anomaly_demo_bottle(s, defect, (uint32_t)size, &im))
			goto fail;
		if (train)
			snprintf(path, sizeof(path), "%s/good/good-%04lld.png", dir, (long long)i);
		else
			snprintf(path, sizeof(path), "%s/test/%s-%04lld.png", dir, kind[defect],
				 (long long)i);
		int w = vis_png_write(path, im.px, im.w, im.h, 1, 3);
		vis_image_release(&im);
		if (w)
			goto fail;
		if (!train)
			fprintf(lab, "%s,%d\n", base_name(path), defect ? 1 : 0);
	}
	if (fclose(lab)) {
		lab = NULL;
		goto fail;
	}
	lab = NULL;
	printf("wrote %lld training and %lld test images under %s\n", (long long)ngood,
	       (long long)(ngood + nbad), dir);
	return 0;
fail:
	fprintf(stderr, "parkline inspect bottles: cannot write %s: %s\n", path, strerror(errno));
	if (lab)
		fclose(lab);
	return rc;
}

int cli_inspect_anomaly(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *sub = argv[1], *good = NULL, *model = NULL, *heat = NULL, *labels = NULL;
	const char *out = NULL;
	double frr = 0.01;
	int64_t ngood = 40, nbad = 30, seed = 1, size = 256;
	char **pos = pl_calloc((size_t)argc, sizeof(char *));
	size_t npos = 0;
	int rc;

	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(anom_usage, stdout);
			rc = 0;
			goto out;
		}
		if (a[0] != '-' || !a[1]) {
			pos[npos++] = argv[i];
			continue;
		}
		if (!v) {
			rc = AUSAGE("%s needs a value", a);
			goto out;
		}
		i++;
		if (!strcmp(a, "--good") && !strcmp(sub, "train"))
			good = v;
		else if (!strcmp(a, "--good") && !strcmp(sub, "bottles")) {
			if (pl_parse_i64(v, 5, 10000, &ngood)) {
				rc = AUSAGE("--good wants 5..10000");
				goto out;
			}
		} else if (!strcmp(a, "--bad")) {
			if (pl_parse_i64(v, 0, 10000, &nbad)) {
				rc = AUSAGE("--bad wants 0..10000");
				goto out;
			}
		} else if (!strcmp(a, "--seed")) {
			if (pl_parse_i64(v, 0, INT64_MAX / 2000000, &seed)) {
				rc = AUSAGE("--seed wants a non-negative integer");
				goto out;
			}
		} else if (!strcmp(a, "--size")) {
			if (pl_parse_i64(v, 32, 2048, &size)) {
				rc = AUSAGE("--size wants 32..2048");
				goto out;
			}
		} else if (!strcmp(a, "--model"))
			model = v;
		else if (!strcmp(a, "--target-frr")) {
			if (cli_parse_double(v, 1e-6, 0.5, &frr)) {
				rc = AUSAGE("--target-frr wants a rate in (0, 0.5]");
				goto out;
			}
		} else if (!strcmp(a, "--heatmap"))
			heat = v;
		else if (!strcmp(a, "--labels"))
			labels = v;
		else if (!strcmp(a, "--out"))
			out = v;
		else {
			rc = AUSAGE("unknown option %s for %s", a, sub);
			goto out;
		}
	}
	if (!strcmp(sub, "train")) {
		if (!good || !model || npos) {
			rc = AUSAGE("train needs --good DIR and --model FILE");
			goto out;
		}
		rc = cmd_train(good, model, frr);
	} else if (!strcmp(sub, "score")) {
		if (!model || !npos) {
			rc = AUSAGE("score needs --model FILE and at least one image");
			goto out;
		}
		rc = cmd_score(model, heat, labels, pos, npos);
	} else {
		if (!out || npos) {
			rc = AUSAGE("bottles needs --out DIR");
			goto out;
		}
		rc = cmd_bottles(out, ngood, nbad, seed, size);
	}
out:
	free(pos);
	return rc;
}
