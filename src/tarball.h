/* tarball.h - a gzip-compressed POSIX ustar archive built in memory (`tunnelctl bundle`).
 * Pure: no I/O; the caller writes tarball_finish's bytes (file_write_atomic). Regular files
 * only, names up to TARBALL_NAME_MAX bytes, members up to TARBALL_MAX_MEMBER bytes. */
#ifndef TUNNELCTL_TARBALL_H
#define TUNNELCTL_TARBALL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define TARBALL_BLOCK 512
#define TARBALL_NAME_MAX 99			/* ustar's name field, NUL kept */
#define TARBALL_MAX_MEMBER 07777777777ULL	/* 11 octal digits: 8 GiB - 1 */

/* The archive so far: uncompressed tar bytes. */
struct tarball {
	struct buf tar;
};

/* The 512-byte ustar header of a regular file (mode 0600, owner root) into hdr. 0, or
 * -ENAMETOOLONG (name empty or longer than TARBALL_NAME_MAX), -EFBIG (size too large). */
int tarball_header(unsigned char hdr[TARBALL_BLOCK], const char *name, uint64_t size, int64_t mtime);

/* Append a regular file. 0 or tarball_header's error (nothing appended). */
int tarball_add(struct tarball *t, const char *name, const void *data, size_t len, int64_t mtime);

/* End the archive (two zero blocks) and gzip it into out (level 9). 0, or -ENOMEM / -EIO
 * when zlib fails. t is freed either way. */
int tarball_finish(struct tarball *t, struct buf *out);

/* Free t without finishing (NULL-safe members). */
void tarball_free(struct tarball *t);

#endif
