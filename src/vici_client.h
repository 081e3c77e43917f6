/* vici_client.h - a connection to charon's VICI socket: commands, streamed commands, events.
 *
 * One command in flight per connection (VICI's rule). Every wait has a deadline (poll, no
 * sleeps), absolute for a whole command however many packets arrive meanwhile; events that
 * arrive while a command is in flight are queued for vici_client_wait_event, within
 * VICI_CLIENT_MAX_QUEUE events and VICI_CLIENT_MAX_QUEUE_BYTES; past that they are dropped and
 * counted (vici_client_dropped), since every reader re-lists SAs anyway. Errors come back as -errno plus a sentence in *err (caller frees)
 * that a user can act on, e.g. "charon is not running (no VICI socket at /var/run/charon.vici)".
 */
#ifndef TUNNELCTL_VICI_CLIENT_H
#define TUNNELCTL_VICI_CLIENT_H

#include <stddef.h>
#include "vici.h"

#define VICI_CLIENT_MAX_QUEUE 1024	/* events queued while a command runs; more are dropped */
#define VICI_CLIENT_MAX_QUEUE_BYTES (1024u * 1024u)	/* and their wire size; more are dropped */
#define VICI_CLIENT_MAX_STREAM_BYTES (16u * 1024u * 1024u)	/* one streamed command's events */
#define VICI_CLIENT_READ_CHUNK 65536	/* bytes read from the socket at a time */

struct vici_client;

/* Connect to a VICI URI (unix:///path, or a plain /path). 0, or -errno with *err set. */
int vici_client_connect(const char *uri, int timeout_ms, struct vici_client **out, char **err);

/* Send command cmd with msg (NULL: empty message) and wait for its response (timeout_ms < 0:
 * forever). *reply gets the response message (caller frees with vici_node_free). 0, or -errno
 * with *err set (-ENOTSUP: charon does not know the command; -ETIMEDOUT; -EPIPE: charon went away). */
int vici_client_request(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			int timeout_ms, struct vici_node **reply, char **err);

/* Send a command without waiting for its response (a long initiate on a connection of its
 * own); collect the response with vici_client_response once the fd is readable. 0 or -errno. */
int vici_client_send(struct vici_client *c, const char *cmd, const struct vici_msg *msg, int timeout_ms,
		     char **err);
/* Wait for the response to the command sent with vici_client_send; events are queued.
 * Same returns as vici_client_request. */
int vici_client_response(struct vici_client *c, int timeout_ms, struct vici_node **reply, char **err);

/* A streamed command (list-sas, list-conns, ...): register for event, send cmd, collect every
 * event of that name until the response, unregister. *events (caller frees each and the array)
 * and *n_events get the collected messages; *reply, if not NULL, the response. -E2BIG when
 * they exceed VICI_CLIENT_MAX_STREAM_BYTES on the wire (nothing is returned then). */
int vici_client_stream(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
		       const char *event, int timeout_ms, struct vici_node ***events, size_t *n_events,
		       char **err);
/* vici_client_stream in two halves, so the caller can work while charon answers: _begin
 * registers for event and sends cmd; _end collects the events until the response and
 * unregisters, with the same returns. Nothing else may be sent in between. */
int vici_client_stream_begin(struct vici_client *c, const char *cmd, const struct vici_msg *msg,
			     const char *event, int timeout_ms, char **err);
int vici_client_stream_end(struct vici_client *c, const char *cmd, const char *event, int timeout_ms,
			   struct vici_node ***events, size_t *n_events, char **err);
/* vici_client_stream_end handing each event to each(arg, msg) as it arrives (each takes msg:
 * vici_node_free it), so the caller's work on the first events overlaps charon's sending of
 * the rest. Same returns; the events already handed over stay the caller's on failure. */
int vici_client_stream_each(struct vici_client *c, const char *cmd, const char *event, int timeout_ms,
			    void (*each)(void *arg, struct vici_node *msg), void *arg, char **err);

/* Register for / unregister from a named event (ike-updown, child-updown, log, ...). 0, -ENOENT
 * (charon does not know the event), or -errno with *err set. */
int vici_client_register(struct vici_client *c, const char *event, int timeout_ms, char **err);
int vici_client_unregister(struct vici_client *c, const char *event, int timeout_ms, char **err);

/* Wait for the next event (queued ones first). *name (caller frees) and *msg (vici_node_free)
 * are set on success. 0, -ETIMEDOUT (no event within timeout_ms), or -errno with *err set. */
int vici_client_wait_event(struct vici_client *c, int timeout_ms, char **name, struct vici_node **msg,
			   char **err);

/* Events dropped because the queue was full, since the last call (which resets the count):
 * when not 0 the reader must re-list what the events would have told it. */
size_t vici_client_dropped(struct vici_client *c);

/* True when an event is queued or buffered (poll the fd only when this is false). */
int vici_client_pending(const struct vici_client *c);
/* The socket, for poll() in an event loop. */
int vici_client_fd(const struct vici_client *c);

/* Close and free; NULL is fine. */
void vici_client_close(struct vici_client *c);

#endif
