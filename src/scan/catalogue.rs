//! The catalogue of key shapes: one entry per kind of key ML projects use, with its provider,
//! the literal text every key of that kind holds (where the search starts), the regex of the
//! whole key, a checksum where the format has one, the source of the format and where the key
//! is rotated. `status` and `rotate` take their rotation hints from here too.
//!
//! To add a provider: add an entry (keep specific prefixes before shorter ones that share
//! them), with a `sample` of its shape; the test at the bottom builds a made-up key from the
//! sample and checks the entry finds it. Only formats that the provider documents or that a
//! well-known rule set (gitleaks, trufflehog) carries belong here: a key without a fixed shape
//! is left to the generic rules (`generic.rs`).

/// A check beyond the regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// None.
    None,
    /// The last 6 characters are the base62 CRC32 of the 30 after the prefix (GitHub, npm).
    Crc32Base62,
    /// The first dot-separated part decodes to a JSON header with an `"alg"` (a JWT).
    JwtHeader,
}

/// One kind of key.
#[derive(Debug)]
pub struct Entry {
    /// Who issues it.
    pub provider: &'static str,
    /// What it is, as findings name it.
    pub kind: &'static str,
    /// Literal text (case-sensitive) every key of this kind holds: the search starts there
    /// (an anchor that starts with another entry's anchor is searched as that one).
    pub anchors: &'static [&'static str],
    /// The key; group 1 when the regex needs text around the key.
    pub regex: &'static str,
    /// A check beyond the regex.
    pub check: Check,
    /// Where the format comes from.
    pub source: &'static str,
    /// Where the key is revoked and reissued.
    pub rotate: &'static str,
    /// Parts of variable names that name these keys (`^X` = starts with X), for rotation hints.
    pub names: &'static [&'static str],
    /// A made-up key of this shape for the test: `{aN}` N base62, `{hN}` lowercase hex, `{UN}`
    /// upper case and digits, `{lN}` letters, `{bN}` base64url, `{sN}` base64, `{dN}` digits,
    /// `{crc}` the checksum of what follows the first anchor.
    pub sample: &'static str,
}

const GH: &str =
    "GitHub token formats: github.blog/2021-04-05-behind-githubs-new-authentication-token-formats";
const GL: &str = "gitleaks rule set (config/gitleaks.toml)";
const TH: &str = "trufflehog detectors";

macro_rules! e {
    ($provider:expr, $kind:expr, [$($a:expr),+], $re:expr, $check:expr, $source:expr, $rotate:expr, [$($n:expr),*], $sample:expr) => {
        Entry { provider: $provider, kind: $kind, anchors: &[$($a),+], regex: $re, check: $check,
            source: $source, rotate: $rotate, names: &[$($n),*], sample: $sample }
    };
}

use Check::{Crc32Base62, JwtHeader, None as Plain};

