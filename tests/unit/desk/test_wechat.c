/* test_wechat.c - the WeChat callback: the published vectors
 * (shared/data/wechat/vectors.tsv, and the copy next to this file), the
 * encrypted-mode signature, every way a ciphertext can be forged or broken
 * (crafted with OpenSSL directly, not with the code under test), the
 * message XML table, and one whole safe-mode message end to end. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include "desk/desk.h"

/* ------------------------------------------------------------- vectors */

#define VMAX 16
struct vcase {
	char name[64];
	char key[12][32];
	char val[12][256];
	int n;
};

static const char *vget(const struct vcase *c, const char *k)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->key[i], k) == 0)
			return c->val[i];
	return NULL;
}

/* Reads the long-format TSV into cases; returns how many. */
static int vload(const char *path, struct vcase *cs)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *c, *k, *v;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		c = strtok_r(line, "\t", &save);
		k = strtok_r(NULL, "\t", &save);
		v = strtok_r(NULL, "", &save);
		cr_assert(c && k && v, "%s: bad line", path);
		if (n == 0 || strcmp(cs[n - 1].name, c) != 0) {
			cr_assert_lt(n, VMAX);
			memset(&cs[n], 0, sizeof(cs[n]));
			pl_strlcpy(cs[n].name, c, sizeof(cs[n].name));
			n++;
		}
		struct vcase *cur = &cs[n - 1];
		cr_assert_lt(cur->n, 12);
		pl_strlcpy(cur->key[cur->n], k, sizeof(cur->key[0]));
		pl_strlcpy(cur->val[cur->n], v, sizeof(cur->val[0]));
		cur->n++;
	}
	fclose(f);
	return n;
}

static void run_vectors(const char *path, bool required)
{
	static struct vcase cs[VMAX];
	int n = vload(path, cs), ran = 0;

	if (n < 0) {
		cr_assert(!required, "cannot read %s", path);
		return;
	}
	for (int i = 0; i < n; i++) {
		const struct vcase *c = &cs[i];
		const char *kind = vget(c, "kind");
		cr_assert(kind, "%s: no kind", c->name);
		if (strcmp(kind, "plain_signature") == 0) {
			int rc = desk_wechat_verify(vget(c, "token"), vget(c, "timestamp"),
						    vget(c, "nonce"), NULL, vget(c, "signature"));
			bool valid = strcmp(vget(c, "expect"), "valid") == 0;
			cr_expect_eq(rc, valid ? 0 : PL_EAUTH, "%s: rc %d", c->name, rc);
			ran++;
		} else if (strcmp(kind, "aes_encrypt") == 0) {
			struct desk_wechat_crypto cr;
			const char *plain = vget(c, "plaintext");
			char *enc = NULL, *dec = NULL;
			size_t dlen;
			cr_assert_eq(desk_wechat_crypto_init(&cr, vget(c, "encoding_aes_key"),
							     vget(c, "receive_id")), 0, "%s", c->name);
			cr_assert_eq(strlen(vget(c, "random")), 16u);
			cr_assert_eq(desk_wechat_encrypt(&cr, (const uint8_t *)vget(c, "random"), plain,
							 strlen(plain), &enc), 0);
			cr_expect_str_eq(enc, vget(c, "encrypt"), "%s: encrypt", c->name);
			cr_assert_eq(desk_wechat_decrypt(&cr, vget(c, "encrypt"), &dec, &dlen), 0,
				     "%s: decrypt", c->name);
			cr_expect_str_eq(dec, plain, "%s: decrypt", c->name);
			cr_expect_eq(dlen, strlen(plain));
			free(enc);
			free(dec);
			ran++;
		} else {
			cr_assert_fail("%s: unknown kind %s", c->name, kind);
		}
	}
	cr_expect_eq(ran, n);
	cr_expect_geq(ran, 3, "%s: too few cases", path);
}

static void root_path(char *out, size_t n, const char *rel)
{
	const char *root = getenv("PL_ROOT");
	snprintf(out, n, "%s/%s", root ? root : ".", rel);
}

