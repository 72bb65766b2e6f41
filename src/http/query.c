/*
 * query.c - the two input parsers every request goes through before a
 * handler sees it: query strings (http_query_parse) and JSON bodies
 * (http__body_check). Both are reachable without a server so the libFuzzer
 * targets exercise exactly the daemon's code (http_body_validate runs the
 * route lookup and the same body checks).
 *
 * Limits: a query string is at most HTTP_QUERY_MAX_LEN bytes and
 * HTTP_QUERY_MAX_PAIRS pairs, checked before anything is allocated; decoded
 * text is never longer than its source, so the arena use is bounded by
 * 2 x len plus the pair table.
 */
#include "http/http_int.h"

#include <strings.h>

static int query__hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict UTF-8 (no overlongs, no surrogates, max U+10FFFF). */
static bool query__utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* Decodes src[0..n) into dst (n+1 bytes); returns the decoded length or -1
 * with *bad set to the offending offset within src. */
static long query__decode(const char *src, size_t n, char *dst, size_t *bad)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '+') {
			dst[o++] = ' ';
		} else if (c == '%') {
			int h, l;
			if (n - i < 3) { /* needs two hex digits */
				*bad = i;
				return -1;
			}
			h = query__hex(src[i + 1]);
			l = query__hex(src[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				*bad = i;
				return -1;
			}
			dst[o++] = (char)(h * 16 + l);
			i += 2;
		} else if (c == '\0') {
			/* a raw NUL would silently cut the C string short */
			*bad = i;
			return -1;
		} else {
			dst[o++] = c;
		}
	}
	dst[o] = '\0';
	return (long)o;
}

static void query__err(struct pl_json_error *err, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void query__err(struct pl_json_error *err, size_t pos, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	err->field[0] = '\0';
	err->position = pos;
}

int http_query_parse(const char *qs, size_t len, struct pl_arena *a,
		     struct http_query *out, struct pl_json_error *err)
{
	size_t npairs = 0, pos = 0;
	struct http_query_pair *pairs;

	out->pairs = NULL;
	out->n = 0;
	if (len > HTTP_QUERY_MAX_LEN) {
		query__err(err, HTTP_QUERY_MAX_LEN, "query string is longer than %d bytes",
			   HTTP_QUERY_MAX_LEN);
		return PL_ETOOBIG;
	}
	/* count the non-empty pieces first so the table is allocated once */
	for (size_t i = 0, start = 0; i <= len; i++)
		if (i == len || qs[i] == '&') {
			if (i > start)
				npairs++;
			start = i + 1;
		}
	if (npairs > HTTP_QUERY_MAX_PAIRS) {
		query__err(err, 0, "query string has more than %d parameters",
			   HTTP_QUERY_MAX_PAIRS);
		return PL_ETOOBIG;
	}
	if (npairs == 0)
		return 0;
	pairs = pl_arena_alloc(a, npairs * sizeof(*pairs));
	if (!pairs)
		goto too_big;
	npairs = 0;
	while (pos <= len) {
		const char *piece = qs + pos, *amp, *eq;
		size_t plen, klen, vlen, bad;
		char *k, *v;
		long kn, vn;

		amp = memchr(piece, '&', len - pos);
		plen = amp ? (size_t)(amp - piece) : len - pos;
		if (plen == 0)
			goto next;
		eq = memchr(piece, '=', plen);
		klen = eq ? (size_t)(eq - piece) : plen;
		vlen = eq ? plen - klen - 1 : 0;
		if (klen == 0) {
			query__err(err, pos, "empty parameter name at byte %zu", pos);
			return PL_EINVAL;
		}
		k = pl_arena_alloc(a, klen + 1);
		v = pl_arena_alloc(a, vlen + 1);
		if (!k || !v)
			goto too_big;
		kn = query__decode(piece, klen, k, &bad);
		if (kn < 0) {
			query__err(err, pos + bad, "bad percent-escape at byte %zu", pos + bad);
			return PL_EINVAL;
		}
		vn = query__decode(eq ? eq + 1 : "", vlen, v, &bad);
		if (vn < 0) {
			query__err(err, pos + klen + 1 + bad,
				   "bad percent-escape at byte %zu", pos + klen + 1 + bad);
			return PL_EINVAL;
		}
		if (!query__utf8_ok((const unsigned char *)k, (size_t)kn) ||
		    !query__utf8_ok((const unsigned char *)v, (size_t)vn)) {
			query__err(err, pos, "parameter at byte %zu is not valid UTF-8", pos);
			return PL_EINVAL;
		}
		pairs[npairs].key = k;
		pairs[npairs].value = v;
		pairs[npairs].value_len = (size_t)vn;
		npairs++;
	next:
		pos += plen + 1;
	}
	out->pairs = pairs;
	out->n = npairs;
	return 0;
too_big:
	query__err(err, 0, "query string does not fit the request's memory cap");
	return PL_ETOOBIG;
}

const char *http_query_get(const struct http_query *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->pairs[i].key, key) == 0)
			return q->pairs[i].value;
	return NULL;
}

