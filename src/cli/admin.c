/* admin.c - parkline admin (placeholder until the auth module lands). */
#include "cli/cli.h"

int cli_admin(int argc, char **argv, char **envp)
{
	(void)argc; (void)argv; (void)envp;
	fprintf(stderr, "parkline admin: not built yet\n");
	return 1;
}
