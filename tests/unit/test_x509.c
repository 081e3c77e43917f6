/* test_x509.c - issuer, subject, validity and key identifiers of real certificates: a DER
 * one made by openssl, PEM ones made by strongSwan's pki (two CAs with the same name). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "x509.h"

#define CERTS "tests/data/doctor_conf/cert/"

static void load(const char *path, struct buf *der)
{
	struct buf raw;

	buf_init(&raw);
	buf_init(der);
	assert_int_equal(file_read_all(path, 1 << 20, &raw), 0);
	assert_int_equal(x509_to_der(raw.data, raw.len, der), 0);
	buf_free(&raw);
}

static void test_der_dates(void **state)
{
	struct buf der;
	struct x509_info xi;

	(void)state;
	load("tests/data/x509/cert.der", &der);
	assert_int_equal(x509_parse(der.data, der.len, &xi), 0);
	/* openssl x509 -dates: Nov 29 15:31:57 2026 GMT, Dec 29 15:31:57 2026 GMT */
	assert_int_equal((long long)xi.not_before, 1795966317LL);
	assert_int_equal((long long)xi.not_after, 1798558317LL);
	/* every truncation fails cleanly */
	for (size_t l = 0; l < der.len; l += 7)
		if (l < 200)
			assert_int_equal(x509_parse(der.data, l, &xi), -EBADMSG);
	buf_free(&der);
}

static void test_pem_names_and_keys(void **state)
{
	struct buf cert, ca1, ca2, text;
	struct x509_info c, a1, a2;

	(void)state;
	load(CERTS "a/x509/gw-a.crt", &cert);
	load(CERTS "b/x509ca/ca1.crt", &ca1);
	load(CERTS "b/x509ca/ca2.crt", &ca2);
	assert_int_equal(x509_parse(cert.data, cert.len, &c), 0);
	assert_int_equal(x509_parse(ca1.data, ca1.len, &a1), 0);
	assert_int_equal(x509_parse(ca2.data, ca2.len, &a2), 0);
	buf_init(&text);
	assert_int_equal(x509_dn_text(c.subject, c.subject_len, &text), 0);
	assert_string_equal(text.data, "C=CH, O=tunnelctl, CN=gw-a.example.com");
	buf_free(&text);
	buf_init(&text);
	assert_int_equal(x509_dn_text(c.issuer, c.issuer_len, &text), 0);
	assert_string_equal(text.data, "C=CH, O=tunnelctl, CN=tunnelctl test CA");
	buf_free(&text);
	/* same names, different keys: only the key identifiers tell the CAs apart */
	assert_memory_equal(a1.subject, a2.subject, a1.subject_len);
	assert_non_null(c.aki);
	assert_non_null(a1.ski);
	assert_int_equal(c.aki_len, a1.ski_len);
	assert_memory_equal(c.aki, a1.ski, c.aki_len);
	assert_memory_not_equal(c.aki, a2.ski, c.aki_len);
	buf_free(&cert);
	buf_free(&ca1);
	buf_free(&ca2);
}

/* DER Name: SEQUENCE of SETs of (OID, value); attribute oids 2.5.4.x. */
static size_t name_der(unsigned char *out, const char *const *vals, const unsigned char *types, size_t n,
		       bool one_set)
{
	unsigned char body[256];
	size_t bl = 0, o = 0;

	for (size_t i = 0; i < n; i++) {
		size_t vl = strlen(vals[i]);
		unsigned char atv[64];
		size_t al = 0;
		atv[al++] = 0x30;
		atv[al++] = (unsigned char)(5 + 2 + vl);
		atv[al++] = 0x06, atv[al++] = 3, atv[al++] = 0x55, atv[al++] = 0x04, atv[al++] = types[i];
		atv[al++] = 0x0c;	/* UTF8String */
		atv[al++] = (unsigned char)vl;
		memcpy(atv + al, vals[i], vl);
		al += vl;
		if (!one_set) {
			body[bl++] = 0x31;
			body[bl++] = (unsigned char)al;
		}
		memcpy(body + bl, atv, al);
		bl += al;
	}
	out[o++] = 0x30;
	out[o++] = (unsigned char)(bl + (one_set ? 2 : 0));
	if (one_set) {
		out[o++] = 0x31;
		out[o++] = (unsigned char)bl;
	}
	memcpy(out + o, body, bl);
	return o + bl;
}

