//! Names `run` refuses to inject: a value there hands over code execution (loader,
//! interpreter and build-tool hooks, programs to run, config files) or network traffic
//! (resolver, proxies, TLS trust, package indexes, API endpoints). A list of names is never
//! complete, so names are refused by class: exact names, prefixes and suffixes that the
//! tools of each class read (#12). Matching ignores case, because some tools do
//! (`npm_config_*`, `http_proxy`). Only the user's own config can allow a name, by exact
//! name (`allow_names`); nothing in a repository can.
//!
//! A name that says it is a credential (`*_TOKEN`, `*_API_KEY`, `*_PASSWORD`, `*_SECRET`...)
//! passes whatever its prefix, unless it is listed by exact name: a credential variable
//! gives no tool code or an address, and the common secret names (`CARGO_REGISTRY_TOKEN`,
//! `JUPYTER_TOKEN`, `DOCKER_PASSWORD`) must work.

/// One class of refused names.
pub struct Class {
    /// What the class is, as errors and the README name it.
    pub name: &'static str,
    exact: &'static [&'static str],
    prefixes: &'static [&'static str],
    suffixes: &'static [&'static str],
    /// Parts found anywhere in the name (`_CA_`).
    parts: &'static [&'static str],
}

impl Class {
    fn matches(&self, upper: &str) -> bool {
        self.exact.contains(&upper)
            || self.prefixes.iter().any(|p| upper.starts_with(p))
            || self.suffixes.iter().any(|s| upper.ends_with(s))
            || self.parts.iter().any(|p| upper.contains(p))
    }
}

/// The classes, most specific first: the first that matches names the class in errors.
pub const CLASSES: &[Class] = &[
    Class {
        name: "dynamic loader setting",
        exact: &["LOCPATH", "NLSPATH"],
        prefixes: &["LD_", "DYLD_", "GCONV_", "MALLOC_", "GLIBC_"],
        suffixes: &[],
        parts: &[],
    },
    Class {
        name: "shell start-up",
        exact: &[
            "PATH",
            "BASH_ENV",
            "ENV",
            "SHELL",
            "SHELLOPTS",
            "BASHOPTS",
            "PROMPT_COMMAND",
            "PS4",
            "IFS",
            "CDPATH",
            "ZDOTDIR",
            "TMPDIR",
        ],
        prefixes: &["BASH_FUNC_"],
        suffixes: &[],
        parts: &[],
    },
    Class {
        name: "resolver setting",
        exact: &[
            "LOCALDOMAIN",
            "RES_OPTIONS",
            "HOSTALIASES",
            "RESOLV_HOST_CONF",
        ],
        prefixes: &["RESOLV_"],
        suffixes: &[],
        parts: &[],
    },
    Class {
        name: "proxy or TLS trust setting",
        exact: &[
            "SSLKEYLOGFILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "TWINE_CERT",
        ],
        prefixes: &["SSL_", "OPENSSL_"],
        suffixes: &[
            "_PROXY",
            "_CA",
            "_CACERT",
            "_CACERTS",
            "_CA_BUNDLE",
            "_CA_CERT",
            "_CA_CERTS",
            "_CA_FILE",
            "_CA_PATH",
            "_CAINFO",
            "_CAPATH",
            "_CAFILE",
            "_CERT_FILE",
            "_CERT_DIR",
            "_INSECURE",
            "_SKIP_VERIFY",
            "_NO_VERIFY",
            "_SSL_VERIFY",
            "_VERIFY_SSL",
            "_TLS_VERIFY",
            "_REJECT_UNAUTHORIZED",
        ],
        parts: &["_CA_"],
    },
    Class {
        name: "API base URL or endpoint",
        exact: &["PGHOST", "PGHOSTADDR", "PGSERVICEFILE", "PGSYSCONFDIR"],
        prefixes: &["AWS_ENDPOINT_URL"],
        suffixes: &[
            "_BASE_URL",
            "_BASE_URI",
            "_API_BASE",
            "_API_URL",
            "_ENDPOINT",
            "_ENDPOINT_URL",
            "_ENDPOINTS",
            "_HOST",
            "_ADDR",
            "_TRACKING_URI",
        ],
        parts: &[],
    },
    Class {
        name: "package index or registry setting",
        exact: &["CONDARC", "TWINE_REPOSITORY"],
        prefixes: &[
            "PIP_",
            "UV_",
            "POETRY_",
            "PDM_",
            "PIPENV_",
            "HATCH_",
            "CONDA_",
            "MAMBA_",
            "NPM_CONFIG_",
            "YARN_",
            "PNPM_",
            "BUN_CONFIG_",
            "CARGO_",
            "NUGET_",
            "COMPOSER_",
        ],
        suffixes: &[
            "_INDEX_URL",
            "_REGISTRY",
            "_REGISTRY_URL",
            "_MIRROR",
            "_REPOSITORY_URL",
        ],
        parts: &[],
    },
    Class {
        name: "interpreter start-up or module path",
        exact: &[
            "NODE_OPTIONS",
            "NODE_PATH",
            "NODE_REPL_EXTERNAL_MODULE",
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS",
            "CLASSPATH",
            "PHPRC",
            "PHP_INI_SCAN_DIR",
            "MPLBACKEND",
            "FLASK_APP",
            "PYTEST_ADDOPTS",
        ],
        prefixes: &[
            "PYTHON",
            "IPYTHON",
            "JUPYTER_",
            "PERL",
            "RUBY",
            "GEM_",
            "BUNDLE_",
            "LUA_",
            "R_PROFILE",
            "R_ENVIRON",
            "R_LIBS",
            "JULIA_",
            "DOTNET_",
            "CORECLR_",
            "COR_",
            "TCL",
            "ERL_",
            "ELIXIR_",
            "GUILE_",
        ],
        suffixes: &["PATH", "_OPTIONS", "_OPTS", "_MODULE", "_MODULES"],
        parts: &[],
    },
    Class {
        name: "build-tool hook",
        exact: &[
            "MAKEFILES",
            "MAKEFLAGS",
            "MFLAGS",
            "GNUMAKEFLAGS",
            "CC",
            "CXX",
            "CPP",
            "LD",
            "AR",
            "AS",
            "NM",
            "RANLIB",
            "STRIP",
            "OBJCOPY",
            "OBJDUMP",
            "FC",
            "F77",
            "F90",
            "NVCC",
            "CUDAHOSTCXX",
            "HOSTCC",
            "HOSTCXX",
            "RUSTC",
            "RUSTDOC",
        ],
        prefixes: &[
            "CMAKE_",
            "RUSTC_",
            "RUSTUP_",
            "CCACHE_",
            "SCCACHE_",
            "PKG_CONFIG",
            "CGO_",
            "GRADLE_",
            "MAVEN_",
        ],
        suffixes: &["FLAGS"],
        parts: &[],
    },
    Class {
        name: "program to run",
        exact: &[
            "EDITOR",
            "VISUAL",
            "PAGER",
            "MANPAGER",
            "BROWSER",
            "TERMINAL",
            "LESSOPEN",
            "LESSCLOSE",
        ],
        prefixes: &[],
        suffixes: &[
            "_COMMAND",
            "_CMD",
            "_WRAPPER",
            "_EXECUTABLE",
            "_EXE",
            "_BIN",
            "_BINARY",
            "_PROGRAM",
            "_SHELL",
            "_EDITOR",
            "_PAGER",
            "ASKPASS",
            "_HOOK",
            "_HOOKS",
            "_LAUNCHER",
            "_INTERPRETER",
            "_PLUGIN",
            "_PLUGINS",
        ],
        parts: &[],
    },
    Class {
        name: "tool config file or folder",
        exact: &[
            "HOME",
            "KUBECONFIG",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
            "GNUPGHOME",
            "NETRC",
            "CURL_HOME",
            "BOTO_PATH",
            "XAUTHORITY",
            "TERMINFO",
            "TERMINFO_DIRS",
            "MPLCONFIGDIR",
            "AWS_SHARED_CREDENTIALS_FILE",
            "INPUTRC",
            "WGETRC",
            "SCREENRC",
            "IRBRC",
            "PSQLRC",
            "MYVIMRC",
            "VIMINIT",
            "GVIMINIT",
            "EXINIT",
            "PYLINTRC",
            "NPMRC",
        ],
        prefixes: &["XDG_", "GIT_"],
        suffixes: &[
            "_CONFIG",
            "_CONFIG_FILE",
            "_CONFIG_DIR",
            "_CONFIG_PATH",
            "_CONFIG_HOME",
            "_CONFIGDIR",
            "_CONF",
            "_CONF_FILE",
            "_CONF_DIR",
            "_RC",
            "RC_FILE",
            "_HOME",
        ],
        parts: &[],
    },
];

