//! A reader for the YAML that parcelkit's specs are written in, into `serde_json::Value`.
//!
//! `build.rs` parses the specs on every build of every application that depends on parcelkit,
//! and a full YAML library (serde_yaml and libyaml) cost ~2 s of that build's CPU. The specs use
//! a small part of YAML 1.2: block mappings and sequences, flow `[...]` and `{...}`, plain,
//! quoted and block (`|`, `>`) scalars, comments. That part is read here; anything else (anchors,
//! aliases, tags, complex keys, several documents, tabs for indentation, duplicate keys) is an
//! error naming its line and column, never a silent misreading. The tests hold this reader to
//! serde_yaml on every spec and normalised spec in the repository.

use std::fmt;

use serde_json::{Map, Value};

/// YAML outside what [`yaml_to_json`](crate::yaml_to_json) reads, or malformed; positions are
/// 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// The line of the problem.
    pub line: usize,
    /// The column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for YamlError {}

/// Parses one YAML document into JSON (scalar keys become strings: `200:` is `"200"`).
pub(crate) fn parse(text: &str) -> Result<Value, YamlError> {
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let rest = &raw[indent..];
        if rest.starts_with('\t') && !rest.trim().is_empty() {
            return Err(error(index + 1, indent + 1, "a tab in indentation"));
        }
        lines.push(Line {
            number: index + 1,
            indent,
            text: rest,
        });
    }
    let mut reader = Reader { lines, at: 0 };
    reader.skip_blank();
    if reader.peek().is_some_and(|l| l.text.trim_end() == "---") {
        reader.at += 1;
        reader.skip_blank();
    }
    let value = match reader.peek() {
        None => Value::Null,
        Some(line) => {
            let indent = line.indent;
            reader.node(indent)?
        }
    };
    reader.skip_blank();
    match reader.peek() {
        None => Ok(value),
        Some(line) if line.text.starts_with("---") || line.text.starts_with("...") => Err(error(
            line.number,
            1,
            "a second document (only one is read)",
        )),
        Some(line) => Err(error(
            line.number,
            line.indent + 1,
            "unexpected indentation (not inside the mapping or sequence above)",
        )),
    }
}

fn error(line: usize, column: usize, message: impl Into<String>) -> YamlError {
    YamlError {
        line,
        column,
        message: message.into(),
    }
}

