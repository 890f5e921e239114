//! Photo I/O: shrinking a chosen photo in the browser's canvas (no wasm image codec), keeping photo bytes
//! in IndexedDB by their SHA-256 with the upload queue beside them, and the two photo calls of the API.

use crate::services::api::{ApiError, refusal};
use crate::state::photos::{QUALITIES, TARGET_BYTES, fit};
use gloo_net::http::Request;
use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use js_sys::{Promise, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use zhigai_shared::photo::{ImageType, PhotoHash};

/// The IndexedDB database of photos (apart from the documents' database: photos are big and optional).
pub const PHOTO_DB: &str = "zhigai-photos";
const VERSION: u32 = 1;
/// Photo bytes by hash.
const BYTES: &str = "bytes";
/// Per hash: size, type, and whether and where it still has to be uploaded.
const META: &str = "meta";

/// Why a photo could not be kept or read on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhotoError {
    /// The device's storage is full.
    Full,
    /// The browser could not read the file as an image.
    NotImage(String),
    /// IndexedDB failed otherwise.
    Storage(String),
}

impl From<idb::Error> for PhotoError {
    fn from(e: idb::Error) -> Self {
        let text = e.to_string();
        if text.contains("QuotaExceeded") || text.contains("quota") {
            Self::Full
        } else {
            Self::Storage(text)
        }
    }
}

/// What the device keeps about a photo besides its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoMeta {
    /// The bytes' hash.
    pub hash: String,
    /// Bytes.
    pub size: u64,
    /// `image/jpeg`, …
    pub mime: String,
    /// The facility to upload it for, while it waits to be uploaded; `None` once the server has it (or it
    /// came from the server).
    pub upload_for: Option<String>,
    /// Why the server refused it for good, if it did.
    #[serde(default)]
    pub refused: Option<String>,
}

/// The photos database.
pub struct PhotoStore {
    db: Database,
}

fn js_err(e: JsValue) -> PhotoError {
    let text = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    if text.contains("QuotaExceeded") || text.contains("quota") {
        PhotoError::Full
    } else {
        PhotoError::Storage(text)
    }
}

impl PhotoStore {
    /// Opens (creating on first use) the photos database.
    ///
    /// # Errors
    /// IndexedDB unavailable.
    pub async fn open() -> Result<Self, PhotoError> {
        let factory = Factory::new()?;
        let mut request = factory.open(PHOTO_DB, Some(VERSION))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let names = db.store_names();
            for store in [BYTES, META] {
                if !names.iter().any(|n| n == store) {
                    let _ = db.create_object_store(store, ObjectStoreParams::new());
                }
            }
        });
        Ok(Self { db: request.await? })
    }

    /// Keeps a photo's bytes and what is known of it, in one transaction: both or neither.
    ///
    /// # Errors
    /// [`PhotoError::Full`] when the device has no room; nothing is kept then.
    pub async fn put(&self, meta: &PhotoMeta, bytes: &[u8]) -> Result<(), PhotoError> {
        let tx = self
            .db
            .transaction(&[BYTES, META], TransactionMode::ReadWrite)?;
        let key = JsValue::from_str(&meta.hash);
        tx.object_store(BYTES)?
            .put(&Uint8Array::from(bytes).into(), Some(&key))?;
        let value = serde_json::to_string(meta).map_err(|e| PhotoError::Storage(e.to_string()))?;
        tx.object_store(META)?
            .put(&JsValue::from_str(&value), Some(&key))?;
        match tx.await? {
            idb::TransactionResult::Committed => Ok(()),
            idb::TransactionResult::Aborted => Err(PhotoError::Full),
        }
    }

    /// A photo's bytes, if the device has them.
    ///
    /// # Errors
    /// The read failed.
    pub async fn bytes(&self, hash: &str) -> Result<Option<Vec<u8>>, PhotoError> {
        let tx = self.db.transaction(&[BYTES], TransactionMode::ReadOnly)?;
        let value = tx
            .object_store(BYTES)?
            .get(JsValue::from_str(hash))?
            .await?;
        Ok(value.and_then(|v| v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)))
    }

    /// Everything known of every photo on the device.
    ///
    /// # Errors
    /// The read failed.
    pub async fn all_meta(&self) -> Result<Vec<PhotoMeta>, PhotoError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadOnly)?;
        let values = tx.object_store(META)?.get_all(None, None)?.await?;
        Ok(values
            .iter()
            .filter_map(|v| serde_json::from_str(&v.as_string()?).ok())
            .collect())
    }

    /// Rewrites what is known of a photo (uploaded, refused).
    ///
    /// # Errors
    /// The write failed.
    pub async fn set_meta(&self, meta: &PhotoMeta) -> Result<(), PhotoError> {
        let tx = self.db.transaction(&[META], TransactionMode::ReadWrite)?;
        let value = serde_json::to_string(meta).map_err(|e| PhotoError::Storage(e.to_string()))?;
        tx.object_store(META)?.put(
            &JsValue::from_str(&value),
            Some(&JsValue::from_str(&meta.hash)),
        )?;
        tx.await?;
        Ok(())
    }
}

/// A photo after shrinking.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk {
    /// JPEG bytes without any metadata.
    pub bytes: Vec<u8>,
    /// Their hash.
    pub hash: PhotoHash,
    /// The file's size before.
    pub original: u64,
    /// Where it was taken, from the original's EXIF (kept only if the user says so).
    pub location: Option<(f64, f64)>,
}

