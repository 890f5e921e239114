//! Photo bytes on the device for the pages of one facility: [`PhotoProvider`] keeps the photos database,
//! shrinks and stores new photos, runs the upload queue (one photo at a time; a cut connection sends only
//! the unfinished photo again; a refusal marks that photo and the queue goes on), and fetches colleagues'
//! and facilities' photos on demand into the same cache. Pages call [`use_photos`] for a [`PhotosHandle`]
//! and [`use_photo`] for one photo's picture.

use crate::hooks::use_session::use_session;
use crate::i18n::Lang;
use crate::services::api::ApiError;
use crate::services::network::NetworkListener;
use crate::services::photos::{self, PhotoError, PhotoMeta, PhotoStore};
use crate::state::photos::{QueueState, QueueSummary, Retry, retry_after};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use zhigai_shared::doc::NewPhoto;
use zhigai_shared::photo::{ImageType, PhotoSubject};

/// One photo's picture as a view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Picture {
    /// Being read from the device or fetched.
    Loading,
    /// An object URL to show.
    Ready(String),
    /// Not to be had now, with why (zh, en).
    Missing(String, String),
}

struct PhotoRuntime {
    store: RefCell<Option<Rc<PhotoStore>>>,
    /// What the device keeps, by hash.
    metas: RefCell<BTreeMap<String, PhotoMeta>>,
    pictures: RefCell<HashMap<String, Picture>>,
    /// The photo being uploaded now.
    sending: RefCell<Option<String>>,
    /// Photos being shrunk: done, of.
    shrinking: Cell<Option<(usize, usize)>>,
    /// The item or problem phase (`PhotoSubject::code`) the latest photos were chosen for: its strip alone
    /// shows their progress and failure.
    attaching: RefCell<Option<String>>,
    /// The last failure worth telling (zh, en).
    error: RefCell<Option<(String, String)>>,
    /// This site's storage use and quota, as the browser estimates them.
    estimate: Cell<Option<(f64, f64)>>,
    token: String,
    revision: Cell<u64>,
    closed: Cell<bool>,
    notify: Callback<()>,
}

fn full_message() -> (String, String) {
    (
        "设备存储空间已满，照片未保存：请删除手机中不需要的文件或照片后重试。已填写的内容不受影响。"
            .to_owned(),
        "The device's storage is full and the photo was not kept: free some space and try again. \
         Nothing you entered is affected."
            .to_owned(),
    )
}

fn photo_message(e: &PhotoError) -> (String, String) {
    match e {
        PhotoError::Full => full_message(),
        PhotoError::NotImage(why) => (
            format!("无法读取这张照片（{why}），请换一张或重新拍摄。"),
            format!("This photo cannot be read ({why}); pick another or take it again."),
        ),
        PhotoError::Storage(why) => (
            format!("照片未能保存到本机（{why}），请重试。"),
            format!("The photo could not be kept on the device ({why}); try again."),
        ),
    }
}

impl PhotoRuntime {
    fn changed(&self) {
        if self.closed.get() {
            return;
        }
        self.revision.set(self.revision.get() + 1);
        self.notify.emit(());
    }

    fn fail(&self, message: (String, String)) {
        *self.error.borrow_mut() = Some(message);
        self.changed();
    }

    async fn open(self: Rc<Self>) {
        match PhotoStore::open().await {
            Ok(store) => {
                let metas = store.all_meta().await.unwrap_or_default();
                *self.metas.borrow_mut() = metas.into_iter().map(|m| (m.hash.clone(), m)).collect();
                *self.store.borrow_mut() = Some(Rc::new(store));
            }
            Err(e) => self.fail(photo_message(&e)),
        }
        self.estimate.set(photos::storage_estimate().await);
        self.changed();
        self.clone().run_queue();
        // Pictures asked for before the store was open.
        let waiting: Vec<String> = self
            .pictures
            .borrow()
            .iter()
            .filter(|(_, p)| **p == Picture::Loading)
            .map(|(h, _)| h.clone())
            .collect();
        for hash in waiting {
            spawn_local(self.clone().load(hash));
        }
    }