#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    /// Spaces before `text`.
    indent: usize,
    text: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        let t = self.text.trim();
        t.is_empty() || t.starts_with('#')
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(|l| l.is_blank()) {
            self.at += 1;
        }
    }

    /// The block node starting at the current line, whose lines are indented `indent`.
    fn node(&mut self, indent: usize) -> Result<Value, YamlError> {
        let line = self.peek().expect("called on a line");
        if is_sequence_item(line.text) {
            self.sequence(indent)
        } else if mapping_key(line)?.is_some() {
            self.mapping(indent)
        } else {
            self.at += 1;
            self.inline_value(line, line.text, line.indent, indent.saturating_sub(1))
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.peek() else { break };
            if line.indent != indent || !is_sequence_item(line.text) {
                break;
            }
            let rest = line.text[1..].trim_start_matches(' ');
            if rest.is_empty() || rest.starts_with('#') {
                self.at += 1;
                items.push(self.nested(indent, false)?);
            } else {
                // `- key: value` and `- - x`: the item is a node that starts on this line, at
                // the column after the dash, as if it were on a line of its own.
                let column = indent + (line.text.len() - rest.len());
                self.lines[self.at] = Line {
                    number: line.number,
                    indent: column,
                    text: rest,
                };
                items.push(self.node(column)?);
            }
        }
        Ok(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, YamlError> {
        let mut map = Map::new();
        loop {
            self.skip_blank();
            let Some(line) = self.peek() else { break };
            if line.indent != indent || is_sequence_item(line.text) || is_document_marker(line) {
                break;
            }
            let Some((key, rest)) = mapping_key(line)? else {
                return Err(error(
                    line.number,
                    line.indent + 1,
                    "expected `key: value` in this mapping",
                ));
            };
            if map.contains_key(&key) {
                return Err(error(
                    line.number,
                    line.indent + 1,
                    format!("duplicate key {key:?}"),
                ));
            }
            self.at += 1;
            let value_text = rest.trim_start();
            let column = line.indent + (line.text.len() - value_text.len());
            let value = if value_text.is_empty() || value_text.starts_with('#') {
                self.nested(indent, true)?
            } else {
                self.inline_value(line, value_text, column, indent)?
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// The value on the lines after a `key:` or `-` with nothing after it: a more indented
    /// node, a sequence at the key's own indentation (`key:` then `- item`), or null.
    fn nested(&mut self, indent: usize, after_key: bool) -> Result<Value, YamlError> {
        self.skip_blank();
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent),
            Some(next) if after_key && next.indent == indent && is_sequence_item(next.text) => {
                self.sequence(indent)
            }
            _ => Ok(Value::Null),
        }
    }

    /// A value that starts on `line` at `text` (column `column`, 0-based): a block scalar, a
    /// flow collection, a quoted or a plain scalar. Its continuation lines are those indented
    /// more than `parent` (the indentation of the mapping or sequence that holds it).
    fn inline_value(
        &mut self,
        line: Line<'a>,
        text: &'a str,
        column: usize,
        parent: usize,
    ) -> Result<Value, YamlError> {
        let here = |message: &str| error(line.number, column + 1, message);
        match text.as_bytes()[0] {
            b'&' => return Err(here("anchors (`&`) are not supported")),
            b'*' => return Err(here("aliases (`*`) are not supported")),
            b'!' => return Err(here("tags (`!`) are not supported")),
            b'?' if text.len() == 1 || text.as_bytes()[1] == b' ' => {
                return Err(here("complex keys (`?`) are not supported"));
            }
            b'|' | b'>' => return self.block_scalar(line, text, column, parent),
            _ => {}
        }
        // The rest of the value: this line's text and its continuation lines.
        let mut joined = text.to_owned();
        let mut positions = vec![(line.number, column, 0usize)];
        while let Some(next) = self.peek() {
            if next.text.trim().is_empty() {
                // A blank line inside a multi-line scalar is a line break; keep looking.
                let more = self.lines[self.at..]
                    .iter()
                    .find(|l| !l.text.trim().is_empty());
                if more.is_some_and(|l| l.indent > parent && !l.text.starts_with('#')) {
                    joined.push('\n');
                    self.at += 1;
                    continue;
                }
                break;
            }
            if next.indent <= parent || next.text.starts_with('#') {
                break;
            }
            positions.push((next.number, next.indent, joined.len() + 1));
            joined.push('\n');
            joined.push_str(next.text);
            self.at += 1;
        }
        let locate = |offset: usize| {
            let &(number, col, start) = positions
                .iter()
                .rev()
                .find(|(_, _, start)| *start <= offset)
                .expect("offset 0 is on the first line");
            (number, col + (offset - start) + 1)
        };
        let mut flow = Flow {
            text: &joined,
            at: 0,
        };
        let value = flow.value(false).map_err(|(offset, message)| {
            let (l, c) = locate(offset);
            error(l, c, message)
        })?;
        flow.skip_space();
        if flow.at < joined.len() {
            let (l, c) = locate(flow.at);
            return Err(error(l, c, "unexpected text after the value"));
        }
        Ok(value)
    }

    /// `|` (literal) and `>` (folded) scalars, with `-`/`+` chomping and an optional explicit
    /// indentation digit.
    fn block_scalar(
        &mut self,
        line: Line<'a>,
        header: &str,
        column: usize,
        parent: usize,
    ) -> Result<Value, YamlError> {
        let header = header.split(" #").next().unwrap_or(header).trim_end();
        let folded = header.starts_with('>');
        let mut chomp = ' ';
        let mut explicit = None;
        for c in header[1..].chars() {
            match c {
                '-' | '+' if chomp == ' ' => chomp = c,
                '1'..='9' if explicit.is_none() => explicit = c.to_digit(10),
                _ => {
                    return Err(error(
                        line.number,
                        column + 1,
                        format!("unexpected {c:?} in a block scalar header"),
                    ));
                }
            }
        }
        let mut body: Vec<String> = Vec::new();
        let mut indent = explicit.map(|n| parent + n as usize);
        while let Some(next) = self.peek() {
            let raw_len = next.indent + next.text.len();
            if next.text.trim().is_empty() {
                body.push(String::new());
                self.at += 1;
                continue;
            }
            let block_indent = *indent.get_or_insert(next.indent);
            if next.indent < block_indent || next.indent <= parent {
                break;
            }
            // Keep the spaces beyond the block's indentation.
            let full = self.raw_line(next, raw_len);
            body.push(full[block_indent..].to_owned());
            self.at += 1;
        }
        // Trailing blank lines belong to the chomping, not to the text.
        let trailing = body.iter().rev().take_while(|l| l.is_empty()).count();
        let content = &body[..body.len() - trailing];
        // Blank lines taken past the scalar's end are the next node's business.
        let mut text = if folded {
            fold_blank_runs(content)
        } else {
            content.join("\n")
        };
        match chomp {
            '-' => {}
            '+' => {
                if !content.is_empty() {
                    text.push('\n');
                }
                text.extend(std::iter::repeat_n('\n', trailing));
            }
            _ => {
                if !content.is_empty() {
                    text.push('\n');
                }
            }
        }
        Ok(Value::String(text))
    }

    /// The whole of `line` as written (indentation included).
    fn raw_line(&self, line: Line<'a>, len: usize) -> String {
        let mut s = " ".repeat(line.indent);
        s.push_str(line.text);
        debug_assert_eq!(s.len(), len);
        s
    }
}

/// Folds the lines of a `>` scalar: lines join with a space, an empty line is a line break,
/// and lines that start with a space (more indented) keep their breaks.
fn fold_blank_runs(content: &[String]) -> String {
    let mut text = String::new();
    let mut i = 0;
    while i < content.len() {
        let line = &content[i];
        text.push_str(line);
        let mut blanks = 0;
        let mut j = i + 1;
        while j < content.len() && content[j].is_empty() {
            blanks += 1;
            j += 1;
        }
        if j < content.len() {
            let next = &content[j];
            let literal = line.starts_with(' ') || next.starts_with(' ');
            if blanks == 0 {
                text.push(if literal { '\n' } else { ' ' });
            } else {
                let breaks = if literal { blanks + 1 } else { blanks };
                text.extend(std::iter::repeat_n('\n', breaks));
            }
        }
        i = j;
    }
    text
}

/// `---` or `...` at the start of a line: the end of this document.
fn is_document_marker(line: Line<'_>) -> bool {
    line.indent == 0 && (line.text.starts_with("---") || line.text.starts_with("..."))
}

fn is_sequence_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

/// The key of a `key: value` line and the text after the colon; `None` when the line is not one.
fn mapping_key(line: Line<'_>) -> Result<Option<(String, &str)>, YamlError> {
    let text = line.text;
    let (key, after) = match text.as_bytes()[0] {
        quote @ (b'"' | b'\'') => {
            let mut flow = Flow { text, at: 0 };
            let Ok(key) = flow.quoted(quote) else {
                return Ok(None);
            };
            let rest = text[flow.at..].trim_start_matches(' ');
            match rest.strip_prefix(':') {
                Some(after) if after.is_empty() || after.starts_with(' ') => (key, after),
                _ => return Ok(None),
            }
        }
        b'[' | b'{' | b'#' | b'|' | b'>' => return Ok(None),
        _ => {
            let Some(colon) = find_key_colon(text) else {
                return Ok(None);
            };
            let key = text[..colon].trim_end();
            if key.starts_with('?') {
                return Err(error(
                    line.number,
                    line.indent + 1,
                    "complex keys (`?`) are not supported",
                ));
            }
            (scalar_key(key), &text[colon + 1..])
        }
    };
    Ok(Some((key, after)))
}

/// The colon that ends a plain key: followed by a space or the end of the line, and not after a
/// ` #` comment start.
fn find_key_colon(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b'#' && i > 0 && bytes[i - 1] == b' ' {
            return None;
        }
        if bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            return Some(i);
        }
    }
    None
}

