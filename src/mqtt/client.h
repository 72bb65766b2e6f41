/*
 * client.h - Parkline's Sparkplug B host application on a real MQTT broker
 * (libmosquitto): the ingest path from the broker into the series store.
 *
 * `parkline serve --mqtt mqtt://HOST:PORT` starts one struct mqtt_ingest.
 * It subscribes to spBv1.0/# at QoS 1, publishes our host STATE (birth
 * retained on connect, the same message with online=false as the Will),
 * and feeds every message through the session rules in mqtt.h
 * (mqtt_sp_node_feed) in a worker thread; applied metrics become points
 * in src/line/repo.c, rebirth verdicts become NCMD Rebirth requests, and
 * NDEATH/DDEATH mark last values stale. Counters for every reject cause
 * are rendered by mqtt_ingest_metrics_render.
 */
#ifndef PL_MQTT_CLIENT_H
#define PL_MQTT_CLIENT_H

#include "core/core.h"
#include "store/store.h"

struct mqtt_ingest; /* opaque: mosquitto handle, queue, worker, sessions */
struct desk_svc;    /* src/desk/repo.h */

/* Where live updates go (the SSE hub, wired by cli/serve.c): event "line"
 * with a tile, "alarm" with an alarm change; data is one line of JSON,
 * borrowed for the call. Called from the ingest worker; must not block. */
typedef void (*mqtt_ingest_publish_fn)(void *ctx, const char *event, const char *enterprise_id,
				       const char *data);

struct mqtt_ingest_options {
	const char *url;       /* "mqtt://HOST[:PORT]" (default port 1883) */
	const char *host_id;   /* our Sparkplug host id; NULL: "parkline" */
	struct store *store;   /* borrowed; must outlive the ingest */
	struct pl_log *log;    /* borrowed; may be NULL */
	int flush_ms;          /* how often points are committed; 0: 250 */
	size_t queue_max;      /* messages waiting for the worker; 0: 65536 */
	/* safety alarms open an urgent desk request through this
	 * (borrowed, may be NULL: no requests) */
	const struct desk_svc *desk;
	int tick_ms;           /* stale-alarm / shelving timer; 0: 1000 */
	/* broker credentials (`parkline admin mqtt` writes them);
	 * NULL or "": connect anonymously. Borrowed for mqtt_ingest_start. */
	const char *username;
	const char *password;
};

/* Parses url into host and port. Errors: PL_EINVAL (not mqtt://, empty
 * or over-long host, port not 1..65535). */
int mqtt_ingest_url_parse(const char *url, char *host, size_t hostsz, int *port);

/* Starts the worker and the network thread (client.c NOTES 12) and begins
 * connecting (it retries in the background, so a broker that starts later
 * is fine). Errors: PL_EINVAL (bad url or host id), PL_EIO (libmosquitto
 * or thread start failed). */
int mqtt_ingest_start(const struct mqtt_ingest_options *opt, struct mqtt_ingest **out);

/* Sets (or, with fn NULL, clears) where live updates go; thread-safe.
 * After it returns with NULL, fn is no longer called, so the caller may
 * free ctx. */
void mqtt_ingest_set_publisher(struct mqtt_ingest *g, mqtt_ingest_publish_fn fn, void *ctx);

/* Publishes STATE offline, disconnects, drains the queue, commits what is
 * pending and frees everything. NULL is a no-op. */
void mqtt_ingest_stop(struct mqtt_ingest *g);

/* Appends the counters in Prometheus text format to b
 * (parkline_line_ingest_*). Thread-safe. Errors: PL_ETOOBIG (b's cap). */
int mqtt_ingest_metrics_render(struct mqtt_ingest *g, struct pl_buf *b);

#endif /* PL_MQTT_CLIENT_H */
