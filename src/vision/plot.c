/*
 * plot.c - the two PNG plots of the Knapp-style report (`parkline inspect
 * knapp --report OUT.md` writes OUT-knapp.png and OUT-pod.png beside the
 * Markdown and links them):
 *   - reject probability per unit, units sorted by the machine's p, with
 *     the manual reference's p of the same unit and the 0.7 reject-zone
 *     line;
 *   - probability of detection per particle size bin with 95 % Wilson
 *     intervals.
 * Drawn into an 8-bit RGB canvas by the few primitives below (rectangles,
 * lines, a 3x5 pixel font scaled 2x) and written with libspng through
 * vis_png_write: no plotting dependency for two bar charts. The canvas is
 * a fixed 800 x 420 px, so memory does not depend on the number of units
 * (several units share a column; the column shows their largest p).
 */
#include "vision/vision_int.h"

#define PW 800
#define PH 420
#define ML 70  /* plot area margins: left, right, top, bottom */
#define MR 20
#define MT 40
#define MB 60
#define FS 2   /* font scale */

struct canvas {
	uint8_t px[PH][PW][3];
};

static void fill(struct canvas *c, int x0, int y0, int x1, int y1, uint32_t rgb)
{
	if (x0 > x1) {
		int t = x0;
		x0 = x1;
		x1 = t;
	}
	if (y0 > y1) {
		int t = y0;
		y0 = y1;
		y1 = t;
	}
	for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < PH; y++)
		for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < PW; x++) {
			c->px[y][x][0] = (uint8_t)(rgb >> 16);
			c->px[y][x][1] = (uint8_t)(rgb >> 8);
			c->px[y][x][2] = (uint8_t)rgb;
		}
}

/* A dashed horizontal line when dash > 0. */
static void hline(struct canvas *c, int x0, int x1, int y, uint32_t rgb, int dash)
{
	for (int x = x0; x <= x1; x++)
		if (!dash || (x / dash) % 2 == 0)
			fill(c, x, y, x, y, rgb);
}

/* 3x5 glyphs, rows top to bottom, '1' = ink. Unknown characters are blank. */
static const char *glyph(char ch)
{
	static const struct {
		char c;
		const char *g;
	} font[] = {
		{ '0', "111101101101111" }, { '1', "010110010010111" }, { '2', "111001111100111" },
		{ '3', "111001111001111" }, { '4', "101101111001001" }, { '5', "111100111001111" },
		{ '6', "111100111101111" }, { '7', "111001001001001" }, { '8', "111101111101111" },
		{ '9', "111101111001111" }, { '.', "000000000000010" }, { '-', "000000111000000" },
		{ '%', "101001010100101" }, { '(', "010100100100010" }, { ')', "010001001001010" },
		{ '/', "001001010100100" }, { '=', "000111000111000" }, { '>', "100010001010100" },
		{ '<', "001010100010001" }, { ',', "000000000010100" }, { ':', "000010000010000" },
		{ 'A', "010101111101101" }, { 'B', "110101110101110" }, { 'C', "011100100100011" },
		{ 'D', "110101101101110" }, { 'E', "111100110100111" }, { 'F', "111100110100100" },
		{ 'G', "011100101101011" }, { 'H', "101101111101101" }, { 'I', "111010010010111" },
		{ 'J', "001001001101010" }, { 'K', "101101110101101" }, { 'L', "100100100100111" },
		{ 'M', "101111111101101" }, { 'N', "110101101101101" }, { 'O', "010101101101010" },
		{ 'P', "110101110100100" }, { 'Q', "010101101110011" }, { 'R', "110101110101101" },
		{ 'S', "011100010001110" }, { 'T', "111010010010010" }, { 'U', "101101101101111" },
		{ 'V', "101101101101010" }, { 'W', "101101111111101" }, { 'X', "101101010101101" },
		{ 'Y', "101101010010010" }, { 'Z', "111001010100111" },
	};
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	for (size_t i = 0; i < sizeof(font) / sizeof(font[0]); i++)
		if (font[i].c == ch)
			return font[i].g;
	return NULL;
}

/* Text with its top-left at (x, y); returns the width drawn. */
static int text(struct canvas *c, int x, int y, const char *s, uint32_t rgb)
{
	int x0 = x;
	for (; *s; s++, x += 4 * FS) {
		const char *g = glyph(*s);
		if (!g)
			continue;
		for (int r = 0; r < 5; r++)
			for (int k = 0; k < 3; k++)
				if (g[r * 3 + k] == '1')
					fill(c, x + k * FS, y + r * FS, x + k * FS + FS - 1,
					     y + r * FS + FS - 1, rgb);
	}
	return x - x0;
}

static int text_width(const char *s)
{
	return (int)strlen(s) * 4 * FS;
}

/* Axes with a probability scale 0..1 on the left; returns nothing. */
static void axes(struct canvas *c, const char *title, const char *xlabel)
{
	char lab[16];
	fill(c, 0, 0, PW - 1, PH - 1, 0xffffff);
	text(c, ML, 12, title, 0x000000);
	for (int i = 0; i <= 10; i += 2) {
		int y = PH - MB - (PH - MB - MT) * i / 10;
		hline(c, ML, PW - MR, y, 0xe0e0e0, 0);
		snprintf(lab, sizeof(lab), "%.1f", i / 10.0);
		text(c, ML - 8 - text_width(lab), y - 5, lab, 0x000000);
	}
	fill(c, ML, MT, ML, PH - MB, 0x000000);
	fill(c, ML, PH - MB, PW - MR, PH - MB, 0x000000);
	text(c, ML + (PW - ML - MR - text_width(xlabel)) / 2, PH - 14, xlabel, 0x000000);
}

