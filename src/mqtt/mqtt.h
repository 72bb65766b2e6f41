/*
 * mqtt.h - the public face of the mqtt module (prefix mqtt_): the pure core
 * of Parkline's Sparkplug B 3.0 host application.
 *
 *  - topics: spBv1.0/<group>/<type>/<edge>[/<device>] and spBv1.0/STATE/<host>
 *    parsed and validated (mqtt_sp_topic_*);
 *  - payloads: the protobuf payload decoded into plain structs and encoded
 *    back (mqtt_sp_decode / mqtt_sp_encode) over protobuf-c, with a
 *    hand-written reader for the common all-scalar payload in front of the
 *    decoder (src/mqtt/payload.c NOTES ON THE FAST PATH), with every
 *    datatype, the signed-integer and array encodings (mqtt_sp_value_*,
 *    mqtt_sp_array_*); the same payload from Tahu-style JSON for gateways
 *    (mqtt_sp_from_json); and the JSON STATE message;
 *  - sessions: one struct mqtt_sp_node per edge node applies the bdSeq / seq
 *    / birth / death / alias rules and says, for each message, whether to
 *    apply it, request a rebirth, or mark metrics stale (mqtt_sp_node_*).
 *
 * Nothing here touches the network, the clock or the store: the ingest
 * loop (libmosquitto callback -> worker) feeds messages in and acts on the
 * verdicts, so every rule is testable as a table. protobuf-c types never
 * leave the module; the schema is src/mqtt/sparkplug_b.proto, compiled by
 * protoc-c at build time.
 *
 * Conformance: comments name the Sparkplug TCK assertion ids (tck-id-...)
 * a rule implements; tests/unit/mqtt tag each case with the same id.
 */
#ifndef PL_MQTT_H
#define PL_MQTT_H

#include "core/core.h"

/* ----------------------------------------------------------------- topics */
#define MQTT_SP_NAMESPACE "spBv1.0"
/* Longest group, edge node, device or host id we accept, in bytes. The
 * spec sets no limit; ours keeps ids printable in logs and keys. */
#define MQTT_SP_ID_MAX 128
/* Longest whole topic we accept (namespace + 4 ids + separators fit). */
#define MQTT_SP_TOPIC_MAX 600

enum mqtt_sp_msg {
	MQTT_SP_NBIRTH, MQTT_SP_NDEATH, MQTT_SP_NDATA, MQTT_SP_NCMD,
	MQTT_SP_DBIRTH, MQTT_SP_DDEATH, MQTT_SP_DDATA, MQTT_SP_DCMD,
	MQTT_SP_STATE,
};

struct mqtt_sp_topic {
	enum mqtt_sp_msg type;
	char group[MQTT_SP_ID_MAX + 1];  /* "" for STATE */
	char node[MQTT_SP_ID_MAX + 1];   /* edge node id; host id for STATE */
	char device[MQTT_SP_ID_MAX + 1]; /* "" unless D* */
};

/* Parses topic[0..len) (no NUL needed). Checks the namespace, the message
 * type, that each id is non-empty valid UTF-8 of at most MQTT_SP_ID_MAX
 * bytes without '+', '#' or NUL, and that a device id is present exactly on
 * DBIRTH/DDEATH/DDATA/DCMD (tck-id-topic-structure-namespace-device-id-*).
 * Errors: PL_EINVAL (not Sparkplug, or malformed; *out is zeroed),
 * PL_ETOOBIG (longer than MQTT_SP_TOPIC_MAX). */
int mqtt_sp_topic_parse(const char *topic, size_t len, struct mqtt_sp_topic *out);
/* Writes the topic for t into out (NUL-terminated). Errors: PL_EINVAL (t
 * invalid by the rules above), PL_ETOOBIG (outsz too small). */
int mqtt_sp_topic_format(const struct mqtt_sp_topic *t, char *out, size_t outsz);
/* "NBIRTH", ... ; static storage. */
const char *mqtt_sp_msg_name(enum mqtt_sp_msg m);

