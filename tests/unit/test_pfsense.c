/* test_pfsense.c - import of realistic pfSense config.xml files (tests/data/pfsense/) against
 * reviewed expected tunnel files, which must pass the model's checks and compile as pfSense
 * would; hostile XML (entities, external entities, size, wrong root) changes nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "pfsense.h"
#include "tunnel.h"

#define DATA "tests/data/pfsense/"

static void import_file(const char *base, struct buf *out, struct pfsense_stats *st)
{
	struct tc_errors errs = { 0 };
	char *path = xasprintf(DATA "%s.xml", base), *name = xasprintf("%s.xml", base);
	struct buf xml;

	buf_init(&xml);
	buf_init(out);
	assert_int_equal(file_read_all(path, PFSENSE_MAX_XML, &xml), 0);
	assert_int_equal(pfsense_import(xml.data, xml.len, name, out, st, &errs), 0);
	assert_int_equal(errs.n, 0);
	buf_free(&xml);
	free(path);
	free(name);
	tc_errors_free(&errs);
}

static struct tunnel_file *model_of(const struct buf *text)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_from_tree(conf_parse("imported.conf", text->data, text->len, NULL, &errs), &errs);

	for (size_t i = 0; i < errs.n; i++)
		if (!errs.v[i].warning)
			print_message("%u:%u: %s\n", errs.v[i].line, errs.v[i].col, errs.v[i].msg);
	assert_int_equal(errs.n_errors, 0);
	assert_non_null(tf);
	tc_errors_free(&errs);
	return tf;
}

/* Output equals the reviewed expected file and passes the tunnel model's checks. */
static void check_golden(const char *base, size_t p1, size_t p2, size_t skipped)
{
	struct pfsense_stats st;
	struct buf got, want;
	char *path = xasprintf(DATA "%s.conf", base);

	import_file(base, &got, &st);
	buf_init(&want);
	assert_int_equal(file_read_all(path, 1u << 20, &want), 0);
	assert_string_equal(got.data, want.data);
	tunnel_file_free(model_of(&got));
	assert_int_equal(st.p1, p1);
	assert_int_equal(st.p2, p2);
	assert_int_equal(st.skipped, skipped);
	buf_free(&got);
	buf_free(&want);
	free(path);
}

static void test_golden(void **state)
{
	(void)state;
	check_golden("ikev2-site", 1, 2, 0);
	check_golden("ikev1-split", 3, 4, 1);	/* the BINAT phase 2 is commented out */
	check_golden("vti-mobile-cert", 2, 2, 3);	/* cert, entity PSK, mobile */
}

static void compile_of(const char *base, struct buf *sw, struct tunnel_file **tfp)
{
	struct compile_opts co = { .show_secrets = true };
	struct pfsense_stats st;
	struct buf text;

	import_file(base, &text, &st);
	*tfp = model_of(&text);
	buf_init(sw);
	compile_swanctl(sw, *tfp, &co);
	buf_free_secret(&text);
}

/* What the model and compiler make of the imported file is what pfSense generates from the
 * same XML (SPEC §4): names, proposals, lifetimes, identities, actions. */
static void test_ikev2_site(void **state)
{
	struct tunnel_file *tf;
	struct buf sw;
	const struct tunnel_phase1 *p1;

	(void)state;
	compile_of("ikev2-site", &sw, &tf);
	p1 = tunnel_find_p1(tf, 1);
	assert_non_null(p1);
	assert_int_equal(p1->version, TUNNEL_IKEV2);
	assert_string_equal(p1->psk, "Vx9!q&\"site-one-secret 2023");	/* XML escapes undone, quotes kept */
	assert_string_equal(p1->description, "HQ \"main\" office");
	assert_string_equal(p1->local_address, "203.0.113.2");	/* the WAN interface's address */
	assert_int_equal(p1->start_action, TUNNEL_ACTION_START);
	assert_int_equal(tf->global.unique_ids, TUNNEL_UNIQUE_KEEP);
	assert_int_equal(tf->global.log_level[2], 3);	/* ike */
	assert_int_equal(tf->global.log_level[6], 0);	/* knl */
	assert_int_equal(tf->global.n_bypass, 1);
	assert_string_equal(tf->global.bypass_networks[0], "10.1.0.0/24");	/* LAN bypass */
	assert_non_null(strstr(sw.data, "proposals = aes256-sha256-prfsha256-modp2048,aes128gcm16-prfsha384-ecp256\n"));
	assert_non_null(strstr(sw.data, "rekey_time = 25920s\n"));
	assert_non_null(strstr(sw.data, "rand_time = 2880s\n"));
	/* merged IKEv2 child con1 with reqid 1 only (reqid 2 disabled) */
	assert_non_null(strstr(sw.data, "\t\t\tcon1 {\n"));
	assert_non_null(strstr(sw.data, "local_ts = 10.1.0.0/24\n"));
	assert_null(strstr(sw.data, "10.21.0.0/16"));
	assert_non_null(strstr(sw.data, "esp_proposals = aes128gcm16-modp2048,aes256-sha256-modp2048\n"));
	assert_non_null(strstr(sw.data, "life_time = 3600s\n"));
	assert_string_equal(tunnel_find_p2(tf, 1, NULL)->ping_host, "10.20.0.1");
	assert_true(tunnel_find_p2(tf, 1, NULL)->keepalive);
	assert_false(tunnel_find_p2(tf, 2, NULL)->enabled);
	assert_int_equal(tunnel_find_p2(tf, 2, NULL)->n_hash, 2);
	buf_free_secret(&sw);
	tunnel_file_free(tf);
}

