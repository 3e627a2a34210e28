#!/usr/bin/env python3
"""A client of the anycast address behind the router, for test_anycast_bird.sh.

One NTP request every INTERVAL ms, each from a fresh socket (a new source
port: the router's ECMP hashes ports, so requests spread over the servers),
until COUNT were sent or STOP_FILE exists.  One line per request, flushed:

    answer T LI STRATUM REFID     (T: CLOCK_REALTIME at the answer, REFID dotted)
    lost T

An answer counts only if it is mode 4, version 4, from the address asked
(the socket is connected) and echoes our transmit timestamp as its origin.
"""
import os
import socket
import struct
import sys
import time


def one(dst, timeout):
    xmt = os.urandom(8)
    req = bytes([0x23]) + bytes(39) + xmt          # LI 0, VN 4, mode 3
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((dst, 123))
        s.send(req)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            s.settimeout(left)
            try:
                data = s.recv(512)
            except (socket.timeout, ConnectionRefusedError):
                return None
            if len(data) < 48 or data[24:32] != xmt:
                continue
            li, vn, mode = data[0] >> 6, (data[0] >> 3) & 7, data[0] & 7
            if mode != 4 or vn != 4:
                continue
            refid = ".".join(str(b) for b in data[12:16])
            return li, data[1], refid


def main():
    dst, count, interval_ms, stop_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    nxt = time.monotonic()
    for _ in range(count):
        if os.path.exists(stop_file):
            break
        r = one(dst, 1.0)
        if r is None:
            print("lost %.6f" % time.time(), flush=True)
        else:
            print("answer %.6f %d %d %s" % (time.time(), r[0], r[1], r[2]), flush=True)
        nxt += interval_ms / 1000.0
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)   # pacing, not synchronisation


if __name__ == "__main__":
    main()
