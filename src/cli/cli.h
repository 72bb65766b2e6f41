/*
 * cli.h - the parkline command line (prefix cli_). main() dispatches to one
 * function per subcommand; each parses its own arguments, prints its usage
 * on --help (exit 0) and, on a bad argument, a one-line reason followed by
 * the usage (exit 2).
 */
#ifndef PL_CLI_H
#define PL_CLI_H

#include "core/core.h"

#define CLI_EXIT_USAGE 2

/* Each subcommand: argv[0] is the subcommand's name; envp for PARKLINE_*. */
int cli_serve(int argc, char **argv, char **envp);
int cli_admin(int argc, char **argv, char **envp);
int cli_inspect(int argc, char **argv, char **envp);
int cli_simulate(int argc, char **argv, char **envp);

/* A double in [lo, hi] to *out; the whole string (NULL: refused) must be
 * the number. PL_EINVAL otherwise, *out untouched (args.c). */
int cli_parse_double(const char *s, double lo, double hi, double *out);

/* Prints "parkline <cmd>: <reason>" and the usage to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
