/*
 * fuzz_desk_uscc.c - libFuzzer target for desk_uscc_validate
 * (src/desk/uscc.c), which checks every 统一社会信用代码 an enterprise
 * form or import sends.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. the result and the reported check agree (0 <=> DESK_USCC_OK), and
 *      a failure says something and points inside the code;
 *   2. a valid code rebuilt from its parts by desk_uscc_make is the same
 *      code (the two check characters are recomputed, not copied).
 */
#include "desk/desk.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char code[64];
	struct desk_uscc_error err;
	int rc;

	if (size >= sizeof(code))
		size = sizeof(code) - 1;
	memcpy(code, data, size);
	code[size] = '\0';
	rc = desk_uscc_validate(code, &err);
	FUZZ_CHECK((rc == 0) == (err.check == DESK_USCC_OK));
	if (rc) {
		FUZZ_CHECK(rc == PL_EINVAL);
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(err.pos >= 0 && err.pos <= DESK_USCC_LEN);
		return 0;
	}
	char region[7], org[9], out[DESK_USCC_LEN + 1];
	memcpy(region, code + 2, 6);
	region[6] = '\0';
	memcpy(org, code + 8, 8);
	org[8] = '\0';
	FUZZ_CHECK(desk_uscc_make(code[0], code[1], region, org, out, &err) == 0);
	FUZZ_CHECK(memcmp(out, code, DESK_USCC_LEN + 1) == 0);
	return 0;
}
