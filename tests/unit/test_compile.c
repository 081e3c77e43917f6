/* test_compile.c - the SPEC §4 mapping, on models built by hand, and golden files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "conf.h"

/* Run from the repository root (tests/run.sh does). TC_UPDATE_GOLDEN=1 rewrites the goldens,
 * which then need a review by hand before they are committed. */
#define EXAMPLES_DIR "examples"
#define GOLDEN_DIR "tests/data/compile"

static char *prop_enc[] = { "aes128", "aes128gcm128" };
static char *prop_hash[] = { "sha256" };

/* A phase 2 with SPEC §3's defaults. */
static void p2_defaults(struct tunnel_phase2 *p2, unsigned reqid, char *local, char *remote)
{
	memset(p2, 0, sizeof(*p2));
	p2->reqid = reqid;
	p2->description = "LAN";
	p2->enabled = true;
	p2->mode = TUNNEL_MODE_TUNNEL;
	p2->local = local;
	p2->remote = remote;
	p2->protocol = TUNNEL_PROTO_ESP;
	p2->encryption = (struct strv){ prop_enc, ARRAY_SIZE(prop_enc) };
	p2->hash = (struct strv){ prop_hash, ARRAY_SIZE(prop_hash) };
	p2->pfs_group = 14;
	p2->lifetime = 3600;
	p2->rekey_time = TUNNEL_UNSET;
	p2->rand_time = TUNNEL_UNSET;
}

/* A phase 1 with SPEC §3's defaults and the given phase 2 entries. */
static void p1_defaults(struct tunnel_phase1 *p1, unsigned ikeid, struct tunnel_proposal *prop,
			struct tunnel_phase2 *p2, size_t n_p2)
{
	memset(p1, 0, sizeof(*p1));
	p1->ikeid = ikeid;
	p1->description = "HQ";
	p1->enabled = true;
	p1->version = TUNNEL_IKEV2;
	p1->local_address = "192.0.2.1";
	p1->remote_gateway = "198.51.100.7";
	p1->ike_port = 500;
	p1->natt_port = 4500;
	p1->local_id.type = TUNNEL_ID_MYADDRESS;
	p1->remote_id.type = TUNNEL_ID_PEERADDRESS;
	p1->auth = TUNNEL_AUTH_PSK;
	p1->psk = "s3cret-s3cret-s3cret";
	*prop = (struct tunnel_proposal){ .encryption = "aes128", .hash = "sha256", .dh_group = 14 };
	p1->proposals = prop;
	p1->n_proposals = 1;
	p1->lifetime = 28800;
	p1->rekey_time = TUNNEL_UNSET;
	p1->reauth_time = TUNNEL_UNSET;
	p1->rand_time = TUNNEL_UNSET;
	p1->over_time = TUNNEL_UNSET;
	p1->dpd_delay = 10;
	p1->dpd_maxfail = 5;
	p1->start_action = TUNNEL_ACTION_DEFAULT;
	p1->close_action = TUNNEL_ACTION_DEFAULT;
	p1->p2 = p2;
	p1->n_p2 = n_p2;
}

static void global_defaults(struct tunnel_file *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->global.unique_ids = TUNNEL_UNIQUE_REPLACE;
	for (size_t i = 0; i < TUNNEL_LOG_CATEGORIES; i++)
		tf->global.log_level[i] = 1;
	tf->global.log_level[2] = 2;	/* ike */
	tf->global.log_level[3] = 2;	/* chd */
	tf->global.log_level[5] = 2;	/* cfg */
	tf->global.retransmit_tries = 5;
	tf->global.retransmit_timeout = 4.0;
	tf->global.retransmit_base = 1.8;
}

/* One phase 1 (ikeid 1) with n default phase 2 entries (reqids 1..n). */
struct model {
	struct tunnel_file tf;
	struct tunnel_phase1 p1;
	struct tunnel_proposal prop;
	struct tunnel_phase2 p2[3];
};

