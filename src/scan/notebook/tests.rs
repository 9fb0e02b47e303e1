//! Tests of the notebook redactor (#18).

use super::*;

const KEY: &str = "sk-proj-FAKE0canary0openai0000000000";

fn redactor() -> Redactor {
    Redactor::new([("OPENAI_API_KEY", KEY)].into_iter())
}

fn nb(outputs: &str, source: &str) -> String {
    format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"metadata\": {{}},\n   \"outputs\": {outputs},\n   \"source\": [\n    \"{source}\"\n   ]\n  }}\n ],\n \"metadata\": {{}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n"
    )
}

#[test]
fn values_in_outputs_are_redacted_in_place_and_sources_are_left() {
    let doc = nb(
        &format!(
            "[{{\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"key={KEY}\\n\", \"ok\\n\"]}}, {{\"output_type\": \"error\", \"ename\": \"KeyError\", \"evalue\": \"'{KEY}'\", \"traceback\": [\"\\u001b[0;31mKeyError\\u001b[0m: '{KEY}'\"]}}]"
        ),
        &format!("k = '{KEY}'"),
    );
    let r = redactor().notebook(doc.as_bytes());
    assert!(r.json);
    assert_eq!(r.count, 3);
    let text = String::from_utf8(r.bytes.to_vec()).unwrap();
    assert_eq!(
        text,
        doc.replacen(&format!("key={KEY}"), "key=[REDACTED:OPENAI_API_KEY]", 1)
            .replacen(
                &format!("\"'{KEY}'\""),
                "\"'[REDACTED:OPENAI_API_KEY]'\"",
                1
            )
            .replacen(
                &format!("\\u001b[0m: '{KEY}'"),
                "\\u001b[0m: '[REDACTED:OPENAI_API_KEY]'",
                1
            ),
        "only the three output strings change, re-encoded as Jupyter does (\\u001b)"
    );
    assert!(text.contains(&format!("k = '{KEY}'")), "the source is kept");
    // Idempotent.
    let again = redactor().notebook(&r.bytes);
    assert_eq!(again.count, 0);
    assert_eq!(*again.bytes, *r.bytes);
}

#[test]
fn nothing_to_redact_is_byte_identical() {
    let doc = nb(
        "[{\"data\": {\"text/plain\": [\"'caf\u{e9} \\u00e9 \\/ \\ud83d\\ude00'\"]}, \"output_type\": \"execute_result\"}]",
        "print(1)",
    );
    let r = redactor().notebook(doc.as_bytes());
    assert!(r.json);
    assert_eq!(r.count, 0);
    assert_eq!(*r.bytes, *doc.as_bytes());
}

#[test]
fn masked_forms_and_shapes_are_redacted() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
    // A key of a shape the catalogue knows and that is no project value.
    let body: String = (0..3u8)
        .map(|i| crate::base::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest([i])))
        .collect();
    let other = format!("sk-ant-api03-{}AA", &body[..93]);
    let doc = nb(
        &format!(
            "[{{\"data\": {{\"text/html\": [\"<b>{b64}</b>\", \"<i>\\u0073k-proj-FAKE0canary0openai0000000000</i>\"], \"text/plain\": [\"{other}\"]}}, \"output_type\": \"display_data\"}}]"
        ),
        "x",
    );
    let r = redactor().notebook(doc.as_bytes());
    let text = String::from_utf8(r.bytes.to_vec()).unwrap();
    assert!(!text.contains(&b64) && !text.contains("canary"), "{text}");
    assert!(text.contains("<b>[REDACTED:OPENAI_API_KEY]</b>"), "{text}");
    assert!(text.contains("<i>[REDACTED:OPENAI_API_KEY]</i>"), "{text}");
    assert!(
        !text.contains(&other) && text.contains("[\"[REDACTED:ANTHROPIC_API_KEY]\"]"),
        "{text}"
    );
}

#[test]
fn a_file_that_is_not_json_is_redacted_all_through() {
    let doc = format!("{{\"cells\": [{{\"outputs\": [\"{KEY}\"], \"source\": \"{KEY}\"");
    let r = redactor().notebook(doc.as_bytes());
    assert!(!r.json);
    assert_eq!(r.count, 2);
    assert!(!String::from_utf8_lossy(&r.bytes).contains(KEY));
    // Deeply nested: not JSON to us, no stack overflow.
    let deep = "[".repeat(100_000);
    assert!(!redactor().notebook(deep.as_bytes()).json);
}

