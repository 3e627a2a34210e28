#!/usr/bin/env bash
# The command line: bad flags and values exit non-zero with a message that
# names the problem; --help and --version succeed.  Nothing here attaches.
set -u
. "$(dirname "$0")/../tap.sh"

rejects() { expect 2 "rejects $1" "${@:2}"; }
accepts() { expect 0 "$@"; }

rejects "an unknown flag" "unknown option '--bogus'" --bogus
rejects "a stray argument" "unexpected argument 'extra'" extra
rejects "an unknown XDP mode" "--xdp-mode: 'turbo'" --xdp-mode turbo
rejects "a malformed IPv4 listen address" "-a: '1.2.3'" -a 1.2.3
rejects "an IPv6 address given to -a" "-a: '[::1]:123'" -a '[::1]:123'
rejects "an IPv4 address given to -b" "-b: '127.0.0.1:123'" -b 127.0.0.1:123
rejects "port 0" "-a: '0.0.0.0:0'" -a 0.0.0.0:0
rejects "port 70000" "-a: '0.0.0.0:70000'" -a 0.0.0.0:70000
rejects "a negative thread count" "-4: '-1'" -4 -1
rejects "a non-numeric thread count" "-6: 'many'" -6 many
rejects "a missing flag value" "needs a value" -s
rejects "stratum 16 as local stratum" "--local-stratum: '16'" --local-stratum 16
rejects "min poll above max poll" "--min-poll 10 is above --max-poll 6" --min-poll 10 --max-poll 6
rejects "an unknown stale action" "--stale-action: 'guess'" --stale-action guess
rejects "a chroot without a user" "-r needs -u" -r /var/empty
rejects "an over-long interface name" "-i: 'abcdefghijklmnopq'" -i abcdefghijklmnopq
rejects "a metrics address that is not an address" "--metrics-listen: 'nowhere'" --metrics-listen nowhere
rejects "status: a word that is neither address nor view" "'bogus' is not ADDR:PORT" status bogus
# the packet ring: one interface, IPv4 on, a block timeout the kernel takes
# (an interface that does not exist and test ports: a check that regressed
# exits 1 at start-up rather than serving on the host)
ring=(--xdp-mode socket -a 127.0.0.1:10999 -b '[::1]:10999' --metrics-listen 127.0.0.1:10998)
rejects "--socket-ring without -i" "--socket-ring reads one interface: give it with -i (0 given)" \
	--socket-ring 1 "${ring[@]}"
rejects "--socket-ring with two interfaces" "--socket-ring reads one interface: give it with -i (2 given)" \
	--socket-ring 1 -i nosuch0 -i nosuch1 "${ring[@]}"
rejects "--socket-ring 101 (above 100 ms)" "--socket-ring: '101' is not a number in [0, 100]" \
	--socket-ring 101 -i nosuch0 "${ring[@]}"
rejects "--socket-ring -1" "--socket-ring: '-1' is not a number in [0, 100]" \
	--socket-ring -1 -i nosuch0 "${ring[@]}"
rejects "--socket-ring with IPv4 off (-4 0)" "--socket-ring serves IPv4, which is off" \
	--socket-ring 1 -i nosuch0 -4 0 "${ring[@]}"
# port 1 on loopback: nothing listens there on a test machine
expect 1 "status: a daemon that is not there is named with its URL" \
	"http://127.0.0.1:1/status" status 127.0.0.1:1
expect 1 "exits 1 naming an interface that does not exist" "nosuch0: no such interface" \
	-i nosuch0 -a 127.0.0.1:10999 -b '[::1]:10999' --metrics-listen 127.0.0.1:10998
accepts "--help prints usage" "Usage: xdp-ntpd" --help
accepts "-h prints usage" "--xdp-mode MODE" -h
accepts "--version prints the version" "xdp-ntpd 0." --version

plan
