#!/usr/bin/python3
"""Drive a headless Chromium over the DevTools protocol (Python's websockets)
to check that a dashboard page draws.

    cdp_check.py --port P --url URL [--refreshes N] [--timeout S] [--screenshot PNG]

Chromium must already run with --remote-debugging-port=P.  Loads URL in its
page, records every console error, uncaught exception and failed load (the
Runtime and Log domains), waits until the page reports N refreshes drawn
(window.dashboard.refreshes), then reads each canvas back: the pixels drawn,
and what its Chart.js chart holds; counts the requests the page made, by
path (the Network domain).  Prints one JSON line; exit 0 when it
could look at all (the test judges the figures).  Bounded by --timeout.
"""
import argparse
import asyncio
import base64
import json
import sys
import time
import urllib.parse
import urllib.request

CANVAS_PROBE = """(() => {
  const out = {};
  for (const c of document.querySelectorAll("canvas")) {
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    for (let i = 3; i < px.length; i += 4) if (px[i]) drawn++;
    const chart = Chart.getChart(c);
    const values = chart ? chart.data.datasets.flatMap(d => d.data).filter(v => v !== null) : [];
    out[c.id] = { pixels: c.width * c.height, drawn: drawn, datasets: chart ? chart.data.datasets.length : 0,
                  points: values.length, max: values.length ? Math.max(...values) : null };
  }
  return JSON.stringify(out);
})()"""


def page_ws_url(port, deadline):
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=2) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("no DevTools page on port %d" % port)
        time.sleep(0.2)


class Cdp:
    def __init__(self, ws):
        self.ws, self.next_id, self.errors, self.requests = ws, 0, [], {}

    def note(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent":
            path = urllib.parse.urlsplit(p["request"]["url"]).path
            self.requests[path] = self.requests.get(path, 0) + 1
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: " + d.get("exception", {}).get("description", d.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], " ".join(
                str(a.get("value", a.get("description", ""))) for a in p["args"])))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            self.errors.append("log: %s %s" % (p["entry"]["text"], p["entry"].get("url", "")))

    async def call(self, method, **params):
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise SystemExit("%s: %s" % (method, msg["error"]))
                return msg["result"]
            self.note(msg)

    async def evaluate(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        return r["result"].get("value")


async def run(a):
    import websockets  # Debian's python3-websockets

    deadline = time.monotonic() + a.timeout
    url = page_ws_url(a.port, deadline)
    async with websockets.connect(url, max_size=None, open_timeout=5) as ws:
        cdp = Cdp(ws)
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            await cdp.call(domain)
        await cdp.call("Emulation.setDeviceMetricsOverride", width=1280, height=720,
                       deviceScaleFactor=1, mobile=False)
        await cdp.call("Page.navigate", url=a.url)
        state = None
        while time.monotonic() < deadline:
            state = json.loads(await cdp.evaluate(
                "JSON.stringify(window.dashboard || null)") or "null")
            if state and state["refreshes"] >= a.refreshes:
                break
            await asyncio.sleep(0.25)
        canvases = json.loads(await cdp.evaluate(CANVAS_PROBE) or "{}") if state else {}
        if a.screenshot:
            shot = await cdp.call("Page.captureScreenshot", format="png")
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        print(json.dumps({"state": state, "canvases": canvases, "errors": cdp.errors,
                          "requests": cdp.requests}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--refreshes", type=int, default=3)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--screenshot")
    a = p.parse_args()
    try:
        asyncio.run(asyncio.wait_for(run(a), a.timeout + 10))
    except (OSError, asyncio.TimeoutError) as e:
        sys.exit("cdp_check: %s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main()
