//! JSON-RPC 2.0 frames (members.md §2): requests in, results and errors out.

use serde_json::{json, Map, Value};
use timber_core::member::rpc::{INVALID_REQUEST, PARSE_ERROR};
use timber_core::{Error, ErrorCode};

/// An error answer: a Tencent ErrorCode (the REST API's for the same failure) or a JSON-RPC
/// code.
#[derive(Debug, Clone)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// Something broke underneath (logged); answered as the group service's internal error.
    pub fn internal(why: String) -> RpcError {
        tracing::error!(%why, "member request failed");
        Error::from(ErrorCode::GroupInternal).into()
    }
}

impl From<Error> for RpcError {
    fn from(e: Error) -> RpcError {
        RpcError {
            code: i64::from(e.code.code()),
            message: e.info,
        }
    }
}

/// A request as read from a text frame.
pub struct Request {
    /// Absent for a notification (no answer is sent).
    pub id: Option<Value>,
    pub method: String,
    pub params: Map<String, Value>,
}

/// Reads one text frame: the request, or the error answer to send (with the id, if any).
pub fn parse(text: &str) -> Result<Request, (Value, RpcError)> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        (
            Value::Null,
            RpcError::new(PARSE_ERROR, format!("not JSON: {e}")),
        )
    })?;
    let Value::Object(mut o) = v else {
        return Err((
            Value::Null,
            RpcError::new(INVALID_REQUEST, "a request is a JSON object"),
        ));
    };
    let id = o.remove("id");
    let bad = |why: &str| {
        (
            id.clone().unwrap_or(Value::Null),
            RpcError::new(INVALID_REQUEST, why),
        )
    };
    if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(bad("jsonrpc must be \"2.0\""));
    }
    if let Some(i) = &id {
        if !(i.is_string() || i.is_number() || i.is_null()) {
            return Err(bad("id must be a string, a number or null"));
        }
    }
    let Some(Value::String(method)) = o.remove("method") else {
        return Err(bad("method must be a string"));
    };
    let params = match o.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(_) => {
            return Err((
                id.unwrap_or(Value::Null),
                RpcError::new(
                    timber_core::member::rpc::INVALID_PARAMS,
                    "params must be an object",
                ),
            ))
        }
    };
    Ok(Request { id, method, params })
}

pub fn result(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

pub fn error(id: &Value, e: &RpcError) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": e.code, "message": e.message}}).to_string()
}
