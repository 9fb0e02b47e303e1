"""Drives a kernel from `aisecrets jupyter install` with the real jupyter_client (#18).

Usage: jupyter_driver.py PLAN.json RESULT.json

PLAN: {"kernel": NAME, "cwd": DIR, "secrets": [values that must never appear],
       "control": a value the kernel prints in every form (the search must find it)}
RESULT: {"cells": {label: {"status", "ename", "evalue", "outputs": [{"type", "content"}]}},
         "client_connection_file", "client_key", "interrupt": {...}, "restart": {...},
         "shutdown": {...}, "frames": N, "leaks": [...], "control_leaks": [...]}

Every frame any socket of the client receives (shell, iopub, stdin, control, heartbeat:
a tap on pyzmq's Socket.recv, which recv_multipart calls) is kept as raw bytes and
searched for each secret in every form `run --mask` knows (util/leak_forms.py).
"""

import json
import os
import subprocess
import sys
import time

import zmq
from jupyter_client.manager import KernelManager

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "util"))
from leak_forms import leaks as find_leaks  # noqa: E402

FRAMES = []
_recv = zmq.Socket.recv


def _tap(self, *args, **kwargs):
    out = _recv(self, *args, **kwargs)
    FRAMES.append(bytes(out.bytes if hasattr(out, "bytes") else out))
    return out


zmq.Socket.recv = _tap


def cell(kc, code, timeout=60):
    """Runs `code`; its outputs (stream, execute_result, display_data, error) and reply."""
    msg_id = kc.execute(code)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t == "status" and msg["content"]["execution_state"] == "idle":
            break
        if t in ("stream", "execute_result", "display_data", "error"):
            outputs.append({"type": t, "content": msg["content"]})
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    c = reply["content"]
    return {
        "status": c["status"],
        "ename": c.get("ename"),
        "evalue": c.get("evalue"),
        "outputs": outputs,
        "text": json.dumps(outputs),
    }


def gone(pid, within=15.0):
    end = time.time() + within
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


CONN = """\
import json, os
from ipykernel.connect import get_connection_file
f = get_connection_file()
print("conn=" + f)
print("key=" + json.load(open(f))["key"])
print("pid=" + str(os.getpid()))
"""


ORPHAN = """\
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(%r)))
from jupyter_client.manager import KernelManager
from jupyter_driver import conn_info
km = KernelManager(kernel_name=sys.argv[1])
km.start_kernel(cwd=sys.argv[2])
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
info = conn_info(kc)
print("aisecrets=" + str(km.provisioner.pid))
for k, v in info.items():
    print(k + "=" + v)
sys.stdout.flush()
os._exit(0)
""" % __file__


