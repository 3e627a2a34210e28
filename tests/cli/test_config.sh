#!/usr/bin/env bash
# The configuration file through the daemon: -c FILE --check accepts the
# shipped example (as is, and with every directive switched on), refuses a
# bad file with exit 2 and FILE:LINE, and flags override the file.  Nothing
# here attaches: --check stops after parsing.
set -u
. "$(dirname "$0")/../tap.sh"
EXAMPLE="$TAP_ROOT/docs/xdp-ntpd.conf.example"
WORK=$(mktemp -d /tmp/xdp-ntpd-cli-config.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
require_bin

# conf NAME LINES...: write $WORK/NAME.conf, one argument a line
conf() {
	local f="$WORK/$1.conf"; shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

accepts() { expect 0 "$1" "config OK" "${@:2}"; }
rejects() { expect 2 "$@"; }

# -- the shipped example ------------------------------------------------------
accepts "the shipped example passes --check" -c "$EXAMPLE" --check
# key files are the owner's only, or refused (below)
(umask 077; printf '10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70\n' >"$WORK/server.keys")
(umask 077; echo 0123456789abcdef0123456789 >"$WORK/api-token")
# "#directive" lines are the switched-off examples: switch them all on
sed -E -e 's/^#([a-z])/\1/' -e "s|^keyfile .*|keyfile $WORK/server.keys|" \
	-e "s|^api-token-file .*|api-token-file $WORK/api-token|" "$EXAMPLE" >"$WORK/all.conf"
accepts "the example with every directive on passes --check" -c "$WORK/all.conf" --check
missing=""
for d in server interface listen listen6 threads threads6 allow deny ratelimit kod \
	 kod-deny rate-table-size rate-prefix4 rate-prefix6 local clock metrics-listen \
	 keyfile api-token-file leapsmear driftfile user chroot max-age stale-action min-poll max-poll \
	 upstream-min-poll upstream-max-poll max-missed replace syslog keep-attached seccomp log-requests log-sample; do
	grep -qE "^$d( |\$)" "$WORK/all.conf" || missing="$missing $d"
done
if [ -z "$missing" ]; then
	ok "the example shows every directive"
else
	not_ok "the example lacks:$missing"
fi
accepts "--config=FILE, the long form" --config="$EXAMPLE" --check

# -- bad files: exit 2, FILE:LINE ----------------------------------------------
f=$(conf unknown "# comment" "" "bogus 1")
rejects "an unknown directive, with its line" "$f:3: unknown directive 'bogus'" -c "$f" --check
f=$(conf badvalue "server 127.0.0.1 port 11123" "local stratum 16")
rejects "a bad value, with its line" "$f:2: local stratum: '16' is not a number in [1, 15]" \
	-c "$f" --check
f=$(conf garbage "threads 4 extra")
rejects "trailing garbage" "$f:1: threads: unexpected 'extra'" -c "$f" --check
rejects "a file that does not exist" "$WORK/none.conf: cannot open" -c "$WORK/none.conf" --check
(umask 077; printf '10 AES128 HEX:00\n' >"$WORK/bad.keys")
f=$(conf badkeys "keyfile $WORK/bad.keys")
rejects "--check reads the keyfile the file names" \
	"$WORK/bad.keys:1: AES128 keys are exactly 128 bits" -c "$f" --check
# as ssh with a private key: a secret others may read is refused
cp -p "$WORK/server.keys" "$WORK/open.keys"
chmod 640 "$WORK/open.keys"
rejects "a key file the group may read" \
	"$WORK/open.keys: readable or writable by group or others (mode 0640)" \
	--keys "$WORK/open.keys" --check
chmod 604 "$WORK/open.keys"
rejects "a key file others may read" "(mode 0604)" --keys "$WORK/open.keys" --check
chmod 600 "$WORK/open.keys"
accepts "the same file, the owner's only" --keys "$WORK/open.keys" --check
# a line past 1024 characters is an error at its line, not cut into two
(umask 077; { echo "10 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"
	      printf '# %03000d\n' 0; } >"$WORK/long.keys")
rejects "a key file line over 1024 characters, by FILE:LINE" \
	"$WORK/long.keys:2: line longer than 1024 characters" --keys "$WORK/long.keys" --check
f=$(conf good "local stratum 3")
rejects "a bad flag next to a good file" "unknown option '--bogus'" -c "$f" --check --bogus
expect 0 "--help works even when the file is broken" "Usage: xdp-ntpd" \
	-c "$WORK/unknown.conf" --help

# -- flags override the file -----------------------------------------------------
# (local stratum 3 in the file against --local-stratum 5 on the command line is
# not observable through --check; the cross-checks between values are)
f=$(conf minpoll "min-poll 10")
rejects "the file's value is used" "--min-poll 10 is above --max-poll 6" \
	-c "$f" --check --max-poll 6
accepts "a flag overrides the file's value" -c "$f" --check --min-poll 4 --max-poll 6
accepts "a flag before -c still overrides the file" --min-poll 4 -c "$f" --max-poll 6 --check
f=$(conf upoll "upstream-min-poll 12")
accepts "--upstream-min-poll overrides the file" -c "$f" --check \
	--upstream-max-poll 8 --upstream-min-poll 2
f=$(conf chroot "chroot /var/empty")
rejects "file and flags are checked together" "-r needs -u" -c "$f" --check
accepts "a flag completes the file" -c "$f" -u nobody --check
servers=()
for i in $(seq 1 16); do servers+=("server 127.0.0.$i port 11123"); done
f=$(conf servers "${servers[@]}")
accepts "16 servers in the file" -c "$f" --check
accepts "-s replaces the file's servers rather than adding a 17th" \
	-c "$f" -s 127.0.0.1:11123 --check

plan
