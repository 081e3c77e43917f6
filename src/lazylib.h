/* lazylib.h - libraries that only some commands use, opened on first use instead of at start.
 *
 * libxml2 (import-pfsense, a config.xml for the doctor), libmicrohttpd (the daemon's web
 * side), libnftables (the firewall), libsystemd (notifications, the journal, D-Bus) and zlib
 * (bundle) pull in 25 further shared objects; loading them at every start cost status and
 * compile about 20 ms and 6 MB (docs/decisions.md, "Start-up").
 * The lazylib_*.c files define those libraries' functions that tunnelctl calls, with the
 * libraries' own prototypes; each looks the real function up here when called (the library
 * is opened by the first call into it, once). */
#ifndef TUNNELCTL_LAZYLIB_H
#define TUNNELCTL_LAZYLIB_H

enum lazylib { LAZYLIB_XML2, LAZYLIB_MHD, LAZYLIB_NFT, LAZYLIB_SYSTEMD, LAZYLIB_ZLIB, LAZYLIB_COUNT };

/* The address of function name in lib, opening lib on first use. A library or function
 * that cannot be found is a broken installation: says which on stderr and exits 1, as the
 * dynamic linker would have at start. */
void *lazylib_sym(enum lazylib lib, const char *name);

#endif
