//! Reading intake payloads into termination facts. Each source has its own module; all
//! report problems the same way, naming the offending field as a JSON pointer so the HTTP
//! layer can answer with RFC 9457 problem details.

pub mod bamboohr;
pub mod generic;
pub mod operator;

use serde::de::DeserializeOwned;

/// A payload offboard cannot accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {detail}")]
pub struct PayloadError {
    /// JSON pointer to the offending field (`""` for the whole body).
    pub pointer: String,
    /// What is wrong and what to send instead.
    pub detail: String,
    /// Whether the body is malformed (400) or well-formed but unusable (422).
    pub unprocessable: bool,
}

impl PayloadError {
    /// A malformed field (HTTP 400).
    pub fn malformed(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            unprocessable: false,
        }
    }

    /// A well-formed payload that lacks what offboard needs (HTTP 422).
    pub fn unprocessable(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
            unprocessable: true,
        }
    }
}

/// Deserialises JSON, reporting the path of the first bad field as a JSON pointer.
pub(crate) fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, PayloadError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = pointer_of(&e.path().to_string());
        let inner = e.into_inner();
        let detail = if inner.is_syntax() || inner.is_eof() {
            format!("the body is not valid JSON: {inner}")
        } else {
            // serde's message names the expected type; drop its line/column suffix.
            let msg = inner.to_string();
            match msg.find(" at line ") {
                Some(i) => msg[..i].to_owned(),
                None => msg,
            }
        };
        PayloadError::malformed(pointer, detail)
    })
}

/// Turns serde_path_to_error's `a.b[0].c` into the JSON pointer `/a/b/0/c`.
fn pointer_of(path: &str) -> String {
    if path == "." || path == "?" || path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let mut rest = part;
        while let Some(open) = rest.find('[') {
            let name = &rest[..open];
            if !name.is_empty() {
                out.push('/');
                out.push_str(name);
            }
            let close = rest[open..]
                .find(']')
                .map(|c| open + c)
                .unwrap_or(rest.len());
            out.push('/');
            out.push_str(&rest[open + 1..close.min(rest.len())]);
            rest = rest.get(close + 1..).unwrap_or("");
        }
        if !rest.is_empty() {
            out.push('/');
            out.push_str(rest);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_follow_rfc6901_shape() {
        assert_eq!(pointer_of("data.employee.mail"), "/data/employee/mail");
        assert_eq!(pointer_of("employees[2].fields"), "/employees/2/fields");
        assert_eq!(pointer_of("."), "");
    }
}
