/* test_doctor_conf.c - both sides' configs compared: the lab's scenarios give their class from
 * the configs alone where the fault is in the configs, swanctl.conf inputs with templates and
 * includes, both negotiation directions, PSKs compared by hash and never shown, evidence lines
 * that are the real lines of the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "doctor_conf.h"
#include "doctor_conf_read.h"
#include "doctor_read.h"
#include "tunnel.h"
#include "util.h"

#define SCENARIOS "tests/data/scenarios/"
/* the same scenarios over IPv6 gateways and networks (lab/scenarios.sh --family ipv6) */
#define SCENARIOS_V6 "tests/data/scenarios-ipv6/"
#define DATA "tests/data/doctor_conf/"

/* Classes whose cause lives in the configs (SPEC §10): configs alone must name them. */
static const char *const config_classes[] = {
	"ike_proposal_mismatch", "dh_group_mismatch", "child_proposal_mismatch", "pfs_mismatch",
	"ts_mismatch", "ts_narrowed", "psk_mismatch", "id_mismatch", "version_mismatch",
	"no_ike_config", "config_error", "auth_failed", "cert_problem", "healthy",
};

/* Whether the configs' class names the expected one or its cause: auth_failed means "cause
 * not determinable from the log", which the configs can determine (PSK or identity). */
static bool class_matches(const char *expected, const char *got)
{
	if (strcmp(expected, got) == 0)
		return true;
	return strcmp(expected, "auth_failed") == 0 &&
	       (strcmp(got, "psk_mismatch") == 0 || strcmp(got, "id_mismatch") == 0);
}

/* Whether the configs name expected for tunnel: the class itself, or for ts_narrowed (an SA
 * that comes up, narrowed: not a failure) a healthy verdict with a warning that says what
 * is not tunnelled. */
static bool configs_name(const char *expected, const struct doctor_conf_result *r, const struct doctor_verdict *v)
{
	if (strcmp(expected, "ts_narrowed") != 0)
		return class_matches(expected, doctor_class_names[v->cls]);
	if (v->cls != DOCTOR_HEALTHY)
		return false;
	for (size_t i = 0; i < r->n_warn; i++)
		if (strcmp(r->warn[i].tunnel, v->tunnel) == 0 && strstr(r->warn[i].summary, "narrows the selectors") &&
		    strstr(r->warn[i].summary, "not tunnelled: "))
			return true;
	return false;
}

static bool is_config_class(const char *cls)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_classes); i++)
		if (strcmp(config_classes[i], cls) == 0)
			return true;
	return false;
}

/* Line `no` of path, trimmed as evidence text is. */
static char *file_line(const char *path, unsigned long no)
{
	struct buf b;
	char *p, *e, *out = NULL;

	buf_init(&b);
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &b), 0);
	p = b.data;
	for (unsigned long i = 1; i < no && p; i++)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (p) {
		e = strchr(p, '\n');
		e = e ? e : p + strlen(p);
		while (*p == ' ' || *p == '\t')
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		out = xstrndup(p, (size_t)(e - p));
	}
	buf_free(&b);
	return out;
}

/* Every evidence line is the real line of its file (secret lines: the key, value hidden). */
static void assert_evidence_real(const struct doctor *d, const struct doctor_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].n_ev > 0);
		for (size_t k = 0; k < v[i].n_ev; k++) {
			const char *file = doctor_input_label(d, v[i].ev[k].input);
			char *real = file_line(file, v[i].ev[k].line);
			assert_non_null(real);
			if (strstr(v[i].ev[k].text, "<hidden>")) {
				size_t key = strcspn(real, " =");
				assert_memory_equal(real, v[i].ev[k].text, key);
			} else {
				assert_string_equal(real, v[i].ev[k].text);
			}
			free(real);
		}
	}
}

struct run {
	struct doctor *d;
	struct doctor_conf_side *a, *b;
	struct doctor_conf_result r;
};

static void run_files(struct run *x, const char *a, const char *b)
{
	struct tc_errors errs = { 0 };

	memset(x, 0, sizeof(*x));
	x->d = doctor_new();
	assert_int_equal(doctor_conf_read_path(a, &x->a, &errs), 0);
	assert_int_equal(doctor_conf_read_path(b, &x->b, &errs), 0);
	assert_int_equal(errs.n_errors, 0);
	tc_errors_free(&errs);
	doctor_conf_compare(x->a, x->b, x->d, &x->r);
}

static void run_free(struct run *x)
{
	doctor_conf_result_free(&x->r);
	doctor_conf_side_free(x->a);
	doctor_conf_side_free(x->b);
	doctor_free(x->d);
}

static const struct doctor_verdict *find_verdict(const struct doctor_conf_result *r, const char *tunnel)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].tunnel, tunnel) == 0)
			return &r->v[i];
	return NULL;
}

/* Read key=value from a scenario's expected file. */
static char *expected_get(const char *dir, const char *key)
{
	char *path = xasprintf("%s/expected", dir), *out = NULL;
	struct buf b;
	size_t kl = strlen(key);

	buf_init(&b);
	assert_int_equal(file_read_all(path, 4096, &b), 0);
	for (char *p = b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			out = xstrndup(p + kl + 1, strcspn(p + kl + 1, "\n"));
			break;
		}
	buf_free(&b);
	free(path);
	return out;
}

/* Every lab scenario: where the fault is in the configs, the configs alone name the class for
 * the expected tunnel; elsewhere (network faults, a crashed daemon) they show nothing wrong. */
static void lab_scenarios_in(const char *top)
{
	DIR *dir = opendir(top);
	struct dirent *de;
	unsigned compared = 0, unloadable = 0, network = 0;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		char *sdir, *a, *b, *cls, *tunnel;
		struct tc_errors errs = { 0 };
		struct doctor_conf_side *sa = NULL, *sb = NULL;
		int ra, rb;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		sdir = xasprintf("%s%s", top, de->d_name);
		/* a side that loaded its own swanctl.conf instead of its tunnel file */
		a = xasprintf("%s/a.swanctl.conf", sdir);
		if (access(a, R_OK) != 0) {
			free(a);
			a = xasprintf("%s/a.conf", sdir);
		}
		b = xasprintf("%s/b.conf", sdir);
		cls = expected_get(sdir, "class");
		tunnel = expected_get(sdir, "tunnel");
		if (!cls || !tunnel) {
			free(cls);
			free(tunnel);
			free(a);
			free(b);
			free(sdir);
			continue;
		}
		ra = doctor_conf_read_path(a, &sa, &errs);
		rb = doctor_conf_read_path(b, &sb, &errs);
		if (ra == -EINVAL || rb == -EINVAL) {
			/* a config the tunnel model rejects is reported as config_error with its line */
			struct doctor_conf_result r = { 0 };
			struct doctor *d = doctor_new();
			doctor_conf_read_add_errors(&r, d, ra == -EINVAL ? a : b, "local", &errs);
			assert_int_equal(r.n, 1);
			assert_int_equal(r.v[0].cls, DOCTOR_CONFIG_ERROR);
			assert_evidence_real(d, r.v, r.n);
			print_message("scenario %s: config does not load (%s), reported as config_error\n",
				      de->d_name, errs.n ? errs.v[0].msg : "?");
			doctor_conf_result_free(&r);
			doctor_free(d);
			unloadable++;
		} else {
			struct doctor *d = doctor_new();
			struct doctor_conf_result r = { 0 };
			const struct doctor_verdict *v;
			assert_int_equal(ra, 0);
			assert_int_equal(rb, 0);
			doctor_conf_compare(sa, sb, d, &r);
			v = find_verdict(&r, tunnel);
			assert_non_null(v);
			if (is_config_class(cls)) {
				if (!configs_name(cls, &r, v))
					print_message("scenario %s: expected %s, got %s: %s\n", de->d_name, cls,
						      doctor_class_names[v->cls], v->summary);
				assert_true(configs_name(cls, &r, v));
				assert_true(configs_name(cls, &r, &r.v[0]));
				compared++;
			} else {
				assert_int_equal(v->cls, DOCTOR_HEALTHY);
				network++;
			}
			assert_evidence_real(d, r.v, r.n);
			assert_evidence_real(d, r.warn, r.n_warn);
			doctor_conf_result_free(&r);
			doctor_free(d);
		}
		doctor_conf_side_free(sa);
		doctor_conf_side_free(sb);
		tc_errors_free(&errs);
		free(cls);
		free(tunnel);
		free(a);
		free(b);
		free(sdir);
	}
	closedir(dir);
	print_message("%s: %u scenarios named from configs, %u with faults outside the configs, %u not loadable\n",
		      top, compared, network, unloadable);
	assert_true(compared >= 10);
}

