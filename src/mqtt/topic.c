/*
 * topic.c - Sparkplug B topic names: spBv1.0/<group>/<type>/<edge>[/<dev>]
 * and spBv1.0/STATE/<host>. Parsing is strict (what the host accepts from
 * the broker decides which edge node state a message may touch), and
 * formatting refuses anything parsing would refuse, so the two round-trip.
 */
#include "mqtt/mqtt_int.h"

#include <string.h>

static const char *const msg_names[] = {
	[MQTT_SP_NBIRTH] = "NBIRTH", [MQTT_SP_NDEATH] = "NDEATH",
	[MQTT_SP_NDATA] = "NDATA",   [MQTT_SP_NCMD] = "NCMD",
	[MQTT_SP_DBIRTH] = "DBIRTH", [MQTT_SP_DDEATH] = "DDEATH",
	[MQTT_SP_DDATA] = "DDATA",   [MQTT_SP_DCMD] = "DCMD",
	[MQTT_SP_STATE] = "STATE",
};

const char *mqtt_sp_msg_name(enum mqtt_sp_msg m)
{
	if ((unsigned)m >= sizeof(msg_names) / sizeof(msg_names[0]))
		return "?";
	return msg_names[m];
}

static bool msg_has_device(enum mqtt_sp_msg m)
{
	return m == MQTT_SP_DBIRTH || m == MQTT_SP_DDEATH ||
	       m == MQTT_SP_DDATA || m == MQTT_SP_DCMD;
}

bool mqtt__utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false; /* continuation byte, 0xc0/0xc1, > 0xf4 */
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

bool mqtt__id_valid(const char *s, size_t n)
{
	if (n == 0 || n > MQTT_SP_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == '+' || s[i] == '#' || s[i] == '\0')
			return false;
	return mqtt__utf8_valid((const uint8_t *)s, n);
}

/* Copies level [s, s+n) into dst after checking it is a valid id. */
static int take_id(const char *s, size_t n, char dst[MQTT_SP_ID_MAX + 1])
{
	if (!mqtt__id_valid(s, n))
		return PL_EINVAL;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int mqtt_sp_topic_parse(const char *topic, size_t len, struct mqtt_sp_topic *out)
{
	/* Up to 5 levels; a sixth means too many. */
	const char *lv[6];
	size_t ln[6];
	size_t nlv = 0;
	int rc = PL_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!topic)
		goto out;
	if (len > MQTT_SP_TOPIC_MAX) {
		rc = PL_ETOOBIG;
		goto out;
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || topic[i] == '/') {
			if (nlv == 6)
				goto out;
			lv[nlv] = topic + start;
			ln[nlv] = i - start;
			nlv++;
			start = i + 1;
		}
	}
	if (nlv < 3 || ln[0] != strlen(MQTT_SP_NAMESPACE) ||
	    memcmp(lv[0], MQTT_SP_NAMESPACE, ln[0]) != 0)
		goto out;
	/* spBv1.0/STATE/<host>: exactly three levels. */
	if (ln[1] == 5 && memcmp(lv[1], "STATE", 5) == 0 && nlv == 3) {
		out->type = MQTT_SP_STATE;
		rc = take_id(lv[2], ln[2], out->node);
		goto out;
	}
	if (nlv < 4 || nlv > 5)
		goto out;
	bool found = false;
	for (int m = MQTT_SP_NBIRTH; m <= MQTT_SP_DCMD; m++) {
		const char *name = msg_names[m];
		if (ln[2] == strlen(name) && memcmp(lv[2], name, ln[2]) == 0) {
			out->type = (enum mqtt_sp_msg)m;
			found = true;
			break;
		}
	}
	if (!found || msg_has_device(out->type) != (nlv == 5))
		goto out;
	if ((rc = take_id(lv[1], ln[1], out->group)) ||
	    (rc = take_id(lv[3], ln[3], out->node)))
		goto out;
	if (nlv == 5 && (rc = take_id(lv[4], ln[4], out->device)))
		goto out;
	rc = 0;
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int mqtt_sp_topic_format(const struct mqtt_sp_topic *t, char *out, size_t outsz)
{
	int n;
	if (t->type == MQTT_SP_STATE) {
		if (!mqtt__id_valid(t->node, strnlen(t->node, sizeof(t->node))))
			return PL_EINVAL;
		n = snprintf(out, outsz, MQTT_SP_NAMESPACE "/STATE/%s", t->node);
	} else {
		if ((unsigned)t->type > MQTT_SP_DCMD ||
		    !mqtt__id_valid(t->group, strnlen(t->group, sizeof(t->group))) ||
		    !mqtt__id_valid(t->node, strnlen(t->node, sizeof(t->node))))
			return PL_EINVAL;
		size_t dl = strnlen(t->device, sizeof(t->device));
		if (msg_has_device(t->type)) {
			if (!mqtt__id_valid(t->device, dl))
				return PL_EINVAL;
			n = snprintf(out, outsz, MQTT_SP_NAMESPACE "/%s/%s/%s/%s",
				     t->group, msg_names[t->type], t->node, t->device);
		} else {
			if (dl != 0)
				return PL_EINVAL;
			n = snprintf(out, outsz, MQTT_SP_NAMESPACE "/%s/%s/%s",
				     t->group, msg_names[t->type], t->node);
		}
	}
	if (n < 0 || (size_t)n >= outsz)
		return PL_ETOOBIG;
	return 0;
}
