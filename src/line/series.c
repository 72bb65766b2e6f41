/*
 * series.c - the series block codec: delta-of-delta timestamps and XOR
 * floats (after Pelkonen et al., "Gorilla", VLDB 2015), one block per row
 * of the series table in SQLite or PostgreSQL. The format and the merge
 * rule for late points are NOTES ON THE DESIGN in line.h; the encoder
 * refuses what would make a block ambiguous, the decoder trusts nothing.
 */
#include "line/line.h"

#include <assert.h>
#include <string.h>

#define BLOCK_VERSION 1
#define NO_WINDOW 255u

/* ------------------------------------------------------------ bit writer */

/* New bytes one point can add to the bit stream: a delta-of-delta of at
 * most 5 + 64 bits and a value of at most 2 + 6 + 6 + 64, 147 bits, 19
 * bytes. line_block_enc_add makes this much room once per point, so
 * put_bits never grows the buffer (it ran pl_buf_append per byte, ~9 % of
 * the MQTT ingest worker). LINE_BLOCK_BYTES_MAX leaves it room even after
 * LINE_BLOCK_POINTS_MAX points of the worst case. */
#define POINT_BYTES_MAX 20

/* Room for POINT_BYTES_MAX more bytes in e->bits, len unchanged. */
static void bits_room(struct line_block_enc *e)
{
	static const char zeros[POINT_BYTES_MAX];

	if (e->bits.cap > e->bits.len + POINT_BYTES_MAX)
		return;
	/* The cap is LINE_BLOCK_BYTES_MAX, which the point cap guarantees we
	 * never reach (see POINT_BYTES_MAX). */
	int rc = pl_buf_append(&e->bits, zeros, POINT_BYTES_MAX);
	assert(rc == 0);
	(void)rc;
	e->bits.len -= POINT_BYTES_MAX;
	e->bits.data[e->bits.len] = '\0';
}

/* Appends the low n bits of v, MSB first, into the room bits_room made;
 * keeps bits.data NUL-terminated like a pl_buf append would. The bits go
 * through a 64-bit accumulator a byte at a time (at most 9 bytes), not a
 * bit field at a time: this runs several times per point. */
static inline void put_bits(struct line_block_enc *e, uint64_t v, unsigned n)
{
	char *d = e->bits.data;
	size_t len = e->bits.len;
	unsigned have = (unsigned)(e->nbits % 8); /* pending bits in d[len - 1] */
	uint64_t acc = 0;

	assert(n <= 64);
	assert(len + (have + n + 7) / 8 < e->bits.cap);
	e->nbits += n;
	if (have) /* take the partial byte back, right-aligned */
		acc = (uint8_t)d[--len] >> (8 - have);
	while (n > 0) {
		unsigned k = n < 56 ? n : 56; /* have < 8, so have + k < 64 */
		acc = acc << k | ((v >> (n - k)) & ((UINT64_C(1) << k) - 1));
		have += k;
		n -= k;
		while (have >= 8) {
			have -= 8;
			d[len++] = (char)(uint8_t)(acc >> have);
		}
		acc &= (UINT64_C(1) << have) - 1;
	}
	if (have)
		d[len++] = (char)(uint8_t)(acc << (8 - have));
	e->bits.len = len;
	d[len] = '\0';
}

void line_block_enc_init(struct line_block_enc *e)
{
	memset(e, 0, sizeof(*e));
	pl_buf_init(&e->bits, LINE_BLOCK_BYTES_MAX);
	e->lead = NO_WINDOW;
}

void line_block_enc_release(struct line_block_enc *e)
{
	pl_buf_release(&e->bits);
	memset(e, 0, sizeof(*e));
}

size_t line_block_enc_count(const struct line_block_enc *e)
{
	return e->count;
}

static uint64_t dbits(double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof(u));
	return u;
}

