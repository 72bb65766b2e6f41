/*
 * repo_demo.c - the demo park's traceability story, captured
 * for demo enterprise 1 (重庆太极制药) by `parkline serve --demo`, so the
 * trace explorer has something true to show:
 *
 *   raw lots API-2611A + EXC-2610C --TransformationEvent--> batch B261102
 *   batch B261102 --TransformationEvent (filling)--> vials 1..12
 *   vials 1-4 -> tray T01, vials 5-8 -> tray T02 (AggregationEvent ADD),
 *   trays observed at the filling, stoppering and inspection stations,
 *   unloaded (DELETE); then tray T01 is REUSED for vials 9-12 in a second
 *   round, so its later observations must not apply to vials 1-4;
 *   per-vial inspection verdicts (vial 7 non_conformant, destroyed);
 *   conformant vials packed into cases (SSCC), cases shipped with a PO
 *   from enterprise 1 to enterprise 2 (source/destination owning_party
 *   PGLNs, each registered to its enterprise: both see the shipment).
 *
 * Identifiers are GS1 Digital Links built with real check digits under the
 * fictitious company prefix 6901234. Event times are fixed, so the events'
 * hashes are stable and seeding twice stores nothing new.
 */
#include "trace/trace.h"
#include "auth/auth.h"

#include <string.h>

#define DEMO_PREFIX "6901234"
#define DEMO_DAY "2026-11-02T"

struct demo {
	json_t *list;                  /* the document's eventList (borrowed) */
	char vial[13][TRACE_ID_MAX];   /* vial[1..12] */
	char tray[3][TRACE_ID_MAX];    /* tray[1..2] */
	char station[4][TRACE_ID_MAX]; /* filling, stoppering, inspection */
	char warehouse[TRACE_ID_MAX];
	char case_[3][TRACE_ID_MAX];
	char raw_api[TRACE_ID_MAX], raw_exc[TRACE_ID_MAX], batch[TRACE_ID_MAX];
	char party[3][TRACE_ID_MAX];   /* PGLNs of enterprise 1 (maker), 2 (customer) */
};

/* digits + their GS1 check digit into out. */
static void demo__check(const char *digits, char *out, size_t outsz)
{
	int cd = trace_gs1_check_digit(digits, strlen(digits));
	pl_fmt(out, outsz, "%s%d", digits, cd);
}

static void demo__ids(struct demo *d)
{
	char gtin_vial[15], gtin_api[15], gtin_exc[15], g[32];

	demo__check("0" DEMO_PREFIX "00001", gtin_vial, sizeof(gtin_vial));
	demo__check("0" DEMO_PREFIX "00002", gtin_api, sizeof(gtin_api));
	demo__check("0" DEMO_PREFIX "00003", gtin_exc, sizeof(gtin_exc));
	for (int i = 1; i <= 12; i++)
		pl_fmt(d->vial[i], TRACE_ID_MAX, "https://id.gs1.org/01/%s/21/V%04d", gtin_vial, i);
	for (int i = 1; i <= 2; i++) {
		demo__check("0" DEMO_PREFIX "10001", g, sizeof(g));
		pl_fmt(d->tray[i], TRACE_ID_MAX, "https://id.gs1.org/8003/%sT%02d", g, i);
	}
	for (int i = 1; i <= 3; i++) {
		demo__check(DEMO_PREFIX "00001", g, sizeof(g));
		pl_fmt(d->station[i], TRACE_ID_MAX, "https://id.gs1.org/414/%s/254/L1-S%d", g, i);
	}
	demo__check(DEMO_PREFIX "00002", g, sizeof(g));
	pl_fmt(d->warehouse, TRACE_ID_MAX, "https://id.gs1.org/414/%s", g);
	for (int i = 1; i <= 2; i++) {
		char s[24];
		pl_fmt(s, sizeof(s), "0" DEMO_PREFIX "%09d", i);
		demo__check(s, g, sizeof(g));
		pl_fmt(d->case_[i], TRACE_ID_MAX, "https://id.gs1.org/00/%s", g);
	}
	pl_fmt(d->raw_api, TRACE_ID_MAX, "https://id.gs1.org/01/%s/10/API-2611A", gtin_api);
	pl_fmt(d->raw_exc, TRACE_ID_MAX, "https://id.gs1.org/01/%s/10/EXC-2610C", gtin_exc);
	pl_fmt(d->batch, TRACE_ID_MAX, "https://id.gs1.org/01/%s/10/B261102", gtin_vial);
	demo__check(DEMO_PREFIX "00000", g, sizeof(g));
	pl_fmt(d->party[1], TRACE_ID_MAX, "https://id.gs1.org/417/%s", g);
	demo__check("690987600000", g, sizeof(g));
	pl_fmt(d->party[2], TRACE_ID_MAX, "https://id.gs1.org/417/%s", g);
}

