/* test_tunnel.c - the tunnel model: defaults, every validation rule with its position, warnings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proposal.h"
#include "tunnel.h"

/* Build a model from text; errs is zeroed first. */
static struct tunnel_file *build(const char *text, struct tc_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return tunnel_from_tree(conf_parse("t.conf", text, strlen(text), NULL, errs), errs);
}

static void dump(const struct tc_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_message("have %u:%u: %s%s\n", errs->v[i].line, errs->v[i].col,
			      errs->v[i].warning ? "warning: " : "", errs->v[i].msg);
}

/* Assert an error (or warning) at line:col (col 0 = any) containing needle. */
static void assert_msg_at(const struct tc_errors *errs, bool warning, unsigned line, unsigned col,
			  const char *needle)
{
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].warning == warning && errs->v[i].line == line &&
		    (col == 0 || errs->v[i].col == col) && strstr(errs->v[i].msg, needle))
			return;
	dump(errs);
	fail_msg("no %s '%s' at %u:%u", warning ? "warning" : "error", needle, line, col);
}

static const char minimal[] = "tunnels {\n"
			      "  4 {\n"
			      "    remote_gateway = 198.51.100.7\n"
			      "    psk = abcdefghijklmnopqrstuvwxyz\n"
			      "    phase2 {\n"
			      "      9 {\n"
			      "        local = 10.1.0.0/24\n"
			      "        remote = 10.2.0.0/24\n"
			      "      }\n"
			      "    }\n"
			      "  }\n"
			      "}\n";

