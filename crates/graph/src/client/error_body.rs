//! Reading Graph's and Exchange's error bodies into [`ErrorInfo`] (the message that says
//! what went wrong, wherever the service put it), and the error of an answer that did not
//! have its documented shape.

use serde_json::Value;

use crate::error::{ErrorInfo, GraphError};

/// Reads Graph's error body (`error.code`, `error.message`); tolerant of other shapes.
/// The message that says what went wrong. Graph puts it in `error.message`. Exchange's admin
/// API puts a generic one there ("Error executing cmdlet", "Invalid Operation") and the
/// cmdlet's own in `error.details[0].message` as `code|ExceptionType|text`
/// (`tests/fixtures/exchange/12-*.json` in the tenant simulator records observed bodies);
/// some answers carry it in `innererror.internalException.message` instead.
fn service_message(err: &Value) -> Option<String> {
    const EXCHANGE_GENERIC: [&str; 2] = ["Error executing cmdlet", "Invalid Operation"];
    let top = err.get("message").and_then(Value::as_str);
    let detail = err.pointer("/details/0/message").and_then(Value::as_str);
    let internal = err
        .pointer("/innererror/internalException/message")
        .and_then(Value::as_str);
    let generic = top.is_none_or(|t| EXCHANGE_GENERIC.contains(&t.trim()));
    let chosen = if generic {
        detail.or(internal).or(top)
    } else {
        internal.or(top)
    };
    chosen.map(without_exchange_prefix)
}

/// `Ex6F9304|Microsoft.Exchange…ManagementObjectNotFoundException|The operation…` (or with
/// an empty code) → `The operation… (Microsoft.Exchange…ManagementObjectNotFoundException)`:
/// the text first for people, the exception type kept because callers classify by it
/// (`steps::common::no_mailbox`); any other message as it is.
fn without_exchange_prefix(message: &str) -> String {
    match message.splitn(3, '|').collect::<Vec<_>>().as_slice() {
        [code, kind, text] if !code.contains(' ') && !kind.is_empty() && !kind.contains(' ') => {
            format!("{text} ({kind})")
        }
        _ => message.to_owned(),
    }
}

pub(crate) fn error_info(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    client_request_id: &str,
) -> ErrorInfo {
    let v: Option<Value> = serde_json::from_slice(body).ok();
    let err = v.as_ref().and_then(|v| v.get("error"));
    let code = err
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("Http{status}"));
    let mut message = err
        .and_then(service_message)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned());
    if message.chars().count() > 2_000 {
        message = message.chars().take(2_000).collect();
    }
    let request_id = request_id.or_else(|| {
        err.and_then(|e| e.pointer("/innerError/request-id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    ErrorInfo {
        status: Some(status),
        code,
        message,
        request_id,
        client_request_id: Some(client_request_id.to_owned()),
    }
}

pub(crate) fn decode_error(
    op: &str,
    e: serde_json::Error,
    request_id: &Option<String>,
) -> GraphError {
    GraphError::Permanent(ErrorInfo {
        status: None,
        code: "UnexpectedResponse".to_owned(),
        message: format!("{op}: the response did not have the documented shape: {e}"),
        request_id: request_id.clone(),
        client_request_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_error_says_what_the_cmdlet_said_not_the_generic_envelope() {
        let body = br#"{"error":{"code":"NotFound","message":"Error executing cmdlet","details":[{"code":"Context","target":"","message":"Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'x@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'."}]}}"#;
        let info = error_info(404, body, None, "c");
        assert_eq!(info.code, "NotFound");
        assert_eq!(
            info.message,
            "The operation couldn't be performed because object 'x@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'. (Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException)"
        );
    }

    #[test]
    fn an_exchange_detail_without_the_code_prefix_is_taken_whole() {
        let body = br#"{"error":{"code":"BadRequest","message":"Invalid Operation","details":[{"message":"A parameter cannot be found that matches parameter name 'Foo'."}]}}"#;
        let info = error_info(400, body, None, "c");
        assert_eq!(
            info.message,
            "A parameter cannot be found that matches parameter name 'Foo'."
        );
    }

    #[test]
    fn a_graph_error_keeps_its_own_message_over_details() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"Cannot Update a mail-enabled security groups and or distribution list.","details":[{"code":"x","message":"something narrower"}],"innerError":{"request-id":"r-1"}}}"#;
        let info = error_info(400, body, None, "c");
        assert_eq!(
            info.message,
            "Cannot Update a mail-enabled security groups and or distribution list."
        );
        assert_eq!(info.request_id.as_deref(), Some("r-1"));
    }

    #[test]
    fn a_body_that_is_not_json_is_quoted() {
        let info = error_info(502, b"Bad Gateway", None, "c");
        assert_eq!(info.code, "Http502");
        assert_eq!(info.message, "Bad Gateway");
    }
}
