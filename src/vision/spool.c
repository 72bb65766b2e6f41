/*
 * spool.c - the durable outbox of the inspection node (contract and the
 * durability protocol: spool.h). Plain files, fsync'd, renamed into place:
 * a record is either fully in q/ or not there, and a directory entry is on
 * disk before put() or ack() returns.
 *
 * In memory the spool keeps one entry per pending record (key, seq, its
 * counts, offered flag), ordered by seq, so next() is the oldest offered
 * record and totals never need the files re-read. Payloads stay on disk
 * and are read when the sender asks for them.
 */
#include "vision/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct spool_entry {
	char key[VIS_SPOOL_KEY_MAX + 1];
	int64_t seq;
	json_t *counts; /* owned; an object of integers */
	bool offered;
};

struct vis_spool {
	char *dir, *qdir, *tmpdir, *counters_path; /* owned paths */
	int lock_fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* signalled on offer and stop */
	bool stopped;
	struct spool_entry *e;   /* owned; sorted by seq */
	size_t n, cap;
	json_t *folded;          /* counts of acknowledged records (owned) */
	int64_t next_seq;
};

bool vis_spool_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > VIS_SPOOL_KEY_MAX || key[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool counts_valid(const json_t *c)
{
	const char *k;
	json_t *v;
	if (!json_is_object(c))
		return false;
	json_object_foreach((json_t *)c, k, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0 || strlen(k) > 200)
			return false;
	return true;
}

/* into[k] += from[k] for every k. */
static void counts_add(json_t *into, const json_t *from)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)from, k, v) {
		json_int_t cur = json_integer_value(json_object_get(into, k));
		json_object_set_new(into, k, json_integer(cur + json_integer_value(v)));
	}
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0)
		return PL_EIO;
	if (fsync(fd))
		rc = PL_EIO;
	close(fd);
	return rc;
}

/* Writes text to tmpdir/name, fsyncs it, renames it to final and fsyncs
 * final's directory (fdir). Nothing is left in tmp/ on failure. */
static int write_atomic(const char *tmpdir, const char *name, const char *final,
			const char *fdir, const char *text, size_t len)
{
	char tmp[4096];
	int fd, rc = PL_EIO;
	size_t off = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s", tmpdir, name) >= sizeof(tmp))
		return PL_EIO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return PL_EIO;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		off += (size_t)w;
	}
	if (fsync(fd))
		goto out;
	if (close(fd)) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, final))
		goto out;
	rc = fsync_dir(fdir);
	return rc;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Reads a whole small file (<= VIS_SPOOL_RECORD_MAX) as JSON. */
static int read_json(const char *path, json_t **out)
{
	json_error_t jerr;
	struct stat st;
	*out = NULL;
	if (stat(path, &st))
		return errno == ENOENT ? PL_ENOTFOUND : PL_EIO;
	if (st.st_size > (off_t)VIS_SPOOL_RECORD_MAX)
		return PL_ETOOBIG;
	*out = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	return *out ? 0 : PL_EPARSE;
}

static char *path2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = pl_malloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static void entry_push(struct vis_spool *sp, const char *key, int64_t seq, json_t *counts,
		       bool offered)
{
	if (sp->n == sp->cap) {
		sp->cap = sp->cap ? 2 * sp->cap : 64;
		sp->e = pl_realloc(sp->e, sp->cap * sizeof(*sp->e));
	}
	struct spool_entry *e = &sp->e[sp->n++];
	pl_strlcpy(e->key, key, sizeof(e->key));
	e->seq = seq;
	e->counts = counts;
	e->offered = offered;
}

