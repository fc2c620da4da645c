//! The two specs (normalised), compiled into the binary, and validation against them: request
//! bodies are checked field by field (the errors become problem documents or `{"error"}` bodies),
//! and, when asked, every response is checked against the schema the spec gives for its status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// One of the two APIs the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecApi {
    /// Smart Send API v2.
    SmartSend,
    /// Phygitals Partner API.
    Phygitals,
}

impl SpecApi {
    /// The short name (`smartsend`, `phygitals`): ledger key and URL prefix.
    pub fn name(self) -> &'static str {
        match self {
            SpecApi::SmartSend => "smartsend",
            SpecApi::Phygitals => "phygitals",
        }
    }

    /// The normalised spec as `cargo xtask regen` wrote it (CI holds it current), so the sandbox
    /// serves what the generated client was made from without linking the generator. rustc
    /// records an included file, so editing it rebuilds this crate.
    fn text(self) -> (&'static str, &'static str) {
        match self {
            SpecApi::SmartSend => (
                "generated/smartsend.normalised.yaml",
                include_str!("../../../generated/smartsend.normalised.yaml"),
            ),
            SpecApi::Phygitals => (
                "generated/phygitals.normalised.yaml",
                include_str!("../../../generated/phygitals.normalised.yaml"),
            ),
        }
    }

    /// The spec, normalised as the generator saw it, as JSON.
    pub fn spec(self) -> &'static Value {
        static SPECS: [OnceLock<Value>; 2] = [OnceLock::new(), OnceLock::new()];
        SPECS[self as usize].get_or_init(|| {
            let (path, text) = self.text();
            parcelkit_codegen::yaml_to_json(text)
                .unwrap_or_else(|e| panic!("{path} is written by `cargo xtask regen`: {e}"))
        })
    }

    /// Checks `value` against the component schema `name`.
    pub fn validate_component(self, name: &str, value: &Value) -> Result<(), Vec<FieldError>> {
        self.validate(
            &serde_json::json!({ "$ref": format!("#/components/schemas/{name}") }),
            value,
        )
    }

    /// Checks `value` against `schema` (any schema of the spec). Every violation is reported
    /// with the field it concerns.
    pub fn validate(self, schema: &Value, value: &Value) -> Result<(), Vec<FieldError>> {
        let validator = self.validator(schema);
        let errors: Vec<FieldError> = validator
            .iter_errors(value)
            .map(|e| FieldError {
                path: dotted(&e.instance_path().to_string()),
                message: e.to_string(),
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Checks a header's value against the schema of the spec's parameter `parameter` (a key of
    /// `components/parameters`, e.g. `IdempotencyKey`): the spec's own rule, not the client's
    /// code, so the sandbox judges what a client sends. The error names the header and the rule.
    ///
    /// ```
    /// use parcelkit_sandbox::spec::SpecApi;
    ///
    /// assert!(SpecApi::SmartSend.validate_header("RequestId", "trace-42").is_ok());
    /// let error = SpecApi::SmartSend.validate_header("IdempotencyKey", "short").unwrap_err();
    /// assert!(error.starts_with("Idempotency-Key: "), "{error}");
    /// assert!(error.contains("shorter than 16 characters"), "{error}");
    /// ```
    pub fn validate_header(self, parameter: &str, value: &str) -> Result<(), String> {
        let validator = self.header_validator(parameter);
        let value = Value::String(value.to_owned());
        if validator.is_valid(&value) {
            return Ok(());
        }
        let rules: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        Err(format!(
            "{}: {}",
            self.header_name(parameter),
            rules.join("; ")
        ))
    }

    /// The validator of parameter `parameter`'s schema, found by the parameter's name: headers
    /// are checked on every request, so this skips [`SpecApi::validator`]'s keying by the
    /// schema's text.
    fn header_validator(self, parameter: &str) -> Arc<jsonschema::Validator> {
        static CACHE: [OnceLock<HeaderValidators>; 2] = [OnceLock::new(), OnceLock::new()];
        let cache = CACHE[self as usize].get_or_init(Default::default);
        if let Some(found) = cache.lock().expect("header validator cache").get(parameter) {
            return found.clone();
        }
        let declared = &self.spec()["components"]["parameters"][parameter];
        let validator = self.validator(&declared["schema"]);
        cache
            .lock()
            .expect("header validator cache")
            .insert(parameter.to_owned(), validator.clone());
        validator
    }

    /// [`SpecApi::validate_header`] for a header as received (which may not even be text):
    /// the value, or what is wrong with it, naming the header.
    pub fn checked_header(
        self,
        parameter: &str,
        value: &axum::http::HeaderValue,
    ) -> Result<String, String> {
        let text = value
            .to_str()
            .map_err(|_| format!("{}: not ASCII", self.header_name(parameter)))?;
        self.validate_header(parameter, text)?;
        Ok(text.to_owned())
    }

    /// The header's name as the spec's parameter `parameter` gives it (`Idempotency-Key`).
    fn header_name(self, parameter: &str) -> &str {
        self.spec()["components"]["parameters"][parameter]["name"]
            .as_str()
            .unwrap_or(parameter)
    }

    fn validator(self, schema: &Value) -> Arc<jsonschema::Validator> {
        static CACHE: OnceLock<ValidatorCache> = OnceLock::new();
        let key = (self, schema.to_string());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(found) = cache.lock().expect("validator cache").get(&key) {
            return found.clone();
        }
        let json_schema = parcelkit_codegen::json_schema::to_json_schema(self.spec(), schema);
        let validator = Arc::new(
            jsonschema::options()
                .should_validate_formats(true)
                .build(&json_schema)
                .unwrap_or_else(|e| panic!("a schema of the embedded spec does not compile: {e}")),
        );
        cache
            .lock()
            .expect("validator cache")
            .insert(key, validator.clone());
        validator
    }

    /// The schema of the response `status` of the operation at `path` (a spec path template,
    /// e.g. `/team/{team}/shipments`) and `method`, if the spec gives one with a JSON body.
    pub fn response_schema(self, path: &str, method: &str, status: u16) -> Option<&'static Value> {
        let operation = &self.spec()["paths"][path][method.to_ascii_lowercase()];
        let responses = operation.get("responses")?;
        let class = format!("{}XX", status / 100);
        let response = responses
            .get(status.to_string())
            .or_else(|| responses.get(&class))
            .or_else(|| responses.get("default"))?;
        let response = parcelkit_codegen::spec_walk::resolve(self.spec(), response);
        response["content"]["application/json"].get("schema")
    }

    /// The `operationId` of `method` on `path` (a spec path template).
    pub fn operation_id(self, path: &str, method: &str) -> Option<&'static str> {
        self.spec()["paths"][path][method.to_ascii_lowercase()]["operationId"].as_str()
    }
}

impl SpecApi {
    /// The spec path template that `path` (below the API's prefix) is an instance of, preferring
    /// literal segments over parameters (`/shipments/booking` over `/shipments/{shipment}`).
    ///
    /// ```
    /// use parcelkit_sandbox::spec::SpecApi;
    /// assert_eq!(
    ///     SpecApi::SmartSend.path_template("/team/t1/shipments/booking"),
    ///     Some("/team/{team}/shipments/booking")
    /// );
    /// assert_eq!(SpecApi::SmartSend.path_template("/team/t1/nowhere"), None);
    /// ```
    pub fn path_template(self, path: &str) -> Option<&'static str> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.spec()["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                    } else if part == segment {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, template.as_str()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, template)| template)
    }

    /// The methods the spec defines on `template`, upper-case, for an `Allow` header.
    pub fn methods(self, template: &str) -> Vec<String> {
        parcelkit_codegen::spec_walk::METHODS
            .iter()
            .filter(|m| self.spec()["paths"][template].get(**m).is_some())
            .map(|m| m.to_ascii_uppercase())
            .collect()
    }
}

