/*
 * bench_vision.c - throughput of the raw-buffer inspection path
 * (vis_inspect on 8-bit grey frames already in memory), in vials per
 * minute, on 1 thread and on N threads (one struct vis_ctx each), printed
 * beside the physical floor measured in the same run: a plain memcpy of
 * the same bytes (views x frames x w x h per vial).
 *
 * Frames are rendered once by the simulator (a mix of good and defective
 * units, so the timing includes blob work) and then inspected repeatedly;
 * rendering is not timed. Usage:
 *   bench_vision [--units K] [--seconds S] [--threads N] [--width W --height H]
 */
#include "vision/vision.h"

#include <stdatomic.h>
#include <time.h>

#ifdef PL_BENCH_OPENCV
#include "vision_cv.h" /* the OpenCV comparison: run.sh defines this when it can build it */
#endif

struct bset {
	struct vis_config cfg;
	size_t n;                 /* frames per unit */
	unsigned k;               /* distinct units */
	struct vis_image *frames; /* k * n */
};

struct thr {
	const struct bset *set;
	double seconds;
	atomic_int *go;
	uint64_t units;
	uint64_t rejects;
	double cpu_s;      /* CPU time this thread used (CLOCK_THREAD_CPUTIME_ID) */
	pthread_t th;
	int mode; /* 0 inspect, 1 memcpy, 2 OpenCV core steps */
	uint8_t *dst;
};

#ifdef PL_BENCH_OPENCV
static struct vis_cv_geom cv_geom(const struct vis_config *c)
{
	struct vis_cv_geom g = { (int)c->width, (int)c->height, 1000.0 / c->um_per_px,
				 c->body_radius_mm, c->base_mm, c->body_height_mm, c->neck_top_mm,
				 c->cap_radius_mm, c->cap_top_mm, c->fill_min_mm, c->min_contrast };
	return g;
}
#endif

static void *run(void *arg)
{
	struct thr *t = arg;
	const struct bset *s = t->set;
	struct vis_ctx *ctx = vis_ctx_new(&s->cfg, NULL, 0);
	struct vis_result res;
	size_t plane = (size_t)s->cfg.width * s->cfg.height;
	vis_result_init(&res);
	while (!atomic_load(t->go))
		;
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	int64_t end = pl_time_mono_ns() + (int64_t)(t->seconds * 1e9);
	for (uint64_t i = 0; pl_time_mono_ns() < end; i++) {
		const struct vis_image *u = &s->frames[(i % s->k) * s->n];
		if (t->mode == 0) {
			vis_inspect(ctx, u, s->n, &res);
			t->rejects += res.verdict != VIS_ACCEPT;
		} else if (t->mode == 1) {
			for (size_t f = 0; f < s->n; f++)
				memcpy(t->dst + f * plane, u[f].px, plane);
		} else {
#ifdef PL_BENCH_OPENCV
			const uint8_t *pl[VIS_VIEWS_MAX * VIS_FRAMES_MAX];
			struct vis_cv_geom g = cv_geom(&s->cfg);
			for (size_t f = 0; f < s->n; f++)
				pl[f] = u[f].px;
			t->rejects += vis_cv_unit(pl, s->cfg.views, s->cfg.frames, &g) < 0;
#endif
		}
		t->units++;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	t->cpu_s = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
	vis_result_release(&res);
	vis_ctx_free(ctx);
	return NULL;
}

/* Returns vials/min by wall clock; *per_cpu gets vials/min per CPU-second
 * actually used (what one uncontended core would do: on a shared machine
 * the wall-clock rate also measures the neighbours). */
static double measure(const struct bset *s, int nthreads, int mode, double seconds,
		      double *per_cpu)
{
	double cpu = 0;
	struct thr t[64];
	atomic_int go = 0;
	uint64_t total = 0;
	size_t plane = (size_t)s->cfg.width * s->cfg.height;
	int64_t t0, t1;
	for (int i = 0; i < nthreads; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].set = s;
		t[i].seconds = seconds;
		t[i].go = &go;
		t[i].mode = mode;
		if (mode == 1)
			t[i].dst = pl_malloc(plane * s->n);
		pthread_create(&t[i].th, NULL, run, &t[i]);
	}
	t0 = pl_time_mono_ns();
	atomic_store(&go, 1);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(t[i].th, NULL);
		total += t[i].units;
		cpu += t[i].cpu_s;
		free(t[i].dst);
	}
	t1 = pl_time_mono_ns();
	*per_cpu = cpu > 0 ? total / cpu * 60.0 : 0;
	return total / ((t1 - t0) / 1e9) * 60.0;
}

