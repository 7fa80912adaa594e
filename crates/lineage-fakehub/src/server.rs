//! The listener and the per-connection threads: read a request, record it, apply latency and faults,
//! answer it.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::api::{self, Route};
use crate::fault::{Fault, FaultBook};
use crate::http::{fnv1a, read_request, ReadError, Request, Response};
use crate::record::RequestRecord;
use crate::store::Store;

/// State shared by the handle and the server threads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub store: RwLock<Store>,
    pub faults: Mutex<FaultBook>,
    pub records: Mutex<Vec<RequestRecord>>,
    pub latency: Mutex<Duration>,
    pub base_url: String,
    pub shutdown: AtomicBool,
    /// Open connections, so `Drop` can close idle keep-alive sockets.
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_connection: AtomicU64,
    next_request: AtomicU64,
    epoch: u64,
}

/// Locks a mutex even if a panicking test thread poisoned it: the data stays usable for the others.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(base_url: String) -> Self {
        Shared {
            store: RwLock::new(Store::default()),
            faults: Mutex::new(FaultBook::default()),
            records: Mutex::new(Vec::new()),
            latency: Mutex::new(Duration::ZERO),
            base_url,
            shutdown: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(0),
            next_request: AtomicU64::new(0),
            epoch: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    pub fn read_store(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write_store(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every open connection; their threads then see EOF and exit.
    pub fn close_connections(&self) {
        for (_, s) in lock(&self.connections).drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn request_id(&self) -> String {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        format!("Root=1-{:08x}-{:024x}", self.epoch & 0xffff_ffff, n)
    }
}

/// Accepts connections until `shared.shutdown` is set (the `Drop` of the hub then connects once to
/// wake this loop).
pub(crate) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // Out of file descriptors or a connection aborted before accept: try again shortly.
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let id = shared.next_connection.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            lock(&shared.connections).insert(id, clone);
        }
        let shared = Arc::clone(&shared);
        let spawned = thread::Builder::new()
            .name(format!("fakehub-conn-{id}"))
            .spawn(move || serve_connection(stream, &shared, id));
        if spawned.is_err() {
            // No thread to serve it: the connection is dropped and the client sees a reset.
            continue;
        }
    }
}

/// What to do with the connection after a request.
enum Outcome {
    Respond(Response, bool),
    Truncate(Response),
    Reset,
    Close,
}

fn serve_connection(stream: TcpStream, shared: &Shared, id: u64) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        lock(&shared.connections).remove(&id);
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    let mut reset = false;
    loop {
        let req = match read_request(&mut reader) {
            Ok(r) => r,
            Err(ReadError::Closed | ReadError::Io) => break,
            Err(ReadError::Malformed(why)) => {
                let resp = Response::error(400, None, why);
                let _ = resp.write_to(&mut writer, &shared.request_id(), false, false);
                break;
            }
        };
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let keep_alive = req.keep_alive();
        let head_only = req.method == "HEAD";
        let request_id = shared.request_id();
        match respond(shared, &req) {
            Outcome::Respond(resp, close_after) => {
                let keep = keep_alive && !close_after;
                if resp
                    .write_to(&mut writer, &request_id, keep, head_only)
                    .is_err()
                    || !keep
                {
                    break;
                }
            }
            Outcome::Truncate(resp) => {
                let _ = resp.write_truncated(&mut writer, &request_id);
                break;
            }
            Outcome::Reset => {
                reset = true;
                break;
            }
            Outcome::Close => break,
        }
    }
    lock(&shared.connections).remove(&id);
    if reset {
        // SO_LINGER 0 makes the close send RST instead of FIN.
        let _ = socket2::SockRef::from(&writer).set_linger(Some(Duration::ZERO));
    } else {
        let _ = writer.flush();
        let _ = writer.shutdown(Shutdown::Write);
    }
}

