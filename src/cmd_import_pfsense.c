/* cmd_import_pfsense.c - `tunnelctl import-pfsense config.xml [-o FILE] [--cert-dir DIR]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pfsense.h"
#include "tunnel.h"

struct import_args {
	const char *output, *cert_dir;
};

static const struct opt_def import_opts[] = {
	{ .name = "output", .short_name = 'o', OPT_STRING(struct import_args, output, "FILE"),
	  .help = "write the tunnel file to FILE (atomically, 0600) instead of stdout" },
	{ .name = "cert-dir", OPT_STRING(struct import_args, cert_dir, "DIR"),
	  .help = "import certificate entries: certificates, keys (0600) and CAs go to DIR",
	  .more = "Each certificate used is written as DIR/REFID.crt (0644), its private key as "
		  "DIR/REFID.key (0600, never readable by others, even while written) and each CA as "
		  "DIR/REFID-ca.crt (0644); REFID is pfSense's refid (or a hash of it when it is not a "
		  "plain name). DIR is created (0700) if missing; files of the same name are replaced "
		  "atomically" },
	{ .name = NULL },
};

const struct opt_spec cmd_import_pfsense_spec = {
	.operands = "one CONFIG.XML",
	.min_operands = 1,
	.max_operands = 1,
	.verb = "import-pfsense",
	.usage =
		"usage: tunnelctl import-pfsense CONFIG.XML [-o FILE] [--cert-dir DIR]\n",
	.about =
		"Convert the <ipsec> section of a pfSense configuration backup (Diagnostics > Backup &\n"
		"Restore, or /cf/conf/config.xml) into a tunnel file: each phase 1 keeps its IKE ID and\n"
		"each phase 2 its reqid, so the connections keep their names (conN, conN_M). Imported:\n"
		"version, mode, local address (from the interface's static address), remote gateway,\n"
		"ports, identities, pre-shared keys, proposals, lifetimes, DPD, NAT-T, MOBIKE, start and\n"
		"close actions, split connections, phase 2 networks, protocol, algorithms, PFS, ping\n"
		"hosts, keep-alive, unique IDs, LAN bypass and bypass rules, and log levels.\n"
		"Certificate entries (authentication_method cert) are imported with --cert-dir: the\n"
		"certificate, private key and peer CA they name (certref, caref) are taken from\n"
		"config.xml's certificate store and written into DIR, and the entry gets auth = cert,\n"
		"cert, key and ca with their absolute paths; a local identity \"distinguished name\"\n"
		"left empty becomes the certificate's subject. Without --cert-dir such entries are\n"
		"written commented out, saying so.\n"
		"Mobile client entries are skipped; entries that cannot work as they are (EAP/XAuth,\n"
		"no usable algorithm, a certificate or CA missing from config.xml, a certificate\n"
		"without its private key) are written commented out with the reason; single settings\n"
		"tunnelctl does not have are listed as `# not supported:`.\n"
		"The output keeps the pre-shared keys: -o writes it with mode 0600.\n",
	.opts = import_opts,
	.tail =
		"exit status: 0 ok (the output passes `tunnelctl check`); 1 the output or a certificate\n"
		"file could not be written, or the output does not pass check; 2 usage error, or\n"
		"CONFIG.XML is not a readable pfSense configuration\n"
		"\n"
		"examples:\n"
		"  tunnelctl import-pfsense config-fw1.xml -o /etc/tunnelctl/tunnels.conf\n"
		"  tunnelctl import-pfsense config-fw1.xml -o /etc/tunnelctl/tunnels.conf \\\n"
		"          --cert-dir /etc/tunnelctl/certs\n"
		"  tunnelctl import-pfsense config.xml | less\n",
};

/* The imported text must be a valid tunnel file: run it through the model. */
static int check_text(const char *name, const struct buf *text)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_from_tree(conf_parse(name, text->data, text->len, NULL, &errs), &errs);
	int rc = errs.n_errors ? -EINVAL : 0;

	if (rc)
		cmd_print_errors(&errs);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return rc;
}

