//! `run --proxy` (#15): the child holds placeholders, the proxy puts the real key on the wire
//! only toward its hosts. Real clients (the `openai` and `huggingface_hub` packages, curl)
//! against fake upstream servers on loopback (tests/integration/proxy/fake_server.py), mapped
//! with `[proxy] resolve` and trusted with `[proxy] upstream_ca_files`; no network.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use base64::Engine as _;

use crate::util::*;

const SERVER: &str = include_str!("proxy/fake_server.py");

/// The fake servers: `a` serves api.openai.com and huggingface.co, `b` llm.example.test
/// (the host rule of another secret), `c` plain HTTP.
pub(crate) struct Upstream {
    dir: PathBuf,
    child: Child,
    pub(crate) ports: [u16; 3],
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Upstream {
    pub(crate) fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("log-{name}"))).unwrap_or_default()
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A test CA and a server certificate for the fake hosts, the servers started, and the
/// user's config pointing the proxy at them.
pub(crate) fn upstream(w: &World) -> Upstream {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = w.path("upstream");
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "aisecrets test upstream CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![
        "api.openai.com".to_owned(),
        "huggingface.co".to_owned(),
        "llm.example.test".to_owned(),
    ])
    .unwrap()
    .signed_by(&key, &issuer)
    .unwrap();
    std::fs::write(dir.join("ca.pem"), pem("CERTIFICATE", ca_cert.der())).unwrap();
    std::fs::write(dir.join("cert.pem"), pem("CERTIFICATE", leaf.der())).unwrap();
    std::fs::write(
        dir.join("key.pem"),
        pem("PRIVATE KEY", &key.serialize_der()),
    )
    .unwrap();
    std::fs::write(dir.join("server.py"), SERVER).unwrap();
    let child = Command::new("python3")
        .arg(dir.join("server.py"))
        .arg(&dir)
        .arg(dir.join("cert.pem"))
        .arg(dir.join("key.pem"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let ports_file = dir.join("ports");
    wait_for("the fake servers", || ports_file.exists());
    let ports: Vec<u16> = std::fs::read_to_string(&ports_file)
        .unwrap()
        .split(' ')
        .map(|p| p.parse().unwrap())
        .collect();
    let [a, b, c] = [ports[0], ports[1], ports[2]];
    std::fs::write(
        w.home.join("config.toml"),
        format!(
            "[proxy]\nresolve = {{ \"api.openai.com\" = \"127.0.0.1:{a}\", \"huggingface.co\" = \"127.0.0.1:{a}\", \"llm.example.test\" = \"127.0.0.1:{b}\", \"plain.example.test\" = \"127.0.0.1:{c}\" }}\nupstream_ca_files = [\"{}\"]\n",
            dir.join("ca.pem").display()
        ),
    )
    .unwrap();
    Upstream {
        dir,
        child,
        ports: [a, b, c],
    }
}

/// The placeholder a child printed after `KEY=`.
fn placeholder_in(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("KEY="))
        .expect("the child printed KEY=")
        .to_owned()
}

fn check_placeholder(ph: &str, real: &str) {
    assert_ne!(ph, real);
    assert_eq!(ph.len(), real.len(), "same length as the real value");
    assert!(ph.starts_with("sk-proj-"), "same prefix: {ph}");
}

fn audit_log(w: &World) -> String {
    std::fs::read_to_string(w.home.join("audit.jsonl")).unwrap_or_default()
}

const OPENAI_CLIENT: &str = r#"
import os, sys
from openai import OpenAI
key = os.environ["OPENAI_API_KEY"]
print("KEY=" + key)
environ = open("/proc/self/environ", "rb").read()
print("environ holds the placeholder:", key.encode() in environ)
open("environ.bin", "wb").write(environ)
open("written.txt", "w").write(key)
client = OpenAI()
r = client.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "hi"}])
print("REPLY=" + r.choices[0].message.content)
"#;

