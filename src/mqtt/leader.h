/*
 * leader.h - one Sparkplug ingest for several `parkline serve` processes
 * on one PostgreSQL (scale-out, docs/scaling.md). Sparkplug's seq and
 * bdSeq state lives in the host, so exactly one process may ingest at a
 * time; the others stand by and take over when it dies.
 *
 * The leader is the process holding a PostgreSQL session-level advisory
 * lock (pg_try_advisory_lock) on a dedicated session; it runs the
 * struct mqtt_ingest of client.h for as long as it holds the lock. On
 * SQLite there is one process and it always leads. The interface mirrors
 * client.h so cli/serve.c swaps one for the other.
 */
#ifndef PL_MQTT_LEADER_H
#define PL_MQTT_LEADER_H

#include "mqtt/client.h"

struct mqtt_leader; /* opaque: lock session, election thread, the ingest while leading */

/* Copies opt (strings included; the password copy is wiped on free) and
 * starts: on SQLite the ingest at once (errors as mqtt_ingest_start), on
 * PostgreSQL the election thread, which starts the ingest when it wins.
 * Errors: PL_EINVAL (bad url), PL_EIO (thread), mqtt_ingest_start's. */
int mqtt_leader_start(const struct mqtt_ingest_options *opt, struct mqtt_leader **out);

/* As mqtt_ingest_set_publisher, kept across leadership changes; after it
 * returns with fn NULL, fn is no longer called. */
void mqtt_leader_set_publisher(struct mqtt_leader *l, mqtt_ingest_publish_fn fn, void *ctx);

/* true while this process ingests. */
bool mqtt_leader_leading(struct mqtt_leader *l);

/* parkline_ingest_leader (1/0), parkline_ingest_leader_changes_total and,
 * while leading, the ingest's counters (mqtt_ingest_metrics_render).
 * The signature fits http_options.metrics_extra (ctx: the leader). */
int mqtt_leader_metrics_render(void *ctx, struct pl_buf *b);

/* Stops the ingest (as mqtt_ingest_stop), releases the lock by ending its
 * session, frees everything. NULL is a no-op. */
void mqtt_leader_stop(struct mqtt_leader *l);

#endif /* PL_MQTT_LEADER_H */
