/* fuzz_compile.c - libFuzzer target: any tunnel file the model accepts must compile (both
 * outputs, secrets shown and hidden) without crashing, and compile the same way twice. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fuzz.conf", (const char *)data, size, NULL, &errs);
	struct tunnel_file *tf = tunnel_from_tree(t, &errs);
	struct compile_opts shown = { .show_secrets = true }, hidden = { .show_secrets = false };
	struct buf a, b;

	if (tf) {
		buf_init(&a);
		buf_init(&b);
		compile_swanctl(&a, tf, &shown);
		compile_swanctl(&b, tf, &shown);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			abort();	/* output must be deterministic */
		buf_free(&b);
		buf_init(&b);
		compile_swanctl(&b, tf, &hidden);
		compile_strongswan(&b, tf, NULL);
		buf_free(&a);
		buf_free(&b);
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return 0;
}
