/*
 * inspect_run.c - `parkline inspect run`: the line-side inspection node.
 * It takes units from a watched inbox directory (with --camera also grabs
 * them from cameras into it, note 7), inspects each with the
 * vis_ library on a pool of worker threads, keeps reject images, and
 * reports every verdict to the platform as an EPCIS 2.0 ObjectEvent
 * (bizStep inspecting, disposition conformant / non_conformant) through a
 * durable local spool (src/vision/spool.h) drained by one sender thread
 * over HTTP (libcurl, POST /epcis/capture with a device token).
 *
 * NOTES ON THE DESIGN
 * 1. Units arrive atomically: a producer writes INBOX/.partial-NAME (names
 *    starting with '.' are ignored) and renames it to INBOX/NAME, like
 *    maildir. inotify (IN_MOVED_TO, IN_CREATE) says when; the inbox is also
 *    rescanned every few seconds, which covers an inotify queue overflow
 *    and units that were there before we started.
 * 2. One unit's commit, in this order (spool.h for the spool's own steps):
 *      a. inspect; for a reject write overlay.png into the unit (fsync'd);
 *      b. vis_spool_put(NAME, event, counts, offer=false)   <- commit point
 *      c. rename INBOX/NAME to OUT/rejects/NAME (reject, uninspectable) or
 *         to OUT/.trash/NAME then delete it (accept); fsync both directories;
 *      d. vis_spool_offer(NAME): only now may the sender send it.
 *    A crash before b leaves the unit in the inbox: it is inspected again
 *    (the same frames give the same verdict, note 3). A crash between b and
 *    c leaves the unit in the inbox AND its record in the spool: start-up
 *    sees the record and only finishes c, before the sender starts, so a
 *    unit is never counted twice. Because of d, a record is never sent (and
 *    deleted) while its unit is still in the inbox.
 * 3. Exactly once at the platform: the event is a pure function of the
 *    unit (eventTime is the first frame's mtime, the EPC comes from the
 *    unit's name or manifest, the verdict from its frames), and its eventID
 *    is the CBV 2.0 event hash. A resend after a crash (acknowledged but
 *    not yet deleted from the spool) is the same bytes, which the
 *    repository counts as a duplicate of the stored event (docs/trace.md).
 * 4. Acknowledged means: 202 with a CaptureJob whose success is true and
 *    running false (a running job is polled at /epcis/capture/{id}). Every
 *    other answer - no connection, 5xx, 401/403, a failed job - is retried
 *    with exponential backoff (0.2 s doubling to --retry-max-ms); the
 *    spool is FIFO, so a permanently failing event holds the line until a
 *    person looks (it is logged at every try).
 * 5. Threads: the main thread owns inotify, the rescans and the signals
 *    (SIGINT/SIGTERM blocked before any thread starts, read from a
 *    signalfd); workers each own a vis_ctx; the sender owns the curl
 *    handle. They share only the work queue (mutex + condvar) and the spool
 *    (its own mutex). Counters for the line (note 6) live in the spool.
 * 6. Counters: each record carries {"good":1} or {"reject":1,
 *    "reject/<class>":1} (class of the first reason, "uninspectable" for
 *    units that could not be inspected); the spool keeps the totals exact
 *    across crashes, and the node writes them to SPOOL/status.json after
 *    every unit. `parkline simulate line --vision SPOOL/status.json`
 *    publishes them as the filling line's Sparkplug metrics.
 * 7. Cameras (--camera, inspect_cam.c): one feeder thread grabs each unit
 *    from the cameras and commits it into the inbox exactly as a producer
 *    would (INBOX/.partial-NAME, fsync, rename), then queues it; from there
 *    the unit takes the same path as any other (notes 1-6), so the spool,
 *    exactly-once and kept reject images hold for camera units unchanged.
 *    Back-pressure: the feeder waits while 2 x threads units are queued or
 *    in work, so the inbox cannot grow without bound when the cameras are
 *    faster than inspection. A failed grab still commits a unit holding
 *    camera-error.txt, which process_unit reports uninspectable (a vial
 *    that was not photographed is never accepted); after RUN_CAM_FAILS in
 *    a row the feeder stops (a camera that is gone would otherwise flood
 *    the platform with uninspectable units) and says so in the log.
 *    Cameras are opened after SIGINT/SIGTERM are blocked, so Aravis's own
 *    threads inherit the mask and the signalfd gets every signal.
 */
#include "cli/cli.h"
#include "cli/cli_curl.h"
#include "cli/inspect_io.h"
#include "trace/trace.h"
#include "vision/spool.h"
#include "vision/vision.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_inspect_run(int argc, char **argv, char **envp);

#define RUN_QUEUE_MAX 4096   /* units waiting for a worker; more wait in the inbox */
#define RUN_RESCAN_MS 3000   /* inbox rescan period (note 1) */
#define RUN_REPLY_MAX (1u << 20)
#define RUN_SERIAL_MAX 20    /* GS1 AI 21 */
#define RUN_CAM_FAILS 3      /* failed grabs in a row that stop the feeder (note 7) */