/* --------------------------------------------------------------- datatypes */
enum mqtt_sp_dt {
	MQTT_SP_DT_UNKNOWN = 0,
	MQTT_SP_DT_INT8 = 1, MQTT_SP_DT_INT16, MQTT_SP_DT_INT32, MQTT_SP_DT_INT64,
	MQTT_SP_DT_UINT8, MQTT_SP_DT_UINT16, MQTT_SP_DT_UINT32, MQTT_SP_DT_UINT64,
	MQTT_SP_DT_FLOAT, MQTT_SP_DT_DOUBLE, MQTT_SP_DT_BOOLEAN, MQTT_SP_DT_STRING,
	MQTT_SP_DT_DATETIME, MQTT_SP_DT_TEXT, MQTT_SP_DT_UUID, MQTT_SP_DT_DATASET,
	MQTT_SP_DT_BYTES, MQTT_SP_DT_FILE, MQTT_SP_DT_TEMPLATE,
	MQTT_SP_DT_PROPERTYSET, MQTT_SP_DT_PROPERTYSETLIST,
	MQTT_SP_DT_INT8_ARRAY = 22, MQTT_SP_DT_INT16_ARRAY, MQTT_SP_DT_INT32_ARRAY,
	MQTT_SP_DT_INT64_ARRAY, MQTT_SP_DT_UINT8_ARRAY, MQTT_SP_DT_UINT16_ARRAY,
	MQTT_SP_DT_UINT32_ARRAY, MQTT_SP_DT_UINT64_ARRAY, MQTT_SP_DT_FLOAT_ARRAY,
	MQTT_SP_DT_DOUBLE_ARRAY, MQTT_SP_DT_BOOLEAN_ARRAY, MQTT_SP_DT_STRING_ARRAY,
	MQTT_SP_DT_DATETIME_ARRAY = 34,
};
#define MQTT_SP_DT_MAX MQTT_SP_DT_DATETIME_ARRAY
/* "Int8", ...; "?" outside 0..34. Static storage. */
const char *mqtt_sp_dt_name(uint32_t dt);

/* Which field of the Metric `value` oneof travelled (the wire numbers). */
enum mqtt_sp_field {
	MQTT_SP_F_NONE = 0,
	MQTT_SP_F_INT = 10,      /* int_value, uint32 */
	MQTT_SP_F_LONG = 11,     /* long_value, uint64 */
	MQTT_SP_F_FLOAT = 12,
	MQTT_SP_F_DOUBLE = 13,
	MQTT_SP_F_BOOL = 14,
	MQTT_SP_F_STRING = 15,
	MQTT_SP_F_BYTES = 16,
	MQTT_SP_F_DATASET = 17,  /* decoded only as "present" (see NOTES) */
	MQTT_SP_F_TEMPLATE = 18, /* likewise */
	MQTT_SP_F_EXTENSION = 19,
};

/* A value as it travelled: which field, and its raw content. */
struct mqtt_sp_raw {
	enum mqtt_sp_field field;
	uint64_t u;              /* F_INT (zero-extended), F_LONG */
	float f;                 /* F_FLOAT */
	double d;                /* F_DOUBLE */
	bool b;                  /* F_BOOL */
	const uint8_t *p;        /* F_STRING (NUL-terminated), F_BYTES; borrowed */
	size_t n;                /* length of p in bytes */
};

/* A value as Parkline uses it, after the datatype is applied. */
enum mqtt_sp_kind {
	MQTT_SP_V_NULL,   /* is_null, or no value */
	MQTT_SP_V_INT,    /* i: Int8..Int64 sign-extended, DateTime (ms UTC) */
	MQTT_SP_V_UINT,   /* u: UInt8..UInt64 */
	MQTT_SP_V_REAL,   /* d: Float (widened exactly), Double */
	MQTT_SP_V_BOOL,   /* b */
	MQTT_SP_V_STRING, /* s,n: String, Text, UUID; borrowed, NUL-terminated */
	MQTT_SP_V_BYTES,  /* s,n: Bytes, File and every *Array (see mqtt_sp_array_*) */
	MQTT_SP_V_OTHER,  /* DataSet, Template, extension: not interpreted here */
};
struct mqtt_sp_value {
	enum mqtt_sp_kind kind;
	int64_t i;
	uint64_t u;
	double d;
	bool b;
	const char *s; /* borrowed from whatever raw value it came from */
	size_t n;
};

