//! Downloading a parcel's documents (labels): `client.download_document(&document)`.
//!
//! A document's `url` may point anywhere: at the API's own host, or (as in Smart Send's examples,
//! `files.smartsend.io`) at a file host. The download follows the rules of every request, with
//! one about credentials:
//!
//! - **The bearer token goes only to the client's own origin** (scheme, host and port of the base
//!   URL). A document on another origin is fetched *without* it: a download link on a file host is
//!   meant to work on its own (like a signed URL), and refusing it would leave production labels
//!   unreachable, while sending the token would hand the API credential to whichever host a
//!   response names. An `http` link from an `https` client is another origin too, so the token
//!   never travels in clear text.
//! - No redirect is followed (the client's HTTP client never follows one): a 3xx is an error of
//!   kind `Redirect` naming the target.
//! - The body is read up to the client's `max_response_body` (32 MiB by default); a larger one is
//!   an error, never a truncated file.
//! - GETs are retried per the client's retry policy, within its deadline.

use std::fmt;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};

use progenitor_client::Error as Raw;

use super::{Client, ResponseValue, types};
use crate::Error;
use crate::runtime::Call;
use crate::runtime::decode::{self, BodyCut};

/// The operation name downloads carry in logs and traces.
const OPERATION: &str = "download_document";

/// A downloaded document: its bytes and the content type the server gave them.
///
/// `Debug` shows the size, not the bytes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedDocument {
    /// The file, whole.
    pub bytes: Bytes,
    /// The `Content-Type` the server sent (e.g. `application/pdf`), if any.
    pub content_type: Option<String>,
}

impl fmt::Debug for DownloadedDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadedDocument")
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Client {
    /// Downloads a parcel document (a label, say) from its `url`.
    ///
    /// The bearer token is sent only when the URL is on the client's own origin (scheme, host
    /// and port of the base URL); a document elsewhere is fetched without it, and without a
    /// Request-ID. A download link on a file host (Smart Send's examples use
    /// `files.smartsend.io`) is meant to work on its own, like a signed URL: refusing it would
    /// leave such labels unreachable, and sending the token would hand the API credential to
    /// whichever host an answer names. An `http` link from an `https` client is another origin,
    /// so the token never travels in clear text.
    ///
    /// Redirects are not followed (a 3xx is an error of kind `Redirect`), the body is capped at
    /// the client's `max_response_body` (a larger file is an error, never a part), and failures
    /// are retried like every GET. A URL that is not `http` or `https` is refused before
    /// sending.
    ///
    /// ```no_run
    /// # async fn demo(client: parcelkit::smartsend::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let team = "ad9546c1-393e-49a5-9a72-5cc146c9bec5";
    /// let shipment = client
    ///     .get_shipment()
    ///     .team(team)
    ///     .shipment(uuid::Uuid::parse_str("550e8400-e29b-41d4-a716-446655440000")?)
    ///     .send()
    ///     .await?
    ///     .into_inner()
    ///     .data;
    /// for document in shipment.parcels.iter().flat_map(|p| &p.documents) {
    ///     let file = client.download_document(document).await?;
    ///     println!("{} {:?}: {} bytes", document.type_, file.content_type, file.bytes.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_document(
        &self,
        document: &types::Document,
    ) -> Result<DownloadedDocument, Error> {
        // As a call of the runtime, like a generated operation, so the error is built the same
        // way.
        let call = self.inner.for_call::<types::Problem>();
        let result = self.download(&call, &document.url).await;
        call.finish(result).map(ResponseValue::into_inner)
    }

    /// The download, as `call`, with progenitor's error, made a [`crate::Error`] by the call's
    /// `finish`.
    async fn download(
        &self,
        call: &Call<'_, types::Problem>,
        url: &str,
    ) -> Result<ResponseValue<DownloadedDocument>, Raw<types::Problem>> {
        let base = reqwest::Url::parse(&self.baseurl)
            .map_err(|e| Raw::InvalidRequest(format!("the base URL does not parse: {e}")))?;
        let url = base.join(url).map_err(|e| {
            Raw::InvalidRequest(format!("document url {}: {e}", without_query(url)))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Raw::InvalidRequest(format!(
                "document url {}: the scheme must be http or https",
                without_query(url.as_str())
            )));
        }
        let same_origin = url.origin() == base.origin();
        let mut request = self.client.get(url).build()?;
        if same_origin {
            // Credential, User-Agent, Request-ID and language, as on every API request.
            self.inner.prepare(&mut request);
        } else {
            // Nothing of the API's: no token, no Request-ID; only who is asking.
            request.headers_mut().insert(
                USER_AGENT,
                HeaderValue::from_static(concat!("parcelkit/", env!("CARGO_PKG_VERSION"))),
            );
        }
        let response = call.execute(&self.client, request, OPERATION).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(if same_origin && !status.is_redirection() {
                // The API's own errors are problem documents.
                Raw::ErrorResponse(decode::error_response(response)?)
            } else {
                Raw::UnexpectedResponse(response)
            });
        }
        let (status, headers, cut, bytes) = decode::take(response)?;
        if let Some(BodyCut { limit }) = cut {
            // A cut file is a corrupt file: refuse it rather than return a part. The runtime
            // recorded the answer without its headers (a success): the error needs them.
            call.record_headers(headers);
            return Err(Raw::InvalidResponsePayload(
                Bytes::new(),
                <serde_json::Error as serde::de::Error>::custom(format!(
                    "the document is larger than the {limit}-byte limit (max_response_body)"
                )),
            ));
        }
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(ResponseValue::new(
            DownloadedDocument {
                bytes,
                content_type,
            },
            status,
            headers,
        ))
    }
}

/// A URL for messages, without its query: a download link's query may be its signature.
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or_default()
}
