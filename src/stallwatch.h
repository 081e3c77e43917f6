/* stallwatch.h - "sending into a dead tunnel" from a child SA's packet counters (issue 17
 * item 5): pure, no I/O. A tunnel whose peer lost its SAs, or whose return path drops ESP,
 * stays INSTALLED here and answers DPD (IKE takes another path, or no DPD runs), while every
 * packet we send into it is lost. Its counters tell: packets out keep growing, packets in
 * stay where they were. STALLWATCH_SAMPLES samples in a row like that (each at least
 * min_gap_ms after the previous one) = stalled, and the caller restarts the child, at most
 * once per restart_gap_ms; a stall within that time is reported as held back.
 *
 * The caller keeps one struct stallwatch per child and feeds it each list-sas it makes. A new
 * child SA (rekey, restart: another unique id) starts the count over, as does any packet in.
 * A child that sends nothing tells nothing: idle samples neither count nor reset.
 *
 * /proc/net/xfrm_stat (the kernel's XFRM error counters, per network namespace) adds why:
 * stallwatch_xfrm_grown names the inbound error counters that grew between two readings
 * (XfrmInNoStates: ESP arrives for an SPI we have no SA for, the peer uses SAs we lost).
 */
#ifndef TUNNELCTL_STALLWATCH_H
#define TUNNELCTL_STALLWATCH_H

#include <stddef.h>
#include <stdint.h>

#define STALLWATCH_SAMPLES 3			/* samples in a row: out grew, in did not */
#define STALLWATCH_RESTART_GAP_MS (5 * 60 * 1000)	/* one stall restart per child per 5 min */
#define STALLWATCH_XFRM_MAX 8192		/* bytes of /proc/net/xfrm_stat read (it has ~30 lines) */

enum stallwatch_verdict {
	STALLWATCH_OK,		/* nothing to tell: a first sample, too soon, idle */
	STALLWATCH_FLOWING,	/* packets came in since the last sample */
	STALLWATCH_SUSPECT,	/* sending, nothing back, fewer than STALLWATCH_SAMPLES times */
	STALLWATCH_STALLED,	/* restart it now (then call stallwatch_restarted) */
	STALLWATCH_HELD,	/* stalled, but a stall restart happened less than restart_gap_ms ago */
};
extern const char *const stallwatch_verdict_names[];

struct stallwatch {
	uint64_t sa;		/* the child SA's unique id the baseline belongs to, 0 none */
	uint64_t in, out;	/* its packet counters at the last sample */
	int64_t at;		/* monotonic ms of the last sample, 0 none */
	unsigned flat;		/* samples in a row: out grew, in did not */
	uint64_t sent;		/* packets sent during those */
	int64_t since;		/* when the first of them was taken (the baseline's time) */
	int64_t restarted;	/* monotonic ms of the last stall restart, 0 never */
};

/* One sample of child SA sa (its unique id) with packets in and out at now (monotonic ms). */
enum stallwatch_verdict stallwatch_sample(struct stallwatch *w, uint64_t sa, uint64_t in, uint64_t out, int64_t now,
					  int64_t min_gap_ms, int64_t restart_gap_ms);
/* The caller restarted the child for a stall at now: the rate limit starts, the count over. */
void stallwatch_restarted(struct stallwatch *w, int64_t now);
/* The child is not installed (down, or being negotiated): forget the baseline, keep the limit. */
void stallwatch_reset(struct stallwatch *w);

/* The inbound error counters (XfrmIn*) of /proc/net/xfrm_stat text cur that are higher than
 * in text prev, as "XfrmInNoStates +12, XfrmInStateProtoError +1" into out (size > 0; "" when
 * none grew); returns how many grew. Lines that do not parse are ignored. */
size_t stallwatch_xfrm_grown(const char *prev, size_t prev_len, const char *cur, size_t cur_len, char *out,
			     size_t size);

#endif
