/*
 * camera.c - live cameras for the inspection library, through Aravis 0.8
 * (GigE Vision and USB3 Vision). Aravis is an image-acquisition library:
 * like libspng and libturbojpeg for files, it is one of the "image
 * libraries" vision may depend on besides core; it brings GLib/GObject
 * with it, which stay inside this file (vision.h shows no GLib type).
 *
 * What it does: open a camera by id, fix it to Mono8 at the product's
 * frame size and exposure, free-running or (asked for, and offered by the
 * camera) on a software trigger, and copy the next N complete frames of a
 * fresh acquisition into the caller's grey planes, with a bounded wait for
 * each. The contract is in vision.h ("live cameras").
 *
 * NOTES ON THE DESIGN
 * 1. Aravis's process-wide state. arv_update_device_list, arv_open_device
 *    and arv_enable_interface work on one list of interfaces and devices
 *    held by the library. We keep no global of our own: the caller makes
 *    one struct vis_cam_sys (main does) whose mutex serialises every call
 *    that touches that list, and calls vis_cam_shutdown() - arv_shutdown,
 *    which frees the list - once at process exit, when no camera is open.
 *    Calling it earlier would free interfaces that open devices still use.
 * 2. Fresh frames per grab. A grab arms the camera (starts acquisition,
 *    continuous mode), takes the next n buffers, stops acquisition, then
 *    returns every buffer still queued in the stream's output to its
 *    input. So no frame taken before the call (a previous unit's vial) can
 *    be handed out. The same three steps are public (vis_cam_arm, _collect,
 *    _disarm) so a caller with several cameras can arm them all and take
 *    frame k of every camera before frame k+1 of any (note 9).
 * 3. Every buffer is checked before its bytes are used: status SUCCESS
 *    (else PL_EIO naming Aravis's status: missing packets, size mismatch,
 *    timeout inside the stream, aborted), payload type image, pixel format
 *    Mono8 (PL_EUNSUPPORTED: the camera was switched behind our back), and
 *    width x height equal to the planes (PL_EINVAL), with the data at least
 *    w*h bytes. A frame is copied row by row, so planes may have any
 *    stride.
 * 4. Bounded waits: each frame is waited for at most timeout_ms (caller's,
 *    1..60000) and the first bad or missing frame ends the grab, so a grab
 *    of n frames returns within n * timeout_ms (plus the camera's answer
 *    to start/stop and to each software trigger, which Aravis bounds by
 *    its own GVCP timeout and retries).
 * 5. Memory: the stream owns `buffers` (2..64) buffers of the camera's
 *    payload size, allocated at open; a grab allocates nothing. The
 *    payload is what the camera says, so it is checked first: at least
 *    w*h and at most w*h + 1 MiB (chunk data), with w*h under
 *    VIS_PIXELS_MAX.
 * 6. Loopback cameras (tests: Aravis's fake GigE camera on 127.0.0.1):
 *    Aravis receives GVSP through an AF_PACKET socket on the interface
 *    discovery answered on when it runs as root. Discovery's broadcast can
 *    be answered through eth0 although the camera sits on lo, and that
 *    socket never sees the frames; for a camera at a loopback address we
 *    turn the packet socket off (plain UDP), see gv_loopback_fix().
 * 7. UDP receive buffer: a GigE camera sends a frame as a burst of
 *    packets; with the kernel's default buffer (net.core.rmem_default,
 *    208 KiB here) a burst larger than that, or any burst while the
 *    receiving thread is descheduled, loses packets and Aravis hands out
 *    the frame as "missing packets". We ask for buffers x payload bytes,
 *    at least 8 MiB (small frames come fast: the buffer must cover the
 *    receiver being descheduled for a while on a loaded machine) and at
 *    most 64 MiB. An unprivileged process gets at most
 *    net.core.rmem_max, which a line PC should raise; as root here the
 *    socket got the full 8 MiB (ss shows rb8388608; rmem_max is 4 MiB).
 * 8. Frame retention: Aravis declares a GigE frame incomplete ("missing
 *    packets") when no packet of it arrived for its frame retention,
 *    100 ms by default. A sender that stalls longer than that (the fake
 *    camera on a loaded test machine does) then loses whole frames we
 *    were prepared to wait for, so a grab sets the retention to its own
 *    per-frame timeout: one bound, the caller's.
 * 9. Software trigger (vis_cam_params.trigger). Asked for, and offered by
 *    the camera (the GenICam TriggerSoftware command), open sets the
 *    FrameStart trigger On with source Software (arv_camera_set_trigger,
 *    which also turns every other trigger selector Off) and reads the
 *    source back. Then an armed camera exposes nothing until
 *    vis_cam_fire() writes its TriggerSoftware register, and takes exactly
 *    one frame per fire: C cameras fired back to back take their frame k
 *    within the time of C register writes, not C frame periods apart.
 *    A camera that offers no software trigger, or refuses the settings,
 *    runs free (continuous) and says why (vis_cam_trigger_note); fire is
 *    then a no-op and collect takes the next frame it sends. Not asked
 *    for, open turns the camera's triggers off (a previous run may have
 *    left one on, and a triggered camera would never send a frame).
 *    Firing is one GVCP register write each (its round trip, bounded by
 *    Aravis's GVCP timeout); hardware lines and GigE Vision action
 *    commands (one broadcast for all cameras) are not used.
 */
