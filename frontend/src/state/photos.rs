//! Photo evidence on the device, as pure data: how far to shrink a photo, what the upload queue says, how a
//! size reads, and where an EXIF block keeps the place a photo was taken. The I/O is in
//! `services::photos`; the provider in `hooks::use_photos`.

use zhigai_shared::photo::MAX_LONG_SIDE;

/// The size a shrunk photo aims under: the app lowers the JPEG quality step by step until it fits.
pub const TARGET_BYTES: usize = 300 * 1024;

/// JPEG qualities tried in turn.
pub const QUALITIES: [f64; 4] = [0.82, 0.72, 0.62, 0.5];

/// The pixel size a `width` × `height` photo is drawn at: the longest side at most [`MAX_LONG_SIDE`],
/// the shape kept, never enlarged.
pub fn fit(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= MAX_LONG_SIDE || long == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(MAX_LONG_SIDE) / f64::from(long);
    let w = (f64::from(width) * scale).round().max(1.0) as u32;
    let h = (f64::from(height) * scale).round().max(1.0) as u32;
    (w.min(MAX_LONG_SIDE), h.min(MAX_LONG_SIDE))
}

/// A size as people read it: 850 KB, 2.4 MB.
pub fn size_text(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0)
    }
}

/// What one queued photo is waiting for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Not yet sent (or sent and cut off: it starts again).
    Waiting,
    /// Being sent now.
    Sending,
    /// Refused for good (not an image, too large, not this user's facility): said once, kept on the device.
    Refused(String),
}

/// The upload queue as the sync badge shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueSummary {
    /// Photos still to upload (waiting or sending).
    pub pending: usize,
    /// Photos the server refused for good, with why (the newest first).
    pub refused: Vec<String>,
}

impl QueueSummary {
    /// The summary of the queue's states.
    pub fn of<'a>(states: impl IntoIterator<Item = &'a QueueState>) -> Self {
        let mut summary = Self::default();
        for state in states {
            match state {
                QueueState::Waiting | QueueState::Sending => summary.pending += 1,
                QueueState::Refused(why) => summary.refused.push(why.clone()),
            }
        }
        summary
    }
}

/// What an upload's failure means for the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// No answer, a server error, a session to renew: the photo stays queued and the queue stops for now.
    Later,
    /// A refusal that sending again cannot change: the photo is marked and the queue goes on.
    Never,
}

/// How the queue treats an HTTP failure `status` (0 for no answer).
pub fn retry_after(status: u16) -> Retry {
    match status {
        // Bad request, forbidden, not found, too large, not an image: the same bytes get the same answer.
        400 | 403 | 404 | 413 | 415 => Retry::Never,
        // A hash mismatch is damage in transit: the bytes on the device are sent again.
        _ => Retry::Later,
    }
}

