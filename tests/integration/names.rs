//! Which names `run` injects (#12, point 8): names that hand over code execution or
//! traffic are refused by class, with the class and the way around in the error; the
//! common secret names of AI projects pass.

use crate::util::World;

/// Secret names AI projects use: every one must reach the child.
const ORDINARY: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "ANTHROPIC_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "GOOGLE_API_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GEMINI_API_KEY",
    "MISTRAL_API_KEY",
    "COHERE_API_KEY",
    "GROQ_API_KEY",
    "TOGETHER_API_KEY",
    "DEEPSEEK_API_KEY",
    "OPENROUTER_API_KEY",
    "PERPLEXITY_API_KEY",
    "REPLICATE_API_TOKEN",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "WANDB_API_KEY",
    "WANDB_ENTITY",
    "WANDB_PROJECT",
    "COMET_API_KEY",
    "NEPTUNE_API_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "LANGCHAIN_API_KEY",
    "LANGSMITH_API_KEY",
    "PINECONE_API_KEY",
    "PINECONE_INDEX",
    "QDRANT_API_KEY",
    "WEAVIATE_API_KEY",
    "TAVILY_API_KEY",
    "SERPAPI_API_KEY",
    "ELEVENLABS_API_KEY",
    "KAGGLE_USERNAME",
    "KAGGLE_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_BEARER_TOKEN_BEDROCK",
    "DATABASE_URL",
    "REDIS_URL",
    "MONGODB_URI",
    "POSTGRES_PASSWORD",
    "PGPASSWORD",
    "DB_PASSWORD",
    "DB_USER",
    "DB_NAME",
    "SENTRY_DSN",
    "SENTRY_AUTH_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_WEBHOOK_URL",
    "STRIPE_SECRET_KEY",
    "TWILIO_AUTH_TOKEN",
    "SENDGRID_API_KEY",
    "DD_API_KEY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "GITLAB_TOKEN",
    "GIT_TOKEN",
    "GIT_PASSWORD",
    "NPM_TOKEN",
    "NODE_AUTH_TOKEN",
    "PYPI_TOKEN",
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
    "CARGO_REGISTRY_TOKEN",
    "DOCKER_USERNAME",
    "DOCKER_PASSWORD",
    "DOCKERHUB_TOKEN",
    "JUPYTER_TOKEN",
    "SSH_PRIVATE_KEY",
    "SECRET_KEY",
    "DJANGO_SECRET_KEY",
    "JWT_SECRET",
    "SESSION_SECRET",
    "ENCRYPTION_KEY",
    "API_KEY",
    "TOKEN",
    "PASSWORD",
    "ENVIRONMENT",
    "LOG_LEVEL",
    "PATHWAY_KEY",
];

#[test]
fn run_injects_the_common_secret_names() {
    let w = World::new();
    let dotenv: String = ORDINARY
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}=fake-value-{i:04}\n"))
        .collect();
    w.cmd(["import", "-"]).stdin(dotenv).ok();
    let env = w.cmd(["run", "--", "env"]).ok().stdout_str();
    for (i, n) in ORDINARY.iter().enumerate() {
        assert!(
            env.lines().any(|l| l == format!("{n}=fake-value-{i:04}")),
            "{n} did not reach the child"
        );
    }
}

