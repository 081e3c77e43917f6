#!/usr/bin/env python3
"""pagewatch.py - watch one page load in a headless Chromium over its remote-debugging port.

Opens URL in a new tab once, then for each --until EXPR waits (up to --timeout seconds) until
the JavaScript expression EXPR is true in that same page, never reloading it. After each
condition it writes the step number to --ready-file (so a test can act, e.g. take a tunnel
down) and, with --shot, saves a screenshot per step (PATH-1.png, PATH-2.png, ...).
Exit 0 when every condition held in turn, 1 otherwise (the page's text is printed).

Only the standard library: a minimal WebSocket client for the DevTools protocol.
"""
import argparse
import base64
import json
import os
import socket
import sys
import time
import urllib.request


class DevTools:
    def __init__(self, ws_url):
        rest = ws_url.split("://", 1)[1]
        hostport, path = rest.split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake failed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError("websocket handshake refused: %r" % head[:200])
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.next_id = 0

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("DevTools connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = bytes([0x81, 0x80 | n])
        elif n < 65536:
            head = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([0x81, 0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._recv_exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._recv_exact(8), "big")
            payload = self._recv_exact(n)
            if b0 & 0x0F == 0x8:
                raise RuntimeError("DevTools closed the connection")
            if b0 & 0x0F in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r.get("result", {}).get("value")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True, help="Chromium's --remote-debugging-port")
    ap.add_argument("--url", required=True)
    ap.add_argument("--until", action="append", required=True, help="JS expression to wait for")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--ready-file")
    ap.add_argument("--shot", help="screenshot path prefix")
    a = ap.parse_args()

    base = "http://127.0.0.1:%d" % a.port
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/json/version", timeout=2).read()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("pagewatch: Chromium's DevTools port did not answer")
            time.sleep(0.2)
    req = urllib.request.Request(base + "/json/new?" + a.url, method="PUT")
    tab = json.load(urllib.request.urlopen(req, timeout=10))
    dt = DevTools(tab["webSocketDebuggerUrl"])
    dt.call("Page.enable")
    for step, expr in enumerate(a.until, 1):
        end = time.time() + a.timeout
        while not dt.eval("!!(%s)" % expr):
            if time.time() > end:
                print(dt.eval("document.body.innerText"))
                print("pagewatch: step %d: timed out waiting for: %s" % (step, expr))
                sys.exit(1)
            time.sleep(0.2)
        print("pagewatch: step %d holds: %s" % (step, expr))
        if step == 1:
            dt.eval("window.__pagewatch = 'same page'")  # a reload would lose it
        elif dt.eval("window.__pagewatch") != "same page":
            print("pagewatch: the page was reloaded")
            sys.exit(1)
        if a.shot:
            shot = dt.call("Page.captureScreenshot", format="png")
            with open("%s-%d.png" % (a.shot, step), "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        if a.ready_file:
            with open(a.ready_file, "w") as f:
                f.write("%d\n" % step)
    print("pagewatch: every step seen in one page load, without reload")


if __name__ == "__main__":
    main()
