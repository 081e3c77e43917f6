/* keepalive_ping.h - the keep-alive's ICMP side: raw echo sockets, echo requests and replies,
 * and the ping hosts' timers (docs/keepalive.md). Internal to keepalive*.c: keepalive.c decides
 * what a lost or answered echo means; this file only sends, reads and matches. */
#ifndef TUNNELCTL_KEEPALIVE_PING_H
#define TUNNELCTL_KEEPALIVE_PING_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tunnel.h"

#define KEEPALIVE_PING_TIMEOUT_MS 2000	/* an echo without reply by then is lost */
#define KEEPALIVE_PING_RETRY_MS 2000	/* after a loss, probe again this soon (not ping_interval) */
#define KEEPALIVE_PING_ONCE_GAP_MS 1000	/* once mode: probes one second apart */
#define KEEPALIVE_PING_PAYLOAD 16

/* The two raw ICMP sockets and the identifier and sequence numbers of our echoes. */
struct keepalive_icmp {
	int fd[2];			/* [0] IPv4, [1] IPv6; -1 until needed */
	uint16_t echo_id;
	uint16_t seq;
};

/* One ping host of a phase 2. */
struct keepalive_ping {
	size_t target;			/* the keep-alive target (child) it belongs to */
	char host[INET6_ADDRSTRLEN];
	char *local;		/* the phase 2 local selector(s), to find our source address */
	int family;
	struct sockaddr_storage dst, src;
	socklen_t dst_len, src_len;
	bool have_src;		/* src found on this machine */
	unsigned losses;
	uint16_t seq;
	bool waiting;
	int64_t deadline;	/* reply expected by then */
	int64_t next_send;
	bool done;		/* once mode: this host's round is over */
	bool warned;		/* "no local address" logged */
	bool send_failed;	/* the last echo could not even be sent */
};

/* What the ping timers and reader need from the keep-alive engine, and tell it. */
struct keepalive_ping_hooks {
	void *arg;
	bool once;			/* once mode: one round per ping host */
	bool checked;			/* the SA states are known (no echo before the first check) */
	int64_t interval_ms;		/* ping_interval, scaled */
	/* The target's child SA is installed and nothing is in flight for it. */
	bool (*installed)(void *arg, size_t target);
	/* KEEPALIVE_PING_LOSSES echoes lost in a row while installed. */
	void (*dead)(void *arg, const struct keepalive_ping *p, int64_t now);
	/* The host cannot be pinged (-EADDRNOTAVAIL: no local address in the selectors; else the
	 * socket's -errno); called once per host until it can. */
	void (*disabled)(void *arg, const struct keepalive_ping *p, int err);
	/* An echo reply of ours not to a ping host (a gateway echo); true if it was awaited. */
	bool (*gateway_reply)(void *arg, int family, const struct sockaddr_storage *from, uint16_t seq);
	/* A ping host answered through the tunnel. */
	void (*answered)(void *arg, size_t target);
};

/* Sockets closed, echo identifier from the process id. */
void keepalive_ping_icmp_init(struct keepalive_icmp *ic);
/* Close the sockets. */
void keepalive_ping_icmp_close(struct keepalive_icmp *ic);

/* The ping host of p2 for target into *p; false (nothing to free) when ping_host is no address. */
bool keepalive_ping_init(struct keepalive_ping *p, size_t target, const struct tunnel_phase2 *p2);
/* Free what keepalive_ping_init allocated. */
void keepalive_ping_close(struct keepalive_ping *p);

/* One echo request to dst (the kernel picks the source) with our identifier; *seq is its
 * sequence number. A send error counts as a lost echo. 0, or -errno when no socket opens. */
int keepalive_ping_echo_to(struct keepalive_icmp *ic, int family, const struct sockaddr_storage *dst,
			   socklen_t dst_len, const char payload[KEEPALIVE_PING_PAYLOAD], uint16_t *seq);
/* A literal IPv4 or IPv6 address into dst, *len and *family (AF_INET, AF_INET6). False (dst
 * left as it was) when addr is not one. */
bool keepalive_ping_addr_parse(const char *addr, struct sockaddr_storage *dst, socklen_t *len, int *family);
/* Does a reply's source address equal dst (both of family)? */
bool keepalive_ping_addr_equal(int family, const struct sockaddr_storage *from, const struct sockaddr_storage *dst);

/* Read every datagram waiting on fd (the socket of family): a reply to a ping host clears its
 * losses, one to anything else goes to hooks->gateway_reply. */
void keepalive_ping_read(struct keepalive_icmp *ic, struct keepalive_ping *p, size_t n, int family, int fd,
			 const struct keepalive_ping_hooks *hooks);
/* Ping timers: lost replies (hooks->dead after KEEPALIVE_PING_LOSSES), and echoes that are due. */
void keepalive_ping_timers(struct keepalive_icmp *ic, struct keepalive_ping *p, size_t n, int64_t now,
			   const struct keepalive_ping_hooks *hooks);

#endif
