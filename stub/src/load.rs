//! A load client for `certwatch serve`: many threads post events, each event sent again on a
//! 5xx as EventBridge would, and every event's fate recorded, so a load run can show that
//! none was lost.

use std::io::{Read as _, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The server answered this status to the last attempt.
    Answered {
        /// The status of the last answer.
        status: u16,
        /// Requests sent for the event, the last one included.
        attempts: u32,
    },
    /// The server took no connection (it had stopped): nothing was sent, the sender keeps it.
    NotAccepted {
        /// Attempts made, the refused one included.
        attempts: u32,
    },
    /// The request was sent and no answer came: a connection the server never accepted (its
    /// listen queue when it stopped), or, what must never happen, an answer lost. The load
    /// tests tell the two apart by what reached the stub.
    NoAnswer {
        /// Requests sent for the event, the unanswered one included.
        attempts: u32,
    },
}

/// A load run: which events to post, to where, from how many clients.
pub struct LoadPlan<'a> {
    /// `host:port` of the server.
    pub address: String,
    /// The events to post, each once (and again on a 5xx).
    pub events: &'a [String],
    /// Threads posting at once (at least one).
    pub clients: usize,
    /// Attempts per event while the server answers 5xx.
    pub max_attempts: u32,
    /// Each client keeps its connection for the next event, instead of a new one per event.
    pub keep_alive: bool,
    /// Called with the number of events answered so far, after each one.
    pub on_answered: &'a (dyn Fn(usize) + Sync),
}

/// What a load run came to.
#[derive(Debug)]
pub struct LoadReport {
    /// What became of each event, in the plan's order.
    pub deliveries: Vec<Delivery>,
    /// The whole run, first post to last answer.
    pub took: Duration,
    /// Every attempt's round trip, sorted.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    /// Events whose last answer was `status`.
    pub fn answered(&self, status: u16) -> usize {
        self.deliveries
            .iter()
            .filter(|d| matches!(d, Delivery::Answered { status: s, .. } if *s == status))
            .count()
    }

    /// Events sent that got no answer.
    pub fn no_answer(&self) -> usize {
        self.deliveries
            .iter()
            .filter(|d| matches!(d, Delivery::NoAnswer { .. }))
            .count()
    }

    /// Events the server took no connection for.
    pub fn not_accepted(&self) -> usize {
        self.deliveries
            .iter()
            .filter(|d| matches!(d, Delivery::NotAccepted { .. }))
            .count()
    }

    /// Attempts beyond the first, over all events.
    pub fn resent(&self) -> u32 {
        self.deliveries
            .iter()
            .map(|d| match d {
                Delivery::Answered { attempts, .. }
                | Delivery::NotAccepted { attempts }
                | Delivery::NoAnswer { attempts } => attempts - 1,
            })
            .sum()
    }
}

/// Posts every event of `plan` and reports what became of each.
pub fn run(plan: &LoadPlan) -> LoadReport {
    let next = AtomicUsize::new(0);
    let answered = AtomicUsize::new(0);
    let deliveries = Mutex::new(vec![None; plan.events.len()]);
    let latencies = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..plan.clients.max(1) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                let mut connection = None;
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(event) = plan.events.get(index) else {
                        break;
                    };
                    let delivery = deliver(plan, event, &mut connection, &mut mine);
                    if matches!(delivery, Delivery::Answered { .. }) {
                        (plan.on_answered)(answered.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                    if let Ok(mut all) = deliveries.lock() {
                        all[index] = Some(delivery);
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let took = started.elapsed();
    let deliveries = deliveries
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.unwrap_or(Delivery::NoAnswer { attempts: 0 }))
        .collect();
    let mut latencies = latencies.into_inner().unwrap_or_default();
    latencies.sort();
    LoadReport {
        deliveries,
        took,
        latencies,
    }
}

fn deliver(
    plan: &LoadPlan,
    event: &str,
    connection: &mut Option<std::net::TcpStream>,
    latencies: &mut Vec<Duration>,
) -> Delivery {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let started = Instant::now();
        let posted = match plan.keep_alive {
            true => post_kept(&plan.address, event, connection),
            false => post(&plan.address, event),
        };
        match posted {
            Post::Answered(status) => {
                latencies.push(started.elapsed());
                if status >= 500 && attempts < plan.max_attempts {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                return Delivery::Answered { status, attempts };
            }
            Post::NotAccepted => return Delivery::NotAccepted { attempts },
            Post::NoAnswer => return Delivery::NoAnswer { attempts },
        }
    }
}

enum Post {
    Answered(u16),
    NotAccepted,
    NoAnswer,
}

/// One `POST /` over the client's kept connection, opening one if it has none (or the server
/// closed the one it had).
fn post_kept(address: &str, body: &str, connection: &mut Option<std::net::TcpStream>) -> Post {
    let reused = connection.is_some();
    if let Some(stream) = connection.as_mut() {
        match exchange(stream, address, body) {
            Some((status, keep)) => {
                if !keep {
                    *connection = None;
                }
                return Post::Answered(status);
            }
            None => *connection = None,
        }
    }
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return Post::NotAccepted;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let _ = stream.set_nodelay(true);
    match exchange(&mut stream, address, body) {
        Some((status, keep)) => {
            if keep {
                *connection = Some(stream);
            }
            Post::Answered(status)
        }
        // A kept connection the server had closed is opened again once; a new one that gets
        // no answer is a lost answer.
        None if reused => post(address, body),
        None => Post::NoAnswer,
    }
}

/// One request and its whole answer on a kept-alive connection: the status, and whether the
/// server keeps the connection.
fn exchange(stream: &mut std::net::TcpStream, address: &str, body: &str) -> Option<(u16, bool)> {
    let request = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        received.extend_from_slice(&buffer[..n]);
    };
    let head = std::str::from_utf8(&received[..head_end])
        .ok()?
        .to_ascii_lowercase();
    let status = head.strip_prefix("http/1.1 ")?.get(..3)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())?;
    while received.len() < head_end + length {
        let n = stream.read(&mut buffer).ok().filter(|&n| n > 0)?;
        received.extend_from_slice(&buffer[..n]);
    }
    Some((status, !head.contains("connection: close")))
}

/// One `POST /` over a new connection.
fn post(address: &str, body: &str) -> Post {
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return Post::NotAccepted;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let request = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return Post::NoAnswer;
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let status = std::str::from_utf8(&reply)
        .ok()
        .and_then(|r| r.strip_prefix("HTTP/1.1 "))
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok());
    match status {
        Some(status) => Post::Answered(status),
        None => Post::NoAnswer,
    }
}

/// Events a server handled without its answer reaching the client: each attempt imports an
/// event's finding at most once, and only an answered attempt may have, so an event with more
/// imports (`imported`, the ids the stub took) than answered attempts lost an answer.
pub fn handled_but_unanswered(
    report: &LoadReport,
    imported: &[String],
    finding_of: impl Fn(usize) -> String,
) -> Vec<usize> {
    let mut imports: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for id in imported {
        *imports.entry(id.as_str()).or_default() += 1;
    }
    report
        .deliveries
        .iter()
        .enumerate()
        .filter(|(index, delivery)| {
            let answered_attempts = match **delivery {
                Delivery::Answered { attempts, .. } => attempts,
                Delivery::NoAnswer { attempts } | Delivery::NotAccepted { attempts } => {
                    attempts.saturating_sub(1)
                }
            };
            let finding = finding_of(*index);
            imports.get(finding.as_str()).copied().unwrap_or(0) > answered_attempts
        })
        .map(|(index, _)| index)
        .collect()
}
