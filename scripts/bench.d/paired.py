"""paired.py N BASE CMD [LABEL]: how much CMD costs over BASE, for #14's start-up targets.

Runs BASE and CMD alternately N times (after 5 warm-ups each) and prints the medians of the
per-pair differences, CPU (user + system of the child, from wait4's rusage, as hyperfine and
`time` count it) and wall, in ms, tab-separated: `paired LABEL CPU WALL`. Alternating cancels
the drift of a shared machine that two rows measured one after another pick up (their
difference moved by 0.2 ms between runs). Runs on one CPU, so that wall time is CPU time.
Output of the commands goes to /dev/null.
"""

import os
import shlex
import statistics
import sys
import time

n, base, cmd = int(sys.argv[1]), shlex.split(sys.argv[2]), shlex.split(sys.argv[3])
label = sys.argv[4] if len(sys.argv) > 4 else sys.argv[3]
null = os.open(os.devnull, os.O_RDWR)
actions = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]


def once(argv):
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if status != 0:
        sys.exit(f"paired.py: {shlex.join(argv)} failed ({status})")
    return (usage.ru_utime + usage.ru_stime) * 1000, wall


# One CPU (the last this process may use): wall time is then CPU time, and base and command
# meet the same caches.
os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
for _ in range(5):
    once(base), once(cmd)
pairs = []
for i in range(n):
    # Which of the two goes first alternates, so that an effect of running second cancels.
    if i % 2:
        c = once(cmd)
        pairs.append((once(base), c))
    else:
        pairs.append((once(base), once(cmd)))
cpu = statistics.median(c[0] - b[0] for b, c in pairs)
wall = statistics.median(c[1] - b[1] for b, c in pairs)
print(f"paired\t{label}\t{cpu:.3f}\t{wall:.3f}")