static void test_pfsense_defaults(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build(minimal, &errs);
	const struct tunnel_phase1 *p1;
	const struct tunnel_phase2 *p2;

	(void)state;
	dump(&errs);
	assert_non_null(tf);
	assert_int_equal(tf->n_p1, 1);
	p1 = &tf->p1[0];
	assert_int_equal(p1->ikeid, 4);
	assert_true(p1->enabled);
	assert_int_equal(p1->version, TUNNEL_IKEV2);
	assert_int_equal(p1->n_proposals, 1);
	assert_string_equal(p1->proposals[0].encryption, "aes128");
	assert_string_equal(p1->proposals[0].hash, "sha256");
	assert_int_equal(p1->proposals[0].dh_group, 14);
	assert_int_equal(p1->lifetime, 28800);
	assert_true(p1->rekey_time == TUNNEL_UNSET);
	assert_int_equal(p1->dpd_delay, 10);
	assert_int_equal(p1->dpd_maxfail, 5);
	assert_int_equal(p1->nat_traversal, TUNNEL_NATT_AUTO);
	assert_int_equal(p1->local_id.type, TUNNEL_ID_MYADDRESS);
	assert_int_equal(p1->remote_id.type, TUNNEL_ID_PEERADDRESS);
	assert_int_equal(p1->ike_port, 500);
	assert_int_equal(p1->natt_port, 4500);
	assert_int_equal(p1->n_p2, 1);
	p2 = &p1->p2[0];
	assert_int_equal(p2->reqid, 9);
	assert_int_equal(p2->mode, TUNNEL_MODE_TUNNEL);
	assert_int_equal(p2->protocol, TUNNEL_PROTO_ESP);
	assert_int_equal(p2->encryption.n, 2);
	assert_string_equal(p2->encryption.v[0], "aes128");
	assert_string_equal(p2->encryption.v[1], "aes128gcm128");
	assert_int_equal(p2->hash.n, 1);
	assert_string_equal(p2->hash.v[0], "sha256");
	assert_int_equal(p2->pfs_group, 14);
	assert_int_equal(p2->lifetime, 3600);
	assert_int_equal(p2->stall_action, TUNNEL_STALL_RESTART);
	assert_int_equal(tf->global.log_level[2], 2);	/* ike */
	assert_int_equal(tf->global.log_level[0], 1);	/* dmn */
	assert_int_equal(tf->global.keepalive_interval, 30);
	assert_int_equal(tf->global.unique_ids, TUNNEL_UNIQUE_REPLACE);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

static void test_values_parsed(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build("global {\n"
				       "  unique_ids = keep\n"
				       "  bypass_networks = 10.1.0.0/24, 10.9.0.0/16\n"
				       "  logging {\n    knl = -1\n    ike = 4\n  }\n"
				       "  retransmit {\n    tries = 7\n    timeout = 2.5\n  }\n"
				       "  keepalive {\n    interval = 2m\n  }\n"
				       "}\n"
				       "tunnels {\n"
				       "  2 {\n"
				       "    version = ikev1\n    mode = aggressive\n"
				       "    remote_gateway = vpn.example.com\n"
				       "    local_id = fqdn:gw.example.com\n"
				       "    remote_id = asn1dn:\"C=CH, O=x, CN=peer\"\n"
				       "    psk = 0123456789abcdefXYZ\n"
				       "    lifetime = 1d\n    dpd_delay = 0\n"
				       "  }\n"
				       "  1 {\n    remote_gateway = 192.0.2.9\n    psk = 0123456789abcdefXYZ\n"
				       "    proposals {\n      1 {\n        encryption = aes256gcm128\n        dh_group = 31\n      }\n    }\n"
				       "  }\n"
				       "}\n", &errs);

	(void)state;
	dump(&errs);
	assert_non_null(tf);
	assert_int_equal(tf->global.unique_ids, TUNNEL_UNIQUE_KEEP);
	assert_int_equal(tf->global.bypass_networks.n, 2);
	assert_string_equal(tf->global.bypass_networks.v[1], "10.9.0.0/16");
	assert_int_equal(tf->global.log_level[6], -1);
	assert_int_equal(tf->global.log_level[2], 4);
	assert_int_equal(tf->global.retransmit_tries, 7);
	assert_true(tf->global.retransmit_timeout == 2.5);
	assert_int_equal(tf->global.keepalive_interval, 120);
	/* sorted by IKE ID */
	assert_int_equal(tf->p1[0].ikeid, 1);
	assert_int_equal(tf->p1[1].ikeid, 2);
	assert_true(tf->p1[1].aggressive);
	assert_int_equal(tf->p1[1].version, TUNNEL_IKEV1);
	assert_int_equal(tf->p1[1].local_id.type, TUNNEL_ID_FQDN);
	assert_string_equal(tf->p1[1].local_id.value, "gw.example.com");
	assert_int_equal(tf->p1[1].remote_id.type, TUNNEL_ID_ASN1DN);
	assert_string_equal(tf->p1[1].remote_id.value, "C=CH, O=x, CN=peer");
	assert_int_equal(tf->p1[1].lifetime, 86400);
	assert_int_equal(tf->p1[1].dpd_delay, 0);
	assert_null(tf->p1[0].proposals[0].hash);	/* AEAD */
	assert_string_equal(tf->p1[0].proposals[0].prf, "sha256");
	assert_int_equal(tf->p1[0].proposals[0].dh_group, 31);
	assert_non_null(tunnel_find_p1(tf, 2));
	assert_null(tunnel_find_p1(tf, 3));
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* Every error of a file in one run, each at its position. */
static void test_errors_all_reported(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build("tunnels {\n"					/* 1 */
				       "  1 {\n"					/* 2 */
				       "    remote_gatway = 192.0.2.1\n"		/* 3 */
				       "    version = ikev3\n"				/* 4 */
				       "    lifetime = 8x\n"				/* 5 */
				       "    psk = 0123456789abcdefXYZ\n"		/* 6 */
				       "    proposals {\n"				/* 7 */
				       "      1 {\n        encryption = rot13\n        dh_group = 13\n      }\n"	/* 8-11 */
				       "    }\n"					/* 12 */
				       "    phase2 {\n"					/* 13 */
				       "      5 {\n        local = 10.1.0.0/24\n        remote = 10.2.0.0/24\n"	/* 14-16 */
				       "        pfs_group = 99\n        encryption = aes128, , aes256\n      }\n"	/* 17-19 */
				       "    }\n"					/* 20 */
				       "  }\n"						/* 21 */
				       "  1 { }\n"					/* 22 */
				       "  2 {\n    remote_gateway = 198.51.100.1\n    psk = 0123456789abcdefXYZ\n"	/* 23-25 */
				       "    phase2 {\n      5 {\n        local = 10.3.0.0/24\n        remote = 10.4.0.0/24\n      }\n    }\n"	/* 26-31 */
				       "  }\n"						/* 32 */
				       "  16000 { }\n"					/* 33 */
				       "}\n"
				       "bogus = 1\n", &errs);

	(void)state;
	assert_null(tf);
	assert_msg_at(&errs, false, 3, 5, "did you mean 'remote_gateway'");
	assert_msg_at(&errs, false, 4, 15, "ikev2 | ikev1 | auto");
	assert_msg_at(&errs, false, 5, 16, "bad lifetime");
	assert_msg_at(&errs, false, 9, 22, "unknown IKE encryption 'rot13'");
	assert_msg_at(&errs, false, 10, 20, "bad dh_group '13'");
	assert_msg_at(&errs, false, 17, 21, "bad pfs_group");
	assert_msg_at(&errs, false, 18, 22, "empty entries");
	assert_msg_at(&errs, false, 2, 3, "needs remote_gateway");
	assert_msg_at(&errs, false, 22, 3, "duplicate IKE ID 1");
	assert_msg_at(&errs, false, 27, 7, "duplicate reqid 5");
	assert_msg_at(&errs, false, 33, 3, "use a number from 1 to 15999");
	assert_msg_at(&errs, false, 35, 1, "unknown key 'bogus'");
	tc_errors_free(&errs);
}

/* Each cross-key rule gives its own message. */
static void test_cross_key_rules(void **state)
{
	static const struct {
		const char *body;
		const char *needle;
	} cases[] = {
		{ "remote_gateway = 0.0.0.0\n remote_id = any\n psk = 0123456789abcdefXYZ\n start_action = start\n",
		  "cannot be initiated" },
		{ "remote_gateway = 0.0.0.0\n psk = 0123456789abcdefXYZ\n", "remote_id peeraddress needs a fixed" },
		/* :: is the IPv6 any peer (compile gives %any for it): the same rules */
		{ "remote_gateway = ::\n remote_id = any\n psk = 0123456789abcdefXYZ\n start_action = start\n",
		  "remote_gateway :: accepts any peer, so it cannot be initiated" },
		{ "remote_gateway = 0::0\n psk = 0123456789abcdefXYZ\n", "remote_id peeraddress needs a fixed" },
		{ "remote_gateway = 192.0.2.1\n", "needs psk or psk_file" },
		{ "remote_gateway = 192.0.2.1\n psk = a\n psk_file = /x\n", "not both" },
		{ "remote_gateway = 192.0.2.1\n auth = cert\n cert = a.crt\n", "needs cert, key and ca" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n mode = aggressive\n", "only with version = ikev1" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n local_address = 192.0.2.2\n interface = eth0\n",
		  "local_address or interface" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n local_id = peeraddress\n", "bad local_id" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n remote_id = user_fqdn:nobody\n", "bad remote_id value" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n 3 {\n local = 10.1.0.0/24\n }\n }\n",
		  "needs local and remote" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n 3 {\n local = fd00::/64\n remote = fd01::/64\n }\n }\n",
		  "need mode = tunnel6" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n 3 {\n local = 10.0.0.0/8\n remote = fd01::/64\n mode = tunnel6\n }\n }\n",
		  "different IP families" },
		{ "phase2 {\n 3 {\n local = 10.0.0.0/8\n remote = 10.2.0.0/16\n }\n }\n", "no phase 1 settings" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n remote_gateway = 192.0.2.2\n", "duplicate key" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n 3 {\n local = 10.1.0.0/33\n remote = 10.2.0.0/24\n }\n }\n",
		  "bad local" },
		{ "remote_gateway = bad_host!\n psk = 0123456789abcdefXYZ\n", "bad remote_gateway" },
		{ "version = ikev1\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n proposals {\n 1 {\n encryption = aes256gcm128\n }\n }\n",
		  "IKEv1 has no AEAD" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n phase2 {\n 3 {\n mode = vti\n local = 169.254.0.1/30\n remote = 169.254.0.2/30\n }\n"
		  " 4 {\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n }\n }\n",
		  "VTI phase 2 needs its own child" },
		{ "remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n propsals {\n }\n", "did you mean 'proposals'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tc_errors errs;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		fprintf(f, "tunnels {\n 1 {\n %s }\n}\n", cases[i].body);
		fclose(f);
		struct tunnel_file *tf = build(text, &errs);
		bool found = false;
		for (size_t j = 0; j < errs.n; j++)
			found |= !errs.v[j].warning && strstr(errs.v[j].msg, cases[i].needle) != NULL;
		if (!found || tf) {
			dump(&errs);
			fail_msg("case %zu: no error '%s'", i, cases[i].needle);
		}
		tunnel_file_free(tf);
		tc_errors_free(&errs);
		free(text);
	}
}

static void test_warnings(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build("global {\n  bypass_networks = 10.1.0.0/24\n}\n"	/* 1-3 */
				       "tunnels {\n"						/* 4 */
				       "  1 {\n"						/* 5 */
				       "    version = ikev1\n    mode = aggressive\n"		/* 6-7 */
				       "    remote_gateway = 192.0.2.1\n    psk = short\n"	/* 8-9 */
				       "    close_action = start\n    start_action = trap\n"	/* 10-11 */
				       "    proposals {\n      1 {\n        encryption = 3des\n        hash = md5\n        dh_group = 2\n      }\n    }\n"	/* 12-18 */
				       "    phase2 {\n"						/* 19 */
				       "      3 {\n        local = 10.1.0.0/16\n        remote = 10.1.0.0/23\n        ping_host = 10.3.0.1\n      }\n"	/* 20-24 */
				       "      4 {\n        mode = vti\n        local = 169.254.0.1/30\n        remote = 169.254.0.2/30\n      }\n"	/* 25-29 */
				       "    }\n  }\n"						/* 30-31 */
				       "  2 {\n    remote_gateway = 192.0.2.1\n    psk = 0123456789abcdefXYZ\n  }\n"	/* 32-35 */
				       "}\n", &errs);

	(void)state;
	dump(&errs);
	assert_non_null(tf);
	assert_int_equal(errs.n_errors, 0);
	tunnel_warnings(tf, &errs);
	/* each at the value of the key it is about */
	assert_msg_at(&errs, true, 14, 22, "weak encryption 3des");
	assert_msg_at(&errs, true, 15, 16, "weak hash md5");
	assert_msg_at(&errs, true, 16, 20, "weak DH group 2");
	assert_msg_at(&errs, true, 7, 12, "aggressive mode with a PSK");
	assert_msg_at(&errs, true, 9, 11, "shorter than 16");
	assert_msg_at(&errs, true, 10, 20, "close_action is set");
	assert_msg_at(&errs, true, 22, 18, "overlaps bypass network 10.1.0.0/24");
	assert_msg_at(&errs, true, 23, 21, "ping_host 10.3.0.1 is outside");
	assert_msg_at(&errs, true, 26, 16, "VTI");
	assert_msg_at(&errs, true, 33, 22, "same peer 192.0.2.1 and the same IDs as tunnel 1");
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* Several tunnels to one peer told apart by IDs: one warning per later tunnel, naming the
 * first (not one per pair), about the proposals charon picks before it sees the IDs. */
static void test_same_peer_warnings(void **state)
{
	struct tc_errors errs;
	char text[4096];
	size_t len = 0, same = 0;

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "tunnels {\n");
	for (int i = 1; i <= 6; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"  %d {\n    remote_gateway = %s\n    local_id = fqdn:a%d.lab\n"
					"    remote_id = fqdn:b%d.lab\n    psk = 0123456789abcdefXYZ\n  }\n",
					i, i == 4 ? "192.0.2.9" : "192.0.2.1", i, i);
	snprintf(text + len, sizeof(text) - len, "}\n");
	struct tunnel_file *tf = build(text, &errs);
	assert_non_null(tf);
	tunnel_warnings(tf, &errs);
	for (size_t i = 0; i < errs.n; i++)
		if (strstr(errs.v[i].msg, "same peer")) {
			same++;
			assert_non_null(strstr(errs.v[i].msg, "same peer 192.0.2.1 as tunnel 1;"));
			assert_non_null(strstr(errs.v[i].msg, "keep their phase 1 proposals the same"));
		}
	assert_int_equal(same, 4);	/* tunnels 2, 3, 5, 6; 4 has its own peer */
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* psk_file: read, trimmed, refused unless 0600; relative to the tunnel file. */
static void test_psk_file(void **state)
{
	char dir[] = "/tmp/tc-test-XXXXXX", conf[256], key[256];
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/t.conf", dir);
	snprintf(key, sizeof(key), "%s/k.psk", dir);
	f = fopen(conf, "w");
	fputs("tunnels {\n  1 {\n    remote_gateway = 192.0.2.1\n    psk_file = k.psk\n  }\n}\n", f);
	fclose(f);
	f = fopen(key, "w");
	fputs("from-a-file-0123456789\n", f);
	fclose(f);

	chmod(key, 0644);
	tf = tunnel_load(conf, &errs);
	assert_null(tf);
	assert_msg_at(&errs, false, 4, 16, "must be 0600");
	tc_errors_free(&errs);

	chmod(key, 0600);
	memset(&errs, 0, sizeof(errs));
	tf = tunnel_load(conf, &errs);
	dump(&errs);
	assert_non_null(tf);
	assert_string_equal(tf->p1[0].psk, "from-a-file-0123456789");
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	unlink(key);
	unlink(conf);
	rmdir(dir);
}

static void test_interface_selector(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build("tunnels {\n 1 {\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n"
				       " phase2 {\n 2 {\n local = lo\n remote = 10.2.0.0/24\n }\n }\n }\n}\n", &errs);

	(void)state;
	assert_non_null(tf);
	assert_int_equal(tunnel_load_secrets(tf, &errs), 0);
	assert_string_equal(tf->p1[0].p2[0].local, "127.0.0.0/8");
	tunnel_file_free(tf);
	tc_errors_free(&errs);

	/* phase 1 interface: its address becomes local_address */
	tf = build("tunnels {\n 1 {\n interface = lo\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n }\n}\n", &errs);
	assert_non_null(tf);
	assert_int_equal(tunnel_load_secrets(tf, &errs), 0);
	assert_string_equal(tf->p1[0].local_address, "127.0.0.1");
	tunnel_file_free(tf);
	tc_errors_free(&errs);

	tf = build("tunnels {\n 1 {\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n"
		   " phase2 {\n 2 {\n local = nosuchif0\n remote = 10.2.0.0/24\n }\n }\n }\n}\n", &errs);
	assert_non_null(tf);
	assert_int_not_equal(tunnel_load_secrets(tf, &errs), 0);
	assert_msg_at(&errs, false, 7, 10, "interface 'nosuchif0' has no IPv4 address");
	tunnel_file_free(tf);
	tc_errors_free(&errs);

	tf = build("tunnels {\n 1 {\n remote_gateway = 192.0.2.1\n psk = 0123456789abcdefXYZ\n interface = nosuchif0\n }\n}\n",
		   &errs);
	assert_non_null(tf);
	assert_int_not_equal(tunnel_load_secrets(tf, &errs), 0);
	assert_msg_at(&errs, false, 5, 14, "interface 'nosuchif0' has no address");
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

/* Text of one tunnel 1 whose body lines start at line 3 (" 1 {" is line 2, column 2). */
static struct tunnel_file *build_tunnel(const char *body, struct tc_errors *errs)
{
	char *text = xasprintf("tunnels {\n 1 {\n%s }\n}\n", body);
	struct tunnel_file *tf = build(text, errs);

	free(text);
	return tf;
}

#define PSK " psk = 0123456789abcdefXYZ\n"

/* A rule across keys points at the key whose value breaks it (the later of two that cannot
 * go together), at the section only when the key it needs is missing. */
static void test_cross_key_positions(void **state)
{
	static const struct {
		const char *body;
		unsigned line, col;
		const char *needle;
	} cases[] = {
		{ " remote_gateway = 0.0.0.0\n remote_id = any\n" PSK " start_action = start\n", 6, 17, "cannot be initiated" },
		{ " remote_gateway = 0.0.0.0\n" PSK, 3, 19, "remote_id peeraddress needs a fixed" },
		{ " remote_id = peeraddress\n remote_gateway = ::\n" PSK, 3, 14, "remote_id peeraddress needs a fixed" },
		{ " remote_gateway = 192.0.2.1\n" PSK " local_address = 192.0.2.2\n interface = eth0\n", 6, 14, "local_address or interface" },
		{ " remote_gateway = 192.0.2.1\n" PSK " interface = eth0\n local_address = 192.0.2.2\n", 6, 18, "local_address or interface" },
		{ " remote_gateway = 192.0.2.1\n" PSK " mode = aggressive\n", 5, 9, "only with version = ikev1" },
		{ " auth = psk\n remote_gateway = 192.0.2.1\n", 3, 9, "auth = psk needs psk or psk_file" },
		{ " remote_gateway = 192.0.2.1\n", 2, 2, "auth = psk needs psk or psk_file" },
		{ " description = x\n", 2, 2, "needs remote_gateway" },
		{ " remote_gateway = 192.0.2.1\n psk_file = /x\n psk = a\n", 5, 8, "give psk or psk_file, not both" },
		{ " remote_gateway = 192.0.2.1\n auth = cert\n cert = a.crt\n", 4, 9, "auth = cert needs cert, key and ca" },
		{ " version = ikev1\n remote_gateway = 192.0.2.1\n" PSK " proposals {\n 1 {\n dh_group = 14\n encryption = aes256gcm128\n }\n }\n",
		  9, 15, "IKEv1 has no AEAD" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n }\n"
		  " 4 {\n local = 169.254.0.1/30\n remote = 169.254.0.2/30\n mode = vti\n }\n }\n",
		  13, 9, "phase 2 4: a VTI phase 2 needs its own child" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n remote = fd01::/64\n local = 10.0.0.0/8\n mode = tunnel6\n }\n }\n",
		  8, 10, "different IP families" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n local = fd00::/64\n remote = fd01::/64\n }\n }\n",
		  7, 10, "IPv6 networks need mode = tunnel6" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n mode = tunnel\n local = fd00::/64\n remote = fd01::/64\n }\n }\n",
		  7, 9, "IPv6 networks need mode = tunnel6" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n mode = tunnel6\n }\n }\n",
		  9, 9, "IPv4 networks need mode = tunnel" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n local = 10.1.0.0/24\n remote = 10.2.0.0/24\n protocol = ah\n encryption = aes256\n }\n }\n",
		  10, 15, "protocol ah has no encryption" },
		{ " remote_gateway = 192.0.2.1\n" PSK " phase2 {\n 3 {\n local = 10.1.0.0/24\n }\n }\n", 6, 2, "needs local and remote" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tc_errors errs;
		struct tunnel_file *tf = build_tunnel(cases[i].body, &errs);

		print_message("case %zu\n", i);
		assert_null(tf);
		assert_msg_at(&errs, false, cases[i].line, cases[i].col, cases[i].needle);
		tc_errors_free(&errs);
	}
}