fn respond(shared: &Shared, req: &Request) -> Outcome {
    lock(&shared.records).push(RequestRecord {
        method: req.method.clone(),
        path: req.target.clone(),
        authorization: req.header("authorization").map(str::to_string),
    });
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        thread::sleep(latency);
    }
    let route = api::route(req.path());
    let fault = lock(&shared.faults).take(&req.target, route.repo(), route.list());
    let normal = |shared: &Shared| {
        let store = shared.read_store();
        with_etag(req, api::handle(req, &route, &store, &shared.base_url))
    };
    match fault {
        None => Outcome::Respond(normal(shared), false),
        Some(Fault::Slow(d)) => {
            thread::sleep(d);
            Outcome::Respond(normal(shared), false)
        }
        Some(Fault::Truncated) => {
            let store = shared.read_store();
            Outcome::Truncate(api::handle(req, &route, &store, &shared.base_url))
        }
        Some(Fault::Reset) => Outcome::Reset,
        Some(Fault::Close) => Outcome::Close,
        Some(f) => Outcome::Respond(fault_response(&f, req, &route), false),
    }
}

/// The Hub's answer for an injected fault.
fn fault_response(fault: &Fault, req: &Request, route: &Route) -> Response {
    match fault {
        Fault::NotFound => api::not_found(),
        Fault::Unauthorized => api::unauthorized(),
        Fault::InvalidCredentials => api::invalid_credentials(),
        Fault::Gated => match route.repo() {
            Some((kind, id)) => api::gated(kind, id),
            None => api::gated(crate::RepoKind::Model, req.path().trim_start_matches('/')),
        },
        Fault::Disabled => api::disabled(),
        Fault::Redirect(new_id) => api::redirect(route, new_id, req.raw_query()),
        Fault::RateLimited { reset, retry_after } => {
            let wait = reset.or(*retry_after).unwrap_or(300);
            let mut r = Response::error(
                429,
                None,
                &format!(
                    "You have been rate-limited: you reached the 'api' limit of 500 requests per 5 minutes. Retry in {wait} seconds."
                ),
            );
            if let Some(t) = reset {
                r = r
                    .with_header("RateLimit", &format!("\"api\";r=0;t={t}"))
                    .with_header("RateLimit-Policy", "\"fixed window\";\"api\";q=500;w=300");
            }
            if let Some(n) = retry_after {
                r = r.with_header("Retry-After", &n.to_string());
            }
            r
        }
        Fault::ServerError => Response::error(
            500,
            None,
            "Internal Error - We're working hard to fix this as soon as possible!",
        ),
        Fault::BadGateway => Response::html(
            502,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
        ),
        Fault::ServiceUnavailable => Response::html(
            503,
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n",
        ),
        Fault::Status(code) => Response::error(*code, None, &format!("Injected error {code}")),
        Fault::StatusBody(code, message) => Response::error(*code, None, message),
        Fault::JsonBody(body) => Response {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.as_bytes().to_vec(),
        },
        Fault::Slow(_) | Fault::Truncated | Fault::Reset | Fault::Close => {
            unreachable!("handled before building a response")
        }
    }
}

/// Adds an `ETag` to successful answers and turns a matching `If-None-Match` into 304.
fn with_etag(req: &Request, resp: Response) -> Response {
    if resp.status != 200 {
        return resp;
    }
    let hash = format!("{:016x}", fnv1a(&resp.body));
    let json = resp
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    // The Hub's API answers carry weak ETags; raw files strong ones.
    let etag = if json {
        format!("W/\"{hash}\"")
    } else {
        format!("\"{hash}\"")
    };
    let matches = req.header("if-none-match").is_some_and(|inm| {
        inm.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag.trim_start_matches("W/"))
    });
    if matches {
        let mut not_modified = Response {
            status: 304,
            headers: Vec::new(),
            body: Vec::new(),
        }
        .with_header("ETag", &etag);
        if let Some(commit) = resp.header("x-repo-commit") {
            not_modified = not_modified.with_header("X-Repo-Commit", commit);
        }
        return not_modified;
    }
    resp.with_header("ETag", &etag)
}
