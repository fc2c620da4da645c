//! Where in a JSON document a decode failed, as a path (`data.parcels[0].state`).
//!
//! serde_json reports a failure's position (line and column), not its path. Tracking the path
//! while decoding (serde_path_to_error) wraps every visitor, so each response type was compiled
//! twice into every application: once plain, once wrapped. Instead the decoder reads the failing
//! document again as compact text (one line, so the column is a byte offset) with the same
//! plain instantiation, and [`path_at`] finds the path at the offset serde_json gives.

/// One open container on the way to the offset.
enum Frame {
    /// An object; `member` is the key whose value is being read (set at its `:`), `key` the last
    /// key read before its `:`.
    Object {
        member: Option<String>,
        key: Option<String>,
    },
    /// An array, reading the element at `index`.
    Array { index: usize },
}

/// The path of the value being read after the first `offset` bytes of `json`, a compact document
/// (no insignificant whitespace, as `serde_json::to_vec` writes it): keys joined by `.`, array
/// indices as `[i]`, and `the top level` for the document itself.
///
/// serde_json gives as a failure's column the bytes it had consumed: just past a scalar that
/// does not fit (`null` where a string is expected), at the `{` or `[` of a container that
/// does not, just past the `}` of an object with a missing member, so each of those is named by
/// the member or element holding it.
pub(crate) fn path_at(json: &[u8], offset: usize) -> String {
    let end = offset.min(json.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match json[i] {
            b'{' => stack.push(Frame::Object {
                member: None,
                key: None,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { member, key }) = stack.last_mut() {
                    *member = key.take();
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { member, .. }) => *member = None,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let close = string_end(json, i);
                // A string where an object expects a key is one; elsewhere it is a value.
                if let Some(Frame::Object { member: None, key }) = stack.last_mut() {
                    *key =
                        serde_json::from_slice::<String>(&json[i..=close.min(json.len() - 1)]).ok();
                }
                i = close;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object {
                member: Some(name), ..
            } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Frame::Object { member: None, .. } => break,
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    if path.is_empty() {
        "the top level".to_owned()
    } else {
        path
    }
}

/// The index of the `"` closing the string that opens at `start` (or the last index, for a
/// string cut short).
fn string_end(json: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < json.len() {
        match json[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    json.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::path_at;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Envelope {
        data: Vec<Shipment>,
        next: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Shipment {
        state: State,
        weight: u32,
        #[serde(rename = "the \"label\"")]
        label: Option<Label>,
        tags: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum State {
        Open,
        Booked,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Label {
        url: String,
        pages: u8,
    }

    /// The path [`path_at`] gives for the failure of decoding `json`, and the one
    /// serde_path_to_error (which tracks it while decoding) gives.
    fn both(json: &str) -> (String, String) {
        let value: serde_json::Value = serde_json::from_str(json).expect("test JSON");
        let compact = serde_json::to_vec(&value).unwrap();
        let plain = serde_json::from_slice::<Envelope>(&compact).expect_err("a failure");
        assert_eq!(plain.line(), 1, "compact JSON is one line");
        let tracked = serde_path_to_error::deserialize::<_, Envelope>(value)
            .expect_err("a failure")
            .path()
            .to_string();
        let tracked = if tracked == "." {
            "the top level".to_owned()
        } else {
            tracked
        };
        (path_at(&compact, plain.column()), tracked)
    }

    #[test]
    fn each_kind_of_failure_is_named_where_path_tracking_names_it() {
        let cases = [
            // A scalar of the wrong type, deep in an array.
            (
                r#"{"data":[{"state":"open","weight":1},{"state":null,"weight":1}]}"#,
                "data[1].state",
            ),
            // A string outside an enum's values.
            (r#"{"data":[{"state":"lost","weight":1}]}"#, "data[0].state"),
            // A container where a scalar is expected, and the other way round.
            (
                r#"{"data":[{"state":"open","weight":{"kg":1}}]}"#,
                "data[0].weight",
            ),
            (r#"{"data":{"state":"open"}}"#, "data"),
            // A missing member: the object that lacks it.
            (
                r#"{"data":[{"state":"open","weight":1,"the \"label\"":{"url":"u"}}]}"#,
                "data[0].the \"label\"",
            ),
            (r#"{"data":[{"weight":1}]}"#, "data[0]"),
            (r#"{"next":"x"}"#, "the top level"),
            // Strings holding the characters that delimit JSON do not confuse the scan.
            (
                r#"{"next":"a,b]}{[:\"","data":[{"state":"open","weight":1,"tags":["x]","y",7]}]}"#,
                "data[0].tags[2]",
            ),
            // An integer out of range, after unknown members (which are skipped).
            (
                r#"{"extra":{"k":[1,2]},"data":[{"state":"booked","weight":1,"the \"label\"":{"url":"u","pages":300}}]}"#,
                "data[0].the \"label\".pages",
            ),
            // The document itself.
            (r#""a string""#, "the top level"),
            (r#"7"#, "the top level"),
        ];
        for (json, expected) in cases {
            let (scanned, tracked) = both(json);
            assert_eq!(scanned, expected, "{json}");
            assert_eq!(scanned, tracked, "{json}");
        }
    }

    #[test]
    fn an_offset_past_the_end_or_into_a_cut_string_does_not_panic() {
        assert_eq!(path_at(br#"{"a":[1"#, 99), "a[0]");
        assert_eq!(path_at(br#"{"a":"unterminated"#, 99), "a");
        assert_eq!(path_at(br#"{"#, 1), "the top level");
        assert_eq!(path_at(b"", 0), "the top level");
    }
}