static const char run_usage[] =
	"usage: parkline inspect run --inbox DIR --spool DIR --out DIR --url URL [options]\n"
	"\n"
	"The line-side inspection node: inspects every unit directory renamed into\n"
	"--inbox (frames vVV-fF.png/.jpg/.pgm as 'parkline simulate vials' writes them,\n"
	"optional unit.json {\"epc\",\"tray\"}), keeps reject images under --out/rejects,\n"
	"and reports each verdict as an EPCIS ObjectEvent (bizStep inspecting) to\n"
	"URL/epcis/capture through a durable spool: an event leaves --spool only when\n"
	"the platform acknowledged it. The device token comes from --token-file or\n"
	"PARKLINE_TOKEN. Stops on SIGINT/SIGTERM.\n"
	"\n"
	"options:\n"
	"  --inbox DIR         watched directory; units must be renamed into it\n"
	"  --spool DIR         durable outbox and counters (status.json)\n"
	"  --out DIR           reject images (DIR/rejects/UNIT/: overlay.png + views)\n"
	"  --url URL           the platform, e.g. http://127.0.0.1:8080\n"
	"  --token-file FILE   file holding the device API token (else PARKLINE_TOKEN)\n"
	"  --product FILE      product configuration (default INBOX/../product.json,\n"
	"                      else the built-in 2R vial)\n"
	"  --threads N         inspection workers, 1..64 (default 2)\n"
	"  --golden FILE       golden model ('parkline inspect golden'): also report\n"
	"                      static deviations from good units (glass, cosmetic)\n"
	"  --gtin GTIN         14-digit GTIN of the vials (default the demo vial's)\n"
	"  --read-point URI    the inspection station (default the demo line's L1-S3)\n"
	"  --image-base URL    prefix of image references (default file://OUT/rejects)\n"
	"  --retry-max-ms MS   longest wait between resends, 100..600000 (default 30000)\n"
	"  --once              process the inbox, drain the spool, exit (no watching)\n"
	"\n"
	"cameras (Aravis, GigE Vision / USB3 Vision; 'parkline inspect cameras'):\n"
	"  --camera ID[,ID...] also grab units from cameras into --inbox (producers may\n"
	"                      still rename units in). One camera gives a unit's V x F\n"
	"                      frames as consecutive free-running frames (frame k is\n"
	"                      view k/F, frame k%F); else one camera per view, each\n"
	"                      giving that view's F frames: all are armed on a\n"
	"                      software trigger and fired together for each frame,\n"
	"                      so the V views of a frame are taken together, within\n"
	"                      one round of V trigger writes (a camera without a\n"
	"                      software trigger runs free; said at start). 'first'\n"
	"                      is the first camera found.\n"
	"                      Units are named c<epoch ms>, grabbed back to back\n"
	"                      while fewer than 2 x --threads wait. A failed grab\n"
	"                      (timeout, incomplete or wrong frames) is reported\n"
	"                      uninspectable; 3 in a row stop acquisition.\n"
	"  --units N           stop grabbing after N units (0: until stopped; with\n"
	"                      --once N is required and the node exits when they are\n"
	"                      reported: 0, or 1 when grabbing stopped early)\n"
	"  --frame-timeout-ms MS  longest wait for one frame, 1..60000 (default 2000)\n"
	"  --exposure-us US    fixed exposure in microseconds (default: the camera's)\n";

#define USAGE(...) cli_usage_error("inspect run", run_usage, __VA_ARGS__)

struct run_opts {
	const char *inbox, *spool, *out, *url, *token_file, *product, *read_point, *image_base;
	const char *golden;       /* --golden FILE, or NULL */
	char gtin[15];
	int64_t threads, retry_max_ms;
	bool once;
	const char *camera;       /* --camera list, or NULL: directory mode */
	int64_t units, frame_timeout_ms;
	double exposure_us;
};

/* The node's state, shared by its threads (note 5). */
struct run {
	const struct run_opts *o;
	struct vis_config cfg;
	struct vis_golden *golden; /* owned; read-only, shared by the workers; NULL: none */
	struct vis_spool *spool;  /* owned */
	struct pl_log log;
	char token[512];
	char rejects[4096], trash[4096], image_base[8192];
	char read_point[TRACE_ID_MAX];
	/* work queue */
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* work arrived, or stopping */
	pthread_cond_t idle_cv;   /* a worker finished a unit */
	char **queue;             /* owned names; queue[0..nq) waiting */
	size_t nq;
	char **busy;              /* names being processed (owned) */
	size_t nbusy, busy_cap;
	bool stopping;
	pthread_mutex_t status_mu; /* serialises status.json writes */
	atomic_long inspected;
	/* Crash points for tests/steps/36-inspect-node.sh, from
	 * PARKLINE_TEST_CRASH=put:N|send:N: SIGKILL ourselves right after the
	 * N-th spool put (before the unit leaves the inbox) or the N-th
	 * acknowledged send (before the spool ack), the two windows note 2 and
	 * note 3 are about. 0: off. */
	long crash_put, crash_send;
	atomic_long n_put, n_sent;
	/* camera mode (note 7): the grabbing thread and its cameras */
	struct vis_cam_sys *cam_sys; /* owned */
	struct cli_cams *cams;       /* owned; used by the feeder thread only */
	atomic_bool feeder_done;     /* set when the feeder has stopped grabbing */
	atomic_bool feeder_failed;   /* ... before --units, because of failures */
};

/* -------------------------------------------------------------- helpers */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void rm_tree(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdir1(const char *d)
{
	return mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : PL_EIO;
}

/* Reads the first line of a small file into out (trailing space cut). */
static int read_token(const char *path, char *out, size_t outsz)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return PL_EIO;
	if (!fgets(out, (int)outsz, f)) {
		fclose(f);
		return PL_EINVAL;
	}
	fclose(f);
	size_t n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = 0;
	return n ? 0 : PL_EINVAL;
}

static bool serial_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > RUN_SERIAL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._", s[i]))
			return false;
	return true;
}

/* ---------------------------------------------------------- work queue */

