/*
 * fuzz_trace_xml.c - libFuzzer target for EPCIS XML capture: the XML ->
 * JSON-LD conversion (src/trace/xml.c, over libxml2), then validation and,
 * for a valid document, the event hash - the path an XML capture body
 * takes.
 *
 * Properties: conversion is all or nothing (a document exactly when the
 * result is 0, and an error message otherwise); every event of a document
 * that validates hashes.
 */
#include "trace/trace.h"

#include "fuzz.h"

#define FUZZ_XML_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_errors errs;
	json_t *doc = NULL, *ev;
	size_t i;
	int rc;

	if (size > FUZZ_XML_MAX)
		return 0;
	trace_errors_init(&errs);
	rc = trace_xml_to_doc((const char *)data, size, &doc, &errs);
	FUZZ_CHECK((rc == 0) == (doc != NULL));
	FUZZ_CHECK(rc == 0 || errs.n > 0);
	if (rc == 0 && trace_doc_check(doc, &errs) == 0) {
		json_array_foreach(trace_doc_events(doc), i, ev) {
			char h[TRACE_HASH_STRLEN];
			FUZZ_CHECK(trace_event_hash(ev, json_object_get(doc, "@context"), h) == 0);
		}
	}
	json_decref(doc);
	trace_errors_release(&errs);
	return 0;
}
