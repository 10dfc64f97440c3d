use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::ser::SerializeMap;
use serde_json::{Map, Value, json};

use super::text::{any_must_escape, must_escape};
use super::*;
use crate::effective::{EffectivePolicy, HrEffectiveTime};
use crate::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
use crate::evidence::canonical::{hash_of, hash_via_value, tricky_values, write_canonical};
use crate::evidence::{
    Chain, EvidenceRecord, LedgerEntry, Outcome, Packet, ReadBack, RecordBody, RequestOutline,
    Seal, SlaOutcome, WormProtection, WormStatus, hr_trigger_body,
};
use crate::ids::{CaseId, EmployeeIdentifiers, Sha256Digest};
use crate::signature::Verified;

/// The bytes the original path hashes: `to_value`, drop the top-level `hash`, write.
fn via_value<T: Serialize>(v: &T) -> Vec<u8> {
    let mut v = serde_json::to_value(v).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.remove("hash");
    }
    let mut out = Vec::new();
    write_canonical(&v, &mut out);
    out
}

fn direct<T: Serialize + ?Sized>(v: &T) -> Option<Vec<u8>> {
    let mut w = Writer::default();
    w.write(v, true).ok().map(|()| w.out)
}

/// Byte-identical to the `Value` path, and (for a JSON value without a top-level `hash`)
/// to the reference RFC 8785 implementation; `hash_of` agrees with the `Value` path.
#[track_caller]
fn check<T: Serialize>(v: &T) {
    let old = via_value(v);
    let new = direct(v).expect("the direct writer handles this value");
    assert_eq!(String::from_utf8_lossy(&new), String::from_utf8_lossy(&old));
    assert_eq!(hash_of(v).unwrap(), hash_via_value(v).unwrap());
    assert_eq!(hash_of(v).unwrap(), Sha256Digest::of(&old));
}

/// A small deterministic generator (no dependency, same corpus every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: &[&str] = &[
    "",
    "a",
    "b",
    "B",
    "aa",
    "ab",
    "hash",
    "Hash",
    "caseId",
    "prevHash",
    "é",
    "e\u{301}",
    "\u{10000}",
    "\u{1F600}",
    "\u{FB33}",
    "\u{E000}",
    "\u{FFFF}",
    "a\"b",
    "back\\slash",
    "tab\t",
    "nl\n",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "\u{2028}",
    "z",
    "1",
    "10",
    "9",
];

const TEXTS: &[&str] = &[
    "",
    "plain",
    "quote \" backslash \\ slash / nl \n cr \r tab \t bs \u{8} ff \u{c}",
    "nul \u{0} us \u{1f} del \u{7f}",
    "é 𝄞 \u{2028} \u{2029} \u{FEFF} 日本語",
    "</script>",
    "2026-11-26T10:00:00.123Z",
    "\u{10FFFF}",
];

fn number(g: &mut Lcg) -> Value {
    match g.below(12) {
        0 => json!(g.below(100)),
        1 => json!(-(g.below(1000) as i64)),
        2 => json!(g.next() << 11 | g.below(2048)),
        3 => json!(i64::MIN + g.below(1 << 20) as i64),
        4 => json!((1u64 << 53) + g.below(4) - 2),
        5 => json!(-((1i64 << 53) + g.below(4) as i64 - 2)),
        6 => json!(u64::MAX - g.below(3)),
        7 => {
            let f = f64::from_bits(g.next() << 11 | g.below(2048));
            if f.is_finite() { json!(f) } else { json!(0.5) }
        }
        8 => json!(g.below(1_000_000) as f64 / 1000.0),
        9 => {
            json!([1e21, 1e-7, 5e-324, -0.0, 0.1, 1.7976931348623157e308][g.below(6) as usize])
        }
        10 => json!(g.below(1 << 30) as f64),
        _ => json!(-(g.below(1 << 40) as f64) * 1e10),
    }
}

