//! `cargo bench -p zhigai-shared --bench views`: how long the clinic app's per-render reads take on a
//! document with a long change log (every keystroke in a note is a change). Prints figures; asserts nothing.

use std::time::Instant;
use zhigai_shared::{Author, FacilityId, Inspection, ItemId, Stamp, Status, Template, Timestamp};

fn main() {
    let template = Template::national();
    for changes in [1_000usize, 5_000] {
        let mut doc = Inspection::create(&FacilityId::from("f"), 2026, template).unwrap();
        let items: Vec<ItemId> = template.items().map(|i| i.id.clone()).collect();
        let stamp = Stamp::new(Author::new("u", "王医生"), Timestamp(1_790_000_000_000));
        for n in 0..changes {
            let item = &items[n % 16];
            if n % 10 == 0 {
                doc.set_status(item, Some(Status::Compliant), &stamp)
                    .unwrap();
            } else {
                // Each item's note grows by one character per edit (a colleague typing).
                let note = "字".repeat(n / 16 % 1_000 + 1);
                doc.set_note(item, &note, &stamp).unwrap();
            }
        }
        let area: Vec<&ItemId> = items.iter().take(16).collect();
        let time = |label: &str, runs: u32, f: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..runs {
                f();
            }
            let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
            println!("{changes:>6} changes  {label:<52} {ms:>8.2} ms");
        };
        time(
            "16 items with last change, one log walk each (item)",
            5,
            &mut || {
                for id in &area {
                    std::hint::black_box(doc.item(id));
                }
            },
        );
        time(
            "16 items (item_state) + one last_changes pass",
            5,
            &mut || {
                let last = doc.last_changes();
                for id in &area {
                    std::hint::black_box((doc.item_state(id), last.get(id.as_str())));
                }
            },
        );
        time(
            "16 items (item_state) only, last changes cached",
            20,
            &mut || {
                for id in &area {
                    std::hint::black_box(doc.item_state(id));
                }
            },
        );
    }
}