/* A Name as an identity only when strongSwan would parse the text back to the same Name. */
static void test_dn_id(void **state)
{
	static const unsigned char c_o_cn[] = { 0x06, 0x0a, 0x03 };
	const struct {
		const char *vals[3];
		bool one_set;
		const char *want;	/* NULL: -ERANGE */
	} cases[] = {
		{ { "CH", "tunnelctl", "gw.example.com" }, false, "C=CH, O=tunnelctl, CN=gw.example.com" },
		{ { "CH", "Acme, Inc.", "gw" }, false, NULL },		/* the separator */
		{ { "CH", "x", " gw" }, false, NULL },			/* leading space is dropped */
		{ { "CH", "x", "gw " }, false, NULL },			/* trailing space is dropped */
		{ { "CH", "x", "=gw" }, false, NULL },			/* leading '=' is skipped */
		{ { "CH", "say \"hi\"", "gw" }, false, NULL },		/* the tunnel file's quote */
		{ { "CH", "x", "gw\xc3\xa9" }, false, NULL },		/* not ASCII */
		{ { "CH", "x", "" }, false, NULL },
		{ { "CH", "tunnelctl", "gw" }, true, NULL },		/* one multi-valued RDN */
	};
	unsigned char der[256];
	struct buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t l = name_der(der, cases[i].vals, c_o_cn, 3, cases[i].one_set);
		buf_init(&out);
		buf_adds(&out, "");
		if (cases[i].want) {
			assert_int_equal(x509_dn_id(der, l, &out), 0);
			assert_string_equal(out.data, cases[i].want);
		} else {
			assert_int_equal(x509_dn_id(der, l, &out), -ERANGE);
			assert_int_equal(out.len, 0);
		}
		/* the display form always works */
		assert_int_equal(x509_dn_text(der, l, &out), 0);
		buf_free(&out);
	}
	/* an attribute strongSwan has no name for (2.5.4.99) */
	{
		const char *v[] = { "x" };
		const unsigned char t[] = { 99 };
		size_t l = name_der(der, v, t, 1, false);
		buf_init(&out);
		assert_int_equal(x509_dn_id(der, l, &out), -ERANGE);
		buf_free(&out);
	}
	buf_init(&out);
	assert_int_equal(x509_dn_id((const unsigned char *)"\x30\x05\x31", 3, &out), -EBADMSG);
	buf_free(&out);
}

static void test_not_a_cert(void **state)
{
	struct buf der;
	struct x509_info xi;

	(void)state;
	buf_init(&der);
	assert_int_equal(x509_to_der("-----BEGIN CERTIFICATE-----\nAAAA", 32, &der), -EBADMSG);
	buf_free(&der);
	assert_int_equal(x509_parse("\x30\x03\x30\x01", 4, &xi), -EBADMSG);
	assert_int_equal(x509_parse("", 0, &xi), -EBADMSG);
}

#define EXT "tests/data/doctor_conf/x509ext/"

/* The extensions charon acts on, from certificates made with pki 5.9.8 (strongSwan's own
 * `pki --print` refuses gw-a-crit.crt: "critical 'unknown' extension not supported", then
 * the openssl plugin "found unsupported critical X.509 extension: 2.25.7003"). */
