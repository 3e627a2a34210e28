#!/usr/bin/env bash
# The manual pages against the binary and the parser, mechanically:
#   - every knob of the table (userspace/knobs.c) is in xdp-ntpd(8) by its
#     flags, and every flag xdp-ntpd(8) names is a knob of the table;
#   - every long flag `xdp-ntpd --help` prints is in xdp-ntpd(8), and every
#     long flag xdp-ntpd(8) names is one --help prints;
#   - every directive xdp-ntpd.conf(5) describes is one the config parser
#     knows (a file of that word alone is never "unknown directive"), and
#     every directive of the knob table is described;
#   - docs/metrics.md's outcome table has a row for every outcome/reason pair
#     of NTPD_COUNTER_LIST (bpf/ntpd_shared.h).
# Read from the roff source with \- and font escapes taken out, so groff's
# line filling and hyphenation cannot hide or split a name.  Nothing here
# attaches.
set -u
. "$(dirname "$0")/../tap.sh"
ROOT="$TAP_ROOT"
MAN8="$ROOT/docs/xdp-ntpd.8"
MAN5="$ROOT/docs/xdp-ntpd.conf.5"
KNOBS="$ROOT/userspace/knobs.c"
WORK=$(mktemp -d /tmp/xdp-ntpd-cli-man.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
require_bin

# roff source as plain words: \- is a hyphen, \fB \fI \fR \fP change fonts
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"; }
# long flags in a text, one a line, sorted and unique
long_flags() { grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u; }
# has_flag FLAG FILE: FLAG as a whole word (--kod is not --kod-deny)
has_flag() { grep -qE -- "$1([^a-z0-9-]|$)" "$2"; }

plain "$MAN8" >"$WORK/man8.txt"
"$BIN" --help >"$WORK/help.txt"
long_flags <"$WORK/help.txt" >"$WORK/help.flags"
long_flags <"$WORK/man8.txt" >"$WORK/man8.flags"

# the table's rows: .long_flag = "max-age", .short_flag = 'a', .directive = "max-age"
grep -oE '\.long_flag = "[a-z0-9-]+"' "$KNOBS" | sed 's/.*"\(.*\)"/--\1/' | sort -u >"$WORK/table.flags"
grep -oE "\\.short_flag = '[a-z0-9]'" "$KNOBS" | sed "s/.*'\\(.\\)'/-\\1/" | sort -u >"$WORK/table.short"
grep -oE '\.directive = "[a-z0-9-]+"' "$KNOBS" | sed 's/.*"\(.*\)"/\1/' | sort -u >"$WORK/parser.directives"

missing=""
while read -r flag; do
	has_flag "$flag" "$WORK/man8.txt" || missing="$missing $flag"
done < <(cat "$WORK/table.flags" "$WORK/table.short")
if [ -z "$missing" ] && [ -s "$WORK/table.flags" ] && [ -s "$WORK/table.short" ]; then
	ok "xdp-ntpd(8) names every flag of the knob table ($(cat "$WORK/table.flags" "$WORK/table.short" | wc -l))"
else
	not_ok "xdp-ntpd(8) names every flag of the knob table; missing:$missing"
fi
unknown=$(comm -13 "$WORK/table.flags" "$WORK/man8.flags" | tr '\n' ' ')
if [ -z "$unknown" ]; then
	ok "every long flag in xdp-ntpd(8) is a knob of the table"
else
	not_ok "every long flag in xdp-ntpd(8) is a knob of the table; not in it: $unknown"
fi

missing=""
while read -r flag; do
	has_flag "$flag" "$WORK/man8.txt" || missing="$missing $flag"
done <"$WORK/help.flags"
if [ -z "$missing" ] && [ -s "$WORK/help.flags" ]; then
	ok "xdp-ntpd(8) names every long flag --help prints ($(wc -l <"$WORK/help.flags"))"
else
	not_ok "xdp-ntpd(8) names every long flag --help prints; missing:$missing"
fi

unknown=""
while read -r flag; do
	has_flag "$flag" "$WORK/help.txt" || unknown="$unknown $flag"
done <"$WORK/man8.flags"
if [ -z "$unknown" ]; then
	ok "every long flag in xdp-ntpd(8) is one --help prints"
else
	not_ok "every long flag in xdp-ntpd(8) is one --help prints; not in --help:$unknown"
fi

# The directives of xdp-ntpd.conf(5): the bold words of each .TP tag
# (.B/.BI/.BR; the quoted arguments are the values), e.g.
#   .BI user " NAME, " chroot " DIR"   ->  user chroot
plain "$MAN5" | awk '
	tag && /^\.B[IR]? / {
		sub(/^\.B[IR]? /, "")
		k = split($0, part, "\"")
		for (i = 1; i <= k; i += 2) {	# outside the quotes
			w = split(part[i], word, " ")
			for (j = 1; j <= w; j++)
				print word[j]
		}
	}
	{ tag = /^\.TP/ }' | sort -u >"$WORK/man5.directives"

rejected=""
while read -r d; do
	printf '%s\n' "$d" >"$WORK/one.conf"
	if "$BIN" -c "$WORK/one.conf" --check 2>&1 | grep -qF "unknown directive"; then
		rejected="$rejected $d"
	fi
done <"$WORK/man5.directives"
if [ -z "$rejected" ] && [ -s "$WORK/man5.directives" ]; then
	ok "the config parser knows every directive xdp-ntpd.conf(5) describes ($(wc -l <"$WORK/man5.directives"))"
else
	not_ok "the config parser knows every directive xdp-ntpd.conf(5) describes; unknown:$rejected"
fi

undocumented=$(comm -23 "$WORK/parser.directives" "$WORK/man5.directives" | tr '\n' ' ')
if [ -s "$WORK/parser.directives" ] && [ -z "$undocumented" ]; then
	ok "xdp-ntpd.conf(5) describes every directive of the knob table ($(wc -l <"$WORK/parser.directives"))"
else
	not_ok "xdp-ntpd.conf(5) describes every directive of the knob table; undescribed: $undocumented"
fi

# X(ANSWERED_V4, "answered", "ipv4") -> answered ipv4; the table's rows are
# | outcome | reason, reason, ... | path | meaning |
sed -n 's/^[[:space:]]*X([A-Z0-9_]*, *"\([a-z_]*\)", *"\([a-z_0-9]*\)").*/\1 \2/p' \
	"$ROOT/bpf/ntpd_shared.h" >"$WORK/counters"
unlisted=""
while read -r outcome reason; do
	grep -qE "^\| $outcome \| ([a-z0-9_]+, )*$reason(,|  *\|)" "$ROOT/docs/metrics.md" ||
		unlisted="$unlisted $outcome/$reason"
done <"$WORK/counters"
if [ -s "$WORK/counters" ] && [ -z "$unlisted" ]; then
	ok "docs/metrics.md lists every outcome of NTPD_COUNTER_LIST ($(wc -l <"$WORK/counters"))"
else
	not_ok "docs/metrics.md lists every outcome of NTPD_COUNTER_LIST; missing:$unlisted"
fi

plan
