//! Which server and credentials a command talks to: flags, else the environment, else the
//! production base URL. Credentials are never printed (clap hides their environment values).

use crate::Failure;

/// Connection flags of `parcelkit smartsend ...`.
#[derive(Debug, Clone, clap::Args)]
pub struct SmartsendConnection {
    /// Base URL (default: production, https://app.smartsend.io/api/v2).
    #[arg(long, env = "SMARTSEND_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Bearer token.
    #[arg(long, env = "SMARTSEND_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
}

/// Connection flags of `parcelkit phygitals ...`.
#[derive(Debug, Clone, clap::Args)]
pub struct PhygitalsConnection {
    /// Base URL (default: production, https://api.phygitals.com).
    #[arg(long, env = "PHYGITALS_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// API key (`sandbox-...` for the vendor's sandbox).
    #[arg(long, env = "PHYGITALS_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
}

impl SmartsendConnection {
    /// A client for these flags.
    pub fn client(&self) -> Result<parcelkit::smartsend::Client, Failure> {
        let mut builder = parcelkit::smartsend::Client::builder().user_agent(USER_AGENT);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        let token = self.token.as_deref().ok_or_else(|| {
            Failure::Usage("no Smart Send token: pass --token or set SMARTSEND_TOKEN".into())
        })?;
        builder
            .token(token)
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))
    }
}

impl PhygitalsConnection {
    /// A client for these flags.
    pub fn client(&self) -> Result<parcelkit::phygitals::Client, Failure> {
        let mut builder = parcelkit::phygitals::Client::builder().user_agent(USER_AGENT);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url);
        }
        let key = self.api_key.as_deref().ok_or_else(|| {
            Failure::Usage("no Phygitals API key: pass --api-key or set PHYGITALS_API_KEY".into())
        })?;
        builder
            .api_key(key)
            .build()
            .map_err(|e| Failure::Usage(e.to_string()))
    }
}

/// What the CLI calls itself in User-Agent (parcelkit appends its own version).
const USER_AGENT: &str = concat!("parcelkit-cli/", env!("CARGO_PKG_VERSION"));