Test(desk_wechat, vectors)
{
	char p[512];
	root_path(p, sizeof(p), "tests/unit/desk/wechat_vectors.tsv");
	run_vectors(p, true);
	/* The shared original, when this checkout sits next to it. */
	root_path(p, sizeof(p), "../shared/data/wechat/vectors.tsv");
	run_vectors(p, false);
}

/* --------------------------------------------------------- signatures */

#define VKEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define VID "wxb11529c136998cb6"
#define VENC "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="

struct sig_case {
	const char *token, *ts, *nonce, *enc, *sig;
	int rc;
};
static const struct sig_case sig_cases[] = {
	/* msg_signature over four strings (expected value from Python's hashlib). */
	{ "pamtest", "1409304348", "xxxxxx", VENC, "82c962d39941aa48552f90ef55aa323dc620cc10", 0 },
	{ "pamtest", "1409304348", "xxxxxy", VENC, "82c962d39941aa48552f90ef55aa323dc620cc10", PL_EAUTH },
	{ "pamtest", "1409304348", "xxxxxx", NULL, "82c962d39941aa48552f90ef55aa323dc620cc10", PL_EAUTH },
	{ "test", "1410685589", "test", NULL, "F21891DE399B4E33A1A93C9A7B8A8FFFB5A443FF", PL_EAUTH },
	{ "test", "1410685589", "test", NULL, "f21891de399b4e33a1a93c9a7b8a8fffb5a443f", PL_EAUTH },
	{ "test", "1410685589", "test", NULL, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff0", PL_EAUTH },
	{ "test", "1410685589", "test", NULL, "", PL_EAUTH },
	{ "test", "1410685589", "test", NULL, NULL, PL_EAUTH },
	{ NULL, "1410685589", "test", NULL, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", PL_EINVAL },
};

Test(desk_wechat, signatures)
{
	for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++) {
		const struct sig_case *c = &sig_cases[i];
		int rc = desk_wechat_verify(c->token, c->ts, c->nonce, c->enc, c->sig);
		cr_expect_eq(rc, c->rc, "case %zu: rc %d", i, rc);
	}
	char s[DESK_WECHAT_SIG_LEN + 1];
	cr_assert_eq(desk_wechat_sign("b", "a", "c", NULL, s), 0);
	char t[DESK_WECHAT_SIG_LEN + 1];
	cr_assert_eq(desk_wechat_sign("c", "b", "a", NULL, t), 0);
	cr_expect_str_eq(s, t, "order of the parts does not matter");
	/* sha1("abc") */
	cr_expect_str_eq(s, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

/* --------------------------------------------------------------- crypto */

Test(desk_wechat, crypto_init_errors)
{
	struct desk_wechat_crypto c;
	char longid[DESK_WECHAT_ID_MAX + 2];
	memset(longid, 'w', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	cr_expect_eq(desk_wechat_crypto_init(&c, VKEY, VID), 0);
	cr_expect_eq(desk_wechat_crypto_init(&c, VKEY "H", VID), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", VID), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, "abcdefghijklmnopqrstuvwxyz0123456789ABCDE-", VID), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, "abcdefghijklmnopqrstuvwxyz0123456789ABCDE=", VID), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, VKEY, ""), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, VKEY, longid), PL_EINVAL);
	cr_expect_eq(desk_wechat_crypto_init(&c, NULL, VID), PL_EINVAL);
	/* 'G' and 'H' differ only in the two discarded bits: same key. */
	struct desk_wechat_crypto g, h;
	cr_assert_eq(desk_wechat_crypto_init(&g, VKEY, VID), 0);
	cr_assert_eq(desk_wechat_crypto_init(&h, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFH", VID), 0);
	cr_expect(memcmp(g.key, h.key, 32) == 0);
}

/* Encrypts plain[0..n) (already padded) with the vector key using OpenSSL
 * directly, and base64s it: forged messages the code under test did not
 * make. */
static char *raw_encrypt(const uint8_t *plain, size_t n)
{
	struct desk_wechat_crypto c;
	uint8_t out[512];
	int l1 = 0, l2 = 0;
	cr_assert_eq(desk_wechat_crypto_init(&c, VKEY, VID), 0);
	cr_assert_leq(n, sizeof(out));
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	cr_assert(EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, c.key, c.key));
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	cr_assert(EVP_EncryptUpdate(ctx, out, &l1, plain, (int)n));
	cr_assert(EVP_EncryptFinal_ex(ctx, out + l1, &l2));
	EVP_CIPHER_CTX_free(ctx);
	char *b64 = malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, out, (int)(l1 + l2));
	return b64;
}

/* Builds random16 | be32(len_field) | msg | id | pad bytes. */
static size_t build(uint8_t *buf, uint32_t len_field, const char *msg, const char *id,
		    const uint8_t *pad, size_t npad)
{
	size_t n = 0, ml = strlen(msg), il = strlen(id);
	memset(buf, 'r', 16);
	n = 16;
	buf[n++] = (uint8_t)(len_field >> 24);
	buf[n++] = (uint8_t)(len_field >> 16);
	buf[n++] = (uint8_t)(len_field >> 8);
	buf[n++] = (uint8_t)len_field;
	memcpy(buf + n, msg, ml);
	n += ml;
	memcpy(buf + n, id, il);
	n += il;
	memcpy(buf + n, pad, npad);
	return n + npad;
}

Test(desk_wechat, forged_and_broken_ciphertexts)
{
	struct desk_wechat_crypto c, other;
	uint8_t buf[256], pad[40];
	char *msg = NULL;
	size_t len;
	cr_assert_eq(desk_wechat_crypto_init(&c, VKEY, VID), 0);

	/* Sanity: a hand-built valid one opens (16+4+5+18 = 43, pad 21). */
	memset(pad, 21, sizeof(pad));
	size_t n = build(buf, 5, "hello", VID, pad, 21);
	char *b = raw_encrypt(buf, n);
	cr_expect_eq(desk_wechat_decrypt(&c, b, &msg, &len), 0);
	cr_expect_str_eq(msg ? msg : "", "hello");
	free(msg);
	free(b);

	struct {
		const char *why;
		uint32_t len_field;
		const char *id;
		uint8_t padval;
		size_t npad;
		int corrupt; /* index from the end of the pad to set to 0x55, or -1 */
	} bad[] = {
		{ "pad byte 0", 5, VID, 0, 21, -1 },
		{ "pad byte 33 over a 16-byte tail", 5, VID, 33, 37, -1 },
		{ "pad bytes that differ", 5, VID, 21, 21, 3 },
		{ "length field past the end", 500, VID, 21, 21, -1 },
		{ "someone else's AppID", 5, "wx0000000000000000", 21, 21, -1 },
		{ "shorter AppID", 5, "wxb11529c136998cb", 22, 22, -1 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(pad, bad[i].padval, sizeof(pad));
		if (bad[i].corrupt >= 0)
			pad[bad[i].corrupt] = 0x55;
		n = build(buf, bad[i].len_field, "hello", bad[i].id, pad, bad[i].npad);
		cr_assert_eq(n % 16, 0u, "case %zu builds whole blocks (%zu)", i, n);
		b = raw_encrypt(buf, n);
		cr_expect_eq(desk_wechat_decrypt(&c, b, &msg, &len), PL_EAUTH, "%s", bad[i].why);
		cr_expect_null(msg);
		free(b);
	}

	/* Right key, wrong receive_id configured on our side. */
	cr_assert_eq(desk_wechat_crypto_init(&other, VKEY, "wxOTHER"), 0);
	cr_expect_eq(desk_wechat_decrypt(&other, VENC, &msg, &len), PL_EAUTH);
	/* Wrong key. */
	cr_assert_eq(desk_wechat_crypto_init(&other, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", VID), 0);
	cr_expect_eq(desk_wechat_decrypt(&other, VENC, &msg, &len), PL_EAUTH);

	static const char *const not_b64[] = { "", "abc", "ab!d", "a=bc", "====", "QUJD", /* 3 bytes */
					       "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" /* 24 bytes */ };
	for (size_t i = 0; i < sizeof(not_b64) / sizeof(not_b64[0]); i++)
		cr_expect_eq(desk_wechat_decrypt(&c, not_b64[i], &msg, &len), PL_EINVAL, "'%s'", not_b64[i]);
	char *huge = malloc(DESK_WECHAT_BODY_MAX + 5);
	memset(huge, 'A', DESK_WECHAT_BODY_MAX + 4);
	huge[DESK_WECHAT_BODY_MAX + 4] = '\0';
	cr_expect_eq(desk_wechat_decrypt(&c, huge, &msg, &len), PL_ETOOBIG);
	free(huge);
}

Test(desk_wechat, round_trips)
{
	struct desk_wechat_crypto c;
	uint8_t rnd[16];
	cr_assert_eq(desk_wechat_crypto_init(&c, VKEY, VID), 0);
	/* 0 bytes; 10 bytes (16+4+10+18 = 48: pad 16); 26 bytes (64: a full
	 * 32-byte pad block); a few kilobytes. */
	static const size_t lens[] = { 0, 10, 26, 27, 4000 };
	char *m = malloc(4001);
	for (size_t i = 0; i < 4000; i++)
		m[i] = (char)('a' + i % 26);
	m[5] = '\0'; /* NULs inside the message survive (found by fuzzing) */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *enc, *dec;
		size_t dlen;
		pl_random(rnd, sizeof(rnd));
		cr_assert_eq(desk_wechat_encrypt(&c, rnd, m, lens[i], &enc), 0);
		cr_assert_eq(desk_wechat_decrypt(&c, enc, &dec, &dlen), 0, "len %zu", lens[i]);
		cr_expect_eq(dlen, lens[i]);
		cr_expect(memcmp(dec, m, lens[i]) == 0);
		free(enc);
		free(dec);
	}
	char *enc;
	cr_expect_eq(desk_wechat_encrypt(&c, rnd, m, DESK_WECHAT_BODY_MAX, &enc), PL_ETOOBIG);
	free(m);
}

/* ------------------------------------------------------------------ XML */

#define TEXT_MSG "<xml><ToUserName><![CDATA[toUser]]></ToUserName>" \
	"<FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1348831860</CreateTime>" \
	"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content>" \
	"<MsgId>1234567890123456</MsgId></xml>"

struct xml_case {
	const char *why, *xml;
	int rc;
	const char *needle;  /* in the error, or the dedupe key on success */
};
static const struct xml_case xml_cases[] = {
	{ "official text example", TEXT_MSG, 0, "msg:1234567890123456" },
	{ "subscribe event",
	  "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>"
	  "<CreateTime>1348831860</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>",
	  0, "event:oUser:1348831860" },
	{ "unknown fields are ignored",
	  "<xml>\n <ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId>"
	  "<Future>1</Future><MsgId>18446744073709551615</MsgId></xml>",
	  0, "msg:18446744073709551615" },
	{ "safe-mode envelope", "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[abcd]]></Encrypt></xml>",
	  0, "" },
	{ "WeCom envelope", "<xml><ToUserName>ww1</ToUserName><Encrypt>abcd</Encrypt><AgentID>1000002</AgentID></xml>",
	  0, "" },
	{ "DTD with an entity",
	  "<!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><Content>&e;</Content></xml>",
	  PL_EINVAL, "DTDs" },
	{ "not XML", "hello", PL_EPARSE, "well-formed" },
	{ "unclosed", "<xml><ToUserName>a</ToUserName>", PL_EPARSE, "well-formed" },
	{ "wrong root", "<msg><ToUserName>a</ToUserName></msg>", PL_EINVAL, "<xml>" },
	{ "no MsgType",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime></xml>",
	  PL_EINVAL, "<MsgType>" },
	{ "unknown MsgType",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>fax</MsgType><MsgId>1</MsgId></xml>", PL_EINVAL, "unknown <MsgType> 'fax'" },
	{ "text without Content",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>text</MsgType><MsgId>1</MsgId></xml>", PL_EINVAL, "needs <Content>" },
	{ "image without MsgId",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>image</MsgType></xml>", PL_EINVAL, "needs <MsgId>" },
	{ "event without Event",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>event</MsgType></xml>", PL_EINVAL, "needs <Event>" },
	{ "CreateTime not a number",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime>"
	  "<MsgType>event</MsgType><Event>x</Event></xml>", PL_EINVAL, "<CreateTime>" },
	{ "MsgId past 64 bits",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>image</MsgType><MsgId>18446744073709551616</MsgId></xml>", PL_EINVAL, "<MsgId>" },
	{ "negative MsgId",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>image</MsgType><MsgId>-1</MsgId></xml>", PL_EINVAL, "<MsgId>" },
	{ "Content twice",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>text</MsgType><Content>x</Content><Content>y</Content><MsgId>1</MsgId></xml>",
	  PL_EINVAL, "<Content> appears twice" },
	{ "element inside Content",
	  "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>text</MsgType><Content>x<b>y</b></Content><MsgId>1</MsgId></xml>",
	  PL_EINVAL, "text only" },
	{ "empty FromUserName",
	  "<xml><ToUserName>a</ToUserName><FromUserName></FromUserName><CreateTime>1</CreateTime>"
	  "<MsgType>event</MsgType><Event>x</Event></xml>", PL_EINVAL, "<FromUserName>" },
	{ "empty body", "", PL_EPARSE, "empty" },
};

Test(desk_wechat, parse_table)
{
	for (size_t i = 0; i < sizeof(xml_cases) / sizeof(xml_cases[0]); i++) {
		const struct xml_case *c = &xml_cases[i];
		struct desk_wechat_msg m;
		char err[200], key[200] = "";
		int rc = desk_wechat_parse(c->xml, strlen(c->xml), &m, err, sizeof(err));
		cr_expect_eq(rc, c->rc, "case %zu (%s): rc %d, %s", i, c->why, rc, err);
		if (rc) {
			cr_expect(strstr(err, c->needle) != NULL, "case %zu (%s): '%s' lacks '%s'", i,
				  c->why, err, c->needle);
			cr_expect_null(m.to_user, "case %zu: empty on error", i);
			continue;
		}
		if (*c->needle) {
			cr_expect_eq(desk_wechat_dedupe_key(&m, key, sizeof(key)), 0, "case %zu", i);
			cr_expect_str_eq(key, c->needle, "case %zu (%s)", i, c->why);
		} else {
			cr_expect_not_null(m.encrypt, "case %zu", i);
			cr_expect_eq(desk_wechat_dedupe_key(&m, key, sizeof(key)), PL_EINVAL);
		}
		desk_wechat_msg_release(&m);
	}
}

Test(desk_wechat, parse_fields_and_caps)
{
	struct desk_wechat_msg m;
	char err[200];
	cr_assert_eq(desk_wechat_parse(TEXT_MSG, strlen(TEXT_MSG), &m, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(m.to_user, "toUser");
	cr_expect_str_eq(m.from_user, "fromUser");
	cr_expect_eq(m.create_time, 1348831860);
	cr_expect_str_eq(m.msg_type, "text");
	cr_expect_str_eq(m.content, "this is a test");
	cr_expect(m.has_msg_id);
	cr_expect_eq(m.msg_id, 1234567890123456ULL);
	cr_expect_null(m.encrypt);
	char key[8];
	cr_expect_eq(desk_wechat_dedupe_key(&m, key, sizeof(key)), PL_ETOOBIG);
	desk_wechat_msg_release(&m);

	/* Content over its cap, body over its cap, a NUL byte. */
	struct pl_buf b;
	pl_buf_init(&b, 2 * DESK_WECHAT_BODY_MAX);
	pl_buf_puts(&b, "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
		    "<CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId><Content>");
	for (int i = 0; i <= DESK_WECHAT_FIELD_MAX; i++)
		pl_buf_puts(&b, "x");
	pl_buf_puts(&b, "</Content></xml>");
	cr_expect_eq(desk_wechat_parse(b.data, b.len, &m, err, sizeof(err)), PL_EINVAL);
	cr_expect(strstr(err, "longer than 4096"), "%s", err);
	while (b.len <= DESK_WECHAT_BODY_MAX)
		pl_buf_puts(&b, "<!-- padding -->");
	cr_expect_eq(desk_wechat_parse(b.data, b.len, &m, err, sizeof(err)), PL_ETOOBIG);
	pl_buf_release(&b);
	cr_expect_eq(desk_wechat_parse("<xml>\0</xml>", 12, &m, err, sizeof(err)), PL_EPARSE);
}

/* Safe mode end to end: WeChat encrypts a text message, wraps it in an
 * envelope and signs it; we verify, open and parse it. */
Test(desk_wechat, safe_mode_message)
{
	struct desk_wechat_crypto c;
	struct desk_wechat_msg env, inner;
	char *enc = NULL, *dec = NULL, sig[DESK_WECHAT_SIG_LEN + 1], err[200];
	size_t dlen;
	uint8_t rnd[16];
	struct pl_buf body;

	cr_assert_eq(desk_wechat_crypto_init(&c, VKEY, VID), 0);
	pl_random(rnd, sizeof(rnd));
	cr_assert_eq(desk_wechat_encrypt(&c, rnd, TEXT_MSG, strlen(TEXT_MSG), &enc), 0);
	cr_assert_eq(desk_wechat_sign("pamtest", "1409304348", "nonce1", enc, sig), 0);
	pl_buf_init(&body, DESK_WECHAT_BODY_MAX);
	pl_buf_printf(&body, "<xml><ToUserName><![CDATA[gh_park]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", enc);

	cr_assert_eq(desk_wechat_parse(body.data, body.len, &env, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(desk_wechat_verify("pamtest", "1409304348", "nonce1", env.encrypt, sig), 0);
	cr_expect_eq(desk_wechat_verify("pamtest", "1409304349", "nonce1", env.encrypt, sig), PL_EAUTH,
		     "a replayed signature with another timestamp fails");
	cr_assert_eq(desk_wechat_decrypt(&c, env.encrypt, &dec, &dlen), 0);
	cr_assert_eq(desk_wechat_parse(dec, dlen, &inner, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(inner.content, "this is a test");
	desk_wechat_msg_release(&inner);
	desk_wechat_msg_release(&env);
	pl_buf_release(&body);
	free(dec);
	free(enc);
}

Test(desk_wechat, freshness)
{
	static const struct {
		const char *ts;
		int64_t now_ms, window;
		int rc;
	} cases[] = {
		{ "1410685589", 1410685589000LL, 300, 0 },
		{ "1410685289", 1410685589000LL, 300, 0 },     /* exactly at the edge */
		{ "1410685288", 1410685589000LL, 300, PL_EAUTH }, /* one second stale */
		{ "1410685889", 1410685589999LL, 300, 0 },     /* clock ahead */
		{ "1410685890", 1410685589999LL, 300, PL_EAUTH },
		{ "", 0, 300, PL_EINVAL },
		{ "14106x5589", 0, 300, PL_EINVAL },
		{ "-5", 0, 300, PL_EINVAL },
		{ "99999999999999999999", 0, 300, PL_EINVAL },
		{ "1", 0, -1, PL_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(desk_wechat_fresh(cases[i].ts, cases[i].now_ms, cases[i].window),
			     cases[i].rc, "case %zu (%s)", i, cases[i].ts);
	cr_expect_eq(desk_wechat_fresh(NULL, 0, 1), PL_EINVAL);
}