#include <arv.h>

#include "vision/vision.h"

#include <math.h>
#include <pthread.h>

#define CAM_BUFFERS_DEFAULT 8
#define CAM_BUFFERS_MAX 64
#define CAM_TIMEOUT_MAX_MS 60000u
#define CAM_SOCKET_BUFFER_MIN (8 << 20)  /* small frames: ride out a descheduled receiver */
#define CAM_SOCKET_BUFFER_MAX (64 << 20) /* unprivileged: capped at net.core.rmem_max */
#define CAM_PAYLOAD_SLACK (1 << 20) /* bytes a buffer may carry beyond w*h (chunk data) */

struct vis_cam_sys {
	pthread_mutex_t mu; /* held around every call on Aravis's device list */
};

struct vis_cam {
	ArvCamera *cam;      /* owned (g_object_unref) */
	ArvStream *stream;   /* owned; owns its buffers */
	char id[VIS_CAM_ID_LEN];
	uint32_t w, h;       /* region in use */
	size_t payload;      /* bytes per buffer */
	unsigned buffers;    /* buffers the stream holds */
	bool triggered;      /* each frame on vis_cam_fire (note 9) */
	bool armed;          /* acquisition started by vis_cam_arm */
	char trigger_note[160]; /* why it runs free although asked not to; "" else */
};

