"""Drives a kernel from `aisecrets jupyter install` for the attack tests (#18 review).

Usage: jupyter_attack.py PLAN.json RESULT.json

PLAN: {"kernel": NAME, "cwd": DIR, "cells": [[label, code, timeout]...],
       "probe": argv run while the kernel runs ("{transport}", "{ip}", "{ports}" filled in
       from the kernel's own connection file), "interrupt": code to interrupt after 1 s,
       "orphan": cells run by a client that then dies without shutting the kernel down,
       "kill_restart": restart_kernel(now=True) after the cells}
RESULT: {"cells": {label: {...}}, "kernel": {"conn", "pid"}, "probe": stdout,
         "interrupt": {...}, "orphan": {...}, "kill_restart": {...}}
"""

import json
import os
import queue
import subprocess
import sys
import time

from jupyter_client.manager import KernelManager

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jupyter_driver import CONN, gone  # noqa: E402


def cell(kc, code, timeout=30):
    """Runs `code`: its outputs and reply, or {"status": "timeout"}."""
    msg_id = kc.execute(code)
    outputs = []
    end = time.time() + timeout
    try:
        while True:
            msg = kc.get_iopub_msg(timeout=max(0.1, end - time.time()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            t = msg["msg_type"]
            if t == "status" and msg["content"]["execution_state"] == "idle":
                break
            if t in ("stream", "execute_result", "display_data", "error"):
                outputs.append({"type": t, "content": msg["content"]})
        while True:
            reply = kc.get_shell_msg(timeout=max(0.1, end - time.time()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    except queue.Empty:
        return {"status": "timeout", "outputs": outputs, "text": json.dumps(outputs)}
    c = reply["content"]
    return {"status": c["status"], "ename": c.get("ename"), "evalue": c.get("evalue"),
            "outputs": outputs, "text": json.dumps(outputs)}


def info(kc):
    text = "".join(o["content"].get("text", "") for o in cell(kc, CONN)["outputs"])
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


ORPHAN = """\
import json, os, sys
sys.path.insert(0, %r)
from jupyter_client.manager import KernelManager
from jupyter_attack import cell, info
plan = json.loads(sys.argv[1])
km = KernelManager(kernel_name=plan["kernel"])
km.start_kernel(cwd=plan["cwd"])
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
for code in plan["orphan"]:
    cell(kc, code)
i = info(kc)
print("aisecrets=" + str(km.provisioner.pid))
print("pid=" + i["pid"])
sys.stdout.flush()
os._exit(0)
""" % os.path.dirname(os.path.abspath(__file__))


def main(plan_path, result_path):
    with open(plan_path) as f:
        plan = json.load(f)
    result = {"cells": {}}
    if plan.get("orphan") is not None:
        out = subprocess.run([sys.executable, "-c", ORPHAN, json.dumps(plan)],
                             capture_output=True, text=True, timeout=120)
        got = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)
        t0 = time.time()
        result["orphan"] = {
            "started": "pid" in got,
            "kernel_gone": "pid" in got and gone(int(got["pid"]), 15),
            "aisecrets_gone": "aisecrets" in got and gone(int(got["aisecrets"]), 15),
            "seconds": time.time() - t0,
            "stderr": out.stderr[-2000:],
        }
        if "pid" in got and not result["orphan"]["kernel_gone"]:
            os.kill(int(got["pid"]), 9)
        with open(result_path, "w") as f:
            json.dump(result, f)
        return
    km = KernelManager(kernel_name=plan["kernel"])
    km.start_kernel(cwd=plan["cwd"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    for label, code, timeout in plan.get("cells", []):
        result["cells"][label] = cell(kc, code, timeout)
    k = info(kc)
    result["kernel"] = k
    if plan.get("probe"):
        conn = json.load(open(k["conn"]))
        ports = ",".join(str(conn[c + "_port"]) for c in ("shell", "iopub", "stdin", "control", "hb"))
        argv = [a.replace("{transport}", conn["transport"]).replace("{ip}", conn["ip"]).replace("{ports}", ports)
                for a in plan["probe"]]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        result["probe"] = p.stdout + p.stderr
    if plan.get("interrupt"):
        msg_id = kc.execute(plan["interrupt"])
        time.sleep(1.0)
        t0 = time.time()
        km.interrupt_kernel()
        while True:
            reply = kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        result["interrupt"] = {"seconds": time.time() - t0, "status": reply["content"]["status"]}
    if plan.get("kill_restart"):
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=60)
        result["kill_restart"] = {"old_kernel_gone": gone(int(k["pid"]), 15)}
        if not result["kill_restart"]["old_kernel_gone"]:
            os.kill(int(k["pid"]), 9)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