/// A plain key as JSON has it: scalars in their string form (`200` and `true` as written,
/// `~`/`null` as "null", numbers normalised as serde_yaml reads them).
fn scalar_key(key: &str) -> String {
    match plain_scalar(key) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// YAML 1.2's core schema for a plain scalar, as serde_yaml resolves it.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    let radix = |prefix: &str, radix: u32| {
        let digits = unsigned.strip_prefix(prefix)?;
        let n = i128::from_str_radix(digits, radix).ok()?;
        Some(if negative { -n } else { n })
    };
    let integer = if unsigned.bytes().all(|b| b.is_ascii_digit()) && !unsigned.is_empty() {
        unsigned
            .parse::<i128>()
            .ok()
            .map(|n| if negative { -n } else { n })
    } else {
        radix("0x", 16).or_else(|| radix("0o", 8))
    };
    if let Some(n) = integer {
        if let Ok(i) = i64::try_from(n) {
            return Value::from(i);
        }
        if let Ok(u) = u64::try_from(n) {
            return Value::from(u);
        }
    }
    if is_float(unsigned)
        && let Ok(f) = text.parse::<f64>()
    {
        return serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
    }
    match unsigned {
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN" => Value::Null,
        _ => Value::String(text.to_owned()),
    }
}

/// `[0-9]+ ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?` or `. [0-9]+ ...`: YAML 1.2's float (sign taken).
fn is_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok && (fraction.is_some() || exponent.is_some())
}