static void test_lab_scenarios(void **state)
{
	(void)state;
	lab_scenarios_in(SCENARIOS);
	lab_scenarios_in(SCENARIOS_V6);
}

/* The log verdict of `tunnel` from the scenario's logs (expected's logs=, '+'-separated). */
static enum doctor_class log_class(const char *sdir, const char *logs, const char *tunnel)
{
	struct doctor *d = doctor_new();
	const struct doctor_verdict *v;
	enum doctor_class cls = DOCTOR_CLASS_COUNT;
	char *copy = xstrdup(logs), *save = NULL;
	size_t n;

	for (char *l = strtok_r(copy, "+", &save); l; l = strtok_r(NULL, "+", &save)) {
		char *path = xasprintf("%s/%s", sdir, l);
		bool nf;
		assert_int_equal(doctor_read_path(d, path, &nf), 0);
		free(path);
	}
	n = doctor_finish(d, &v);
	for (size_t i = 0; i < n && cls == DOCTOR_CLASS_COUNT; i++)
		if (strcmp(v[i].tunnel, tunnel) == 0)
			cls = v[i].cls;
	free(copy);
	doctor_free(d);
	return cls;
}

/* Logs and configs of every scenario whose fault is in the configs name the same class (the
 * configs may name the cause of a log's auth_failed). */
static void scenarios_logs_agree_in(const char *top)
{
	DIR *dir = opendir(top);
	struct dirent *de;
	unsigned agreed = 0;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		char *sdir, *a, *b, *cls, *tunnel, *logs;
		struct tc_errors errs = { 0 };
		struct doctor_conf_side *sa = NULL, *sb = NULL;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		sdir = xasprintf("%s%s", top, de->d_name);
		cls = expected_get(sdir, "class");
		tunnel = expected_get(sdir, "tunnel");
		logs = expected_get(sdir, "logs");
		a = xasprintf("%s/a.swanctl.conf", sdir);
		if (access(a, R_OK) != 0) {
			free(a);
			a = xasprintf("%s/a.conf", sdir);
		}
		b = xasprintf("%s/b.conf", sdir);
		if (cls && tunnel && logs && is_config_class(cls) && doctor_conf_read_path(a, &sa, &errs) == 0 &&
		    doctor_conf_read_path(b, &sb, &errs) == 0) {
			struct doctor *d = doctor_new();
			struct doctor_conf_result r = { 0 };
			const struct doctor_verdict *v;
			enum doctor_class lc = log_class(sdir, logs, tunnel);
			doctor_conf_compare(sa, sb, d, &r);
			v = find_verdict(&r, tunnel);
			assert_non_null(v);
			assert_true(lc < DOCTOR_CLASS_COUNT);
			if (!configs_name(doctor_class_names[lc], &r, v))
				print_message("scenario %s: logs say %s, configs %s\n", de->d_name,
					      doctor_class_names[lc], doctor_class_names[v->cls]);
			assert_true(configs_name(doctor_class_names[lc], &r, v));
			agreed++;
			doctor_conf_result_free(&r);
			doctor_free(d);
		}
		doctor_conf_side_free(sa);
		doctor_conf_side_free(sb);
		tc_errors_free(&errs);
		free(cls);
		free(tunnel);
		free(logs);
		free(a);
		free(b);
		free(sdir);
	}
	closedir(dir);
	print_message("%s: %u scenarios: logs and configs agree\n", top, agreed);
	assert_true(agreed >= 10);
}

static void test_scenarios_logs_agree(void **state)
{
	(void)state;
	scenarios_logs_agree_in(SCENARIOS);
	scenarios_logs_agree_in(SCENARIOS_V6);
}

/* swanctl.conf with templates (`site-b : connections.base`) and secrets by owner: site-b pairs
 * with the peer's hub (by address, not name) and its PFS-less child is a pfs_mismatch; site-c
 * has no partner on that peer. */
static void test_templates_pfs(void **state)
{
	struct run x;
	const struct doctor_verdict *v;

	(void)state;
	run_files(&x, DATA "tmpl-a.swanctl", DATA "tmpl-b.swanctl");
	assert_int_equal(x.r.n, 2);
	v = find_verdict(&x.r, "site-b");
	assert_non_null(v);
	assert_int_equal(v->cls, DOCTOR_PFS_MISMATCH);
	assert_non_null(strstr(v->summary, "MODP_2048"));
	assert_non_null(strstr(v->summary, "rekey"));
	v = find_verdict(&x.r, "site-c");
	assert_non_null(v);
	assert_int_equal(v->cls, DOCTOR_NO_IKE_CONFIG);
	/* most important first: no_ike_config before pfs_mismatch */
	assert_int_equal(x.r.v[0].cls, DOCTOR_NO_IKE_CONFIG);
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
}

/* An include, a raw PSK on one side and 0x-hex on the other, gcm16 vs gcm128 spellings and a
 * template-inherited address: healthy; the child lifetimes differ: a warning, not a failure. */
static void test_include_healthy_warnings(void **state)
{
	struct run x;
	const struct doctor_verdict *v;
	bool lifetime = false;

	(void)state;
	run_files(&x, DATA "tmpl-a.swanctl", DATA "tmpl-c.swanctl");
	v = find_verdict(&x.r, "site-c");
	assert_non_null(v);
	if (v->cls != DOCTOR_HEALTHY)
		print_message("site-c: %s\n", v->summary);
	assert_int_equal(v->cls, DOCTOR_HEALTHY);
	for (size_t i = 0; i < x.r.n_warn; i++)
		lifetime |= strstr(x.r.warn[i].summary, "lifetimes differ") != NULL;
	assert_true(lifetime);
	assert_evidence_real(x.d, x.r.warn, x.r.n_warn);
	/* the include's lines are cited from the included file */
	bool inc = false;
	for (size_t i = 0; i < x.r.n_warn; i++)
		for (size_t k = 0; k < x.r.warn[i].n_ev; k++)
			inc |= strstr(doctor_input_label(x.d, x.r.warn[i].ev[k].input), "tmpl-c-conns.inc") != NULL;
	assert_true(inc);
	run_free(&x);
}

