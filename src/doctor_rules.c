/* doctor_rules.c - charon log events -> per IKE SA facts -> one verdict per tunnel.
 *
 * Three tables drive it: `patterns` turns a message into an event, `sa_note` (code, one
 * switch) records what the event says about its IKE SA, and `rules` judges an SA: the first
 * row whose match holds gives the class, the evidence events and the fix. Memory is bounded:
 * at most DOCTOR_MAX_SAS SAs are tracked (the oldest is judged and folded into its tunnel),
 * each keeps at most one line per event kind, and tunnels keep only their latest verdict. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_props.h"
#include "doctor_rules.h"
#include "naming.h"
#include "util.h"

/* Charon thread numbers we map to IKE SAs (lines without <name|id>). */
#define DOCTOR_MAX_THREADS 1000
#define DOCTOR_NAME_MAX 64
#define DOCTOR_HOST_MAX 64
#define DOCTOR_ID_MAX 128
/* Log time after a give-up with no new attempt before we call the tunnel abandoned: longer
 * than tunnelctl daemon's longest backoff (5 min), so a retrying tunnel is not called so. */
#define DOCTOR_GAVE_UP_SECS 600
/* Log time after a peer's DELETE without a new SA before we call the tunnel left down:
 * close_action and tunnelctl daemon re-initiate within a second. */
#define DOCTOR_REINIT_GRACE_SECS 2
/* Weight of a verdict from one catalogue line: below the rules that reason over an SA's
 * lines (proposal pairs, the peer's own "no config" line), above the peer's bare notifies. */
#define DOCTOR_DECISIVE_WEIGHT 60
/* Synthetic SA ids for responders whose id is not logged (no ike_name). */
#define DOCTOR_SYNTH_ID 0x80000000u
/* Buckets of the (input, unique id) -> SA index; a power of two, about twice the SAs. */
#define DOCTOR_SA_HASH 8192
/* Lines within which a responder's unnamed first lines belong to the same new SA. */
#define DOCTOR_SYNTH_NEAR 12

enum role { ROLE_UNKNOWN, ROLE_INITIATOR, ROLE_RESPONDER };

/* What a CREATE_CHILD_SA request asked for, from its payload list: "[ SA No KE ]" rekeys the
 * IKE SA, "[ N(REKEY_SA) SA No ... TSi TSr ]" a CHILD_SA, "[ SA No ... TSi TSr ]" is a new one. */
enum create_kind { CREATE_NONE, CREATE_IKE_REKEY, CREATE_CHILD_REKEY, CREATE_CHILD_NEW };
static const char *const create_kind_names[] = { "", "IKE SA rekey", "CHILD_SA rekey", "" };
static const char *const role_names[] = { "unknown", "initiator", "responder" };

/* One stored evidence line. */
struct slot {
	unsigned long line;	/* 0: empty */
	char *text;		/* raw line, cut at DOCTOR_MAX_EVIDENCE_TEXT */
	size_t cap;		/* bytes allocated for text: reused by the next line */
	size_t msg_off;		/* where the message starts in text */
	char *msg;		/* the message when it is not in text as written (a JSON line's
				 * decoded MESSAGE), else NULL */
};

/* What we know about one IKE SA of one input. */
struct sa {
	int32_t idx;		/* position in doctor.sas: kept across reuse */
	bool used;
	bool ended;
	unsigned input;
	unsigned id;
	uint64_t seq;		/* feed order of its first line: later attempts win */
	uint64_t touched;	/* feed order of its last line: eviction */
	char name[DOCTOR_NAME_MAX];
	char remote[DOCTOR_HOST_MAX];
	char local[DOCTOR_HOST_MAX];
	enum role role;
	int version;
	uint64_t seen[2];	/* bit per enum ev */
	unsigned n_ike_up, n_child_up, n_ke_retry, n_retransmit;
	bool got_answer;	/* initiator received any packet */
	bool child_failed_after_up;	/* a child failed after one was up: rekey/recreate */
	bool create_child_after_up;
	bool retransmit_4500;	/* retransmits went to port 4500 */
	bool retransmit_after_up;	/* retransmits of a request after establishment */
	bool ike_prop_failed, esp_prop_failed;
	bool last_props_ike;	/* the latest proposal lines were IKE (not ESP/AH) ones */
	bool narrowed, ts_nomatch;	/* ts_nomatch: a selection round matched nothing */
	bool ts_round_open, ts_round_match;	/* the current round, and whether a pair matched */
	bool gave_up;
	bool traffic_known;	/* a CHILD_SA close told its byte counts */
	bool has_up_time;
	int64_t up_time;	/* log time it was established */
	bool has_delete_time;
	int64_t delete_time;	/* log time the peer deleted it */
	uint64_t last_recv, last_retransmit;	/* feed order of the latest of each */
	unsigned long long bytes_in, bytes_out;
	bool has_close_time;
	int64_t close_time;	/* log time of the latest CHILD_SA close that told its bytes */
	bool we_delete;		/* this side deleted it ("deleting IKE_SA" without a DELETE received) */
	bool delete_retransmitted;	/* and retransmitted that DELETE (no answer) */
	bool has_we_delete_time;
	int64_t we_delete_time;
	int64_t give_up_time;
	bool has_give_up_time;
	unsigned send_port;	/* last destination port we sent to */
	char expected_rid[DOCTOR_ID_MAX];	/* what our connection for this peer expects */
	unsigned retransmit_port;	/* port of the last retransmit */
	char retransmit_msgid[16];	/* message ID of the last retransmit */
	char create_msgid[16];	/* message ID of the last CREATE_CHILD_SA request we generated */
	enum create_kind create_kind;	/* and what it asked for */
	enum create_kind lost_kind;	/* the request charon gave up on was that rekey */
	bool replaced;		/* rekeyed into a successor SA */
	bool v1_words, v2_words;	/* wording only IKEv1 / only IKEv2 logs */
	bool child_no_prop;	/* NO_PROPOSAL_CHOSEN refused a CHILD_SA ("no CHILD_SA built") */
	unsigned bare_props;	/* proposal lists seen without their lead-in */
	bool up_implied;	/* the log starts after its establishment (an excerpt) */
	bool eap_id_sent;	/* our latest EAP answer was the identity */
	bool eap_fail, eap_fail_after_id;	/* EAP/FAIL, and right after our identity */
	char eap_id[DOCTOR_ID_MAX];	/* the EAP identity we sent */
	struct slot slot[EV_COUNT];
	struct slot *last_kept;	/* the latest evidence line stored (not a decisive one) */
	/* the proposal pair nearest to a failure, for IKE and for ESP/AH */
	struct slot ike_recv, ike_conf, esp_recv, esp_conf, ts_narrow;
	/* the most decisive catalogue line, with the kept lines just before and after it */
	const struct doctor_pattern *decisive_row;
	struct slot decisive, decisive_prev, decisive_next;
	bool want_next;
};

/* A tunnel in one input: its latest judged verdict. */
struct tunnel {
	unsigned input;
	char name[DOCTOR_NAME_MAX];
	char local[DOCTOR_HOST_MAX];
	char remote[DOCTOR_HOST_MAX];
	int version;
	bool unnamed;
	bool was_up;		/* some SA of it was established */
	bool up_at_end;		/* its latest SA was up, no DPD seen, not deleted by the peer */
	bool has_up_time;
	int64_t up_time;	/* when its latest SA was established */
	uint64_t latest_seq;
	int weight;
	struct doctor_verdict v;
	bool has_verdict;
	unsigned failures;	/* failed attempts judged */
	int64_t give_up_time;	/* log time the latest attempt gave up, INT64_MIN if not */
	unsigned attempts_since_up;	/* attempts that never came up since the last one that did */
	bool peer_deleted;	/* its latest SA was up and the peer deleted it */
	int64_t delete_time;
	bool lost;		/* the verdict is an up SA lost to silence (DPD, unanswered rekey) */
	bool reinit_noted;	/* and the failing re-establishments after it are told in it */
	bool delete_lost;	/* its latest SA was up, this side deleted it, the DELETE went unanswered */
	int64_t delete_lost_time;
};

/* A configured peer address and its connection name, from charon's config dump. */
struct peer_name {
	char host[DOCTOR_HOST_MAX];
	char name[DOCTOR_NAME_MAX];
	char remote_id[DOCTOR_ID_MAX];	/* the identity the connection expects from the peer */
};

struct input {
	char *label;
	struct peer_name *peers;	/* at most DOCTOR_MAX_TUNNELS */
	size_t n_peers;
	char dump_conn[DOCTOR_NAME_MAX];	/* connection whose dump is being logged */
	bool dump_remote;			/* inside its "remote:" round */
	bool has_ready;
	int64_t ready_time;	/* last charon start or connection load */
	bool has_start;
	int64_t start_time;	/* last charon start */
	struct slot start_line;	/* its "Starting IKE charon daemon" line */
	unsigned thread_sa[DOCTOR_MAX_THREADS];	/* last SA id seen per thread, 0 none */
	unsigned next_synth;
	unsigned last_sa;	/* SA of the latest line that named one: fallback for the rest */
	bool ike_name;		/* lines carry <name|id>: those without are outside any SA */
	unsigned long charon_lines;	/* lines with a charon prefix or a catalogue message */
	struct slot telling[DOCTOR_MAX_EVIDENCE];	/* the latest evidence-worthy lines (a ring) */
	unsigned n_telling;
	bool has_time;
	int64_t last_time;
};

struct doctor {
	struct doctor_events *events;
	struct input *inputs;
	size_t n_inputs;
	struct sa *sas[DOCTOR_MAX_SAS];	/* allocated on demand, reused once judged */
	size_t n_sas;
	int32_t sa_head[DOCTOR_SA_HASH];	/* (input, id) -> first SA index, -1 none */
	int32_t sa_next[DOCTOR_MAX_SAS];	/* next SA index in the same bucket */
	struct sa *last;	/* lookup cache */
	struct tunnel *tunnels;
	size_t n_tunnels;
	uint64_t seq;
	struct doctor_verdict *out;
	size_t n_out;
	size_t undecided;	/* IKE SAs judged without any rule matching */
};

/* ---- small string helpers ---- */

/* First occurrence of needle in s[0..n), or NULL. */
static const char *find(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	if (m > n)
		return NULL;
	return memmem(s, n, needle, m);
}

/* Copy s[0..n) into dst (size cap), stopping at a character in stop. */
static void copy_until(char *dst, size_t cap, const char *s, const char *end, const char *stop)
{
	size_t k = 0;
	while (s < end && !strchr(stop, *s) && k + 1 < cap)
		dst[k++] = *s++;
	dst[k] = '\0';
}

/* ---- slots ---- */

static void slot_free(struct slot *s)
{
	free(s->text);
	free(s->msg);
	memset(s, 0, sizeof(*s));
}

