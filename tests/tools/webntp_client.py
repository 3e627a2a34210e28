#!/usr/bin/python3
"""A webntp client, computing offset and delay as go-webntp's client does.

    webntp_client.py http URL [-n N] [--fixture FILE]
    webntp_client.py ws URL [-n N] [--fixture FILE] [--raw MESSAGE] [--gap S]
    webntp_client.py ntp HOST [-n N]
    webntp_client.py wscase URL CASE


Each sample: start = our clock, ask with start as the client stamp (HTTP:
GET URL?start; WebSocket: one text message), end = our clock on the answer;
delay = end - start, offset = st - end + delay / 2.  As webntp's client,
samples whose delay is at least twice the smallest are dropped (re-sent,
queued) and the rest averaged.  The ntp mode does the same over SNTP
(RFC 4330: offset = ((t2 - t1) + (t3 - t4)) / 2), for comparing paths.

wscase speaks RFC 6455 by hand, for what a library client never sends:
unmasked, oversized, fragmented, ping, close, badversion, nokey; it prints
the handshake's status and the frames that came back ([opcode, text or
close code]).

With --fixture, every answer must have the fixture's keys, in its order,
with the same JSON types and the same number forms (six decimals where the
fixture has them); and `it` must echo the stamp sent.
Prints one JSON line: offset, delay (seconds), samples kept, the last
answer and, over HTTP, its headers.  Exit 1 on any failure.  Bounded:
every socket operation times out after 5 s.
"""
import argparse
import asyncio
import http.client
import json
import re
import socket
import struct
import sys
import time
import urllib.parse

TIMEOUT = 5.0
NTP_DELTA = 2208988800


def number_form(token):
    """The shape of a JSON number's text: 'int' or 'frac6' and so on."""
    m = re.fullmatch(r"-?\d+(?:\.(\d+))?", token)
    if not m:
        return "other"
    return "frac%d" % len(m.group(1)) if m.group(1) else "int"


def raw_tokens(text):
    """Key -> raw value text of a flat JSON object, in order."""
    return re.findall(r'"([^"]+)":("(?:[^"\\]|\\.)*"|[^,}]+)', text.strip())


def check_shape(text, fixture_text, sent_stamp):
    got, want = raw_tokens(text), raw_tokens(fixture_text)
    if [k for k, _ in got] != [k for k, _ in want]:
        return "keys %s, webntp's %s" % ([k for k, _ in got], [k for k, _ in want])
    for (k, v), (_, w) in zip(got, want):
        gv, wv = json.loads(v), json.loads(w)
        if type(gv) is not type(wv):
            return "%s is %s, webntp's is %s" % (k, type(gv).__name__, type(wv).__name__)
        if not isinstance(gv, str) and number_form(v) != number_form(w):
            return "%s printed as %r, webntp prints %r" % (k, v, w)
    it = json.loads(text)["it"]
    if sent_stamp is not None and abs(it - sent_stamp) > 1e-6:
        return "it %r does not echo the stamp sent, %r" % (it, sent_stamp)
    return None


def stamp_text(t):
    return "%.6f" % t


def webntp_filter(samples):
    """webntp's client: drop samples delayed twice the best, average the rest."""
    best = min(d for _, d in samples)
    kept = [(o, d) for o, d in samples if d < best * 2] or [min(samples, key=lambda s: s[1])]
    return (sum(o for o, _ in kept) / len(kept), sum(d for _, d in kept) / len(kept), len(kept))


def one_sample(answer_text, start, end):
    ans = json.loads(answer_text)
    delay = end - start
    return ans, ans["st"] - end + delay / 2, delay


def run_http(url, n, fixture):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=TIMEOUT)
    samples, ans, headers = [], None, {}
    for _ in range(n):
        start = time.time()
        stamp = stamp_text(start)
        conn.request("GET", (u.path or "/") + "?" + stamp)
        resp = conn.getresponse()
        body = resp.read().decode()
        end = time.time()
        if resp.status != 200:
            raise SystemExit("HTTP %d: %s" % (resp.status, body.strip()))
        if fixture:
            why = check_shape(body, fixture, float(stamp))
            if why:
                raise SystemExit("answer %s: %s" % (body.strip(), why))
        ans, off, delay = one_sample(body, start, end)
        samples.append((off, delay))
        headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return samples, ans, headers


async def ws_exchange(url, n, fixture, raw, gap):
    import websockets  # Debian's python3-websockets

    samples, ans = [], None
    async with websockets.connect(url, open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                                  subprotocols=["webntp.shogo82148.com"]) as ws:
        if raw is not None:
            await ws.send(raw)
            try:
                reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
                return [], {"reply": reply}, {}
            except websockets.ConnectionClosed as e:
                return [], {"closed": e.rcvd.code if e.rcvd else None}, {}
        for i in range(n):
            if gap and i == n // 2:
                await asyncio.sleep(gap)   # a session kept open, idle, this long
            start = time.time()
            stamp = stamp_text(start)
            await ws.send(stamp)
            text = await asyncio.wait_for(ws.recv(), TIMEOUT)
            end = time.time()
            if fixture:
                why = check_shape(text, fixture, float(stamp))
                if why:
                    raise SystemExit("answer %s: %s" % (text.strip(), why))
            ans, off, delay = one_sample(text, start, end)
            samples.append((off, delay))
        proto = ws.subprotocol
    return samples, ans, {"subprotocol": proto}


