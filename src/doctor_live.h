/* doctor_live.h - `doctor --live`: checks of the running charon and of the system around it.
 *
 * Each check reads one thing (the VICI socket, /proc, the nftables ruleset, a certificate)
 * and says ok or what is wrong with the fix. The parsers of /proc files are pure and tested
 * on bytes; doctor_live_run() does the reading. */
#ifndef TUNNELCTL_DOCTOR_LIVE_H
#define TUNNELCTL_DOCTOR_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define DOCTOR_LIVE_VICI_TIMEOUT_MS 3000	/* per VICI command */
#define DOCTOR_LIVE_MAX_PROC (4u * 1024u * 1024u)	/* largest /proc file read */
#define DOCTOR_LIVE_MAX_CHECKS 64

enum doctor_live_status { DOCTOR_LIVE_OK, DOCTOR_LIVE_WARN, DOCTOR_LIVE_PROBLEM, DOCTOR_LIVE_SKIPPED };
extern const char *const doctor_live_status_names[];

struct doctor_live_check {
	const char *name;	/* static: "charon", "udp500", ... */
	enum doctor_live_status status;
	char *detail;		/* what was seen */
	char *fix;		/* what to do; "" when ok */
};

struct doctor_live_report {
	struct doctor_live_check c[DOCTOR_LIVE_MAX_CHECKS];
	size_t n;
};

/* Where the checks look; NULL fields take the system defaults. */
struct doctor_live_opts {
	const char *vici;	/* VICI URI */
	const char *proc;	/* /proc root (tests) */
};

/* Run every check into r. Returns the number of problems. */
int doctor_live_run(const struct doctor_live_opts *o, struct doctor_live_report *r);

/* Free the strings of a report. */
void doctor_live_report_free(struct doctor_live_report *r);

/* Pure parsers, exposed for tests. */
/* Whether /proc/net/udp or udp6 text lists a socket bound to local port `port`. */
bool doctor_live_udp_bound(const char *text, size_t len, unsigned port);
/* Whether /proc/modules text lists module `name`. */
bool doctor_live_module_loaded(const char *text, size_t len, const char *name);
/* Whether a VICI list-conn event (or any section in it) has a local-ts or remote-ts list
 * with an IPv6 selector. */
struct vici_node;
bool doctor_live_conn_has_ipv6_ts(const struct vici_node *node);
/* The first child of the connections of a list-conn event whose mode is PASS (a bypass
 * policy, as compile writes for global.bypass_networks), as "CONN/CHILD (LOCAL === REMOTE)"
 * into out; false when there is none. */
#define DOCTOR_LIVE_PASS_MAX 160
bool doctor_live_conn_pass_child(const struct vici_node *event, char *out, size_t size);
/* Rules in `nft -j list ruleset` JSON that drop UDP 500, UDP 4500 or ESP arriving at this
 * host (input/prerouting filter chains, first decisive rule per kind, policy drop with
 * nothing accepting): the count, described into out. -EINVAL when not nft JSON. */
int doctor_live_nft_blocks(const char *json_text, size_t len, struct buf *out);
/* Source NAT rules (masquerade/snat in postrouting nat chains) that do not spare IPsec
 * traffic (no rt/meta ipsec match, no daddr != exclusion): the count, described into out.
 * -EINVAL when not nft JSON. */
int doctor_live_nft_nat(const char *json_text, size_t len, struct buf *out);


#endif