/* DIR made absolute (created 0700 if missing), so the tunnel file's paths do not depend on
 * where it is kept or on the current directory. NULL after saying why. Caller frees. */
static char *cert_dir_prepare(const char *dir)
{
	char *abs;
	int rc = mkdir_p(dir, 0700);

	if (rc) {
		cmd_err("import-pfsense", "cannot create %s: %s", dir, strerror(-rc));
		return NULL;
	}
	abs = realpath(dir, NULL);
	if (!abs)
		cmd_err("import-pfsense", "%s: %s", dir, strerror(errno));
	return abs;
}

/* Write the certificate files: keys 0600 from the first byte (file_write_atomic creates the
 * temp file 0600), certificates 0644. 0 or -errno after saying which file. */
static int cert_files_write(const char *dir, const struct pfsense_files *files)
{
	for (size_t i = 0; i < files->n; i++) {
		const struct pfsense_file *f = &files->v[i];
		int rc = file_write_atomic(f->path, f->pem.data, f->pem.len, f->secret ? 0600 : 0644);
		if (rc) {
			cmd_err("import-pfsense", "cannot write %s/%s: %s", dir, f->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int cmd_import_pfsense(int argc, char **argv, const struct tc_ctx *ctx)
{
	struct tc_errors errs = { 0 };
	struct pfsense_stats st;
	struct pfsense_files files = { 0 };
	struct import_args a = { .output = NULL };
	const char *output, *cert_dir, *xml_path;
	char *cert_abs = NULL;
	struct buf xml, out;
	int c, rc, exit_code = TC_EXIT_OK;

	(void)ctx;
	c = cmd_parse(&cmd_import_pfsense_spec, argc, argv, &a);
	if (c < 0)
		return CMD_PARSE_EXIT(c);
	output = a.output;
	cert_dir = a.cert_dir;
	xml_path = argv[c];
	buf_init(&xml);
	buf_init(&out);
	rc = file_read_all(xml_path, PFSENSE_MAX_XML, &xml);
	if (rc) {
		cmd_err("import-pfsense", "%s: %s", xml_path,
			rc == -EFBIG ? "larger than the 32 MiB limit" : file_read_strerror(rc));
		exit_code = TC_EXIT_USAGE;
		goto out;
	}
	if (cert_dir && !(cert_abs = cert_dir_prepare(cert_dir))) {
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	if (pfsense_import_certs(xml.data, xml.len, xml_path, cert_abs, &out, &files, &st, &errs) != 0) {
		cmd_print_errors(&errs);
		exit_code = TC_EXIT_USAGE;
		goto out;
	}
	if (check_text(output ? output : "<import>", &out) != 0) {
		cmd_err("import-pfsense", "internal error: the imported file does not pass check (nothing written)");
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	/* the files first: a tunnel file naming certificates that are not there would fail check */
	if (cert_files_write(cert_dir ? cert_dir : "", &files) != 0) {
		exit_code = TC_EXIT_FAIL;
		goto out;
	}
	if (output) {
		rc = file_write_atomic(output, out.data, out.len, 0600);
		if (rc) {
			cmd_err("import-pfsense", "cannot write %s: %s", output, strerror(-rc));
			exit_code = TC_EXIT_FAIL;
			goto out;
		}
	} else {
		fputs(out.data, stdout);
	}
	fprintf(stderr, "import-pfsense: %zu phase 1, %zu phase 2 imported; %zu skipped or commented out; %zu unsupported settings\n",
		st.p1, st.p2, st.skipped, st.unsupported);
	if (cert_abs)
		fprintf(stderr, "import-pfsense: %zu certificate entries imported; %zu files written to %s\n",
			st.certs, files.n, cert_abs);
out:
	pfsense_files_free(&files);
	free(cert_abs);
	tc_errors_free(&errs);
	buf_free_secret(&xml);
	buf_free_secret(&out);
	return exit_code;
}
