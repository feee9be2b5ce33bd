//! A target that answers garbage, refuses connections or hangs costs one verdict per trial,
//! marked as an error (not a conformance failure), and never the run.

use crate::support::selftest;
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{CASE_TOML, ECHO_JS, corpus, fgconform, outcomes, text};

pub fn trials() -> Vec<Trial> {
    vec![
        selftest("selftest::targets::garbage-answers", || {
            broken_target(Behaviour::Garbage)
        }),
        selftest("selftest::targets::connection-refused", || {
            broken_target(Behaviour::Refuse)
        }),
        selftest("selftest::targets::invoke-hangs", || {
            broken_target(Behaviour::HangOnInvoke)
        }),
    ]
}

#[derive(Clone, Copy)]
enum Behaviour {
    Garbage,
    Refuse,
    /// Deploys fine, then never answers an invoke.
    HangOnInvoke,
}

/// A fake target on 127.0.0.1:0, built from a function; answers every request per `behaviour`.
fn serve(behaviour: Behaviour) -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    if matches!(behaviour, Behaviour::Refuse) {
        drop(listener);
        return (addr, std::thread::spawn(|| {}));
    }
    let thread = std::thread::spawn(move || {
        let tokio_runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        tokio_runtime.block_on(async move {
            listener.set_nonblocking(true).expect("nonblocking");
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            // Bounded: the fake serves for at most a minute, then goes away by itself.
            let _ = tokio::time::timeout(Duration::from_secs(60), async {
                loop {
                    let Ok((mut socket, _)) = listener.accept().await else { return };
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 65536];
                        let n = socket.read(&mut buf).await.unwrap_or(0);
                        let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                        let body = match behaviour {
                            Behaviour::Garbage => "<html>not FunctionGraph</html>".to_owned(),
                            _ if request.contains("/invocations") => {
                                tokio::time::sleep(Duration::from_secs(120)).await;
                                return;
                            }
                            _ => r#"{"func_urn":"urn:fss:fake:p:function:default:f:latest","func_name":"f"}"#.to_owned(),
                        };
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(reply.as_bytes()).await;
                    });
                }
            })
            .await;
        });
    });
    (addr, thread)
}

fn broken_target(behaviour: Behaviour) -> Result<(), Failed> {
    let (addr, _server) = serve(behaviour);
    let dir = tempfile::tempdir()?;
    let target = dir.path().join("broken.toml");
    std::fs::write(
        &target,
        format!(
            "name = \"broken\"\nurl = \"http://{addr}\"\nruntimes = [\"Node.js20.15\"]\nfeatures = []\n[timeouts]\ncold_invoke = 1\nwarm_invoke = 1\n"
        ),
    )?;
    let started = std::time::Instant::now();
    let cases = corpus(&[
        ("area/one", CASE_TOML, ECHO_JS, "{}"),
        ("area/two", CASE_TOML, ECHO_JS, "{}"),
    ]);
    let output = fgconform(
        &[
            "--cases",
            cases.path().to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    let found = outcomes(&output);
    if found.len() != 2 || output.status.code() != Some(101) {
        return Err(format!(
            "expected two verdicts and exit 101, got {found:?}, exit {:?}\n{}",
            output.status.code(),
            text(&output)
        )
        .into());
    }
    for (name, (outcome, message)) in &found {
        if outcome != "failed" || !message.contains("ERROR (the target or the harness broke") {
            return Err(
                format!("{name}: expected an error verdict, got {outcome}: {message}").into(),
            );
        }
        // The descriptor's `cold_invoke` bounds the invoke: 3 s of the function's timeout + 1 s,
        // where the local default would wait 13 s.
        if matches!(behaviour, Behaviour::HangOnInvoke)
            && (!message.contains("InvokeFunction did not complete: timed out")
                || started.elapsed() > Duration::from_secs(11))
        {
            return Err(format!(
                "{name}: expected the invoke to time out after about 4 s, got after {:?}: {message}",
                started.elapsed()
            )
            .into());
        }
    }
    Ok(())
}