    /// Shrinks and keeps `files`, then hands their references to `done`; stops at the first failure.
    async fn attach(
        self: Rc<Self>,
        files: Vec<web_sys::File>,
        facility: String,
        keep_location: bool,
        done: Callback<Vec<NewPhoto>>,
    ) {
        let Some(store) = self.store.borrow().clone() else {
            self.fail(photo_message(&PhotoError::Storage("IndexedDB".into())));
            return;
        };
        crate::services::store::request_persistence();
        *self.error.borrow_mut() = None;
        let total = files.len();
        let mut kept = Vec::new();
        for (i, file) in files.iter().enumerate() {
            self.shrinking.set(Some((i, total)));
            self.changed();
            let shrunk = match photos::shrink(file).await {
                Ok(s) => s,
                Err(e) => {
                    self.fail(photo_message(&e));
                    break;
                }
            };
            let meta = PhotoMeta {
                hash: shrunk.hash.to_string(),
                size: shrunk.bytes.len() as u64,
                mime: ImageType::Jpeg.mime().to_owned(),
                upload_for: Some(facility.clone()),
                refused: None,
            };
            // Already on the device (the same photo chosen twice, or a colleague's): nothing to store.
            let known = self.metas.borrow().contains_key(&meta.hash);
            if !known {
                if let Err(e) = store.put(&meta, &shrunk.bytes).await {
                    self.fail(photo_message(&e));
                    break;
                }
                self.metas
                    .borrow_mut()
                    .insert(meta.hash.clone(), meta.clone());
            }
            if let Some(url) = photos::object_url(&shrunk.bytes, &meta.mime) {
                self.pictures
                    .borrow_mut()
                    .insert(meta.hash.clone(), Picture::Ready(url));
            }
            kept.push(NewPhoto {
                hash: shrunk.hash,
                size: meta.size,
                mime: ImageType::Jpeg,
                caption: String::new(),
                location: shrunk.location.filter(|_| keep_location),
            });
        }
        self.shrinking.set(None);
        self.estimate.set(photos::storage_estimate().await);
        self.changed();
        if !kept.is_empty() {
            done.emit(kept);
        }
        self.run_queue();
    }

    /// Uploads waiting photos one at a time until none is left or the network fails.
    fn run_queue(self: Rc<Self>) {
        if self.sending.borrow().is_some() || self.closed.get() {
            return;
        }
        let next = self
            .metas
            .borrow()
            .values()
            .find(|m| m.upload_for.is_some() && m.refused.is_none())
            .cloned();
        let Some(mut meta) = next else { return };
        let Some(store) = self.store.borrow().clone() else {
            return;
        };
        *self.sending.borrow_mut() = Some(meta.hash.clone());
        self.changed();
        spawn_local(async move {
            let facility = meta.upload_for.clone().unwrap_or_default();
            let result = match store.bytes(&meta.hash).await {
                Ok(Some(bytes)) => photos::upload(&self.token, &facility, &meta.hash, &bytes).await,
                _ => Err(ApiError::Browser(
                    "the photo is no longer on this device".into(),
                )),
            };
            *self.sending.borrow_mut() = None;
            let go_on = match result {
                Ok(()) => {
                    meta.upload_for = None;
                    true
                }
                Err(e) => {
                    let status = match &e {
                        ApiError::Refused(status, _) => *status,
                        ApiError::Browser(_) => 404,
                        _ => 0,
                    };
                    match retry_after(status) {
                        // Said in the badge (with the server's words), not under whichever strip is open.
                        Retry::Never => {
                            let (zh, en) = e.message();
                            meta.refused = Some(format!("{zh} {en}"));
                            true
                        }
                        Retry::Later => false,
                    }
                }
            };
            let _ = store.set_meta(&meta).await;
            self.metas.borrow_mut().insert(meta.hash.clone(), meta);
            self.changed();
            if go_on {
                self.run_queue();
            }
        });
    }

