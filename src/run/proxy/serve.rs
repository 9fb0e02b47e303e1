//! One connection from the child (#15): the proxy credential, then a CONNECT (intercepted,
//! tunnelled or refused) or a plain-HTTP request (forwarded, or refused when it carries a
//! placeholder). Intercepted requests get the real value in the rule's headers only.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};

use base64::Engine as _;
use rustls::{ClientConnection, ServerConnection, StreamOwned};
use rustls_pki_types::ServerName;

use super::http::{self, Framing, Head};
use super::{Event, Shared};

/// Serves one connection to its end.
pub(super) fn connection(conn: TcpStream, sh: &Shared) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let mut r = BufReader::new(conn.try_clone()?);
    let Some(head) = http::read_head(&mut r)? else {
        return Ok(());
    };
    let mut w = conn;
    if !authorized(&head, sh) {
        return reply(
            &mut w,
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"aisecrets\"\r\n",
            "aisecrets proxy: this proxy serves one aisecrets run only\n",
        );
    }
    let mut parts = head.line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let version = parts.next().unwrap_or("HTTP/1.1").to_owned();
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_host(&target, 443);
        if sh.intercepts(&host) {
            w.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
            let config = sh.ca.server_config(&host).map_err(io::Error::other)?;
            let tls = ServerConnection::new(config).map_err(io::Error::other)?;
            let mut client = BufReader::new(StreamOwned::new(tls, w));
            return exchange(&mut client, &host, port, true, sh);
        }
        if sh.egress_strict {
            return reply(
                &mut w,
                "403 Forbidden",
                "",
                &format!("aisecrets proxy: --egress=strict: {host} has no host rule\n"),
            );
        }
        let up = match TcpStream::connect(sh.address(&host, port)) {
            Ok(up) => up,
            Err(e) => return bad_gateway(&mut w, &host, &e),
        };
        up.set_nodelay(true)?;
        w.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
        let pending = r.buffer().to_vec();
        return tunnel(w, up, &pending);
    }
    if let Some(rest) = target.strip_prefix("http://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let (host, port) = split_host(authority, 80);
        let mut head = head;
        head.line = format!("{method} {path} {version}");
        head.remove("proxy-authorization");
        head.remove("proxy-connection");
        let mut client = BufReader::new(ReadWrite(r, w));
        return forward(&mut client, head, &host, port, false, sh).map(|_| ());
    }
    reply(
        &mut w,
        "400 Bad Request",
        "",
        "aisecrets proxy: not a proxy request\n",
    )
}

/// A reader and a writer as one stream.
struct ReadWrite<R, W>(R, W);

impl<R: Read, W> Read for ReadWrite<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R, W: Write> Write for ReadWrite<R, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.1.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.1.flush()
    }
}

fn authorized(head: &Head, sh: &Shared) -> bool {
    use subtle::ConstantTimeEq as _;
    head.get("proxy-authorization")
        .is_some_and(|v| bool::from(v.ct_eq(sh.proxy_auth.as_bytes())))
}

fn split_host(authority: &str, default_port: u16) -> (String, u16) {
    let (h, p) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            (h, p.parse().unwrap_or(default_port))
        }
        _ => (authority, default_port),
    };
    (h.trim_matches(['[', ']']).to_ascii_lowercase(), p)
}

