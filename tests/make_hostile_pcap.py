#!/usr/bin/env python3
"""Write a pcap with upstream DNS answers whose data is hostile to a web page.

Two query/answer pairs between a resolver and a server (the sensor records them as it
records any upstream answer):
  evil.example.test. TXT  one RR of several strings: <script>, <img onerror>, quotes,
                          backslashes, an HTML entity, a non-ASCII byte, a control byte;
                          and one RR holding a javascript: URL
  x<b>y.example.test. CNAME  the target name <img src=x onerror=...>.example.test.
                          (a name that becomes a pivot link on the page)
The bytes are chosen here, on the wire; what the page must show is the API's rendering
of them (master-file presentation), never markup. Standard library only.
Usage: make_hostile_pcap.py OUT.pcap
"""
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + udp


def name(*labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def txt(*strings):
    return b"".join(bytes([len(s)]) + s for s in strings)


def exchange(qid, qname, qtype, answers):
    question = qname + struct.pack("!HH", qtype, 1)
    query = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0) + question
    rrs = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 300, len(rd)) + rd for rd in answers)
    response = struct.pack("!HHHHHH", qid, 0x8400, 1, len(answers), 0, 0) + question + rrs
    return query, response


def main():
    out = sys.argv[1]
    evil = name(b"evil", b"example", b"test")
    txt_rrs = [
        txt(b"<script>window.__pwned='script'</script>",
            b"<img src=x onerror=\"window.__pwned='img'\">",
            b"quote \" and backslash \\ and &lt;b&gt;",
            b"byte \xff ctl \x07 end"),
        txt(b"javascript:window.__pwned='href'"),
    ]
    cname_owner = name(b"x<b>y", b"example", b"test")
    cname_rd = name(b"<img src=x onerror=window.__pwned=1>", b"example", b"test")
    resolver, server = bytes([198, 51, 100, 53]), bytes([198, 51, 100, 30])
    frames = []
    for i, (qn, qt, ans) in enumerate([(evil, 16, txt_rrs), (cname_owner, 5, [cname_rd])]):
        q, r = exchange(0x5150 + i, qn, qt, ans)
        frames += [frame(resolver, server, 41000 + i, 53, q), frame(server, resolver, 53, 41000 + i, r)]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1764190000 + i, 0, len(fr), len(fr)))
            f.write(fr)


main()
