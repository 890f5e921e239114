//! zhigai patch (see `ZHIGAI-PATCH.md`): the changes a document took in last, kept as they came (or as they
//! were made), so that sending them to several peers copies their bytes instead of building each one again
//! from the op set for every peer.

use std::collections::{HashMap, VecDeque};

use crate::types::ChangeHash;
use crate::Change;

/// How many changes are kept at most.
const MAX_CHANGES: usize = 64;
/// How many change bytes are kept at most; a larger change is not kept at all.
const MAX_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Default)]
pub(crate) struct RecentChanges {
    by_hash: HashMap<ChangeHash, Change>,
    order: VecDeque<ChangeHash>,
    bytes: usize,
}

impl RecentChanges {
    /// Keeps `change`, forgetting the oldest ones kept beyond the bounds.
    pub(crate) fn add(&mut self, change: &Change) {
        let size = change.raw_bytes().len();
        if size > MAX_BYTES / 8 {
            return;
        }
        let hash = change.hash();
        if self.by_hash.contains_key(&hash) {
            return;
        }
        self.by_hash.insert(hash, change.clone());
        self.order.push_back(hash);
        self.bytes += size;
        while self.order.len() > MAX_CHANGES || self.bytes > MAX_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(gone) = self.by_hash.remove(&old) {
                self.bytes -= gone.raw_bytes().len();
            }
        }
    }

    /// The change with this hash, if it is kept.
    pub(crate) fn get(&self, hash: &ChangeHash) -> Option<&Change> {
        self.by_hash.get(hash)
    }
}

#[cfg(test)]
mod tests {
    use crate::op_set2::change::ChangeCollector;
    use crate::sync::{State, SyncDoc};
    use crate::transaction::Transactable;
    use crate::{Automerge, ReadDoc, ROOT};

    fn sync(a: &mut Automerge, a_state: &mut State, b: &mut Automerge, b_state: &mut State) {
        for _ in 0..20 {
            let one = a.generate_sync_message(a_state);
            if let Some(m) = one.clone() {
                b.receive_sync_message(b_state, m).unwrap();
            }
            let two = b.generate_sync_message(b_state);
            if let Some(m) = two.clone() {
                a.receive_sync_message(a_state, m).unwrap();
            }
            if one.is_none() && two.is_none() {
                return;
            }
        }
        panic!("the sync did not settle");
    }

    #[test]
    fn kept_changes_are_the_changes_the_op_set_builds_and_relay_the_same_document() {
        let mut a = Automerge::new();
        let mut relay = Automerge::new();
        let mut peer = Automerge::new();
        let (mut a_relay, mut relay_a) = (State::new(), State::new());
        let (mut relay_peer, mut peer_relay) = (State::new(), State::new());
        for i in 0..300_i64 {
            let mut tx = a.transaction();
            tx.put(ROOT, format!("k{}", i % 7), i).unwrap();
            tx.commit();
            if i % 50 == 0 {
                sync(&mut a, &mut a_relay, &mut relay, &mut relay_a);
                sync(&mut relay, &mut relay_peer, &mut peer, &mut peer_relay);
            }
        }
        sync(&mut a, &mut a_relay, &mut relay, &mut relay_a);
        sync(&mut relay, &mut relay_peer, &mut peer, &mut peer_relay);
        assert_eq!(peer.get_heads(), a.get_heads());
        assert_eq!(
            peer.get(ROOT, "k5").unwrap().unwrap().0.as_i64(),
            Some(299)
        );
        // An incremental save after any heads is the changes built from the op set, byte for byte.
        let all = a.change_graph.get_hashes(&[]).into_owned();
        for cut in [0, 1, 150, 236, 299] {
            let heads = [all[cut]];
            let built: Vec<u8> = a
                .get_changes(&heads)
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect();
            assert!(!built.is_empty() || cut == 299);
            assert_eq!(a.save_after(&heads), built);
        }
        let mut loaded = Automerge::new();
        loaded.load_incremental(&relay.save_after(&[])).unwrap();
        assert_eq!(loaded.get_heads(), a.get_heads());
        for doc in [&a, &relay, &peer] {
            // All of them: the last 64 come from what was kept, the others are built.
            let hashes = doc.change_graph.get_hashes(&[]);
            assert_eq!(hashes.len(), 300);
            assert!(doc.recent.by_hash.len() == super::MAX_CHANGES);
            let mixed = doc.get_changes_by_hashes(hashes.iter().copied()).unwrap();
            let built =
                ChangeCollector::for_hashes(&doc.ops, &doc.change_graph, hashes.iter().copied())
                    .unwrap();
            assert_eq!(mixed.len(), built.len());
            for (m, b) in mixed.iter().zip(&built) {
                assert_eq!(m.hash(), b.hash());
                assert_eq!(m.raw_bytes(), b.raw_bytes());
            }
        }
    }
}
