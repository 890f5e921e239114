//! The first reader of every Automerge sync message a peer sends: our own decoder of the wire format that
//! checks what automerge would otherwise trust, before automerge sees a byte.
//!
//! Automerge 0.12 takes a peer's bloom-filter parameters as given (0 bits per entry divides by zero, 2^30
//! probes allocate 4 GiB), inflates compressed chunks without a limit, and keeps changes whose
//! dependencies are missing. [`inspect`] walks the message — heads, needs, haves and their bloom filters,
//! every chunk of every change entry — with bounds on each list, validates bloom parameters, inflates
//! compressed chunks and compressed document columns itself under one output cap, verifies checksums, and
//! reports each change's hash, dependencies, actor and message, so callers can refuse a message by comparing
//! hashes without applying it.

use sha2::{Digest, Sha256};
use std::io::Read;
use thiserror::Error;

/// The first four bytes of every Automerge storage chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const SYNC_V1: u8 = 0x42;
const SYNC_V2: u8 = 0x43;
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// The column-specification bit that marks a DEFLATE-compressed column.
const COLUMN_DEFLATE: u64 = 0b1000;

/// How much one sync message may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Hashes in one list (heads, needs, one have's last-sync heads).
    pub max_hashes: usize,
    /// Entries in the have list.
    pub max_haves: usize,
    /// Entries one bloom filter may summarise.
    pub max_bloom_entries: u32,
    /// Change chunks in one message.
    pub max_changes: usize,
    /// Bytes all compressed data of one message may inflate to, in total.
    pub max_inflated_bytes: usize,
}

