/*
 * wechat.c - the WeChat Official Account / WeCom callback: signatures,
 * message encryption, and the message XML.
 *
 * An enterprise's WeChat message reaches the park as an HTTP POST from
 * WeChat's servers, so everything in it is untrusted until the signature
 * matches and, in safe mode, the AES envelope opens with our key and names
 * our AppID. The protocol (shared/docs/domain/wechat-sms.md §2):
 *   - signature: lower-case hex SHA-1 of the sorted, concatenated token,
 *     timestamp, nonce (and, encrypted, the ciphertext); compared in
 *     constant time;
 *   - AESKey = base64(EncodingAESKey + "="), 32 bytes, whose last
 *     character's two low bits are dropped (many keys end in a character
 *     whose dropped bits are not zero, which strict decoders reject);
 *   - AES-256-CBC, IV = key[0..16), PKCS#7 padding to 32-byte blocks (pad
 *     1..32, so library padding is off and we strip it by hand);
 *   - plaintext = 16 random bytes, 4-byte big-endian length, message,
 *     receive_id.
 * SHA-1, AES and base64 come from OpenSSL's libcrypto; XML from libxml2
 * with the network off and DTDs refused. Every size is capped before
 * anything is allocated for it.
 *
 * libxml2 note: the program must call xmlInitParser() once in main before
 * threads start (the daemon's job); after that parsing here is thread-safe.
 */
#include "desk.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/* ------------------------------------------------------------ signature */

static int wechat__cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int desk_wechat_sign(const char *token, const char *timestamp, const char *nonce,
		     const char *encrypt, char out[DESK_WECHAT_SIG_LEN + 1])
{
	const char *parts[4] = { token, timestamp, nonce, encrypt };
	size_t n = encrypt ? 4 : 3;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct pl_buf b;
	int rc = 0;

	for (size_t i = 0; i < n; i++)
		if (!parts[i] || strnlen(parts[i], DESK_WECHAT_BODY_MAX + 1) > DESK_WECHAT_BODY_MAX)
			return PL_EINVAL;
	qsort(parts, n, sizeof(parts[0]), wechat__cmp);
	pl_buf_init(&b, 4 * (size_t)DESK_WECHAT_BODY_MAX);
	for (size_t i = 0; i < n; i++)
		if ((rc = pl_buf_puts(&b, parts[i])))
			goto out;
	if (!EVP_Digest(b.data ? b.data : "", b.len, md, &mdlen, EVP_sha1(), NULL) ||
	    mdlen != 20) {
		rc = PL_EINTERNAL;
		goto out;
	}
	pl_hex(md, 20, out);
out:
	pl_buf_release(&b);
	return rc;
}

int desk_wechat_verify(const char *token, const char *timestamp, const char *nonce,
		       const char *encrypt, const char *signature)
{
	char want[DESK_WECHAT_SIG_LEN + 1];
	int rc = desk_wechat_sign(token, timestamp, nonce, encrypt, want);

	if (rc)
		return rc;
	if (!signature || strnlen(signature, DESK_WECHAT_SIG_LEN + 1) != DESK_WECHAT_SIG_LEN)
		return PL_EAUTH;
	return CRYPTO_memcmp(want, signature, DESK_WECHAT_SIG_LEN) == 0 ? 0 : PL_EAUTH;
}

int desk_wechat_fresh(const char *timestamp, int64_t now_ms, int64_t window_s)
{
	int64_t ts;

	/* Seconds up to year 9999 keep the arithmetic below in range. */
	if (!timestamp || pl_parse_i64(timestamp, 0, 253402300799LL, &ts) || window_s < 0 ||
	    window_s > 253402300799LL)
		return PL_EINVAL;
	int64_t now = now_ms / 1000;
	return (ts >= now - window_s && ts <= now + window_s) ? 0 : PL_EAUTH;
}

/* ---------------------------------------------------------------- crypto */

