/* fuzz_opt.c - libFuzzer target for the option-table parser: the input's lines are argv, the
 * first byte picks the command whose real table parses them (after main's global options). */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opt.h"
#include "util.h"

#define FUZZ_OPT_MAX_ARGS 64
#define FUZZ_OPT_ARGS_SIZE 1024	/* larger than any command's argument struct */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alignas(max_align_t) unsigned char args[FUZZ_OPT_ARGS_SIZE];
	struct tc_ctx ctx = { .conf = NULL };
	char *copy, *argv[FUZZ_OPT_MAX_ARGS + 1], err[512];
	size_t n = 0;
	int argc = 0;

	if (size == 0)
		return 0;
	copy = xmalloc(size);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	argv[argc++] = "tunnelctl";
	for (char *p = copy, *line; (line = strsep(&p, "\n")) && argc < FUZZ_OPT_MAX_ARGS;)
		argv[argc++] = line;
	argv[argc] = NULL;
	argc = opt_take(cmd_globals, argc, argv, &ctx, err, sizeof(err));
	while (cmd_specs[n])
		n++;
	if (argc >= 1) {
		memset(args, 0, sizeof(args));
		opt_parse(cmd_specs[data[0] % n], argc, argv, args, err, sizeof(err));
	}
	free(copy);
	return 0;
}