static bool name_in(char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

/* Queues name unless it is queued or being worked on, or the queue is
 * full (the rescan finds it later). */
static void queue_push(struct run *r, const char *name)
{
	pthread_mutex_lock(&r->mu);
	if (r->nq < RUN_QUEUE_MAX && !name_in(r->queue, r->nq, name) &&
	    !name_in(r->busy, r->nbusy, name)) {
		r->queue[r->nq++] = pl_strdup(name);
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
}

/* Takes the next name (moved to busy), or NULL when stopping. */
static char *queue_pop(struct run *r)
{
	char *name = NULL;
	pthread_mutex_lock(&r->mu);
	while (!r->stopping && r->nq == 0)
		pthread_cond_wait(&r->cv, &r->mu);
	if (!r->stopping) {
		name = r->queue[0];
		memmove(r->queue, r->queue + 1, (r->nq - 1) * sizeof(*r->queue));
		r->nq--;
		if (r->nbusy == r->busy_cap) {
			r->busy_cap = r->busy_cap ? 2 * r->busy_cap : 16;
			r->busy = pl_realloc(r->busy, r->busy_cap * sizeof(*r->busy));
		}
		r->busy[r->nbusy++] = pl_strdup(name);
	}
	pthread_mutex_unlock(&r->mu);
	return name;
}

static void queue_done(struct run *r, const char *name)
{
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nbusy; i++)
		if (!strcmp(r->busy[i], name)) {
			free(r->busy[i]);
			r->busy[i] = r->busy[--r->nbusy];
			break;
		}
	pthread_cond_broadcast(&r->idle_cv);
	pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------- status */

/* SPOOL/status.json: the spool's totals and the node's progress, written
 * through a temporary file and rename (derived data: no fsync needed, the
 * spool is the durable copy). */
static void status_write(struct run *r)
{
	char path[4096], tmp[4200];
	json_t *counts = vis_spool_counts(r->spool);
	json_t *st = json_pack("{s:o, s:I, s:I, s:I}", "counts", counts, "pending",
			       (json_int_t)vis_spool_pending(r->spool), "inspected",
			       (json_int_t)atomic_load(&r->inspected), "updated_ms",
			       (json_int_t)pl_time_now_ms());
	pthread_mutex_lock(&r->status_mu);
	snprintf(path, sizeof(path), "%s/status.json", r->o->spool);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(st, tmp, JSON_COMPACT) == 0)
		rename(tmp, path);
	pthread_mutex_unlock(&r->status_mu);
	json_decref(st);
}

/* ------------------------------------------------------------ one unit */

/* The frame file of view v, frame 0, as it exists in dir ("" if none). */
static void view_file(const char *dir, unsigned v, char *out, size_t outsz)
{
	static const char *const exts[] = { "png", "jpg", "pgm" };
	char path[4400];
	out[0] = 0;
	for (size_t e = 0; e < 3; e++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/v%02u-f0.%s", dir, v, exts[e]);
		if (!stat(path, &st)) {
			snprintf(out, outsz, "v%02u-f0.%s", v, exts[e]);
			return;
		}
	}
}

/* Builds the EPCIS document for one verdict (note 3); NULL with why when
 * the unit has no usable identity. */
static json_t *build_event(struct run *r, const char *name, const char *unit_dir,
			   const char *kept_name, const struct vis_result *res, int64_t t_ms,
			   char *why, size_t whysz)
{
	char epc[TRACE_ID_MAX], when[PL_TIME_STRLEN], hash[TRACE_HASH_STRLEN], file[64];
	const char *tray = NULL;
	json_t *manifest = NULL, *doc = NULL, *ev, *ins, *reasons, *images;
	char path[4400];

	snprintf(path, sizeof(path), "%s/unit.json", unit_dir);
	if (access(path, F_OK) == 0) {
		json_error_t jerr;
		manifest = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(manifest)) {
			snprintf(why, whysz, "unit.json: %s", jerr.text);
			goto out;
		}
		tray = pl_json_str(manifest, "tray");
	}
	if (manifest && pl_json_str(manifest, "epc")) {
		struct trace_id id;
		if (trace_id_parse(pl_json_str(manifest, "epc"), &id, NULL)) {
			snprintf(why, whysz, "unit.json: epc is not an EPC URI or GS1 Digital Link");
			goto out;
		}
		pl_strlcpy(epc, pl_json_str(manifest, "epc"), sizeof(epc));
	} else if (serial_valid(name)) {
		snprintf(epc, sizeof(epc), "https://id.gs1.org/01/%s/21/%s", r->o->gtin, name);
	} else {
		snprintf(why, whysz, "the name is no GS1 serial (1-20 of A-Z a-z 0-9 - . _) and "
			 "unit.json gives no epc");
		goto out;
	}
	pl_time_format(t_ms, when);
	bool ok = res->verdict == VIS_ACCEPT;
	ev = json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:{s:s}}", "type", "ObjectEvent",
		       "eventTime", when, "eventTimeZoneOffset", "+08:00", "epcList", epc, "action",
		       "OBSERVE", "bizStep", "inspecting", "disposition",
		       ok ? "conformant" : "non_conformant", "readPoint", "id", r->read_point);
	reasons = json_array();
	for (size_t i = 0; i < res->n_reasons; i++) {
		const struct vis_reason *rs = &res->reasons[i];
		json_t *o = json_pack("{s:s, s:f, s:i}", "class", vis_class_name(rs->cls),
				      "confidence", round(rs->confidence * 1000) / 1000, "view", rs->view);
		if (isfinite(rs->size_um) && rs->size_um > 0)
			json_object_set_new(o, "sizeUm", json_real(round(rs->size_um)));
		if (isfinite(rs->z_mm) && rs->view >= 0)
			json_object_set_new(o, "zMm", json_real(round(rs->z_mm * 100) / 100));
		if (rs->detail[0])
			json_object_set_new(o, "detail", json_string(rs->detail));
		json_array_append_new(reasons, o);
	}
	images = json_array();
	if (!ok && kept_name) {
		char ref[8600];
		if (res->overlay) {
			snprintf(ref, sizeof(ref), "%s/%s/overlay.png", r->image_base, kept_name);
			json_array_append_new(images, json_string(ref));
		}
		/* frame 0 of each view a reason names, once each */
		bool seen[VIS_VIEWS_MAX] = { 0 };
		for (size_t i = 0; i < res->n_reasons; i++) {
			int v = res->reasons[i].view;
			if (v < 0 || v >= VIS_VIEWS_MAX || seen[v])
				continue;
			seen[v] = true;
			view_file(unit_dir, (unsigned)v, file, sizeof(file));
			if (file[0]) {
				snprintf(ref, sizeof(ref), "%s/%s/%s", r->image_base, kept_name, file);
				json_array_append_new(images, json_string(ref));
			}
		}
	}
	ins = json_pack("{s:s, s:s, s:f, s:o, s:o}", "verdict", vis_verdict_name(res->verdict),
			"unit", name, "confidence", round(res->confidence * 1000) / 1000, "reasons",
			reasons, "images", images);
	if (tray)
		json_object_set_new(ins, "tray", json_string(tray));
	if (isfinite(res->fill_mm))
		json_object_set_new(ins, "fillMm", json_real(round(res->fill_mm * 100) / 100));
	json_object_set_new(ev, "pl:inspection", ins);
	doc = json_pack("{s:[s, {s:s}], s:s, s:s, s:s, s:{s:[o]}}", "@context",
			"https://ref.gs1.org/standards/epcis/epcis-context.jsonld", "pl",
			"https://parkline.example/epcis/vision/", "type", "EPCISDocument",
			"schemaVersion", "2.0", "creationDate", when, "epcisBody", "eventList", ev);
	if (trace_event_hash(ev, json_object_get(doc, "@context"), hash)) {
		snprintf(why, whysz, "cannot compute the event hash");
		json_decref(doc);
		doc = NULL;
		goto out;
	}
	json_object_set_new(ev, "eventID", json_string(hash));
