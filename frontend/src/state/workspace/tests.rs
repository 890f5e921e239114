//! The workspace state machine driven natively: devices whose effects are carried out by an in-memory disk
//! and an in-memory sync server speaking the same protocol as the real one.

use super::*;
use std::collections::{HashMap, HashSet};
use zhigai_shared::access::{Placement, Role, Scope, access};
use zhigai_shared::api::{DocRef, Facility, FacilityEntry, YearDocs};
use zhigai_shared::doc::{ProblemChange, ProblemStatus};
use zhigai_shared::sync::{PeerMetadata, encode};
use zhigai_shared::{FacilityType, UserId};

const FACILITY: &str = "wangzhuang";
const YEAR: Year = 2026;

fn session(user: &str, role: Role, writable: bool, review_writable: bool) -> SavedSession {
    session_years(user, role, writable, review_writable, &[YEAR])
}

/// A session whose directory lists the facility's documents for `years`.
fn session_years(
    user: &str,
    role: Role,
    writable: bool,
    review_writable: bool,
    years: &[Year],
) -> SavedSession {
    // The facility sits in community "m" of county "c", which reviews in two steps; the review rights
    // are what the real access rules give the role there.
    let place = Placement {
        community: Some("m".into()),
        two_step: true,
        ..Placement::in_county(FACILITY, "c")
    };
    let scope = match role {
        Role::CommunityReviewer => Scope::Community("m".into()),
        Role::Reviewer | Role::Admin => Scope::County("c".into()),
        _ => Scope::Facility(FacilityId::from(FACILITY)),
    };
    let review_rights = if review_writable {
        access(role, &scope, DocKind::Review, &place).rights
    } else {
        Rights::NONE
    };
    let doc_ref = |writable, rights| DocRef {
        document_id: String::new(),
        url: String::new(),
        writable,
        rights,
    };
    SavedSession {
        token: "t".into(),
        user: User {
            id: UserId::from(user),
            username: user.into(),
            display_name: format!("{user}医生"),
            role,
            scope,
        },
        facilities: vec![FacilityEntry {
            facility: Facility {
                id: FacilityId::from(FACILITY),
                county_id: "c".into(),
                community_id: None,
                name: "王庄村卫生室".into(),
                facility_type: FacilityType::VillageClinic,
                open_beds: 0,
                services: vec![],
                guided_by: None,
            },
            wave: 2026,
            documents: years
                .iter()
                .map(|year| YearDocs {
                    year: *year,
                    inspection: doc_ref(writable, Rights::NONE),
                    review: doc_ref(review_writable, review_rights),
                    template: None,
                })
                .collect(),
            templates: vec![],
        }],
        communities: vec![],
        staff: vec![],
        place: None,
        templates: vec![],
    }
}

/// One device: the state, its disk, and what it would put on the wire.
struct Device {
    state: WorkspaceState,
    peer: String,
    disk: HashMap<String, StoredDoc>,
    /// Writes asked for and not yet finished, in order.
    writing: Vec<(String, Vec<u8>, Option<Vec<u8>>)>,
    online: bool,
    wire: Vec<RepoMessage>,
    reconnects: usize,
    clock: i64,
    /// Every effect, in order, for the tests that look at the sequence.
    log: Vec<&'static str>,
}

impl Device {
    fn open(name: &str, session: &SavedSession) -> Self {
        Self::open_with(name, session, HashMap::new())
    }

    fn open_with(name: &str, session: &SavedSession, disk: HashMap<String, StoredDoc>) -> Self {
        Self::open_year(name, session, disk, YEAR)
    }

