/* doctor_events.h - one charon log message -> one event: the message catalogue (every
 * message the doctor knows, what it means and, for a decisive one, its class) and the
 * matcher that finds a message's row and captures its fields. Pure: no I/O. The catalogue
 * is printed by `tunnelctl doctor --messages` and documented in docs/doctor-messages.md. */
#ifndef TUNNELCTL_DOCTOR_EVENTS_H
#define TUNNELCTL_DOCTOR_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The classes of docs/doctor.md, in report order (most important first). */
enum doctor_class {
	DOCTOR_CONFIG_ERROR,
	DOCTOR_KERNEL_FAILURE,
	DOCTOR_UNSUPPORTED_ALGORITHM,
	DOCTOR_VERSION_MISMATCH,
	DOCTOR_NO_IKE_CONFIG,
	DOCTOR_IKE_PROPOSAL_MISMATCH,
	DOCTOR_DH_GROUP_MISMATCH,
	DOCTOR_CERT_PROBLEM,
	DOCTOR_PSK_MISMATCH,
	DOCTOR_ID_MISMATCH,
	DOCTOR_AUTH_FAILED,
	DOCTOR_CHILD_PROPOSAL_MISMATCH,
	DOCTOR_TS_MISMATCH,
	DOCTOR_PFS_MISMATCH,
	DOCTOR_PEER_UNREACHABLE,
	DOCTOR_NAT_T_BLOCKED,
	DOCTOR_HALF_OPEN,
	DOCTOR_GAVE_UP,
	DOCTOR_DPD_TIMEOUT,
	DOCTOR_REKEY_FAILURE,
	DOCTOR_TS_NARROWED,
	DOCTOR_UNKNOWN,
	DOCTOR_HEALTHY,
	DOCTOR_CLASS_COUNT,
	DOCTOR_NO_CLASS = DOCTOR_CLASS_COUNT	/* a catalogue row that is not a cause */
};

extern const char *const doctor_class_names[DOCTOR_CLASS_COUNT];
/* The class in words, for the human report ("DH group mismatch"). */
extern const char *const doctor_class_words[DOCTOR_CLASS_COUNT];

/* What a message says: the events the rules reason about. EV_DECISIVE is any catalogue
 * message that names a cause on its own (its row carries the class). */