static void slot_set(struct slot *s, unsigned long line, const char *raw, size_t raw_len,
		     const char *msg, size_t msg_len)
{
	size_t n = raw_len;

	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
		n--;
	if (n > DOCTOR_MAX_EVIDENCE_TEXT)
		n = DOCTOR_MAX_EVIDENCE_TEXT;
	if (!s->text || s->cap < n + 1) {
		free(s->text);
		s->cap = n + 1 < 160 ? 160 : n + 1;
		s->text = xmalloc(s->cap);
	}
	/* keep the text printable: NULs and control bytes become '?' */
	memcpy(s->text, raw, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s->text[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			s->text[i] = '?';
	}
	s->text[n] = '\0';
	s->line = line;
	free(s->msg);
	s->msg = NULL;
	if (msg >= raw && msg <= raw + n && msg + msg_len == raw + n) {
		s->msg_off = (size_t)(msg - raw);
	} else {
		/* not the line's tail (a JSON line's MESSAGE, decoded or not, a line cut short):
		 * keep the message itself for summaries */
		s->msg_off = 0;
		s->msg = xstrndup(msg, msg_len < DOCTOR_MAX_EVIDENCE_TEXT ? msg_len
									     : DOCTOR_MAX_EVIDENCE_TEXT);
	}
}

static void slot_copy(struct slot *dst, const struct slot *src)
{
	slot_free(dst);
	if (!src->line)
		return;
	dst->line = src->line;
	dst->text = xstrdup(src->text);
	dst->cap = strlen(dst->text) + 1;
	dst->msg_off = src->msg_off;
	dst->msg = src->msg ? xstrdup(src->msg) : NULL;
}

static const char *slot_msg(const struct slot *s)
{
	if (s->msg)
		return s->msg;
	return s->text ? s->text + s->msg_off : "";
}

/* ---- SA table ---- */

static void sa_clear(struct sa *sa)
{
	int32_t idx = sa->idx;

	for (size_t i = 0; i < EV_COUNT; i++)
		slot_free(&sa->slot[i]);
	slot_free(&sa->ike_recv);
	slot_free(&sa->ike_conf);
	slot_free(&sa->esp_recv);
	slot_free(&sa->esp_conf);
	slot_free(&sa->ts_narrow);
	slot_free(&sa->decisive);
	slot_free(&sa->decisive_prev);
	slot_free(&sa->decisive_next);
	memset(sa, 0, sizeof(*sa));
	sa->idx = idx;
}

static void sa_judge_and_fold(struct doctor *d, struct sa *sa);

static size_t sa_bucket(unsigned input, unsigned id)
{
	return ((id * 2654435761u) ^ (input * 40503u)) & (DOCTOR_SA_HASH - 1);
}

static void sa_link(struct doctor *d, struct sa *sa)
{
	size_t b = sa_bucket(sa->input, sa->id);
	d->sa_next[sa->idx] = d->sa_head[b];
	d->sa_head[b] = sa->idx;
}

static void sa_unlink(struct doctor *d, struct sa *sa)
{
	int32_t i = sa->idx, *p = &d->sa_head[sa_bucket(sa->input, sa->id)];

	while (*p >= 0 && *p != i)
		p = &d->sa_next[*p];
	if (*p == i)
		*p = d->sa_next[i];
	if (d->last == sa)
		d->last = NULL;
}

static struct sa *sa_find(struct doctor *d, unsigned input, unsigned id)
{
	if (d->last && d->last->used && d->last->input == input && d->last->id == id)
		return d->last;
	for (int32_t i = d->sa_head[sa_bucket(input, id)]; i >= 0; i = d->sa_next[i])
		if (d->sas[i]->used && d->sas[i]->input == input && d->sas[i]->id == id)
			return d->last = d->sas[i];
	return NULL;
}

/* A responder SA tracked under a synthetic id gets its real one. */
static void sa_rekey(struct doctor *d, struct sa *sa, unsigned id)
{
	sa_unlink(d, sa);
	sa->id = id;
	sa_link(d, sa);
}

static struct sa *sa_get(struct doctor *d, unsigned input, unsigned id)
{
	struct sa *sa = sa_find(d, input, id), *victim = NULL;

	if (sa)
		return sa;
	for (size_t i = 0; i < d->n_sas; i++) {
		struct sa *s = d->sas[i];
		if (!s->used) {
			victim = s;
			break;
		}
		/* prefer ended SAs, then the least recently touched */
		if (!victim || (s->ended && !victim->ended) ||
		    (s->ended == victim->ended && s->touched < victim->touched))
			victim = s;
	}
	if ((!victim || victim->used) && d->n_sas < DOCTOR_MAX_SAS) {
		victim = d->sas[d->n_sas] = xcalloc(1, sizeof(struct sa));
		victim->idx = (int32_t)d->n_sas++;
	}
	if (victim->used)
		sa_judge_and_fold(d, victim);
	victim->used = true;
	victim->input = input;
	victim->id = id;
	victim->seq = d->seq;
	sa_link(d, victim);
	return d->last = victim;
}

/* "NAME[ID]" after "IKE_SA " in msg: fills name (unless "(unnamed)") and id. */
static bool find_sa_ref(const char *msg, size_t n, char *name, unsigned *id)
{
	const char *p = find(msg, n, "IKE_SA "), *end = msg + n;

	if (!p)
		return false;
	p += 7;
	const char *b = p;
	while (b < end && *b != '[' && *b != ' ')
		b++;
	if (b >= end || *b != '[' || b == p)
		return false;
	unsigned v = 0;
	const char *q = b + 1;
	while (q < end && *q >= '0' && *q <= '9')
		v = v * 10 + (unsigned)(*q++ - '0');
	if (q >= end || *q != ']' || q == b + 1 || v == 0)
		return false;
	name[0] = '\0';
	if (!(b - p == 9 && memcmp(p, "(unnamed)", 9) == 0))
		copy_until(name, DOCTOR_NAME_MAX, p, b, "[");
	*id = v;
	return true;
}

/* ---- recording events ---- */

#define SEEN(sa, e) (((sa)->seen[(e) >> 6] >> ((e) & 63)) & 1u)
#define SEEN_SET(sa, e) ((sa)->seen[(e) >> 6] |= 1ull << ((e) & 63))

/* End a traffic selector selection round: one without a single match is a mismatch. */
static void ts_round_close(struct sa *sa)
{
	if (sa->ts_round_open && !sa->ts_round_match)
		sa->ts_nomatch = true;
	sa->ts_round_open = false;
	sa->ts_round_match = false;
}

static bool sa_excerpt(const struct sa *sa);

/* Copy span sp into dst (size cap), stopping at a character in stop. */
static void span_copy(char *dst, size_t cap, struct doctor_span sp, const char *stop)
{
	copy_until(dst, cap, sp.p, sp.p + sp.n, stop);
}

static bool span_has(struct doctor_span sp, const char *needle)
{
	return sp.p && find(sp.p, sp.n, needle) != NULL;
}

/* What one event tells about its SA; e's captures are the message's fields. */
/* An event and the log time of its line, for the note_<event> functions. */
struct note {
	const struct doctor_event *e;
	int64_t now;
	bool has_now;
};

static void note_initiating(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* initiating [Main Mode |Aggressive Mode ]IKE_SA NAME[ID] to REMOTE */
	sa->role = ROLE_INITIATOR;
	sa->version = span_has(c[0], "Mode") ? 1 : 2;
	span_copy(sa->remote, sizeof(sa->remote), c[3], " [");
}

static void note_resp_start(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* REMOTE is initiating [a Main Mode |an Aggressive Mode |an ]IKE_SA */
	if (sa->role == ROLE_UNKNOWN)
		sa->role = ROLE_RESPONDER;
	span_copy(sa->remote, sizeof(sa->remote), c[0], " ");
	if (!sa->version)
		sa->version = span_has(c[1], "Mode") ? 1 : 2;
}

static void note_init_resp(struct sa *sa, const struct note *n)
{
	(void)n;
	/* a reauthentication's new SA: "initiating" was logged in the old SA's context */
	if (sa->role == ROLE_UNKNOWN)
		sa->role = ROLE_INITIATOR;
}

static void note_init_req(struct sa *sa, const struct note *n)
{
	if (sa->role == ROLE_UNKNOWN)
		sa->role = ROLE_RESPONDER;
	sa->version = n->e->ev == EV_V1_REQ ? 1 : 2;
}

static void note_ike_cfg_lookup(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* looking for an IKEvV config for LOCAL...REMOTE */
	sa->version = c[0].n && c[0].p[0] == '1' ? 1 : 2;
	span_copy(sa->local, sizeof(sa->local), c[1], "[ ,");
	span_copy(sa->remote, sizeof(sa->remote), c[2], "[ ,");
}

static void note_no_ike_cfg(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	span_copy(sa->local, sizeof(sa->local), c[0], "[ ,");
	span_copy(sa->remote, sizeof(sa->remote), c[1], "[ ,");
}

static void note_ike_up(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* IKE_SA NAME[ID] established between LOCAL[LID]...REMOTE[RID] */
	sa->n_ike_up++;
	if (n->has_now && !sa->has_up_time) {
		sa->up_time = n->now;
		sa->has_up_time = true;
	}
	if (n->e->n_cap >= 6) {
		span_copy(sa->local, sizeof(sa->local), c[2], "[ ,");
		span_copy(sa->remote, sizeof(sa->remote), c[4], "[ ,");
	}
}

static void note_child_up(struct sa *sa, const struct note *n)
{
	(void)n;
	sa->n_child_up++;
}

static void note_eap(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* server requested EAP_IDENTITY (id 0x01), sending 'ID' / generating IKE_AUTH request
	 * N [ EAP/RES/ID ] / parsed IKE_AUTH response N [ EAP/FAIL ... ] */
	if (n->e->row->pat[0] == 's') {
		const char *q = n->e->n_cap ? memchr(c[0].p, '\'', c[0].n) : NULL;
		if (q)
			copy_until(sa->eap_id, sizeof(sa->eap_id), q + 1, c[0].p + c[0].n, "'");
	} else if (n->e->row->pat[0] == 'g') {
		sa->eap_id_sent = n->e->n_cap >= 2 && c[1].n >= 2 && memcmp(c[1].p, "ID", 2) == 0;
	} else {
		sa->eap_fail = true;
		sa->eap_fail_after_id = sa->eap_id_sent;
	}
}

static void note_send(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* sending packet: from LOCAL[LPORT] to REMOTE[RPORT] */
	if (n->e->n_cap >= 4) {
		sa->send_port = (unsigned)doctor_events_num(n->e, 3);
		if (!sa->local[0])
			span_copy(sa->local, sizeof(sa->local), c[0], "[ ");
	}
}

static void note_recv(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* received packet: from REMOTE[RPORT] to LOCAL[LPORT] */
	sa->got_answer = true;
	if (n->e->n_cap >= 4) {
		if (!sa->local[0])
			span_copy(sa->local, sizeof(sa->local), c[2], "[ ");
		if (!sa->remote[0])
			span_copy(sa->remote, sizeof(sa->remote), c[0], "[ ");
	}
}

static void note_retransmit(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* retransmit N of request with message ID M / sending retransmit N of request
	 * message ID M, seq S */
	sa->n_retransmit++;
	sa->retransmit_port = sa->send_port;
	span_copy(sa->retransmit_msgid, sizeof(sa->retransmit_msgid), c[1], " ,");
	if (sa->send_port == 4500)
		sa->retransmit_4500 = true;
	if (sa->n_ike_up)
		sa->retransmit_after_up = true;
	if (sa->we_delete)
		sa->delete_retransmitted = true;
}

static void note_give_up(struct sa *sa, const struct note *n)
{
	sa->gave_up = true;
	/* a new CHILD_SA that went unanswered is a silent peer, not a rekey */
	if (n->e->ev == EV_GIVE_UP && (sa->create_kind == CREATE_IKE_REKEY ||
				    sa->create_kind == CREATE_CHILD_REKEY) &&
	    sa->retransmit_msgid[0] && !strcmp(sa->retransmit_msgid, sa->create_msgid))
		sa->lost_kind = sa->create_kind;
	if (n->has_now) {
		sa->give_up_time = n->now;
		sa->has_give_up_time = true;
	}
}

static void note_recv_props(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	bool ike = c[0].n >= 4 && memcmp(c[0].p, "IKE:", 4) == 0;
	bool recv = n->e->ev == EV_RECV_PROPS || (n->e->ev == EV_BARE_PROPS && !sa->bare_props++);
	struct slot *dst = recv ? (ike ? &sa->ike_recv : &sa->esp_recv)
				: (ike ? &sa->ike_conf : &sa->esp_conf);
	slot_copy(dst, &sa->slot[n->e->ev]);
	sa->last_props_ike = ike;
	if (recv && !ike)
		sa->esp_prop_failed = false;
}

static void note_props_rejected(struct sa *sa, const struct note *n)
{
	(void)n;
	/* "no acceptable proposal found" is said for IKE and for CHILD_SAs alike */
	if (sa->last_props_ike)
		sa->ike_prop_failed = true;
	else
		sa->esp_prop_failed = true;
}

static void note_child_failed(struct sa *sa, const struct note *n)
{
	(void)n;
	if (sa->n_child_up)
		sa->child_failed_after_up = true;
	/* a responder that saw ESP proposals but selected none */
	if (sa->esp_recv.line && (!sa->slot[EV_SELECTED_PROP].line ||
				  sa->slot[EV_SELECTED_PROP].line < sa->esp_recv.line))
		sa->esp_prop_failed = true;
}

static void note_n_no_prop(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* "no CHILD_SA built": the refusal was a CHILD_SA's, so the IKE SA is up */
	if (span_has(c[1], "no CHILD_SA built")) {
		sa->child_no_prop = true;
		if (sa->n_child_up)
			sa->child_failed_after_up = true;
	}
}

static void note_create_child(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* generating CREATE_CHILD_SA request MSGID [ PAYLOADS ]: "SA No KE" rekeys the IKE
	 * SA, "N(REKEY_SA) ..." a CHILD_SA, "... TSi TSr" without it is a new CHILD_SA */
	if (n->e->n_cap >= 2) {
		span_copy(sa->create_msgid, sizeof(sa->create_msgid), c[0], " [");
		sa->create_kind = span_has(c[1], "N(REKEY_SA)") ? CREATE_CHILD_REKEY
				  : span_has(c[1], "TSi ") ? CREATE_CHILD_NEW
				  : CREATE_IKE_REKEY;
	}
	/* a CHILD_SA rekey needs an installed CHILD_SA: a log that starts later (an excerpt,
	 * `tunnelctl probe`'s capture) still shows a child that was up */
	if (sa->create_kind == CREATE_CHILD_REKEY && !sa->n_child_up)
		sa->n_child_up = 1;
	if (sa->n_child_up)
		sa->create_child_after_up = true;
}

static void note_rekey_failed(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	if (n->e->n_cap && span_has(c[0], "peer not responding"))
		sa->lost_kind = CREATE_IKE_REKEY;
}

static void note_ke_retry(struct sa *sa, const struct note *n)
{
	(void)n;
	sa->n_ke_retry++;
}

static void note_ts_round(struct sa *sa, const struct note *n)
{
	(void)n;
	ts_round_close(sa);
	sa->ts_round_open = true;
}

static void note_ts_select(struct sa *sa, const struct note *n)
{
	const struct doctor_span *c = n->e->cap;

	/* One line per (config, received) pair of a round: with several networks (two
	 * phase 2 entries merged into one child, IPv4 and IPv6) most pairs do not match;
	 * only a round where none matches is a mismatch. "config: C, received: R =>
	 * match: M" is narrowed when M differs from C or R. */
	sa->ts_round_open = true;
	if (span_has(c[2], "no match"))
		return;
	sa->ts_round_match = true;
	char cc[64], rr[64], mm[64];
	span_copy(cc, sizeof(cc), c[0], ",");
	span_copy(rr, sizeof(rr), c[1], " ");
	if (c[2].n > 7 && memcmp(c[2].p, "match: ", 7) == 0) {
		copy_until(mm, sizeof(mm), c[2].p + 7, c[2].p + c[2].n, " ");
		if (strcmp(cc, mm) != 0 || strcmp(rr, mm) != 0) {
			sa->narrowed = true;
			slot_copy(&sa->ts_narrow, &sa->slot[EV_TS_SELECT]);
		}
	}
}

static void note_destroying(struct sa *sa, const struct note *n)
{
	(void)n;
	sa->ended = true;
}

static void note_deleting(struct sa *sa, const struct note *n)
{
	if (!SEEN(sa, EV_PEER_DELETE) && !SEEN(sa, EV_GIVE_UP) && !SEEN(sa, EV_DPD_TIMEOUT) &&
	    !sa->we_delete) {
		sa->we_delete = true;
		sa->we_delete_time = n->now;
		sa->has_we_delete_time = n->has_now;
	}
}

static void note_peer_delete(struct sa *sa, const struct note *n)
{
	if (n->has_now) {
		sa->delete_time = n->now;
		sa->has_delete_time = true;
	}
}

static void note_child_close(struct sa *sa, const struct note *n)
{
	/* closing CHILD_SA NAME{N} with SPIs SPI_i (IN bytes) SPI_o (OUT bytes) */
	if (n->e->n_cap >= 5) {
		sa->bytes_in += doctor_events_num(n->e, 2);
		sa->bytes_out += doctor_events_num(n->e, 4);
		sa->traffic_known = true;
	}
	if (n->has_now && sa->traffic_known) {
		sa->close_time = n->now;
		sa->has_close_time = true;
	}
}

/* What each event tells about its SA (events without a row tell nothing more). */
static void (*const notes[EV_COUNT])(struct sa *sa, const struct note *n) = {
	[EV_INITIATING] = note_initiating,
	[EV_RESP_START] = note_resp_start,
	[EV_INIT_RESP] = note_init_resp,
	[EV_INIT_REQ] = note_init_req,
	[EV_V1_REQ] = note_init_req,
	[EV_IKE_CFG_LOOKUP] = note_ike_cfg_lookup,
	[EV_NO_IKE_CFG] = note_no_ike_cfg,
	[EV_IKE_UP] = note_ike_up,
	[EV_CHILD_UP] = note_child_up,
	[EV_EAP] = note_eap,
	[EV_SEND] = note_send,
	[EV_RECV] = note_recv,
	[EV_RETRANSMIT] = note_retransmit,
	[EV_GIVE_UP] = note_give_up,
	[EV_NOT_RESPONDING] = note_give_up,
	[EV_RECV_PROPS] = note_recv_props,
	[EV_CONF_PROPS] = note_recv_props,
	[EV_BARE_PROPS] = note_recv_props,
	[EV_PROPS_REJECTED] = note_props_rejected,
	[EV_CHILD_FAILED] = note_child_failed,
	[EV_N_NO_PROP] = note_n_no_prop,
	[EV_CREATE_CHILD] = note_create_child,
	[EV_REKEY_FAILED] = note_rekey_failed,
	[EV_KE_RETRY] = note_ke_retry,
	[EV_TS_ROUND] = note_ts_round,
	[EV_TS_SELECT] = note_ts_select,
	[EV_DESTROYING] = note_destroying,
	[EV_DELETING] = note_deleting,
	[EV_PEER_DELETE] = note_peer_delete,
	[EV_CHILD_CLOSE] = note_child_close,
};

static void sa_note(struct sa *sa, const struct doctor_event *e, int64_t now, bool has_now)
{
	if (e->ike_version == 1)
		sa->v1_words = true;
	else if (e->ike_version == 2)
		sa->v2_words = true;
	/* an excerpt that starts in the middle of an SA's life: a CHILD_SA exchange, a close or
	 * a DPD can only happen on an established IKE SA */
	if (!sa->n_ike_up && sa_excerpt(sa) &&
	    (e->ev == EV_CREATE_CHILD || e->ev == EV_CHILD_CLOSE || e->ev == EV_DPD ||
	     e->ev == EV_CHILD_UP)) {
		sa->n_ike_up = 1;
		sa->up_implied = true;
	}
	/* a failure that a later success overcame no longer decides: anything before the IKE SA
	 * came up, and a rekey retried before a CHILD_SA came up */
	if (sa->decisive_row && (e->ev == EV_IKE_UP ||
				 (e->ev == EV_CHILD_UP && (sa->decisive_row->cls == DOCTOR_REKEY_FAILURE ||
							   sa->decisive_row->cls == DOCTOR_UNKNOWN))))
		sa->decisive_row = NULL;
	if (notes[e->ev]) {
		const struct note n = { e, now, has_now };
		notes[e->ev](sa, &n);
	}
}

/* ---- rules: match, class, evidence, fix ---- */

/* Evidence codes beyond the events: the proposal pairs and the narrowing line. */
enum {
	X_IKE_RECV = EV_COUNT, X_IKE_CONF, X_ESP_RECV, X_ESP_CONF, X_TS_NARROW,
	X_DECISIVE, X_DECISIVE_PREV, X_DECISIVE_NEXT, X_END
};


/* How the proposal pair nearest to the failure differs (DOCTOR_XF_BIT per transform). */
static unsigned props_diff(const struct slot *recv, const struct slot *conf, bool ignore_ke,
			   const char *recv_who, const char *conf_who, struct buf *why)
{
	if (!recv->line || !conf->line)
		return 0;
	return doctor_props_compare(slot_msg(recv), slot_msg(conf), ignore_ke, recv_who, conf_who,
				    why);
}

static unsigned ike_diff(const struct sa *sa)
{
	return sa->ike_prop_failed ? props_diff(&sa->ike_recv, &sa->ike_conf, false, "", "", NULL) : 0;
}

/* A CHILD_SA in IKE_AUTH has no key exchange: its DH group counts only in CREATE_CHILD_SA.
 * IKEv1's quick mode carries the PFS group's KE from the first CHILD_SA on. */
static bool esp_ignore_ke(const struct sa *sa)
{
	bool v1 = sa->version == 1 || (!sa->version && sa->v1_words && !sa->v2_words);
	return !sa->create_child_after_up && !v1;
}

static unsigned esp_diff(const struct sa *sa)
{
	return sa->esp_prop_failed ? props_diff(&sa->esp_recv, &sa->esp_conf, esp_ignore_ke(sa),
						"", "", NULL) : 0;
}

static bool m_config(const struct sa *sa) { return SEEN(sa, EV_CONFIG_ERR); }
static bool m_unsupported(const struct sa *sa) { return SEEN(sa, EV_UNSUPPORTED) || SEEN(sa, EV_KERNEL_ALG); }
static bool m_kernel(const struct sa *sa) { return SEEN(sa, EV_KERNEL); }
static bool m_cert(const struct sa *sa) { return SEEN(sa, EV_CERT) || SEEN(sa, EV_CERT_VALIDITY); }
static bool m_psk(const struct sa *sa) { return SEEN(sa, EV_PSK_MAC); }
static bool m_id(const struct sa *sa) { return SEEN(sa, EV_NO_PEER_CFG); }
static bool m_no_psk(const struct sa *sa) { return SEEN(sa, EV_NO_PSK); }
/* The peer answers an attempt in the other IKE version's wording. */
static bool m_version_words(const struct sa *sa)
{
	return sa->v1_words && sa->v2_words && !sa->n_ike_up;
}
static bool m_eap_id(const struct sa *sa) { return sa->eap_fail && sa->eap_fail_after_id; }
static bool m_eap(const struct sa *sa) { return sa->eap_fail; }
static bool m_version(const struct sa *sa) { return SEEN(sa, EV_NO_IKE_CFG) && sa->version == 1; }
static bool m_no_ike_cfg(const struct sa *sa) { return SEEN(sa, EV_NO_IKE_CFG); }
static bool m_dh_compare(const struct sa *sa) { return ike_diff(sa) == DOCTOR_XF_BIT(DOCTOR_XF_KE); }
static bool m_ike_compare(const struct sa *sa) { return sa->ike_prop_failed; }
static bool m_ke_loop(const struct sa *sa) { return sa->n_ke_retry >= 2 && !sa->n_ike_up; }
static bool m_ike_notify(const struct sa *sa)
{
	return SEEN(sa, EV_N_NO_PROP) && !sa->n_ike_up && !SEEN(sa, EV_IKE_UP) &&
	       !sa->child_no_prop && !sa->decisive_row;
}
static bool m_pfs_compare(const struct sa *sa) { return esp_diff(sa) == DOCTOR_XF_BIT(DOCTOR_XF_KE); }
static bool m_pfs_rekey(const struct sa *sa)
{
	return sa->child_failed_after_up && sa->create_child_after_up &&
	       (SEEN(sa, EV_N_NO_PROP) || sa->esp_prop_failed);
}
static bool m_child_compare(const struct sa *sa) { return sa->esp_prop_failed; }
static bool m_child_notify(const struct sa *sa)
{
	return SEEN(sa, EV_N_NO_PROP) && (sa->n_ike_up || sa->child_no_prop) && !sa->decisive_row;
}
static bool m_ts(const struct sa *sa)
{
	return SEEN(sa, EV_N_TS) || SEEN(sa, EV_TS_REJECT) || sa->ts_nomatch ||
	       (sa->ts_round_open && !sa->ts_round_match);
}
/* the weak rules (a notify from the peer, no own line saying why) yield to a decisive line */
static bool m_auth(const struct sa *sa)
{
	return (SEEN(sa, EV_N_AUTH_FAILED) || SEEN(sa, EV_AUTH_BAD)) && !sa->decisive_row;
}
/* The request charon gave up on after establishment was a rekey (of the IKE SA or a CHILD_SA). */
static bool m_rekey_lost(const struct sa *sa)
{
	return sa->n_ike_up && sa->gave_up && sa->lost_kind && !SEEN(sa, EV_DPD_TIMEOUT);
}
static bool m_dpd(const struct sa *sa)
{
	return sa->n_ike_up && !m_rekey_lost(sa) &&
	       ((sa->gave_up && sa->retransmit_after_up) || SEEN(sa, EV_DPD_TIMEOUT));
}
static bool m_dpd_pending(const struct sa *sa)
{
	return sa->n_ike_up && sa->retransmit_after_up && !sa->gave_up &&
	       sa->last_retransmit > sa->last_recv;
}
static bool m_nat_t(const struct sa *sa)
{
	return sa->role == ROLE_INITIATOR && SEEN(sa, EV_INIT_RESP) && !sa->n_ike_up &&
	       sa->retransmit_4500;
}
static bool m_half_open(const struct sa *sa)
{
	return sa->role == ROLE_RESPONDER && SEEN(sa, EV_INIT_ANSWERED) && !SEEN(sa, EV_AUTH_REQ) &&
	       !sa->n_ike_up;
}
static bool m_unreachable(const struct sa *sa)
{
	return sa->role != ROLE_RESPONDER && !sa->got_answer && !sa->n_ike_up &&
	       (sa->n_retransmit || sa->gave_up);
}
static bool m_rekey(const struct sa *sa) { return SEEN(sa, EV_REKEY_FAILED); }
static bool m_narrowed(const struct sa *sa) { return sa->narrowed && sa->n_child_up; }
static bool m_healthy(const struct sa *sa) { return sa->n_ike_up > 0; }
static bool m_decisive(const struct sa *sa);
static bool m_undecided(const struct sa *sa);
/* An excerpt without the SA's start that shows a success (a proposal agreed, a CHILD_SA up,
 * an identity verified) and no failure. */
static bool m_healthy_excerpt(const struct sa *sa)
{
	return SEEN(sa, EV_CHILD_UP) ||
	       ((SEEN(sa, EV_SELECTED_PROP) || SEEN(sa, EV_AUTH_OK)) && !m_undecided(sa));
}
static bool m_decisive(const struct sa *sa) { return sa->decisive_row != NULL; }
/* An attempt the log shows start but not end. */
static bool m_undecided(const struct sa *sa)
{
	return sa->id && sa->role != ROLE_UNKNOWN;
}
static bool m_unknown(const struct sa *sa)
{
	return SEEN(sa, EV_N_OTHER) || SEEN(sa, EV_CHILD_FAILED) || SEEN(sa, EV_N_NO_PROP) ||
	       SEEN(sa, EV_PROPS_REJECTED) || sa->gave_up || SEEN(sa, EV_N_INVALID_KE) ||
	       (sa->role == ROLE_INITIATOR && SEEN(sa, EV_DESTROYING) && !sa->n_ike_up);
}

/* Extra words for a summary, from the SA's own lines. */
static void x_props(const struct sa *sa, struct buf *b, bool ike)
{
	char recv_who[DOCTOR_HOST_MAX + 40], conf_who[DOCTOR_HOST_MAX + 40];
	const char *peer = sa->remote[0] ? sa->remote : "", *me = sa->local[0] ? sa->local : "";

	/* a responder received the initiator's offer; an initiator received the answer */
	if (sa->role == ROLE_INITIATOR) {
		snprintf(recv_who, sizeof(recv_who), "the responder%s%s chose", *peer ? " " : "", peer);
		snprintf(conf_who, sizeof(conf_who), "the initiator%s%s offers", *me ? " " : "", me);
	} else {
		snprintf(recv_who, sizeof(recv_who), "the initiator%s%s offers", *peer ? " " : "", peer);
		snprintf(conf_who, sizeof(conf_who), "the responder%s%s accepts only",
			 *me ? " " : "", me);
	}
	if (ike ? props_diff(&sa->ike_recv, &sa->ike_conf, false, recv_who, conf_who, b)
		: props_diff(&sa->esp_recv, &sa->esp_conf, esp_ignore_ke(sa), recv_who, conf_who, b))
		buf_adds(b, ".");
}

static void x_ike_props(const struct sa *sa, struct buf *b) { x_props(sa, b, true); }
static void x_esp_props(const struct sa *sa, struct buf *b) { x_props(sa, b, false); }
static void x_pfs_props(const struct sa *sa, struct buf *b)
{
	x_props(sa, b, false);
	if (!esp_ignore_ke(sa) && !sa->create_child_after_up)
		buf_adds(b, " IKEv1's quick mode carries the PFS group from the first CHILD_SA on, so "
			    "it fails at once (IKEv2 fails only at the first rekey).");
}

/* Append ' charon: "MESSAGE".' for an evidence line (leading blanks of the message dropped). */
static void quote_slot(const struct slot *sl, struct buf *b)
{
	const char *m = slot_msg(sl);

	if (!sl->line)
		return;
	m += strspn(m, " \t");
	buf_printf(b, " charon: \"%s\".", m);
}

static void x_quote(const struct sa *sa, struct buf *b, enum ev ev)
{
	quote_slot(&sa->slot[ev], b);
}

static void x_ids(const struct sa *sa, struct buf *b)
{
	const char *m = slot_msg(&sa->slot[EV_PEER_CFG_LOOKUP]);
	const char *p = strstr(m, "...");
	if (!sa->slot[EV_PEER_CFG_LOOKUP].line || !p)
		return x_quote(sa, b, EV_NO_PSK);
	const char *l1 = strchr(m, '['), *r1 = strchr(p, '[');
	if (!l1 || !r1 || l1 > p)
		return;
	buf_printf(b, " The peer sent its identity as '%.*s' and asked for ours as '%.*s'; no "
		      "connection here expects that pair",
		   (int)strcspn(r1 + 1, "]"), r1 + 1, (int)strcspn(l1 + 1, "]"), l1 + 1);
	if (sa->expected_rid[0])
		buf_printf(b, " (%s expects the peer as '%s')", sa->name, sa->expected_rid);
	buf_adds(b, ".");
}

static void x_psk(const struct sa *sa, struct buf *b) { x_quote(sa, b, EV_PSK_MAC); }
static void x_cert(const struct sa *sa, struct buf *b)
{
	x_quote(sa, b, SEEN(sa, EV_CERT_VALIDITY) ? EV_CERT_VALIDITY : EV_CERT);
}
static void x_kernel(const struct sa *sa, struct buf *b)
{
	x_quote(sa, b, SEEN(sa, EV_KERNEL_ALG) ? EV_KERNEL_ALG : EV_KERNEL);
}
static void x_config(const struct sa *sa, struct buf *b) { x_quote(sa, b, EV_CONFIG_ERR); }
static void x_unsupported(const struct sa *sa, struct buf *b)
{
	x_quote(sa, b, SEEN(sa, EV_UNSUPPORTED) ? EV_UNSUPPORTED : EV_KERNEL_ALG);
}
static void x_ts(const struct sa *sa, struct buf *b)
{
	x_quote(sa, b, SEEN(sa, EV_TS_REJECT) ? EV_TS_REJECT : EV_N_TS);
}
static void x_narrow(const struct sa *sa, struct buf *b)
{
	quote_slot(&sa->ts_narrow, b);
}
static void x_ke(const struct sa *sa, struct buf *b) { x_quote(sa, b, EV_KE_RETRY); }
static void x_retransmit(const struct sa *sa, struct buf *b)
{
	if (!sa->n_retransmit)
		return;
	buf_printf(b, " %u retransmit%s", sa->n_retransmit, sa->n_retransmit == 1 ? "" : "s");
	if (sa->retransmit_msgid[0])
		buf_printf(b, " of message ID %s", sa->retransmit_msgid);
	if (sa->remote[0])
		buf_printf(b, " to %s", sa->remote);
	if (sa->retransmit_port)
		buf_printf(b, " on UDP %u", sa->retransmit_port);
	buf_adds(b, ", no answer.");
}
/* A rekey that got no answer: which one, its retransmits, and whether DPD could have found
 * the silent peer first. */
static void x_rekey_lost(const struct sa *sa, struct buf *b)
{
	buf_printf(b, " The unanswered request was the %s (CREATE_CHILD_SA):",
		   create_kind_names[sa->lost_kind]);
	x_retransmit(sa, b);
	if (!SEEN(sa, EV_DPD))
		buf_adds(b, " No DPD request ran before it (DPD off, or its delay longer than the "
			    "quiet time), so the rekey was the first exchange to find the peer silent.");
	buf_adds(b, " charon deleted the SA (a restart action or keep-alive re-establishes it).");
}
/* A lost SA: the retransmits, then whether heavy traffic went with the loss (docs/doctor.md,
 * dpd_timeout: a CPU-bound gateway answers IKE late under load) from the byte counts of the
 * CHILD_SAs that closed (rekeys) before it, or that the log cannot tell. */
static void x_dpd(const struct sa *sa, struct buf *b)
{
	unsigned long long total = sa->bytes_in + sa->bytes_out;
	int64_t span = sa->has_close_time && sa->has_up_time ? sa->close_time - sa->up_time : 0;

	x_retransmit(sa, b);
	if (sa->delete_retransmitted) {
		buf_adds(b, " The unanswered request was this side's DELETE (it was ending the SA, on "
			    "expiry or by hand): the peer never confirmed it, so it may still hold the SA "
			    "and, with DPD off, keep sending into it.");
		return;
	}
	if (!sa->traffic_known) {
		buf_adds(b, " The log shows no traffic volume (no CHILD_SA was rekeyed or closed before), "
			    "so whether load caused the loss cannot be told from it: watch the byte "
			    "counters of `tunnelctl status` and the gateways' CPU load (top) when it happens.");
		return;
	}
	buf_printf(b, " Traffic before the loss: %llu bytes in, %llu bytes out through its CHILD_SAs",
		   sa->bytes_in, sa->bytes_out);
	if (span > 0)
		buf_printf(b, " (about %llu KB/s over %llds)", total / (unsigned long long)span / 1000,
			   (long long)span);
	if (span > 0 && total / (unsigned long long)span >= DOCTOR_HEAVY_TRAFFIC_BPS)
		buf_adds(b, ". The loss coincides with heavy traffic: a CPU-bound gateway answers IKE "
			    "late or not at all under load; check its CPU, and raise dpd_delay (and "
			    "dpd_maxfail) or disable DPD rather than lose the tunnel to late replies.");
	else if (span > 0)
		buf_adds(b, ": light, so load is an unlikely cause; check the peer and the path.");
	else
		buf_adds(b, "; its rate is unknown (no time stamps): if it was heavy, check the gateways' "
			    "CPU and raise dpd_delay or disable DPD.");
}
static void x_no_psk(const struct sa *sa, struct buf *b) { x_quote(sa, b, EV_NO_PSK); }
static void x_eap_id(const struct sa *sa, struct buf *b)
{
	if (sa->eap_id[0])
		buf_printf(b, " The identity sent was '%s'.", sa->eap_id);
}

/* A verdict from one catalogue line: what the line means, quoted. */
static void x_decisive(const struct sa *sa, struct buf *b)
{
	buf_printf(b, "%s.", sa->decisive_row->why);
	quote_slot(&sa->decisive, b);
}

static void x_healthy(const struct sa *sa, struct buf *b)
{
	if (SEEN(sa, EV_IKE_REKEYED))
		buf_adds(b, " It is the successor of a rekeyed IKE SA (its CHILD_SAs moved over).");
	else if (!sa->n_child_up && !SEEN(sa, EV_CHILD_FAILED))
		buf_adds(b, " No CHILD_SA in this log (childless or not yet requested).");
	if (sa->n_ke_retry)
		buf_adds(b, " The first KE was for a group the peer did not pick (INVALID_KE_PAYLOAD); "
			    "charon retried with the peer's group, which is harmless (put the peer's "
			    "group first to save one round trip).");
	if (SEEN(sa, EV_PEER_DELETE))
		buf_adds(b, " Later the peer closed it (DELETE received), which is not a failure.");
	if (sa->traffic_known && !sa->bytes_in && !sa->bytes_out)
		buf_adds(b, " No traffic went through it (0 bytes both ways when its CHILD_SA closed).");
	else if (sa->traffic_known)
		buf_printf(b, " Traffic: %llu bytes in, %llu bytes out by the time its CHILD_SA closed.",
			   sa->bytes_in, sa->bytes_out);
}

struct rule {
	enum doctor_class cls;
	int weight;		/* how decisive; when both sides judge a tunnel the heavier wins */
	bool (*match)(const struct sa *sa);
	int evidence[8];	/* enum ev or X_*, in report order; ends at 0 */
	const char *summary;
	void (*explain)(const struct sa *sa, struct buf *b);
	const char *fix;	/* {N} = IKE ID (phase 1 number) */
};

static const struct rule rules[] = {
	{ DOCTOR_CONFIG_ERROR, 95, m_config, { EV_CONFIG_ERR },
	  "charon could not load the configuration.", x_config,
	  "run `tunnelctl check` and fix the reported key, then `tunnelctl apply`" },
	{ DOCTOR_UNSUPPORTED_ALGORITHM, 90, m_unsupported, { EV_UNSUPPORTED, EV_KERNEL_ALG },
	  "an algorithm in the configuration is not available in this charon or kernel.",
	  x_unsupported,
	  "tunnels.{N}.proposals.*.encryption/hash/dh_group or tunnels.{N}.phase2.*.encryption/hash: "
	  "pick an algorithm this system supports (pfSense: Phase 1/Phase 2 > Encryption Algorithm)" },
	{ DOCTOR_KERNEL_FAILURE, 90, m_kernel, { EV_IKE_UP, EV_KERNEL, EV_CHILD_FAILED },
	  "IKE negotiated, but installing the IPsec SA or policy in the kernel failed.", x_kernel,
	  "load the kernel's XFRM/ESP modules (xfrm_user, esp4, esp6) or charon's kernel-libipsec "
	  "plugin; not a tunnel-file key (pfSense: System > Advanced > Networking / IPsec > Advanced)" },
	{ DOCTOR_CERT_PROBLEM, 85, m_cert, { EV_CERT_VALIDITY, EV_CERT, EV_N_AUTH_FAILED },
	  "a certificate, CA or private key is missing, untrusted or expired.", x_cert,
	  "tunnels.{N}.auth = cert: install the peer's CA and our certificate/key, check validity "
	  "dates (pfSense: Phase 1 > My Certificate / Peer Certificate Authority)" },
	{ DOCTOR_PSK_MISMATCH, 85, m_psk, { EV_PEER_CFG_LOOKUP, EV_PSK_MAC, EV_N_AUTH_FAILED },
	  "the pre-shared keys differ: the identities matched a connection, but the peer's "
	  "AUTH payload does not verify with our key.", x_psk,
	  "tunnels.{N}.psk must be identical on both sides (pfSense: Phase 1 > Pre-Shared Key)" },
	{ DOCTOR_ID_MISMATCH, 85, m_id, { EV_PEER_CFG_LOOKUP, EV_NO_PEER_CFG, EV_NO_PSK },
	  "the identity the peer sent is not the one we expect.", x_ids,
	  "tunnels.{N}.remote_id here must equal the peer's local_id, and our local_id the peer's "
	  "remote_id (pfSense: Phase 1 > Peer identifier / My identifier)" },
	{ DOCTOR_VERSION_MISMATCH, 70, m_version, { EV_V1_REQ, EV_IKE_CFG_LOOKUP, EV_NO_IKE_CFG },
	  "the peer speaks IKEv1 but no IKEv1 connection here matches it.", NULL,
	  "tunnels.{N}.version must be the same on both sides (pfSense: Phase 1 > Key Exchange "
	  "version)" },
	{ DOCTOR_NO_IKE_CONFIG, 80, m_no_ike_cfg, { EV_IKE_CFG_LOOKUP, EV_NO_IKE_CFG },
	  "this side has no connection for the peer's address, so it answered NO_PROPOSAL_CHOSEN.",
	  NULL,
	  "add or fix the phase 1 for this peer: tunnels.{N}.remote_gateway / local_address "
	  "(pfSense: Phase 1 > Remote Gateway / Interface)" },
	{ DOCTOR_DH_GROUP_MISMATCH, 88, m_dh_compare, { X_IKE_RECV, X_IKE_CONF, EV_PROPS_REJECTED },
	  "the IKE proposals differ only in the DH group: ", x_ike_props,
	  "tunnels.{N}.proposals.1.dh_group must match the peer's (pfSense: Phase 1 > Encryption "
	  "Algorithm > DH Group)" },
	{ DOCTOR_IKE_PROPOSAL_MISMATCH, 85, m_ike_compare, { X_IKE_RECV, X_IKE_CONF, EV_PROPS_REJECTED },
	  "no common IKE proposal: ", x_ike_props,
	  "tunnels.{N}.proposals.1.encryption / hash / dh_group must match one of the peer's "
	  "(pfSense: Phase 1 > Encryption Algorithm)" },
	{ DOCTOR_DH_GROUP_MISMATCH, 70, m_ke_loop, { EV_KE_RETRY, EV_KE_REQUEST, EV_N_INVALID_KE },
	  "INVALID_KE_PAYLOAD loop: each side asks for a DH group the other does not offer.", x_ke,
	  "tunnels.{N}.proposals.1.dh_group must list a group the peer supports (pfSense: Phase 1 > "
	  "Encryption Algorithm > DH Group)" },
	{ DOCTOR_CONFIG_ERROR, 84, m_no_psk, { EV_PEER_CFG_LOOKUP, EV_NO_PSK },
	  "no pre-shared key is loaded on this side for this pair of identities: the secret is "
	  "missing (not loaded, or a secrets file not read) or its owners name other identities.",
	  x_no_psk,
	  "tunnels.{N}.psk (or psk_file) for this phase 1, then `tunnelctl apply`; the key's ids "
	  "must be the local_id/remote_id pair (pfSense: Phase 1 > Pre-Shared Key)" },
	{ DOCTOR_VERSION_MISMATCH, 72, m_version_words, { EV_INITIATING, EV_N_OTHER, EV_N_NO_PROP, EV_N_AUTH_FAILED },
	  "this attempt shows both IKEv1 and IKEv2 messages: the peer answers in the other IKE "
	  "version.", NULL,
	  "tunnels.{N}.version must be the same on both sides (pfSense: Phase 1 > Key Exchange "
	  "version)" },
	{ DOCTOR_ID_MISMATCH, 80, m_eap_id, { EV_EAP, EV_N_AUTH_FAILED },
	  "the server ended EAP right after our EAP identity, before any EAP method ran: it does "
	  "not know or accept that identity.", x_eap_id,
	  "set the EAP identity to the user name the server expects (swanctl: "
	  "remote.eap_id / local.eap_id; ipsec.conf: eap_identity)" },
	{ DOCTOR_AUTH_FAILED, 60, m_eap, { EV_EAP, EV_N_AUTH_FAILED },
	  "the server ended EAP with a failure: the user name or password (or certificate) was "
	  "refused.", x_eap_id,
	  "check the EAP user's credentials on the server (RADIUS or its secrets)" },
	{ DOCTOR_IKE_PROPOSAL_MISMATCH, 40, m_ike_notify, { X_IKE_CONF, EV_N_NO_PROP },
	  "the peer rejected our IKE proposals (NO_PROPOSAL_CHOSEN); its log names the differing "
	  "transform, or shows it has no connection for us.", NULL,
	  "tunnels.{N}.proposals.1.encryption / hash / dh_group must match the peer's (pfSense: "
	  "Phase 1 > Encryption Algorithm)" },
	{ DOCTOR_PFS_MISMATCH, 88, m_pfs_compare, { X_ESP_RECV, X_ESP_CONF, EV_CHILD_FAILED },
	  "the phase 2 proposals differ only in the PFS group: ", x_pfs_props,
	  "tunnels.{N}.phase2.M.pfs_group must be the same on both sides (pfSense: Phase 2 > PFS "
	  "key group)" },
	{ DOCTOR_PFS_MISMATCH, 82, m_pfs_rekey, { EV_CHILD_UP, EV_CREATE_CHILD, X_ESP_CONF, EV_N_NO_PROP, EV_CHILD_FAILED, EV_REKEY_FAILED },
	  "the CHILD_SA came up (no PFS in IKE_AUTH) but its rekey/recreate with a PFS group was "
	  "refused: one side uses PFS, the other not or another group.", NULL,
	  "tunnels.{N}.phase2.M.pfs_group must be the same on both sides (pfSense: Phase 2 > PFS "
	  "key group)" },
	{ DOCTOR_CHILD_PROPOSAL_MISMATCH, 85, m_child_compare, { X_ESP_RECV, X_ESP_CONF, EV_CHILD_FAILED },
	  "no common ESP/AH proposal: ", x_esp_props,
	  "tunnels.{N}.phase2.M.encryption / hash must share one algorithm with the peer "
	  "(pfSense: Phase 2 > Encryption Algorithms / Hash Algorithms)" },
	{ DOCTOR_CHILD_PROPOSAL_MISMATCH, 45, m_child_notify, { X_ESP_CONF, EV_N_NO_PROP, EV_CHILD_FAILED },
	  "IKE came up but the peer rejected our ESP/AH proposals (NO_PROPOSAL_CHOSEN, no CHILD_SA "
	  "built).", NULL,
	  "tunnels.{N}.phase2.M.encryption / hash must share one algorithm with the peer "
	  "(pfSense: Phase 2 > Encryption Algorithms / Hash Algorithms)" },
	{ DOCTOR_TS_MISMATCH, 80, m_ts, { EV_TS_REJECT, EV_TS_SELECT, EV_N_TS, EV_CHILD_FAILED },
	  "the traffic selectors (local/remote networks) are not acceptable to the responder.", x_ts,
	  "tunnels.{N}.phase2.M.local / remote must mirror the peer's remote / local (pfSense: "
	  "Phase 2 > Local Network / Remote Network)" },
	{ DOCTOR_AUTH_FAILED, 40, m_auth, { EV_N_AUTH_FAILED, EV_AUTH_BAD },
	  "authentication failed; the peer does not say why (its log tells PSK vs identity).", NULL,
	  "check tunnels.{N}.psk, local_id and remote_id against the peer's (pfSense: Phase 1 > "
	  "Pre-Shared Key / My identifier / Peer identifier)" },
	/* a catalogue line that names its class (the class comes from the line's row) */
	{ DOCTOR_UNKNOWN, 0, m_decisive, { X_DECISIVE_PREV, X_DECISIVE, X_DECISIVE_NEXT },
	  "", x_decisive, NULL },
	{ DOCTOR_REKEY_FAILURE, 68, m_rekey_lost,
	  { EV_IKE_UP, EV_CREATE_CHILD, EV_RETRANSMIT, EV_GIVE_UP, EV_REKEY_FAILED },
	  "the IKE SA was up, then a rekey request got no answer and charon gave up.", x_rekey_lost,
	  "the peer stopped answering before the rekey: check the peer and the path; "
	  "tunnels.{N}.dpd_delay (pfSense: Phase 1 > Dead Peer Detection) finds a silent peer "
	  "before a rekey does, and tunnels.{N}.phase2.M.keepalive = yes brings the tunnel back" },
	{ DOCTOR_DPD_TIMEOUT, 70, m_dpd,
	  { EV_IKE_UP, EV_CHILD_CLOSE, EV_DPD, EV_DELETING, EV_RETRANSMIT, EV_GIVE_UP, EV_DPD_TIMEOUT },
	  "the IKE SA was up, then the peer stopped answering (DPD/liveness requests retransmitted "
	  "until charon gave up).", x_dpd,
	  "check the peer and the path; tunnels.{N}.dpd_delay / dpd_maxfail (pfSense: Phase 1 > "
	  "Dead Peer Detection), and tunnels.{N}.phase2.M.keepalive = yes to bring it back" },
	{ DOCTOR_DPD_TIMEOUT, 55, m_dpd_pending, { EV_IKE_UP, EV_CHILD_CLOSE, EV_DPD, EV_RETRANSMIT },
	  "the IKE SA was up, then the peer stopped answering: its requests are still unanswered "
	  "when the log ends (charon gives up after its retransmit limit).", x_dpd,
	  "check the peer and the path; tunnels.{N}.dpd_delay / dpd_maxfail (pfSense: Phase 1 > "
	  "Dead Peer Detection), and tunnels.{N}.phase2.M.keepalive = yes to bring it back" },
	{ DOCTOR_NAT_T_BLOCKED, 70, m_nat_t, { EV_INIT_RESP, EV_RETRANSMIT, EV_GIVE_UP },
	  "IKE_SA_INIT was answered on UDP 500, then IKE_AUTH on UDP 4500 got no answer: port "
	  "4500 or IP fragments are dropped on the path.", x_retransmit,
	  "allow UDP 4500 (and fragments) between the gateways (`tunnelctl firewall show`); "
	  "tunnels.{N}.nat_traversal (pfSense: Phase 1 > NAT Traversal; Firewall > Rules > WAN)" },
	{ DOCTOR_HALF_OPEN, 60, m_half_open, { EV_INIT_REQ, EV_RESP_START, EV_INIT_ANSWERED },
	  "we answered the peer's IKE_SA_INIT but its IKE_AUTH never arrived (half-open SA): "
	  "UDP 4500 or fragments from the peer are dropped.", NULL,
	  "allow UDP 4500 and fragments from the peer (`tunnelctl firewall show`); "
	  "tunnels.{N}.nat_traversal (pfSense: Firewall > Rules > WAN, Phase 1 > NAT Traversal)" },
	{ DOCTOR_PEER_UNREACHABLE, 60, m_unreachable, { EV_INITIATING, EV_RETRANSMIT, EV_GIVE_UP, EV_NOT_RESPONDING },
	  "no answer at all from the peer: it is down, the address is wrong, or UDP 500 is "
	  "blocked.", x_retransmit,
	  "check tunnels.{N}.remote_gateway, that the peer runs, and that UDP 500/4500 pass "
	  "(`tunnelctl firewall show`; pfSense: Phase 1 > Remote Gateway, Firewall > Rules > WAN)" },
	{ DOCTOR_REKEY_FAILURE, 50, m_rekey, { EV_REKEY_FAILED, EV_N_OTHER },
	  "a rekey or reauthentication failed.", NULL,
	  "compare tunnels.{N}.lifetime and phase2.M.lifetime / pfs_group with the peer "
	  "(pfSense: Phase 1/Phase 2 > Life Time, PFS key group)" },
	{ DOCTOR_TS_NARROWED, 50, m_narrowed, { X_TS_NARROW, EV_CHILD_UP },
	  "the CHILD_SA is up, but its traffic selectors were narrowed to less than configured.",
	  x_narrow,
	  "make tunnels.{N}.phase2.M.local / remote equal to the peer's remote / local (pfSense: "
	  "Phase 2 > Local Network / Remote Network)" },
	{ DOCTOR_HEALTHY, 10, m_healthy, { EV_IKE_UP, EV_CHILD_UP, EV_IKE_REKEYED, EV_PEER_DELETE },
	  "established.", x_healthy, "" },
	{ DOCTOR_UNKNOWN, 5, m_unknown, { EV_INITIATING, EV_N_OTHER, EV_N_NO_PROP, EV_CHILD_FAILED, EV_GIVE_UP, EV_DESTROYING },
	  "a failure was logged, but its cause is not one the doctor knows.", NULL,
	  "read the evidence lines; raise logging (`tunnelctl logging set ike=2 cfg=2 knl=2`) and "
	  "run the doctor on both sides' logs" },
	{ DOCTOR_HEALTHY, 8, m_healthy_excerpt, { EV_SELECTED_PROP, EV_AUTH_OK, EV_CHILD_UP },
	  "no failure in this excerpt: it shows the negotiation succeeding (proposal agreed, "
	  "identity verified or CHILD_SA up), not the whole SA.", NULL, "" },
	{ DOCTOR_UNKNOWN, 3, m_undecided, { EV_INITIATING, EV_RESP_START, EV_INIT_REQ, EV_V1_REQ, EV_RETRANSMIT },
	  "this IKE SA's outcome is not in the log: it started, but neither came up nor failed "
	  "before the log ends (cut short, or still negotiating).", NULL,
	  "collect the log from a moment later, and the peer's log of the same attempt" },
};

/* ---- verdicts ---- */

static void verdict_clear(struct doctor_verdict *v)
{
	free(v->tunnel);
	free(v->summary);
	free(v->fix);
	for (size_t i = 0; i < v->n_ev; i++)
		free(v->ev[i].text);
	memset(v, 0, sizeof(*v));
}

static void verdict_add_evidence(struct doctor_verdict *v, unsigned input, const struct slot *s)
{
	if (!s->line || v->n_ev >= DOCTOR_MAX_EVIDENCE)
		return;
	for (size_t i = 0; i < v->n_ev; i++)
		if (v->ev[i].input == input && v->ev[i].line == s->line)
			return;
	v->ev[v->n_ev].input = input;
	v->ev[v->n_ev].line = s->line;
	v->ev[v->n_ev].text = xstrdup(s->text);
	v->n_ev++;
}

static int evidence_cmp(const void *a, const void *b)
{
	const struct doctor_evidence *x = a, *y = b;
	if (x->input != y->input)
		return x->input < y->input ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static const struct slot *sa_slot(const struct sa *sa, int code)
{
	switch (code) {
	case X_IKE_RECV: return &sa->ike_recv;
	case X_IKE_CONF: return &sa->ike_conf;
	case X_ESP_RECV: return &sa->esp_recv;
	case X_ESP_CONF: return &sa->esp_conf;
	case X_TS_NARROW: return &sa->ts_narrow;
	case X_DECISIVE: return &sa->decisive;
	case X_DECISIVE_PREV: return &sa->decisive_prev;
	case X_DECISIVE_NEXT: return &sa->decisive_next;
	default: return &sa->slot[code];
	}
}

/* The fix text with {N} (and phase2.M when the name says conN_M) filled in. */
static char *fix_expand(const char *tmpl, const char *tunnel)
{
	unsigned ikeid = 0, reqid = 0;
	struct buf b;
	char n[16] = "N", m[16] = "M";

	if (naming_parse(tunnel, &ikeid, &reqid)) {
		snprintf(n, sizeof(n), "%u", ikeid);
		if (reqid)
			snprintf(m, sizeof(m), "%u", reqid);
	}
	buf_init(&b);
	for (const char *p = tmpl; *p; p++) {
		if (strncmp(p, "{N}", 3) == 0) {
			buf_adds(&b, n);
			p += 2;
		} else if (strncmp(p, "tunnels.N.", 10) == 0) {
			buf_printf(&b, "tunnels.%s.", n);
			p += 9;
		} else if (strncmp(p, "phase2.M", 8) == 0) {
			buf_printf(&b, "phase2.%s", m);
			p += 7;
		} else {
			buf_addc(&b, *p);
		}
	}
	return buf_steal(&b);
}

static struct tunnel *tunnel_get(struct doctor *d, unsigned input, const char *name, bool unnamed)
{
	for (size_t i = 0; i < d->n_tunnels; i++)
		if (d->tunnels[i].input == input && strcmp(d->tunnels[i].name, name) == 0)
			return &d->tunnels[i];
	if (d->n_tunnels >= DOCTOR_MAX_TUNNELS)
		return tunnel_get(d, input, "(other tunnels)", false);
	d->tunnels = xrealloc(d->tunnels, (d->n_tunnels + 1) * sizeof(*d->tunnels));
	struct tunnel *t = &d->tunnels[d->n_tunnels++];
	memset(t, 0, sizeof(*t));
	t->input = input;
	t->unnamed = unnamed;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

/* Judge one SA with the first matching rule and make it its tunnel's latest verdict. */
/* The class a matched rule gives: its own, or for a decisive line the line's. */
static enum doctor_class rule_class(const struct rule *r, const struct sa *sa)
{
	return r->match == m_decisive ? sa->decisive_row->cls : r->cls;
}

/* Classes a line outside any IKE SA can name: about charon itself. */
static bool class_of_charon(enum doctor_class cls)
{
	return cls == DOCTOR_CONFIG_ERROR || cls == DOCTOR_KERNEL_FAILURE ||
	       cls == DOCTOR_CERT_PROBLEM || cls == DOCTOR_UNSUPPORTED_ALGORITHM;
}

/* The first rule of a class (its main one). */
static const struct rule *rule_for(enum doctor_class cls)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].cls == cls && rules[i].match != m_decisive)
			return &rules[i];
	return NULL;
}