static bool wechat__b64char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int desk_wechat_crypto_init(struct desk_wechat_crypto *c, const char *aes_key,
			    const char *receive_id)
{
	unsigned char in[DESK_WECHAT_AESKEY_LEN + 1], raw[36];
	size_t idlen;

	if (!aes_key || !receive_id ||
	    strnlen(aes_key, DESK_WECHAT_AESKEY_LEN + 1) != DESK_WECHAT_AESKEY_LEN)
		return PL_EINVAL;
	idlen = strnlen(receive_id, DESK_WECHAT_ID_MAX + 1);
	if (idlen == 0 || idlen > DESK_WECHAT_ID_MAX)
		return PL_EINVAL;
	for (int i = 0; i < DESK_WECHAT_AESKEY_LEN; i++)
		if (!wechat__b64char(aes_key[i]))
			return PL_EINVAL;
	memcpy(in, aes_key, DESK_WECHAT_AESKEY_LEN);
	in[DESK_WECHAT_AESKEY_LEN] = '=';
	/* EVP_DecodeBlock does not insist the dropped bits be zero, which is
	 * what the protocol needs; it yields 33 bytes for 44 characters, the
	 * last being the padding's. */
	if (EVP_DecodeBlock(raw, in, sizeof(in)) != 33)
		return PL_EINVAL;
	memcpy(c->key, raw, 32);
	memcpy(c->receive_id, receive_id, idlen + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* One AES-256-CBC pass with padding off; n is a multiple of 16. */
static int wechat__aes(const struct desk_wechat_crypto *c, bool enc,
		       const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, rc = PL_EINTERNAL;

	if (!ctx)
		abort(); /* out of memory aborts, as everywhere */
	if (n > INT32_MAX ||
	    !EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, c->key, c->key, enc ? 1 : 0) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &l1, in, (int)n) ||
	    !EVP_CipherFinal_ex(ctx, out + l1, &l2) || (size_t)(l1 + l2) != n)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int desk_wechat_encrypt(const struct desk_wechat_crypto *c, const uint8_t random[16],
			const char *msg, size_t len, char **out)
{
	size_t idlen = strlen(c->receive_id), n, pad;
	uint8_t *plain = NULL, *cipher = NULL;
	char *b64 = NULL;
	int rc;

	*out = NULL;
	if (!msg && len)
		return PL_EINVAL;
	/* Caps first: the base64 of the result must fit the body cap. */
	if (len > DESK_WECHAT_BODY_MAX / 2)
		return PL_ETOOBIG;
	n = 16 + 4 + len + idlen;
	pad = 32 - n % 32;
	plain = pl_malloc(n + pad);
	cipher = pl_malloc(n + pad);
	memcpy(plain, random, 16);
	plain[16] = (uint8_t)(len >> 24);
	plain[17] = (uint8_t)(len >> 16);
	plain[18] = (uint8_t)(len >> 8);
	plain[19] = (uint8_t)len;
	if (len)
		memcpy(plain + 20, msg, len);
	memcpy(plain + 20 + len, c->receive_id, idlen);
	memset(plain + n, (int)pad, pad);
	n += pad;
	if ((rc = wechat__aes(c, true, plain, n, cipher)))
		goto out;
	b64 = pl_malloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, cipher, (int)n);
	*out = b64;
out:
	OPENSSL_cleanse(plain, n);
	free(plain);
	free(cipher);
	return rc;
}

