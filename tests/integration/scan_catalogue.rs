//! `scan` as a leak scanner for the AI ecosystem (#17): the labelled corpus (recall and
//! decoys), allow rules, `--json`, `--history`, UTF-16 project values, `file:line:col` lines.

use std::path::Path;
use std::process::Command;

use crate::util::{OPENAI, World};

/// A made-up key body: deterministic, random-looking base62.
fn body(n: usize, seed: u64) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(A[((s >> 33) % 62) as usize])
        })
        .collect()
}

/// The corpus from `scripts/make-scan-corpus` (keys of 40+ providers built from their
/// documented formats, in code, configs, notebooks, logs and docs, and near-miss decoys):
/// recall at least 0.97, at most 1 flagged decoy line in 100, nothing flagged outside the
/// labelled lines. The old scanner found 27% of the keys here and flagged 8% of the decoys.
#[test]
fn corpus_recall_and_decoys() {
    let w = World::new();
    let dir = w.path("corpus");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-scan-corpus");
    let st = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(st.success());
    let labels: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    let out = w.cmd(["scan", "--json", dir.to_str().unwrap()]).fails(1);
    let doc: serde_json::Value = serde_json::from_slice(&out.0.stdout).unwrap();
    let prefix = format!("{}/", dir.display());
    let flagged: std::collections::HashSet<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            (
                file.strip_prefix(&prefix).unwrap_or(file).to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let set = |k: &str| -> Vec<(String, u64, String)> {
        labels[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l[0].as_str().unwrap().to_owned(),
                    l[1].as_u64().unwrap(),
                    l[2].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let secrets = set("secrets");
    let decoys = set("decoys");
    let providers: std::collections::HashSet<&str> = secrets.iter().map(|s| s.2.as_str()).collect();
    assert!(providers.len() >= 30, "{}", providers.len());
    assert!(decoys.len() >= secrets.len());
    let missed: Vec<_> = secrets
        .iter()
        .filter(|s| !flagged.contains(&(s.0.clone(), s.1)))
        .collect();
    let hit_decoys: Vec<_> = decoys
        .iter()
        .filter(|d| flagged.contains(&(d.0.clone(), d.1)))
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let recall = 1.0 - missed.len() as f64 / secrets.len() as f64;
    assert!(recall >= 0.97, "recall {recall}: missed {missed:?}");
    assert!(
        hit_decoys.len() * 100 <= decoys.len(),
        "decoys flagged: {hit_decoys:?}"
    );
    let labelled: std::collections::HashSet<(String, u64)> =
        secrets.iter().map(|s| (s.0.clone(), s.1)).collect();
    let stray: Vec<_> = flagged.iter().filter(|f| !labelled.contains(f)).collect();
    assert!(stray.is_empty(), "flagged outside the labels: {stray:?}");
    // Values are never printed, not even partly.
    let text = out.stdout_str();
    for (file, line, _) in &secrets {
        let content = std::fs::read_to_string(dir.join(file)).unwrap();
        let l = content.lines().nth(*line as usize - 1).unwrap();
        for word in l.split(|c: char| !c.is_ascii_alphanumeric()) {
            // Key material: long, letters and digits mixed (not `Authorization`).
            if word.len() >= 12
                && word.chars().any(|c| c.is_ascii_digit())
                && word.chars().any(|c| c.is_ascii_alphabetic())
            {
                assert!(!text.contains(word), "{file}:{line} printed {word}");
            }
        }
    }
}

/// `aisecrets: allow` on a line, and `[scan] allow` paths and `re:` value patterns in the
/// manifest, silence findings knowingly; scan says how many.
#[test]
fn allow_comments_and_manifest_rules_are_counted() {
    let w = World::new();
    let groq = format!("gsk_{}", body(52, 1));
    let xai = format!("xai-{}", body(80, 2));
    let pplx = format!("pplx-{}", body(48, 3));
    std::fs::create_dir_all(w.project.join("fixtures")).unwrap();
    std::fs::write(
        w.project.join("a.py"),
        format!("k = '{groq}'  # aisecrets: allow\nx = '{xai}'\ny = '{pplx}'\n"),
    )
    .unwrap();
    std::fs::write(w.project.join("fixtures/keys.txt"), format!("{groq}\n")).unwrap();
    let out = w.cmd(["scan", "."]).fails(1);
    let text = out.stdout_str();
    assert_eq!(
        text,
        "a.py:2:6: xAI API key (xAI)\na.py:3:6: Perplexity API key (Perplexity)\nfixtures/keys.txt:1:1: Groq API key (Groq)\n"
    );
    assert!(
        out.stderr_str().contains("1 allowed"),
        "{}",
        out.stderr_str()
    );
    let manifest = w.project.join("aisecrets.toml");
    let mut m = std::fs::read_to_string(&manifest).unwrap();
    m.push_str("\n[scan]\nallow = [\"fixtures/**\", \"re:^pplx-\"]\n");
    std::fs::write(&manifest, m).unwrap();
    let out = w.cmd(["scan", "."]).fails(1);
    assert_eq!(out.stdout_str(), "a.py:2:6: xAI API key (xAI)\n");
    assert!(
        out.stderr_str().contains("3 allowed"),
        "{}",
        out.stderr_str()
    );
    // A bad rule is an error, not a silent pass.
    let m = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("re:^pplx-", "re:(");
    std::fs::write(&manifest, m).unwrap();
    w.cmd(["scan", "."]).fails(2).stderr_has("[scan] allow");
}

/// `--json`: file, line, column, kind, provider, secret name; never a value.
#[test]
fn scan_json_names_places_and_never_values() {
    let w = World::with_secrets();
    let groq = format!("gsk_{}", body(52, 4));
    let tok = body(32, 5);
    std::fs::write(
        w.project.join("t.py"),
        format!("a = '{OPENAI}'\nb = '{groq}'\nclient = Mistral(api_key=\"{tok}\")\n"),
    )
    .unwrap();
    let out = w.cmd(["scan", "--json", "t.py"]).fails(1);
    let doc: serde_json::Value = serde_json::from_slice(&out.0.stdout).unwrap();
    let f = doc["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3, "{doc}");
    assert_eq!(
        (
            f[0]["line"].as_u64(),
            f[0]["column"].as_u64(),
            f[0]["secret"].as_str()
        ),
        (Some(1), Some(6), Some("OPENAI_API_KEY"))
    );
    assert_eq!(
        (f[1]["kind"].as_str(), f[1]["provider"].as_str()),
        (Some("Groq API key"), Some("Groq"))
    );
    assert_eq!(
        (
            f[2]["kind"].as_str(),
            f[2]["field"].as_str(),
            f[2]["column"].as_u64()
        ),
        (Some("generic credential"), Some("api_key"), Some(27))
    );
    let text = out.stdout_str();
    for v in [
        OPENAI,
        groq.as_str(),
        tok.as_str(),
        &groq[4..20],
        &tok[..12],
    ] {
        assert!(!text.contains(v));
    }
}

/// `--history`: a key committed and removed later is found once, with its first commit and
/// path and `not in HEAD`; a key still in HEAD says so; the same blob under two paths and in
/// later commits is reported once.
#[test]
fn scan_history_reports_each_blob_once_with_its_first_commit() {
    let w = World::repo();
    let groq = format!("gsk_{}", body(52, 6));
    let lin = format!("lin_api_{}", body(40, 7));
    std::fs::write(w.project.join("old.py"), format!("k = '{groq}'\n")).unwrap();
    w.git_ok(&["add", "old.py"]);
    w.git_ok(&["commit", "-qm", "add key", "--no-verify"]);
    let first = w.git_ok(&["rev-parse", "HEAD"]).trim().to_owned();
    std::fs::copy(w.project.join("old.py"), w.project.join("copy.py")).unwrap();
    std::fs::write(w.project.join("keep.py"), format!("k = '{lin}'\n")).unwrap();
    w.git_ok(&["add", "copy.py", "keep.py"]);
    w.git_ok(&["commit", "-qm", "copy", "--no-verify"]);
    w.git_ok(&["rm", "-q", "old.py", "copy.py"]);
    w.git_ok(&["commit", "-qm", "remove"]);
    w.cmd(["scan", "."]).fails(1); // keep.py only
    let out = w.cmd(["scan", "--history"]).fails(1);
    let text = out.stdout_str();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            format!(
                "old.py:1:6: Groq API key (Groq) in {}, not in HEAD",
                &first[..12]
            ),
            format!(
                "keep.py:1:6: Linear API key (Linear) in {}",
                &w.git_ok(&["rev-parse", "HEAD~1"])[..12]
            ),
        ],
        "{text}"
    );
    assert!(!text.contains(&groq[4..]));
    let doc: serde_json::Value =
        serde_json::from_slice(&w.cmd(["scan", "--history", "--json"]).fails(1).0.stdout).unwrap();
    assert_eq!(doc["findings"][0]["commit"].as_str(), Some(first.as_str()));
    assert_eq!(doc["findings"][0]["in_head"].as_bool(), Some(false));
    assert_eq!(doc["findings"][1]["in_head"].as_bool(), Some(true));
    // A range: only what those commits add.
    w.cmd(["scan", "--history", "HEAD~1..HEAD"]).ok();
    w.cmd(["scan", "--history", "no-such-rev"]).fails(2);
}

/// Placeholders, references and documentation keys in docs and configs are not findings.
#[test]
fn placeholders_and_references_pass() {
    let w = World::new();
    std::fs::write(
        w.project.join("README.md"),
        "export OPENAI_API_KEY=sk-proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n\
         aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         stripe.api_key = \"sk_test_4eC39HqLyjWDarjtT1zdp7dc\"\n\
         api_key = os.environ[\"OPENAI_API_KEY\"]\n\
         token: ${{ secrets.HF_TOKEN }}\n\
         password: changeme\n\
         integrity sha512-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08==\n\
         request_id = \"123e4567-e89b-12d3-a456-426614174000\"\n\
         HF_TOKEN=<your-token>\n",
    )
    .unwrap();
    w.cmd(["scan", "README.md"]).ok();
}

/// A project value written as UTF-16 (a Windows tool, a .NET or Java serialisation) is found.
#[test]
fn scan_finds_project_values_in_utf16() {
    let w = World::with_secrets();
    let mut bytes = vec![0xFF, 0xFE];
    for u in format!("key={OPENAI}\r\n").encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    std::fs::write(w.project.join("win.txt"), &bytes).unwrap();
    let out = w.cmd(["scan", "win.txt"]).fails(1);
    assert!(
        out.stdout_str().contains("project secret (OPENAI_API_KEY)"),
        "{}",
        out.stdout_str()
    );
}

/// A project value inside a gzip'd file (a compressed log) is found.
#[test]
fn scan_finds_project_values_in_gzip() {
    let w = World::with_secrets();
    let gz = w.project.join("train.log.gz");
    let st = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import gzip,sys; gzip.open(sys.argv[1],'wb').write(b'epoch 1\\nkey={OPENAI}\\n')"
        ))
        .arg(&gz)
        .status()
        .unwrap();
    assert!(st.success());
    let out = w.cmd(["scan", "train.log.gz"]).fails(1);
    assert_eq!(
        out.stdout_str(),
        "train.log.gz:2:5: project secret (gzip'd) (OPENAI_API_KEY)\n"
    );
}