/* How decisive a class is: the weight of its main rule. */
static int class_weight(enum doctor_class cls)
{
	const struct rule *r = rule_for(cls);
	return r ? r->weight : 50;
}

/* The fix of a class's main rule. */
static const char *class_fix(enum doctor_class cls)
{
	const struct rule *r = rule_for(cls);
	return r && r->fix ? r->fix : rules[ARRAY_SIZE(rules) - 1].fix;
}

/* The SA's start is not in the log: an excerpt that begins after it. */
static bool sa_excerpt(const struct sa *sa)
{
	return !SEEN(sa, EV_INITIATING) && !SEEN(sa, EV_RESP_START) && !SEEN(sa, EV_INIT_REQ) &&
	       !SEEN(sa, EV_V1_REQ) && !SEEN(sa, EV_IKE_CFG_LOOKUP) &&
	       (!sa->n_ike_up || sa->up_implied);
}

static void sa_judge_and_fold(struct doctor *d, struct sa *sa)
{
	const struct rule *r = NULL;
	char tname[DOCTOR_NAME_MAX + 8];
	bool unnamed = false;

	enum doctor_class cls = DOCTOR_UNKNOWN;

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		/* an SA rekeyed into a successor is healthy: the successor carries on */
		if (sa->replaced && rules[i].cls != DOCTOR_HEALTHY)
			continue;
		if (!rules[i].match(sa))
			continue;
		cls = rule_class(&rules[i], sa);
		/* lines attributed to no SA can only tell about charon itself */
		if (sa->id == 0 && !class_of_charon(cls))
			continue;
		r = &rules[i];
		break;
	}
	if (!r && sa->replaced) {
		r = rule_for(DOCTOR_HEALTHY);
		cls = DOCTOR_HEALTHY;
	}
	if (!r)
		goto out;
	/* an input that names its SAs (ike_name) and also logs the same lines without the name
	 * (pfSense, charon beside charon-systemd): an attempt seen only in those is no attempt */
	if (r->match == m_undecided && sa->id >= DOCTOR_SYNTH_ID && d->inputs[sa->input].ike_name)
		goto out;
	if (r->match == m_undecided)
		d->undecided++;

	const struct input *in = &d->inputs[sa->input];
	for (size_t i = 0; sa->remote[0] && i < in->n_peers; i++) {
		if (strcmp(in->peers[i].host, sa->remote) != 0)
			continue;
		if (!sa->name[0])
			snprintf(sa->name, sizeof(sa->name), "%s", in->peers[i].name);
		if (strcmp(in->peers[i].name, sa->name) == 0)
			snprintf(sa->expected_rid, sizeof(sa->expected_rid), "%s", in->peers[i].remote_id);
	}
	if (sa->name[0]) {
		snprintf(tname, sizeof(tname), "%s", sa->name);
	} else if (sa->remote[0]) {
		snprintf(tname, sizeof(tname), "peer %s", sa->remote);
		unnamed = true;
	} else if (sa->id == 0 || (class_of_charon(cls) && sa_excerpt(sa))) {
		/* charon itself: no IKE SA, a failure about charon's own set-up */
		snprintf(tname, sizeof(tname), "(charon)");
	} else {
		snprintf(tname, sizeof(tname), "(unnamed)");
		unnamed = true;
	}
	struct tunnel *t = tunnel_get(d, sa->input, tname, unnamed);
	if (sa->n_ike_up)
		t->was_up = true;
	if (cls != DOCTOR_HEALTHY)
		t->failures++;
	if (sa->version)
		t->version = sa->version;
	if (sa->local[0])
		snprintf(t->local, sizeof(t->local), "%s", sa->local);
	if (sa->remote[0])
		snprintf(t->remote, sizeof(t->remote), "%s", sa->remote);
	if (t->has_verdict && sa->seq < t->latest_seq)
		goto out;
	/* an attempt cut short by the end of the log does not hide what the tunnel did before */
	if (t->has_verdict && r->match == m_undecided)
		goto out;
	/* re-establishing a tunnel lost to a silent peer gets no answer either: the loss stays
	 * the root cause, the attempts after it are part of the same outage */
	if (t->has_verdict && t->lost && cls == DOCTOR_PEER_UNREACHABLE) {
		if (!t->reinit_noted) {
			char *sum = xasprintf("%s Re-establishing it since gets no answer either.",
					      t->v.summary);
			free(t->v.summary);
			t->v.summary = sum;
			t->reinit_noted = true;
		}
		verdict_add_evidence(&t->v, sa->input, sa_slot(sa, EV_RETRANSMIT));
		qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
		t->latest_seq = sa->seq;
		if (sa->gave_up && sa->has_give_up_time)
			t->give_up_time = sa->give_up_time;
		t->attempts_since_up++;
		goto out;
	}

	verdict_clear(&t->v);
	t->has_verdict = true;
	t->latest_seq = sa->seq;
	t->weight = r->weight ? r->weight : DOCTOR_DECISIVE_WEIGHT;
	t->v.cls = cls;
	t->v.tunnel = xstrdup(tname);
	t->v.side = role_names[sa->role];
	struct buf b;
	buf_init(&b);
	buf_adds(&b, r->summary);
	if (r->explain)
		r->explain(sa, &b);
	if (sa_excerpt(sa) && cls != DOCTOR_HEALTHY)
		buf_adds(&b, " This log is an excerpt: it does not show how this IKE SA started; the "
			     "whole log of the attempt and the peer's log of it would confirm the cause.");
	if (cls == DOCTOR_HEALTHY && t->failures)
		buf_printf(&b, " (after %u failed attempt%s in this log)", t->failures,
			   t->failures == 1 ? "" : "s");
	t->v.summary = buf_steal(&b);
	buf_init(&b);
	buf_adds(&b, r->fix ? r->fix : class_fix(cls));
	if (cls == DOCTOR_DH_GROUP_MISMATCH && sa->ike_conf.line) {
		struct buf g;
		buf_init(&g);
		if (doctor_props_dh_groups(slot_msg(&sa->ike_conf), &g))
			buf_printf(&b, " (the responder accepts DH group %s)", g.data);
		buf_free(&g);
	}
	char *fix = buf_steal(&b);
	t->v.fix = fix_expand(fix, tname);
	free(fix);
	for (size_t i = 0; i < ARRAY_SIZE(r->evidence) && r->evidence[i]; i++)
		verdict_add_evidence(&t->v, sa->input, sa_slot(sa, r->evidence[i]));
	qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
	/* remember when it gave up: finish decides whether anything retried */
	t->give_up_time = sa->gave_up && sa->has_give_up_time ? sa->give_up_time : INT64_MIN;
	t->attempts_since_up = sa->n_ike_up ? 0 : t->attempts_since_up + 1;
	t->peer_deleted = sa->n_ike_up && sa->has_delete_time;
	t->delete_time = sa->delete_time;
	t->delete_lost = sa->n_ike_up && sa->delete_retransmitted && sa->has_we_delete_time && sa->gave_up;
	t->lost = sa->n_ike_up && (cls == DOCTOR_DPD_TIMEOUT || cls == DOCTOR_REKEY_FAILURE) &&
		  (sa->gave_up || SEEN(sa, EV_DPD_TIMEOUT));
	t->reinit_noted = false;
	t->delete_lost_time = sa->we_delete_time;
	t->up_at_end = sa->n_ike_up && !SEEN(sa, EV_DPD) && !SEEN(sa, EV_DPD_TIMEOUT) &&
		       !SEEN(sa, EV_PEER_DELETE) && !sa->gave_up &&
		       (cls == DOCTOR_HEALTHY || cls == DOCTOR_DPD_TIMEOUT);
	t->has_up_time = sa->has_up_time;
	t->up_time = sa->up_time;