int desk_wechat_decrypt(const struct desk_wechat_crypto *c, const char *b64,
			char **out, size_t *len)
{
	size_t blen, n = 0, pad, body, mlen, eq = 0, idlen = strlen(c->receive_id);
	uint8_t *cipher = NULL, *plain = NULL;
	int rc = PL_EINVAL;

	*out = NULL;
	*len = 0;
	if (!b64)
		return PL_EINVAL;
	blen = strnlen(b64, DESK_WECHAT_BODY_MAX + 1);
	if (blen > DESK_WECHAT_BODY_MAX)
		return PL_ETOOBIG;
	if (blen == 0 || blen % 4)
		return PL_EINVAL;
	/* Strict alphabet; at most two '=' and only at the end. */
	while (eq < 2 && b64[blen - 1 - eq] == '=')
		eq++;
	for (size_t i = 0; i < blen - eq; i++)
		if (!wechat__b64char(b64[i]))
			return PL_EINVAL;
	cipher = pl_malloc(blen / 4 * 3);
	if (EVP_DecodeBlock(cipher, (const unsigned char *)b64, (int)blen) < 0)
		goto out;
	n = blen / 4 * 3 - eq;
	if (n == 0 || n % 16)
		goto out;
	plain = pl_malloc(n + 1);
	if ((rc = wechat__aes(c, false, cipher, n, plain)))
		goto out;
	/* From here every failure means the sender did not hold our key (or
	 * the text was damaged): PL_EAUTH, without saying which check. */
	rc = PL_EAUTH;
	pad = plain[n - 1];
	if (pad < 1 || pad > 32 || pad > n)
		goto out;
	for (size_t i = n - pad; i < n; i++)
		if (plain[i] != pad)
			goto out;
	body = n - pad;
	if (body < 20)
		goto out;
	mlen = (size_t)plain[16] << 24 | (size_t)plain[17] << 16 |
	       (size_t)plain[18] << 8 | (size_t)plain[19];
	if (mlen > body - 20 || body - 20 - mlen != idlen ||
	    memcmp(plain + 20 + mlen, c->receive_id, idlen) != 0)
		goto out;
	/* Copy exactly mlen bytes: the message may hold NULs, and strndup
	 * would stop there while *len promised mlen. */
	*out = pl_malloc(mlen + 1);
	memcpy(*out, plain + 20, mlen);
	(*out)[mlen] = '\0';
	*len = mlen;
	rc = 0;
out:
	if (plain) {
		OPENSSL_cleanse(plain, n);
		free(plain);
	}
	free(cipher);
	return rc;
}

/* ------------------------------------------------------------------- XML */

void desk_wechat_msg_release(struct desk_wechat_msg *m)
{
	free(m->to_user);
	free(m->from_user);
	free(m->msg_type);
	free(m->content);
	free(m->event);
	free(m->event_key);
	free(m->media_id);
	free(m->pic_url);
	free(m->agent_id);
	free(m->encrypt);
	memset(m, 0, sizeof(*m));
}

