/*
 * fuzz_vis_decode.c - libFuzzer target for vis_decode_mem (src/vision/
 * decode.c): every camera frame read from a file goes through it, PNG via
 * libspng, JPEG via libturbojpeg, binary PGM via our own header parser.
 *
 * Properties beyond "no crash, no sanitizer report, no leak":
 *   - success yields a plane within the caller's caps (here 256 x 256) with
 *     pixels, stride == width; every pixel is readable (summed);
 *   - failure leaves no image behind and always says why, with one of the
 *     documented codes;
 *   - the same bytes decode the same way twice (no hidden state).
 */
#include "vision/vision.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vis_decode_limits lim = { 256, 256, 0, 0 };
	struct vis_image a, b;
	char why[200];
	int rc, rc2;

	if (size > (1u << 20))
		return 0;
	rc = vis_decode_mem(data, size, &lim, &a, why, sizeof(why));
	if (rc == 0) {
		FUZZ_CHECK(a.px != NULL);
		FUZZ_CHECK(a.w >= 1 && a.w <= 256 && a.h >= 1 && a.h <= 256);
		FUZZ_CHECK(a.stride == a.w);
		unsigned sum = 0;
		for (size_t i = 0; i < (size_t)a.w * a.h; i++)
			sum += a.px[i];
		rc2 = vis_decode_mem(data, size, &lim, &b, NULL, 0);
		FUZZ_CHECK(rc2 == 0 && b.w == a.w && b.h == a.h);
		FUZZ_CHECK(memcmp(a.px, b.px, (size_t)a.w * a.h) == 0);
		(void)sum;
		vis_image_release(&b);
	} else {
		FUZZ_CHECK(a.px == NULL);
		FUZZ_CHECK(why[0] != '\0');
		FUZZ_CHECK(rc == PL_EPARSE || rc == PL_ETOOBIG || rc == PL_EINVAL ||
			   rc == PL_EUNSUPPORTED);
	}
	vis_image_release(&a);
	return 0;
}
