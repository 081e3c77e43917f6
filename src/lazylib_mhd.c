/* lazylib_mhd.c - the libmicrohttpd functions web.c calls, found on first use (lazylib.h). */
#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "lazylib.h"

/* The variadic start goes through the library's va_list form. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *(*fn)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
				 MHD_AccessHandlerCallback, void *, va_list) =
		lazylib_sym(LAZYLIB_MHD, "MHD_start_daemon_va");
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = fn(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	void (*fn)(struct MHD_Daemon *) = lazylib_sym(LAZYLIB_MHD, "MHD_stop_daemon");
	fn(daemon);
}

enum MHD_Result MHD_run(struct MHD_Daemon *daemon)
{
	enum MHD_Result (*fn)(struct MHD_Daemon *) = lazylib_sym(LAZYLIB_MHD, "MHD_run");
	return fn(daemon);
}

enum MHD_Result MHD_get_timeout(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout)
{
	enum MHD_Result (*fn)(struct MHD_Daemon *, MHD_UNSIGNED_LONG_LONG *) =
		lazylib_sym(LAZYLIB_MHD, "MHD_get_timeout");
	return fn(daemon, timeout);
}

/* The info types web.c asks for take no further argument, so none is passed on. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon,
						enum MHD_DaemonInfoType info_type, ...)
{
	const union MHD_DaemonInfo *(*fn)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...) =
		lazylib_sym(LAZYLIB_MHD, "MHD_get_daemon_info");
	return fn(daemon, info_type);
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	const union MHD_ConnectionInfo *(*fn)(struct MHD_Connection *, enum MHD_ConnectionInfoType, ...) =
		lazylib_sym(LAZYLIB_MHD, "MHD_get_connection_info");
	return fn(connection, info_type);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
					const char *key)
{
	const char *(*fn)(struct MHD_Connection *, enum MHD_ValueKind, const char *) =
		lazylib_sym(LAZYLIB_MHD, "MHD_lookup_connection_value");
	return fn(connection, kind, key);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *(*fn)(size_t, void *, enum MHD_ResponseMemoryMode) =
		lazylib_sym(LAZYLIB_MHD, "MHD_create_response_from_buffer");
	return fn(size, buffer, mode);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
					const char *content)
{
	enum MHD_Result (*fn)(struct MHD_Response *, const char *, const char *) =
		lazylib_sym(LAZYLIB_MHD, "MHD_add_response_header");
	return fn(response, header, content);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	enum MHD_Result (*fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *) =
		lazylib_sym(LAZYLIB_MHD, "MHD_queue_response");
	return fn(connection, status_code, response);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	void (*fn)(struct MHD_Response *) = lazylib_sym(LAZYLIB_MHD, "MHD_destroy_response");
	fn(response);
}
