//! Resolved settings: command-line overrides layered over the environment and the defaults.
//!
//! Raw flags ([`Flags`]) and what the crawler sees ([`Settings`]) are separate layers; resolution
//! takes an environment lookup closure so it can be tested without touching the process environment.

use crate::error::HubError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// The Hub used when neither `--endpoint` nor `HF_ENDPOINT` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// How long a cached answer is used without asking the Hub again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Repositories fetched in one crawl at most, so that a popular base cannot make a crawl unbounded.
pub const DEFAULT_MAX_NODES: usize = 10_000;
/// Name of the cache database inside the cache directory.
pub const CACHE_FILE: &str = "hub-cache.sqlite3";

/// A Hugging Face access token. Its `Debug` and `Display` never show it, so it cannot leak into
/// logs, error messages or outputs by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token; surrounding whitespace (a trailing newline in the token file) is dropped.
    /// Returns `None` for an empty token.
    pub fn new(token: impl Into<String>) -> Option<Token> {
        let t = token.into().trim().to_string();
        (!t.is_empty()).then_some(Token(t))
    }

    /// The secret itself, for the `Authorization` header only.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the token came from, so a CLI can tell the user without showing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// `--token`.
    Flag,
    /// `HF_TOKEN` (or the legacy `HUGGING_FACE_HUB_TOKEN`).
    Env,
    /// The Hugging Face token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`).
    File,
}

/// How failed requests are retried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt for 5xx, timeouts, resets, truncated bodies and 429.
    pub max_retries: usize,
    /// The first backoff delay (doubled each retry, with jitter).
    pub min_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest wait a 429 may ask for; a longer one makes the repo unreachable at once.
    pub max_rate_limit_wait: Duration,
    /// The time limit of one request, body included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Command-line overrides; `None` and `false` defer to the environment and the defaults.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--endpoint URL`.
    pub endpoint: Option<String>,
    /// `--token TOKEN`.
    pub token: Option<Token>,
    /// `--offline`.
    pub offline: bool,
    /// `--cache-dir DIR`.
    pub cache_dir: Option<PathBuf>,
    /// `--refresh`: revalidate every cached answer.
    pub refresh: bool,
    /// `--concurrency N`.
    pub concurrency: Option<usize>,
    /// Default depth limit of crawls (hops from the roots).
    pub max_depth: Option<usize>,
    /// Repositories fetched per crawl at most.
    pub max_nodes: Option<usize>,
    /// How long cached answers stay fresh.
    pub ttl: Option<Duration>,
    /// `--no-infer`: metadata only (no LICENSE files, README license sections or file evidence).
    pub no_infer: bool,
    /// `--no-hedge`: never send a request twice.
    pub no_hedge: bool,
}

/// Everything the Hub client, the cache and the crawler need, validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The Hub base URL (no trailing `/`); the only host ever contacted.
    pub endpoint: Url,
    /// The access token, sent as `Authorization: Bearer`.
    pub token: Option<Token>,
    /// Where the token came from.
    pub token_source: Option<TokenSource>,
    /// Use only the cache; misses become `unreachable`.
    pub offline: bool,
    /// The directory holding the cache database.
    pub cache_dir: PathBuf,
    /// Revalidate cached answers even when fresh.
    pub refresh: bool,
    /// How long a cached answer is used without a request.
    pub ttl: Duration,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Default depth limit of crawls (`None`: unlimited).
    pub max_depth: Option<usize>,
    /// Repositories fetched per crawl at most.
    pub max_nodes: usize,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
    /// Read evidence beyond the metadata: LICENSE files, the README's license section, quantized
    /// weights among the files (`--no-infer` turns it off).
    pub infer: bool,
    /// Send a stalled request once more beside it and use the first answer (`--no-hedge` turns it
    /// off: every request is sent once, and a stalled one holds its slot until it answers).
    pub hedge: bool,
}

impl Settings {
    /// Settings for `endpoint` with a cache in `cache_dir` and every other value at its default
    /// (no token, online): what tests and library users start from.
    pub fn new(endpoint: &str, cache_dir: impl Into<PathBuf>) -> Result<Settings, HubError> {
        Ok(Settings {
            endpoint: parse_endpoint(endpoint)?,
            token: None,
            token_source: None,
            offline: false,
            cache_dir: cache_dir.into(),
            refresh: false,
            ttl: DEFAULT_TTL,
            concurrency: DEFAULT_CONCURRENCY,
            max_depth: None,
            max_nodes: DEFAULT_MAX_NODES,
            retry: RetryPolicy::default(),
            infer: true,
            hedge: true,
        })
    }

