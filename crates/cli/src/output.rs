//! How results are shown: JSON (pretty on a terminal, compact when piped), or a table where one
//! reads better (lists), and the demo's steps.

use std::io::IsTerminal;

use serde_json::Value;

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// JSON: pretty on a terminal, one line per value when piped.
    #[default]
    Json,
    /// A table of the list's items (falls back to JSON for single values).
    Table,
}

/// Prints `value` on stdout in `format`.
pub fn print_value(value: &impl serde::Serialize, format: OutputFormat) {
    let json = serde_json::to_value(value).unwrap_or(Value::Null);
    if format == OutputFormat::Table
        && let Some(table) = table(&json)
    {
        print!("{table}");
        return;
    }
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(&json)
    } else {
        serde_json::to_string(&json)
    };
    println!("{}", text.unwrap_or_default());
}

/// The rows of a list (`[...]`, or an envelope's `data`/`quotes`/`items` list) as a table of
/// their scalar fields; `None` when `value` holds no list of objects.
///
/// ```ignore
/// let t = table(&json!([{"id": "a", "n": 1}, {"id": "b", "n": 22}])).unwrap();
/// assert_eq!(t, "id  n\na   1\nb   22\n");
/// ```
pub fn table(value: &Value) -> Option<String> {
    let rows = match value {
        Value::Array(rows) => rows,
        Value::Object(map) => ["data", "quotes", "items"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))?,
        _ => return None,
    };
    let first = rows.first()?.as_object()?;
    let columns: Vec<&String> = first
        .iter()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(k, _)| k)
        .collect();
    let cell = |row: &Value, column: &str| match &row[column] {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    };
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| {
            rows.iter()
                .map(|r| cell(r, c).chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(columns.iter().map(|c| (*c).clone()).collect());
    for row in rows {
        out.push_str(&line(columns.iter().map(|c| cell(row, c)).collect()));
    }
    Some(out)
}

/// One step of a flow: `  <operation>  -> <what happened>  [Request-ID ...]`.
pub fn step(operation: &str, outcome: impl std::fmt::Display, request_id: Option<&str>) {
    match request_id {
        Some(id) => println!("  {operation:<28} -> {outcome}  [Request-ID {id}]"),
        None => println!("  {operation:<28} -> {outcome}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_become_tables_of_their_scalar_fields() {
        let t = table(
            &json!({"data": [{"id": "a", "n": 1, "nested": {}}, {"id": "bb", "n": 22, "nested": {}}]}),
        );
        assert_eq!(t.unwrap(), "id  n\na   1\nbb  22\n");
        assert_eq!(table(&json!({"id": "a"})), None);
    }
}