/* Where a key sits: the frame around its line, the line, and the column where the frame's
 * "%s = %s" starts (its value starts after "KEY = "). Filler lines that would repeat the
 * key under test are left out. */
enum frame { IN_P1, IN_P2, IN_PROPOSAL, IN_GLOBAL, IN_RETRANSMIT, IN_KEEPALIVE };

static char *frame_text(enum frame f, const char *key, const char *value, unsigned *line, unsigned *col)
{
	const char *rg = strcmp(key, "remote_gateway") ? "  remote_gateway = 192.0.2.1\n" : "";
	const char *psk = strncmp(key, "psk", 3) ? "  psk = 0123456789abcdefXYZ\n" : "";
	const char *local = strcmp(key, "local") ? "    local = 10.1.0.0/24\n" : "";
	const char *remote = strcmp(key, "remote") ? "    remote = 10.2.0.0/24\n" : "";
	const char *enc = strcmp(key, "encryption") ? "    encryption = aes256\n" : "";
	size_t indent = f == IN_P2 || f == IN_PROPOSAL ? 4 : 2;

	*col = (unsigned)(indent + strlen(key) + 4);
	switch (f) {
	case IN_P1:
		*line = 3;
		return xasprintf("tunnels {\n 1 {\n  %s = %s\n%s%s }\n}\n", key, value, rg, psk);
	case IN_P2:
		*line = 5;
		return xasprintf("tunnels {\n 1 {\n  phase2 {\n   3 {\n    %s = %s\n%s%s   }\n  }\n%s%s }\n}\n", key, value,
				 local, remote, rg, psk);
	case IN_PROPOSAL:
		*line = 5;
		return xasprintf("tunnels {\n 1 {\n  proposals {\n   1 {\n    %s = %s\n%s   }\n  }\n%s%s }\n}\n", key, value,
				 enc, rg, psk);
	case IN_GLOBAL:
		*line = 2;
		return xasprintf("global {\n  %s = %s\n}\n", key, value);
	case IN_RETRANSMIT:
		*line = 3;
		*col -= 1;
		return xasprintf("global {\n retransmit {\n %s = %s\n }\n}\n", key, value);
	case IN_KEEPALIVE:
		*line = 3;
		*col -= 1;
		return xasprintf("global {\n keepalive {\n %s = %s\n }\n}\n", key, value);
	}
	return NULL;
}

