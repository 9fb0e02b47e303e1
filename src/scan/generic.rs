//! Credentials without a known shape, found by where they sit: an assignment, keyword
//! argument, JSON/YAML/HCL field, CLI flag or URL query parameter whose name says credential
//! (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `api_key`, `apiKey`, `password`...), an
//! `Authorization` header, a connection string's password (`scheme://user:pass@host`), and the
//! base64 values of a Kubernetes Secret's `data:`. The value must look random (tokens) or like
//! a real password (`precision.rs`) and not be a placeholder or a reference.

use std::sync::LazyLock;

use regex::Regex;

use super::precision::{random_token, real_password, reference};

/// Words (any case) a line holds when it may carry a generic credential.
/// (`key` only where it ends a credential's name: `api_key`, `apiKey`, `X-API-Key`, `_KEY`;
/// `basic ` for `Authorization: Basic`.)
pub const KEYWORDS: &[&str] = &[
    "_key",
    "-key",
    "Key",
    "apikey",
    "token",
    "secret",
    "passw",
    "pwd",
    "bearer",
    "basic ",
    "credential",
    "://",
];

/// A candidate found on a line: byte range of the value in the line, and the name it sits
/// under (`api_key`, `Authorization`, the URL scheme).
pub struct Hit {
    /// Start of the value in the line.
    pub start: usize,
    /// End of the value in the line.
    pub end: usize,
    /// The name the value sits under.
    pub field: String,
}

static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[^A-Za-z0-9_$])(?P<name>[A-Za-z_@-][A-Za-z0-9_.-]*)\\?["'`]?\]?\s*(?::=|=>|==|[:=]|\s)\s*(?P<tail>(?:[A-Za-z_][A-Za-z0-9_.]*\()?(?:[A-Za-z]{1,2}["'`]|\\?["'`])?)(?P<val>[^\s"'`\\,;&)}\]<>]+)"#,
    )
    .expect("valid")
});

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:api[_.-]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|credential|auth[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|master[_-]?key|(?-i:^[A-Z0-9_]*_KEY$))")
        .expect("valid")
});

static NOT_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)(?:public|publishable|pub_key|(?:_|-|\b|[a-z])(?:id|name|names|path|file|filename|url|uri|endpoint|type|len|length|size|count|prefix|ttl|timeout|header|field|format|env|var|ref|dir|mode|policy|version|hash|algorithm|alg|id_key|limit)$|expir|max_?tokens?|num_?tokens|tokeni[sz]|_tokens$|token_?(?:count|usage|limit|ids|type)|secretkeyref|secretname|keyring|keyfile|sort_?key|key_?(?:fn|func)|primary_?key|foreign_?key|cache_?key|partition_?key|hotkey|monkey|turkey|keyboard|keyword|keys$|^key$)")
        .expect("valid")
});

/// A function or method call at the start of a value (`sha256(`, `.decode(`); a password
/// such as `Xk9(ab` is not one.
static CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\.)[a-z_][A-Za-z0-9_]{2,}\(").expect("valid"));

static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?P<scheme>(?i-u:bearer|token|basic))\s+(?P<val>[A-Za-z0-9._~+/=-]{16,})")
        .expect("valid")
});

static URL_CRED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,20})://(?P<user>[^\s:/@'"<>{}$]*):(?P<val>[^\s@/'"<>]+)@[A-Za-z0-9\[]"#)
        .expect("valid")
});

/// The generic credentials on one line (without its newline).
#[must_use]
pub fn line_hits(line: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for c in URL_CRED.captures_iter(line) {
        let v = c.name("val").expect("group");
        let value = v.as_str();
        if real_password(value) && !reference(value) && !value.starts_with('$') {
            hits.push(Hit {
                start: v.start(),
                end: v.end(),
                field: format!("{} URL password", &c["scheme"]),
            });
        }
    }
    for c in BEARER.captures_iter(line) {
        let v = c.name("val").expect("group");
        let scheme = c["scheme"].to_ascii_lowercase();
        let ok = if scheme == "basic" {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .and_then(|d| d.split_once(':').map(|(_, p)| real_password(p)))
                .unwrap_or(false)
        } else {
            random_token(v.as_str())
        };
        if ok {
            hits.push(Hit {
                start: v.start(),
                end: v.end(),
                field: "Authorization".to_owned(),
            });
        }
    }
    let mut pos = 0;
    while let Some(c) = ASSIGN.captures_at(line, pos) {
        // Overlapping: `client = Mistral(api_key="...")` holds two assignments.
        pos = c.name("name").expect("group").end();
        let name = c["name"].trim_start_matches('-');
        let v = c.name("val").expect("group");
        if !NAME.is_match(name) || NOT_NAME.is_match(name) || reference(&c["tail"]) {
            continue;
        }
        if hits.iter().any(|h| h.start < v.end() && v.start() < h.end) {
            continue;
        }
        let rest = &line[v.end()..];
        // `os.environ["K"]`, `config.get("k")`, `f(x)`, an f-string's `{expr}`: code, not a
        // value.
        if rest.starts_with(['(', '['])
            || reference(v.as_str())
            || v.as_str().starts_with('{')
            || CALL.is_match(v.as_str())
        {
            continue;
        }
        let lname = name.to_ascii_lowercase();
        let password = ["passw", "pwd"].iter().any(|p| lname.contains(p));
        let value = v.as_str().trim_end_matches('.');
        let ok = if password {
            real_password(value)
        } else {
            random_token(value)
        };
        if ok {
            hits.push(Hit {
                start: v.start(),
                end: v.start() + value.len(),
                field: name.to_owned(),
            });
        }
    }
    hits
}

