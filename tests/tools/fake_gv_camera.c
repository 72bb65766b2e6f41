/*
 * fake_gv_camera.c - a test tool, not part of the product: Aravis's own
 * fake GigE Vision camera (ArvGvFakeCamera) served on a network interface,
 * by default loopback (127.0.0.1), so tests can grab frames through the
 * real GVCP/GVSP path (discovery, register access, UDP streaming) without
 * hardware. It draws Aravis's diagonal ramp: at exposure 10 ms and gain 0
 * pixel (x, y) of frame id F is (x + y + F) mod 255. With --vial CLASS it
 * instead serves, in every frame, view 0 / frame 0 of a vial that
 * `parkline simulate vials` renders for the product (--product FILE, JSON
 * as for `inspect run`): the first unit (seed 0, 1, ...) whose ground
 * truth is CLASS ("none": a good vial without bubbles; "cap_missing",
 * "fill_low", ...), so a test can check verdicts that arrive over GigE.
 *
 *   fake_gv_camera [--serial S] [--interface ADDR|NAME] [--lock FILE]
 *                  [--vial CLASS --product FILE] [--frame-period-us US]
 *
 * --frame-period-us sets the time between frames (default 40000, 25 fps)
 * while the camera runs free: a long period lets a test see grabs time
 * out. It does not slow a camera put on software trigger (TriggerMode On,
 * TriggerSource Software, both in Aravis's fake GenICam): that sends one
 * frame per TriggerSoftware write, polling for it at 25 Hz, so a long
 * period lets a test tell triggered grabs from free-running ones.
 *
 * A fake camera binds the GVCP port (3956) of its interface, so only one
 * can run per machine and interface at a time. Tests from parallel runs
 * take an exclusive flock on --lock (default /tmp/parkline-fake-gv.lock,
 * shared with tests/unit/vision/test_camera.c) first, waiting at most 300
 * s. Once the camera answers, the tool prints "ready Aravis-Fake-<S>" and
 * serves until its stdin reaches end of file (the test closes the pipe or
 * exits) or SIGTERM/SIGINT; it exits 0, or 1 when the camera could not
 * start.
 */
#include <arv.h>

#include "vision/vision.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOCK_WAIT_S 300

/* The frame copied into every buffer (--vial): a packed w x h grey plane. */
struct vial_pattern {
	struct vis_image im;
};

/* ArvFakeCameraFillPattern: called by the fake camera's thread for each
 * frame; copies the vial when the buffer has its size, else leaves the
 * buffer as is (the grab's size check will refuse it). Inside the callback
 * arv_buffer_get_data reports the received size (0), not the allocation;
 * the allocation is safe because the fake camera allocates width x height
 * bytes from the same registers and refuses smaller buffers before it
 * calls us (arv_fake_camera_fill_buffer). */
static void fill_vial(ArvBuffer *buffer, void *data, guint32 exposure_us, guint32 gain,
		      ArvPixelFormat fmt)
{
	(void)exposure_us, (void)gain;
	const struct vial_pattern *vp = data;
	size_t size = 0;
	uint8_t *px = (uint8_t *)arv_buffer_get_data(buffer, &size); /* the buffer's own bytes */
	if (fmt != ARV_PIXEL_FORMAT_MONO_8 || !px ||
	    (guint32)arv_buffer_get_image_width(buffer) != vp->im.w ||
	    (guint32)arv_buffer_get_image_height(buffer) != vp->im.h)
		return;
	memcpy(px, vp->im.px, (size_t)vp->im.w * vp->im.h);
}

