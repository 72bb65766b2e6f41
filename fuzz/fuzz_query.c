/*
 * fuzz_query.c - libFuzzer target for http_query_parse (src/http/query.c),
 * the parser every request's query string goes through (?q=&limit=&offset=,
 * EPCIS query parameters). The fuzz bytes are the raw query string, passed
 * with their exact length and no terminating NUL, so an over-read is an
 * ASan report.
 *
 * Properties checked beyond "no crash, no sanitizer report, no leak":
 *   1. an accepted query has at most HTTP_QUERY_MAX_PAIRS pairs, every key
 *      non-empty, every value_len == strlen(value), and keys and values
 *      valid UTF-8 (checked with jansson's own validator, not ours);
 *   2. http_query_get returns the first value of a repeated key;
 *   3. a rejected query leaves the result empty and says why;
 *   4. more than HTTP_QUERY_MAX_LEN bytes is always PL_ETOOBIG.
 */
#include "http/http.h"

#include "fuzz.h"

/* The largest input worth trying: just past the length cap. */
#define FUZZ_QUERY_INPUT_MAX (HTTP_QUERY_MAX_LEN + 16)
/* Per-request arenas in the daemon are larger; 64 KiB covers 2 x len plus
 * the pair table with room to spare, so a PL_ETOOBIG from the arena would
 * itself be a finding. */
#define FUZZ_QUERY_ARENA (64u << 10)

static bool fuzz_utf8_ok(const char *s)
{
	json_t *j = json_string(s); /* NULL for invalid UTF-8 */
	bool ok = j != NULL;
	json_decref(j);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_arena *a;
	struct http_query q;
	struct pl_json_error err;
	int rc;

	if (size > FUZZ_QUERY_INPUT_MAX)
		return 0;
	a = pl_arena_new(FUZZ_QUERY_ARENA);
	memset(&err, 0, sizeof(err));
	rc = http_query_parse((const char *)data, size, a, &q, &err);
	FUZZ_CHECK(size <= HTTP_QUERY_MAX_LEN || rc == PL_ETOOBIG);
	if (rc != 0) {
		FUZZ_CHECK(q.n == 0);
		FUZZ_CHECK(err.text[0] != '\0');
		goto out;
	}
	FUZZ_CHECK(q.n <= HTTP_QUERY_MAX_PAIRS);
	for (size_t i = 0; i < q.n; i++) {
		const struct http_query_pair *p = &q.pairs[i];
		FUZZ_CHECK(p->key && p->value && p->key[0] != '\0');
		FUZZ_CHECK(strlen(p->value) == p->value_len);
		FUZZ_CHECK(fuzz_utf8_ok(p->key) && fuzz_utf8_ok(p->value));
		/* The first pair with this key is what http_query_get returns. */
		for (size_t j = 0; j <= i; j++)
			if (strcmp(q.pairs[j].key, p->key) == 0) {
				FUZZ_CHECK(http_query_get(&q, p->key) == q.pairs[j].value);
				break;
			}
	}
out:
	pl_arena_free(a);
	return 0;
}