/// The latitude and longitude an EXIF block (the APP1 segment of a JPEG) gives, if any: what the app keeps
/// when the user chooses to keep the place a photo was taken. The shrunk photo itself never carries EXIF.
pub fn gps_of(jpeg: &[u8]) -> Option<(f64, f64)> {
    let tiff = exif_tiff(jpeg)?;
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    };
    // The entries of the directory at `ifd`: (tag, type, count, value-or-offset position).
    let entries = |ifd: usize| -> Option<Vec<(u16, u16, u32, usize)>> {
        let n = usize::from(u16_at(ifd)?);
        (0..n.min(256))
            .map(|i| {
                let at = ifd + 2 + i * 12;
                Some((u16_at(at)?, u16_at(at + 2)?, u32_at(at + 4)?, at + 8))
            })
            .collect()
    };
    let ifd0 = u32_at(4)? as usize;
    let gps_ifd = entries(ifd0)?
        .into_iter()
        .find(|e| e.0 == 0x8825)
        .and_then(|e| u32_at(e.3))? as usize;
    let gps = entries(gps_ifd)?;
    let text = |tag: u16| -> Option<u8> {
        let e = gps.iter().find(|e| e.0 == tag)?;
        tiff.get(e.3).copied()
    };
    // Degrees, minutes, seconds as three unsigned rationals.
    let degrees = |tag: u16| -> Option<f64> {
        let e = gps.iter().find(|e| e.0 == tag && e.1 == 5 && e.2 == 3)?;
        let at = u32_at(e.3)? as usize;
        let part = |i: usize| -> Option<f64> {
            let n = f64::from(u32_at(at + i * 8)?);
            let d = f64::from(u32_at(at + i * 8 + 4)?);
            (d > 0.0).then(|| n / d)
        };
        Some(part(0)? + part(1)? / 60.0 + part(2)? / 3600.0)
    };
    let mut lat = degrees(2)?;
    let mut lon = degrees(4)?;
    if text(1) == Some(b'S') {
        lat = -lat;
    }
    if text(3) == Some(b'W') {
        lon = -lon;
    }
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// The TIFF body of a JPEG's EXIF segment.
fn exif_tiff(jpeg: &[u8]) -> Option<&[u8]> {
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= jpeg.len() {
        if jpeg[at] != 0xFF {
            return None;
        }
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        let body = jpeg.get(at + 4..at + 2 + len)?;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            return Some(&body[6..]);
        }
        // Start of scan: no more metadata segments.
        if marker == 0xDA {
            return None;
        }
        at += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_shrink_to_the_long_side_keeping_their_shape() {
        assert_eq!(fit(4000, 3000), (1600, 1200));
        assert_eq!(fit(3000, 4000), (1200, 1600));
        assert_eq!(fit(1200, 900), (1200, 900), "never enlarged");
        assert_eq!(fit(1600, 1600), (1600, 1600));
        assert_eq!(fit(10_000, 10), (1600, 2));
        assert_eq!(fit(0, 0), (1, 1));
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_text(0), "0 KB");
        assert_eq!(size_text(250_000), "245 KB");
        assert_eq!(size_text(2_500_000), "2.4 MB");
    }

    #[test]
    fn the_queue_counts_what_is_left_and_what_was_refused() {
        let states = [
            QueueState::Waiting,
            QueueState::Sending,
            QueueState::Refused("不是照片".into()),
        ];
        let s = QueueSummary::of(&states);
        assert_eq!(s.pending, 2);
        assert_eq!(s.refused, vec!["不是照片".to_owned()]);
        assert_eq!(retry_after(0), Retry::Later, "no network: later");
        assert_eq!(retry_after(401), Retry::Later, "a session to renew: later");
        assert_eq!(retry_after(500), Retry::Later);
        assert_eq!(retry_after(422), Retry::Later, "damaged in transit: again");
        for refused in [400, 403, 404, 413, 415] {
            assert_eq!(retry_after(refused), Retry::Never, "{refused}");
        }
    }

    /// A JPEG with an EXIF block naming 39°54'26.4"N 116°23'29.16"E (big- or little-endian TIFF).
    fn jpeg_with_gps(little: bool) -> Vec<u8> {
        let u16b = |v: u16| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let u32b = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut t = Vec::new();
        t.extend(if little { b"II" } else { b"MM" });
        t.extend(u16b(42));
        t.extend(u32b(8)); // IFD0 at 8
        t.extend(u16b(1)); // one entry: the GPS IFD pointer
        t.extend(u16b(0x8825));
        t.extend(u16b(4));
        t.extend(u32b(1));
        t.extend(u32b(26)); // GPS IFD at 26
        t.extend(u32b(0)); // no next IFD
        assert_eq!(t.len(), 26);
        t.extend(u16b(4)); // four entries
        let data = 26 + 2 + 4 * 12 + 4; // rationals after the directory
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend(u16b(tag));
            t.extend(u16b(kind));
            t.extend(u32b(count));
            t.extend(value);
        };
        entry(&mut t, 1, 2, 2, [b'N', 0, 0, 0]);
        entry(&mut t, 2, 5, 3, u32b(data as u32));
        entry(&mut t, 3, 2, 2, [b'E', 0, 0, 0]);
        entry(&mut t, 4, 5, 3, u32b(data as u32 + 24));
        t.extend(u32b(0));
        for (n, d) in [(39, 1), (54, 1), (264, 10), (116, 1), (23, 1), (2916, 100)] {
            t.extend(u32b(n));
            t.extend(u32b(d));
        }
        let mut segment = b"Exif\0\0".to_vec();
        segment.extend(t);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend(((segment.len() + 2) as u16).to_be_bytes());
        jpeg.extend(segment);
        jpeg.extend([0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn the_place_a_photo_was_taken_is_read_from_its_exif() {
        for little in [false, true] {
            let (lat, lon) = gps_of(&jpeg_with_gps(little)).unwrap();
            assert!((lat - 39.9073).abs() < 1e-4, "{lat}");
            assert!((lon - 116.3914).abs() < 1e-4, "{lon}");
        }
        assert_eq!(gps_of(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None, "no EXIF");
        assert_eq!(gps_of(b"not a jpeg"), None);
        // Truncated anywhere, it never panics.
        let whole = jpeg_with_gps(true);
        for cut in 0..whole.len() {
            let _ = gps_of(&whole[..cut]);
        }
    }
}
