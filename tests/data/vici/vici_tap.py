#!/usr/bin/env python3
"""vici_tap.py - record raw VICI bytes from a real charon (test tooling, not product code).

  vici_tap.py relay LISTEN UPSTREAM OUT
      Listen on the unix socket LISTEN, accept one client (e.g. swanctl --uri unix://LISTEN),
      relay it to charon's socket UPSTREAM and record what charon sends to OUT.bin and what
      the client sends to OUT.req.bin. Returns (daemonised) once listening; the background
      relay writes its pid to OUT.pid and ends when either side closes.

  vici_tap.py raw SOCKET OUT [--register EVENT]... [--command NAME]... [--events N] [--timeout S]
                 [--background]
      Send EVENT_REGISTER for each EVENT and CMD_REQUEST (empty message) for each NAME, then
      keep reading until N EVENT packets arrived (default 0) or S seconds passed; record what
      charon sent to OUT.bin. For packets swanctl never sends (unknown commands, rekey events).
      --background returns once charon confirmed the registrations and goes on in the
      background, writing its pid to OUT.pid.

  vici_tap.py dump FILE
      Print the packets recorded in FILE, one element per line (to read a recording).
"""
import os
import select
import socket
import struct
import sys
import time

CMD_REQUEST, EVENT_REGISTER, EVENT = 0, 3, 7


def packet(ptype, name=b"", msg=b""):
    data = bytes([ptype]) + bytes([len(name)]) + name + msg
    return struct.pack(">I", len(data)) + data


def relay(listen, upstream, out):
    if os.path.exists(listen):
        os.unlink(listen)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(listen)
    srv.listen(1)
    pid = os.fork()
    if pid:
        with open(out + ".pid", "w") as f:
            f.write("%d\n" % pid)
        return
    cli, _ = srv.accept()
    srv.close()
    os.unlink(listen)
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(upstream)
    with open(out + ".bin", "wb") as s2c, open(out + ".req.bin", "wb") as c2s:
        peers = {cli: (up, c2s), up: (cli, s2c)}
        while True:
            r, _, _ = select.select(list(peers), [], [])
            done = False
            for s in r:
                data = s.recv(65536)
                if not data:
                    done = True
                    break
                dst, rec = peers[s]
                rec.write(data)
                dst.sendall(data)
            if done:
                break
    os._exit(0)


def count_events(buf):
    n, pos = 0, 0
    while len(buf) - pos >= 5:
        (l,) = struct.unpack(">I", buf[pos:pos + 4])
        if len(buf) - pos - 4 < l:
            break
        if buf[pos + 4] == EVENT:
            n += 1
        pos += 4 + l
    return n


def raw(sock, out, args):
    regs, cmds, want, timeout, bg = [], [], 0, 5.0, False
    it = iter(args)
    for a in it:
        if a == "--register":
            regs.append(next(it).encode())
        elif a == "--command":
            cmds.append(next(it).encode())
        elif a == "--events":
            want = int(next(it))
        elif a == "--timeout":
            timeout = float(next(it))
        elif a == "--background":
            bg = True
        else:
            sys.exit("unknown option " + a)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    got = b""
    for e in regs:
        s.sendall(packet(EVENT_REGISTER, e))
    while len(split(got)) < len(regs):
        data = s.recv(5)
        if not data:
            break
        got += data
    if bg:
        pid = os.fork()
        if pid:
            with open(out + ".pid", "w") as f:
                f.write("%d\n" % pid)
            return
    for c in cmds:
        s.sendall(packet(CMD_REQUEST, c))
    end = time.monotonic() + timeout
    while time.monotonic() < end and (want == 0 or count_events(got) < want):
        r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
        if not r:
            continue
        data = s.recv(65536)
        if not data:
            break
        got += data
        if want == 0 and not regs:
            # commands only: stop once every command got its answer
            if len(split(got)) >= len(cmds):
                break
    with open(out + ".bin", "wb") as f:
        f.write(got)
    if bg:
        os._exit(0)


def split(buf):
    segs, pos = [], 0
    while len(buf) - pos >= 4:
        (l,) = struct.unpack(">I", buf[pos:pos + 4])
        if len(buf) - pos - 4 < l:
            break
        segs.append(buf[pos:pos + 4 + l])
        pos += 4 + l
    return segs


TYPES = ["CMD_REQUEST", "CMD_RESPONSE", "CMD_UNKNOWN", "EVENT_REGISTER", "EVENT_UNREGISTER",
         "EVENT_CONFIRM", "EVENT_UNKNOWN", "EVENT"]


def dump(path):
    buf = open(path, "rb").read()
    for seg in split(buf):
        t, pos = seg[4], 5
        name = b""
        if t in (0, 3, 4, 7):
            name = seg[pos + 1:pos + 1 + seg[pos]]
            pos += 1 + seg[pos]
        print("%s %s" % (TYPES[t] if t < len(TYPES) else t, name.decode(errors="replace")))
        ind = 1
        while pos < len(seg):
            e = seg[pos]
            pos += 1
            if e in (1, 3, 4):
                n = seg[pos + 1:pos + 1 + seg[pos]].decode(errors="replace")
                pos += 1 + seg[pos]
            if e in (3, 5):
                (l,) = struct.unpack(">H", seg[pos:pos + 2])
                v = seg[pos + 2:pos + 2 + l]
                pos += 2 + l
            if e == 1:
                print("  " * ind + n + " {")
                ind += 1
            elif e == 2:
                ind -= 1
                print("  " * ind + "}")
            elif e == 3:
                print("  " * ind + "%s = %r" % (n, v.decode(errors="replace")))
            elif e == 4:
                print("  " * ind + n + " [")
                ind += 1
            elif e == 5:
                print("  " * ind + repr(v.decode(errors="replace")))
            elif e == 6:
                ind -= 1
                print("  " * ind + "]")


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "relay":
        relay(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "raw":
        raw(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        sys.exit(__doc__)