struct vis_cam_sys *vis_cam_sys_new(void)
{
	struct vis_cam_sys *s = pl_calloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void vis_cam_sys_free(struct vis_cam_sys *sys)
{
	if (!sys)
		return;
	pthread_mutex_destroy(&sys->mu);
	free(sys);
}

void vis_cam_shutdown(void)
{
	arv_shutdown();
}

void vis_cam_enable_fake(struct vis_cam_sys *sys)
{
	pthread_mutex_lock(&sys->mu);
	arv_enable_interface("Fake");
	pthread_mutex_unlock(&sys->mu);
}

static void copy_str(char *dst, size_t dstsz, const char *src)
{
	pl_strlcpy(dst, src ? src : "", dstsz);
}

int vis_cam_list(struct vis_cam_sys *sys, struct vis_cam_info *out, size_t max, size_t *n)
{
	*n = 0;
	if (max > VIS_CAM_LIST_MAX)
		max = VIS_CAM_LIST_MAX;
	pthread_mutex_lock(&sys->mu);
	arv_update_device_list();
	unsigned nd = arv_get_n_devices();
	for (unsigned i = 0; i < nd && *n < max; i++) {
		struct vis_cam_info *ci = &out[(*n)++];
		memset(ci, 0, sizeof(*ci));
		copy_str(ci->id, sizeof(ci->id), arv_get_device_id(i));
		copy_str(ci->vendor, sizeof(ci->vendor), arv_get_device_vendor(i));
		copy_str(ci->model, sizeof(ci->model), arv_get_device_model(i));
		copy_str(ci->serial, sizeof(ci->serial), arv_get_device_serial_nbr(i));
		copy_str(ci->address, sizeof(ci->address), arv_get_device_address(i));
		copy_str(ci->protocol, sizeof(ci->protocol), arv_get_device_protocol(i));
	}
	pthread_mutex_unlock(&sys->mu);
	return 0;
}

/* Takes the message out of *err (cleared) into why, after a prefix. */
static void why_gerror(char *why, size_t whysz, const char *what, GError **err)
{
	if (why && whysz)
		snprintf(why, whysz, "%s: %s", what, *err && (*err)->message ? (*err)->message : "failed");
	g_clear_error(err);
}

/* Sets Mono8, refusing cameras that do not offer it (note 3). */
static int set_mono8(ArvCamera *cam, char *why, size_t whysz)
{
	GError *err = NULL;
	guint nf = 0;
	gint64 *fmts = arv_camera_dup_available_pixel_formats(cam, &nf, &err);
	bool has = false;
	int rc = 0;

	if (err) {
		why_gerror(why, whysz, "reading the pixel formats", &err);
		return PL_EIO;
	}
	for (guint i = 0; i < nf; i++)
		has = has || fmts[i] == ARV_PIXEL_FORMAT_MONO_8;
	g_free(fmts);
	if (!has) {
		const char *cur = arv_camera_get_pixel_format_as_string(cam, NULL);
		snprintf(why, whysz, "the camera offers no Mono8 pixel format (it is set to %s)",
			 cur ? cur : "?");
		return PL_EUNSUPPORTED;
	}
	arv_camera_set_pixel_format(cam, ARV_PIXEL_FORMAT_MONO_8, &err);
	if (err) {
		why_gerror(why, whysz, "setting Mono8", &err);
		rc = PL_EIO;
	} else if (arv_camera_get_pixel_format(cam, NULL) != ARV_PIXEL_FORMAT_MONO_8) {
		snprintf(why, whysz, "the camera did not take the Mono8 pixel format");
		rc = PL_EUNSUPPORTED;
	}
	return rc;
}

/* Region from the top left, inside the camera's bounds (PL_EINVAL). */
static int set_region(ArvCamera *cam, uint32_t w, uint32_t h, char *why, size_t whysz)
{
	GError *err = NULL;
	gint wmin = 0, wmax = 0, hmin = 0, hmax = 0, x, y, gw = 0, gh = 0;

	arv_camera_get_width_bounds(cam, &wmin, &wmax, &err);
	if (!err)
		arv_camera_get_height_bounds(cam, &hmin, &hmax, &err);
	if (err) {
		why_gerror(why, whysz, "reading the size bounds", &err);
		return PL_EIO;
	}
	if (w > (uint32_t)wmax || h > (uint32_t)hmax || (gint)w < wmin || (gint)h < hmin) {
		snprintf(why, whysz, "frame size %ux%u is outside the camera's %d..%d x %d..%d", w, h,
			 wmin, wmax, hmin, hmax);
		return PL_EINVAL;
	}
	arv_camera_set_region(cam, 0, 0, (gint)w, (gint)h, &err);
	if (!err)
		arv_camera_get_region(cam, &x, &y, &gw, &gh, &err);
	if (err) {
		why_gerror(why, whysz, "setting the region", &err);
		return PL_EIO;
	}
	if ((uint32_t)gw != w || (uint32_t)gh != h) {
		/* a size step (e.g. width multiple of 16) rounded it */
		snprintf(why, whysz, "the camera set %dx%d when asked for %ux%u", gw, gh, w, h);
		return PL_EINVAL;
	}
	return 0;
}

static int set_exposure(ArvCamera *cam, double us, char *why, size_t whysz)
{
	GError *err = NULL;
	double lo = 0, hi = 0;

	if (!arv_camera_is_exposure_time_available(cam, NULL)) {
		snprintf(why, whysz, "the camera has no exposure time setting");
		return PL_EUNSUPPORTED;
	}
	if (arv_camera_is_exposure_auto_available(cam, NULL)) {
		arv_camera_set_exposure_time_auto(cam, ARV_AUTO_OFF, &err);
		g_clear_error(&err); /* some cameras refuse Off while idle; the value check below decides */
	}
	arv_camera_get_exposure_time_bounds(cam, &lo, &hi, &err);
	if (err) {
		why_gerror(why, whysz, "reading the exposure bounds", &err);
		return PL_EIO;
	}
	if (us < lo || us > hi) {
		snprintf(why, whysz, "exposure %.0f us is outside the camera's %.0f..%.0f us", us, lo, hi);
		return PL_EINVAL;
	}
	arv_camera_set_exposure_time(cam, us, &err);
	if (err) {
		why_gerror(why, whysz, "setting the exposure", &err);
		return PL_EIO;
	}
	return 0;
}

/* Note 9: software trigger on FrameStart when asked for and offered; else
 * free-running, with the reason in c->trigger_note. Never fails the open:
 * a camera that cannot be triggered still takes frames. */
static void set_trigger_mode(struct vis_cam *c, bool want)
{
	GError *err = NULL;

	c->triggered = false;
	c->trigger_note[0] = 0;
	if (!want) {
		/* a trigger left on by an earlier run would starve a free grab;
		 * cameras without trigger features refuse, which is fine */
		arv_camera_clear_triggers(c->cam, &err);
		g_clear_error(&err);
		return;
	}
	if (!arv_camera_is_software_trigger_supported(c->cam, &err)) {
		snprintf(c->trigger_note, sizeof(c->trigger_note),
			 "the camera offers no software trigger%s%s", err ? ": " : "",
			 err && err->message ? err->message : "");
		g_clear_error(&err);
		return;
	}
	arv_camera_set_trigger(c->cam, "Software", &err);
	const char *src = err ? NULL : arv_camera_get_trigger_source(c->cam, &err);
	if (err || !src || strcmp(src, "Software")) {
		snprintf(c->trigger_note, sizeof(c->trigger_note),
			 "the camera refused the software trigger (%s)",
			 err && err->message ? err->message : src ? src : "no trigger source");
		g_clear_error(&err);
		arv_camera_clear_triggers(c->cam, &err); /* back to free-running */
		g_clear_error(&err);
		return;
	}
	c->triggered = true;
}

/* Note 6: a GigE camera on a loopback address is reached through lo; an
 * AF_PACKET socket (Aravis's fast path when we may open one) listens on
 * the interface discovery answered on, which can be another (eth0), and
 * would never see the frames. Use a plain UDP socket for those. */
static void gv_loopback_fix(ArvCamera *cam)
{
	ArvDevice *dev = arv_camera_get_device(cam); /* borrowed */
	GSocketAddress *sa = arv_gv_device_get_device_address(ARV_GV_DEVICE(dev)); /* borrowed */
	if (sa && G_IS_INET_SOCKET_ADDRESS(sa) &&
	    g_inet_address_get_is_loopback(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa))))
		arv_camera_gv_set_stream_options(cam, ARV_GV_STREAM_OPTION_PACKET_SOCKET_DISABLED);
}

