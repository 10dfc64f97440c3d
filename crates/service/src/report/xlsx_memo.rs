//! A small memo of rendered workbooks, keyed by the SHA-256 of everything a workbook is made
//! from. The Reports page renders the XLSX export of a period to show its SHA-256, and the
//! download renders the same file again; an auditor paging back and forth renders it a third
//! time. The workbook depends on nothing but its inputs ([`super::xlsx`] fixes its creation
//! time), so a hit is byte for byte the file a fresh render would make: the same hash.
//!
//! Bounded: the last [`ENTRIES`] workbooks of at most [`MAX_BYTES`] each, in this process.

use std::collections::VecDeque;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use rust_xlsxwriter::XlsxError;
use sha2::{Digest, Sha256};

use super::xlsx::{self, Book};

/// Workbooks kept.
const ENTRIES: usize = 4;
/// A larger workbook is rendered every time rather than kept.
const MAX_BYTES: usize = 32 << 20;

type Key = [u8; 32];
/// The workbooks kept, the last used first.
type Entries = VecDeque<(Key, Arc<Vec<u8>>)>;

static MEMO: LazyLock<Mutex<Entries>> =
    LazyLock::new(|| Mutex::new(VecDeque::with_capacity(ENTRIES)));

/// Runs `f` on the memo. A panic elsewhere while the lock was held leaves a memo that is still
/// consistent (each change is one push, removal or truncation), so a poisoned lock is used.
fn with_memo<R>(f: impl FnOnce(&mut Entries) -> R) -> R {
    let mut m = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut m)
}

/// [`xlsx::render`], answered from the memo when the same inputs were rendered lately.
pub fn render(input: &Book<'_>) -> Result<Vec<u8>, XlsxError> {
    let key = key(input);
    let hit = with_memo(|m| {
        let i = m.iter().position(|(k, _)| *k == key)?;
        let entry = m.remove(i)?;
        let body = entry.1.clone();
        m.push_front(entry);
        Some(body)
    });
    if let Some(body) = hit {
        return Ok(body.as_ref().clone());
    }
    let body = xlsx::render(input)?;
    if body.len() <= MAX_BYTES {
        let kept = Arc::new(body.clone());
        with_memo(|m| {
            m.retain(|(k, _)| *k != key);
            m.push_front((key, kept));
            m.truncate(ENTRIES);
        });
    }
    Ok(body)
}

/// The SHA-256 of every input, each string length-prefixed so no two inputs hash alike.
fn key(input: &Book<'_>) -> Key {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(input.sheet);
    put(input.title);
    put(&format!("{:?}", input.kinds));
    put(&input.header.len().to_string());
    for c in input.header {
        put(c);
    }
    put(&input.facts.len().to_string());
    for (label, value) in input.facts {
        put(label);
        put(value);
    }
    put(&input.rows.len().to_string());
    for row in input.rows {
        put(&row.len().to_string());
        for c in row {
            put(c);
        }
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::xlsx::Column;

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    /// A book over `header`, `rows` and one fact, its cells typed by `kinds`.
    fn book<'a>(
        header: &'a [String],
        kinds: &'a [Column],
        rows: &'a [Vec<String>],
        facts: &'a [(&'a str, String)],
    ) -> Book<'a> {
        Book {
            sheet: "Terminations",
            header,
            kinds,
            rows,
            facts,
            title: "t",
        }
    }

    #[test]
    fn a_hit_is_the_file_a_fresh_render_makes_and_any_change_misses() {
        let header = vec!["a".to_owned(), "b".to_owned()];
        let kinds = [Column::Text, Column::Number { decimals: 0 }];
        let facts = [("Rows", "2".to_owned())];
        let rows = cells(&[&["x", "1"], &["y", "2"]]);
        let input = book(&header, &kinds, &rows, &facts);
        let fresh = xlsx::render(&input).unwrap();
        let first = render(&input).unwrap();
        let again = render(&input).unwrap();
        assert_eq!(first, fresh);
        assert_eq!(again, fresh);
        let other = cells(&[&["x", "1"], &["y", "3"]]);
        let changed_input = book(&header, &kinds, &other, &facts);
        let changed = render(&changed_input).unwrap();
        assert_ne!(changed, fresh);
        assert_eq!(changed, xlsx::render(&changed_input).unwrap());
    }

    #[test]
    fn cells_moved_between_rows_or_into_the_header_key_differently() {
        let h = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        let kinds = [Column::Text, Column::Text];
        let (h1, r1) = (h(&["a", "b"]), cells(&[&["c", "d"]]));
        let (h2, r2) = (h(&["a"]), cells(&[&["b", "c", "d"]]));
        let (h3, r3) = (h(&["a", "b"]), cells(&[&["c"], &["d"]]));
        let one = key(&book(&h1, &kinds, &r1, &[]));
        let two = key(&book(&h2, &kinds, &r2, &[]));
        let three = key(&book(&h3, &kinds, &r3, &[]));
        assert_ne!(one, two);
        assert_ne!(one, three);
        assert_ne!(two, three);
    }
}
