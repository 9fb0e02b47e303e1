"""Generators for scripts/bench: dotenv files, a manifest with N recipients, a scan tree."""
import os, random, string, sys

def dotenv(path, n, prefix="K"):
    rnd = random.Random(1)
    with open(path, "w") as f:
        for i in range(n):
            v = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(40))
            f.write(f"{prefix}{i}=fake-{v}\n")

def github(body):
    """A ghp_ token with its checksum (base62 of the body's CRC32), as GitHub issues them."""
    import zlib
    b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    n, crc = zlib.crc32(body.encode()), ""
    for _ in range(6):
        crc, n = b62[n % 62] + crc, n // 62
    return "ghp_" + body + crc

# Planted keys: fake, but in the shapes both scanners know (and a few only aisecrets knows).
def planted(rnd):
    a = lambda n, cs=string.ascii_letters + string.digits: "".join(rnd.choice(cs) for _ in range(n))
    up = string.ascii_uppercase + string.digits
    return rnd.choice([
        lambda: f'aws_access_key_id = "AKIA{a(16, up)}"',
        lambda: f'GITHUB_TOKEN = "{github(a(30))}"',
        lambda: f'slack = "xoxb-{a(12, string.digits)}-{a(12, string.digits)}-{a(24)}"',
        lambda: f'STRIPE_KEY = "sk_live_{a(24)}"',
        lambda: "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA" + a(64, string.ascii_letters + string.digits + "+/"),
        lambda: f'OPENAI_API_KEY = "sk-proj-{a(48)}T3BlbkFJ{a(20)}"',
    ])()

def tree(root, megabytes, keys):
    rnd = random.Random(7)
    words = ["def", "return", "import", "self", "value", "model", "train", "loss", "batch", "for", "in", "if", "else", "config", "data", "torch", "numpy", "print", "x", "y"]
    os.makedirs(root, exist_ok=True)
    target = megabytes * 1024 * 1024
    per_file = 1024 * 1024
    nfiles = max(1, target // per_file)
    plant_at = set(rnd.sample(range(nfiles * 20000), keys))
    line_no = 0
    planted_lines = []
    for i in range(nfiles):
        path = os.path.join(root, f"d{i % 20}", f"mod_{i}.py")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        out, size, ln = [], 0, 0
        while size < per_file:
            ln += 1
            if line_no in plant_at:
                line = planted(rnd)
                planted_lines.append((path, ln))
            else:
                line = "    " * rnd.randint(0, 3) + " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))
            line_no += 1
            out.append(line)
            size += len(line) + 1
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
    with open(os.path.join(root, "..", "planted.txt"), "w") as f:
        for p, l in planted_lines:
            f.write(f"{p}:{l}\n")
    print(len(planted_lines))

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dotenv":
        dotenv(sys.argv[2], int(sys.argv[3]))
    elif cmd == "tree":
        tree(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