/* Applies datatype dt to a raw value. The field must be the one the
 * datatype table assigns (Int8..Int32, UInt8..UInt32 -> int_value; Int64,
 * UInt64, DateTime -> long_value; ...). Signed types take the low N bits
 * and sign-extend, so both the Tahu Java form (Int8 -1 sent as 4294967295)
 * and the Tahu Python form (sent as 255) decode to -1; unsigned types must
 * fit their width. Errors: PL_EINVAL (field does not match dt, value out
 * of range for an unsigned width, unknown dt, or a String that is not
 * valid UTF-8). *out is written only on success. */
int mqtt_sp_value_from_raw(uint32_t dt, const struct mqtt_sp_raw *raw,
			   struct mqtt_sp_value *out);
/* The inverse: the raw field for value v of datatype dt. Signed widths are
 * sent in their N-bit two's complement form (Int8 -1 -> 255: the smallest
 * varint, and both Tahu decoders read it back as -1). The raw value borrows
 * v's string/bytes. Errors: PL_EINVAL (kind does not suit dt, or the value
 * does not fit the width). */
int mqtt_sp_value_to_raw(uint32_t dt, const struct mqtt_sp_value *v,
			 struct mqtt_sp_raw *out);

/* The number a series point stores for v: INT, UINT, REAL as themselves
 * (64-bit integers above 2^53 round to the nearest double), BOOL as 0/1.
 * Errors: PL_EINVAL (NULL, strings, bytes, other: not a series value). */
int mqtt_sp_value_to_double(const struct mqtt_sp_value *v, double *out);

/* ------------------------------------------------------------------ arrays
 * *Array datatypes travel in bytes_value: numbers little-endian at the
 * type's width; BooleanArray = 4-byte LE count then bits MSB-first, last
 * byte padded; StringArray = NUL-terminated UTF-8 strings; DateTimeArray =
 * 8-byte LE ms each. Element kinds follow mqtt_sp_value_from_raw. */
#define MQTT_SP_ARRAY_MAX (1u << 20) /* elements per array we decode */
/* Counts the elements of array p[0..n) of datatype dt, checking its
 * framing. Errors: PL_EINVAL (not an array type, length not a multiple of
 * the width, BooleanArray length not 4 + ceil(count/8), StringArray not
 * NUL-terminated or not UTF-8), PL_ETOOBIG (more than MQTT_SP_ARRAY_MAX). */
int mqtt_sp_array_count(uint32_t dt, const uint8_t *p, size_t n, size_t *count);
/* Decodes into vals[0..max); *count gets the element count. String
 * elements borrow p. Errors: as mqtt_sp_array_count, and PL_ETOOBIG when
 * count > max (nothing written past max). */
int mqtt_sp_array_decode(uint32_t dt, const uint8_t *p, size_t n,
			 struct mqtt_sp_value *vals, size_t max, size_t *count);
/* Appends the encoding of vals[0..count) to out. Errors: PL_EINVAL (a
 * value does not suit dt), PL_ETOOBIG (out's cap). */
int mqtt_sp_array_encode(uint32_t dt, const struct mqtt_sp_value *vals,
			 size_t count, struct pl_buf *out);

/* ---------------------------------------------------------------- payloads */
/* Largest payload we decode, and the most memory its decoding may take
 * (protobuf-c allocates per element, so a tiny wire metric costs ~200
 * bytes of structs; the cap makes that bounded, not input-driven). */
#define MQTT_SP_PAYLOAD_MAX (1u << 20)
#define MQTT_SP_DECODE_MEM_MAX (32u << 20)

struct mqtt_sp_metric {
	const char *name;       /* NULL when absent (aliased DATA); borrowed */
	bool has_alias;
	uint64_t alias;
	bool has_timestamp;
	uint64_t timestamp;     /* ms UTC */
	bool has_datatype;
	uint32_t datatype;      /* enum mqtt_sp_dt when has_datatype */
	bool is_historical;
	bool is_transient;
	bool is_null;
	struct mqtt_sp_raw raw; /* the value as sent */
	/* Template value facts a birth check needs (F_TEMPLATE only). */
	bool tmpl_is_definition;
	const char *tmpl_ref;   /* NULL when absent; borrowed */
};

