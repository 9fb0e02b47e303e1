"""`run --proxy` speed (#15): request latency through the proxy over keep-alive against a
direct TLS request to the same loopback server, requests/s through it, and aisecrets' memory
while it proxies 100 concurrent streams. Everything on loopback.

python3 proxy_bench.py AISECRETS_BINARY WORKDIR RESULTS_TSV
Appends `proxy<TAB>label<TAB>value<TAB>unit` rows to RESULTS_TSV and prints them.
"""
import base64, json, os, subprocess, sys, time

AIS, W, RESULTS = sys.argv[1], sys.argv[2], sys.argv[3]
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "..", "tests", "integration", "proxy", "fake_server.py")
os.makedirs(W, exist_ok=True)
env = dict(os.environ, AISECRETS_HOME=os.path.join(W, "home"), AISECRETS_KEYRING="none",
           AISECRETS_SCRYPT_WORK_FACTOR="10")
for k in ("AISECRETS_IDENTITY", "AISECRETS_IDENTITY_FILE", "AISECRETS_ENV", "AISECRETS_TRUST"):
    env.pop(k, None)
proj = os.path.join(W, "p")
os.makedirs(proj, exist_ok=True)


def sh(*args, stdin=None):
    subprocess.run(args, cwd=proj, env=env, check=True, input=stdin,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


sh(AIS, "identity", "new", "--no-passphrase")
sh(AIS, "init")
sh(AIS, "set", "OPENAI_API_KEY", stdin=b"sk-proj-FAKEbench0000000000000000000000")
ssl_dir = os.path.join(W, "tls")
os.makedirs(ssl_dir, exist_ok=True)
o = lambda *a: subprocess.run(["openssl", *a], cwd=ssl_dir, check=True, capture_output=True)
o("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench-ca")
o("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=api.openai.com")
open(os.path.join(ssl_dir, "ext"), "w").write("subjectAltName=DNS:api.openai.com\n")
o("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
  "-out", "srv.pem", "-days", "2", "-extfile", "ext")
srv_dir = os.path.join(W, "srv")
os.makedirs(srv_dir, exist_ok=True)
server = subprocess.Popen(["python3", SERVER, srv_dir, os.path.join(ssl_dir, "srv.pem"),
                           os.path.join(ssl_dir, "srv.key")], stdin=subprocess.PIPE)
ports = os.path.join(srv_dir, "ports")
while not os.path.exists(ports):
    time.sleep(0.02)
port = int(open(ports).read().split()[0])
open(os.path.join(env["AISECRETS_HOME"], "config.toml"), "w").write(
    f'[proxy]\nresolve = {{ "api.openai.com" = "127.0.0.1:{port}" }}\n'
    f'upstream_ca_files = ["{ssl_dir}/ca.pem"]\n')

CLIENT = r'''
import base64, http.client, json, os, socket, ssl, sys, threading, time
port, ca, release = int(sys.argv[1]), sys.argv[2], sys.argv[3]
key = os.environ["OPENAI_API_KEY"]
proxy = os.environ["HTTPS_PROXY"][len("http://"):]
cred, addr = proxy.rsplit("@", 1)
phost, pport = addr.rsplit(":", 1)
auth = {"Proxy-Authorization": "Basic " + base64.b64encode(cred.encode()).decode()}
hdr = {"Authorization": "Bearer " + key}

class Direct(http.client.HTTPSConnection):
    def connect(self):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(s, server_hostname="api.openai.com")

def direct():
    return Direct("api.openai.com", port, context=ssl.create_default_context(cafile=ca))

def proxied():
    c = http.client.HTTPSConnection(phost, int(pport),
        context=ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"]))
    c.set_tunnel("api.openai.com", 443, headers=auth)
    return c

def lat(conn, n):
    out = []
    for i in range(n):
        t = time.perf_counter()
        conn.request("GET", "/v1/models", headers=hdr)
        conn.getresponse().read()
        out.append((time.perf_counter() - t) * 1000)
    return sorted(out)

res = {}
for name, make in (("direct", direct), ("proxy", proxied)):
    c = make(); lat(c, 50); l = lat(c, 1000)
    res[name + "_p50"], res[name + "_p99"] = l[len(l) // 2], l[int(len(l) * 0.99)]
# Requests/s through the proxy: 4 keep-alive connections for 3 s.
count = [0]
stop = time.time() + 3
def worker():
    c = proxied(); n = 0
    while time.time() < stop:
        c.request("GET", "/v1/models", headers=hdr); c.getresponse().read(); n += 1
    count[0] += n
ts = [threading.Thread(target=worker) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
res["rps"] = count[0] / 3
# 100 concurrent streams held open; aisecrets' memory meanwhile (it is our parent).
ready = threading.Barrier(101)
def stream():
    c = proxied()
    c.request("POST", "/v1/chat/completions", body=json.dumps({"stream": True}),
              headers=dict(hdr, **{"Content-Type": "application/json"}))
    r = c.getresponse(); r.read1(65536); ready.wait(); r.read()
ts = [threading.Thread(target=stream) for _ in range(100)]
[t.start() for t in ts]
ready.wait()
status = open(f"/proc/{os.getppid()}/status").read()
rss = {l.split(":")[0]: int(l.split()[1]) for l in status.splitlines() if l.startswith(("VmRSS", "VmHWM"))}
open(release, "w").close()
[t.join() for t in ts]
res["rss_mib"], res["hwm_mib"] = rss["VmRSS"] / 1024, rss["VmHWM"] / 1024
print(json.dumps(res))
'''
client = os.path.join(W, "client.py")
open(client, "w").write(CLIENT)
out = subprocess.run([AIS, "run", "--proxy", "--", "python3", client, str(port),
                      os.path.join(ssl_dir, "ca.pem"), os.path.join(srv_dir, "release")],
                     cwd=proj, env=env, check=True, capture_output=True)
server.kill()
r = json.loads(out.stdout.decode().strip().splitlines()[-1])
rows = [
    ("request p50, direct TLS (keep-alive)", r["direct_p50"], "ms"),
    ("request p50, through run --proxy (keep-alive)", r["proxy_p50"], "ms"),
    ("request p50 added by the proxy", r["proxy_p50"] - r["direct_p50"], "ms"),
    ("request p99, direct TLS", r["direct_p99"], "ms"),
    ("request p99, through the proxy", r["proxy_p99"], "ms"),
    ("requests/s through the proxy (4 connections, Python client and server)", r["rps"], "req/s"),
    ("aisecrets RSS with 100 open streams", r["rss_mib"], "MiB"),
    ("aisecrets peak RSS (VmHWM) during the run", r["hwm_mib"], "MiB"),
]
with open(RESULTS, "a") as f:
    for label, v, unit in rows:
        f.write(f"proxy\t{label}\t{v:.2f}\t{unit}\n")
        print(f"{label}: {v:.2f} {unit}")
