/*
 * inspect_io.c - the product configuration and unit frames as both
 * inspection commands read them (see inspect_io.h). No state: everything
 * decoded belongs to the caller's arrays.
 */
#include "cli/inspect_io.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_vis_fsync(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	int rc = 0;
	if (fd < 0)
		return PL_EIO;
	if (fsync(fd))
		rc = PL_EIO;
	close(fd);
	return rc;
}

int cli_vis_load_product(const char *prog, const char *path, struct vis_config *cfg, bool must)
{
	json_error_t jerr;
	struct pl_json_error perr;
	json_t *j;
	int rc;

	vis_config_default(cfg);
	if (!must) {
		struct stat st;
		if (stat(path, &st))
			return 0;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		fprintf(stderr, "%s: %s:%d: %s\n", prog, path, jerr.line, jerr.text);
		return PL_EPARSE;
	}
	rc = vis_config_from_json(j, cfg, &perr);
	if (rc)
		fprintf(stderr, "%s: %s: %s\n", prog, path, perr.text);
	json_decref(j);
	return rc;
}

int cli_vis_load_golden(const char *prog, const char *path, const struct vis_config *cfg,
			struct vis_golden **out)
{
	char why[400];
	struct vis_ctx *ctx = NULL;
	int rc = vis_golden_load(path, out, why, sizeof(why));
	if (rc)
		goto out;
	/* the context's own check says whether the model fits this product */
	ctx = vis_ctx_new(cfg, why, sizeof(why));
	rc = ctx ? vis_ctx_set_golden(ctx, *out, why, sizeof(why)) : PL_EINVAL;
	if (rc) {
		vis_golden_free(*out);
		*out = NULL;
	}
out:
	if (rc && !strncmp(why, path, strlen(path))) /* the reason names the file */
		fprintf(stderr, "%s: %s\n", prog, why);
	else if (rc)
		fprintf(stderr, "%s: %s: %s\n", prog, path, why);
	vis_ctx_free(ctx);
	return rc;
}

int cli_vis_load_unit(const char *dir, const struct vis_config *cfg, struct vis_image *frames,
		      struct vis_result *res, int64_t *first_mtime_ms)
{
	static const char *const exts[] = { "png", "jpg", "pgm" };
	struct vis_decode_limits lim = { cfg->width, cfg->height, cfg->width, cfg->height };
	/* the node's inbox paths are longer than PATH_MAX-ish unit dirs */
	char path[4400], why[200], msg[300];
	for (unsigned v = 0; v < cfg->views; v++)
		for (unsigned f = 0; f < cfg->frames; f++) {
			struct vis_image *im = &frames[v * cfg->frames + f];
			int rc = PL_ENOTFOUND;
			for (size_t e = 0; e < 3 && rc == PL_ENOTFOUND; e++) {
				struct stat st;
				snprintf(path, sizeof(path), "%s/v%02u-f%u.%s", dir, v, f, exts[e]);
				if (stat(path, &st))
					continue;
				if (v == 0 && f == 0 && first_mtime_ms)
					*first_mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 +
							  st.st_mtim.tv_nsec / 1000000;
				rc = vis_decode_file(path, &lim, im, why, sizeof(why));
			}
			if (rc == PL_ENOTFOUND) {
				snprintf(msg, sizeof(msg), "view %u frame %u: no v%02u-f%u.png/.jpg/.pgm", v,
					 f, v, f);
				vis_result_set_uninspectable(res, (int)v, msg);
				return rc;
			}
			if (rc) {
				snprintf(msg, sizeof(msg), "view %u frame %u: %s", v, f, why);
				vis_result_set_uninspectable(res, (int)v, msg);
				return rc;
			}
		}
	return 0;
}