out:
	sa_unlink(d, sa);
	sa_clear(sa);
}

/* ---- feeding lines ---- */

struct doctor *doctor_new(void)
{
	_Static_assert(EV_COUNT <= 128, "events must fit the seen mask");
	struct doctor *d = xcalloc(1, sizeof(struct doctor));
	d->events = doctor_events_new();
	memset(d->sa_head, 0xff, sizeof(d->sa_head));
	return d;
}

unsigned doctor_add_input(struct doctor *d, const char *label)
{
	d->inputs = xrealloc(d->inputs, (d->n_inputs + 1) * sizeof(*d->inputs));
	struct input *in = &d->inputs[d->n_inputs];
	memset(in, 0, sizeof(*in));
	in->label = xstrdup(label);
	return (unsigned)d->n_inputs++;
}

const char *doctor_input_label(const struct doctor *d, unsigned input)
{
	return input < d->n_inputs ? d->inputs[input].label : "?";
}

static bool class_of_charon(enum doctor_class cls);

/* The SA an event's own text names ("IKE_SA NAME[ID]" captured by its row), or 0. */
static unsigned event_sa_ref(const struct doctor_event *e, char *name)
{
	unsigned k;

	switch (e->ev) {
	case EV_INITIATING:
		k = 1;
		break;
	case EV_IKE_UP:
	case EV_DESTROYING:
	case EV_PEER_DELETE:
	case EV_DELETING:
		k = 0;
		break;
	default:
		return 0;
	}
	if (e->n_cap < k + 2)
		return 0;
	unsigned id = (unsigned)doctor_events_num(e, k + 1);
	if (!id)
		return 0;
	name[0] = '\0';
	if (!(e->cap[k].n == 9 && memcmp(e->cap[k].p, "(unnamed)", 9) == 0))
		span_copy(name, DOCTOR_NAME_MAX, e->cap[k], "[");
	return id;
}