int vis_cam_open(struct vis_cam_sys *sys, const char *id, const struct vis_cam_params *p,
		 struct vis_cam **out, char *why, size_t whysz)
{
	struct vis_cam_params dflt = { 0 };
	struct vis_cam *c = NULL;
	GError *err = NULL;
	int rc = 0;
	char dummy[8], opened[VIS_CAM_ID_LEN];

	*out = NULL;
	if (!why || !whysz)
		why = dummy, whysz = sizeof(dummy);
	why[0] = 0;
	if (!p)
		p = &dflt;
	if ((p->buffers && (p->buffers < 2 || p->buffers > CAM_BUFFERS_MAX)) ||
	    p->width > VIS_DIM_MAX || p->height > VIS_DIM_MAX || !isfinite(p->exposure_us) ||
	    p->exposure_us < 0 || (id && strlen(id) >= VIS_CAM_ID_LEN)) {
		snprintf(why, whysz, "bad camera parameters (buffers 2..%d, size <= %d, exposure >= 0)",
			 CAM_BUFFERS_MAX, VIS_DIM_MAX);
		return PL_EINVAL;
	}
	c = pl_calloc(1, sizeof(*c));
	c->buffers = p->buffers ? p->buffers : CAM_BUFFERS_DEFAULT;
	/* note 1: opening walks the process-wide device list. Without an id
	 * we ask for the first device by its id, so we know what we opened. */
	pthread_mutex_lock(&sys->mu);
	if (!id || !id[0]) {
		arv_update_device_list();
		copy_str(opened, sizeof(opened), arv_get_n_devices() ? arv_get_device_id(0) : NULL);
	} else {
		copy_str(opened, sizeof(opened), id);
	}
	c->cam = opened[0] ? arv_camera_new(opened, &err) : NULL;
	pthread_mutex_unlock(&sys->mu);
	if (!opened[0]) {
		snprintf(why, whysz, "no camera found (`parkline inspect cameras` lists them)");
		rc = PL_ENOTFOUND;
		goto out;
	}
	if (!c->cam) {
		if (err && err->domain == ARV_DEVICE_ERROR && err->code == ARV_DEVICE_ERROR_NOT_FOUND) {
			snprintf(why, whysz, "no camera '%s' (`parkline inspect cameras` lists them)",
				 opened);
			g_clear_error(&err);
			rc = PL_ENOTFOUND;
		} else {
			why_gerror(why, whysz, "opening the camera", &err);
			rc = PL_EIO;
		}
		goto out;
	}
	copy_str(c->id, sizeof(c->id), opened);
	if (arv_camera_is_gv_device(c->cam))
		gv_loopback_fix(c->cam);
	if ((rc = set_mono8(c->cam, why, whysz)))
		goto out;
	if (p->width || p->height) {
		gint x, y, gw = 0, gh = 0;
		arv_camera_get_region(c->cam, &x, &y, &gw, &gh, NULL);
		if ((rc = set_region(c->cam, p->width ? p->width : (uint32_t)gw,
				     p->height ? p->height : (uint32_t)gh, why, whysz)))
			goto out;
	}
	if (p->exposure_us > 0 && (rc = set_exposure(c->cam, p->exposure_us, why, whysz)))
		goto out;
	{
		gint x, y, gw = 0, gh = 0;
		arv_camera_get_region(c->cam, &x, &y, &gw, &gh, &err);
		if (err || gw <= 0 || gh <= 0 || gw > VIS_DIM_MAX || gh > VIS_DIM_MAX ||
		    (uint64_t)gw * (uint64_t)gh > VIS_PIXELS_MAX) {
			rc = err ? PL_EIO : PL_EINVAL;
			if (err)
				why_gerror(why, whysz, "reading the region", &err);
			else
				snprintf(why, whysz, "the camera's frame %dx%d is outside the limits", gw, gh);
			goto out;
		}
		c->w = (uint32_t)gw, c->h = (uint32_t)gh;
	}
	c->payload = arv_camera_get_payload(c->cam, &err);
	/* the payload sizes every buffer: capped before anything is allocated */
	if (err || c->payload < (size_t)c->w * c->h ||
	    c->payload > (size_t)c->w * c->h + CAM_PAYLOAD_SLACK) {
		if (err)
			why_gerror(why, whysz, "reading the payload size", &err);
		else
			snprintf(why, whysz, "payload %zu bytes does not fit a %ux%u Mono8 frame "
				 "(+ %d bytes of chunk data at most)", c->payload, c->w, c->h,
				 CAM_PAYLOAD_SLACK);
		rc = PL_EIO;
		goto out;
	}
	arv_camera_set_acquisition_mode(c->cam, ARV_ACQUISITION_MODE_CONTINUOUS, &err);
	g_clear_error(&err); /* continuous is every camera's default; a refusal is not fatal */
	set_trigger_mode(c, p->trigger);
	c->stream = arv_camera_create_stream(c->cam, NULL, NULL, &err);
	if (!c->stream) {
		why_gerror(why, whysz, "creating the stream", &err);
		rc = PL_EIO;
		goto out;
	}
	if (ARV_IS_GV_STREAM(c->stream)) {
		/* note 7: room in the kernel for `buffers` frames in flight, and
		 * never less than CAM_SOCKET_BUFFER_MIN */
		size_t sb = c->payload * c->buffers;
		if (sb < CAM_SOCKET_BUFFER_MIN)
			sb = CAM_SOCKET_BUFFER_MIN;
		if (sb > CAM_SOCKET_BUFFER_MAX)
			sb = CAM_SOCKET_BUFFER_MAX;
		g_object_set(c->stream, "socket-buffer", ARV_GV_STREAM_SOCKET_BUFFER_FIXED,
			     "socket-buffer-size", (gint)sb, NULL);
	}
	for (unsigned i = 0; i < c->buffers; i++)
		arv_stream_push_buffer(c->stream, arv_buffer_new_allocate(c->payload));
	*out = c;
	c = NULL;
out:
	vis_cam_close(c);
	return rc;
}

