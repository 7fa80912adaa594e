//! HTTP: one GET against the configured Hub, with the token as a Bearer header, redirects left to the
//! caller, and bounded retries (backoff with jitter for 5xx, timeouts, resets and truncated bodies;
//! the server's own wait for 429).

use crate::error::HubError;
use crate::observe::{Event, Observer};
use crate::settings::{RetryPolicy, Settings, Token};
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, IF_NONE_MATCH, USER_AGENT};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use url::Url;

/// Largest answer read; a card or listing page is far smaller, so more means something is wrong.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Longest error message kept from an answer.
const MAX_MESSAGE: usize = 300;

/// What the Hub answered, after any retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 200 with its body.
    Ok {
        /// The body, complete (and valid JSON when JSON was asked for).
        body: Vec<u8>,
        /// The `ETag`, for revalidation.
        etag: Option<String>,
        /// The `Link: <...>; rel="next"` target, on listing pages.
        next: Option<String>,
    },
    /// 304: the cached answer is still current.
    NotModified,
    /// A 3xx with its `Location`, as sent (possibly relative).
    Redirect(String),
    /// A 4xx other than 408/429: the Hub's answer about this repo.
    Refused {
        /// The status.
        status: u16,
        /// `X-Error-Code`, if any (`RepoNotFound`, `GatedRepo`, ...).
        code: Option<String>,
        /// `X-Error-Message` or the body's `error`.
        message: String,
    },
}

/// Why no answer could be had after the retries; the text is safe to show (no token in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure(pub String);

/// Why one attempt failed.
#[derive(Debug)]
enum AttemptError {
    /// Worth another try after the backoff delay.
    Transient(String),
    /// The endpoint could not be reached at all (DNS failure, connection refused): worth one more
    /// try, in case it was a blip, and no more: retrying a dead host only delays the answer.
    Unreachable(String),
    /// 429: try again after this long.
    RateLimited(String, Duration),
    /// Not worth retrying.
    Fatal(String),
}

impl AttemptError {
    fn retryable(&self) -> bool {
        !matches!(self, AttemptError::Fatal(_))
    }

    fn into_why(self) -> String {
        match self {
            AttemptError::Transient(w)
            | AttemptError::Unreachable(w)
            | AttemptError::RateLimited(w, _)
            | AttemptError::Fatal(w) => w,
        }
    }
}

/// The HTTP client of one [`crate::Hub`]. Counts every request it sends.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    token: Option<Token>,
    retry: RetryPolicy,
    requests: AtomicU64,
    /// Until when (milliseconds since the client was made) the Hub asked to wait (429).
    waiting_until: AtomicU64,
    made: std::time::Instant,
}

