/*
 * fuzz_vis_golden.c - libFuzzer target for vis_golden_load_mem
 * (src/vision/golden.c): a golden model file is read from disk by
 * `parkline inspect ... --golden FILE` and decides which static marks
 * reject product, so a damaged or hostile one must be refused, never
 * half-loaded.
 *
 * Each input is tried twice: as it is, and with its last four bytes
 * replaced by the correct CRC-32 (the format's IEEE polynomial, computed
 * here), so the fuzzer also reaches the checks behind the checksum.
 *
 * Properties beyond "no crash, no sanitizer report, no leak":
 *   - failure leaves *out NULL, always says why, with a documented code;
 *   - success re-serialises to exactly the input bytes (one canonical form);
 *   - a loaded model's facts are in range (k, spread median, grid).
 */
#include "vision/vision.h"
#include "vision/vision_int.h" /* vis__crc32: the files' own checksum */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void one(const uint8_t *data, size_t size)
{
	struct vis_golden *m = (void *)1;
	char why[300] = "";
	int rc = vis_golden_load_mem(data, size, &m, why, sizeof(why));
	if (rc) {
		FUZZ_CHECK(m == NULL);
		FUZZ_CHECK(why[0] != '\0');
		FUZZ_CHECK(rc == PL_EPARSE || rc == PL_ETOOBIG || rc == PL_EUNSUPPORTED);
		return;
	}
	FUZZ_CHECK(m != NULL);
	uint8_t *buf;
	size_t len;
	FUZZ_CHECK(vis_golden_save_mem(m, &buf, &len) == 0);
	FUZZ_CHECK(len == size && memcmp(buf, data, len) == 0);
	free(buf);
	struct vis_golden_info in;
	vis_golden_info(m, &in);
	FUZZ_CHECK(in.k_sigma >= 3 && in.k_sigma <= 50);
	FUZZ_CHECK(in.spread_median >= 1 && in.spread_median <= 128);
	FUZZ_CHECK(in.views >= 1 && in.views <= VIS_VIEWS_MAX && in.grid_w >= 1 && in.grid_h >= 1);
	vis_golden_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* real models are megabytes; the parser's paths are all reached by
	 * small ones, and a cap keeps each run fast */
	if (size > (1u << 16))
		return 0;
	one(data, size);
	if (size >= 4) {
		uint8_t *c = malloc(size);
		memcpy(c, data, size);
		uint32_t crc = vis__crc32(c, size - 4);
		for (int i = 0; i < 4; i++)
			c[size - 4 + i] = (uint8_t)(crc >> (8 * i));
		one(c, size);
		free(c);
	}
	return 0;
}
