/* test_decode.c - the image decoders on good, corrupt, truncated and
 * oversized inputs (PNG via libspng, JPEG via libturbojpeg, binary PGM),
 * as one table of {input, limits, expected code, expected pixel}. Inputs are
 * made by the real encoders (libspng's and libturbojpeg's) at test time, so
 * a decoder is checked against the library that wrote the file. */
#include <criterion/criterion.h>
#include <turbojpeg.h>
#include <unistd.h>
#include "vision/vision.h"

#define W 40
#define H 24

/* A grey ramp: pixel (x, y) = 5x + 2y. */
static void ramp(uint8_t *px)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			px[y * W + x] = (uint8_t)(5 * x + 2 * y);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static uint8_t *make_png(unsigned channels, size_t *len)
{
	char path[] = "/tmp/pl-vis-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	uint8_t px[W * H * 3];
	uint8_t g[W * H];
	ramp(g);
	for (int i = 0; i < W * H; i++) {
		if (channels == 1)
			px[i] = g[i];
		else
			px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = g[i];
	}
	cr_assert_eq(vis_png_write(path, px, W, H, channels, 6), 0);
	uint8_t *b = slurp(path, len);
	unlink(path);
	return b;
}

static uint8_t *make_jpeg(size_t *len)
{
	uint8_t g[W * H];
	unsigned char *out = NULL;
	unsigned long n = 0;
	tjhandle tj = tjInitCompress();
	ramp(g);
	cr_assert_eq(tjCompress2(tj, g, W, W, H, TJPF_GRAY, &out, &n, TJSAMP_GRAY, 100, 0), 0);
	tjDestroy(tj);
	uint8_t *b = malloc(n);
	memcpy(b, out, n);
	tjFree(out);
	*len = n;
	return b;
}

static uint8_t *make_pgm(const char *header, int bytes_per_px, size_t npx, size_t *len)
{
	size_t hl = strlen(header);
	uint8_t *b = calloc(1, hl + npx * bytes_per_px + 1);
	memcpy(b, header, hl);
	uint8_t g[W * H];
	ramp(g);
	for (size_t i = 0; i < npx && i < W * H; i++) {
		if (bytes_per_px == 1)
			b[hl + i] = g[i];
		else {
			b[hl + 2 * i] = g[i]; /* 16-bit value g*256 + g: scales back to g */
			b[hl + 2 * i + 1] = g[i];
		}
	}
	*len = hl + npx * bytes_per_px;
	return b;
}

enum mutate { M_NONE, M_TRUNCATE_HALF, M_FLIP_MIDDLE, M_FIRST_BYTES };

struct dcase {
	const char *name;
	int kind;            /* 0 png grey, 1 png rgb, 2 jpeg, 3 pgm8, 4 pgm16, 5 raw text */
	const char *pgm_header;
	size_t pgm_px;       /* pixels of body written */
	enum mutate m;
	struct vis_decode_limits lim;
	int rc;
	int tol;             /* max |pixel - ramp| when rc == 0 */
};

static const struct dcase dcases[] = {
	{ "png grey", 0, NULL, 0, M_NONE, { 0 }, 0, 0 },
	{ "png rgb to grey", 1, NULL, 0, M_NONE, { 0 }, 0, 1 },
	{ "png truncated", 0, NULL, 0, M_TRUNCATE_HALF, { 0 }, PL_EPARSE, 0 },
	{ "png corrupt data (crc)", 0, NULL, 0, M_FLIP_MIDDLE, { 0 }, PL_EPARSE, 0 },
	{ "png over the caller's cap", 0, NULL, 0, M_NONE, { 32, 32, 0, 0 }, PL_ETOOBIG, 0 },
	{ "png wrong size", 0, NULL, 0, M_NONE, { 0, 0, 64, 64 }, PL_EINVAL, 0 },
	{ "png signature only", 0, NULL, 0, M_FIRST_BYTES, { 0 }, PL_EPARSE, 0 },
	{ "jpeg", 2, NULL, 0, M_NONE, { 0 }, 0, 3 },
	{ "jpeg truncated", 2, NULL, 0, M_TRUNCATE_HALF, { 0 }, PL_EPARSE, 0 },
	{ "jpeg over cap", 2, NULL, 0, M_NONE, { 16, 16, 0, 0 }, PL_ETOOBIG, 0 },
	{ "pgm 8-bit", 3, "P5\n40 24\n255\n", W * H, M_NONE, { 0 }, 0, 0 },
	{ "pgm with comment", 3, "P5\n# made by hand\n40 24\n255\n", W * H, M_NONE, { 0 }, 0, 0 },
	{ "pgm 16-bit", 4, "P5 40 24 65535\n", W * H, M_NONE, { 0 }, 0, 0 },
	{ "pgm truncated body", 3, "P5\n40 24\n255\n", W * H / 2, M_NONE, { 0 }, PL_EPARSE, 0 },
	{ "pgm huge header", 3, "P5\n100000 100000\n255\n", 10, M_NONE, { 0 }, PL_ETOOBIG, 0 },
	{ "pgm zero width", 3, "P5\n0 24\n255\n", 10, M_NONE, { 0 }, PL_EPARSE, 0 },
	{ "pgm maxval 0", 3, "P5\n40 24\n0\n", W * H, M_NONE, { 0 }, PL_EPARSE, 0 },
	{ "pgm ten-digit width", 3, "P5\n4000000000 1\n255\n", 10, M_NONE, { 0 }, PL_EPARSE, 0 },
	{ "pgm no whitespace after maxval", 3, "P5\n40 24\n255", 0, M_NONE, { 0 }, PL_EPARSE, 0 },
	{ "ascii pgm (P2) unsupported", 3, "P2\n40 24\n255\n", 0, M_NONE, { 0 }, PL_EUNSUPPORTED, 0 },
	{ "text", 5, "hello, world", 0, M_NONE, { 0 }, PL_EUNSUPPORTED, 0 },
	{ "empty", 5, "", 0, M_NONE, { 0 }, PL_EUNSUPPORTED, 0 },
};