fn reply(w: &mut impl Write, status: &str, extra: &str, body: &str) -> io::Result<()> {
    write!(
        w,
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    w.flush()
}

/// Copies both ways until either side closes.
fn tunnel(client: TcpStream, up: TcpStream, pending: &[u8]) -> io::Result<()> {
    let mut up_w = up.try_clone()?;
    up_w.write_all(pending)?;
    let mut client_r = client.try_clone()?;
    let t = std::thread::spawn(move || {
        let _ = io::copy(&mut client_r, &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
    });
    let (mut up_r, mut client_w) = (up, client);
    let _ = io::copy(&mut up_r, &mut client_w);
    let _ = client_w.shutdown(Shutdown::Write);
    let _ = t.join();
    Ok(())
}

type Upstream = BufReader<Box<dyn ReadWriteSend>>;

trait ReadWriteSend: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWriteSend for T {}

/// Requests on an intercepted connection, one after the other, over one upstream connection.
fn exchange<C: Read + Write>(
    client: &mut BufReader<C>,
    host: &str,
    port: u16,
    tls: bool,
    sh: &Shared,
) -> io::Result<()> {
    let mut upstream: Option<Upstream> = None;
    loop {
        let Some(head) = http::read_head(client)? else {
            return Ok(());
        };
        let (keep, up) = forward_on(client, head, host, port, tls, sh, upstream.take())?;
        if !keep {
            return Ok(());
        }
        upstream = up;
    }
}

/// One plain-HTTP request, then the connection closes.
fn forward<C: Read + Write>(
    client: &mut BufReader<C>,
    mut head: Head,
    host: &str,
    port: u16,
    tls: bool,
    sh: &Shared,
) -> io::Result<bool> {
    head.remove("connection");
    head.headers.push(("Connection".into(), b"close".to_vec()));
    forward_on(client, head, host, port, tls, sh, None).map(|(k, _)| k)
}

/// Checks one request, swaps its placeholders in, sends it, relays the answer. Returns
/// whether the connection goes on, and the upstream connection to reuse.
fn forward_on<C: Read + Write>(
    client: &mut BufReader<C>,
    mut head: Head,
    host: &str,
    port: u16,
    tls: bool,
    sh: &Shared,
    upstream: Option<Upstream>,
) -> io::Result<(bool, Option<Upstream>)> {
    let mut parts = head.line.splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_ascii_uppercase();
    let path = parts.next().unwrap_or_default().to_owned();
    // Domain fronting: behind a shared CDN, the Host header (or an absolute target) picks
    // the site, not the TLS name; a key swapped in for one host must not reach another.
    if tls && !same_host(&head, &path, host) {
        reply(
            client.get_mut(),
            "403 Forbidden",
            "",
            &format!(
                "aisecrets proxy: refused: a request inside the tunnel to {host} names another host\n"
            ),
        )?;
        return Ok((false, None));
    }
    if let Err(name) = swap_in(&mut head, &method, &path, host, tls, sh) {
        refuse(client.get_mut(), sh, &name, host, tls)?;
        return Ok((false, None));
    }
    if !tls && sh.egress_strict {
        reply(
            client.get_mut(),
            "403 Forbidden",
            "",
            &format!("aisecrets proxy: --egress=strict: plain HTTP to {host} is refused\n"),
        )?;
        return Ok((false, None));
    }
    if head.has_token("expect", "100-continue") {
        head.remove("expect");
        client
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        client.get_mut().flush()?;
    }
    let req_framing = match head.framing() {
        Framing::ToEnd => Framing::None,
        f => f,
    };
    // A body of known, bounded length is read whole and checked for placeholders headed
    // where their secret may not go, before anything is sent (chunked or larger bodies
    // stream unchecked: a placeholder is never swapped in a body anyway).
    let mut body = None;
    if let Framing::Length(n) = req_framing
        && n <= MAX_CHECKED_BODY
    {
        let mut b = vec![0u8; usize::try_from(n).unwrap_or(0)];
        client.read_exact(&mut b)?;
        if let Some(name) = foreign_placeholder(&b, host, tls, sh) {
            refuse(client.get_mut(), sh, &name, host, tls)?;
            return Ok((false, None));
        }
        body = Some(b);
    }
    // A kept-alive upstream connection the server has closed meanwhile fails before any
    // answer: the request goes once more on a fresh one when its body can be sent again.
    let replayable = body.is_some() || req_framing == Framing::None;
    let mut reuse = upstream;
    let (mut up, mut next) = loop {
        let reused = reuse.is_some();
        let mut u = match reuse.take() {
            Some(u) => u,
            None => match connect(host, port, tls, sh) {
                Ok(u) => u,
                Err(e) => {
                    bad_gateway(client.get_mut(), host, &e)?;
                    return Ok((false, None));
                }
            },
        };
        let sent = (|| -> io::Result<Option<Head>> {
            u.get_mut().write_all(&head.bytes())?;
            match &body {
                Some(b) => u.get_mut().write_all(b)?,
                None => http::relay(client, u.get_mut(), req_framing, None)?,
            }
            u.get_mut().flush()?;
            http::read_head(&mut u)
        })();
        match sent {
            Ok(Some(resp)) => break (u, Some(resp)),
            Ok(None) | Err(_) if reused && replayable => {}
            Ok(None) => {
                bad_gateway(client.get_mut(), host, &http::bad("no answer"))?;
                return Ok((false, None));
            }
            Err(e) => {
                bad_gateway(client.get_mut(), host, &e)?;
                return Ok((false, None));
            }
        }
    };
    let (mut resp, status) = loop {
        let resp = match next.take() {
            Some(r) => r,
            None => http::read_head(&mut up)?.ok_or_else(|| http::bad("no answer"))?,
        };
        let status: u16 = resp
            .line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            client.get_mut().write_all(&resp.bytes())?;
            continue;
        }
        break (resp, status);
    };
    for (_, v) in &mut resp.headers {
        sh.swapper.all(v);
    }
    let framing = if method == "HEAD" || status == 204 || status == 304 {
        Framing::None
    } else {
        resp.framing()
    };
    let close = framing == Framing::ToEnd
        || status == 101
        || resp.has_token("connection", "close")
        || head.has_token("connection", "close");
    if framing == Framing::ToEnd {
        resp.remove("connection");
        resp.headers.push(("Connection".into(), b"close".to_vec()));
    }
    client.get_mut().write_all(&resp.bytes())?;
    client.get_mut().flush()?;
    http::relay(
        &mut up,
        client.get_mut(),
        framing,
        Some(sh.swapper.stream()),
    )?;
    Ok((!close, (!close).then_some(up)))
}

/// Whether the request's `Host` header and target name `host` (or nothing).
fn same_host(head: &Head, target: &str, host: &str) -> bool {
    let named = |authority: &str| split_host(authority, 443).0 == host;
    let target_ok = match target.split_once("://") {
        Some((_, rest)) => named(&rest[..rest.find('/').unwrap_or(rest.len())]),
        None => true,
    };
    let header_ok = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("host"))
        .all(|(_, v)| std::str::from_utf8(v).is_ok_and(|v| named(v.trim())));
    target_ok && header_ok
}

