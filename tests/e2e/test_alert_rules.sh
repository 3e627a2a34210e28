#!/usr/bin/env bash
# docs/prometheus/xdp-ntpd.rules.yml: the rules load (promtool check), their
# unit tests pass (promtool test rules), a rule made wrong fails them, every
# metric they use is one the daemon exports and docs/metrics.md documents,
# every alert has a test, and fed a live daemon's own /metrics (XDP
# attached, its only upstream silent, unsynchronised) the right alerts fire
# and the wrong ones do not.
set -u
. "$(dirname "$0")/lib.sh"
RULES="$E2E_ROOT/docs/prometheus/xdp-ntpd.rules.yml"
RULE_TESTS="$E2E_ROOT/docs/prometheus/xdp-ntpd.rules.test.yml"

trap e2e_cleanup EXIT

check "promtool check rules: the file loads" promtool check rules "$RULES"
check "promtool test rules: every alert's unit tests pass" promtool test rules "$RULE_TESTS"

# the unsynchronised alert firing at once instead of after 5 minutes
sed 's/^\(        for: \)5m$/\10m/' "$RULES" >"$WORK/xdp-ntpd.rules.yml"
cp "$RULE_TESTS" "$WORK/"
check "a rule made wrong (no 'for:') fails its unit tests" \
	sh -c "! cmp -s '$RULES' '$WORK/xdp-ntpd.rules.yml' && ! promtool test rules '$WORK/xdp-ntpd.rules.test.yml'"

metrics_used() { grep -oE 'xdp_ntpd_[a-z_]+' "$RULES" | sort -u; }
missing=""
for m in $(metrics_used); do
	# the exporters: metrics.c and the per-feature files it calls (nts_stats.c)
	cat "$E2E_ROOT"/userspace/metrics.c "$E2E_ROOT"/userspace/*_stats.c | grep -q "\"$m\b\|$m[{ ]" && grep -q "\`$m\`" "$E2E_ROOT/docs/metrics.md" ||
		missing="$missing $m"
done
check "every metric the rules use is exported and documented${missing:+ (not:$missing)}" test -z "$missing"
untested=""
for a in $(sed -n 's/^ *- alert: //p' "$RULES"); do
	grep -q "alertname: $a\$" "$RULE_TESTS" || untested="$untested $a"
done
check "every alert has a unit test${untested:+ (not:$untested)}" test -z "$untested"

# --- a live daemon's own series ---------------------------------------------------
e2e_setup_net
if daemon_start --upstream-min-poll 0 --upstream-max-poll 0 --max-missed 2 --xdp-mode native \
	-i "$VETH_SRV" -s $CLI4:11123; then
	check "the upstream goes unreachable (nothing listens there)" \
		wait_for 20 sh -c "[ \"\$(ip netns exec $NS_SRV curl -sf http://127.0.0.1:9123/metrics |
			awk '/^xdp_ntpd_upstream_reachable/ { print \$2 }')\" = 0 ]"
	in_srv curl -sf http://127.0.0.1:9123/metrics >"$WORK/live.prom"
	daemon_stop
	# each gauge of the scrape held for 15 minutes, as promtool's input series
	python3 - "$WORK/live.prom" "$RULES" >"$WORK/live.test.yml" <<'PY'
import re, sys
series = []
for line in open(sys.argv[1]):
    m = re.match(r'^(xdp_ntpd_(served_leap|served_stratum|xdp_attached|serving|upstream_reachable|reference_age_seconds|thread_healthy))(\{[^}]*\})? (\S+)$', line)
    if m:
        labels = (m.group(3) or "{}")[1:-1]
        labels = ",".join(x for x in [labels, 'instance="live"'] if x)
        series.append("      - series: '%s{%s}'\n        values: '%sx15'\n" % (m.group(1), labels, m.group(4)))
print("rule_files:\n  - %s\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n%s"
      "    alert_rule_test:" % (sys.argv[2], "".join(series)))
PY
	cat >>"$WORK/live.test.yml" <<YML
      - eval_time: 14m
        alertname: XdpNtpdUnsynchronised
        exp_alerts:
          - exp_labels: { severity: critical, instance: live }
            exp_annotations:
              summary: "xdp-ntpd on live serves unsynchronised time (LI=3)"
              description: "No upstream usable and no local stratum: see /status sources."
      - eval_time: 14m
        alertname: XdpNtpdUpstreamUnreachable
        exp_alerts:
          - exp_labels: { severity: warning, instance: live, upstream: "$CLI4:11123" }
            exp_annotations:
              summary: "xdp-ntpd on live: upstream $CLI4:11123 unreachable"
              description: "None of its last 8 polls gave a valid sample, or it refused us (KoD DENY)."
      - eval_time: 14m
        alertname: XdpNtpdXdpDetached
        exp_alerts: []
      - eval_time: 14m
        alertname: XdpNtpdStaleState
        exp_alerts: []
YML
	check "on the live series: unsynchronised and unreachable fire, detached and stale do not" \
		promtool test rules "$WORK/live.test.yml"
else
	not_ok "daemon starts in native XDP mode"
fi

e2e_finish
