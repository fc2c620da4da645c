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

/// The widest a table gets: what a terminal shows without wrapping.
const MAX_TABLE_WIDTH: usize = 120;
/// The widest one cell gets; longer values end in `…`.
const MAX_CELL_WIDTH: usize = 40;

/// The columns a reader looks for first, in this order, when a row has them: the id, where it
/// stands, what it is, how it travels, what it costs, when it began. `carrier`, `service` and
/// `tracking` are also read from a shipment's `delivery` and `parcels`.
const PREFERRED_COLUMNS: [&str; 17] = [
    "uuid",
    "id",
    "order_id",
    "session_id",
    "state",
    "status",
    "reference",
    "name",
    "carrier",
    "service",
    "tracking",
    "amount",
    "total_net_amount",
    "buyback_price",
    "price",
    "currency",
    "created_at",
];

/// The cell of `column` in `row`: a scalar field, or one the preferred columns derive.
fn cell(row: &Value, column: &str) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("-".to_owned()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        _ => None,
    };
    if let Some(value) = row.get(column) {
        return text(value);
    }
    match column {
        "carrier" => text(row.get("delivery")?.get("carrier_code")?),
        "service" => text(row.get("delivery")?.get("service_code")?),
        "tracking" => {
            let codes: Vec<&str> = row
                .get("parcels")?
                .as_array()?
                .iter()
                .filter_map(|p| p.get("tracking_code")?.as_str())
                .collect();
            Some(if codes.is_empty() {
                "-".to_owned()
            } else {
                codes.join(",")
            })
        }
        _ => None,
    }
}

fn shortened(text: String) -> String {
    if text.chars().count() <= MAX_CELL_WIDTH {
        text
    } else {
        let mut short: String = text.chars().take(MAX_CELL_WIDTH - 1).collect();
        short.push('…');
        short
    }
}

/// The rows of a list (`[...]`, or an envelope's `data`/`quotes`/`items` list) as a table:
/// the [`PREFERRED_COLUMNS`] the rows have, then their other scalar fields, as many as fit in
/// [`MAX_TABLE_WIDTH`]. An empty list is an empty table (nothing printed); `None` when `value`
/// holds no list.
pub fn table(value: &Value) -> Option<String> {
    let rows = match value {
        Value::Array(rows) => rows,
        Value::Object(map) => ["data", "quotes", "items"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array))?,
        _ => return None,
    };
    let Some(first) = rows.first() else {
        return Some(String::new());
    };
    let others = first
        .as_object()?
        .keys()
        .map(String::as_str)
        .filter(|k| !PREFERRED_COLUMNS.contains(k));
    let mut columns: Vec<(&str, Vec<String>, usize)> = Vec::new();
    let mut width = 0;
    for column in PREFERRED_COLUMNS.into_iter().chain(others) {
        let Some(cells) = rows
            .iter()
            .map(|r| cell(r, column).map(shortened))
            .collect::<Option<Vec<_>>>()
        else {
            continue; // not a scalar (or derivable) in every row
        };
        let column_width = cells
            .iter()
            .map(|c| c.chars().count())
            .chain([column.len()])
            .max()
            .unwrap_or(0);
        let needed = if columns.is_empty() {
            column_width
        } else {
            width + 2 + column_width
        };
        if needed > MAX_TABLE_WIDTH {
            continue;
        }
        width = needed;
        columns.push((column, cells, column_width));
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&columns)
            .map(|(c, (_, _, w))| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(columns.iter().map(|(name, _, _)| *name).collect());
    for i in 0..rows.len() {
        out.push_str(&line(
            columns
                .iter()
                .map(|(_, cells, _)| cells[i].as_str())
                .collect(),
        ));
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
            &json!({"data": [{"n": 1, "id": "a", "nested": {}}, {"n": 22, "id": "bb", "nested": {}}]}),
        );
        assert_eq!(
            t.unwrap(),
            "id  n\na   1\nbb  22\n",
            "the id first, then the rest"
        );
        assert_eq!(table(&json!({"id": "a"})), None);
        assert_eq!(
            table(&json!({"data": []})).as_deref(),
            Some(""),
            "an empty table"
        );
    }

    #[test]
    fn a_shipment_list_shows_the_chosen_columns_within_120_columns() {
        let shipment = |n: u32| {
            json!({
                "booked_at": null, "created_at": "2026-11-28T12:00:00Z", "currency": "DKK",
                "delivery": {"carrier_code": "postnord", "service_code": "home", "carrier_name": "PostNord"},
                "dimension_unit": "cm", "duty_amount": null, "identifier": null,
                "invoice_number": "INV-000001", "parcels": [
                    {"tracking_code": format!("0037072300000000{n}"), "uuid": "x"},
                    {"tracking_code": null, "uuid": "y"}
                ],
                "reference": format!("order-{n}"), "shipping_net_amount": null, "state": "booked",
                "tax_amount": 25.5, "total_net_amount": 102, "uri": "https://shop.example/orders/1",
                "uuid": "550e8400-e29b-41d4-a716-446655440000", "weight_unit": "g"
            })
        };
        let t = table(&json!({"data": [shipment(1), shipment(2)]})).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        let header: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            header[..7],
            [
                "uuid",
                "state",
                "reference",
                "carrier",
                "service",
                "tracking",
                "total_net_amount"
            ],
            "{t}"
        );
        assert!(
            lines[1].contains("postnord") && lines[1].contains("00370723000000001"),
            "{t}"
        );
        assert!(
            lines.iter().all(|l| l.chars().count() <= MAX_TABLE_WIDTH),
            "{t}"
        );
    }
}
