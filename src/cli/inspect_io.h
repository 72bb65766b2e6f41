/*
 * inspect_io.h - reading what the inspection commands inspect, shared by
 * `parkline inspect` (inspect.c) and the line-side node `parkline inspect
 * run` (inspect_run.c): the product configuration and a unit's frames, so
 * that both read a unit directory in exactly the same way.
 */
#ifndef PL_CLI_INSPECT_IO_H
#define PL_CLI_INSPECT_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "vision/vision.h"

/* Fills cfg with the defaults, then with product.json at path. must false:
 * a missing file leaves the defaults and returns 0. A file that does not
 * parse or validate prints "<prog>: <path>: <reason>" to stderr and returns
 * nonzero. */
int cli_vis_load_product(const char *prog, const char *path, struct vis_config *cfg, bool must);

/* Decodes the cfg->views x cfg->frames frames of unit directory dir
 * (vVV-fF.png, .jpg or .pgm, first found) into frames[v * cfg->frames + f];
 * the first missing or undecodable frame marks res uninspectable for its
 * view with the reason and returns nonzero. The caller releases every
 * entry of frames[] either way. first_mtime_ms (NULL: not wanted) gets
 * frame v00-f0's mtime in ms. */
int cli_vis_load_unit(const char *dir, const struct vis_config *cfg, struct vis_image *frames,
		      struct vis_result *res, int64_t *first_mtime_ms);

/* Loads the golden model at path (--golden) for product cfg: prints
 * "<prog>: <path>: <reason>" and returns nonzero when it does not load or
 * was learnt for another product. The caller owns *out (vis_golden_free). */
int cli_vis_load_golden(const char *prog, const char *path, const struct vis_config *cfg,
			struct vis_golden **out);

/* fsync(2) of a file or (dir) a directory by path: 0 or PL_EIO. The node
 * and the camera feeder use it for their rename-based commits. */
int cli_vis_fsync(const char *path, bool dir);

/* Cameras for `inspect run --camera` (inspect_cam.c). cli_cams_open opens
 * every id of the comma-separated list ("first": the first camera found)
 * at the product's frame size through sys, with exposure_us (0: keep) and
 * timeout_ms per frame; one camera, or one per view. On failure why says
 * which camera and why; nothing stays open. The caller owns *out
 * (cli_cams_free, before vis_cam_sys_free). */
struct cli_cams;
int cli_cams_open(struct vis_cam_sys *sys, const char *list, const struct vis_config *cfg,
		  double exposure_us, unsigned timeout_ms, struct cli_cams **out, char *why,
		  size_t whysz);
size_t cli_cams_count(const struct cli_cams *c);
void cli_cams_free(struct cli_cams *c);
/* Grabs one unit and commits it as INBOX/NAME (frames vVV-fF.pgm, or only
 * camera-error.txt when the grab failed), fsync'd, through a rename from
 * INBOX/.partial-NAME. Returns 0 when the unit was committed, with *cam_rc
 * the grab's result (nonzero: the unit holds camera-error.txt and why says
 * what failed); PL_EIO when the unit could not be written (nothing
 * committed; why says where). One thread at a time. */
int cli_cams_grab_unit(struct cli_cams *c, const char *inbox, const char *name, int *cam_rc,
		       char *why, size_t whysz);

#endif
