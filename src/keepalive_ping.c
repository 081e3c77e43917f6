/* keepalive_ping.c - raw ICMP for the keep-alive: echo requests through tunnels (ping hosts,
 * each from an address inside its phase 2's local network) and to gateways, their replies, and
 * the ping hosts' loss and resend timers. What a loss means is keepalive.c's decision. */
#include "keepalive_ping.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keepalive.h"
#include "util.h"

#define KEEPALIVE_PING_ICMP_FILTER 1	/* linux/icmp.h's ICMP_FILTER (that header clashes with glibc's) */

void keepalive_ping_icmp_init(struct keepalive_icmp *ic)
{
	ic->echo_id = (uint16_t)(getpid() & 0xffff);
	ic->fd[0] = ic->fd[1] = -1;
	ic->seq = 0;
}

void keepalive_ping_icmp_close(struct keepalive_icmp *ic)
{
	for (size_t i = 0; i < 2; i++)
		if (ic->fd[i] >= 0)
			close(ic->fd[i]);
	ic->fd[0] = ic->fd[1] = -1;
}

bool keepalive_ping_addr_parse(const char *addr, struct sockaddr_storage *dst, socklen_t *len, int *family)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)dst;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		*family = AF_INET;
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		*family = AF_INET6;
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
	} else {
		return false;
	}
	return true;
}

bool keepalive_ping_init(struct keepalive_ping *p, size_t target, const struct tunnel_phase2 *p2)
{
	memset(p, 0, sizeof(*p));
	p->target = target;
	snprintf(p->host, sizeof(p->host), "%s", p2->ping_host);
	if (!keepalive_ping_addr_parse(p2->ping_host, &p->dst, &p->dst_len, &p->family))
		return false;	/* tunnel.c accepts addresses only: nothing to ping */
	p->local = xstrdup(p2->local ? p2->local : "");
	return true;
}

void keepalive_ping_close(struct keepalive_ping *p)
{
	free(p->local);
	p->local = NULL;
}

/* Does addr (family fam) fall inside the CIDR or address text net? */
static bool in_net(int fam, const void *addr, const char *net)
{
	unsigned char want[16];
	const unsigned char *a = addr;
	char tmp[INET6_ADDRSTRLEN + 4];
	const char *slash = strchr(net, '/');
	size_t len = slash ? (size_t)(slash - net) : strlen(net);
	unsigned plen, max = fam == AF_INET ? 32 : 128;

	if (len >= sizeof(tmp))
		return false;
	memcpy(tmp, net, len);
	tmp[len] = '\0';
	if (inet_pton(fam, tmp, want) != 1)
		return false;
	plen = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : max;
	if (plen > max)
		return false;
	for (unsigned i = 0; i < plen; i++) {
		unsigned bit = 0x80u >> (i % 8);
		if ((a[i / 8] & bit) != (want[i / 8] & bit))
			return false;
	}
	return true;
}

/* The first address of this machine inside the phase 2 local selectors (pfSense's choice). */
static bool find_source(struct keepalive_ping *p)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) != 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		const void *a;
		if (!i->ifa_addr || i->ifa_addr->sa_family != p->family)
			continue;
		a = p->family == AF_INET ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
					 : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		char *nets = xstrdup(p->local), *save = NULL;
		for (char *n = strtok_r(nets, ", ", &save); n && !found; n = strtok_r(NULL, ", ", &save)) {
			if (in_net(p->family, a, n)) {
				p->src_len = p->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
				memcpy(&p->src, i->ifa_addr, p->src_len);
				found = true;
			}
		}
		free(nets);
	}
	freeifaddrs(ifs);
	return found;
}

/* The raw ICMP socket of a family, opened on first use, passing only echo replies. 0 or -errno. */
static int icmp_socket(struct keepalive_icmp *ic, int family, int *fd)
{
	int *sock = &ic->fd[family == AF_INET ? 0 : 1];
	int rc;

	if (*sock < 0) {
		int s = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (s < 0)
			return -errno;
		if (family == AF_INET) {
			uint32_t blocked = ~(1u << ICMP_ECHOREPLY);	/* a bit per ICMP type */
			rc = setsockopt(s, SOL_RAW, KEEPALIVE_PING_ICMP_FILTER, &blocked, sizeof(blocked));
		} else {
			struct icmp6_filter f;
			ICMP6_FILTER_SETBLOCKALL(&f);
			ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
			rc = setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
		}
		if (rc != 0) {
			rc = -errno;
			close(s);
			return rc;
		}
		*sock = s;
	}
	*fd = *sock;
	return 0;
}

