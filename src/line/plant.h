/*
 * plant.h - the ISA-95 plant model around the lines (migration 17):
 * enterprise -> site -> area -> line -> machine/station, the enterprise's
 * products with their ideal cycle time (GTIN checked by its check digit),
 * and the line's plan (product, ideal cycle time, shift calendar with
 * planned stops) that the OEE of live.h reads.
 *
 * Used by the HTTP handlers (src/http/api_plant.c). Every function works on
 * a connection the caller holds; writers run inside the caller's
 * transaction, and a write that fails has changed nothing the caller can
 * commit (the caller rolls back). Tenancy is the caller's: every object
 * carries its enterprise_id (line_plant_owner) so the handler can
 * authorise before it reads or writes. Validation reasons are written into
 * why (a sentence naming the field) for PL_EINVAL.
 */
#ifndef PL_LINE_PLANT_H
#define PL_LINE_PLANT_H

#include "store/store.h"

/* What a plant call works on. ENTERPRISE and LINE are parents (and
 * owners) only: they are created elsewhere. */
enum line_plant_kind {
	LINE_PLANT_ENTERPRISE,
	LINE_PLANT_SITE,
	LINE_PLANT_AREA,
	LINE_PLANT_LINE,
	LINE_PLANT_MACHINE,
	LINE_PLANT_PRODUCT,
};
/* "enterprise", "site", "area", "line", "machine", "product". */
const char *line_plant_kind_name(enum line_plant_kind k);

/* Caps (bytes) and ranges of the fields. */
#define LINE_PLANT_CODE_MAX 32      /* [A-Za-z0-9._-] */
#define LINE_PLANT_NAME_MAX 100
#define LINE_PLANT_ADDRESS_MAX 200
#define LINE_PLANT_KIND_MAX 32      /* machine kind: 灌装机, 轧盖机, 灯检机, ... */
#define LINE_PLANT_POSITION_MAX 999
#define LINE_PLANT_DEVICE_MAX 64    /* Sparkplug device id, [A-Za-z0-9._-] */
#define LINE_PLANT_CYCLE_MAX_MS 86400000.0 /* one unit a day at the slowest */
/* Most rows of one kind the tree returns (more: PL_ETOOBIG). */
#define LINE_PLANT_TREE_MAX 5000

/* 0 when s is a GTIN-8, -12, -13 or -14 (digits only) whose last digit is
 * the GS1 mod-10 check digit of the others; PL_EINVAL otherwise. */
int line_gtin_check(const char *s);

/* The enterprise that owns object id of kind k, into ent. Errors:
 * PL_ENOTFOUND (no such object, or id malformed), PL_EDB. */
int line_plant_owner(struct store_conn *c, enum line_plant_kind k, const char *id,
		     char ent[PL_ID_LEN + 1]);

/* One object as JSON (new reference): site {id, enterprise_id, code, name,
 * address}; area {id, site_id, enterprise_id, code, name}; machine {id,
 * line_id, enterprise_id, code, name, kind, position, sp_device}; product
 * {id, enterprise_id, gtin, name, ideal_cycle_ms}; line {id,
 * enterprise_id, area_id, name, sp_group, sp_node}. Errors: PL_ENOTFOUND,
 * PL_EDB. */
int line_plant_get(struct store_conn *c, enum line_plant_kind k, const char *id, json_t **out);

/* Creates an object of kind k (SITE under an enterprise, AREA under a
 * site, MACHINE under a line, PRODUCT under an enterprise) from body (the
 * fields above; body is borrowed). *out: the new object as line_plant_get.
 * Errors: PL_EINVAL (a field, named in why), PL_ENOTFOUND (parent),
 * PL_EEXIST (code or GTIN taken under that parent), PL_EDB. */
int line_plant_create(struct store_conn *c, enum line_plant_kind k, const char *parent_id,
		      const json_t *body, json_t **out, char *why, size_t whysz);