impl Client {
    /// A client for the settings' endpoint, token and retry policy.
    pub fn new(settings: &Settings) -> Result<Client, HubError> {
        let http = reqwest::Client::builder()
            // Redirects are followed by the crawler, which records renames and refuses other hosts.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.retry.timeout)
            .connect_timeout(settings.retry.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(settings.concurrency.max(1))
            .build()
            .map_err(|e| HubError::Http(error_chain(&e)))?;
        Ok(Client {
            http,
            token: settings.token.clone(),
            retry: settings.retry.clone(),
            requests: AtomicU64::new(0),
            waiting_until: AtomicU64::new(0),
            made: std::time::Instant::now(),
        })
    }

    /// Requests sent so far (each retry counts).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Whether a request is waiting out a rate limit (429) now: no request should be added then.
    pub fn rate_limited(&self) -> bool {
        let now = self.made.elapsed().as_millis() as u64;
        self.waiting_until.load(Ordering::Relaxed) > now
    }

    /// Whether requests carry a token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// GETs `url`, retrying transient failures. `etag` makes it conditional; `json` makes a body that
    /// is not valid JSON count as truncated (and so be retried).
    pub async fn get(
        &self,
        url: &Url,
        etag: Option<&str>,
        json: bool,
        observer: &dyn Observer,
    ) -> Result<Answer, Failure> {
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.retry.min_delay)
            .with_max_delay(self.retry.max_delay)
            .with_max_times(self.retry.max_retries);
        let unreachable = AtomicU64::new(0);
        let result = (|| self.attempt(url, etag, json))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e| match e {
                AttemptError::Unreachable(_) => unreachable.fetch_add(1, Ordering::Relaxed) < 1,
                e => e.retryable(),
            })
            .adjust(|e, delay| match (e, delay) {
                // The backoff decides whether another try is left; the Hub decides how long to wait.
                (AttemptError::RateLimited(_, wait), Some(_)) => {
                    observer.event(&Event::Waiting { wait: *wait });
                    let until = (self.made.elapsed() + *wait).as_millis() as u64;
                    self.waiting_until.fetch_max(until, Ordering::Relaxed);
                    Some(*wait)
                }
                (_, d) => d,
            })
            .await;
        result.map_err(|e| Failure(self.scrub(e.into_why())))
    }

    /// Removes the token from a text, should a server or a library ever echo it.
    fn scrub(&self, s: String) -> String {
        match &self.token {
            Some(t) if s.contains(t.secret()) => s.replace(t.secret(), "<redacted>"),
            _ => s,
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        etag: Option<&str>,
        json: bool,
    ) -> Result<Answer, AttemptError> {
        let mut req = self
            .http
            .get(url.clone())
            .header(USER_AGENT, concat!("lineage/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, if json { "application/json" } else { "*/*" });
        if let Some(t) = &self.token {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", t.secret())).map_err(|_| {
                AttemptError::Fatal(
                    "the token contains characters an HTTP header cannot carry".into(),
                )
            })?;
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        if let Some(e) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
            req = req.header(IF_NONE_MATCH, e);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| {
            if e.is_connect() && !e.is_timeout() {
                AttemptError::Unreachable(describe(&e))
            } else {
                AttemptError::Transient(describe(&e))
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match status {
            200 => {
                let body = read_body(resp).await?;
                if json && serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
                    return Err(AttemptError::Transient(
                        "the answer was cut short (truncated or invalid JSON)".into(),
                    ));
                }
                Ok(Answer::Ok {
                    body,
                    etag: header(&headers, "etag"),
                    next: header(&headers, "link").and_then(|l| next_link(&l)),
                })
            }
            304 => Ok(Answer::NotModified),
            301 | 302 | 303 | 307 | 308 => match header(&headers, "location") {
                Some(loc) => Ok(Answer::Redirect(loc)),
                None => Err(AttemptError::Fatal(format!(
                    "the Hub answered HTTP {status} without a Location"
                ))),
            },
            429 => {
                let why = "rate limited by the Hub (HTTP 429)".to_string();
                match rate_limit_wait(&headers) {
                    Some(wait) if wait > self.retry.max_rate_limit_wait => Err(AttemptError::Fatal(format!(
                        "rate limited by the Hub for {} s more (longer than the {} s this crawl waits); \
                         send a token (HF_TOKEN) or try again later",
                        wait.as_secs(),
                        self.retry.max_rate_limit_wait.as_secs()
                    ))),
                    Some(wait) => Err(AttemptError::RateLimited(why, wait)),
                    None => Err(AttemptError::Transient(why)),
                }
            }
            408 | 500..=599 => {
                let message = error_message(&headers, &read_body(resp).await.unwrap_or_default());
                Err(AttemptError::Transient(format!(
                    "the Hub answered HTTP {status}{message}"
                )))
            }
            _ => {
                let body = read_body(resp).await.unwrap_or_default();
                let message = error_message(&headers, &body);
                Ok(Answer::Refused {
                    status,
                    code: header(&headers, "x-error-code"),
                    message: message.trim_start_matches(": ").to_string(),
                })
            }
        }
    }
}

/// Reads a body completely, up to [`MAX_BODY`]; a connection that ends early is a truncation.
async fn read_body(mut resp: reqwest::Response) -> Result<Vec<u8>, AttemptError> {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(AttemptError::Fatal(format!(
                        "the answer is larger than {} MiB",
                        MAX_BODY / (1024 * 1024)
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(AttemptError::Transient(format!(
                    "the answer was cut short ({})",
                    describe(&e)
                )))
            }
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `: <message>` from `X-Error-Message` or the body's `error` (string or list), else empty.
fn error_message(headers: &HeaderMap, body: &[u8]) -> String {
    let from_body = || -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        match v.get("error")? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => Some(
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => Some(other.to_string()),
        }
    };
    let msg = header(headers, "x-error-message").or_else(from_body);
    match msg {
        Some(m) => {
            let m: String = m
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_MESSAGE)
                .collect();
            format!(": {m}")
        }
        None => String::new(),
    }
}

/// How long a 429 asks to wait: the `RateLimit` reset when it says `r=0`, else an integer
/// `Retry-After` (huggingface_hub's reading; HTTP dates are not used by the Hub).
pub(crate) fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    for value in headers.get_all("ratelimit") {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut remaining = None;
            let mut reset = None;
            for param in item.split(';').skip(1) {
                match param.trim().split_once('=') {
                    Some(("r", v)) => remaining = v.trim().parse::<u64>().ok(),
                    Some(("t", v)) => reset = v.trim().parse::<u64>().ok(),
                    _ => {}
                }
            }
            if let (Some(0), Some(t)) = (remaining, reset) {
                return Some(Duration::from_secs(t));
            }
        }
    }
    header(headers, "retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The `rel="next"` target of a `Link` header.
pub(crate) fn next_link(link: &str) -> Option<String> {
    let mut rest = link;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let end = after.find('>')?;
        let target = &after[..end];
        let params_end = after[end..].find('<').map_or(after.len(), |i| end + i);
        let params = &after[end + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &after[params_end..];
    }
    None
}

/// A reqwest error in words, without its URL (the crawler says which repo) and with its causes.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection ended before the whole answer arrived"
    } else if e.is_request() {
        "the request failed"
    } else {
        "network error"
    };
    let chain = error_chain(e);
    if chain.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {chain}")
    }
}

/// The causes of an error, joined; the top level of a reqwest error is replaced by its kind.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderName;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn rate_limit_headers() {
        let h = headers(&[("RateLimit", "\"api\";r=0;t=55"), ("Retry-After", "7")]);
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(55)));
        // Remaining quota: the reset time is not a wait; fall back to Retry-After.
        let h = headers(&[("RateLimit", "\"api\";r=3;t=55"), ("Retry-After", "7")]);
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(7)));
        let h = headers(&[("RateLimit", "\"pages\";r=5;t=1, \"api\";r=0;t=9")]);
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(9)));
        let h = headers(&[("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(rate_limit_wait(&h), None);
        assert_eq!(
            rate_limit_wait(&headers(&[("RateLimit", "garbage;;;=")])),
            None
        );
    }

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link("<https://hf.co/api/models?cursor=abc&limit=2>; rel=\"next\"").as_deref(),
            Some("https://hf.co/api/models?cursor=abc&limit=2")
        );
        assert_eq!(
            next_link("<https://x/p?a=1,2>; rel=\"prev\", <https://x/n?filter=a,b>; rel=\"next\"")
                .as_deref(),
            Some("https://x/n?filter=a,b")
        );
        assert_eq!(next_link("<https://x/p>; rel=prev"), None);
        assert_eq!(next_link("garbage <unclosed"), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn error_messages() {
        let h = headers(&[("X-Error-Message", "Repository not found")]);
        assert_eq!(error_message(&h, b""), ": Repository not found");
        assert_eq!(
            error_message(&HeaderMap::new(), br#"{"error":["a","b"]}"#),
            ": a; b"
        );
        assert_eq!(error_message(&HeaderMap::new(), b"<html>"), "");
    }
}
