//! Injectable failures: what goes wrong, for which requests, and how many times.

use std::fmt;
use std::time::Duration;

use crate::repo::RepoKind;

/// A failure the fake Hub answers with instead of (or, for [`Fault::Slow`], before) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 404, `X-Error-Code: RepoNotFound`, body `{"error":"Repository not found"}`.
    NotFound,
    /// 401 as for a private or missing repo asked anonymously: `X-Error-Code: RepoNotFound`,
    /// `{"error":"Invalid username or password."}`.
    Unauthorized,
    /// 401 `{"error":"Invalid credentials in Authorization header"}`: a bad token.
    InvalidCredentials,
    /// 403, `X-Error-Code: GatedRepo`, "Access to model X is restricted and you are not in the
    /// authorized list. Visit `https://huggingface.co/X` to ask for access.".
    Gated,
    /// 403 "Access to this resource is disabled.".
    Disabled,
    /// 307 to the repo's new id, with `Location` and the Hub's text/plain body.
    Redirect(String),
    /// 429 `Too Many Requests`.
    RateLimited {
        /// Seconds to the window reset: sends `RateLimit: "api";r=0;t=N` and
        /// `RateLimit-Policy: "fixed window";"api";q=500;w=300`.
        reset: Option<u64>,
        /// Sends `Retry-After: N` (integer seconds).
        retry_after: Option<u64>,
    },
    /// 500 with the Hub's JSON error body.
    ServerError,
    /// 502 with an HTML body, as a proxy in front of the Hub sends.
    BadGateway,
    /// 503 with an HTML body.
    ServiceUnavailable,
    /// Any status with a JSON `{"error": ...}` body.
    Status(u16),
    /// Any status with this message as `{"error": ...}` and `X-Error-Message`: a hostile endpoint's
    /// words (escape sequences, an echoed token) reaching the client's error handling.
    StatusBody(u16, String),
    /// 200 with this exact body as JSON: a hostile or broken endpoint's answer (a listing page far
    /// larger than the `limit` asked for, say).
    JsonBody(std::sync::Arc<str>),
    /// Waits this long, then answers normally.
    Slow(Duration),
    /// Sends a `Content-Length` larger than the bytes actually written, then closes.
    Truncated,
    /// Closes the connection with a TCP reset (RST) without answering.
    Reset,
    /// Closes the connection cleanly (EOF) without answering.
    Close,
}

impl Fault {
    /// A 429 with both the `RateLimit` headers and `Retry-After`, each saying `secs`.
    pub fn rate_limited(secs: u64) -> Fault {
        Fault::RateLimited {
            reset: Some(secs),
            retry_after: Some(secs),
        }
    }

    /// A 307 rename to `new_id`.
    pub fn redirect(new_id: &str) -> Fault {
        Fault::Redirect(new_id.to_string())
    }
}

/// Which requests a fault applies to, parsed from the string given to [`crate::FakeHub::fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultTarget {
    /// `*`: every request.
    All,
    /// `model:org/name` or `dataset:org/name` (a bare `org/name` means a model): the repo's API
    /// answers, any revision, and its files.
    Repo(RepoKind, String),
    /// `list:models` or `list:datasets`: the listing endpoint.
    List(RepoKind),
    /// `/...`: requests whose path and query start with this.
    Prefix(String),
}

impl FaultTarget {
    pub(crate) fn parse(s: &str) -> FaultTarget {
        if s == "*" {
            FaultTarget::All
        } else if s.starts_with('/') {
            FaultTarget::Prefix(s.to_string())
        } else if let Some(id) = s.strip_prefix("model:") {
            FaultTarget::Repo(RepoKind::Model, id.to_string())
        } else if let Some(id) = s.strip_prefix("dataset:") {
            FaultTarget::Repo(RepoKind::Dataset, id.to_string())
        } else if s == "list:models" {
            FaultTarget::List(RepoKind::Model)
        } else if s == "list:datasets" {
            FaultTarget::List(RepoKind::Dataset)
        } else {
            FaultTarget::Repo(RepoKind::Model, s.to_string())
        }
    }
}

impl fmt::Display for FaultTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultTarget::All => f.write_str("*"),
            FaultTarget::Repo(kind, id) => write!(f, "{kind}:{id}"),
            FaultTarget::List(kind) => write!(f, "list:{}", kind.plural()),
            FaultTarget::Prefix(p) => f.write_str(p),
        }
    }
}

/// A registered fault with its remaining budget.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub id: u64,
    pub target: FaultTarget,
    pub fault: Fault,
    /// `None`: every matching request; `Some(n)`: the next `n`.
    pub remaining: Option<u64>,
    /// Requests this rule has answered.
    pub hits: u64,
}

/// The faults of one hub, first registered first matched.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl FaultBook {
    pub fn add(&mut self, target: FaultTarget, fault: Fault) -> u64 {
        self.next_id += 1;
        self.rules.push(FaultRule {
            id: self.next_id,
            target,
            fault,
            remaining: None,
            hits: 0,
        });
        self.next_id
    }

    pub fn rule_mut(&mut self, id: u64) -> Option<&mut FaultRule> {
        self.rules.iter_mut().find(|r| r.id == id)
    }

    pub fn rule(&self, id: u64) -> Option<&FaultRule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault for a request, consuming one use of the first matching rule with budget left.
    pub fn take(
        &mut self,
        target: &str,
        repo: Option<(RepoKind, &str)>,
        list: Option<RepoKind>,
    ) -> Option<Fault> {
        let rule = self.rules.iter_mut().find(|r| {
            r.remaining != Some(0)
                && match &r.target {
                    FaultTarget::All => true,
                    FaultTarget::Prefix(p) => target.starts_with(p.as_str()),
                    FaultTarget::Repo(kind, id) => repo == Some((*kind, id.as_str())),
                    FaultTarget::List(kind) => list == Some(*kind),
                }
        })?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        rule.hits += 1;
        Some(rule.fault.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(FaultTarget::parse("*"), FaultTarget::All);
        assert_eq!(
            FaultTarget::parse("model:a/b"),
            FaultTarget::Repo(RepoKind::Model, "a/b".into())
        );
        assert_eq!(
            FaultTarget::parse("dataset:a/b"),
            FaultTarget::Repo(RepoKind::Dataset, "a/b".into())
        );
        assert_eq!(
            FaultTarget::parse("a/b"),
            FaultTarget::Repo(RepoKind::Model, "a/b".into())
        );
        assert_eq!(
            FaultTarget::parse("list:models"),
            FaultTarget::List(RepoKind::Model)
        );
        assert_eq!(
            FaultTarget::parse("/api/models?"),
            FaultTarget::Prefix("/api/models?".into())
        );
        assert_eq!(FaultTarget::parse("dataset:x/y").to_string(), "dataset:x/y");
    }

    #[test]
    fn budgets_run_out_in_order() {
        let mut book = FaultBook::default();
        let first = book.add(FaultTarget::parse("model:a/b"), Fault::ServerError);
        book.rule_mut(first).unwrap().remaining = Some(1);
        book.add(FaultTarget::All, Fault::BadGateway);
        let repo = Some((RepoKind::Model, "a/b"));
        assert_eq!(
            book.take("/api/models/a/b", repo, None),
            Some(Fault::ServerError)
        );
        assert_eq!(
            book.take("/api/models/a/b", repo, None),
            Some(Fault::BadGateway)
        );
        assert_eq!(book.rule(first).unwrap().hits, 1);
        book.clear();
        assert_eq!(book.take("/api/models/a/b", repo, None), None);
    }
}
