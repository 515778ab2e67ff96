//! The event loop: calls from the message server into the service, replies back.

use std::time::Duration;

use embedded_hal::i2c::I2c;
use kos_client::{Error, Incoming, Message, Server, MAX_PAYLOAD};
use kos_i2c::I2cService;

/// Serves `kos_i2c_protocol` on `server` until its message server goes away (the error
/// says why). `tick` runs between calls and at least every 100 ms (the sim's unplug
/// switch uses it).
pub fn serve<B: I2c>(
    mut server: Server,
    service: &mut I2cService<B>,
    mut tick: impl FnMut(&mut I2cService<B>),
    log: impl Fn(&str),
) -> Error {
    let mut out = Box::new([0u8; MAX_PAYLOAD]);
    loop {
        tick(service);
        match server.next(Some(Duration::from_millis(100))) {
            Ok(None) => {}
            Ok(Some(Incoming::Call {
                reply_to,
                msg,
                from,
                ..
            })) => {
                let answer =
                    service.handle(&from.app, msg.label, msg.param, &msg.payload, &mut out);
                let reply =
                    Message::new(answer.status, &out[..answer.len]).with_param(answer.param);
                // A client gone meanwhile is its own problem; the bus is unaffected.
                let _ = server.reply(reply_to, reply);
            }
            Ok(Some(Incoming::Connected(c))) => {
                log(&format!("client {} connected (badge {})", c.app, c.badge))
            }
            Ok(Some(Incoming::Disconnected(c))) => {
                let stats = service.stats(&c.app);
                log(&format!(
                    "client {} disconnected (badge {}): {stats}",
                    c.app, c.badge
                ))
            }
            Ok(Some(Incoming::Send { from, .. })) => {
                log(&format!("ignored a one-way message from {}", from.app))
            }
            Ok(Some(Incoming::Rejected { from, error })) => {
                log(&format!("rejected a frame from {}: {error}", from.app))
            }
            Err(e) => return e,
        }
    }
}
