//! The YAML reader behind [`crate::yaml_to_json`]: parcelkit's own, so that the build of every
//! application depending on parcelkit compiles no YAML library (serde_yaml and unsafe-libyaml cost
//! it about 2 s of CPU) just to read two specs.
//!
//! It reads the subset of YAML 1.2 (<https://yaml.org/spec/1.2.2/>) that the hand-written specs
//! and serde_yaml's normalised copies use: one document, optionally opened by `---`; block
//! mappings and sequences, compact ones (`- key: v`, `- - v`) and a sequence at its key's indent;
//! flow mappings and sequences; plain, single- and double-quoted scalars; literal (`|`) and folded
//! (`>`) block scalars with chomping and indentation indicators; comments. Scalars resolve as
//! serde_yaml 0.9 resolves them (see [`plain`]), so the JSON is what the serde_yaml-based reader
//! gave.
//!
//! Everything else is refused, naming its line and column: anchors, aliases, tags, directives,
//! complex keys, a second document, tabs in indentation, duplicate keys, and scalars or flow
//! collections continued on another line. A refusal costs the spec's author a rewording; a guess
//! would hand the generator a spec other than the one written.

use std::fmt;

use serde_json::{Map, Number, Value};

/// Why a text is not YAML that [`crate::yaml_to_json`] reads: where, and what was found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What was found, and why it is refused.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for YamlError {}

type Result<T> = std::result::Result<T, YamlError>;

const WS: [char; 2] = [' ', '\t'];
const TAB: &str = "a tab in indentation (YAML indents with spaces)";

/// Parses one YAML document into JSON; scalar keys become their string form (`200:` is `"200"`).
pub fn parse(text: &str) -> Result<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        lines: text.lines().collect(),
        row: 0,
        start: 0,
    };
    p.skip_blank()?;
    if let Some(line) = p.lines.get(p.row) {
        if line.starts_with('%') {
            return Err(p.err(0, "directives (`%`) are not supported"));
        }
        if marker(line) == Some("---") {
            if !blank_or_comment(&line[3..]) {
                let at = skip_ws(line, 3);
                return Err(p.err(at, "content on the `---` line is not supported"));
            }
            p.next_line()?;
        }
    }
    let value = match p.indent() {
        Some(_) => p.block_node(-1)?,
        None => Value::Null,
    };
    if let Some(line) = p.lines.get(p.row) {
        let message = match marker(line) {
            Some("---") => "a second document (`---`) is not supported".to_string(),
            Some(_) => "the document end marker `...` is not supported".to_string(),
            None => format!(
                "expected the end of the document, found `{}`",
                excerpt(p.rest())
            ),
        };
        return Err(p.err(p.start, message));
    }
    Ok(value)
}

/// A line-oriented reader of block structure: each block node starts at `start` of line `row`
/// and, once read, leaves the parser on the next line holding content.
struct Parser<'a> {
    lines: Vec<&'a str>,
    row: usize,
    /// Byte offset in the current line where its unread content starts: the indentation, or for
    /// a compact collection (`- key: v`) the offset after `- `, which then is that collection's
    /// indentation (everything before it is ASCII, so bytes and columns agree).
    start: usize,
}

