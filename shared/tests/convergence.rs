//! Property: 3 to 5 replicas apply random edits and sync in random orders and directions. After a final
//! round of sync they all show the same document, and no edit is lost: every added problem exists, every
//! inserted note character survives, and every field shows exactly the values of the writes that no later
//! or concurrent-and-seen write replaced (one value, or a conflict listing them all). Re-choosing the value
//! a field already shows counts as a write too: it must not vanish under a concurrent change.

mod common;

use common::{new_inspection, stamp, sync_pair};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use zhigai_shared::Document;
use zhigai_shared::{
    FieldValue, Inspection, InspectionField, ItemId, NewProblem, ProblemChange, ProblemField,
    ProblemId, ProblemStatus, Status,
};

/// A few items only, so that replicas often write the same field.
const ITEMS: [&str; 3] = ["T1.01", "T5.04", "T9.11"];

#[derive(Clone, Debug)]
enum Edit {
    Status { item: usize, status: Option<usize> },
    Note { item: usize, at: u8, len: usize },
    AddProblem,
    ProblemStatus { pick: usize, status: usize },
}

#[derive(Clone, Debug)]
enum Step {
    Edit {
        replica: usize,
        edit: Edit,
    },
    /// `to` takes in everything `from` has (a one-way merge, as an upload that got no reply).
    Merge {
        from: usize,
        to: usize,
    },
    /// Both exchange sync messages until done.
    Sync {
        a: usize,
        b: usize,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (0..ITEMS.len(), proptest::option::of(0..4usize)).prop_map(|(item, status)| Edit::Status { item, status }),
        3 => (0..ITEMS.len(), any::<u8>(), 1..4usize).prop_map(|(item, at, len)| Edit::Note { item, at, len }),
        1 => Just(Edit::AddProblem),
        2 => (any::<usize>(), 0..3usize).prop_map(|(pick, status)| Edit::ProblemStatus { pick, status }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..5usize, edit()).prop_map(|(replica, edit)| Step::Edit { replica, edit }),
        2 => (0..5usize, 0..5usize).prop_map(|(from, to)| Step::Merge { from, to }),
        2 => (0..5usize, 0..5usize).prop_map(|(a, b)| Step::Sync { a, b }),
    ]
}

/// A field in the model: an item's status or a problem's status.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Field {
    Item(usize),
    Problem(ProblemId),
}

/// What the model knows of every write: its field and value, and which writes each replica has seen.
#[derive(Default)]
struct Model {
    writes: Vec<(Field, FieldValue)>,
    superseded: BTreeSet<usize>,
    known: Vec<BTreeSet<usize>>,
    problems: Vec<ProblemId>,
    chars: Vec<(usize, char)>,
}

impl Model {
    fn write(&mut self, replica: usize, field: Field, value: FieldValue) {
        let id = self.writes.len();
        for &w in &self.known[replica] {
            if self.writes[w].0 == field {
                self.superseded.insert(w);
            }
        }
        self.writes.push((field, value));
        self.known[replica].insert(id);
    }

    fn learn(&mut self, to: usize, from: usize) {
        let theirs = self.known[from].clone();
        self.known[to].extend(theirs);
    }

    fn standing(&self) -> BTreeMap<Field, Vec<FieldValue>> {
        let mut out: BTreeMap<Field, Vec<FieldValue>> = BTreeMap::new();
        for (id, (field, value)) in self.writes.iter().enumerate() {
            if !self.superseded.contains(&id) {
                let values = out.entry(field.clone()).or_default();
                if !values.contains(value) {
                    values.push(value.clone());
                }
            }
        }
        out
    }
}

