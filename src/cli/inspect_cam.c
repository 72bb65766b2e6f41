/*
 * inspect_cam.c - cameras for the inspection commands (through the vis_cam_
 * API, src/vision/camera.c): `parkline inspect cameras` lists what Aravis
 * sees, and the camera half of `parkline inspect run --camera`, which turns
 * each grab into a unit directory in the node's inbox (inspect_io.h).
 *
 * Why a unit becomes a directory first: the node's durability (spool,
 * exactly-once, reject images kept) is built on unit directories renamed
 * into the inbox (notes in inspect_run.c). Writing the grabbed frames as
 * INBOX/.partial-NAME/vVV-fF.pgm, fsync'd, then renaming the directory to
 * INBOX/NAME gives camera units exactly the same path: a crash before the
 * rename leaves a .partial- directory the node ignores (the vial is not
 * reported: it was never fully photographed; see the README's not-done
 * list), a crash after it leaves a unit the node inspects on restart.
 *
 * Views: with one camera and V > 1 views, the V x F frames of a unit are
 * V*F consecutive frames of one free-running acquisition (frame k is view
 * k / F, frame k % F), as if the vial turned in front of one camera. With
 * one camera per view (C == V, also C == V == 1), camera v gives view v's
 * F frames and the views of one frame index are taken together, as a
 * hood's cameras photograph the vial at the same instant: every camera is
 * opened on a software trigger (camera.c note 9) and armed, then for each
 * frame k every camera is fired back to back and frame k collected from
 * each, before any is fired for k+1. The C views of frame k are thus
 * exposed within the time the loop takes to send C trigger commands (one
 * register write each), not camera after camera. A camera that offers no
 * software trigger runs free; open says so once on stderr, and its frame
 * k is then the k-th frame it sent after arming (close in time to the
 * others, but not on their instant). A grab that fails (timeout,
 * incomplete or wrong frames, a refused trigger) still makes a unit: it
 * holds camera-error.txt with the reason and no frames, and the node
 * reports it uninspectable - a vial that could not be photographed is
 * never accepted. A grab waits at most V*F x the frame timeout.
 */
#include "cli/cli.h"
#include "cli/inspect_io.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_inspect_cameras(int argc, char **argv, char **envp);

struct cli_cams {
	struct vis_cam *cam[VIS_VIEWS_MAX]; /* owned */
	size_t ncam;
	struct vis_config cfg;              /* copy */
	struct vis_image *frames;           /* views*frames planes, owned */
	size_t n;
	unsigned timeout_ms;
	bool per_view;                      /* one camera per view: triggered together */
};

static const char cams_usage[] =
	"usage: parkline inspect cameras [--fake]\n"
	"\n"
	"Lists the cameras Aravis finds (GigE Vision discovery on every interface,\n"
	"about a second, and USB3 Vision): one line each, tab-separated:\n"
	"id, vendor, model, serial, address, protocol. The id is what\n"
	"'parkline inspect run --camera ID' takes. --fake also enables Aravis's\n"
	"in-process fake interface (camera Fake_1). Exit 0, also when none is found.\n";

int cli_inspect_cameras(int argc, char **argv, char **envp)
{
	(void)envp;
	bool fake = false;
	struct vis_cam_info *info;
	size_t n = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cams_usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--fake"))
			fake = true;
		else
			return cli_usage_error("inspect cameras", cams_usage, "unknown option '%s'",
					       argv[i]);
	}
	struct vis_cam_sys *sys = vis_cam_sys_new();
	if (fake)
		vis_cam_enable_fake(sys);
	info = pl_calloc(VIS_CAM_LIST_MAX, sizeof(*info));
	vis_cam_list(sys, info, VIS_CAM_LIST_MAX, &n);
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", info[i].id, info[i].vendor, info[i].model,
		       info[i].serial, info[i].address, info[i].protocol);
	fprintf(stderr, "%zu camera(s)\n", n);
	free(info);
	vis_cam_sys_free(sys);
	vis_cam_shutdown(); /* process exit follows (vision.h) */
	return 0;
}

void cli_cams_free(struct cli_cams *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncam; i++)
		vis_cam_close(c->cam[i]);
	for (size_t i = 0; i < c->n; i++)
		vis_image_release(&c->frames[i]);
	free(c->frames);
	free(c);
}

/* Splits list at commas into ids[] (pointers into buf, at most
 * VIS_VIEWS_MAX); PL_EINVAL with why when it is too long or has too many. */
