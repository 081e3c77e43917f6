/* test_pfsense.c - import of realistic pfSense config.xml files (tests/data/pfsense/) against
 * reviewed expected tunnel files, which must pass the model's checks and compile as pfSense
 * would; hostile XML (entities, external entities, size, wrong root) changes nothing.
 * Certificate entries (cert-a.xml, real certificates made with pki) become files whose
 * contents are the PEM files in tests/data/pfsense/certs/, with the right modes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
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
	assert_int_equal(tf->global.bypass_networks.n, 1);
	assert_string_equal(tf->global.bypass_networks.v[0], "10.1.0.0/24");	/* LAN bypass */
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
	assert_int_equal(tunnel_find_p2(tf, 2, NULL)->hash.n, 2);
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
	assert_int_equal(tf->global.bypass_networks.n, 0);	/* noshuntlaninterfaces */
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
	/* its certificate and CA are not in the store: a comment names the missing refid */
	assert_non_null(strstr(text.data, "# P1 ikeid 7: commented out: certificate refid 64f1a0c3d2e11 is not in config.xml"));
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
	assert_int_equal(tf->global.bypass_networks.n, 2);
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

/* One element with many attributes is refused before libxml2 sees it (its duplicate check is
 * quadratic: 100k attributes took 40 s); '=' in values, comments and CDATA do not count. */