def conn_info(kc):
    text = "".join(o["content"].get("text", "") for o in cell(kc, CONN)["outputs"])
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def main(plan_path, result_path):
    with open(plan_path) as f:
        plan = json.load(f)
    ctl = json.dumps(plan["control"])
    cells = {
        "hash": 'import os, hashlib\nprint("sha=" + hashlib.sha256(os.environ["OPENAI_API_KEY"].encode()).hexdigest())',
        "print": 'print(os.environ["OPENAI_API_KEY"])',
        "environ": "os.environ",
        "html": 'from IPython.display import HTML, display\ndisplay(HTML("<b>" + os.environ["OPENAI_API_KEY"] + "</b>"))',
        "base64": 'import base64\nprint(base64.b64encode(os.environ["OPENAI_API_KEY"].encode()).decode())',
        "forms": (
            "import json, urllib.parse\nv = os.environ['OPENAI_API_KEY']\n"
            "print(v.encode().hex()); print(v.encode().hex().upper())\n"
            "print(urllib.parse.quote(v, safe='')); print(json.dumps({'k': v}))\n"
            "print(base64.urlsafe_b64encode(v.encode()).decode().rstrip('='))\n"
            "import sys; print(os.environ['HF_TOKEN'], file=sys.stderr)\n"
            # The kernel's own stderr, to the server's log: run's --mask.
            "os.write(2, ('log: ' + v + '\\n').encode())"
        ),
        "raise": 'raise ValueError("the key is " + os.environ["OPENAI_API_KEY"])',
        "control": (
            f"import base64, json, urllib.parse\nv = {ctl}\n"
            "print(v); print(base64.b64encode(v.encode()).decode()); print(base64.urlsafe_b64encode(v.encode()).decode())\n"
            "print(v.encode().hex()); print(v.encode().hex().upper()); print(urllib.parse.quote(v, safe=''))"
        ),
    }
    result = {"cells": {}}
    km = KernelManager(kernel_name=plan["kernel"])
    started = time.time()
    km.start_kernel(cwd=plan["cwd"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    result["start_seconds"] = time.time() - started
    result["client_connection_file"] = km.connection_file
    result["client_key"] = km.session.key.decode()
    for label, code in cells.items():
        result["cells"][label] = cell(kc, code)
    first = conn_info(kc)
    result["kernel"] = first

    # Interrupt: a cell sleeping 60 s ends with KeyboardInterrupt.
    msg_id = kc.execute("import time\ntime.sleep(60)")
    time.sleep(1.0)
    t0 = time.time()
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    result["interrupt"] = {
        "status": reply["content"]["status"],
        "ename": reply["content"].get("ename"),
        "seconds": time.time() - t0,
    }

    # Restart: a new aisecrets and kernel on the same ports; still masked.
    old_pid = km.provisioner.pid
    t0 = time.time()
    km.restart_kernel()
    kc.wait_for_ready(timeout=60)
    after = cell(kc, 'import os\nprint(os.environ["OPENAI_API_KEY"])')
    second = conn_info(kc)
    result["restart"] = {
        "seconds": time.time() - t0,
        "old_aisecrets_gone": gone(old_pid),
        "old_kernel_gone": gone(int(first["pid"])),
        "old_ramdir_gone": not os.path.exists(os.path.dirname(first["conn"])),
        "new_pid": km.provisioner.pid != old_pid,
        "cell": after,
    }

    # Restart with now=True: jupyter_client SIGKILLs aisecrets' process group. The kernel
    # (a process group of its own) goes with it (parent-death signal), and the RAM folder
    # the killed aisecrets left is swept by the next aisecrets, the new kernel's.
    old_pid = km.provisioner.pid
    km.restart_kernel(now=True)
    kc.wait_for_ready(timeout=60)
    killed = cell(kc, 'import os\nprint(os.environ["OPENAI_API_KEY"])')
    third = conn_info(kc)
    result["kill_restart"] = {
        "old_aisecrets_gone": gone(old_pid),
        "old_kernel_gone": gone(int(second["pid"])),
        "old_ramdir_gone": not os.path.exists(os.path.dirname(second["conn"])),
        "cell": killed,
    }
    second = third

    # Shutdown: aisecrets and the kernel gone, the RAM folder removed.
    pid = km.provisioner.pid
    kc.stop_channels()
    km.shutdown_kernel()
    result["shutdown"] = {
        "aisecrets_gone": gone(pid),
        "kernel_gone": gone(int(second["pid"])),
        "ramdir_gone": not os.path.exists(os.path.dirname(second["conn"])),
        "ramdir": os.path.dirname(second["conn"]),
    }

    # A client that dies without shutting the kernel down: aisecrets and the kernel end
    # too (as ipykernel's parent poller makes a plain kernel end).
    orphan = subprocess.run(
        [sys.executable, "-c", ORPHAN, plan["kernel"], plan["cwd"]],
        capture_output=True, text=True, timeout=120,
    )
    info = dict(l.split("=", 1) for l in orphan.stdout.splitlines() if "=" in l)
    result["client_died"] = {
        "started": "pid" in info,
        "aisecrets_gone": "aisecrets" in info and gone(int(info["aisecrets"])),
        "kernel_gone": "pid" in info and gone(int(info["pid"])),
        "ramdir_gone": "conn" in info and not os.path.exists(os.path.dirname(info["conn"])),
        "stderr": orphan.stderr[-2000:] if "pid" not in info else "",
    }

    result["frames"] = len(FRAMES)
    result["leaks"] = find_leaks(plan["secrets"], FRAMES)
    result["control_leaks"] = find_leaks([plan["control"]], FRAMES)
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
