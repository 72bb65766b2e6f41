/*
 * cli_curl.h - the libcurl set-up the HTTP clients among the subcommands
 * share (`simulate desk`, `simulate line --http`, `inspect run`); see
 * common.c.
 */
#ifndef PL_CLI_CURL_H
#define PL_CLI_CURL_H

#include <curl/curl.h>

#include "core/core.h"

/* Sets h up for one exchange with url: request headers hdr (borrowed until
 * curl_easy_perform returns), the reply appended to body, 3 s to connect
 * and timeout_ms in all, no signals, and post (not NULL) as the request
 * body, which makes it a POST. Other options already on h stay. */
void cli_curl_prepare(CURL *h, const char *url, struct curl_slist *hdr, struct pl_buf *body,
		      long timeout_ms, const char *post);

#endif
