/*
 * fuzz_vis_config.c - libFuzzer target for the unit manifest's product
 * description (product.json -> vis_config_from_json, src/vision/config.c),
 * which `parkline inspect` reads from disk.
 *
 * Properties: an accepted configuration passes vis_config_check, can build
 * an inspection context (whose scratch size it bounds), and survives
 * to_json/from_json unchanged; a rejected one says why.
 */
#include "vision/vision.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_json_error err;
	struct vis_config c, back;
	json_t *j = NULL, *again = NULL;

	if (size > 4096)
		return 0;
	if (pl_json_parse((const char *)data, size, PL_JSON_DEPTH_MAX, &j, &err))
		return 0;
	if (vis_config_from_json(j, &c, &err) == 0) {
		FUZZ_CHECK(vis_config_check(&c, NULL, 0) == 0);
		/* building a context allocates w*h planes: only for small frames */
		if ((uint64_t)c.width * c.height <= (1u << 20)) {
			struct vis_ctx *x = vis_ctx_new(&c, NULL, 0);
			FUZZ_CHECK(x != NULL);
			vis_ctx_free(x);
		}
		again = vis_config_to_json(&c);
		FUZZ_CHECK(vis_config_from_json(again, &back, &err) == 0);
		FUZZ_CHECK(memcmp(&c, &back, sizeof(c)) == 0);
	} else {
		FUZZ_CHECK(err.text[0] != '\0');
	}
	json_decref(again);
	json_decref(j);
	return 0;
}
