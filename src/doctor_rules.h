/* doctor_rules.h - diagnosis: charon log events grouped per IKE SA and per tunnel, turned
 * into one verdict per tunnel by a table of rules (match, class, evidence, fix). Pure: the
 * caller reads the files and feeds parsed lines; nothing here does I/O or prints. */
#ifndef TUNNELCTL_DOCTOR_RULES_H
#define TUNNELCTL_DOCTOR_RULES_H

#include <stddef.h>

#include "doctor_events.h"
#include "doctor_log.h"

/* Evidence lines kept per verdict, and the longest evidence text kept (cut beyond). */
#define DOCTOR_MAX_EVIDENCE 8
#define DOCTOR_MAX_EVIDENCE_TEXT 512
/* Traffic (bytes/s through the CHILD_SAs) from which a lost SA counts as lost under heavy
 * load: about 8 Mbit/s, a lot for the small CPU-bound boxes the hint is about. */
#define DOCTOR_HEAVY_TRAFFIC_BPS 1000000ULL
/* IKE SAs tracked at once; beyond this the oldest is judged and folded into its tunnel. */
#define DOCTOR_MAX_SAS 4096
/* Tunnels reported; more distinct names than this share one "(other tunnels)" entry. */
#define DOCTOR_MAX_TUNNELS 1024

/* One evidence line: input index (see doctor_add_input), 1-based line number, the line. */
struct doctor_evidence {
	unsigned input;
	unsigned long line;
	char *text;
};

/* One verdict; all strings owned by the analysis. */
struct doctor_verdict {
	enum doctor_class cls;
	char *tunnel;		/* IKE SA name (conN), or "peer ADDR" when charon never named it */
	const char *side;	/* "initiator", "responder" or "unknown": role of the deciding log */
	char *summary;		/* one sentence in the user's terms */
	char *fix;		/* tunnel-file key(s) to change, with the pfSense GUI field */
	struct doctor_evidence ev[DOCTOR_MAX_EVIDENCE];
	size_t n_ev;
};

struct doctor;

/* A fresh analysis; free with doctor_free. */
struct doctor *doctor_new(void);
/* Register an input (a file or stdin); returns its index, used in evidence. */
unsigned doctor_add_input(struct doctor *d, const char *label);
/* Feed line number lineno (1-based) of input `input`: its parse result and the raw line
 * (evidence text). Lines must come in file order per input; inputs one after the other. */
void doctor_feed(struct doctor *d, unsigned input, unsigned long lineno,
		 const struct doctor_line *l, const char *raw, size_t raw_len);
/* The two halves of doctor_feed, for a reader that classifies on one thread and feeds on
 * another: doctor_classify only reads d's message index (safe beside doctor_feed_event, which
 * changes the analysis); e's captures point into l->msg, which must outlive the feed. */
void doctor_classify(const struct doctor *d, const struct doctor_line *l, struct doctor_event *e);
void doctor_feed_event(struct doctor *d, unsigned input, unsigned long lineno,
		       const struct doctor_line *l, const struct doctor_event *e, const char *raw,
		       size_t raw_len);
/* Judge everything fed so far; *out points at the verdicts (most important first), valid
 * until doctor_free. Returns the count. Call once, after the last doctor_feed. */
size_t doctor_finish(struct doctor *d, const struct doctor_verdict **out);
/* IKE SAs seen without any outcome (no establishment, no failure): attempts the logs cut
 * short. Valid after doctor_finish. */
size_t doctor_undecided(const struct doctor *d);
/* Inputs added so far (the next one gets this index). */
unsigned doctor_input_count(const struct doctor *d);
/* Lines of an input that are charon's (a charon prefix, or a message the catalogue knows):
 * 0 means the input is not a charon log. */
unsigned long doctor_input_charon_lines(const struct doctor *d, unsigned input);
/* Label of an input as given to doctor_add_input. */
const char *doctor_input_label(const struct doctor *d, unsigned input);
/* Free an analysis and its verdicts; NULL is fine. */
void doctor_free(struct doctor *d);

#endif
