//! Bad input never crashes the sandbox or earns a 5xx: every operation of both specs, sent
//! broken bodies, wrong types and odd path values, answers a 4xx in its API's own error format
//! (or a success where the input happens to be acceptable).

use parcelkit_codegen::spec_walk::operations;
use parcelkit_sandbox::spec::SpecApi;
use parcelkit_sandbox::{Sandbox, SandboxConfig};

const BODIES: [&str; 9] = [
    "",
    "{",
    "null",
    "[]",
    "42",
    "\"text\"",
    r#"{"unexpected": true}"#,
    r#"{"item_ids": 5, "quote_id": [], "data": {}, "parcels": "many", "currency": 7}"#,
    "\u{0}\u{1}binary\u{ff}",
];

/// The spec path with every `{param}` replaced by `value`.
fn concrete(template: &str, value: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                value
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn no_bad_input_gets_a_5xx_or_a_foreign_error_format() {
    let handle = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = reqwest::Client::new();
    // Deeper than serde_json's recursion limit.
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let mut checked = 0;
    let mut problems = Vec::new();
    for api in [SpecApi::SmartSend, SpecApi::Phygitals] {
        let base = match api {
            SpecApi::SmartSend => handle.smartsend_url(),
            SpecApi::Phygitals => handle.phygitals_url(),
        };
        for op in operations(api.spec()) {
            for param in ["sandbox-team", "%00", "..", "x".repeat(300).as_str(), "ä"] {
                // Smart Send's team must stay the caller's, or every answer is the auth 404.
                let path = concrete(op.path, param).replacen(
                    &format!("/team/{param}"),
                    "/team/sandbox-team",
                    1,
                );
                for body in BODIES.iter().copied().chain([deep.as_str()]) {
                    let response = client
                        .request(
                            reqwest::Method::from_bytes(op.method.to_uppercase().as_bytes())
                                .unwrap(),
                            format!("{base}{path}"),
                        )
                        .bearer_auth(SandboxConfig::DEFAULT_TOKEN)
                        .header("x-api-key", "sandbox-hardening")
                        .header("content-type", "application/json")
                        .body(body.to_owned())
                        .send()
                        .await
                        .expect("the sandbox answers");
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    let text = response.text().await.unwrap();
                    let what = format!("{} {} {path} {:.40?}", api.name(), op.label, body);
                    if status >= 500 {
                        problems.push(format!("{what}: {status} {text}"));
                    } else if status >= 400 {
                        let json: serde_json::Value =
                            serde_json::from_str(&text).unwrap_or_default();
                        let own_format = match api {
                            SpecApi::SmartSend => {
                                content_type == "application/problem+json"
                                    && json["status"] == status
                            }
                            SpecApi::Phygitals => json["error"].is_string(),
                        };
                        if !own_format {
                            problems.push(format!(
                                "{what}: {status} in another format: {content_type} {text}"
                            ));
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(checked, 27 * 5 * 10);
}