impl<'a> Parser<'a> {
    fn line(&self) -> &'a str {
        self.lines[self.row]
    }

    fn rest(&self) -> &'a str {
        &self.line()[self.start..]
    }

    fn err(&self, at: usize, message: impl Into<String>) -> YamlError {
        let line = self.lines.get(self.row).copied().unwrap_or("");
        let column = line.get(..at).map_or(at, |s| s.chars().count()) + 1;
        YamlError {
            line: self.row + 1,
            column,
            message: message.into(),
        }
    }

    /// Moves to the first line from the current one that is neither blank nor only a comment.
    fn skip_blank(&mut self) -> Result<()> {
        while let Some(line) = self.lines.get(self.row) {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let body = line[indent..].trim_start_matches(WS);
            if !body.is_empty() && !body.starts_with('#') {
                if line[indent..].starts_with('\t') {
                    return Err(self.err(indent, TAB));
                }
                self.start = indent;
                return Ok(());
            }
            self.row += 1;
        }
        Ok(())
    }

    fn next_line(&mut self) -> Result<()> {
        self.row += 1;
        self.skip_blank()
    }

    /// The current line's indentation; `None` at the end of the document.
    fn indent(&self) -> Option<usize> {
        let line = self.lines.get(self.row)?;
        marker(line).is_none().then_some(self.start)
    }

    /// Reads the node starting at the current position. `parent` is the indentation of the
    /// collection holding it (-1 at the top), which a block scalar's content must exceed.
    fn block_node(&mut self, parent: isize) -> Result<Value> {
        let indent = self.start;
        if is_entry(self.rest()) {
            self.block_sequence(indent)
        } else if self.key()?.is_some() {
            self.block_mapping(indent)
        } else {
            self.inline_node(parent)
        }
    }

    fn block_mapping(&mut self, indent: usize) -> Result<Value> {
        let mut map = Map::new();
        loop {
            let at = self.start;
            let Some((key, after)) = self.key()? else {
                let found = excerpt(self.rest());
                return Err(self.err(at, format!("expected `key: value`, found `{found}`")));
            };
            if map.contains_key(&key) {
                return Err(self.err(at, format!("duplicate key `{key}`")));
            }
            self.start = skip_ws(self.line(), after);
            let value = if blank_or_comment(self.rest()) {
                self.next_line()?;
                match self.indent() {
                    Some(m) if m > indent => self.block_node(indent as isize)?,
                    // YAML lets a sequence sit at its key's indent (serde_yaml writes them so).
                    Some(m) if m == indent && is_entry(self.rest()) => self.block_sequence(m)?,
                    _ => Value::Null,
                }
            } else if is_entry(self.rest()) {
                let message = "a block sequence cannot start on the line of its key";
                return Err(self.err(self.start, message));
            } else {
                self.inline_node(indent as isize)?
            };
            map.insert(key, value);
            match self.indent() {
                Some(m) if m == indent => {}
                Some(m) if m > indent => return Err(self.bad_indent(m, indent)),
                _ => return Ok(Value::Object(map)),
            }
        }
    }

    fn block_sequence(&mut self, indent: usize) -> Result<Value> {
        let mut items = Vec::new();
        loop {
            let line = self.line();
            let at = self.start
                + 1
                + (line[self.start + 1..].len()
                    - line[self.start + 1..].trim_start_matches(' ').len());
            if line[at..].starts_with('\t') {
                return Err(self.err(at, TAB));
            }
            self.start = at;
            items.push(if blank_or_comment(self.rest()) {
                self.next_line()?;
                match self.indent() {
                    Some(m) if m > indent => self.block_node(indent as isize)?,
                    _ => Value::Null,
                }
            } else {
                // `- key: v` and `- - v` are collections indented to where their content starts.
                self.block_node(indent as isize)?
            });
            match self.indent() {
                Some(m) if m == indent && is_entry(self.rest()) => {}
                Some(m) if m > indent => return Err(self.bad_indent(m, indent)),
                _ => return Ok(Value::Array(items)),
            }
        }
    }

    fn bad_indent(&self, found: usize, indent: usize) -> YamlError {
        let message = format!(
            "bad indentation: {found} spaces after an entry indented {indent} \
             (multi-line plain scalars are not supported)"
        );
        self.err(found, message)
    }

    /// The `key:` at the current position, if there is one there: the key as a string and the
    /// offset after its `:`.
    fn key(&self) -> Result<Option<(String, usize)>> {
        let (line, at) = (self.line(), self.start);
        let rest = &line[at..];
        if is_entry(rest) || rest.starts_with(['[', '{', '|', '>']) {
            return Ok(None);
        }
        let (key, end) = if rest.starts_with(['\'', '"']) {
            let (key, end) = self.quoted(at)?;
            (Value::String(key), skip_ws(line, end))
        } else {
            self.refuse_indicator(at, false)?;
            let Some(colon) = find_colon(line, at) else {
                return Ok(None);
            };
            (self.plain(at, line[at..colon].trim_end_matches(WS))?, colon)
        };
        let separated = line[end..]
            .strip_prefix(':')
            .is_some_and(|s| s.is_empty() || s.starts_with(WS));
        Ok(separated.then(|| (key_string(key), end + 1)))
    }

    /// Reads a node that the current line holds: a scalar, a flow collection, or the header of
    /// a block scalar; then moves to the next line with content.
    fn inline_node(&mut self, parent: isize) -> Result<Value> {
        let (line, at) = (self.line(), self.start);
        let (value, end) = match line.as_bytes()[at] {
            b'|' | b'>' => return self.block_scalar(parent),
            b'[' | b'{' => {
                let (value, end) = self.flow_node(at)?;
                if line[skip_ws(line, end)..].starts_with(':') {
                    return Err(
                        self.err(at, "complex keys (a collection as a key) are not supported")
                    );
                }
                (value, end)
            }
            b'\'' | b'"' => self.flow_node(at)?,
            _ => {
                self.refuse_indicator(at, false)?;
                if let Some(colon) = find_colon(line, at) {
                    let message = "`: ` in a plain scalar: quote the scalar (a mapping cannot start on this line)";
                    return Err(self.err(colon, message));
                }
                let text = line[at..comment_start(line, at)].trim_end_matches(WS);
                (self.plain(at, text)?, at + text.len())
            }
        };
        let trailing = line[end..].trim_start_matches(WS);
        if !(trailing.is_empty() || trailing.starts_with('#') && trailing.len() < line[end..].len())
        {
            let found = excerpt(trailing);
            return Err(self.err(
                line.len() - trailing.len(),
                format!("unexpected `{found}` after the value"),
            ));
        }
        self.next_line()?;
        Ok(value)
    }

    /// Reads a literal or folded block scalar whose header is at the current position.
    fn block_scalar(&mut self, parent: isize) -> Result<Value> {
        let (line, at) = (self.line(), self.start);
        let end = line[at..].find(WS).map_or(line.len(), |i| at + i);
        let (mut chomp, mut explicit) = (None, None);
        for c in line[at + 1..end].chars() {
            match c {
                '-' | '+' if chomp.is_none() => chomp = Some(c),
                '1'..='9' if explicit.is_none() => explicit = c.to_digit(10),
                _ => {
                    let found = &line[at..end];
                    return Err(self.err(at, format!("invalid block scalar header `{found}`")));
                }
            }
        }
        if !blank_or_comment(&line[end..]) {
            let message = "unexpected text after a block scalar header";
            return Err(self.err(skip_ws(line, end), message));
        }
        // The content's indentation: given, or that of its first non-blank line.
        let mut indent = explicit.map(|d| (parent + d as isize) as usize);
        let (mut lines, mut leading) = (Vec::new(), 0);
        self.row += 1;
        while let Some(&l) = self.lines.get(self.row) {
            let spaces = l.len() - l.trim_start_matches(' ').len();
            if marker(l).is_some() || spaces < l.len() && (spaces as isize) <= parent {
                break;
            }
            match indent {
                None if spaces == l.len() => leading = leading.max(spaces),
                None if leading > spaces => {
                    let message = "a leading blank line of a block scalar is indented more than its first line";
                    return Err(self.err(0, message));
                }
                None => indent = Some(spaces),
                Some(n) if spaces < n && spaces < l.len() => break,
                Some(_) => {}
            }
            lines.push(indent.map_or("", |n| l.get(n..).unwrap_or("")));
            self.row += 1;
        }
        self.skip_blank()?;
        let body = &lines[..lines
            .iter()
            .rposition(|l| !l.is_empty())
            .map_or(0, |i| i + 1)];
        let mut text = if line.as_bytes()[at] == b'>' {
            fold(body)
        } else {
            body.join("\n")
        };
        if chomp != Some('-') && !body.is_empty() {
            text.push('\n');
        }
        if chomp == Some('+') {
            text.extend(std::iter::repeat_n('\n', lines.len() - body.len()));
        }
        Ok(Value::String(text))
    }

    /// Reads the flow collection or quoted scalar at byte `at`: its value and where it ends.
    fn flow_node(&self, at: usize) -> Result<(Value, usize)> {
        let line = self.line();
        match line.as_bytes().get(at) {
            Some(b'[') => self.flow_collection(at, ']'),
            Some(b'{') => self.flow_collection(at, '}'),
            Some(b'\'' | b'"') => self.quoted(at).map(|(s, end)| (Value::String(s), end)),
            _ => {
                self.refuse_indicator(at, true)?;
                // A plain scalar in flow ends at a flow indicator, `: ` or a comment.
                let mut end = comment_start(line, at);
                for (i, c) in line[at..end].char_indices() {
                    let next = line[at + i + c.len_utf8()..].chars().next();
                    if ",[]{}".contains(c)
                        || c == ':' && next.is_none_or(|n| WS.contains(&n) || ",[]{}".contains(n))
                    {
                        end = at + i;
                        break;
                    }
                }
                let text = line[at..end].trim_end_matches(WS);
                Ok((self.plain(at, text)?, at + text.len()))
            }
        }
    }

    /// Reads `[a, b]` or `{k: v, k}` opening at byte `open`; both must close on their line.
    fn flow_collection(&self, open: usize, close: char) -> Result<(Value, usize)> {
        let line = self.line();
        let what = if close == ']' { "sequence" } else { "mapping" };
        let skip = |at: usize| {
            let next = skip_ws(line, at);
            if next == line.len() || line[next..].starts_with('#') && next > at {
                let message = format!(
                    "unterminated flow {what} (flow collections must close on the line they open)"
                );
                return Err(self.err(open, message));
            }
            Ok(next)
        };
        let (mut items, mut map) = (Vec::new(), Map::new());
        let mut at = skip(open + 1)?;
        while !line[at..].starts_with(close) {
            if close == '}' && line[at..].starts_with(['[', '{']) {
                return Err(self.err(at, "complex keys (a collection as a key) are not supported"));
            }
            let (node, end) = self.flow_node(at)?;
            let key_at = at;
            at = skip(end)?;
            if close == ']' {
                if line[at..].starts_with(':') {
                    let message =
                        "single-pair mappings in a flow sequence (`[a: b]`) are not supported";
                    return Err(self.err(at, message));
                }
                items.push(node);
            } else {
                let mut value = Value::Null;
                if line[at..].starts_with(':') {
                    at = skip(at + 1)?;
                    if !line[at..].starts_with([',', '}']) {
                        let (node, end) = self.flow_node(at)?;
                        (value, at) = (node, skip(end)?);
                    }
                }
                let key = key_string(node);
                if map.contains_key(&key) {
                    return Err(self.err(key_at, format!("duplicate key `{key}`")));
                }
                map.insert(key, value);
            }
            if line[at..].starts_with(',') {
                at = skip(at + 1)?;
            } else if !line[at..].starts_with(close) {
                let found = excerpt(&line[at..]);
                return Err(self.err(at, format!("expected `,` or `{close}`, found `{found}`")));
            }
        }
        let value = if close == ']' {
            Value::Array(items)
        } else {
            Value::Object(map)
        };
        Ok((value, at + 1))
    }

    /// Reads the single- or double-quoted scalar at byte `at`: its text and where it ends.
    fn quoted(&self, at: usize) -> Result<(String, usize)> {
        let line = self.line();
        let quote = line.as_bytes()[at] as char;
        let mut out = String::new();
        let mut chars = line[at + 1..].char_indices().map(|(i, c)| (at + 1 + i, c));
        while let Some((i, c)) = chars.next() {
            if c == quote && quote == '\'' && line[i + 1..].starts_with('\'') {
                chars.next();
                out.push('\'');
            } else if c == quote {
                return Ok((out, i + 1));
            } else if c == '\\' && quote == '"' {
                let Some((_, e)) = chars.next() else { break };
                let len = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                let escaped = match e {
                    '0' => Some('\0'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\x0b'),
                    'f' => Some('\x0c'),
                    'r' => Some('\r'),
                    'e' => Some('\x1b'),
                    ' ' | '"' | '/' | '\\' => Some(e),
                    'N' => Some('\u{85}'),
                    '_' => Some('\u{a0}'),
                    'L' => Some('\u{2028}'),
                    'P' => Some('\u{2029}'),
                    _ if len > 0 => line
                        .get(i + 2..i + 2 + len)
                        .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                        .and_then(|hex| char::from_u32(u32::from_str_radix(hex, 16).ok()?)),
                    _ => None,
                };
                let Some(escaped) = escaped else {
                    let found = line[i..].chars().take(2 + len).collect::<String>();
                    return Err(self.err(
                        i,
                        format!("invalid escape `{found}` in a double-quoted scalar"),
                    ));
                };
                out.push(escaped);
                if len > 0 {
                    chars.nth(len - 1);
                }
            } else {
                out.push(c);
            }
        }
        let kind = if quote == '\'' { "single" } else { "double" };
        let message = format!(
            "unterminated {kind}-quoted scalar (quoted scalars must end on the line they start)"
        );
        Err(self.err(at, message))
    }

    /// Refuses what cannot start a plain scalar at byte `at`: YAML's indicators, among them the
    /// constructs this reader leaves out.
    fn refuse_indicator(&self, at: usize, flow: bool) -> Result<()> {
        let rest = &self.line()[at..];
        let mut chars = rest.chars();
        let c = chars.next().unwrap_or(' ');
        let alone = chars
            .next()
            .is_none_or(|n| WS.contains(&n) || flow && ",[]{}".contains(n));
        let token = rest
            .split(|c: char| WS.contains(&c) || ",[]{}".contains(c))
            .next()
            .unwrap_or(rest);
        let message = match c {
            '&' => format!("anchors are not supported (found `{token}`)"),
            '*' => format!("aliases are not supported (found `{token}`)"),
            '!' => format!("tags are not supported (found `{token}`)"),
            '?' if alone => "complex keys (`? `) are not supported".to_string(),
            '-' | ':' if alone => format!("`{c}` cannot start a plain scalar"),
            ',' | '[' | ']' | '{' | '}' | '#' | '|' | '>' | '%' | '@' | '`' => {
                format!("`{c}` cannot start a plain scalar")
            }
            _ => return Ok(()),
        };
        Err(self.err(at, message))
    }

    fn plain(&self, at: usize, text: &str) -> Result<Value> {
        plain(text).map_err(|message| self.err(at, message))
    }
}

