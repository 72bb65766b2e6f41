/*
 * json.c - JSON helpers over jansson. jansson's own depth limit is a
 * compile-time 2048, far too deep for request bodies, so a linear pre-scan
 * enforces our cap before jansson builds anything. Field checking returns
 * sentences that name the field, for problem+json details.
 */
#include "core.h"

static void json__err(struct pl_json_error *err, const char *field, size_t pos,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void json__err(struct pl_json_error *err, const char *field, size_t pos,
		      const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	pl_strlcpy(err->field, field ? field : "", sizeof(err->field));
	err->position = pos;
}

/* Returns the byte offset where nesting first exceeds max, or len if never.
 * Brackets inside strings do not count. Linear, no allocation. */
static size_t json__depth_scan(const char *buf, size_t len, int max)
{
	int depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				return i;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return len;
}

int pl_json_parse(const char *buf, size_t len, int max_depth, json_t **out,
		  struct pl_json_error *err)
{
	json_error_t je;
	size_t at;
	json_t *v;

	*out = NULL;
	at = json__depth_scan(buf, len, max_depth);
	if (at < len) {
		json__err(err, NULL, at,
			  "JSON nested deeper than %d levels at byte %zu",
			  max_depth, at);
		return PL_EPARSE;
	}
	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!v) {
		json__err(err, NULL, (size_t)je.position,
			  "malformed JSON at line %d, column %d (byte %d): %s",
			  je.line, je.column, je.position, je.text);
		return PL_EPARSE;
	}
	*out = v;
	return 0;
}

static bool json__type_ok(const json_t *v, enum pl_json_type t)
{
	switch (t) {
	case PL_JT_STRING: return json_is_string(v);
	case PL_JT_INTEGER: return json_is_integer(v);
	case PL_JT_NUMBER: return json_is_number(v);
	case PL_JT_BOOL: return json_is_boolean(v);
	case PL_JT_OBJECT: return json_is_object(v);
	case PL_JT_ARRAY: return json_is_array(v);
	case PL_JT_ANY: return true;
	}
	return false;
}

static const char *const json__type_names[] = {
	"a string", "an integer", "a number", "a boolean", "an object",
	"an array", "any value",
};

int pl_json_check(const json_t *obj, const struct pl_json_field *spec,
		  struct pl_json_error *err)
{
	const struct pl_json_field *f;
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		json__err(err, NULL, 0, "body must be a JSON object");
		return PL_EINVAL;
	}
	json_object_foreach((json_t *)obj, key, v) {
		for (f = spec; f->name && strcmp(f->name, key) != 0; f++)
			;
		if (!f->name) {
			json__err(err, key, 0, "unknown field '%.60s'", key);
			return PL_EINVAL;
		}
	}
	for (f = spec; f->name; f++) {
		v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			if (f->required) {
				json__err(err, f->name, 0,
					  "missing required field '%s'", f->name);
				return PL_EINVAL;
			}
			continue;
		}
		if (!json__type_ok(v, f->type)) {
			json__err(err, f->name, 0, "field '%s' must be %s",
				  f->name, json__type_names[f->type]);
			return PL_EINVAL;
		}
		if (f->type == PL_JT_STRING && f->max_len &&
		    json_string_length(v) > f->max_len) {
			json__err(err, f->name, 0,
				  "field '%s' is longer than %zu bytes", f->name,
				  f->max_len);
			return PL_EINVAL;
		}
	}
	return 0;
}

const char *pl_json_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

char *pl_json_dump(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		abort(); /* jansson fails here only on allocation failure */
	return s;
}