/// Compiled validators by (API, schema): compiling one costs far more than using it.
type ValidatorCache = Mutex<HashMap<(SpecApi, String), Arc<jsonschema::Validator>>>;
/// Header validators of one API, by parameter name.
type HeaderValidators = Mutex<HashMap<String, Arc<jsonschema::Validator>>>;

/// One violation of the spec by a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as a dotted path into the body (`parcels.0.gross_weight`; empty for the body).
    pub path: String,
    /// What is wrong, in the validator's words.
    pub message: String,
}

/// `/parcels/0/gross_weight` as `parcels.0.gross_weight`.
fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_embedded_specs_load() {
        assert_eq!(SpecApi::SmartSend.spec()["openapi"], "3.0.3");
        assert_eq!(SpecApi::Phygitals.spec()["openapi"], "3.0.3");
    }

    #[test]
    fn a_violation_names_its_field_as_a_dotted_path() {
        let mut body =
            SpecApi::SmartSend.spec()["components"]["schemas"]["ShipmentRequest"]["example"]
                .clone();
        body["parcels"][0]["gross_weight"] = json!("heavy");
        let errors = SpecApi::SmartSend
            .validate_component("ShipmentRequest", &body)
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "parcels.0.gross_weight");
    }

    #[test]
    fn response_schemas_are_found_by_status() {
        let s = SpecApi::SmartSend
            .response_schema("/team/{team}/shipments/{shipment}", "GET", 200)
            .unwrap();
        assert_eq!(s["$ref"], "#/components/schemas/ShipmentEnvelope");
        assert_eq!(
            SpecApi::Phygitals.operation_id("/api/v1/ship/quote", "POST"),
            Some("quote_shipping")
        );
    }
}
