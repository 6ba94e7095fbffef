//! `MPI_Finalize` without a 40 ms wait for a delayed acknowledgement.
//!
//! Under Open MPI 4 every rank talks to its node's PMIx server (inside `mpirun` or `orted`) over a
//! TCP connection to the loopback address, and PMIx (4.2) leaves Nagle's algorithm on for it.
//! `MPI_Finalize` writes three small messages to the server in a row and waits for the reply to
//! the last: Nagle holds that last one back until the server acknowledges the one before, and
//! Linux delays that acknowledgement by about 40 ms because the server has nothing to send yet. So
//! every rank's `MPI_Finalize` took about 45-50 ms, in any job.
//!
//! Right after `MPI_Init`, spmd-comm therefore sets `TCP_NODELAY` on the sockets `MPI_Init`
//! opened that are TCP connections to a loopback peer and lack it. Their messages are unchanged;
//! only their packets leave as soon as they are written, and `MPI_Finalize` takes about 5 ms.
//! Sockets that were open before `MPI_Init` (the application's) are left alone, as are MPI's
//! connections to other machines. Linux only (the open sockets are listed from `/proc/self/fd`).

use std::collections::BTreeSet;
use std::os::fd::RawFd;

/// The file descriptors this process has open (empty where they cannot be listed).
pub(crate) fn open_descriptors() -> BTreeSet<RawFd> {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return BTreeSet::new();
    };
    let mut listed: BTreeSet<RawFd> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own descriptor was among them and is closed now; its number may be reused.
    // SAFETY: `F_GETFD` only reads the descriptor's flags, failing on a closed one.
    listed.retain(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1);
    listed
}

/// Sets `TCP_NODELAY` on every descriptor open now but not in `before` that is a TCP connection
/// to a loopback address without it. Returns how many it set.
pub(crate) fn set_on_new_loopback_connections(before: &BTreeSet<RawFd>) -> usize {
    open_descriptors()
        .difference(before)
        .filter(|&&fd| is_loopback_tcp(fd) && !has_nodelay(fd) && set_nodelay(fd))
        .count()
}

/// An integer socket option of `fd`, or `None` when it is not a socket or has no such option.
fn int_option(fd: RawFd, level: libc::c_int, name: libc::c_int) -> Option<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `length` are valid for writes of the sizes given; a descriptor that is
    // not a socket only makes the call fail.
    let status = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            std::ptr::addr_of_mut!(value).cast(),
            &mut length,
        )
    };
    (status == 0).then_some(value)
}

/// Whether `fd` is a stream socket connected to 127.0.0.0/8, `::1` or `::ffff:127.0.0.0/104`.
fn is_loopback_tcp(fd: RawFd) -> bool {
    if int_option(fd, libc::SOL_SOCKET, libc::SO_TYPE) != Some(libc::SOCK_STREAM) {
        return false;
    }
    // SAFETY: an all-zero `sockaddr_storage` is a valid value of this plain C struct.
    let mut peer: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut length = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `peer` has room for any address family and `length` says so.
    let status = unsafe { libc::getpeername(fd, std::ptr::addr_of_mut!(peer).cast(), &mut length) };
    if status != 0 {
        return false;
    }
    match libc::c_int::from(peer.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`.
            let v4: libc::sockaddr_in =
                unsafe { std::ptr::addr_of!(peer).cast::<libc::sockaddr_in>().read() };
            std::net::Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr)).is_loopback()
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a `sockaddr_in6`.
            let v6: libc::sockaddr_in6 =
                unsafe { std::ptr::addr_of!(peer).cast::<libc::sockaddr_in6>().read() };
            let address = std::net::Ipv6Addr::from(v6.sin6_addr.s6_addr);
            address.is_loopback() || address.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        _ => false,
    }
}

fn has_nodelay(fd: RawFd) -> bool {
    int_option(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY).is_some_and(|v| v != 0)
}

fn set_nodelay(fd: RawFd) -> bool {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid `c_int` for the length given.
    let status = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            std::ptr::addr_of!(on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    status == 0
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn sets_nodelay_only_on_new_loopback_connections() -> std::io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let older = TcpStream::connect(address)?;
        let (older_peer, _) = listener.accept()?;
        let before = open_descriptors();
        assert!(before.contains(&older.as_raw_fd()));

        let newer = TcpStream::connect(address)?;
        let (newer_peer, _) = listener.accept()?;
        assert!(!before.contains(&newer.as_raw_fd()) && !before.contains(&newer_peer.as_raw_fd()));
        let file = std::fs::File::open("/proc/self/status")?;
        assert!(!newer.nodelay()? && !newer_peer.nodelay()?);

        // Both ends of the new connection are set; the older connection, the listener (not
        // connected) and the file are left alone.
        assert_eq!(set_on_new_loopback_connections(&before), 2);
        assert!(newer.nodelay()? && newer_peer.nodelay()?);
        assert!(!older.nodelay()? && !older_peer.nodelay()?);
        assert!(!is_loopback_tcp(listener.as_raw_fd()));
        assert!(!is_loopback_tcp(file.as_raw_fd()));
        // Already set: nothing more to do.
        assert_eq!(set_on_new_loopback_connections(&before), 0);
        Ok(())
    }
}
