/*
 * decode.c - image files in and out for the inspection library.
 *
 * Every camera frame that does not arrive as a raw buffer comes through
 * here: PNG through libspng, JPEG through libturbojpeg, binary PGM (P5)
 * through the small header parser below (netpbm's library would add a
 * dependency for a dozen lines). All three check the declared dimensions
 * against the caller's caps BEFORE allocating pixel memory, so a hostile
 * header can never make us allocate more than VIS_PIXELS_MAX bytes; a
 * truncated or corrupt body is an error, never a partial image.
 *
 * Output: vis_png_write() (libspng's encoder) for simulator frames and
 * overlays, vis_pgm_write() for tools that want no decoder.
 */
#include "vision/vision.h"

#include <errno.h>
#include <limits.h>
#include <spng.h>
#include <turbojpeg.h>

int vis_image_alloc(struct vis_image *im, uint32_t w, uint32_t h)
{
	size_t n;
	memset(im, 0, sizeof(*im));
	if (w == 0 || h == 0 || w > VIS_DIM_MAX || h > VIS_DIM_MAX ||
	    !pl_size_mul(w, h, &n) || n > VIS_PIXELS_MAX)
		return PL_ETOOBIG;
	im->px = pl_calloc(n, 1);
	im->w = w;
	im->h = h;
	im->stride = w;
	return 0;
}

void vis_image_release(struct vis_image *im)
{
	free(im->px);
	memset(im, 0, sizeof(*im));
}

