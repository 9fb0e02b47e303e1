//! Host rules: which hosts a key may be sent to, and in which request headers the proxy puts
//! it (#15). Built in for the providers `status` knows (by the key's shape or name, through
//! the scan catalogue), or declared in the manifest as `[proxy.NAME]`, which wins.

/// The headers a placeholder is replaced in when a rule names none.
pub const DEFAULT_HEADERS: &[&str] = &["authorization", "x-api-key", "api-key"];

/// The built-in rules: provider (as the scan catalogue names it), hosts (`*.` = any
/// subdomain), extra headers beyond [`DEFAULT_HEADERS`]. Keep README's table in step.
/// Providers whose keys sign requests (AWS), live in files (Google) or travel in the URL
/// (Telegram) are left out: the proxy cannot swap them in a header.
pub const BUILT_IN: &[(&str, &[&str], &[&str])] = &[
    ("OpenAI", &["api.openai.com"], &[]),
    ("Anthropic", &["api.anthropic.com"], &[]),
    (
        "Hugging Face",
        &["huggingface.co", "*.huggingface.co", "hf.co", "*.hf.co"],
        &[],
    ),
    ("Weights & Biases", &["api.wandb.ai"], &[]),
    ("xAI", &["api.x.ai"], &[]),
    ("Groq", &["api.groq.com"], &[]),
    ("OpenRouter", &["openrouter.ai"], &[]),
    ("Perplexity", &["api.perplexity.ai"], &[]),
    ("Fireworks AI", &["api.fireworks.ai"], &[]),
    ("Replicate", &["api.replicate.com"], &[]),
    ("Pinecone", &["api.pinecone.io", "*.pinecone.io"], &[]),
    ("LangSmith", &["api.smith.langchain.com"], &[]),
    (
        "GitHub",
        &["api.github.com", "github.com", "uploads.github.com"],
        &[],
    ),
    ("GitLab", &["gitlab.com"], &["private-token"]),
    ("Stripe", &["api.stripe.com"], &[]),
    ("SendGrid", &["api.sendgrid.com"], &[]),
    ("Slack", &["slack.com", "*.slack.com"], &[]),
    ("Notion", &["api.notion.com"], &[]),
    ("Linear", &["api.linear.app"], &[]),
    ("Sentry", &["sentry.io", "*.sentry.io"], &[]),
    ("Cloudflare", &["api.cloudflare.com"], &[]),
    ("DigitalOcean", &["api.digitalocean.com"], &[]),
    ("npm", &["registry.npmjs.org"], &[]),
    ("PyPI", &["upload.pypi.org"], &[]),
    ("Discord", &["discord.com"], &[]),
];

/// Where one secret may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Host names, lower case; `*.example.com` matches any subdomain.
    pub hosts: Vec<String>,
    /// Path prefixes; empty for any path.
    pub paths: Vec<String>,
    /// Methods, upper case; empty for any.
    pub methods: Vec<String>,
    /// Header names, lower case.
    pub headers: Vec<String>,
}

impl Rule {
    /// The rule the manifest declares.
    #[must_use]
    pub fn declared(
        hosts: &[String],
        paths: &[String],
        methods: &[String],
        headers: &[String],
    ) -> Self {
        let headers = if headers.is_empty() {
            DEFAULT_HEADERS.iter().map(|h| (*h).to_owned()).collect()
        } else {
            headers.iter().map(|h| h.to_ascii_lowercase()).collect()
        };
        Self {
            hosts: hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            paths: paths.to_vec(),
            methods: methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
            headers,
        }
    }

    /// The built-in rule for a secret named `name` holding `value`, if its provider has one.
    #[must_use]
    pub fn built_in(name: &str, value: &str) -> Option<Self> {
        let entry = crate::scan::catalogue::entry_for(name, value)?;
        let (_, hosts, extra) = BUILT_IN.iter().find(|(p, _, _)| *p == entry.provider)?;
        Some(Self {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            paths: Vec::new(),
            methods: Vec::new(),
            headers: DEFAULT_HEADERS
                .iter()
                .chain(extra.iter())
                .map(|h| (*h).to_owned())
                .collect(),
        })
    }

    /// Whether `host` (lower case, no port) is one of this rule's.
    #[must_use]
    pub fn has_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| host_matches(h, host))
    }

    /// Whether a request of `method` to `path` on one of this rule's hosts may carry the key.
    #[must_use]
    pub fn allows(&self, method: &str, path: &str) -> bool {
        (self.methods.is_empty() || self.methods.iter().any(|m| m == method))
            && (self.paths.is_empty() || self.paths.iter().any(|p| path.starts_with(p.as_str())))
    }

    /// Whether `header` (any case) is one the key goes in.
    #[must_use]
    pub fn has_header(&self, header: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(header))
    }
}

/// `pattern` is a host or `*.domain`.
#[must_use]
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
        None => pattern.eq_ignore_ascii_case(host),
    }
}

#[cfg(test)]
mod tests {
    use super::{Rule, host_matches};

    #[test]
    fn hosts_and_built_ins() {
        assert!(host_matches("*.hf.co", "cdn-lfs.hf.co"));
        assert!(!host_matches("*.hf.co", "hf.co"));
        assert!(!host_matches("*.hf.co", "evilhf.co"));
        assert!(host_matches("api.openai.com", "API.openai.com"));
        let r = Rule::built_in("OPENAI_API_KEY", "sk-proj-FAKE").unwrap();
        assert!(r.has_host("api.openai.com"));
        assert!(r.has_header("Authorization"));
        assert!(Rule::built_in("DATABASE_URL", "postgres://x").is_none());
    }
}