static void test_attr_limit(void **state)
{
	struct tc_errors errs = { 0 };
	struct buf xml, out;

	(void)state;
	for (unsigned n = PFSENSE_MAX_ATTRS; n <= PFSENSE_MAX_ATTRS + 1; n++) {
		buf_init(&xml);
		buf_adds(&xml, "<?xml version=\"1.0\"?>\n<!-- a=1 b=2 c=3 -->\n<pfsense>\n<system");
		for (unsigned i = 0; i < n; i++)
			buf_printf(&xml, " a%u=\"x=y\"", i);
		buf_adds(&xml, "><![CDATA[ d=1 e=2 ]]></system>\n</pfsense>\n");
		assert_int_equal(import_text(xml.data, &out, &errs), n > PFSENSE_MAX_ATTRS ? -EINVAL : 0);
		buf_free(&out);
		buf_free(&xml);
	}
	assert_int_equal(errs.n, 1);
	assert_int_equal(errs.v[0].line, 4);
	assert_non_null(strstr(errs.v[0].msg, "more than 64 attributes"));
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

/* ---- certificate entries ---- */

static void read_fixture(const char *name, struct buf *b)
{
	char *path = xasprintf(DATA "%s", name);

	buf_init(b);
	assert_int_equal(file_read_all(path, 1u << 20, b), 0);
	free(path);
}

static const struct pfsense_file *file_named(const struct pfsense_files *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return &f->v[i];
	return NULL;
}

/* A decoded file is byte for byte the PEM file pfSense's base64 was made from. */
static void assert_file_is(const struct pfsense_file *f, const char *fixture, bool secret)
{
	struct buf want;

	assert_non_null(f);
	read_fixture(fixture, &want);
	assert_int_equal(f->pem.len, want.len);
	assert_memory_equal(f->pem.data, want.data, want.len);
	assert_int_equal(f->secret, secret);
	buf_free(&want);
}

static void import_certs(const char *xml, size_t len, const char *dir, struct buf *out,
			 struct pfsense_files *files, struct pfsense_stats *st)
{
	struct tc_errors errs = { 0 };

	buf_init(out);
	assert_int_equal(pfsense_import_certs(xml, len, "cert.xml", dir, out, files, st, &errs), 0);
	assert_int_equal(errs.n, 0);
	tc_errors_free(&errs);
}

static void test_cert_import(void **state)
{
	struct pfsense_files files = { 0 };
	struct pfsense_stats st;
	struct tunnel_file *tf;
	const struct tunnel_phase1 *p1;
	struct buf xml, out;

	(void)state;
	read_fixture("cert-a.xml", &xml);
	import_certs(xml.data, xml.len, "/etc/tunnelctl/certs", &out, &files, &st);

	/* the entry: auth, the three files, the identity from the certificate's subject */
	tf = model_of(&out);
	p1 = tunnel_find_p1(tf, 1);
	assert_non_null(p1);
	assert_int_equal(p1->auth, TUNNEL_AUTH_CERT);
	assert_string_equal(p1->cert, "/etc/tunnelctl/certs/6750c1a0ce00a.crt");
	assert_string_equal(p1->key, "/etc/tunnelctl/certs/6750c1a0ce00a.key");
	assert_string_equal(p1->ca, "/etc/tunnelctl/certs/6750c1a0ca001-ca.crt");
	assert_int_equal(p1->local_id.type, TUNNEL_ID_ASN1DN);
	assert_string_equal(p1->local_id.value, "C=CH, O=tunnelctl, CN=gw-a.example.com");
	assert_int_equal(p1->remote_id.type, TUNNEL_ID_ASN1DN);
	/* rsasig (old name) imported too; myaddress stays myaddress */
	assert_int_equal(tunnel_find_p1(tf, 5)->auth, TUNNEL_AUTH_CERT);
	assert_int_equal(tunnel_find_p1(tf, 5)->local_id.type, TUNNEL_ID_MYADDRESS);
	/* a refid that is no file name gets a hashed one inside the directory */
	assert_non_null(tunnel_find_p1(tf, 6));
	assert_true(str_startswith(tunnel_find_p1(tf, 6)->cert, "/etc/tunnelctl/certs/ref"));
	assert_null(strstr(out.data, "etc/evil.crt"));
	/* bad references stay comments that say why */
	assert_null(tunnel_find_p1(tf, 2));
	assert_null(tunnel_find_p1(tf, 3));
	assert_null(tunnel_find_p1(tf, 4));
	assert_non_null(strstr(out.data, "# P1 ikeid 2: commented out: certificate refid 6750c1a0cfff0 is not in config.xml"));
	assert_non_null(strstr(out.data, "# P1 ikeid 3: commented out: certificate \"imported without key\" (refid 6750c1a0ce0c5) has no private key"));
	assert_non_null(strstr(out.data, "# P1 ikeid 4: commented out: CA refid 6750c1a0caff0 is not in config.xml"));
	assert_int_equal(st.p1, 3);
	assert_int_equal(st.certs, 3);
	assert_int_equal(st.skipped, 3);

	/* the files: each certificate and CA once, contents as pfSense stored them */
	assert_int_equal(files.n, 5);
	assert_file_is(file_named(&files, "6750c1a0ce00a.crt"), "certs/gw-a.crt", false);
	assert_file_is(file_named(&files, "6750c1a0ce00a.key"), "certs/gw-a.key", true);
	assert_file_is(file_named(&files, "6750c1a0ca001-ca.crt"), "certs/ca.crt", false);
	for (size_t i = 0; i < files.n; i++) {
		assert_null(strchr(files.v[i].name, '/'));
		assert_true(files.v[i].name[0] != '.');
		assert_true(str_startswith(files.v[i].path, "/etc/tunnelctl/certs/"));
		/* the CA's own <prv> is never written */
		assert_true(files.v[i].secret == (strstr(files.v[i].name, ".key") != NULL));
	}
	/* the private key never appears in the tunnel file */
	assert_null(strstr(out.data, "PRIVATE KEY"));
	assert_null(strstr(out.data, "MII"));
	tunnel_file_free(tf);
	pfsense_files_free(&files);
	buf_free_secret(&out);

	/* without a certificate directory: commented out, pointing at --cert-dir, no files */
	import_certs(xml.data, xml.len, NULL, &out, &files, &st);
	assert_int_equal(files.n, 0);
	assert_int_equal(st.p1, 0);
	assert_int_equal(st.certs, 0);
	assert_non_null(strstr(out.data, "# P1 ikeid 1: commented out: certificate authentication: import-pfsense --cert-dir DIR writes certificate \"gw-a\""));
	/* the identity is still the certificate's subject, so uncommenting by hand works */
	assert_non_null(strstr(out.data, "# local_id = asn1dn:\"C=CH, O=tunnelctl, CN=gw-a.example.com\""));
	tunnel_file_free(model_of(&out));
	buf_free_secret(&out);
	buf_free_secret(&xml);
}

/* config.xml with one certificate phase 1 using <cert> c1 (crt, prv base64 as given, prv
 * left out when NULL) and <ca> a1. */
static char *cert_xml(const char *crt_b64, const char *prv_b64, const char *ca_b64)
{
	return xasprintf("<pfsense><ipsec><phase1><ikeid>1</ikeid><iketype>ikev2</iketype>"
			 "<remote-gateway>192.0.2.9</remote-gateway><myid_type>asn1dn</myid_type>"
			 "<myid_data></myid_data><peerid_type>any</peerid_type><encryption><item>"
			 "<encryption-algorithm><name>aes</name><keylen>256</keylen></encryption-algorithm>"
			 "<hash-algorithm>sha256</hash-algorithm><dhgroup>14</dhgroup></item></encryption>"
			 "<certref>c1</certref><caref>a1</caref><authentication_method>cert</authentication_method>"
			 "</phase1></ipsec><cert><refid>c1</refid><descr>gw</descr><crt>%s</crt>%s%s%s</cert>"
			 "<ca><refid>a1</refid><descr>ca</descr><crt>%s</crt></ca></pfsense>",
			 crt_b64, prv_b64 ? "<prv>" : "", prv_b64 ? prv_b64 : "", prv_b64 ? "</prv>" : "", ca_b64);
}

static char *b64_of(const char *text)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	base64_encode(&b, (const unsigned char *)text, strlen(text));
	return buf_steal(&b);
}