/// A short value found by chance in an image's base64 text is not replaced (that
/// corrupted the image); a value inside the image's bytes replaces the whole payload.
#[test]
fn base64_data_is_searched_decoded_and_replaced_whole() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let short = Redactor::new([("PIN", "x9Qz")].into_iter());
    // 9 bytes of PNG signature and padding, then bytes whose base64 is `x9Qz` x3.
    let mut png = b"\x89PNG\r\n\x1a\n\0".to_vec();
    png.extend(b64.decode("x9Qzx9Qzx9Qz").unwrap());
    let text = b64.encode(&png);
    assert!(text.contains("x9Qz") && !png.windows(4).any(|w| w == b"x9Qz"));
    let doc = nb(
        &format!(
            "[{{\"data\": {{\"image/png\": \"{text}\", \"text/plain\": [\"<Figure>\"]}}, \"output_type\": \"display_data\"}}]"
        ),
        "x",
    );
    let r = short.notebook(doc.as_bytes());
    assert_eq!(r.count, 0);
    assert_eq!(*r.bytes, *doc.as_bytes(), "the image is kept byte for byte");
    // The key in the image's bytes (a PNG text chunk): the payload goes, whole.
    let mut png = b"\x89PNG\r\n\x1a\n\0tEXtkey\0".to_vec();
    png.extend_from_slice(KEY.as_bytes());
    let text = b64.encode(&png);
    let doc = nb(
        &format!(
            "[{{\"data\": {{\"image/jpeg\": [\"{}\\n\", \"{}\"]}}, \"output_type\": \"display_data\"}}]",
            &text[..20],
            &text[20..]
        ),
        "x",
    );
    let r = redactor().notebook(doc.as_bytes());
    assert_eq!(r.count, 1);
    let out = String::from_utf8(r.bytes.to_vec()).unwrap();
    assert!(
        out.contains("\"image/jpeg\": [\"[REDACTED:OPENAI_API_KEY]\"]"),
        "{out}"
    );
    // SVG is text: masked in place.
    let doc = nb(
        &format!("[{{\"data\": {{\"image/svg+xml\": [\"<text>{KEY}</text>\"]}}}}]"),
        "x",
    );
    let out = redactor().notebook(doc.as_bytes());
    assert!(String::from_utf8_lossy(&out.bytes).contains("<text>[REDACTED:OPENAI_API_KEY]</text>"));
}

/// Keys are compared decoded (`"output\u0073"`), keys under outputs are redacted, and
/// NaN and the infinities (Python's json writes them) are JSON: before, the first hid the
/// outputs from the filter, the second was left, the third made it redact the sources.
#[test]
fn escaped_keys_keys_under_outputs_and_nan_are_read_as_jupyter_writes_them() {
    let doc = nb(
        &format!("[{{\"text\": [\"k={KEY}\"], \"x\": NaN, \"y\": -Infinity}}]"),
        &format!("k = '{KEY}'"),
    )
    .replace("\"outputs\"", "\"output\\u0073\"");
    let r = redactor().notebook(doc.as_bytes());
    assert!(r.json, "NaN and -Infinity are JSON as Python writes it");
    assert_eq!(r.count, 1);
    let text = String::from_utf8(r.bytes.to_vec()).unwrap();
    assert!(text.contains("k=[REDACTED:OPENAI_API_KEY]"), "{text}");
    assert!(text.contains(&format!("k = '{KEY}'")), "the source is kept");
    let doc = nb(
        &format!("[{{\"data\": {{\"application/json\": {{\"{KEY}\": 1}}}}}}]"),
        "x",
    );
    let r = redactor().notebook(doc.as_bytes());
    let text = String::from_utf8(r.bytes.to_vec()).unwrap();
    assert!(
        text.contains("{\"[REDACTED:OPENAI_API_KEY]\": 1}"),
        "{text}"
    );
}

#[test]
fn shape_names() {
    let names: Vec<String> = super::super::catalogue::CATALOGUE
        .iter()
        .take(1)
        .map(shape_name)
        .collect();
    assert_eq!(names, ["OPENAI_API_KEY"]);
}
