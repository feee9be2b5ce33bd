//! Where an instance's sockets live: the machine's own loopback, or a network namespace of the
//! instance's own, so that extensions of two instances can both bind the documented ports
//! (127.0.0.1:8081–8090) at once, as they can on FunctionGraph, where each instance is a pod.

use std::{
    fs::File,
    io,
    net::{Ipv4Addr, SocketAddr, TcpListener as StdListener, TcpStream as StdStream},
    os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd},
    sync::Arc,
    time::Duration,
};

use rustix::thread::{LinkNameSpaceType, UnshareFlags, move_into_link_name_space, unshare_unsafe};
use tokio::{
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

/// The network an instance's processes and the platform's sockets for it use.
#[derive(Clone)]
pub(crate) enum Network {
    /// The machine's loopback, shared with everything else on it.
    Host,
    /// A namespace of the instance's own: loopback only, plus the relayed host ports.
    Namespace(Arc<Namespace>),
}

pub(crate) struct Namespace {
    fd: Arc<OwnedFd>,
    relays: Vec<AbortHandle>,
}

impl Drop for Namespace {
    fn drop(&mut self) {
        for relay in &self.relays {
            relay.abort();
        }
    }
}

impl Network {
    /// A fresh namespace with its loopback up, in which 127.0.0.1:P leads to the host's
    /// 127.0.0.1:P for every P of `host_ports`. Needs CAP_SYS_ADMIN (root, or fgref started
    /// under `unshare -Ur`).
    pub(crate) async fn namespace(host_ports: &[u16]) -> io::Result<Network> {
        let fd = on_own_thread(None, || {
            // SAFETY: only the network namespace is unshared, and only on this short-lived
            // thread, which shares no file table trick with others (the hazard of FILES).
            unsafe { unshare_unsafe(UnshareFlags::NEWNET) }?;
            bring_loopback_up()?;
            Ok(OwnedFd::from(File::open("/proc/thread-self/ns/net")?))
        })
        .await?;
        let fd = Arc::new(fd);
        let mut relays = Vec::with_capacity(host_ports.len());
        for &port in host_ports {
            let inside = bind_in(
                Some(Arc::clone(&fd)),
                SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            )
            .await?;
            relays.push(tokio::spawn(relay_to_host(inside, port)).abort_handle());
        }
        Ok(Network::Namespace(Arc::new(Namespace { fd, relays })))
    }

    fn ns_fd(&self) -> Option<Arc<OwnedFd>> {
        match self {
            Network::Host => None,
            Network::Namespace(ns) => Some(Arc::clone(&ns.fd)),
        }
    }

    /// A listener on `addr` inside this network.
    pub(crate) async fn bind(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        match self {
            Network::Host => TcpListener::bind(addr).await,
            Network::Namespace(_) => bind_in(self.ns_fd(), addr).await,
        }
    }

    /// A connection to `addr` inside this network, within `limit`.
    pub(crate) async fn connect(&self, addr: SocketAddr, limit: Duration) -> io::Result<TcpStream> {
        match self {
            Network::Host => tokio::time::timeout(limit, TcpStream::connect(addr))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))?,
            Network::Namespace(_) => {
                let stream = on_own_thread(self.ns_fd(), move || {
                    StdStream::connect_timeout(&addr, limit)
                })
                .await?;
                stream.set_nonblocking(true)?;
                TcpStream::from_std(stream)
            }
        }
    }

    /// The namespace a child process must enter before it execs, if any.
    pub(crate) fn enter_before_exec(&self) -> Option<RawFd> {
        match self {
            Network::Host => None,
            Network::Namespace(ns) => Some(ns.fd.as_raw_fd()),
        }
    }
}

/// Moves the calling (freshly cloned, not yet exec'd) process into the namespace `fd`.
///
/// # Safety
/// For a child of `spawn.rs` before it execs only; `fd` must be open in the parent until the
/// child has exec'd.
pub(crate) unsafe fn enter(fd: RawFd) -> io::Result<()> {
    // SAFETY: the caller keeps `fd` open across the fork; setns is a plain syscall, safe
    // between fork and exec.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    move_into_link_name_space(fd, Some(LinkNameSpaceType::Network)).map_err(io::Error::from)
}

