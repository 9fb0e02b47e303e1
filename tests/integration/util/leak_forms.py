"""The forms a secret value must never reach a client in, shared by the Python drivers
(mcp_client.py, jupyter_driver.py): every form `run --mask` knows (src/base/mask.rs) --
plain, base64 (standard and URL alphabets, with and without padding), hex in both cases,
URL-encoded, JSON-escaped.
"""

import base64
import json
import urllib.parse


def forms(value: str):
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    url64 = base64.urlsafe_b64encode(raw).decode()
    return {
        "plain": value,
        "base64": b64,
        "base64-unpadded": b64.rstrip("="),
        "base64url": url64,
        "base64url-unpadded": url64.rstrip("="),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "url-encoded": urllib.parse.quote(value, safe=""),
        "json-escaped": json.dumps(value)[1:-1],
    }


def leaks(values, messages):
    """Descriptions of every (value, form, message) where a form of a value is found;
    `messages` are str or bytes."""
    found = []
    for n, value in enumerate(values):
        for form, text in forms(value).items():
            for i, m in enumerate(messages):
                needle = text.encode() if isinstance(m, (bytes, bytearray)) else text
                if needle in m:
                    found.append(f"secret #{n} as {form} in message {i}")
    return found
