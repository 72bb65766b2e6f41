/*
 * buf.c - the one growable buffer type, with a hard cap per instance.
 * Growth doubles capacity (bounded by max+1) so n appends cost O(n).
 */
#include "core.h"

void pl_buf_init(struct pl_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void pl_buf_release(struct pl_buf *b)
{
	free(b->data);
	pl_buf_init(b, b->max);
}

void pl_buf_clear(struct pl_buf *b)
{
	pl_buf_release(b);
}

/* Ensure room for len+extra bytes plus the NUL, never past max. */
static int buf__reserve(struct pl_buf *b, size_t extra)
{
	size_t need, ncap;

	if (extra > b->max || b->len > b->max - extra)
		return PL_ETOOBIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = pl_realloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

int pl_buf_append(struct pl_buf *b, const void *p, size_t n)
{
	int rc = buf__reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int pl_buf_puts(struct pl_buf *b, const char *s)
{
	return pl_buf_append(b, s, strlen(s));
}

int pl_buf_vprintf(struct pl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return PL_EINVAL;
	rc = buf__reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pl_buf_printf(struct pl_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = pl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *pl_buf_steal(struct pl_buf *b)
{
	char *p = b->data ? b->data : pl_strdup("");
	pl_buf_init(b, b->max);
	return p;
}