struct mqtt_sp_payload {
	bool has_timestamp;
	uint64_t timestamp;            /* ms UTC */
	bool has_seq;
	uint64_t seq;
	const char *uuid;              /* NULL when absent; borrowed */
	size_t n_metrics;
	struct mqtt_sp_metric *metrics; /* owned by the payload */
	void *pb__;                    /* internal: the protobuf-c message */
};

/* A decode error says where. */
struct mqtt_sp_error {
	char text[160];
	long metric; /* index of the offending metric, -1 for the payload */
};

/* Decodes a Sparkplug payload (not STATE: that is JSON). Checks: the
 * protobuf is well formed, each metric's value field suits its datatype
 * when one is given (a metric with a datatype and no value must say
 * is_null), datatypes are 0..34, strings are UTF-8. It does NOT check the
 * per-message rules (births, seq): mqtt_sp_node_feed does. *out is a new
 * payload the caller frees with mqtt_sp_payload_free; every borrowed
 * pointer in it lives as long as it does (not as long as buf).
 * Errors: PL_ETOOBIG (len > MQTT_SP_PAYLOAD_MAX or decode memory cap),
 * PL_EPARSE (not a valid protobuf), PL_EINVAL (a metric breaks a rule
 * above); err (may be NULL) says which. */
int mqtt_sp_decode(const void *buf, size_t len, struct mqtt_sp_payload **out,
		   struct mqtt_sp_error *err);
void mqtt_sp_payload_free(struct mqtt_sp_payload *p);

/* The same payload from JSON, in the shape Eclipse Tahu prints and the
 * spec's examples use (for gateways that cannot speak protobuf, and the
 * HTTP batch endpoint):
 *   {"timestamp": ms, "seq": n, "uuid": "...", "metrics": [{"name": "...",
 *    "alias": n, "timestamp": ms, "dataType": "Int16" | 2, "value": ...,
 *    "is_null": bool, "is_historical": bool, "is_transient": bool}]}
 * Every metric needs dataType. Values: integers for the integer types and
 * DateTime (range-checked for the width), numbers for Float/Double,
 * true/false, strings for String/Text/UUID, JSON arrays of those for the
 * *Array types (encoded into bytes_value as protobuf would carry them);
 * null or no value means is_null. Unknown fields are refused. Bytes, File,
 * DataSet, Template and PropertySet values: PL_EUNSUPPORTED. Depth cap 4.
 * The result is like mqtt_sp_decode's (free with mqtt_sp_payload_free)
 * and goes through mqtt_sp_node_feed the same way. Errors: PL_ETOOBIG
 * (len > MQTT_SP_PAYLOAD_MAX), PL_EPARSE (not JSON), PL_EINVAL (a rule
 * above), PL_EUNSUPPORTED; err (may be NULL) says which metric. */
int mqtt_sp_from_json(const char *buf, size_t len, struct mqtt_sp_payload **out,
		      struct mqtt_sp_error *err);

/* Encodes p (built by the caller: pb__ ignored, metrics[i].raw used as
 * given) and appends the bytes to out. Errors: PL_EINVAL (a raw field the
 * encoder cannot send: DATASET, TEMPLATE, EXTENSION), PL_ETOOBIG (out's
 * cap). */
int mqtt_sp_encode(const struct mqtt_sp_payload *p, struct pl_buf *out);

/* The Rebirth request NCMD payload: timestamp now_ms, one metric
 * 'Node Control/Rebirth' Boolean true, no seq
 * (tck-id-operational-behavior-data-commands-ncmd-rebirth-*,
 *  tck-id-payloads-ncmd-seq). */
int mqtt_sp_rebirth_encode(int64_t now_ms, struct pl_buf *out);

/* ------------------------------------------------------------------- STATE
 * Host STATE payloads: 3.0 JSON {"online":bool,"timestamp":ms}; pre-3.0
 * plain "ONLINE"/"OFFLINE" (then *ts = -1). Never protobuf. */