static int split_ids(const char *list, char *buf, size_t bufsz, char **ids, size_t *n,
		     char *why, size_t whysz)
{
	char *save = NULL;

	*n = 0;
	if (strlen(list) >= bufsz) {
		snprintf(why, whysz, "--camera: the list is too long");
		return PL_EINVAL;
	}
	pl_strlcpy(buf, list, bufsz);
	for (char *id = strtok_r(buf, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
		if (*n == VIS_VIEWS_MAX) {
			snprintf(why, whysz, "--camera: more than %d cameras", VIS_VIEWS_MAX);
			return PL_EINVAL;
		}
		ids[(*n)++] = id;
	}
	return 0;
}

int cli_cams_open(struct vis_cam_sys *sys, const char *list, const struct vis_config *cfg,
		  double exposure_us, unsigned timeout_ms, struct cli_cams **out, char *why,
		  size_t whysz)
{
	struct cli_cams *c = pl_calloc(1, sizeof(*c));
	struct vis_cam_params p = { .width = cfg->width, .height = cfg->height,
				    .exposure_us = exposure_us };
	char buf[VIS_VIEWS_MAX * VIS_CAM_ID_LEN], *ids[VIS_VIEWS_MAX];
	size_t nid = 0;
	int rc = 0;

	*out = NULL;
	c->cfg = *cfg;
	c->timeout_ms = timeout_ms;
	if ((rc = split_ids(list, buf, sizeof(buf), ids, &nid, why, whysz)))
		goto out;
	if (nid == 0 || (nid != 1 && nid != cfg->views)) {
		snprintf(why, whysz, "--camera: give one camera or one per view (the product has %u "
			 "views, %zu cameras given)", cfg->views, nid);
		rc = PL_EINVAL;
		goto out;
	}
	/* one per view: the views of a frame index are taken together, on a
	 * software trigger where the camera has one (file comment) */
	c->per_view = nid == cfg->views;
	p.trigger = c->per_view;
	for (size_t i = 0; i < nid; i++) {
		char w[400];
		/* "first" opens the first camera Aravis finds */
		rc = vis_cam_open(sys, strcmp(ids[i], "first") ? ids[i] : NULL, &p, &c->cam[c->ncam],
				  w, sizeof(w));
		if (rc) {
			snprintf(why, whysz, "camera %s: %s", ids[i], w);
			goto out;
		}
		c->ncam++;
		if (c->per_view && !vis_cam_triggered(c->cam[i]))
			/* said once, at open: this camera's views are not on the others' instant */
			fprintf(stderr, "parkline inspect run: camera %s: %s; it runs free, so its "
				"frames are not taken on the others' trigger\n",
				vis_cam_id(c->cam[i]), vis_cam_trigger_note(c->cam[i]));
	}
	c->n = (size_t)cfg->views * cfg->frames;
	c->frames = pl_calloc(c->n, sizeof(*c->frames));
	for (size_t i = 0; i < c->n; i++)
		if ((rc = vis_image_alloc(&c->frames[i], cfg->width, cfg->height))) {
			snprintf(why, whysz, "frame buffers: %s", pl_strerror(rc));
			goto out;
		}
	*out = c;
	c = NULL;
out:
	cli_cams_free(c);
	return rc;
}

size_t cli_cams_count(const struct cli_cams *c)
{
	return c->ncam;
}

/* One camera per view (file comment): arm all, then per frame index fire
 * all back to back and collect one frame from each, so the views of frame
 * k are taken together; disarm all, also after an error. Frames land
 * view-major (camera v's frame k at v * F + k). Returns the first error,
 * with why naming the camera and frame. */
static int grab_together(struct cli_cams *c, char *why, size_t whysz)
{
	unsigned F = c->cfg.frames;
	size_t armed = 0;
	int rc = 0;

	while (armed < c->ncam && !(rc = vis_cam_arm(c->cam[armed], c->timeout_ms, why, whysz)))
		armed++;
	for (unsigned k = 0; k < F && !rc; k++) {
		/* the triggers first, back to back: no collect wait between them */
		for (size_t v = 0; v < c->ncam && !rc; v++)
			rc = vis_cam_fire(c->cam[v], why, whysz);
		for (size_t v = 0; v < c->ncam && !rc; v++)
			rc = vis_cam_collect(c->cam[v], &c->frames[v * F + k], k, c->timeout_ms, NULL,
					     why, whysz);
	}
	for (size_t v = 0; v < armed; v++) {
		char w[200];
		int drc = vis_cam_disarm(c->cam[v], w, sizeof(w));
		if (drc && !rc) {
			snprintf(why, whysz, "%s: %s", vis_cam_id(c->cam[v]), w);
			rc = drc;
		}
	}
	return rc;
}

int cli_cams_grab_unit(struct cli_cams *c, const char *inbox, const char *name, int *cam_rc,
		       char *why, size_t whysz)
{
	char tmp[4400], dst[4400], path[4500], cam_why[400] = "";
	unsigned F = c->cfg.frames;
	int grc = 0;

	why[0] = 0;
	*cam_rc = 0;
	/* the grab (view-major order, see the file comment) */
	if (c->per_view)
		grc = grab_together(c, cam_why, sizeof(cam_why));
	else
		grc = vis_cam_grab(c->cam[0], c->frames, c->n, c->timeout_ms, NULL, cam_why,
				   sizeof(cam_why));
	snprintf(tmp, sizeof(tmp), "%s/.partial-%s", inbox, name);
	snprintf(dst, sizeof(dst), "%s/%s", inbox, name);
	if (mkdir(tmp, 0755) && errno != EEXIST) {
		snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
		return PL_EIO;
	}
	if (grc) {
		snprintf(path, sizeof(path), "%s/camera-error.txt", tmp);
		FILE *f = fopen(path, "w");
		if (!f || fprintf(f, "%s\n", cam_why) < 0 || fflush(f) || fsync(fileno(f))) {
			if (f)
				fclose(f);
			snprintf(why, whysz, "%s: cannot write", path);
			return PL_EIO;
		}
		fclose(f);
	} else {
		for (unsigned v = 0; v < c->cfg.views; v++)
			for (unsigned k = 0; k < F; k++) {
				snprintf(path, sizeof(path), "%s/v%02u-f%u.pgm", tmp, v, k);
				if (vis_pgm_write(path, &c->frames[v * F + k]) ||
				    cli_vis_fsync(path, false)) {
					snprintf(why, whysz, "%s: cannot write", path);
					return PL_EIO;
				}
			}
	}
	if (cli_vis_fsync(tmp, true) || rename(tmp, dst) || cli_vis_fsync(inbox, true)) {
		snprintf(why, whysz, "%s: cannot commit to %s: %s", tmp, dst, strerror(errno));
		return PL_EIO;
	}
	*cam_rc = grc;
	if (grc)
		snprintf(why, whysz, "%s", cam_why);
	return 0;
}