enum ev {
	EV_NONE,
	EV_INITIATING,		/* initiating IKE_SA con1[1] to H */
	EV_RESP_START,		/* H is initiating an IKE_SA */
	EV_INIT_REQ,		/* parsed IKE_SA_INIT request 0 (responder) */
	EV_INIT_RESP,		/* parsed IKE_SA_INIT response 0 (initiator got an answer) */
	EV_INIT_ANSWERED,	/* generating IKE_SA_INIT response 0 [ SA ...] (responder agreed) */
	EV_AUTH_REQ,		/* parsed IKE_AUTH request (responder) */
	EV_V1_REQ,		/* parsed ID_PROT/AGGRESSIVE request 0 */
	EV_IKE_CFG_LOOKUP,	/* looking for an IKEv2 config for L...R */
	EV_NO_IKE_CFG,		/* no IKE config found for L...R */
	EV_IKE_UP,		/* IKE_SA con1[1] established between */
	EV_CHILD_UP,		/* CHILD_SA con1{1} established with SPIs */
	EV_SEND,		/* sending packet: from L[p] to R[p] */
	EV_RECV,		/* received packet: from R[p] to L[p] */
	EV_RETRANSMIT,		/* retransmit N of request with message ID M */
	EV_GIVE_UP,		/* giving up after N retransmits */
	EV_NOT_RESPONDING,	/* establishing IKE_SA failed, peer not responding */
	EV_TRY_AGAIN,		/* peer not responding, trying again */
	EV_RECV_PROPS,		/* received proposals: */
	EV_CONF_PROPS,		/* configured proposals: */
	EV_BARE_PROPS,		/* ESP:... a proposal list without its lead-in (pasted) */
	EV_SELECTED_PROP,	/* selected proposal: */
	EV_NO_ACCEPTABLE,	/*   no acceptable X found */
	EV_PROPS_REJECTED,	/* received proposals unacceptable / no acceptable proposal found */
	EV_N_NO_PROP,		/* received NO_PROPOSAL_CHOSEN notify */
	EV_N_AUTH_FAILED,	/* received AUTHENTICATION_FAILED notify */
	EV_N_TS,		/* received TS_UNACCEPTABLE notify */
	EV_N_INVALID_KE,	/* received INVALID_KE_PAYLOAD notify */
	EV_N_OTHER,		/* received X notify error */
	EV_KE_RETRY,		/* peer didn't accept DH group X, it requested Y */
	EV_KE_REQUEST,		/* DH group X unacceptable, requesting Y */
	EV_PSK_MAC,		/* tried N shared key(s) ... but MAC mismatched */
	EV_NO_PSK,		/* no shared key found for */
	EV_PEER_CFG_LOOKUP,	/* looking for peer configs matching L[ID]...R[ID] */
	EV_NO_PEER_CFG,		/* no matching peer config found */
	EV_SELECTED_PEER,	/* selected peer config 'con1' */
	EV_AUTH_OK,		/* authentication of 'ID' with ... successful */
	EV_AUTH_BAD,		/* signature / authentication verification failed */
	EV_CERT,		/* certificate, CA or private key problems */
	EV_CERT_VALIDITY,	/* subject certificate invalid (valid from X to Y) */
	EV_TS_REJECT,		/* traffic selectors ... unacceptable / no matching CHILD_SA config */
	EV_TS_ROUND,		/* selecting traffic selectors for us: / for other: */
	EV_TS_SELECT,		/*  config: C, received: R => match: M */
	EV_CHILD_FAILED,	/* failed to establish CHILD_SA */
	EV_CREATE_CHILD,	/* generating/parsed CREATE_CHILD_SA request */
	EV_CHILD_CLOSE,		/* closing CHILD_SA x{n} with SPIs a_i (N bytes) b_o (M bytes) */
	EV_KERNEL,		/* unable to install / add SAD entry / policy */
	EV_KERNEL_ALG,		/* algorithm X not supported by kernel */
	EV_DPD,			/* sending DPD request */
	EV_DPD_TIMEOUT,		/* DPD check timed out, enforcing DPD action (IKEv1) */
	EV_PEER_DELETE,		/* received DELETE for IKE_SA */
	EV_DELETING,		/* deleting IKE_SA */
	EV_REKEY_FAILED,	/* CHILD_SA / IKE_SA rekeying failed */
	EV_DESTROYING,		/* IKE_SA x[n] state change: ... => DESTROYING */
	EV_CONFIG_ERR,		/* loading connection 'x' failed, ... */
	EV_UNSUPPORTED,		/* algorithm not available in this charon */
	EV_READY,		/* a connection was loaded */
	EV_CHARON_START,	/* charon (re)started: its SAs and unique ids are gone */
	EV_CONN_DUMP,		/*  conn con1: (vici load-conn dump) */
	EV_CONN_REMOTE,		/*   remote_addrs = H (in that dump) */
	EV_CONN_SIDE,		/*   local: / remote: (auth round in that dump) */
	EV_CONN_ID,		/*    id = X (identity of that round) */
	EV_IKE_REKEYED,		/* IKE_SA con1[2] rekeyed / reauthenticated: a successor took over */
	EV_EAP,			/* an EAP step: identity requested or sent, method answer, EAP/FAIL */
	EV_DECISIVE,		/* a catalogue message that names its class on its own */
	EV_INFO,		/* a catalogue message worth showing, not a cause by itself */
	EV_COUNT
};

/* One row of the catalogue. pat: the message with '*' for each variable part (a '*' at the
 * end takes the rest); the message may go on after the pattern. */
struct doctor_pattern {
	const char *pat;
	enum ev ev;
	enum doctor_class cls;	/* what the message means on its own; DOCTOR_NO_CLASS: not a cause */
	bool keep;		/* store the line as evidence (the latest of its event wins) */
	const char *src;	/* where charon logs it (file under src/libcharon/ etc.), "" if several */
	const char *why;	/* one line for the administrator: what it means, why that class */
	int ike_version;	/* 1 or 2 when only that IKE version's code logs this wording */
};

/* Fields a match captures: the '*' runs of its pattern, in order (the rest are not kept). */
#define DOCTOR_EV_CAPS 6

struct doctor_span {
	const char *p;
	size_t n;
};

/* A classified message. */
struct doctor_event {
	enum ev ev;
	const struct doctor_pattern *row;	/* NULL for EV_NONE */
	struct doctor_span cap[DOCTOR_EV_CAPS];
	unsigned n_cap;
	int ike_version;	/* 1 or 2 when the wording is one IKE version's only, else 0 */
};

/* The catalogue: *n rows. */
const struct doctor_pattern *doctor_events_catalogue(size_t *n);

/* The index the matcher needs; build once, read-only afterwards. */
struct doctor_events;
/* A new index; free with doctor_events_free. */
struct doctor_events *doctor_events_new(void);
void doctor_events_free(struct doctor_events *ix);

/* Classify msg[0..n): fills out (out->ev == EV_NONE when no row matches). Returns out->ev. */
enum ev doctor_events_classify(const struct doctor_events *ix, const char *msg, size_t n,
			       struct doctor_event *out);

struct buf;
/* Append the catalogue as the Markdown table of docs/doctor-messages.md (one row per
 * message the matcher knows: message, class, meaning, source). */
void doctor_events_markdown(struct buf *b);

/* Capture k of ev as a number (0 when absent or not a number). */
unsigned long long doctor_events_num(const struct doctor_event *ev, unsigned k);

#endif
