/* test_doctor_props.c - proposal lists compared transform by transform (charon's wording). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "doctor_props.h"

#define KE DOCTOR_XF_BIT(DOCTOR_XF_KE)
#define ENC DOCTOR_XF_BIT(DOCTOR_XF_ENC)
#define INTEG DOCTOR_XF_BIT(DOCTOR_XF_INTEG)
#define PRF DOCTOR_XF_BIT(DOCTOR_XF_PRF)

static unsigned cmp(const char *recv, const char *conf, bool ignore_ke, struct buf *why)
{
	return doctor_props_compare(recv, conf, ignore_ke, "peer offers", "we accept only", why);
}

/* Only the DH group differs: the mask says so and the text names both groups. */
static void test_dh_only(void **state)
{
	struct buf why;
	(void)state;

	buf_init(&why);
	assert_int_equal(cmp("received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
			     "configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256",
			     false, &why), KE);
	assert_string_equal(why.data, "peer offers AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, "
				      "we accept only AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256; "
				      "they differ in DH group (MODP_2048 vs ECP_256)");
	buf_free(&why);
}

/* Everything but the DH group differs. */
static void test_full_mismatch(void **state)
{
	(void)state;
	assert_int_equal(cmp("received proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
			     "configured proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048",
			     false, NULL), ENC | INTEG | PRF);
}

/* Several proposals: a matching pair means no difference (lines from strongSwan issue
 * #2861), and otherwise the closest pair is the one reported. */
static void test_lists(void **state)
{
	struct buf why;
	(void)state;

	assert_int_equal(cmp("received proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256, IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256, IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
			     "configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
			     false, NULL), 0);

	buf_init(&why);
	assert_int_equal(cmp("received proposals: IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024, IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024",
			     "configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
			     false, &why), KE);
	assert_non_null(strstr(why.data, "DH group (MODP_1024 vs MODP_2048)"));
	buf_free(&why);

	/* a missing list is no difference */
	assert_int_equal(cmp("received proposals: ", "configured proposals: IKE:AES_CBC_128", false, NULL), 0);
	assert_int_equal(cmp("nothing here", "nor here", false, NULL), 0);
}

/* ESP in IKE_AUTH has no key exchange: a PFS group alone is no mismatch there, but it is one
 * in CREATE_CHILD_SA (rekey), where "no PFS" is spelled out. */
static void test_pfs(void **state)
{
	struct buf why;
	(void)state;

	assert_int_equal(cmp("received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ",
			     "configured proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
			     true, NULL), 0);
	buf_init(&why);
	assert_int_equal(cmp("received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
			     "configured proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ",
			     false, &why), KE);
	assert_non_null(strstr(why.data, "DH group (MODP_2048 vs none (no PFS))"));
	buf_free(&why);
	/* different PFS groups count even when KE may be ignored */
	assert_int_equal(cmp("received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
			     "configured proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/ECP_256/NO_EXT_SEQ",
			     true, NULL), KE);
}

/* AEAD on one side, CBC+HMAC on the other: encryption and integrity differ. */
static void test_aead(void **state)
{
	(void)state;
	assert_int_equal(cmp("received proposals: IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_256",
			     "configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256",
			     false, NULL), ENC | INTEG);
}

static void test_xf_type(void **state)
{
	(void)state;
#define T(s) doctor_props_xf_type(s, strlen(s))
	assert_int_equal(T("MODP_2048"), DOCTOR_XF_KE);
	assert_int_equal(T("CURVE_25519"), DOCTOR_XF_KE);
	assert_int_equal(T("ECP_256_BP"), DOCTOR_XF_KE);
	assert_int_equal(T("KE1_ML_KEM_768"), DOCTOR_XF_KE);
	assert_int_equal(T("ML_KEM_768"), DOCTOR_XF_KE);
	assert_int_equal(T("AES_XCBC_96"), DOCTOR_XF_INTEG);
	assert_int_equal(T("HMAC_SHA1_96"), DOCTOR_XF_INTEG);
	assert_int_equal(T("PRF_AES128_XCBC"), DOCTOR_XF_PRF);
	assert_int_equal(T("CHACHA20_POLY1305"), DOCTOR_XF_ENC);
	assert_int_equal(T("AES_GCM_16_256"), DOCTOR_XF_ENC);
	assert_int_equal(T("NO_EXT_SEQ"), DOCTOR_XF_ESN);
#undef T
}

/* The responder's groups as pfSense numbers, for the fix. */
static void test_dh_groups(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b);
	assert_int_equal(doctor_props_dh_groups("configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256/CURVE_25519", &b), 3);
	assert_string_equal(b.data, "14, 19, 31");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_only),
		cmocka_unit_test(test_full_mismatch),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_pfs),
		cmocka_unit_test(test_aead),
		cmocka_unit_test(test_xf_type),
		cmocka_unit_test(test_dh_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