/* Build a side from swanctl.conf text (pure path). */
static struct doctor_conf_side *side_text(const char *name, const char *text)
{
	struct tc_errors errs = { 0 };
	struct conf_tree *t = conf_parse(name, text, strlen(text), NULL, &errs);
	struct doctor_conf_side *s;

	assert_int_equal(errs.n_errors, 0);
	s = doctor_conf_side_from_swanctl(t, &errs);
	doctor_conf_side_add_text(s, name, text, strlen(text));
	tc_errors_free(&errs);
	return s;
}

#define PAIR_A(version, props, esp, extra)                                                      \
	"connections {\n gw {\n  version = " version "\n  local_addrs = 192.0.2.1\n"            \
	"  remote_addrs = 192.0.2.2\n  proposals = " props "\n  local {\n   auth = psk\n  }\n"     \
	"  remote {\n   auth = psk\n  }\n  children {\n   net {\n    local_ts = 10.1.0.0/24\n"    \
	"    remote_ts = 10.2.0.0/24\n    esp_proposals = " esp "\n" extra "   }\n  }\n }\n}\n"   \
	"secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n"
#define PAIR_B(version, props, esp, extra)                                                      \
	"connections {\n peer {\n  version = " version "\n  local_addrs = 192.0.2.2\n"          \
	"  remote_addrs = 192.0.2.1\n  proposals = " props "\n  local {\n   auth = psk\n  }\n"     \
	"  remote {\n   auth = psk\n  }\n  children {\n   net {\n    local_ts = 10.2.0.0/24\n"    \
	"    remote_ts = 10.1.0.0/24\n    esp_proposals = " esp "\n" extra "   }\n  }\n }\n}\n"   \
	"secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n"

static void compare_text(const char *a, const char *b, struct doctor_conf_result *r, struct doctor **d,
			 struct doctor_conf_side **sa, struct doctor_conf_side **sb)
{
	*d = doctor_new();
	*sa = side_text("a.swanctl", a);
	*sb = side_text("b.swanctl", b);
	doctor_conf_compare(*sa, *sb, *d, r);
}

static void compare_free(struct doctor_conf_result *r, struct doctor *d, struct doctor_conf_side *sa,
			 struct doctor_conf_side *sb)
{
	doctor_conf_result_free(r);
	doctor_conf_side_free(sa);
	doctor_conf_side_free(sb);
	doctor_free(d);
}

/* ---- swanctl.conf pairs: {both sides' text, expected class, expected text} ---- */

/* A pair of swanctl.conf texts compared, and what the first verdict must say: its class, the
 * side it blames (NULL: not checked), texts its summary holds, the exact text of its evidence
 * lines (with the input the first comes from), texts some warning holds. n: the number of
 * verdicts (0: not checked). */
struct pair_case {
	const char *what;
	const char *a, *b;
	size_t n;
	enum doctor_class cls;
	const char *side;
	const char *summary[2];
	size_t n_ev;			/* 0: not checked */
	const char *ev[2];
	const char *ev0_input;
	const char *warn[3];
};

/* local_addrs = %any and no local.id (the identity sent is the address the peer sees) */
#define ANY_LOCAL \
	"connections {\n gw {\n  version = 2\n  remote_addrs = 192.0.2.2\n" \
	"  proposals = aes256-sha256-modp2048\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n  }\n" \
	"  children {\n   net {\n    local_ts = 10.1.0.0/24\n    remote_ts = 10.2.0.0/24\n" \
	"    esp_proposals = aes256-sha256\n    start_action = start\n   }\n  }\n }\n}\n" \
	"secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n"
/* the peer of ANY_LOCAL, expecting the identity id */
#define B_EXPECTS(id) \
	"connections {\n peer {\n  version = 2\n  local_addrs = 192.0.2.2\n  remote_addrs = 192.0.2.1\n" \
	"  proposals = aes256-sha256-modp2048\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n" \
	"   id = " id "\n  }\n  children {\n   net {\n    local_ts = 10.2.0.0/24\n" \
	"    remote_ts = 10.1.0.0/24\n    esp_proposals = aes256-sha256\n   }\n  }\n }\n}\n" \
	"secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n"
/* a responder for any peer (remote_addrs = %any): it cannot initiate */
#define ANY_PEER \
	"connections {\n gw {\n  version = 2\n  local_addrs = 192.0.2.1\n  remote_addrs = %any\n" \
	"  proposals = aes256-sha256-modp2048\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n  }\n" \
	"  children {\n   net {\n    local_ts = 10.1.0.0/24\n    remote_ts = 10.2.0.0/24\n" \
	"    esp_proposals = aes256-sha256\n   }\n  }\n }\n}\n" \
	"secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n"

