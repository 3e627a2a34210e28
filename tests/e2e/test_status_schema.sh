#!/usr/bin/env bash
# /status in chronyc's shape, against truth: two fake upstreams whose clocks
# are 0.25 s ahead and run 20 ppm fast (one also sends a forged reply before
# each answer), one that answers unsynchronised and one address where
# nothing listens.  The corrected model's tracking must say what these
# clocks are (system time 0.25 s slow, frequency +20 ppm), each source's
# activity counts what it did (ok, failed, bogus, timeout), the totals add
# up, and the live document validates against docs/status.schema.json.
set -u
. "$(dirname "$0")/lib.sh"
API=http://127.0.0.1:9123
SCHEMA="$E2E_ROOT/docs/status.schema.json"
CLI4_B=192.0.2.3 CLI4_C=192.0.2.4 CLI4_D=192.0.2.5

trap e2e_cleanup EXIT
e2e_setup_net
in_cli ip addr add $CLI4_B/24 dev "$VETH_CLI"
in_cli ip addr add $CLI4_C/24 dev "$VETH_CLI"

status() { in_srv curl -sf $API/status >"$WORK/status.json"; }
# jqs FILTER: true when the filter holds for a fresh /status
jqs() { status && jq -e "$1" "$WORK/status.json" >/dev/null; }
# near FILTER LO HI: the number the filter picks lies in [LO, HI]
near() {
	status || return 1
	jq -e --argjson lo "$2" --argjson hi "$3" "($1) as \$v | \$v >= \$lo and \$v <= \$hi" \
		"$WORK/status.json" >/dev/null || { echo "$1 = $(jq "$1" "$WORK/status.json")"; return 1; }
}
fails() { ! "$@"; }
src() { echo ".sources[] | select(.name == \"$1:11123\")"; }
validate() {
	python3 - "$SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors:
    print("/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errors else 0)
PY
}

fake_upstream $CLI4 11123 -G -o 0.25 -r 20
fake_upstream $CLI4_B 11123 -G -o 0.25 -r 20 -X
fake_upstream $CLI4_C 11123 -l 3
if daemon_start --upstream-min-poll 0 --upstream-max-poll 0 --xdp-mode native -i "$VETH_SRV" \
	--clock corrected -s $CLI4:11123 -s $CLI4_B:11123 -s $CLI4_C:11123 -s $CLI4_D:11123; then
	check "synchronised to the good pair, after 16 clock updates" \
		wait_for 60 jqs '.tracking.synchronised and .tracking.updates >= 16'
	status
	cp "$WORK/status.json" "$WORK/live.json"
	check "the live document validates against docs/status.schema.json" validate "$WORK/live.json"
	# the upstreams' offset now: 0.25 s plus 20 ppm of the time since they started
	t0=$(sed -n 's/^listening host_t0=\([0-9.]*\) .*/\1/p' "$WORK/fake-$CLI4-11123.log")
	truth=$(awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.6f", 0.25 + (now - t0) * 20e-6 }')
	check "system time: the system clock is $truth s slow of the served time (to 1 ms)" \
		near .tracking.system_time "$(awk -v t="$truth" 'BEGIN { print t - 0.001 }')" \
		"$(awk -v t="$truth" 'BEGIN { print t + 0.001 }')"
	check "frequency: +20 ppm, the upstreams' rate against ours (to 3 ppm, as samples come)" \
		wait_for 40 near .tracking.frequency_ppm 17 23
	check "skew and residual frequency come below 3 ppm" \
		wait_for 30 jqs '.tracking.skew_ppm < 3 and (.tracking.residual_freq_ppm | fabs) < 3'
	check "last and RMS offset: what is left to correct, below 1 ms" \
		jqs '(.tracking.last_offset | fabs) < 0.001 and .tracking.rms_offset < 0.001'
	# two sources polled every second: a new sample of the system peer
	# (either of them) at most a poll apart
	check "update interval: above 0, at most the 1 s poll (and 0.5 s of jitter)" \
		near .tracking.update_interval 0.000001 1.5
	check "ref time (UTC): the last update, within 10 s of now" \
		near "(now - .tracking.ref_time)" -1 10
	check "ref_time_utc is ref_time, in ISO 8601" \
		jqs '(.tracking.ref_time | floor | todate) == (.tracking.ref_time_utc | sub("\\.[0-9]+Z$"; "Z"))'
	check "the good upstream: ok counts its samples, nothing else counted" \
		jqs "$(src $CLI4) | .activity.ok == .samples and .activity.ok > 0 and
		     .activity.failed == 0 and .activity.bogus == 0 and .activity.timeout == 0"
	check "the forged replies are counted bogus, the real ones ok" \
		jqs "$(src $CLI4_B) | .activity.bogus > 0 and .activity.ok > 0"
	check "the unsynchronised upstream's answers are counted failed" \
		jqs "$(src $CLI4_C) | .activity.failed > 0 and .activity.ok == 0"
	check "nothing at the fourth: timeouts, and lastrx null" \
		jqs "$(src $CLI4_D) | .activity.timeout > 0 and .activity.ok == 0 and .lastrx == null"
	check "lastrx of the good upstream: its last reply, 0 to 3 s ago" \
		near "$(src $CLI4) | .lastrx" 0 3
	check "the total activity is the sum over the sources" \
		jqs '.activity == (reduce .sources[].activity as $a ({ok: 0, failed: 0, bogus: 0, timeout: 0};
			.ok += $a.ok | .failed += $a.failed | .bogus += $a.bogus | .timeout += $a.timeout))'
	out=$(in_srv_net "$BIN" status 127.0.0.1:9123 tracking)
	check "xdp-ntpd status tracking: chronyc's lines" bash -c "
		grep -qE '^Ref time \(UTC\)  : [0-9]{4}-' <<<'$out' &&
		grep -qE '^System time     : 0\.25[0-9]+ seconds slow of NTP time$' <<<'$out' &&
		grep -qE '^Frequency       : (1[7-9]|2[0-3])\.[0-9]{3} ppm slow$' <<<'$out' &&
		grep -qE '^Update interval : [0-9.]+ seconds$' <<<'$out' &&
		grep -qE '^(Last offset|RMS offset|Residual freq|Skew) +: ' <<<'$out'"
	check "xdp-ntpd status activity: the totals" sh -c \
		"nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 activity | grep -qE '^timeout +: [1-9]'"
	check "xdp-ntpd status sources: the LastRx column, '-' for the silent one" sh -c \
		"nsenter --net=/run/netns/$NS_SRV $BIN status 127.0.0.1:9123 sources |
		 grep -qE '^\? $CLI4_D:11123 +0 +[0-9]+ +0 +- '"
	daemon_stop
	# a schema that accepts everything proves nothing: a document with a
	# key renamed and a count negative must fail
	jq '.tracking.rms = .tracking.rms_offset | del(.tracking.rms_offset) | .activity.ok = -1' \
		"$WORK/live.json" >"$WORK/broken.json"
	check "a document with a renamed key and a negative count fails validation" \
		fails validate "$WORK/broken.json"
else
	not_ok "daemon starts with four upstreams"
fi

e2e_finish
