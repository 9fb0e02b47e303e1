//! Where to rotate well-known kinds of keys, by name and by the value's shape.

/// The page where a key like `name`/`value` is revoked and reissued, when known.
#[must_use]
pub fn where_to_rotate(name: &str, value: &str) -> Option<&'static str> {
    let n = name.to_ascii_uppercase();
    let v = value.trim_start();
    let rules: &[(bool, &str)] = &[
        (
            n.contains("ANTHROPIC") || v.starts_with("sk-ant-"),
            "https://console.anthropic.com/settings/keys",
        ),
        (
            n.contains("OPENAI") || v.starts_with("sk-proj-"),
            "https://platform.openai.com/api-keys",
        ),
        (
            n.starts_with("HF_") || n.contains("HUGGING") || v.starts_with("hf_"),
            "https://huggingface.co/settings/tokens",
        ),
        (n.contains("WANDB"), "https://wandb.ai/authorize"),
        (
            n.starts_with("AWS_") || v.starts_with("AKIA") || v.starts_with("ASIA"),
            "https://console.aws.amazon.com/iam/home#/security_credentials",
        ),
        (
            n.contains("GOOGLE")
                || n.starts_with("GCP")
                || n.contains("GCLOUD")
                || v.contains("\"service_account\""),
            "https://console.cloud.google.com/iam-admin/serviceaccounts",
        ),
        (
            n.contains("GITHUB")
                || n.starts_with("GH_")
                || v.starts_with("ghp_")
                || v.starts_with("github_pat_"),
            "https://github.com/settings/tokens",
        ),
        (v.starts_with("sk-"), "https://platform.openai.com/api-keys"),
    ];
    rules.iter().find(|(hit, _)| *hit).map(|(_, url)| *url)
}

#[cfg(test)]
mod tests {
    use super::where_to_rotate;

    #[test]
    fn well_known_kinds() {
        assert!(
            where_to_rotate("OPENAI_API_KEY", "x")
                .unwrap()
                .contains("openai")
        );
        assert!(
            where_to_rotate("MY_KEY", "sk-ant-FAKE")
                .unwrap()
                .contains("anthropic")
        );
        assert!(
            where_to_rotate("HF_TOKEN", "x")
                .unwrap()
                .contains("huggingface")
        );
        assert!(
            where_to_rotate("WANDB_API_KEY", "x")
                .unwrap()
                .contains("wandb")
        );
        assert!(
            where_to_rotate("AWS_SECRET_ACCESS_KEY", "x")
                .unwrap()
                .contains("aws")
        );
        assert!(
            where_to_rotate("GOOGLE_APPLICATION_CREDENTIALS", "x")
                .unwrap()
                .contains("cloud.google")
        );
        assert!(where_to_rotate("GH_TOKEN", "x").unwrap().contains("github"));
        assert_eq!(where_to_rotate("DATABASE_URL", "postgres://x"), None);
    }
}