/// The catalogue, most specific first (an overlap goes to the first entry).
#[rustfmt::skip]
pub static CATALOGUE: &[Entry] = &[
    // LLM APIs and gateways.
    e!("OpenAI", "OpenAI API key", ["sk-proj-"], r"\bsk-proj-[A-Za-z0-9_-]{20,}", Plain,
        "OpenAI API keys page; gitleaks openai-api-key", "https://platform.openai.com/api-keys", ["OPENAI"], "sk-proj-{b74}T3BlbkFJ{b74}"),
    e!("OpenAI", "OpenAI service-account key", ["sk-svcacct-"], r"\bsk-svcacct-[A-Za-z0-9_-]{20,}", Plain,
        "OpenAI service accounts; gitleaks openai-api-key", "https://platform.openai.com/api-keys", [], "sk-svcacct-{b58}T3BlbkFJ{b58}"),
    e!("OpenAI", "OpenAI admin key", ["sk-admin-"], r"\bsk-admin-[A-Za-z0-9_-]{20,}", Plain,
        "OpenAI admin API keys; gitleaks openai-api-key", "https://platform.openai.com/settings/organization/admin-keys", [], "sk-admin-{b58}T3BlbkFJ{b58}"),
    e!("OpenAI", "OpenAI API key", ["T3BlbkFJ"], r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b", Plain,
        GL, "https://platform.openai.com/api-keys", [], "sk-{a20}T3BlbkFJ{a20}"),
    e!("Anthropic", "Anthropic API key", ["sk-ant-"], r"\bsk-ant-(?:api|admin|oat|ort)\d\d-[A-Za-z0-9_-]{20,}", Plain,
        "Anthropic console keys; gitleaks anthropic-api-key / anthropic-admin-api-key", "https://console.anthropic.com/settings/keys", ["ANTHROPIC", "CLAUDE"], "sk-ant-api03-{b93}AA"),
    e!("OpenRouter", "OpenRouter API key", ["sk-or-v1-"], r"\bsk-or-v1-[0-9a-f]{64}\b", Plain,
        TH, "https://openrouter.ai/settings/keys", ["OPENROUTER"], "sk-or-v1-{h64}"),
    e!("OpenAI-compatible", "OpenAI-style API key (OpenAI, DeepSeek...)", ["sk-"], r"\bsk-[A-Za-z0-9]{32,}\b", Plain,
        "OpenAI legacy keys; DeepSeek platform keys (sk- and 32 hex)", "https://platform.openai.com/api-keys", ["DEEPSEEK"], "sk-{h32}"),
    e!("Google", "GCP service-account key", ["\"private_key\""], r#""private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----(?:\\n)?[A-Za-z0-9+/]{40,})"#, Plain,
        "GCP service-account key files", "https://console.cloud.google.com/iam-admin/serviceaccounts", ["SERVICE_ACCOUNT", "GOOGLE_APPLICATION_CREDENTIALS"], "\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMII{s60}\\n\","),
    e!("Google", "Google API key (Gemini, GCP)", ["AIza"], r"\bAIza[0-9A-Za-z_-]{35}", Plain,
        "Google Cloud API keys; gitleaks gcp-api-key", "https://console.cloud.google.com/apis/credentials", ["GOOGLE", "GEMINI", "^GCP", "GCLOUD"], "AIza{b35}"),
    e!("Google", "Google OAuth client secret", ["GOCSPX-"], r"\bGOCSPX-[A-Za-z0-9_-]{28}", Plain,
        GL, "https://console.cloud.google.com/apis/credentials", [], "GOCSPX-{b28}"),
    e!("Groq", "Groq API key", ["gsk_"], r"\bgsk_[A-Za-z0-9]{52}\b", Plain,
        TH, "https://console.groq.com/keys", ["GROQ"], "gsk_{a52}"),
    e!("Replicate", "Replicate API token", ["r8_"], r"\br8_[A-Za-z0-9_-]{37}", Plain,
        TH, "https://replicate.com/account/api-tokens", ["REPLICATE"], "r8_{a37}"),
    e!("Fireworks AI", "Fireworks API key", ["fw_"], r"\bfw_[A-Za-z0-9]{24}\b", Plain,
        TH, "https://fireworks.ai/account/api-keys", ["FIREWORKS"], "fw_{a24}"),
    e!("Perplexity", "Perplexity API key", ["pplx-"], r"\bpplx-[A-Za-z0-9]{48}\b", Plain,
        GL, "https://www.perplexity.ai/settings/api", ["PERPLEXITY", "PPLX"], "pplx-{a48}"),
    e!("xAI", "xAI API key", ["xai-"], r"\bxai-[A-Za-z0-9_]{80}\b", Plain,
        GL, "https://console.x.ai", ["^XAI", "GROK"], "xai-{a80}"),
    // Model hubs, experiment trackers, vector databases, ML platforms.
    e!("Hugging Face", "Hugging Face token", ["hf_"], r"\bhf_[A-Za-z0-9]{30,}\b", Plain,
        "Hugging Face user access tokens; gitleaks huggingface-access-token", "https://huggingface.co/settings/tokens", ["^HF_", "HUGGING"], "hf_{l34}"),
    e!("Hugging Face", "Hugging Face organization token", ["api_org_"], r"\bapi_org_[A-Za-z]{34}\b", Plain,
        GL, "https://huggingface.co/settings/tokens", [], "api_org_{l34}"),
    e!("Weights & Biases", "W&B API key", ["andb", "ANDB"], r#"(?i-u:wandb)[A-Za-z0-9_]*["']?\s*[:=]\s*["']?([0-9a-fA-F]{40})\b"#, Plain,
        "W&B API keys are 40 hex (wandb login)", "https://wandb.ai/authorize", ["WANDB"], "WANDB_API_KEY={h40}"),
    e!("Weights & Biases", "W&B API key", ["api.wandb.ai"], r"api\.wandb\.ai\s+login\s+\S+\s+password\s+([0-9a-f]{40})\b", Plain,
        "~/.netrc written by `wandb login`", "https://wandb.ai/authorize", [], "machine api.wandb.ai\n  login user\n  password {h40}"),
    e!("LangSmith", "LangSmith API key", ["lsv2_"], r"\blsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}\b", Plain,
        GL, "https://smith.langchain.com/settings", ["LANGSMITH", "LANGCHAIN"], "lsv2_pt_{h32}_{h10}"),
    e!("Pinecone", "Pinecone API key", ["pcsk_"], r"\bpcsk_[A-Za-z0-9_]{40,}", Plain,
        "Pinecone API keys (pcsk_ prefix)", "https://app.pinecone.io", ["PINECONE"], "pcsk_{a5}_{a64}"),
    e!("Databricks", "Databricks token", ["dapi"], r"\bdapi[0-9a-f]{32}(?:-\d)?\b", Plain,
        GL, "https://docs.databricks.com/en/dev-tools/auth/pat.html", ["DATABRICKS"], "dapi{h32}"),
    e!("Neptune", "Neptune API token", ["eyJhcGlfYWRkcmVzcyI6"], r"\beyJhcGlfYWRkcmVzcyI6[A-Za-z0-9+/=]{40,}", Plain,
        "Neptune API tokens are base64 of {\"api_address\":...}", "https://app.neptune.ai", ["NEPTUNE"], "eyJhcGlfYWRkcmVzcyI6{s120}"),
    // Cloud providers.
    e!("AWS", "AWS access key", ["AKIA", "ASIA", "ABIA", "ACCA"], r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", Plain,
        "AWS IAM identifiers; gitleaks aws-access-token", "https://console.aws.amazon.com/iam/home#/security_credentials", ["^AWS_"], "AKIA{U16}"),
    e!("AWS", "AWS secret access key", ["ecret_access_key", "ECRET_ACCESS_KEY", "ecretAccessKey"], r#"(?i-u:secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#, Plain,
        "AWS credentials file", "https://console.aws.amazon.com/iam/home#/security_credentials", [], "aws_secret_access_key = {s40}"),
    e!("Azure", "Azure storage account key", ["AccountKey="], r"AccountKey=([A-Za-z0-9+/]{86}==)", Plain,
        "Azure storage connection strings", "https://portal.azure.com", ["AZURE"], "AccountKey={s86}=="),
    e!("Azure", "Azure AD client secret", ["0Q~", "1Q~", "2Q~", "3Q~", "4Q~", "5Q~", "6Q~", "7Q~", "8Q~", "9Q~"], r"(?:^|[^A-Za-z0-9_~.])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)", Plain,
        GL, "https://portal.azure.com/#view/Microsoft_AAD_RegisteredApps", [], "{a3}8Q~{a34}"),
    e!("Cloudflare", "Cloudflare origin CA key", ["v1.0-"], r"\bv1\.0-[0-9a-f]{24}-[0-9a-f]{146}\b", Plain,
        GL, "https://dash.cloudflare.com/profile/api-tokens", ["CLOUDFLARE", "^CF_"], "v1.0-{h24}-{h146}"),
    e!("DigitalOcean", "DigitalOcean token", ["_v1_"], r"\bdo[opr]_v1_[0-9a-f]{64}\b", Plain,
        GL, "https://cloud.digitalocean.com/account/api/tokens", ["DIGITALOCEAN", "^DO_"], "dop_v1_{h64}"),
    e!("Heroku", "Heroku API key", ["HRKU-AA"], r"\bHRKU-AA[0-9A-Za-z_-]{58}\b", Plain,
        GL, "https://dashboard.heroku.com/account/applications", ["HEROKU"], "HRKU-AA{a58}"),
    e!("Supabase", "Supabase access token", ["sbp_"], r"\bsbp_[0-9a-f]{40}\b", Plain,
        GL, "https://supabase.com/dashboard/account/tokens", ["SUPABASE"], "sbp_{h40}"),
    // Source hosting and package registries.
    e!("GitHub", "GitHub token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"\bgh[pousr]_[A-Za-z0-9]{36}\b", Crc32Base62,
        GH, "https://github.com/settings/tokens", ["GITHUB", "^GH_"], "ghp_{a30}{crc}"),
    e!("GitHub", "GitHub fine-grained token", ["github_pat_"], r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b", Plain,
        GH, "https://github.com/settings/personal-access-tokens", [], "github_pat_{a22}_{a59}"),
    e!("GitLab", "GitLab token", ["glpat-"], r"\bglpat-[A-Za-z0-9_-]{20,}", Plain,
        GL, "https://gitlab.com/-/user_settings/personal_access_tokens", ["GITLAB"], "glpat-{b20}"),
    e!("npm", "npm token", ["npm_"], r"\bnpm_[A-Za-z0-9]{36}\b", Crc32Base62,
        "npm token format: github.blog/2021-09-23-announcing-npms-new-access-token-format", "https://www.npmjs.com/settings/~/tokens", ["^NPM_", "NODE_AUTH"], "npm_{a30}{crc}"),
    e!("PyPI", "PyPI token", ["pypi-AgEIcHlwaS5vcmc"], r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", Plain,
        "PyPI API tokens (macaroons for pypi.org)", "https://pypi.org/manage/account/token/", ["PYPI", "TWINE"], "pypi-AgEIcHlwaS5vcmc{b120}"),
    e!("Docker", "Docker Hub token", ["dckr_pat_"], r"\bdckr_pat_[A-Za-z0-9_-]{27}", Plain,
        GL, "https://app.docker.com/settings/personal-access-tokens", ["DOCKER"], "dckr_pat_{b27}"),
    e!("Atlassian", "Atlassian API token", ["ATATT3"], r"\bATATT3[A-Za-z0-9_=-]{150,}", Plain,
        GL, "https://id.atlassian.com/manage-profile/security/api-tokens", ["ATLASSIAN", "JIRA", "CONFLUENCE"], "ATATT3{b180}"),
    e!("Linear", "Linear API key", ["lin_api_"], r"\blin_api_[A-Za-z0-9]{40}\b", Plain,
        GL, "https://linear.app/settings/account/security", ["LINEAR"], "lin_api_{a40}"),
    e!("Notion", "Notion integration token", ["ntn_"], r"\bntn_[0-9]{11}[A-Za-z0-9]{35}\b", Plain,
        GL, "https://www.notion.so/my-integrations", ["NOTION"], "ntn_{d11}{a35}"),
    e!("Notion", "Notion integration token", ["secret_"], r"\bsecret_[A-Za-z0-9]{43}\b", Plain,
        GL, "https://www.notion.so/my-integrations", [], "secret_{a43}"),
    e!("Postman", "Postman API key", ["PMAK-"], r"\bPMAK-[0-9a-f]{24}-[0-9a-f]{34}\b", Plain,
        GL, "https://go.postman.co/settings/me/api-keys", ["POSTMAN"], "PMAK-{h24}-{h34}"),
    // Observability.
    e!("Sentry", "Sentry auth token", ["sntrys_eyJ"], r"\bsntrys_eyJ[A-Za-z0-9+/=_-]{50,}", Plain,
        GL, "https://sentry.io/settings/account/api/auth-tokens/", ["SENTRY"], "sntrys_eyJ{s120}"),
    e!("Sentry", "Sentry user token", ["sntryu_"], r"\bsntryu_[0-9a-f]{64}\b", Plain,
        GL, "https://sentry.io/settings/account/api/auth-tokens/", [], "sntryu_{h64}"),
    e!("Grafana", "Grafana Cloud token", ["glc_"], r"\bglc_[A-Za-z0-9+/]{32,}={0,2}", Plain,
        GL, "https://grafana.com/orgs", ["GRAFANA"], "glc_{s80}"),
    e!("Grafana", "Grafana service-account token", ["glsa_"], r"\bglsa_[A-Za-z0-9]{32}_[0-9a-fA-F]{8}\b", Plain,
        GL, "https://grafana.com/docs/grafana/latest/administration/service-accounts/", [], "glsa_{a32}_{h8}"),
    e!("New Relic", "New Relic user key", ["NRAK-"], r"\bNRAK-[A-Z0-9]{27}\b", Plain,
        GL, "https://one.newrelic.com/api-keys", ["NEW_RELIC", "NEWRELIC"], "NRAK-{U27}"),
    // Payment, messaging, SaaS.
    e!("Stripe", "Stripe secret key", ["k_live_", "k_test_"], r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{24,}\b", Plain,
        "Stripe API keys docs; gitleaks stripe-access-token", "https://dashboard.stripe.com/apikeys", ["STRIPE"], "sk_live_{a99}"),
    e!("Shopify", "Shopify token", ["shp"], r"\bshp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}\b", Plain,
        GL, "https://admin.shopify.com", ["SHOPIFY"], "shpat_{h32}"),
    e!("SendGrid", "SendGrid API key", ["SG."], r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", Plain,
        GL, "https://app.sendgrid.com/settings/api_keys", ["SENDGRID"], "SG.{b22}.{b43}"),
    e!("Slack", "Slack token", ["xox"], r"\bxox[abeprs]-[0-9A-Za-z-]{10,}", Plain,
        "Slack token types docs; gitleaks slack-*-token", "https://api.slack.com/apps", ["SLACK"], "xoxb-{d12}-{d13}-{a24}"),
    e!("Slack", "Slack webhook", ["hooks.slack.com/"], r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_]+/[A-Za-z0-9_]+/[A-Za-z0-9_]+", Plain,
        "Slack incoming webhooks", "https://api.slack.com/apps", [], "https://hooks.slack.com/services/T{U10}/B{U10}/{a24}"),
    e!("Discord", "Discord webhook", ["/api/webhooks/"], r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{60,}", Plain,
        GL, "https://discord.com/developers/applications", ["DISCORD"], "https://discord.com/api/webhooks/{d18}/{b68}"),
    e!("Telegram", "Telegram bot token", [":AA"], r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b", Plain,
        "Telegram Bot API docs (123456:ABC-DEF...); gitleaks telegram-bot-api-token", "https://t.me/BotFather", ["TELEGRAM"], "{d10}:AA{b33}"),
    // Secret managers and infrastructure.
    e!("HashiCorp Vault", "Vault token", ["hvs."], r"\bhvs\.[A-Za-z0-9_-]{90,}", Plain,
        "Vault token prefixes (1.10+)", "https://developer.hashicorp.com/vault/docs/commands/token/revoke", ["VAULT_TOKEN", "BAO_TOKEN"], "hvs.{b95}"),
    e!("Terraform Cloud", "Terraform Cloud token", [".atlasv1."], r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}\b", Plain,
        GL, "https://app.terraform.io/app/settings/tokens", ["^TF_TOKEN", "TFE_TOKEN"], "{a14}.atlasv1.{b67}"),
    e!("1Password", "1Password service-account token", ["ops_eyJ"], r"\bops_eyJ[A-Za-z0-9+/]{250,}={0,3}", Plain,
        GL, "https://my.1password.com", ["OP_SERVICE_ACCOUNT"], "ops_eyJ{s300}"),
    e!("Doppler", "Doppler token", ["dp.pt."], r"\bdp\.pt\.[A-Za-z0-9]{43}\b", Plain,
        GL, "https://dashboard.doppler.com", ["DOPPLER"], "dp.pt.{a43}"),
    e!("Tailscale", "Tailscale key", ["tskey-"], r"\btskey-(?:auth|api|client|webhook)-[A-Za-z0-9]+-[A-Za-z0-9]+\b", Plain,
        "Tailscale key prefixes", "https://login.tailscale.com/admin/settings/keys", ["TAILSCALE", "TS_AUTHKEY"], "tskey-auth-{a12}CNTRL-{a32}"),
    e!("age", "age identity", ["AGE-SECRET-KEY-1"], r"AGE-SECRET-KEY-1[0-9A-Z]{58}", Plain,
        "age specification (Bech32 identities)", "", [], "AGE-SECRET-KEY-1{U58}"),
    // By structure.
    e!("PEM/PGP/OpenSSH", "private key", ["PRIVATE KEY"], r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[nr])*(?:[A-Za-z-]+: [^\n\\]*(?:\s|\\[nr])+)*[A-Za-z0-9+/=]{40,}", Plain,
        "RFC 7468 (PEM), RFC 4880 (OpenPGP armor), OpenSSH key format", "", [], "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{s64}\n-----END OPENSSH PRIVATE KEY-----"),
    e!("JWT", "JSON Web Token", ["eyJ"], r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}", JwtHeader,
        "RFC 7519", "", [], "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{b40}.{b43}"),
];

