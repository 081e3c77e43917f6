/* fuzz_bundle.c - libFuzzer target for bundle's redaction: the input as a settings file
 * (values of secret keys replaced), as a charon log (dump lines left out), and scrubbed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bundle.h"
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse("fuzz.conf", (const char *)data, size, NULL, &errs);
	struct buf out = { 0 }, log = { 0 };
	char *secrets[] = { "secret", "0" };

	if (t && t->n_files)
		bundle_redact_conf((const char *)data, size, t, t->files[0], &out);
	bundle_log_clean((const char *)data, size, &log);
	bundle_scrub(&log, secrets, 2);
	buf_free(&out);
	buf_free(&log);
	conf_tree_free(t);
	tc_errors_free(&errs);
	return 0;
}