static uint16_t icmp_checksum(const unsigned char *data, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (len & 1)
		sum += (uint32_t)(data[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An ICMP echo request of ours (identifier echo_id, the next sequence number) into pkt;
 * returns the sequence number. */
static uint16_t echo_build(struct keepalive_icmp *ic, int family, const char payload[KEEPALIVE_PING_PAYLOAD],
			   unsigned char pkt[8 + KEEPALIVE_PING_PAYLOAD])
{
	uint16_t seq = ++ic->seq;

	memset(pkt, 0, 8 + KEEPALIVE_PING_PAYLOAD);
	pkt[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (unsigned char)(ic->echo_id >> 8);
	pkt[5] = (unsigned char)(ic->echo_id & 0xff);
	pkt[6] = (unsigned char)(seq >> 8);
	pkt[7] = (unsigned char)(seq & 0xff);
	memcpy(pkt + 8, payload, KEEPALIVE_PING_PAYLOAD);
	if (family == AF_INET) {	/* the kernel sums ICMPv6 itself */
		uint16_t ck = icmp_checksum(pkt, 8 + KEEPALIVE_PING_PAYLOAD);
		pkt[2] = (unsigned char)(ck >> 8);
		pkt[3] = (unsigned char)(ck & 0xff);
	}
	return seq;
}

bool keepalive_ping_addr_equal(int family, const struct sockaddr_storage *from, const struct sockaddr_storage *dst)
{
	if (family == AF_INET)
		return ((const struct sockaddr_in *)from)->sin_addr.s_addr == ((const struct sockaddr_in *)dst)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr, &((const struct sockaddr_in6 *)dst)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

static void ping_send(struct keepalive_icmp *ic, struct keepalive_ping *p, int fd, int64_t now)
{
	unsigned char pkt[8 + KEEPALIVE_PING_PAYLOAD];

	p->seq = echo_build(ic, p->family, "tunnelctl ping  ", pkt);
	/* one socket for all pings: the source address of each echo goes in a PKTINFO message */
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr mh = { .msg_name = &p->dst, .msg_namelen = p->dst_len, .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf };
	struct cmsghdr *cm = (struct cmsghdr *)ctl.buf;
	if (p->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((struct sockaddr_in *)&p->src)->sin_addr };
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((struct sockaddr_in6 *)&p->src)->sin6_addr };
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	/* a send error (no route yet, SA being replaced) is a lost echo: the deadline counts it */
	p->send_failed = sendmsg(fd, &mh, 0) < 0;
	p->waiting = true;
	p->deadline = now + KEEPALIVE_PING_TIMEOUT_MS;
}

/* The echo we are waiting for that this reply (identifier already ours) answers, or NULL. */
static struct keepalive_ping *ping_match(struct keepalive_ping *pings, size_t n, int family,
					 const struct sockaddr_storage *from, uint16_t seq)
{
	for (size_t i = 0; i < n; i++) {
		struct keepalive_ping *p = &pings[i];
		if (p->waiting && p->seq == seq && p->family == family && keepalive_ping_addr_equal(family, from, &p->dst))
			return p;
	}
	return NULL;
}

int keepalive_ping_echo_to(struct keepalive_icmp *ic, int family, const struct sockaddr_storage *dst,
			   socklen_t dst_len, const char payload[KEEPALIVE_PING_PAYLOAD], uint16_t *seq)
{
	unsigned char pkt[8 + KEEPALIVE_PING_PAYLOAD];
	int fd = -1, rc = icmp_socket(ic, family, &fd);

	if (rc != 0)
		return rc;
	*seq = echo_build(ic, family, payload, pkt);
	/* a send error (no route) is a lost echo: the deadline counts it */
	(void)!sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)dst, dst_len);
	return 0;
}

void keepalive_ping_read(struct keepalive_icmp *ic, struct keepalive_ping *pings, size_t n_pings, int family, int fd,
			 const struct keepalive_ping_hooks *hooks)
{
	unsigned char buf[1500];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		const unsigned char *icmp = buf;
		size_t len;
		struct keepalive_ping *p;
		uint16_t id, seq;
		if (n < 0)
			return;
		len = (size_t)n;
		if (family == AF_INET) {	/* IPv4 raw sockets deliver the IP header too */
			size_t hl = (size_t)(buf[0] & 0x0f) * 4;
			if (len < hl + 8)
				continue;
			icmp += hl;
		} else if (len < 8) {
			continue;
		}
		if (icmp[0] != (family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
			continue;
		id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
		if (id != ic->echo_id)
			continue;
		if (hooks->gateway_reply(hooks->arg, family, &from, seq))
			continue;
		p = ping_match(pings, n_pings, family, &from, seq);
		if (!p)
			continue;	/* someone else's echo, or one we gave up on */
		p->waiting = false;
		p->losses = 0;
		hooks->answered(hooks->arg, p->target);
		p->next_send = now_ms() + (hooks->once ? 0 : hooks->interval_ms);
		p->done = hooks->once;
	}
}

void keepalive_ping_timers(struct keepalive_icmp *ic, struct keepalive_ping *pings, size_t n, int64_t now,
			   const struct keepalive_ping_hooks *hooks)
{
	for (size_t i = 0; i < n; i++) {
		struct keepalive_ping *p = &pings[i];
		if (p->done)
			continue;
		if (p->waiting && now >= p->deadline) {
			p->waiting = false;
			p->losses++;
			p->next_send = now + (hooks->once ? KEEPALIVE_PING_ONCE_GAP_MS : KEEPALIVE_PING_RETRY_MS);
			if (p->losses >= KEEPALIVE_PING_LOSSES) {
				p->losses = 0;
				p->done = hooks->once;
				p->next_send = now + hooks->interval_ms;
				hooks->dead(hooks->arg, p, now);
			}
		}
		if (p->waiting || now < p->next_send || !hooks->checked)
			continue;
		/* only an installed child can be up but dead */
		if (!hooks->installed(hooks->arg, p->target)) {
			p->losses = 0;
			p->done = hooks->once;
			p->next_send = now + (hooks->once ? 0 : hooks->interval_ms);
			continue;
		}
		int fd = -1, rc;
		if (!p->have_src)
			p->have_src = find_source(p);	/* the address may appear later: look again */
		rc = p->have_src ? icmp_socket(ic, p->family, &fd) : -EADDRNOTAVAIL;
		if (rc != 0) {
			if (!p->warned)
				hooks->disabled(hooks->arg, p, rc);
			p->warned = true;
			p->done = hooks->once;
			p->next_send = now + hooks->interval_ms;
			continue;
		}
		ping_send(ic, p, fd, now);
	}
}
