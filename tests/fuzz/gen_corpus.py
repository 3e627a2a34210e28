#!/usr/bin/env python3
# Regenerate the seed corpus in tests/fuzz/corpus/ (committed; this script
# documents what each seed is).  Layouts follow each fuzz_*.c's header.
import hashlib, os, struct, sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NTP_DELTA = 2208988800
NS = 10**9
NOW_UNIX_NS = 1_763_000_000 * NS        # late 2025
TAI_OFF = 37 * NS
NOW_TAI = NOW_UNIX_NS + TAI_OFF

def lvm(li, vn, mode):
    return (li << 6) | (vn << 3) | mode

def ntp_ts(unix_ns):
    sec, nsec = divmod(unix_ns, NS)
    return (((sec + NTP_DELTA) & 0xffffffff) << 32) | ((nsec << 32) // NS)

def packet(b0, stratum=0, poll=0, prec=0, rdelay=0, rdisp=0, refid=b"\0\0\0\0",
           ref=0, org=0, rec=0, xmt=0):
    return struct.pack(">BBbbII4sQQQQ", b0, stratum, poll, prec, rdelay, rdisp, refid,
                       ref, org, rec, xmt)

def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# --- fuzz_ntp_proto: request(48) state(64) cfg(16) rx tx flags rc(24)
#     tat now d limited(4) saddr4(4) saddr6(16) prefix4 prefix6
def state(stratum=2, leap=0, update=NOW_TAI, disp=0x100, delay=0x200, prec=-20,
          refid=b"GPS\0"):
    base_ntp = ntp_ts(update - TAI_OFF) if update else 0
    return struct.pack("<QQqqII4sBBbBQQ", update, ntp_ts(update - TAI_OFF - NS), TAI_OFF, 0,
                       delay, disp, refid, leap, stratum, prec, 0, update, base_ntp)

def cfg(max_age=10 * NS, pmin=4, pmax=17):
    return struct.pack("<QHbbBBBB", max_age, 0x7b00, pmin, pmax, 0, 1, 0, 0)

def rate_cfg(cost=NS // 2, burst=8 * NS, leak=2):
    return struct.pack("<QQBBBBBBBB", cost, burst, 1, leak, 1, 0, 32, 64, 0, 0)

def proto(req, st, flags=7, rx=NOW_TAI + 1000, tx=NOW_TAI + 5000, tat=NOW_TAI + NS,
          now=NOW_TAI, limited=4):
    return (req + st + cfg() + struct.pack("<QQB", rx, tx, flags) + rate_cfg() +
            struct.pack("<QQQI", tat, now, 123456, limited) + bytes([192, 0, 2, 1]) +
            bytes.fromhex("20010db8000000000000000000000001") + bytes([24, 56]))

xmt = ntp_ts(NOW_UNIX_NS) ^ 0x1234
write("fuzz_ntp_proto", "v4_client", proto(packet(lvm(0, 4, 3), poll=6, xmt=xmt), state()))
write("fuzz_ntp_proto", "v1_mode0", proto(packet(lvm(0, 1, 0), xmt=xmt), state()))
write("fuzz_ntp_proto", "v3_leap_insert", proto(packet(lvm(0, 3, 3), poll=20, xmt=xmt),
                                                state(leap=1)))
write("fuzz_ntp_proto", "v4_stale", proto(packet(lvm(0, 4, 3), xmt=xmt),
                                          state(update=NOW_TAI - 60 * NS)))
write("fuzz_ntp_proto", "v4_stratum16", proto(packet(lvm(0, 4, 3), xmt=xmt), state(stratum=16)))
write("fuzz_ntp_proto", "mode_server", proto(packet(lvm(0, 4, 4), xmt=xmt), state()))
write("fuzz_ntp_proto", "mode_control", proto(packet(lvm(0, 2, 6)), state()))
write("fuzz_ntp_proto", "v5_client", proto(packet(lvm(0, 5, 3)), state()))

# --- fuzz_upstream: flags(1) nonce t1 t4 tai_offset(8 each) precision(1) datagram
def upstream(flags, pkt, nonce=0, t1=NOW_TAI, t4=NOW_TAI + 20_000_000, prec=-20):
    return struct.pack("<BQQQqb", flags, nonce, t1, t4, TAI_OFF, prec) + pkt

nonce = 0x0123456789abcdef
t2 = ntp_ts(NOW_UNIX_NS + 9_000_000)
t3 = ntp_ts(NOW_UNIX_NS + 9_500_000)
good = packet(lvm(0, 4, 4), 2, 6, -23, 0x30, 0x40, b"\xc0\x00\x02\x01", ntp_ts(NOW_UNIX_NS - NS),
              nonce, t2, t3)
# the nonce is compared as the raw wire bytes of the origin field
wire_nonce = int.from_bytes(struct.pack(">Q", nonce), "little")
write("fuzz_upstream", "server_ok", upstream(0, good, wire_nonce))
write("fuzz_upstream", "server_ok_flags", upstream(3, good, 0, NOW_TAI - TAI_OFF, 20_000_000))
write("fuzz_upstream", "kod_rate", upstream(1, packet(lvm(3, 4, 4), 0, refid=b"RATE", org=nonce)))
write("fuzz_upstream", "kod_deny", upstream(1, packet(lvm(3, 4, 4), 0, refid=b"DENY", org=nonce)))
write("fuzz_upstream", "bad_origin", upstream(0, good, wire_nonce + 1))
write("fuzz_upstream", "unsync", upstream(1, packet(lvm(3, 4, 4), 3, org=nonce, rec=t2, xmt=t3)))
write("fuzz_upstream", "short", upstream(1, good[:47]))
write("fuzz_upstream", "with_mac", upstream(1, good + struct.pack(">I", 1) + bytes(16)))

# --- fuzz_auth: byte 0 even: packet vs keyring {1 MD5 md5secret, 2 SHA1
#     sha1secret, 3 AES128 00112233..ff, 0xffffffff SHA1 max}; odd: key file
req = packet(lvm(0, 4, 3), xmt=xmt)
def signed(keyid, key, algo):
    return req + struct.pack(">I", keyid) + hashlib.new(algo, key + req).digest()
write("fuzz_auth", "plain", b"\0" + req)
write("fuzz_auth", "sha1_signed", b"\0" + signed(2, b"sha1secret", "sha1"))
write("fuzz_auth", "md5_signed", b"\0" + signed(1, b"md5secret", "md5"))
write("fuzz_auth", "sha1_bad_mac", b"\0" + signed(2, b"wrong", "sha1"))
write("fuzz_auth", "cmac_key3", b"\0" + req + struct.pack(">I", 3) + bytes(16))
write("fuzz_auth", "unknown_key", b"\0" + req + struct.pack(">I", 99) + bytes(20))
write("fuzz_auth", "extension_field", b"\0" + req + bytes.fromhex("0104001000000000") + bytes(8))
write("fuzz_auth", "keys_all_types", b"\1" + b"# id type key\n"
      b"1 MD5 md5secret\n2 SHA1 HEX:0102030405060708090a0b0c0d0e0f1011121314\n"
      b"3 AES128 HEX:00112233445566778899aabbccddeeff\n"
      b"4 M ASCII:text#comment\n5 sha1 0123456789abcdef0123456789abcdef\n"
      b"6 AES128CMAC 00112233445566778899aabbccddeeff\n7 plaintext\n\n\t \n")
write("fuzz_auth", "keys_duplicate", b"\1" + b"1 MD5 a\n1 SHA1 b\n")
write("fuzz_auth", "keys_bad_type", b"\1" + b"9 RC4 HEX:00\n")

# --- fuzz_policy: byte 0 % 3: 0 rate, 1 acl (bit 2: deny), 2 argv split at NUL
write("fuzz_policy", "rate_2_16", b"\0" + b"2/16")
write("fuzz_policy", "rate_off", b"\0" + b"off")
write("fuzz_policy", "rate_frac", b"\0" + b"0.5/4")
write("fuzz_policy", "acl_v4", b"\1" + b"192.0.2.0/24")
write("fuzz_policy", "acl_v6_deny", b"\4" + b"2001:db8::/32")
write("fuzz_policy", "acl_host", b"\1" + b"203.0.113.7")
def argv(*a):
    return b"\2" + b"\0".join(x.encode() for x in a)
write("fuzz_policy", "argv_full", argv("-a", "127.0.0.1:123", "-b", "[::1]:123", "-s",
      "pool.ntp.org", "-s", "192.0.2.1:1123", "--rate-limit", "10/20", "--allow", "10.0.0.0/8",
      "--deny", "::/0", "--xdp-mode", "socket", "--local-stratum", "10", "--kod"))
write("fuzz_policy", "argv_polls", argv("-d", "-i", "eth0", "--min-poll", "5", "--max-poll", "3"))
write("fuzz_policy", "argv_misc", argv("-u", "ntp", "-r", "/var/empty", "--keys", "/etc/k",
      "--clock", "corrected", "--stale-action", "pass", "--max-age=20", "--rate-leak", "3",
      "--rate-prefix6", "48", "--metrics-listen", "[::1]:9978", "-4", "2", "-6", "0"))
write("fuzz_policy", "argv_help", argv("--help"))
write("fuzz_policy", "argv_cluster", argv("-dX", "-a"))

# --- fuzz_packet_frame: tos(1) payload_len-1(2, big endian, mod 1024)
#     flags(1, bit 0 sum_trusted) frame; both checksums right unless said
def csum16(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ring_frame(data=None, ip0=0x45, frag=0, tot=None, udp_len=None, ethertype=0x0800, proto=17,
               trail=b"", ip_sum=None, udp_sum=None):
    data = packet(lvm(0, 4, 3), xmt=ntp_ts(NOW_UNIX_NS)) if data is None else data
    udp_len = 8 + len(data) if udp_len is None else udp_len
    tot = 20 + 8 + len(data) if tot is None else tot
    sa, da = bytes([198, 18, 0, 7]), bytes([192, 0, 2, 1])
    eth = bytes.fromhex("020000000001" "020000000002") + struct.pack(">H", ethertype)
    ip = struct.pack(">BBHHHBBH4s4s", ip0, 0, tot, 0x1234, frag, 64, proto, 0, sa, da)
    ip = ip[:10] + struct.pack(">H", csum16(ip) if ip_sum is None else ip_sum) + ip[12:]
    udp = struct.pack(">HHHH", 40123, 123, udp_len, 0) + data
    c = csum16(sa + da + struct.pack(">BBH", 0, 17, udp_len) + udp[:udp_len]) or 0xffff
    udp = udp[:6] + struct.pack(">H", c if udp_sum is None else udp_sum) + udp[8:]
    return eth + ip + udp + trail
def ring_input(frame, tos=0, plen=48, trusted=0):
    return struct.pack(">BHB", tos, plen - 1, trusted) + frame
signed_req = packet(lvm(0, 4, 3), xmt=ntp_ts(NOW_UNIX_NS)) + struct.pack(">I", 10) + bytes(20)
write("fuzz_packet_frame", "plain", ring_input(ring_frame()))
write("fuzz_packet_frame", "plain_tos_ef", ring_input(ring_frame(), tos=0xb8))
write("fuzz_packet_frame", "signed", ring_input(ring_frame(signed_req), plen=72))
write("fuzz_packet_frame", "mode6_12", ring_input(ring_frame(bytes([0x16, 1]) + bytes(10),
      trail=bytes(6)), plen=468))
write("fuzz_packet_frame", "odd_answer", ring_input(ring_frame(), plen=49))
write("fuzz_packet_frame", "eth_padding", ring_input(ring_frame(trail=bytes(6))))
write("fuzz_packet_frame", "df", ring_input(ring_frame(frag=0x4000)))
write("fuzz_packet_frame", "no_udp_sum", ring_input(ring_frame(udp_sum=0)))
write("fuzz_packet_frame", "udp_len_short", ring_input(ring_frame(udp_len=55)))
write("fuzz_packet_frame", "bad_ip_sum", ring_input(ring_frame(ip_sum=0x1111)))
write("fuzz_packet_frame", "bad_udp_sum", ring_input(ring_frame(udp_sum=0x1111)))
write("fuzz_packet_frame", "bad_udp_sum_trusted", ring_input(ring_frame(udp_sum=0x1111), trusted=1))
write("fuzz_packet_frame", "mf", ring_input(ring_frame(frag=0x2000)))
write("fuzz_packet_frame", "offset", ring_input(ring_frame(frag=0x0003)))
write("fuzz_packet_frame", "ihl6", ring_input(ring_frame(ip0=0x46)))
write("fuzz_packet_frame", "udp57", ring_input(ring_frame(udp_len=57)))
write("fuzz_packet_frame", "tot77", ring_input(ring_frame(tot=77)))
write("fuzz_packet_frame", "vlan", ring_input(ring_frame(ethertype=0x8100)))
write("fuzz_packet_frame", "short", ring_input(ring_frame()[:89]))
