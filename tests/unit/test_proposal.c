/* test_proposal.c - algorithm tables and the proposal token rules of SPEC §4.4. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proposal.h"

/* Proposals of a phase 2 with the given encryption and hash lists (NULL-terminated). */
static char *child_list(enum tunnel_proto proto, const char *const *enc, const char *const *hash,
			unsigned pfs)
{
	struct tunnel_phase2 p2 = { .protocol = proto, .pfs_group = pfs };
	struct buf b;

	for (; enc && enc[p2.encryption.n];)
		p2.encryption.n++;
	for (; hash && hash[p2.hash.n];)
		p2.hash.n++;
	p2.encryption.v = (char **)enc;
	p2.hash.v = (char **)hash;
	buf_init(&b);
	proposal_child_list(&b, &p2);
	return buf_steal(&b);
}

static char *ike_list(struct tunnel_proposal *props, size_t n)
{
	struct tunnel_phase1 p1 = { .proposals = props, .n_proposals = n };
	struct buf b;

	buf_init(&b);
	proposal_ike_list(&b, &p1);
	return buf_steal(&b);
}

#define assert_child(proto, enc, hash, pfs, want)                                  \
	do {                                                                       \
		char *got_ = child_list(proto, enc, hash, pfs);                    \
		assert_string_equal(got_, want);                                   \
		free(got_);                                                        \
	} while (0)

static void test_lookup(void **state)
{
	const struct proposal_enc *e;
	const struct proposal_hash *h;

	(void)state;
	e = proposal_find_enc("aes256");
	assert_non_null(e);
	assert_string_equal(e->keyword, "aes256");
	assert_false(e->aead);
	assert_false(e->weak);
	/* pfSense's GCM names count the ICV in bits, strongSwan's short form in bytes */
	assert_string_equal(proposal_find_enc("aes128gcm128")->keyword, "aes128gcm16");
	assert_string_equal(proposal_find_enc("aes192gcm96")->keyword, "aes192gcm12");
	assert_string_equal(proposal_find_enc("aes256gcm64")->keyword, "aes256gcm8");
	assert_true(proposal_find_enc("aes256gcm64")->aead);
	assert_true(proposal_find_enc("chacha20poly1305")->aead);
	assert_true(proposal_find_enc("3des")->weak);
	assert_true(proposal_find_enc("des")->weak);
	assert_true(proposal_find_enc("blowfish")->weak);
	assert_null(proposal_find_enc("aes512"));
	assert_null(proposal_find_enc(""));
	assert_null(proposal_find_enc(NULL));

	h = proposal_find_hash("sha256");
	assert_non_null(h);
	assert_string_equal(h->integ, "sha256");
	assert_string_equal(h->prf, "prfsha256");
	assert_false(h->weak);
	assert_true(proposal_find_hash("md5")->weak);
	assert_true(proposal_find_hash("sha1")->weak);
	assert_string_equal(proposal_find_hash("aesxcbc")->prf, "prfaesxcbc");
	assert_null(proposal_find_hash("sha3"));
}

/* The "allowed values" strings list every table entry, and lookups find each of them
 * (which also proves the tables are sorted for bsearch). */
static void test_names_match_tables(void **state)
{
	const char *lists[] = { proposal_enc_names(), proposal_hash_names() };

	(void)state;
	for (size_t l = 0; l < 2; l++) {
		char *copy = strdup(lists[l]), *save = NULL, *prev = NULL;
		size_t n = 0;

		for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (l == 0)
				assert_non_null(proposal_find_enc(tok));
			else
				assert_non_null(proposal_find_hash(tok));
			if (prev)
				assert_true(strcmp(prev, tok) < 0);
			prev = tok;
			n++;
		}
		assert_true(n >= (l == 0 ? 20u : 6u));
		free(copy);
	}
}

