/* test_camera.c - live cameras (src/vision/camera.c) against Aravis's own
 * fake GigE Vision camera (ArvGvFakeCamera) served on 127.0.0.1 inside the
 * test process: discovery, register access and the UDP stream go through
 * the real GigE Vision code of Aravis over loopback. The fake camera draws
 * a diagonal ramp, pixel (x, y) of frame F = (x + y + F) mod 255 at
 * exposure 10 ms and gain 0, so every copied byte is checked. Tests poke
 * the fake camera's registers behind our back to make frames arrive late,
 * in another pixel format, or larger than the buffers. The GVCP port is
 * one per machine: each test holds the flock tests/tools/fake_gv_camera.c
 * uses too. Every wait is bounded (grab timeouts, Criterion .timeout).
 * The in-process "Fake" interface is checked too. */
#include <arv.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include "vision/vision.h"

#define LOCK_PATH "/tmp/parkline-fake-gv.lock"

static int lock_fd = -1;
static ArvGvFakeCamera *gv;
static struct vis_cam_sys *sys;
static char cam_id[64], serial[32];

static void setup(void)
{
	lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	cr_assert(lock_fd >= 0);
	/* blocking: Criterion's .timeout bounds the wait */
	cr_assert_eq(flock(lock_fd, LOCK_EX), 0);
	snprintf(serial, sizeof(serial), "PLT%d", (int)getpid());
	snprintf(cam_id, sizeof(cam_id), "Aravis-Fake-%s", serial);
	gv = arv_gv_fake_camera_new("127.0.0.1", serial);
	cr_assert(gv && arv_gv_fake_camera_is_running(gv), "fake GigE camera on 127.0.0.1");
	sys = vis_cam_sys_new();
}

static void teardown(void)
{
	vis_cam_sys_free(sys);
	if (gv)
		g_object_unref(gv);
	vis_cam_shutdown();
	if (lock_fd >= 0)
		close(lock_fd);
}

TestSuite(camera, .init = setup, .fini = teardown, .timeout = 90);

static void fake_reg(guint32 addr, guint32 v)
{
	cr_assert(arv_fake_camera_write_register(arv_gv_fake_camera_get_fake_camera(gv), addr, v));
}

static struct vis_cam *open_ok(uint32_t w, uint32_t h)
{
	struct vis_cam_params p = { .width = w, .height = h, .exposure_us = 10000, .buffers = 4 };
	struct vis_cam *c = NULL;
	char why[256] = "";
	int rc = vis_cam_open(sys, cam_id, &p, &c, why, sizeof(why));
	cr_assert_eq(rc, 0, "open %s: %s (%s)", cam_id, pl_strerror(rc), why);
	return c;
}

/* Planes with a stride wider than the frame; the padding holds 0xAB. */
static void planes(struct vis_image *im, size_t n, uint32_t w, uint32_t h)
{
	for (size_t i = 0; i < n; i++) {
		im[i].w = w, im[i].h = h, im[i].stride = w + 13;
		im[i].px = pl_calloc(h, im[i].stride);
		memset(im[i].px, 0xAB, (size_t)h * im[i].stride);
	}
}

static void planes_free(struct vis_image *im, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(im[i].px);
}