/* "application/json" with optional parameters; charset, when given, must
 * be utf-8 (RFC 8259 allows nothing else). */
static bool query__is_json(const char *ct)
{
	static const char mt[] = "application/json";
	const char *p;

	if (!ct || strncasecmp(ct, mt, sizeof(mt) - 1) != 0)
		return false;
	p = ct + sizeof(mt) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "charset=", 8) == 0) {
		p += 8;
		if (*p == '"')
			p++;
		return strncasecmp(p, "utf-8", 5) == 0;
	}
	return true;
}

int http__body_check(const struct http_route *rt, const char *content_type,
		     const char *body, size_t len, json_t **json,
		     struct http_problem *pr)
{
	struct pl_json_error je = { .text = "" };
	json_t *v = NULL;
	int rc;

	*json = NULL;
	if (len > rt->body_max) {
		if (rt->body_max == 0)
			http__problem_set(pr, PL_ETOOBIG, NULL,
					  "%s %s takes no request body", rt->method, rt->pattern);
		else
			http__problem_set(pr, PL_ETOOBIG, NULL,
					  "request body is larger than %zu bytes", rt->body_max);
		return PL_ETOOBIG;
	}
	if (!rt->body_spec)
		return 0;
	if (!query__is_json(content_type)) {
		char shown[64];
		pl_strlcpy(shown, content_type ? content_type : "(none)", sizeof(shown));
		for (char *c = shown; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || *c == '\'')
				*c = '?';
		http__problem_set(pr, PL_EUNSUPPORTED, NULL,
				  "Content-Type must be application/json, got '%s'", shown);
		return PL_EUNSUPPORTED;
	}
	if (len == 0) {
		http__problem_set(pr, PL_EPARSE, NULL,
				  "request body is empty at byte 0; expected a JSON object");
		return PL_EPARSE;
	}
	rc = pl_json_parse(body, len, PL_JSON_DEPTH_MAX, &v, &je);
	if (rc) {
		http__problem_set(pr, PL_EPARSE, NULL, "%s", je.text);
		return PL_EPARSE;
	}
	rc = pl_json_check(v, rt->body_spec, &je);
	if (rc) {
		json_decref(v);
		http__problem_set(pr, PL_EINVAL, NULL, "%s", je.text);
		return PL_EINVAL;
	}
	*json = v;
	return 0;
}

int http_body_validate(const char *method, const char *path,
		       const char *content_type, const void *body, size_t len,
		       struct http_problem *out)
{
	const struct http_route *rt = NULL;
	const char *params[HTTP_MAX_PARAMS];
	struct pl_arena *a = pl_arena_new(64u << 10);
	size_t np = 0;
	json_t *v = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	switch (http__route_find(method, path, a, &rt, params, &np, NULL, 0)) {
	case HTTP_MATCH_NONE:
		http__problem_set(out, PL_ENOTFOUND, NULL, "no route for %.100s", path);
		rc = PL_ENOTFOUND;
		goto out;
	case HTTP_MATCH_METHOD:
		http__problem_set(out, PL_ENOTFOUND, "method-not-allowed",
				  "%.10s is not allowed on %.100s", method, path);
		out->status = 405;
		rc = PL_ENOTFOUND;
		goto out;
	case HTTP_MATCH_OK:
		break;
	}
	rc = http__body_check(rt, content_type, body, len, &v, out);
	json_decref(v);
out:
	pl_arena_free(a);
	return rc;
}