static void test_dh_table(void **state)
{
	static const struct {
		unsigned group;
		const char *kw;
		bool weak;
	} want[] = {
		{ 1, "modp768", true },	      { 2, "modp1024", true },	    { 5, "modp1536", true },
		{ 14, "modp2048", false },    { 15, "modp3072", false },    { 16, "modp4096", false },
		{ 17, "modp6144", false },    { 18, "modp8192", false },    { 19, "ecp256", false },
		{ 20, "ecp384", false },      { 21, "ecp521", false },	    { 22, "modp1024s160", true },
		{ 23, "modp2048s224", false }, { 24, "modp2048s256", false }, { 25, "ecp192", false },
		{ 26, "ecp224", false },      { 27, "ecp224bp", false },    { 28, "ecp256bp", false },
		{ 29, "ecp384bp", false },    { 30, "ecp512bp", false },    { 31, "curve25519", false },
		{ 32, "curve448", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(proposal_dh_keyword(want[i].group), want[i].kw);
		assert_int_equal(proposal_dh_weak(want[i].group), want[i].weak);
	}
	assert_null(proposal_dh_keyword(0));
	assert_null(proposal_dh_keyword(3));
	assert_null(proposal_dh_keyword(13));
	assert_null(proposal_dh_keyword(33));
	assert_false(proposal_dh_weak(0));
}

static void test_ike_tokens(void **state)
{
	struct tunnel_proposal props[] = {
		{ .encryption = "aes256", .hash = "sha256", .dh_group = 14 },
		{ .encryption = "aes128", .hash = "sha1", .prf = "sha256", .dh_group = 19 },
		{ .encryption = "aes256gcm128", .dh_group = 20 },
		{ .encryption = "aes128gcm96", .hash = "sha384", .dh_group = 31 },
		{ .encryption = "chacha20poly1305", .prf = "sha512", .dh_group = 32 },
	};
	char *got;

	(void)state;
	got = ike_list(props, 1);
	assert_string_equal(got, "aes256-sha256-modp2048");
	free(got);
	/* one token per entry, in order; prf part only when given; AEAD needs a PRF */
	got = ike_list(props, ARRAY_SIZE(props));
	assert_string_equal(got, "aes256-sha256-modp2048,"
				 "aes128-sha1-prfsha256-ecp256,"
				 "aes256gcm16-prfsha256-ecp384,"
				 "aes128gcm12-prfsha384-curve25519,"
				 "chacha20poly1305-prfsha512-curve448");
	free(got);
}

static void test_ike_auto_keylen(void **state)
{
	struct tunnel_proposal props[] = {
		{ .encryption = "aes", .hash = "sha256", .dh_group = 14 },
		{ .encryption = "3des", .hash = "md5", .dh_group = 2 },
	};
	struct tunnel_phase1 p1 = { .proposals = props, .n_proposals = 2 };
	struct buf b;

	(void)state;
	/* appends after existing text, with no leading comma of its own */
	buf_init(&b);
	buf_adds(&b, "proposals = ");
	proposal_ike_list(&b, &p1);
	assert_string_equal(b.data, "proposals = aes256-sha256-modp2048,aes192-sha256-modp2048,"
				    "aes128-sha256-modp2048,3des-md5-modp1024");
	buf_free(&b);
}

static void test_esp_aead_first_reversed(void **state)
{
	static const char *const enc[] = { "aes128gcm128", "aes256", "chacha20poly1305",
					   "aes128", "aes256gcm64", NULL };
	static const char *const hash[] = { "sha256", "sha1", NULL };

	(void)state;
	assert_child(TUNNEL_PROTO_ESP, enc, hash, 14,
		     "aes256gcm8-modp2048,chacha20poly1305-modp2048,aes128gcm16-modp2048,"
		     "aes256-sha256-modp2048,aes256-sha1-modp2048,"
		     "aes128-sha256-modp2048,aes128-sha1-modp2048");
}

static void test_esp_pfs_off(void **state)
{
	static const char *const enc[] = { "aes128", "aes128gcm128", NULL };
	static const char *const hash[] = { "sha256", NULL };

	(void)state;
	/* SPEC §3 default phase 2: aes128 + aes128gcm128, sha256, PFS 14 */
	assert_child(TUNNEL_PROTO_ESP, enc, hash, 14, "aes128gcm16-modp2048,aes128-sha256-modp2048");
	assert_child(TUNNEL_PROTO_ESP, enc, hash, 0, "aes128gcm16,aes128-sha256");
}

static void test_esp_auto_keylen(void **state)
{
	static const char *const enc[] = { "aes", "blowfish", NULL };
	static const char *const hash[] = { "sha512", NULL };

	(void)state;
	assert_child(TUNNEL_PROTO_ESP, enc, hash, 0,
		     "aes256-sha512,aes192-sha512,aes128-sha512,"
		     "blowfish256-sha512,blowfish192-sha512,blowfish128-sha512");
}

static void test_esp_only_aead_ignores_hash(void **state)
{
	static const char *const enc[] = { "aes256gcm128", NULL };
	static const char *const hash[] = { "sha256", "sha384", NULL };

	(void)state;
	assert_child(TUNNEL_PROTO_ESP, enc, hash, 21, "aes256gcm16-ecp521");
}

static void test_ah_hashes_only(void **state)
{
	static const char *const enc[] = { "aes256", NULL };
	static const char *const hash[] = { "sha256", "aesxcbc", "md5", NULL };

	(void)state;
	assert_child(TUNNEL_PROTO_AH, enc, hash, 0, "sha256,aesxcbc,md5");
	assert_child(TUNNEL_PROTO_AH, enc, hash, 20, "sha256-ecp384,aesxcbc-ecp384,md5-ecp384");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_names_match_tables),
		cmocka_unit_test(test_dh_table),
		cmocka_unit_test(test_ike_tokens),
		cmocka_unit_test(test_ike_auto_keylen),
		cmocka_unit_test(test_esp_aead_first_reversed),
		cmocka_unit_test(test_esp_pfs_off),
		cmocka_unit_test(test_esp_auto_keylen),
		cmocka_unit_test(test_esp_only_aead_ignores_hash),
		cmocka_unit_test(test_ah_hashes_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