    /// Reads a photo from the device, else fetches it from the server and keeps it.
    async fn load(self: Rc<Self>, hash: String) {
        let Some(store) = self.store.borrow().clone() else {
            return;
        };
        let mime = self
            .metas
            .borrow()
            .get(&hash)
            .map_or_else(|| "image/jpeg".to_owned(), |m| m.mime.clone());
        let picture = match store.bytes(&hash).await {
            Ok(Some(bytes)) => photos::object_url(&bytes, &mime).map(Picture::Ready),
            _ => None,
        };
        let picture = match picture {
            Some(p) => p,
            None => match photos::download(&self.token, &hash).await {
                Ok(bytes) => {
                    let mime = ImageType::sniff(&bytes).map_or("image/jpeg", ImageType::mime);
                    let meta = PhotoMeta {
                        hash: hash.clone(),
                        size: bytes.len() as u64,
                        mime: mime.to_owned(),
                        upload_for: None,
                        refused: None,
                    };
                    // A full device still shows the photo; it is only not cached.
                    if store.put(&meta, &bytes).await.is_ok() {
                        self.metas.borrow_mut().insert(hash.clone(), meta);
                    }
                    photos::object_url(&bytes, mime).map_or_else(
                        || Picture::Missing("无法显示".into(), "Cannot show".into()),
                        Picture::Ready,
                    )
                }
                Err(ApiError::Network) => Picture::Missing(
                    "离线：联网后显示同事拍摄的照片".into(),
                    "Offline: colleagues' photos show once online".into(),
                ),
                Err(e) => {
                    let (zh, en) = e.message();
                    Picture::Missing(zh, en)
                }
            },
        };
        self.pictures.borrow_mut().insert(hash, picture);
        self.changed();
    }

    fn picture(self: &Rc<Self>, hash: &str) -> Picture {
        if let Some(p) = self.pictures.borrow().get(hash) {
            return p.clone();
        }
        self.pictures
            .borrow_mut()
            .insert(hash.to_owned(), Picture::Loading);
        if self.store.borrow().is_some() {
            spawn_local(self.clone().load(hash.to_owned()));
        }
        Picture::Loading
    }

    /// Retries photos that could not be fetched (when the network comes back).
    fn retry_missing(self: &Rc<Self>) {
        let missing: Vec<String> = self
            .pictures
            .borrow()
            .iter()
            .filter(|(_, p)| matches!(p, Picture::Missing(..)))
            .map(|(h, _)| h.clone())
            .collect();
        for hash in missing {
            self.pictures.borrow_mut().remove(&hash);
        }
        self.changed();
    }
}

impl Drop for PhotoRuntime {
    fn drop(&mut self) {
        for picture in self.pictures.borrow().values() {
            if let Picture::Ready(url) = picture {
                photos::revoke(url);
            }
        }
    }
}

/// The device's photos as the pages see them.
#[derive(Clone)]
pub struct PhotosHandle {
    rt: Rc<PhotoRuntime>,
    revision: u64,
}

impl PartialEq for PhotosHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.rt, &other.rt) && self.revision == other.revision
    }
}

impl PhotosHandle {
    /// Shrinks and keeps `files` for `facility`, then calls `done` with their references (for the
    /// document); progress shows in [`Self::shrinking`], failures in [`Self::error`].
    pub fn attach(
        &self,
        subject: &PhotoSubject,
        files: Vec<web_sys::File>,
        facility: String,
        keep_location: bool,
        done: Callback<Vec<NewPhoto>>,
    ) {
        *self.rt.attaching.borrow_mut() = Some(subject.code());
        spawn_local(self.rt.clone().attach(files, facility, keep_location, done));
    }

    /// The picture of a photo (starts reading or fetching it the first time).
    pub fn picture(&self, hash: &str) -> Picture {
        self.rt.picture(hash)
    }

    /// Photos being shrunk: done, of.
    pub fn shrinking(&self, subject: &PhotoSubject) -> Option<(usize, usize)> {
        self.rt
            .shrinking
            .get()
            .filter(|_| self.attaching_to(subject))
    }

    /// The upload queue: waiting and refused photos.
    pub fn queue(&self) -> QueueSummary {
        let sending = self.rt.sending.borrow().clone();
        let states: Vec<QueueState> = self
            .rt
            .metas
            .borrow()
            .values()
            .filter(|m| m.upload_for.is_some())
            .map(|m| match &m.refused {
                Some(why) => QueueState::Refused(why.clone()),
                None if sending.as_deref() == Some(m.hash.as_str()) => QueueState::Sending,
                None => QueueState::Waiting,
            })
            .collect();
        QueueSummary::of(&states)
    }