/* Changes the fields body names (others stay). LINE takes name and
 * area_id (an area of the same enterprise, or null to unassign). A
 * product's new name or ideal cycle time is copied into the plans that run
 * it, so OEE reads the new figure. *out (may be NULL): the object after.
 * Errors: PL_EINVAL (why), PL_ENOTFOUND (the object, or area_id not an
 * area of its enterprise), PL_EEXIST, PL_EDB. */
int line_plant_update(struct store_conn *c, enum line_plant_kind k, const char *id,
		      const json_t *body, json_t **out, char *why, size_t whysz);

/* Deletes an object that nothing refers to. Errors: PL_ENOTFOUND,
 * PL_ECONFLICT (a site with areas, an area with lines, a product a plan
 * runs; why says which), PL_EDB. LINE and ENTERPRISE: PL_EINVAL. */
int line_plant_delete(struct store_conn *c, enum line_plant_kind k, const char *id,
		      char *why, size_t whysz);

/* The plant as the caller may see it: enterprises passing the SQL filter
 * `where` (a fragment over a column named enterprise_id, from
 * auth_tenant_filter, with its np params) that have sites, lines or
 * products: {items: [{enterprise_id, name, sites: [site + areas: [area +
 * lines: [line + plan + machines: [...]]]], unassigned_lines: [...],
 * products: [...]}]}, ordered by code / position / name. plan is {product,
 * product_id, ideal_cycle_ms, calendar} or null. Errors: PL_ETOOBIG (a
 * kind over LINE_PLANT_TREE_MAX), PL_EDB. */
int line_plant_tree(struct store_conn *c, const char *where, const struct store_param *p,
		    size_t np, json_t **out);

/* The plan of a line: {line_id, product, product_id, ideal_cycle_ms,
 * calendar, effective_from, versions: [{valid_from, product, product_id,
 * ideal_cycle_ms}]} (new reference): the plan in force now, when it took
 * effect (ms UTC; 0: since always) and its history, newest first, at most
 * LINE_PLAN_VERSIONS_SHOWN. Errors: PL_ENOTFOUND (no plan), PL_EDB. */
#define LINE_PLAN_VERSIONS_SHOWN 20
#define LINE_PLAN_EPOCH_MS 946684800000LL /* 2000-01-01: no plan change before */
int line_plan_get(struct store_conn *c, const char *line_id, json_t **out);

/* Sets the plan of a line from body {product_id?, product?,
 * ideal_cycle_ms?, calendar}: product_id (a product of the line's
 * enterprise) gives product and ideal_cycle_ms unless they are given too;
 * without it both are required. calendar is {utc_offset_min, shifts:
 * [{name, start_min, length_min, stops: [{offset_min, length_min}]}]},
 * every member checked and the whole by line_calendar_check. The plan
 * takes effect from effective_from (ms or RFC 3339, 2000-01-01..now + 60 s;
 * default now): it becomes a version (migration 23) and OEE over any
 * window uses the versions in force during it, so old reports are not
 * re-cut by a change made today, and a change dated back corrects them.
 * *out: the plan as line_plan_get. Errors: PL_EINVAL (why), PL_ECONFLICT
 * (why: a version later than effective_from exists), PL_ENOTFOUND (line),
 * PL_EDB. */
int line_plan_put(struct store_conn *c, const char *line_id, const json_t *body, int64_t now,
		  json_t **out, char *why, size_t whysz);

/* Seeds the demo plant of demo enterprise 1 (after line_repo_demo_seed and
 * line_live_demo_seed): site 涪陵生产基地 with areas 无菌制剂车间 (the
 * filling line fill-1: 洗瓶机, 灌装机, 轧盖机, 灯检机) and 包装车间 (pack-1:
 * 装盒机, 贴标机, 装箱机), the two products the demo plans run (GTINs of
 * the trace demo's prefix 6901234) and each plan's product_id; idempotent.
 * Prints one line to print_to (may be NULL). Errors: PL_ENOTFOUND (no demo
 * lines), PL_EDB. */
int line_plant_demo_seed(struct store *st, FILE *print_to);

#endif /* PL_LINE_PLANT_H */