static char *nets_l[] = { "10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24" };
static char *nets_r[] = { "10.20.0.0/24", "10.20.1.0/24", "10.20.2.0/24" };

static void model_init(struct model *m, size_t n_p2)
{
	global_defaults(&m->tf);
	for (size_t i = 0; i < n_p2; i++)
		p2_defaults(&m->p2[i], (unsigned)i + 1, nets_l[i], nets_r[i]);
	p1_defaults(&m->p1, 1, &m->prop, m->p2, n_p2);
	m->tf.p1 = &m->p1;
	m->tf.n_p1 = 1;
}

static char *compile(const struct tunnel_file *tf, bool show)
{
	struct compile_opts o = { .show_secrets = show };
	struct buf b;

	buf_init(&b);
	compile_swanctl(&b, tf, &o);
	return buf_steal(&b);
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("missing:\n%s\n--- in:\n%s", needle, text);
}

static void assert_lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("unexpected:\n%s\n--- in:\n%s", needle, text);
}

static void test_ikev2_worked_example(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	out = compile(&m.tf, false);
	assert_has(out, "connections {\n\t# P1 (ikeid 1): HQ\n\tcon1 {\n\t\tversion = 2\n");
	assert_has(out, "\t\tfragmentation = yes\n\t\tunique = replace\n"
			"\t\tlocal_addrs = 192.0.2.1\n\t\tremote_addrs = 198.51.100.7\n");
	assert_has(out, "\t\tmobike = no\n\t\tproposals = aes128-sha256-modp2048\n"
			"\t\tdpd_delay = 10s\n");
	/* SPEC §4.3 worked example, IKEv2 lifetime 28800 */
	assert_has(out, "\t\trekey_time = 25920s\n\t\treauth_time = 0s\n"
			"\t\tover_time = 2880s\n\t\trand_time = 2880s\n");
	/* phase 2 lifetime 3600 */
	assert_has(out, "\t\t\t\tlife_time = 3600s\n\t\t\t\trekey_time = 3240s\n"
			"\t\t\t\trand_time = 360s\n");
	assert_has(out, "\t\tlocal {\n\t\t\tauth = psk\n\t\t\tid = 192.0.2.1\n\t\t}\n");
	assert_has(out, "\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = 198.51.100.7\n\t\t}\n");
	assert_has(out, "\t\tchildren {\n\t\t\t# P2 (reqid 1): LAN\n\t\t\tcon1 {\n"
			"\t\t\t\tmode = tunnel\n\t\t\t\tlocal_ts = 10.1.0.0/24\n"
			"\t\t\t\tremote_ts = 10.20.0.0/24\n"
			"\t\t\t\tesp_proposals = aes128gcm16-modp2048,aes128-sha256-modp2048\n"
			"\t\t\t\tstart_action = trap\n\t\t\t\tclose_action = none\n"
			"\t\t\t\tdpd_action = trap\n");
	/* IKEv2 relies on retransmits: no dpd_timeout; no aggressive, no encap */
	assert_lacks(out, "dpd_timeout");
	assert_lacks(out, "aggressive");
	assert_lacks(out, "encap");
	assert_lacks(out, "remote_port");
	assert_lacks(out, "reqid =");
	free(out);
}

static void test_ikev2_merged(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 3);
	m.p2[1].description = "second";
	m.p2[2].pfs_group = 0;
	out = compile(&m.tf, false);
	assert_has(out, "\t\t\t# P2 (reqid 1): LAN\n\t\t\t# P2 (reqid 2): second\n"
			"\t\t\t# P2 (reqid 3): LAN\n\t\t\tcon1 {\n");
	assert_has(out, "\t\t\t\tlocal_ts = 10.1.0.0/24,10.1.1.0/24,10.1.2.0/24\n"
			"\t\t\t\tremote_ts = 10.20.0.0/24,10.20.1.0/24,10.20.2.0/24\n");
	/* proposals merged in entry order, duplicates once */
	assert_has(out, "esp_proposals = aes128gcm16-modp2048,aes128-sha256-modp2048,"
			"aes128gcm16,aes128-sha256\n");
	assert_lacks(out, "con1_");
	free(out);
}

