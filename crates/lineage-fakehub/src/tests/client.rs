//! A minimal raw HTTP/1.1 client for the unit tests: it shows exactly what went over the wire,
//! including truncated bodies and resets that a real client would hide behind an error.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// A response as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether as many body bytes arrived as `Content-Length` announced.
    pub complete: bool,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

/// One connection, for several requests in a row.
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect to the fake hub");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], keep_alive: bool) {
        let mut req = format!(
            "{method} {target} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: fakehub-test\r\n"
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !keep_alive {
            req.push_str("Connection: close\r\n");
        }
        req.push_str("\r\n");
        self.writer.write_all(req.as_bytes()).unwrap();
    }

    /// Reads one response; `head_only` for answers to HEAD.
    pub fn read_reply(&mut self, head_only: bool) -> io::Result<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before a response",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, line.clone()))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').expect("header line");
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
            complete: true,
        };
        let len: usize = reply
            .header("content-length")
            .map_or(0, |v| v.parse().expect("numeric Content-Length"));
        if !head_only && status != 304 && len > 0 {
            let mut body = Vec::new();
            (&mut self.reader).take(len as u64).read_to_end(&mut body)?;
            reply.complete = body.len() == len;
            reply.body = body;
        }
        Ok(reply)
    }
}

/// Sends one request on a fresh connection (`Connection: close`) and reads the answer.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> io::Result<Reply> {
    let mut conn = Conn::open(addr);
    conn.send(method, target, headers, false);
    conn.read_reply(method == "HEAD")
}

/// `GET target`, panicking on transport errors.
pub fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[]).unwrap_or_else(|e| panic!("GET {target}: {e}"))
}

/// `GET target` with extra headers.
pub fn get_with(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", target, headers).unwrap_or_else(|e| panic!("GET {target}: {e}"))
}