fn value(g: &mut Lcg, depth: u32) -> Value {
    let kinds = if depth == 0 { 5 } else { 8 };
    match g.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(g.below(2) == 0),
        2 => number(g),
        3 | 4 => Value::String(TEXTS[g.below(TEXTS.len() as u64) as usize].to_owned()),
        5 => Value::Array((0..g.below(4)).map(|_| value(g, depth - 1)).collect()),
        _ => object(g, depth - 1),
    }
}

fn object(g: &mut Lcg, depth: u32) -> Value {
    let mut m = Map::new();
    for _ in 0..g.below(7) {
        let name = NAMES[g.below(NAMES.len() as u64) as usize];
        let name = if g.below(4) == 0 {
            format!("{name}{}", NAMES[g.below(NAMES.len() as u64) as usize])
        } else {
            name.to_owned()
        };
        m.insert(name, value(g, depth));
    }
    Value::Object(m)
}

#[test]
fn json_values_are_written_as_the_value_path_and_the_reference_write_them() {
    let mut fixed = tricky_values();
    fixed.extend([
        json!({"s": TEXTS[2], "t": TEXTS[3], "u": TEXTS[4]}),
        json!({"hash": "dropped at the top", "x": {"hash": "kept below"}, "y": [{"hash": 1}]}),
        json!({"": {}, "a": [], "b": [[]], "c": [{}]}),
    ]);
    let mut g = Lcg(0x005E_ED0F_0FFB_0A4D);
    let mut corpus = fixed;
    corpus.extend((0..20_000).map(|_| object(&mut g, 4)));
    corpus.extend((0..2_000).map(|_| value(&mut g, 3)));
    for v in corpus {
        check(&v);
        if v.get("hash").is_none() {
            let reference = serde_json_canonicalizer::to_vec(&v).unwrap();
            assert_eq!(direct(&v).unwrap(), reference, "{v}");
        }
    }
}

fn event(n: u64) -> TerminationEvent {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 17, 0, 0).unwrap() + Duration::minutes(n as i64);
    let body = format!("{{\"n\":{n}}}");
    let verified = Verified::by_function_key(body.as_bytes(), at - Duration::days(2));
    let facts = TerminationFacts {
        source: Source::Operator,
        source_event_id: format!("ev-{n} \"é\" 𝄞"),
        source_subject_id: None,
        employee: EmployeeIdentifiers::new(
            Some(format!("{n:06}")),
            Some(format!("user{n}@contoso.example")),
            None,
            None,
        )
        .unwrap(),
        kind: TerminationKind::Voluntary,
        hr_effective: HrEffectiveTime::instant(&at.to_rfc3339()).unwrap(),
        reason: Some("tab\there".into()),
    };
    let policy = EffectivePolicy::new("UTC", "end-of-day").unwrap();
    TerminationEvent::new(facts, &verified, &policy).unwrap()
}

fn step(g: &mut Lcg, i: u64, at: DateTime<Utc>) -> RecordBody {
    let some = |g: &mut Lcg| g.below(3) != 0;
    RecordBody {
        step: format!("step-{i}"),
        target_system: ["entra", "exchange", "ad", "é"][g.below(4) as usize].into(),
        action: TEXTS[g.below(TEXTS.len() as u64) as usize].into(),
        target_ids: (0..g.below(3)).map(|k| format!("obj-{k}")).collect(),
        request: some(g).then(|| RequestOutline {
            method: "PATCH".into(),
            target: "/v1.0/users/{id}".into(),
        }),
        response_status: some(g).then(|| g.below(600) as u16),
        service_request_id: some(g).then(|| format!("req-{}", g.next())),
        read_back: some(g).then(|| ReadBack {
            expected: value(g, 2),
            observed: value(g, 2),
            matches: g.below(2) == 0,
        }),
        started_at: at + Duration::nanoseconds(g.below(1_000_000_000) as i64),
        ended_at: at + Duration::milliseconds(g.below(100_000) as i64),
        actor: "mi:offboard".into(),
        outcome: [Outcome::Verified, Outcome::Failed, Outcome::Noted][g.below(3) as usize],
        reason: some(g).then(|| TEXTS[g.below(TEXTS.len() as u64) as usize].into()),
        details: some(g).then(|| object(g, 3)),
    }
}

