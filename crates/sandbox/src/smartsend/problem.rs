//! Smart Send's errors: RFC 9457 problem documents (`application/problem+json`), with titles and
//! details in the language the request negotiated (English and Danish).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::spec::FieldError;

/// A language the sandbox has texts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English, the default.
    En,
    /// Danish.
    Da,
}

impl Language {
    /// The tag sent back in `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Da => "da",
        }
    }

    /// RFC 4647 lookup over the `Accept-Language` header: ranges by descending q (ties in order),
    /// each truncated subtag by subtag (`da-DK` then `da`) until one is available; `*` takes the
    /// default; q=0 excludes. Unparsable or absent: English.
    ///
    /// ```
    /// use axum::http::HeaderMap;
    /// use parcelkit_sandbox::smartsend::problem::Language;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("accept-language", "fr-CA, da-DK;q=0.9, en;q=0.8".parse().unwrap());
    /// assert_eq!(Language::negotiate(&headers), Language::Da);
    /// ```
    pub fn negotiate(headers: &HeaderMap) -> Language {
        let Some(value) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Language::En;
        };
        let Some(mut ranges) = language_ranges(value) else {
            return Language::En;
        };
        ranges.retain(|(_, q)| *q > 0);
        // Stable: equal weights keep the header's order.
        ranges.sort_by_key(|(_, q)| std::cmp::Reverse(*q));
        for (range, _) in ranges {
            if range == "*" {
                return Language::En;
            }
            let mut tag = range.to_ascii_lowercase();
            loop {
                match tag.as_str() {
                    "en" => return Language::En,
                    "da" => return Language::Da,
                    _ => {}
                }
                match tag.rfind('-') {
                    Some(cut) => tag.truncate(cut),
                    None => break,
                }
            }
        }
        Language::En
    }
}

/// The ranges of an `Accept-Language` value with their weights in thousandths, read by the
/// sandbox's own reading of RFC 9110 §12.5.4 (a list of `language-range [;q=qvalue]`, empty
/// elements allowed); `None` when any element breaks the grammar.
fn language_ranges(value: &str) -> Option<Vec<(&str, u16)>> {
    let mut ranges = Vec::new();
    for element in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (range, weight) = match element.split_once(';') {
            Some((range, weight)) => (range.trim_end(), Some(weight.trim_start())),
            None => (element, None),
        };
        let subtags_valid = range.split('-').enumerate().all(|(index, subtag)| {
            (1..=8).contains(&subtag.len())
                && subtag.chars().all(|c| {
                    if index == 0 {
                        c.is_ascii_alphabetic()
                    } else {
                        c.is_ascii_alphanumeric()
                    }
                })
        });
        if range != "*" && !subtags_valid {
            return None;
        }
        let q = match weight {
            None => 1000,
            Some(weight) => qvalue(weight.strip_prefix("q=").or(weight.strip_prefix("Q="))?)?,
        };
        ranges.push((range, q));
    }
    Some(ranges)
}

/// `0`, `0.5`, `1.000`: a weight in thousandths (at most three decimals, at most 1).
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The kinds of problem the sandbox reports, each with its status and texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 401: no or unknown bearer token.
    Unauthenticated,
    /// 404: unknown resource, or a team the token is not bound to.
    NotFound,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 400: the body is not JSON.
    MalformedJson,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 400: a header (Idempotency-Key, Request-ID) breaks its pattern.
    InvalidHeader,
    /// 422: the body breaks the spec; `errors` names the fields.
    ValidationFailed,
    /// 422: the shipment is booked already.
    AlreadyBooked,
    /// 422: the batch is not open.
    BatchNotOpen,
    /// 422: the batch has no shipments.
    BatchEmpty,
    /// 422: the Idempotency-Key was used with another payload.
    IdempotencyKeyReused,
    /// 409: a request with this Idempotency-Key is still being processed.
    IdempotencyKeyInProgress,
    /// 500: an injected fault, or a bug.
    InternalError,
    /// 503: an injected fault.
    Unavailable,
    /// 502: an injected fault, before anything was processed.
    BadGateway,
}

