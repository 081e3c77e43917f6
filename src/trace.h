/* trace.h - which phase 2 would carry a packet, and why (or why none): the pure decision
 * behind `tunnelctl trace`.
 *
 * Inputs are plain data: outbound policies (from the kernel's XFRM dump, from charon's
 * list-pols and list-sas under kernel-libipsec, or planned from the tunnel file), charon's
 * installed child SAs, and the tunnel file's phase 2 entries. No sockets, no printing.
 */
#ifndef TUNNELCTL_TRACE_H
#define TUNNELCTL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "naming.h"
#include "tunnel.h"
#include "vici.h"

#define TRACE_RANGE 255u		/* trace_sel.plen of an address range that is no subnet */
#define TRACE_MAX_POLICIES 65536	/* policies kept from one dump; more are refused */
#define TRACE_MAX_TS 64			/* selectors per side of one child or policy */
#define TRACE_PORT_ANY_HI 65535u
#define TRACE_SPI_MAX 16		/* hex SPI and NUL */

/* One traffic selector: addresses lo..hi (network byte order), protocol, ports lo..hi. */
struct trace_sel {
	int fam;			/* AF_INET or AF_INET6 */
	unsigned char lo[16], hi[16];
	unsigned plen;			/* prefix length, or TRACE_RANGE */
	unsigned proto;			/* 0: any */
	unsigned port_lo, port_hi;	/* 0..65535: any */
};

enum trace_action { TRACE_ACT_IPSEC, TRACE_ACT_PASS, TRACE_ACT_DROP };
/* Names table: "ipsec", "pass", "drop". */
extern const char *const trace_action_names[];

enum trace_origin {
	TRACE_FROM_KERNEL,	/* the kernel's XFRM policy database */
	TRACE_FROM_CHARON,	/* charon's list-pols / list-sas (kernel-libipsec keeps policies in charon) */
	TRACE_FROM_CONFIG,	/* the tunnel file, as charon would install it */
};
/* Names table: "kernel", "charon", "config". */
extern const char *const trace_origin_names[];

enum trace_dir { TRACE_DIR_IN, TRACE_DIR_OUT, TRACE_DIR_FWD, TRACE_DIRS };
extern const char *const trace_dir_names[];

/* One policy. Only outbound ones decide where a packet leaving this gateway goes. */
struct trace_policy {
	enum trace_origin origin;
	enum trace_dir dir;
	enum trace_action action;
	bool trap;			/* installed by charon for an acquire (no SA needed yet) */
	uint32_t priority;		/* lower wins */
	uint32_t index;			/* kernel index; dump order otherwise */
	struct trace_sel src, dst;
	unsigned reqid;			/* 0: none */
	char child[NAMING_MAX];		/* charon's child name when known, else "" */
};

struct trace_policies {
	struct trace_policy *v;
	size_t n, cap;
};

/* An installed (or installing) child SA, from list-sas. */
struct trace_sa {
	char ike[NAMING_MAX], child[NAMING_MAX];
	unsigned reqid;
	char state[24];
	char spi_in[TRACE_SPI_MAX], spi_out[TRACE_SPI_MAX];
	struct trace_sel local[TRACE_MAX_TS], remote[TRACE_MAX_TS];
	size_t n_local, n_remote;
};

/* A phase 2 of the tunnel file, with its names from naming.c. */
struct trace_entry {
	char ike[NAMING_MAX], child[NAMING_MAX];
	unsigned ikeid, reqid;
	const char *description;	/* the phase 2's, or NULL; points into the tunnel file */
	bool p1_enabled, p2_enabled;
	enum tunnel_action start_action;	/* TUNNEL_ACTION_DEFAULT already resolved to trap */
	bool valid;			/* selectors parsed (a transport entry without networks is not) */
	struct trace_sel local, remote;
};

/* The packet asked about. */
struct trace_packet {
	int fam;
	unsigned char src[16], dst[16];
	unsigned proto;			/* 0: not given */
	int port;			/* destination port, -1: not given */
};

enum trace_kind {
	TRACE_CARRIED,		/* an installed child SA takes it */
	TRACE_TRAP,		/* a trap policy wins: the first packet starts the child */
	TRACE_PLANNED,		/* config only: this phase 2 would carry it */
	TRACE_BYPASS,		/* a pass policy wins: sent in the clear */
	TRACE_DROP,		/* a drop policy wins */
	TRACE_NO_SA,		/* an IPsec policy wins but its SA is gone and it is no trap */
	TRACE_DISABLED,		/* only a disabled phase 2 (or phase 1) covers it */
	TRACE_DOWN,		/* a phase 2 covers it but charon has neither SA nor trap for it */
	TRACE_NOT_COVERED,	/* nothing covers it */
	TRACE_UNROUTED,		/* kernel-libipsec: a policy matches but the route misses its TUN device */
	TRACE_SWALLOWED,	/* kernel-libipsec: only a pass/drop policy matches, its route leads into
				 * the TUN device, and libipsec (which ignores those) drops the packet */
	TRACE_KINDS
};
/* Names table: "carried", "trap", "planned", "bypass", "drop", "no_sa", "disabled", "down",
 * "not_covered", "unrouted", "swallowed". */
