//! The shape searches of the scanner: the catalogue's anchors and the generic-credential
//! keywords, as automata built once, and the two passes over a text file that use them
//! (catalogued key shapes; generic credentials and Kubernetes Secret values).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::Raw;
use super::catalogue::{self, CATALOGUE, Check};
use super::{generic, precision};

/// The anchors of every catalogue entry (an anchor holding another as its prefix is searched
/// as the shorter one), in automata of at most 40 patterns of similar lengths each: few and
/// long patterns keep the vectorised prefilter (Teddy) that a single automaton of all of
/// them loses. Each: (automaton, the entries of each pattern).
static ANCHORS: LazyLock<Vec<(AhoCorasick, Vec<Vec<usize>>)>> = LazyLock::new(|| {
    let all: Vec<&str> = CATALOGUE
        .iter()
        .flat_map(|e| e.anchors.iter().copied())
        .collect();
    let mut pats: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, e) in CATALOGUE.iter().enumerate() {
        for a in e.anchors {
            let short = all
                .iter()
                .filter(|b| a.starts_with(**b))
                .min_by_key(|b| b.len())
                .copied()
                .unwrap_or(a);
            match pats.iter_mut().find(|(p, _)| *p == short) {
                Some((_, owners)) if !owners.contains(&i) => owners.push(i),
                Some(_) => {}
                None => pats.push((short, vec![i])),
            }
        }
    }
    pats.sort_by_key(|(p, _)| p.len());
    pats.chunks(40)
        .map(|group| {
            let (p, o): (Vec<&str>, Vec<Vec<usize>>) = group.iter().cloned().unzip();
            (
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&p)
                    .expect("anchors build"),
                o,
            )
        })
        .collect()
});

/// Keywords of generic credentials, in the spellings code uses (lower, Capitalised, UPPER),
/// case-sensitive (a case-insensitive automaton loses the vectorised prefilter).
static KEYWORDS: LazyLock<Vec<AhoCorasick>> = LazyLock::new(|| {
    let mut pats: Vec<String> = Vec::new();
    for k in generic::KEYWORDS {
        let mut cap = k.to_string();
        cap[..1].make_ascii_uppercase();
        for v in [k.to_string(), cap, k.to_ascii_uppercase()] {
            if !pats.contains(&v) {
                pats.push(v);
            }
        }
    }
    pats.sort_by_key(String::len);
    // Leftmost-first: only those match kinds get the vectorised prefilter (Teddy); the
    // standard kind ran this search at a third of the speed.
    pats.chunks(40)
        .map(|c| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(c)
                .expect("keywords build")
        })
        .collect()
});

/// The catalogue's anchors of 4 characters or more (key prefixes, mostly).
static PREFIXES: LazyLock<Vec<String>> = LazyLock::new(|| {
    CATALOGUE
        .iter()
        .flat_map(|e| e.anchors.iter())
        .filter(|a| a.len() >= 4)
        .map(|a| (*a).to_owned())
        .collect()
});

