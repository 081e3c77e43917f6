/* xfrm_nl.h - the kernel's XFRM policies and routes over netlink, for `tunnelctl trace`.
 *
 * The decoders are pure (kernel bytes in, trace_policy / route out) and check every length
 * before reading; the queries open a netlink socket in the current network namespace, read
 * with a deadline and within XFRM_NL_MAX_BYTES.
 */
#ifndef TUNNELCTL_XFRM_NL_H
#define TUNNELCTL_XFRM_NL_H

#include <net/if.h>
#include <stddef.h>

#include "trace.h"
#include "util.h"

#define XFRM_NL_MAX_BYTES (32u * 1024u * 1024u)	/* one dump's bytes; more is refused */
#define XFRM_NL_RECV_BUF 65536u			/* one recv(); the kernel fills up to a page or so */
#define XFRM_NL_ERR_MAX 160

/* Where a route lookup leads. */
struct xfrm_nl_route {
	int found;			/* 1: a route; 0: none (err says why) */
	unsigned table;			/* routing table (220 is charon's) */
	unsigned type;			/* RTN_UNICAST, RTN_UNREACHABLE, ... */
	unsigned oif;			/* output interface index, 0 if none */
	char dev[IF_NAMESIZE];		/* its name, filled by the query */
	char gateway[64];		/* next hop, "" when directly connected */
	char prefsrc[64];		/* preferred source address, "" when none */
	char err[XFRM_NL_ERR_MAX];
};

/* Decode part of a policy dump (whole netlink messages): every XFRM_MSG_NEWPOLICY of the main
 * type without mark or interface id is appended to out (origin kernel); *done is set at
 * NLMSG_DONE. 0; -EBADMSG (malformed: err says where), -E2BIG (too many policies), or the
 * kernel's error from an NLMSG_ERROR (negative errno). */
int xfrm_nl_decode_policies(const void *data, size_t len, struct trace_policies *out, int *done,
			    char err[XFRM_NL_ERR_MAX]);

/* Decode the answer to a route lookup: an RTM_NEWROUTE or an NLMSG_ERROR. 0 (out filled,
 * out->found 0 with err for a kernel refusal such as "no route to host") or -EBADMSG. */
int xfrm_nl_decode_route(const void *data, size_t len, struct xfrm_nl_route *out);

/* Lines of text a dump decoded to (bundle), and how many. */
struct xfrm_nl_text {
	struct buf text;
	size_t n;
};

/* Decode part of an XFRM state dump into one line per SA: addresses, protocol, SPI, reqid,
 * mode, algorithm names and key sizes, UDP encapsulation, byte and packet counters. Keys are
 * never read. 0 (*done at NLMSG_DONE), -EBADMSG with err, or the kernel's error. */
int xfrm_nl_decode_states(const void *data, size_t len, struct xfrm_nl_text *out, int *done,
			  char err[XFRM_NL_ERR_MAX]);

/* Decode part of a route dump into one line per route: table, type, destination, gateway,
 * output interface, preferred source, metric. Same returns. */
int xfrm_nl_decode_routes(const void *data, size_t len, struct xfrm_nl_text *out, int *done,
			  char err[XFRM_NL_ERR_MAX]);

/* Dump the kernel's XFRM states (SAs, keys left out) or every route of every table, IPv4 and
 * IPv6, in this network namespace into out (lines added). 0 or -errno with err. */
int xfrm_nl_dump_states(int timeout_ms, struct xfrm_nl_text *out, char err[XFRM_NL_ERR_MAX]);
int xfrm_nl_dump_routes(int timeout_ms, struct xfrm_nl_text *out, char err[XFRM_NL_ERR_MAX]);

/* Dump the kernel's XFRM policies in this network namespace into out. 0 or -errno with err. */
int xfrm_nl_dump_policies(int timeout_ms, struct trace_policies *out, char err[XFRM_NL_ERR_MAX]);

/* Ask the kernel which route a packet to dst (family fam) takes. 0 (out filled) or -errno with out->err. */
int xfrm_nl_get_route(int fam, const unsigned char dst[16], int timeout_ms, struct xfrm_nl_route *out);

#endif
