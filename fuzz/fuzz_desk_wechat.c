/*
 * fuzz_desk_wechat.c - libFuzzer target for the WeChat callback's input
 * paths (src/desk/wechat.c): desk_wechat_parse on the POST body and
 * desk_wechat_decrypt on an <Encrypt> text or encrypted echostr.
 *
 * Properties checked beyond "no crash, no sanitizer report":
 *   1. a rejected body leaves the message empty and says why;
 *   2. an accepted body is an envelope (has <Encrypt>) or has a dedupe key;
 *   3. decryption either fails or returns exactly *len bytes plus a NUL,
 *      and re-encrypting that message opens to the same bytes.
 * Inputs starting with 'X' go to the XML parser, others to decryption.
 */
#include "desk/desk.h"

#include <libxml/parser.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser(); /* once, as the daemon's main does */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct desk_wechat_crypto c;
	char err[200], key[300];

	FUZZ_CHECK(desk_wechat_crypto_init(&c, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
					   "wxb11529c136998cb6") == 0);
	if (size > 0 && data[0] == 'X') {
		struct desk_wechat_msg m;
		int rc = desk_wechat_parse((const char *)data + 1, size - 1, &m, err, sizeof(err));
		if (rc) {
			FUZZ_CHECK(err[0] != '\0');
			FUZZ_CHECK(!m.to_user && !m.encrypt && !m.content && !m.has_msg_id);
			return 0;
		}
		FUZZ_CHECK(m.encrypt || desk_wechat_dedupe_key(&m, key, sizeof(key)) != PL_EINVAL);
		desk_wechat_msg_release(&m);
		return 0;
	}
	char *b64 = pl_strndup((const char *)data, size), *msg = NULL, *enc = NULL, *back = NULL;
	size_t len = 0, blen = 0;
	if (desk_wechat_decrypt(&c, b64, &msg, &len) == 0) {
		static const uint8_t rnd[16] = "0123456789abcdef";
		FUZZ_CHECK(msg[len] == '\0');
		FUZZ_CHECK(desk_wechat_encrypt(&c, rnd, msg, len, &enc) == 0);
		FUZZ_CHECK(desk_wechat_decrypt(&c, enc, &back, &blen) == 0);
		FUZZ_CHECK(blen == len && memcmp(back, msg, len) == 0);
	}
	free(back);
	free(enc);
	free(msg);
	free(b64);
	return 0;
}