int main(int argc, char **argv)
{
	struct bset s;
	int64_t k = 6, threads = 2, w = 0, h = 0;
	double seconds = 5;
	char why[200];

	vis_config_default(&s.cfg);
	for (int i = 1; i + 1 < argc; i += 2) {
		int64_t v;
		if (pl_parse_i64(argv[i + 1], 1, 100000, &v)) {
			fprintf(stderr, "bad value for %s\n", argv[i]);
			return 2;
		}
		if (!strcmp(argv[i], "--units"))
			k = v;
		else if (!strcmp(argv[i], "--seconds"))
			seconds = (double)v;
		else if (!strcmp(argv[i], "--threads"))
			threads = v > 64 ? 64 : v;
		else if (!strcmp(argv[i], "--width"))
			w = v;
		else if (!strcmp(argv[i], "--height"))
			h = v;
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (w)
		s.cfg.width = (uint32_t)w;
	if (h)
		s.cfg.height = (uint32_t)h;
	struct vis_sim *sim = vis_sim_new(&s.cfg, why, sizeof(why));
	if (!sim) {
		fprintf(stderr, "config: %s\n", why);
		return 1;
	}
	s.n = (size_t)s.cfg.views * s.cfg.frames;
	s.k = (unsigned)k;
	s.frames = pl_calloc(s.n * s.k, sizeof(*s.frames));
	for (unsigned u = 0; u < s.k; u++) {
		struct vis_sim_truth t;
		for (size_t f = 0; f < s.n; f++)
			vis_image_alloc(&s.frames[u * s.n + f], s.cfg.width, s.cfg.height);
		/* every other unit defective */
		vis_sim_unit(sim, vis_sim_unit_seed(42, u), u % 2 ? 1.0 : 0.0, 0,
			     &s.frames[u * s.n], s.n, &t);
	}
	vis_sim_free(sim);
	double mb = s.n * (double)s.cfg.width * s.cfg.height / 1e6;
	printf("vision bench: %u views x %u frames x %ux%u = %.1f MB per vial, %u distinct units, %.0f s per measurement\n",
	       s.cfg.views, s.cfg.frames, s.cfg.width, s.cfg.height, mb, s.k, seconds);
	double cm1, cmn, ci1, cin;
	double m1 = measure(&s, 1, 1, seconds / 2, &cm1);
	double mn = measure(&s, (int)threads, 1, seconds / 2, &cmn);
	double i1 = measure(&s, 1, 0, seconds, &ci1);
	double in = measure(&s, (int)threads, 0, seconds, &cin);
	printf("vials/min by wall clock with 1 and %lld threads; then per CPU-second used (1 / %lld threads)\n",
	       (long long)threads, (long long)threads);
	printf("%-34s %10.0f %10.0f %10.0f %10.0f\n", "memcpy of the same bytes (floor)", m1, mn, cm1, cmn);
	printf("%-34s %10.0f %10.0f %10.0f %10.0f\n", "vis_inspect raw buffers", i1, in, ci1, cin);
#ifdef PL_BENCH_OPENCV
	{
		/* the OpenCV version must find the container in every unit, or it
		 * would be timing an early exit */
		struct vis_cv_geom g = cv_geom(&s.cfg);
		const uint8_t *pl[VIS_VIEWS_MAX * VIS_FRAMES_MAX];
		printf("OpenCV %s: locate + median background + threshold/connected components only\n",
		       vis_cv_init());
		for (unsigned u = 0; u < s.k; u++) {
			for (size_t f = 0; f < s.n; f++)
				pl[f] = s.frames[u * s.n + f].px;
			if (vis_cv_unit(pl, s.cfg.views, s.cfg.frames, &g) < 0)
				printf("  warning: OpenCV version found no container in unit %u\n", u);
		}
		double cc1, ccn;
		double c1 = measure(&s, 1, 2, seconds, &cc1);
		double cn = measure(&s, (int)threads, 2, seconds, &ccn);
		printf("%-34s %10.0f %10.0f %10.0f %10.0f\n", "OpenCV core steps (subset)", c1, cn, cc1, ccn);
	}
#else
	printf("%-34s (not built: OpenCV headers missing, see run.sh)\n", "OpenCV core steps (subset)");
#endif
	printf("inspect at %.2f GB/s of pixels with %lld threads; goal 600/min, aim 1200/min\n",
	       in / 60.0 * mb / 1000.0, (long long)threads);
	for (size_t i = 0; i < s.n * s.k; i++)
		vis_image_release(&s.frames[i]);
	free(s.frames);
	return 0;
}
