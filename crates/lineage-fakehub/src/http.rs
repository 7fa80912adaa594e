//! Just enough HTTP/1.1 to look like the Hub: request parsing, query decoding and response writing.
//!
//! Requests are parsed with `httparse` and decoded with `percent-encoding`/`form_urlencoded`; responses
//! are written by hand on `std::net` on purpose: faults such as truncated bodies and resets need control
//! of the raw socket that a framework would hide.

use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};

/// Largest request head (request line and headers) we accept; the Hub's clients send short ones.
const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in one request.
const MAX_HEADERS: usize = 100;
/// Largest request body we read (and discard); this server only answers GET and HEAD.
const MAX_BODY: u64 = 1024 * 1024;

/// Everything but RFC 3986 unreserved characters gets escaped.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Headers the Hub lists in `Access-Control-Expose-Headers` (reference/hub-api.md §3.7).
const EXPOSE_HEADERS: &str =
    "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,\
ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash";

/// One parsed request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    /// Path and query exactly as received (origin form).
    pub target: String,
    pub headers: Vec<(String, String)>,
    http10: bool,
}

impl Request {
    /// The raw path, without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The raw query string, without the `?`.
    pub fn raw_query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// Decoded query pairs in order; repeated keys stay repeated.
    pub fn query(&self) -> Vec<(String, String)> {
        parse_query(self.raw_query())
    }

    /// First value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client wants the connection kept open after this exchange.
    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").map(str::to_ascii_lowercase);
        match conn.as_deref() {
            Some(c) if c.contains("close") => false,
            Some(c) if c.contains("keep-alive") => true,
            _ => !self.http10,
        }
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The peer closed the connection cleanly before a new request started.
    Closed,
    /// The bytes were not an HTTP/1.x request we can serve; answer 400 and close.
    Malformed(&'static str),
    /// The socket failed (reset, timeout, shutdown by `Drop`).
    Io,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Io
    }
}

/// Reads one request (head and body) from a keep-alive connection.
pub(crate) fn read_request<R: BufRead>(r: &mut R) -> Result<Request, ReadError> {
    let mut head: Vec<u8> = Vec::new();
    let req = loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            // Blank lines between pipelined requests (RFC 9112 §2.2) are no request.
            return Err(if head.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                ReadError::Closed
            } else {
                ReadError::Malformed("connection closed inside the header")
            });
        }
        let before = head.len();
        let take = avail.len().min(MAX_HEAD + 1 - before);
        head.extend_from_slice(&avail[..take]);
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut slots);
        match parsed.parse(&head) {
            Ok(httparse::Status::Complete(n)) => {
                let req = owned_request(&parsed)?;
                r.consume(n - before);
                break req;
            }
            Ok(httparse::Status::Partial) if head.len() > MAX_HEAD => {
                return Err(ReadError::Malformed("request head too large"));
            }
            Ok(httparse::Status::Partial) => r.consume(take),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ReadError::Malformed("too many headers"));
            }
            Err(httparse::Error::Version) => {
                return Err(ReadError::Malformed("unsupported HTTP version"));
            }
            Err(_) => return Err(ReadError::Malformed("bad request line or header")),
        }
    };
    if req.header("transfer-encoding").is_some() {
        return Err(ReadError::Malformed(
            "chunked request bodies are not supported",
        ));
    }
    if let Some(len) = req.header("content-length") {
        let len: u64 = len
            .parse()
            .map_err(|_| ReadError::Malformed("bad Content-Length"))?;
        if len > MAX_BODY {
            return Err(ReadError::Malformed("request body too large"));
        }
        let copied = io::copy(&mut r.by_ref().take(len), &mut io::sink())?;
        if copied != len {
            return Err(ReadError::Malformed("connection closed inside the body"));
        }
    }
    Ok(req)
}

/// Copies a complete `httparse` request out of the read buffer.
fn owned_request(p: &httparse::Request<'_, '_>) -> Result<Request, ReadError> {
    let (Some(method), Some(target), Some(version)) = (p.method, p.path, p.version) else {
        return Err(ReadError::Malformed("bad request line"));
    };
    let target = origin_form(target).ok_or(ReadError::Malformed("bad request target"))?;
    let headers = p
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    Ok(Request {
        method: method.to_string(),
        target,
        headers,
        http10: version == 0,
    })
}

/// Turns an absolute-form target (`http://host/path`) into origin form; rejects anything else odd.
fn origin_form(target: &str) -> Option<String> {
    if target.starts_with('/') {
        return Some(target.to_string());
    }
    let (scheme, rest) = target.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    Some(match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".to_string(),
    })
}