    /// Resolves flags over the environment (`env` looks a variable up) and the defaults, as
    /// huggingface_hub does: endpoint from `--endpoint`, `HF_ENDPOINT`, else huggingface.co; token from
    /// `--token`, `HF_TOKEN`, else the token file; offline from `--offline` or a truthy
    /// `HF_HUB_OFFLINE`. Reads the token file when needed; touches nothing else.
    pub fn resolve(
        flags: &Flags,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, HubError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let endpoint = flags
            .endpoint
            .clone()
            .or_else(|| var("HF_ENDPOINT"))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let endpoint = parse_endpoint(&endpoint)?;

        let (token, token_source) = if let Some(t) = &flags.token {
            (Some(t.clone()), Some(TokenSource::Flag))
        } else if let Some(t) = var("HF_TOKEN")
            .or_else(|| var("HUGGING_FACE_HUB_TOKEN"))
            .and_then(Token::new)
        {
            (Some(t), Some(TokenSource::Env))
        } else {
            match token_path(&var) {
                Some(path) => match read_token_file(&path)? {
                    Some(t) => (Some(t), Some(TokenSource::File)),
                    None => (None, None),
                },
                None => (None, None),
            }
        };

        let offline = flags.offline
            || var("HF_HUB_OFFLINE").is_some_and(|v| is_truthy(&v))
            || var("TRANSFORMERS_OFFLINE").is_some_and(|v| is_truthy(&v));

        let cache_dir = match &flags.cache_dir {
            Some(d) => d.clone(),
            None => dirs::cache_dir()
                .map(|d| d.join("lineage"))
                .ok_or(HubError::NoCacheDir)?,
        };

        let concurrency = flags.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 {
            return Err(HubError::Setting {
                name: "--concurrency",
                why: "must be at least 1".into(),
            });
        }
        let max_nodes = flags.max_nodes.unwrap_or(DEFAULT_MAX_NODES);
        if max_nodes == 0 {
            return Err(HubError::Setting {
                name: "max nodes",
                why: "must be at least 1".into(),
            });
        }

        Ok(Settings {
            endpoint,
            token,
            token_source,
            offline,
            cache_dir,
            refresh: flags.refresh,
            ttl: flags.ttl.unwrap_or(DEFAULT_TTL),
            concurrency,
            max_depth: flags.max_depth,
            max_nodes,
            retry: RetryPolicy::default(),
            infer: !flags.no_infer,
            hedge: !flags.no_hedge,
        })
    }

    /// [`Settings::resolve`] against the process environment.
    pub fn from_env(flags: &Flags) -> Result<Settings, HubError> {
        Settings::resolve(flags, |name| std::env::var(name).ok())
    }

    /// The cache database file.
    pub fn cache_file(&self) -> PathBuf {
        self.cache_dir.join(CACHE_FILE)
    }

    /// The endpoint as a string without a trailing `/`, e.g. `https://huggingface.co`.
    pub fn endpoint_str(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }
}

/// Whether an environment value means "on", as huggingface_hub reads it (`1`, `ON`, `YES`, `TRUE`).
pub fn is_truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_uppercase().as_str(),
        "1" | "ON" | "YES" | "TRUE"
    )
}