int mqtt_sp_state_parse(const void *buf, size_t len, bool *online, int64_t *ts);
/* Writes {"online":true|false,"timestamp":ts} into out (NUL-terminated).
 * PL_ETOOBIG when outsz is too small (64 bytes always suffice). */
int mqtt_sp_state_format(bool online, int64_t ts, char *out, size_t outsz);

/* ---------------------------------------------------------------- sessions
 * One struct mqtt_sp_node per edge node descriptor (group + edge node) on
 * the host side. It holds the birth certificate (every metric's name,
 * alias, datatype, and the device it belongs to), bdSeq, the next seq, and
 * which devices are online. Not thread-safe: one ingest worker owns it.
 *
 * NOTES ON THE DESIGN
 * 1. seq is one counter per edge node shared by NBIRTH, DBIRTH, NDATA,
 *    DDATA and DDEATH, wrapping 255 -> 0. NBIRTH may carry any 0..255 and
 *    sets the counter. A message whose seq equals the previous one is a
 *    duplicate and is dropped. Any other mismatch is a gap: the message is
 *    still applied (its values are newer than what we hold), the counter
 *    resyncs to it, and a rebirth is requested. We do not wait a reorder
 *    timeout: mosquitto delivers one publisher's QoS 0 messages in order,
 *    so a gap means loss, not reordering.
 * 2. A rebirth request is rate-limited per node (rebirth_interval_ms): the
 *    verdict says `rebirth` only when the last request is old enough.
 * 3. DATA before any NBIRTH (or after NDEATH) is not applied: we cannot
 *    resolve its aliases or trust its types; a rebirth is requested.
 *    DDATA/DDEATH for a device without DBIRTH likewise.
 * 4. An unknown alias or name in DATA, or a value whose field does not
 *    suit the birth's datatype, rejects the whole message (never a
 *    half-applied one) and requests a rebirth: the birth we hold is stale.
 * 5. NDEATH: a bdSeq equal to the NBIRTH's marks the node, its devices and
 *    all their metrics stale, and forgets the birth. Another bdSeq is a
 *    late Will from an older session: ignored. bdSeq may be Int64 or
 *    UInt64 (trap 3).
 * 5a. NDATA/DDATA whose payload or metric timestamp lies more than
 *    max_future_ms past the host's clock are dropped (cause FUTURE_TIME)
 *    without a rebirth: a rebirth cannot fix an edge node's clock, and
 *    storing them would put points where no query expects them. Births
 *    are not checked: refusing them would lock the node out entirely.
 * 6. A birth that breaks the rules (no bdSeq, Rebirth metric missing,
 *    aliased or not false, duplicate alias or name, metric without name,
 *    datatype or timestamp, template definition in DBIRTH) is not applied;
 *    the node keeps no birth and a rebirth is requested.
 * Work per message is O(m log n) for m metrics against n known metrics;
 * a node holds at most MQTT_SP_NODE_METRICS_MAX metrics and
 * MQTT_SP_NODE_DEVICES_MAX devices.
 */
#define MQTT_SP_NODE_METRICS_MAX 100000
#define MQTT_SP_NODE_DEVICES_MAX 4096

struct mqtt_sp_node; /* opaque */

/* Why the verdict came out as it did; one counter per cause in /metrics. */
enum mqtt_sp_cause {
	MQTT_SP_C_OK,
	MQTT_SP_C_SEQ_GAP,        /* applied, rebirth requested */
	MQTT_SP_C_DUPLICATE,      /* seq repeats the previous message: dropped */
	MQTT_SP_C_NO_BIRTH,       /* DATA/DBIRTH/DDEATH before NBIRTH or DBIRTH */
	MQTT_SP_C_UNKNOWN_METRIC, /* alias or name not in the birth */
	MQTT_SP_C_BAD_BIRTH,      /* a birth broke a rule (see notes) */
	MQTT_SP_C_BAD_DATA,       /* a DATA metric broke a rule */
	MQTT_SP_C_MISSING_SEQ,    /* a message that must carry seq did not */
	MQTT_SP_C_OLD_DEATH,      /* NDEATH with another session's bdSeq */
	MQTT_SP_C_COMMAND,        /* NCMD/DCMD/STATE: not edge data, ignored */
	MQTT_SP_C_WRONG_NODE,     /* topic names another edge node */
	MQTT_SP_C_FUTURE_TIME,    /* DATA stamped past now + max_future_ms: dropped */
};
#define MQTT_SP_C_COUNT (MQTT_SP_C_FUTURE_TIME + 1)
const char *mqtt_sp_cause_name(enum mqtt_sp_cause c); /* "seq_gap", ... */