static void test_auto_merges(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 2);
	m.p1.version = TUNNEL_AUTO;
	out = compile(&m.tf, false);
	assert_has(out, "\t\tversion = 0\n");
	assert_has(out, "\t\t\tcon1 {\n");
	assert_has(out, "local_ts = 10.1.0.0/24,10.1.1.0/24\n");
	assert_lacks(out, "con1_");
	assert_lacks(out, "aggressive");
	free(out);
}

static void test_ikev1_split(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 2);
	m.p1.version = TUNNEL_IKEV1;
	m.p1.aggressive = true;
	out = compile(&m.tf, false);
	assert_has(out, "\t\tversion = 1\n\t\taggressive = yes\n");
	/* IKEv1: dpd_timeout = delay × (maxfail + 1); reauth 90 % of the lifetime */
	assert_has(out, "\t\tdpd_delay = 10s\n\t\tdpd_timeout = 60s\n");
	assert_has(out, "\t\trekey_time = 25920s\n\t\treauth_time = 25920s\n"
			"\t\tover_time = 2880s\n\t\trand_time = 2880s\n");
	assert_has(out, "\t\t\t# P2 (reqid 1): LAN\n\t\t\tcon1_1 {\n");
	assert_has(out, "\t\t\t# P2 (reqid 2): LAN\n\t\t\tcon1_2 {\n");
	assert_has(out, "con1_2 {\n\t\t\t\tmode = tunnel\n\t\t\t\tlocal_ts = 10.1.1.0/24\n"
			"\t\t\t\tremote_ts = 10.20.1.0/24\n");
	free(out);

	m.p1.aggressive = false;
	out = compile(&m.tf, false);
	assert_has(out, "\t\taggressive = no\n");
	free(out);
}

static void test_ikev2_split_connections(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 2);
	m.p1.split_connections = true;
	out = compile(&m.tf, false);
	assert_has(out, "\t\tversion = 2\n");
	assert_has(out, "\t\t\tcon1_1 {\n");
	assert_has(out, "\t\t\tcon1_2 {\n");
	assert_lacks(out, "\t\t\tcon1 {\n");
	free(out);
}

static void test_lifetimes_explicit_and_fallback(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p1.rekey_time = 3000;
	m.p1.reauth_time = 7200;
	m.p1.lifetime = 8000;
	m.p1.rand_time = 100;
	m.p2[0].rekey_time = 1000;
	m.p2[0].rand_time = 50;
	m.p2[0].lifetime = 1200;
	out = compile(&m.tf, false);
	/* over = life - max(rekey, reauth) = 8000 - 7200 */
	assert_has(out, "\t\trekey_time = 3000s\n\t\treauth_time = 7200s\n"
			"\t\tover_time = 800s\n\t\trand_time = 100s\n");
	assert_has(out, "\t\t\t\tlife_time = 1200s\n\t\t\t\trekey_time = 1000s\n"
			"\t\t\t\trand_time = 50s\n");
	free(out);

	/* no lifetime: rekey falls back to 14400 / 3600, life = rekey / 0.9 */
	model_init(&m, 1);
	m.p1.lifetime = 0;
	m.p2[0].lifetime = 0;
	out = compile(&m.tf, false);
	assert_has(out, "\t\trekey_time = 14400s\n\t\treauth_time = 0s\n"
			"\t\tover_time = 1600s\n\t\trand_time = 1600s\n");
	assert_has(out, "\t\t\t\tlife_time = 4000s\n\t\t\t\trekey_time = 3600s\n"
			"\t\t\t\trand_time = 400s\n");
	free(out);

	/* explicit over_time wins */
	model_init(&m, 1);
	m.p1.over_time = 600;
	out = compile(&m.tf, false);
	assert_has(out, "\t\tover_time = 600s\n\t\trand_time = 600s\n");
	free(out);
}

