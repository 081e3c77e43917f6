/* proposal.c - pfSense algorithm names and DH numbers to strongSwan keywords, and the
 * proposal token rules of docs/compile.md (Proposals). */
#include "proposal.h"

#include <stdlib.h>
#include <string.h>

/* The PRF of an IKE AEAD entry that names neither prf nor hash: charon needs one. */
#define PROPOSAL_AEAD_DEFAULT_PRF "prfsha256"

static const char *const aes_auto[] = { "aes256", "aes192", "aes128", NULL };
static const char *const blowfish_auto[] = { "blowfish256", "blowfish192", "blowfish128", NULL };

/* Encryption by tunnel-file name, sorted by strcmp for bsearch. pfSense's AES-GCM names
 * carry the ICV length in bits (aes128gcm128 = 16-byte ICV); strongSwan's short form
 * counts bytes (aes128gcm16). */
static const struct proposal_enc encs[] = {
	/* name                keyword               aead   weak   ike   esp  expand */
	{ "3des",              "3des",               false, true,  true, true, NULL },
	{ "aes",               NULL,                 false, false, true, true, aes_auto },
	{ "aes128",            "aes128",             false, false, true, true, NULL },
	{ "aes128gcm128",      "aes128gcm16",        true,  false, true, true, NULL },
	{ "aes128gcm64",       "aes128gcm8",         true,  false, true, true, NULL },
	{ "aes128gcm96",       "aes128gcm12",        true,  false, true, true, NULL },
	{ "aes192",            "aes192",             false, false, true, true, NULL },
	{ "aes192gcm128",      "aes192gcm16",        true,  false, true, true, NULL },
	{ "aes192gcm64",       "aes192gcm8",         true,  false, true, true, NULL },
	{ "aes192gcm96",       "aes192gcm12",        true,  false, true, true, NULL },
	{ "aes256",            "aes256",             false, false, true, true, NULL },
	{ "aes256gcm128",      "aes256gcm16",        true,  false, true, true, NULL },
	{ "aes256gcm64",       "aes256gcm8",         true,  false, true, true, NULL },
	{ "aes256gcm96",       "aes256gcm12",        true,  false, true, true, NULL },
	{ "blowfish",          NULL,                 false, true,  true, true, blowfish_auto },
	{ "blowfish128",       "blowfish128",        false, true,  true, true, NULL },
	{ "blowfish192",       "blowfish192",        false, true,  true, true, NULL },
	{ "blowfish256",       "blowfish256",        false, true,  true, true, NULL },
	{ "cast128",           "cast128",            false, true,  true, true, NULL },
	{ "chacha20poly1305",  "chacha20poly1305",   true,  false, true, true, NULL },
	{ "des",               "des",                false, true,  true, true, NULL },
};

/* Kept equal to the names of encs[] (test_proposal checks). */
static const char enc_names[] =
	"3des, aes, aes128, aes128gcm128, aes128gcm64, aes128gcm96, aes192, aes192gcm128, "
	"aes192gcm64, aes192gcm96, aes256, aes256gcm128, aes256gcm64, aes256gcm96, blowfish, "
	"blowfish128, blowfish192, blowfish256, cast128, chacha20poly1305, des";

/* Integrity algorithms by tunnel-file name, sorted by strcmp. */
static const struct proposal_hash hashes[] = {
	{ "aesxcbc", "aesxcbc", "prfaesxcbc", false },
	{ "md5",     "md5",     "prfmd5",     true },
	{ "sha1",    "sha1",    "prfsha1",    true },
	{ "sha256",  "sha256",  "prfsha256",  false },
	{ "sha384",  "sha384",  "prfsha384",  false },
	{ "sha512",  "sha512",  "prfsha512",  false },
};

static const char hash_names[] = "aesxcbc, md5, sha1, sha256, sha384, sha512";

struct dh_group {
	unsigned group;
	const char *keyword;
	bool weak;
};

/* pfSense DH numbers (IANA transform IDs) to strongSwan keywords, sorted by number. */
static const struct dh_group dh_groups[] = {
	{ 1, "modp768", true },
	{ 2, "modp1024", true },
	{ 5, "modp1536", true },
	{ 14, "modp2048", false },
	{ 15, "modp3072", false },
	{ 16, "modp4096", false },
	{ 17, "modp6144", false },
	{ 18, "modp8192", false },
	{ 19, "ecp256", false },
	{ 20, "ecp384", false },
	{ 21, "ecp521", false },
	{ 22, "modp1024s160", true },
	{ 23, "modp2048s224", false },
	{ 24, "modp2048s256", false },
	{ 25, "ecp192", false },
	{ 26, "ecp224", false },
	{ 27, "ecp224bp", false },
	{ 28, "ecp256bp", false },
	{ 29, "ecp384bp", false },
	{ 30, "ecp512bp", false },
	{ 31, "curve25519", false },
	{ 32, "curve448", false },
};

static int cmp_enc(const void *key, const void *elem)
{
	return strcmp(key, ((const struct proposal_enc *)elem)->name);
}

static int cmp_hash(const void *key, const void *elem)
{
	return strcmp(key, ((const struct proposal_hash *)elem)->name);
}

static int cmp_dh(const void *key, const void *elem)
{
	unsigned a = *(const unsigned *)key, b = ((const struct dh_group *)elem)->group;

	return (a > b) - (a < b);
}

const struct proposal_enc *proposal_find_enc(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, encs, ARRAY_SIZE(encs), sizeof(encs[0]), cmp_enc);
}

const struct proposal_hash *proposal_find_hash(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, hashes, ARRAY_SIZE(hashes), sizeof(hashes[0]), cmp_hash);
}