/// Parses and checks a Hub base URL: http(s), a host, no credentials, query or fragment; trailing
/// `/` stripped.
pub fn parse_endpoint(raw: &str) -> Result<Url, HubError> {
    let bad = |why: &str| HubError::Endpoint {
        value: raw.to_string(),
        why: why.to_string(),
    };
    let trimmed = raw.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in the URL would end up in cache keys and messages; the token has its own flag.
        return Err(HubError::Endpoint {
            value: "<endpoint with credentials>".into(),
            why: "it carries credentials; pass the token with --token or HF_TOKEN instead".into(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a query or fragment"));
    }
    Ok(url)
}

/// `HF_TOKEN_PATH`, else `$HF_HOME/token`, where `HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`
/// and then `~/.cache/huggingface`.
fn token_path(var: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = var("HF_TOKEN_PATH") {
        return Some(PathBuf::from(p));
    }
    let hf_home = match var("HF_HOME") {
        Some(h) => PathBuf::from(h),
        None => match var("XDG_CACHE_HOME") {
            Some(x) => Path::new(&x).join("huggingface"),
            None => var("HOME")
                .map(PathBuf::from)
                .or_else(dirs::home_dir)?
                .join(".cache")
                .join("huggingface"),
        },
    };
    Some(hf_home.join("token"))
}

/// A missing token file means "no token"; an unreadable one is an error.
fn read_token_file(path: &Path) -> Result<Option<Token>, HubError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Token::new(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HubError::TokenFile {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn flags(dir: &Path) -> Flags {
        Flags {
            cache_dir: Some(dir.to_path_buf()),
            ..Flags::default()
        }
    }

    #[test]
    fn endpoint_precedence_and_trailing_slash() {
        let d = tempfile::tempdir().unwrap();
        let home = d.path().to_str().unwrap();
        let s = Settings::resolve(&flags(d.path()), env(&[("HOME", home)])).unwrap();
        assert_eq!(s.endpoint_str(), "https://huggingface.co");
        let s = Settings::resolve(
            &flags(d.path()),
            env(&[("HOME", home), ("HF_ENDPOINT", "http://127.0.0.1:9/")]),
        )
        .unwrap();
        assert_eq!(s.endpoint_str(), "http://127.0.0.1:9");
        let f = Flags {
            endpoint: Some("https://mirror.example/hf/".into()),
            ..flags(d.path())
        };
        let s = Settings::resolve(&f, env(&[("HOME", home), ("HF_ENDPOINT", "http://x")])).unwrap();
        assert_eq!(s.endpoint_str(), "https://mirror.example/hf");
    }

    #[test]
    fn bad_endpoints_are_rejected_without_echoing_credentials() {
        for bad in ["ftp://x", "not a url", "https://h/?q=1", "https://h/#f"] {
            assert!(parse_endpoint(bad).is_err(), "{bad}");
        }
        let e = parse_endpoint("https://user:hunter2@huggingface.co").unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn token_precedence_flag_env_file() {
        let d = tempfile::tempdir().unwrap();
        let hf_home = d.path().join("hf");
        std::fs::create_dir_all(&hf_home).unwrap();
        std::fs::write(hf_home.join("token"), "hf_file\n").unwrap();
        let h = hf_home.to_str().unwrap();

        let s = Settings::resolve(&flags(d.path()), env(&[("HF_HOME", h)])).unwrap();
        assert_eq!(s.token.as_ref().unwrap().secret(), "hf_file");
        assert_eq!(s.token_source, Some(TokenSource::File));

        let s = Settings::resolve(
            &flags(d.path()),
            env(&[("HF_HOME", h), ("HF_TOKEN", "hf_env")]),
        )
        .unwrap();
        assert_eq!(s.token.as_ref().unwrap().secret(), "hf_env");

        let f = Flags {
            token: Token::new("hf_flag"),
            ..flags(d.path())
        };
        let s = Settings::resolve(&f, env(&[("HF_HOME", h), ("HF_TOKEN", "hf_env")])).unwrap();
        assert_eq!(s.token.as_ref().unwrap().secret(), "hf_flag");
        assert_eq!(s.token_source, Some(TokenSource::Flag));

        let p = d.path().join("elsewhere");
        std::fs::write(&p, "hf_path").unwrap();
        let s = Settings::resolve(
            &flags(d.path()),
            env(&[("HF_HOME", h), ("HF_TOKEN_PATH", p.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(s.token.as_ref().unwrap().secret(), "hf_path");

        let s =
            Settings::resolve(&flags(d.path()), env(&[("HF_HOME", "/nonexistent/hf")])).unwrap();
        assert!(s.token.is_none());
    }

    #[test]
    fn token_is_redacted_everywhere_it_can_be_formatted() {
        let d = tempfile::tempdir().unwrap();
        let f = Flags {
            token: Token::new("hf_supersecret"),
            ..flags(d.path())
        };
        let s = Settings::resolve(&f, env(&[])).unwrap();
        assert!(!format!("{s:?}").contains("hf_supersecret"));
        assert!(!format!("{f:?}").contains("hf_supersecret"));
        assert_eq!(s.token.unwrap().to_string(), "<redacted>");
    }

    #[test]
    fn offline_truthy_values() {
        let d = tempfile::tempdir().unwrap();
        for (v, want) in [
            ("1", true),
            ("on", true),
            ("Yes", true),
            ("TRUE", true),
            ("0", false),
            ("false", false),
            ("", false),
        ] {
            let s = Settings::resolve(
                &flags(d.path()),
                env(&[("HF_HUB_OFFLINE", v), ("HOME", "/x")]),
            )
            .unwrap();
            assert_eq!(s.offline, want, "{v}");
        }
        let f = Flags {
            offline: true,
            ..flags(d.path())
        };
        assert!(
            Settings::resolve(&f, env(&[("HOME", "/x")]))
                .unwrap()
                .offline
        );
    }

    #[test]
    fn zero_concurrency_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let f = Flags {
            concurrency: Some(0),
            ..flags(d.path())
        };
        assert!(matches!(
            Settings::resolve(&f, env(&[("HOME", "/x")])),
            Err(HubError::Setting { .. })
        ));
    }
}
