//! RFC 8785 canonical JSON written straight from a [`Serialize`] value.
//!
//! [`super::canonical::write_canonical`] needs a `serde_json::Value`, and building that tree
//! for every record (a `BTreeMap` per object, a `String` per name and value, then dropping it
//! all) was most of an auditor's verification time. This serializer writes the same bytes
//! into one reused buffer: each object's members are written where they fall, with their
//! names kept aside, and reordered in place only when they were not already in canonical
//! order. The tests check it against `write_canonical` (and so against the reference
//! implementation) for many shapes.
//!
//! Anything it does not handle the way `serde_json::to_value` would (non-string map keys,
//! integers beyond 64 bits, serde_json's private raw-value and number tokens) makes it give
//! up with [`Unsupported`], and the caller then takes the `Value` path, so the result is
//! always the `Value` path's.

use std::cmp::Ordering;
use std::fmt;

use serde::ser::{self, Impossible, Serialize};

/// The fast path cannot serialise this value exactly as `serde_json::to_value` would; take
/// the `Value` path instead.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not supported by the direct canonical writer")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

type Result<T> = std::result::Result<T, Unsupported>;

/// One object member written so far: its name (in `Writer::names`) and where its
/// `"name":value` text (without the comma before it) lies, relative to the start of the
/// object's body.
#[derive(Clone, Copy)]
struct Member {
    name_start: usize,
    name_end: usize,
    /// The name holds a character above U+FFFF, so byte order may differ from UTF-16 order.
    astral: bool,
    start: usize,
    end: usize,
}

/// The buffers one canonicalisation needs; kept and reused across records.
#[derive(Default)]
pub struct Writer {
    /// The canonical text.
    pub out: Vec<u8>,
    /// Raw (unescaped) member names of the objects being written, innermost last.
    names: Vec<u8>,
    /// Members of the objects being written, innermost last.
    members: Vec<Member>,
    /// Where an object's body is copied while its members are put in order.
    reorder: Vec<u8>,
    /// Member order while reordering.
    order: Vec<Member>,
}

impl Writer {
    /// Clears the buffers (keeping their capacity).
    pub fn clear(&mut self) {
        self.out.clear();
        self.names.clear();
        self.members.clear();
        self.reorder.clear();
        self.order.clear();
    }

    /// Writes the canonical form of `value`; when `drop_top_hash`, a top-level object's
    /// `hash` member is left out (its value is not serialised at all).
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T, drop_top_hash: bool) -> Result<()> {
        value.serialize(Ser {
            w: self,
            top: drop_top_hash,
        })
    }
}

/// serde_json's private marker names (`RawValue`, arbitrary-precision `Number`): what they
/// serialise to is only known to serde_json, so those values take the `Value` path.
fn is_private(name: &str) -> bool {
    name.starts_with("$serde_json::private::")
}

/// UTF-16 code unit order of two member names, as RFC 8785 sorts them.
fn name_cmp(names: &[u8], a: &Member, b: &Member) -> Ordering {
    let x = &names[a.name_start..a.name_end];
    let y = &names[b.name_start..b.name_end];
    if !(a.astral || b.astral) {
        // Without characters above U+FFFF, UTF-8 byte order is UTF-16 order.
        return x.cmp(y);
    }
    match (std::str::from_utf8(x), std::str::from_utf8(y)) {
        (Ok(x), Ok(y)) => x.encode_utf16().cmp(y.encode_utf16()),
        // Names are written from `&str`, so always UTF-8.
        _ => x.cmp(y),
    }
}

/// Appends a JSON string with exactly the escapes RFC 8785 asks for.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    write_escaped(s.as_bytes(), out);
}

/// Whether JSON requires `b` escaped: `"`, `\\` and the controls below U+0020.
fn must_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Whether any of the eight bytes of `word` [`must_escape`] (exact: a word-at-a-time test
/// that has neither false positives nor false negatives for the answer as a whole).
fn any_must_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    below_space | zero_byte(quote) | zero_byte(backslash) != 0
}

/// [`write_str`] over the UTF-8 bytes of a string (escapes are all ASCII, so bytes of
/// multi-byte characters pass through as they are).
fn write_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs escaping (most text).
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            && !any_must_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        if must_escape(b) {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                _ => &[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ],
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escape);
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a number as ECMAScript prints the double `v` (every JSON number is a double to
/// RFC 8785).
fn write_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        out.extend_from_slice(ryu_js::Buffer::new().format_finite(v).as_bytes());
    } else {
        // `serde_json::to_value` turns NaN and the infinities into null.
        out.extend_from_slice(b"null");
    }
}

/// The largest integer every smaller one of which a double holds exactly (2^53): up to it
/// ECMAScript prints an integer's decimal digits.
const EXACT: u64 = 1 << 53;