static void test_extensions(void **state)
{
	struct buf root, ok, crit, ku, other, text;
	struct x509_info r, o, c, k, s;

	(void)state;
	load(EXT "a/x509ca/root.crt", &root);
	load(EXT "a/x509/gw-a.crt", &ok);
	load(EXT "a/x509/gw-a-crit.crt", &crit);
	load(EXT "a/x509/gw-a-ku.crt", &ku);
	load(EXT "a/x509/gw-a-other.crt", &other);
	assert_int_equal(x509_parse(root.data, root.len, &r), 0);
	assert_int_equal(x509_parse(ok.data, ok.len, &o), 0);
	assert_int_equal(x509_parse(crit.data, crit.len, &c), 0);
	assert_int_equal(x509_parse(ku.data, ku.len, &k), 0);
	assert_int_equal(x509_parse(other.data, other.len, &s), 0);
	/* basicConstraints and keyUsage: the root is a CA (keyCertSign, cRLSign); gw-a has no
	 * keyUsage; gw-a-ku has cRLSign only, not fit to sign IKE */
	assert_int_equal(r.flags & (X509_F_CA | X509_F_KU | X509_F_KU_SIGN), X509_F_CA | X509_F_KU);
	assert_int_equal(o.flags & (X509_F_CA | X509_F_KU), 0);
	assert_int_equal(k.flags & (X509_F_KU | X509_F_KU_SIGN), X509_F_KU);
	/* the unsupported critical extension; known critical ones (basicConstraints, keyUsage) pass */
	assert_null(r.crit_oid);
	assert_null(k.crit_oid);
	assert_non_null(c.crit_oid);
	buf_init(&text);
	assert_int_equal(x509_oid_text(c.crit_oid, c.crit_oid_len, &text), 0);
	assert_string_equal(text.data, "2.25.7003");
	buf_free(&text);
	/* subjectAltNames in order, then the end */
	buf_init(&text);
	assert_int_equal(x509_san_id(&s, 0, &text), 0);
	assert_string_equal(text.data, "fqdn:other.ext.example");
	text.len = 0;
	assert_int_equal(x509_san_id(&s, 1, &text), 0);
	assert_string_equal(text.data, "ipv4:192.0.2.1");
	assert_int_equal(x509_san_id(&s, 2, &text), -ENOENT);
	assert_int_equal(x509_san_id(&r, 0, &text), -ENOENT);
	buf_free(&text);
	/* certificatePolicies */
	assert_int_equal(x509_has_policy(&o, "2.25.7001", false), 1);
	assert_int_equal(x509_has_policy(&o, "2.25.7002", true), 0);
	assert_int_equal(x509_has_policy(&o, "2.25.700", false), 0);
	assert_int_equal(x509_has_policy(&r, "2.25.7001", true), 0);
	buf_free(&root);
	buf_free(&ok);
	buf_free(&crit);
	buf_free(&ku);
	buf_free(&other);
}

static void test_oid_text(void **state)
{
	static const unsigned char eku[] = { 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 },
				   big[] = { 0x88, 0x37 }, trunc[] = { 0x2b, 0x86 },
				   huge[] = { 0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	struct buf t;

	(void)state;
	buf_init(&t);
	assert_int_equal(x509_oid_text(eku, sizeof(eku), &t), 0);
	assert_string_equal(t.data, "1.3.6.1.5.5.7.3.1");
	t.len = 0;
	assert_int_equal(x509_oid_text(big, sizeof(big), &t), 0);	/* 2.999 */
	assert_string_equal(t.data, "2.999");
	t.len = 0;
	assert_int_equal(x509_oid_text(trunc, sizeof(trunc), &t), -EBADMSG);
	assert_int_equal(x509_oid_text(huge, sizeof(huge), &t), -EBADMSG);
	assert_int_equal(x509_oid_text(eku, 0, &t), -EBADMSG);
	assert_int_equal(t.len, 0);
	buf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extensions),
		cmocka_unit_test(test_oid_text),
		cmocka_unit_test(test_der_dates),
		cmocka_unit_test(test_pem_names_and_keys),
		cmocka_unit_test(test_not_a_cert),
		cmocka_unit_test(test_dn_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