/// Answers 502 naming the host and what failed (no value is in either).
fn bad_gateway(w: &mut impl Write, host: &str, e: &io::Error) -> io::Result<()> {
    reply(
        w,
        "502 Bad Gateway",
        "",
        &format!("aisecrets proxy: {host}: {e}\n"),
    )
}

/// Request bodies up to this size are checked for placeholders before they are sent.
const MAX_CHECKED_BODY: u64 = 16 << 20;

/// Answers 403 for a placeholder of `name` headed to `host`, and reports it.
fn refuse(w: &mut impl Write, sh: &Shared, name: &str, host: &str, tls: bool) -> io::Result<()> {
    sh.event(Event {
        secret: name.to_owned(),
        host: host.to_owned(),
        refused: true,
    });
    let how = if tls { "" } else { " over plain HTTP" };
    reply(
        w,
        "403 Forbidden",
        "",
        &format!(
            "aisecrets proxy: refused: the placeholder of {name} is never sent to {host}{how}\n"
        ),
    )
}

/// The secret whose placeholder `body` holds although `host` is not one of its hosts.
fn foreign_placeholder(body: &[u8], host: &str, tls: bool, sh: &Shared) -> Option<String> {
    let ac = sh.placeholders.as_ref()?;
    ac.find_overlapping_iter(body).find_map(|m| {
        let s = &sh.secrets[m.pattern().as_usize()];
        (!(tls && s.rule.has_host(host))).then(|| s.name.clone())
    })
}

fn connect(host: &str, port: u16, tls: bool, sh: &Shared) -> io::Result<Upstream> {
    let tcp = TcpStream::connect(sh.address(host, port))?;
    tcp.set_nodelay(true)?;
    if !tls {
        return Ok(BufReader::new(Box::new(tcp)));
    }
    let name = ServerName::try_from(host.to_owned()).map_err(io::Error::other)?;
    let conn = ClientConnection::new(sh.client_tls()?, name).map_err(io::Error::other)?;
    Ok(BufReader::new(Box::new(StreamOwned::new(conn, tcp))))
}

/// Puts real values in place of placeholders where the rules allow (at most once per
/// header); `Err(name)` when a placeholder is headed where its secret may not go.
fn swap_in(
    head: &mut Head,
    method: &str,
    path: &str,
    host: &str,
    tls: bool,
    sh: &Shared,
) -> Result<(), String> {
    for s in &sh.secrets {
        let own_host = tls && s.rule.has_host(host);
        if !own_host && find(head.line.as_bytes(), s.placeholder.as_bytes()).is_some() {
            return Err(s.name.clone());
        }
    }
    for (name, value) in &mut head.headers {
        for s in &sh.secrets {
            let own_host = tls && s.rule.has_host(host);
            let may = own_host && s.rule.allows(method, path) && s.rule.has_header(name);
            let ph = s.placeholder.as_bytes();
            if let Some(at) = find(value, ph) {
                if may {
                    value[at..at + ph.len()].copy_from_slice(s.real.as_bytes());
                    sh.event(Event {
                        secret: s.name.clone(),
                        host: host.to_owned(),
                        refused: false,
                    });
                } else if !own_host {
                    return Err(s.name.clone());
                }
                continue;
            }
            // Basic credentials (`api:KEY`, `__token__:pypi-...`) hide the key in base64.
            if let Some(b64) = value.strip_prefix(b"Basic ".as_slice()) {
                let engine = base64::engine::general_purpose::STANDARD;
                let Ok(mut plain) = engine.decode(b64.trim_ascii()) else {
                    continue;
                };
                if let Some(at) = find(&plain, ph) {
                    if !own_host {
                        return Err(s.name.clone());
                    }
                    if may {
                        plain[at..at + ph.len()].copy_from_slice(s.real.as_bytes());
                        let mut v = b"Basic ".to_vec();
                        v.extend_from_slice(engine.encode(&plain).as_bytes());
                        *value = v;
                        sh.event(Event {
                            secret: s.name.clone(),
                            host: host.to_owned(),
                            refused: false,
                        });
                    }
                    zeroize::Zeroize::zeroize(&mut plain);
                }
            }
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
