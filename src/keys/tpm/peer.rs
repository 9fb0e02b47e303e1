//! Who serves a TPM socket (#19). /tmp is shared and ports above 1023 are anyone's: a swtpm
//! started by another user of the machine would be the TPM a new identity is sealed to, and
//! its owner, who holds the simulator's state, could unseal it. aisecrets talks only to a
//! TPM served by the user, root, or the system's TPM accounts (`tss`, `swtpm`).
//!
//! A Unix socket's peer is the kernel's answer (`SO_PEERCRED`, taken at connect time). A TCP
//! peer on this machine is found in `/proc/net/tcp` and `tcp6`: the socket that accepted the
//! connection carries its listener's owner. A peer on another machine cannot be checked;
//! naming one is the user's explicit choice.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;

/// Whether a TPM served by `uid` may be used: the user's own, root's, or a TPM account's.
#[must_use]
pub fn allowed(uid: u32) -> bool {
    uid == nix::unistd::geteuid().as_raw()
        || uid == 0
        || ["tss", "swtpm"].into_iter().any(|name| {
            nix::unistd::User::from_name(name)
                .ok()
                .flatten()
                .is_some_and(|u| u.uid.as_raw() == uid)
        })
}

/// The user name of `uid`, for the error (sanitized), or "another user".
#[must_use]
pub fn name_of(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(
            || "another user".to_owned(),
            |u| crate::base::output::sanitize(&u.name, 32),
        )
}

/// The uid of the process that serves a Unix socket.
///
/// # Errors
/// The kernel does not say.
pub fn unix(s: &UnixStream) -> io::Result<u32> {
    let cred = nix::sys::socket::getsockopt(s, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(io::Error::from)?;
    Ok(cred.uid())
}

/// The uid that owns the other end of a TCP connection when it is on this machine; `None`
/// when it is not.
///
/// # Errors
/// The peer is a loopback address, yet not in `/proc/net/tcp*` (nothing to go by).
pub fn tcp(s: &TcpStream) -> io::Result<Option<u32>> {
    let (ours, theirs) = (s.local_addr()?, s.peer_addr()?);
    // The accepted socket: its local address is our peer, its remote one is us (written as
    // IPv4-mapped IPv6 addresses when a dual-stack listener took an IPv4 connection).
    let pairs = [
        (hex(theirs), hex(ours)),
        (hex(mapped(theirs)), hex(mapped(ours))),
    ];
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let ends = (f.get(1).copied(), f.get(2).copied());
            if pairs
                .iter()
                .any(|(l, r)| ends == (Some(l.as_str()), Some(r.as_str())))
            {
                return f
                    .get(7)
                    .and_then(|u| u.parse().ok())
                    .map(Some)
                    .ok_or_else(|| io::Error::other("an unreadable /proc/net/tcp line"));
            }
        }
    }
    if theirs.ip().is_loopback() {
        return Err(io::Error::other(
            "the process serving this loopback port is not in /proc/net/tcp",
        ));
    }
    Ok(None)
}

/// An IPv4 address as an IPv4-mapped IPv6 one; others as they are.
fn mapped(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port()),
        SocketAddr::V6(_) => a,
    }
}

/// An address as `/proc/net/tcp` prints it: each 32-bit word of the address in host byte
/// order, in hex, then the port.
fn hex(a: SocketAddr) -> String {
    let octets = match a.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let words: String = octets
        .chunks(4)
        .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    format!("{words}:{:04X}", a.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_proc_net_tcp_prints_them() {
        if cfg!(target_endian = "little") {
            assert_eq!(hex("127.0.0.1:2321".parse().unwrap()), "0100007F:0911");
            assert_eq!(
                hex("[::1]:2321".parse().unwrap()),
                "00000000000000000000000001000000:0911"
            );
        }
    }

    #[test]
    fn a_connection_to_ourselves_is_ours() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let uid = nix::unistd::geteuid().as_raw();
        assert_eq!(tcp(&s).unwrap(), Some(uid));
        // A dual-stack listener taking an IPv4 connection (where IPv6 exists).
        if let Ok(l6) = std::net::TcpListener::bind("[::]:0") {
            let port = l6.local_addr().unwrap().port();
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            assert_eq!(tcp(&s).unwrap(), Some(uid));
        }
        let (a, _b) = UnixStream::pair().unwrap();
        assert_eq!(unix(&a).unwrap(), uid);
        assert!(allowed(uid) && allowed(0));
    }
}
