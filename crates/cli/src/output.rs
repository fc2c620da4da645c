//! How results are shown.

/// One step of a flow: `  <operation>  -> <what happened>  [Request-ID ...]`.
pub fn step(operation: &str, outcome: impl std::fmt::Display, request_id: Option<&str>) {
    match request_id {
        Some(id) => println!("  {operation:<28} -> {outcome}  [Request-ID {id}]"),
        None => println!("  {operation:<28} -> {outcome}"),
    }
}