#[test]
fn issue15_openai_sdk_sends_the_real_key_and_holds_only_the_placeholder() {
    let w = World::with_secrets();
    let up = upstream(&w);
    let out = w
        .cmd(["run", "--proxy", "--", "python3", "-c", OPENAI_CLIENT])
        .ok()
        .stdout_str();
    let ph = placeholder_in(&out);
    check_placeholder(&ph, OPENAI);
    assert!(out.contains("environ holds the placeholder: True"), "{out}");
    // The server saw the real key; the echo came back as the placeholder.
    let log = up.log("a");
    assert!(
        log.contains(&format!("auth=Bearer {OPENAI}")),
        "the server got: {log}"
    );
    assert!(
        out.contains(&format!("REPLY=echo Bearer {ph}")),
        "the echo is swapped back: {out}"
    );
    let written = std::fs::read_to_string(w.project.join("written.txt")).unwrap();
    assert_eq!(written, ph);
    let environ = std::fs::read(w.project.join("environ.bin")).unwrap();
    assert!(
        !environ
            .windows(OPENAI.len())
            .any(|win| win == OPENAI.as_bytes()),
        "the real key is not in /proc/self/environ"
    );
    assert!(audit_log(&w).contains("\"sent\""));
}

#[test]
fn issue15_curl_and_huggingface_hub_through_the_proxy() {
    let w = World::with_secrets();
    let up = upstream(&w);
    let out = w
        .cmd([
            "run",
            "--proxy",
            "--",
            "sh",
            "-c",
            "echo KEY=$OPENAI_API_KEY; curl -sS -D - https://api.openai.com/v1/models -H \"Authorization: Bearer $OPENAI_API_KEY\"",
        ])
        .ok()
        .stdout_str();
    let ph = placeholder_in(&out);
    check_placeholder(&ph, OPENAI);
    assert!(up.log("a").contains(&format!("auth=Bearer {OPENAI}")));
    // In a response header and in the body: the placeholder again.
    assert!(out.contains(&format!("X-Echo: Bearer {ph}")), "{out}");
    assert!(
        out.contains(&format!("\"owned_by\": \"Bearer {ph}\"")),
        "{out}"
    );
    // huggingface_hub, unmodified: whoami with HF_TOKEN.
    let out = w
        .cmd([
            "run",
            "--proxy",
            "--",
            "python3",
            "-c",
            "import os; from huggingface_hub import HfApi; print('HF=' + os.environ['HF_TOKEN']); print(HfApi().whoami()['echo'])",
        ])
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .ok()
        .stdout_str();
    assert!(
        up.log("a").contains(&format!("auth=Bearer {HF}")),
        "{}",
        up.log("a")
    );
    let hf_ph = out
        .lines()
        .find_map(|l| l.strip_prefix("HF="))
        .unwrap()
        .to_owned();
    assert!(hf_ph.starts_with("hf_") && hf_ph.len() == HF.len() && hf_ph != HF);
    assert!(out.contains(&format!("Bearer {hf_ph}")), "{out}");
}