/// A value written on one logical run of text: flow collections, quoted and plain scalars.
/// Errors carry a byte offset into `text`.
struct Flow<'t> {
    text: &'t str,
    at: usize,
}

type FlowResult<T> = Result<T, (usize, String)>;

impl<'t> Flow<'t> {
    fn rest(&self) -> &'t str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches([' ', '\n']);
            self.at += rest.len() - trimmed.len();
            // A comment runs to the end of its line.
            if trimmed.starts_with('#')
                && (self.at == 0 || self.text.as_bytes()[self.at - 1] != b'\\')
            {
                let line_end = trimmed.find('\n').unwrap_or(trimmed.len());
                self.at += line_end;
                continue;
            }
            break;
        }
    }

    /// `in_flow`: inside `[...]`/`{...}`, where `,`, `]` and `}` end a plain scalar.
    fn value(&mut self, in_flow: bool) -> FlowResult<Value> {
        self.skip_space();
        match self.rest().as_bytes().first() {
            Some(b'[') => self.sequence(),
            Some(b'{') => self.mapping(),
            Some(&q @ (b'"' | b'\'')) => self.quoted(q).map(Value::String),
            Some(b'&' | b'*' | b'!') => Err((
                self.at,
                "anchors, aliases and tags are not supported".into(),
            )),
            _ => Ok(plain_scalar(&self.plain(in_flow))),
        }
    }

    fn sequence(&mut self) -> FlowResult<Value> {
        let start = self.at;
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.rest().as_bytes().first() {
                None => return Err((start, "unterminated `[`".into())),
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => {}
            }
            items.push(self.value(true)?);
            self.skip_space();
            match self.rest().as_bytes().first() {
                Some(b',') => self.at += 1,
                Some(b']') => {}
                None => return Err((start, "unterminated `[`".into())),
                _ => return Err((self.at, "expected `,` or `]` in a flow sequence".into())),
            }
        }
    }

    fn mapping(&mut self) -> FlowResult<Value> {
        let start = self.at;
        self.at += 1;
        let mut map = Map::new();
        loop {
            self.skip_space();
            match self.rest().as_bytes().first() {
                None => return Err((start, "unterminated `{`".into())),
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(map));
                }
                _ => {}
            }
            let key_at = self.at;
            let key = match self.value(true)? {
                Value::String(s) => s,
                other => other.to_string(),
            };
            self.skip_space();
            if !self.rest().starts_with(':') {
                return Err((self.at, "expected `:` after a key in a flow mapping".into()));
            }
            self.at += 1;
            let value = match self
                .rest()
                .trim_start_matches([' ', '\n'])
                .as_bytes()
                .first()
            {
                Some(b',' | b'}') => {
                    self.skip_space();
                    Value::Null
                }
                _ => self.value(true)?,
            };
            if map.insert(key.clone(), value).is_some() {
                return Err((key_at, format!("duplicate key {key:?}")));
            }
            self.skip_space();
            match self.rest().as_bytes().first() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                None => return Err((start, "unterminated `{`".into())),
                _ => return Err((self.at, "expected `,` or `}` in a flow mapping".into())),
            }
        }
    }

    /// A plain scalar: up to a ` #` comment, the end of the text, or (in flow) `,`, `]`, `}` or
    /// `: `. Line breaks fold into spaces; an empty line is a line break.
    fn plain(&mut self, in_flow: bool) -> String {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut end = bytes.len();
        for i in 0..bytes.len() {
            let b = bytes[i];
            let next = bytes.get(i + 1).copied();
            if b == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\n') {
                end = i;
                break;
            }
            if b == b':' && (next.is_none() || matches!(next, Some(b' ' | b'\n'))) && in_flow {
                end = i;
                break;
            }
            if in_flow && matches!(b, b',' | b']' | b'}') {
                end = i;
                break;
            }
        }
        self.at += end;
        fold_lines(rest[..end].trim_end_matches([' ', '\n']))
    }

    /// A quoted scalar starting at the quote; `''` in single quotes and `\` escapes in double
    /// quotes. Line breaks inside fold as in plain scalars.
    fn quoted(&mut self, quote: u8) -> FlowResult<String> {
        let start = self.at;
        let mut out = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\'' if quote == b'\'' => {
                    if self.text[start + 1 + i + 1..].starts_with('\'') {
                        chars.next();
                        out.push('\'');
                    } else {
                        self.at = start + 1 + i + 1;
                        return Ok(out);
                    }
                }
                '"' if quote == b'"' => {
                    self.at = start + 1 + i + 1;
                    return Ok(out);
                }
                '\\' if quote == b'"' => {
                    let Some((_, escape)) = chars.next() else {
                        break;
                    };
                    let simple = match escape {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        '0' => Some('\0'),
                        '"' => Some('"'),
                        '\\' => Some('\\'),
                        '/' => Some('/'),
                        ' ' => Some(' '),
                        _ => None,
                    };
                    if let Some(c) = simple {
                        out.push(c);
                        continue;
                    }
                    let width = match escape {
                        'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        _ => {
                            return Err((start + 1 + i, format!("unknown escape `\\{escape}`")));
                        }
                    };
                    let hex: String = chars.by_ref().take(width).map(|(_, c)| c).collect();
                    let c = u32::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == width)
                        .and_then(char::from_u32)
                        .ok_or_else(|| (start + 1 + i, format!("bad escape `\\{escape}{hex}`")))?;
                    out.push(c);
                }
                '\n' => {
                    // A line break in the text folds: into a space, or n breaks for n empty lines.
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    let mut breaks = 0;
                    while let Some((_, next)) = chars
                        .clone()
                        .next()
                        .filter(|(_, c)| *c == ' ' || *c == '\n')
                    {
                        breaks += usize::from(next == '\n');
                        chars.next();
                    }
                    if breaks == 0 {
                        out.push(' ');
                    } else {
                        out.extend(std::iter::repeat_n('\n', breaks));
                    }
                }
                c => out.push(c),
            }
        }
        Err((start, "unterminated quoted scalar".into()))
    }
}

