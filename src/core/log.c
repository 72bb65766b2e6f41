/*
 * log.c - plain or JSON-lines log output. Each line is formatted in full
 * into a local buffer and written with one fwrite under the log's mutex, so
 * lines from different threads never interleave.
 */
#include "core.h"

static const char *const log__names[] = { "debug", "info", "warn", "error" };

void pl_log_init(struct pl_log *lg, FILE *out, enum pl_log_level level, bool json)
{
	lg->out = out ? out : stderr;
	lg->level = level;
	lg->json = json;
	pthread_mutex_init(&lg->mu, NULL);
}

void pl_log_release(struct pl_log *lg)
{
	pthread_mutex_destroy(&lg->mu);
}

int pl_log_level_parse(const char *s, enum pl_log_level *out)
{
	for (int i = 0; i <= PL_LOG_ERROR; i++) {
		if (strcmp(s, log__names[i]) == 0) {
			*out = (enum pl_log_level)i;
			return 0;
		}
	}
	return PL_EINVAL;
}

void pl_log_write(struct pl_log *lg, enum pl_log_level lv, const char *mod,
		  json_t *fields, const char *fmt, ...)
{
	char ts[PL_TIME_STRLEN], msg[2048];
	struct pl_buf line;
	va_list ap;

	if (!lg || lv < lg->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl_time_format(pl_time_now_ms(), ts);
	pl_buf_init(&line, 64 * 1024);
	if (lg->json) {
		json_t *o = json_object();
		const char *k;
		json_t *v;
		json_object_set_new(o, "time", json_string(ts));
		json_object_set_new(o, "level", json_string(log__names[lv]));
		json_object_set_new(o, "module", json_string(mod));
		json_object_set_new(o, "msg", json_stringn_nocheck(msg, strlen(msg)));
		if (json_is_object(fields))
			json_object_foreach(fields, k, v)
				json_object_set(o, k, v);
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		if (s) {
			pl_buf_puts(&line, s);
			free(s);
		}
	} else {
		pl_buf_printf(&line, "%s %-5s %s: %s", ts, log__names[lv], mod, msg);
		if (json_is_object(fields)) {
			char *s = json_dumps(fields, JSON_COMPACT);
			if (s) {
				pl_buf_printf(&line, " %s", s);
				free(s);
			}
		}
	}
	pl_buf_puts(&line, "\n");
	pthread_mutex_lock(&lg->mu);
	fwrite(line.data, 1, line.len, lg->out);
	fflush(lg->out);
	pthread_mutex_unlock(&lg->mu);
	pl_buf_release(&line);
}
