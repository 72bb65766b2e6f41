/*
 * fuzz_desk_attach.c - libFuzzer target for the attachment content checks
 * (src/desk/attach.c): desk_attach_sniff and desk_attach_check read every
 * uploaded file and the name and type that come with it.
 *
 * Input layout: the first line (up to '\n') is "<filename>\t<declared
 * type>", the rest is the file. Properties checked beyond "no crash, no
 * sanitizer report":
 *   1. an accepted file's type is the sniffed type, which is one of ours;
 *   2. a refused file says why, and gets no type;
 *   3. a sniffed "text/plain" file has no NUL byte (the content rule).
 */
#include "desk/desk.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256] = "", declared[128] = "", why[200] = "";
	const uint8_t *nl = memchr(data, '\n', size < 300 ? size : 300);
	const uint8_t *body = data;
	size_t blen = size;
	const char *type = NULL;

	if (nl) {
		size_t hl = (size_t)(nl - data);
		const uint8_t *tab = memchr(data, '\t', hl);
		size_t raw = tab ? (size_t)(tab - data) : hl, nlen = raw;
		if (nlen >= sizeof(name))
			nlen = sizeof(name) - 1;
		memcpy(name, data, nlen);
		name[nlen] = '\0';
		if (tab) {
			size_t dl = hl - raw - 1;
			if (dl >= sizeof(declared))
				dl = sizeof(declared) - 1;
			memcpy(declared, tab + 1, dl);
			declared[dl] = '\0';
		}
		body = nl + 1;
		blen = size - hl - 1;
	}
	/* names with an embedded NUL are cut there, as a C string would be */
	const char *sniffed = desk_attach_sniff(body, blen);
	if (sniffed && !strcmp(sniffed, "text/plain"))
		FUZZ_CHECK(memchr(body, '\0', blen) == NULL);
	int rc = desk_attach_check(name, declared, body, blen, &type, why, sizeof(why));
	if (rc == 0) {
		FUZZ_CHECK(type != NULL && sniffed != NULL && !strcmp(type, sniffed));
	} else {
		FUZZ_CHECK(type == NULL);
		FUZZ_CHECK(why[0] != '\0');
	}
	return 0;
}