    /// Photos on the device and their bytes in all.
    pub fn usage(&self) -> (usize, u64) {
        let metas = self.rt.metas.borrow();
        (metas.len(), metas.values().map(|m| m.size).sum())
    }

    /// This site's storage use and quota, where the browser says.
    pub fn estimate(&self) -> Option<(f64, f64)> {
        self.rt.estimate.get()
    }

    /// The last failure, for the strip of `subject` (the one the photos were chosen for; a store that
    /// cannot open concerns every strip), in the user's language.
    pub fn error(&self, lang: Lang, subject: &PhotoSubject) -> Option<String> {
        let mine = self.rt.attaching.borrow().is_none() || self.attaching_to(subject);
        self.rt
            .error
            .borrow()
            .as_ref()
            .filter(|_| mine)
            .map(|(zh, en)| lang.pick(zh, en).to_owned())
    }

    fn attaching_to(&self, subject: &PhotoSubject) -> bool {
        self.rt.attaching.borrow().as_deref() == Some(subject.code().as_str())
    }

    /// Forgets the last failure (the user read it).
    pub fn dismiss(&self) {
        *self.rt.error.borrow_mut() = None;
        self.rt.changed();
    }
}

/// Props of [`PhotoProvider`].
#[derive(Properties, PartialEq)]
pub struct PhotoProviderProps {
    /// The facility's pages.
    pub children: Html,
}

/// Opens the device's photos while mounted and runs the upload queue whenever the network is there.
#[component]
pub fn PhotoProvider(props: &PhotoProviderProps) -> Html {
    let session = use_session();
    let force = use_force_update();
    let runtime = use_state(|| None::<Rc<PhotoRuntime>>);
    let token = session.session().map(|s| s.token.clone());
    {
        let runtime = runtime.clone();
        use_effect_with(token, move |token| {
            let started = token.clone().map(|token| {
                let rt = Rc::new(PhotoRuntime {
                    store: RefCell::new(None),
                    metas: RefCell::new(BTreeMap::new()),
                    pictures: RefCell::new(HashMap::new()),
                    sending: RefCell::new(None),
                    shrinking: Cell::new(None),
                    attaching: RefCell::new(None),
                    error: RefCell::new(None),
                    estimate: Cell::new(None),
                    token,
                    revision: Cell::new(0),
                    closed: Cell::new(false),
                    notify: Callback::from(move |()| force.force_update()),
                });
                spawn_local(rt.clone().open());
                rt
            });
            // Back online: the queue goes on and photos that could not be fetched are fetched.
            let network = started.as_ref().map(|rt| {
                let rt = Rc::downgrade(rt);
                NetworkListener::new(Callback::from(move |online: bool| {
                    if let (true, Some(rt)) = (online, rt.upgrade()) {
                        rt.retry_missing();
                        rt.run_queue();
                    }
                }))
            });
            // And every half minute, for a server that was down while the network was up.
            let timer = started.as_ref().map(|rt| {
                let rt = Rc::downgrade(rt);
                gloo_timers::callback::Interval::new(30_000, move || {
                    if let Some(rt) = rt.upgrade() {
                        rt.run_queue();
                    }
                })
            });
            runtime.set(started.clone());
            move || {
                drop(network);
                drop(timer);
                if let Some(rt) = started {
                    rt.closed.set(true);
                }
            }
        });
    }
    // Always the same provider around the pages (with no handle until the store is opening), so the pages
    // are never unmounted and remounted when it starts.
    let handle = (*runtime).clone().map(|rt| PhotosHandle {
        revision: rt.revision.get(),
        rt,
    });
    html! {
        <ContextProvider<Option<PhotosHandle>> context={handle}>
            { props.children.clone() }
        </ContextProvider<Option<PhotosHandle>>>
    }
}

/// The device's photos, when a [`PhotoProvider`] is open above (`None` before it has started).
#[hook]
pub fn use_photos() -> Option<PhotosHandle> {
    use_context::<Option<PhotosHandle>>().flatten()
}
