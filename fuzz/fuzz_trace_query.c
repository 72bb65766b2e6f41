/*
 * fuzz_trace_query.c - libFuzzer target for the EPCIS REST query
 * parameters (src/trace/query.c) and the sealed nextPageToken: the input
 * is split like a URL-decoded query string ("a=b&c=d") and parsed.
 *
 * Properties: every failure names an exception and says why; a success
 * holds only canonical values (every MATCH_epc value is a URI); a token
 * this server issued for the parsed position decodes back to it.
 */
#include "trace/trace.h"

#include "fuzz.h"

#define FUZZ_QUERY_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[TRACE_TOKEN_KEY_BYTES] = "fuzz key fuzz key fuzz key fuzz";
	struct trace_query_param p[TRACE_QUERY_PARAMS_MAX + 1];
	struct trace_query q;
	struct trace_query_error err;
	struct pl_arena *a;
	char *s, *save = NULL;
	size_t n = 0;
	int rc;

	if (size > FUZZ_QUERY_MAX)
		return 0;
	s = pl_strndup((const char *)data, size);
	for (char *kv = strtok_r(s, "&", &save); kv && n < TRACE_QUERY_PARAMS_MAX + 1;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		p[n].name = kv;
		p[n].value = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		n++;
	}
	a = pl_arena_new(1 << 20);
	rc = trace_query_parse(p, n, key, a, &q, &err);
	if (rc) {
		FUZZ_CHECK(err.exception != NULL && err.text[0] != '\0');
	} else {
		char tok[TRACE_TOKEN_MAX], id[TRACE_ID_MAX];
		int64_t ms = 0;
		for (size_t i = 0; i < q.match_epc.n; i++)
			FUZZ_CHECK(strchr(q.match_epc.v[i], ':') != NULL);
		if (q.has_page_token) {
			FUZZ_CHECK(trace_page_token_encode(key, q.after_record_time_ms,
							   q.after_event_id, tok) == 0);
			FUZZ_CHECK(trace_page_token_decode(key, tok, &ms, id) == 0);
			FUZZ_CHECK(ms == q.after_record_time_ms && strcmp(id, q.after_event_id) == 0);
		}
	}
	pl_arena_free(a);
	free(s);
	return 0;
}
