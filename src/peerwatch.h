/* peerwatch.h - the per-gateway probe schedule of the keep-alive (issue 20): pure, no I/O.
 *
 * A peer that answers and refuses (auth, proposals, traffic selectors) gets the per-tunnel
 * backoff. A peer that does not answer at all (retransmits run out) is watched per gateway
 * address instead: while its tunnels are down, none answered and some went unanswered, one light probe a
 * second (an ICMP echo when the gateway answered echoes while a tunnel to it was up and has
 * stopped answering them, else one IKE initiation of one of its tunnels). The moment it
 * answers, or initiates to us, every tunnel to it is initiated.
 *
 * The caller owns one struct peerwatch per gateway, tells peerwatch_step what it sees now and
 * what happened, and carries out the actions it returns.
 */
#ifndef TUNNELCTL_PEERWATCH_H
#define TUNNELCTL_PEERWATCH_H

#include <stdbool.h>
#include <stdint.h>

#define PEERWATCH_PROBE_MS 1000		/* one probe per silent gateway per second, never scaled */

/* What the caller saw happen to the gateway since the last step. */
enum peerwatch_event {
	PEERWATCH_EV_NONE,
	PEERWATCH_EV_ECHO_REPLY,	/* an ICMP echo to the gateway was answered */
	PEERWATCH_EV_ECHO_LOST,		/* an ICMP echo to the gateway went unanswered */
	PEERWATCH_EV_IKE_ANSWER,	/* an initiation to it got an answer (a child up, or a refusal) */
	PEERWATCH_EV_PEER_INITIATED,	/* the peer initiated an IKE SA to us (its IKE_SA_INIT) */
	PEERWATCH_EV_COUNT
};
extern const char *const peerwatch_event_names[PEERWATCH_EV_COUNT];

/* Actions, as bits of peerwatch_step's result. */
#define PEERWATCH_ACT_PROBE_ECHO 0x01u	/* send one ICMP echo to the gateway */
#define PEERWATCH_ACT_PROBE_IKE 0x02u	/* initiate one of its tunnels (replacing a probe in flight) */
#define PEERWATCH_ACT_INITIATE_ALL 0x04u	/* reset the backoff of every tunnel to it, initiate those down */
#define PEERWATCH_ACT_SILENT 0x08u	/* it just became silent (say so) */
#define PEERWATCH_ACT_BACK 0x10u	/* its silence just ended (say so; silent_since still tells since when) */

/* The watched tunnels to one gateway, as they are now. IKE goes to one address and port
 * whatever the tunnel, so one unanswered tunnel with none answered says the address is silent:
 * the others need not each run into their retransmit timeouts first. */
struct peerwatch_view {
	unsigned tunnels;	/* watched tunnels to this address (not manually down) */
	unsigned up;		/* of those, with an installed child */
	unsigned silent;	/* of those, down with an unanswered attempt (last or in flight) */
	unsigned answered;	/* of those, down after an attempt the peer answered (refused) */
};

/* One gateway's schedule. Zero-initialised = not silent, nothing learned. */
struct peerwatch {
	bool silent;		/* every tunnel to it is down and silent: probing */
	int64_t silent_since;	/* ms (the caller's clock) when the silence began; kept after it ends */
	int64_t next_probe;	/* ms: the next probe is due then (while silent) */
	bool echo_learned;	/* it answered an echo while a tunnel to it was up */
	bool echo_lost;		/* an echo was lost during this silence: the host itself is away */
	bool echo_useless;	/* it answered echoes during this silence: its host is up, its IKE is not */
	unsigned probes;	/* probes during this silence */
};

/* Advance gw to time now (ms, monotonic), given the view of its tunnels and one event (or
 * PEERWATCH_EV_NONE), and return the actions due now as PEERWATCH_ACT_* bits. Pure: no I/O,
 * no clock; call it at every event and whenever peerwatch_next says. */
unsigned peerwatch_step(struct peerwatch *gw, int64_t now, const struct peerwatch_view *v,
			enum peerwatch_event ev);

/* When the next step is due (ms), or -1 when only an event can change anything. */
int64_t peerwatch_next(const struct peerwatch *gw);

#endif
