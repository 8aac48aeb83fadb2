#!/usr/bin/env python3
"""Hammer a DPDK telemetry socket with /dnsift/ requests until it goes away.

  telemetry_hammer.py SOCKET_PATH WAIT_SECONDS

Waits up to WAIT_SECONDS for the socket to appear, then keeps connecting and
sending requests (the same ones dnsift-control sends) until the sensor has
exited. Prints how many requests were answered, and how many answers said the
sensor was shutting down. Exit 1 if it never connected.
"""
import os
import socket
import sys
import time

CMDS = ["/dnsift/stats", "/dnsift/status", "/dnsift/worker_stats,0", "/dnsift/segments",
        "/dnsift/resolvers", "/dnsift/window"]


def main():
    path, wait = sys.argv[1], float(sys.argv[2])
    deadline = time.time() + wait
    while not os.path.exists(path):
        if time.time() > deadline:
            print("hammer: socket never appeared:", path)
            return 1
        time.sleep(0.005)
    answered = closing = connected = 0
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(5)
            s.connect(path)
            s.recv(16384)  # the greeting
            connected += 1
            for i in range(200):
                s.send(CMDS[i % len(CMDS)].encode())
                reply = s.recv(1 << 20)
                if not reply:
                    break
                answered += 1
                if b"shutting down" in reply:
                    closing += 1
            s.close()
        except (ConnectionError, FileNotFoundError, socket.timeout, OSError):
            if not os.path.exists(path) or connected:
                break
            time.sleep(0.002)
    print(f"hammer: connections={connected} answered={answered} shutting_down={closing}")
    return 0 if connected else 1


if __name__ == "__main__":
    sys.exit(main())
