//! The root task's answers to its components' requests — the directory's publish,
//! connect and who, and console lines — and what a component's end does to the grants
//! it took part in.
//!
//! The decisions are the directory's (`directory`, over `kos-msg-server`); this module
//! turns them into capabilities and replies: an endpoint made from the server's own
//! memory and placed in its CSpace; a call-only copy badged for the client; a connect
//! held (its reply capability saved) until the protocol is published; the app behind a
//! badge, told only to the server of that token.

use core::fmt::Write;

use alloc::vec::Vec;

use kos_msg::Refusal;
use kos_sel4_rt::env::{
    token_frame, ROOT_CONNECT, ROOT_LOG, ROOT_PUBLISH, ROOT_REFUSED, ROOT_WHO, SERVED_FRAMES_VADDR,
};
use kos_sel4_rt::{k, wire, Console, Msg};

use crate::directory::{self, Directories, Endpoint, Route, Token, Waiter};
use crate::{bad, fail, map_page, sel4, Fail, Recipe, Slot, COMP_CNODE_BITS, PAGE};

/// Badges a server can map a frame for (per message server; the directory's badges
/// count up from 1 and are never reused).
const FRAME_BADGES: u64 = 1 << 20;

/// What a request needs of the root's state.
pub struct Cx<'a, 'm> {
    pub dirs: &'a mut Directories<'m>,
    pub slots: &'a mut [Slot],
    pub recipes: &'a [Recipe<'m>],
    /// Per component: the root CNode slot for the reply capability of a held connect.
    pub reply_pool: &'a [usize],
    pub out: &'a mut Console,
}

/// A component's console text as it is printed: UTF-8 errors and control characters
/// (a line break, a carriage return, an escape sequence) shown as `\u{fffd}`, so one
/// request is one console line that starts with its sender's name.
struct Printable<'b>(&'b [u8]);

impl core::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                f.write_char(if c.is_control() && c != '\t' {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                })?;
            }
            if !chunk.invalid().is_empty() {
                f.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }
}

/// An answer: the reply's label and words.
struct Answer {
    label: usize,
    words: [usize; 2],
    len: usize,
}

impl Answer {
    fn yes(words: &[usize]) -> Answer {
        let mut a = Answer {
            label: 0,
            words: [0; 2],
            len: words.len(),
        };
        a.words[..words.len()].copy_from_slice(words);
        a
    }

    fn no(refusal: Refusal) -> Answer {
        Answer {
            label: ROOT_REFUSED + usize::from(refusal.code()),
            words: [0; 2],
            len: 0,
        }
    }
}

impl Cx<'_, '_> {
    /// Answers component `index`'s request `m` (received just now: the root's reply
    /// capability is its caller's).
    pub fn answer(&mut self, index: usize, m: &Msg) -> Result<(), Fail> {
        let ipc = sel4::ipc();
        let app = self.recipes[index].app;
        let Some(conn) = self.slots[index].live.as_ref().map(|l| l.conn) else {
            return Ok(());
        };
        let answer = match m.label() {
            ROOT_LOG => {
                let mut bytes = [0u8; wire::MAX_IPC_PAYLOAD];
                match wire::decode(ipc, m, &mut bytes, None) {
                    Some((_, len)) => {
                        let _ = writeln!(self.out, "[{}] {}", app.name, Printable(&bytes[..len]));
                        Answer::yes(&[])
                    }
                    None => Answer::no(Refusal::BadFrame),
                }
            }
            ROOT_WHO => {
                let (ep, badge) = (ipc.get(m, 0), ipc.get(m, 1) as u64);
                match self.dirs.who(conn, ep, badge) {
                    Some(name) => {
                        let frame = self
                            .dirs
                            .tokens
                            .iter()
                            .find(|t| t.grant.server == conn && t.grant.badge == badge)
                            .map_or(0, |t| t.server_frame);
                        match wire::encode(ipc, frame as u64, name.as_bytes(), None) {
                            Some(reply) => ipc.reply_loaded(0, &reply),
                            None => {
                                ipc.reply(ROOT_REFUSED + usize::from(Refusal::BadName.code()), &[])
                            }
                        }
                        return Ok(());
                    }
                    None => Answer::no(Refusal::UnknownBadge),
                }
            }
            label @ (ROOT_PUBLISH | ROOT_CONNECT) => {
                let mut bytes = [0u8; kos_msg::MAX_PROTOCOL_LEN];
                let name = wire::decode(ipc, m, &mut bytes, None)
                    .ok_or(Refusal::BadFrame)
                    .and_then(|(_, len)| directory::protocol_name(&bytes[..len]));
                match name {
                    Err(refusal) => Answer::no(refusal),
                    Ok(protocol) if label == ROOT_PUBLISH => {
                        self.publish(index, conn, &protocol)?
                    }
                    Ok(protocol) => match self.dirs.route(conn, app, &protocol) {
                        Ok(Route::Now(ms)) => self.grant(ms, conn, &protocol)?,
                        Ok(Route::Wait(ms)) => {
                            let reply_slot = self.reply_pool[index];
                            sel4::cnode_save_caller(
                                k::CAP_INIT_THREAD_CNODE,
                                reply_slot,
                                k::WORD_BITS,
                            )
                            .map_err(fail("CNode_SaveCaller"))?;
                            let _ = writeln!(
                                self.out,
                                "kos root task: {} waits for {protocol} on {} (granted, not published yet)",
                                app.name,
                                self.dirs.msg_server(ms)
                            );
                            self.dirs.waiters.push(Waiter {
                                conn,
                                msg_server: ms,
                                protocol,
                                reply_slot,
                            });
                            return Ok(());
                        }
                        Err(refusal) => {
                            let _ = writeln!(
                                self.out,
                                "kos root task: refused connect {protocol} for {}: {refusal}",
                                app.name
                            );
                            Answer::no(refusal)
                        }
                    },
                }
            }
            other => {
                let _ = writeln!(
                    self.out,
                    "kos root task: {} sent request {other:#x}, which the root does not serve",
                    app.name
                );
                Answer::no(Refusal::BadFrame)
            }
        };
        ipc.reply(answer.label, &answer.words[..answer.len]);
        Ok(())
    }

