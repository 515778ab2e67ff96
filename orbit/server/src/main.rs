//! The `orbit` command: run the fleet service (`serve`, here), or operate a running
//! one (`orbit::cli`).

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use orbit::cli::{Cli, Cmd};
use orbit::{Orbit, Settings};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Cmd::Serve {
            listen,
            tls_cert,
            tls_key,
            stop_on_eof,
        } => serve(
            &cli,
            *listen,
            tls_cert.as_deref().zip(tls_key.as_deref()),
            *stop_on_eof,
        )
        .map_err(|e| e.to_string()),
        _ => orbit::cli::operate(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orbit: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    cli: &Cli,
    listen: SocketAddr,
    tls: Option<(&std::path::Path, &std::path::Path)>,
    stop_on_eof: bool,
) -> Result<(), orbit::StartError> {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "orbit=info".into()),
        )
        // Colour for people at a terminal; plain text for a file or a pipe (demo.sh's
        // orbit.log, mix kos.orbit.start, log collectors).
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let acceptor = tls
        .map(|(cert, key)| orbit::tls::acceptor(cert, key))
        .transpose()?;
    let (http, ws) = if acceptor.is_some() {
        ("https", "wss")
    } else {
        ("http", "ws")
    };
    let orbit = Orbit::open(&cli.data_dir(), Settings::default())?;
    let runtime = tokio::runtime::Runtime::new().map_err(orbit::StartError::Runtime)?;
    runtime.block_on(async {
        let token = orbit.admin_token.clone();
        let running = match acceptor {
            Some(acceptor) => orbit::start_tls(orbit, listen, acceptor).await?,
            None => orbit::start(orbit, listen).await?,
        };
        tracing::info!(
            "Orbit listening on {} (data in {}); devices connect to {ws}://{}{}",
            running.addr,
            cli.data_dir().display(),
            running.addr,
            orbit_protocol::DEVICE_PATH
        );
        tracing::info!("dashboard: {http}://{}/#token={token}", running.addr);
        wait_for_signal(stop_on_eof).await;
        tracing::info!("stopping");
        running.stop().await;
        Ok(())
    })
}

/// Until Ctrl-C, SIGTERM or — with `stop_on_eof` — the end of standard input.
async fn wait_for_signal(stop_on_eof: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    if stop_on_eof {
        // A parent that runs Orbit through a pipe (mix does, from its own session,
        // where the terminal's Ctrl-C never reaches Orbit) ends by closing it.
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
            let _ = eof_tx.send(());
        });
    }
    let eof = async move {
        if stop_on_eof {
            let _ = eof_rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = eof => {}
    }
}
