/*
 * fuzz_json_body.c - libFuzzer target for request-body handling: the
 * checks the daemon runs on every body before a handler sees it, reached
 * through http_body_validate (src/http/query.c: route lookup, the route's
 * body cap, Content-Type, JSON syntax and depth via pl_json_parse, and the
 * route's field table via pl_json_check).
 *
 * Input layout: byte 0 picks the route (from the daemon's own route table,
 * read once through http_routes_print, plus an unknown path and a wrong
 * method), byte 1 picks a Content-Type, the rest is the body. Seeds are in
 * fuzz/corpus/fuzz_json_body/ (byte 0 = route index in table order).
 *
 * Properties checked beyond "no crash, no sanitizer report, no leak":
 *   1. 0 comes back exactly when status is 0; a rejection has one of the
 *      statuses the contract allows (400 404 405 413 415), a slug and a
 *      detail sentence;
 *   2. a body that pl_json_parse accepts serialises (pl_json_dump) and
 *      parses back to an equal value; a rejected one comes with an error
 *      whose byte position lies within the body.
 */
#include "http/http.h"

#include "fuzz.h"

/* Past every route's body cap (the largest is 64 KiB), so 413 is reachable. */
#define FUZZ_BODY_MAX ((64u << 10) + 64)
#define FUZZ_ROUTES_MAX 128

struct fuzz_route {
	char method[8];
	char path[128]; /* pattern with {param} replaced by a valid id */
};

/* libFuzzer gives a harness no context pointer: the route list is built
 * once in LLVMFuzzerInitialize and only read afterwards. */
static struct fuzz_route fuzz_routes[FUZZ_ROUTES_MAX];
static size_t fuzz_nroutes;

static const char *const fuzz_ctypes[] = {
	"application/json",
	"application/json; charset=utf-8",
	"Application/JSON",
	"application/merge-patch+json",
	"text/plain",
	"application/x-www-form-urlencoded",
	"",
	NULL, /* no Content-Type header */
};
#define FUZZ_NCTYPES (sizeof(fuzz_ctypes) / sizeof(fuzz_ctypes[0]))

/* Copies pattern into out with every {param} replaced by a sample id. */
static void fuzz_fill_params(const char *pattern, char *out, size_t outsz)
{
	struct pl_buf b;
	pl_buf_init(&b, outsz - 1);
	for (const char *p = pattern; *p; p++) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			if (e) {
				pl_buf_puts(&b, "01JDQ5Z4X8N7M6K5J4H3G2F1E0");
				p = e;
				continue;
			}
		}
		pl_buf_append(&b, p, 1);
	}
	pl_strlcpy(out, b.data ? b.data : "", outsz);
	pl_buf_release(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	(void)argc;
	(void)argv;
	if (!mem)
		abort();
	http_routes_print(mem);
	fclose(mem);
	for (line = strtok_r(text, "\n", &save); line && fuzz_nroutes < FUZZ_ROUTES_MAX - 2;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *o = json_loads(line, 0, NULL);
		const char *m = pl_json_str(o, "method"), *p = pl_json_str(o, "path");
		if (m && p) {
			pl_strlcpy(fuzz_routes[fuzz_nroutes].method, m, sizeof(fuzz_routes[0].method));
			fuzz_fill_params(p, fuzz_routes[fuzz_nroutes].path, sizeof(fuzz_routes[0].path));
			fuzz_nroutes++;
		}
		json_decref(o);
	}
	free(text);
	/* Two that must be refused before the body is looked at. */
	pl_strlcpy(fuzz_routes[fuzz_nroutes].method, "POST", sizeof(fuzz_routes[0].method));
	pl_strlcpy(fuzz_routes[fuzz_nroutes++].path, "/api/v1/no-such-route", sizeof(fuzz_routes[0].path));
	pl_strlcpy(fuzz_routes[fuzz_nroutes].method, "PUT", sizeof(fuzz_routes[0].method));
	pl_strlcpy(fuzz_routes[fuzz_nroutes++].path, "/api/v1/enterprises", sizeof(fuzz_routes[0].path));
	return 0;
}

static void fuzz_check_json(const char *body, size_t len)
{
	struct pl_json_error err;
	json_t *v = NULL, *back = NULL;
	char *dump = NULL;

	memset(&err, 0, sizeof(err));
	if (pl_json_parse(body, len, PL_JSON_DEPTH_MAX, &v, &err) != 0) {
		FUZZ_CHECK(v == NULL);
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(err.position <= len);
		return;
	}
	dump = pl_json_dump(v);
	if (pl_json_parse(dump, strlen(dump), PL_JSON_DEPTH_MAX, &back, &err) != 0 ||
	    !json_equal(v, back)) {
		fprintf(stderr, "round trip failed: %s\n", dump);
		FUZZ_CHECK(!"serialised body parses back to an equal value");
	}
	json_decref(back);
	json_decref(v);
	free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_route *rt;
	struct http_problem pb;
	const char *body;
	size_t len;
	int rc;

	if (size < 2 || size - 2 > FUZZ_BODY_MAX)
		return 0;
	rt = &fuzz_routes[data[0] % fuzz_nroutes];
	body = (const char *)data + 2;
	len = size - 2;

	rc = http_body_validate(rt->method, rt->path, fuzz_ctypes[data[1] % FUZZ_NCTYPES],
				body, len, &pb);
	FUZZ_CHECK((rc == 0) == (pb.status == 0));
	if (rc != 0) {
		FUZZ_CHECK(pb.status == 400 || pb.status == 404 || pb.status == 405 ||
			   pb.status == 413 || pb.status == 415);
		FUZZ_CHECK(pb.slug[0] != '\0' && pb.detail[0] != '\0');
	}
	fuzz_check_json(body, len);
	return 0;
}