static void test_vti(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p2[0].reqid = 7;
	m.p2[0].mode = TUNNEL_MODE_VTI;
	m.p2[0].local = "10.255.0.1/30";
	m.p2[0].remote = "10.255.0.2/30";
	m.p1.start_action = TUNNEL_ACTION_TRAP;
	out = compile(&m.tf, false);
	assert_has(out, "\t\t\t\tmode = tunnel\n"
			"\t\t\t\tlocal_ts = 10.255.0.1/30,0.0.0.0/0,::/0\n"
			"\t\t\t\tremote_ts = 10.255.0.2/30,0.0.0.0/0,::/0\n");
	/* VTI forces start, whatever the phase 1 says */
	assert_has(out, "\t\t\t\tstart_action = start\n");
	assert_has(out, "\t\t\t\tdpd_action = restart\n");
	assert_has(out, "\t\t\t\treqid = 5007\n\t\t\t\tif_id_in = 5007\n\t\t\t\tif_id_out = 5007\n"
			"\t\t\t\tpolicies = no\n");
	free(out);
}

static void test_responder_only(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p1.remote_gateway = "0.0.0.0";
	out = compile(&m.tf, true);
	assert_has(out, "\t\tremote_addrs = %any\n");
	assert_has(out, "\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = %any\n");
	assert_has(out, "\t\t\t\tstart_action = none\n");
	assert_has(out, "\t\t\t\tdpd_action = clear\n");
	/* the secret matches any peer: id-0 only */
	assert_has(out, "\t\tid-0 = %any\n\t}\n");
	assert_lacks(out, "id-1");
	free(out);
}

static void test_actions(void **state)
{
	static const struct {
		enum tunnel_action start, close;
		unsigned long long dpd;
		const char *want;
	} cases[] = {
		{ TUNNEL_ACTION_DEFAULT, TUNNEL_ACTION_DEFAULT, 10,
		  "start_action = trap\n\t\t\t\tclose_action = none\n\t\t\t\tdpd_action = trap\n" },
		{ TUNNEL_ACTION_START, TUNNEL_ACTION_DEFAULT, 10,
		  "start_action = start\n\t\t\t\tclose_action = none\n\t\t\t\tdpd_action = restart\n" },
		{ TUNNEL_ACTION_NONE, TUNNEL_ACTION_NONE, 10,
		  "start_action = none\n\t\t\t\tclose_action = none\n\t\t\t\tdpd_action = clear\n" },
		{ TUNNEL_ACTION_TRAP, TUNNEL_ACTION_TRAP, 10,
		  "start_action = trap\n\t\t\t\tclose_action = trap\n\t\t\t\tdpd_action = trap\n" },
		{ TUNNEL_ACTION_TRAP, TUNNEL_ACTION_START, 10,
		  "start_action = trap\n\t\t\t\tclose_action = start\n\t\t\t\tdpd_action = restart\n" },
		{ TUNNEL_ACTION_START, TUNNEL_ACTION_START, 0,
		  "start_action = start\n\t\t\t\tclose_action = start\n\t\t\t\tdpd_action = clear\n" },
	};
	struct model m;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out;

		model_init(&m, 1);
		m.p1.start_action = cases[i].start;
		m.p1.close_action = cases[i].close;
		m.p1.dpd_delay = cases[i].dpd;
		out = compile(&m.tf, false);
		assert_has(out, cases[i].want);
		if (cases[i].dpd == 0)
			assert_lacks(out, "dpd_delay");
		free(out);
	}
}

