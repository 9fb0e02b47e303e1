//! Names `run` refuses to inject: a value there hands over code execution (loader and
//! interpreter hooks) or network traffic (proxies, CA bundles, API base URLs). Only the
//! user's own config can allow one, by exact name; nothing in a repository can.

const EXACT: &[&str] = &[
    "PATH",
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "PROMPT_COMMAND",
    "IFS",
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_EXTRA_CA_CERTS",
    "PERL5LIB",
    "PERL5OPT",
    "PERLLIB",
    "RUBYLIB",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CLASSPATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_EXEC_PATH",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "AWS_CA_BUNDLE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "UV_INDEX_URL",
    "NPM_CONFIG_REGISTRY",
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "HF_ENDPOINT",
    "WANDB_BASE_URL",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "BROWSER",
    "HOME",
    "TMPDIR",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "LESSOPEN",
    "LESSCLOSE",
    "MANPAGER",
    "XDG_CONFIG_HOME",
    "XDG_DATA_DIRS",
    "HOSTALIASES",
    "SSLKEYLOGFILE",
    "SHELL",
    "CARGO_HOME",
    "RUSTC_WRAPPER",
    "NPM_CONFIG_USERCONFIG",
    "PIP_CONFIG_FILE",
    "CONDARC",
];
const PREFIXES: &[&str] = &[
    "LD_",
    "DYLD_",
    "PYTHON",
    "GCONV_",
    "MALLOC_",
    "GLIBC_",
    "GIT_",
    "OPENSSL_",
    "AWS_ENDPOINT_URL",
];
const SUFFIXES: &[&str] = &["_PROXY"];

/// Whether `name` is refused by default.
#[must_use]
pub fn is_dangerous(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    EXACT.contains(&upper.as_str())
        || PREFIXES.iter().any(|p| upper.starts_with(p))
        || SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// The refused names among `names`, less those the user allowed.
pub fn refused<'a>(names: impl Iterator<Item = &'a str>, allowed: &[String]) -> Vec<String> {
    names
        .filter(|n| is_dangerous(n) && !allowed.iter().any(|a| a == n))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_dangerous;

    #[test]
    fn refuses_execution_and_traffic_hooks() {
        for n in [
            "LD_PRELOAD",
            "DYLD_INSERT_LIBRARIES",
            "PATH",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "NODE_OPTIONS",
            "BASH_ENV",
            "ENV",
            "HTTPS_PROXY",
            "http_proxy",
            "NO_PROXY",
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "OPENAI_BASE_URL",
        ] {
            assert!(is_dangerous(n), "{n}");
        }
        for n in [
            "OPENAI_API_KEY",
            "HF_TOKEN",
            "WANDB_API_KEY",
            "DATABASE_URL",
            "ENVIRONMENT",
            "PATHWAY_KEY",
        ] {
            assert!(!is_dangerous(n), "{n}");
        }
    }
}