/* The SA a line belongs to: its <name|id> prefix, an "IKE_SA name[id]" in the text, or the
 * SA its thread (or, without threads, the log) worked on last. Without ike_name, a line that
 * belongs to no SA seen so far starts a synthetic one: an excerpt that begins in the middle
 * of an attempt is judged like a whole one. 0 = charon itself (ike_name logs only). */
static unsigned line_sa(struct doctor *d, struct input *in, unsigned input,
			const struct doctor_line *l, const struct doctor_event *e, char *name)
{
	unsigned id = l->sa_id, ref = 0;
	bool thread_ok = l->thread >= 0 && l->thread < DOCTOR_MAX_THREADS;
	unsigned *cur = thread_ok ? &in->thread_sa[l->thread] : &in->last_sa;
	enum ev ev = e->ev;

	name[0] = '\0';
	if (l->name)
		copy_until(name, DOCTOR_NAME_MAX, l->name, l->name + l->name_len, "");
	if (l->sa_id)
		in->ike_name = true;
	else if (in->ike_name)
		return 0;
	if (!id) {
		ref = event_sa_ref(e, name);
		if (!ref && ev != EV_IKE_REKEYED)
			find_sa_ref(l->msg, l->msg_len, name, &ref);
	}
	if (!id && ref) {
		id = ref;
		/* an SA we tracked under a synthetic id gets its real one */
		unsigned prev = *cur ? *cur : in->last_sa;
		struct sa *syn = prev >= DOCTOR_SYNTH_ID ? sa_find(d, input, prev) : NULL;
		if (syn && !sa_find(d, input, id))
			sa_rekey(d, syn, id);
	}
	/* without ike_name a responder's first lines name no SA: start a synthetic one at the
	 * first of them, unless this thread started one a moment ago */
	if (!id && (ev == EV_INIT_REQ || ev == EV_V1_REQ || ev == EV_IKE_CFG_LOOKUP ||
		    ev == EV_RESP_START || ev == EV_NO_IKE_CFG)) {
		struct sa *c = *cur >= DOCTOR_SYNTH_ID ? sa_find(d, input, *cur) : NULL;
		if (c && d->seq - c->seq <= DOCTOR_SYNTH_NEAR)
			id = *cur;
		else
			id = DOCTOR_SYNTH_ID + in->next_synth++;
	}
	if (!id && ev != EV_NONE) {
		id = *cur ? *cur : in->last_sa;
		/* the first line of an excerpt that names no SA starts one, unless it is about
		 * charon itself (start-up, loading, a remark) */
		if (!id && ev != EV_INFO && !(ev == EV_DECISIVE && class_of_charon(e->row->cls)))
			id = DOCTOR_SYNTH_ID + in->next_synth++;
	}
	if (id) {
		*cur = id;
		in->last_sa = id;
	}
	return id;
}