/* A new event with the common fields; hhmm is the local time of day. */
static json_t *demo__ev(struct demo *d, const char *type, const char *action,
			const char *hhmm, const char *biz_step, const char *read_point)
{
	char t[40];
	json_t *e = json_object();

	pl_fmt(t, sizeof(t), DEMO_DAY "%s:00.000+08:00", hhmm);
	json_object_set_new(e, "type", json_string(type));
	json_object_set_new(e, "eventTime", json_string(t));
	json_object_set_new(e, "eventTimeZoneOffset", json_string("+08:00"));
	if (action)
		json_object_set_new(e, "action", json_string(action));
	if (biz_step)
		json_object_set_new(e, "bizStep", json_string(biz_step));
	if (read_point)
		json_object_set_new(e, "readPoint", json_pack("{s:s}", "id", read_point));
	json_array_append_new(d->list, e);
	return e;
}

static json_t *demo__vials(struct demo *d, int from, int to, int skip)
{
	json_t *a = json_array();
	for (int i = from; i <= to; i++)
		if (i != skip)
			json_array_append_new(a, json_string(d->vial[i]));
	return a;
}

static json_t *demo__qty(const char *cls, double q, const char *uom)
{
	return json_pack("[{s:s, s:f, s:s}]", "epcClass", cls, "quantity", q, "uom", uom);
}

static void demo__story(struct demo *d)
{
	json_t *e;

	/* Raw materials mixed into the batch. */
	e = demo__ev(d, "TransformationEvent", NULL, "08:00", "creating_class_instance",
		     d->station[1]);
	json_t *in = demo__qty(d->raw_api, 12.5, "KGM");
	json_t *exc = demo__qty(d->raw_exc, 40, "KGM");
	json_array_extend(in, exc); /* extend copies references, so drop ours */
	json_decref(exc);
	json_object_set_new(e, "inputQuantityList", in);
	json_object_set_new(e, "outputQuantityList", demo__qty(d->batch, 50, "LTR"));
	/* The batch filled into serialised vials. */
	e = demo__ev(d, "TransformationEvent", NULL, "09:00", "commissioning", d->station[1]);
	json_object_set_new(e, "inputQuantityList", demo__qty(d->batch, 0.12, "LTR"));
	json_object_set_new(e, "outputEPCList", demo__vials(d, 1, 12, 0));
	json_object_set_new(e, "disposition", json_string("active"));
	/* Two rounds on the line; tray 1 carries vials 1-4, then 9-12. */
	static const struct { int tray, from, to; const char *load, *s1, *s2, *s3, *unload; } r[] = {
		{ 1, 1, 4, "09:10", "09:15", "09:20", "09:25", "09:30" },
		{ 2, 5, 8, "09:11", "09:16", "09:21", "09:26", "09:31" },
		{ 1, 9, 12, "09:40", "09:45", "09:50", "09:55", "10:00" },
	};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		e = demo__ev(d, "AggregationEvent", "ADD", r[i].load, "loading", d->station[1]);
		json_object_set_new(e, "parentID", json_string(d->tray[r[i].tray]));
		json_object_set_new(e, "childEPCs", demo__vials(d, r[i].from, r[i].to, 0));
		const char *at[3] = { r[i].s1, r[i].s2, r[i].s3 };
		static const char *const steps[3] = { "urn:parkline:bizstep:filling",
			"urn:parkline:bizstep:stoppering", "inspecting" };
		for (int s = 0; s < 3; s++) {
			e = demo__ev(d, "ObjectEvent", "OBSERVE", at[s], steps[s], d->station[s + 1]);
			json_object_set_new(e, "epcList", json_pack("[s]", d->tray[r[i].tray]));
			json_object_set_new(e, "disposition", json_string("in_progress"));
		}
		e = demo__ev(d, "AggregationEvent", "DELETE", r[i].unload, "unloading", d->station[3]);
		json_object_set_new(e, "parentID", json_string(d->tray[r[i].tray]));
		json_object_set_new(e, "childEPCs", demo__vials(d, r[i].from, r[i].to, 0));
	}
	/* Verdicts from the inspection station, with the details a line-side
	 * node reports (pl:inspection, docs/vision/README.md): vial 7 has a
	 * particle. Its reason and images are those `parkline inspect unit`
	 * gave for a simulated unit with a 181 um particle stuck to the glass
	 * (the images ship with the web UI under /demo/vision/). No "unit":
	 * that is a line node's unit directory, and the node tests count the
	 * events that carry one as the node's. */
	e = demo__ev(d, "ObjectEvent", "OBSERVE", "10:05", "inspecting", d->station[3]);
	json_object_set_new(e, "epcList", demo__vials(d, 1, 12, 7));
	json_object_set_new(e, "disposition", json_string("conformant"));
	json_object_set_new(e, "pl:inspection", json_pack("{s:s, s:f, s:[]}", "verdict", "accept",
							  "confidence", 0.98, "reasons"));
	e = demo__ev(d, "ObjectEvent", "OBSERVE", "10:05", "inspecting", d->station[3]);
	json_object_set_new(e, "epcList", json_pack("[s]", d->vial[7]));
	json_object_set_new(e, "disposition", json_string("non_conformant"));
	json_object_set_new(e, "pl:inspection", json_pack(
		"{s:s, s:f, s:f, s:[{s:s, s:f, s:i, s:i, s:f, s:s}], s:[s, s]}",
		"verdict", "reject", "confidence", 0.94, "fillMm", 14.13,
		"reasons", "class", "particle", "confidence", 0.94, "view", 6, "sizeUm", 249,
		"zMm", 8.2, "detail", "static particle on the wall, 249 um, 51 % contrast, 4 views",
		"images", "/demo/vision/V0007-overlay.png", "/demo/vision/V0007-v06-f0.png"));
	e = demo__ev(d, "ObjectEvent", "DELETE", "10:10", "destroying", d->station[3]);
	json_object_set_new(e, "epcList", json_pack("[s]", d->vial[7]));
	json_object_set_new(e, "disposition", json_string("destroyed"));
	/* Packing and shipping. */
	e = demo__ev(d, "AggregationEvent", "ADD", "10:30", "packing", d->warehouse);
	json_object_set_new(e, "parentID", json_string(d->case_[1]));
	json_object_set_new(e, "childEPCs", demo__vials(d, 1, 6, 0));
	e = demo__ev(d, "AggregationEvent", "ADD", "10:31", "packing", d->warehouse);
	json_object_set_new(e, "parentID", json_string(d->case_[2]));
	json_object_set_new(e, "childEPCs", demo__vials(d, 8, 12, 0));
	e = demo__ev(d, "ObjectEvent", "OBSERVE", "14:00", "shipping", d->warehouse);
	json_object_set_new(e, "epcList", json_pack("[s, s]", d->case_[1], d->case_[2]));
	json_object_set_new(e, "disposition", json_string("in_transit"));
	json_object_set_new(e, "bizLocation", json_pack("{s:s}", "id", d->warehouse));
	json_object_set_new(e, "bizTransactionList", json_pack("[{s:s, s:s}]", "type", "po",
		"bizTransaction", "urn:parkline:po:TJ-2026-1102"));
	/* the customer (enterprise 2) is the destination: it sees this event */
	json_object_set_new(e, "sourceList", json_pack("[{s:s, s:s}]", "type", "owning_party",
		"source", d->party[1]));
	json_object_set_new(e, "destinationList", json_pack("[{s:s, s:s}]", "type",
		"owning_party", "destination", d->party[2]));
}