static void test_ikev1_split(void **state)
{
	struct tunnel_file *tf;
	struct buf sw;
	const struct tunnel_phase1 *p1;

	(void)state;
	compile_of("ikev1-split", &sw, &tf);
	p1 = tunnel_find_p1(tf, 2);
	assert_int_equal(p1->version, TUNNEL_IKEV1);	/* no iketype: IKEv1, as old pfSense */
	assert_string_equal(p1->local_address, "198.18.0.10");	/* CARP VIP */
	assert_int_equal(p1->nat_traversal, TUNNEL_NATT_FORCE);
	assert_int_equal(p1->dpd_delay, 0);	/* no dpd_* in pfSense: DPD off */
	assert_int_equal(p1->local_id.type, TUNNEL_ID_FQDN);
	assert_int_equal(p1->remote_id.type, TUNNEL_ID_USER_FQDN);
	assert_int_equal(tunnel_find_p2(tf, 4, NULL)->protocol, TUNNEL_PROTO_AH);
	assert_string_equal(tunnel_find_p2(tf, 4, NULL)->local, "172.16.5.0/26");	/* opt1's subnet */
	assert_non_null(strstr(sw.data, "con2_3 {"));
	assert_non_null(strstr(sw.data, "con2_4 {"));
	assert_non_null(strstr(sw.data, "encap = yes"));
	/* auto + split: children con4_7; BINAT phase 2 (reqid 8) left out */
	p1 = tunnel_find_p1(tf, 4);
	assert_true(p1->split_connections);
	assert_int_equal(p1->version, TUNNEL_AUTO);
	assert_false(p1->aggressive);	/* aggressive is IKEv1 only */
	assert_int_equal(p1->ike_port, 1500);
	assert_int_equal(p1->natt_port, 14500);
	assert_null(p1->local_address);	/* WAN by DHCP */
	assert_non_null(strstr(sw.data, "con4_7 {"));
	assert_null(tunnel_find_p2(tf, 8, NULL));
	assert_non_null(strstr(sw.data, "esp_proposals = chacha20poly1305-curve25519,aes256gcm16-curve25519\n"));
	assert_false(tunnel_find_p1(tf, 9)->enabled);
	assert_null(strstr(sw.data, "con9"));
	assert_int_equal(tf->global.n_bypass, 0);	/* noshuntlaninterfaces */
	buf_free_secret(&sw);
	tunnel_file_free(tf);
}

static void test_vti_mobile_cert(void **state)
{
	struct pfsense_stats st;
	struct tunnel_file *tf;
	struct buf text, sw;

	(void)state;
	import_file("vti-mobile-cert", &text, &st);
	assert_non_null(strstr(text.data, "# P1 ikeid 8 (Mobile IPsec): skipped: mobile client entries are not supported\n"));
	assert_non_null(strstr(text.data, "# P1 ikeid 7: commented out: certificate authentication"));
	assert_non_null(strstr(text.data, "# not supported: tfc_bytes = 1280\n"));
	assert_non_null(strstr(text.data, "# not supported: bypass rule 10.40.0.0/24 -> 192.168.99.0/24"));
	/* internal entities are never expanded */
	assert_null(strstr(text.data, "entity-expanded"));
	assert_non_null(strstr(text.data, "# P1 ikeid 10: commented out: pre-shared key missing"));
	assert_null(strstr(text.data, "10.200.0.0"));	/* mobile pool */
	buf_free_secret(&text);

	compile_of("vti-mobile-cert", &sw, &tf);
	assert_null(tunnel_find_p1(tf, 7));
	assert_null(tunnel_find_p1(tf, 8));
	assert_int_equal(tunnel_find_p2(tf, 20, NULL)->mode, TUNNEL_MODE_VTI);
	assert_int_equal(tunnel_find_p1(tf, 5)->remote_id.type, TUNNEL_ID_KEYID);
	assert_non_null(strstr(sw.data, "if_id_in = 5020"));
	/* pfSense writes aes256gcm128-sha384-ecp384: the hash is the AEAD proposal's PRF */
	assert_non_null(strstr(sw.data, "proposals = aes256gcm16-prfsha384-ecp384\n"));
	assert_int_equal(tunnel_find_p2(tf, 21, NULL)->mode, TUNNEL_MODE_TUNNEL6);
	assert_string_equal(tunnel_find_p1(tf, 6)->local_address, "2001:db8:40::2");	/* WAN's IPv6 */
	assert_string_equal(tunnel_find_p1(tf, 6)->description, "v6 site & lab");
	assert_int_equal(tf->global.n_bypass, 2);
	buf_free_secret(&sw);
	tunnel_file_free(tf);
}