/// Records, seals, ledger entries and packets as the service makes them, with bodies of
/// every shape: the direct writer hashes exactly what the `Value` path hashed.
#[test]
fn evidence_is_written_as_the_value_path_writes_it() {
    let mut g = Lcg(42);
    let mut prev: Option<LedgerEntry> = None;
    for n in 0..300 {
        let ev = event(n);
        let id = CaseId::derive("generic", &format!("e{n}"));
        let mut chain = Chain::new(id.clone());
        let mut records = vec![
            chain
                .push(hr_trigger_body(&ev, "test", "received"))
                .unwrap(),
        ];
        for i in 0..g.below(6) {
            let body = step(&mut g, i, ev.effective_at());
            // Bodies with secret-looking text are refused; the shape is what matters here.
            if let Ok(r) = chain.push(body) {
                records.push(r);
            }
        }
        for r in &records {
            check(r);
            check(&r.body);
            // As read back from storage.
            let back: EvidenceRecord =
                serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap();
            check(&back);
            assert_eq!(back.compute_hash().unwrap(), r.hash);
        }
        let worm = match g.below(3) {
            0 => WormStatus::NotEnforced {
                reason: "test \u{1}".into(),
            },
            1 => WormStatus::Enforced {
                retention_days: 2555,
                protection: None,
            },
            _ => WormStatus::Enforced {
                retention_days: 2555,
                protection: Some(WormProtection {
                    scope: "version-level".into(),
                    state: "Locked".into(),
                    period_days: 2555,
                }),
            },
        };
        let sla = SlaOutcome {
            target_minutes: (g.below(2) == 0).then_some(1440),
            measured_from: ev.effective_at(),
            access_removed_at: (g.below(2) == 0).then(|| ev.effective_at()),
            met: [None, Some(true), Some(false)][g.below(3) as usize],
        };
        let mut seal = Seal::new(
            id.clone(),
            &records,
            ev.body_sha256().clone(),
            "completed",
            sla.clone(),
            worm.clone(),
            ev.effective_at(),
        )
        .unwrap();
        if g.below(2) == 0 {
            seal = seal
                .next_generation(
                    &records,
                    ev.body_sha256().clone(),
                    "completed",
                    sla,
                    worm.clone(),
                    ev.effective_at(),
                )
                .unwrap();
        }
        check(&seal);
        let entry = LedgerEntry::next(prev.as_ref(), &seal, "2026-01").unwrap();
        check(&entry);
        let packet = Packet::new(
            id,
            worm,
            records,
            Some(seal),
            Some(entry.clone()),
            prev.clone(),
            ev.effective_at(),
        );
        check(&packet);
        prev = Some(entry);
    }
}

#[test]
fn the_word_at_a_time_escape_test_is_exact() {
    let mut g = Lcg(7);
    for _ in 0..200_000 {
        let mut bytes = g.next().to_le_bytes();
        // Mostly text-like words, with one byte of every value somewhere.
        if g.below(2) == 0 {
            for b in &mut bytes {
                *b = 0x20 + (*b % 0x5f);
            }
            bytes[g.below(8) as usize] = g.below(256) as u8;
        }
        let word = u64::from_le_bytes(bytes);
        assert_eq!(
            any_must_escape(word),
            bytes.iter().any(|&b| must_escape(b)),
            "{bytes:?}"
        );
    }
    for b in 0..=255u8 {
        for at in 0..8 {
            let mut bytes = *b"abcdefgh";
            bytes[at] = b;
            assert_eq!(any_must_escape(u64::from_le_bytes(bytes)), must_escape(b));
        }
    }
}

