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

/* Feed every line of path ("-" = stdin) to d as a new input labelled with path.
 * Memory stays bounded whatever the size: lines beyond DOCTOR_MAX_LINE are cut. Sets
 * *newest_first when the file was detected as newest-first. Returns 0 or -errno
 * (-EISDIR for a directory). */
int doctor_read_path(struct doctor *d, const char *path, bool *newest_first);

/* Longest IKE SA name taken from a journal entry's IKE_SA_NAME field. */
#define DOCTOR_JOURNAL_NAME_MAX 128

/* Syslog identifiers whose journal entries are charon's. */
#define DOCTOR_JOURNAL_IDS { "charon", "charon-systemd", "ipsec", "charon-custom" }

/* Feed charon's entries of the systemd journal (dir = NULL: the local system journal, else
 * the journal files in dir) since since_usec (0: all) to d as one input labelled "journal";
 * an entry's "line" is its position in that sequence. Returns 0 or -errno. */
int doctor_read_journal(struct doctor *d, const char *dir, uint64_t since_usec);

#endif