/// Resolves a plain scalar as serde_yaml 0.9 does: the YAML 1.2 core schema
/// (<https://yaml.org/spec/1.2.2/#1023-core-schema>), except that digits with a leading zero
/// (`0123`) stay strings, `0b` binary and signed hex, octal and binary (`-0x1F`) are integers, and
/// integers beyond 64 bits are refused. Infinities and NaN become null: JSON has no such numbers.
/// `yes`, `no`, `on` and dates are strings in YAML 1.2.
fn plain(text: &str) -> std::result::Result<Value, String> {
    Ok(match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Null,
        "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN" | ".NAN" => Value::Null,
        _ => {
            if let Some(int) = integer(text) {
                return int;
            }
            let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
            let leading_zero = unsigned.len() > 1
                && unsigned.starts_with('0')
                && unsigned.bytes().all(|b| b.is_ascii_digit());
            let float = text
                .bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                && !leading_zero;
            match text
                .parse::<f64>()
                .ok()
                .filter(|f| float && f.is_finite())
                .and_then(Number::from_f64)
            {
                Some(number) => Value::Number(number),
                None => Value::String(text.to_string()),
            }
        }
    })
}

/// `text` as an integer if it is written as one: `None` if not, an error if it is out of range.
fn integer(text: &str) -> Option<std::result::Result<Value, String>> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (radix, digits) = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| Some((radix, unsigned.strip_prefix(prefix)?)))
        .unwrap_or((10, unsigned));
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_digit(radix))
        || radix == 10 && digits.len() > 1 && digits.starts_with('0')
    {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok();
    let value = if negative {
        magnitude
            .and_then(|m| i64::try_from(-i128::try_from(m).ok()?).ok())
            .map(Value::from)
    } else {
        magnitude
            .and_then(|m| u64::try_from(m).ok())
            .map(Value::from)
    };
    Some(value.ok_or_else(|| format!("integer `{text}` does not fit in 64 bits")))
}

