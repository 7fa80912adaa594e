//! Just enough HTTP/1.1 to look like the Hub: request parsing, query decoding and response writing.
//!
//! Hand-written on `std::net` on purpose: faults such as truncated bodies and resets need control of the
//! raw socket that a framework would hide.

use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};

/// Longest request line or header line we accept; the Hub's clients send short ones.
const MAX_LINE: u64 = 16 * 1024;
/// Most header lines in one request.
const MAX_HEADERS: usize = 100;
/// Largest request body we read (and discard); this server only answers GET and HEAD.
const MAX_BODY: u64 = 1024 * 1024;

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

fn read_line<R: BufRead>(r: &mut R, buf: &mut String) -> Result<usize, ReadError> {
    buf.clear();
    let n = r.by_ref().take(MAX_LINE).read_line(buf)?;
    if n > 0 && !buf.ends_with('\n') {
        return Err(ReadError::Malformed("line too long or truncated"));
    }
    Ok(n)
}

/// Reads one request (head and body) from a keep-alive connection.
pub(crate) fn read_request<R: BufRead>(r: &mut R) -> Result<Request, ReadError> {
    let mut line = String::new();
    // Tolerate blank lines between pipelined requests (RFC 9112 §2.2).
    loop {
        if read_line(r, &mut line)? == 0 {
            return Err(ReadError::Closed);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed("bad request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed("unsupported HTTP version"));
    }
    let http10 = version == "HTTP/1.0";
    let method = method.to_string();
    let target = origin_form(target).ok_or(ReadError::Malformed("bad request target"))?;

    let mut headers = Vec::new();
    loop {
        if read_line(r, &mut line)? == 0 {
            return Err(ReadError::Malformed("connection closed inside the header"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(ReadError::Malformed("too many headers"));
        }
        let (k, v) = l
            .split_once(':')
            .ok_or(ReadError::Malformed("bad header line"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let req = Request {
        method,
        target,
        headers,
        http10,
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

/// Turns an absolute-form target (`http://host/path`) into origin form; rejects anything else odd.
fn origin_form(target: &str) -> Option<String> {
    if target.starts_with('/') {
        return Some(target.to_string());
    }
    let rest = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))?;
    Some(match rest.find('/') {
        Some(i) => rest[i..].to_string(),
        None => "/".to_string(),
    })
}

/// Decodes `%XX` escapes; with `plus_is_space`, `+` becomes a space (query strings).
/// Invalid escapes are kept literally, as lenient servers do.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit() =>
            {
                out.push(hex_val(bytes[i + 1]) << 4 | hex_val(bytes[i + 2]));
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Splits and decodes `a=1&b=2&a=3`; a key without `=` gets an empty value.
pub(crate) fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
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
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Inverse of [`base64url_encode`]; `None` on any invalid input.
pub(crate) fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    }
    let bytes = s.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}