int line_block_enc_add(struct line_block_enc *e, int64_t t, double v)
{
	if (t > LINE_TIME_ABS_MAX || t < -LINE_TIME_ABS_MAX)
		return PL_EINVAL;
	if (e->count == LINE_BLOCK_POINTS_MAX)
		return PL_ETOOBIG;
	uint64_t vb = dbits(v);
	if (e->count == 0) {
		e->t_first = e->t_last = t;
		e->v_first = e->v_last = vb;
		e->delta_last = 0;
		e->count = 1;
		return 0;
	}
	if (t <= e->t_last)
		return PL_EINVAL; /* NOTES 3: the caller merges late points */
	bits_room(e);

	/* Timestamp: |t| <= 2^53 keeps delta <= 2^54 and dod <= 2^55. */
	int64_t delta = t - e->t_last;
	int64_t dod = delta - e->delta_last;
	if (dod == 0)
		put_bits(e, 0, 1);
	else if (dod >= -64 && dod <= 63)
		put_bits(e, 2, 2), put_bits(e, (uint64_t)dod & 0x7f, 7);
	else if (dod >= -256 && dod <= 255)
		put_bits(e, 6, 3), put_bits(e, (uint64_t)dod & 0x1ff, 9);
	else if (dod >= -2048 && dod <= 2047)
		put_bits(e, 14, 4), put_bits(e, (uint64_t)dod & 0xfff, 12);
	else if (dod >= INT32_MIN && dod <= INT32_MAX)
		put_bits(e, 30, 5), put_bits(e, (uint64_t)dod & 0xffffffffu, 32);
	else
		put_bits(e, 31, 5), put_bits(e, (uint64_t)dod, 64);

	/* Value. */
	uint64_t x = vb ^ e->v_last;
	if (x == 0) {
		put_bits(e, 0, 1);
	} else {
		unsigned lead = (unsigned)__builtin_clzll(x);
		unsigned trail = (unsigned)__builtin_ctzll(x);
		if (e->lead != NO_WINDOW && lead >= e->lead && trail >= e->trail) {
			unsigned len = 64 - e->lead - e->trail;
			put_bits(e, 2, 2);
			put_bits(e, x >> e->trail, len);
		} else {
			unsigned len = 64 - lead - trail;
			put_bits(e, 3, 2);
			put_bits(e, lead, 6);
			put_bits(e, len - 1, 6);
			put_bits(e, x >> trail, len);
			e->lead = lead;
			e->trail = trail;
		}
	}
	e->delta_last = delta;
	e->t_last = t;
	e->v_last = vb;
	e->count++;
	return 0;
}

static int put_varint(struct pl_buf *b, uint64_t u)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		uint8_t c = u & 0x7f;
		u >>= 7;
		tmp[n++] = c | (u ? 0x80 : 0);
	} while (u);
	return pl_buf_append(b, tmp, n);
}