/// JSON's keys are strings: a scalar key that is not one becomes its JSON text (`200`, `true`).
fn key_string(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// Folds the lines of a `>` scalar: a line break between two lines of text becomes a space, one
/// followed by empty lines becomes those lines' breaks; more-indented lines keep their breaks.
fn fold(lines: &[&str]) -> String {
    let (mut out, mut previous_text, mut empty) = (String::new(), None, 0);
    for line in lines {
        if line.is_empty() {
            empty += 1;
            continue;
        }
        let text = !line.starts_with(WS);
        out.push_str(&match previous_text {
            None => "\n".repeat(empty),
            Some(true) if text && empty == 0 => " ".to_string(),
            Some(true) if text => "\n".repeat(empty),
            Some(_) => "\n".repeat(empty + 1),
        });
        out.push_str(line);
        (previous_text, empty) = (Some(text), 0);
    }
    out
}

/// `---` or `...` opening a line: a document marker, which ends the document.
fn marker(line: &str) -> Option<&str> {
    let found = line.get(..3).filter(|m| *m == "---" || *m == "...")?;
    line[3..]
        .chars()
        .next()
        .is_none_or(|c| WS.contains(&c))
        .then_some(found)
}

/// A block sequence entry: `-` followed by whitespace or the end of the line.
fn is_entry(rest: &str) -> bool {
    rest.strip_prefix('-')
        .is_some_and(|s| s.is_empty() || s.starts_with(WS))
}

fn blank_or_comment(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(WS);
    trimmed.is_empty() || trimmed.starts_with('#')
}

fn skip_ws(line: &str, at: usize) -> usize {
    line.len() - line[at..].trim_start_matches(WS).len()
}

/// Where a comment (`#` after whitespace) starts in `line` from `at`, or the line's end.
fn comment_start(line: &str, at: usize) -> usize {
    let bytes = line.as_bytes();
    (at + 1..line.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .unwrap_or(line.len())
}

/// The `:` that ends a plain key starting at `at` (followed by whitespace or the line's end),
/// unless a comment comes first.
fn find_colon(line: &str, at: usize) -> Option<usize> {
    let end = comment_start(line, at);
    let bytes = line.as_bytes();
    (at..end).find(|&i| {
        bytes[i] == b':' && (i + 1 == line.len() || matches!(bytes[i + 1], b' ' | b'\t'))
    })
}

/// The start of `text` for an error message.
fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The reader this module replaced: serde_yaml, scalar keys turned into their string form.
    fn serde_yaml_json(text: &str) -> Value {
        fn convert(value: serde_yaml::Value) -> Value {
            use serde_yaml::Value as Y;
            match value {
                Y::Null => Value::Null,
                Y::Bool(b) => Value::Bool(b),
                Y::Number(n) => match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => Value::from(i),
                    (_, Some(u)) => Value::from(u),
                    _ => n
                        .as_f64()
                        .and_then(Number::from_f64)
                        .map_or(Value::Null, Value::Number),
                },
                Y::String(s) => Value::String(s),
                Y::Sequence(items) => Value::Array(items.into_iter().map(convert).collect()),
                Y::Mapping(map) => Value::Object(
                    map.into_iter()
                        .map(|(k, v)| (key_string(convert(k)), convert(v)))
                        .collect(),
                ),
                Y::Tagged(tagged) => convert(tagged.value),
            }
        }
        convert(serde_yaml::from_str(text).unwrap_or_else(|e| panic!("serde_yaml: {e}\n{text}")))
    }

    fn ok(text: &str) -> Value {
        parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// Asserts that both readers give `want`.
    fn same(text: &str, want: Value) {
        assert_eq!(ok(text), want, "ours: {text:?}");
        assert_eq!(serde_yaml_json(text), want, "serde_yaml: {text:?}");
    }

    fn refused(text: &str) -> String {
        match parse(text) {
            Ok(value) => panic!("accepted {text:?} as {value}"),
            Err(e) => e.to_string(),
        }
    }

    /// The path to the first place where `a` and `b` differ.
    fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
                x.iter().find_map(|(k, v)| match y.get(k) {
                    Some(w) => difference(v, w, &format!("{path}/{k}")),
                    None => Some(format!("{path}/{k}: missing on one side")),
                })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| difference(v, w, &format!("{path}/{i}"))),
            _ => (a != b).then(|| format!("{path}: {a} != {b}")),
        }
    }

    #[test]
    fn the_specs_and_their_normalised_copies_read_as_with_serde_yaml() {
        for path in [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/smartsend.yaml"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/phygitals.yaml"),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../generated/smartsend.normalised.yaml"
            ),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../generated/phygitals.normalised.yaml"
            ),
        ] {
            let text = std::fs::read_to_string(path).unwrap();
            let (ours, theirs) = (
                parse(&text).unwrap_or_else(|e| panic!("{path}: {e}")),
                serde_yaml_json(&text),
            );
            assert_eq!(difference(&ours, &theirs, ""), None, "{path}");
            assert_eq!(ours, theirs, "{path}");
        }
    }

    #[test]
    fn scalars_resolve_as_serde_yaml_resolves_them() {
        for (text, want) in [
            ("'1'", json!("1")),
            ("1", json!(1)),
            ("\"0.5\"", json!("0.5")),
            ("0.5", json!(0.5)),
            ("1.0", json!(1.0)),
            ("-3", json!(-3)),
            ("+5", json!(5)),
            ("1e3", json!(1000.0)),
            (".5", json!(0.5)),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("-0x1F", json!(-31)),
            ("0123", json!("0123")),
            ("0x", json!("0x")),
            ("1_000", json!("1_000")),
            ("18446744073709551615", json!(u64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            (".inf", Value::Null),
            (".nan", Value::Null),
            ("1e999", json!("1e999")),
            ("3.0.3", json!("3.0.3")),
            ("2026-03-04", json!("2026-03-04")),
            ("yes", json!("yes")),
            ("No", json!("No")),
            ("on", json!("on")),
            ("true", json!(true)),
            ("FALSE", json!(false)),
            ("'true'", json!("true")),
            ("null", Value::Null),
            ("~", Value::Null),
            ("", Value::Null),
            ("'null'", json!("null")),
            ("\"a: b\"", json!("a: b")),
            ("a#b", json!("a#b")),
            ("a #b", json!("a")),
            ("'# not a comment' # a comment", json!("# not a comment")),
            ("https://x/y:8080?q=1", json!("https://x/y:8080?q=1")),
            ("a, b [c] {d}", json!("a, b [c] {d}")),
            ("'it''s'", json!("it's")),
            (
                r#""q\"b\\s\/t\tn\nu\u00e9x\x41U\U0001F600""#,
                json!("q\"b\\s/t\tn\nuéxAU😀"),
            ),
            ("-", Value::Null),
        ] {
            let text = if text == "-" {
                "v:\n".to_string()
            } else {
                format!("v: {text}\n")
            };
            same(&text, json!({ "v": want }));
        }
    }

    #[test]
    fn keys_are_strings() {
        same(
            "200: a\n'201': b\n1.5: c\ntrue: d\n~: e\nkey with spaces: f\n\"q: k\": g\n",
            json!({"200": "a", "201": "b", "1.5": "c", "true": "d", "null": "e", "key with spaces": "f", "q: k": "g"}),
        );
    }

    #[test]
    fn block_collections() {
        let text = "---\n# a comment\nopenapi: 3.0.3   # trailing\ninfo:\n  title: t\n\n  empty:\ntags:\n- a\n- - b\n  - c\n-\n  d: 1\nparams:\n  - name: x\n    schema:\n      type: string\n    list:\n    - 1\n    - 2\n  - in: query\nlast: [ ]\n";
        same(
            text,
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "empty": null},
                "tags": ["a", ["b", "c"], {"d": 1}],
                "params": [{"name": "x", "schema": {"type": "string"}, "list": [1, 2]}, {"in": "query"}],
                "last": [],
            }),
        );
        same("- a\n-\n- c\n", json!(["a", null, "c"]));
        same("", Value::Null);
        same("# only a comment\n", Value::Null);
        same("just text\n", json!("just text"));
    }

    #[test]
    fn flow_collections() {
        same(
            "info: {title: t, version: '1'}\nall: [a, [b, {c: d, e: [f]}], 'g, h', \"i\", 2,]\nref: {$ref: '#/x'}\nmap: {\"a\":1, b: , c}\nempty: [{}, []]\n",
            json!({
                "info": {"title": "t", "version": "1"},
                "all": ["a", ["b", {"c": "d", "e": ["f"]}], "g, h", "i", 2],
                "ref": {"$ref": "#/x"},
                "map": {"a": 1, "b": null, "c": null},
                "empty": [{}, []],
            }),
        );
    }

    #[test]
    fn block_scalars() {
        let text = "a: |\n  one\n    two\n\n  three\n\n\nb: |-\n  x\n\nc: |+\n  y\n\n\nd: >\n  folded\n  line\n\n  next\n    more\n  last\ne: >-\n  one\n  two\nf: |2\n    indented\n  g\ng: |\nh: |\n  # not a comment\n  #\n- |\n  in a seq\n";
        let text = text.replace(
            "- |\n  in a seq\n",
            "i:\n- |\n  in a seq\n- >-\n   deeper\n",
        );
        same(
            &text,
            json!({
                "a": "one\n  two\n\nthree\n",
                "b": "x",
                "c": "y\n\n\n",
                "d": "folded line\nnext\n  more\nlast\n",
                "e": "one two",
                "f": "  indented\ng\n",
                "g": "",
                "h": "# not a comment\n#\n",
                "i": ["in a seq\n", "deeper"],
            }),
        );
        same("|\n text\n", json!("text\n"));
        same(">\n\n a\n b\n\n c\n", json!("\na b\nc\n"));
    }

    #[test]
    fn unsupported_yaml_is_refused_with_its_place() {
        for (text, message) in [
            (
                "a: &x 1\n",
                "line 1, column 4: anchors are not supported (found `&x`)",
            ),
            (
                "a: [1, *x]\n",
                "line 1, column 8: aliases are not supported (found `*x`)",
            ),
            (
                "a: !!str 1\n",
                "line 1, column 4: tags are not supported (found `!!str`)",
            ),
            (
                "a:\n\tb: 1\n",
                "line 2, column 1: a tab in indentation (YAML indents with spaces)",
            ),
            (
                "a:\n  -\tb\n",
                "line 2, column 4: a tab in indentation (YAML indents with spaces)",
            ),
            ("a: 1\nb: 2\na: 3\n", "line 3, column 1: duplicate key `a`"),
            ("1: a\n'1': b\n", "line 2, column 1: duplicate key `1`"),
            ("m: {a: 1, a: 2}\n", "line 1, column 11: duplicate key `a`"),
            (
                "a:\n  b: 1\n    c: 2\n",
                "line 3, column 5: bad indentation: 4 spaces after an entry indented 2 (multi-line plain scalars are not supported)",
            ),
            (
                "a: one\n  two\n",
                "line 2, column 3: bad indentation: 2 spaces after an entry indented 0 (multi-line plain scalars are not supported)",
            ),
            (
                "  a: 1\nb: 2\n",
                "line 2, column 1: expected the end of the document, found `b: 2`",
            ),
            (
                "a: 1\n - b\n",
                "line 2, column 2: bad indentation: 1 spaces after an entry indented 0 (multi-line plain scalars are not supported)",
            ),
            (
                "a: 'x\n",
                "line 1, column 4: unterminated single-quoted scalar (quoted scalars must end on the line they start)",
            ),
            (
                "a: \"x\\\"\n  y\"\n",
                "line 1, column 4: unterminated double-quoted scalar (quoted scalars must end on the line they start)",
            ),
            (
                "a: [1,\n  2]\n",
                "line 1, column 4: unterminated flow sequence (flow collections must close on the line they open)",
            ),
            (
                "a: {b: 1 # c\n  }\n",
                "line 1, column 4: unterminated flow mapping (flow collections must close on the line they open)",
            ),
            (
                "a: 1\n---\nb: 2\n",
                "line 2, column 1: a second document (`---`) is not supported",
            ),
            (
                "a: 1\n...\n",
                "line 2, column 1: the document end marker `...` is not supported",
            ),
            (
                "--- a\n",
                "line 1, column 5: content on the `---` line is not supported",
            ),
            (
                "%YAML 1.2\n---\na: 1\n",
                "line 1, column 1: directives (`%`) are not supported",
            ),
            (
                "? a\n: b\n",
                "line 1, column 1: complex keys (`? `) are not supported",
            ),
            (
                "[a]: b\n",
                "line 1, column 1: complex keys (a collection as a key) are not supported",
            ),
            (
                "a: {[b]: c}\n",
                "line 1, column 5: complex keys (a collection as a key) are not supported",
            ),
            (
                "a: [b: c]\n",
                "line 1, column 6: single-pair mappings in a flow sequence (`[a: b]`) are not supported",
            ),
            (
                "a: b: c\n",
                "line 1, column 5: `: ` in a plain scalar: quote the scalar (a mapping cannot start on this line)",
            ),
            (
                "a: - b\n",
                "line 1, column 4: a block sequence cannot start on the line of its key",
            ),
            (
                "a: 'b' c\n",
                "line 1, column 8: unexpected `c` after the value",
            ),
            (
                "a: \"\\q\"\n",
                "line 1, column 5: invalid escape `\\q` in a double-quoted scalar",
            ),
            (
                "a: \"\\ud800\"\n",
                "line 1, column 5: invalid escape `\\ud800` in a double-quoted scalar",
            ),
            (
                "a: |x\n",
                "line 1, column 4: invalid block scalar header `|x`",
            ),
            (
                "a: 18446744073709551616\n",
                "line 1, column 4: integer `18446744073709551616` does not fit in 64 bits",
            ),
            (
                "a: @b\n",
                "line 1, column 4: `@` cannot start a plain scalar",
            ),
            (
                "- a\nb: c\n",
                "line 2, column 1: expected the end of the document, found `b: c`",
            ),
            (
                "a: 1\n- b\n",
                "line 2, column 1: expected `key: value`, found `- b`",
            ),
        ] {
            assert_eq!(refused(text), message, "{text:?}");
        }
    }
}