const char *vis_cam_id(const struct vis_cam *c)
{
	return c->id;
}

void vis_cam_size(const struct vis_cam *c, uint32_t *w, uint32_t *h)
{
	*w = c->w;
	*h = c->h;
}

bool vis_cam_triggered(const struct vis_cam *c)
{
	return c->triggered;
}

const char *vis_cam_trigger_note(const struct vis_cam *c)
{
	return c->trigger_note;
}

static const char *status_name(ArvBufferStatus s)
{
	switch (s) {
	case ARV_BUFFER_STATUS_SUCCESS: return "success";
	case ARV_BUFFER_STATUS_CLEARED: return "cleared";
	case ARV_BUFFER_STATUS_TIMEOUT: return "timeout (packets stopped arriving)";
	case ARV_BUFFER_STATUS_MISSING_PACKETS: return "missing packets";
	case ARV_BUFFER_STATUS_WRONG_PACKET_ID: return "wrong packet id";
	case ARV_BUFFER_STATUS_SIZE_MISMATCH: return "size mismatch (the image does not fit the buffer)";
	case ARV_BUFFER_STATUS_FILLING: return "still filling";
	case ARV_BUFFER_STATUS_ABORTED: return "aborted";
	default: return "unknown status";
	}
}

/* Returns every buffer waiting in the stream's output to its input
 * (note 2); never blocks. */
