#!/usr/bin/env python3
"""nlrecord.py - record what the kernel answers on netlink (test tooling, not product code).

  nlrecord.py policies OUT      XFRM_MSG_GETPOLICY dump of this network namespace -> OUT
  nlrecord.py route DST OUT     RTM_GETROUTE for DST (RTM_F_LOOKUP_TABLE) -> OUT

OUT gets the datagrams as received, back to back (whole netlink messages): the input of
xfrm_nl_decode_policies / xfrm_nl_decode_route in tests/unit/test_trace.c and the seed corpus
of tests/fuzz/fuzz_xfrm.c.
"""
import ipaddress
import socket
import struct
import sys

NETLINK_XFRM, XFRM_MSG_GETPOLICY = 6, 0x15
RTM_GETROUTE, RTM_F_LOOKUP_TABLE, RTA_DST = 26, 0x1000, 1
NLM_F_REQUEST, NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR = 1, 0x300, 3, 2


def messages_done(data):
    off = 0
    while off + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, off)
        if mtype in (NLMSG_DONE, NLMSG_ERROR) or length < 16:
            return True
        off += (length + 3) & ~3
    return False


def policies(out):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    s.send(struct.pack("=IHHII", 16, XFRM_MSG_GETPOLICY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0))
    rec = b""
    while True:
        d = s.recv(65536)
        rec += d
        if messages_done(d):
            break
    open(out, "wb").write(rec)


def route(dst, out):
    a = ipaddress.ip_address(dst)
    fam = socket.AF_INET6 if a.version == 6 else socket.AF_INET
    rtm = struct.pack("=BBBBBBBBI", fam, a.max_prefixlen, 0, 0, 0, 0, 0, 0, RTM_F_LOOKUP_TABLE)
    attr = struct.pack("=HH", 4 + len(a.packed), RTA_DST) + a.packed
    body = rtm + attr
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.send(struct.pack("=IHHII", 16 + len(body), RTM_GETROUTE, NLM_F_REQUEST, 1, 0) + body)
    open(out, "wb").write(s.recv(65536))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "policies":
        policies(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "route":
        route(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
