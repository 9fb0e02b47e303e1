"""Fake upstream servers for tests/integration/proxy.rs (#15): an OpenAI- and Hugging
Face-compatible HTTPS server, a second HTTPS host and a plain-HTTP host, all on loopback.

Usage: fake_server.py DIR CERT KEY. Writes DIR/ports ("A B C": TLS, second TLS, plain) once
listening; each server appends every request's line and credential headers to DIR/log-X.
"""

import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR, CERT, KEY = sys.argv[1], sys.argv[2], sys.argv[3]


def handler(name):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def record(self):
            auth = self.headers.get("Authorization", "")
            key = self.headers.get("x-api-key", "")
            with open(os.path.join(DIR, "log-" + name), "a") as f:
                f.write(f"{self.command} {self.path} auth={auth} x-api-key={key}\n")
            return auth

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def send(self, code, data, ctype="application/json", extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            auth = self.record()
            if self.path.startswith("/api/whoami"):
                who = {"type": "user", "name": "tester", "fullname": "Test User",
                       "auth": {"accessToken": {"displayName": "t", "role": "read"}},
                       "echo": auth}
                return self.send(200, json.dumps(who).encode())
            if self.path.startswith("/v1/models"):
                data = {"object": "list", "data": [{"id": "fake-model", "object": "model",
                        "created": 0, "owned_by": auth}]}
                return self.send(200, json.dumps(data).encode(), extra={"X-Echo": auth})
            self.send(200, ("echo " + auth + "\n").encode(), "text/plain", {"X-Echo": auth})

        def do_POST(self):
            auth = self.record()
            req = json.loads(self.body() or b"{}")
            if req.get("stream"):
                return self.stream(auth)
            data = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                    "model": req.get("model", "m"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "echo " + auth}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            self.send(200, json.dumps(data).encode(), extra={"X-Echo": auth})

        def stream(self, auth):
            # The first event, then wait until the client has seen it (it creates
            # DIR/release): a proxy that buffers never lets the client see it in time.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def event(content):
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0,
                         "model": "m", "choices": [{"index": 0, "finish_reason": None,
                                                    "delta": {"content": content}}]}
                data = ("data: " + json.dumps(chunk) + "\n\n").encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            event("first " + auth)
            release = os.path.join(DIR, "release")
            deadline = time.time() + 10
            while not os.path.exists(release) and time.time() < deadline:
                time.sleep(0.02)
            event("released" if os.path.exists(release) else "timeout")
            done = b"data: [DONE]\n\n"
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
            self.wfile.flush()

    return H


def serve(name, tls):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler(name))
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


ports = [serve("a", True), serve("b", True), serve("c", False)]
with open(os.path.join(DIR, "ports.tmp"), "w") as f:
    f.write(" ".join(map(str, ports)))
os.rename(os.path.join(DIR, "ports.tmp"), os.path.join(DIR, "ports"))
sys.stdin.read()  # until the test closes our stdin (or dies)
