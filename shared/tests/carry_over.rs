//! Property: replicas of one facility cross New Year offline. They record problems in 2026 and 2027, update
//! 2026 problems from 2027's list (where they are carried over), verify them as the county, and sync in
//! random pairs. After a final round of sync every replica shows the same 2027 list, with every 2027 problem
//! once, every 2026 problem that is not rectified-and-verified once (carried over, never doubled), none that
//! is, and no problem ever recorded lost from its origin year.

mod common;

use common::stamp;
use proptest::prelude::*;
use std::collections::BTreeSet;
use zhigai_shared::carry::{YearDocs, carries_over, problem_list};
use zhigai_shared::{
    Document, FacilityId, Inspection, NewProblem, ProblemChange, ProblemId, ProblemStatus, Review,
    SyncState, Verdict,
};

#[derive(Clone, Debug)]
enum Step {
    /// A replica records a problem in 2026 (still in 2026, or late, on a device that has not moved on).
    Add2026(usize),
    /// A replica records a problem in 2027.
    Add2027(usize),
    /// A replica sets the status of a problem it sees carried into 2027 (it lands in 2026's document).
    UpdateCarried {
        replica: usize,
        pick: usize,
        status: usize,
    },
    /// The county verifies (or fails) a 2026 problem.
    Verify {
        replica: usize,
        pick: usize,
        verified: bool,
    },
    /// Two replicas sync all three documents.
    Sync { a: usize, b: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => (0..4usize).prop_map(Step::Add2026),
        1 => (0..4usize).prop_map(Step::Add2027),
        3 => (0..4usize, any::<usize>(), 0..3usize)
            .prop_map(|(replica, pick, status)| Step::UpdateCarried { replica, pick, status }),
        2 => (0..4usize, any::<usize>(), any::<bool>())
            .prop_map(|(replica, pick, verified)| Step::Verify { replica, pick, verified }),
        3 => (0..4usize, 0..4usize).prop_map(|(a, b)| Step::Sync { a, b }),
    ]
}

struct Replica {
    i2026: Inspection,
    r2026: Review,
    i2027: Inspection,
    r2027: Review,
}

impl Replica {
    fn new() -> Self {
        let f = FacilityId::from("f");
        Self {
            i2026: Inspection::genesis(&f, 2026).unwrap(),
            r2026: Review::genesis(&f, 2026).unwrap(),
            i2027: Inspection::genesis(&f, 2027).unwrap(),
            r2027: Review::genesis(&f, 2027).unwrap(),
        }
    }

    fn docs(&self) -> [YearDocs<'_>; 2] {
        [
            YearDocs {
                year: 2026,
                inspection: &self.i2026,
                review: &self.r2026,
            },
            YearDocs {
                year: 2027,
                inspection: &self.i2027,
                review: &self.r2027,
            },
        ]
    }
}

fn sync<D: Document>(a: &mut D, b: &mut D) {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    for _ in 0..100 {
        let mut quiet = true;
        if let Some(m) = a.generate_sync_message(&mut sa) {
            b.receive_sync_message(&mut sb, &m).unwrap();
            quiet = false;
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            a.receive_sync_message(&mut sa, &m).unwrap();
            quiet = false;
        }
        if quiet {
            return;
        }
    }
    panic!("sync did not settle");
}

fn sync_replicas(replicas: &mut [Replica], a: usize, b: usize) {
    if a == b {
        return;
    }
    let (lo, hi) = (a.min(b), a.max(b));
    let (left, right) = replicas.split_at_mut(hi);
    let (x, y) = (&mut left[lo], &mut right[0]);
    sync(&mut x.i2026, &mut y.i2026);
    sync(&mut x.r2026, &mut y.r2026);
    sync(&mut x.i2027, &mut y.i2027);
    sync(&mut x.r2027, &mut y.r2027);
}

fn add(doc: &mut Inspection, n: usize) -> ProblemId {
    doc.add_problem(
        NewProblem {
            description: format!("问题 {n}"),
            ..NewProblem::default()
        },
        &stamp("u-staff", "员工", 1_800_000_000_000 + n as i64),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn carried_problems_are_never_lost_nor_doubled_across_new_year(
        n in 2..=4usize,
        steps in proptest::collection::vec(step(), 5..50),
    ) {
        let mut replicas: Vec<Replica> = (0..n).map(|_| Replica::new()).collect();
        let (mut found2026, mut found2027) = (BTreeSet::new(), BTreeSet::new());
        for (t, step) in steps.into_iter().enumerate() {
            let at = 1_800_000_000_000 + t as i64;
            match step {
                Step::Add2026(r) => {
                    found2026.insert(add(&mut replicas[r % n].i2026, t));
                }
                Step::Add2027(r) => {
                    found2027.insert(add(&mut replicas[r % n].i2027, t));
                }
                Step::UpdateCarried { replica, pick, status } => {
                    let r = &mut replicas[replica % n];
                    let carried: Vec<ProblemId> = problem_list(2027, &r.docs())
                        .into_iter()
                        .filter(|p| p.carried_into(2027))
                        .map(|p| p.problem.id)
                        .collect();
                    if carried.is_empty() {
                        continue;
                    }
                    let id = &carried[pick % carried.len()];
                    let status = [ProblemStatus::Open, ProblemStatus::InProgress, ProblemStatus::Rectified][status];
                    // The update goes to the problem's one home: 2026's inspection.
                    r.i2026
                        .update_problem(id, ProblemChange::Status(status), &stamp("u-staff", "员工", at))
                        .unwrap();
                }
                Step::Verify { replica, pick, verified } => {
                    let r = &mut replicas[replica % n];
                    let problems = r.i2026.problems();
                    if problems.is_empty() {
                        continue;
                    }
                    let id = &problems[pick % problems.len()].id;
                    let verdict = if verified { Verdict::Verified } else { Verdict::Failed };
                    r.r2026.verify(id, verdict, &stamp("u-rev", "审核员", at)).unwrap();
                }
                Step::Sync { a, b } => sync_replicas(&mut replicas, a % n, b % n),
            }
        }
        // A final round: everyone hears from everyone.
        for _ in 0..2 {
            for a in 0..n {
                for b in 0..n {
                    sync_replicas(&mut replicas, a, b);
                }
            }
        }
        let first = problem_list(2027, &replicas[0].docs());
        for r in &replicas {
            let list = problem_list(2027, &r.docs());
            prop_assert_eq!(&list, &first, "every replica shows the same list");
            let ids: Vec<&ProblemId> = list.iter().map(|p| &p.problem.id).collect();
            let unique: BTreeSet<&ProblemId> = ids.iter().copied().collect();
            prop_assert_eq!(ids.len(), unique.len(), "no problem listed twice");
            // 2027's own: all there.
            for id in &found2027 {
                prop_assert!(list.iter().any(|p| &p.problem.id == id && p.origin == 2027));
            }
            // 2026's: never lost from their year; on 2027's list exactly when they carry over.
            let verifications = r.r2026.verifications();
            for id in &found2026 {
                let problem = r.i2026.problem(id);
                prop_assert!(problem.is_some(), "a 2026 problem was lost");
                let problem = problem.unwrap();
                let listed = list.iter().filter(|p| &p.problem.id == id).count();
                let expected = usize::from(carries_over(&problem, verifications.get(id)));
                prop_assert_eq!(listed, expected);
                if let Some(p) = list.iter().find(|p| &p.problem.id == id) {
                    prop_assert_eq!(p.origin, 2026);
                    prop_assert_eq!(&p.problem, &problem, "the list shows the one origin problem");
                }
            }
        }
    }
}