static ssize_t entry_find(const struct vis_spool *sp, const char *key)
{
	for (size_t i = 0; i < sp->n; i++)
		if (!strcmp(sp->e[i].key, key))
			return (ssize_t)i;
	return -1;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct spool_entry *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int mkdir_p1(const char *d)
{
	return mkdir(d, 0755) == 0 || errno == EEXIST ? 0 : PL_EIO;
}

/* Loads counters.json, finishes an interrupted ack, loads q/. */
static int spool_load(struct vis_spool *sp, char *why, size_t whysz)
{
	json_t *cj = NULL;
	const char *last_key = NULL;
	int64_t last_seq = -1;
	DIR *d = NULL;
	struct dirent *de;
	int rc;

	rc = read_json(sp->counters_path, &cj);
	if (rc == PL_ENOTFOUND) {
		sp->folded = json_object();
	} else if (rc) {
		snprintf(why, whysz, "%s: unreadable (%s)", sp->counters_path, pl_strerror(rc));
		return rc;
	} else {
		json_t *c = json_object_get(cj, "counts");
		if (!counts_valid(c) || !json_is_integer(json_object_get(cj, "seq"))) {
			snprintf(why, whysz, "%s: not a spool counters file", sp->counters_path);
			json_decref(cj);
			return PL_EPARSE;
		}
		sp->folded = json_deep_copy(c);
		last_seq = json_integer_value(json_object_get(cj, "seq"));
		last_key = pl_json_str(cj, "last_key");
	}
	sp->next_seq = last_seq + 1;
	d = opendir(sp->qdir);
	if (!d) {
		snprintf(why, whysz, "%s: %s", sp->qdir, strerror(errno));
		rc = PL_EIO;
		goto out;
	}
	rc = 0;
	while ((de = readdir(d)) && rc == 0) {
		char key[VIS_SPOOL_KEY_MAX + 8], *path;
		size_t len = strlen(de->d_name);
		json_t *rec = NULL;
		if (de->d_name[0] == '.')
			continue;
		if (len < 6 || len - 5 > VIS_SPOOL_KEY_MAX || strcmp(de->d_name + len - 5, ".json")) {
			snprintf(why, whysz, "%s/%s: not a spool record", sp->qdir, de->d_name);
			rc = PL_EPARSE;
			break;
		}
		memcpy(key, de->d_name, len - 5);
		key[len - 5] = 0;
		path = path2(sp->qdir, de->d_name);
		rc = read_json(path, &rec);
		if (rc == 0) {
			json_t *c = json_object_get(rec, "counts");
			json_t *sq = json_object_get(rec, "seq");
			const char *rk = pl_json_str(rec, "key");
			if (!counts_valid(c) || !json_is_integer(sq) || !rk || strcmp(rk, key) ||
			    !vis_spool_key_valid(key)) {
				rc = PL_EPARSE;
			} else if (last_key && !strcmp(last_key, key) && json_integer_value(sq) == last_seq) {
				/* acknowledged and folded; the unlink did not happen */
				if (unlink(path) || fsync_dir(sp->qdir))
					rc = PL_EIO;
			} else {
				int64_t s = json_integer_value(sq);
				entry_push(sp, key, s, json_deep_copy(c), true);
				if (s >= sp->next_seq)
					sp->next_seq = s + 1;
			}
		}
		if (rc)
			snprintf(why, whysz, "%s: %s", path,
				 rc == PL_EPARSE ? "not a spool record" : pl_strerror(rc));
		json_decref(rec);
		free(path);
	}
	closedir(d);
	if (sp->n > 1) /* qsort(NULL, 0, ...) is undefined */
		qsort(sp->e, sp->n, sizeof(*sp->e), cmp_seq);
out:
	json_decref(cj);
	return rc;
}

int vis_spool_open(const char *dir, struct vis_spool **out, char *why, size_t whysz)
{
	struct vis_spool *sp = pl_calloc(1, sizeof(*sp));
	char *lock = NULL;
	DIR *d;
	struct dirent *de;
	int rc = PL_EIO;

	*out = NULL;
	sp->lock_fd = -1;
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->cv, NULL);
	sp->dir = pl_strdup(dir);
	sp->qdir = path2(dir, "q");
	sp->tmpdir = path2(dir, "tmp");
	sp->counters_path = path2(dir, "counters.json");
	lock = path2(dir, "lock");
	if (mkdir_p1(dir) || mkdir_p1(sp->qdir) || mkdir_p1(sp->tmpdir)) {
		snprintf(why, whysz, "%s: cannot create the spool directories: %s", dir, strerror(errno));
		goto out;
	}
	sp->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (sp->lock_fd < 0) {
		snprintf(why, whysz, "%s: %s", lock, strerror(errno));
		goto out;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(why, whysz, "%s is in use by another process", dir);
		rc = PL_EBUSY;
		goto out;
	}
	/* half-written files of a crashed put/ack: never renamed, so never valid */
	d = opendir(sp->tmpdir);
	if (!d) {
		snprintf(why, whysz, "%s: %s", sp->tmpdir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			char *p = path2(sp->tmpdir, de->d_name);
			unlink(p);
			free(p);
		}
	closedir(d);
	if ((rc = spool_load(sp, why, whysz)))
		goto out;
	*out = sp;
	sp = NULL;
out:
	free(lock);
	vis_spool_free(sp);
	return rc;
}

void vis_spool_free(struct vis_spool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n; i++)
		json_decref(sp->e[i].counts);
	free(sp->e);
	json_decref(sp->folded);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd); /* releases the flock */
	pthread_cond_destroy(&sp->cv);
	pthread_mutex_destroy(&sp->mu);
	free(sp->dir);
	free(sp->qdir);
	free(sp->tmpdir);
	free(sp->counters_path);
	free(sp);
}