out:
	json_decref(manifest);
	return doc;
}

/* Step c of note 2: the unit leaves the inbox. kept_name non-NULL: into
 * rejects/, else deleted through .trash/. */
static int finish_unit(struct run *r, const char *name, const char *kept_name)
{
	char from[4096], to[4200];
	snprintf(from, sizeof(from), "%s/%s", r->o->inbox, name);
	snprintf(to, sizeof(to), "%s/%s", kept_name ? r->rejects : r->trash,
		 kept_name ? kept_name : name);
	if (!kept_name)
		rm_tree(to); /* a leftover of an earlier crash */
	if (rename(from, to)) {
		pl_error(&r->log, "inspect", "%s: cannot move to %s: %s", name, to, strerror(errno));
		return PL_EIO;
	}
	if (cli_vis_fsync(kept_name ? r->rejects : r->trash, true) || cli_vis_fsync(r->o->inbox, true))
		return PL_EIO;
	if (!kept_name)
		rm_tree(to);
	return 0;
}

/* rejects/NAME, or NAME-<n> when that is taken (a reused unit name). */
static void kept_name_for(struct run *r, const char *name, char *out, size_t outsz)
{
	char p[8400];
	snprintf(out, outsz, "%s", name);
	for (int i = 1; i < 1000; i++) {
		snprintf(p, sizeof(p), "%s/%s", r->rejects, out);
		if (access(p, F_OK))
			return;
		snprintf(out, outsz, "%s-%d", name, i);
	}
}

static void process_unit(struct run *r, struct vis_ctx *ctx, struct vis_image *frames,
			 const char *name)
{
	size_t n = (size_t)r->cfg.views * r->cfg.frames;
	char dir[4096], why[300], kept[200], path[4300];
	struct vis_result res;
	json_t *doc = NULL, *counts = NULL;
	int64_t t_ms = 0;
	struct stat st;
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", r->o->inbox, name);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return; /* gone (moved by an earlier pass), or not a unit */
	if (!vis_spool_key_valid(name)) {
		/* cannot be spooled under this name: set aside, never dropped */
		snprintf(path, sizeof(path), "%s/invalid/%.200s", r->o->out, name);
		pl_error(&r->log, "inspect", "%.200s: not a valid unit name ([A-Za-z0-9._-], at most "
			 "%d bytes); moved to %s", name, VIS_SPOOL_KEY_MAX, path);
		if (rename(dir, path))
			pl_error(&r->log, "inspect", "%.200s: cannot move: %s", name, strerror(errno));
		return;
	}
	if (vis_spool_has(r->spool, name)) {
		/* committed before a crash, not yet moved (note 2): finish only,
		 * where .verdict (written before the commit) says */
		char k[200] = "";
		bool keep = true;
		snprintf(path, sizeof(path), "%s/.verdict", dir);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(k, sizeof(k), f)) {
				k[strcspn(k, "\n")] = 0;
				keep = strcmp(k, "accept") != 0;
			}
			fclose(f);
		}
		if (keep && !vis_spool_key_valid(k))
			kept_name_for(r, name, k, sizeof(k)); /* no marker: keep the images */
		if (finish_unit(r, name, keep ? k : NULL) == 0)
			vis_spool_offer(r->spool, name);
		return;
	}
	vis_result_init(&res);
	snprintf(path, sizeof(path), "%s/camera-error.txt", dir);
	FILE *cf = fopen(path, "r");
	if (cf) {
		/* a grab that failed (note 7): uninspectable, with the camera's reason */
		char line[VIS_DETAIL_LEN - 8] = "", msg[VIS_DETAIL_LEN];
		if (fgets(line, sizeof(line), cf))
			line[strcspn(line, "\n")] = 0;
		fclose(cf);
		snprintf(msg, sizeof(msg), "camera: %s", line[0] ? line : "grab failed");
		vis_result_set_uninspectable(&res, -1, msg);
	} else if (cli_vis_load_unit(dir, &r->cfg, frames, &res, &t_ms) == 0) {
		vis_inspect(ctx, frames, n, &res);
	}
	for (size_t i = 0; i < n; i++)
		vis_image_release(&frames[i]);
	if (t_ms == 0)
		t_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	bool ok = res.verdict == VIS_ACCEPT;
	if (!ok) {
		kept_name_for(r, name, kept, sizeof(kept));
		if (res.overlay) {
			snprintf(path, sizeof(path), "%s/overlay.png", dir);
			if (vis_png_write(path, res.overlay, res.overlay_w, res.overlay_h, 3, 6) ||
			    cli_vis_fsync(path, false)) {
				pl_error(&r->log, "inspect", "%s: cannot write %s", name, path);
				goto out; /* stays in the inbox; the rescan retries */
			}
		}
	}
	doc = build_event(r, name, dir, ok ? NULL : kept, &res, t_ms, why, sizeof(why));
	if (!doc) {
		/* cannot be reported: set aside for a person, never silently dropped */
		char bad[4300];
		pl_error(&r->log, "inspect", "%s: not reported: %s; moved to %s/invalid/", name, why,
			 r->o->out);
		snprintf(bad, sizeof(bad), "%s/invalid/%s", r->o->out, name);
		if (rename(dir, bad))
			pl_error(&r->log, "inspect", "%s: cannot move: %s", name, strerror(errno));
		goto out;
	}
	if (ok) {
		counts = json_pack("{s:i}", "good", 1);
	} else {
		char rk[80];
		snprintf(rk, sizeof(rk), "reject/%s",
			 res.verdict == VIS_UNINSPECTABLE || res.n_reasons == 0
				 ? "uninspectable" : vis_class_name(res.reasons[0].cls));
		counts = json_pack("{s:i, s:i}", "reject", 1, rk, 1);
	}
	/* where the unit goes after the commit, for a restart (note 2) */
	snprintf(path, sizeof(path), "%s/.verdict", dir);
	FILE *vf = fopen(path, "w");
	if (!vf || fprintf(vf, "%s\n", ok ? "accept" : kept) < 0 || fflush(vf) ||
	    fsync(fileno(vf))) {
		pl_error(&r->log, "inspect", "%s: cannot write %s", name, path);
		if (vf)
			fclose(vf);
		goto out;
	}
	fclose(vf);
	rc = vis_spool_put(r->spool, name, doc, counts, false);
	if (rc) {
		pl_error(&r->log, "inspect", "%s: spool: %s (the unit stays in the inbox)", name,
			 pl_strerror(rc));
		goto out;
	}
	atomic_fetch_add(&r->inspected, 1);
	if (r->crash_put && atomic_fetch_add(&r->n_put, 1) + 1 == r->crash_put)
		raise(SIGKILL);
	pl_info(&r->log, "inspect", "%s: %s%s%s", name, vis_verdict_name(res.verdict),
		res.n_reasons ? " " : "", res.n_reasons ? vis_class_name(res.reasons[0].cls) : "");
	if (finish_unit(r, name, ok ? NULL : kept) == 0)
		vis_spool_offer(r->spool, name);
	/* else: stays unoffered; the next start finishes it (note 2) */
	status_write(r);