async fn array_buffer(blob: &web_sys::Blob) -> Result<Vec<u8>, PhotoError> {
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(js_err)?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Shrinks a chosen photo: decoded by the browser (which applies its orientation), drawn with its longest
/// side at most 1,600 px, and encoded as JPEG at falling qualities until it is under ~300 KB. The canvas
/// writes no EXIF, so the place a photo was taken never leaves in the bytes.
///
/// # Errors
/// [`PhotoError::NotImage`] for a file the browser cannot decode.
pub async fn shrink(file: &web_sys::File) -> Result<Shrunk, PhotoError> {
    let original = array_buffer(file).await?;
    let window = web_sys::window().ok_or_else(|| PhotoError::Storage("no window".into()))?;
    let bitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(file)
            .map_err(|e| PhotoError::NotImage(format!("{e:?}")))?,
    )
    .await
    .map_err(|e| PhotoError::NotImage(js_err(e).text()))?;
    let bitmap: web_sys::ImageBitmap = bitmap.unchecked_into();
    let (w, h) = fit(bitmap.width(), bitmap.height());
    let document = window
        .document()
        .ok_or_else(|| PhotoError::Storage("no document".into()))?;
    let canvas: web_sys::HtmlCanvasElement = document
        .create_element("canvas")
        .map_err(js_err)?
        .unchecked_into();
    canvas.set_width(w);
    canvas.set_height(h);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_err)?
        .ok_or_else(|| PhotoError::Storage("no 2d canvas".into()))?
        .unchecked_into();
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, f64::from(w), f64::from(h))
        .map_err(js_err)?;
    bitmap.close();
    let mut bytes = Vec::new();
    for quality in QUALITIES {
        bytes = encode(&canvas, quality).await?;
        if bytes.len() <= TARGET_BYTES {
            break;
        }
    }
    // Release the canvas's pixels at once (a phone may shrink several photos in a row).
    canvas.set_width(0);
    canvas.set_height(0);
    Ok(Shrunk {
        hash: PhotoHash::of(&bytes),
        bytes,
        original: original.len() as u64,
        location: crate::state::photos::gps_of(&original),
    })
}

async fn encode(canvas: &web_sys::HtmlCanvasElement, quality: f64) -> Result<Vec<u8>, PhotoError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if let Err(e) = canvas.to_blob_with_type_and_encoder_options(
            done.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(quality),
        ) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let blob = JsFuture::from(promise).await.map_err(js_err)?;
    let blob: web_sys::Blob = blob
        .dyn_into()
        .map_err(|_| PhotoError::NotImage("the canvas gave no image".into()))?;
    array_buffer(&blob).await
}

impl PhotoError {
    /// The detail, for messages.
    pub fn text(&self) -> String {
        match self {
            Self::Full => "QuotaExceededError".to_owned(),
            Self::NotImage(t) | Self::Storage(t) => t.clone(),
        }
    }
}

/// `PUT /api/blobs/{hash}?facility=…`: one photo, all or nothing (a cut connection keeps nothing on the
/// server, and the queue sends the whole photo again).
///
/// # Errors
/// [`ApiError`] with the server's bilingual message.
pub async fn upload(token: &str, facility: &str, hash: &str, bytes: &[u8]) -> Result<(), ApiError> {
    let sniffed = ImageType::sniff(bytes).map_or("application/octet-stream", ImageType::mime);
    let response = Request::put(&format!("/api/blobs/{hash}?facility={facility}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", sniffed)
        .body(Uint8Array::from(bytes))
        .map_err(|e| ApiError::Browser(e.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    if response.ok() {
        return Ok(());
    }
    Err(refusal(response).await)
}

/// `GET /api/blobs/{hash}`: a photo a colleague took or a facility sent for review.
///
/// # Errors
/// [`ApiError`] with the server's bilingual message (not yet uploaded, not yours to see).
pub async fn download(token: &str, hash: &str) -> Result<Vec<u8>, ApiError> {
    let response = Request::get(&format!("/api/blobs/{hash}"))
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    if !response.ok() {
        return Err(refusal(response).await);
    }
    response
        .binary()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

/// An object URL showing `bytes` (revoke it with [`revoke`] when no longer shown).
pub fn object_url(bytes: &[u8], mime: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    web_sys::Url::create_object_url_with_blob(&blob).ok()
}

/// Frees an object URL.
pub fn revoke(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// How much this site stores and may store on the device (bytes), where the browser says.
pub async fn storage_estimate() -> Option<(f64, f64)> {
    let storage = web_sys::window()?.navigator().storage();
    let estimate = JsFuture::from(storage.estimate().ok()?).await.ok()?;
    let get = |key: &str| {
        js_sys::Reflect::get(&estimate, &JsValue::from_str(key))
            .ok()?
            .as_f64()
    };
    Some((get("usage")?, get("quota")?))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    async fn photos_and_their_queue_state_survive_reopening_indexeddb() {
        let store = PhotoStore::open().await.unwrap();
        let bytes = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4];
        let hash = PhotoHash::of(&bytes).to_string();
        let meta = PhotoMeta {
            hash: hash.clone(),
            size: bytes.len() as u64,
            mime: "image/jpeg".into(),
            upload_for: Some("f1".into()),
            refused: None,
        };
        store.put(&meta, &bytes).await.unwrap();
        drop(store);
        let store = PhotoStore::open().await.unwrap();
        assert_eq!(
            store.bytes(&hash).await.unwrap().as_deref(),
            Some(&bytes[..])
        );
        assert_eq!(store.bytes("no-such-hash").await.unwrap(), None);
        let all = store.all_meta().await.unwrap();
        assert!(all.contains(&meta));
        // Uploaded: the queue forgets it, the bytes stay for showing.
        let uploaded = PhotoMeta {
            upload_for: None,
            ..meta
        };
        store.set_meta(&uploaded).await.unwrap();
        let all = PhotoStore::open().await.unwrap().all_meta().await.unwrap();
        assert!(all.contains(&uploaded));
        assert!(store.bytes(&hash).await.unwrap().is_some());
    }
}