#[test]
fn issue15_the_placeholder_toward_another_host_is_refused_and_audited() {
    let mut w = World::with_secrets();
    let other = "sk-FAKEotherGatewayKey000000000";
    w.canary(other);
    w.cmd(["set", "GATEWAY_KEY"]).stdin(other).ok();
    w.append_manifest("\n[proxy.GATEWAY_KEY]\nhosts = [\"llm.example.test\"]\n");
    w.cmd(["trust", "--yes"]).ok();
    let up = upstream(&w);
    let script = "curl -sS -w ' %{http_code}\\n' https://llm.example.test/x -H \"Authorization: Bearer $OPENAI_API_KEY\"; \
                  curl -sS -w ' %{http_code}\\n' http://plain.example.test/y -H \"Authorization: Bearer $OPENAI_API_KEY\"; \
                  curl -sS -w ' %{http_code}\\n' https://llm.example.test/z -H \"Authorization: Bearer $GATEWAY_KEY\"; \
                  curl -sS -w ' %{http_code}\\n' https://llm.example.test/body -H \"Authorization: Bearer $GATEWAY_KEY\" -d \"{\\\"k\\\": \\\"$OPENAI_API_KEY\\\"}\"; \
                  curl -sS -w ' %{http_code}\\n' https://api.openai.com/front -H 'Host: llm.example.test' -H \"Authorization: Bearer $OPENAI_API_KEY\"; \
                  curl -sS -o /dev/null -w 'noauth %{http_connect}\\n' --proxy \"http://${HTTPS_PROXY##*@}\" https://api.openai.com/v1/models; true";
    let out = w
        .cmd(["run", "--proxy", "--", "sh", "-c", script])
        .ok()
        .stdout_str();
    assert!(
        out.contains("placeholder of OPENAI_API_KEY is never sent to llm.example.test\n 403"),
        "{out}"
    );
    assert!(
        out.contains(
            "placeholder of OPENAI_API_KEY is never sent to plain.example.test over plain HTTP\n 403"
        ),
        "{out}"
    );
    // The gateway's own key reaches its host.
    assert!(up.log("b").contains(&format!("auth=Bearer {other}")));
    assert!(!up.log("b").contains(OPENAI), "{}", up.log("b"));
    assert!(!up.log("c").contains("/y"), "{}", up.log("c"));
    // Nor in a request body: refused before anything is sent.
    assert_eq!(
        out.matches("placeholder of OPENAI_API_KEY is never sent to llm.example.test\n 403")
            .count(),
        2,
        "{out}"
    );
    assert!(!up.log("b").contains("/body"), "{}", up.log("b"));
    // Nor with another Host header inside the tunnel (domain fronting).
    assert!(
        out.contains("inside the tunnel to api.openai.com names another host\n 403"),
        "{out}"
    );
    assert!(!up.log("a").contains("/front"), "{}", up.log("a"));
    // Other local processes cannot use the proxy.
    assert!(out.contains("noauth 407"), "{out}");
    let audit = audit_log(&w);
    let refused: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("\"refused\""))
        .collect();
    assert!(
        refused
            .iter()
            .any(|l| l.contains("OPENAI_API_KEY") && l.contains("llm.example.test")),
        "{audit}"
    );
    assert!(
        refused
            .iter()
            .any(|l| l.contains("OPENAI_API_KEY") && l.contains("plain.example.test")),
        "{audit}"
    );
    let _ = up.ports;
}

