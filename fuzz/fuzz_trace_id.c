/*
 * fuzz_trace_id.c - libFuzzer target for trace_id_parse (src/trace/id.c),
 * which reads every identifier from outside: EPC URNs, GS1 Digital Links
 * and China drug codes in captured events, query parameters and trace
 * searches.
 *
 * Properties beyond "no crash, no sanitizer report": a parsed identifier's
 * canonical form parses again to itself with the same kind (the canonical
 * form is a fixed point, so stored ids and query ids always compare
 * equal), and it is always on id.gs1.org or the China-code prefix.
 */
#include "trace/trace.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_id a, b;
	const char *why = NULL;
	char *s;
	int rc;

	if (size > 2 * TRACE_ID_MAX)
		return 0;
	s = pl_strndup((const char *)data, size);
	rc = trace_id_parse(s, &a, &why);
	FUZZ_CHECK(why != NULL);
	FUZZ_CHECK(rc == 0 || rc == PL_EINVAL || rc == PL_ENOTFOUND || rc == PL_ETOOBIG);
	if (rc == 0) {
		FUZZ_CHECK(strncmp(a.canon, "https://id.gs1.org/", 19) == 0 ||
			   strncmp(a.canon, TRACE_CNDRUG_PREFIX,
				   strlen(TRACE_CNDRUG_PREFIX)) == 0);
		FUZZ_CHECK(trace_id_parse(a.canon, &b, &why) == 0);
		FUZZ_CHECK(strcmp(a.canon, b.canon) == 0);
		FUZZ_CHECK(a.kind == b.kind);
	} else {
		FUZZ_CHECK(a.canon[0] == '\0' && a.kind == TRACE_ID_NONE);
	}
	free(s);
	return 0;
}
