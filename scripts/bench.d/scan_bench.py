"""The scan rows of scripts/bench: the labelled corpus (scripts/make-scan-corpus) through
aisecrets and detect-secrets (recall, decoys flagged, MB/s), and `scan --history` on a
generated repository of 20,000 commits.

usage: scan_bench.py AIS DETECT WORKDIR RESULTS [COMMITS]
  AIS      the aisecrets binary; DETECT the detect-secrets command (a shell string)
  RESULTS  tab-separated rows are appended here: corpus\\tTOOL\\trecall\\tdecoys\\tMB/s and
           history\\tLABEL\\tseconds\\tfound
"""
import json, os, shutil, subprocess, sys, time, zlib

AIS, DETECT, W, RESULTS = os.path.abspath(sys.argv[1]), *sys.argv[2:5]
COMMITS = int(sys.argv[5]) if len(sys.argv) > 5 else 20000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus():
    tree = os.path.join(W, "corpus")
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts/make-scan-corpus"), tree, "--copies", "20"],
                   check=True, stderr=subprocess.DEVNULL)
    labels = json.load(open(os.path.join(tree, "labels.json")))
    os.remove(os.path.join(tree, "labels.json"))
    mb = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tree) for f in fs) / 1e6
    secrets = {(f, l) for f, l, _ in labels["secrets"]}
    decoys = {(f, l) for f, l, _ in labels["decoys"]}
    t0 = time.time()
    out = subprocess.run([AIS, "scan", "--json", "."], cwd=tree, capture_output=True, env=dict(os.environ, AISECRETS_KEYRING="none"))
    t1 = time.time()
    ours = {(f["file"], f["line"]) for f in json.loads(out.stdout)["findings"]}
    t2 = time.time()
    out = subprocess.run(f"{DETECT} scan --all-files .", shell=True, cwd=tree, capture_output=True)
    t3 = time.time()
    theirs = {(f, r["line_number"]) for f, rs in json.loads(out.stdout).get("results", {}).items() for r in rs}
    with open(RESULTS, "a") as r:
        for tool, found, secs in [("aisecrets scan", ours, t1 - t0), ("detect-secrets scan", theirs, t3 - t2)]:
            recall = len(secrets & found) / len(secrets)
            flagged = len(decoys & found)
            r.write(f"corpus\t{tool}\t{recall:.3f} ({len(secrets & found)}/{len(secrets)})\t"
                    f"{flagged}/{len(decoys)} ({100 * flagged / len(decoys):.1f}%)\t{mb / secs:.2f}\n")


def history():
    repo = os.path.join(W, "history")
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "init", "-q", repo], check=True)
    # fast-import: COMMITS commits, each changing one of 200 files; every 1000th commit adds a
    # key that the next commit removes.
    lines = []
    planted = 0
    for i in range(COMMITS):
        f = f"src/m{i % 200}.py"
        body = f"# revision {i}\ndef f{i}(x):\n    return x * {i}\n"
        if i % 1000 == 500:
            tok = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + j * 13) % 62] for j in range(52))
            body += f'GROQ = "gsk_{tok}"\n'
            planted += 1
        data = body.encode()
        lines.append(b"commit refs/heads/main\n")
        lines.append(f"committer b <b@example.invalid> {1700000000 + i} +0000\n".encode())
        lines.append(b"data 2\nc\n")
        lines.append(f"M 100644 inline {f}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(lines), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    t0 = time.time()
    out = subprocess.run([AIS, "scan", "--history"], cwd=repo, capture_output=True, env=dict(os.environ, AISECRETS_KEYRING="none"))
    t1 = time.time()
    found = sum(1 for l in out.stdout.decode().splitlines() if "Groq" in l)
    with open(RESULTS, "a") as r:
        r.write(f"history\taisecrets scan --history ({COMMITS:,} commits)\t{t1 - t0:.2f}\t{found}/{planted}\n")


corpus()
history()
