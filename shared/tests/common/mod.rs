//! Helpers shared by the document tests: stamps for named people and sync between two replicas.

#![allow(dead_code)]

use zhigai_shared::Document;
use zhigai_shared::{Author, FacilityId, Inspection, Stamp, SyncState, Template, Timestamp};

pub fn stamp(user: &str, name: &str, at: i64) -> Stamp {
    Stamp::new(Author::new(user, name), Timestamp(at))
}

pub fn wang() -> Stamp {
    stamp("u-wang", "王医生", 1_767_225_600_000)
}

pub fn li() -> Stamp {
    stamp("u-li", "李护士", 1_767_225_660_000)
}

/// The connected user the server's guard checks changes against.
pub fn writer(user: &str, rights: zhigai_shared::access::Rights) -> zhigai_shared::Writer {
    zhigai_shared::Writer {
        user: zhigai_shared::UserId::new(user),
        rights,
    }
}

pub fn new_inspection() -> Inspection {
    Inspection::create(&FacilityId::from("fac-001"), 2026, Template::national()).unwrap()
}

/// Exchanges sync messages between `a` and `b` until neither has anything to say; returns the number
/// of messages sent.
pub fn sync_pair(a: &mut Inspection, b: &mut Inspection) -> usize {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let mut sent = 0;
    for _ in 0..100 {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(&mut sa) {
            b.receive_sync_message(&mut sb, &m).unwrap();
            quiet = false;
            sent += 1;
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            a.receive_sync_message(&mut sa, &m).unwrap();
            quiet = false;
            sent += 1;
        }
        if quiet {
            return sent;
        }
    }
    panic!("sync did not settle in 100 rounds");
}
