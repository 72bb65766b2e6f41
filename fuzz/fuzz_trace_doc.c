/*
 * fuzz_trace_doc.c - libFuzzer target for EPCIS capture input: the
 * document validator (src/trace/validate.c), then for every event of a
 * valid document the CBV 2.0 event hash (hash.c) and the normaliser
 * (rows.c), exactly the path a capture body takes.
 *
 * Properties: validation is all or nothing (a document comes back only
 * with zero errors, errors only without a document); every event of a
 * valid document hashes and normalises; and the hash does not depend on
 * the serialisation - the event dumped with its keys sorted and parsed
 * again hashes the same.
 */
#include "trace/trace.h"

#include "fuzz.h"

/* Documents past this are refused by size long before they are
 * interesting to a fuzzer; keeping inputs small keeps it fast. */
#define FUZZ_DOC_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_errors errs;
	json_t *doc = NULL;
	const json_t *events, *ctx;
	size_t i;
	json_t *ev;
	int rc;

	if (size > FUZZ_DOC_MAX)
		return 0;
	trace_errors_init(&errs);
	rc = trace_doc_validate((const char *)data, size, &doc, &errs);
	FUZZ_CHECK((rc == 0) == (doc != NULL));
	FUZZ_CHECK((rc == 0) == (errs.n == 0));
	if (rc == 0) {
		ctx = json_object_get(doc, "@context");
		events = trace_doc_events(doc);
		FUZZ_CHECK(events != NULL);
		json_array_foreach(events, i, ev) {
			char h1[TRACE_HASH_STRLEN], h2[TRACE_HASH_STRLEN];
			struct pl_arena *a = pl_arena_new(1 << 20);
			struct trace_rows rows;
			char *text = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
			json_t *again = text ? json_loads(text, 0, NULL) : NULL;

			FUZZ_CHECK(trace_event_hash(ev, ctx, h1) == 0);
			FUZZ_CHECK(again != NULL);
			FUZZ_CHECK(trace_event_hash(again, ctx, h2) == 0);
			FUZZ_CHECK(strcmp(h1, h2) == 0);
			rc = trace_event_rows(ev, ctx, a, &rows);
			FUZZ_CHECK(rc == 0 || rc == PL_ETOOBIG);
			if (rc == 0)
				FUZZ_CHECK(strcmp(rows.hash, h1) == 0);
			json_decref(again);
			free(text);
			pl_arena_free(a);
		}
	}
	json_decref(doc);
	trace_errors_release(&errs);
	return 0;
}