static void drain(struct vis_cam *c)
{
	ArvBuffer *b;
	while ((b = arv_stream_try_pop_buffer(c->stream)))
		arv_stream_push_buffer(c->stream, b);
}

/* Checks one buffer (note 3) and copies it into im. */
static int take(struct vis_cam *c, ArvBuffer *b, struct vis_image *im, size_t k, char *why,
		size_t whysz)
{
	ArvBufferStatus st = arv_buffer_get_status(b);
	size_t size = 0;
	const uint8_t *data;

	if (st != ARV_BUFFER_STATUS_SUCCESS) {
		snprintf(why, whysz, "%s: frame %zu incomplete: %s", c->id, k, status_name(st));
		return PL_EIO;
	}
	if (arv_buffer_get_payload_type(b) != ARV_BUFFER_PAYLOAD_TYPE_IMAGE) {
		snprintf(why, whysz, "%s: frame %zu is not an image payload", c->id, k);
		return PL_EUNSUPPORTED;
	}
	ArvPixelFormat pf = arv_buffer_get_image_pixel_format(b);
	if (pf != ARV_PIXEL_FORMAT_MONO_8) {
		snprintf(why, whysz, "%s: frame %zu came as pixel format 0x%08x, not Mono8", c->id, k,
			 (unsigned)pf);
		return PL_EUNSUPPORTED;
	}
	gint bw = arv_buffer_get_image_width(b), bh = arv_buffer_get_image_height(b);
	data = arv_buffer_get_image_data(b, &size);
	if (bw != (gint)im->w || bh != (gint)im->h || !data || size < (size_t)im->w * im->h) {
		snprintf(why, whysz, "%s: frame %zu is %dx%d (%zu bytes), the plane %ux%u", c->id, k,
			 bw, bh, size, im->w, im->h);
		return PL_EINVAL;
	}
	for (uint32_t y = 0; y < im->h; y++)
		memcpy(im->px + (size_t)y * im->stride, data + (size_t)y * im->w, im->w);
	return 0;
}

/* Validates a grab's timeout (note 4); why gets the rule. */
static int check_timeout(unsigned timeout_ms, char *why, size_t whysz)
{
	if (timeout_ms == 0 || timeout_ms > CAM_TIMEOUT_MAX_MS) {
		snprintf(why, whysz, "grab: timeout 1..%u ms", CAM_TIMEOUT_MAX_MS);
		return PL_EINVAL;
	}
	return 0;
}

int vis_cam_arm(struct vis_cam *c, unsigned timeout_ms, char *why, size_t whysz)
{
	GError *err = NULL;
	char dummy[8];

	if (!why || !whysz)
		why = dummy, whysz = sizeof(dummy);
	why[0] = 0;
	if (check_timeout(timeout_ms, why, whysz))
		return PL_EINVAL;
	if (c->armed) {
		snprintf(why, whysz, "%s: already armed", c->id);
		return PL_EINVAL;
	}
	drain(c);
	if (ARV_IS_GV_STREAM(c->stream))
		/* note 8: a frame is given up only after timeout_ms without packets */
		g_object_set(c->stream, "frame-retention", (guint)timeout_ms * 1000u, NULL);
	arv_camera_start_acquisition(c->cam, &err);
	if (err) {
		char what[VIS_CAM_ID_LEN + 32];
		snprintf(what, sizeof(what), "%s: starting acquisition", c->id); /* which of C */
		why_gerror(why, whysz, what, &err);
		arv_camera_stop_acquisition(c->cam, NULL); /* a half-started camera */
		return PL_EIO;
	}
	c->armed = true;
	return 0;
}

