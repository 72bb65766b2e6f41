/*
 * mem.c - allocation that aborts on exhaustion, bounded string helpers and
 * error texts. Out-of-memory is a fatal condition in Parkline: every size
 * that comes from outside is capped before it reaches an allocator, so an
 * allocation failure means the machine itself is out of memory.
 */
#include "core.h"

#include <errno.h>
#include <limits.h>

static void mem__die(size_t n)
{
	fprintf(stderr, "parkline: out of memory allocating %zu bytes\n", n);
	abort();
}

void *pl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		mem__die(n);
	return p;
}

void *pl_calloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		mem__die(nmemb * size);
	return p;
}

void *pl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		mem__die(n);
	return q;
}

char *pl_strdup(const char *s)
{
	return pl_strndup(s, strlen(s));
}

char *pl_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = pl_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

bool pl_size_mul(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return false;
	*out = a * b;
	return true;
}

size_t pl_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t len = strlen(src);
	if (dstsz) {
		size_t n = len < dstsz - 1 ? len : dstsz - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void pl_fmt(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	/* Callers use pl_fmt only where the size is known to fit. */
	if (n < 0 || (size_t)n >= dstsz)
		abort();
}

int pl_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return PL_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return PL_EINVAL;
	*out = v;
	return 0;
}

static const char *const mem__errs[] = {
	"ok", "invalid input", "not found", "already exists", "too large",
	"i/o error", "store error", "authentication required", "forbidden",
	"conflict", "parse error", "too many attempts", "unsupported",
	"busy", "timed out", "internal error",
};

const char *pl_strerror(int err)
{
	if (err > 0 || err < PL_ERR_MIN)
		return "unknown error";
	return mem__errs[-err];
}
