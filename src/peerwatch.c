/* peerwatch.c - the per-gateway probe schedule (see peerwatch.h). Pure: the clock, the
 * tunnels' states and what happened come in as arguments, actions go out as bits. */
#include "peerwatch.h"

#include <stddef.h>

const char *const peerwatch_event_names[PEERWATCH_EV_COUNT] = {
	[PEERWATCH_EV_NONE] = "none",
	[PEERWATCH_EV_ECHO_REPLY] = "echo-reply",
	[PEERWATCH_EV_ECHO_LOST] = "echo-lost",
	[PEERWATCH_EV_IKE_ANSWER] = "ike-answer",
	[PEERWATCH_EV_PEER_INITIATED] = "peer-initiated",
};

/* No tunnel to the gateway is up or got an answer, and at least one went unanswered. */
static bool all_silent(const struct peerwatch_view *v)
{
	return v->tunnels > 0 && v->up == 0 && v->answered == 0 && v->silent > 0;
}

/* The silence is over: say so once and bring every tunnel to it up. */
static unsigned end_silence(struct peerwatch *gw)
{
	unsigned act = PEERWATCH_ACT_INITIATE_ALL;

	if (gw->silent)
		act |= PEERWATCH_ACT_BACK;
	gw->silent = false;
	gw->echo_lost = false;
	gw->echo_useless = false;
	gw->probes = 0;
	gw->next_probe = 0;
	return act;
}

unsigned peerwatch_step(struct peerwatch *gw, int64_t now, const struct peerwatch_view *v,
			enum peerwatch_event ev)
{
	unsigned act = 0;

	/* what happened: an answer of any kind ends a silence; the peer initiating always counts */
	switch (ev) {
	case PEERWATCH_EV_ECHO_REPLY:
		if (v->up > 0)
			gw->echo_learned = true;
		if (gw->silent && gw->echo_lost)
			act |= end_silence(gw);	/* the host was away and is back */
		else if (gw->silent)
			gw->echo_useless = true;	/* its host answers, its IKE does not: echoes tell nothing */
		break;
	case PEERWATCH_EV_ECHO_LOST:
		if (gw->silent)
			gw->echo_lost = true;
		break;
	case PEERWATCH_EV_IKE_ANSWER:
		if (gw->silent)
			act |= end_silence(gw);
		break;
	case PEERWATCH_EV_PEER_INITIATED:
		act |= end_silence(gw);
		break;
	case PEERWATCH_EV_NONE:
	case PEERWATCH_EV_COUNT:
		break;
	}
	if (act & PEERWATCH_ACT_INITIATE_ALL)
		return act;	/* the view is from before the answer: look again at the next step */

	/* what the tunnels say: a tunnel that answered (up or refused) ends the silence too */
	if (gw->silent && !all_silent(v)) {
		if (v->tunnels == 0) {
			gw->silent = false;	/* nothing left to watch (manually down, removed) */
			return PEERWATCH_ACT_BACK;
		}
		return end_silence(gw);
	}
	if (!gw->silent && all_silent(v)) {
		gw->silent = true;
		gw->silent_since = now;
		gw->echo_lost = false;
		gw->echo_useless = false;
		gw->probes = 0;
		gw->next_probe = now + PEERWATCH_PROBE_MS;
		return PEERWATCH_ACT_SILENT;
	}

	/* while silent: one probe a second, an echo only where an echo can tell */
	if (gw->silent && now >= gw->next_probe) {
		act |= gw->echo_learned && !gw->echo_useless ? PEERWATCH_ACT_PROBE_ECHO : PEERWATCH_ACT_PROBE_IKE;
		gw->probes++;
		gw->next_probe += PEERWATCH_PROBE_MS;
		if (gw->next_probe <= now)
			gw->next_probe = now + PEERWATCH_PROBE_MS;	/* late (a stalled loop): no burst */
	}
	return act;
}

int64_t peerwatch_next(const struct peerwatch *gw)
{
	return gw->silent ? gw->next_probe : -1;
}