static uint64_t zigzag(int64_t i)
{
	return ((uint64_t)i << 1) ^ ((uint64_t)0 - ((uint64_t)i >> 63)); /* all ones when negative */
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int line_block_enc_peek(const struct line_block_enc *e, struct pl_buf *out)
{
	if (e->count == 0)
		return PL_EINVAL;
	size_t mark = out->len;
	uint8_t vb[8];
	for (int k = 0; k < 8; k++)
		vb[k] = (uint8_t)(e->v_first >> (8 * k));
	uint8_t ver = BLOCK_VERSION;
	int rc;
	if ((rc = pl_buf_append(out, &ver, 1)) || (rc = put_varint(out, e->count)) ||
	    (rc = put_varint(out, zigzag(e->t_first))) ||
	    (rc = put_varint(out, zigzag(e->t_last))) ||
	    (rc = pl_buf_append(out, vb, 8)) ||
	    (e->bits.len && (rc = pl_buf_append(out, e->bits.data, e->bits.len)))) {
		out->len = mark; /* leave out as it was */
		if (out->data)
			out->data[mark] = '\0';
		return rc;
	}
	return 0;
}

int line_block_enc_finish(struct line_block_enc *e, struct pl_buf *out)
{
	int rc = line_block_enc_peek(e, out);
	if (rc)
		return rc;
	pl_buf_clear(&e->bits);
	e->nbits = 0;
	e->count = 0;
	e->lead = NO_WINDOW;
	e->trail = 0;
	return 0;
}

int line_block_encode(const struct line_point *pts, size_t n, struct pl_buf *out)
{
	struct line_block_enc e;
	int rc = 0;
	line_block_enc_init(&e);
	for (size_t i = 0; i < n; i++)
		if ((rc = line_block_enc_add(&e, pts[i].t, pts[i].v)))
			goto out;
	rc = line_block_enc_finish(&e, out);
out:
	line_block_enc_release(&e);
	return rc;
}

/* ------------------------------------------------------------ bit reader */

struct reader {
	const uint8_t *p;
	size_t len;   /* bytes */
	size_t pos;   /* bit position in p */
	bool bad;     /* read past the end */
};

static uint64_t get_bits(struct reader *r, unsigned n)
{
	uint64_t v = 0;
	if (n > r->len * 8 - r->pos) {
		r->bad = true;
		return 0;
	}
	while (n > 0) {
		unsigned used = (unsigned)(r->pos % 8);
		unsigned room = 8 - used;
		unsigned k = n < room ? n : room;
		uint8_t byte = r->p[r->pos / 8];
		uint64_t chunk = (byte >> (room - k)) & ((1u << k) - 1);
		v = (v << k) | chunk;
		r->pos += k;
		n -= k;
	}
	return v;
}

static int64_t sext(uint64_t u, unsigned bits)
{
	if (bits == 64)
		return (int64_t)u;
	uint64_t m = (uint64_t)1 << (bits - 1);
	return (int64_t)((u ^ m) - m);
}

static bool get_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *out)
{
	uint64_t u = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*off >= len)
			return false;
		uint8_t c = p[(*off)++];
		if (shift == 63 && c > 1)
			return false;
		u |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = u;
			return true;
		}
	}
	return false;
}

struct header {
	size_t count;
	int64_t t_first, t_last;
	uint64_t v_first;
	size_t body; /* offset of the bit stream */
};

static int read_header(const uint8_t *p, size_t len, struct header *h)
{
	size_t off = 1;
	uint64_t c, a, b;
	if (!p || len < 1 || p[0] != BLOCK_VERSION || !get_varint(p, len, &off, &c) ||
	    !get_varint(p, len, &off, &a) || !get_varint(p, len, &off, &b) || len - off < 8)
		return PL_EPARSE;
	if (c < 1 || c > LINE_BLOCK_POINTS_MAX)
		return PL_EPARSE;
	h->count = (size_t)c;
	h->t_first = unzigzag(a);
	h->t_last = unzigzag(b);
	if (h->t_first < -LINE_TIME_ABS_MAX || h->t_first > LINE_TIME_ABS_MAX ||
	    h->t_last < h->t_first || h->t_last > LINE_TIME_ABS_MAX ||
	    (c == 1 && h->t_last != h->t_first))
		return PL_EPARSE;
	h->v_first = 0;
	for (int k = 0; k < 8; k++)
		h->v_first |= (uint64_t)p[off + k] << (8 * k);
	h->body = off + 8;
	return 0;
}

int line_block_info(const void *blk, size_t len, size_t *count,
		    int64_t *t_first, int64_t *t_last)
{
	struct header h;
	int rc = read_header(blk, len, &h);
	if (rc)
		return rc;
	*count = h.count;
	*t_first = h.t_first;
	*t_last = h.t_last;
	return 0;
}

int line_block_decode(const void *blk, size_t len, int64_t from, int64_t to,
		      struct line_point *out, size_t max, size_t *n)
{
	struct header h;
	size_t got = 0;
	int rc;