static void test_identities(void **state)
{
	static const struct {
		enum tunnel_id_type type;
		char *value;
		const char *want;
	} cases[] = {
		{ TUNNEL_ID_ADDRESS, "203.0.113.9", "id = 203.0.113.9\n" },
		{ TUNNEL_ID_FQDN, "vpn.example.org", "id = fqdn:vpn.example.org\n" },
		{ TUNNEL_ID_USER_FQDN, "ops@example.org", "id = userfqdn:ops@example.org\n" },
		{ TUNNEL_ID_KEYID, "0a1b2c", "id = \"keyid:#0a1b2c\"\n" },
		{ TUNNEL_ID_ASN1DN, "C=CH, O=Example \"HQ\", CN=gw",
		  "id = \"C=CH, O=Example \\\"HQ\\\", CN=gw\"\n" },
		{ TUNNEL_ID_ANY, NULL, "id = %any\n" },
	};
	struct model m;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out;
		char want_remote[128], want_secret[128];

		model_init(&m, 1);
		m.p1.remote_id.type = cases[i].type;
		m.p1.remote_id.value = cases[i].value;
		m.p1.local_id.type = cases[i].type;
		m.p1.local_id.value = cases[i].value;
		out = compile(&m.tf, false);
		snprintf(want_remote, sizeof(want_remote), "\t\tremote {\n\t\t\tauth = psk\n\t\t\t%s",
			 cases[i].want);
		assert_has(out, want_remote);
		snprintf(want_remote, sizeof(want_remote), "\t\tlocal {\n\t\t\tauth = psk\n\t\t\t%s",
			 cases[i].want);
		assert_has(out, want_remote);
		if (cases[i].type != TUNNEL_ID_ANY) {
			snprintf(want_secret, sizeof(want_secret), "\t\tid-1%s", cases[i].want + 2);
			assert_has(out, want_secret);
		}
		free(out);
	}

	/* myaddress with an interface: left to charon; peeraddress of an FQDN peer: %any */
	model_init(&m, 1);
	m.p1.local_address = NULL;
	m.p1.interface = "eth0";
	m.p1.remote_gateway = "gw.example.org";
	{
		char *out = compile(&m.tf, false);

		assert_has(out, "\t\tlocal {\n\t\t\tauth = psk\n\t\t}\n");
		assert_lacks(out, "local_addrs");
		assert_has(out, "\t\tremote_addrs = gw.example.org\n");
		assert_has(out, "\t\tremote {\n\t\t\tauth = psk\n\t\t\tid = %any\n");
		free(out);
	}
}

static void test_secrets(void **state)
{
	struct model m;
	char *hidden, *shown;
	const char *sec;

	(void)state;
	model_init(&m, 1);
	m.p1.psk = "s3cret";
	hidden = compile(&m.tf, false);
	shown = compile(&m.tf, true);
	assert_has(hidden, "secrets {\n\t# P1 (ikeid 1): HQ\n\tike-1 {\n\t\tsecret = <hidden>\n"
			   "\t\tid-0 = %any\n\t\tid-1 = 198.51.100.7\n\t}\n}\n");
	/* base64("s3cret") */
	assert_has(shown, "\t\tsecret = 0sczNjcmV0\n");
	assert_lacks(hidden, "s3cret");
	assert_lacks(hidden, "czNjcmV0");
	assert_lacks(shown, "s3cret");
	/* nothing secret before the secrets section */
	sec = strstr(shown, "secrets {");
	assert_non_null(sec);
	assert_null(memmem(shown, (size_t)(sec - shown), "czNjcmV0", 8));
	free(hidden);
	free(shown);
}

static void test_cert_auth(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p1.auth = TUNNEL_AUTH_CERT;
	m.p1.psk = NULL;
	m.p1.cert = "/etc/tunnelctl/gw.crt";
	m.p1.key = "/etc/tunnelctl/gw.key";
	m.p1.ca = "/etc/tunnelctl/ca.crt";
	m.p1.local_id.type = TUNNEL_ID_ASN1DN;
	m.p1.local_id.value = "CN=gw-a";
	out = compile(&m.tf, true);
	assert_has(out, "\t\tlocal {\n\t\t\tauth = pubkey\n\t\t\tcerts = /etc/tunnelctl/gw.crt\n"
			"\t\t\tid = \"CN=gw-a\"\n\t\t}\n");
	assert_has(out, "\t\tremote {\n\t\t\tauth = pubkey\n\t\t\tcacerts = /etc/tunnelctl/ca.crt\n");
	assert_has(out, "\tprivate-1 {\n\t\tfile = /etc/tunnelctl/gw.key\n\t}\n");
	assert_lacks(out, "ike-1");
	free(out);
}