def run_ntp(host, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    samples = []
    for _ in range(n):
        t1 = time.time()
        sec = int(t1) + NTP_DELTA
        frac = int((t1 % 1) * 2**32)
        s.sendto(struct.pack("!B3x4x4x4x8x8x8xII", 0x23, sec, frac), (host, 123))
        data, _ = s.recvfrom(128)
        t4 = time.time()
        li = data[0] >> 6
        t2 = struct.unpack("!II", data[32:40])
        t3 = struct.unpack("!II", data[40:48])
        t2 = t2[0] - NTP_DELTA + t2[1] / 2**32
        t3 = t3[0] - NTP_DELTA + t3[1] / 2**32
        if li == 3:
            raise SystemExit("unsynchronised answer (LI=3)")
        samples.append((((t2 - t1) + (t3 - t4)) / 2, (t4 - t1) - (t3 - t2)))
    return samples, {"li": li, "stratum": data[1]}, {}


def ws_frame(opcode, payload, fin=True, masked=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    mbit = 0x80 if masked else 0
    if n < 126:
        head += bytes([mbit | n])
    else:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    if not masked:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frames(sock, until_close=True):
    frames, buf = [], b""
    try:
        while True:
            while len(buf) < 2 or len(buf) < 2 + (buf[1] & 0x7f if buf[1] & 0x7f < 126 else 0):
                chunk = sock.recv(4096)
                if not chunk:
                    return frames
                buf += chunk
            n = buf[1] & 0x7f
            off = 2
            if n == 126:
                while len(buf) < 4:
                    buf += sock.recv(4096)
                n, off = struct.unpack("!H", buf[2:4])[0], 4
            while len(buf) < off + n:
                buf += sock.recv(4096)
            op, payload, buf = buf[0] & 0x0f, buf[off:off + n], buf[off + n:]
            if op == 8:
                frames.append([op, struct.unpack("!H", payload)[0] if len(payload) >= 2 else None])
                return frames
            frames.append([op, payload.decode(errors="replace")])
            if not until_close and op == 1:
                return frames
    except socket.timeout:
        return frames


def run_wscase(url, case):
    u = urllib.parse.urlsplit(url.replace("ws://", "http://"))
    sock = socket.create_connection((u.hostname, u.port or 80), timeout=TIMEOUT)
    headers = ["GET %s HTTP/1.1" % (u.path or "/"), "Host: %s:%d" % (u.hostname, u.port or 80),
               "Upgrade: websocket", "Connection: Upgrade",
               "Sec-WebSocket-Version: %s" % ("8" if case == "badversion" else "13")]
    if case != "nokey":
        headers.append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")
    sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
    resp = b""
    while b"\r\n\r\n" not in resp:
        chunk = sock.recv(4096)
        if not chunk:
            break
        resp += chunk
    status = int(resp.split(b" ", 2)[1]) if resp.startswith(b"HTTP/") else 0
    frames = []
    if status == 101:
        if case == "unmasked":
            sock.sendall(ws_frame(1, b"1.5", masked=False))
        elif case == "oversized":
            sock.sendall(ws_frame(1, b"1" * 2000))
        elif case == "fragmented":
            sock.sendall(ws_frame(1, b"1489217288.", fin=False) + ws_frame(0, b"328757"))
        elif case == "ping":
            sock.sendall(ws_frame(9, b"abc") + ws_frame(1, b"1"))
        elif case == "close":
            sock.sendall(ws_frame(8, struct.pack("!H", 1000)))
        frames = read_frames(sock, until_close=case in ("unmasked", "oversized", "close"))
    sock.close()
    return status, frames


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["http", "ws", "ntp", "wscase"])
    p.add_argument("target")
    p.add_argument("case", nargs="?")
    p.add_argument("-n", type=int, default=8)
    p.add_argument("--fixture")
    p.add_argument("--raw", help="ws: send this message once, print the reply or close code")
    p.add_argument("--gap", type=float, default=0,
                   help="ws: idle this many seconds halfway through the session")
    a = p.parse_args()
    fixture = open(a.fixture).read() if a.fixture else None
    if a.mode == "wscase":
        status, frames = run_wscase(a.target, a.case)
        print(json.dumps({"status": status, "frames": frames}))
        return
    if a.mode == "http":
        samples, ans, headers = run_http(a.target, a.n, fixture)
    elif a.mode == "ws":
        samples, ans, headers = asyncio.run(ws_exchange(a.target, a.n, fixture, a.raw, a.gap))
    else:
        samples, ans, headers = run_ntp(a.target, a.n)
    out = {"answer": ans, "headers": headers, "answers": len(samples)}
    if samples:
        out["offset"], out["delay"], out["samples"] = webntp_filter(samples)
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError, asyncio.TimeoutError) as e:
        sys.exit("webntp_client: %s: %s" % (type(e).__name__, e))
