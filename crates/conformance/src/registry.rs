//! Every component schema of both specs, paired with the Rust type generated for it.
//!
//! The lists are written by `build.rs` from the specs, so a new schema joins the suite by itself.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A component schema and what the tests do with its generated type, without naming the type.
///
/// ```
/// use parcelkit_conformance::Api;
///
/// let card = Api::Phygitals.schema_types().iter().find(|s| s.name == "Attribute").unwrap();
/// let example = &Api::Phygitals.schema("Attribute")["example"];
/// assert_eq!(&card.round_trip(example).unwrap(), example);
/// assert!(card.round_trip(&serde_json::json!({"value": "Baseball"})).unwrap_err().contains("trait_type"));
/// ```
#[derive(Clone, Copy)]
pub struct SchemaType {
    /// The schema's name under `components.schemas` (also the type's name).
    pub name: &'static str,
    rust_type: fn() -> &'static str,
    round_trip: fn(&Value) -> Result<Value, String>,
    wire_text: fn(&Value) -> Result<String, String>,
    derived_schema: fn() -> Value,
    decode_success: DecodeFn,
    decode_list: DecodeFn,
    decode_error: Option<DecodeFn>,
}

/// Decodes a body answered with a status as `send()` would; `Err` holds the error's `Display`.
type DecodeFn = fn(u16, &[u8]) -> Result<(), String>;

impl SchemaType {
    /// The entry for schema `name`, generated as `T`.
    pub const fn of<T: Serialize + DeserializeOwned + schemars::JsonSchema>(
        name: &'static str,
    ) -> SchemaType {
        SchemaType {
            name,
            rust_type: std::any::type_name::<T>,
            round_trip: round_trip::<T>,
            wire_text: wire_text::<T>,
            derived_schema: derived_schema::<T>,
            decode_success: decode_success::<T>,
            decode_list: decode_success::<Vec<T>>,
            decode_error: None,
        }
    }

    /// The same entry for a schema some operation answers an error status with: its body goes
    /// through the client's error decoding ([`parcelkit::runtime::ErrorBody`]).
    pub const fn error_body<T: DeserializeOwned + parcelkit::runtime::ErrorBody>(
        self,
    ) -> SchemaType {
        SchemaType {
            decode_error: Some(decode_error::<T>),
            ..self
        }
    }

    /// Runs `body`, answered with `status`, through exactly the decoding a generated `send()`
    /// does for this type: the error decoding for an error status when the type is an error
    /// body, the success decoding otherwise. `Err` holds the error's `Display`.
    pub fn decode_response(&self, status: u16, body: &[u8]) -> Result<(), String> {
        match self.decode_error {
            Some(decode) if status >= 400 => decode(status, body),
            _ => (self.decode_success)(status, body),
        }
    }

    /// Like [`SchemaType::decode_response`], for an answer that is a JSON array of this type
    /// (an inline `type: array` response schema).
    pub fn decode_list_response(&self, status: u16, body: &[u8]) -> Result<(), String> {
        (self.decode_list)(status, body)
    }

    /// The generated type's full Rust path, for messages.
    pub fn rust_type(&self) -> &'static str {
        (self.rust_type)()
    }

    /// Deserializes `value` into the generated type and serializes it back.
    ///
    /// The error says which step failed and why (serde's message names the field).
    pub fn round_trip(&self, value: &Value) -> Result<Value, String> {
        (self.round_trip)(value)
    }

    /// Deserializes `value` into the generated type and serializes it as the client would put it
    /// on the wire (fields in the type's order), pretty-printed for review.
    pub fn wire_text(&self, value: &Value) -> Result<String, String> {
        (self.wire_text)(value)
    }

    /// The JSON Schema (draft 7) that schemars derives for the generated type.
    pub fn derived_schema(&self) -> Value {
        (self.derived_schema)()
    }
}

impl std::fmt::Debug for SchemaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaType")
            .field("name", &self.name)
            .field("rust_type", &self.rust_type())
            .finish()
    }
}

fn round_trip<T: Serialize + DeserializeOwned>(value: &Value) -> Result<Value, String> {
    let typed: T =
        serde_json::from_value(value.clone()).map_err(|e| format!("does not deserialize: {e}"))?;
    serde_json::to_value(&typed).map_err(|e| format!("does not serialize: {e}"))
}

fn wire_text<T: Serialize + DeserializeOwned>(value: &Value) -> Result<String, String> {
    let typed: T =
        serde_json::from_value(value.clone()).map_err(|e| format!("does not deserialize: {e}"))?;
    serde_json::to_string_pretty(&typed).map_err(|e| format!("does not serialize: {e}"))
}

/// A response as the client's `exec` hook hands it to the generated code: its body read (in
/// memory, as the hook reads every answer).
fn response(status: u16, body: &[u8]) -> reqwest::Response {
    let mut response: reqwest::Response = http::Response::builder()
        .status(status)
        .body(body.to_vec())
        .expect("a valid status")
        .into();
    block_on(parcelkit::runtime::decode::read_body(&mut response)).expect("a body in memory reads");
    response
}

/// Runs a future to its end. It never waits on I/O (the body is in memory), so a
/// current-thread runtime per thread suffices.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
    }
    RUNTIME.with(|runtime| runtime.block_on(future))
}

fn decode_success<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<(), String> {
    parcelkit::runtime::decode::success::<T, ()>(response(status, body))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn decode_error<T: DeserializeOwned + parcelkit::runtime::ErrorBody>(
    status: u16,
    body: &[u8],
) -> Result<(), String> {
    parcelkit::runtime::decode::error_response::<T, ()>(response(status, body))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn derived_schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a JSON Schema is JSON")
}

include!(concat!(env!("OUT_DIR"), "/registry.rs"));