impl Default for Limits {
    /// Far above what the app and stock clients send (a few heads, one have, a document's changes), far
    /// below what hurts a server.
    fn default() -> Self {
        Self {
            max_hashes: 1024,
            max_haves: 8,
            max_bloom_entries: 1 << 20,
            max_changes: 20_000,
            max_inflated_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Why a sync message was refused before automerge saw it.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum GuardError {
    /// The bytes end early or do not follow the format.
    #[error("malformed sync message: {0}")]
    Malformed(&'static str),
    /// A list is longer than [`Limits`] allow.
    #[error("sync message has too many {what} ({found}; at most {max})")]
    TooMany {
        /// Which list.
        what: &'static str,
        /// How many it had.
        found: u64,
        /// The limit.
        max: u64,
    },
    /// Bloom-filter parameters outside what any honest peer uses.
    #[error("bloom filter parameters out of range: {0}")]
    BadBloom(&'static str),
    /// Compressed data inflating past [`Limits::max_inflated_bytes`].
    #[error("compressed data inflates past {max} bytes")]
    Inflation {
        /// The cap.
        max: usize,
    },
    /// A chunk whose checksum does not match its content.
    #[error("a change chunk's checksum does not match its content")]
    Checksum,
    /// A chunk type peers may not send (bundles, unknown types).
    #[error("chunk type {0} is not accepted in sync messages")]
    ChunkType(u8),
}

/// A 32-byte change hash.
pub type Hash = [u8; 32];

/// One change carried by a message, read from its chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeInfo {
    /// Its hash (over the uncompressed change chunk).
    pub hash: Hash,
    /// The hashes it depends on.
    pub deps: Vec<Hash>,
    /// The actor that wrote it.
    pub actor: Vec<u8>,
    /// Its sequence number for that actor.
    pub seq: u64,
    /// Its message (zhigai's author stamp).
    pub message: String,
    /// The whole uncompressed change chunk (header included), as `automerge::Change` reads it: the server
    /// checks a message's new changes from these rather than reading them back out of the document.
    pub chunk: Vec<u8>,
}

/// What a sync message carries, as read by [`inspect`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inspected {
    /// The sender's heads.
    pub heads: Vec<Hash>,
    /// Hashes the sender asks for.
    pub need: Vec<Hash>,
    /// The changes sent as change chunks (compressed or not).
    pub changes: Vec<ChangeInfo>,
    /// The heads of each whole document sent (automerge's v2 messages send a document when a peer lacks
    /// much); its changes have no hashes until automerge reads it.
    pub documents: Vec<Vec<Hash>>,
    /// Bytes of change data after inflation.
    pub inflated_bytes: usize,
}

impl Inspected {
    /// Whether the message carries any change data at all.
    pub fn carries_changes(&self) -> bool {
        !self.changes.is_empty() || !self.documents.is_empty()
    }
}

/// Reads and bounds a sync message.
///
/// # Errors
/// [`GuardError`] for anything out of format or out of bounds; nothing is allocated beyond the input's
/// size plus [`Limits::max_inflated_bytes`].
pub fn inspect(bytes: &[u8], limits: &Limits) -> Result<Inspected, GuardError> {
    let mut r = Reader::new(bytes);
    match r.byte()? {
        SYNC_V1 | SYNC_V2 => {}
        _ => return Err(GuardError::Malformed("not an Automerge sync message")),
    }
    let mut out = Inspected {
        heads: r.hashes("heads", limits.max_hashes)?,
        need: r.hashes("needs", limits.max_hashes)?,
        ..Inspected::default()
    };
    let haves = r.count("haves", limits.max_haves)?;
    for _ in 0..haves {
        r.hashes("last-sync heads", limits.max_hashes)?;
        let bloom = r.prefixed()?;
        check_bloom(bloom, limits)?;
    }
    let entries = r.count("change entries", limits.max_changes)?;
    let mut budget = limits.max_inflated_bytes;
    for _ in 0..entries {
        let entry = r.prefixed()?;
        read_chunks(entry, limits, &mut budget, &mut out)?;
    }
    // What follows is automerge's flags section (length-prefixed); anything else is refused.
    if !r.is_empty() {
        let flags = r.prefixed()?;
        if flags.len() > 16 || !r.is_empty() {
            return Err(GuardError::Malformed("unexpected bytes after the changes"));
        }
    }
    out.inflated_bytes = limits.max_inflated_bytes - budget;
    Ok(out)
}

fn check_bloom(bytes: &[u8], limits: &Limits) -> Result<(), GuardError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut r = Reader::new(bytes);
    let entries = r.uint()?;
    let bits_per_entry = r.uint()?;
    let probes = r.uint()?;
    if entries > u64::from(limits.max_bloom_entries) {
        return Err(GuardError::TooMany {
            what: "bloom entries",
            found: entries,
            max: u64::from(limits.max_bloom_entries),
        });
    }
    if entries == 0 {
        // Automerge reads an empty filter as "has nothing" and never probes it.
        return Ok(());
    }
    if !(1..=64).contains(&bits_per_entry) {
        return Err(GuardError::BadBloom("bits per entry must be 1 to 64"));
    }
    if !(1..=32).contains(&probes) {
        return Err(GuardError::BadBloom("probes must be 1 to 32"));
    }
    let needed = (entries * bits_per_entry).div_ceil(8);
    if (r.rest().len() as u64) < needed {
        return Err(GuardError::BadBloom("fewer bits than the filter declares"));
    }
    Ok(())
}

/// Reads the chunks of one change entry (v1: one change; v2: several changes or one document).
fn read_chunks(
    mut bytes: &[u8],
    limits: &Limits,
    budget: &mut usize,
    out: &mut Inspected,
) -> Result<(), GuardError> {
    while !bytes.is_empty() {
        let mut r = Reader::new(bytes);
        if r.take(4)? != MAGIC {
            return Err(GuardError::Malformed(
                "a change chunk lacks the magic bytes",
            ));
        }
        let checksum: [u8; 4] = r.take(4)?.try_into().unwrap_or_default();
        let kind = r.byte()?;
        let len = usize::try_from(r.uint()?).map_err(|_| GuardError::Malformed("chunk length"))?;
        let data = r.take(len)?;
        bytes = r.rest();
        match kind {
            CHUNK_CHANGE => {
                let info = change_info(data)?;
                if info.hash[..4] != checksum {
                    return Err(GuardError::Checksum);
                }
                push_change(out, info, limits)?;
            }
            CHUNK_COMPRESSED => {
                let inflated = inflate(data, budget, limits.max_inflated_bytes)?;
                let info = change_info(&inflated)?;
                if info.hash[..4] != checksum {
                    return Err(GuardError::Checksum);
                }
                push_change(out, info, limits)?;
            }
            CHUNK_DOCUMENT => {
                let heads = check_document(data, budget, limits)?;
                out.documents.push(heads);
            }
            other => return Err(GuardError::ChunkType(other)),
        }
    }
    Ok(())
}

fn push_change(out: &mut Inspected, info: ChangeInfo, limits: &Limits) -> Result<(), GuardError> {
    if out.changes.len() >= limits.max_changes {
        return Err(GuardError::TooMany {
            what: "changes",
            found: out.changes.len() as u64 + 1,
            max: limits.max_changes as u64,
        });
    }
    out.changes.push(info);
    Ok(())
}

/// The hash and header fields of an uncompressed change chunk's data.
fn change_info(data: &[u8]) -> Result<ChangeInfo, GuardError> {
    let mut header = vec![CHUNK_CHANGE];
    write_uint(&mut header, data.len() as u64);
    let mut hasher = Sha256::new();
    hasher.update(&header);
    hasher.update(data);
    let hash: Hash = hasher.finalize().into();

    let mut r = Reader::new(data);
    let deps_count = r.count("dependencies", data.len())?;
    let mut deps = Vec::new();
    for _ in 0..deps_count {
        deps.push(r.hash()?);
    }
    let actor = r.prefixed()?.to_vec();
    let seq = r.uint()?;
    let _start_op = r.uint()?;
    r.skip_number()?; // the time, a signed number

    let message = String::from_utf8(r.prefixed()?.to_vec())
        .map_err(|_| GuardError::Malformed("a change message is not UTF-8"))?;
    let mut chunk = Vec::with_capacity(MAGIC.len() + 4 + header.len() + data.len());
    chunk.extend_from_slice(&MAGIC);
    chunk.extend_from_slice(&hash[..4]);
    chunk.extend_from_slice(&header);
    chunk.extend_from_slice(data);
    Ok(ChangeInfo {
        hash,
        deps,
        actor,
        seq,
        message,
        chunk,
    })
}

/// Checks a document chunk's layout and inflates its compressed columns under the budget; returns its heads.
fn check_document(
    data: &[u8],
    budget: &mut usize,
    limits: &Limits,
) -> Result<Vec<Hash>, GuardError> {
    let mut r = Reader::new(data);
    let actors = r.count("actors", data.len())?;
    for _ in 0..actors {
        r.prefixed()?;
    }
    let heads = r.hashes("document heads", limits.max_hashes)?;
    let mut columns = Vec::new();
    for _ in 0..2 {
        let n = r.count("columns", 256)?;
        for _ in 0..n {
            let spec = r.uint()?;
            let len = usize::try_from(r.uint()?).map_err(|_| GuardError::Malformed("column"))?;
            columns.push((spec, len));
        }
    }
    for (spec, len) in columns {
        let bytes = r.take(len)?;
        if spec & COLUMN_DEFLATE != 0 {
            inflate(bytes, budget, limits.max_inflated_bytes)?;
        }
    }
    Ok(heads)
}

/// Inflates DEFLATE data, taking its size from `budget`; never holds more than the budget.
fn inflate(data: &[u8], budget: &mut usize, max: usize) -> Result<Vec<u8>, GuardError> {
    let mut out = Vec::new();
    let limit = (*budget as u64).saturating_add(1);
    flate2::read::DeflateDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| GuardError::Malformed("compressed data does not inflate"))?;
    if out.len() > *budget {
        return Err(GuardError::Inflation { max });
    }
    *budget -= out.len();
    Ok(out)
}

fn write_uint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A cursor over bytes that never reads past the end.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn byte(&mut self) -> Result<u8, GuardError> {
        Ok(self.take(1)?[0])
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], GuardError> {
        if self.bytes.len() < n {
            return Err(GuardError::Malformed("the message ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// An unsigned LEB128 number of at most 64 bits.
    fn uint(&mut self) -> Result<u64, GuardError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let part = u64::from(byte & 0x7f);
            if shift == 63 && part > 1 {
                return Err(GuardError::Malformed("a number overflows 64 bits"));
            }
            value |= part << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(GuardError::Malformed("a number overflows 64 bits"))
    }

    /// Skips one LEB128 number of either sign.
    fn skip_number(&mut self) -> Result<(), GuardError> {
        for _ in 0..10 {
            if self.byte()? & 0x80 == 0 {
                return Ok(());
            }
        }
        Err(GuardError::Malformed("a number overflows 64 bits"))
    }

    fn count(&mut self, what: &'static str, max: usize) -> Result<u64, GuardError> {
        let n = self.uint()?;
        if n > max as u64 {
            return Err(GuardError::TooMany {
                what,
                found: n,
                max: max as u64,
            });
        }
        Ok(n)
    }

    fn prefixed(&mut self) -> Result<&'a [u8], GuardError> {
        let len = usize::try_from(self.uint()?).map_err(|_| GuardError::Malformed("length"))?;
        self.take(len)
    }

    fn hash(&mut self) -> Result<Hash, GuardError> {
        let bytes = self.take(32)?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(bytes);
        Ok(hash)
    }

    fn hashes(&mut self, what: &'static str, max: usize) -> Result<Vec<Hash>, GuardError> {
        let n = self.count(what, max)?;
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.hash()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sync message with one have whose bloom filter has the given parameters.
    pub(crate) fn bloom_message(entries: u64, bits: u64, probes: u64, filter: &[u8]) -> Vec<u8> {
        let mut bloom = Vec::new();
        write_uint(&mut bloom, entries);
        write_uint(&mut bloom, bits);
        write_uint(&mut bloom, probes);
        bloom.extend_from_slice(filter);
        let mut m = vec![SYNC_V1, 0, 0, 1, 0];
        write_uint(&mut m, bloom.len() as u64);
        m.extend(bloom);
        m.push(0);
        m
    }

    #[test]
    fn hostile_bloom_parameters_are_refused() {
        let l = Limits::default();
        assert!(matches!(
            inspect(&bloom_message(1, 0, 7, &[]), &l),
            Err(GuardError::BadBloom(_))
        ));
        assert!(matches!(
            inspect(&bloom_message(1, 10, 1 << 30, &[0, 0]), &l),
            Err(GuardError::BadBloom(_))
        ));
        assert!(matches!(
            inspect(&bloom_message(1 << 30, 10, 7, &[]), &l),
            Err(GuardError::TooMany { .. })
        ));
        assert!(matches!(
            inspect(&bloom_message(100, 10, 7, &[0; 10]), &l),
            Err(GuardError::BadBloom(_))
        ));
        assert!(inspect(&bloom_message(1, 10, 7, &[0, 0]), &l).is_ok());
    }

    #[test]
    fn truncated_and_foreign_bytes_are_malformed() {
        let l = Limits::default();
        for bytes in [
            &[][..],
            &[0x42][..],
            &[0x41, 0, 0, 0, 0][..],
            &[0x42, 5][..],
        ] {
            assert!(inspect(bytes, &l).is_err(), "{bytes:?}");
        }
        // 2^63 heads claimed in ten bytes.
        let mut m = vec![SYNC_V1];
        write_uint(&mut m, 1 << 63);
        assert!(matches!(inspect(&m, &l), Err(GuardError::TooMany { .. })));
    }

    #[test]
    fn a_compressed_chunk_inflates_only_up_to_the_cap() {
        use std::io::Write;
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 4 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0, 0, 0, 0, CHUNK_COMPRESSED]);
        write_uint(&mut chunk, bomb.len() as u64);
        chunk.extend(&bomb);
        let mut m = vec![SYNC_V1, 0, 0, 0, 1];
        write_uint(&mut m, chunk.len() as u64);
        m.extend(chunk);
        let limits = Limits {
            max_inflated_bytes: 1 << 20,
            ..Limits::default()
        };
        assert_eq!(
            inspect(&m, &limits),
            Err(GuardError::Inflation { max: 1 << 20 })
        );
    }
}