static const struct pair_case pair_cases[] = {
	{ .what = "IKEv1-only against any version: works when the IKEv1 side initiates, not the reverse",
	  .a = PAIR_A("1", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .b = PAIR_B("0", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .n = 1, .cls = DOCTOR_VERSION_MISMATCH,
	  .summary = { "establishes when this side initiates, not when the peer initiates" } },
	{ .what = "a peer named by host name pairs (no DNS), and IDs still decide",
	  .a = "connections {\n gw {\n  version = 2\n  local_addrs = 192.0.2.1\n  remote_addrs = vpn.example.net\n"
	       "  proposals = aes256-sha256-modp2048\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n"
	       "   id = 192.0.2.2\n  }\n  children {\n   net {\n    local_ts = 10.1.0.0/24\n    remote_ts = 10.2.0.0/24\n"
	       "    esp_proposals = aes256-sha256\n    start_action = start\n   }\n  }\n }\n}\n"
	       "secrets {\n ike {\n  secret = very-secret-value-42\n }\n}\n",
	  .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .n = 1, .cls = DOCTOR_HEALTHY },
	{ .what = "a responder for any peer: only the peer's direction is negotiated",
	  .a = ANY_PEER, .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256", "    start_action = start\n"),
	  .cls = DOCTOR_HEALTHY, .summary = { "only the peer can initiate" } },
	{ .what = "a responder for any peer: a fault in the peer's direction is still found",
	  .a = ANY_PEER, .b = PAIR_B("2", "aes256-sha256-modp2048", "aes128-sha256", "    start_action = start\n"),
	  .cls = DOCTOR_CHILD_PROPOSAL_MISMATCH, .summary = { "only the peer can initiate" },
	  .n_ev = 2, .ev = { "esp_proposals = aes128-sha256", "esp_proposals = aes256-sha256" },
	  .ev0_input = "b.swanctl" },
	{ .what = "IKE proposals that differ only in the DH group",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .b = PAIR_B("2", "aes256-sha256-ecp256", "aes256-sha256", ""),
	  .cls = DOCTOR_DH_GROUP_MISMATCH, .summary = { "no common DH group" } },
	{ .what = "a real IKE proposal mismatch, the differing transform named",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .b = PAIR_B("2", "aes256-sha1-modp2048", "aes256-sha256", ""),
	  .cls = DOCTOR_IKE_PROPOSAL_MISMATCH, .summary = { "no common integrity, PRF" } },
	{ .what = "ESP with PFS on both sides but different groups: a PFS mismatch, not a child mismatch",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256-modp2048", ""),
	  .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256-ecp256", ""),
	  .cls = DOCTOR_PFS_MISMATCH },
	{ .what = "an IKE proposal without DH group, which charon refuses to load: the peer's config_error",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .b = PAIR_B("2", "aes256-sha256", "aes256-sha256", ""),
	  .cls = DOCTOR_CONFIG_ERROR, .side = "peer", .summary = { "a DH group is mandatory" } },
	{ .what = "an unknown algorithm: a config_error on the side that has it",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-shaa256", ""),
	  .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .cls = DOCTOR_CONFIG_ERROR, .side = "local", .summary = { "'shaa256'" } },
	{ .what = "-none on one side makes PFS optional there",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256-modp2048-none", ""),
	  .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256", ""),
	  .cls = DOCTOR_HEALTHY },
	{ .what = "close action on both sides and nobody initiating are warnings; the verdict stays healthy",
	  .a = PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256", "    close_action = start\n"),
	  .b = PAIR_B("2", "aes256-sha256-modp2048", "aes256-sha256", "    close_action = trap\n"),
	  .cls = DOCTOR_HEALTHY,
	  .warn = { "close action on both sides", "responder-only", "DPD is off on both sides" } },
	{ .what = "no local.id: the address sent satisfies a peer expecting that address",
	  .a = ANY_LOCAL, .b = B_EXPECTS("192.0.2.1"), .cls = DOCTOR_HEALTHY },
	{ .what = "no local.id: a peer expecting an FQDN is not satisfied",
	  .a = ANY_LOCAL, .b = B_EXPECTS("gw.example.org"), .cls = DOCTOR_ID_MISMATCH,
	  .summary = { "sends identity ip:192.0.2.1", "expects fqdn:gw.example.org" } },
};

#undef ANY_LOCAL
#undef B_EXPECTS
#undef ANY_PEER

static bool warning_holds(const struct doctor_conf_result *r, const char *text)
{
	for (size_t i = 0; i < r->n_warn; i++)
		if (strstr(r->warn[i].summary, text))
			return true;
	return false;
}

static void test_pair_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(pair_cases); c++) {
		const struct pair_case *pc = &pair_cases[c];
		struct doctor_conf_result r = { 0 };
		struct doctor_conf_side *sa, *sb;
		struct doctor *d;

		compare_text(pc->a, pc->b, &r, &d, &sa, &sb);
		if (pc->n && r.n != pc->n)
			fail_msg("%s: %zu verdicts, expected %zu", pc->what, r.n, pc->n);
		if (r.n == 0 || r.v[0].cls != pc->cls)
			fail_msg("%s: class %s, expected %s", pc->what,
				 r.n ? doctor_class_names[r.v[0].cls] : "(none)", doctor_class_names[pc->cls]);
		if (pc->side && strcmp(r.v[0].side, pc->side) != 0)
			fail_msg("%s: side %s, expected %s", pc->what, r.v[0].side, pc->side);
		for (size_t i = 0; i < ARRAY_SIZE(pc->summary) && pc->summary[i]; i++)
			if (!strstr(r.v[0].summary, pc->summary[i]))
				fail_msg("%s: summary lacks '%s': %s", pc->what, pc->summary[i], r.v[0].summary);
		if (pc->n_ev && r.v[0].n_ev != pc->n_ev)
			fail_msg("%s: %zu evidence lines, expected %zu", pc->what, r.v[0].n_ev, pc->n_ev);
		for (size_t i = 0; i < pc->n_ev; i++)
			assert_string_equal(r.v[0].ev[i].text, pc->ev[i]);
		if (pc->ev0_input)
			assert_string_equal(doctor_input_label(d, r.v[0].ev[0].input), pc->ev0_input);
		for (size_t i = 0; i < ARRAY_SIZE(pc->warn) && pc->warn[i]; i++)
			if (!warning_holds(&r, pc->warn[i]))
				fail_msg("%s: no warning holds '%s'", pc->what, pc->warn[i]);
		compare_free(&r, d, sa, sb);
	}
}

/* PSKs: compared by hash; different keys are named, the secret never appears anywhere. */
static void test_psk_hidden(void **state)
{
	static const char b_other[] =
		"connections {\n peer {\n  version = 2\n  local_addrs = 192.0.2.2\n  remote_addrs = 192.0.2.1\n"
		"  proposals = aes256-sha256-modp2048\n  local {\n   auth = psk\n  }\n  remote {\n   auth = psk\n  }\n"
		"  children {\n   net {\n    local_ts = 10.2.0.0/24\n    remote_ts = 10.1.0.0/24\n"
		"    esp_proposals = aes256-sha256\n   }\n  }\n }\n}\n"
		"secrets {\n ike {\n  secret = other-secret-value-99\n }\n}\n";
	struct doctor_conf_result r = { 0 };
	struct doctor_conf_side *sa, *sb;
	struct doctor *d;

	(void)state;
	compare_text(PAIR_A("2", "aes256-sha256-modp2048", "aes256-sha256", ""), b_other, &r, &d, &sa, &sb);
	assert_int_equal(r.v[0].cls, DOCTOR_PSK_MISMATCH);
	assert_int_equal(r.v[0].n_ev, 2);
	for (size_t k = 0; k < r.v[0].n_ev; k++) {
		assert_null(strstr(r.v[0].ev[k].text, "very-secret"));
		assert_null(strstr(r.v[0].ev[k].text, "other-secret"));
		assert_non_null(strstr(r.v[0].ev[k].text, "<hidden>"));
	}
	assert_null(strstr(r.v[0].summary, "secret-value"));
	compare_free(&r, d, sa, sb);
}

/* ---- config file pairs: {both files, expected class, expected text} ---- */

/* Two config files compared (tunnel file, swanctl.conf or config.xml, read as `doctor
 * --config A --peer-config B` reads them), and what the verdict for tunnel (NULL: the
 * first) must say: n verdicts (0: not checked), its class, texts its summary holds, the exact
 * text of its evidence lines and the input each comes from (NULL: not checked). Every
 * case's evidence must be real lines of the files. */
struct file_case {
	const char *what;
	const char *a, *b;
	const char *tunnel;
	size_t n;
	enum doctor_class cls;
	const char *summary[2];
	size_t n_ev;			/* 0: not checked */
	const char *ev[2];
	const char *ev_input[2];
};

