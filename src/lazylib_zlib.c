/* lazylib_zlib.c - the zlib functions tarball.c (and its test) call, found on first use
 * (lazylib.h). deflateInit2 and inflateInit2 are macros around the _-suffixed functions. */
#include <zlib.h>

#include "lazylib.h"

int deflateInit2_(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
		  const char *version, int stream_size)
{
	int (*fn)(z_streamp, int, int, int, int, int, const char *, int) = lazylib_sym(LAZYLIB_ZLIB, "deflateInit2_");
	return fn(strm, level, method, windowBits, memLevel, strategy, version, stream_size);
}

int deflate(z_streamp strm, int flush)
{
	int (*fn)(z_streamp, int) = lazylib_sym(LAZYLIB_ZLIB, "deflate");
	return fn(strm, flush);
}

int deflateEnd(z_streamp strm)
{
	int (*fn)(z_streamp) = lazylib_sym(LAZYLIB_ZLIB, "deflateEnd");
	return fn(strm);
}

uLong deflateBound(z_streamp strm, uLong sourceLen)
{
	uLong (*fn)(z_streamp, uLong) = lazylib_sym(LAZYLIB_ZLIB, "deflateBound");
	return fn(strm, sourceLen);
}

int inflateInit2_(z_streamp strm, int windowBits, const char *version, int stream_size)
{
	int (*fn)(z_streamp, int, const char *, int) = lazylib_sym(LAZYLIB_ZLIB, "inflateInit2_");
	return fn(strm, windowBits, version, stream_size);
}

int inflate(z_streamp strm, int flush)
{
	int (*fn)(z_streamp, int) = lazylib_sym(LAZYLIB_ZLIB, "inflate");
	return fn(strm, flush);
}

int inflateEnd(z_streamp strm)
{
	int (*fn)(z_streamp) = lazylib_sym(LAZYLIB_ZLIB, "inflateEnd");
	return fn(strm);
}