/// The CRC32 (IEEE) of `data`.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base62, left-padded with `0` to 6 characters (GitHub's and npm's checksum).
#[must_use]
pub fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Check {
    /// Whether `key` (the whole match) passes.
    #[must_use]
    pub fn passes(self, key: &str) -> bool {
        match self {
            Check::None => true,
            Check::Crc32Base62 => {
                let Some(body) = key.split_once('_').map(|(_, b)| b) else {
                    return false;
                };
                body.len() == 36 && base62_6(crc32(&body.as_bytes()[..30])) == body[30..]
            }
            Check::JwtHeader => {
                use base64::Engine as _;
                let head = key.split('.').next().unwrap_or("");
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(head.trim_end_matches('='))
                    .is_ok_and(|h| h.windows(5).any(|w| w == b"\"alg\""))
            }
        }
    }
}

/// The entry a value of a secret named `name` belongs to: by the value's shape first (its
/// prefix, or the whole regex), then by the name.
#[must_use]
pub fn entry_for(name: &str, value: &str) -> Option<&'static Entry> {
    let v = value.trim();
    let rotatable = || CATALOGUE.iter().filter(|e| !e.rotate.is_empty());
    // The longest fixed prefix wins (`sk-ant-` over `sk-`).
    let by_prefix = rotatable()
        .map(|e| (e, literal_start(e.regex)))
        .filter(|(_, lit)| lit.len() >= 3 && v.starts_with(lit.as_str()))
        .min_by_key(|(_, lit)| std::cmp::Reverse(lit.len()))
        .map(|(e, _)| e);
    // Only an entry whose anchor the value holds can match (the scanner's rule too), so the
    // others are not compiled: a proxy start with five keys of no known shape compiled the
    // whole catalogue, 4 ms.
    let by_value = by_prefix.or_else(|| {
        rotatable()
            .filter(|e| e.anchors.iter().any(|a| v.contains(a)))
            .find(|e| compiled(e).is_match(v.as_bytes()))
    });
    if by_value.is_some() {
        return by_value;
    }
    let n = name.to_ascii_uppercase();
    CATALOGUE.iter().find(|e| {
        e.names.iter().any(|p| match p.strip_prefix('^') {
            Some(start) => n.starts_with(start),
            None => n.contains(p),
        })
    })
}

