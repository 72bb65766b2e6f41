/*
 * common.c - helpers the subcommands share (cli.h, cli_curl.h): number
 * arguments accepted or refused the same way by every command, and the
 * libcurl set-up of one HTTP exchange used by the simulators and the
 * inspection node, so timeouts and reply capture cannot drift apart.
 */
#include "cli/cli.h"
#include "cli/cli_curl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s ? s : "", &end);
	/* !(in range) rather than (out of range): NaN is refused too */
	if (!s || errno || end == s || *end || !(v >= lo && v <= hi))
		return PL_EINVAL;
	*out = v;
	return 0;
}

/* libcurl write callback: appends to the pl_buf in ud; a short count (0)
 * when the buffer is full makes the transfer fail rather than truncate. */
static size_t cli__on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct pl_buf *b = ud;
	return pl_buf_append(b, p, sz * nm) ? 0 : sz * nm;
}

void cli_curl_prepare(CURL *h, const char *url, struct curl_slist *hdr, struct pl_buf *body,
		      long timeout_ms, const char *post)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cli__on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* callers run threads */
	if (post) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
	}
}
