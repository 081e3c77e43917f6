/* cmd_import.c - `tunnelctl import-pfsense config.xml [-o FILE]`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "pfsense.h"
#include "tunnel.h"

static const char help[] =
	"usage: tunnelctl import-pfsense CONFIG.XML [-o FILE]\n"
	"\n"
	"Convert the <ipsec> section of a pfSense configuration backup (Diagnostics > Backup &\n"
	"Restore, or /cf/conf/config.xml) into a tunnel file: each phase 1 keeps its IKE ID and\n"
	"each phase 2 its reqid, so the connections keep their names (conN, conN_M). Imported:\n"
	"version, mode, local address (from the interface's static address), remote gateway,\n"
	"ports, identities, pre-shared keys, proposals, lifetimes, DPD, NAT-T, MOBIKE, start and\n"
	"close actions, split connections, phase 2 networks, protocol, algorithms, PFS, ping\n"
	"hosts, keep-alive, unique IDs, LAN bypass and bypass rules, and log levels.\n"
	"Mobile client entries are skipped; entries that cannot work as they are (certificate\n"
	"authentication, EAP/XAuth, no usable algorithm) are written commented out with the\n"
	"reason; single settings tunnelctl does not have are listed as `# not supported:`.\n"
	"The output keeps the pre-shared keys: -o writes it with mode 0600.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE  write the tunnel file to FILE (atomically, 0600) instead of stdout\n"
	"\n"
	"exit status: 0 ok (the output passes `tunnelctl check`); 1 the output could not be\n"
	"written, or it does not pass check; 2 usage error, or CONFIG.XML is not a readable\n"
	"pfSense configuration\n"
	"\n"
	"examples:\n"
	"  tunnelctl import-pfsense config-fw1.xml -o /etc/tunnelctl/tunnels.conf\n"
	"  tunnelctl import-pfsense config.xml | less\n";

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

int cmd_import(int argc, char **argv, const struct tc_ctx *ctx)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct tc_errors errs = { 0 };
	struct pfsense_stats st;
	const char *output = NULL;
	struct buf xml, out;
	int c, rc, exit_code = TC_EXIT_OK;

	(void)ctx;
	if (cmd_wants_help(argc, argv, help))
		return TC_EXIT_OK;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c != 'o')
			return TC_EXIT_USAGE;
		output = optarg;
	}
	if (optind + 1 != argc) {
		cmd_err("import-pfsense", "expected one config.xml (see --help)");
		return TC_EXIT_USAGE;
	}
	buf_init(&xml);
	buf_init(&out);
	rc = file_read_all(argv[optind], PFSENSE_MAX_XML, &xml);
	if (rc) {
		cmd_err("import-pfsense", "%s: %s", argv[optind],
			rc == -EFBIG ? "larger than the 32 MiB limit" : strerror(-rc));
		exit_code = TC_EXIT_USAGE;
		goto out;
	}
	if (pfsense_import(xml.data, xml.len, argv[optind], &out, &st, &errs) != 0) {
		cmd_print_errors(&errs);
		exit_code = TC_EXIT_USAGE;
		goto out;
	}
	if (check_text(output ? output : "<import>", &out) != 0) {
		cmd_err("import-pfsense", "internal error: the imported file does not pass check (nothing written)");
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
out:
	tc_errors_free(&errs);
	buf_free_secret(&xml);
	buf_free_secret(&out);
	return exit_code;
}