fn pair(docs: &mut [Inspection], a: usize, b: usize) -> (&mut Inspection, &mut Inspection) {
    assert_ne!(a, b);
    if a < b {
        let (left, right) = docs.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = docs.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

fn run(n: usize, steps: Vec<Step>) {
    let mut docs: Vec<Inspection> = (0..n).map(|_| new_inspection()).collect();
    let mut model = Model {
        known: vec![BTreeSet::new(); n],
        ..Model::default()
    };
    let mut clock = 1_767_225_600_000i64;
    let mut next_char = 0x4e00u32;
    // Which replica created each problem (a replica may only touch problems it has seen).
    let mut problem_write: HashMap<ProblemId, usize> = HashMap::new();

    for step in steps {
        clock += 1000;
        match step {
            Step::Edit { replica, edit } => {
                let r = replica % n;
                let who = stamp(&format!("u{r}"), &format!("员工{r}"), clock);
                let doc = &mut docs[r];
                match edit {
                    Edit::Status { item, status } => {
                        let status = status.map(|s| Status::ALL[s]);
                        let id = ItemId::from(ITEMS[item]);
                        doc.set_status(&id, status, &who).unwrap();
                        let value = status.map_or(FieldValue::None, FieldValue::Status);
                        model.write(r, Field::Item(item), value);
                    }
                    Edit::Note { item, at, len } => {
                        let id = ItemId::from(ITEMS[item]);
                        let current = doc.item(&id).unwrap().note.chars().count();
                        let pos = usize::from(at) * (current + 1) / 256;
                        let text: String = (0..len)
                            .map(|_| {
                                next_char += 1;
                                char::from_u32(next_char).unwrap()
                            })
                            .collect();
                        doc.edit_note(&id, pos, 0, &text, &who).unwrap();
                        model.chars.extend(text.chars().map(|c| (item, c)));
                    }
                    Edit::AddProblem => {
                        let id = doc
                            .add_problem(
                                NewProblem {
                                    description: format!("问题{clock}"),
                                    ..Default::default()
                                },
                                &who,
                            )
                            .unwrap();
                        model.problems.push(id.clone());
                        model.write(
                            r,
                            Field::Problem(id.clone()),
                            FieldValue::ProblemStatus(ProblemStatus::Open),
                        );
                        problem_write.insert(id, model.writes.len() - 1);
                    }
                    Edit::ProblemStatus { pick, status } => {
                        let seen: Vec<&ProblemId> = model
                            .problems
                            .iter()
                            .filter(|p| model.known[r].contains(&problem_write[*p]))
                            .collect();
                        if seen.is_empty() {
                            continue;
                        }
                        let id = seen[pick % seen.len()].clone();
                        let status = ProblemStatus::ALL[status];
                        doc.update_problem(&id, ProblemChange::Status(status), &who)
                            .unwrap();
                        model.write(r, Field::Problem(id), FieldValue::ProblemStatus(status));
                    }
                }
            }
            Step::Merge { from, to } => {
                let (from, to) = (from % n, to % n);
                if from != to {
                    let (src, dst) = pair(&mut docs, from, to);
                    dst.merge(src).unwrap();
                    model.learn(to, from);
                }
            }
            Step::Sync { a, b } => {
                let (a, b) = (a % n, b % n);
                if a != b {
                    let (x, y) = pair(&mut docs, a, b);
                    sync_pair(x, y);
                    model.learn(a, b);
                    model.learn(b, a);
                }
            }
        }
    }

    // Everyone meets everyone through replica 0, twice around.
    for _ in 0..2 {
        for i in 1..n {
            let (x, y) = pair(&mut docs, 0, i);
            sync_pair(x, y);
        }
    }

    let view = docs[0].view();
    let conflicts = docs[0].conflicts();
    for doc in &docs[1..] {
        assert_eq!(doc.view(), view, "replicas diverged");
        assert_eq!(doc.conflicts(), conflicts);
        assert_eq!(doc.heads(), docs[0].heads());
    }

    // Every added problem exists.
    let ids: BTreeSet<&ProblemId> = view.problems.iter().map(|p| &p.id).collect();
    assert_eq!(ids, model.problems.iter().collect::<BTreeSet<_>>());

    // Every inserted character survives, exactly once, in its own note.
    for (item, name) in ITEMS.iter().enumerate() {
        let note = &view.items[&ItemId::from(*name)].note;
        let expected: BTreeSet<char> = model
            .chars
            .iter()
            .filter(|(i, _)| *i == item)
            .map(|(_, c)| *c)
            .collect();
        let found: Vec<char> = note.chars().collect();
        assert_eq!(found.len(), expected.len(), "note of {name}");
        assert_eq!(found.into_iter().collect::<BTreeSet<_>>(), expected);
    }

    // Every field shows exactly the values of the writes nobody replaced.
    for (field, values) in model.standing() {
        let (shown, key) = match &field {
            Field::Item(i) => {
                let item = ItemId::from(ITEMS[*i]);
                let shown = view.items[&item]
                    .status
                    .map_or(FieldValue::None, FieldValue::Status);
                (shown, InspectionField::Status { item })
            }
            Field::Problem(p) => {
                let shown = FieldValue::ProblemStatus(docs[0].problem(p).unwrap().status);
                (
                    shown,
                    InspectionField::Problem {
                        problem: p.clone(),
                        part: ProblemField::Status,
                    },
                )
            }
        };
        let conflict = conflicts.iter().find(|c| c.field == key);
        if values.len() == 1 {
            assert_eq!(shown, values[0], "{field:?}");
            assert!(
                conflict.is_none(),
                "{field:?} has no concurrent writes but shows a conflict"
            );
        } else {
            let conflict = conflict
                .unwrap_or_else(|| panic!("{field:?}: concurrent {values:?} but no conflict"));
            let listed: BTreeSet<String> = conflict
                .values
                .iter()
                .map(|v| format!("{:?}", v.value))
                .collect();
            let expected: BTreeSet<String> = values.iter().map(|v| format!("{v:?}")).collect();
            assert_eq!(listed, expected, "{field:?}");
            assert!(values.contains(&shown));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_lose_no_edit(n in 3..=5usize, steps in proptest::collection::vec(step(), 5..60)) {
        run(n, steps);
    }
}