enum mqtt_sp_stale { MQTT_SP_STALE_NONE, MQTT_SP_STALE_NODE, MQTT_SP_STALE_DEVICE };

struct mqtt_sp_verdict {
	bool apply;               /* store the metrics (resolve each with mqtt_sp_node_resolve) */
	bool rebirth;             /* send a Rebirth NCMD now (already rate-limited) */
	enum mqtt_sp_stale stale; /* mark node+devices, or topic's device, stale */
	int64_t stale_at_ms;      /* when: host time for NDEATH, payload time for DDEATH */
	enum mqtt_sp_cause cause;
	char detail[160];         /* a sentence for the log, "" when OK */
	/* NDATA/DDATA with apply: metric i of the payload as the session
	 * check resolved it (bindings[i]) and converted its value with the
	 * birth's datatype (values[i], borrowing p's strings), so the caller
	 * resolves nothing again. Node-owned, valid until the next feed; NULL
	 * for every other verdict (births: use mqtt_sp_node_resolve). */
	const struct mqtt_sp_binding *bindings;
	const struct mqtt_sp_value *values;
};

struct mqtt_sp_node_options {
	int64_t rebirth_interval_ms; /* min gap between rebirth requests; 0: 5000 */
	int64_t max_future_ms;       /* DATA timestamps allowed ahead of now; 0: 300000 */
};

/* group and node are copied. Errors: PL_EINVAL (ids invalid as topic ids). */
int mqtt_sp_node_new(const char *group, const char *node,
		     const struct mqtt_sp_node_options *opt, struct mqtt_sp_node **out);
void mqtt_sp_node_free(struct mqtt_sp_node *n);

/* Feeds one message for this node: t from mqtt_sp_topic_parse, p from
 * mqtt_sp_decode (NULL when the payload did not decode: that requests a
 * rebirth, cause BAD_DATA). now_ms is the host's clock. Always fills *v;
 * returns 0, or PL_EINVAL when t names another node (cause WRONG_NODE).
 * After a verdict with apply = true, and until the next feed, each of
 * p's metrics resolves with mqtt_sp_node_resolve; for NDATA/DDATA
 * v->bindings and v->values already hold the result. */
int mqtt_sp_node_feed(struct mqtt_sp_node *n, const struct mqtt_sp_topic *t,
		      const struct mqtt_sp_payload *p, int64_t now_ms,
		      struct mqtt_sp_verdict *v);

/* What the birth says about one metric. */
struct mqtt_sp_binding {
	const char *name;   /* borrowed from the node; valid until its next birth */
	const char *device; /* "" for node metrics; likewise borrowed */
	uint32_t datatype;
	uint32_t index;     /* stable within one birth: a series key */
};
/* Resolves metric m of a message for device ("" for node-level) by alias,
 * else by name. Errors: PL_ENOTFOUND. */
int mqtt_sp_node_resolve(const struct mqtt_sp_node *n, const char *device,
			 const struct mqtt_sp_metric *m, struct mqtt_sp_binding *out);
/* Changes whenever a birth, death or reindex may have moved the metric
 * table, so a caller may cache per binding index while it stays equal
 * (the ingest worker's series lookup). */
uint64_t mqtt_sp_node_generation(const struct mqtt_sp_node *n);

/* State for the control room. */
bool mqtt_sp_node_online(const struct mqtt_sp_node *n);
/* -1 before the first NBIRTH. */
int64_t mqtt_sp_node_bdseq(const struct mqtt_sp_node *n);
/* Device online? false when unknown. */
bool mqtt_sp_node_device_online(const struct mqtt_sp_node *n, const char *device);
/* Number of metrics the current birth(s) define. */
size_t mqtt_sp_node_metric_count(const struct mqtt_sp_node *n);

#endif /* PL_MQTT_H */