    fn open_year(
        name: &str,
        session: &SavedSession,
        disk: HashMap<String, StoredDoc>,
        year: Year,
    ) -> Self {
        let state = WorkspaceState::new(session, FACILITY, year, name).unwrap();
        let mut device = Self {
            peer: format!("zhigai-app-{name}"),
            state,
            disk,
            writing: Vec::new(),
            online: false,
            wire: Vec::new(),
            reconnects: 0,
            clock: 1_800_000_000_000,
            log: Vec::new(),
        };
        let docs = device
            .state
            .storage_keys()
            .into_iter()
            .map(|key| {
                let stored = device.disk.get(&key).cloned().unwrap_or_default();
                (key, Ok(stored))
            })
            .collect();
        device
            .act(Action::Loaded {
                docs,
                actor: name.as_bytes().iter().copied().cycle().take(16).collect(),
            })
            .unwrap();
        device
    }

    fn act(&mut self, action: Action) -> Result<(), UiError> {
        let effects = self.state.reduce(action)?;
        for effect in effects {
            match effect {
                Effect::Persist { key, chunk, sync } => {
                    self.log.push("persist");
                    self.writing.push((key, chunk, sync));
                }
                Effect::Compact {
                    key,
                    snapshot,
                    upto,
                } => {
                    self.log.push("compact");
                    let stored = self.disk.entry(key).or_default();
                    stored.snapshot = Some(snapshot);
                    stored.chunks.retain(|(k, _)| k.as_str() > upto.as_str());
                }
                Effect::Send(messages) => {
                    self.log.push("send");
                    if self.online {
                        self.wire.extend(messages);
                    }
                }
                Effect::Reconnect => {
                    self.log.push("reconnect");
                    self.reconnects += 1;
                    self.act(Action::SocketClosed)?;
                    if self.online {
                        self.act(Action::SocketOpened(self.clock))?;
                    }
                }
            }
        }
        Ok(())
    }

    fn edit(&mut self, edit: Edit) -> Result<(), UiError> {
        self.clock += 1_000;
        self.act(Action::Edit(edit, self.clock))
    }

    /// The disk finishes every write it was given.
    fn flush(&mut self) {
        for (key, chunk, sync) in std::mem::take(&mut self.writing) {
            let stored = self.disk.entry(key).or_default();
            let n = stored.chunks.len();
            stored.chunks.push((format!("{n:06}"), chunk));
            if sync.is_some() {
                stored.sync_state = sync;
            }
            self.act(Action::Stored(Ok(()))).unwrap();
        }
    }

    fn connect(&mut self) {
        self.online = true;
        self.act(Action::SocketOpened(self.clock)).unwrap();
    }

    /// What the badge would say: every edit stored on the device and acknowledged by the server.
    fn saved(&self) -> bool {
        self.state.pending_writes() == 0 && self.state.unsynced() == 0
    }
}

/// An in-memory sync server for one facility's years: the same genesis, one sync state per peer and
/// document, forwarding every change to the other peers.
struct Server {
    inspections: HashMap<DocumentId, Inspection>,
    reviews: HashMap<DocumentId, Review>,
    states: HashMap<(String, DocumentId), SyncState>,
    peers: Vec<String>,
    /// Peers refused the inspections (not theirs).
    refuse: HashSet<String>,
    /// Hears everything and answers nothing.
    silent: bool,
}

impl Server {
    fn new() -> Self {
        let facility = FacilityId::from(FACILITY);
        let mut inspections = HashMap::new();
        let mut reviews = HashMap::new();
        for year in 2026..=2028 {
            inspections.insert(
                DocumentId::for_doc(DocKind::Inspection, &facility, year),
                Inspection::genesis(&facility, year).unwrap(),
            );
            reviews.insert(
                DocumentId::for_doc(DocKind::Review, &facility, year),
                Review::genesis(&facility, year).unwrap(),
            );
        }
        Self {
            inspections,
            reviews,
            states: HashMap::new(),
            peers: Vec::new(),
            refuse: HashSet::new(),
            silent: false,
        }
    }

    fn inspection(&self, year: Year) -> &Inspection {
        let id = DocumentId::for_doc(DocKind::Inspection, &FacilityId::from(FACILITY), year);
        &self.inspections[&id]
    }

