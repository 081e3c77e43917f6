/* fuzz_tunnel.c - libFuzzer target for the tunnel file: parser, model, warnings, naming. */
#include <stddef.h>
#include <stdint.h>

#include "naming.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fuzz.conf", (const char *)data, size, NULL, &errs);
	struct tunnel_file *tf = tunnel_from_tree(t, &errs);
	struct naming_target target;

	if (tf) {
		tunnel_warnings(tf, &errs);
		for (size_t i = 0; i < tf->n_p1; i++) {
			char name[NAMING_MAX];
			naming_ike(&tf->p1[i], name);
			naming_resolve(tf, name, &target);
			for (size_t j = 0; j < tf->p1[i].n_p2; j++)
				naming_child(&tf->p1[i], &tf->p1[i].p2[j], name);
		}
	}
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return 0;
}
