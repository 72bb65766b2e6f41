/*
 * mqtt_int.h - what the mqtt module's own files share (not for other
 * modules).
 */
#ifndef PL_MQTT_INT_H
#define PL_MQTT_INT_H

#include "mqtt/mqtt.h"

/* true when p[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). NUL bytes are allowed here; callers that need
 * C strings check for them. */
bool mqtt__utf8_valid(const uint8_t *p, size_t n);
/* A Sparkplug id: 1..MQTT_SP_ID_MAX bytes of UTF-8, no '/', '+', '#', NUL. */
bool mqtt__id_valid(const char *s, size_t n);

/* Which decoder reads a Sparkplug payload (src/mqtt/payload.c NOTES ON
 * THE FAST PATH): AUTO is mqtt_sp_decode (the hand-written reader, else
 * protobuf-c); FAST only the hand-written reader, which returns
 * PL_EUNSUPPORTED (*out NULL) where it declines; PBC only protobuf-c. For
 * the differential tests and the fuzz target, which compare FAST and PBC. */
enum mqtt__decoder { MQTT__DEC_AUTO, MQTT__DEC_FAST, MQTT__DEC_PBC };
int mqtt__sp_decode_with(enum mqtt__decoder which, const void *buf, size_t len,
			 struct mqtt_sp_payload **out, struct mqtt_sp_error *err);
/* true when a and b hold the same values field by field (strings and
 * bytes by content and NULL-ness, floats by bit pattern); else why says
 * the first difference. */
bool mqtt__sp_payload_same(const struct mqtt_sp_payload *a, const struct mqtt_sp_payload *b,
			   char *why, size_t whysz);

#endif