    /// Replies, addressed to peers.
    fn handle(&mut self, message: RepoMessage) -> Vec<(String, RepoMessage)> {
        if self.silent {
            return Vec::new();
        }
        match message {
            RepoMessage::Join { sender_id, .. } => {
                // A new connection starts with fresh sync states, as on the real server.
                self.states.retain(|(peer, _), _| peer != &sender_id);
                if !self.peers.contains(&sender_id) {
                    self.peers.push(sender_id.clone());
                }
                vec![(
                    sender_id.clone(),
                    RepoMessage::Peer {
                        sender_id: "server".into(),
                        peer_metadata: PeerMetadata::default(),
                        selected_protocol_version: "1".into(),
                        target_id: sender_id,
                    },
                )]
            }
            RepoMessage::Request {
                sender_id,
                document_id,
                data,
                ..
            }
            | RepoMessage::Sync {
                sender_id,
                document_id,
                data,
                ..
            } => {
                if self.inspections.contains_key(&document_id) && self.refuse.contains(&sender_id) {
                    return vec![(
                        sender_id.clone(),
                        RepoMessage::DocUnavailable {
                            sender_id: "server".into(),
                            target_id: sender_id,
                            document_id,
                        },
                    )];
                }
                let from = (sender_id.as_str(), document_id, data.as_slice());
                if let Some(doc) = self.inspections.get_mut(&document_id) {
                    sync_peers(doc, &mut self.states, &self.peers, from)
                } else if let Some(doc) = self.reviews.get_mut(&document_id) {
                    sync_peers(doc, &mut self.states, &self.peers, from)
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }
}

fn sync_peers<D: Document>(
    doc: &mut D,
    states: &mut HashMap<(String, DocumentId), SyncState>,
    peers: &[String],
    (from, id, data): (&str, DocumentId, &[u8]),
) -> Vec<(String, RepoMessage)> {
    let state = states.entry((from.to_owned(), id)).or_default();
    doc.receive_sync_message(state, data).unwrap();
    peers
        .iter()
        .filter_map(|peer| {
            let state = states.entry((peer.clone(), id)).or_default();
            let data = doc.generate_sync_message(state)?;
            Some((
                peer.clone(),
                RepoMessage::Sync {
                    sender_id: "server".into(),
                    target_id: peer.clone(),
                    document_id: id,
                    data,
                },
            ))
        })
        .collect()
}

/// Delivers messages both ways until nobody has anything more to say.
fn pump(server: &mut Server, devices: &mut [&mut Device]) {
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..devices.len() {
            let outgoing = std::mem::take(&mut devices[i].wire);
            for message in outgoing {
                moved = true;
                for (to, reply) in server.handle(message) {
                    if let Some(d) = devices.iter_mut().find(|d| d.peer == to && d.online) {
                        let at = d.clock;
                        d.act(Action::Frame(encode(&reply), at)).unwrap();
                    }
                }
            }
        }
        for d in devices.iter_mut() {
            d.flush();
        }
        if !moved {
            return;
        }
    }
    panic!("the devices and the server never fell quiet");
}

fn item(id: &str) -> ItemId {
    ItemId::from(id)
}

#[test]
fn two_devices_edit_offline_and_converge_once_they_reconnect() {
    let staff = session("li", Role::Member, true, false);
    let head = session("wang", Role::Head, true, false);
    let (mut a, mut b) = (Device::open("a", &staff), Device::open("b", &head));
    let mut server = Server::new();

    a.edit(Edit::SetStatus(item("T1.01"), Some(Status::Compliant)))
        .unwrap();
    b.edit(Edit::SetNote(item("T1.02"), "制度已上墙".into()))
        .unwrap();
    b.edit(Edit::AddProblem(NewProblem {
        description: "急救药品过期".into(),
        ..NewProblem::default()
    }))
    .unwrap();
    assert!(
        a.wire.is_empty() && b.wire.is_empty(),
        "offline: nothing sent"
    );
    assert!(a.state.unsynced() > 0 && b.state.unsynced() > 0);
    a.flush();
    b.flush();
    assert_eq!(a.state.net(), Net::Offline);

    a.connect();
    b.connect();
    pump(&mut server, &mut [&mut a, &mut b]);
    for d in [&a, &b] {
        assert_eq!(d.state.net(), Net::Online);
        let doc = d.state.inspection();
        assert_eq!(doc.status(&item("T1.01")), Some(Status::Compliant));
        assert_eq!(doc.item(&item("T1.02")).unwrap().note, "制度已上墙");
        assert_eq!(doc.problems().len(), 1);
        assert!(d.saved(), "everything stored and acknowledged");
    }
    assert_eq!(a.state.inspection().heads(), b.state.inspection().heads());
    // Who did what travels with the change.
    assert_eq!(
        a.state.last_change("T1.02").unwrap().author.name,
        "wang医生"
    );
}

#[test]
fn an_edit_is_written_to_the_device_before_it_is_sent_or_reported_saved() {
    let mut a = Device::open("a", &session("li", Role::Member, true, false));
    let mut server = Server::new();
    a.connect();
    pump(&mut server, &mut [&mut a]);
    assert!(a.saved());
    a.log.clear();

    a.edit(Edit::SetStatus(item("T2.01"), Some(Status::Partial)))
        .unwrap();
    assert_eq!(a.log, ["persist", "send"], "stored first, then sent");
    assert_eq!(a.state.pending_writes(), 1);
    assert!(!a.saved(), "not saved while the write is pending");
    // The server acknowledges before the disk finishes: still not reported saved.
    let outgoing = std::mem::take(&mut a.wire);
    for m in outgoing {
        for (_, reply) in server.handle(m) {
            let at = a.clock;
            a.act(Action::Frame(encode(&reply), at)).unwrap();
        }
    }
    assert!(a.state.pending_writes() >= 1);
    assert!(!a.saved());
    a.flush();
    pump(&mut server, &mut [&mut a]);
    assert!(a.saved());

    // A failed write is reported, and the edit stays in memory to sync.
    a.edit(Edit::SetNote(item("T2.01"), "部分落实".into()))
        .unwrap();
    a.writing.clear();
    a.act(Action::Stored(Err("QuotaExceededError".into())))
        .unwrap();
    assert_eq!(a.state.error().map(|e| e.0), Some(Msg::SaveFailed));
    assert_eq!(a.state.pending_writes(), 0);
}

#[test]
fn a_reader_cannot_write_and_a_refused_facility_locks_the_workspace() {
    // A reviewer may not write the inspection: refused locally, nothing changes or is sent.
    let mut reviewer = Device::open("r", &session("zhou", Role::Reviewer, false, true));
    let before = reviewer.state.inspection().heads();
    let refused = reviewer
        .edit(Edit::SetStatus(item("T1.01"), Some(Status::Compliant)))
        .unwrap_err();
    assert!(matches!(refused, UiError::ReadOnly));
    assert_eq!(refused.msg(), Msg::ReadOnlyRole);
    assert_eq!(reviewer.state.inspection().heads(), before);
    assert!(reviewer.log.is_empty(), "no effect for a refused edit");
    // …but they may comment.
    reviewer
        .edit(Edit::Comment(item("T1.01"), "请补充记录".into()))
        .unwrap();
    // A member may not write the review.
    let mut member = Device::open("m", &session("li", Role::Member, true, false));
    assert!(matches!(member.edit(Edit::Approve), Err(UiError::ReadOnly)));
    // The document's own refusal comes back as such.
    let empty = member
        .edit(Edit::AddProblem(NewProblem::default()))
        .unwrap_err();
    assert_eq!(empty.msg(), Msg::DescriptionRequired);

    // The server refuses the facility to this user: the workspace locks.
    let mut server = Server::new();
    server.refuse.insert(member.peer.clone());
    member.connect();
    pump(&mut server, &mut [&mut member]);
    assert!(member.state.refused());
    assert!(!member.state.editable());
    assert!(matches!(
        member.edit(Edit::SetNote(item("T1.01"), "x".into())),
        Err(UiError::ReadOnly)
    ));
}

#[test]
fn a_silent_server_is_left_and_the_changes_are_sent_again_on_a_new_connection() {
    let mut a = Device::open("a", &session("li", Role::Member, true, false));
    let mut server = Server::new();
    a.connect();
    pump(&mut server, &mut [&mut a]);
    server.silent = true;
    a.edit(Edit::SetStatus(item("T3.01"), Some(Status::NonCompliant)))
        .unwrap();
    pump(&mut server, &mut [&mut a]);
    assert_eq!(a.state.unsynced(), 1);
    // Not yet stalled.
    let sent = a.clock;
    a.act(Action::Tick(sent + STALL_MS - 1)).unwrap();
    assert_eq!(a.reconnects, 0);
    // Stalled: reconnect; the new session sends the change again and it arrives.
    server.silent = false;
    a.act(Action::Tick(sent + STALL_MS + 1)).unwrap();
    assert_eq!(a.reconnects, 1);
    pump(&mut server, &mut [&mut a]);
    assert_eq!(a.state.unsynced(), 0);
    assert_eq!(
        server.inspection(YEAR).status(&item("T3.01")),
        Some(Status::NonCompliant)
    );
    // Nothing waiting: silence is not a stall.
    a.act(Action::Tick(a.clock + 60_000)).unwrap();
    assert_eq!(a.reconnects, 1);
    // Long quiet, then an edit: the silence before it does not count against the server.
    a.clock += 600_000;
    a.edit(Edit::SetNote(item("T3.01"), "整改中".into()))
        .unwrap();
    server.silent = true;
    a.act(Action::Tick(a.clock + 1_000)).unwrap();
    assert_eq!(a.reconnects, 1, "one second after sending is not a stall");
}

#[test]
fn the_device_reloads_its_edits_and_compacts_many_chunks() {
    let who = session("li", Role::Member, true, false);
    let mut a = Device::open("a", &who);
    for n in 0..(COMPACT_AFTER + 3) {
        a.edit(Edit::SetNote(item("T1.01"), format!("第{n}次")))
            .unwrap();
    }
    a.flush();
    let disk = a.disk.clone();
    let again = Device::open_with("a", &who, disk);
    assert_eq!(again.log, ["compact"]);
    assert_eq!(
        again.state.inspection().item(&item("T1.01")).unwrap().note,
        format!("第{}次", COMPACT_AFTER + 2)
    );
    assert!(again.state.loaded());
    // Damaged storage: reported, and the app still opens on a fresh document.
    let mut broken = HashMap::new();
    broken.insert(
        again.state.storage_keys()[0].clone(),
        StoredDoc {
            snapshot: Some(b"not automerge".to_vec()),
            chunks: vec![("0".into(), b"junk".to_vec())],
            sync_state: Some(b"junk".to_vec()),
        },
    );
    let fresh = Device::open_with("b", &who, broken);
    assert!(fresh.state.loaded());
    assert_eq!(fresh.state.inspection().problems().len(), 0);
}

#[test]
fn submission_locks_the_content_until_the_review_returns_it() {
    let mut head = Device::open("h", &session("wang", Role::Head, true, false));
    let mut reviewer = Device::open("r", &session("zhou", Role::Reviewer, false, true));
    let mut server = Server::new();
    head.connect();
    reviewer.connect();
    head.edit(Edit::Submit).unwrap();
    pump(&mut server, &mut [&mut head, &mut reviewer]);
    assert!(!head.state.editable());
    assert!(matches!(
        head.edit(Edit::SetStatus(item("T1.01"), Some(Status::Compliant))),
        Err(UiError::ReadOnly)
    ));
    // Withdrawing stays possible.
    head.edit(Edit::Withdraw).unwrap();
    head.edit(Edit::Submit).unwrap();
    pump(&mut server, &mut [&mut head, &mut reviewer]);
    reviewer.clock = head.clock + 60_000;
    reviewer
        .edit(Edit::ReturnForChanges("请补充 T1.01".into()))
        .unwrap();
    pump(&mut server, &mut [&mut head, &mut reviewer]);
    assert!(head.state.editable(), "returned: editable again");
    head.edit(Edit::SetStatus(item("T1.01"), Some(Status::Compliant)))
        .unwrap();
}

#[test]
fn two_step_review_passes_through_the_community_then_the_county() {
    let mut head = Device::open("h", &session("wang", Role::Head, true, false));
    let mut first = Device::open("m", &session("qian", Role::CommunityReviewer, false, true));
    let mut county = Device::open("r", &session("zhou", Role::Reviewer, false, true));
    let mut server = Server::new();
    for d in [&mut head, &mut first, &mut county] {
        d.connect();
    }
    head.edit(Edit::Submit).unwrap();
    pump(&mut server, &mut [&mut head, &mut first, &mut county]);
    // Each step may take only its own decision.
    assert!(matches!(first.edit(Edit::Approve), Err(UiError::ReadOnly)));
    assert!(matches!(county.edit(Edit::PassOn), Err(UiError::ReadOnly)));
    assert!(matches!(
        head.edit(Edit::Comment(item("T1.01"), "自评".into())),
        Err(UiError::ReadOnly)
    ));
    // The first step returns; the facility may edit again and resubmits.
    first.clock = head.clock + 60_000;
    first
        .edit(Edit::ReturnFirst("请补充 T1.01 的会议纪要".into()))
        .unwrap();
    pump(&mut server, &mut [&mut head, &mut first, &mut county]);
    let seen = head.state.review().state();
    assert_eq!(seen.state, ReviewState::Returned);
    assert_eq!(seen.reason, "请补充 T1.01 的会议纪要");
    assert!(head.state.editable());
    head.clock = first.clock + 60_000;
    head.edit(Edit::SetStatus(item("T1.01"), Some(Status::Compliant)))
        .unwrap();
    head.edit(Edit::Submit).unwrap();
    pump(&mut server, &mut [&mut head, &mut first, &mut county]);
    // Passed on, then approved: the facility sees both steps with the heads each saw.
    first.clock = head.clock + 60_000;
    first.edit(Edit::PassOn).unwrap();
    pump(&mut server, &mut [&mut head, &mut first, &mut county]);
    assert_eq!(head.state.review().state().state, ReviewState::PassedOn);
    assert!(!head.state.editable(), "passed on: still locked");
    county.clock = first.clock + 60_000;
    county.edit(Edit::Approve).unwrap();
    pump(&mut server, &mut [&mut head, &mut first, &mut county]);
    let done = head.state.review().state();
    assert_eq!(done.state, ReviewState::Approved);
    let first_step = done.first.expect("the first step is recorded");
    assert_eq!(first_step.state, ReviewState::PassedOn);
    assert_eq!(first_step.heads, head.state.inspection().heads());
    assert_eq!(
        done.county.expect("the county's step").heads,
        first_step.heads
    );
}

#[test]
fn a_finding_reaches_the_facility_whose_answer_reaches_the_reviewer() {
    use zhigai_shared::access::Level;
    let mut head = Device::open("h", &session("wang", Role::Head, true, false));
    let mut county = Device::open("r", &session("zhou", Role::Reviewer, false, true));
    let mut server = Server::new();
    head.connect();
    county.connect();
    county
        .edit(Edit::AddFinding(NewFinding {
            item: Some(item("T1.02")),
            description: "核查：质控人员未指定".into(),
            deadline: None,
            level: Level::County,
        }))
        .unwrap();
    pump(&mut server, &mut [&mut head, &mut county]);
    let listed = head.state.problem_list();
    let finding = listed
        .iter()
        .find(|p| p.finding == Some(Level::County))
        .expect("the finding is in the facility's list")
        .problem
        .id
        .clone();
    // The facility answers through the same edits as its own problems; its text stays the reviewer's.
    head.edit(Edit::UpdateProblem(
        finding.clone(),
        ProblemChange::Status(ProblemStatus::Rectified),
    ))
    .unwrap();
    assert!(matches!(
        head.edit(Edit::UpdateProblem(
            finding.clone(),
            ProblemChange::Description("改".into())
        )),
        Err(UiError::Refused(_))
    ));
    assert!(matches!(
        head.edit(Edit::WithdrawFinding(finding.clone())),
        Err(UiError::ReadOnly)
    ));
    pump(&mut server, &mut [&mut head, &mut county]);
    let seen = county.state.listed_problem(&finding).unwrap();
    assert_eq!(seen.problem.status, ProblemStatus::Rectified);
    county
        .edit(Edit::Verify(finding.clone(), Verdict::Verified))
        .unwrap();
    county.edit(Edit::WithdrawFinding(finding.clone())).unwrap();
    pump(&mut server, &mut [&mut head, &mut county]);
    assert!(head.state.listed_problem(&finding).is_none(), "withdrawn");
}

#[test]
fn an_expired_session_stays_expired_across_closed_sockets() {
    let mut a = Device::open("a", &session("li", Role::Member, true, false));
    a.act(Action::SessionExpired).unwrap();
    a.act(Action::SocketClosed).unwrap();
    assert_eq!(a.state.net(), Net::SessionExpired);
    // Edits still land on the device.
    a.edit(Edit::SetStatus(item("T1.01"), Some(Status::Partial)))
        .unwrap();
    assert_eq!(a.log.last(), Some(&"persist"));
    // A frame that is not a sync message is reported, not applied.
    a.act(Action::Frame(b"\xff\x00junk".to_vec(), 0)).unwrap();
    assert_eq!(a.state.error().map(|e| e.0), Some(Msg::BadSyncData));
}

#[test]
fn across_new_year_open_problems_carry_over_and_are_updated_in_their_one_home() {
    let years = [2026, 2027];
    let staff = session_years("li", Role::Member, true, false, &years);
    let head = session_years("wang", Role::Head, true, false, &years);
    let reviewer = session_years("zhou", Role::Reviewer, false, true, &years);
    let mut server = Server::new();
    // December 2026: two problems recorded, one rectified and verified, the inspection approved.
    let mut a = Device::open_year("a", &staff, HashMap::new(), 2026);
    let mut r = Device::open_year("r", &reviewer, HashMap::new(), 2026);
    a.connect();
    r.connect();
    for text in ["急救药品过期", "处方点评未开展"] {
        a.edit(Edit::AddProblem(NewProblem {
            description: text.into(),
            ..NewProblem::default()
        }))
        .unwrap();
    }
    pump(&mut server, &mut [&mut a, &mut r]);
    let done = a.state.inspection().problems()[0].id.clone();
    let open = a.state.inspection().problems()[1].id.clone();
    a.edit(Edit::UpdateProblem(
        done.clone(),
        ProblemChange::Status(ProblemStatus::Rectified),
    ))
    .unwrap();
    pump(&mut server, &mut [&mut a, &mut r]);
    r.clock = a.clock + 1_000;
    r.edit(Edit::Verify(done.clone(), Verdict::Verified))
        .unwrap();
    pump(&mut server, &mut [&mut a, &mut r]);

    // January 2027, both staff devices offline: 2027 opens with the open 2026 problem carried over.
    let disk_a = a.disk.clone();
    let mut a27 = Device::open_year("a", &staff, disk_a, 2027);
    let mut h27 = Device::open_year("h", &head, HashMap::new(), 2027);
    assert_eq!(a27.state.year(), 2027);
    let listed = a27.state.problem_list();
    assert_eq!(listed.len(), 1, "the verified one stays in 2026");
    assert_eq!(listed[0].problem.id, open);
    assert!(listed[0].carried_into(2027));
    assert_eq!(listed[0].origin, 2026);
    assert_eq!(a27.state.listed_problem(&open).as_ref(), Some(&listed[0]));
    assert_eq!(
        a27.state.listed_problem(&done),
        None,
        "verified: not on 2027's list"
    );
    // The head's device has nothing of 2026 yet: it learns it when it syncs.
    assert!(h27.state.problem_list().is_empty());
    // Offline, the staff member updates the carried problem: it lands in 2026's inspection.
    a27.edit(Edit::UpdateProblem(
        open.clone(),
        ProblemChange::Measure("已更换药品，建立效期登记".into()),
    ))
    .unwrap();
    assert!(
        a27.state.inspection().problem(&open).is_none(),
        "nothing copied into 2027"
    );
    // Both reconnect: one problem, with the update, on every device and on the server.
    a27.connect();
    h27.connect();
    pump(&mut server, &mut [&mut a27, &mut h27]);
    for d in [&a27, &h27] {
        let listed = d.state.problem_list();
        assert_eq!(listed.len(), 1, "never doubled");
        assert_eq!(listed[0].problem.measure, "已更换药品，建立效期登记");
        assert!(d.saved());
    }
    assert_eq!(
        server.inspection(2026).problem(&open).unwrap().measure,
        "已更换药品，建立效期登记"
    );
    assert!(server.inspection(2027).problems().is_empty());
    // Last year stays one tap away, and its approved content stays locked while rectification goes on.
    assert_eq!(a27.state.last_year().map(|y| y.year()), Some(2026));
    assert!(a27.state.can_update_problems(2026));
    // A reviewer's verdict on a carried problem goes to 2026's review.
    let mut r27 = Device::open_year("r", &reviewer, r.disk.clone(), 2027);
    r27.connect();
    pump(&mut server, &mut [&mut a27, &mut h27, &mut r27]);
    r27.clock = a27.clock + 5_000;
    r27.edit(Edit::Verify(open.clone(), Verdict::Failed))
        .unwrap();
    pump(&mut server, &mut [&mut a27, &mut h27, &mut r27]);
    let listed = h27.state.problem_list();
    assert_eq!(
        listed[0].verification.as_ref().map(|v| v.verdict),
        Some(Verdict::Failed)
    );
}

/// The server pinned the year to a province's version and sent its body at login: the device starts the
/// inspection on it, offline, the same genesis as the server's, and reads the province's items.
#[test]
fn the_year_starts_on_the_version_the_server_pinned() {
    use zhigai_shared::template::{Derivation, TemplateRef};
    let derivation = Derivation::from_toml(include_str!(
        "../../../../shared/data/derived/demo-province.toml"
    ))
    .unwrap();
    let mut province = Template::derive(Template::national(), &derivation).unwrap();
    // A version of this test's own, so no other test's registry sees it.
    province.id = zhigai_shared::TemplateId::new("workspace-test-province");
    let mut saved = session("u-wang", Role::Head, true, false);
    saved.templates = vec![province.clone()];
    for year in &mut saved.facilities[0].documents {
        year.template = Some(TemplateRef {
            id: province.id.clone(),
            version: province.version,
        });
    }
    let device = Device::open("pinned", &saved);
    let checklist = device.state.inspection().checklist().unwrap();
    assert_eq!(checklist.id, province.id);
    assert!(checklist.item(&item("T8.SF01")).is_some());
    let server = Inspection::create(&FacilityId::from(FACILITY), YEAR, &province).unwrap();
    assert_eq!(device.state.inspection().heads(), server.heads());
    // Without a pin the device starts on the newest national checklist, as before pins existed.
    let plain = Device::open("plain", &session("u-wang", Role::Head, true, false));
    assert_eq!(
        plain.state.inspection().checklist().unwrap(),
        Template::current()
    );
}
