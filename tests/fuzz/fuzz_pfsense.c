/* fuzz_pfsense.c - libFuzzer target for the pfSense config.xml import, certificates included
 * (base64 and PEM decoding of <cert>/<ca>, DN identities). Whatever the XML, an import that
 * succeeds must produce a tunnel file the model accepts (`check` passes), since
 * import-pfsense promises that, and every certificate file it hands back must be a plain
 * name inside the certificate directory. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfsense.h"
#include "tunnel.h"

#define FUZZ_CERT_DIR "/c"

static void check_files(const struct pfsense_files *files)
{
	for (size_t i = 0; i < files->n; i++) {
		const struct pfsense_file *f = &files->v[i];
		size_t n = strlen(f->name);
		bool key = n > 4 && strcmp(f->name + n - 4, ".key") == 0;
		if (!n || strchr(f->name, '/') || f->name[0] == '.' ||
		    strncmp(f->path, FUZZ_CERT_DIR "/", 3) != 0 || strcmp(f->path + 3, f->name) != 0 ||
		    key != f->secret || !f->pem.len) {
			fprintf(stderr, "bad certificate file name '%s' (path '%s')\n", f->name, f->path);
			abort();
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(files->v[j].name, f->name) == 0) {
				fprintf(stderr, "certificate file '%s' twice\n", f->name);
				abort();
			}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tc_errors errs = { 0 };
	struct pfsense_files files = { 0 };
	struct buf out;

	buf_init(&out);
	if (pfsense_import_certs((const char *)data, size, "fuzz.xml", FUZZ_CERT_DIR, &out, &files, NULL, &errs) == 0) {
		struct tc_errors check = { 0 };
		struct tunnel_file *tf =
			tunnel_from_tree(conf_parse("imported.conf", out.data, out.len, NULL, &check), &check);
		if (check.n_errors) {
			fprintf(stderr, "imported file fails check: %u:%u: %s\n%s\n", check.v[0].line,
				check.v[0].col, check.v[0].msg, out.data);
			abort();
		}
		check_files(&files);
		tunnel_file_free(tf);
		tc_errors_free(&check);
	}
	pfsense_files_free(&files);
	buf_free(&out);
	tc_errors_free(&errs);
	return 0;
}
