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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_der_dates),
		cmocka_unit_test(test_pem_names_and_keys),
		cmocka_unit_test(test_not_a_cert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
