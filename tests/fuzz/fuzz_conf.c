/* fuzz_conf.c - libFuzzer target for the settings-syntax parser (tunnel file, swanctl.conf). */
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fuzz.conf", (const char *)data, size, NULL, &errs);

	conf_tree_free(t);
	tc_errors_free(&errs);
	return 0;
}
