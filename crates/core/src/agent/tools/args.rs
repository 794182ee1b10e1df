//! Reading a call's JSON arguments, with messages a model can correct itself from.
//!
//! Lenient where models commonly slip and the meaning is unambiguous: `null` counts as an
//! absent optional argument, numbers and booleans may come as strings (`"10"`, `"true"`),
//! and the whole argument object may come as a JSON string.

use serde_json::{Map, Value};

use super::ToolError;

pub(super) struct Args {
    tool: &'static str,
    map: Map<String, Value>,
}

impl Args {
    pub(super) fn new(tool: &'static str, arguments: &Value) -> Result<Self, ToolError> {
        let invalid = |message: &str| ToolError::InvalidArguments {
            tool,
            message: message.to_owned(),
        };
        let map = match arguments {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            Value::String(text) if text.trim().is_empty() => Map::new(),
            Value::String(text) => match serde_json::from_str(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(invalid("the arguments must be a JSON object")),
            },
            _ => return Err(invalid("the arguments must be a JSON object")),
        };
        Ok(Self { tool, map })
    }

    pub(super) fn invalid(&self, message: impl Into<String>) -> ToolError {
        ToolError::InvalidArguments {
            tool: self.tool,
            message: message.into(),
        }
    }

    /// The argument, with `null` treated as absent.
    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required, non-empty string.
    pub(super) fn str(&self, key: &str) -> Result<String, ToolError> {
        let value = self.str_allow_empty(key)?;
        if value.is_empty() {
            return Err(self.invalid(format!("`{key}` must not be empty")));
        }
        Ok(value)
    }

    /// A required string that may be empty (file content, replacement text).
    pub(super) fn str_allow_empty(&self, key: &str) -> Result<String, ToolError> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.invalid(format!("`{key}` must be a string"))),
            None => Err(self.invalid(format!("`{key}` is required (a string)"))),
        }
    }

    /// An optional string; an empty one counts as absent.
    pub(super) fn opt_str(&self, key: &str) -> Result<Option<String>, ToolError> {
        match self.get(key) {
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.invalid(format!("`{key}` must be a string"))),
            None => Ok(None),
        }
    }

    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, ToolError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(self.invalid(format!("`{key}` must be true or false"))),
        }
    }

    pub(super) fn opt_u64(&self, key: &str) -> Result<Option<u64>, ToolError> {
        let value = match self.get(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_u64().or_else(|| {
                // 10.0 is fine; 10.5 is not.
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            }),
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(_) => None,
        };
        value
            .map(Some)
            .ok_or_else(|| self.invalid(format!("`{key}` must be a whole number, 0 or more")))
    }

    pub(super) fn opt_usize(&self, key: &str) -> Result<Option<usize>, ToolError> {
        self.opt_u64(key)?
            .map(|n| usize::try_from(n).map_err(|_| self.invalid(format!("`{key}` is too large"))))
            .transpose()
    }

    /// An optional whole number of at least 1.
    pub(super) fn opt_positive(&self, key: &str) -> Result<Option<usize>, ToolError> {
        match self.opt_usize(key)? {
            Some(0) => Err(self.invalid(format!("`{key}` must be at least 1"))),
            other => Ok(other),
        }
    }

    pub(super) fn opt_positive_u64(&self, key: &str) -> Result<Option<u64>, ToolError> {
        match self.opt_u64(key)? {
            Some(0) => Err(self.invalid(format!("`{key}` must be at least 1"))),
            other => Ok(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn null_and_json_string_arguments_are_accepted() {
        assert!(Args::new("list", &Value::Null).is_ok());
        let args = Args::new("read", &json!("{\"path\": \"a\"}")).unwrap();
        assert_eq!(args.str("path").unwrap(), "a");
        assert!(Args::new("read", &json!([1])).is_err());
    }

    #[test]
    fn numbers_and_booleans_may_come_as_strings_and_null_is_absent() {
        let args = Args::new(
            "read",
            &json!({"offset": "10", "limit": 5.0, "flag": "true", "gone": null}),
        )
        .unwrap();
        assert_eq!(args.opt_usize("offset").unwrap(), Some(10));
        assert_eq!(args.opt_usize("limit").unwrap(), Some(5));
        assert_eq!(args.opt_bool("flag").unwrap(), Some(true));
        assert_eq!(args.opt_usize("gone").unwrap(), None);
    }

    #[test]
    fn ill_typed_arguments_name_the_argument() {
        let args = Args::new("read", &json!({"offset": -1, "path": 3})).unwrap();
        assert_eq!(
            args.opt_usize("offset").unwrap_err().to_string(),
            "invalid arguments for `read`: `offset` must be a whole number, 0 or more"
        );
        assert_eq!(
            args.str("path").unwrap_err().to_string(),
            "invalid arguments for `read`: `path` must be a string"
        );
        assert_eq!(
            args.str("missing").unwrap_err().to_string(),
            "invalid arguments for `read`: `missing` is required (a string)"
        );
    }
}