/* Events about charon itself: started, loaded a connection, its config dump. */
static void note_input(struct input *in, const struct doctor_event *e, const struct doctor_line *l,
		       unsigned long lineno, const char *raw, size_t raw_len)
{
	enum ev ev = e->ev;

	if ((ev == EV_READY || ev == EV_CHARON_START) && l->has_time) {
		in->has_ready = true;
		in->ready_time = l->time;
		if (ev == EV_CHARON_START) {
			in->n_peers = 0;	/* a new charon loads its configuration again */
			in->has_start = true;
			in->start_time = l->time;
			slot_set(&in->start_line, lineno, raw, raw_len, l->msg, l->msg_len);
		}
	} else if (ev == EV_CONN_DUMP) {
		span_copy(in->dump_conn, sizeof(in->dump_conn), e->cap[0], ":");
		in->dump_remote = false;
	} else if (ev == EV_CONN_SIDE) {
		in->dump_remote = l->msg[2] == 'r';
	} else if (ev == EV_CONN_ID && in->dump_remote) {
		/* the remote identity of the connection being dumped: its peer entries get it */
		for (size_t i = 0; i < in->n_peers; i++)
			if (strcmp(in->peers[i].name, in->dump_conn) == 0)
				span_copy(in->peers[i].remote_id, sizeof(in->peers[i].remote_id),
					  e->cap[0], "");
	} else if (ev == EV_CONN_REMOTE && in->dump_conn[0]) {
		char host[DOCTOR_HOST_MAX];
		size_t i;
		span_copy(host, sizeof(host), e->cap[0], ", ");
		if (!host[0] || host[0] == '%')
			return;
		/* a reloaded connection replaces its entry */
		for (i = 0; i < in->n_peers; i++)
			if (strcmp(in->peers[i].name, in->dump_conn) == 0 &&
			    strcmp(in->peers[i].host, host) == 0)
				break;
		if (i == in->n_peers) {
			if (in->n_peers >= DOCTOR_MAX_TUNNELS)
				return;
			in->peers = xrealloc(in->peers, (in->n_peers + 1) * sizeof(*in->peers));
			in->n_peers++;
		}
		memset(&in->peers[i], 0, sizeof(in->peers[i]));
		snprintf(in->peers[i].host, sizeof(in->peers[i].host), "%s", host);
		snprintf(in->peers[i].name, sizeof(in->peers[i].name), "%s", in->dump_conn);
	}
}