int vis_spool_put(struct vis_spool *sp, const char *key, const json_t *payload,
		  const json_t *counts, bool offer)
{
	char name[VIS_SPOOL_KEY_MAX + 8], *final = NULL, *text = NULL;
	json_t *rec = NULL, *c = NULL;
	int rc;

	if (!vis_spool_key_valid(key) || !payload || (counts && !counts_valid(counts)))
		return PL_EINVAL;
	c = counts ? json_deep_copy(counts) : json_object();
	pthread_mutex_lock(&sp->mu);
	if (entry_find(sp, key) >= 0) {
		rc = PL_EEXIST;
		goto out;
	}
	if (sp->n >= VIS_SPOOL_PENDING_MAX) {
		rc = PL_ETOOBIG;
		goto out;
	}
	rec = json_pack("{s:I, s:s, s:O, s:O}", "seq", (json_int_t)sp->next_seq, "key", key,
			"counts", c, "payload", (json_t *)payload);
	text = json_dumps(rec, JSON_COMPACT);
	if (!text) {
		rc = PL_EINVAL;
		goto out;
	}
	if (strlen(text) > VIS_SPOOL_RECORD_MAX) {
		rc = PL_ETOOBIG;
		goto out;
	}
	pl_fmt(name, sizeof(name), "%s.json", key);
	final = path2(sp->qdir, name);
	rc = write_atomic(sp->tmpdir, name, final, sp->qdir, text, strlen(text));
	if (rc)
		goto out;
	entry_push(sp, key, sp->next_seq++, c, offer);
	c = NULL;
	if (offer)
		pthread_cond_broadcast(&sp->cv);
out:
	pthread_mutex_unlock(&sp->mu);
	json_decref(c);
	json_decref(rec);
	free(text);
	free(final);
	return rc;
}

bool vis_spool_has(struct vis_spool *sp, const char *key)
{
	pthread_mutex_lock(&sp->mu);
	bool has = entry_find(sp, key) >= 0;
	pthread_mutex_unlock(&sp->mu);
	return has;
}

int vis_spool_offer(struct vis_spool *sp, const char *key)
{
	pthread_mutex_lock(&sp->mu);
	ssize_t i = entry_find(sp, key);
	if (i >= 0) {
		sp->e[i].offered = true;
		pthread_cond_broadcast(&sp->cv);
	}
	pthread_mutex_unlock(&sp->mu);
	return i >= 0 ? 0 : PL_ENOTFOUND;
}

static ssize_t first_offered(const struct vis_spool *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		if (sp->e[i].offered)
			return (ssize_t)i;
	return -1;
}