/// The literal text a regex starts with (after a `\b`), unescaped.
fn literal_start(re: &str) -> String {
    let mut out = String::new();
    let mut chars = re.trim_start_matches(r"\b").chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) if n.is_ascii_punctuation() => out.push(n),
                _ => break,
            },
            '[' | '(' | '{' | '*' | '+' | '?' | '|' | '^' | '$' => break,
            c => out.push(c),
        }
    }
    out
}

/// The compiled regex of an entry, compiled the first time it is asked for (each takes
/// tens of microseconds; a `run --proxy` or a small scan needs a few of them).
#[must_use]
pub fn compiled(e: &Entry) -> &'static regex::bytes::Regex {
    static ALL: std::sync::LazyLock<Vec<std::sync::OnceLock<regex::bytes::Regex>>> =
        std::sync::LazyLock::new(|| {
            CATALOGUE
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect()
        });
    let i = CATALOGUE
        .iter()
        .position(|x| std::ptr::eq(x, e))
        .expect("an entry of the catalogue");
    ALL[i].get_or_init(|| {
        regex::bytes::Regex::new(e.regex).expect("the catalogue's regexes are valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands a sample: a made-up key of the entry's shape.
    fn expand(sample: &str, anchor: &str, seed: &mut u64) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut next = |n: usize| {
            *seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((*seed >> 33) as usize) % n
        };
        let mut out = String::new();
        let mut rest = sample;
        while let Some(i) = rest.find('{') {
            let Some(j) = rest[i..].find('}').map(|j| i + j) else {
                break;
            };
            let spec = &rest[i + 1..j];
            let (class, n) = spec.split_at(1);
            let Ok(n) = n.parse::<usize>() else {
                if spec == "crc" {
                    out.push_str(&rest[..i]);
                    let body = &out[out.find(anchor).unwrap() + anchor.len()..];
                    let c = base62_6(crc32(body.as_bytes()));
                    out.push_str(&c);
                } else {
                    out.push_str(&rest[..=j]);
                }
                rest = &rest[j + 1..];
                continue;
            };
            out.push_str(&rest[..i]);
            let set: &[u8] = match class {
                "a" => ALNUM,
                "h" => b"0123456789abcdef",
                "U" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                "l" => &ALNUM[..52],
                "b" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                "s" => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                "d" => b"0123456789",
                _ => panic!("bad sample class {class}"),
            };
            for _ in 0..n {
                out.push(char::from(set[next(set.len())]));
            }
            rest = &rest[j + 1..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn no_entry_needs_unicode_case_folding() {
        for e in CATALOGUE {
            assert!(
                !crate::scan::folds_unicode_case(e.regex),
                "{}: write (?i-u:...), release builds have no Unicode case folding",
                e.regex
            );
        }
    }

    /// Every entry finds a made-up key of its shape, as its own kind, in a line of code; a
    /// broken entry (regex, anchor, checksum) fails here.
    #[test]
    fn every_entry_finds_a_key_of_its_shape() {
        let mut seed = 17;
        let scanner = crate::scan::Scanner::new(std::iter::empty());
        let mut providers = std::collections::BTreeSet::new();
        for e in CATALOGUE {
            let key = expand(e.sample, e.anchors[0], &mut seed);
            let line = format!("x = 1\nconfig = \"{}\"\n", key.replace('\n', "\\n"));
            let line = if key.contains('"') || key.contains('\n') {
                format!("x = 1\n{key}\n")
            } else {
                line
            };
            let f = scanner.scan("t.py", line.as_bytes());
            assert!(
                f.iter()
                    .any(|f| f.kind == e.kind && f.provider == Some(e.provider) && f.line >= 2),
                "{} ({}): {key:?} gave {f:?}",
                e.kind,
                e.provider
            );
            providers.insert(e.provider);
        }
        assert!(providers.len() >= 40, "{}", providers.len());
    }

    #[test]
    fn checksums_tell_real_shapes_from_lookalikes() {
        let mut seed = 5;
        let key = expand("ghp_{a30}{crc}", "ghp_", &mut seed);
        assert!(Check::Crc32Base62.passes(&key));
        let mut broken = key.clone().into_bytes();
        broken[10] = if broken[10] == b'a' { b'b' } else { b'a' };
        assert!(!Check::Crc32Base62.passes(std::str::from_utf8(&broken).unwrap()));
        let scanner = crate::scan::Scanner::new(std::iter::empty());
        assert!(scanner.scan("a", &broken).is_empty());
        assert!(!Check::JwtHeader.passes("eyJub3RoaW5nIjoxfQ.eyJhIjoxfQ.abcdefabcdefabcdef"));
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    /// `entry_for` compiles only the entries whose anchor the value holds; every key of a
    /// rotatable entry's shape is still told by its value alone, under a name that says nothing.
    #[test]
    fn a_value_of_a_known_shape_names_its_provider() {
        let mut seed = 23;
        for e in CATALOGUE.iter().filter(|e| !e.rotate.is_empty()) {
            let key = expand(e.sample, e.anchors[0], &mut seed);
            let found = entry_for("UNRELATED", &key)
                .unwrap_or_else(|| panic!("{} ({}): {key:?} not told", e.kind, e.provider));
            // By its regex, or else by the longest fixed prefix (`sk-` is OpenAI's).
            let lit = literal_start(found.regex);
            assert!(
                compiled(found).is_match(key.trim().as_bytes())
                    || (lit.len() >= 3 && key.starts_with(lit.as_str())),
                "{} ({}): {key:?} gave {}",
                e.kind,
                e.provider,
                found.kind
            );
        }
    }

    #[test]
    fn rotation_hints_by_value_and_by_name() {
        assert_eq!(entry_for("X", "gsk_abc").unwrap().provider, "Groq");
        assert_eq!(
            entry_for("MY_KEY", "sk-ant-FAKE").unwrap().provider,
            "Anthropic"
        );
        assert!(
            entry_for("MY_KEY", "sk-whatever")
                .unwrap()
                .rotate
                .contains("openai.com")
        );
        assert_eq!(entry_for("HF_TOKEN", "x").unwrap().provider, "Hugging Face");
        assert_eq!(
            entry_for("PINECONE_API_KEY", "x").unwrap().provider,
            "Pinecone"
        );
        assert!(entry_for("DATABASE_URL", "postgres://x").is_none());
    }
}