static int import_text(const char *xml, struct buf *out, struct tc_errors *errs)
{
	buf_init(out);
	return pfsense_import(xml, strlen(xml), "t.xml", out, NULL, errs);
}

static void test_hostile(void **state)
{
	static const char xxe[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE pfsense [ <!ENTITY x SYSTEM \"file:///etc/passwd\"> ]>\n"
		"<pfsense><ipsec><phase1><ikeid>1</ikeid><remote-gateway>192.0.2.1</remote-gateway>"
		"<pre-shared-key>&x;</pre-shared-key><descr>&x;</descr><encryption><item><encryption-algorithm>"
		"<name>aes</name><keylen>256</keylen></encryption-algorithm><hash-algorithm>sha256</hash-algorithm>"
		"<dhgroup>14</dhgroup></item></encryption></phase1></ipsec></pfsense>\n";
	static const char laughs[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE pfsense [\n <!ENTITY a \"aaaaaaaaaa\">\n"
		" <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
		" <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
		" <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n]>\n"
		"<pfsense><ipsec><phase1><ikeid>1</ikeid><descr>&g;</descr></phase1></ipsec></pfsense>\n";
	struct tc_errors errs = { 0 };
	struct buf out;

	(void)state;
	assert_int_equal(import_text(xxe, &out, &errs), 0);
	assert_null(strstr(out.data, "root:"));
	assert_non_null(strstr(out.data, "commented out: pre-shared key missing"));
	buf_free(&out);
	assert_int_equal(errs.n, 0);
	/* exponential entities: libxml2's amplification guard refuses the document */
	assert_int_equal(import_text(laughs, &out, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0].msg, "entity"));
	buf_free(&out);

	/* not XML, wrong root, empty */
	assert_int_equal(import_text("<pfsense><ipsec>\n<phase1>\n</ipsec>", &out, &errs), -EINVAL);
	assert_int_equal(errs.n, 2);
	assert_true(errs.v[1].line >= 2);
	assert_non_null(strstr(errs.v[1].msg, "not well-formed XML"));
	buf_free(&out);
	assert_int_equal(import_text("<opnsense><ipsec/></opnsense>", &out, &errs), -EINVAL);
	assert_non_null(strstr(errs.v[2].msg, "not a pfSense configuration"));
	buf_free(&out);
	assert_int_equal(import_text("", &out, &errs), -EINVAL);
	buf_free(&out);
	/* the size limit, without reading past the buffer */
	buf_init(&out);
	assert_int_equal(pfsense_import("<pfsense/>", PFSENSE_MAX_XML + 1u, "big.xml", &out, NULL, &errs), -EFBIG);
	buf_free(&out);
	tc_errors_free(&errs);

	/* no <ipsec>: an empty but valid tunnel file */
	assert_int_equal(import_text("<pfsense><system/></pfsense>", &out, &errs), 0);
	tunnel_file_free(model_of(&out));
	buf_free(&out);
	tc_errors_free(&errs);
}

/* A value longer than PFSENSE_MAX_VALUE is not read. */
static void test_value_limit(void **state)
{
	struct tc_errors errs = { 0 };
	struct buf xml, out;

	(void)state;
	buf_init(&xml);
	buf_adds(&xml, "<pfsense><ipsec><phase1><ikeid>3</ikeid><remote-gateway>192.0.2.3</remote-gateway>"
		       "<encryption><item><encryption-algorithm><name>aes</name><keylen>128</keylen>"
		       "</encryption-algorithm><hash-algorithm>sha256</hash-algorithm><dhgroup>14</dhgroup>"
		       "</item></encryption><pre-shared-key>");
	for (unsigned i = 0; i <= PFSENSE_MAX_VALUE; i++)
		buf_addc(&xml, 'k');
	buf_adds(&xml, "</pre-shared-key></phase1></ipsec></pfsense>");
	buf_init(&out);
	assert_int_equal(pfsense_import(xml.data, xml.len, "long.xml", &out, NULL, &errs), 0);
	assert_non_null(strstr(out.data, "commented out: pre-shared key missing"));
	assert_null(strstr(out.data, "kkkkkkkk"));
	buf_free(&xml);
	buf_free(&out);
	tc_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_ikev2_site),
		cmocka_unit_test(test_ikev1_split),
		cmocka_unit_test(test_vti_mobile_cert),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_value_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
