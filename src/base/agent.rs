//! Is aisecrets running under a coding agent? The documented environment markers each agent
//! sets in the shells it starts (#16). Detection is a courtesy check, not a boundary: an agent
//! that unsets its marker passes for a human (docs/THREATS.md says so).
//!
//! | agent | marker | where it is documented |
//! |---|---|---|
//! | Claude Code | `CLAUDECODE=1`, `CLAUDE_CODE_ENTRYPOINT` | code.claude.com/docs/en/env-vars ("set to 1 in shell environments Claude Code spawns") |
//! | Codex CLI | `CODEX_SANDBOX`, `CODEX_SANDBOX_NETWORK_DISABLED`, `CODEX_THREAD_ID`, `CODEX_CI` | openai/codex `codex-rs/core/src/spawn.rs` and its AGENTS.md; GitHub CLI `internal/agents/detect.go` |
//! | Cursor | `CURSOR_AGENT` | Cursor CLI's shell tool; GitHub CLI `internal/agents/detect.go` |
//! | GitHub Copilot CLI | `COPILOT_CLI` | GitHub CLI `internal/agents/detect.go` |
//! | Gemini CLI | `GEMINI_CLI=1` | geminicli.com/docs/tools/shell ("sets GEMINI_CLI=1 in the subprocess's environment") |
//!
//! `AISECRETS_AGENT=NAME` names an agent by hand (a wrapper, a test); `AISECRETS_AGENT=` set
//! and empty does not switch detection off: the markers still count.

use std::ffi::OsStr;

/// The markers, in the order they are looked at: (variable, agent name).
pub const MARKERS: [(&str, &str); 10] = [
    ("CLAUDECODE", "claude-code"),
    ("CLAUDE_CODE_ENTRYPOINT", "claude-code"),
    ("CODEX_SANDBOX", "codex"),
    ("CODEX_SANDBOX_NETWORK_DISABLED", "codex"),
    ("CODEX_THREAD_ID", "codex"),
    ("CODEX_CI", "codex"),
    ("CURSOR_AGENT", "cursor"),
    ("COPILOT_CLI", "copilot"),
    ("GEMINI_CLI", "gemini-cli"),
    ("AISECRETS_AGENT", ""),
];

/// The agent aisecrets runs under, from the environment; `None` for a human.
#[must_use]
pub fn detect() -> Option<String> {
    detect_in(|name| std::env::var_os(name))
}

/// [`detect`] over any environment lookup (unit tests).
pub fn detect_in(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<String> {
    MARKERS.iter().find_map(|(var, agent)| {
        let v = get(var)?;
        if v.is_empty() || v == OsStr::new("0") {
            return None;
        }
        if agent.is_empty() {
            // AISECRETS_AGENT=NAME: the name as given, kept short and printable.
            let name: String = v
                .to_string_lossy()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .take(40)
                .collect();
            return Some(if name.is_empty() {
                "agent".into()
            } else {
                name
            });
        }
        Some((*agent).to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::detect_in;

    #[test]
    fn markers_name_their_agent_and_empty_or_zero_is_none() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        assert_eq!(
            detect_in(env(&[("CLAUDECODE", "1")])).as_deref(),
            Some("claude-code")
        );
        assert_eq!(
            detect_in(env(&[("GEMINI_CLI", "1")])).as_deref(),
            Some("gemini-cli")
        );
        assert_eq!(
            detect_in(env(&[("CODEX_SANDBOX", "seatbelt")])).as_deref(),
            Some("codex")
        );
        assert_eq!(detect_in(env(&[("CLAUDECODE", "")])), None);
        assert_eq!(detect_in(env(&[("CURSOR_AGENT", "0")])), None);
        assert_eq!(
            detect_in(env(&[("AISECRETS_AGENT", "my bot!")])).as_deref(),
            Some("mybot")
        );
        assert_eq!(detect_in(env(&[])), None);
    }
}
