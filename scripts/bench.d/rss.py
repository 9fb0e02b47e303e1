"""Peak resident set size (MiB) of a command, over a few runs, via GNU time (so the number
is the command's own, not a forked copy of this script): python3 rss.py RUNS 'CMD'"""
import subprocess, sys, tempfile
runs, cmd = int(sys.argv[1]), sys.argv[2]
peak = 0
for _ in range(runs):
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, "sh", "-c", "exec " + cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = max(peak, int(out.read().strip().splitlines()[-1]))
print(f"{peak / 1024:.1f}")