async fn bind_in(ns: Option<Arc<OwnedFd>>, addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = on_own_thread(ns, move || StdListener::bind(addr)).await?;
    listener.set_nonblocking(true)?;
    TcpListener::from_std(listener)
}

/// Runs `work` on a thread of its own that first enters `ns`. A namespace is a property of a
/// thread, and a socket keeps the namespace it was made in, so the platform's sockets for an
/// instance are made there while every other thread stays in the host's network.
async fn on_own_thread<T: Send + 'static>(
    ns: Option<Arc<OwnedFd>>,
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("fgref-netns".to_owned())
        .spawn(move || {
            let result = match ns {
                Some(fd) => move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))
                    .map_err(io::Error::from)
                    .and_then(|()| work()),
                None => work(),
            };
            let _ = tx.send(result);
        })?;
    rx.await
        .map_err(|_| io::Error::other("the network namespace thread died"))?
}

/// A new namespace's loopback is down; nothing can bind 127.0.0.1 until it is up.
fn bring_loopback_up() -> io::Result<()> {
    // SAFETY: plain socket/ioctl calls on a zeroed `ifreq` whose name is "lo" and NUL-padded;
    // the socket is closed by OwnedFd.
    unsafe {
        let raw = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = OwnedFd::from_raw_fd(raw);
        let mut request: libc::ifreq = std::mem::zeroed();
        for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo") {
            *slot = *byte as libc::c_char;
        }
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) < 0 {
            return Err(io::Error::last_os_error());
        }
        request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &request) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Accepts connections inside a namespace and joins each to the host's 127.0.0.1:`port`.
async fn relay_to_host(inside: TcpListener, port: u16) {
    loop {
        let Ok((mut from_instance, _)) = inside.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let Ok(mut to_host) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut from_instance, &mut to_host).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Skips (returns None) where the machine does not let fgref make namespaces.
    async fn namespace(host_ports: &[u16]) -> Option<Network> {
        match Network::namespace(host_ports).await {
            Ok(network) => Some(network),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => None,
            Err(e) => panic!("creating a namespace failed: {e}"),
        }
    }

    #[tokio::test]
    async fn two_namespaces_bind_the_same_port_and_the_platform_reaches_each() {
        let (Some(a), Some(b)) = (namespace(&[]).await, namespace(&[]).await) else {
            return;
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 8090));
        let la = a.bind(addr).await.unwrap();
        let lb = b.bind(addr).await.unwrap();
        for (network, listener, tag) in [(&a, la, b'a'), (&b, lb, b'b')] {
            let server = tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                s.write_all(&[tag]).await.unwrap();
            });
            let mut c = network.connect(addr, Duration::from_secs(1)).await.unwrap();
            let mut got = [0u8];
            c.read_exact(&mut got).await.unwrap();
            assert_eq!(got[0], tag);
            server.await.unwrap();
        }
    }

    #[tokio::test]
    async fn host_ports_are_relayed_into_the_namespace() {
        let host = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = host.local_addr().unwrap().port();
        let Some(ns) = namespace(&[port]).await else {
            return;
        };
        let server = tokio::spawn(async move {
            let (mut s, _) = host.accept().await.unwrap();
            s.write_all(b"host").await.unwrap();
        });
        let mut c = ns
            .connect(
                SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                Duration::from_secs(1),
            )
            .await
            .unwrap();
        let mut got = [0u8; 4];
        c.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"host");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_namespace_does_not_see_the_hosts_other_ports() {
        let host = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = host.local_addr().unwrap();
        let Some(ns) = namespace(&[]).await else {
            return;
        };
        assert!(ns.connect(addr, Duration::from_secs(1)).await.is_err());
    }
}