Test(camera, list_sees_the_loopback_camera)
{
	struct vis_cam_info info[VIS_CAM_LIST_MAX];
	size_t n = 0;
	bool found = false;
	cr_assert_eq(vis_cam_list(sys, info, VIS_CAM_LIST_MAX, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(info[i].id, cam_id)) {
			found = true;
			cr_expect_str_eq(info[i].protocol, "GigEVision");
			cr_expect_str_eq(info[i].address, "127.0.0.1");
			cr_expect_str_eq(info[i].serial, serial);
			cr_expect_str_eq(info[i].vendor, "Aravis");
		}
	cr_assert(found, "%s among %zu cameras", cam_id, n);
}

Test(camera, grab_copies_every_pixel_of_fresh_frames)
{
	enum { N = 5, W = 160, H = 96 }; /* small: fewer UDP packets to lose on a loaded machine */
	struct vis_image im[N];
	uint64_t ids[N], ids2[N];
	char why[256] = "";
	struct vis_cam *c = open_ok(W, H);
	uint32_t w, h;

	vis_cam_size(c, &w, &h);
	cr_assert_eq(w, W);
	cr_assert_eq(h, H);
	cr_assert_str_eq(vis_cam_id(c), cam_id);
	planes(im, N, W, H);
	int rc = vis_cam_grab(c, im, N, 3000, ids, why, sizeof(why));
	cr_assert_eq(rc, 0, "grab: %s (%s)", pl_strerror(rc), why);
	for (size_t k = 0; k < N; k++) {
		if (k)
			cr_expect_gt(ids[k], ids[k - 1], "frame ids increase");
		size_t bad = 0;
		for (uint32_t y = 0; y < H; y++) {
			for (uint32_t x = 0; x < W; x++)
				bad += im[k].px[(size_t)y * im[k].stride + x] != (x + y + ids[k]) % 255;
			for (size_t x = W; x < im[k].stride; x++)
				bad += im[k].px[(size_t)y * im[k].stride + x] != 0xAB; /* padding untouched */
		}
		cr_expect_eq(bad, 0, "frame %zu (id %llu): %zu pixels off the ramp", k,
			     (unsigned long long)ids[k], bad);
	}
	/* a second grab never hands out a frame from before it (note 2) */
	rc = vis_cam_grab(c, im, N, 3000, ids2, why, sizeof(why));
	cr_assert_eq(rc, 0, "second grab: %s (%s)", pl_strerror(rc), why);
	cr_expect_gt(ids2[0], ids[N - 1]);
	vis_cam_close(c);
	planes_free(im, N);
}

/* Open refusals: each leaves nothing open and says why. */
Test(camera, open_refusals)
{
	static const struct {
		const char *id; /* NULL: the test camera */
		struct vis_cam_params p;
		int rc;
		const char *why;
	} t[] = {
		{ "Parkline-No-Such-Camera", { 0 }, PL_ENOTFOUND, "no camera 'Parkline-No-Such-Camera'" },
		{ NULL, { .width = 4096, .height = 64 }, PL_EINVAL, "outside the camera's" },
		{ NULL, { .width = 64, .height = 100000 }, PL_EINVAL, "bad camera parameters" },
		{ NULL, { .exposure_us = 1e9 }, PL_EINVAL, "exposure" },
		{ NULL, { .exposure_us = -1 }, PL_EINVAL, "bad camera parameters" },
		{ NULL, { .buffers = 1 }, PL_EINVAL, "bad camera parameters" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct vis_cam *c = (struct vis_cam *)1;
		char why[256] = "";
		int rc = vis_cam_open(sys, t[i].id ? t[i].id : cam_id, &t[i].p, &c, why, sizeof(why));
		cr_expect_eq(rc, t[i].rc, "case %zu: %s, want %s (%s)", i, pl_strerror(rc),
			     pl_strerror(t[i].rc), why);
		cr_expect_null(c, "case %zu", i);
		cr_expect(strstr(why, t[i].why), "case %zu: '%s' lacks '%s'", i, why, t[i].why);
	}
}

Test(camera, grab_argument_errors)
{
	struct vis_image im[1], small[1];
	char why[256] = "";
	struct vis_cam *c = open_ok(128, 128);
	planes(im, 1, 128, 128);
	planes(small, 1, 64, 128);
	cr_expect_eq(vis_cam_grab(c, small, 1, 1000, NULL, why, sizeof(why)), PL_EINVAL);
	cr_expect(strstr(why, "plane 0 is not 128x128"), "%s", why);
	cr_expect_eq(vis_cam_grab(c, im, 0, 1000, NULL, why, sizeof(why)), PL_EINVAL);
	cr_expect_eq(vis_cam_grab(c, im, 1, 0, NULL, why, sizeof(why)), PL_EINVAL);
	cr_expect_eq(vis_cam_grab(c, im, 1, 60001, NULL, why, sizeof(why)), PL_EINVAL);
	/* still usable */
	cr_expect_eq(vis_cam_grab(c, im, 1, 3000, NULL, why, sizeof(why)), 0, "%s", why);
	vis_cam_close(c);
	planes_free(im, 1);
	planes_free(small, 1);
}

/* The fake camera changed behind our back (a register written after our
 * open), then a grab of 3 frames of 64x64 with timeout_ms: it must fail
 * with rc, a sentence containing why, within max_ms. Three, not two: the
 * fake camera sends each frame at the next multiple of its period on the
 * monotonic clock, and one frame may already be on its way at the old
 * period, so two frames can both land inside a short timeout (seen about
 * one run in fifteen); a third is a whole new period later. */
static void poked_grab(guint32 reg, guint32 value, unsigned timeout_ms, int rc_want,
		       const char *why_want, int64_t max_ms)
{
	struct vis_image im[3];
	char why[256] = "";
	struct vis_cam *c = open_ok(64, 64);
	planes(im, 3, 64, 64);
	fake_reg(reg, value);
	int64_t t0 = pl_time_mono_ns();
	int rc = vis_cam_grab(c, im, 3, timeout_ms, NULL, why, sizeof(why));
	int64_t ms = (pl_time_mono_ns() - t0) / 1000000;
	cr_expect_eq(rc, rc_want, "%s, want %s (%s)", pl_strerror(rc), pl_strerror(rc_want), why);
	cr_expect(strstr(why, why_want), "'%s' lacks '%s'", why, why_want);
	cr_expect_lt(ms, max_ms, "the grab took %lld ms", (long long)ms);
	vis_cam_close(c);
	planes_free(im, 3);
}

/* Frames every 3 s against a 200 ms timeout: PL_ETIMEOUT within the bound. */
Test(camera, timeout_is_bounded)
{
	poked_grab(ARV_FAKE_CAMERA_REGISTER_ACQUISITION_FRAME_PERIOD_US, 3000000, 200, PL_ETIMEOUT,
		   "within 200 ms", 2500);
}

/* Another pixel format set behind our back: refused per frame. */
Test(camera, wrong_pixel_format_is_refused)
{
	poked_grab(ARV_FAKE_CAMERA_REGISTER_PIXEL_FORMAT, ARV_PIXEL_FORMAT_MONO_16, 3000,
		   PL_EUNSUPPORTED, "not Mono8", 10000);
}

/* Frames larger than the buffers (width changed behind our back): Aravis
 * 0.8.26 hands the truncated frame over as "success", so our own check of
 * the frame's size against the plane must refuse it. (A frame Aravis marks
 * incomplete - missing packets, timeout - takes the status check in
 * take(); the fake camera on loopback cannot be made to lose packets, so
 * that branch is not exercised here.) */
Test(camera, oversized_frame_is_refused)
{
	poked_grab(ARV_FAKE_CAMERA_REGISTER_WIDTH, 512, 3000, PL_EINVAL, "frame 0 is 512x64", 10000);
}

/* Aravis's in-process "Fake" interface (no network): enabled through the
 * sys, listed and grabbed like any camera. */
Test(camera, in_process_fake_interface)
{
	struct vis_cam_info info[VIS_CAM_LIST_MAX];
	struct vis_cam_params p = { .width = 128, .height = 96 };
	struct vis_cam *c = NULL;
	struct vis_image im[2];
	uint64_t ids[2];
	size_t n = 0;
	bool found = false;
	char why[256] = "";

	vis_cam_enable_fake(sys);
	vis_cam_list(sys, info, VIS_CAM_LIST_MAX, &n);
	for (size_t i = 0; i < n; i++)
		found = found || !strcmp(info[i].id, "Fake_1");
	cr_assert(found, "Fake_1 among %zu cameras", n);
	int rc = vis_cam_open(sys, "Fake_1", &p, &c, why, sizeof(why));
	cr_assert_eq(rc, 0, "%s (%s)", pl_strerror(rc), why);
	planes(im, 2, 128, 96);
	rc = vis_cam_grab(c, im, 2, 3000, ids, why, sizeof(why));
	cr_assert_eq(rc, 0, "%s (%s)", pl_strerror(rc), why);
	for (size_t k = 0; k < 2; k++)
		for (uint32_t y = 0; y < 96; y++)
			for (uint32_t x = 0; x < 128; x++)
				cr_assert_eq(im[k].px[(size_t)y * im[k].stride + x], (x + y + ids[k]) % 255,
					     "frame %zu pixel %u,%u", k, x, y);
	vis_cam_close(c);
	planes_free(im, 2);
}

/* ------------------------------------------------------ software trigger
 * The fake camera honours TriggerMode/TriggerSource/TriggerSoftware
 * (its GenICam lists them): in software-trigger mode it sends one frame
 * per TriggerSoftware write, polling for it at 25 Hz, and none without;
 * free-running it sends a frame at each multiple of its frame period.
 * With that period set to 2000 s behind our back, a free-running grab of
 * more than one frame times out (free_running_control shows it), while a
 * triggered one gets every frame: that is what tells the modes apart. */

static ArvFakeCamera *fake(void)
{
	return arv_gv_fake_camera_get_fake_camera(gv); /* borrowed */
}

static struct vis_cam *open_mode(uint32_t w, uint32_t h, bool trigger)
{
	struct vis_cam_params p = { .width = w, .height = h, .exposure_us = 10000, .buffers = 4,
				    .trigger = trigger };
	struct vis_cam *c = NULL;
	char why[256] = "";
	int rc = vis_cam_open(sys, cam_id, &p, &c, why, sizeof(why));
	cr_assert_eq(rc, 0, "open %s: %s (%s)", cam_id, pl_strerror(rc), why);
	return c;
}

/* The fake camera's 16-bit frame counter after id (0 is skipped). */
static uint64_t next_id(uint64_t id)
{
	return id >= 65535 ? 1 : id + 1;
}

Test(camera, triggered_grab_takes_one_frame_per_trigger)
{
	enum { N = 4, W = 96, H = 64 };
	struct vis_image im[N];
	uint64_t ids[N], ids2[N];
	char why[256] = "";
	struct vis_cam *c = open_mode(W, H, true);

	cr_assert(vis_cam_triggered(c), "not triggered: %s", vis_cam_trigger_note(c));
	cr_expect_str_eq(vis_cam_trigger_note(c), "");
	cr_assert(arv_fake_camera_is_in_software_trigger_mode(fake()));
	fake_reg(ARV_FAKE_CAMERA_REGISTER_ACQUISITION_FRAME_PERIOD_US, 2000000000u);
	planes(im, N, W, H);
	int rc = vis_cam_grab(c, im, N, 3000, ids, why, sizeof(why));
	cr_assert_eq(rc, 0, "grab: %s (%s)", pl_strerror(rc), why);
	for (size_t k = 0; k < N; k++) {
		if (k)
			cr_expect_eq(ids[k], next_id(ids[k - 1]), "frame %zu: id %llu after %llu", k,
				     (unsigned long long)ids[k], (unsigned long long)ids[k - 1]);
		size_t bad = 0;
		for (uint32_t y = 0; y < H; y++)
			for (uint32_t x = 0; x < W; x++)
				bad += im[k].px[(size_t)y * im[k].stride + x] != (x + y + ids[k]) % 255;
		cr_expect_eq(bad, 0, "frame %zu: %zu pixels off the ramp", k, bad);
	}
	/* no frame was made between the grabs (or after the last trigger):
	 * the next grab's first frame is the camera's very next one */
	rc = vis_cam_grab(c, im, N, 3000, ids2, why, sizeof(why));
	cr_assert_eq(rc, 0, "second grab: %s (%s)", pl_strerror(rc), why);
	cr_expect_eq(ids2[0], next_id(ids[N - 1]), "first id %llu after %llu",
		     (unsigned long long)ids2[0], (unsigned long long)ids[N - 1]);
	vis_cam_close(c);
	planes_free(im, N);
}

/* The control for the test above: the same camera, not asked for a
 * trigger, runs free and cannot take a second frame in 500 ms at a 2000 s
 * period. Open also turns off a trigger left on before it. */
Test(camera, free_running_control)
{
	struct vis_image im[2];
	char why[256] = "";

	fake_reg(ARV_FAKE_CAMERA_REGISTER_TRIGGER_MODE, 1); /* left on by an earlier run */
	fake_reg(ARV_FAKE_CAMERA_REGISTER_TRIGGER_SOURCE, 1);
	struct vis_cam *c = open_mode(64, 64, false);
	cr_expect_not(vis_cam_triggered(c));
	cr_expect_str_eq(vis_cam_trigger_note(c), "");
	cr_expect(arv_fake_camera_is_in_free_running_mode(fake()), "open left the trigger on");
	fake_reg(ARV_FAKE_CAMERA_REGISTER_ACQUISITION_FRAME_PERIOD_US, 2000000000u);
	planes(im, 2, 64, 64);
	int rc = vis_cam_grab(c, im, 2, 500, NULL, why, sizeof(why));
	cr_expect_eq(rc, PL_ETIMEOUT, "%s (%s)", pl_strerror(rc), why);
	cr_expect(strstr(why, "no frame 1 within 500 ms"), "%s", why);
	vis_cam_close(c);
	planes_free(im, 2);
}

/* The steps a caller with several cameras uses: an armed triggered camera
 * sends nothing until fired (a free one sends its first frame within the
 * fake camera's 100 ms poll), then exactly the fired frame. */
Test(camera, armed_camera_waits_for_fire)
{
	struct vis_image im[1];
	uint64_t id = 0, id2 = 0;
	char why[256] = "";
	struct vis_cam *c = open_mode(64, 64, true);
	cr_assert(vis_cam_triggered(c), "%s", vis_cam_trigger_note(c));
	planes(im, 1, 64, 64);

	cr_expect_eq(vis_cam_fire(c, why, sizeof(why)), PL_EINVAL, "fire before arm");
	cr_expect_eq(vis_cam_collect(c, im, 0, 500, NULL, why, sizeof(why)), PL_EINVAL);
	cr_expect_eq(vis_cam_disarm(c, why, sizeof(why)), 0, "disarm when not armed: no-op");
	cr_assert_eq(vis_cam_arm(c, 3000, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(vis_cam_arm(c, 3000, why, sizeof(why)), PL_EINVAL, "armed twice");
	int rc = vis_cam_collect(c, im, 0, 500, NULL, why, sizeof(why));
	cr_expect_eq(rc, PL_ETIMEOUT, "a frame came without a trigger: %s (%s)", pl_strerror(rc),
		     why);
	cr_assert_eq(vis_cam_fire(c, why, sizeof(why)), 0, "%s", why);
	rc = vis_cam_collect(c, im, 0, 3000, &id, why, sizeof(why));
	cr_expect_eq(rc, 0, "%s (%s)", pl_strerror(rc), why);
	cr_assert_eq(vis_cam_fire(c, why, sizeof(why)), 0, "%s", why);
	rc = vis_cam_collect(c, im, 1, 3000, &id2, why, sizeof(why));
	cr_expect_eq(rc, 0, "%s (%s)", pl_strerror(rc), why);
	cr_expect_eq(id2, next_id(id), "one frame per fire: %llu after %llu",
		     (unsigned long long)id2, (unsigned long long)id);
	cr_expect_eq(vis_cam_disarm(c, why, sizeof(why)), 0, "%s", why);
	vis_cam_close(c);
	planes_free(im, 1);
}

/* A camera without a software trigger: the fake camera served with its
 * GenICam stripped of TriggerSoftware. Asked for a trigger, open still
 * succeeds, runs free and says why; grabs work. */
Test(camera, no_software_trigger_falls_back_to_free_running)
{
	char path[64], why[256] = "";
	size_t size = 0;
	struct vis_image im[2];

	ArvFakeCamera *plain = arv_fake_camera_new("PLXML");
	const char *xml = arv_fake_camera_get_genicam_xml(plain, &size);
	cr_assert(xml && size);
	GString *g = g_string_new_len(xml, (gssize)size);
	g_object_unref(plain);
	cr_assert(g_string_replace(g, "<pFeature>TriggerSoftware</pFeature>", "", 0) == 1);
	cr_assert(g_string_replace(g, "<Command Name=\"TriggerSoftware\"",
				   "<Command Name=\"PlTriggerGone\"", 0) == 1);
	snprintf(path, sizeof(path), "/tmp/parkline-notrig-%d.xml", (int)getpid());
	cr_assert(g_file_set_contents(path, g->str, (gssize)g->len, NULL));
	g_string_free(g, TRUE);
	g_object_unref(gv); /* the test's camera, served again from the edited file */
	gv = arv_gv_fake_camera_new_full("127.0.0.1", serial, path); /* reads the file now */
	unlink(path);
	cr_assert(gv && arv_gv_fake_camera_is_running(gv));

	struct vis_cam *c = open_mode(64, 64, true);
	cr_expect_not(vis_cam_triggered(c));
	cr_expect(strstr(vis_cam_trigger_note(c), "offers no software trigger"), "note '%s'",
		  vis_cam_trigger_note(c));
	cr_expect(arv_fake_camera_is_in_free_running_mode(fake()));
	planes(im, 2, 64, 64);
	int rc = vis_cam_grab(c, im, 2, 3000, NULL, why, sizeof(why));
	cr_expect_eq(rc, 0, "%s (%s)", pl_strerror(rc), why);
	vis_cam_close(c);
	planes_free(im, 2);
}