static const struct file_case file_cases[] = {
	{ .what = "a tunnel file against a hand-written swanctl.conf: one reader for both",
	  .a = SCENARIOS "healthy/a.conf", .b = DATA "lab-b.swanctl", .tunnel = "con1",
	  .cls = DOCTOR_HEALTHY },
	{ .what = "pfSense config.xml on both sides: the LAN bypass is not a tunnel, con1 pairs",
	  .a = "tests/data/pfsense/lab-a.xml", .b = "tests/data/pfsense/lab-b.xml",
	  .n = 1, .cls = DOCTOR_HEALTHY },
	{ .what = "pfSense config.xml: a peer without PFS is named with the config.xml lines",
	  .a = "tests/data/pfsense/lab-a.xml", .b = DATA "lab-b-nopfs.xml", .tunnel = "con1",
	  .cls = DOCTOR_PFS_MISMATCH,
	  .n_ev = 2, .ev = { "<pfsgroup>19</pfsgroup>", "<pfsgroup>0</pfsgroup>" },
	  .ev_input = { NULL, DATA "lab-b-nopfs.xml" } },
	{ .what = "pfSense config.xml with certificate entries: the certificates come from the XML",
	  .a = "tests/data/pfsense/cert-a.xml", .b = "tests/data/pfsense/cert-b.xml", .tunnel = "con1",
	  .cls = DOCTOR_HEALTHY },
	{ .what = "pfSense config.xml: a peer whose CA is another one is a cert_problem",
	  .a = "tests/data/pfsense/cert-a.xml", .b = DATA "cert-b-otherca.xml", .tunnel = "con1",
	  .cls = DOCTOR_CERT_PROBLEM, .summary = { "does not trust", "6750c1a0ca001-ca.crt" } },
	{ .what = "certificates: b trusts only CA 2, a's certificate comes from CA 1 with the same "
		  "name; the key identifiers tell them apart",
	  .a = DATA "cert/a/swanctl.conf", .b = DATA "cert/b/swanctl.conf",
	  .n = 1, .cls = DOCTOR_CERT_PROBLEM,
	  .summary = { "the responder does not trust", "CN=tunnelctl test CA" },
	  .n_ev = 2, .ev = { "certs = gw-a.crt", "cacerts = ca2.crt" } },
	{ .what = "certificates: trusting both CAs is healthy",
	  .a = DATA "cert/a/swanctl.conf", .b = DATA "cert/b/swanctl-both.conf",
	  .cls = DOCTOR_HEALTHY },
};

static void test_file_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < ARRAY_SIZE(file_cases); c++) {
		const struct file_case *fc = &file_cases[c];
		const struct doctor_verdict *v;
		struct run x;

		run_files(&x, fc->a, fc->b);
		if (fc->n && x.r.n != fc->n)
			fail_msg("%s: %zu verdicts, expected %zu", fc->what, x.r.n, fc->n);
		v = fc->tunnel ? find_verdict(&x.r, fc->tunnel) : x.r.n ? &x.r.v[0] : NULL;
		if (!v)
			fail_msg("%s: no verdict for %s", fc->what, fc->tunnel ? fc->tunnel : "any tunnel");
		if (v->cls != fc->cls)
			fail_msg("%s: class %s, expected %s: %s", fc->what, doctor_class_names[v->cls],
				 doctor_class_names[fc->cls], v->summary);
		for (size_t i = 0; i < ARRAY_SIZE(fc->summary) && fc->summary[i]; i++)
			if (!strstr(v->summary, fc->summary[i]))
				fail_msg("%s: summary lacks '%s': %s", fc->what, fc->summary[i], v->summary);
		if (fc->n_ev && v->n_ev != fc->n_ev)
			fail_msg("%s: %zu evidence lines, expected %zu", fc->what, v->n_ev, fc->n_ev);
		for (size_t i = 0; i < fc->n_ev; i++) {
			assert_string_equal(v->ev[i].text, fc->ev[i]);
			if (fc->ev_input[i])
				assert_string_equal(doctor_input_label(x.d, v->ev[i].input), fc->ev_input[i]);
		}
		assert_evidence_real(x.d, x.r.v, x.r.n);
		run_free(&x);
	}
}

/* s with the first `from` replaced by `to` (caller frees); the test fails without one. */
static char *str_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* Copy a file (test data) to path. */
static void copy_file(const char *from, const char *to)
{
	struct buf b;

	buf_init(&b);
	assert_int_equal(file_read_all(from, TC_MAX_FILE_SIZE, &b), 0);
	assert_int_equal(file_write_atomic(to, b.data, b.len, 0644), 0);
	buf_free(&b);
}

/* File names with blanks in certs/cacerts are one file each (swanctl splits on commas only). */
static void test_cert_names_with_blanks(void **state)
{
	char dir[] = "/tmp/tc-dconf-XXXXXX";
	struct run x;
	char *p[8];

	(void)state;
	assert_non_null(mkdtemp(dir));
	p[0] = xasprintf("%s/a/x509", dir);
	p[1] = xasprintf("%s/a/x509ca", dir);
	p[2] = xasprintf("%s/b/x509", dir);
	p[3] = xasprintf("%s/b/x509ca", dir);
	for (int i = 0; i < 4; i++)
		assert_int_equal(mkdir_p(p[i], 0755), 0);
	p[4] = xasprintf("%s/gateway a.crt", p[0]);
	copy_file(DATA "cert/a/x509/gw-a.crt", p[4]);
	p[5] = xasprintf("%s/ca two.crt", p[1]);
	copy_file(DATA "cert/a/x509ca/ca2.crt", p[5]);
	p[6] = xasprintf("%s/gateway b.crt", p[2]);
	copy_file(DATA "cert/b/x509/gw-b.crt", p[6]);
	p[7] = xasprintf("%s/ca two.crt", p[3]);
	copy_file(DATA "cert/b/x509ca/ca2.crt", p[7]);
	for (int side = 0; side < 2; side++) {
		struct buf conf;
		char *src = xasprintf(DATA "cert/%c/swanctl.conf", side ? 'b' : 'a');
		char *dst = xasprintf("%s/%c/swanctl.conf", dir, side ? 'b' : 'a');
		char *t;
		buf_init(&conf);
		assert_int_equal(file_read_all(src, TC_MAX_FILE_SIZE, &conf), 0);
		t = str_replace(conf.data, side ? "certs = gw-b.crt" : "certs = gw-a.crt",
				side ? "certs = \"gateway b.crt\"" : "certs = \"gateway a.crt\"");
		char *t2 = str_replace(t, "cacerts = ca2.crt", "cacerts = \"ca two.crt\"");
		assert_int_equal(file_write_atomic(dst, t2, strlen(t2), 0644), 0);
		free(t);
		free(t2);
		buf_free(&conf);
		free(src);
		free(dst);
	}
	char *a = xasprintf("%s/a/swanctl.conf", dir), *b = xasprintf("%s/b/swanctl.conf", dir);
	/* b trusts only CA 2, a's certificate is from CA 1: found through the blank names */
	run_files(&x, a, b);
	assert_int_equal(x.r.v[0].cls, DOCTOR_CERT_PROBLEM);
	assert_non_null(strstr(x.r.v[0].summary, "ca two.crt"));
	run_free(&x);
	free(a);
	free(b);
	for (int i = 0; i < 8; i++)
		free(p[i]);
	char *rm = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

/* The same with tunnel files (cert/key/ca keys), written to a temporary directory with a
 * dummy key of mode 0600: evidence points at the tunnel files' cert and ca lines. */
static void test_cert_trust_tunnel(void **state)
{
	static const char *const fmt =
		"tunnels {\n    1 {\n        local_address = %s\n        remote_gateway = %s\n"
		"        auth = cert\n        local_id = asn1dn:\"C=CH, O=tunnelctl, CN=%s\"\n"
		"        remote_id = asn1dn:\"C=CH, O=tunnelctl, CN=%s\"\n"
		"        cert = %s/%s\n        key = key.pem\n        ca = %s/%s\n"
		"        start_action = %s\n"
		"        phase2 {\n            1 {\n                local = %s\n                remote = %s\n"
		"            }\n        }\n    }\n}\n";
	char dir[] = "/tmp/tc-doctor-cert-XXXXXX", cwd[4096], *a, *b, *key, *text;
	struct run x;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	key = xasprintf("%s/key.pem", dir);
	assert_int_equal(file_write_atomic(key, "dummy\n", 6, 0600), 0);
	a = xasprintf("%s/a.conf", dir);
	b = xasprintf("%s/b.conf", dir);
	text = xasprintf(fmt, "192.0.2.1", "192.0.2.2", "gw-a.example.com", "gw-b.example.com", cwd,
			 DATA "cert/a/x509/gw-a.crt", cwd, DATA "cert/a/x509ca/ca2.crt", "start", "10.1.0.0/24",
			 "10.2.0.0/24");
	assert_int_equal(file_write_atomic(a, text, strlen(text), 0600), 0);
	free(text);
	text = xasprintf(fmt, "192.0.2.2", "192.0.2.1", "gw-b.example.com", "gw-a.example.com", cwd,
			 DATA "cert/b/x509/gw-b.crt", cwd, DATA "cert/b/x509ca/ca2.crt", "none", "10.2.0.0/24",
			 "10.1.0.0/24");
	assert_int_equal(file_write_atomic(b, text, strlen(text), 0600), 0);
	free(text);
	run_files(&x, a, b);
	assert_int_equal(x.r.v[0].cls, DOCTOR_CERT_PROBLEM);
	assert_int_equal(x.r.v[0].n_ev, 2);
	assert_true(str_startswith(x.r.v[0].ev[0].text, "cert = "));
	assert_true(str_startswith(x.r.v[0].ev[1].text, "ca = "));
	assert_non_null(strstr(x.r.v[0].fix, "Peer Certificate Authority"));
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
	unlink(a);
	unlink(b);
	unlink(key);
	rmdir(dir);
	free(a);
	free(b);
	free(key);
}

/* The lab's cert_problem scenario as committed: its certificates beside the tunnel files,
 * named by relative paths, its private keys absent. The doctor compares it for real (the
 * untrusted issuer), while check/apply (tunnel_load) still refuse the missing key. */
static void test_cert_problem_scenario(void **state)
{
	struct tc_errors errs = { 0 };
	struct run x;

	(void)state;
	run_files(&x, SCENARIOS "cert_problem/a.conf", SCENARIOS "cert_problem/b.conf");
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_CERT_PROBLEM);
	assert_non_null(strstr(x.r.v[0].summary, "the responder does not trust"));
	assert_int_equal(x.r.v[0].n_ev, 2);
	assert_string_equal(x.r.v[0].ev[0].text, "cert = ca1/gw-a.crt");
	assert_string_equal(x.r.v[0].ev[1].text, "ca = ca2/ca.crt");
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
	assert_null(tunnel_load(SCENARIOS "cert_problem/a.conf", &errs));
	assert_true(errs.n_errors > 0);
	assert_non_null(strstr(errs.v[0].msg, "gw-a.key"));
	tc_errors_free(&errs);
}