/* An IKE SA rekeyed into a successor (NAME[ID] of the line): the successor is up from here,
 * the old SA is replaced, so the peer deleting it afterwards is routine. */
static void note_rekeyed(struct doctor *d, unsigned input, struct sa *old,
			 const struct doctor_event *e, const struct doctor_line *l)
{
	unsigned id = e->n_cap >= 2 ? (unsigned)doctor_events_num(e, 1) : 0;
	struct sa *succ;

	if (id && id == old->id) {
		/* without ike_name the line went to the successor it names: it is up */
		old->n_ike_up++;
		SEEN_SET(old, EV_IKE_UP);
		slot_copy(&old->slot[EV_IKE_UP], &old->slot[EV_IKE_REKEYED]);
		if (l->has_time && !old->has_up_time) {
			old->up_time = l->time;
			old->has_up_time = true;
		}
		return;
	}
	old->replaced = true;
	if (!id)
		return;
	succ = sa_get(d, input, id);
	succ->touched = d->seq;
	if (!succ->name[0])
		span_copy(succ->name, sizeof(succ->name), e->cap[0], "[");
	succ->role = old->role;
	succ->version = old->version;
	snprintf(succ->local, sizeof(succ->local), "%s", old->local);
	snprintf(succ->remote, sizeof(succ->remote), "%s", old->remote);
	succ->n_ike_up++;
	succ->n_child_up += old->n_child_up;
	SEEN_SET(succ, EV_IKE_UP);
	if (l->has_time) {
		succ->up_time = l->time;
		succ->has_up_time = true;
	}
	slot_copy(&succ->slot[EV_IKE_UP], &old->slot[EV_IKE_REKEYED]);
}

/* A line that names a cause on its own: the SA keeps the most decisive one, with the kept
 * line before it and the one after it as context. */
static void note_decisive(struct sa *sa, const struct doctor_event *e)
{
	enum doctor_class cls = e->row->cls;

	if (cls >= DOCTOR_NO_CLASS || cls == DOCTOR_HEALTHY)
		return;
	if (sa->decisive_row && class_weight(sa->decisive_row->cls) > class_weight(cls))
		return;
	sa->decisive_row = e->row;
	slot_copy(&sa->decisive, &sa->slot[EV_DECISIVE]);
	if (sa->last_kept)
		slot_copy(&sa->decisive_prev, sa->last_kept);
	sa->want_next = true;
}

void doctor_classify(const struct doctor *d, const struct doctor_line *l, struct doctor_event *e)
{
	doctor_events_classify(d->events, l->msg, l->msg_len, e);
}

void doctor_feed(struct doctor *d, unsigned input, unsigned long lineno,
		 const struct doctor_line *l, const char *raw, size_t raw_len)
{
	struct doctor_event e;

	doctor_classify(d, l, &e);
	doctor_feed_event(d, input, lineno, l, &e, raw, raw_len);
}

void doctor_feed_event(struct doctor *d, unsigned input, unsigned long lineno,
		       const struct doctor_line *l, const struct doctor_event *ev, const char *raw,
		       size_t raw_len)
{
	struct input *in;
	char name[DOCTOR_NAME_MAX];
	struct doctor_event e = *ev;

	if (input >= d->n_inputs)
		return;
	in = &d->inputs[input];
	d->seq++;
	if (l->has_time) {
		in->has_time = true;
		in->last_time = l->time;
	}
	if (l->group[0] || l->thread >= 0 || l->sa_id)
		in->charon_lines++;
	/* an informative line that is not evidence tells the rules nothing: read it as one the
	 * catalogue does not know (what it says about threads and SAs still counts) */
	if (e.ev == EV_NONE || (e.ev == EV_INFO && !e.row->keep)) {
		if (e.ev == EV_INFO && !l->group[0] && l->thread < 0 && !l->sa_id)
			in->charon_lines++;
		/* still learn which SA a thread works on (and, without ike_name, from the text) */
		if (l->sa_id) {
			in->ike_name = true;
			if (l->thread >= 0 && l->thread < DOCTOR_MAX_THREADS)
				in->thread_sa[l->thread] = l->sa_id;
		} else if (!in->ike_name && find(l->msg, l->msg_len, "IKE_SA ")) {
			line_sa(d, in, input, l, &e, name);
		}
		return;
	}
	if (!l->group[0] && l->thread < 0 && !l->sa_id)
		in->charon_lines++;
	/* the lines an unknown verdict would show: those that mean something on their own */
	if (e.row->keep && (e.row->cls != DOCTOR_NO_CLASS || e.ev == EV_DECISIVE))
		slot_set(&in->telling[in->n_telling++ % DOCTOR_MAX_EVIDENCE], lineno, raw, raw_len,
			 l->msg, l->msg_len);
	if (e.ev == EV_CHARON_START) {
		/* a restarted charon counts unique ids from 1 again: judge what the old one had */
		for (size_t i = 0; i < d->n_sas; i++)
			if (d->sas[i]->used && d->sas[i]->input == input)
				sa_judge_and_fold(d, d->sas[i]);
		memset(in->thread_sa, 0, sizeof(in->thread_sa));
		in->last_sa = 0;
		d->last = NULL;
	}
	if (e.ev == EV_READY || e.ev == EV_CHARON_START || e.ev == EV_CONN_DUMP ||
	    e.ev == EV_CONN_REMOTE || e.ev == EV_CONN_SIDE || e.ev == EV_CONN_ID) {
		note_input(in, &e, l, lineno, raw, raw_len);
		return;
	}
	unsigned id = line_sa(d, in, input, l, &e, name);
	struct sa *sa = sa_get(d, input, id);
	sa->touched = d->seq;
	if (name[0] && !sa->name[0])
		snprintf(sa->name, sizeof(sa->name), "%s", name);
	if ((e.ev == EV_SELECTED_PEER || e.ev == EV_CONFIG_ERR) && !sa->name[0] && e.n_cap >= 1)
		span_copy(sa->name, sizeof(sa->name), e.cap[0], "'");
	if (e.row->keep) {
		struct slot *s = &sa->slot[e.ev];
		slot_set(s, lineno, raw, raw_len, l->msg, l->msg_len);
		if (sa->want_next && e.ev != EV_DECISIVE) {
			slot_copy(&sa->decisive_next, s);
			sa->want_next = false;
		}
		if (e.ev != EV_DECISIVE)
			sa->last_kept = s;
	}
	SEEN_SET(sa, e.ev);
	sa_note(sa, &e, l->time, l->has_time);
	if (e.ev == EV_IKE_REKEYED)
		note_rekeyed(d, input, sa, &e, l);
	else if (e.ev == EV_DECISIVE)
		note_decisive(sa, &e);
	if (e.ev == EV_RECV)
		sa->last_recv = d->seq;
	else if (e.ev == EV_RETRANSMIT)
		sa->last_retransmit = d->seq;
}

/* ---- finishing: merge both sides, order, gave_up ---- */

static bool mirrored(const struct tunnel *a, const struct tunnel *b)
{
	return a->local[0] && a->remote[0] && strcmp(a->local, b->remote) == 0 &&
	       strcmp(a->remote, b->local) == 0;
}

/* Same tunnel seen from two logs: same name, and, when both know their addresses, the
 * other's addresses mirrored (two gateways may each have an unrelated con1). */
static bool same_tunnel(const struct tunnel *a, const struct tunnel *b)
{
	if (strcmp(a->name, b->name) != 0)
		return false;
	if (a->input == b->input || !a->local[0] || !a->remote[0] || !b->local[0] || !b->remote[0])
		return true;
	return mirrored(a, b);
}

static int verdict_cmp(const void *a, const void *b)
{
	const struct doctor_verdict *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return strcmp(x->tunnel, y->tunnel);
}

/* Move verdict src into dst (dst cleared first). */
static void verdict_move(struct doctor_verdict *dst, struct doctor_verdict *src)
{
	verdict_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

/* Our SA stayed up without DPD while the peer ended it and its DELETE never arrived here
 * (expiry or by hand, the DELETE lost): a tunnel one side expired while the other kept
 * sending. The peer's lines (deleting, unanswered retransmits) are the evidence. */
static bool apply_peer_expired(struct doctor *d, struct tunnel *t)
{
	const struct tunnel *peer = NULL;

	for (size_t j = 0; j < d->n_tunnels && !peer; j++) {
		const struct tunnel *o = &d->tunnels[j];
		if (o != t && o->input != t->input && same_tunnel(t, o) && o->has_verdict &&
		    o->delete_lost && o->delete_lost_time >= t->up_time)
			peer = o;
	}
	if (!peer)
		return false;
	for (size_t k = 0; k < peer->v.n_ev && t->v.n_ev < DOCTOR_MAX_EVIDENCE; k++) {
		const struct doctor_evidence *e = &peer->v.ev[k];
		struct slot sl = { .line = e->line, .text = e->text };
		verdict_add_evidence(&t->v, e->input, &sl);
	}
	qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
	int64_t when = peer->delete_lost_time;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "one side expired the tunnel while the other kept sending: the peer ended the "
		       "SA (%02d:%02d:%02d in the peer's log, on expiry or by hand) and its DELETE never "
		       "arrived here; the SA is still up on this side and, without DPD, it does not "
		       "notice and keeps sending into a dead SA.",
		   (int)(when / 3600 % 24), (int)(when / 60 % 60), (int)(when % 60));
	free(t->v.summary);
	t->v.summary = buf_steal(&b);
	free(t->v.fix);
	t->v.fix = fix_expand("turn DPD on: tunnels.{N}.dpd_delay (pfSense: Phase 1 > Dead Peer "
			      "Detection), or a ping host / tunnels.{N}.phase2.M.keepalive = yes (periodic "
			      "traffic that notices the loss)",
			      t->v.tunnel);
	t->v.cls = DOCTOR_DPD_TIMEOUT;
	t->weight = 72;
	return true;
}

/* Our SA stayed up without DPD while the peer's charon restarted after it came up (and so
 * lost it): traffic goes into a dead SA, and nothing here notices. */
static void apply_peer_restart(struct doctor *d, struct tunnel *t)
{
	int64_t when = 0;
	const struct tunnel *peer = NULL;

	if (!t->has_verdict || !t->up_at_end || !t->has_up_time)
		return;
	if (apply_peer_expired(d, t))
		return;
	for (size_t j = 0; j < d->n_tunnels; j++) {
		const struct tunnel *o = &d->tunnels[j];
		const struct input *oin = &d->inputs[o->input];
		if (o == t || o->input == t->input || !same_tunnel(t, o) || !oin->has_start ||
		    oin->start_time <= t->up_time)
			continue;
		/* the peer did not bring the tunnel up again after its restart */
		if (o->has_up_time && o->up_time >= oin->start_time)
			continue;
		peer = o;
		when = oin->start_time;
	}
	if (!peer)
		return;
	verdict_add_evidence(&t->v, peer->input, &d->inputs[peer->input].start_line);
	qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "the SA is still up on this side, but the peer's charon restarted after it "
		       "came up (%02d:%02d:%02d in the peer's log) and lost it; without DPD this side does "
		       "not notice and keeps sending into a dead SA.",
		   (int)(when / 3600 % 24), (int)(when / 60 % 60), (int)(when % 60));
	free(t->v.summary);
	t->v.summary = buf_steal(&b);
	free(t->v.fix);
	t->v.fix = fix_expand("turn DPD on: tunnels.{N}.dpd_delay (pfSense: Phase 1 > Dead Peer "
			      "Detection), or a ping host / tunnels.{N}.phase2.M.keepalive = yes",
			      t->v.tunnel);
	t->v.cls = DOCTOR_DPD_TIMEOUT;
	t->weight = 72;
}

