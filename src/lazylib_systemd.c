/* lazylib_systemd.c - the libsystemd functions tunnelctl calls (daemon and keep-alive
 * notifications, the journal for logs and doctor, service start/stop over D-Bus), found on
 * first use (lazylib.h). The variadic sd_journal_send and sd_bus_call_method are not among
 * them: their callers use the iovec and message forms. */
#include <stdint.h>
#include <sys/uio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
/* the journal functions themselves, not the macros that add a code location */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "lazylib.h"

int sd_notify(int unset_environment, const char *state)
{
	int (*fn)(int, const char *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_notify");
	return fn(unset_environment, state);
}

int sd_journal_sendv(const struct iovec *iov, int n)
{
	int (*fn)(const struct iovec *, int) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_sendv");
	return fn(iov, n);
}

int sd_journal_open(sd_journal **ret, int flags)
{
	int (*fn)(sd_journal **, int) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_open");
	return fn(ret, flags);
}

int sd_journal_open_directory(sd_journal **ret, const char *path, int flags)
{
	int (*fn)(sd_journal **, const char *, int) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_open_directory");
	return fn(ret, path, flags);
}

void sd_journal_close(sd_journal *j)
{
	void (*fn)(sd_journal *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_close");
	fn(j);
}

int sd_journal_add_match(sd_journal *j, const void *data, size_t size)
{
	int (*fn)(sd_journal *, const void *, size_t) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_add_match");
	return fn(j, data, size);
}

int sd_journal_add_disjunction(sd_journal *j)
{
	int (*fn)(sd_journal *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_add_disjunction");
	return fn(j);
}

int sd_journal_seek_head(sd_journal *j)
{
	int (*fn)(sd_journal *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_seek_head");
	return fn(j);
}

int sd_journal_seek_realtime_usec(sd_journal *j, uint64_t usec)
{
	int (*fn)(sd_journal *, uint64_t) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_seek_realtime_usec");
	return fn(j, usec);
}

int sd_journal_next(sd_journal *j)
{
	int (*fn)(sd_journal *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_next");
	return fn(j);
}

int sd_journal_get_data(sd_journal *j, const char *field, const void **data, size_t *l)
{
	int (*fn)(sd_journal *, const char *, const void **, size_t *) =
		lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_get_data");
	return fn(j, field, data, l);
}

int sd_journal_get_realtime_usec(sd_journal *j, uint64_t *ret)
{
	int (*fn)(sd_journal *, uint64_t *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_journal_get_realtime_usec");
	return fn(j, ret);
}

int sd_bus_open_system(sd_bus **ret)
{
	int (*fn)(sd_bus **) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_open_system");
	return fn(ret);
}

sd_bus *sd_bus_unref(sd_bus *bus)
{
	sd_bus *(*fn)(sd_bus *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_unref");
	return fn(bus);
}

int sd_bus_message_new_method_call(sd_bus *bus, sd_bus_message **m, const char *destination,
				   const char *path, const char *interface, const char *member)
{
	int (*fn)(sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *) =
		lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_message_new_method_call");
	return fn(bus, m, destination, path, interface, member);
}

int sd_bus_message_append_basic(sd_bus_message *m, char type, const void *p)
{
	int (*fn)(sd_bus_message *, char, const void *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_message_append_basic");
	return fn(m, type, p);
}

int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error, sd_bus_message **reply)
{
	int (*fn)(sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **) =
		lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_call");
	return fn(bus, m, usec, ret_error, reply);
}

sd_bus_message *sd_bus_message_unref(sd_bus_message *m)
{
	sd_bus_message *(*fn)(sd_bus_message *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_message_unref");
	return fn(m);
}

void sd_bus_error_free(sd_bus_error *e)
{
	void (*fn)(sd_bus_error *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_error_free");
	fn(e);
}

int sd_bus_error_has_name(const sd_bus_error *e, const char *name)
{
	int (*fn)(const sd_bus_error *, const char *) = lazylib_sym(LAZYLIB_SYSTEMD, "sd_bus_error_has_name");
	return fn(e, name);
}
