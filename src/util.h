/* util.h - allocation, growable buffers, errors, atomic file writes, secret wiping. */
#ifndef TUNNELCTL_UTIL_H
#define TUNNELCTL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Largest file tunnelctl reads whole (tunnel file, swanctl.conf, secret file). */
#define TC_MAX_FILE_SIZE (16u * 1024u * 1024u)

/* Allocation that aborts on out-of-memory; never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh allocation; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer that carries its length; data is always NUL-terminated. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hand over the contents (caller frees) and leave the buffer empty. */
char *buf_steal(struct buf *b);
/* Wipe then free: for buffers that held secrets. */
void buf_free_secret(struct buf *b);

/* A list of strings that carries its length; owns the strings and the array. */
struct strv {
	char **v;
	size_t n;
};

/* Append s, taking ownership of it. */
void strv_push(struct strv *l, char *s);
/* Free the strings and the array and leave the list empty; an empty list is fine. */
void strv_free(struct strv *l);

/* One located error or warning: FILE:LINE:COL: message. */
struct tc_error {
	char *file;
	unsigned line;
	unsigned col;
	char *msg;
	bool warning;
};

/* A list of errors and warnings; a parser appends and carries on. */
struct tc_errors {
	struct tc_error *v;
	size_t n;
	size_t cap;
	size_t n_errors;	/* errors added, listed or not */
	size_t n_warnings;	/* warnings added, listed or not */
	size_t n_dropped;	/* added beyond TC_MAX_ERRORS: counted, not kept */
};

/* Entries a list keeps; the rest are only counted (8 M bad lines must not take 1 GB). */
#define TC_MAX_ERRORS 1000

#define TC_ERROR_MSG_MAX 1024	/* longer messages (a huge value quoted) are cut, ending "..." */
void tc_errors_add(struct tc_errors *e, bool warning, const char *file, unsigned line,
		   unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* tc_errors_add with a va_list, for callers' own printf-like wrappers. */
void tc_errors_vadd(struct tc_errors *e, bool warning, const char *file, unsigned line,
		    unsigned col, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
void tc_errors_free(struct tc_errors *e);
/* Sort by file, line, col (stable), so output follows the file. */
void tc_errors_sort(struct tc_errors *e);

struct stat;
/* Read a whole regular file (at most max bytes) into *out (NUL-terminated). The file is opened
 * with O_NONBLOCK (a FIFO cannot block) and its type checked on the descriptor that is read;
 * st (may be NULL) receives that descriptor's stat, so callers check the mode of what they
 * read. nofollow refuses a symlink as the last part. 0 or -errno: -EFBIG larger than max,
 * -EISDIR a directory, -EINVAL not a regular file (FIFO, socket, device), -ELOOP a symlink. */
int file_read_regular(const char *path, size_t max, bool nofollow, struct buf *out, struct stat *st);
/* file_read_regular(path, max, false, out, NULL). */
int file_read_all(const char *path, size_t max, struct buf *out);
/* What a file_read_regular error means, for messages ("file too large", "not a regular file"). */
const char *file_read_strerror(int rc);
/* Write data to path atomically (temp file in the same dir, fsync, rename) with the given mode. 0 or -errno. */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p with mode for the created parts. 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);

/* Zero memory that held a secret, in a way the compiler cannot drop. */
void secret_wipe(void *p, size_t n);
/* Wipe a NUL-terminated secret string and free it; NULL is fine. */
void secret_free(char *s);

/* Base64 encode (standard alphabet, padded) into b. */
void base64_encode(struct buf *b, const unsigned char *data, size_t len);

/* Hex SHA-256 digest of data into out (65 bytes). Used to compare secrets without showing them. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Case-sensitive string equality that accepts NULLs (two NULLs are equal). */
bool str_eq(const char *a, const char *b);
bool str_startswith(const char *s, const char *prefix);
/* True when s equals one of the n strings in list. */
bool str_in_list(const char *s, char *const *list, size_t n);

/* Monotonic clock in milliseconds. */
int64_t now_ms(void);
/* Wall clock (unix time) in milliseconds: what records that other processes sort by carry. */
int64_t wall_ms(void);
/* seconds as "45s", "5m03s", "2h03m", "3d04h" into out. */
void fmt_duration(long long s, char *out, size_t len);

/* The value of one hexadecimal digit, or -1. */
int hex_value(char c);

#endif
