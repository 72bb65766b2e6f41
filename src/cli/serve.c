/* serve.c - parkline serve (placeholder until the http module lands). */
#include "cli/cli.h"

int cli_serve(int argc, char **argv, char **envp)
{
	(void)argc; (void)argv; (void)envp;
	fprintf(stderr, "parkline serve: not built yet\n");
	return 1;
}
