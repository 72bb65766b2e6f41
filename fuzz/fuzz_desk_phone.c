/*
 * fuzz_desk_phone.c - libFuzzer target for desk_phone_normalize
 * (src/desk/phone.c), which reads every phone number a form sends.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. an accepted number is "+" and 8..15 digits, and normalising it
 *      again gives the same string;
 *   2. a refused number says why.
 */
#include "desk/desk.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[128], out[DESK_PHONE_MAX], again[DESK_PHONE_MAX], why[160] = "";

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	if (desk_phone_normalize(in, out, why, sizeof(why))) {
		FUZZ_CHECK(why[0] != '\0');
		return 0;
	}
	size_t n = strlen(out);
	FUZZ_CHECK(out[0] == '+' && n >= 9 && n <= 16);
	for (size_t i = 1; i < n; i++)
		FUZZ_CHECK(out[i] >= '0' && out[i] <= '9');
	FUZZ_CHECK(desk_phone_normalize(out, again, why, sizeof(why)) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
	return 0;
}