extern const char *const trace_kind_names[];

/* What does not match between a packet and a selector pair, as bits. */
enum {
	TRACE_MISS_FAMILY = 1,
	TRACE_MISS_SRC = 2,
	TRACE_MISS_DST = 4,
	TRACE_MISS_PROTO = 8,
	TRACE_MISS_PORT = 16,
};

struct trace_input {
	const struct trace_policy *pol;	/* any direction; only TRACE_DIR_OUT ones count */
	size_t n_pol;
	const struct trace_sa *sa;
	size_t n_sa;
	const struct trace_entry *ent;
	size_t n_ent;
	/* kernel-libipsec decides instead of the kernel: it keeps IPsec policies only and sees
	 * only packets routed into its TUN device (route_tun 1: they are, 0: not, -1: unknown) */
	bool libipsec;
	int route_tun;
};

struct trace_verdict {
	enum trace_kind kind;
	const struct trace_policy *policy;	/* the winning policy, or NULL */
	const struct trace_sa *sa;		/* the SA that carries it, or NULL */
	const struct trace_entry *entry;	/* the phase 2 that covers it, or the closest one */
	const struct trace_sa *closest_sa;	/* closest SA when no entry is known */
	const struct trace_policy *closest_policy;	/* closest IPsec policy when neither is known */
	unsigned miss;				/* TRACE_MISS_* of the closest entry (not covered) */
	size_t n_matching;			/* outbound policies that match the packet */
	char child[NAMING_MAX];			/* the child's name, "" when none */
};

/* Parse a selector as charon prints it or as a tunnel file has it: ADDR, ADDR/BITS or
 * ADDR..ADDR, optionally followed by [PROTO] or [PROTO/PORT] (names, numbers, LO-HI, OPAQUE).
 * Host bits are cleared. True on success. */
bool trace_sel_parse(const char *s, struct trace_sel *out);
/* A protocol's name from /etc/protocols ("tcp"), else its number; returns out. */
char *trace_proto_name(unsigned proto, char *out, size_t len);
/* Format a selector the way charon does (ports numeric); returns out. */
char *trace_sel_format(const struct trace_sel *s, char *out, size_t len);
/* The TRACE_MISS_* bits between packet p and the selector pair src -> dst (0: it matches). */
unsigned trace_match(const struct trace_packet *p, const struct trace_sel *src, const struct trace_sel *dst);

/* The priority charon gives a policy (lower wins), as kernel-netlink computes it (libipsec:
 * false) or as kernel-libipsec orders its policies (libipsec: true). */
uint32_t trace_priority(const struct trace_sel *src, const struct trace_sel *dst, enum trace_action action,
			bool trap, bool libipsec);

/* Append a policy (a copy); -E2BIG beyond TRACE_MAX_POLICIES. */
int trace_policies_add(struct trace_policies *ps, const struct trace_policy *p);
void trace_policies_free(struct trace_policies *ps);

/* The tunnel file's phase 2 entries; *n gets the count, caller frees the array. */
struct trace_entry *trace_entries_from_file(const struct tunnel_file *tf, size_t *n);
/* The policies charon would install for the tunnel file: an outbound trap (or, with start
 * action start, IPsec) policy per enabled phase 2 and pass policies for bypass_networks. */
void trace_policies_from_file(const struct tunnel_file *tf, const struct trace_entry *ent, size_t n_ent,
			      struct trace_policies *out);
/* Child SAs from list-sas events (installed or installing children). Caller frees. */
struct trace_sa *trace_sas_from_vici(struct vici_node *const *events, size_t n_events, size_t *n);
/* charon's policies (libipsec): outbound trap/pass/drop policies from list-pols events and
 * IPsec policies of the installed children sas, with kernel-libipsec's priorities. */
void trace_policies_from_vici(struct vici_node *const *events, size_t n_events, const struct trace_sa *sa,
			      size_t n_sa, struct trace_policies *out);

/* Kernel policies that charon lists as traps (same action and selectors) are marked as
 * traps and get the child's name; names of the SAs' policies come from their reqids. */
void trace_mark_traps(struct trace_policies *kernel, const struct trace_policies *charon);

/* Decide. Every pointer in *v points into in. */
void trace_decide(const struct trace_input *in, const struct trace_packet *p, struct trace_verdict *v);

#endif