/// Decodes `%XX` escapes of a path segment (`+` stays `+`); invalid escapes are kept literally and
/// invalid UTF-8 is replaced, as lenient servers do.
pub(crate) fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Splits and decodes `a=1&b=2&a=3` (`application/x-www-form-urlencoded`, so `+` is a space); a key
/// without `=` gets an empty value.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A response waiting to be written.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response with the Hub's content type.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        let body = serde_json::to_vec(value).expect("a JSON value always serialises");
        Response {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body,
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, text: &str) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// An HTML response, as proxies in front of the Hub send for 502/503.
    pub fn html(status: u16, html: &str) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: html.as_bytes().to_vec(),
        }
    }

    /// The Hub's error shape: `X-Error-Code` (when given), `X-Error-Message` and `{"error": message}`.
    pub fn error(status: u16, code: Option<&str>, message: &str) -> Self {
        let mut r = Response::json(status, &serde_json::json!({ "error": message }));
        if let Some(code) = code {
            r = r.with_header("X-Error-Code", code);
        }
        // Header values must be a single line of visible ASCII; the Hub's messages are.
        let header_safe: String = message
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        r.with_header("X-Error-Message", &header_safe)
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The value of a header set on this response.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Serialises status line and headers; `content_length` is what the header claims.
    fn head(&self, request_id: &str, keep_alive: bool, content_length: Option<usize>) -> Vec<u8> {
        let mut h = String::with_capacity(512);
        let _ = write!(h, "HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (k, v) in &self.headers {
            let _ = write!(h, "{k}: {v}\r\n");
        }
        let _ = write!(h, "X-Request-Id: {request_id}\r\n");
        let _ = write!(h, "Access-Control-Expose-Headers: {EXPOSE_HEADERS}\r\n");
        if let Some(len) = content_length {
            let _ = write!(h, "Content-Length: {len}\r\n");
        }
        let _ = write!(
            h,
            "Connection: {}\r\n\r\n",
            if keep_alive { "keep-alive" } else { "close" }
        );
        h.into_bytes()
    }

    /// Writes the whole response; with `head_only` (HEAD requests) the body is left out.
    pub fn write_to<W: Write>(
        &self,
        w: &mut W,
        request_id: &str,
        keep_alive: bool,
        head_only: bool,
    ) -> io::Result<()> {
        // 304 and 204 carry no body and no length (RFC 9110 §8.6).
        let bodiless = matches!(self.status, 204 | 304);
        let len = (!bodiless).then_some(self.body.len());
        let mut out = self.head(request_id, keep_alive, len);
        if !head_only && !bodiless {
            out.extend_from_slice(&self.body);
        }
        w.write_all(&out)?;
        w.flush()
    }

    /// Writes the head claiming the full length but only part of the body: the client sees a
    /// truncated message once the caller closes the connection.
    pub fn write_truncated<W: Write>(&self, w: &mut W, request_id: &str) -> io::Result<()> {
        // Announce twice the body and send half of it: always short, whatever the body.
        let claimed = self.body.len().max(1) * 2;
        let sent = self.body.len() / 2;
        let mut out = self.head(request_id, false, Some(claimed));
        out.extend_from_slice(&self.body[..sent]);
        w.write_all(&out)?;
        w.flush()
    }
}

/// Reason phrases for the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// 64-bit FNV-1a: a stable hash (unlike `DefaultHasher`) for ETags and generated ids.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// URL-safe base64 without padding, for opaque pagination cursors.
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Inverse of [`base64url_encode`]; `None` on any invalid input.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &[u8]) -> Result<Request, ReadError> {
        read_request(&mut io::BufReader::with_capacity(7, raw))
    }

    #[test]
    fn requests_parse_across_small_reads_and_pipelining() {
        let raw = b"\r\nGET /api/models?a=1 HTTP/1.0\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcHEAD http://h/x HTTP/1.1\r\n\r\n";
        let mut r = io::BufReader::with_capacity(5, &raw[..]);
        let first = read_request(&mut r).unwrap();
        assert_eq!(
            (first.method.as_str(), first.path()),
            ("GET", "/api/models")
        );
        assert_eq!(first.header("HOST"), Some("x"));
        assert!(!first.keep_alive());
        let second = read_request(&mut r).unwrap();
        assert_eq!(
            (second.method.as_str(), second.target.as_str()),
            ("HEAD", "/x")
        );
        assert!(second.keep_alive());
        assert!(matches!(read_request(&mut r), Err(ReadError::Closed)));
    }

    #[test]
    fn malformed_requests_are_refused() {
        for raw in [
            &b"GET /a b c HTTP/1.1\r\n\r\n"[..],
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
            b"GET ftp://h/x HTTP/1.1\r\n\r\n",
        ] {
            assert!(
                matches!(read(raw), Err(ReadError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let huge = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(
            read(huge.as_bytes()),
            Err(ReadError::Malformed(_))
        ));
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "A: b\r\n".repeat(MAX_HEADERS + 1)
        );
        assert!(matches!(
            read(many.as_bytes()),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn escapes_queries_and_cursors() {
        assert_eq!(
            percent_decode("base_model%3Ax%2Fy+z%4"),
            "base_model:x/y+z%4"
        );
        assert_eq!(percent_encode("refs/pr/1 ü"), "refs%2Fpr%2F1%20%C3%BC");
        assert_eq!(
            parse_query("filter=a%2Fb+c&flag&&x=%zz"),
            vec![
                ("filter".to_string(), "a/b c".to_string()),
                ("flag".to_string(), String::new()),
                ("x".to_string(), "%zz".to_string())
            ]
        );
        let c = base64url_encode(b"{\"$skip\":1000}");
        assert!(!c.contains(['=', '+', '/']));
        assert_eq!(base64url_decode(&c).unwrap(), b"{\"$skip\":1000}");
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("a+b/"), None);
    }
}
