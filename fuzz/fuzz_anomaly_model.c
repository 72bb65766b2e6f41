/*
 * fuzz_anomaly_model.c - libFuzzer target for vis_anomaly_model_load_mem
 * (src/vision/anomaly.c): a model file is read from disk by `parkline
 * inspect score` and decides whether product passes, so a damaged or
 * hostile one must be refused, never half-loaded.
 *
 * Each input is tried twice: as it is, and with its last four bytes
 * replaced by the correct CRC-32 (computed here, the same IEEE polynomial
 * the format uses), so the fuzzer also reaches the value checks behind the
 * checksum instead of stopping at it.
 *
 * Properties beyond "no crash, no sanitizer report, no leak":
 *   - failure leaves *out NULL, always says why, with a documented code;
 *   - success re-serialises to exactly the input bytes (one canonical form,
 *     nothing accepted that the writer would not have written);
 *   - a loaded model has a finite threshold and scores a flat image of its
 *     size (when that size is small) to a finite, non-negative score.
 */
#include "vision/vision.h"
#include "vision/vision_int.h" /* vis__crc32: the files' own checksum */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void one(const uint8_t *data, size_t size)
{
	struct vis_anomaly_model *m = (void *)1;
	char why[200] = "";
	int rc = vis_anomaly_model_load_mem(data, size, &m, why, sizeof(why));
	if (rc) {
		FUZZ_CHECK(m == NULL);
		FUZZ_CHECK(why[0] != '\0');
		FUZZ_CHECK(rc == PL_EPARSE || rc == PL_ETOOBIG || rc == PL_EUNSUPPORTED);
		return;
	}
	FUZZ_CHECK(m != NULL);
	uint8_t *buf;
	size_t len;
	FUZZ_CHECK(vis_anomaly_model_save_mem(m, &buf, &len) == 0);
	FUZZ_CHECK(len == size && memcmp(buf, data, len) == 0);
	free(buf);
	struct vis_anomaly_info in;
	vis_anomaly_model_info(m, &in);
	FUZZ_CHECK(isfinite(in.threshold) && in.threshold >= 0);
	if ((size_t)in.img_w * in.img_h <= 256 * 256) {
		struct vis_image im;
		double s;
		bool bad;
		uint8_t *heat = NULL;
		FUZZ_CHECK(vis_image_alloc(&im, in.img_w, in.img_h) == 0);
		memset(im.px, 120, (size_t)im.w * im.h);
		FUZZ_CHECK(vis_anomaly_score(m, &im, &s, &bad, &heat, NULL, 0) == 0);
		FUZZ_CHECK(s >= 0 && !isnan(s) && heat != NULL);
		free(heat);
		vis_image_release(&im);
	}
	vis_anomaly_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > VIS_ANOM_FILE_MAX + 16)
		return 0;
	one(data, size);
	if (size >= 8) {
		uint8_t *cp = malloc(size);
		memcpy(cp, data, size);
		uint32_t c = vis__crc32(cp, size - 4);
		for (int i = 0; i < 4; i++)
			cp[size - 4 + i] = (uint8_t)(c >> (8 * i));
		one(cp, size);
		free(cp);
	}
	return 0;
}