/// Catalogued shapes in `bytes`: (start, end, entry), one per place (the first entry wins).
pub(super) fn shapes(bytes: &[u8]) -> Vec<(usize, usize, &'static catalogue::Entry)> {
    let mut done = vec![0usize; CATALOGUE.len()];
    let mut cands: Vec<(usize, usize, usize)> = Vec::new();
    for (ac, owner) in ANCHORS.iter() {
        // Every start position (an anchor may begin inside another's match: `secret_access_key`).
        let mut from = 0;
        while let Some(m) = ac.find(aho_corasick::Input::new(bytes).span(from..bytes.len())) {
            from = m.start() + 1;
            for &i in &owner[m.pattern().as_usize()] {
                let p = m.start();
                if p < done[i] {
                    continue;
                }
                let entry = &CATALOGUE[i];
                let re = catalogue::compiled(entry);
                let ws = p.saturating_sub(300);
                let mut we = (p + 4096).min(bytes.len());
                we = bytes[we..]
                    .iter()
                    .take(65_536)
                    .position(|&b| b == b'\n')
                    .map_or(we, |j| we + j);
                done[i] = we;
                let window = &bytes[ws..we];
                for c in re.captures_iter(window) {
                    let whole = c.get(0).expect("match");
                    let key = c.get(1).unwrap_or(whole);
                    let (s, e) = (ws + key.start(), ws + key.end());
                    let Ok(k) = std::str::from_utf8(key.as_bytes()) else {
                        continue;
                    };
                    let body = entry
                        .anchors
                        .iter()
                        .find_map(|a| k.strip_prefix(a))
                        .unwrap_or(k);
                    if !entry.check.passes(k)
                        || precision::placeholder(body)
                        || precision::documented(k)
                    {
                        continue;
                    }
                    if entry.check == Check::JwtHeader && precision::placeholder(k) {
                        continue;
                    }
                    cands.push((s, e, i));
                }
            }
        }
    }
    cands.sort_by_key(|&(s, _, i)| (i, s));
    let mut out: Vec<(usize, usize, &'static catalogue::Entry)> = Vec::new();
    for (s, e, i) in cands {
        if !out.iter().any(|&(os, oe, _)| s < oe && os < e) {
            out.push((s, e, &CATALOGUE[i]));
        }
    }
    out
}

/// Generic credentials and Kubernetes Secret values in a text file.
pub(super) fn generic_in(bytes: &[u8], raw: &mut Vec<Raw>) {
    let mut starts: Vec<usize> = KEYWORDS
        .iter()
        .flat_map(|k| k.find_iter(bytes).map(|m| m.start()))
        .collect();
    starts.sort_unstable();
    let mut done_to = 0;
    for start in starts {
        if start < done_to {
            continue;
        }
        let ls = bytes[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
            .max(start.saturating_sub(4096));
        let le = bytes[start..]
            .iter()
            .take(4096)
            .position(|&b| b == b'\n')
            .map_or((start + 4096).min(bytes.len()), |i| start + i);
        done_to = le;
        let Ok(line) = std::str::from_utf8(&bytes[ls..le]) else {
            continue;
        };
        let mut hits = generic::line_hits(line);
        // Kubernetes `env:` entries: `- name: X_API_KEY` then `value: ...`.
        if let Some(next) = bytes.get(le + 1..).and_then(|rest| {
            let n = rest
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(rest.len())
                .min(4096);
            std::str::from_utf8(&rest[..n]).ok()
        }) && let Some(mut h) = generic::env_pair(line, next)
        {
            h.start += le + 1 - ls;
            h.end += le + 1 - ls;
            hits.push(h);
            done_to = done_to.max(le + 1 + next.len());
        }
        for h in hits {
            let value = std::str::from_utf8(&bytes[ls + h.start..ls + h.end]).unwrap_or("");
            // A value with a catalogued prefix had its chance there (a bad checksum, a
            // placeholder): not a generic credential either.
            if PREFIXES.iter().any(|p| value.starts_with(p.as_str())) {
                continue;
            }
            raw.push(Raw {
                start: ls + h.start,
                end: ls + h.end,
                kind: "generic credential",
                provider: None,
                name: None,
                field: Some(h.field),
            });
        }
    }
    static KIND_SECRET: LazyLock<AhoCorasick> =
        LazyLock::new(|| AhoCorasick::new(["kind: Secret"]).expect("one literal builds"));
    if KIND_SECRET.is_match(bytes)
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        for (at, len, field, decoded) in generic::kube_secret_values(text) {
            let shape = shapes(decoded.as_bytes()).into_iter().next();
            let (kind, provider) = match shape {
                Some((_, _, e)) => (e.kind, Some(e.provider)),
                None if precision::random_token(&decoded) || precision::real_password(&decoded) => {
                    ("Kubernetes Secret value", None)
                }
                None => continue,
            };
            raw.push(Raw {
                start: at,
                end: at + len,
                kind,
                provider,
                name: None,
                field: Some(field),
            });
        }
    }
}
