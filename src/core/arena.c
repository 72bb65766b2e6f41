/*
 * arena.c - a region allocator freed in one go (one per HTTP request, after
 * h2o's memory pool). Blocks are chained; a request larger than the block
 * size gets a block of its own. The cap bounds the total bytes handed out,
 * so no request can grow its arena without limit.
 */
#include "core.h"

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes in data */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct pl_arena {
	struct arena_block *head; /* current block; older ones follow */
	size_t cap;               /* max bytes handed out in total */
	size_t total;             /* bytes handed out so far */
};

struct pl_arena *pl_arena_new(size_t cap)
{
	struct pl_arena *a = pl_calloc(1, sizeof(*a));
	a->cap = cap;
	return a;
}

void pl_arena_free(struct pl_arena *a)
{
	struct arena_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *pl_arena_alloc(struct pl_arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t rounded, bsize;
	void *p;

	if (n > a->cap)
		return NULL;
	rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (rounded > a->cap - a->total)
		return NULL;
	if (!b || b->size - b->used < rounded) {
		bsize = rounded > ARENA_BLOCK ? rounded : ARENA_BLOCK;
		b = pl_malloc(sizeof(*b) + bsize);
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += rounded;
	a->total += rounded;
	return p;
}

char *pl_arena_strndup(struct pl_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = pl_arena_alloc(a, len + 1);
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *pl_arena_strdup(struct pl_arena *a, const char *s)
{
	return pl_arena_strndup(a, s, strlen(s));
}

char *pl_arena_printf(struct pl_arena *a, const char *fmt, ...)
{
	va_list ap, cp;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || !(p = pl_arena_alloc(a, (size_t)n + 1))) {
		va_end(ap);
		return NULL;
	}
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t pl_arena_used(const struct pl_arena *a)
{
	return a->total;
}
