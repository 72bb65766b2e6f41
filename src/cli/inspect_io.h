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

#endif
