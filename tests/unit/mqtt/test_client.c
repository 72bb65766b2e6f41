/* test_client.c - the parts of the MQTT ingest (src/mqtt/client.c) that
 * need no broker: broker URL parsing as a table, option validation, and a
 * start/stop life cycle against a port where nothing listens (the loop
 * keeps retrying; stop must still return promptly and free everything -
 * ASan checks the latter). The broker path is tested end to end by
 * tests/line/ingest.mjs (tests/steps/35-line.sh).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mqtt/client.h"

Test(mqtt_client, url_parse)
{
	static const struct { const char *url; int rc; const char *host; int port; } cases[] = {
		{ "mqtt://127.0.0.1:1883", 0, "127.0.0.1", 1883 },
		{ "mqtt://broker.example", 0, "broker.example", 1883 },
		{ "tcp://localhost:65535", 0, "localhost", 65535 },
		{ "mqtt://h:1", 0, "h", 1 },
		{ "mqtt://h:0", PL_EINVAL, NULL, 0 },
		{ "mqtt://h:65536", PL_EINVAL, NULL, 0 },
		{ "mqtt://h:", PL_EINVAL, NULL, 0 },
		{ "mqtt://h:x1", PL_EINVAL, NULL, 0 },
		{ "mqtt://:1883", PL_EINVAL, NULL, 0 },
		{ "mqtt://", PL_EINVAL, NULL, 0 },
		{ "mqtt://h/path:1883", PL_EINVAL, NULL, 0 },
		{ "http://h:1883", PL_EINVAL, NULL, 0 },
		{ "mqtts://h:8883", PL_EINVAL, NULL, 0 }, /* TLS not supported yet */
		{ "127.0.0.1:1883", PL_EINVAL, NULL, 0 },
		{ "", PL_EINVAL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[256] = "";
		int port = -1;
		int rc = mqtt_ingest_url_parse(cases[i].url, host, sizeof(host), &port);
		cr_expect_eq(rc, cases[i].rc, "'%s': %d", cases[i].url, rc);
		if (rc == 0 && cases[i].rc == 0) {
			cr_expect_str_eq(host, cases[i].host, "'%s'", cases[i].url);
			cr_expect_eq(port, cases[i].port, "'%s'", cases[i].url);
		}
	}
	/* a host longer than the caller's buffer is refused, not truncated */
	char small[4];
	int port;
	cr_expect_eq(mqtt_ingest_url_parse("mqtt://longhost:1", small, sizeof(small), &port), PL_EINVAL);
}

Test(mqtt_client, bad_options)
{
	static const struct { const char *url, *host_id; } cases[] = {
		{ "http://127.0.0.1:1", "parkline" },
		{ "mqtt://127.0.0.1:1", "bad+id" }, /* '+' is not allowed in a topic id */
		{ "mqtt://127.0.0.1:1", "bad/id" },
		{ "mqtt://127.0.0.1:1", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mqtt_ingest_options o = { .url = cases[i].url, .host_id = cases[i].host_id };
		struct mqtt_ingest *g = (void *)1;
		cr_expect_eq(mqtt_ingest_start(&o, &g), PL_EINVAL, "case %zu", i);
		cr_expect_null(g, "case %zu", i);
	}
}

/* Port 1 on loopback: nothing listens there for an unprivileged test and
 * the connection is refused at once, so the loop is in its retry path. */
Test(mqtt_client, start_stop_without_broker, .timeout = 30)
{
	struct mqtt_ingest_options o = { .url = "mqtt://127.0.0.1:1", .host_id = "unit" };
	struct mqtt_ingest *g = NULL;
	struct pl_buf b;

	cr_assert_eq(mqtt_ingest_start(&o, &g), 0);
	cr_assert_not_null(g);
	pl_buf_init(&b, 1u << 16);
	cr_assert_eq(mqtt_ingest_metrics_render(g, &b), 0);
	cr_expect_not_null(strstr(b.data, "parkline_line_ingest_connected 0\n"));
	cr_expect_not_null(strstr(b.data, "parkline_line_ingest_rejects_total{cause=\"seq_gap\"} 0\n"));
	cr_expect_not_null(strstr(b.data, "parkline_line_ingest_rejects_total{cause=\"queue_full\"} 0\n"));
	cr_expect_null(strstr(b.data, "cause=\"ok\""), "OK is not a reject");
	pl_buf_release(&b);
	/* a cap too small for the text is an error, not a truncation */
	pl_buf_init(&b, 64);
	cr_expect_eq(mqtt_ingest_metrics_render(g, &b), PL_ETOOBIG);
	pl_buf_release(&b);
	mqtt_ingest_stop(g);
	mqtt_ingest_stop(NULL);
}
