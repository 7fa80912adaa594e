//! What the fake Hub saw, for tests to assert on.

/// One request as received, recorded before any fault or latency is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `HEAD`, ...
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded), e.g. `/api/models?filter=base_model:a%2Fb`.
    pub path: String,
    /// The `Authorization` header value, if any (e.g. `Bearer hf_xxx`).
    pub authorization: Option<String>,
}

impl RequestRecord {
    /// The path without the query string.
    pub fn path_only(&self) -> &str {
        self.path.split_once('?').map_or(&self.path, |(p, _)| p)
    }
}
