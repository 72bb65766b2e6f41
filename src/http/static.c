/*
 * static.c - the built web UI (web/dist) and the OpenAPI document.
 *
 * Static files: any GET/HEAD outside /api/ that no route claims. The
 * decoded path is refused if it has a ".." or hidden ("." prefixed)
 * segment, and the file's realpath must lie under the web root's realpath,
 * so neither "../" nor a symlink escapes it. Paths whose last segment has
 * no dot are client-side routes of the single-page app and get index.html;
 * a missing file with an extension is a 404 (serving index.html as a .js
 * file only hides the bug). ETags are size-mtime; If-None-Match answers
 * 304. Hashed assets under /assets/ are cached for a year, index.html is
 * revalidated every time.
 *
 * OpenAPI: docs/api/openapi.yaml is written as JSON (JSON is YAML 1.2)
 * after a block of '#' comment lines, so it loads with jansson once at
 * start; the comment lines are skipped here.
 */
#include "http/http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPENAPI_MAX (4u << 20)
#define STATIC_PATH_MAX 4096

static const struct { const char *ext, *type; } static__mime[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
	{ "webmanifest", "application/manifest+json" },
};

static const char *static__type(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(static__mime) / sizeof(static__mime[0]); i++)
			if (strcasecmp(dot + 1, static__mime[i].ext) == 0)
				return static__mime[i].type;
	return "application/octet-stream";
}

/* true when every segment is a plain name: no "", ".", ".." or ".x". */
static bool static__path_ok(const char *p)
{
	if (*p != '/')
		return false;
	for (const char *s = p + 1; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n > 0 && s[0] == '.')
			return false;
		if (memchr(s, '\\', n))
			return false;
		if (!e)
			break;
		s = e + 1;
	}
	return true;
}

/* Opens root+rel if it is a regular file under root. -1 when not. */
static int static__open(const char *root, const char *rel, struct stat *st)
{
	char full[STATIC_PATH_MAX];
	char *real = NULL;
	size_t rl = strlen(root);
	int fd = -1;

	if (snprintf(full, sizeof(full), "%s%s", root, rel) >= (int)sizeof(full))
		return -1;
	real = realpath(full, NULL);
	if (!real || strncmp(real, root, rl) != 0 || real[rl] != '/')
		goto out;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		fd = -1;
	}
out:
	free(real);
	return fd;
}

static bool static__etag_match(const char *inm, const char *etag)
{
	size_t el = strlen(etag);
	if (!inm)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += el) {
		bool start = p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/';
		bool end = p[el] == '\0' || p[el] == ',' || p[el] == ' ';
		if (start && end)
			return true;
	}
	return false;
}

int http__static_serve(struct http_req *r)
{
	const char *root = r->srv->web_root;
	const char *path = r->path, *serve = path, *last;
	char etag[64];
	struct stat st;
	struct MHD_Response *resp;
	int fd = -1;
	bool is_index;

	if (!root)
		return http_fail(r, PL_ENOTFOUND, NULL,
				 "the web UI is not built (run 'make web'); no file for %s", path);
	if (!static__path_ok(path))
		return http_fail(r, PL_ENOTFOUND, NULL,
				 "path %s has a '..', hidden or empty segment", path);
	if (path[strlen(path) - 1] == '/')
		serve = pl_arena_printf(r->arena, "%sindex.html", path);
	if (!serve)
		return PL_ETOOBIG;
	fd = static__open(root, serve, &st);
	last = strrchr(path, '/');
	if (fd < 0 && !strchr(last, '.')) {
		serve = "/index.html"; /* a client-side route of the SPA */
		fd = static__open(root, serve, &st);
	}
	if (fd < 0)
		return http_fail(r, PL_ENOTFOUND, NULL, "no file %s in the web UI", path);
	pl_fmt(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
	       (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
		       (unsigned long long)st.st_mtim.tv_nsec);
	is_index = strlen(serve) >= 10 &&
		   strcmp(serve + strlen(serve) - 10, "index.html") == 0;
	http_header_add(r, "ETag", etag);
	http_header_add(r, "Cache-Control",
			strncmp(serve, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable"
			: is_index ? "no-cache" : "public, max-age=300");
	if (static__etag_match(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
		close(fd);
		return http_reply_empty(r, 304);
	}
	resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd); /* owns fd now */
	if (!resp) {
		close(fd);
		return PL_EIO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, static__type(serve));
	return http_reply_response(r, 200, resp);
}

/* FNV-1a 64: a content hash for the OpenAPI ETag (not security-relevant). */
static uint64_t static__fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int http__openapi_load(struct http_server *s, const char *path)
{
	struct pl_buf b;
	struct pl_json_error je = { .text = "" };
	const char *p;
	json_t *doc = NULL;
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int rc = 0;

	pl_buf_init(&b, OPENAPI_MAX);
	if (!f) {
		rc = PL_EIO;
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = pl_buf_append(&b, chunk, n)) != 0)
			goto out;
	if (ferror(f) || !b.data) {
		rc = PL_EIO;
		goto out;
	}
	/* skip the leading '#' comment block and blank lines */
	for (p = b.data; *p == '#' || *p == '\n' || *p == '\r';) {
		const char *nl = strchr(p, '\n');
		if (*p != '#') {
			p++;
			continue;
		}
		if (!nl) {
			p += strlen(p);
			break;
		}
		p = nl + 1;
	}
	rc = pl_json_parse(p, b.len - (size_t)(p - b.data), 64, &doc, &je);
	if (rc) {
		pl_error(s->opt.log, "http", "%s: %s", path, je.text);
		goto out;
	}
	s->openapi = pl_json_dump(doc);
	s->openapi_len = strlen(s->openapi);
	pl_fmt(s->openapi_etag, sizeof(s->openapi_etag), "\"%016llx\"",
	       (unsigned long long)static__fnv(s->openapi, s->openapi_len));
out:
	json_decref(doc);
	if (f)
		fclose(f);
	pl_buf_release(&b);
	return rc;
}

int http__h_openapi(struct http_req *r)
{
	struct MHD_Response *resp;

	if (!r->srv->openapi)
		return http_fail(r, PL_ENOTFOUND, NULL,
				 "the OpenAPI document was not loaded at start (see --openapi)");
	http_header_add(r, "ETag", r->srv->openapi_etag);
	http_header_add(r, "Cache-Control", "no-cache"); /* revalidate with the ETag */
	if (static__etag_match(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH),
			       r->srv->openapi_etag))
		return http_reply_empty(r, 304);
	resp = MHD_create_response_from_buffer(r->srv->openapi_len, r->srv->openapi,
					       MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return PL_EIO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return http_reply_response(r, 200, resp);
}
