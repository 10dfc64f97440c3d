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

use serde::ser::{self, Serialize};

mod key;
mod text;
mod unsupported;

use key::KeySer;
use text::{write_escaped, write_f64, write_i64, write_str, write_u64};
pub use unsupported::Unsupported;
use unsupported::{Result, is_private};

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

/// The two struct-shaped serde traits, each writing its fields through [`Object::field`].
macro_rules! struct_impls {
    ($($trait:ident),* $(,)?) => {$(
        impl ser::$trait for Object<'_> {
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
    )*};
}

struct_impls!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests;