static ENV_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*-?\s*name:\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*$"#).expect("valid")
});

static ENV_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^\s*value:\s*["']?([^\s"']+)["']?\s*$"#).expect("valid"));

/// A Kubernetes or compose `env:` pair: `- name: X_API_KEY` on `line`, `value: ...` on
/// `next`; the hit is in `next`.
#[must_use]
pub fn env_pair(line: &str, next: &str) -> Option<Hit> {
    let name = ENV_NAME.captures(line)?.get(1)?.as_str();
    let v = ENV_VALUE.captures(next)?.get(1)?;
    if !NAME.is_match(name) || NOT_NAME.is_match(name) {
        return None;
    }
    let password = ["PASSW", "PWD"]
        .iter()
        .any(|p| name.to_ascii_uppercase().contains(p));
    let ok = if password {
        real_password(v.as_str())
    } else {
        random_token(v.as_str())
    };
    ok.then(|| Hit {
        start: v.start(),
        end: v.end(),
        field: name.to_owned(),
    })
}

/// Base64 values under a Kubernetes Secret's `data:`: (byte offset in `text`, length, field,
/// decoded value).
#[must_use]
pub fn kube_secret_values(text: &str) -> Vec<(usize, usize, String, String)> {
    use base64::Engine as _;
    let mut out = Vec::new();
    if !text.contains("kind: Secret") {
        return out;
    }
    let mut data_indent: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let body = trimmed.trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body == "---" {
            data_indent = None;
            continue;
        }
        if let Some(di) = data_indent {
            if indent <= di {
                data_indent = None;
            } else if let Some((k, v)) = body.split_once(':') {
                let v = v.trim().trim_matches(['"', '\'']);
                if let Some(d) = base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .ok()
                    .and_then(|d| String::from_utf8(d).ok())
                {
                    let at = start + indent + body.find(v).unwrap_or(0);
                    out.push((at, v.len(), k.trim().to_owned(), d));
                }
                continue;
            }
        }
        if body == "data:" {
            data_indent = Some(indent);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(line: &str) -> Vec<String> {
        line_hits(line)
            .iter()
            .map(|h| line[h.start..h.end].to_owned())
            .collect()
    }

    #[test]
    fn no_pattern_needs_unicode_case_folding() {
        for re in [
            &ASSIGN, &NAME, &NOT_NAME, &CALL, &BEARER, &URL_CRED, &ENV_NAME, &ENV_VALUE,
        ] {
            assert!(
                !crate::scan::folds_unicode_case(re.as_str()),
                "{}: write (?i-u:...), release builds have no Unicode case folding",
                re.as_str()
            );
        }
    }

    #[test]
    fn credentials_by_where_they_sit() {
        let tok = "q8Zr2LmX9vKp4TwB7nYc3D";
        for line in [
            format!("MISTRAL_API_KEY={tok}"),
            format!("client = Mistral(api_key=\"{tok}\")"),
            format!("  \"apiKey\": \"{tok}\","),
            format!("auth_token: '{tok}'"),
            format!("curl -H 'Authorization: Bearer {tok}' https://x"),
            format!("https://api.example.org/v1?token={tok}&x=1"),
            format!("python train.py --api-key {tok}"),
            format!("    \"    api_key = \\\"{tok}\\\"\\n\","),
            format!("token = \"{tok}\""),
        ] {
            assert_eq!(found(&line), [tok], "{line}");
        }
        assert_eq!(
            found("DATABASE_URL=postgres://ml:Xk9#pQ2vLw@db:5432/runs"),
            ["Xk9#pQ2vLw"]
        );
        for line in [
            "api_key = os.environ[\"OPENAI_API_KEY\"]",
            "api_key = os.getenv(\"OPENAI_API_KEY\")",
            "OPENAI_API_KEY=${OPENAI_API_KEY}",
            "api_key: <your-key>",
            "password = \"changeme\"",
            "password: password123",
            "max_tokens = 4096",
            "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\")",
            "  key: {secretKeyRef: {name: s, key: OPENAI_API_KEY}}",
            "api_key = settings.openai_api_key",
            "token_id = \"123e4567-e89b-12d3-a456-426614174000\"",
            "postgres://user:${DB_PASSWORD}@db/x",
            "integrity: sha512-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "f\"  db-password: {base64.b64encode(pw.encode()).decode()}\",",
            "password = hashlib.sha256(salt2 + raw).hexdigest()",
        ] {
            assert!(found(line).is_empty(), "{line}: {:?}", found(line));
        }
    }
}
