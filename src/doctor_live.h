/* doctor_live.h - `doctor --live`: checks of the running charon and of the system around it.
 *
 * Each check reads one thing (the VICI socket, /proc, the nftables ruleset, a certificate)
 * and says ok or what is wrong with the fix. The parsers of /proc files are pure and tested
 * on bytes; dlive_run() does the reading. */
#ifndef TUNNELCTL_DOCTOR_LIVE_H
#define TUNNELCTL_DOCTOR_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define DLIVE_VICI_TIMEOUT_MS 3000	/* per VICI command */
#define DLIVE_MAX_PROC (4u * 1024u * 1024u)	/* largest /proc file read */
#define DLIVE_MAX_CHECKS 64

enum dlive_status { DLIVE_OK, DLIVE_WARN, DLIVE_PROBLEM, DLIVE_SKIPPED };
extern const char *const dlive_status_names[];

struct dlive_check {
	const char *name;	/* static: "charon", "udp500", ... */
	enum dlive_status status;
	char *detail;		/* what was seen */
	char *fix;		/* what to do; "" when ok */
};

struct dlive_report {
	struct dlive_check c[DLIVE_MAX_CHECKS];
	size_t n;
};

/* Where the checks look; NULL fields take the system defaults. */
struct dlive_opts {
	const char *vici;	/* VICI URI */
	const char *proc;	/* /proc root (tests) */
};

/* Run every check into r. Returns the number of problems. */
int dlive_run(const struct dlive_opts *o, struct dlive_report *r);

/* Free the strings of a report. */
void dlive_report_free(struct dlive_report *r);

/* Pure parsers, exposed for tests. */
/* Whether /proc/net/udp or udp6 text lists a socket bound to local port `port`. */
bool dlive_udp_bound(const char *text, size_t len, unsigned port);
/* Whether /proc/modules text lists module `name`. */
bool dlive_module_loaded(const char *text, size_t len, const char *name);
/* Whether a VICI list-conn event (or any section in it) has a local-ts or remote-ts list
 * with an IPv6 selector. */
struct vici_node;
bool dlive_conn_has_ipv6_ts(const struct vici_node *node);
/* Rules in `nft -j list ruleset` JSON that drop UDP 500, UDP 4500 or ESP arriving at this
 * host (input/prerouting filter chains, first decisive rule per kind, policy drop with
 * nothing accepting): the count, described into out. -EINVAL when not nft JSON. */
int dlive_nft_blocks(const char *json_text, size_t len, struct buf *out);
/* Source NAT rules (masquerade/snat in postrouting nat chains) that do not spare IPsec
 * traffic (no rt/meta ipsec match, no daddr != exclusion): the count, described into out.
 * -EINVAL when not nft JSON. */
int dlive_nft_nat(const char *json_text, size_t len, struct buf *out);


#endif
