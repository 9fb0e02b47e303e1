//! Who the user is, for recipient names and "set by": `$USER`, else `git config user.name`,
//! else the login name from the password database; never a silent `me` when any of them
//! exists (#13: containers often run without `$USER`).

use crate::base::secret;

/// The name this user goes by, and where it came from (for the message that says so).
#[must_use]
pub fn name_and_source() -> (String, &'static str) {
    if let Some(u) = std::env::var("USER")
        .ok()
        .filter(|u| secret::valid_recipient_name(u))
    {
        return (u, "$USER");
    }
    if let Some(n) = std::env::current_dir()
        .ok()
        .and_then(|d| git_user_name(&d))
        .and_then(|n| recipient_form(&n))
    {
        return (n, "git config user.name");
    }
    if let Some(n) = login_name() {
        return (n, "your login name");
    }
    ("me".to_owned(), "no $USER, git user.name or login name")
}

/// The name alone.
#[must_use]
pub fn name() -> String {
    name_and_source().0
}

/// `git config --get user.name` in `dir`, when set. Run here rather than through
/// `crate::git`, which sits a layer above this one.
fn git_user_name(dir: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["config", "--get", "user.name"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A git user name as a recipient name: "Ada Lovelace" -> "ada-lovelace".
fn recipient_form(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-') {
            out.push(c.to_ascii_lowercase());
        } else if c.is_whitespace() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').chars().take(64).collect::<String>();
    secret::valid_recipient_name(&out).then_some(out)
}

#[cfg(unix)]
fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .filter(|n| secret::valid_recipient_name(n))
}

#[cfg(not(unix))]
fn login_name() -> Option<String> {
    std::env::var("USERNAME")
        .ok()
        .filter(|n| secret::valid_recipient_name(n))
}

#[cfg(test)]
mod tests {
    #[test]
    fn git_names_become_recipient_names() {
        assert_eq!(
            super::recipient_form("Ada  Lovelace").as_deref(),
            Some("ada-lovelace")
        );
        assert_eq!(super::recipient_form("  ").as_deref(), None);
    }
}
