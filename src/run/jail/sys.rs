//! The system calls of the jail, each one async-signal-safe where the helper or the child
//! makes it after `fork` (no allocation, no lock): mounts, the loopback interface, the
//! listener, and passing descriptors over a socket pair.
#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::base::error::{Error, Result};

/// `/proc/self/fd/N` in a stack buffer: no allocation after the fork.
pub(super) struct FdPath {
    buf: [u8; 32],
}

impl FdPath {
    pub(super) fn new(fd: RawFd) -> Self {
        let mut buf = [0u8; 32];
        let prefix = b"/proc/self/fd/";
        buf[..prefix.len()].copy_from_slice(prefix);
        let mut digits = [0u8; 11];
        let mut n = fd.unsigned_abs();
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for i in 0..len {
            buf[prefix.len() + i] = digits[len - 1 - i];
        }
        Self { buf }
    }

    pub(super) fn as_cstr(&self) -> &std::ffi::CStr {
        std::ffi::CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"/")
    }
}

pub(super) fn check(r: libc::c_int) -> std::io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

pub(super) fn private_mounts() -> std::io::Result<()> {
    // SAFETY: mount with NUL-terminated constants and null data.
    check(unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    })
}

pub(super) fn tmpfs(at: &std::ffi::CStr, opts: &std::ffi::CStr) -> std::io::Result<()> {
    // SAFETY: mount with NUL-terminated strings prepared before the fork.
    check(unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            at.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            opts.as_ptr().cast(),
        )
    })
}

pub(super) fn bind(from: &std::ffi::CStr, to: &std::ffi::CStr) -> std::io::Result<()> {
    // SAFETY: mount with NUL-terminated strings prepared before the fork.
    check(unsafe {
        libc::mount(
            from.as_ptr(),
            to.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    })
}

pub(super) fn write_file(path: &std::ffi::CStr, text: &std::ffi::CStr) -> std::io::Result<()> {
    // SAFETY: open/write/close on NUL-terminated strings prepared before the fork.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let bytes = text.to_bytes();
        let n = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let e = std::io::Error::last_os_error();
        libc::close(fd);
        if usize::try_from(n).ok() == Some(bytes.len()) {
            Ok(())
        } else {
            Err(e)
        }
    }
}

/// Brings `lo` up in this network namespace.
pub(super) fn loopback_up() -> std::io::Result<()> {
    // SAFETY: a socket and an ioctl on a zeroed ifreq that names "lo".
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (d, b) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *d = *b as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        let r = libc::ioctl(s, libc::SIOCSIFFLAGS, &ifr);
        let e = std::io::Error::last_os_error();
        libc::close(s);
        if r == 0 { Ok(()) } else { Err(e) }
    }
}

/// A TCP listener on 127.0.0.1 with a port the kernel picks.
pub(super) fn listen() -> std::io::Result<RawFd> {
    // SAFETY: socket, bind and listen on a stack sockaddr_in.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if s < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if libc::bind(s, (&raw const a).cast(), len) != 0 || libc::listen(s, 1024) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(s)
    }
}

/// Sends three descriptors over `sock` (`SCM_RIGHTS`), without allocating.
pub(super) fn send(sock: RawFd, fds: &[RawFd; 3]) -> std::io::Result<()> {
    // SAFETY: a msghdr over stack buffers sized with CMSG_SPACE; CMSG_* stay inside them.
    unsafe {
        let mut byte = [0u8; 1];
        let mut iov = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let mut control = [0u64; 8];
        let size = std::mem::size_of_val(fds) as u32;
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(size) as _;
        let cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(cmsg).cast(), 3);
        if libc::sendmsg(sock, &raw const msg, 0) != 1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Receives the helper's three descriptors.
pub(super) fn receive(sock: &OwnedFd) -> Result<[OwnedFd; 3]> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    let failed = || Error::Failed("run --jail: the jail's helper sent no listener".into());
    let mut byte = [0u8; 1];
    let mut iov = [std::io::IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([RawFd; 3]);
    let msg = recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC | MsgFlags::MSG_DONTWAIT,
    )
    .map_err(|e| Error::io("receive", "the jail's listener", e.into()))?;
    for c in msg.cmsgs().map_err(|_| failed())? {
        if let ControlMessageOwned::ScmRights(fds) = c
            && let [a, b, c] = fds[..]
        {
            // SAFETY: the kernel just gave us these descriptors; nothing else owns them.
            return Ok(unsafe {
                [
                    OwnedFd::from_raw_fd(a),
                    OwnedFd::from_raw_fd(b),
                    OwnedFd::from_raw_fd(c),
                ]
            });
        }
    }
    Err(failed())
}

pub(super) fn socketpair() -> Result<(OwnedFd, OwnedFd)> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType};
    nix::sys::socket::socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| Error::io("make", "the jail's socket pair", e.into()))
}

/// Landlock's scopes (ABI 6, Linux 6.12): a ruleset that handles no file or network access
/// and scopes signals and abstract Unix sockets to the child's own domain.
pub(super) fn landlock_scopes() -> std::io::Result<OwnedFd> {
    #[repr(C)]
    struct Attr {
        handled_access_fs: u64,
        handled_access_net: u64,
        scoped: u64,
    }
    const CREATE_RULESET_VERSION: u32 = 1;
    const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1;
    const SCOPE_SIGNAL: u64 = 2;
    // SAFETY: a null attribute with size 0 and the VERSION flag asks for the ABI only.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<Attr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    if abi < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if abi < 6 {
        return Err(std::io::Error::from_raw_os_error(libc::EOPNOTSUPP));
    }
    let attr = Attr {
        handled_access_fs: 0,
        handled_access_net: 0,
        scoped: SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL,
    };
    // SAFETY: the attribute is a valid landlock_ruleset_attr of the size passed.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &raw const attr,
            std::mem::size_of::<Attr>(),
            0u32,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel just made this descriptor (close-on-exec); nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(i32::try_from(fd).unwrap_or(-1)) })
}

/// Enforces a Landlock ruleset on this process and its future children (async-signal-safe).
/// Needs `CAP_SYS_ADMIN` in the current user namespace or no_new_privs: the child has the
/// former until exec.
pub(super) fn landlock_restrict(ruleset: RawFd) -> std::io::Result<()> {
    // SAFETY: landlock_restrict_self reads no memory of ours.
    let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