    /// Component `index` publishes `protocol`: an endpoint from its own memory, in its
    /// CSpace; then the connects held for it are answered.
    fn publish(&mut self, index: usize, conn: u64, protocol: &str) -> Result<Answer, Fail> {
        let app = self.recipes[index].app;
        let ms = match self.dirs.publish(conn, app, protocol) {
            Ok(ms) => ms,
            Err(refusal) => {
                let _ = writeln!(
                    self.out,
                    "kos root task: refused publish {protocol} for {}: {refusal}",
                    app.name
                );
                return Ok(Answer::no(refusal));
            }
        };
        let live = self.slots[index].live.as_mut().expect("a live component");
        let root_slot = live.alloc.obj(k::OBJ_ENDPOINT, 0)?;
        let server_slot = live.next_cslot;
        sel4::cnode_mint(
            live.cnode,
            server_slot,
            COMP_CNODE_BITS,
            k::CAP_INIT_THREAD_CNODE,
            root_slot,
            k::WORD_BITS,
            k::ALL_RIGHTS,
            0,
        )
        .map_err(fail("CNode_Mint (published endpoint)"))?;
        live.next_cslot += 1;
        let _ = writeln!(
            self.out,
            "kos root task: {} publishes {protocol} on {}: an endpoint in its slot {server_slot}",
            app.name,
            self.dirs.msg_server(ms)
        );
        self.dirs.endpoints.push(Endpoint {
            msg_server: ms,
            protocol: protocol.into(),
            server: conn,
            root_slot,
            server_slot,
        });
        let ipc = sel4::ipc();
        for w in self.dirs.take_waiters(ms, protocol) {
            let a = self.grant(ms, w.conn, protocol)?;
            ipc.send(w.reply_slot, a.label, &a.words[..a.len]);
            // The kernel deletes a reply capability it delivered; an undelivered one
            // (its caller gone) must not stay in the pool.
            let _ = sel4::cnode_delete(k::CAP_INIT_THREAD_CNODE, w.reply_slot, k::WORD_BITS);
        }
        Ok(Answer::yes(&[server_slot]))
    }