/// The Go toolchain's settings (`GOPROXY`, `GOFLAGS`, `GONOSUMDB`, `GOTOOLCHAIN`...): one
/// word after `GO`, no underscore (so `GOOGLE_API_KEY` is not one).
fn is_go_setting(upper: &str) -> bool {
    upper.len() > 2
        && upper.starts_with("GO")
        && !upper.starts_with("GOOGLE")
        && upper.bytes().all(|b| b.is_ascii_uppercase())
}

/// Suffixes of names that say they hold a credential.
const CREDENTIAL_SUFFIXES: &[&str] = &[
    "_TOKEN",
    "_API_KEY",
    "_APIKEY",
    "_PASSWORD",
    "_PASSWD",
    "_SECRET",
    "_SECRET_KEY",
    "_ACCESS_KEY",
    "_ACCESS_KEY_ID",
    "_PRIVATE_KEY",
    "_PAT",
];

/// The class `name` is refused for, if any.
#[must_use]
pub fn class_of(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    if let Some(c) = CLASSES.iter().find(|c| c.exact.contains(&upper.as_str())) {
        return Some(c.name);
    }
    if CREDENTIAL_SUFFIXES.iter().any(|s| upper.ends_with(s)) {
        return None;
    }
    if is_go_setting(&upper) {
        return Some("package index or registry setting");
    }
    CLASSES.iter().find(|c| c.matches(&upper)).map(|c| c.name)
}

/// Whether `name` is refused by default.
#[must_use]
pub fn is_dangerous(name: &str) -> bool {
    class_of(name).is_some()
}

/// The refused names among `names`, each with its class, less those the user allowed.
pub fn refused<'a>(
    names: impl Iterator<Item = &'a str>,
    allowed: &[String],
) -> Vec<(String, &'static str)> {
    names
        .filter(|n| !allowed.iter().any(|a| a == n))
        .filter_map(|n| class_of(n).map(|c| (n.to_owned(), c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{class_of, is_dangerous};

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
            "npm_config_script_shell",
            "GOPROXY",
            "GOFLAGS",
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
            "GOOGLE_API_KEY",
            "CARGO_REGISTRY_TOKEN",
        ] {
            assert!(!is_dangerous(n), "{n}");
        }
    }

    #[test]
    fn a_credential_name_passes_unless_listed_exactly() {
        assert_eq!(class_of("JUPYTER_TOKEN"), None);
        assert_eq!(class_of("GIT_TOKEN"), None);
        assert_eq!(class_of("GIT_SSH_COMMAND"), Some("program to run"));
        assert_eq!(class_of("LD_PRELOAD"), Some("dynamic loader setting"));
    }
}