	*n = 0;
	if ((rc = read_header(blk, len, &h)))
		return rc;
	struct reader r = { (const uint8_t *)blk + h.body, len - h.body, 0, false };
	int64_t t = h.t_first, delta = 0;
	uint64_t vb = h.v_first;
	unsigned lead = NO_WINDOW, trail = 0;
	bool full = false;

	for (size_t i = 0; i < h.count; i++) {
		if (i > 0) {
			int64_t dod;
			if (get_bits(&r, 1) == 0)
				dod = 0;
			else if (get_bits(&r, 1) == 0)
				dod = sext(get_bits(&r, 7), 7);
			else if (get_bits(&r, 1) == 0)
				dod = sext(get_bits(&r, 9), 9);
			else if (get_bits(&r, 1) == 0)
				dod = sext(get_bits(&r, 12), 12);
			else if (get_bits(&r, 1) == 0)
				dod = sext(get_bits(&r, 32), 32);
			else
				dod = sext(get_bits(&r, 64), 64);
			/* Bound before adding so a forged dod cannot overflow. */
			if (r.bad || dod > 4 * LINE_TIME_ABS_MAX || dod < -4 * LINE_TIME_ABS_MAX)
				return PL_EPARSE;
			delta += dod;
			if (delta <= 0 || delta > 2 * LINE_TIME_ABS_MAX)
				return PL_EPARSE;
			t += delta;
			if (t > h.t_last)
				return PL_EPARSE;
			if (get_bits(&r, 1) == 1) {
				if (get_bits(&r, 1) == 0) {
					if (lead == NO_WINDOW)
						return PL_EPARSE;
					vb ^= get_bits(&r, 64 - lead - trail) << trail;
				} else {
					unsigned l = (unsigned)get_bits(&r, 6);
					unsigned len_ = (unsigned)get_bits(&r, 6) + 1;
					if (l + len_ > 64)
						return PL_EPARSE;
					lead = l;
					trail = 64 - l - len_;
					vb ^= get_bits(&r, len_) << trail;
				}
			}
			if (r.bad)
				return PL_EPARSE;
		}
		if (t >= to)
			break;
		if (t >= from) {
			if (got == max) {
				full = true;
				break;
			}
			double v;
			memcpy(&v, &vb, sizeof(v));
			out[got++] = (struct line_point){ t, v };
		}
		if (i == h.count - 1 && t != h.t_last)
			return PL_EPARSE;
	}
	*n = got;
	return full ? PL_ETOOBIG : 0;
}

/* ----------------------------------------------------------------- merge */

struct tagged {
	struct line_point p;
	size_t seq; /* original position: makes qsort stable */
};

static int cmp_tagged(const void *a, const void *b)
{
	const struct tagged *x = a, *y = b;
	if (x->p.t != y->p.t)
		return x->p.t < y->p.t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void line_points_merge(const struct line_point *a, size_t na,
		       struct line_point *b, size_t nb,
		       struct line_point *out, size_t *n)
{
	size_t nbu = 0;
	if (nb) {
		struct tagged *tg = pl_calloc(nb, sizeof(*tg));
		for (size_t i = 0; i < nb; i++)
			tg[i] = (struct tagged){ b[i], i };
		qsort(tg, nb, sizeof(*tg), cmp_tagged);
		/* of equal timestamps within b the last one wins */
		for (size_t i = 0; i < nb; i++) {
			if (nbu && b[nbu - 1].t == tg[i].p.t)
				b[nbu - 1] = tg[i].p;
			else
				b[nbu++] = tg[i].p;
		}
		free(tg);
	}
	size_t i = 0, j = 0, k = 0;
	while (i < na || j < nbu) {
		if (j == nbu || (i < na && a[i].t < b[j].t)) {
			out[k++] = a[i++];
		} else {
			if (i < na && a[i].t == b[j].t)
				i++; /* b replaces a */
			out[k++] = b[j++];
		}
	}
	*n = k;
}