out:
	json_decref(doc);
	json_decref(counts);
	vis_result_release(&res);
}

static void *worker_main(void *arg)
{
	struct run *r = arg;
	size_t n = (size_t)r->cfg.views * r->cfg.frames;
	struct vis_image *frames = pl_calloc(n, sizeof(*frames));
	struct vis_ctx *ctx = vis_ctx_new(&r->cfg, NULL, 0);
	char *name;

	if (r->golden) /* checked against the product when loaded */
		vis_ctx_set_golden(ctx, r->golden, NULL, 0);

	while ((name = queue_pop(r))) {
		process_unit(r, ctx, frames, name);
		queue_done(r, name);
		free(name);
	}
	vis_ctx_free(ctx);
	free(frames);
	return NULL;
}

/* -------------------------------------------------------------- sender */

/* One HTTP exchange; *status 0 when there was no answer. Reply in body. */
static int http_do(CURL *h, struct run *r, const char *url, const char *post, long *status,
		   struct pl_buf *body)
{
	struct curl_slist *hdr = NULL;
	char auth[600];
	CURLcode cc;

	pl_buf_clear(body);
	*status = 0;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", r->token);
	hdr = curl_slist_append(hdr, auth);
	hdr = curl_slist_append(hdr, "Content-Type: application/ld+json");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_reset(h);
	cli_curl_prepare(h, url, hdr, body, 30000L, post);
	cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		pl_buf_clear(body);
		pl_buf_puts(body, curl_easy_strerror(cc));
		return PL_EIO;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* Sends one document; 0 only when the platform acknowledged it (note 4). */
static int send_one(CURL *h, struct run *r, const char *key, const json_t *doc)
{
	char url[4096];
	struct pl_buf body;
	long status;
	json_t *job = NULL;
	char *text = pl_json_dump(doc);
	int rc = PL_EIO;

	pl_buf_init(&body, RUN_REPLY_MAX);
	snprintf(url, sizeof(url), "%s/epcis/capture", r->o->url);
	if (http_do(h, r, url, text, &status, &body)) {
		pl_warn(&r->log, "send", "%s: platform unreachable: %s", key, body.data ? body.data : "");
		goto out;
	}
	if (status != 202) {
		pl_warn(&r->log, "send", "%s: HTTP %ld: %.300s", key, status, body.data ? body.data : "");
		goto out;
	}
	for (int polls = 0;; polls++) {
		job = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
		if (!json_is_object(job)) {
			pl_warn(&r->log, "send", "%s: the reply is no capture job", key);
			goto out;
		}
		if (!json_is_true(json_object_get(job, "running")))
			break;
		/* asynchronous capture: poll the job, at most 300 x 100 ms */
		const char *id = pl_json_str(job, "captureID");
		if (!id || polls >= 300)
			goto out;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		snprintf(url, sizeof(url), "%s/epcis/capture/%s", r->o->url, id);
		json_decref(job);
		job = NULL;
		if (http_do(h, r, url, NULL, &status, &body) || status != 200)
			goto out;
	}
	if (!json_is_true(json_object_get(job, "success"))) {
		char *errs = pl_json_dump(json_object_get(job, "errors"));
		pl_error(&r->log, "send", "%s: the platform refused the event: %.400s", key, errs);
		free(errs);
		goto out;
	}
	pl_info(&r->log, "send", "%s: acknowledged (%s)", key,
		json_integer_value(json_object_get(job, "duplicates")) ? "duplicate" : "stored");
	rc = 0;
out:
	json_decref(job);
	free(text);
	pl_buf_release(&body);
	return rc;
}

static void *sender_main(void *arg)
{
	struct run *r = arg;
	CURL *h = curl_easy_init();
	int64_t backoff = 0;
	char key[VIS_SPOOL_KEY_MAX + 1];

	for (;;) {
		json_t *doc = NULL;
		int rc = vis_spool_next(r->spool, 1000, key, &doc);
		if (rc == PL_ECONFLICT)
			break;
		if (rc == PL_ETIMEOUT)
			continue;
		if (rc == 0)
			rc = send_one(h, r, key, doc);
		else
			pl_error(&r->log, "send", "spool: %s", pl_strerror(rc));
		json_decref(doc);
		if (rc == 0) {
			backoff = 0;
			if (r->crash_send && atomic_fetch_add(&r->n_sent, 1) + 1 == r->crash_send)
				raise(SIGKILL);
			if ((rc = vis_spool_ack(r->spool, key)))
				pl_error(&r->log, "send", "%s: spool ack: %s", key, pl_strerror(rc));
			status_write(r);
			continue;
		}
		backoff = backoff ? backoff * 2 : 200;
		if (backoff > r->o->retry_max_ms)
			backoff = r->o->retry_max_ms;
		/* wait, but wake at once on stop: the spool's condvar does both */
		int64_t until = pl_time_mono_ns() + backoff * 1000000;
		while (pl_time_mono_ns() < until) {
			pthread_mutex_lock(&r->mu);
			bool stop = r->stopping;
			pthread_mutex_unlock(&r->mu);
			if (stop)
				break;
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	curl_easy_cleanup(h);
	return NULL;
}

/* -------------------------------------------------------------- feeder */

/* Note 7: grabs units from the cameras into the inbox until --units are
 * done, the node stops, or RUN_CAM_FAILS grabs in a row failed. */
static void *feeder_main(void *arg)
{
	struct run *r = arg;
	int64_t last = 0, done = 0, limit = 2 * r->o->threads;
	int fails = 0;
	char name[32], why[600];

	while (r->o->units == 0 || done < r->o->units) {
		/* back-pressure: at most 2 x threads units waiting or in work */
		pthread_mutex_lock(&r->mu);
		while (!r->stopping && (int64_t)(r->nq + r->nbusy) >= limit)
			pthread_cond_wait(&r->idle_cv, &r->mu);
		bool stop = r->stopping;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			break;
		/* c<epoch ms>: a GS1 serial (14 characters), unique across restarts
		 * as long as the clock does not step back */
		int64_t ms = pl_time_now_ms();
		if (ms <= last)
			ms = last + 1;
		last = ms;
		snprintf(name, sizeof(name), "c%lld", (long long)ms);
		int cam_rc = 0;
		if (cli_cams_grab_unit(r->cams, r->o->inbox, name, &cam_rc, why, sizeof(why))) {
			pl_error(&r->log, "camera", "%s: the unit could not be written (%s); "
				 "acquisition stopped", name, why);
			atomic_store(&r->feeder_failed, true);
			break;
		}
		done++;
		queue_push(r, name);
		if (cam_rc) {
			pl_error(&r->log, "camera", "%s: %s (reported uninspectable)", name, why);
			if (++fails >= RUN_CAM_FAILS) {
				pl_error(&r->log, "camera", "%d grabs in a row failed: acquisition stopped",
					 fails);
				atomic_store(&r->feeder_failed, true);
				break;
			}
		} else {
			fails = 0;
		}
	}
	pl_info(&r->log, "camera", "grabbing stopped after %lld unit(s)", (long long)done);
	atomic_store(&r->feeder_done, true);
	return NULL;
}

/* ---------------------------------------------------------------- main */

/* Queues every unit in the inbox (note 1). */
static void scan_inbox(struct run *r)
{
	DIR *d = opendir(r->o->inbox);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			queue_push(r, de->d_name);
	closedir(d);
}

/* Start-up half of note 2: units committed but not moved are finished
 * before the sender may run. */
static void recover_inbox(struct run *r)
{
	DIR *d = opendir(r->o->inbox);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && vis_spool_key_valid(de->d_name) &&
		    vis_spool_has(r->spool, de->d_name)) {
			process_unit(r, NULL, NULL, de->d_name);
			pl_info(&r->log, "inspect", "%s: recovered a committed unit", de->d_name);
		}
	closedir(d);
}

static bool all_idle(struct run *r)
{
	pthread_mutex_lock(&r->mu);
	bool idle = r->nq == 0 && r->nbusy == 0;
	pthread_mutex_unlock(&r->mu);
	return idle;
}

static int run_node(struct run *r, int sfd)
{
	int ifd = -1, nthreads = (int)r->o->threads, started = 0, rc = 1;
	pthread_t *th = pl_calloc((size_t)nthreads, sizeof(*th)), sender, feeder;
	bool sender_started = false, feeder_started = false;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

	recover_inbox(r);
	status_write(r);
	if (!r->o->once) {
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ifd < 0 || inotify_add_watch(ifd, r->o->inbox, IN_MOVED_TO | IN_CREATE | IN_ONLYDIR) < 0) {
			pl_error(&r->log, "inspect", "inotify on %s: %s", r->o->inbox, strerror(errno));
			goto out;
		}
	}
	for (; started < nthreads; started++)
		if (pthread_create(&th[started], NULL, worker_main, r))
			goto out;
	if (pthread_create(&sender, NULL, sender_main, r))
		goto out;
	sender_started = true;
	if (r->cams) {
		if (pthread_create(&feeder, NULL, feeder_main, r))
			goto out;
		feeder_started = true;
	}
	scan_inbox(r);
	int64_t last_scan = pl_time_mono_ns();
	for (;;) {
		struct pollfd pf[2] = { { sfd, POLLIN, 0 }, { ifd, POLLIN, 0 } };
		int np = poll(pf, ifd >= 0 ? 2 : 1, r->o->once ? 100 : RUN_RESCAN_MS);
		if (np > 0 && (pf[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				pl_info(&r->log, "inspect", "signal %u: stopping", si.ssi_signo);
				break;
			}
		}
		if (np > 0 && ifd >= 0 && (pf[1].revents & POLLIN)) {
			ssize_t len;
			while ((len = read(ifd, buf, sizeof(buf))) > 0)
				for (char *p = buf; p < buf + len;) {
					const struct inotify_event *ev = (const struct inotify_event *)p;
					if (ev->mask & IN_Q_OVERFLOW)
						scan_inbox(r);
					else if (ev->len && ev->name[0] != '.')
						queue_push(r, ev->name);
					p += sizeof(*ev) + ev->len;
				}
		}
		if (r->o->once) {
			if ((!r->cams || atomic_load(&r->feeder_done)) && all_idle(r) &&
			    vis_spool_pending(r->spool) == 0) {
				/* every unit grabbed is reported; 1 when grabbing stopped early */
				rc = atomic_load(&r->feeder_failed) ? 1 : 0;
				break;
			}
			continue;
		}
		if (pl_time_mono_ns() - last_scan > (int64_t)RUN_RESCAN_MS * 1000000) {
			scan_inbox(r);
			last_scan = pl_time_mono_ns();
		}
	}
	if (!r->o->once)
		rc = 0;
out:
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_broadcast(&r->cv);
	pthread_cond_broadcast(&r->idle_cv); /* the feeder's back-pressure wait */
	pthread_mutex_unlock(&r->mu);
	if (feeder_started)
		pthread_join(feeder, NULL); /* at most one grab: frames x --frame-timeout-ms */
	vis_spool_stop(r->spool);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (sender_started)
		pthread_join(sender, NULL);
	status_write(r);
	if (ifd >= 0)
		close(ifd);
	free(th);
	return rc;
}

int cli_inspect_run(int argc, char **argv, char **envp)
{
	struct run_opts o = { .threads = 2, .retry_max_ms = 30000, .frame_timeout_ms = 2000 };
	struct run *r = NULL;
	char why[512], path[4096], gtin[14];
	sigset_t sigs;
	int sfd = -1, rc = 1;

	/* the demo vial GTIN (src/trace/repo_demo.c): 0 6901234 00001 + check */
	pl_strlcpy(gtin, "0690123400001", sizeof(gtin));
	snprintf(o.gtin, sizeof(o.gtin), "%s%d", gtin, trace_gs1_check_digit(gtin, 13));
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(run_usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--once")) {
			o.once = true;
			continue;
		}
		static const char *const with_value[] = {
			"--inbox", "--spool", "--out", "--url", "--token-file", "--product", "--threads",
			"--retry-max-ms", "--gtin", "--read-point", "--image-base", "--camera",
			"--units", "--frame-timeout-ms", "--exposure-us", "--golden", NULL,
		};
		bool known = false;
		for (size_t k = 0; with_value[k]; k++)
			known = known || !strcmp(a, with_value[k]);
		if (!known)
			return USAGE("unknown option '%s'", a);
		if (!v)
			return USAGE("%s needs a value", a);
		i++;
		if (!strcmp(a, "--inbox")) {
			o.inbox = v;
		} else if (!strcmp(a, "--spool")) {
			o.spool = v;
		} else if (!strcmp(a, "--out")) {
			o.out = v;
		} else if (!strcmp(a, "--url")) {
			if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
				return USAGE("--url must start with http:// or https://");
			if (strlen(v) > 2000)
				return USAGE("--url is too long");
			o.url = v;
		} else if (!strcmp(a, "--token-file")) {
			o.token_file = v;
		} else if (!strcmp(a, "--product")) {
			o.product = v;
		} else if (!strcmp(a, "--golden")) {
			o.golden = v;
		} else if (!strcmp(a, "--threads")) {
			if (pl_parse_i64(v, 1, 64, &o.threads))
				return USAGE("--threads must be 1..64");
		} else if (!strcmp(a, "--retry-max-ms")) {
			if (pl_parse_i64(v, 100, 600000, &o.retry_max_ms))
				return USAGE("--retry-max-ms must be 100..600000");
		} else if (!strcmp(a, "--gtin")) {
			if (strlen(v) != 14 || strspn(v, "0123456789") != 14 ||
			    trace_gs1_check_digit(v, 13) != v[13] - '0')
				return USAGE("--gtin must be 14 digits with a valid check digit");
			pl_strlcpy(o.gtin, v, sizeof(o.gtin));
		} else if (!strcmp(a, "--read-point")) {
			struct trace_id id;
			if (trace_id_parse(v, &id, NULL))
				return USAGE("--read-point must be an SGLN URI or GS1 Digital Link");
			o.read_point = v;
		} else if (!strcmp(a, "--camera")) {
			if (!v[0] || strlen(v) > 2000)
				return USAGE("--camera needs ID[,ID...] (at most 2000 characters)");
			o.camera = v;
		} else if (!strcmp(a, "--units")) {
			if (pl_parse_i64(v, 0, 1000000000, &o.units))
				return USAGE("--units must be 0..1000000000");
		} else if (!strcmp(a, "--frame-timeout-ms")) {
			if (pl_parse_i64(v, 1, 60000, &o.frame_timeout_ms))
				return USAGE("--frame-timeout-ms must be 1..60000");
		} else if (!strcmp(a, "--exposure-us")) {
			if (cli_parse_double(v, 1, 1e7, &o.exposure_us))
				return USAGE("--exposure-us must be in [1, 10000000]");
		} else if (!strcmp(a, "--image-base")) {
			if (strlen(v) > 2000)
				return USAGE("--image-base is too long");
			o.image_base = v;
		} else {
			return USAGE("unknown option '%s'", a);
		}
	}
	if (!o.inbox || !o.spool || !o.out || !o.url)
		return USAGE("--inbox, --spool, --out and --url are required");
	if (!o.camera && (o.units || o.exposure_us > 0))
		return USAGE("--units and --exposure-us need --camera");
	if (o.camera && o.once && !o.units)
		return USAGE("--once with --camera needs --units N");

	r = pl_calloc(1, sizeof(*r));
	r->o = &o;
	pl_log_init(&r->log, stderr, PL_LOG_INFO, false);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	pthread_cond_init(&r->idle_cv, NULL);
	pthread_mutex_init(&r->status_mu, NULL);
	atomic_init(&r->inspected, 0);
	atomic_init(&r->feeder_done, false);
	atomic_init(&r->feeder_failed, false);
	r->queue = pl_calloc(RUN_QUEUE_MAX, sizeof(*r->queue));
	if (o.token_file) {
		if (read_token(o.token_file, r->token, sizeof(r->token))) {
			fprintf(stderr, "parkline inspect run: %s: no token in it\n", o.token_file);
			goto out;
		}
	} else {
		for (char **e = envp; e && *e; e++)
			if (!strncmp(*e, "PARKLINE_TOKEN=", 15))
				pl_strlcpy(r->token, *e + 15, sizeof(r->token));
		if (!r->token[0]) {
			fprintf(stderr, "parkline inspect run: give --token-file FILE or PARKLINE_TOKEN\n");
			goto out;
		}
	}
	for (char **e = envp; e && *e; e++) {
		const char *v = NULL;
		long *dst = NULL;
		if (!strncmp(*e, "PARKLINE_TEST_CRASH=put:", 24))
			v = *e + 24, dst = &r->crash_put;
		else if (!strncmp(*e, "PARKLINE_TEST_CRASH=send:", 25))
			v = *e + 25, dst = &r->crash_send;
		int64_t k;
		if (dst && pl_parse_i64(v, 1, 1000000, &k) == 0)
			*dst = (long)k;
	}
	if (o.product) {
		if (cli_vis_load_product("parkline inspect run", o.product, &r->cfg, true))
			goto out;
	} else {
		snprintf(path, sizeof(path), "%s/../product.json", o.inbox);
		if (cli_vis_load_product("parkline inspect run", path, &r->cfg, false))
			goto out;
	}
	if (vis_config_check(&r->cfg, why, sizeof(why))) {
		fprintf(stderr, "parkline inspect run: product: %s\n", why);
		goto out;
	}
	if (o.golden && cli_vis_load_golden("parkline inspect run", o.golden, &r->cfg, &r->golden))
		goto out;
	struct stat st;
	if (stat(o.inbox, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "parkline inspect run: --inbox %s is not a directory\n", o.inbox);
		goto out;
	}
	snprintf(r->rejects, sizeof(r->rejects), "%s/rejects", o.out);
	snprintf(r->trash, sizeof(r->trash), "%s/.trash", o.out);
	snprintf(path, sizeof(path), "%s/invalid", o.out);
	if (mkdir1(o.out) || mkdir1(r->rejects) || mkdir1(r->trash) || mkdir1(path)) {
		fprintf(stderr, "parkline inspect run: %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	rm_tree(r->trash); /* deletions a crash interrupted */
	mkdir1(r->trash);
	if (o.image_base) {
		pl_strlcpy(r->image_base, o.image_base, sizeof(r->image_base));
	} else {
		char *real = realpath(r->rejects, NULL);
		snprintf(r->image_base, sizeof(r->image_base), "file://%s", real ? real : r->rejects);
		free(real);
	}
	if (o.read_point) {
		pl_strlcpy(r->read_point, o.read_point, sizeof(r->read_point));
	} else {
		char g[16];
		pl_strlcpy(g, "690123400001", sizeof(g));
		snprintf(r->read_point, sizeof(r->read_point), "https://id.gs1.org/414/%s%d/254/L1-S3",
			 g, trace_gs1_check_digit(g, 12));
	}
	if ((rc = vis_spool_open(o.spool, &r->spool, why, sizeof(why)))) {
		fprintf(stderr, "parkline inspect run: spool: %s\n", why);
		rc = 1;
		goto out;
	}
	rc = 1;
	/* NOTES 5: signals to a signalfd, blocked before any thread exists */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0 || curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "parkline inspect run: cannot set up signals or libcurl\n");
		goto out;
	}
	if (o.camera) {
		/* note 7: after the signal mask, so Aravis's threads inherit it */
		r->cam_sys = vis_cam_sys_new();
		if (cli_cams_open(r->cam_sys, o.camera, &r->cfg, o.exposure_us,
				  (unsigned)o.frame_timeout_ms, &r->cams, why, sizeof(why))) {
			fprintf(stderr, "parkline inspect run: %s\n", why);
			curl_global_cleanup();
			goto out;
		}
		pl_info(&r->log, "camera", "%zu camera(s) open (%s), %ux%u Mono8, %lld ms per frame at "
			"most", cli_cams_count(r->cams), o.camera, r->cfg.width, r->cfg.height,
			(long long)o.frame_timeout_ms);
	}
	pl_info(&r->log, "inspect", "node up: inbox %s, spool %s (%zu pending), %lld worker(s), "
		"%ux%u px x %u views x %u frames, platform %s", o.inbox, o.spool,
		vis_spool_pending(r->spool), (long long)o.threads, r->cfg.width, r->cfg.height,
		r->cfg.views, r->cfg.frames, o.url);
	rc = run_node(r, sfd);
	curl_global_cleanup();
out:
	if (sfd >= 0)
		close(sfd);
	if (r) {
		vis_spool_free(r->spool);
		vis_golden_free(r->golden); /* the workers are joined by now */
		for (size_t i = 0; i < r->nq; i++)
			free(r->queue[i]);
		free(r->queue);
		for (size_t i = 0; i < r->nbusy; i++)
			free(r->busy[i]);
		free(r->busy);
		pthread_cond_destroy(&r->cv);
		pthread_cond_destroy(&r->idle_cv);
		pthread_mutex_destroy(&r->mu);
		pthread_mutex_destroy(&r->status_mu);
		pl_log_release(&r->log);
		explicit_bzero(r->token, sizeof(r->token));
		if (r->cam_sys) {
			cli_cams_free(r->cams);
			vis_cam_sys_free(r->cam_sys);
			vis_cam_shutdown(); /* Aravis's list: only at process exit (vision.h) */
		}
		free(r);
	}
	return rc;
}
