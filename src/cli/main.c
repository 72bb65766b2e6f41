/*
 * main.c - parkline: one binary, subcommands. This file only dispatches;
 * each subcommand lives in its own file.
 */
#include "cli/cli.h"

#include <sodium.h>
#include <libxml/parser.h>

static const char usage[] =
	"usage: parkline <command> [options]\n"
	"\n"
	"commands:\n"
	"  serve      run the daemon (HTTP API, web UI, ingest)\n"
	"  admin      users, API tokens and database maintenance\n"
	"  inspect    automated visual inspection: unit, eval, knapp\n"
	"  simulate   render simulated vials, or publish simulated lines over MQTT\n"
	"\n"
	"Run 'parkline <command> --help' for a command's options.\n";

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, char **envp);
};

static const struct cli_cmd cli_cmds[] = {
	{ "serve", cli_serve },
	{ "admin", cli_admin },
	{ "inspect", cli_inspect },
	{ "simulate", cli_simulate },
	{ NULL, NULL },
};

int cli_usage_error(const char *cmd, const char *use, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "parkline %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", use);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv, char **envp)
{
	int rc;

	/* Process-wide library set-up, once, before any thread starts:
	 * libsodium's RNG and CPU dispatch, and libxml2's parser globals
	 * (trace's EPCIS XML binding and desk's WeChat messages). */
	if (sodium_init() < 0) {
		fprintf(stderr, "parkline: libsodium failed to initialise\n");
		return 1;
	}
	xmlInitParser();
	if (argc < 2) {
		fprintf(stderr, "parkline: no command given\n%s", usage);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	for (const struct cli_cmd *c = cli_cmds; c->name; c++) {
		if (!strcmp(argv[1], c->name)) {
			rc = c->fn(argc - 1, argv + 1, envp);
			xmlCleanupParser();
			return rc;
		}
	}
	fprintf(stderr, "parkline: unknown command '%s'\n%s", argv[1], usage);
	return CLI_EXIT_USAGE;
}
