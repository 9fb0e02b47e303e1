"""A stand-in training script: reads its keys from the environment, never from a file.

Run it with the project's secrets:

    aisecrets run -- python3 examples/train.py

It prints which keys it got and a short fingerprint of each, never a value, so its output
is safe to paste into an issue or a tracker's log.
"""

import hashlib
import os
import sys

REQUIRED = ["OPENAI_API_KEY", "HF_TOKEN"]


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:8]


def main() -> int:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(f"train.py: missing {', '.join(missing)}: run me with `aisecrets run -- python3 {sys.argv[0]}`",
              file=sys.stderr)
        return 1
    for name in REQUIRED:
        print(f"{name}: present ({len(os.environ[name])} chars, sha256 {fingerprint(os.environ[name])})")
    # A real script would now call the APIs, e.g. openai.OpenAI() and
    # huggingface_hub.login(), which read these variables themselves.
    print("training: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