/* Renders the first unit whose truth is cls; frame 0 of view 0 into vp. */
static int render_vial(const char *product, const char *cls, struct vial_pattern *vp)
{
	struct vis_config cfg;
	struct pl_json_error jerr;
	json_error_t e;
	enum vis_class want = VIS_C_NONE;
	char why[256];
	int rc = 1;

	json_t *j = json_load_file(product, 0, &e);
	if (!j || vis_config_from_json(j, &cfg, &jerr)) {
		fprintf(stderr, "fake_gv_camera: %s: not a product\n", product);
		json_decref(j);
		return 1;
	}
	json_decref(j);
	if (strcmp(cls, "none") && vis_class_parse(cls, &want)) {
		fprintf(stderr, "fake_gv_camera: unknown class %s\n", cls);
		return 1;
	}
	struct vis_sim *sim = vis_sim_new(&cfg, why, sizeof(why));
	size_t n = (size_t)cfg.views * cfg.frames;
	struct vis_image *fr = calloc(n, sizeof(*fr));
	struct vis_sim_truth t;
	if (!sim || !fr)
		goto out;
	for (uint64_t seed = 0; seed < 100000; seed++) {
		vis_sim_plan(sim, seed, want == VIS_C_NONE ? 0.0 : 1.0, &t);
		if (t.cls != want || (want == VIS_C_NONE && t.n_objects))
			continue;
		for (size_t i = 0; i < n; i++)
			if (vis_image_alloc(&fr[i], cfg.width, cfg.height))
				goto out;
		if (vis_sim_unit(sim, seed, want == VIS_C_NONE ? 0.0 : 1.0, 0, fr, n, &t))
			goto out;
		vp->im = fr[0]; /* view 0, frame 0; the others are freed */
		fr[0].px = NULL;
		rc = 0;
		break;
	}
	if (rc)
		fprintf(stderr, "fake_gv_camera: no unit of class %s\n", cls);
out:
	for (size_t i = 0; fr && i < n; i++)
		vis_image_release(&fr[i]);
	free(fr);
	vis_sim_free(sim);
	return rc;
}

/* Exclusive lock on path, waiting at most LOCK_WAIT_S; the fd, or -1. */
static int take_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	for (int i = 0; i < LOCK_WAIT_S * 10; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK)
			break;
		/* another test holds the port: poll the lock, 100 ms apart */
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	const char *serial = "PL0001", *iface = "127.0.0.1", *lock = "/tmp/parkline-fake-gv.lock";
	const char *vial = NULL, *product = NULL;
	long period_us = 0;
	struct vial_pattern vp = { { 0 } };
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--serial"))
			serial = argv[i + 1];
		else if (!strcmp(argv[i], "--interface"))
			iface = argv[i + 1];
		else if (!strcmp(argv[i], "--lock"))
			lock = argv[i + 1];
		else if (!strcmp(argv[i], "--vial"))
			vial = argv[i + 1];
		else if (!strcmp(argv[i], "--product"))
			product = argv[i + 1];
		else if (!strcmp(argv[i], "--frame-period-us"))
			period_us = strtol(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "usage: fake_gv_camera [--serial S] [--interface ADDR] "
				"[--lock FILE] [--vial CLASS --product FILE] [--frame-period-us US]\n");
			return 2;
		}
	}
	if (vial && (!product || render_vial(product, vial, &vp)))
		return 1;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	int lfd = take_lock(lock);
	if (lfd < 0 || sfd < 0) {
		fprintf(stderr, "fake_gv_camera: cannot lock %s\n", lock);
		return 1;
	}
	ArvGvFakeCamera *cam = arv_gv_fake_camera_new(iface, serial);
	if (!cam || !arv_gv_fake_camera_is_running(cam)) {
		fprintf(stderr, "fake_gv_camera: the fake camera did not start on %s\n", iface);
		if (cam)
			g_object_unref(cam);
		return 1;
	}
	ArvFakeCamera *fc = arv_gv_fake_camera_get_fake_camera(cam); /* borrowed */
	if (vial)
		arv_fake_camera_set_fill_pattern(fc, fill_vial, &vp);
	if (period_us > 0)
		arv_fake_camera_write_register(fc, ARV_FAKE_CAMERA_REGISTER_ACQUISITION_FRAME_PERIOD_US,
					       (guint32)period_us);
	printf("ready Aravis-Fake-%s\n", serial);
	fflush(stdout);
	struct pollfd pf[2] = { { 0, POLLIN, 0 }, { sfd, POLLIN, 0 } };
	for (;;) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (pf[0].revents) {
			char buf[256];
			if (read(0, buf, sizeof(buf)) <= 0)
				break; /* end of file: the test is done */
		}
	}
	g_object_unref(cam);
	arv_shutdown();
	vis_image_release(&vp.im);
	close(lfd);
	return 0;
}