int trace_demo_seed(struct store *st, FILE *print_to)
{
	struct demo d;
	struct store_conn *c = NULL;
	struct trace_errors errs;
	json_t *ent = NULL, *doc = NULL, *job = NULL;
	char *text = NULL;
	int rc;

	trace_errors_init(&errs);
	memset(&d, 0, sizeof(d));
	d.list = json_array();
	demo__ids(&d);
	demo__story(&d);
	doc = json_pack("{s:[s, {s:s}], s:s, s:s, s:s, s:{s:O}}",
			"@context", "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
			"pl", "https://parkline.example/epcis/vision/",
			"type", "EPCISDocument", "schemaVersion", "2.0",
			"creationDate", DEMO_DAY "16:00:00.000+08:00", "epcisBody", "eventList", d.list);
	text = pl_json_dump(doc);
	if ((rc = store_conn_get(st, &c)))
		goto out;
	struct store_param p[] = { SP_TEXT(AUTH_DEMO_USCC_1) };
	if ((rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", p, 1, &ent)))
		goto out;
	rc = trace_repo_capture(c, pl_json_str(ent, "id"), "system", text, strlen(text), false,
				&errs, &job);
	if (rc == 0 && !json_is_true(json_object_get(job, "success")))
		rc = PL_EINTERNAL; /* the story itself must be valid */
	/* each demo enterprise answers for its party GLN (party.c); one that
	 * is not there (a store seeded with enterprise 1 only) is skipped */
	for (int i = 1; rc == 0 && i <= 2; i++) {
		json_t *en = NULL;
		char canon[TRACE_ID_MAX];
		struct store_param pe[] = { SP_TEXT(i == 1 ? AUTH_DEMO_USCC_1 : AUTH_DEMO_USCC_2) };
		rc = store_query_one(c, "SELECT id FROM enterprises WHERE uscc = ?", pe, 1, &en);
		if (rc == 0)
			rc = trace_party_add(c, pl_json_str(en, "id"), d.party[i], canon);
		else if (rc == PL_ENOTFOUND)
			rc = 0;
		json_decref(en);
	}
	if (rc == 0 && print_to)
		fprintf(print_to, "trace demo: %lld events for enterprise 1; trace vial %s\n",
			(long long)json_array_size(d.list), d.vial[3]);
out:
	if (rc && errs.n)
		fprintf(stderr, "trace demo: %s\n", errs.msg[0]);
	free(text);
	json_decref(job);
	json_decref(ent);
	json_decref(doc);
	json_decref(d.list);
	store_conn_put(c);
	trace_errors_release(&errs);
	return rc;
}
