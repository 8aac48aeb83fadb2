#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write dnsift segments from docs/segment-format.md alone (an independent writer,
so the database's tests do not depend on the sensor's writer for volume or for
hand-made bad lines), with the stock lz4 CLI for the LZ4 frame.

  make_db_segments.py OUTDIR SENSOR FIRST_SEQ NSEG RECORDS [--seed N] [--names N]
  make_db_segments.py --lines FILE OUTDIR SENSOR SEQ   (one segment of the given lines)

Records: A, AAAA, NS, MX, CNAME, TXT over a pool of --names owner names (so the
same RRset recurs across segments and the database must merge it), random times
and counts. Output names are SENSOR.SEQ(12).OPENTIME.ndjson.lz4.
"""
import json
import os
import random
import struct
import subprocess
import sys
import time
import zlib

HEAD_MAGIC = 0x184D2A5D
TAIL_MAGIC = 0x184D2A5E


def skippable(magic, text):
    b = text.encode()
    return struct.pack("<III", magic, 4 + len(b), zlib.crc32(b) & 0xFFFFFFFF) + b


def lz4_frame(content):
    # -BX: block checksums; the frame (content) checksum is on by default.
    return subprocess.run(["lz4", "-q", "-c", "-BX", "-1"], input=content,
                          stdout=subprocess.PIPE, check=True).stdout


def write_segment(outdir, sensor, seq, lines, open_time):
    content = "".join(l + "\n" for l in lines).encode()
    count_sum = 0
    for l in lines:
        try:
            c = json.loads(l).get("count")
            if isinstance(c, int) and not isinstance(c, bool):
                count_sum += c
        except (ValueError, AttributeError):
            pass
    head = json.dumps({"format": "dnsift-segment", "version": 1, "sensor_id": sensor,
                       "seq": seq, "open_time": open_time, "hostname": "gen"},
                      separators=(",", ":"))
    tail = json.dumps({"seq": seq, "close_time": open_time + 60, "records": len(lines),
                       "count_sum": count_sum, "content_bytes": len(content),
                       "recovered": False, "drops": {"rx_nombuf": seq % 3, "gen_test": 1}},
                      separators=(",", ":"))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(open_time))
    name = "%s.%012d.%s.ndjson.lz4" % (sensor, seq, stamp)
    tmp = os.path.join(outdir, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(skippable(HEAD_MAGIC, head))
        f.write(lz4_frame(content))
        f.write(skippable(TAIL_MAGIC, tail))
    os.rename(tmp, os.path.join(outdir, name))
    return name


def records(rng, n, names, sensor):
    out = []
    for _ in range(n):
        k = rng.randrange(names)
        zone = "z%d.example%d.test." % (k % 211, k % 7)
        owner = "h%d.%s" % (k, zone)
        t = rng.randrange(6)
        if t == 0:
            rrtype, rdata = "A", ["10.%d.%d.%d" % (k >> 16 & 255, k >> 8 & 255, k & 255)]
        elif t == 1:
            rrtype, rdata = "AAAA", ["2001:db8::%x" % k]
        elif t == 2:
            owner, rrtype = zone, "NS"
            rdata = sorted(["ns%d.dns%d.test." % (k % 5, k % 13), "ns9.dns%d.test." % (k % 13)])
        elif t == 3:
            rrtype, rdata = "MX", ["10 mx%d.%s" % (k % 3, zone)]
        elif t == 4:
            rrtype, rdata = "CNAME", ["h%d.%s" % ((k * 31) % names, zone)]
        else:
            rrtype, rdata = "TXT", ['"v=%d"' % (k % 17)]
        tf = 1764000000 + rng.randrange(86400)
        rec = {"rrname": owner, "rrtype": rrtype, "rdata": rdata, "time_first": tf,
               "time_last": tf + rng.randrange(3600), "count": 1 + rng.randrange(50)}
        if rng.randrange(4):
            rec["bailiwick"] = zone
        rec["sensor_id"] = sensor
        out.append(json.dumps(rec, separators=(",", ":")))
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "--lines":
        path, outdir, sensor, seq = argv[2], argv[3], argv[4], int(argv[5])
        with open(path) as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
        print(write_segment(outdir, sensor, seq, lines, 1764000000 + seq))
        return 0
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)
    outdir, sensor, first, nseg, nrec = args[0], args[1], int(args[2]), int(args[3]), int(args[4])
    rng = random.Random(int(opts.get("seed", "1")))
    names = int(opts.get("names", "100000"))
    os.makedirs(outdir, exist_ok=True)
    for i in range(nseg):
        seq = first + i
        write_segment(outdir, sensor, seq, records(rng, nrec, names, sensor), 1764000000 + seq)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