static const struct dh_group *dh_find(unsigned group)
{
	return bsearch(&group, dh_groups, ARRAY_SIZE(dh_groups), sizeof(dh_groups[0]), cmp_dh);
}

const char *proposal_dh_keyword(unsigned group)
{
	const struct dh_group *g = dh_find(group);

	return g ? g->keyword : NULL;
}

bool proposal_dh_weak(unsigned group)
{
	const struct dh_group *g = dh_find(group);

	return g && g->weak;
}

const char *proposal_enc_names(void)
{
	return enc_names;
}

const char *proposal_hash_names(void)
{
	return hash_names;
}

/* Start a new comma-separated token in b (a comma unless b is empty). */
static void token_start(struct buf *b)
{
	if (b->len > 0)
		buf_addc(b, ',');
}

/* The "-<dh keyword>" part, or nothing for group 0 or an unknown group. */
static void token_add_dh(struct buf *b, unsigned group)
{
	const char *kw = proposal_dh_keyword(group);

	if (kw) {
		buf_addc(b, '-');
		buf_adds(b, kw);
	}
}

/* Writes the token(s) of one strongSwan encryption keyword into b. */
typedef void (*keyword_fn)(struct buf *b, const char *enc_kw, bool aead, const void *ctx);

/* Call emit once per strongSwan encryption keyword name stands for (auto key lengths expand,
 * longest first). An unknown name is passed through as written: tunnel.c rejects it. */
static void enc_each_keyword(struct buf *b, const char *name, keyword_fn emit, const void *ctx)
{
	const struct proposal_enc *e = proposal_find_enc(name);

	if (!name)
		return;
	if (!e) {
		emit(b, name, false, ctx);
		return;
	}
	if (!e->expand) {
		emit(b, e->keyword, e->aead, ctx);
		return;
	}
	for (const char *const *x = e->expand; *x; x++) {
		const struct proposal_enc *one = proposal_find_enc(*x);

		emit(b, one->keyword, one->aead, ctx);
	}
}

/* IKE token: <enc>[-<integ>][-prf<prf>]-<dh>. AEAD has no integrity but IKE needs a PRF:
 * the entry's prf, else its hash as PRF, else prfsha256. */
static void ike_token(struct buf *b, const char *enc_kw, bool aead, const void *ctx)
{
	const struct tunnel_proposal *p = ctx;
	const struct proposal_hash *h = proposal_find_hash(p->hash);
	const struct proposal_hash *prf = proposal_find_hash(p->prf);

	token_start(b);
	buf_adds(b, enc_kw);
	if (h && !aead) {
		buf_addc(b, '-');
		buf_adds(b, h->integ);
	}
	if (prf) {
		buf_addc(b, '-');
		buf_adds(b, prf->prf);
	} else if (aead) {
		buf_addc(b, '-');
		buf_adds(b, h ? h->prf : PROPOSAL_AEAD_DEFAULT_PRF);
	}
	token_add_dh(b, p->dh_group);
}

void proposal_ike_list(struct buf *b, const struct tunnel_phase1 *p1)
{
	struct buf tmp;

	buf_init(&tmp);
	for (size_t i = 0; i < p1->n_proposals; i++)
		enc_each_keyword(&tmp, p1->proposals[i].encryption, ike_token, &p1->proposals[i]);
	buf_add(b, tmp.data, tmp.len);
	buf_free(&tmp);
}

/* ESP tokens of one encryption keyword: AEAD alone, others once per hash. */
static void esp_tokens(struct buf *b, const char *enc_kw, bool aead, const void *ctx)
{
	const struct tunnel_phase2 *p2 = ctx;

	if (aead || p2->hash.n == 0) {
		token_start(b);
		buf_adds(b, enc_kw);
		token_add_dh(b, p2->pfs_group);
		return;
	}
	for (size_t h = 0; h < p2->hash.n; h++) {
		const struct proposal_hash *ph = proposal_find_hash(p2->hash.v[h]);

		token_start(b);
		buf_adds(b, enc_kw);
		buf_addc(b, '-');
		buf_adds(b, ph ? ph->integ : p2->hash.v[h]);
		token_add_dh(b, p2->pfs_group);
	}
}

static bool enc_is_aead(const char *name)
{
	const struct proposal_enc *e = proposal_find_enc(name);

	return e && e->aead;
}

void proposal_child_list(struct buf *b, const struct tunnel_phase2 *p2)
{
	struct buf tmp;

	buf_init(&tmp);
	if (p2->protocol == TUNNEL_PROTO_AH) {
		/* AH authenticates only: one token per hash */
		for (size_t h = 0; h < p2->hash.n; h++) {
			const struct proposal_hash *ph = proposal_find_hash(p2->hash.v[h]);

			token_start(&tmp);
			buf_adds(&tmp, ph ? ph->integ : p2->hash.v[h]);
			token_add_dh(&tmp, p2->pfs_group);
		}
	} else {
		/* pfSense puts AEAD algorithms first, each new one in front of the earlier ones */
		for (size_t i = p2->encryption.n; i-- > 0;)
			if (enc_is_aead(p2->encryption.v[i]))
				enc_each_keyword(&tmp, p2->encryption.v[i], esp_tokens, p2);
		for (size_t i = 0; i < p2->encryption.n; i++)
			if (!enc_is_aead(p2->encryption.v[i]))
				enc_each_keyword(&tmp, p2->encryption.v[i], esp_tokens, p2);
	}
	buf_add(b, tmp.data, tmp.len);
	buf_free(&tmp);
}