static void test_disabled_left_out(void **state)
{
	struct tunnel_file tf;
	struct tunnel_phase1 p1[2];
	struct tunnel_proposal prop[2];
	struct tunnel_phase2 a[2], b[1];
	char *out;

	(void)state;
	global_defaults(&tf);
	p2_defaults(&a[0], 1, nets_l[0], nets_r[0]);
	p2_defaults(&a[1], 2, nets_l[1], nets_r[1]);
	a[1].enabled = false;
	p2_defaults(&b[0], 3, nets_l[2], nets_r[2]);
	p1_defaults(&p1[0], 1, &prop[0], a, 2);
	p1_defaults(&p1[1], 2, &prop[1], b, 1);
	p1[1].enabled = false;
	tf.p1 = p1;
	tf.n_p1 = 2;
	out = compile(&tf, false);
	assert_has(out, "\tcon1 {\n");
	assert_lacks(out, "con2");
	assert_lacks(out, "ike-2");
	assert_lacks(out, "reqid 2");
	assert_lacks(out, "10.1.1.0/24");
	assert_lacks(out, "reqid 3");
	free(out);
}

static void test_connection_options(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p1.nat_traversal = TUNNEL_NATT_FORCE;
	m.p1.mobike = true;
	m.p1.ike_port = 1500;
	m.tf.global.unique_ids = TUNNEL_UNIQUE_NEVER;
	m.p2[0].protocol = TUNNEL_PROTO_AH;
	m.p2[0].mode = TUNNEL_MODE_TRANSPORT;
	out = compile(&m.tf, false);
	assert_has(out, "\t\tunique = never\n");
	assert_has(out, "\t\tremote_port = 1500\n\t\tencap = yes\n\t\tmobike = yes\n");
	assert_has(out, "\t\t\t\tmode = transport\n");
	assert_has(out, "\t\t\t\tah_proposals = sha256-modp2048\n");
	assert_lacks(out, "esp_proposals");
	free(out);
}

static void test_bypass(void **state)
{
	struct model m;
	char *nets[] = { "10.1.0.0/24", "192.168.5.0/24" };
	char *out;

	(void)state;
	model_init(&m, 1);
	m.tf.global.bypass_networks = (struct strv){ nets, ARRAY_SIZE(nets) };
	out = compile(&m.tf, false);
	assert_has(out, "connections {\n\t# bypass: traffic between these networks never enters a tunnel\n"
			"\tbypass {\n\t\tremote_addrs = 127.0.0.1\n\t\tchildren {\n\t\t\tbypasslan {\n"
			"\t\t\t\tlocal_ts = 10.1.0.0/24,192.168.5.0/24\n"
			"\t\t\t\tremote_ts = 10.1.0.0/24,192.168.5.0/24\n"
			"\t\t\t\tmode = pass\n\t\t\t\tstart_action = trap\n\t\t\t}\n\t\t}\n\t}\n"
			"\t# P1 (ikeid 1)");
	free(out);

	model_init(&m, 1);
	out = compile(&m.tf, false);
	assert_lacks(out, "bypass");
	free(out);
}

static void test_comment_cannot_break_out(void **state)
{
	struct model m;
	char *out;

	(void)state;
	model_init(&m, 1);
	m.p1.description = "HQ\n}\nevil {";
	m.p2[0].description = "";
	out = compile(&m.tf, false);
	assert_has(out, "\t# P1 (ikeid 1): HQ } evil {\n");
	assert_has(out, "\t\t\t# P2 (reqid 1)\n");
	free(out);
}

