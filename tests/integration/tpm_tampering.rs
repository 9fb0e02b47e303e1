//! TPM-bound identities (#19) against what the review found: an identity file edited by
//! someone else, a TPM endpoint that is not the user's, and commands that must not ask for
//! a PIN. Each test starts its own swtpm (helpers in `tpm.rs`).

use crate::tpm::{PIN, Swtpm, VALUE, identity_file, tpm_world};

/// A PIN identity whose file is edited to say `nopin` is refused as edited, and the TPM
/// counts nothing: before, `list`, `status` and the pre-commit scan opened it without a
/// PIN on every run, each a failed authorization, and three runs locked the TPM out (seen
/// failing: the counter was 3 of 3). The other way round, a `nopin` file edited to say `pin`
/// is refused without asking for a PIN that does not exist.
#[test]
fn an_identity_file_edited_to_say_nopin_or_pin_is_refused_and_the_tpm_counts_nothing() {
    let tpm = Swtpm::start();
    let w = tpm_world();
    let with = |args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none")
    };
    with(&["identity", "new", "--tpm"])
        .stdin(format!("{PIN}\n"))
        .ok();
    with(&["init"]).ok();
    let file = identity_file(&w);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(":pin:", ":nopin:")).unwrap();
    for args in [
        &["list"][..],
        &["status"],
        &["scan"],
        &["run", "--", "true"],
    ] {
        let _ = with(args).run();
    }
    assert_eq!(
        tpm.failures(),
        0,
        "opening it as `nopin` spent the TPM's tries"
    );
    with(&["run", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("its AISECRETS-TPM-1 line says `nopin` but the sealed key needs a PIN")
        .stderr_has("restore it from a backup");

    let v = tpm_world();
    let with_v = |args: &[&str]| {
        v.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none")
    };
    with_v(&["identity", "new", "--tpm", "--no-pin"]).ok();
    with_v(&["init"]).ok();
    with_v(&["set", "HF_TOKEN"]).stdin(VALUE).ok();
    let file = identity_file(&v);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace(":nopin:", ":pin:")).unwrap();
    with_v(&["unlock"])
        .stdin(format!("{PIN}\n"))
        .fails(1)
        .one_line_error()
        .stderr_has("says `pin` but the sealed key has no PIN");
}
