/* test_topic.c - Sparkplug topic parsing and formatting, one table row per
 * case, each tagged with the TCK assertion id (shared/data/sparkplug/
 * tck_assertions.tsv) it checks; STATE payloads (JSON and pre-3.0 text). */
#include <criterion/criterion.h>
#include <string.h>
#include "mqtt/mqtt.h"

struct topic_case {
	const char *tck;   /* clause checked */
	const char *topic;
	int rc;
	enum mqtt_sp_msg type;
	const char *group, *node, *device;
};

static const struct topic_case topic_cases[] = {
	{ "tck-id-topics-nbirth-topic", "spBv1.0/Sparkplug B Devices/NBIRTH/Raspberry Pi", 0,
	  MQTT_SP_NBIRTH, "Sparkplug B Devices", "Raspberry Pi", "" },
	{ "tck-id-topics-ndeath-topic", "spBv1.0/g/NDEATH/e", 0, MQTT_SP_NDEATH, "g", "e", "" },
	{ "tck-id-topics-ndata-seq-num", "spBv1.0/g/NDATA/e", 0, MQTT_SP_NDATA, "g", "e", "" },
	{ "tck-id-operational-behavior-data-commands-ncmd-rebirth-verb", "spBv1.0/g/NCMD/e", 0,
	  MQTT_SP_NCMD, "g", "e", "" },
	{ "tck-id-topics-dbirth-topic", "spBv1.0/g/DBIRTH/e/d", 0, MQTT_SP_DBIRTH, "g", "e", "d" },
	{ "tck-id-topics-ddeath-topic", "spBv1.0/g/DDEATH/e/d", 0, MQTT_SP_DDEATH, "g", "e", "d" },
	{ "tck-id-topics-ddata-seq-num", "spBv1.0/g/DDATA/e/d", 0, MQTT_SP_DDATA, "g", "e", "d" },
	{ "tck-id-topics-dcmd-topic", "spBv1.0/g/DCMD/e/d", 0, MQTT_SP_DCMD, "g", "e", "d" },
	{ "tck-id-host-topic-phid-birth-topic", "spBv1.0/STATE/scada-1", 0, MQTT_SP_STATE, "", "scada-1", "" },
	{ "tck-id-intro-group-id-string", "spBv1.0/涪陵/NDATA/灌装线1", 0, MQTT_SP_NDATA,
	  "涪陵", "灌装线1", "" },
	/* device id present exactly where required */
	{ "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
	  "spBv1.0/g/NDATA/e/d", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
	  "spBv1.0/g/NBIRTH/e/d", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topic-structure-namespace-device-id-non-associated-message-types",
	  "spBv1.0/STATE/h/x", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topic-structure-namespace-device-id-associated-message-types",
	  "spBv1.0/g/DDATA/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topic-structure-namespace-device-id-associated-message-types",
	  "spBv1.0/g/DBIRTH/e", PL_EINVAL, 0, NULL, NULL, NULL },
	/* ids: non-empty, no wildcards, UTF-8 */
	{ "tck-id-intro-group-id-chars", "spBv1.0/g+/NDATA/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-group-id-chars", "spBv1.0/#/NDATA/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-edge-node-id-chars", "spBv1.0/g/NDATA/", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-edge-node-id-chars", "spBv1.0//NDATA/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-device-id-chars", "spBv1.0/g/DDATA/e/d+", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-edge-node-id-string", "spBv1.0/g/NDATA/\xc3\x28", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-intro-edge-node-id-string", "spBv1.0/g/NDATA/\xed\xa0\x80", PL_EINVAL, 0, NULL, NULL, NULL },
	/* namespace and message type */
	{ "tck-id-topics-nbirth-topic", "spBv1.0/g/nbirth/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "spAv1.0/g/NBIRTH/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "spBv1.0/g/NBIRTHX/e", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "spBv1.0/g/NBIRTH", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "spBv1.0/g/DDATA/e/d/x", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "", PL_EINVAL, 0, NULL, NULL, NULL },
	{ "tck-id-topics-nbirth-topic", "$sparkplug/certificates/spBv1.0/g/NBIRTH/e", PL_EINVAL,
	  0, NULL, NULL, NULL },
};

Test(mqtt_topic, table)
{
	for (size_t i = 0; i < sizeof(topic_cases) / sizeof(topic_cases[0]); i++) {
		const struct topic_case *c = &topic_cases[i];
		struct mqtt_sp_topic t;
		int rc = mqtt_sp_topic_parse(c->topic, strlen(c->topic), &t);
		cr_expect_eq(rc, c->rc, "[%s] '%s': rc %d", c->tck, c->topic, rc);
		if (rc) {
			cr_expect_eq(t.node[0], '\0', "[%s] written on error", c->tck);
			continue;
		}
		cr_expect_eq(t.type, c->type, "[%s] '%s'", c->tck, c->topic);
		cr_expect_str_eq(t.group, c->group, "[%s]", c->tck);
		cr_expect_str_eq(t.node, c->node, "[%s]", c->tck);
		cr_expect_str_eq(t.device, c->device, "[%s]", c->tck);
		/* formatting gives the same topic back */
		char out[MQTT_SP_TOPIC_MAX + 1];
		cr_expect_eq(mqtt_sp_topic_format(&t, out, sizeof(out)), 0, "[%s]", c->tck);
		cr_expect_str_eq(out, c->topic, "[%s]", c->tck);
	}
}

Test(mqtt_topic, caps_and_format_errors)
{
	/* an id of exactly MQTT_SP_ID_MAX bytes is fine, one more is not */
	char big[MQTT_SP_TOPIC_MAX + 50];
	char id[MQTT_SP_ID_MAX + 2];
	memset(id, 'x', sizeof(id));
	id[MQTT_SP_ID_MAX] = '\0';
	snprintf(big, sizeof(big), "spBv1.0/g/NDATA/%s", id);
	struct mqtt_sp_topic t;
	cr_expect_eq(mqtt_sp_topic_parse(big, strlen(big), &t), 0);
	id[MQTT_SP_ID_MAX] = 'x';
	id[MQTT_SP_ID_MAX + 1] = '\0';
	snprintf(big, sizeof(big), "spBv1.0/g/NDATA/%s", id);
	cr_expect_eq(mqtt_sp_topic_parse(big, strlen(big), &t), PL_EINVAL);
	memset(big, 'a', sizeof(big));
	cr_expect_eq(mqtt_sp_topic_parse(big, MQTT_SP_TOPIC_MAX + 1, &t), PL_ETOOBIG);
	/* embedded NUL inside the length */
	cr_expect_eq(mqtt_sp_topic_parse("spBv1.0/g/NDATA/e\0x", 19, &t), PL_EINVAL);

	struct mqtt_sp_topic bad = { .type = MQTT_SP_NDATA, .group = "g", .node = "e", .device = "d" };
	char out[64];
	cr_expect_eq(mqtt_sp_topic_format(&bad, out, sizeof(out)), PL_EINVAL);
	bad.type = MQTT_SP_DDATA;
	cr_expect_eq(mqtt_sp_topic_format(&bad, out, 8), PL_ETOOBIG);
	cr_expect_eq(mqtt_sp_topic_format(&bad, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "spBv1.0/g/DDATA/e/d");
	bad.node[0] = '\0';
	cr_expect_eq(mqtt_sp_topic_format(&bad, out, sizeof(out)), PL_EINVAL);
}

struct state_case {
	const char *tck;
	const char *in;
	int rc;
	bool online;
	int64_t ts;
};
static const struct state_case state_cases[] = {
	{ "tck-id-host-topic-phid-birth-payload", "{\"online\":true,\"timestamp\":1668114759262}", 0, true, 1668114759262 },
	{ "tck-id-host-topic-phid-death-payload", "{\"online\":false,\"timestamp\":1668114759262}", 0, false, 1668114759262 },
	{ "tck-id-host-topic-phid-birth-payload", "{\"timestamp\":5,\"online\":true}", 0, true, 5 },
	{ "pre-3.0 STATE (trap 5)", "ONLINE", 0, true, -1 },
	{ "pre-3.0 STATE (trap 5)", "OFFLINE", 0, false, -1 },
	{ "tck-id-host-topic-phid-birth-payload", "{\"online\":true}", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "{\"online\":\"true\",\"timestamp\":1}", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "{\"online\":true,\"timestamp\":-1}", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "{\"online\":true,\"timestamp\":1.5}", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "online", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "[true,1]", PL_EINVAL, false, 0 },
	{ "tck-id-host-topic-phid-birth-payload", "", PL_EINVAL, false, 0 },
};

Test(mqtt_state, parse_and_format)
{
	for (size_t i = 0; i < sizeof(state_cases) / sizeof(state_cases[0]); i++) {
		const struct state_case *c = &state_cases[i];
		bool on = !c->online;
		int64_t ts = 42;
		int rc = mqtt_sp_state_parse(c->in, strlen(c->in), &on, &ts);
		cr_expect_eq(rc, c->rc, "[%s] '%s': rc %d", c->tck, c->in, rc);
		if (rc)
			continue;
		cr_expect_eq(on, c->online, "[%s] '%s'", c->tck, c->in);
		cr_expect_eq(ts, c->ts, "[%s] '%s'", c->tck, c->in);
	}
	char out[64];
	/* tck-id-message-flow-phid-sparkplug-state-publish-payload */
	cr_expect_eq(mqtt_sp_state_format(true, 1668114759262, out, sizeof(out)), 0);
	cr_expect_str_eq(out, "{\"online\":true,\"timestamp\":1668114759262}");
	cr_expect_eq(mqtt_sp_state_format(false, 7, out, 10), PL_ETOOBIG);
	cr_expect_eq(mqtt_sp_state_format(false, -7, out, sizeof(out)), PL_EINVAL);
}