/// Names a repository writer could use to take over the child or its traffic, and the
/// class each is refused for: the examples, then one or more per class.
const REFUSED: &[(&str, &str)] = &[
    // The attack review's examples.
    ("IPYTHONDIR", "interpreter start-up or module path"),
    ("MAKEFILES", "build-tool hook"),
    (
        "npm_config_script_shell",
        "package index or registry setting",
    ),
    ("UV_EXTRA_INDEX_URL", "package index or registry setting"),
    ("LOCALDOMAIN", "resolver setting"),
    ("RES_OPTIONS", "resolver setting"),
    // Dynamic loader.
    ("LD_PRELOAD", "dynamic loader setting"),
    ("LD_AUDIT", "dynamic loader setting"),
    ("DYLD_INSERT_LIBRARIES", "dynamic loader setting"),
    ("GCONV_PATH", "dynamic loader setting"),
    // Shell start-up.
    ("PATH", "shell start-up"),
    ("BASH_ENV", "shell start-up"),
    ("PROMPT_COMMAND", "shell start-up"),
    // Resolver.
    ("HOSTALIASES", "resolver setting"),
    // Proxies and TLS trust.
    ("HTTPS_PROXY", "proxy or TLS trust setting"),
    ("all_proxy", "proxy or TLS trust setting"),
    ("SSL_CERT_FILE", "proxy or TLS trust setting"),
    ("REQUESTS_CA_BUNDLE", "proxy or TLS trust setting"),
    ("NODE_EXTRA_CA_CERTS", "proxy or TLS trust setting"),
    ("NODE_TLS_REJECT_UNAUTHORIZED", "proxy or TLS trust setting"),
    ("SSLKEYLOGFILE", "proxy or TLS trust setting"),
    ("GRPC_CA_ROOTS_DIR", "proxy or TLS trust setting"),
    // API base URLs and endpoints.
    ("OPENAI_BASE_URL", "API base URL or endpoint"),
    ("OPENAI_API_BASE", "API base URL or endpoint"),
    ("HF_ENDPOINT", "API base URL or endpoint"),
    ("AWS_ENDPOINT_URL_S3", "API base URL or endpoint"),
    ("OLLAMA_HOST", "API base URL or endpoint"),
    ("VAULT_ADDR", "API base URL or endpoint"),
    ("MLFLOW_TRACKING_URI", "API base URL or endpoint"),
    // Package indexes and registries.
    ("PIP_INDEX_URL", "package index or registry setting"),
    ("pip_extra_index_url", "package index or registry setting"),
    (
        "POETRY_REPOSITORIES_EVIL_URL",
        "package index or registry setting",
    ),
    ("CONDA_CHANNELS", "package index or registry setting"),
    ("NPM_CONFIG_REGISTRY", "package index or registry setting"),
    (
        "YARN_NPM_REGISTRY_SERVER",
        "package index or registry setting",
    ),
    (
        "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
        "package index or registry setting",
    ),
    ("GOPROXY", "package index or registry setting"),
    ("GOFLAGS", "package index or registry setting"),
    // Interpreter start-up and module paths.
    ("PYTHONSTARTUP", "interpreter start-up or module path"),
    ("PYTHONPATH", "interpreter start-up or module path"),
    ("JUPYTER_CONFIG_DIR", "interpreter start-up or module path"),
    ("PERL5OPT", "interpreter start-up or module path"),
    ("RUBYOPT", "interpreter start-up or module path"),
    ("BUNDLE_GEMFILE", "interpreter start-up or module path"),
    ("LUA_INIT", "interpreter start-up or module path"),
    ("R_PROFILE_USER", "interpreter start-up or module path"),
    ("JULIA_DEPOT_PATH", "interpreter start-up or module path"),
    ("NODE_OPTIONS", "interpreter start-up or module path"),
    ("JAVA_TOOL_OPTIONS", "interpreter start-up or module path"),
    (
        "DJANGO_SETTINGS_MODULE",
        "interpreter start-up or module path",
    ),
    // Build-tool hooks.
    ("MAKEFLAGS", "build-tool hook"),
    ("CC", "build-tool hook"),
    ("CMAKE_TOOLCHAIN_FILE", "build-tool hook"),
    ("RUSTC_WRAPPER", "build-tool hook"),
    ("RUSTFLAGS", "build-tool hook"),
    ("CFLAGS", "build-tool hook"),
    // Programs to run.
    ("EDITOR", "program to run"),
    ("GIT_SSH_COMMAND", "program to run"),
    ("SSH_ASKPASS", "program to run"),
    ("PYTEST_PLUGINS", "program to run"),
    ("PYTEST_ADDOPTS", "interpreter start-up or module path"),
    // Tool config files and folders.
    ("HOME", "tool config file or folder"),
    ("XDG_CONFIG_HOME", "tool config file or folder"),
    ("GIT_CONFIG_GLOBAL", "tool config file or folder"),
    ("DOCKER_CONFIG", "tool config file or folder"),
    ("KUBECONFIG", "tool config file or folder"),
    ("AWS_CONFIG_FILE", "tool config file or folder"),
    ("CUDA_HOME", "tool config file or folder"),
    ("INPUTRC", "tool config file or folder"),
];

#[test]
fn run_refuses_names_that_hand_over_execution_or_traffic_by_class() {
    let w = World::new();
    let dotenv: String = REFUSED
        .iter()
        .map(|(n, _)| format!("{n}=/tmp/evil\n"))
        .collect();
    w.cmd(["import", "-"]).stdin(dotenv).ok();
    let marker = w.path("ran");
    for (name, class) in REFUSED {
        let out = w
            .cmd([
                "run",
                "--only",
                name,
                "--",
                "touch",
                marker.to_str().unwrap(),
            ])
            .fails(1)
            .one_line_error()
            .stderr_has(&format!("{name} ({class})"))
            .stderr_has(&format!("allow_names = [\"{name}\"]"));
        assert!(out.stdout_str().is_empty());
        assert!(!marker.exists(), "the command ran with {name}");
    }
    // The user's own config allows by exact name, and only that name.
    std::fs::write(
        w.home.join("config.toml"),
        "allow_names = [\"IPYTHONDIR\", \"npm_config_script_shell\"]\n",
    )
    .unwrap();
    let got = w
        .cmd([
            "run",
            "--only",
            "IPYTHONDIR,npm_config_script_shell",
            "--",
            "sh",
            "-c",
            "printf '%s %s' \"$IPYTHONDIR\" \"$npm_config_script_shell\"",
        ])
        .ok()
        .stdout_str();
    assert_eq!(got, "/tmp/evil /tmp/evil");
    w.cmd(["run", "--only", "NPM_CONFIG_REGISTRY", "--", "true"])
        .fails(1)
        .stderr_has("NPM_CONFIG_REGISTRY (package index or registry setting)");
}
