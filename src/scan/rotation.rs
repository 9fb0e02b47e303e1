//! Where to rotate well-known kinds of keys, by the value's shape and by name. The pages
//! live in the scan catalogue (`crate::scan::catalogue`), one place for both.

/// The page where a key like `name`/`value` is revoked and reissued, when known.
#[must_use]
pub fn where_to_rotate(name: &str, value: &str) -> Option<&'static str> {
    crate::scan::catalogue::entry_for(name, value)
        .map(|e| e.rotate)
        .filter(|url| !url.is_empty())
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
