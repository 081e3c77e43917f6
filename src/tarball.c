/* tarball.c - gzip'd ustar in memory; see tarball.h. The format: POSIX.1-1988 ustar header
 * (name, mode, uid, gid, size, mtime as octal text, checksum over the header with the
 * checksum field as spaces, type '0', magic "ustar\0" version "00"), the data padded to a
 * 512-byte block, two zero blocks at the end. */
#include "tarball.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define TARBALL_GZIP_WINDOW (15 + 16)	/* zlib: 32 KiB window, gzip wrapper */

/* An octal number into a field of w bytes: w - 1 digits, NUL-terminated. */
static void octal(unsigned char *field, size_t w, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(w - 1), (unsigned long long)v);
	memcpy(field, tmp, w - 1);
	field[w - 1] = '\0';
}

int tarball_header(unsigned char hdr[TARBALL_BLOCK], const char *name, uint64_t size, int64_t mtime)
{
	size_t n = name ? strlen(name) : 0;
	unsigned sum = 0;

	if (n == 0 || n > TARBALL_NAME_MAX)
		return -ENAMETOOLONG;
	if (size > TARBALL_MAX_MEMBER)
		return -EFBIG;
	memset(hdr, 0, TARBALL_BLOCK);
	memcpy(hdr, name, n);			/* name[100] */
	octal(hdr + 100, 8, 0600);		/* mode */
	octal(hdr + 108, 8, 0);			/* uid */
	octal(hdr + 116, 8, 0);			/* gid */
	octal(hdr + 124, 12, size);		/* size */
	octal(hdr + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);	/* mtime */
	memset(hdr + 148, ' ', 8);		/* chksum: spaces while summing */
	hdr[156] = '0';				/* typeflag: regular file */
	memcpy(hdr + 257, "ustar", 6);		/* magic, NUL included */
	memcpy(hdr + 263, "00", 2);		/* version */
	memcpy(hdr + 265, "root", 4);		/* uname */
	memcpy(hdr + 297, "root", 4);		/* gname */
	for (size_t i = 0; i < TARBALL_BLOCK; i++)
		sum += hdr[i];
	/* six digits, NUL, space: the historical layout every reader accepts */
	snprintf((char *)hdr + 148, 8, "%06o", sum & 0777777u);
	hdr[155] = ' ';
	return 0;
}

int tarball_add(struct tarball *t, const char *name, const void *data, size_t len, int64_t mtime)
{
	unsigned char hdr[TARBALL_BLOCK];
	static const unsigned char zero[TARBALL_BLOCK];
	int rc = tarball_header(hdr, name, len, mtime);

	if (rc != 0)
		return rc;
	buf_add(&t->tar, hdr, sizeof(hdr));
	if (len)
		buf_add(&t->tar, data, len);
	if (len % TARBALL_BLOCK)
		buf_add(&t->tar, zero, TARBALL_BLOCK - len % TARBALL_BLOCK);
	return 0;
}

int tarball_finish(struct tarball *t, struct buf *out)
{
	static const unsigned char zero[2 * TARBALL_BLOCK];
	z_stream z;
	int rc = 0, zr;

	buf_add(&t->tar, zero, sizeof(zero));
	if (t->tar.len > UINT_MAX) {	/* one deflate call takes a uInt */
		tarball_free(t);
		return -EFBIG;
	}
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 9, Z_DEFLATED, TARBALL_GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		tarball_free(t);
		return -ENOMEM;
	}
	buf_reserve(out, deflateBound(&z, (uLong)t->tar.len));
	z.next_in = (Bytef *)t->tar.data;
	z.avail_in = (uInt)t->tar.len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)(out->cap - out->len);
	zr = deflate(&z, Z_FINISH);
	if (zr != Z_STREAM_END)
		rc = -EIO;
	else
		out->len += z.total_out;
	deflateEnd(&z);
	tarball_free(t);
	return rc;
}

void tarball_free(struct tarball *t)
{
	buf_free(&t->tar);
}