static int yof(double p)
{
	if (p < 0)
		p = 0;
	if (p > 1)
		p = 1;
	return PH - MB - (int)lround(p * (PH - MB - MT));
}

struct unit_p {
	double machine, manual;
};

static int cmp_unit_p(const void *a, const void *b)
{
	const struct unit_p *x = a, *y = b;
	if (x->machine != y->machine)
		return x->machine < y->machine ? 1 : -1; /* descending */
	return (x->manual < y->manual) - (x->manual > y->manual);
}

static int write_canvas(const char *path, const struct canvas *c)
{
	return vis_png_write(path, &c->px[0][0][0], PW, PH, 3, 6);
}

int vis_plot_knapp_png(const char *path, const double *p_machine, const double *p_manual,
		       size_t n, double zone)
{
	struct canvas *c;
	struct unit_p *u;
	char title[120];
	int rc;

	if (n == 0 || !(zone > 0 && zone < 1))
		return PL_EINVAL;
	c = pl_malloc(sizeof(*c));
	u = pl_malloc(n * sizeof(*u));
	for (size_t i = 0; i < n; i++)
		u[i] = (struct unit_p){ p_machine[i], p_manual ? p_manual[i] : -1 };
	qsort(u, n, sizeof(*u), cmp_unit_p);
	snprintf(title, sizeof(title), "REJECT PROBABILITY PER UNIT (%zu UNITS, SORTED)", n);
	axes(c, title, "UNITS BY MACHINE P, HIGHEST FIRST");
	int pw = PW - ML - MR - 1;
	/* each column: the largest machine p of the units that fall on it */
	for (int x = 0; x < pw; x++) {
		size_t a = (size_t)((double)x * n / pw), b = (size_t)((double)(x + 1) * n / pw);
		if (b <= a)
			b = a + 1;
		if (a >= n)
			break;
		double pm = 0, pr = -1;
		for (size_t i = a; i < b && i < n; i++) {
			if (u[i].machine > pm)
				pm = u[i].machine;
			if (u[i].manual > pr)
				pr = u[i].manual;
		}
		if (pm > 0)
			fill(c, ML + 1 + x, yof(pm), ML + 1 + x, PH - MB - 1,
			     pm >= zone ? 0xc0392b : 0x7f8c8d);
		if (pr >= 0)
			fill(c, ML + 1 + x, yof(pr) - 1, ML + 1 + x, yof(pr) + 1, 0x2e86de);
	}
	hline(c, ML + 1, PW - MR, yof(zone), 0x000000, 6);
	char zl[40];
	snprintf(zl, sizeof(zl), "REJECT ZONE P >= %.1f", zone);
	text(c, PW - MR - text_width(zl) - 4, yof(zone) - 14, zl, 0x000000);
	/* legend */
	int lx = PW - MR - 330, ly = MT + 8;
	fill(c, lx, ly, lx + 12, ly + 8, 0xc0392b);
	lx += 18 + text(c, lx + 18, ly, "MACHINE", 0x000000);
	fill(c, lx + 10, ly + 3, lx + 22, ly + 5, 0x2e86de);
	if (p_manual)
		text(c, lx + 28, ly, "MANUAL REFERENCE", 0x000000);
	rc = write_canvas(path, c);
	free(u);
	free(c);
	return rc;
}

int vis_plot_pod_png(const char *path, const struct vis_eval *e)
{
	struct canvas *c = pl_malloc(sizeof(*c));
	int nb = VIS_EVAL_BINS - 1, pw = PW - ML - MR, slot = pw / nb, rc;
	axes(c, "PROBABILITY OF DETECTION BY PARTICLE SIZE (95% WILSON CI)", "PARTICLE SIZE (UM)");
	for (int b = 1; b < VIS_EVAL_BINS; b++) {
		int x0 = ML + (b - 1) * slot + slot / 4, x1 = x0 + slot / 2;
		const char *name = vis_eval_bin_name(b);
		text(c, (x0 + x1 - text_width(name)) / 2, PH - MB + 8, name, 0x000000);
		uint64_t k = e->pod_hit[b], n = e->pod_n[b];
		char lab[32];
		if (!n) {
			text(c, (x0 + x1 - text_width("NO UNITS")) / 2, PH - MB - 20, "NO UNITS",
			     0x7f8c8d);
			continue;
		}
		double p = (double)k / (double)n, z = 1.959964, nn = (double)n;
		double d = 1 + z * z / nn, cc = (p + z * z / (2 * nn)) / d;
		double hw = z * sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / d;
		fill(c, x0, yof(p), x1, PH - MB - 1, 0x2e86de);
		int xm = (x0 + x1) / 2;
		fill(c, xm, yof(cc + hw), xm, yof(cc - hw), 0x000000);
		fill(c, xm - 6, yof(cc + hw), xm + 6, yof(cc + hw), 0x000000);
		fill(c, xm - 6, yof(cc - hw), xm + 6, yof(cc - hw), 0x000000);
		snprintf(lab, sizeof(lab), "%.0f%% N=%llu", 100 * p, (unsigned long long)n);
		text(c, (x0 + x1 - text_width(lab)) / 2, PH - MB + 24, lab, 0x000000);
	}
	/* the goals: 95 % from 150 um, 70 % for 100-150 um */
	hline(c, ML + 2 * slot, PW - MR, yof(0.95), 0xc0392b, 6);
	hline(c, ML + slot, ML + 2 * slot, yof(0.70), 0xc0392b, 6);
	text(c, ML + 2 * slot + 4, yof(0.95) - 14, "GOAL 95%", 0xc0392b);
	text(c, ML + slot + 4, yof(0.70) - 14, "GOAL 70%", 0xc0392b);
	rc = write_canvas(path, c);
	free(c);
	return rc;
}