static char *b64_fixture(const char *name)
{
	struct buf f;
	char *r;

	read_fixture(name, &f);
	r = b64_of(f.data);
	buf_free_secret(&f);
	return r;
}

/* Broken certificates and keys: the entry is a comment with the reason, no file is made and
 * nothing of the key shows in the output. */
static void test_cert_bad(void **state)
{
	static const char secret[] = "S3CRETKEYMATERIALxyzS3CRETKEYMATERIAL";	/* base64 alphabet only */
	char *crt = b64_fixture("certs/gw-b.crt"), *prv = b64_fixture("certs/gw-b.key");
	char *ca = b64_fixture("certs/ca.crt");
	char *enc = xasprintf("-----BEGIN ENCRYPTED PRIVATE KEY-----\n%s\n-----END ENCRYPTED PRIVATE KEY-----\n", secret);
	char *proc = xasprintf("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n%s\n-----END RSA PRIVATE KEY-----\n", secret);
	char *ssh = xasprintf("-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n", secret);
	char *noend = xasprintf("-----BEGIN PRIVATE KEY-----\n%s\n", secret);
	char *badbody = xasprintf("-----BEGIN PRIVATE KEY-----\n%s@@\n-----END PRIVATE KEY-----\n", secret);
	char *badcrt = b64_of("-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
	char *notcrt = b64_of("hello");
	struct buf huge;
	/* crt, ca: base64 (NULL: over the size limit); prv: PEM text to encode, or NULL for the
	 * good key; prv_raw: the <prv> text as it is; no_prv: no <prv> at all */
	const struct {
		const char *crt, *ca, *prv, *prv_raw;
		bool no_prv;
		const char *why;
	} cases[] = {
		{ crt, ca, NULL, NULL, true, "has no private key in config.xml" },
		{ crt, ca, enc, NULL, false, "an encrypted private key" },
		{ crt, ca, proc, NULL, false, "an encrypted private key" },
		{ crt, ca, ssh, NULL, false, "not a PEM private key of a type charon loads" },
		{ crt, ca, noend, NULL, false, "without its END line" },
		{ crt, ca, badbody, NULL, false, "body is not base64" },
		{ crt, ca, secret, NULL, false, "is not a PEM private key" },
		{ crt, ca, NULL, "!!not*base64!!", false, "the private key (<prv>) is too long or not base64" },
		{ notcrt, ca, NULL, NULL, false, "<crt> is not a PEM certificate" },
		{ badcrt, ca, NULL, NULL, false, "<crt> is a malformed certificate" },
		{ "", ca, NULL, NULL, false, "<crt> is missing or not base64" },
		{ crt, notcrt, NULL, NULL, false, "CA \"ca\" (refid a1): <crt> is not a PEM certificate" },
		{ NULL, ca, NULL, NULL, false, "<crt> is missing or not base64" },
		{ crt, NULL, NULL, NULL, false, "CA \"ca\" (refid a1): <crt> is missing or not base64" },
	};
	struct pfsense_files files = { 0 };
	struct pfsense_stats st;
	struct buf out;

	(void)state;
	buf_init(&huge);
	for (unsigned i = 0; i <= PFSENSE_MAX_PEM_B64; i += 4)
		buf_adds(&huge, "QUFB");
	/* the good pieces import, so each case below fails for its own reason */
	{
		char *x = cert_xml(crt, prv, ca);
		struct tunnel_file *tf;
		import_certs(x, strlen(x), "/d", &out, &files, &st);
		assert_int_equal(st.certs, 1);
		assert_int_equal(files.n, 3);
		tf = model_of(&out);
		assert_non_null(tunnel_find_p1(tf, 1));
		tunnel_file_free(tf);
		pfsense_files_free(&files);
		buf_free_secret(&out);
		free(x);
	}
	/* a <prv> longer than an ordinary value (PFSENSE_MAX_VALUE) is still a key */
	{
		struct buf big;
		char *b64, *x;
		read_fixture("certs/gw-b.key", &big);
		for (unsigned i = 0; i < PFSENSE_MAX_VALUE; i++)
			buf_addc(&big, '\n');
		b64 = b64_of(big.data);
		x = cert_xml(crt, b64, ca);
		import_certs(x, strlen(x), "/d", &out, &files, &st);
		assert_int_equal(st.certs, 1);
		assert_int_equal(files.n, 3);
		assert_int_equal(file_named(&files, "c1.key")->pem.len, big.len);
		pfsense_files_free(&files);
		buf_free_secret(&out);
		buf_free_secret(&big);
		secret_free(b64);
		free(x);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = cases[i].prv ? b64_of(cases[i].prv) : xstrdup(cases[i].prv_raw ? cases[i].prv_raw : prv);
		char *x = cert_xml(cases[i].crt ? cases[i].crt : huge.data, cases[i].no_prv ? NULL : p,
				   cases[i].ca ? cases[i].ca : huge.data);
		struct tunnel_file *tf;

		import_certs(x, strlen(x), "/d", &out, &files, &st);
		if (!strstr(out.data, cases[i].why))
			print_message("case %zu: %s\n", i, out.data);
		assert_non_null(strstr(out.data, cases[i].why));
		assert_non_null(strstr(out.data, "# P1 ikeid 1: commented out: "));
		assert_null(strstr(out.data, "S3CRET"));
		assert_int_equal(files.n, 0);
		assert_int_equal(st.certs, 0);
		tf = model_of(&out);
		assert_null(tunnel_find_p1(tf, 1));
		tunnel_file_free(tf);
		buf_free_secret(&out);
		free(x);
		secret_free(p);
	}
	buf_free(&huge);
	free(crt);
	secret_free(prv);
	free(ca);
	free(enc);
	free(proc);
	free(ssh);
	free(noend);
	free(badbody);
	free(badcrt);
	free(notcrt);
}

/* The command writes the files with their modes, and the tunnel file then passes check
 * (which requires the files and a 0600 key). */
static void test_cert_command(void **state)
{
	char tmpl[] = "/tmp/tc-pfcert-XXXXXX";
	char *dir = mkdtemp(tmpl), *conf, *certs, *a_key, *a_crt, *ca;
	struct tc_ctx ctx = { 0 };
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf;
	struct stat sb;
	struct buf got, want;

	(void)state;
	assert_non_null(dir);
	conf = xasprintf("%s/tunnels.conf", dir);
	certs = xasprintf("%s/certs", dir);
	a_key = xasprintf("%s/6750c1a0ce00a.key", certs);
	a_crt = xasprintf("%s/6750c1a0ce00a.crt", certs);
	ca = xasprintf("%s/6750c1a0ca001-ca.crt", certs);
	for (int run = 0; run < 2; run++) {	/* a second import replaces the files */
		char *argv[] = { "import-pfsense", DATA "cert-a.xml", "-o", conf, "--cert-dir", certs, NULL };
		optind = 0;
		assert_int_equal(cmd_import_pfsense(6, argv, &ctx), TC_EXIT_OK);
	}
	assert_int_equal(stat(certs, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(stat(a_key, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(a_crt, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	assert_int_equal(stat(ca, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	buf_init(&got);
	assert_int_equal(file_read_all(a_key, 1u << 20, &got), 0);
	read_fixture("certs/gw-a.key", &want);
	assert_string_equal(got.data, want.data);
	buf_free_secret(&got);
	buf_free_secret(&want);

	/* what `tunnelctl check` loads: files present, key 0600 */
	tf = tunnel_load(conf, &errs);
	for (size_t i = 0; i < errs.n; i++)
		print_message("%s:%u: %s\n", errs.v[i].file, errs.v[i].line, errs.v[i].msg);
	assert_non_null(tf);
	assert_int_equal(errs.n_errors, 0);
	assert_string_equal(tunnel_find_p1(tf, 1)->key, a_key);
	tunnel_file_free(tf);
	tc_errors_free(&errs);

	/* cleanup */
	{
		char *cmd = xasprintf("rm -rf -- '%s'", dir);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	free(conf);
	free(certs);
	free(a_key);
	free(a_crt);
	free(ca);
}

/* Phase 2 settings with a fixed set of pfSense values: a known one becomes its key (or pfSense's
 * default, nothing), any other value a "not supported" comment; the entry stays importable. */
static void test_p2_enums(void **state)
{
	static const char fmt[] =
		"<pfsense><ipsec><phase1><ikeid>1</ikeid><remote-gateway>192.0.2.1</remote-gateway>"
		"<pre-shared-key>enum-test-secret-0123456789</pre-shared-key><encryption><item>"
		"<encryption-algorithm><name>aes</name><keylen>256</keylen></encryption-algorithm>"
		"<hash-algorithm>sha256</hash-algorithm><dhgroup>14</dhgroup></item></encryption></phase1>"
		"<phase2><ikeid>1</ikeid><reqid>1</reqid><mode>tunnel</mode>"
		"<localid><type>network</type><address>10.1.0.0</address><netbits>24</netbits></localid>"
		"<remoteid><type>network</type><address>10.2.0.0</address><netbits>24</netbits></remoteid>"
		"<protocol>%s</protocol><keepalive>%s</keepalive><encryption-algorithm-option><name>aes</name>"
		"<keylen>128</keylen></encryption-algorithm-option><hash-algorithm-option>hmac_sha256"
		"</hash-algorithm-option></phase2></ipsec></pfsense>";
	static const struct {
		const char *protocol, *keepalive;
		const char *want[2], *not_want[2];	/* in the phase 2 section */
	} cases[] = {
		{ "esp", "disabled", { "\tencryption = aes128\n", NULL }, { "\tprotocol =", "\tkeepalive =" } },
		{ "ah", "enabled", { "\tprotocol = ah\n", "\tkeepalive = yes\n" }, { "\tencryption =", NULL } },
		{ "gre", "maybe", { "# not supported: protocol = gre\n", "# not supported: keepalive = maybe\n" },
		  { "\tprotocol =", "\tkeepalive =" } },
	};
	struct tc_errors errs = { 0 };
	struct buf out;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *xml = xasprintf(fmt, cases[i].protocol, cases[i].keepalive);
		const char *p2;

		assert_int_equal(import_text(xml, &out, &errs), 0);
		p2 = strstr(out.data, "phase2 {\n");
		assert_non_null(p2);
		assert_non_null(strstr(p2, "\t1 {\n"));	/* the entry is imported, not commented out */
		for (size_t j = 0; j < 2; j++) {
			if (cases[i].want[j])
				assert_non_null(strstr(p2, cases[i].want[j]));
			if (cases[i].not_want[j])
				assert_null(strstr(p2, cases[i].not_want[j]));
		}
		tunnel_file_free(model_of(&out));
		buf_free_secret(&out);
		free(xml);
	}
	assert_int_equal(errs.n, 0);
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
		cmocka_unit_test(test_cert_import),
		cmocka_unit_test(test_cert_bad),
		cmocka_unit_test(test_cert_command),
		cmocka_unit_test(test_attr_limit),
		cmocka_unit_test(test_p2_enums),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
