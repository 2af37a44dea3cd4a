//! `oxmq proxy <TYPE> <EP> <TYPE> <EP>`: `zmq_proxy` from the shell.

use bytes::Bytes;
use oxmq::{AnySocket, Context};

use crate::args::{Kind, ProxyArgs};
use crate::error::CliError;
use crate::watch::Guard;

/// Creates, subscribes (a SUB takes everything) and attaches one side.
async fn side(
    ctx: &Context,
    kind: Kind,
    endpoint: &str,
    connect: bool,
    verbose: bool,
) -> Result<(AnySocket, Guard), CliError> {
    let mut socket = AnySocket::new(ctx, kind.socket_type())?;
    let guard = Guard::new(socket.monitor(), false, verbose, None);
    if kind == Kind::Sub {
        socket.subscribe(Bytes::new()).await?;
    }
    if connect {
        socket.connect(endpoint)?;
    } else {
        socket.bind(endpoint).await?;
    }
    Ok((socket, guard))
}

/// Runs the proxy until a socket fails (or the process is stopped).
pub(crate) async fn run(p: ProxyArgs) -> Result<(), CliError> {
    let (f, b) = (p.frontend_type, p.backend_type);
    let flows = (f.can_recv() && b.can_send()) || (b.can_recv() && f.can_send());
    if !flows {
        return Err(CliError::Usage(format!(
            "proxy: nothing can flow from {} to {} or back",
            f.name(),
            b.name()
        )));
    }
    let ctx = Context::new();
    let (mut front, mut front_guard) = side(
        &ctx,
        p.frontend_type,
        &p.frontend,
        p.frontend_connect,
        p.verbose,
    )
    .await?;
    let (mut back, mut back_guard) = side(
        &ctx,
        p.backend_type,
        &p.backend,
        p.backend_connect,
        p.verbose,
    )
    .await?;
    tokio::select! {
        r = oxmq::proxy(&mut front, &mut back, None) => Ok(r?),
        e = front_guard.fatal() => Err(e),
        e = back_guard.fatal() => Err(e),
    }
}