impl Kind {
    /// The HTTP status of this kind.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::MalformedJson | Kind::InvalidHeader => StatusCode::BAD_REQUEST,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::ValidationFailed
            | Kind::AlreadyBooked
            | Kind::BatchNotOpen
            | Kind::BatchEmpty
            | Kind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::IdempotencyKeyInProgress => StatusCode::CONFLICT,
            Kind::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::BadGateway => StatusCode::BAD_GATEWAY,
        }
    }

    /// The problem `type`: its own for key reuse (modelled in the spec's `Problem.type`), so a
    /// client tells it from every other 422 without reading prose; `about:blank` otherwise.
    pub fn problem_type(self) -> &'static str {
        match self {
            Kind::IdempotencyKeyReused => {
                "https://docs.smartsend.io/api-reference/idempotency#key-reused"
            }
            _ => "about:blank",
        }
    }

    /// (title, detail) in `language`.
    fn texts(self, language: Language) -> (&'static str, &'static str) {
        use Language::{Da, En};
        match (self, language) {
            (Kind::Unauthenticated, En) => ("Unauthenticated", "A valid bearer token is required."),
            (Kind::Unauthenticated, Da) => {
                ("Ikke godkendt", "Et gyldigt bearer-token er påkrævet.")
            }
            (Kind::NotFound, En) => ("Not Found", "The resource does not exist."),
            (Kind::NotFound, Da) => ("Ikke fundet", "Ressourcen findes ikke."),
            (Kind::MethodNotAllowed, En) => (
                "Method Not Allowed",
                "The method is not allowed for this resource.",
            ),
            (Kind::MethodNotAllowed, Da) => (
                "Metode ikke tilladt",
                "Metoden er ikke tilladt for denne ressource.",
            ),
            (Kind::MalformedJson, En) => ("Bad Request", "The request body is not valid JSON."),
            (Kind::MalformedJson, Da) => (
                "Ugyldig forespørgsel",
                "Forespørgslens indhold er ikke gyldig JSON.",
            ),
            (Kind::PayloadTooLarge, En) => ("Payload Too Large", "The request body is too large."),
            (Kind::PayloadTooLarge, Da) => (
                "For stor forespørgsel",
                "Forespørgslens indhold er for stort.",
            ),
            (Kind::InvalidHeader, En) => ("Bad Request", "A request header is invalid."),
            (Kind::InvalidHeader, Da) => (
                "Ugyldig forespørgsel",
                "En header i forespørgslen er ugyldig.",
            ),
            (Kind::ValidationFailed, En) => ("Unprocessable Entity", "The given data was invalid."),
            (Kind::ValidationFailed, Da) => {
                ("Data kan ikke behandles", "De angivne data er ugyldige.")
            }
            (Kind::AlreadyBooked, En) => {
                ("Unprocessable Entity", "The shipment is already booked.")
            }
            (Kind::AlreadyBooked, Da) => (
                "Data kan ikke behandles",
                "Forsendelsen er allerede booket.",
            ),
            (Kind::BatchNotOpen, En) => ("Unprocessable Entity", "The booking batch is not open."),
            (Kind::BatchNotOpen, Da) => ("Data kan ikke behandles", "Bookingbatchen er ikke åben."),
            (Kind::BatchEmpty, En) => (
                "Unprocessable Entity",
                "The booking batch has no shipments.",
            ),
            (Kind::BatchEmpty, Da) => (
                "Data kan ikke behandles",
                "Bookingbatchen har ingen forsendelser.",
            ),
            (Kind::IdempotencyKeyReused, En) => (
                "Unprocessable Entity",
                "The Idempotency-Key was already used with a different request payload.",
            ),
            (Kind::IdempotencyKeyReused, Da) => (
                "Data kan ikke behandles",
                "Idempotency-Key er allerede brugt med et andet indhold.",
            ),
            (Kind::IdempotencyKeyInProgress, En) => (
                "Conflict",
                "A request with this Idempotency-Key is still being processed; retry later.",
            ),
            (Kind::IdempotencyKeyInProgress, Da) => (
                "Konflikt",
                "En forespørgsel med denne Idempotency-Key behandles stadig; prøv igen senere.",
            ),
            (Kind::InternalError, En) => ("Internal Server Error", "Something went wrong."),
            (Kind::InternalError, Da) => ("Intern serverfejl", "Noget gik galt."),
            (Kind::Unavailable, En) => (
                "Service Unavailable",
                "The service is temporarily unavailable.",
            ),
            (Kind::Unavailable, Da) => (
                "Tjenesten er utilgængelig",
                "Tjenesten er midlertidigt utilgængelig.",
            ),
            (Kind::BadGateway, En) => (
                "Bad Gateway",
                "An upstream service failed; nothing was processed.",
            ),
            (Kind::BadGateway, Da) => (
                "Fejl i gateway",
                "En bagvedliggende tjeneste fejlede; intet blev behandlet.",
            ),
        }
    }
}