static int wechat__fail(char *err, size_t errsz, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int wechat__fail(char *err, size_t errsz, int rc, const char *fmt, ...)
{
	if (err && errsz) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool wechat__digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int desk_wechat_parse(const char *xml, size_t len, struct desk_wechat_msg *m,
		      char *err, size_t errsz)
{
	struct desk_wechat_msg t = { 0 };
	char *create_time = NULL, *msg_id = NULL;
	struct {
		const char *name;
		char **dst;
		size_t max;
	} fields[] = {
		{ "ToUserName", &t.to_user, 256 },
		{ "FromUserName", &t.from_user, 256 },
		{ "CreateTime", &create_time, 20 },
		{ "MsgType", &t.msg_type, 32 },
		{ "Content", &t.content, DESK_WECHAT_FIELD_MAX },
		{ "Event", &t.event, 64 },
		{ "EventKey", &t.event_key, DESK_WECHAT_FIELD_MAX },
		{ "MediaId", &t.media_id, 256 },
		{ "PicUrl", &t.pic_url, DESK_WECHAT_FIELD_MAX },
		{ "AgentID", &t.agent_id, 32 },
		{ "Encrypt", &t.encrypt, DESK_WECHAT_BODY_MAX },
		{ "MsgId", &msg_id, 20 },
	};
	static const char *const types[] = { "text", "image", "voice", "video", "shortvideo",
					     "location", "link", "event" };
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (err && errsz)
		err[0] = '\0';
	if (!xml || len == 0)
		return wechat__fail(err, errsz, PL_EPARSE, "empty body");
	if (len > DESK_WECHAT_BODY_MAX)
		return wechat__fail(err, errsz, PL_ETOOBIG, "body larger than %d bytes",
				    DESK_WECHAT_BODY_MAX);
	if (memchr(xml, '\0', len))
		return wechat__fail(err, errsz, PL_EPARSE, "NUL byte in body");
	/* Refuse DTDs before libxml2 sees them: no entity expansion, no
	 * external subsets, whatever the parser's defaults. */
	if (memmem(xml, len, "<!DOCTYPE", 9) || memmem(xml, len, "<!ENTITY", 8))
		return wechat__fail(err, errsz, PL_EINVAL, "DTDs are not accepted");
	doc = xmlReadMemory(xml, (int)len, "wechat.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		rc = wechat__fail(err, errsz, PL_EPARSE, "body is not well-formed XML");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset || !root || strcmp((const char *)root->name, "xml") != 0) {
		rc = wechat__fail(err, errsz, PL_EINVAL, "root element must be <xml>");
		goto out;
	}
	for (xmlNodePtr n = root->children; n; n = n->next) {
		const size_t nf = sizeof(fields) / sizeof(fields[0]);
		const char *fname = NULL;
		char **dst = NULL;
		size_t max = 0;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (size_t i = 0; i < nf; i++)
			if (strcmp((const char *)n->name, fields[i].name) == 0) {
				fname = fields[i].name;
				dst = fields[i].dst;
				max = fields[i].max;
				break;
			}
		if (!dst)
			continue; /* WeChat adds fields over time; ignore unknown ones */
		if (*dst) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "<%s> appears twice", fname);
			goto out;
		}
		for (xmlNodePtr k = n->children; k; k = k->next)
			if (k->type != XML_TEXT_NODE && k->type != XML_CDATA_SECTION_NODE) {
				rc = wechat__fail(err, errsz, PL_EINVAL, "<%s> must hold text only",
						  fname);
				goto out;
			}
		xmlChar *v = xmlNodeGetContent(n);
		const char *s = v ? (const char *)v : "";
		if (strlen(s) > max) {
			xmlFree(v);
			rc = wechat__fail(err, errsz, PL_EINVAL, "<%s> longer than %zu bytes",
					  fname, max);
			goto out;
		}
		*dst = pl_strdup(s);
		xmlFree(v);
	}

	if (create_time) {
		int64_t ct;
		if (pl_parse_i64(create_time, 0, INT64_MAX / 1000, &ct)) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "<CreateTime> is not a number of seconds");
			goto out;
		}
		t.create_time = ct;
	}
	if (msg_id) {
		char *end = NULL;
		errno = 0;
		unsigned long long v = strtoull(msg_id, &end, 10);
		if (!wechat__digits(msg_id) || errno || *end) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "<MsgId> is not a 64-bit number");
			goto out;
		}
		t.msg_id = v;
		t.has_msg_id = true;
	}
	if (t.encrypt && !t.msg_type && !t.from_user)
		goto done; /* an envelope: the fields are inside <Encrypt> */
	if (!t.to_user || !*t.to_user || !t.from_user || !*t.from_user || !create_time ||
	    !t.msg_type) {
		rc = wechat__fail(err, errsz, PL_EINVAL,
				  "a message needs <ToUserName>, <FromUserName>, <CreateTime> and <MsgType>");
		goto out;
	}
	{
		bool known = false;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			known |= strcmp(t.msg_type, types[i]) == 0;
		if (!known) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "unknown <MsgType> '%.32s'", t.msg_type);
			goto out;
		}
	}
	if (strcmp(t.msg_type, "event") == 0) {
		if (!t.event || !*t.event) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "an event needs <Event>");
			goto out;
		}
	} else {
		if (!t.has_msg_id) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "a %s message needs <MsgId>", t.msg_type);
			goto out;
		}
		if (strcmp(t.msg_type, "text") == 0 && !t.content) {
			rc = wechat__fail(err, errsz, PL_EINVAL, "a text message needs <Content>");
			goto out;
		}
	}
done:
	*m = t;
	memset(&t, 0, sizeof(t));
out:
	desk_wechat_msg_release(&t);
	free(create_time);
	free(msg_id);
	xmlFreeDoc(doc);
	return rc;
}

int desk_wechat_dedupe_key(const struct desk_wechat_msg *m, char *out, size_t outsz)
{
	int n;

	if (m->has_msg_id)
		n = snprintf(out, outsz, "msg:%llu", (unsigned long long)m->msg_id);
	else if (m->msg_type && strcmp(m->msg_type, "event") == 0 && m->from_user)
		n = snprintf(out, outsz, "event:%s:%lld", m->from_user, (long long)m->create_time);
	else
		return PL_EINVAL;
	return n < 0 || (size_t)n >= outsz ? PL_ETOOBIG : 0;
}
