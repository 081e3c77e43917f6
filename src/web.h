/* web.h - the daemon's HTTP side: status page, /api/status and /metrics (libmicrohttpd).
 *
 * The server runs no thread of its own. MHD is started in epoll mode without an internal
 * polling thread, so the whole server is one file descriptor: the owner polls web_fd() for
 * POLLIN with a timeout no longer than web_timeout_ms(), and calls web_run() when it is
 * readable or the timeout expired. Every request is answered from the owner's cached status
 * document (web_source.status); the web side never talks to charon.
 *
 * Read-only: GET and HEAD only (405 otherwise). Loopback listeners need no token; any other
 * address needs a token file (0600), and then every request must carry
 * "Authorization: Bearer TOKEN" (or HTTP Basic with user "tunnelctl" and the token as the
 * password, for browsers); 401 otherwise, and the connection is closed.
 *
 * Slow clients cannot hold the server: at most WEB_MAX_PER_ADDRESS connections per address,
 * a request head must be complete WEB_HEAD_DEADLINE_MS after accept (or after the previous
 * response), and a connection beyond WEB_MAX_CONNECTIONS evicts the oldest one still waiting
 * for its head, so a client that sends its request at once always reaches the token check.
 */
#ifndef TUNNELCTL_WEB_H
#define TUNNELCTL_WEB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define WEB_DEFAULT_LISTEN "127.0.0.1:8714"
#define WEB_MAX_TOKEN 4096		/* token file size limit */
#define WEB_MIN_TOKEN 16		/* shorter tokens are refused */
#define WEB_MAX_CONNECTIONS 64		/* concurrent HTTP connections; a new one beyond this cuts
					 * the oldest connection still waiting for its request head */
#define WEB_MAX_PER_ADDRESS 8		/* concurrent connections from one client address */
#define WEB_HEAD_DEADLINE_MS 3000	/* from accept (or the last response) to a complete request head */
#define WEB_CONNECTION_TIMEOUT 10	/* seconds an idle connection is kept */

/* Where the server gets its data: the owner's cache, read on the owner's thread. */
struct web_source {
	/* The current status document (docs/web.md: status --json plus the daemon's fields) as
	 * a new reference the caller drops, or NULL when there is none yet (503). *generation
	 * changes whenever the document does; equal generations mean an equal document. */
	json_t *(*status)(void *arg, uint64_t *generation);
	void *arg;
};

struct web_server;

/* Start serving on listen ("ADDR:PORT", "[V6ADDR]:PORT"; NULL = WEB_DEFAULT_LISTEN).
 * token_file is required for a non-loopback address and optional on loopback. src is copied.
 * Returns 0 and *out, or -errno with *err (caller frees) saying why. */
int web_start(const char *listen, const char *token_file, const struct web_source *src,
	      struct web_server **out, char **err);
/* The one descriptor the owner polls for POLLIN. */
int web_fd(const struct web_server *ws);
/* The port bound (the real one after listening on port 0). */
unsigned web_port(const struct web_server *ws);
/* Milliseconds until web_run() must be called even without input; -1 = no deadline. */
int web_timeout_ms(const struct web_server *ws);
/* Accept, read and answer what is ready; never blocks. 0 or -EIO. */
int web_run(struct web_server *ws);
/* Close every connection and free the server (token wiped); NULL is fine. */
void web_stop(struct web_server *ws);

/* Split "ADDR:PORT" or "[ADDR]:PORT" into a numeric address and port and say whether it is
 * loopback. Pure. 0 or -EINVAL. */
int web_parse_listen(const char *listen, char addr[64], unsigned *port, bool *loopback);

#endif
