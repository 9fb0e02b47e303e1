//! The format's parsers and renderer against each other.

use super::*;

fn sample() -> EnvFile {
    EnvFile {
        format: FORMAT,
        mac: None,
        project: "0".repeat(32),
        env: "dev".into(),
        key_id: "a".repeat(32),
        recipients: vec!["alice".into()],
        data_key: format!("{BEGIN}\nYWdl\n{END}\n"),
        rekeys: None,
        conflicts: BTreeMap::new(),
        secrets: [
            ("B".to_owned(), "v1:AA==".to_owned()),
            ("A".to_owned(), "v1:AQ==".to_owned()),
        ]
        .into(),
    }
}

fn key() -> DataKey {
    DataKey::from_bytes(&[7; 32]).unwrap()
}

#[test]
fn the_fast_path_agrees_with_the_toml_parser() {
    let mut f = sample();
    f.rekeys = Some("v1:AAAA".into());
    f.conflicts.insert("A".into(), "v1:BBBB".into());
    let text = f.render(&key());
    let (a, b) = (
        fast(&text).expect("canonical text takes the fast path"),
        slow(&text).unwrap(),
    );
    assert_eq!(a.aisecrets.data_key, b.aisecrets.data_key);
    assert_eq!(a.aisecrets.mac, b.aisecrets.mac);
    assert_eq!(a.aisecrets.format, b.aisecrets.format);
    assert_eq!(
        (a.secrets, a.conflicts, a.aisecrets.rekeys),
        (b.secrets, b.conflicts, b.aisecrets.rekeys)
    );
    // Anything unusual goes to the TOML parser.
    for odd in [
        text.replacen("# Encrypted", "# \u{1}Encrypted", 1),
        text.replace("[conflicts]\n", "[conflicts]\n\n[conflicts]\n"),
        text.replace("A = ", "A =  "),
        text.replace("\n", "\r\n"),
        format!("{text}A = \"v1:AA==\"\n"),
        text.replace("format = 2", "format = 3"),
        text.replace("[secrets]\n", "[secrets]\nB = 'v1:AA=='\n"),
    ] {
        assert!(fast(&odd).is_none(), "{odd}");
    }
}

#[test]
fn render_parse_round_trip() {
    let f = sample();
    let text = f.render(&key());
    let back = EnvFile::parse(Path::new("x"), &text).unwrap();
    assert!(back.verify(&key()).is_ok());
    assert!(back.mac.is_some());
    assert_eq!(EnvFile { mac: None, ..back }, f);
    assert!(text.find("A = ").unwrap() < text.find("B = ").unwrap());
}

#[test]
fn refuses_unknown_format_duplicates_and_extra_fields() {
    let text = sample().render(&key());
    let p = Path::new("x");
    let e = EnvFile::parse(p, &text.replace("format = 2", "format = 3")).unwrap_err();
    assert!(e.to_string().contains("format 3"), "{e}");
    // Format 1 has no mac, format 2 must have one.
    assert!(EnvFile::parse(p, &text.replace("format = 2", "format = 1")).is_err());
    let no_mac: String = text
        .lines()
        .filter(|l| !l.starts_with("mac = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(EnvFile::parse(p, &no_mac).is_err());
    let v1 = EnvFile::parse(p, &no_mac.replace("format = 2", "format = 1")).unwrap();
    assert_eq!((v1.format, v1.verify(&key())), (FORMAT_V1, Ok(())));
    assert!(EnvFile::parse(p, &format!("{text}A = \"v1:AA==\"\n")).is_err());
    assert!(EnvFile::parse(p, &text.replace("[secrets]", "evil = 1\n[secrets]")).is_err());
    assert!(EnvFile::parse(p, &text.replace("A = ", "1A = ")).is_err());
    assert!(EnvFile::parse(p, &text[..text.len() / 2]).is_err());
}

#[test]
fn the_mac_covers_every_field_and_line() {
    let k = key();
    let mut f = sample();
    f.conflicts.insert("A".into(), "v1:BBBB".into());
    f.rekeys = Some("v1:CCCC".into());
    let parsed = |f: &EnvFile| EnvFile::parse(Path::new("x"), &f.render(&k)).unwrap();
    let good = parsed(&f);
    assert!(good.verify(&k).is_ok());
    let edits: [&dyn Fn(&mut EnvFile); 9] = [
        &|f| f.project = "1".repeat(32),
        &|f| f.env = "prod".into(),
        &|f| f.recipients.push("mallory".into()),
        &|f| f.data_key = format!("{BEGIN}\nYWdm\n{END}\n"),
        &|f| f.rekeys = None,
        &|f| {
            f.secrets.remove("B");
        },
        &|f| {
            f.secrets.insert("B".into(), "v1:AQ==".into());
        },
        &|f| {
            f.conflicts.clear();
        },
        &|f| f.key_id = "b".repeat(32),
    ];
    for e in edits {
        let mut bad = good.clone();
        e(&mut bad);
        assert!(bad.verify(&k).is_err());
    }
    // Another key's MAC does not verify either.
    let other = DataKey::from_bytes(&[8; 32]).unwrap();
    assert!(good.verify(&other).is_err());
}

#[test]
fn oversized_text_is_refused_before_parsing() {
    let p = Path::new("x");
    let many = "A = \"v1:AA==\"\n".repeat(MAX_LINES + 1);
    let e = EnvFile::parse(p, &many).unwrap_err();
    assert!(e.to_string().contains("more lines"), "{e}");
    let long = format!("# {}\n", "x".repeat(MAX_LINE + 1));
    let e = EnvFile::parse(p, &long).unwrap_err();
    assert!(e.to_string().contains("longer"), "{e}");
}
