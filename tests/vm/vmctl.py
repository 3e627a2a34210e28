#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Bounded control of the systemd guest: the qemu guest agent over its
virtio-serial port, and QMP for hot-plugging the NIC.

  vmctl.py ping QGA_SOCK SECONDS          wait until the agent answers
  vmctl.py exec QGA_SOCK SECONDS SCRIPT   run SCRIPT with /bin/sh -c in the
                                          guest; its output, its exit status
  vmctl.py qmp QMP_SOCK SECONDS CMD [JSON_ARGS] [--wait-event EVENT]

Every call ends within SECONDS (exit 124 when it ran out): a guest that hangs
makes a check fail, never the suite hang. The guest runs SCRIPT under
timeout(1) too, so nothing started through the agent outlives its call.
"""
import base64
import json
import os
import socket
import sys
import time


class Timeout(Exception):
    pass


class Channel:
    """One JSON-lines connection (QGA or QMP) with a deadline."""

    def __init__(self, path, deadline):
        self.deadline = deadline
        self.buf = b""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        self.sock.connect(path)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, until=None):
        """Next JSON object (or the first one `until` accepts) before
        `until` or the deadline, whichever comes first."""
        end = self.deadline if until is None else min(until, self.deadline)
        while True:
            # the agent prefixes guest-sync-delimited answers with 0xff
            self.buf = self.buf.lstrip(b"\xff")
            line, sep, rest = self.buf.partition(b"\n")
            if sep:
                self.buf = rest
                if line.strip():
                    return json.loads(line)
                continue
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout()
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout()
            if not data:
                raise ConnectionError("channel closed")
            self.buf += data

    def call(self, cmd, args=None):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        self.send(msg)
        while True:
            reply = self.recv()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError("%s: %s" % (cmd, reply["error"].get("desc")))
            # QMP events between a command and its answer are not the answer


def qga_sync(path, deadline):
    """A channel on which the agent has answered a guest-sync of ours: its
    answer carries our id, so a late answer to an earlier attempt (or the
    garbage of a port opened before the agent ran) is never taken for it."""
    while True:
        try:
            ch = Channel(path, deadline)
            ident = int.from_bytes(os.urandom(4), "big")
            # 0xff resets the agent's parser after a client that left half a command
            ch.sock.sendall(b"\xff")
            ch.send({"execute": "guest-sync-delimited", "arguments": {"id": ident}})
            attempt_end = min(deadline, time.monotonic() + 2)
            while True:
                try:
                    reply = ch.recv(until=attempt_end)
                except ValueError:
                    continue
                if reply.get("return") == ident:
                    return ch
        except (Timeout, OSError, ConnectionError):
            pass
        if time.monotonic() >= deadline:
            raise Timeout()
        time.sleep(0.2)


def qga_exec(path, seconds, script):
    deadline = time.monotonic() + seconds
    ch = qga_sync(path, deadline)
    # the guest's own bound, a little inside ours so its status is still read
    inner = max(1, int(seconds) - 2)
    pid = ch.call("guest-exec", {
        "path": "/usr/bin/timeout",
        "arg": ["-k", "1", str(inner), "/bin/sh", "-c", script],
        "capture-output": True,
    })["pid"]
    while True:
        st = ch.call("guest-exec-status", {"pid": pid})
        if st.get("exited"):
            break
        time.sleep(0.05)
    sys.stdout.write(base64.b64decode(st.get("out-data", "")).decode(errors="replace"))
    sys.stderr.write(base64.b64decode(st.get("err-data", "")).decode(errors="replace"))
    if "signal" in st:
        return 128 + st["signal"]
    return st.get("exitcode", 1)


def qmp(path, seconds, cmd, args, wait_event):
    deadline = time.monotonic() + seconds
    ch = Channel(path, deadline)
    ch.recv()                       # the greeting
    ch.call("qmp_capabilities")
    ret = ch.call(cmd, args)
    if wait_event:
        while True:
            ev = ch.recv()
            if ev.get("event") == wait_event:
                break
    print(json.dumps(ret))
    return 0


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    what, path, seconds = argv[1], argv[2], float(argv[3])
    try:
        if what == "ping":
            qga_sync(path, time.monotonic() + seconds)
            return 0
        if what == "exec" and len(argv) == 5:
            return qga_exec(path, seconds, argv[4])
        if what == "qmp" and len(argv) >= 5:
            rest = argv[5:]
            wait_event = None
            if "--wait-event" in rest:
                i = rest.index("--wait-event")
                wait_event = rest[i + 1]
                del rest[i:i + 2]
            args = json.loads(rest[0]) if rest else None
            return qmp(path, seconds, argv[4], args, wait_event)
    except Timeout:
        sys.stderr.write("vmctl: %s: no answer within %g s\n" % (what, seconds))
        return 124
    except (OSError, ConnectionError, RuntimeError) as e:
        sys.stderr.write("vmctl: %s: %s\n" % (what, e))
        return 125
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
