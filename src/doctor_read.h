/* doctor_read.h - stream log files line by line into a doctor analysis, in chronological
 * order: newest-first files (pfSense/OPNsense GUI copies) are read backwards. */
#ifndef TUNNELCTL_DOCTOR_READ_H
#define TUNNELCTL_DOCTOR_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "doctor_rules.h"

/* Read size per block (forward and backward). */
#define DOCTOR_READ_BLOCK (256u * 1024u)
/* Timestamped lines looked at to decide whether a file is newest-first. */
#define DOCTOR_ORDER_PROBE_LINES 400

/* A paste is taken as hard-wrapped (by a mail client, forum or terminal) when its longest
 * line is between these widths and it mixes prefixed lines with bare ones. */
#define DOCTOR_WRAP_MIN_COL 60
#define DOCTOR_WRAP_MAX_COL 256
/* Most bytes taken from standard input, a pipe or a FIFO (spooled to a temporary file
 * so it can be probed and read backwards); more is refused with -EFBIG. */
#define DOCTOR_SPOOL_MAX (1ull << 30)
/* Longest wait for the next bytes of a FIFO or pipe named as LOG (not standard input). */
#define DOCTOR_STREAM_IDLE_MS 60000

/* Limits of one read; doctor_read_path uses the constants above. */
/* Files from this size on are parsed on one thread and classified and fed on another (the
 * verdicts are the same; a bigger log takes about two thirds of the time on two cores). */
#define DOCTOR_PIPE_MIN (4u * 1024u * 1024u)

struct doctor_read_limits {
	uint64_t spool_max;	/* bytes from a stream */
	int idle_ms;		/* wait for a named FIFO or pipe */
	uint64_t pipe_min;	/* files from this size on are read on two threads (0: never) */
};

/* Feed every line of path ("-" = stdin) to d as a new input labelled with path.
 * Memory stays bounded whatever the size: lines beyond DOCTOR_MAX_LINE are cut. Lines a
 * mail client or forum wrapped are joined back (evidence: the first line's number, the
 * joined text). Regular files are read in place; standard input, pipes and FIFOs are
 * spooled, at most DOCTOR_SPOOL_MAX bytes. Sets *newest_first when the file was detected as
 * newest-first. Returns 0 or -errno: -EISDIR a directory, -ENODEV a device or socket,
 * -EFBIG a stream beyond DOCTOR_SPOOL_MAX, -ETIMEDOUT a named FIFO or pipe silent for
 * DOCTOR_STREAM_IDLE_MS. */
int doctor_read_path(struct doctor *d, const char *path, bool *newest_first);

/* doctor_read_path with other limits (tests use small ones). */
int doctor_read_path_limits(struct doctor *d, const char *path,
			    const struct doctor_read_limits *lim, bool *newest_first);

/* Longest IKE SA name taken from a journal entry's IKE_SA_NAME field. */
#define DOCTOR_JOURNAL_NAME_MAX 128

/* Syslog identifiers whose journal entries are charon's. */
#define DOCTOR_JOURNAL_IDS { "charon", "charon-systemd", "ipsec", "charon-custom" }

/* Feed charon's entries of the systemd journal (dir = NULL: the local system journal, else
 * the journal files in dir) since since_usec (0: all) to d as one input labelled "journal";
 * an entry's "line" is its position in that sequence. Returns 0 or -errno. */
int doctor_read_journal(struct doctor *d, const char *dir, uint64_t since_usec);

#endif