/// Folds a multi-line flow scalar: each line break between lines becomes a space, a run of n
/// empty lines n line breaks; leading and trailing spaces of each line are dropped.
fn fold_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    if text.contains('\n') {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut blanks = 0;
        for (i, line) in lines.iter().enumerate() {
            let line = if i == 0 {
                line.trim_end_matches(' ')
            } else {
                line.trim_matches(' ')
            };
            if i > 0 && line.is_empty() && i + 1 < lines.len() {
                blanks += 1;
                continue;
            }
            if i > 0 {
                if blanks == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', blanks));
                }
            }
            blanks = 0;
            out.push_str(line);
        }
    } else {
        out.push_str(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_yaml makes of `text`, converted as `yaml_to_json` did before this reader.
    fn reference(text: &str) -> Value {
        fn convert(value: serde_yaml::Value) -> Value {
            use serde_yaml::Value as Y;
            match value {
                Y::Null => Value::Null,
                Y::Bool(b) => Value::Bool(b),
                Y::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        Value::from(i)
                    } else if let Some(u) = n.as_u64() {
                        Value::from(u)
                    } else {
                        n.as_f64()
                            .and_then(serde_json::Number::from_f64)
                            .map_or(Value::Null, Value::Number)
                    }
                }
                Y::String(s) => Value::String(s),
                Y::Sequence(items) => Value::Array(items.into_iter().map(convert).collect()),
                Y::Mapping(map) => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| {
                            let key = match convert(k) {
                                Value::String(s) => s,
                                other => other.to_string(),
                            };
                            (key, convert(v))
                        })
                        .collect(),
                ),
                Y::Tagged(tagged) => convert(tagged.value),
            }
        }
        convert(serde_yaml::from_str(text).expect("serde_yaml reads it"))
    }

    /// The first place two values differ, as a JSON path, for a readable failure.
    fn difference(path: &str, a: &Value, b: &Value) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (k, v) in x {
                    match y.get(k) {
                        Some(w) => {
                            if let Some(d) = difference(&format!("{path}.{k}"), v, w) {
                                return Some(d);
                            }
                        }
                        None => return Some(format!("{path}.{k}: only ours has it")),
                    }
                }
                y.keys()
                    .find(|k| !x.contains_key(*k))
                    .map(|k| format!("{path}.{k}: only serde_yaml has it"))
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| difference(&format!("{path}[{i}]"), v, w)),
            _ if a == b => None,
            _ => Some(format!("{path}: ours {a:?}, serde_yaml {b:?}")),
        }
    }

    fn assert_same_as_serde_yaml(text: &str) {
        let ours = parse(text).unwrap_or_else(|e| panic!("{e}"));
        if let Some(d) = difference("$", &ours, &reference(text)) {
            panic!("{d}");
        }
    }

    macro_rules! same_file {
        ($test:ident, $path:literal) => {
            #[test]
            fn $test() {
                assert_same_as_serde_yaml(include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../",
                    $path
                )));
            }
        };
    }

    same_file!(smartsend_spec, "openapi/smartsend.yaml");
    same_file!(phygitals_spec, "openapi/phygitals.yaml");
    same_file!(smartsend_normalised, "generated/smartsend.normalised.yaml");
    same_file!(phygitals_normalised, "generated/phygitals.normalised.yaml");

    #[test]
    fn constructs_read_as_serde_yaml_reads_them() {
        for text in [
            "a: 1\nb: '1'\nc: \"0.5\"\nd: 1.0\ne: -3\nf: 0x1F\ng: yes\nh: null\ni: ~\nj:\nk: true\n",
            "url: https://example.com/x?y=1\nplain: a#b\ncomment: value # gone\nkey with spaces: v\n",
            "quoted: \"a: b\"\nsingle: 'it''s'\nescapes: \"tab\\there\\nline \\u00e6\"\n",
            "list:\n- a\n- b: 1\n  c: 2\n- - x\n  - y\nnested:\n  - [1, 2, {k: v}]\n",
            "flow: {a: [1, 2], 'b': \"c\", d: }\nempty: []\nnone: {}\n",
            "multi: a plain\n  scalar over\n\n  lines\nnext: 1\n",
            "lit: |\n  one\n    two\n\n  three\nfold: >-\n  a\n  b\n\n  c\n    d\nkeep: |+\n  x\n\nlast: 1\n",
            "strip: |-\n  text\n\n",
            "---\n200:\n  description: ok\n'404': {description: missing}\n",
            "wrapped: 'a long\n  quoted text'\nother: \"also\n  wrapped\"\n",
            "seq_under_key:\n- 1\n- 2\nafter: 3\n",
        ] {
            assert_same_as_serde_yaml(text);
        }
    }

    #[test]
    fn what_is_not_read_is_refused_with_its_place() {
        let err = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            err("a: &anchor 1\n"),
            "line 1 column 4: anchors (`&`) are not supported"
        );
        assert_eq!(
            err("a: *alias\n"),
            "line 1 column 4: aliases (`*`) are not supported"
        );
        assert_eq!(
            err("a: !tag 1\n"),
            "line 1 column 4: tags (`!`) are not supported"
        );
        assert_eq!(err("a: 1\na: 2\n"), "line 2 column 1: duplicate key \"a\"");
        assert_eq!(
            err("a:\n\t b: 1\n"),
            "line 2 column 1: a tab in indentation"
        );
        assert_eq!(
            err("a: 1\n---\nb: 2\n"),
            "line 2 column 1: a second document (only one is read)"
        );
        assert_eq!(
            err("a: 'open\n"),
            "line 1 column 4: unterminated quoted scalar"
        );
        assert_eq!(err("a: [1, 2\n"), "line 1 column 4: unterminated `[`");
        assert_eq!(
            err("a:\n    b: 1\n  c: 2\n"),
            "line 3 column 3: unexpected indentation (not inside the mapping or sequence above)"
        );
        assert_eq!(
            err("? complex\n"),
            "line 1 column 1: complex keys (`?`) are not supported"
        );
    }
}
