#!/usr/bin/env python3
# Figures for tests/e2e/test_time_truth.sh from `ntp_rawclient -S` output:
#   sample MID_S OFFSET_S DELAY_S ROOTDELAY_S ROOTDISP_S LI STRATUM
#   lost MID_S
# Prints shell assignments (KEY=VALUE, microseconds unless named otherwise)
# for the scenario script to `eval`; it asserts nothing itself.
#
# Truth: every namespace reads the one host kernel clock, and the fake
# upstream's clock is host_t0 + offset + (host - host_t0) * (1 + ppm * 1e-6),
# so at the host instant MID the served clock should be ahead of the host by
# exactly  truth = offset + ppm * 1e-6 * (MID - host_t0).
# error = measured offset - truth.  The measurement itself is uncertain by
# the exchange's delay/2 (RFC 5905: a client's offset is good to delta/2 plus
# the server's root distance), so an answer breaks its advertised bound only
# when |error| > root_delay/2 + root_dispersion + delta/2: that is what
# VIOLATIONS counts after settling and VIOLATIONS_ALL from the first
# synchronised answer on (the bound is a promise from then on, not only once
# the clock has settled); STRICT_MARGIN_MIN leaves delta/2 out, for the record.
import argparse
import sys


def pct(xs, p):
    """p-th percentile by rank (nearest rank, as ntp_rawclient -n does)"""
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, (len(xs) * p) // 100)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples")
    ap.add_argument("--t0", type=float, help="fake upstream's host_t0 (no truth without it)")
    ap.add_argument("--offset", type=float, default=0.0)
    ap.add_argument("--ppm", type=float, default=0.0)
    ap.add_argument("--settle", type=float, default=80.0,
                    help="seconds after the first synchronised answer before errors count")
    ap.add_argument("--not-before", type=float, default=0.0,
                    help="host time before which errors do not count either")
    ap.add_argument("--prefix", default="")
    a = ap.parse_args()

    first_sync = None
    answers = lost = unsync = unsync_all = 0
    errs, bounds, margins, strict, delays, proven = [], [], [], [], [], []
    margins_all = []
    rows = []
    with open(a.samples) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "lost":
                lost += 1
                continue
            if w[0] != "sample" or len(w) != 8:
                continue
            mid, off, delay, rd, rdisp = (float(x) for x in w[1:6])
            li, stratum = int(w[6]), int(w[7])
            answers += 1
            synced = li != 3 and stratum != 0
            if first_sync is None and synced:
                first_sync = mid
            if first_sync is not None and not synced:
                unsync += 1
            unsync_all += not synced
            rows.append((mid, off, delay, rd, rdisp, synced))
    start = rows[0][0] if rows else 0.0
    evaluated = 0
    if first_sync is not None:
        settle_end = max(first_sync + a.settle, a.not_before)
        for mid, off, delay, rd, rdisp, synced in rows:
            if a.t0 is not None and synced:
                # the bound is a promise from the first synchronised answer on
                err = abs(off - (a.offset + a.ppm * 1e-6 * (mid - a.t0)))
                margins_all.append(rd / 2 + rdisp + delay / 2 - err)
            if mid < settle_end or not synced:
                continue
            evaluated += 1
            bound = rd / 2 + rdisp
            bounds.append(bound)
            delays.append(delay)
            if a.t0 is not None:
                err = abs(off - (a.offset + a.ppm * 1e-6 * (mid - a.t0)))
                errs.append(err)
                # what this exchange proves of the server's error: a client's
                # offset is good to delta/2 only, so a query delayed on one
                # leg (a scheduling hiccup here) proves that much less
                proven.append(max(err - delay / 2, 0.0))
                margins.append(bound + delay / 2 - err)
                strict.append(bound - err)
    us = 1e6
    out = {
        "ANSWERS": answers,
        "LOST": lost,
        "UNSYNC_AFTER_SYNC": unsync,
        "UNSYNC_ALL": unsync_all,
        "SYNCED": int(first_sync is not None),
        "FIRST_SYNC_S": "%.1f" % ((first_sync - start) if first_sync is not None else -1),
        "EVALUATED": evaluated,
        "BOUND_MEDIAN": "%.1f" % (pct(bounds, 50) * us),
        "BOUND_P99": "%.1f" % (pct(bounds, 99) * us),
        "DELAY_MEDIAN": "%.1f" % (pct(delays, 50) * us),
        "DELAY_MAX": "%.1f" % ((max(delays) if delays else float("nan")) * us),
    }
    if a.t0 is not None:
        out.update({
            "ERR_MEDIAN": "%.1f" % (pct(errs, 50) * us),
            "ERR_P99": "%.1f" % (pct(errs, 99) * us),
            "ERR_MAX": "%.1f" % ((max(errs) if errs else float("nan")) * us),
            "ERR_MAX_PROVEN": "%.1f" % ((max(proven) if proven else float("nan")) * us),
            "ERR_MEDIAN_PROVEN": "%.1f" % (pct(proven, 50) * us),
            "MARGIN_MIN": "%.1f" % ((min(margins) if margins else float("nan")) * us),
            "STRICT_MARGIN_MIN": "%.1f" % ((min(strict) if strict else float("nan")) * us),
            "VIOLATIONS": sum(1 for m in margins if m < 0),
            "MARGIN_MIN_ALL": "%.1f" % ((min(margins_all) if margins_all else float("nan")) * us),
            "VIOLATIONS_ALL": sum(1 for m in margins_all if m < 0),
            "SYNCED_ANSWERS": len(margins_all),
        })
    for k, v in out.items():
        print("%s%s=%s" % (a.prefix, k, v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