/* A tunnel whose latest attempt gave up and nothing retried becomes gave_up: the peer's log
 * shows it back (its charon started, or loaded its connections) after our give-up, or this
 * log goes on long after it without a new attempt. */
static void apply_gave_up(struct doctor *d, struct tunnel *t)
{
	const struct input *in = &d->inputs[t->input], *back = NULL;
	bool long_silence = t->give_up_time != INT64_MIN && in->has_time &&
			    in->last_time - t->give_up_time >= DOCTOR_GAVE_UP_SECS;
	int64_t g = t->give_up_time;

	if (!t->has_verdict || t->v.cls == DOCTOR_HEALTHY || g == INT64_MIN)
		return;
	for (size_t i = 0; i < d->n_inputs; i++)
		if (i != t->input && d->inputs[i].has_ready && d->inputs[i].ready_time >= g &&
		    (!back || d->inputs[i].ready_time < back->ready_time))
			back = &d->inputs[i];
	/* repeated attempts mean something retries (charon's keyingtries, tunnelctl daemon): only
	 * a long silence after the last one says it stopped */
	if (!long_silence && (t->attempts_since_up > 1 || !back))
		return;
	struct buf b;
	buf_init(&b);
	if (back) {
		int64_t w = back->ready_time;
		buf_printf(&b, "the peer is back since %02d:%02d:%02d (its log: charon running, the "
			       "connection loaded) and nothing retried this tunnel: charon gave up at "
			       "%02d:%02d:%02d and no new attempt followed", (int)(w / 3600 % 24),
			   (int)(w / 60 % 60), (int)(w % 60), (int)(g / 3600 % 24), (int)(g / 60 % 60),
			   (int)(g % 60));
		if (back->has_start && back->start_time >= g)
			verdict_add_evidence(&t->v, (unsigned)(back - d->inputs), &back->start_line);
	} else {
		buf_printf(&b, "charon gave up at %02d:%02d:%02d and this log goes on %lld s after it "
			       "without a new attempt: nothing retries this tunnel",
			   (int)(g / 3600 % 24), (int)(g / 60 % 60), (int)(g % 60),
			   (long long)(in->last_time - g));
	}
	buf_printf(&b, "; the last attempt failed as %s: %s", doctor_class_names[t->v.cls],
		   t->v.summary);
	qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
	free(t->v.summary);
	t->v.summary = buf_steal(&b);
	free(t->v.fix);
	t->v.fix = fix_expand("tunnels.{N}.phase2.M.keepalive = yes (or tunnels.{N}.start_action = "
			      "start) so `tunnelctl daemon` re-initiates it (pfSense: Phase 2 > "
			      "Keep Alive); then fix the cause above", t->v.tunnel);
	t->v.cls = DOCTOR_GAVE_UP;
	t->weight = 75;
}

/* A healthy tunnel whose SA the peer deleted, with the log going on and no new SA: it is
 * down and nothing brings it back. */
static void apply_peer_delete(struct doctor *d, struct tunnel *t)
{
	const struct input *in = &d->inputs[t->input];

	if (!t->has_verdict || t->v.cls != DOCTOR_HEALTHY || !t->peer_deleted || !in->has_time ||
	    in->last_time - t->delete_time < DOCTOR_REINIT_GRACE_SECS)
		return;
	free(t->v.summary);
	t->v.summary = xasprintf("the tunnel came up, then the peer closed it (DELETE received) and "
				 "nothing brought it back up in the %lld s the log goes on: it is down.",
				 (long long)(in->last_time - t->delete_time));
	free(t->v.fix);
	t->v.fix = fix_expand("tunnels.{N}.phase2.M.keepalive = yes (or tunnels.{N}.start_action = "
			      "start) so `tunnelctl daemon` re-initiates it (pfSense: Phase 2 > Keep "
			      "Alive); find out why the peer closed it (its log)", t->v.tunnel);
	t->v.cls = DOCTOR_GAVE_UP;
	t->weight = 74;
}

/* Charon logs that gave no verdict at all (activity, nothing decisive): an unknown verdict
 * for each, with its latest telling lines and what to collect next. When another log given
 * with it has a verdict (the other side's), that one speaks for the tunnel. */
static void apply_unknown_input(struct doctor *d, unsigned input)
{
	struct input *in = &d->inputs[input];

	if (!in->charon_lines)
		return;
	for (size_t i = 0; i < d->n_tunnels; i++)
		if (d->tunnels[i].has_verdict && strcmp(d->tunnels[i].name, "(charon)") != 0)
			return;
	for (size_t i = 0; i < d->n_tunnels; i++)
		if (d->tunnels[i].input == input && d->tunnels[i].has_verdict)
			return;
	struct tunnel *t = tunnel_get(d, input, "(charon)", false);
	t->has_verdict = true;
	t->weight = 5;
	t->v.cls = DOCTOR_UNKNOWN;
	t->v.tunnel = xstrdup(t->name);
	t->v.side = role_names[ROLE_UNKNOWN];
	if (in->n_telling == 0 && in->has_start)
		t->v.summary = xasprintf("this log holds charon's start-up only (%lu charon lines): no "
					 "IKE SA was attempted in it, and no failure of charon itself "
					 "is logged.", in->charon_lines);
	else
		t->v.summary = xasprintf("charon was active in this log (%lu charon lines), but no line "
					 "in it decides a cause: no IKE SA is seen to its end, and no "
					 "failure message is logged.", in->charon_lines);
	t->v.fix = xstrdup("collect the log of a whole attempt on both sides (`tunnelctl up NAME` "
			   "streams one), with ike, cfg and knl at level 2 (`tunnelctl logging set "
			   "ike=2 cfg=2 knl=2`; pfSense: VPN > IPsec > Advanced Settings > IPsec Logging "
			   "Controls), and run the doctor on both logs");
	if (in->has_start)
		verdict_add_evidence(&t->v, input, &in->start_line);
	for (unsigned k = 0; k < DOCTOR_MAX_EVIDENCE; k++)
		verdict_add_evidence(&t->v, input, &in->telling[(in->n_telling + k) % DOCTOR_MAX_EVIDENCE]);
	qsort(t->v.ev, t->v.n_ev, sizeof(t->v.ev[0]), evidence_cmp);
}

/* An unnamed tunnel u is the tunnel o names: its verdict and fix take o's name. */
static void tunnel_rename(struct tunnel *u, const struct tunnel *o)
{
	free(u->v.tunnel);
	u->v.tunnel = xstrdup(o->name);
	char *fix = fix_expand(u->v.fix, o->name);
	free(u->v.fix);
	u->v.fix = fix;
	snprintf(u->name, sizeof(u->name), "%s", o->name);
	u->unnamed = o->unnamed;
}

/* Two logs with one tunnel each are the two sides of that tunnel (what a user passes), even
 * when one side could not name it (an excerpt, a responder that never picked a config): the
 * unnamed one takes the other's name, so both sides' lines make one verdict. */
static void pair_two_sides(struct doctor *d)
{
	struct tunnel *one[2] = { NULL, NULL };

	if (d->n_inputs != 2)
		return;
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *t = &d->tunnels[i];
		if (!t->has_verdict)
			continue;
		if (t->input > 1 || one[t->input])
			return;
		one[t->input] = t;
	}
	if (!one[0] || !one[1] || !strcmp(one[0]->name, one[1]->name))
		return;
	struct tunnel *u = one[1]->unnamed ? one[1] : one[0]->unnamed ? one[0] : NULL;
	struct tunnel *o = u == one[0] ? one[1] : one[0];
	/* both unnamed: the one with the peer's address names it */
	if (!u || (o->unnamed && !o->remote[0]))
		return;
	tunnel_rename(u, o);
}

static int sa_seq_cmp(const void *a, const void *b)
{
	const struct sa *x = *(struct sa *const *)a, *y = *(struct sa *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t doctor_finish(struct doctor *d, const struct doctor_verdict **out)
{
	/* judge the SAs still open, oldest first, so the latest attempt stays the verdict */
	struct sa **open = xmalloc((d->n_sas ? d->n_sas : 1) * sizeof(*open));
	size_t n_open = 0;
	for (size_t i = 0; i < d->n_sas; i++)
		if (d->sas[i]->used)
			open[n_open++] = d->sas[i];
	qsort(open, n_open, sizeof(*open), sa_seq_cmp);
	for (size_t i = 0; i < n_open; i++)
		sa_judge_and_fold(d, open[i]);
	free(open);
	for (size_t i = 0; i < d->n_tunnels; i++) {
		apply_gave_up(d, &d->tunnels[i]);
		apply_peer_delete(d, &d->tunnels[i]);
	}
	for (unsigned i = 0; i < d->n_inputs; i++)
		apply_unknown_input(d, i);

	/* unnamed tunnels (responder never picked a config) join the mirrored named one */
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *u = &d->tunnels[i];
		if (!u->unnamed || !u->has_verdict)
			continue;
		for (size_t j = 0; j < d->n_tunnels; j++) {
			struct tunnel *t = &d->tunnels[j];
			if (t->unnamed || t->input == u->input || !mirrored(u, t))
				continue;
			tunnel_rename(u, t);
			break;
		}
	}

	pair_two_sides(d);
	for (size_t i = 0; i < d->n_tunnels; i++)
		apply_peer_restart(d, &d->tunnels[i]);

	/* one verdict per tunnel name: the heaviest side wins, the other adds evidence */
	d->out = xcalloc(d->n_tunnels ? d->n_tunnels : 1, sizeof(*d->out));
	for (size_t i = 0; i < d->n_tunnels; i++) {
		struct tunnel *t = &d->tunnels[i], *best = t;
		if (!t->has_verdict)
			continue;
		for (size_t j = i + 1; j < d->n_tunnels; j++) {
			struct tunnel *o = &d->tunnels[j];
			if (!o->has_verdict || !same_tunnel(t, o))
				continue;
			bool versions_differ = best->version && o->version && best->version != o->version;
			if (o->weight > best->weight)
				best = o;
			if (versions_differ) {
				best->v.cls = DOCTOR_VERSION_MISMATCH;
				best->weight = 100;
				free(best->v.summary);
				best->v.summary = xstrdup("the two sides use different IKE versions "
							  "(IKEv1 vs IKEv2).");
				free(best->v.fix);
				best->v.fix = fix_expand("tunnels.{N}.version must be the same on both "
							 "sides (pfSense: Phase 1 > Key Exchange version)",
							 best->v.tunnel);
			}
		}
		/* collect: best first, then the others' evidence, and mark them merged */
		struct doctor_verdict *v = &d->out[d->n_out++];
		verdict_move(v, &best->v);
		for (size_t j = i; j < d->n_tunnels; j++) {
			struct tunnel *o = &d->tunnels[j];
			if (o == best || !o->has_verdict || !same_tunnel(t, o))
				continue;
			for (size_t k = 0; k < o->v.n_ev && v->n_ev < DOCTOR_MAX_EVIDENCE; k++) {
				struct slot s = { .line = o->v.ev[k].line, .text = o->v.ev[k].text };
				verdict_add_evidence(v, o->v.ev[k].input, &s);
			}
			if (v->side != o->v.side && o->v.cls != DOCTOR_HEALTHY && o->weight == best->weight)
				v->side = "both";
			verdict_clear(&o->v);
			o->has_verdict = false;
		}
		best->has_verdict = false;
		qsort(v->ev, v->n_ev, sizeof(v->ev[0]), evidence_cmp);
	}
	qsort(d->out, d->n_out, sizeof(*d->out), verdict_cmp);
	*out = d->out;
	return d->n_out;
}

unsigned doctor_input_count(const struct doctor *d)
{
	return (unsigned)d->n_inputs;
}

unsigned long doctor_input_charon_lines(const struct doctor *d, unsigned input)
{
	return input < d->n_inputs ? d->inputs[input].charon_lines : 0;
}

size_t doctor_undecided(const struct doctor *d)
{
	return d->undecided;
}

void doctor_free(struct doctor *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_sas; i++) {
		sa_clear(d->sas[i]);
		free(d->sas[i]);
	}
	for (size_t i = 0; i < d->n_tunnels; i++)
		verdict_clear(&d->tunnels[i].v);
	for (size_t i = 0; i < d->n_out; i++)
		verdict_clear(&d->out[i]);
	for (size_t i = 0; i < d->n_inputs; i++) {
		free(d->inputs[i].label);
		free(d->inputs[i].peers);
		slot_free(&d->inputs[i].start_line);
		for (size_t k = 0; k < DOCTOR_MAX_EVIDENCE; k++)
			slot_free(&d->inputs[i].telling[k]);
	}
	free(d->inputs);
	doctor_events_free(d->events);
	free(d->tunnels);
	free(d->out);
	free(d);
}