static void test_deterministic(void **state)
{
	struct model m;
	char *a, *b;

	(void)state;
	model_init(&m, 3);
	a = compile(&m.tf, true);
	b = compile(&m.tf, true);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_strongswan_fragment(void **state)
{
	struct model m;
	struct buf b;

	(void)state;
	model_init(&m, 1);
	m.tf.global.log_level[2] = 4;	/* ike */
	m.tf.global.log_level[15] = -1;	/* lib */
	m.tf.global.retransmit_tries = 3;
	m.tf.global.retransmit_timeout = 2.5;
	m.tf.global.retransmit_base = 2.0;
	buf_init(&b);
	compile_strongswan(&b, &m.tf, NULL);
	assert_has(b.data, "charon {\n\tmake_before_break = yes\n\tretransmit_tries = 3\n"
			   "\tretransmit_timeout = 2.5\n\tretransmit_base = 2.0\n");
	assert_has(b.data, "\tfilelog {\n\t\ttunnelctl {\n\t\t\tpath = " COMPILE_CHARON_LOG "\n"
			   "\t\t\ttime_format = \"%b %e %T\"\n\t\t\tappend = yes\n\t\t\tflush_line = yes\n"
			   "\t\t\tike_name = yes\n\t\t\tdmn = 1\n\t\t\tmgr = 1\n\t\t\tike = 4\n"
			   "\t\t\tchd = 2\n");
	assert_has(b.data, "\t\t\tlib = -1\n\t\t}\n\t}\n");
	assert_has(b.data, "\tsyslog {\n\t\tidentifier = charon\n\t\tdaemon {\n\t\t\tike_name = yes\n"
			   "\t\t\tdmn = 1\n");
	buf_free(&b);

	/* another log path, quoted when it needs to be */
	buf_init(&b);
	compile_strongswan(&b, &m.tf, "/srv/my logs/charon.log");
	assert_has(b.data, "\t\t\tpath = \"/srv/my logs/charon.log\"\n");
	assert_lacks(b.data, COMPILE_CHARON_LOG);
	buf_free(&b);
}

/* Compile one tunnel file (model only: psk_file and certificate files are not read, so
 * the goldens do not depend on this machine) and compare with, or rewrite, its golden.
 * Returns a message on failure (caller frees), after freeing everything else, so a failed
 * comparison does not also show up as leaks. */
static char *golden_check(const char *conf, const char *golden, bool fragment)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *tree = conf_parse_file(conf, &errs);
	struct tunnel_file *tf = NULL;
	struct compile_opts o = { .show_secrets = false };
	struct buf out, want;
	char *msg = NULL;
	int rc;

	buf_init(&out);
	buf_init(&want);
	if (errs.n_errors) {
		conf_tree_free(tree);
		goto bad_input;
	}
	tf = tunnel_from_tree(tree, &errs);
	if (!tf)
		goto bad_input;
	if (fragment)
		compile_strongswan(&out, tf, NULL);
	else
		compile_swanctl(&out, tf, &o);
	if (getenv("TC_UPDATE_GOLDEN")) {
		rc = file_write_atomic(golden, out.data, out.len, 0644);
		if (rc)
			msg = xasprintf("%s: %s", golden, strerror(-rc));
	} else {
		rc = file_read_all(golden, TC_MAX_FILE_SIZE, &want);
		if (rc)
			msg = xasprintf("%s: missing golden (%s); make it with TC_UPDATE_GOLDEN=1 and review it",
					golden, strerror(-rc));
		else if (!str_eq(out.data, want.data))
			msg = xasprintf("%s differs from %s; got:\n%s", conf, golden, out.data);
	}
	goto out;
bad_input:
	msg = xasprintf("%s:%u:%u: %s", errs.v[0].file, errs.v[0].line, errs.v[0].col, errs.v[0].msg);
out:
	buf_free(&out);
	buf_free(&want);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return msg;
}