/* A psk_file the doctor cannot read is "PSK equality unknown" (a warning), not config_error
 * nor psk_mismatch; one it can read is compared whatever its mode, which check refuses. */
static void test_psk_file_unreadable(void **state)
{
	static const char *const fmt =
		"tunnels {\n    1 {\n        local_address = %s\n        remote_gateway = %s\n"
		"        %s\n        phase2 {\n            1 {\n                local = %s\n"
		"                remote = %s\n            }\n        }\n    }\n}\n";
	char dir[] = "/tmp/tc-doctor-pskf-XXXXXX", *a, *b, *psk, *text;
	struct tc_errors errs = { 0 };
	struct run x;
	bool warned = false;

	(void)state;
	assert_non_null(mkdtemp(dir));
	a = xasprintf("%s/a.conf", dir);
	b = xasprintf("%s/b.conf", dir);
	psk = xasprintf("%s/a.psk", dir);
	text = xasprintf(fmt, "192.0.2.1", "192.0.2.2", "psk_file = a.psk", "10.1.0.0/24", "10.2.0.0/24");
	assert_int_equal(file_write_atomic(a, text, strlen(text), 0600), 0);
	free(text);
	text = xasprintf(fmt, "192.0.2.2", "192.0.2.1", "psk = \"lab-shared-secret-0123456789\"",
			 "10.2.0.0/24", "10.1.0.0/24");
	assert_int_equal(file_write_atomic(b, text, strlen(text), 0600), 0);
	free(text);

	/* a.psk does not exist: compared all the same, PSK unknown */
	run_files(&x, a, b);
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	for (size_t i = 0; i < x.r.n_warn; i++)
		if (strstr(x.r.warn[i].summary, "psk_file cannot be read")) {
			warned = true;
			assert_string_equal(x.r.warn[i].ev[0].text, "psk_file = a.psk");
		}
	assert_true(warned);
	assert_evidence_real(x.d, x.r.warn, x.r.n_warn);
	run_free(&x);
	assert_null(tunnel_load(a, &errs));
	tc_errors_free(&errs);

	/* readable but mode 0644 (as git checks it out): compared; check refuses the mode */
	assert_int_equal(file_write_atomic(psk, "another-secret-0123456789\n", 26, 0644), 0);
	run_files(&x, a, b);
	assert_int_equal(x.r.v[0].cls, DOCTOR_PSK_MISMATCH);
	run_free(&x);
	assert_null(tunnel_load(a, &errs));
	assert_non_null(strstr(errs.v[0].msg, "0600"));
	tc_errors_free(&errs);

	unlink(psk);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(psk);
	free(a);
	free(b);
}

/* One config alone: what charon would refuse is named; a good config gives nothing. */
static void test_check_alone(void **state)
{
	struct tc_errors errs = { 0 };
	struct doctor_conf_side *s;
	struct doctor_conf_result r = { 0 };
	struct doctor *d = doctor_new();

	(void)state;
	assert_int_equal(doctor_conf_read_path(SCENARIOS "config_error/a.swanctl.conf", &s, &errs), 0);
	doctor_conf_check(s, d, &r);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].cls, DOCTOR_CONFIG_ERROR);
	assert_non_null(strstr(r.v[0].summary, "'modp2084'"));
	assert_evidence_real(d, r.v, r.n);
	doctor_conf_result_free(&r);
	doctor_conf_side_free(s);
	assert_int_equal(doctor_conf_read_path(SCENARIOS "healthy/a.conf", &s, &errs), 0);
	doctor_conf_check(s, d, &r);
	assert_int_equal(r.n, 0);
	doctor_conf_result_free(&r);
	doctor_conf_side_free(s);
	doctor_free(d);
	tc_errors_free(&errs);
}