/* Each parse_<kind> of tunnel.c through its keys: bad values and both sides of every bound.
 * needle NULL: the value is good and makes no error on its line. */
static void test_value_parsers(void **state)
{
	static const char long63[] = "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abc";
	char text256[257], path4097[4098], label64[72], list65[65 * 10];
	struct {
		enum frame f;
		const char *key, *value, *needle;
	} cases[] = {
		/* parse_uint */
		{ IN_P1, "dpd_maxfail", "0", "bad dpd_maxfail '0': use a whole number from 1 to 100" },
		{ IN_P1, "dpd_maxfail", "1", NULL },
		{ IN_P1, "dpd_maxfail", "100", NULL },
		{ IN_P1, "dpd_maxfail", "101", "from 1 to 100" },
		{ IN_P1, "dpd_maxfail", "-1", "from 1 to 100" },
		{ IN_P1, "dpd_maxfail", "5x", "from 1 to 100" },
		{ IN_P1, "dpd_maxfail", "99999999999999999999999", "from 1 to 100" },
		{ IN_P1, "ike_port", "0", "from 1 to 65535" },
		{ IN_P1, "ike_port", "65535", NULL },
		{ IN_P1, "natt_port", "65536", "bad natt_port '65536'" },
		{ IN_RETRANSMIT, "tries", "101", "bad tries '101': use a whole number from 1 to 100" },
		{ IN_RETRANSMIT, "tries", "100", NULL },
		/* parse_duration */
		{ IN_P1, "dpd_delay", "0", NULL },
		{ IN_P1, "dpd_delay", "1h", NULL },
		{ IN_P1, "dpd_delay", "3601", "bad dpd_delay '3601': use a duration from 0s to 3600s" },
		{ IN_P1, "lifetime", "59", "from 60s to 315360000s" },
		{ IN_P1, "lifetime", "1m", NULL },
		{ IN_P1, "lifetime", "3650d", NULL },
		{ IN_P1, "lifetime", "3651d", "from 60s to 315360000s" },
		{ IN_P1, "rekey_time", "10x", "bad rekey_time '10x'" },
		{ IN_P2, "lifetime", "59s", "from 60s" },
		{ IN_KEEPALIVE, "interval", "0", "bad interval '0': use a duration from 1s to 86400s" },
		{ IN_KEEPALIVE, "ping_interval", "1d", NULL },
		{ IN_KEEPALIVE, "ping_interval", "86401", "to 86400s" },
		/* parse_number */
		{ IN_RETRANSMIT, "timeout", "0", "bad timeout '0': use a number above 0 and at most 3600" },
		{ IN_RETRANSMIT, "timeout", "3600", NULL },
		{ IN_RETRANSMIT, "timeout", "3600.5", "at most 3600" },
		{ IN_RETRANSMIT, "base", "1.5x", "bad base '1.5x'" },
		{ IN_RETRANSMIT, "base", "nan", "bad base 'nan'" },
		/* parse_bool, parse_enum, parse_p1_mode */
		{ IN_P1, "mobike", "maybe", "bad mobike 'maybe': use yes | no" },
		{ IN_P1, "mobike", "true", NULL },
		{ IN_P2, "keepalive", "1", "use yes | no" },
		{ IN_P1, "version", "ikev3", "bad version 'ikev3': use ikev2 | ikev1 | auto" },
		{ IN_P2, "mode", "tunnel4", "use tunnel | tunnel6 | transport | vti" },
		{ IN_GLOBAL, "firewall", "on", "bad firewall 'on': use auto | off" },
		{ IN_P1, "mode", "quick", "bad mode 'quick': use main | aggressive" },
		{ IN_P2, "stall_action", "clear", "bad stall_action 'clear': use restart | report | none" },
		{ IN_P2, "stall_action", "report", NULL },
		/* parse_text, parse_path, parse_psk */
		{ IN_P1, "description", text256, "description is empty or too long" },
		{ IN_P1, "description", text256 + 1, NULL },
		{ IN_P1, "ca", path4097, "ca is empty or too long" },
		{ IN_P1, "ca", path4097 + 1, NULL },
		{ IN_P1, "psk", text256, "psk must be 1 to 255 characters" },
		{ IN_P1, "psk", "\"\"", "psk must be 1 to 255 characters" },
		/* parse_address, parse_host, parse_ifname, parse_selector */
		{ IN_P1, "local_address", "300.1.1.1", "bad local_address '300.1.1.1': use an IPv4 or IPv6 address" },
		{ IN_P2, "ping_host", "host.example", "bad ping_host" },
		{ IN_P2, "ping_host", "10.2.0.1", NULL },
		{ IN_P1, "remote_gateway", "bad_host!", "bad remote_gateway 'bad_host!'" },
		{ IN_P1, "remote_gateway", "a..b", "bad remote_gateway" },
		{ IN_P1, "remote_gateway", label64, "bad remote_gateway" },
		{ IN_P1, "remote_gateway", label64 + 1, NULL },
		{ IN_P1, "interface", "eth0123456789abc", "bad interface 'eth0123456789abc': not an interface name" },
		{ IN_P1, "interface", "eth0123456789ab", NULL },
		{ IN_P2, "local", "10.1.0.0/33", "bad local '10.1.0.0/33'" },
		{ IN_P2, "remote", "1eth", "bad remote '1eth'" },
		{ IN_P2, "remote", "10.2.0.0/24", NULL },
		/* parse_local_id, parse_remote_id */
		{ IN_P1, "local_id", "peeraddress", "bad local_id 'peeraddress': use myaddress | any" },
		{ IN_P1, "remote_id", "myaddress", "bad remote_id 'myaddress': use peeraddress | any" },
		{ IN_P1, "remote_id", "fqdn:", "bad remote_id value '' for type fqdn" },
		{ IN_P1, "remote_id", "keyid:abc", "bad remote_id value 'abc' for type keyid" },
		{ IN_P1, "remote_id", "user_fqdn:@x", "for type user_fqdn" },
		{ IN_P1, "remote_id", "email:a@b", "bad remote_id type 'email'" },
		{ IN_P1, "remote_id", "averyveryverylongtype:x", "bad remote_id type in" },
		{ IN_P1, "remote_id", "asn1dn:\"C=CH, CN=peer\"", NULL },
		/* parse_ike_enc, parse_hash, parse_dh */
		{ IN_PROPOSAL, "encryption", "rot13", "unknown IKE encryption 'rot13'" },
		{ IN_PROPOSAL, "hash", "sha3", "unknown hash 'sha3': use one of" },
		{ IN_PROPOSAL, "prf", "md4", "unknown prf 'md4'" },
		{ IN_PROPOSAL, "dh_group", "0", "bad dh_group '0': use a DH group: 1, 2, 5, 14 to 32" },
		{ IN_PROPOSAL, "dh_group", "13", "bad dh_group '13'" },
		{ IN_PROPOSAL, "dh_group", "33", "bad dh_group '33'" },
		{ IN_PROPOSAL, "dh_group", "32", NULL },
		{ IN_P2, "pfs_group", "0", NULL },
		{ IN_P2, "pfs_group", "16000", "or 0 for no PFS" },
		/* parse_enc_list, parse_hash_list, parse_cidr_list */
		{ IN_P2, "encryption", "aes128,,aes256", "bad encryption 'aes128,,aes256': use a comma-separated list" },
		{ IN_P2, "encryption", "aes128, rot13", "bad encryption entry 'rot13'" },
		{ IN_P2, "hash", "sha256, nope", "bad hash entry 'nope'" },
		{ IN_GLOBAL, "bypass_networks", "10.0.0.0/8, 1.2.3", "bad bypass_networks entry '1.2.3': use networks like 10.1.0.0/24" },
		{ IN_GLOBAL, "bypass_networks", list65, "comma-separated list without empty entries" },
		{ IN_GLOBAL, "bypass_networks", list65 + 10, NULL },
	};

	(void)state;
	memset(text256, 'x', 256);
	text256[256] = '\0';
	path4097[0] = '/';
	memset(path4097 + 1, 'p', 4096);
	path4097[4097] = '\0';
	snprintf(label64, sizeof(label64), "x%s.com", long63);
	/* TUNNEL_MAX_LIST (64) entries are fine, one more is not */
	for (size_t i = 0; i < 65; i++)
		memcpy(list65 + 10 * i, "1.0.0.0/8,", 10);
	list65[65 * 10 - 1] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tc_errors errs;
		unsigned line, col;
		char *text = frame_text(cases[i].f, cases[i].key, cases[i].value, &line, &col);
		struct tunnel_file *tf = build(text, &errs);

		print_message("case %zu: %s = %.40s\n", i, cases[i].key, cases[i].value);
		if (cases[i].needle) {
			assert_null(tf);
			assert_msg_at(&errs, false, line, col, cases[i].needle);
		} else {
			for (size_t j = 0; j < errs.n; j++)
				if (errs.v[j].line == line) {
					dump(&errs);
					fail_msg("case %zu: good value has an error on its line", i);
				}
		}
		tunnel_file_free(tf);
		tc_errors_free(&errs);
		free(text);
	}
}