/// Strings of every length with escapes and multi-byte characters anywhere: the same
/// text as the `Value` path's writer.
#[test]
fn strings_are_escaped_as_before() {
    let pieces = [
        "a", "é", "𝄞", "\"", "\\", "\n", "\u{0}", "\u{1f}", "\u{7f}", " ", "日", "\u{8}", "~",
    ];
    let mut g = Lcg(11);
    for _ in 0..50_000 {
        let len = g.below(40);
        let s: String = (0..len)
            .map(|_| pieces[g.below(pieces.len() as u64) as usize])
            .collect();
        let v = Value::String(s);
        let mut old = Vec::new();
        write_canonical(&v, &mut old);
        assert_eq!(direct(&v).unwrap(), old, "{v}");
    }
}

/// A map that names a member twice: the last one wins, as in a `Value` object.
struct Duplicates;

impl Serialize for Duplicates {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("b", &1)?;
        m.serialize_entry("a", &2)?;
        m.serialize_entry("b", &3)?;
        m.serialize_entry("hash", &4)?;
        m.serialize_entry("a", &json!({"z": 1, "y": [2]}))?;
        m.end()
    }
}

#[derive(serde::Serialize)]
enum Shapes {
    Unit,
    Newtype(u8),
    Tuple(u8, &'static str),
    Struct { z: i32, a: Option<f32> },
}

#[derive(serde::Serialize)]
struct Mixed {
    unit: (),
    bytes: serde_bytes_like::Bytes,
    ch: char,
    small: i8,
    big: u128,
    neg: i128,
    f: f32,
    nan: f64,
    shapes: Vec<Shapes>,
    tuple: (u8, String),
    map: BTreeMap<String, Shapes>,
    hash: &'static str,
}

mod serde_bytes_like {
    /// Serialises as bytes.
    pub struct Bytes(pub &'static [u8]);

    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
}

#[test]
fn other_serde_shapes_are_written_as_the_value_path_writes_them() {
    check(&Duplicates);
    check(&Mixed {
        unit: (),
        bytes: serde_bytes_like::Bytes(&[0, 1, 255]),
        ch: '\u{1}',
        small: -3,
        big: 1 << 60,
        neg: -(1 << 60),
        f: 0.1,
        nan: f64::NAN,
        shapes: vec![
            Shapes::Unit,
            Shapes::Newtype(7),
            Shapes::Tuple(1, "x"),
            Shapes::Struct { z: -1, a: None },
            Shapes::Struct { z: 1, a: Some(1.5) },
        ],
        tuple: (2, "é".into()),
        map: [
            ("b".to_owned(), Shapes::Unit),
            ("a".to_owned(), Shapes::Newtype(1)),
        ]
        .into_iter()
        .collect(),
        hash: "dropped",
    });
    check(&Shapes::Struct { z: 1, a: None });
    check(&vec![json!({"hash": 1})]);
    check(&Some(json!({"hash": 1, "a": 2})));
}

/// What the direct writer leaves to the `Value` path still hashes as before (or fails as
/// before).
#[test]
fn what_the_direct_writer_does_not_handle_takes_the_value_path() {
    let int_keys: BTreeMap<u32, &str> = [(10, "x"), (9, "y")].into_iter().collect();
    assert!(direct(&int_keys).is_none());
    assert_eq!(
        hash_of(&int_keys).unwrap(),
        hash_via_value(&int_keys).unwrap()
    );

    assert!(direct(&u128::MAX).is_none());
    assert!(hash_of(&u128::MAX).is_err());
    assert!(hash_via_value(&u128::MAX).is_err());

    #[derive(serde::Serialize)]
    enum Top {
        #[serde(rename = "hash")]
        Hash(u8),
    }
    assert!(direct(&Top::Hash(1)).is_none());
    assert_eq!(
        hash_of(&Top::Hash(1)).unwrap(),
        hash_via_value(&Top::Hash(1)).unwrap()
    );
}