/* Bounded input: more connections than DOCTOR_CONF_MAX_CONNS are cut with a warning. */
static void test_limit_conns(void **state)
{
	struct buf b;
	struct tc_errors errs = { 0 };
	struct conf_tree *t;
	struct doctor_conf_side *s;

	(void)state;
	buf_init(&b);
	buf_adds(&b, "connections {\n");
	for (int i = 0; i < DOCTOR_CONF_MAX_CONNS + 5; i++)
		buf_printf(&b, " c%d {\n  remote_addrs = 10.0.%d.%d\n }\n", i, i / 256, i % 256);
	buf_adds(&b, "}\n");
	t = conf_parse("many.swanctl", b.data, b.len, NULL, &errs);
	s = doctor_conf_side_from_swanctl(t, &errs);
	assert_int_equal(doctor_conf_side_count(s), DOCTOR_CONF_MAX_CONNS);
	assert_true(errs.n > 0);
	doctor_conf_side_free(s);
	tc_errors_free(&errs);
	buf_free(&b);
}

/* ---- issue 15: charon's selection rules, one minimal case per rule --------------------- */

/* The number of warnings of r whose summary holds s. */
static size_t warn_count(const struct doctor_conf_result *r, const char *s)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_warn; i++)
		n += strstr(r->warn[i].summary, s) != NULL;
	return n;
}

/* Healthy, with no warning about narrowing. */
static void assert_healthy_unnarrowed(const char *a, const char *b)
{
	struct run x;

	run_files(&x, a, b);
	assert_int_equal(x.r.n, 1);
	if (x.r.v[0].cls != DOCTOR_HEALTHY)
		print_message("%s: %s\n", x.r.v[0].tunnel, x.r.v[0].summary);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	assert_int_equal(warn_count(&x.r, "narrow"), 0);
	run_free(&x);
}

/* Rule 1: a NATed client proposes its private address into a gateway that allows the whole
 * network behind the NAT: the SA gets what was proposed, which is not narrowing. */
static void test_rule_not_narrowed(void **state)
{
	(void)state;
	assert_healthy_unnarrowed(DATA "natted-client.swanctl", DATA "nat-gw.swanctl");
}

/* Rule 5: dynamic with no local_addrs (behind NAT) is an address the gateway sees, not a
 * selector that overlaps nothing; with vips it is an address of the gateway's pool. */
static void test_rule_dynamic_unknown_and_vip(void **state)
{
	(void)state;
	assert_healthy_unnarrowed(DATA "nat-client.swanctl", DATA "nat-gw.swanctl");
	assert_healthy_unnarrowed(DATA "vip-client.swanctl", DATA "vip-gw.swanctl");
}

/* Rule 2: 0.0.0.0/0 and ::/0 narrowed to the gateway's networks install the child: healthy,
 * with a warning that names what is not tunnelled. */
static void test_rule_split_tunnel_warning(void **state)
{
	struct run x;

	(void)state;
	run_files(&x, DATA "split-rw.swanctl", DATA "split-gw.swanctl");
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	assert_int_equal(warn_count(&x.r, "narrows the selectors to 192.0.2.100/32 === 10.1.0.0/16,224.0.0.0/4"), 1);
	assert_int_equal(warn_count(&x.r, "remote 0.0.0.0/0 beyond 10.1.0.0/16,224.0.0.0/4"), 1);
	assert_int_equal(warn_count(&x.r, "remote ::/0 (none of it)"), 1);
	assert_evidence_real(x.d, x.r.warn, x.r.n_warn);
	run_free(&x);
}

/* Rule 6: a certificate responder without local.id sends the IDr it is asked for (IKEv2) or
 * its certificate's subject (IKEv1: no IDr), never its address. */
static void test_rule_cert_identity(void **state)
{
	struct run x;

	(void)state;
	run_files(&x, DATA "cert/a/swanctl.conf", DATA "cert/b/swanctl-noid.conf");
	assert_int_equal(x.r.n, 1);
	if (x.r.v[0].cls != DOCTOR_HEALTHY)
		print_message("%s\n", x.r.v[0].summary);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	run_free(&x);
	run_files(&x, DATA "cert/a/swanctl-ikev1.conf", DATA "cert/b/swanctl-noid.conf");
	assert_int_equal(x.r.v[0].cls, DOCTOR_ID_MISMATCH);
	assert_non_null(strstr(x.r.v[0].summary, "the responder sends identity dn:C=CH, O=tunnelctl, "
						 "CN=gw-b.example.com, the initiator expects dn:C=CH, O=tunnelctl, "
						 "CN=gw-c.example.com"));
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
}

/* The text of a test file with every `from` replaced by `to`. Caller frees. */
static char *file_with(const char *path, const char *from, const char *to)
{
	struct buf in, out;
	const char *p, *hit;

	buf_init(&in);
	buf_init(&out);
	assert_int_equal(file_read_all(path, TC_MAX_FILE_SIZE, &in), 0);
	buf_addc(&in, '\0');
	for (p = in.data; (hit = strstr(p, from)); p = hit + strlen(from)) {
		buf_add(&out, p, (size_t)(hit - p));
		buf_adds(&out, to);
	}
	buf_adds(&out, p);
	buf_free(&in);
	return out.data;
}

/* Rule 3: the secret whose owners match both identities beats one owned by either alone,
 * the owner-less one and an address subnet (IKEv2, by identities); an IKEv1 main mode
 * responder keys by the client's address, a range or subnet holding it beating 0.0.0.0/0. */
static void test_rule_psk_owners(void **state)
{
	struct run x;
	struct doctor_conf_result r = { 0 };
	struct doctor_conf_side *sa, *sb;
	struct doctor *d;
	char *rw, *gw;

	(void)state;
	run_files(&x, DATA "psk-owners-a.swanctl", DATA "psk-owners-b.swanctl");
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	run_free(&x);
	run_files(&x, DATA "psk-range-rw.swanctl", DATA "psk-range-gw.swanctl");
	assert_int_equal(x.r.n, 1);
	if (x.r.v[0].cls != DOCTOR_HEALTHY)
		print_message("%s\n", x.r.v[0].summary);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	run_free(&x);
	/* the client moved into the /28: the gateway now takes that subnet's key */
	rw = file_with(DATA "psk-range-rw.swanctl", "192.0.2.160", "192.0.2.100");
	gw = file_with(DATA "psk-range-gw.swanctl", "192.0.2.1\n", "192.0.2.1\n");
	compare_text(rw, gw, &r, &d, &sa, &sb);
	assert_int_equal(r.v[0].cls, DOCTOR_PSK_MISMATCH);
	assert_int_equal(r.v[0].n_ev, 2);
	assert_string_equal(r.v[0].ev[1].text, "secret = <hidden>");
	assert_int_equal(r.v[0].ev[1].line, 34);
	compare_free(&r, d, sa, sb);
	free(rw);
	free(gw);
}

/* Rule 4: a child of the same name merges with the template's (only the keys given
 * override): selectors, PFS group and start action all arrive; the template with children
 * is a connection of its own (unpaired here: its peer is another host). */
static void test_rule_template_child_merge(void **state)
{
	struct run x;
	const struct doctor_verdict *v;

	(void)state;
	run_files(&x, DATA "tmpl-child-a.swanctl", DATA "tmpl-child-c.swanctl");
	v = find_verdict(&x.r, "to-c");
	assert_non_null(v);
	if (v->cls != DOCTOR_HEALTHY)
		print_message("to-c: %s\n", v->summary);
	assert_int_equal(v->cls, DOCTOR_HEALTHY);
	assert_int_equal(warn_count(&x.r, "responder-only"), 0);
	v = find_verdict(&x.r, "to-b");
	assert_non_null(v);
	assert_int_equal(v->cls, DOCTOR_NO_IKE_CONFIG);
	run_free(&x);
}

