/*
 * routes.c - the route table: every URL the daemon answers under /api/ and
 * the operational endpoints, each with the authorisation action it is
 * declared under, its body cap and its JSON body fields. The table is the
 * single source for dispatch, `parkline serve --print-routes`, the auth
 * route x role walk and the OpenAPI comparison (tests/cases), so a route
 * cannot exist without being documented and authorised.
 *
 * Matching is a linear scan over segments: the table is small (tens of
 * routes) and a scan costs less than a request's allocation.
 */
#include "http/http_int.h"
#include "http/api_plant.h"

#define S PL_JT_STRING
#define B PL_JT_BOOL

static const struct pl_json_field spec_login[] = {
	{ "username", S, true, 128 },
	{ "password", S, true, 1024 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_ent_create[] = {
	{ "name_zh", S, true, 200 },
	{ "name_en", S, false, 200 },
	{ "uscc", S, false, 18 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_ent_patch[] = {
	{ "name_zh", S, false, 200 },
	{ "name_en", S, false, 200 },
	{ "uscc", S, false, 18 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_user_create[] = {
	{ "username", S, true, 64 },
	{ "password", S, true, 1024 },
	{ "display_name", S, true, 128 },
	{ "role", S, true, 32 },
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "department", S, false, 63 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_user_patch[] = {
	{ "display_name", S, false, 128 },
	{ "password", S, false, 1024 },
	{ "disabled", B, false, 0 },
	{ "role", S, false, 32 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_token_create[] = {
	{ "name", S, true, 127 },
	{ "role", S, true, 32 },
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "line_id", S, false, 63 },
	{ "expires_at", S, false, 40 },
	{ NULL, 0, false, 0 },
};
/* desk; caps match src/desk/repo.h */
static const struct pl_json_field spec_desk_req_create[] = {
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "channel", S, true, 16 },
	{ "category", S, true, 32 },
	{ "urgency", S, true, 16 },
	{ "title", S, true, 200 },
	{ "description", S, true, 4000 },
	{ "park_wide", B, false, 0 },
	{ "enterprise_ids", PL_JT_ARRAY, false, 0 },
	{ "specialist_id", S, false, PL_ID_LEN },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_desk_act[] = {
	{ "action", S, true, 32 },
	{ "note", S, false, 2000 },
	{ "department", S, false, 63 },
	{ "resolution", S, false, 2000 },
	{ "rating", S, false, 32 },
	{ "comment", S, false, 2000 },
	{ "due_at", S, false, 40 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_desk_repl_create[] = {
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "reason", S, true, 2000 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_desk_repl_assign[] = {
	{ "specialist_id", S, true, PL_ID_LEN },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_desk_assign[] = {
	{ "specialist_id", S, true, PL_ID_LEN },
	{ "reason", S, true, 2000 },
	{ NULL, 0, false, 0 },
};
/* green channel (api_green.c); steps are checked one by one there */
/* trace: a GLN registered as an enterprise's (src/trace/party.c) */
static const struct pl_json_field spec_trace_party[] = {
	{ "enterprise_id", S, true, PL_ID_LEN },
	{ "gln", S, true, 300 },
	{ NULL, 0, false, 0 },
};
/* trace: a subscription to a named query (src/trace/subscribe.c) */
static const struct pl_json_field spec_epcis_sub[] = {
	{ "dest", S, true, 2000 },
	{ "signatureToken", S, false, 256 },
	{ "reportIfEmpty", B, false, 0 },
	{ "stream", B, false, 0 },
	{ "schedule", PL_JT_OBJECT, false, 0 },
	{ "initialRecordTime", S, false, 64 },
	{ NULL, 0, false, 0 },
};
/* trace: a named EPCIS query (src/trace/named.c) */
static const struct pl_json_field spec_epcis_query[] = {
	{ "name", S, true, 64 },
	{ "query", PL_JT_OBJECT, true, 0 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_green_create[] = {
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "name", S, true, 200 },
	{ "steps", PL_JT_ARRAY, false, 0 },
	{ "template", S, false, 32 },
	{ NULL, 0, false, 0 },
};
/* desk SLA settings (api_desk_report.c); the cells are checked there */
static const struct pl_json_field spec_desk_sla[] = {
	{ "items", PL_JT_ARRAY, true, 0 },
	{ NULL, 0, false, 0 },
};
/* park: supplier matching (api_park_match.c); items are checked there */
static const struct pl_json_field spec_park_catalog[] = {
	{ "items", PL_JT_ARRAY, true, 0 },
	{ "in_park", B, false, 0 },
	{ NULL, 0, false, 0 },
};
/* park: production sharing (api_park_share.c); unknown members refused there */
static const struct pl_json_field spec_park_sharing[] = {
	{ "share_production", B, true, 0 },
	{ NULL, 0, false, 0 },
};
/* park: the logistics baseline (api_park_logistics.c); range checked there */
static const struct pl_json_field spec_park_baseline[] = {
	{ "baseline_days", PL_JT_INTEGER, true, 0 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_park_intro[] = {
	{ "buyer_id", S, false, PL_ID_LEN },
	{ "supplier_id", S, true, PL_ID_LEN },
	{ "note", S, false, 2000 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_green_step[] = {
	{ "action", S, true, 16 },
	{ "at", S, false, 40 },
	{ NULL, 0, false, 0 },
};

/* desk: WeChat (api_wechat.c) */
static const struct pl_json_field spec_wechat_bind[] = {
	{ "openid", S, true, 64 },
	{ "enterprise_id", S, false, PL_ID_LEN },
	{ "contact_name", S, true, 100 },
	{ NULL, 0, false, 0 },
};

#define J HTTP_JSON_BODY_MAX
#define LOGIN_MAX (4u << 10) /* login bodies are tiny; cap them hard */

/* line (api_line.c, api_alarm.c); points and rule values are checked there */
static const struct pl_json_field spec_line_ingest[] = {
	{ "points", PL_JT_ARRAY, true, 0 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_line_alarm[] = {
	{ "name", S, true, 100 },
	{ "metric", S, true, 300 },
	{ "kind", S, true, 16 },
	{ "category", S, true, 16 },
	{ "priority", PL_JT_INTEGER, false, 0 },
	{ "limit", PL_JT_NUMBER, false, 0 },
	{ "deadband", PL_JT_NUMBER, false, 0 },
	{ "stale_ms", PL_JT_INTEGER, false, 0 },
	{ NULL, 0, false, 0 },
};
/* acknowledge / unshelve take no fields: an empty object (or no body) */
static const struct pl_json_field spec_alarm_none[] = {
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_alarm_shelve[] = {
	{ "minutes", PL_JT_INTEGER, true, 0 },
	{ NULL, 0, false, 0 },
};
/* line plant model (api_plant.c): one spec per kind for POST and PATCH;
 * src/line/plant.c says which members a create requires and checks them */
static const struct pl_json_field spec_plant_site[] = {
	{ "code", S, false, 32 },
	{ "name", S, false, 100 },
	{ "address", S, false, 200 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_plant_area[] = {
	{ "code", S, false, 32 },
	{ "name", S, false, 100 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_plant_line[] = {
	{ "name", S, false, 100 },
	{ "area_id", S, false, PL_ID_LEN },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_plant_machine[] = {
	{ "code", S, false, 32 },
	{ "name", S, false, 100 },
	{ "kind", S, false, 32 },
	{ "position", PL_JT_INTEGER, false, 0 },
	{ "sp_device", S, false, 64 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_plant_product[] = {
	{ "gtin", S, false, 14 },
	{ "name", S, false, 100 },
	{ "ideal_cycle_ms", PL_JT_NUMBER, false, 0 },
	{ NULL, 0, false, 0 },
};
static const struct pl_json_field spec_plant_plan[] = {
	{ "product_id", S, false, PL_ID_LEN },
	{ "product", S, false, 100 },
	{ "ideal_cycle_ms", PL_JT_NUMBER, false, 0 },
	{ "calendar", PL_JT_OBJECT, true, 0 },
	{ "effective_from", PL_JT_ANY, false, 0 }, /* ms or RFC 3339: line_plan_put */
	{ NULL, 0, false, 0 },
};
const struct http_route http__routes[] = {
	{ "GET", "/healthz", AUTH_A_PUBLIC, http__h_healthz, 0, NULL, 0 },
	{ "GET", "/readyz", AUTH_A_PUBLIC, http__h_readyz, 0, NULL, 0 },
	{ "GET", "/metrics", AUTH_A_METRICS, http__h_metrics, 0, NULL, 0 },
	{ "GET", "/api/v1/openapi.json", AUTH_A_PUBLIC, http__h_openapi, 0, NULL, 0 },
	{ "POST", "/api/v1/auth/login", AUTH_A_PUBLIC, http__h_login, LOGIN_MAX, spec_login, HTTP_RF_NO_CSRF },
	{ "POST", "/api/v1/auth/logout", AUTH_A_SELF, http__h_logout, 0, NULL, 0 },
	{ "GET", "/api/v1/me", AUTH_A_SELF, http__h_me, 0, NULL, 0 },
	{ "GET", "/api/v1/enterprises", AUTH_A_ENTERPRISE_LIST, http__h_ent_list, 0, NULL, 0 },
	{ "POST", "/api/v1/enterprises", AUTH_A_ENTERPRISE_CREATE, http__h_ent_create, J, spec_ent_create, 0 },
	{ "GET", "/api/v1/enterprises/{id}", AUTH_A_ENTERPRISE_READ, http__h_ent_get, 0, NULL, 0 },
	{ "PATCH", "/api/v1/enterprises/{id}", AUTH_A_ENTERPRISE_UPDATE, http__h_ent_patch, J, spec_ent_patch, 0 },
	{ "GET", "/api/v1/users", AUTH_A_USER_ADMIN, http__h_user_list, 0, NULL, 0 },
	{ "POST", "/api/v1/users", AUTH_A_USER_ADMIN, http__h_user_create, J, spec_user_create, 0 },
	{ "PATCH", "/api/v1/users/{id}", AUTH_A_USER_ADMIN, http__h_user_patch, J, spec_user_patch, 0 },
	{ "GET", "/api/v1/tokens", AUTH_A_TOKEN_ADMIN, http__h_token_list, 0, NULL, 0 },
	{ "POST", "/api/v1/tokens", AUTH_A_TOKEN_ADMIN, http__h_token_create, J, spec_token_create, 0 },
	{ "DELETE", "/api/v1/tokens/{id}", AUTH_A_TOKEN_ADMIN, http__h_token_revoke, 0, NULL, 0 },
	{ "GET", "/api/v1/audit", AUTH_A_AUDIT_READ, http__h_audit_list, 0, NULL, 0 },
	{ "GET", "/api/v1/live", AUTH_A_LIVE, http__h_live, 0, NULL, 0 },
	/* desk */
	{ "GET", "/api/v1/desk/requests", AUTH_A_DESK_REQUEST_READ, http__h_desk_req_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/requests", AUTH_A_DESK_REQUEST_CREATE, http__h_desk_req_create, J, spec_desk_req_create, 0 },
	{ "GET", "/api/v1/desk/requests/{id}", AUTH_A_DESK_REQUEST_READ, http__h_desk_req_get, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/requests/{id}/actions", AUTH_A_DESK_REQUEST_ACT, http__h_desk_req_act, J, spec_desk_act, 0 },
	{ "GET", "/api/v1/desk/requests/{id}/attachments", AUTH_A_DESK_REQUEST_READ, http__h_desk_attach_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/requests/{id}/attachments", AUTH_A_DESK_REQUEST_ACT, http__h_desk_attach_add, 10u << 20 /* DESK_ATTACH_MAX */, NULL, HTTP_RF_RAW_BODY },
	{ "GET", "/api/v1/desk/requests/{id}/attachments/{aid}", AUTH_A_DESK_REQUEST_READ, http__h_desk_attach_get, 0, NULL, 0 },
	{ "GET", "/api/v1/desk/scores", AUTH_A_DESK_SCORES, http__h_desk_scores, 0, NULL, 0 },
	{ "GET", "/api/v1/desk/replacements", AUTH_A_DESK_REPLACE_READ, http__h_desk_repl_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/replacements", AUTH_A_DESK_REPLACE_REQUEST, http__h_desk_repl_create, J, spec_desk_repl_create, 0 },
	{ "POST", "/api/v1/desk/replacements/{id}/assign", AUTH_A_DESK_REPLACE_ASSIGN, http__h_desk_repl_assign, J, spec_desk_repl_assign, 0 },
	{ "GET", "/api/v1/desk/enterprises/{id}/assignments", AUTH_A_DESK_REPLACE_READ, http__h_desk_assign_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/enterprises/{id}/assignments", AUTH_A_DESK_REPLACE_ASSIGN, http__h_desk_assign_create, J, spec_desk_assign, 0 },
	/* desk notifications (api_notify.c): the outbox; an SMS gateway's inbound webhook, signed with an HMAC */
	{ "GET", "/api/v1/desk/notifications", AUTH_A_DESK_NOTIFY_READ, http__h_notify_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/inbound/sms/{provider}", AUTH_A_PUBLIC, http__h_notify_inbound_sms, 8u << 10, NULL, HTTP_RF_RAW_BODY | HTTP_RF_NO_CSRF },
	/* desk, WeChat (api_wechat.c): the Official Account callback (signed with the shared token) and its OpenID bindings */
	{ "GET", "/api/v1/desk/inbound/wechat", AUTH_A_PUBLIC, http__h_wechat_verify, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/inbound/wechat", AUTH_A_PUBLIC, http__h_wechat_inbound, 64u << 10, NULL, HTTP_RF_RAW_BODY | HTTP_RF_NO_CSRF },
	{ "GET", "/api/v1/desk/wechat-bindings", AUTH_A_ENTERPRISE_UPDATE, http__h_wechat_bind_list, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/wechat-bindings", AUTH_A_ENTERPRISE_UPDATE, http__h_wechat_bind_create, J, spec_wechat_bind, 0 },
	{ "DELETE", "/api/v1/desk/wechat-bindings/{openid}", AUTH_A_ENTERPRISE_UPDATE, http__h_wechat_bind_delete, 0, NULL, 0 },
	{ "GET", "/api/v1/desk/green-projects", AUTH_A_DESK_GREEN_READ, http__h_green_list, 0, NULL, 0 },
	{ "GET", "/api/v1/desk/green-templates", AUTH_A_DESK_GREEN_READ, http__h_green_templates, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/green-projects", AUTH_A_DESK_GREEN_WRITE, http__h_green_create, J, spec_green_create, 0 },
	{ "GET", "/api/v1/desk/green-projects/{id}", AUTH_A_DESK_GREEN_READ, http__h_green_get, 0, NULL, 0 },
	{ "POST", "/api/v1/desk/green-projects/{id}/steps/{seq}", AUTH_A_DESK_GREEN_WRITE, http__h_green_step, J, spec_green_step, 0 },
	/* desk reports and SLA settings (api_desk_report.c) */
	{ "GET", "/api/v1/desk/reports/kpi", AUTH_A_DESK_REPORT, http__h_desk_report_kpi, 0, NULL, 0 },
	{ "GET", "/api/v1/desk/sla", AUTH_A_DESK_REPORT, http__h_desk_sla_get, 0, NULL, 0 },
	{ "PUT", "/api/v1/desk/sla", AUTH_A_DESK_SETTINGS, http__h_desk_sla_put, J, spec_desk_sla, 0 },
	/* trace; 32 MiB = TRACE_DOC_MAX_BYTES (trace.h) */
	{ "POST", "/epcis/capture", AUTH_A_TRACE_CAPTURE, http__h_epcis_capture, 32u << 20, NULL, HTTP_RF_RAW_BODY },
	{ "GET", "/epcis/capture/{id}", AUTH_A_TRACE_CAPTURE, http__h_epcis_job, 0, NULL, 0 },
	{ "GET", "/epcis/events", AUTH_A_TRACE_READ, http__h_epcis_events, 0, NULL, 0 },
	{ "GET", "/epcis/events/{id}", AUTH_A_TRACE_READ, http__h_epcis_event, 0, NULL, 0 },
	{ "GET", "/epcis/eventTypes", AUTH_A_TRACE_READ, http__h_epcis_event_types, 0, NULL, 0 },
	{ "GET", "/epcis/queries", AUTH_A_TRACE_READ, http__h_epcis_queries_list, 0, NULL, 0 },
	{ "POST", "/epcis/queries", AUTH_A_TRACE_SUBSCRIBE, http__h_epcis_queries_create, 64u << 10, spec_epcis_query, 0 },
	{ "GET", "/epcis/queries/{name}", AUTH_A_TRACE_READ, http__h_epcis_query_get, 0, NULL, 0 },
	{ "DELETE", "/epcis/queries/{name}", AUTH_A_TRACE_SUBSCRIBE, http__h_epcis_query_delete, 0, NULL, 0 },
	{ "GET", "/epcis/queries/{name}/events", AUTH_A_TRACE_READ, http__h_epcis_query_events, 0, NULL, 0 },
	{ "GET", "/epcis/queries/{name}/subscriptions", AUTH_A_TRACE_READ, http__h_epcis_subs_list, 0, NULL, 0 },
	{ "POST", "/epcis/queries/{name}/subscriptions", AUTH_A_TRACE_SUBSCRIBE, http__h_epcis_subs_create, 16u << 10, spec_epcis_sub, 0 },
	{ "DELETE", "/epcis/queries/{name}/subscriptions/{id}", AUTH_A_TRACE_SUBSCRIBE, http__h_epcis_sub_delete, 0, NULL, 0 },
	{ "GET", "/api/v1/trace/recall", AUTH_A_TRACE_READ, http__h_trace_recall, 0, NULL, 0 },
	{ "GET", "/api/v1/trace/parties", AUTH_A_TRACE_READ, http__h_trace_party_list, 0, NULL, 0 },
	{ "POST", "/api/v1/trace/parties", AUTH_A_ENTERPRISE_CREATE, http__h_trace_party_add, 4u << 10, spec_trace_party, 0 },
	{ "GET", "/api/v1/trace/{code}/backward", AUTH_A_TRACE_READ, http__h_trace_backward, 0, NULL, 0 },
	{ "GET", "/api/v1/trace/{code}/forward", AUTH_A_TRACE_READ, http__h_trace_forward, 0, NULL, 0 },
	/* line */
	{ "GET", "/api/v1/lines", AUTH_A_LINE_READ, http__h_line_list, 0, NULL, 0 },
	{ "GET", "/api/v1/lines/{id}/metrics", AUTH_A_LINE_READ, http__h_line_metrics, 0, NULL, 0 },
	{ "GET", "/api/v1/lines/{id}/series", AUTH_A_LINE_READ, http__h_line_series, 0, NULL, 0 },
	/* line ingest; 4 MiB: 10,000 points of ~400 bytes */
	{ "GET", "/api/v1/lines/{id}/live", AUTH_A_LINE_READ, http__h_line_live, 0, NULL, 0 },
	{ "GET", "/api/v1/lines/{id}/oee", AUTH_A_LINE_READ, http__h_line_oee, 0, NULL, 0 },
	{ "POST", "/api/v1/lines/{id}/ingest", AUTH_A_LINE_INGEST, http__h_line_ingest, 4u << 20, spec_line_ingest, 0 },
	{ "GET", "/api/v1/lines/{id}/alarms", AUTH_A_LINE_READ, http__h_line_alarms, 0, NULL, 0 },
	{ "POST", "/api/v1/lines/{id}/alarms", AUTH_A_LINE_ALARM_ACT, http__h_line_alarm_create, J, spec_line_alarm, 0 },
	{ "GET", "/api/v1/alarms", AUTH_A_LINE_READ, http__h_alarm_list, 0, NULL, 0 },
	{ "POST", "/api/v1/alarms/{id}/ack", AUTH_A_LINE_ALARM_ACT, http__h_alarm_ack, J, spec_alarm_none, 0 },
	{ "POST", "/api/v1/alarms/{id}/shelve", AUTH_A_LINE_ALARM_ACT, http__h_alarm_shelve, J, spec_alarm_shelve, 0 },
	{ "POST", "/api/v1/alarms/{id}/unshelve", AUTH_A_LINE_ALARM_ACT, http__h_alarm_unshelve, J, spec_alarm_none, 0 },
	/* line plant model: sites, areas, machines, products, plans (api_plant.c) */
	{ "GET", "/api/v1/plant", AUTH_A_LINE_READ, http__h_plant_tree, 0, NULL, 0 },
	{ "POST", "/api/v1/enterprises/{id}/sites", AUTH_A_LINE_ALARM_ACT, http__h_plant_site_create, J, spec_plant_site, 0 },
	{ "PATCH", "/api/v1/sites/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_site_patch, J, spec_plant_site, 0 },
	{ "DELETE", "/api/v1/sites/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_site_delete, 0, NULL, 0 },
	{ "POST", "/api/v1/sites/{id}/areas", AUTH_A_LINE_ALARM_ACT, http__h_plant_area_create, J, spec_plant_area, 0 },
	{ "PATCH", "/api/v1/areas/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_area_patch, J, spec_plant_area, 0 },
	{ "DELETE", "/api/v1/areas/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_area_delete, 0, NULL, 0 },
	{ "PATCH", "/api/v1/lines/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_line_patch, J, spec_plant_line, 0 },
	{ "POST", "/api/v1/lines/{id}/machines", AUTH_A_LINE_ALARM_ACT, http__h_plant_machine_create, J, spec_plant_machine, 0 },
	{ "PATCH", "/api/v1/machines/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_machine_patch, J, spec_plant_machine, 0 },
	{ "DELETE", "/api/v1/machines/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_machine_delete, 0, NULL, 0 },
	{ "POST", "/api/v1/enterprises/{id}/products", AUTH_A_LINE_ALARM_ACT, http__h_plant_product_create, J, spec_plant_product, 0 },
	{ "PATCH", "/api/v1/products/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_product_patch, J, spec_plant_product, 0 },
	{ "DELETE", "/api/v1/products/{id}", AUTH_A_LINE_ALARM_ACT, http__h_plant_product_delete, 0, NULL, 0 },
	{ "GET", "/api/v1/lines/{id}/plan", AUTH_A_LINE_READ, http__h_plant_plan_get, 0, NULL, 0 },
	{ "PUT", "/api/v1/lines/{id}/plan", AUTH_A_LINE_ALARM_ACT, http__h_plant_plan_put, J, spec_plant_plan, 0 },
	/* park: registry, CSV, indicators, logistics (api_park.c); 8 MiB = PARK_CSV_MAX_BYTES */
	{ "GET", "/api/v1/park/indicators", AUTH_A_PARK_INDICATORS, http__h_park_indicators, 0, NULL, 0 },
	{ "GET", "/api/v1/park/indicators/{key}/rows", AUTH_A_PARK_INDICATORS, http__h_park_indicator_rows, 0, NULL, 0 },
	{ "GET", "/api/v1/park/enterprises", AUTH_A_PARK_DATA_READ, http__h_park_ent_list, 0, NULL, 0 },
	{ "GET", "/api/v1/park/enterprises/{id}", AUTH_A_PARK_DATA_READ, http__h_park_ent_get, 0, NULL, 0 },
	{ "POST", "/api/v1/park/import/{kind}", AUTH_A_PARK_DATA_WRITE, http__h_park_import, 8u << 20, NULL, HTTP_RF_RAW_BODY },
	{ "GET", "/api/v1/park/export/{kind}", AUTH_A_PARK_DATA_READ, http__h_park_export, 0, NULL, 0 },
	{ "GET", "/api/v1/park/logistics", AUTH_A_PARK_INDICATORS, http__h_park_logistics, 0, NULL, 0 },
	/* park: supplier matching (api_park_match.c) */
	{ "GET", "/api/v1/park/enterprises/{id}/catalog", AUTH_A_PARK_MATCH, http__h_park_catalog_get, 0, NULL, 0 },
	{ "PUT", "/api/v1/park/enterprises/{id}/catalog", AUTH_A_PARK_MATCH, http__h_park_catalog_put, J, spec_park_catalog, 0 },
	{ "GET", "/api/v1/park/match", AUTH_A_PARK_MATCH, http__h_park_match, 0, NULL, 0 },
	{ "POST", "/api/v1/park/introductions", AUTH_A_PARK_MATCH, http__h_park_introduce, J, spec_park_intro, 0 },
	/* park: production sharing (api_park_share.c) */
	{ "GET", "/api/v1/park/enterprises/{id}/sharing", AUTH_A_PARK_DATA_READ, http__h_park_sharing_get, 0, NULL, 0 },
	{ "PUT", "/api/v1/park/enterprises/{id}/sharing", AUTH_A_PARK_DATA_WRITE, http__h_park_sharing_put, J, spec_park_sharing, 0 },
	/* park: the port-to-plant baseline, a park-wide setting (api_park_logistics.c) */
	{ "GET", "/api/v1/park/logistics/baseline", AUTH_A_PARK_INDICATORS, http__h_park_baseline_get, 0, NULL, 0 },
	{ "PUT", "/api/v1/park/logistics/baseline", AUTH_A_PARK_DATA_WRITE, http__h_park_baseline_put, J, spec_park_baseline, 0 },
};
const size_t http__nroutes = sizeof(http__routes) / sizeof(http__routes[0]);

/* Next segment of a path or pattern starting after *p's '/'; returns its
 * length and advances *p past it. */
static size_t routes__seg(const char **p)
{
	const char *s = *p, *e;
	if (*s == '/')
		s++;
	e = strchr(s, '/');
	if (!e)
		e = s + strlen(s);
	*p = e;
	return (size_t)(e - s);
}

/* 1 when path matches pattern; params filled from a. */
static int routes__match(const char *pattern, const char *path, struct pl_arena *a,
			 const char **params, size_t *np)
{
	const char *pp = pattern, *qp = path;
	size_t n = 0;

	for (;;) {
		bool pend = *pp == '\0', qend = *qp == '\0';
		if (pend || qend)
			return pend && qend ? (int)(*np = n, 1) : 0;
		const char *ps = pp + (*pp == '/'), *qs = qp + (*qp == '/');
		size_t pl = routes__seg(&pp), ql = routes__seg(&qp);
		if (pl > 2 && ps[0] == '{' && ps[pl - 1] == '}') {
			if (ql == 0 || n >= HTTP_MAX_PARAMS)
				return 0;
			if (a) {
				params[n] = pl_arena_strndup(a, qs, ql);
				if (!params[n])
					return 0;
			}
			n++;
			continue;
		}
		if (pl != ql || memcmp(ps, qs, pl) != 0)
			return 0;
	}
}

enum http_match http__route_find(const char *method, const char *path,
				 struct pl_arena *a, const struct http_route **route,
				 const char **params, size_t *np,
				 char *allow, size_t allowsz)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	struct pl_buf methods;
	enum http_match res = HTTP_MATCH_NONE;
	size_t n = 0;

	pl_buf_init(&methods, 128);
	for (size_t i = 0; i < http__nroutes; i++) {
		const struct http_route *rt = &http__routes[i];
		if (!routes__match(rt->pattern, path, NULL, params, &n))
			continue;
		if (strcmp(rt->method, m) == 0) {
			if (!routes__match(rt->pattern, path, a, params, np)) {
				res = HTTP_MATCH_NONE; /* arena exhausted: treat as no match */
				goto out;
			}
			*route = rt;
			res = HTTP_MATCH_OK;
			goto out;
		}
		res = HTTP_MATCH_METHOD;
		pl_buf_printf(&methods, "%s%s", methods.len ? ", " : "", rt->method);
		if (strcmp(rt->method, "GET") == 0)
			pl_buf_puts(&methods, ", HEAD");
	}
	if (res == HTTP_MATCH_METHOD && allow)
		pl_strlcpy(allow, methods.data ? methods.data : "", allowsz);
out:
	pl_buf_release(&methods);
	return res;
}

void http_routes_print(FILE *out)
{
	for (size_t i = 0; i < http__nroutes; i++) {
		const struct http_route *rt = &http__routes[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "method", rt->method,
				      "path", rt->pattern,
				      "action", auth_action_name(rt->action));
		char *s = pl_json_dump(o);
		fprintf(out, "%s\n", s);
		free(s);
		json_decref(o);
	}
}
