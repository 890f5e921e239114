//! The group commit: one writer task stores the changes of every open document. Document tasks hand it their
//! write and hear when it landed; whatever queued while the previous transaction ran goes into the next one,
//! so under load one transaction carries many documents' chunks and rows (one fsync, one SQLite writer, no
//! lock storms), and at low load a write waits for nobody. Each document task acknowledges a change to its
//! sender only after the write carrying it committed; meanwhile it goes on with its peers (see `task.rs`).

use crate::db::{Appended, DbError, DocWrite, Store};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};

/// Writes one transaction takes at most.
const MAX_WRITES: usize = 256;
/// Chunk bytes one transaction takes at most (a write larger than this goes alone).
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// What became of a write: the write itself (its rows serve as the next write's `previous`), unless it was
/// lost with the writer task at shutdown, and what it stored once committed.
pub struct Outcome {
    /// The write handed in.
    pub write: Option<DocWrite>,
    /// What it stored, or why it is not stored.
    pub result: Result<Appended, DbError>,
}

struct Job {
    write: DocWrite,
    done: oneshot::Sender<Outcome>,
}

/// The handle document tasks store through.
#[derive(Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the writer task on `store`. It ends when every handle is dropped.
    pub fn start(store: Arc<dyn Store>) -> Self {
        // Each open document waits for its own write, so the queue holds at most one job per document.
        let (jobs, rx) = mpsc::channel(4096);
        tokio::spawn(run(store, rx));
        Self { jobs }
    }

    /// Hands `write` to the next transaction; the [`Landing`] answers once that transaction committed or
    /// failed. Waits only if the queue is full.
    pub async fn submit(&self, write: DocWrite) -> Landing {
        let (done, outcome) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.jobs.send(Job { write, done }).await {
            // The writer is gone: the write comes back at once, not stored.
            let _ = job.done.send(Outcome {
                write: Some(job.write),
                result: Err(DbError::Unavailable),
            });
        }
        Landing(outcome)
    }
}

/// The outcome of a submitted write, to await (or to poll beside other work: the document task goes on
/// with its peers while its write is in the transaction).
pub struct Landing(oneshot::Receiver<Outcome>);

impl Future for Landing {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        // A write lost with the writer task (shutdown) was not stored.
        Pin::new(&mut self.0).poll(cx).map(|r| {
            r.unwrap_or(Outcome {
                write: None,
                result: Err(DbError::Unavailable),
            })
        })
    }
}

async fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut bytes = first.write.chunk.len();
        let mut jobs = vec![first];
        while jobs.len() < MAX_WRITES && bytes < MAX_BYTES {
            match rx.try_recv() {
                Ok(job) => {
                    bytes += job.write.chunk.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        // One order of documents in every transaction, so two instances' transactions wait for each other
        // on the rows they share rather than deadlock.
        jobs.sort_by(|a, b| a.write.doc_id.cmp(&b.write.doc_id));
        if jobs.len() == 1 {
            answer_each(store.as_ref(), jobs).await;
            continue;
        }
        let writes: Vec<&DocWrite> = jobs.iter().map(|j| &j.write).collect();
        match store.append_documents(&writes).await {
            Ok(ids) if ids.len() == jobs.len() => {
                for (job, id) in jobs.into_iter().zip(ids) {
                    let _ = job.done.send(Outcome {
                        write: Some(job.write),
                        result: Ok(id),
                    });
                }
            }
            // One write's fault must not fail the others: each goes alone (a database that is down fails
            // them all, each with its own error).
            _ => answer_each(store.as_ref(), jobs).await,
        }
    }
}

async fn answer_each(store: &dyn Store, jobs: Vec<Job>) {
    for job in jobs {
        let result = store.append_one(&job.write).await;
        let _ = job.done.send(Outcome {
            write: Some(job.write),
            result,
        });
    }
}
