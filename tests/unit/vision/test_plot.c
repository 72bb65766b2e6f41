/* test_plot.c - the Knapp report's PNG plots (src/vision/plot.c): each
 * is a real PNG that our own decoder reads back at the documented size,
 * with ink where the data says (a p = 1 unit's bar reaches the top of the
 * plot area, a p = 0 unit's column stays white), and refusals are table
 * driven: no units, a zone outside (0, 1), an unwritable path. */
#include <criterion/criterion.h>
#include <unistd.h>
#include "vision/vision.h"

static char *tmpname(void)
{
	static const char tmpl[] = "/tmp/pl-vis-plot-XXXXXX";
	char *p = strdup(tmpl);
	int fd = mkstemp(p);
	cr_assert(fd >= 0);
	close(fd);
	return p;
}

Test(plot, knapp_png_reads_back)
{
	double pm[4] = { 0, 1, 0.5, 0 }, pr[4] = { 0.05, 0.99, 0.7, 0.05 };
	char *path = tmpname(), why[200];
	struct vis_image im;
	cr_assert_eq(vis_plot_knapp_png(path, pm, pr, 4, 0.7), 0);
	cr_assert_eq(vis_decode_file(path, NULL, &im, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(im.w, 800);
	cr_assert_eq(im.h, 420);
	/* plot area x 71..779 (709 columns, 4 units: ~177 each), y 40..360.
	 * Sorted: unit p=1 first -> columns 71..247 filled up to y=40; the
	 * last unit (p=0) -> no bar: white just above the axis. */
	uint8_t top_first = im.px[(size_t)45 * im.stride + 150];
	uint8_t low_last = im.px[(size_t)350 * im.stride + 700];
	cr_assert_lt(top_first, 160, "first unit's bar missing (grey %u)", top_first);
	cr_assert_gt(low_last, 200, "last unit (p = 0) should have no bar (grey %u)", low_last);
	vis_image_release(&im);
	unlink(path);
	free(path);
}

Test(plot, pod_png_reads_back)
{
	struct vis_eval e;
	char *path = tmpname(), why[200];
	struct vis_image im;
	vis_eval_init(&e);
	e.pod_n[3] = 20;
	e.pod_hit[3] = 19;
	cr_assert_eq(vis_plot_pod_png(path, &e), 0);
	cr_assert_eq(vis_decode_file(path, NULL, &im, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(im.w, 800);
	cr_assert_eq(im.h, 420);
	vis_image_release(&im);
	unlink(path);
	free(path);
}

Test(plot, refusals)
{
	double p[1] = { 0.5 };
	struct vis_eval e;
	vis_eval_init(&e);
	struct {
		const char *path;
		size_t n;
		double zone;
		int want;
	} cases[] = {
		{ "/tmp/pl-vis-plot-never.png", 0, 0.7, PL_EINVAL },
		{ "/tmp/pl-vis-plot-never.png", 1, 0, PL_EINVAL },
		{ "/tmp/pl-vis-plot-never.png", 1, 1, PL_EINVAL },
		{ "/nonexistent-dir/x.png", 1, 0.7, PL_EIO },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(vis_plot_knapp_png(cases[i].path, p, NULL, cases[i].n, cases[i].zone),
			     cases[i].want, "case %zu", i);
	cr_assert_eq(vis_plot_pod_png("/nonexistent-dir/x.png", &e), PL_EIO);
	cr_assert_eq(access("/tmp/pl-vis-plot-never.png", F_OK), -1);
}
