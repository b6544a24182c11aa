//! The zone endpoint's sockets: UDP datagrams and TCP connections (length-prefixed messages,
//! RFC 1035 section 4.2.2), each bounded in number, size and time.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::answer::{handle, Reply, Transport};
use super::{refused, transfer, Context};

/// Largest UDP request read, in bytes.
pub const MAX_UDP_REQUEST: usize = 4096;
/// UDP requests answered at once; more are dropped (the client retries).
pub const MAX_UDP_IN_FLIGHT: usize = 256;
/// TCP connections served at once; more wait to be accepted.
pub const MAX_TCP_CONNECTIONS: usize = 64;
/// How long a TCP connection may stay idle between requests.
pub const TCP_IDLE: Duration = Duration::from_secs(10);
/// How long one transfer may take to write out.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);

/// Answers UDP requests until `shutdown`.
pub async fn serve_udp(socket: UdpSocket, context: Context, shutdown: CancellationToken) {
    let socket = Arc::new(socket);
    let in_flight = Arc::new(Semaphore::new(MAX_UDP_IN_FLIGHT));
    let mut buffer = vec![0u8; MAX_UDP_REQUEST];
    loop {
        let (length, source) = tokio::select! {
            _ = shutdown.cancelled() => return,
            received = socket.recv_from(&mut buffer) => match received {
                Ok(received) => received,
                Err(error) => {
                    tracing::debug!(%error, "RPZ UDP receive failed");
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else {
            refused("busy");
            continue;
        };
        let request = buffer[..length].to_vec();
        let socket = Arc::clone(&socket);
        let context = context.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match handle(&context, &request, source, Transport::Udp) {
                Reply::One(bytes) => {
                    let _ = socket.send_to(&bytes, source).await;
                }
                // Transfers are never authorised over UDP.
                Reply::Transfer(_) | Reply::Nothing => {}
            }
        });
    }
}

/// Accepts TCP connections until `shutdown`.
pub async fn serve_tcp(listener: TcpListener, context: Context, shutdown: CancellationToken) {
    let connections = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return;
        };
        let (stream, source) = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::debug!(%error, "RPZ TCP accept failed");
                    continue;
                }
            },
        };
        let context = context.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = connection(stream, source, &context) => {}
            }
        });
    }
}

/// Serves one TCP connection: requests one after another until it closes or idles.
async fn connection(stream: TcpStream, source: std::net::SocketAddr, context: &Context) {
    let (mut reader, writer) = stream.into_split();
    let mut writer = BufWriter::with_capacity(64 * 1024, writer);
    loop {
        let length = match tokio::time::timeout(TCP_IDLE, reader.read_u16()).await {
            Ok(Ok(length)) => usize::from(length),
            _ => return,
        };
        let mut request = vec![0u8; length];
        match tokio::time::timeout(TCP_IDLE, reader.read_exact(&mut request)).await {
            Ok(Ok(_)) => {}
            _ => {
                refused("malformed");
                return;
            }
        }
        match handle(context, &request, source, Transport::Tcp) {
            Reply::Nothing => {}
            Reply::One(bytes) => {
                let Ok(length) = u16::try_from(bytes.len()) else {
                    return;
                };
                let written = async {
                    writer.write_u16(length).await?;
                    writer.write_all(&bytes).await?;
                    writer.flush().await
                };
                if tokio::time::timeout(TCP_IDLE, written).await.is_err() {
                    return;
                }
            }
            Reply::Transfer(transfer) => {
                let operator = transfer.operator.clone();
                match tokio::time::timeout(
                    TRANSFER_TIMEOUT,
                    transfer::send(context, transfer, &mut writer),
                )
                .await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%source, %operator, %error, "RPZ transfer failed");
                        return;
                    }
                    Err(_) => {
                        tracing::warn!(%source, %operator, "RPZ transfer timed out");
                        return;
                    }
                }
            }
        }
    }
}
