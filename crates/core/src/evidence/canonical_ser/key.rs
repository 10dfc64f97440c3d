//! Map keys: written as member names, or refused.

use serde::ser::{self, Impossible, Serialize};

use super::unsupported::{Result, Unsupported, is_private};

/// A map key: only strings (and what serde_json turns into exactly that string: a char, a
/// unit variant's name, a newtype around a string); anything else takes the `Value` path.
pub(super) struct KeySer<'a> {
    pub(super) names: &'a mut Vec<u8>,
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