int vis_cam_fire(struct vis_cam *c, char *why, size_t whysz)
{
	GError *err = NULL;
	char dummy[8];

	if (!why || !whysz)
		why = dummy, whysz = sizeof(dummy);
	why[0] = 0;
	if (!c->armed) {
		snprintf(why, whysz, "%s: fire before arm", c->id);
		return PL_EINVAL;
	}
	if (!c->triggered)
		return 0; /* free-running (note 9): frames come on their own */
	arv_camera_software_trigger(c->cam, &err);
	if (err) {
		char w[200];
		why_gerror(w, sizeof(w), "software trigger", &err);
		snprintf(why, whysz, "%s: %s", c->id, w);
		return PL_EIO;
	}
	return 0;
}

int vis_cam_collect(struct vis_cam *c, struct vis_image *frame, size_t k, unsigned timeout_ms,
		    uint64_t *frame_id, char *why, size_t whysz)
{
	char dummy[8];
	int rc;

	if (!why || !whysz)
		why = dummy, whysz = sizeof(dummy);
	why[0] = 0;
	if (check_timeout(timeout_ms, why, whysz))
		return PL_EINVAL;
	if (!c->armed) {
		snprintf(why, whysz, "%s: collect before arm", c->id);
		return PL_EINVAL;
	}
	if (!frame->px || frame->w != c->w || frame->h != c->h || frame->stride < frame->w) {
		snprintf(why, whysz, "grab: plane %zu is not %ux%u", k, c->w, c->h);
		return PL_EINVAL;
	}
	ArvBuffer *b = arv_stream_timeout_pop_buffer(c->stream, (guint64)timeout_ms * 1000);
	if (!b) {
		snprintf(why, whysz, "%s: no frame %zu within %u ms", c->id, k, timeout_ms);
		return PL_ETIMEOUT;
	}
	rc = take(c, b, frame, k, why, whysz);
	if (frame_id)
		*frame_id = arv_buffer_get_frame_id(b);
	arv_stream_push_buffer(c->stream, b);
	return rc;
}

int vis_cam_disarm(struct vis_cam *c, char *why, size_t whysz)
{
	GError *err = NULL;
	int rc = 0;

	if (!c->armed)
		return 0;
	arv_camera_stop_acquisition(c->cam, &err);
	if (err) {
		if (why && whysz)
			why_gerror(why, whysz, "stopping acquisition", &err);
		rc = PL_EIO;
	}
	g_clear_error(&err);
	c->armed = false;
	drain(c); /* note 2: nothing of this grab is left for the next */
	return rc;
}

int vis_cam_grab(struct vis_cam *c, struct vis_image *frames, size_t n, unsigned timeout_ms,
		 uint64_t *frame_ids, char *why, size_t whysz)
{
	int rc = 0;
	char dummy[8], w[8];

	if (!why || !whysz)
		why = dummy, whysz = sizeof(dummy);
	why[0] = 0;
	if (n == 0 || timeout_ms == 0 || timeout_ms > CAM_TIMEOUT_MAX_MS) {
		snprintf(why, whysz, "grab: n >= 1 and timeout 1..%u ms", CAM_TIMEOUT_MAX_MS);
		return PL_EINVAL;
	}
	for (size_t k = 0; k < n; k++)
		if (!frames[k].px || frames[k].w != c->w || frames[k].h != c->h ||
		    frames[k].stride < frames[k].w) {
			snprintf(why, whysz, "grab: plane %zu is not %ux%u", k, c->w, c->h);
			return PL_EINVAL;
		}
	if ((rc = vis_cam_arm(c, timeout_ms, why, whysz)))
		return rc;
	for (size_t k = 0; k < n && !rc; k++) {
		rc = vis_cam_fire(c, why, whysz);
		if (!rc)
			rc = vis_cam_collect(c, &frames[k], k, timeout_ms,
					     frame_ids ? &frame_ids[k] : NULL, why, whysz);
	}
	/* the first error's sentence stays; a stop failure only counts alone */
	int src = vis_cam_disarm(c, rc ? w : why, rc ? sizeof(w) : whysz);
	return rc ? rc : src;
}

void vis_cam_close(struct vis_cam *c)
{
	if (!c)
		return;
	if (c->cam && c->stream)
		arv_camera_stop_acquisition(c->cam, NULL); /* armed or not */
	if (c->stream)
		g_object_unref(c->stream);
	if (c->cam)
		g_object_unref(c->cam);
	free(c);
}