/// A problem response under construction.
///
/// ```
/// use parcelkit_sandbox::smartsend::problem::{Kind, Language, Problem};
///
/// let response = Problem::new(Kind::AlreadyBooked, Language::Da)
///     .instance("/api/v2/team/t/shipments/s/booking")
///     .into_response_parts();
/// assert_eq!(response.0.as_u16(), 422);
/// assert_eq!(response.1["detail"], "Forsendelsen er allerede booket.");
/// ```
#[derive(Debug, Clone)]
pub struct Problem {
    kind: Kind,
    language: Language,
    detail: Option<String>,
    instance: Option<String>,
    errors: BTreeMap<String, Vec<String>>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem of `kind`, in `language`.
    pub fn new(kind: Kind, language: Language) -> Problem {
        Problem {
            kind,
            language,
            detail: None,
            instance: None,
            errors: BTreeMap::new(),
            headers: Vec::new(),
        }
    }

    /// Replaces the kind's standard detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    /// The request path this occurrence concerns.
    pub fn instance(mut self, instance: impl Into<String>) -> Problem {
        self.instance = Some(instance.into());
        self
    }

    /// Adds the messages of failed fields (`parcels.0.gross_weight` -> message).
    pub fn field_errors(mut self, errors: &[FieldError]) -> Problem {
        for error in errors {
            let field = if error.path.is_empty() {
                "body"
            } else {
                &error.path
            };
            self.errors
                .entry(field.to_owned())
                .or_default()
                .push(error.message.clone());
        }
        self
    }

    /// Adds a response header (`Retry-After`, `Allow`, ...).
    pub fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }

    /// The status and the problem document.
    pub fn into_response_parts(self) -> (StatusCode, serde_json::Value) {
        let (title, standard_detail) = self.kind.texts(self.language);
        let mut body = json!({
            "type": self.kind.problem_type(),
            "title": title,
            "status": self.kind.status().as_u16(),
            "detail": self.detail.as_deref().unwrap_or(standard_detail),
        });
        if let Some(instance) = &self.instance {
            body["instance"] = json!(instance);
        }
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        (self.kind.status(), body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let language = self.language;
        let headers = std::mem::take(&mut self.headers.clone());
        let (status, body) = self.into_response_parts();
        let mut response = (status, body.to_string()).into_response();
        let out = response.headers_mut();
        out.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        out.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(language.tag()),
        );
        for (name, value) in headers {
            out.insert(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiated(value: &str) -> Language {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        Language::negotiate(&headers)
    }

    #[test]
    fn accept_language_is_read_by_the_sandboxs_own_grammar() {
        assert_eq!(negotiated("da"), Language::Da);
        assert_eq!(negotiated("fr, da-DK;q=0.5, en;q=0.4"), Language::Da);
        assert_eq!(
            negotiated("en;q=0.5, da;q=0.500"),
            Language::En,
            "ties keep order"
        );
        assert_eq!(
            negotiated(" , da-DK ;q=1.000,"),
            Language::Da,
            "empty elements"
        );
        assert_eq!(negotiated("da;q=0, en;q=0.1"), Language::En, "q=0 excludes");
        assert_eq!(negotiated("*;q=0.9, da;q=0.8"), Language::En);
        // Broken: whole header unparsable, so the default.
        for broken in [
            "da;q=5",
            "da;q=0.1234",
            "da;;",
            "dansk-sprog-99999999x",
            "d@",
        ] {
            assert_eq!(language_ranges(broken), None, "{broken}");
            assert_eq!(
                negotiated(&format!("{broken}, da")),
                Language::En,
                "{broken}"
            );
        }
        assert_eq!(
            language_ranges("da-DK, en;q=0.8"),
            Some(vec![("da-DK", 1000), ("en", 800)])
        );
    }
}