/* Fail with msg (freed first) when golden_check reported a problem. */
static void golden_assert(char *msg)
{
	char copy[512];

	if (!msg)
		return;
	print_message("%s\n", msg);
	snprintf(copy, sizeof(copy), "%s", msg);
	free(msg);
	fail_msg("%.200s", copy);
}

/* With --show-secrets, no PSK of conf appears in plain anywhere, nor encoded before the
 * secrets section. Returns a message on failure (caller frees). */
static char *secrets_check(const char *conf)
{
	struct tc_errors errs = { 0 };
	struct tunnel_file *tf = tunnel_from_tree(conf_parse_file(conf, &errs), &errs);
	struct compile_opts o = { .show_secrets = true };
	struct buf out, enc;
	char *msg = NULL;
	const char *sec;

	if (!tf) {
		tc_errors_free(&errs);
		return xasprintf("%s: does not load", conf);
	}
	buf_init(&out);
	compile_swanctl(&out, tf, &o);
	sec = strstr(out.data, "\nsecrets {\n");
	for (size_t i = 0; i < tf->n_p1 && !msg; i++) {
		const char *psk = tf->p1[i].psk;

		if (!psk || !tf->p1[i].enabled)
			continue;
		buf_init(&enc);
		buf_adds(&enc, "secret = 0s");
		base64_encode(&enc, (const unsigned char *)psk, strlen(psk));
		if (strstr(out.data, psk))
			msg = xasprintf("%s: PSK of tunnel %u in plain text", conf, tf->p1[i].ikeid);
		else if (!sec || !strstr(sec, enc.data))
			msg = xasprintf("%s: PSK of tunnel %u not in the secrets section", conf,
					tf->p1[i].ikeid);
		else if (memmem(out.data, (size_t)(sec - out.data), enc.data + 11, enc.len - 11))
			msg = xasprintf("%s: PSK of tunnel %u before the secrets section", conf,
					tf->p1[i].ikeid);
		buf_free(&enc);
	}
	buf_free(&out);
	tunnel_file_free(tf);
	tc_errors_free(&errs);
	return msg;
}

/* Check every *.conf in dir against its golden in GOLDEN_DIR; returns how many. */
static size_t golden_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	char *msg;

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *conf, *golden;

		if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		conf = xasprintf("%s/%s", dir, de->d_name);
		golden = xasprintf("%s/%.*s.swanctl", GOLDEN_DIR, (int)(len - 5), de->d_name);
		msg = golden_check(conf, golden, false);
		if (!msg)
			msg = secrets_check(conf);
		free(conf);
		free(golden);
		if (msg) {
			closedir(d);
			golden_assert(msg);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* Every example (and every extra test file) compiles byte for byte to its reviewed golden,
 * and keeps its PSKs in the secrets section. */
static void test_golden_examples(void **state)
{
	(void)state;
	assert_true(golden_dir(EXAMPLES_DIR) >= 8);
	assert_true(golden_dir(GOLDEN_DIR) >= 1);
	/* the fragment of the example that sets logging and retransmits */
	golden_assert(golden_check(EXAMPLES_DIR "/bypass.conf", GOLDEN_DIR "/bypass.strongswan", true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ikev2_worked_example),
		cmocka_unit_test(test_ikev2_merged),
		cmocka_unit_test(test_auto_merges),
		cmocka_unit_test(test_ikev1_split),
		cmocka_unit_test(test_ikev2_split_connections),
		cmocka_unit_test(test_lifetimes_explicit_and_fallback),
		cmocka_unit_test(test_vti),
		cmocka_unit_test(test_responder_only),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_identities),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_cert_auth),
		cmocka_unit_test(test_disabled_left_out),
		cmocka_unit_test(test_connection_options),
		cmocka_unit_test(test_bypass),
		cmocka_unit_test(test_comment_cannot_break_out),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_strongswan_fragment),
		cmocka_unit_test(test_golden_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
