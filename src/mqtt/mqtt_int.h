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

#endif