Test(vis_decode, table)
{
	uint8_t want[W * H];
	ramp(want);
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		size_t len = 0;
		uint8_t *b;
		switch (c->kind) {
		case 0: b = make_png(1, &len); break;
		case 1: b = make_png(3, &len); break;
		case 2: b = make_jpeg(&len); break;
		case 3: b = make_pgm(c->pgm_header, 1, c->pgm_px, &len); break;
		case 4: b = make_pgm(c->pgm_header, 2, c->pgm_px, &len); break;
		default: b = (uint8_t *)strdup(c->pgm_header); len = strlen(c->pgm_header); break;
		}
		if (c->m == M_TRUNCATE_HALF)
			len /= 2;
		else if (c->m == M_FLIP_MIDDLE)
			b[len / 2] ^= 0x5a;
		else if (c->m == M_FIRST_BYTES)
			len = 8;
		struct vis_image im;
		char why[200] = "";
		int rc = vis_decode_mem(b, len, &c->lim, &im, why, sizeof(why));
		cr_expect_eq(rc, c->rc, "case '%s': rc %d (%s), want %d", c->name, rc, why, c->rc);
		if (rc == 0 && c->rc == 0) {
			cr_assert_eq(im.w, W, "case '%s'", c->name);
			cr_assert_eq(im.h, H, "case '%s'", c->name);
			int worst = 0;
			for (int p = 0; p < W * H; p++) {
				int d = abs((int)im.px[p] - want[p]);
				worst = d > worst ? d : worst;
			}
			cr_expect(worst <= c->tol, "case '%s': pixel off by %d", c->name, worst);
		} else {
			cr_expect_null(im.px, "case '%s': failed decode must leave no image", c->name);
			cr_expect(rc == 0 || why[0], "case '%s': failure needs a reason", c->name);
		}
		vis_image_release(&im);
		free(b);
	}
}

Test(vis_decode, file_errors)
{
	struct vis_image im;
	char why[200];
	cr_expect_eq(vis_decode_file("/nonexistent/x.png", NULL, &im, why, sizeof(why)), PL_EIO);
	cr_expect(strstr(why, "/nonexistent/x.png") != NULL, "%s", why);
	cr_expect_eq(vis_decode_file("/tmp", NULL, &im, why, sizeof(why)), PL_EIO, "%s", why);
}

Test(vis_decode, png_round_trip_through_file)
{
	char path[] = "/tmp/pl-vis-rt-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct vis_image a, b;
	cr_assert_eq(vis_image_alloc(&a, 300, 200), 0);
	for (size_t i = 0; i < 300 * 200; i++)
		a.px[i] = (uint8_t)(i * 7);
	cr_assert_eq(vis_png_write(path, a.px, a.w, a.h, 1, 1), 0);
	cr_assert_eq(vis_decode_file(path, NULL, &b, NULL, 0), 0);
	cr_expect_eq(memcmp(a.px, b.px, 300 * 200), 0);
	cr_assert_eq(vis_pgm_write(path, &a), 0);
	vis_image_release(&b);
	cr_assert_eq(vis_decode_file(path, NULL, &b, NULL, 0), 0);
	cr_expect_eq(memcmp(a.px, b.px, 300 * 200), 0);
	vis_image_release(&a);
	vis_image_release(&b);
	unlink(path);
	cr_expect_eq(vis_image_alloc(&a, VIS_DIM_MAX + 1, 1), PL_ETOOBIG);
	cr_expect_eq(vis_image_alloc(&a, 8192, 8192), PL_ETOOBIG);
}
