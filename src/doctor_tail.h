/* doctor_tail.h - feed only the recent end of a growing charon log to a doctor analysis, with
 * the lines' true numbers: what the daemon does when a tunnel fails, without re-reading the
 * whole log each time. A cursor remembers a line boundary and its number between calls. */
#ifndef TUNNELCTL_DOCTOR_TAIL_H
#define TUNNELCTL_DOCTOR_TAIL_H

#include <stddef.h>
#include <sys/types.h>

#include "doctor_rules.h"

#define DOCTOR_TAIL_MAX (1024u * 1024u)	/* bytes of recent log the daemon diagnoses */

/* Where the last call left off: a line start, its 1-based number, and which file it was. */
struct doctor_tail {
	off_t off;
	unsigned long line;
	dev_t dev;
	ino_t ino;
};

/* Feed the last max bytes of path (whole lines, numbered as in the file) to d as a new input.
 * cur must start zeroed and be kept for the next call; a rotated or truncated file starts
 * over. Returns 0 or -errno. */
int doctor_tail_read(struct doctor *d, const char *path, size_t max, struct doctor_tail *cur);

#endif