/* Rule 7: among peer connections that accept the same address, the one whose identities
 * and authentication method fit is the partner (here the certificate one, not the psk). */
static void test_rule_pairing_by_auth(void **state)
{
	struct run x;

	(void)state;
	run_files(&x, DATA "mixed-client.swanctl", DATA "mixed-gw.swanctl");
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	assert_non_null(strstr(x.r.v[0].ev[1].text, "rw-cert"));
	run_free(&x);
}

/* Rule 9: an IKEv1 PFS-only difference is pfs_mismatch, failing at once (quick mode). */
static void test_rule_ikev1_pfs(void **state)
{
	struct run x;

	(void)state;
	run_files(&x, DATA "ikev1-pfs-a.swanctl", DATA "ikev1-pfs-b.swanctl");
	assert_int_equal(x.r.n, 1);
	assert_int_equal(x.r.v[0].cls, DOCTOR_PFS_MISMATCH);
	assert_non_null(strstr(x.r.v[0].summary, "quick mode"));
	assert_null(strstr(x.r.v[0].summary, "rekey fails"));
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
}

/* An unparseable --config is an input error: FILE:LINE:COL errors and exit status 2 (a file
 * that parses but does not load stays a config_error finding, exit 1). */
static void test_unparseable_config_exit_2(void **state)
{
	struct tc_errors errs = { 0 };
	struct doctor_conf_side *s = NULL;
	struct tc_ctx ctx = { .conf = DATA "nat-gw.swanctl" };
	char *argv[] = { "doctor", "--config", DATA "unparseable.swanctl", "--peer-config",
			 DATA "nat-gw.swanctl", NULL };

	(void)state;
	assert_int_equal(doctor_conf_read_path(DATA "unparseable.swanctl", &s, &errs), -EBADMSG);
	assert_null(s);
	assert_true(errs.n_errors > 0);
	assert_string_equal(errs.v[0].file, DATA "unparseable.swanctl");
	assert_true(errs.v[0].line > 0);
	tc_errors_free(&errs);
	optind = 0;
	assert_int_equal(cmd_doctor(5, argv, &ctx), 2);
}

/* Rule 8: a chain through an intermediate CA (from x509ca/, named by no key) up to the
 * verifier's root is trusted; a certificate past its validity is refused. */
static void test_rule_cert_chain_and_dates(void **state)
{
	struct run x;

	(void)state;
	run_files(&x, DATA "chain/a/swanctl.conf", DATA "chain/b/swanctl.conf");
	assert_int_equal(x.r.n, 1);
	if (x.r.v[0].cls != DOCTOR_HEALTHY)
		print_message("%s\n", x.r.v[0].summary);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	run_free(&x);
	run_files(&x, DATA "chain/a/swanctl-expired.conf", DATA "chain/b/swanctl.conf");
	assert_int_equal(x.r.v[0].cls, DOCTOR_CERT_PROBLEM);
	assert_non_null(strstr(x.r.v[0].summary, "\"CN=gw-a.chain.example\" expired on 2021-01-01"));
	assert_evidence_real(x.d, x.r.v, x.r.n);
	run_free(&x);
}

/* Rule 8, charon's certificate checks past the chain (certificates made with pki, see
 * x509ext/a/swanctl.conf): each variant fails on its own certificate, the base pair is
 * healthy, and each verdict names the certificate file and what charon objects to. */
static void test_rule_cert_extensions(void **state)
{
	static const struct {
		const char *a, *b, *want[2];
	} cases[] = {
		{ "x509ext/a/swanctl-crit.conf", "x509ext/b/swanctl.conf",
		  { "refuses to load certificate gw-a-crit.crt", "(2.25.7003)" } },
		{ "x509ext/a/swanctl-other.conf", "x509ext/b/swanctl.conf",
		  { "identity fqdn:gw-a.ext.example", "fqdn:other.ext.example, ip:192.0.2.1" } },
		{ "x509ext/a/swanctl-ku.conf", "x509ext/b/swanctl.conf",
		  { "gw-a-ku.crt has a keyUsage without digitalSignature", "" } },
		{ "x509ext/a/swanctl.conf", "x509ext/b/swanctl-policy.conf",
		  { "requires 2.25.7002, and gw-a.crt does not carry", "" } },
		{ "x509ext/a/swanctl-noca.conf", "x509ext/b/swanctl-root2.conf",
		  { "(inter-noca.crt) is not a CA", "" } },
		{ "x509ext/a/swanctl-icrit.conf", "x509ext/b/swanctl-root3.conf",
		  { "refuses to load certificate inter-crit.crt", "(2.25.7004), so the chain breaks there" } },
	};
	struct run x;

	(void)state;
	run_files(&x, DATA "x509ext/a/swanctl.conf", DATA "x509ext/b/swanctl.conf");
	assert_int_equal(x.r.n, 1);
	if (x.r.v[0].cls != DOCTOR_HEALTHY)
		print_message("%s\n", x.r.v[0].summary);
	assert_int_equal(x.r.v[0].cls, DOCTOR_HEALTHY);
	run_free(&x);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *pa = xasprintf("%s%s", DATA, cases[i].a), *pb = xasprintf("%s%s", DATA, cases[i].b);
		run_files(&x, pa, pb);
		assert_int_equal(x.r.n, 1);
		assert_int_equal(x.r.v[0].cls, DOCTOR_CERT_PROBLEM);
		assert_non_null(strstr(x.r.v[0].summary, cases[i].want[0]));
		assert_non_null(strstr(x.r.v[0].summary, cases[i].want[1]));
		assert_evidence_real(x.d, x.r.v, x.r.n);
		run_free(&x);
		free(pa);
		free(pb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_scenarios),
		cmocka_unit_test(test_scenarios_logs_agree),
		cmocka_unit_test(test_templates_pfs),
		cmocka_unit_test(test_include_healthy_warnings),
		cmocka_unit_test(test_pair_cases),
		cmocka_unit_test(test_psk_hidden),
		cmocka_unit_test(test_file_cases),
		cmocka_unit_test(test_cert_names_with_blanks),
		cmocka_unit_test(test_cert_trust_tunnel),
		cmocka_unit_test(test_cert_problem_scenario),
		cmocka_unit_test(test_psk_file_unreadable),
		cmocka_unit_test(test_check_alone),
		cmocka_unit_test(test_limit_conns),
		cmocka_unit_test(test_rule_not_narrowed),
		cmocka_unit_test(test_rule_dynamic_unknown_and_vip),
		cmocka_unit_test(test_rule_split_tunnel_warning),
		cmocka_unit_test(test_rule_cert_identity),
		cmocka_unit_test(test_rule_psk_owners),
		cmocka_unit_test(test_rule_template_child_merge),
		cmocka_unit_test(test_rule_pairing_by_auth),
		cmocka_unit_test(test_rule_ikev1_pfs),
		cmocka_unit_test(test_rule_cert_chain_and_dates),
		cmocka_unit_test(test_rule_cert_extensions),
		cmocka_unit_test(test_unparseable_config_exit_2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