#[test]
fn issue15_a_streaming_answer_arrives_chunk_by_chunk() {
    let w = World::with_secrets();
    let up = upstream(&w);
    let release = up.dir.join("release");
    let script = format!(
        r#"
from openai import OpenAI
got = []
for chunk in OpenAI().chat.completions.create(model="m", messages=[{{"role": "user", "content": "hi"}}], stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        got.append(chunk.choices[0].delta.content)
        open({release:?}, "w").close()
print("STREAM=" + "|".join(c.split(" ")[0] for c in got))
"#,
        release = release.display().to_string()
    );
    let out = w
        .cmd(["run", "--proxy", "--", "python3", "-c", &script])
        .ok()
        .stdout_str();
    assert!(out.contains("STREAM=first|released"), "{out}");
    assert!(up.log("a").contains(&format!("auth=Bearer {OPENAI}")));
}

#[test]
fn issue15_a_manifest_that_widens_a_keys_hosts_is_refused_until_trust() {
    let w = World::with_secrets();
    let _up = upstream(&w);
    w.append_manifest(
        "\n[proxy.OPENAI_API_KEY]\nhosts = [\"api.openai.com\", \"evil.example.test\"]\n",
    );
    w.cmd(["run", "--proxy", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("aisecrets trust");
    w.cmd(["trust", "--yes"])
        .ok()
        .stderr_has("evil.example.test");
    w.cmd(["run", "--proxy", "--", "true"]).ok();
    // Without --proxy nothing changes.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(w.project.join("aisecrets.toml"))
        .unwrap();
    writeln!(f, "\n[proxy.HF_TOKEN]\nhosts = [\"evil.example.test\"]").unwrap();
    w.cmd(["run", "--", "true"]).ok();
    w.cmd(["run", "--proxy", "--", "true"]).fails(1);
}

#[test]
fn issue15_exit_codes_files_only_and_strict_as_without_proxy() {
    let w = World::with_secrets();
    let _up = upstream(&w);
    w.cmd(["set", "DB_PASSWORD"])
        .stdin("FAKE-db-password-1")
        .ok();
    w.append_manifest("\n[files]\nOPENAI_API_KEY = \"openai.key\"\n");
    w.cmd(["run", "--proxy", "--", "sh", "-c", "exit 7"])
        .fails(7);
    let out = w
        .cmd([
            "run",
            "--proxy",
            "--only",
            "OPENAI_API_KEY,DB_PASSWORD",
            "--",
            "sh",
            "-c",
            "echo KEY=$(cat \"$OPENAI_API_KEY\"); echo HF=${HF_TOKEN:-none}; echo DB=$DB_PASSWORD",
        ])
        .ok()
        .stdout_str();
    check_placeholder(&placeholder_in(&out), OPENAI);
    assert!(out.contains("HF=none"), "{out}");
    assert!(
        out.contains("DB=FAKE-db-password-1"),
        "a key without a rule as today: {out}"
    );
    let out = w
        .cmd([
            "run",
            "--proxy=strict",
            "--",
            "sh",
            "-c",
            "echo DB=${DB_PASSWORD:-withheld}",
        ])
        .ok()
        .stdout_str();
    assert!(out.contains("DB=withheld"), "{out}");
    // A signal ends the child as without the proxy.
    w.cmd(["run", "--proxy", "--", "sh", "-c", "kill -TERM $$"])
        .fails(143);
    // --egress=strict: no tunnel to a host without a rule.
    let out = w
        .cmd([
            "run",
            "--proxy",
            "--egress=strict",
            "--",
            "sh",
            "-c",
            "curl -sS -o /dev/null -w '%{http_connect}\\n' https://unknown.example.test/ ; true",
        ])
        .ok()
        .stdout_str();
    assert!(out.contains("403"), "{out}");
}

#[test]
fn issue15_a_vault_environment_under_proxy() {
    use crate::vault::{vault_world, vcmd};
    let (w, _path) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let up = upstream(&w);
    let out = vcmd(
        &w,
        [
            "run",
            "--env",
            "prod",
            "--proxy",
            "--",
            "sh",
            "-c",
            "echo KEY=$OPENAI_API_KEY; curl -sS https://api.openai.com/v1/models -H \"Authorization: Bearer $OPENAI_API_KEY\"; echo VAULT=${VAULT_TOKEN:-none}",
        ],
    )
    .ok()
    .stdout_str();
    check_placeholder(&placeholder_in(&out), OPENAI);
    assert!(up.log("a").contains(&format!("auth=Bearer {OPENAI}")));
    // A Vault environment's child still gets no token of aisecrets'.
    assert!(out.contains("VAULT=none"), "{out}");
}

#[test]
fn issue15_an_upstream_not_trusted_gets_no_key_and_the_child_a_502() {
    let w = World::with_secrets();
    let up = upstream(&w);
    // The same servers, but their CA not in upstream_ca_files: verification fails.
    let config = std::fs::read_to_string(w.home.join("config.toml")).unwrap();
    let without_ca: String = config
        .lines()
        .filter(|l| !l.starts_with("upstream_ca_files"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(w.home.join("config.toml"), without_ca).unwrap();
    let out = w
        .cmd([
            "run",
            "--proxy",
            "--",
            "sh",
            "-c",
            "curl -sS -w ' %{http_code}\\n' https://api.openai.com/v1/models -H \"Authorization: Bearer $OPENAI_API_KEY\"",
        ])
        .ok()
        .stdout_str();
    assert!(out.contains("aisecrets proxy: api.openai.com:"), "{out}");
    assert!(out.contains(" 502"), "{out}");
    assert!(!up.log("a").contains("/v1/models"), "{}", up.log("a"));
}
