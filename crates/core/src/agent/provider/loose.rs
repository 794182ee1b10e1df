//! Typed reading of streamed chunks that forgives what a provider types oddly.
//!
//! The streams are parsed into small structs (serde derive, text borrowed from the chunk
//! where it needs no unescaping) instead of a `serde_json::Value` tree, so a step's chunks
//! allocate little beyond the text they carry. The tree forgave a field of an unexpected
//! type (a number where text belongs, `"choices": {}`) by reading it as absent, and
//! compatible servers do send such things; these types keep that: a field of the wrong type
//! reads as absent (and is skipped whole), and only a chunk that is not JSON fails.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Visitor methods for the JSON types a field does not take: the value is consumed and the
/// field reads as absent (`Default`).
macro_rules! absent {
    (bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (numbers) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (null) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
    (seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

/// An object read as `T` (a struct whose fields are loose too); anything else is absent.
#[derive(Debug)]
pub(crate) struct Object<T>(pub Option<T>);

impl<T> Default for Object<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = Object<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|v| Object(Some(v)))
            }
            absent!(bool);
            absent!(numbers);
            absent!(str);
            absent!(null);
            absent!(seq);
        }
        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

/// An array of `T`s (each loose itself); anything else is an empty list.
#[derive(Debug)]
pub(crate) struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(List(items))
            }
            absent!(bool);
            absent!(numbers);
            absent!(str);
            absent!(null);
            absent!(map);
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// A non-negative whole number (as `Value::as_u64` read it); anything else is absent.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Index(pub Option<u64>);

impl<'de> Deserialize<'de> for Index {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IndexVisitor;
        impl<'de> Visitor<'de> for IndexVisitor {
            type Value = Index;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Index(Some(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Index(u64::try_from(v).ok()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Index(None))
            }
            absent!(bool);
            absent!(str);
            absent!(null);
            absent!(map);
            absent!(seq);
        }
        deserializer.deserialize_any(IndexVisitor)
    }
}

/// Text, borrowed from the chunk when it has no escapes; anything else is absent.
#[derive(Debug, Default)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

impl Text<'_> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            absent!(bool);
            absent!(numbers);
            absent!(null);
            absent!(map);
            absent!(seq);
        }
        deserializer.deserialize_any(TextVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, Default)]
    #[serde(default)]
    struct Inner<'a> {
        #[serde(borrow)]
        name: Text<'a>,
        index: Index,
    }

    #[derive(Deserialize, Debug, Default)]
    #[serde(default)]
    struct Outer<'a> {
        #[serde(borrow)]
        inner: Object<Inner<'a>>,
        #[serde(borrow)]
        items: List<Object<Inner<'a>>>,
    }

    /// The inner object's name and index, and how many items there were.
    type Read = (Option<(Option<String>, Option<u64>)>, usize);

    fn read(json: &str) -> Read {
        let outer: Outer = serde_json::from_str(json).unwrap();
        let inner = outer
            .inner
            .0
            .map(|i| (i.name.as_deref().map(str::to_owned), i.index.0));
        (inner, outer.items.0.len())
    }

    #[test]
    fn fields_of_the_wrong_type_read_as_absent_and_the_rest_still_reads() {
        assert_eq!(
            read(r#"{"inner": {"name": "a\"b", "index": 2}, "items": [{}, 3]}"#),
            (Some((Some("a\"b".into()), Some(2))), 2)
        );
        assert_eq!(
            read(r#"{"inner": {"name": 5, "index": -1, "x": [1]}, "items": {"a": [1]}}"#),
            (Some((None, None)), 0)
        );
        assert_eq!(
            read(r#"{"inner": [1, {"name": "a"}], "items": "x"}"#),
            (None, 0)
        );
        assert_eq!(
            read(r#"{"inner": null, "items": null, "extra": {"deep": [true]}}"#),
            (None, 0)
        );
        assert_eq!(
            read(r#"{"inner": {"index": 1.5, "name": {"a": 1}}}"#),
            (Some((None, None)), 0)
        );
    }

    #[test]
    fn text_without_escapes_is_borrowed() {
        let inner: Inner = serde_json::from_str(r#"{"name": "plain"}"#).unwrap();
        assert!(matches!(inner.name.0, Some(Cow::Borrowed("plain"))));
    }
}