static void why_set(char *why, size_t whysz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void why_set(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;
	if (!why || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/* Shared dimension check: caps first (PL_ETOOBIG), then the exact size the
 * caller expects (PL_EINVAL). */
static int dims_check(const struct vis_decode_limits *lim, uint64_t w, uint64_t h,
		      char *why, size_t whysz)
{
	uint64_t mw = lim && lim->max_w ? lim->max_w : VIS_DIM_MAX;
	uint64_t mh = lim && lim->max_h ? lim->max_h : VIS_DIM_MAX;
	if (w == 0 || h == 0) {
		why_set(why, whysz, "image has zero size (%llux%llu)",
			(unsigned long long)w, (unsigned long long)h);
		return PL_EPARSE;
	}
	if (w > mw || h > mh || w > VIS_DIM_MAX || h > VIS_DIM_MAX ||
	    w * h > VIS_PIXELS_MAX) {
		why_set(why, whysz, "image is %llux%llu, over the %llux%llu cap",
			(unsigned long long)w, (unsigned long long)h,
			(unsigned long long)mw, (unsigned long long)mh);
		return PL_ETOOBIG;
	}
	if (lim && lim->want_w && (w != lim->want_w || h != lim->want_h)) {
		why_set(why, whysz, "image is %llux%llu, expected %ux%u",
			(unsigned long long)w, (unsigned long long)h, lim->want_w,
			lim->want_h);
		return PL_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ PNG */
static int decode_png(const uint8_t *buf, size_t len, const struct vis_decode_limits *lim,
		      struct vis_image *out, char *why, size_t whysz)
{
	int rc = PL_EPARSE, e;
	spng_ctx *ctx = spng_ctx_new(0);
	struct spng_ihdr ihdr;
	uint8_t *tmp = NULL;
	size_t need;

	if (!ctx)
		abort(); /* allocation failure aborts (style rule 7) */
	/* libspng checks chunk sizes itself; cap its chunk cache too, so ancillary
	 * chunks cannot make it allocate more than the file is worth. */
	spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_ERROR);
	spng_set_chunk_limits(ctx, 1u << 20, 4u << 20);
	spng_set_image_limits(ctx, VIS_DIM_MAX, VIS_DIM_MAX);
	if ((e = spng_set_png_buffer(ctx, buf, len)) ||
	    (e = spng_get_ihdr(ctx, &ihdr))) {
		why_set(why, whysz, "PNG header: %s", spng_strerror(e));
		goto out;
	}
	if ((rc = dims_check(lim, ihdr.width, ihdr.height, why, whysz)))
		goto out;
	if (vis_image_alloc(out, ihdr.width, ihdr.height)) {
		rc = PL_ETOOBIG;
		goto out;
	}
	if (ihdr.color_type == SPNG_COLOR_TYPE_GRAYSCALE && ihdr.bit_depth <= 8) {
		/* The common camera case: decode straight into the plane. */
		e = spng_decode_image(ctx, out->px, (size_t)out->w * out->h, SPNG_FMT_G8, 0);
	} else {
		/* Colour, palette, alpha or 16-bit: RGBA8, then luma. */
		if ((e = spng_decoded_image_size(ctx, SPNG_FMT_RGBA8, &need)) == 0) {
			tmp = pl_malloc(need);
			e = spng_decode_image(ctx, tmp, need, SPNG_FMT_RGBA8, 0);
		}
		if (e == 0) {
			size_t n = (size_t)out->w * out->h;
			for (size_t i = 0; i < n; i++) {
				const uint8_t *p = tmp + 4 * i;
				out->px[i] = (uint8_t)((p[0] * 77u + p[1] * 150u + p[2] * 29u + 128u) >> 8);
			}
		}
	}
	if (e) {
		why_set(why, whysz, "PNG data: %s", spng_strerror(e));
		rc = PL_EPARSE;
		goto out;
	}
	rc = 0;
out:
	if (rc)
		vis_image_release(out);
	free(tmp);
	spng_ctx_free(ctx);
	return rc;
}

/* ----------------------------------------------------------------- JPEG */
static int decode_jpeg(const uint8_t *buf, size_t len, const struct vis_decode_limits *lim,
		       struct vis_image *out, char *why, size_t whysz)
{
	int rc = PL_EPARSE, w = 0, h = 0, sub = 0, cs = 0;
	tjhandle tj = tjInitDecompress();

	if (!tj)
		abort();
	if (len > ULONG_MAX ||
	    tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs)) {
		why_set(why, whysz, "JPEG header: %s", tjGetErrorStr2(tj));
		goto out;
	}
	if ((rc = dims_check(lim, (uint64_t)w, (uint64_t)h, why, whysz)))
		goto out;
	if (vis_image_alloc(out, (uint32_t)w, (uint32_t)h)) {
		rc = PL_ETOOBIG;
		goto out;
	}
	/* TJFLAG_STOPONWARNING: a truncated scan is a warning to libjpeg (it
	 * pads with grey); for inspection a half image must be an error. */
	if (tjDecompress2(tj, buf, (unsigned long)len, out->px, w, w, h, TJPF_GRAY,
			  TJFLAG_STOPONWARNING)) {
		why_set(why, whysz, "JPEG data: %s", tjGetErrorStr2(tj));
		rc = PL_EPARSE;
		goto out;
	}
	rc = 0;
out:
	if (rc)
		vis_image_release(out);
	tjDestroy(tj);
	return rc;
}

/* ------------------------------------------------------------------ PGM
 * P5 only: "P5" ws width ws height ws maxval single-ws, then w*h bytes
 * (maxval < 256) or w*h*2 big-endian (maxval < 65536). '#' comments may
 * appear between tokens. */
static int pgm_token(const uint8_t *buf, size_t len, size_t *pos, uint64_t *val)
{
	size_t p = *pos;
	uint64_t v = 0;
	int digits = 0;
	for (;;) {
		while (p < len && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r' ||
				   buf[p] == '\n'))
			p++;
		if (p < len && buf[p] == '#') {
			while (p < len && buf[p] != '\n')
				p++;
			continue;
		}
		break;
	}
	while (p < len && buf[p] >= '0' && buf[p] <= '9') {
		if (++digits > 9)
			return PL_EPARSE; /* no legitimate field needs 10 digits */
		v = v * 10 + (uint64_t)(buf[p] - '0');
		p++;
	}
	if (!digits)
		return PL_EPARSE;
	*pos = p;
	*val = v;
	return 0;
}

static int decode_pgm(const uint8_t *buf, size_t len, const struct vis_decode_limits *lim,
		      struct vis_image *out, char *why, size_t whysz)
{
	size_t pos = 2, n, bpp;
	uint64_t w, h, maxv;
	int rc;

	if (pgm_token(buf, len, &pos, &w) || pgm_token(buf, len, &pos, &h) ||
	    pgm_token(buf, len, &pos, &maxv) || pos >= len ||
	    !(buf[pos] == ' ' || buf[pos] == '\n' || buf[pos] == '\r' || buf[pos] == '\t')) {
		why_set(why, whysz, "PGM header is malformed");
		return PL_EPARSE;
	}
	pos++;
	if (maxv == 0 || maxv > 65535) {
		why_set(why, whysz, "PGM maxval %llu is out of range", (unsigned long long)maxv);
		return PL_EPARSE;
	}
	if ((rc = dims_check(lim, w, h, why, whysz)))
		return rc;
	bpp = maxv < 256 ? 1 : 2;
	n = (size_t)w * (size_t)h;
	if (len - pos < n * bpp) {
		why_set(why, whysz, "PGM is truncated: %zu of %zu pixel bytes", len - pos,
			n * bpp);
		return PL_EPARSE;
	}
	if ((rc = vis_image_alloc(out, (uint32_t)w, (uint32_t)h)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = bpp == 1 ? buf[pos + i]
				      : ((uint32_t)buf[pos + 2 * i] << 8) | buf[pos + 2 * i + 1];
		if (v > maxv)
			v = (uint32_t)maxv;
		out->px[i] = (uint8_t)((v * 255u + (uint32_t)maxv / 2) / (uint32_t)maxv);
	}
	return 0;
}

int vis_decode_mem(const void *vbuf, size_t len, const struct vis_decode_limits *lim,
		   struct vis_image *out, char *why, size_t whysz)
{
	const uint8_t *buf = vbuf;
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

	memset(out, 0, sizeof(*out));
	if (why && whysz)
		why[0] = '\0';
	if (len > VIS_FILE_MAX) {
		why_set(why, whysz, "image file is %zu bytes, over the %u cap", len, VIS_FILE_MAX);
		return PL_ETOOBIG;
	}
	if (len >= 8 && !memcmp(buf, png_sig, 8))
		return decode_png(buf, len, lim, out, why, whysz);
	if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
		return decode_jpeg(buf, len, lim, out, why, whysz);
	if (len >= 3 && buf[0] == 'P' && buf[1] == '5')
		return decode_pgm(buf, len, lim, out, why, whysz);
	why_set(why, whysz, "not a PNG, JPEG or binary PGM file");
	return PL_EUNSUPPORTED;
}

int vis_decode_file(const char *path, const struct vis_decode_limits *lim,
		    struct vis_image *out, char *why, size_t whysz)
{
	int rc = PL_EIO;
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	if (!f) {
		why_set(why, whysz, "%s: %s", path, strerror(errno));
		return PL_EIO;
	}
	/* Grow to the cap and one byte past it, so "too big" is detectable
	 * without trusting the file size from stat. */
	for (;;) {
		if (len == cap) {
			if (cap > VIS_FILE_MAX) {
				why_set(why, whysz, "%s: over the %u-byte cap", path, VIS_FILE_MAX);
				rc = PL_ETOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 1u << 16;
			buf = pl_realloc(buf, cap);
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		why_set(why, whysz, "%s: read error", path);
		goto out;
	}
	rc = vis_decode_mem(buf, len, lim, out, why, whysz);
out:
	free(buf);
	fclose(f);
	return rc;
}

int vis_png_write(const char *path, const uint8_t *px, uint32_t w, uint32_t h,
		  unsigned channels, int level)
{
	int rc = PL_EIO;
	FILE *f = fopen(path, "wb");
	spng_ctx *ctx = NULL;
	struct spng_ihdr ihdr = { 0 };

	if (!f)
		return PL_EIO;
	if (channels != 1 && channels != 3) {
		rc = PL_EINVAL;
		goto out;
	}
	ctx = spng_ctx_new(SPNG_CTX_ENCODER);
	if (!ctx)
		abort();
	ihdr.width = w;
	ihdr.height = h;
	ihdr.bit_depth = 8;
	ihdr.color_type = channels == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR;
	spng_set_png_file(ctx, f);
	spng_set_option(ctx, SPNG_IMG_COMPRESSION_LEVEL, level);
	if (spng_set_ihdr(ctx, &ihdr) ||
	    spng_encode_image(ctx, px, (size_t)w * h * channels, SPNG_FMT_PNG,
			      SPNG_ENCODE_FINALIZE))
		goto out;
	rc = 0;
out:
	spng_ctx_free(ctx);
	if (fclose(f) && rc == 0)
		rc = PL_EIO;
	return rc;
}

int vis_pgm_write(const char *path, const struct vis_image *im)
{
	int rc = 0;
	FILE *f = fopen(path, "wb");
	if (!f)
		return PL_EIO;
	fprintf(f, "P5\n%u %u\n255\n", im->w, im->h);
	for (uint32_t y = 0; y < im->h; y++)
		if (fwrite(im->px + (size_t)y * im->stride, 1, im->w, f) != im->w)
			rc = PL_EIO;
	if (fclose(f))
		rc = PL_EIO;
	return rc;
}