/* stall_action: each value reaches the phase 2 entry (docs/keepalive.md "Stalled tunnels"). */
static void test_stall_action(void **state)
{
	static const struct {
		const char *value;
		enum tunnel_stall want;
	} cases[] = { { "restart", TUNNEL_STALL_RESTART }, { "report", TUNNEL_STALL_REPORT }, { "none", TUNNEL_STALL_NONE } };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tc_errors errs;
		unsigned line, col;
		char *text = frame_text(IN_P2, "stall_action", cases[i].value, &line, &col);
		struct tunnel_file *tf = build(text, &errs);

		dump(&errs);
		assert_non_null(tf);
		assert_int_equal(tf->p1[0].p2[0].stall_action, cases[i].want);
		tunnel_file_free(tf);
		tc_errors_free(&errs);
		free(text);
	}
}

/* pfSense's phase 1 AES-GCM entry with a hash: the hash is the PRF, as in pfSense's token
 * aes256gcm128-sha256-modp2048 that charon reads as aes256gcm16-prfsha256-modp2048. */
static void test_aead_hash_is_prf(void **state)
{
	struct tc_errors errs;
	struct tunnel_file *tf = build_tunnel(" remote_gateway = 192.0.2.1\n" PSK
					      " proposals {\n"
					      "  1 {\n   encryption = aes256gcm128\n   hash = sha256\n   dh_group = 14\n  }\n"
					      "  2 {\n   encryption = aes128gcm96\n   hash = sha384\n   prf = sha512\n   dh_group = 19\n  }\n"
					      "  3 {\n   encryption = chacha20poly1305\n   dh_group = 31\n  }\n"
					      " }\n", &errs);
	struct buf b;

	(void)state;
	dump(&errs);
	assert_non_null(tf);
	assert_int_equal(errs.n_errors, 0);
	assert_string_equal(tf->p1[0].proposals[0].hash, "sha256");
	assert_null(tf->p1[0].proposals[0].prf);
	buf_init(&b);
	proposal_ike_list(&b, &tf->p1[0]);
	/* an explicit prf wins over the hash (pfSense: ...-sha384-prfsha512-...); neither: SHA256 */
	assert_string_equal(b.data, "aes256gcm16-prfsha256-modp2048,aes128gcm12-prfsha512-ecp256,"
				    "chacha20poly1305-prfsha256-curve25519");
	buf_free(&b);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfsense_defaults),
		cmocka_unit_test(test_values_parsed),
		cmocka_unit_test(test_errors_all_reported),
		cmocka_unit_test(test_cross_key_rules),
		cmocka_unit_test(test_cross_key_positions),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_stall_action),
		cmocka_unit_test(test_aead_hash_is_prf),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_same_peer_warnings),
		cmocka_unit_test(test_psk_file),
		cmocka_unit_test(test_interface_selector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