int vis_spool_next(struct vis_spool *sp, int64_t wait_ms, char key_out[VIS_SPOOL_KEY_MAX + 1],
		   json_t **payload)
{
	struct timespec dl;
	char name[VIS_SPOOL_KEY_MAX + 8], *path = NULL;
	json_t *rec = NULL;
	ssize_t i;
	int rc;

	*payload = NULL;
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += wait_ms / 1000;
	dl.tv_nsec += (wait_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sp->mu);
	while (!sp->stopped && (i = first_offered(sp)) < 0) {
		/* the condvar uses CLOCK_REALTIME by default; poll the monotonic
		 * deadline in slices of at most 100 ms so a clock step cannot
		 * stretch the wait */
		struct timespec now, rt;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t left = (dl.tv_sec - now.tv_sec) * 1000 + (dl.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			break;
		if (left > 100)
			left = 100;
		clock_gettime(CLOCK_REALTIME, &rt);
		rt.tv_nsec += left * 1000000;
		rt.tv_sec += rt.tv_nsec / 1000000000;
		rt.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&sp->cv, &sp->mu, &rt);
	}
	if (sp->stopped) {
		rc = PL_ECONFLICT;
		goto out;
	}
	i = first_offered(sp);
	if (i < 0) {
		rc = PL_ETIMEOUT;
		goto out;
	}
	pl_fmt(name, sizeof(name), "%s.json", sp->e[i].key);
	path = path2(sp->qdir, name);
	rc = read_json(path, &rec);
	if (rc == 0 && !json_object_get(rec, "payload"))
		rc = PL_EPARSE;
	if (rc)
		goto out;
	pl_strlcpy(key_out, sp->e[i].key, VIS_SPOOL_KEY_MAX + 1);
	*payload = json_incref(json_object_get(rec, "payload"));
out:
	pthread_mutex_unlock(&sp->mu);
	json_decref(rec);
	free(path);
	return rc;
}

int vis_spool_ack(struct vis_spool *sp, const char *key)
{
	char name[VIS_SPOOL_KEY_MAX + 8], *path = NULL, *text = NULL;
	json_t *folded = NULL, *cj = NULL;
	ssize_t i;
	int rc;

	pthread_mutex_lock(&sp->mu);
	i = entry_find(sp, key);
	if (i < 0) {
		rc = PL_ENOTFOUND;
		goto out;
	}
	folded = json_deep_copy(sp->folded);
	counts_add(folded, sp->e[i].counts);
	cj = json_pack("{s:O, s:I, s:s}", "counts", folded, "seq", (json_int_t)sp->e[i].seq,
		       "last_key", key);
	text = json_dumps(cj, JSON_COMPACT);
	rc = write_atomic(sp->tmpdir, "counters.json", sp->counters_path, sp->dir, text,
			  strlen(text));
	if (rc)
		goto out;
	/* folded: from here a crash is finished by open() (spool.h) */
	json_decref(sp->folded);
	sp->folded = folded;
	folded = NULL;
	pl_fmt(name, sizeof(name), "%s.json", key);
	path = path2(sp->qdir, name);
	json_decref(sp->e[i].counts);
	memmove(&sp->e[i], &sp->e[i + 1], (sp->n - (size_t)i - 1) * sizeof(*sp->e));
	sp->n--;
	if (unlink(path) || fsync_dir(sp->qdir))
		rc = PL_EIO; /* counted already; open() removes it next time */
out:
	pthread_mutex_unlock(&sp->mu);
	json_decref(folded);
	json_decref(cj);
	free(text);
	free(path);
	return rc;
}

void vis_spool_stop(struct vis_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	sp->stopped = true;
	pthread_cond_broadcast(&sp->cv);
	pthread_mutex_unlock(&sp->mu);
}

json_t *vis_spool_counts(struct vis_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	json_t *t = json_deep_copy(sp->folded);
	for (size_t i = 0; i < sp->n; i++)
		counts_add(t, sp->e[i].counts);
	pthread_mutex_unlock(&sp->mu);
	return t;
}

size_t vis_spool_pending(struct vis_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	size_t n = sp->n;
	pthread_mutex_unlock(&sp->mu);
	return n;
}
