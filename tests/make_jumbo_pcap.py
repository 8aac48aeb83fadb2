#!/usr/bin/env python3
"""Write a pcap with one upstream DNS query and its 9000-byte-class jumbo UDP answer.

The answer (unfragmented, as on a jumbo-MTU link) carries N A records for one name,
so the frame is bigger than one mbuf and net_pcap hands it to the sensor as a chain.
Standard library only. Usage: make_jumbo_pcap.py OUT.pcap N
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


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    qname = b"\x05jumbo\x07example\x04test\x00"
    question = qname + struct.pack("!HH", 1, 1)
    query = struct.pack("!HHHHHH", 0x4242, 0x0000, 1, 0, 0, 0) + question
    answers = b"".join(
        b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([192, 0, 2 + i // 250, i % 250 + 1])
        for i in range(n))
    response = struct.pack("!HHHHHH", 0x4242, 0x8400, 1, n, 0, 0) + question + answers
    resolver, server = bytes([198, 51, 100, 53]), bytes([198, 51, 100, 30])
    frames = [frame(resolver, server, 40000, 53, query), frame(server, resolver, 53, 40000, response)]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1764190000, i * 1000, len(fr), len(fr)))
            f.write(fr)


main()
