/* fuzz_pfsense.c - libFuzzer target for the pfSense config.xml import. Whatever the XML, an
 * import that succeeds must produce a tunnel file the model accepts (`check` passes), since
 * import-pfsense promises that. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pfsense.h"
#include "tunnel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct buf out;

	buf_init(&out);
	if (pfsense_import((const char *)data, size, "fuzz.xml", &out, NULL, &errs) == 0) {
		struct tc_errors check = { 0 };
		struct tunnel_file *tf =
			tunnel_from_tree(conf_parse("imported.conf", out.data, out.len, NULL, &check), &check);
		if (check.n_errors) {
			fprintf(stderr, "imported file fails check: %u:%u: %s\n%s\n", check.v[0].line,
				check.v[0].col, check.v[0].msg, out.data);
			abort();
		}
		tunnel_file_free(tf);
		tc_errors_free(&check);
	}
	buf_free(&out);
	tc_errors_free(&errs);
	return 0;
}