    /// A token for `conn` to `protocol` on message server `ms`, minted into its CSpace.
    fn grant(&mut self, ms: usize, conn: u64, protocol: &str) -> Result<Answer, Fail> {
        let client = directory::component(conn);
        let app = &self.recipes[client].app.name;
        let Some(ep) = self.dirs.endpoint(ms, protocol).map(|e| e.root_slot) else {
            return Ok(Answer::no(Refusal::NotPublished));
        };
        let Some(live) = self.slots[client].live.as_mut() else {
            return Ok(Answer::no(Refusal::NotGranted));
        };
        if live.next_cslot >= 1 << COMP_CNODE_BITS
            || (live.frames >= crate::TOKEN_FRAMES && live.spare_frames.is_empty())
            || self.dirs.next_badge_over(ms, FRAME_BADGES)
        {
            return Ok(Answer::no(Refusal::TooManyTokens));
        }
        let grant = match self.dirs.connect(ms, conn, protocol) {
            Ok(g) => g,
            Err(refusal) => {
                let _ = writeln!(
                    self.out,
                    "kos root task: refused connect {protocol} for {app}: {refusal}"
                );
                return Ok(Answer::no(refusal));
            }
        };
        let slot = live.next_cslot;
        sel4::cnode_mint(
            live.cnode,
            slot,
            COMP_CNODE_BITS,
            k::CAP_INIT_THREAD_CNODE,
            ep,
            k::WORD_BITS,
            k::CALL_RIGHTS,
            grant.badge as usize,
        )
        .map_err(fail("CNode_Mint (token)"))?;
        live.next_cslot += 1;
        // The token's shared frame, for payloads over one IPC message: from the
        // client's memory (it goes when the client does), mapped read-write in the
        // client at its slot's place and, through a copy, in the server. A frame of a
        // token its server's end made void is used again (cleared first).
        let (frame, copy) = match live.spare_frames.pop() {
            Some((frame, copy)) => {
                sel4::page_unmap(frame).map_err(fail("X86_Page_Unmap (spare frame)"))?;
                sel4::page_unmap(copy).map_err(fail("X86_Page_Unmap (spare copy)"))?;
                crate::clear_frame(&mut live.alloc, frame)?;
                (frame, copy)
            }
            None => {
                let frame = live.alloc.obj(k::OBJ_X86_4K, 0)?;
                let copy = live.alloc.slot()?;
                sel4::cnode_mint(
                    k::CAP_INIT_THREAD_CNODE,
                    copy,
                    k::WORD_BITS,
                    k::CAP_INIT_THREAD_CNODE,
                    frame,
                    k::WORD_BITS,
                    k::ALL_RIGHTS,
                    0,
                )
                .map_err(fail("CNode_Mint (token frame)"))?;
                live.frames += 1;
                (frame, copy)
            }
        };
        map_page(
            &mut live.alloc,
            frame,
            live.pml4,
            token_frame(slot),
            k::READ_WRITE,
        )?;
        // `_root` (the root task) reads its small requests from the message alone.
        let server_frame = if grant.server == crate::root_protocol::ROOT_CONN {
            0
        } else {
            let server_frame = SERVED_FRAMES_VADDR + ((ms << 20) | grant.badge as usize) * PAGE;
            let server = directory::component(grant.server);
            let host = self.slots[server]
                .live
                .as_mut()
                .ok_or(bad("a token to a server that is not running"))?;
            map_page(
                &mut host.alloc,
                copy,
                host.pml4,
                server_frame,
                k::READ_WRITE,
            )?;
            server_frame
        };
        let _ = writeln!(
            self.out,
            "kos root task: {app} connected to {protocol} on {}: badge {:#x}, in its slot {slot}",
            self.dirs.msg_server(ms),
            grant.badge
        );
        let badge = grant.badge as usize;
        self.dirs.tokens.push(Token {
            msg_server: ms,
            grant,
            client_slot: slot,
            server_frame,
            frame,
            frame_copy: copy,
        });
        Ok(Answer::yes(&[slot, badge]))
    }
}

/// Component `index`'s incarnation ended (an exit or a fault): the directories forget
/// it, its objects are freed — the endpoints it served with them, so every client's
/// copy is gone — and a client that was waiting on its answer is woken to find so.
///
/// On non-MCS seL4 a caller whose server dies mid-call stays blocked for good (the
/// reply capability dies with the server). The root knows each of the server's
/// tokens; a client whose registers show a call through one (rdx = seL4_Call, rdi =
/// that slot) is suspended and resumed, which restarts the call — now through an empty
/// slot, so the kernel answers it: invalid capability, `CallError::ServerGone`.
pub fn ended(
    dirs: &mut Directories<'_>,
    slots: &mut [Slot],
    recipes: &[Recipe<'_>],
    index: usize,
    out: &mut Console,
) -> Result<(), Fail> {
    let Some(conn) = slots[index].live.take().map(|live| live.conn) else {
        return Ok(());
    };
    let gone = dirs.detach(conn);
    let server = recipes[index].app.name.as_str();
    let mut stuck: Vec<(usize, &str)> = Vec::new();
    for t in gone.tokens.iter().filter(|t| t.grant.server == conn) {
        let client = directory::component(t.grant.client);
        let Some(live) = slots[client].live.as_ref() else {
            continue;
        };
        let regs = sel4::tcb_read_registers::<{ k::ctx::WORDS }>(live.tcb)
            .map_err(fail("TCB_ReadRegisters"))?;
        if regs[k::ctx::RDX] as isize == k::SYS_CALL && regs[k::ctx::RDI] == t.client_slot {
            stuck.push((client, t.grant.protocol.as_str()));
        }
    }
    slots[index].memory.free()?;
    // Its clients' frames for those tokens are theirs to reuse.
    for t in gone.tokens.iter().filter(|t| t.grant.server == conn) {
        if let Some(live) = slots[directory::component(t.grant.client)].live.as_mut() {
            live.spare_frames.push((t.frame, t.frame_copy));
        }
    }
    for e in &gone.endpoints {
        let void = gone
            .tokens
            .iter()
            .filter(|t| t.grant.server == e.server && t.grant.protocol == e.protocol)
            .count();
        let _ = writeln!(
            out,
            "kos root task: {server} no longer publishes {}: its endpoint is gone, and {void} client capabilities with it",
            e.protocol
        );
    }
    for (client, protocol) in stuck {
        let Some(live) = slots[client].live.as_ref() else {
            continue;
        };
        let _ = writeln!(
            out,
            "kos root task: {} was waiting on {server}'s answer ({protocol}): its call ends with the capability gone",
            recipes[client].app.name
        );
        sel4::tcb_suspend(live.tcb).map_err(fail("TCB_Suspend"))?;
        sel4::tcb_resume(live.tcb).map_err(fail("TCB_Resume"))?;
    }
    for w in gone.waiters {
        let _ = sel4::cnode_delete(k::CAP_INIT_THREAD_CNODE, w.reply_slot, k::WORD_BITS);
    }
    Ok(())
}