fn write_u64(v: u64, out: &mut Vec<u8>) {
    if v > EXACT {
        return write_f64(v as f64, out);
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn write_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        let m = v.unsigned_abs();
        if m > EXACT {
            return write_f64(v as f64, out);
        }
        out.push(b'-');
        write_u64(m, out);
    } else {
        write_u64(v as u64, out);
    }
}

/// Serialises one value into the writer. `top`: this is the top-level value and its `hash`
/// member (if it is an object) is dropped.
struct Ser<'a> {
    w: &'a mut Writer,
    top: bool,
}

impl<'a> Ser<'a> {
    fn object(self) -> Object<'a> {
        self.w.out.push(b'{');
        Object {
            members_base: self.w.members.len(),
            names_base: self.w.names.len(),
            body_start: self.w.out.len(),
            top: self.top,
            key: None,
            closing: 0,
            w: self.w,
        }
    }

    /// `{"variant":` and then an object or array that one extra `}` closes.
    fn variant_wrapper(&mut self, variant: &str) -> Result<()> {
        if self.top && variant == "hash" {
            return Err(Unsupported);
        }
        self.w.out.push(b'{');
        write_str(variant, &mut self.w.out);
        self.w.out.push(b':');
        Ok(())
    }
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.w
            .out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<()> {
        write_i64(v, &mut self.w.out);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<()> {
        // serde_json keeps 128-bit integers that fit 64 bits, and refuses the rest.
        if let Ok(v) = u64::try_from(v) {
            self.serialize_u64(v)
        } else if let Ok(v) = i64::try_from(v) {
            self.serialize_i64(v)
        } else {
            Err(Unsupported)
        }
    }

    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        write_u64(v, &mut self.w.out);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<()> {
        match u64::try_from(v) {
            Ok(v) => self.serialize_u64(v),
            Err(_) => Err(Unsupported),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        write_f64(v.into(), &mut self.w.out);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        write_f64(v, &mut self.w.out);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<()> {
        write_str(v.encode_utf8(&mut [0u8; 4]), &mut self.w.out);
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<()> {
        write_str(v, &mut self.w.out);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        // An array of numbers, as `to_value` makes it.
        self.w.out.push(b'[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                self.w.out.push(b',');
            }
            write_u64((*b).into(), &mut self.w.out);
        }
        self.w.out.push(b']');
        Ok(())
    }

    fn serialize_none(self) -> Result<()> {
        self.w.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<()> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        if is_private(name) {
            return Err(Unsupported);
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.variant_wrapper(variant)?;
        value.serialize(Ser {
            w: self.w,
            top: false,
        })?;
        self.w.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>> {
        self.w.out.push(b'[');
        Ok(Array {
            w: self.w,
            first: true,
            closing: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Array<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Array<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>> {
        self.variant_wrapper(variant)?;
        self.w.out.push(b'[');
        Ok(Array {
            w: self.w,
            first: true,
            closing: 1,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>> {
        Ok(self.object())
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Object<'a>> {
        if is_private(name) {
            return Err(Unsupported);
        }
        Ok(self.object())
    }

    fn serialize_struct_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>> {
        self.variant_wrapper(variant)?;
        self.top = false;
        let mut object = self.object();
        object.closing = 1;
        Ok(object)
    }
}

/// An array being written.
struct Array<'a> {
    w: &'a mut Writer,
    first: bool,
    /// Extra `}` after the `]` (a tuple variant's wrapper).
    closing: u8,
}

impl Array<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.w.out.push(b',');
        }
        self.first = false;
        value.serialize(Ser {
            w: self.w,
            top: false,
        })
    }

    fn finish(self) -> Result<()> {
        self.w.out.push(b']');
        for _ in 0..self.closing {
            self.w.out.push(b'}');
        }
        Ok(())
    }
}

/// The four array-shaped serde traits, each writing its elements through [`Array::element`].
macro_rules! array_impls {
    ($($trait:ident :: $method:ident),* $(,)?) => {$(
        impl ser::$trait for Array<'_> {
            type Ok = ();
            type Error = Unsupported;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }

            fn end(self) -> Result<()> {
                self.finish()
            }
        }
    )*};
}

array_impls!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

/// An object being written: members go out in the order they come, comma-separated, each
/// recorded, and [`Object::finish`] puts them in canonical order if they are not.
struct Object<'a> {
    w: &'a mut Writer,
    /// The top-level object: its `hash` member is dropped.
    top: bool,
    members_base: usize,
    names_base: usize,
    /// Where the body starts in `out` (after the `{`).
    body_start: usize,
    /// The pending member of `serialize_key`: where its name lies in `names`, or `None`
    /// when it is to be dropped.
    key: Option<Option<(usize, usize)>>,
    /// Extra `}` after this object's (a struct variant's wrapper).
    closing: u8,
}

impl Object<'_> {
    /// Records the name `key` (already in `names` from `name_start`) and writes the member.
    fn member<T: Serialize + ?Sized>(&mut self, name_start: usize, value: &T) -> Result<()> {
        let w = &mut *self.w;
        let name_end = w.names.len();
        if w.members.len() > self.members_base {
            w.out.push(b',');
        }
        let start = w.out.len() - self.body_start;
        let name = &w.names[name_start..name_end];
        let astral = name.iter().any(|&b| b >= 0xF0);
        // The name was copied from a `&str`, so it is UTF-8.
        write_escaped(name, &mut w.out);
        w.out.push(b':');
        value.serialize(Ser { w, top: false })?;
        let end = w.out.len() - self.body_start;
        w.members.push(Member {
            name_start,
            name_end,
            astral,
            start,
            end,
        });
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        if self.top && key == "hash" {
            return Ok(());
        }
        let name_start = self.w.names.len();
        self.w.names.extend_from_slice(key.as_bytes());
        self.member(name_start, value)
    }

    fn finish(self) -> Result<()> {
        let w = self.w;
        let members = &w.members[self.members_base..];
        let names = &w.names;
        let in_order = members
            .windows(2)
            .all(|m| name_cmp(names, &m[0], &m[1]) == Ordering::Less);
        if !in_order {
            // Sort (stably: of members with the same name the last wins, as in a map) and
            // write them again from a copy of the body.
            w.order.clear();
            w.order.extend_from_slice(members);
            w.order.sort_by(|a, b| name_cmp(names, a, b));
            w.reorder.clear();
            w.reorder.extend_from_slice(&w.out[self.body_start..]);
            w.out.truncate(self.body_start);
            let order = &w.order;
            let mut first = true;
            for (i, m) in order.iter().enumerate() {
                if let Some(next) = order.get(i + 1)
                    && name_cmp(names, m, next) == Ordering::Equal
                {
                    continue;
                }
                if !first {
                    w.out.push(b',');
                }
                first = false;
                w.out.extend_from_slice(&w.reorder[m.start..m.end]);
            }
        }
        w.members.truncate(self.members_base);
        w.names.truncate(self.names_base);
        w.out.push(b'}');
        for _ in 0..self.closing {
            w.out.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let name_start = self.w.names.len();
        key.serialize(KeySer {
            names: &mut self.w.names,
        })?;
        if self.top && &self.w.names[name_start..] == b"hash" {
            self.w.names.truncate(name_start);
            self.key = Some(None);
        } else {
            self.key = Some(Some((name_start, self.w.names.len())));
        }
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        match self.key.take() {
            Some(Some((name_start, _))) => self.member(name_start, value),
            Some(None) => Ok(()),
            None => Err(Unsupported),
        }
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// A map key: only strings (and what serde_json turns into exactly that string: a char, a
/// unit variant's name, a newtype around a string); anything else takes the `Value` path.
struct KeySer<'a> {
    names: &'a mut Vec<u8>,
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<()> {
        self.names.extend_from_slice(v.as_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        if is_private(name) {
            return Err(Unsupported);
        }
        value.serialize(self)
    }

    fn serialize_bool(self, _v: bool) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_i8(self, _v: i8) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_i16(self, _v: i16) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_i32(self, _v: i32) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_i64(self, _v: i64) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_u8(self, _v: u8) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_u16(self, _v: u16) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_u32(self, _v: u32) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_u64(self, _v: u64) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_f32(self, _v: f32) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_f64(self, _v: f64) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_unit(self) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        Err(Unsupported)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unsupported)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(Unsupported)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(Unsupported)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unsupported)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unsupported)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(Unsupported)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Duration, TimeZone, Utc};
    use serde::ser::SerializeMap;
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::effective::{EffectivePolicy, HrEffectiveTime};
    use crate::event::{Source, TerminationEvent, TerminationFacts, TerminationKind};
    use crate::evidence::canonical::{hash_of, hash_via_value, write_canonical};
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
        let fixed = vec![
            json!(null),
            json!([true, false, null, [], {}]),
            json!({"b": 1, "a": "x", "é": 2, "z": {"y": [1, 2.5, -0.0]}}),
            json!({"\u{10000}": 1, "\u{FB33}": 2, "a": 3, "\u{e000}": 4}),
            json!({"s": TEXTS[2], "t": TEXTS[3], "u": TEXTS[4]}),
            json!([
                0,
                1,
                -1,
                9007199254740991_i64,
                9007199254740993_u64,
                u64::MAX,
                i64::MIN
            ]),
            json!([
                0.1,
                1e21,
                1e-7,
                123456789.125,
                5e-324,
                1.7976931348623157e308,
                -1.5e-10,
                100.0
            ]),
            json!({"details": {"attempt": 1, "bodySha256": "ab", "nested": [{"k": "v", "a": [1]}]}}),
            json!({"hash": "dropped at the top", "x": {"hash": "kept below"}, "y": [{"hash": 1}]}),
            json!({"": {}, "a": [], "b": [[]], "c": [{}]}),
        ];
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
}
