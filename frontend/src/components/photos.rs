//! Photo evidence on an item or a problem phase: thumbnails that open the full photo, a caption, remove,
//! and — where the user may attach — 拍照 (the camera) and 从相册选择 (the gallery), with progress while
//! the photos are shrunk. Also the photo line of the sync badge and the storage line of the home page.

use crate::components::dialog::confirm;
use crate::hooks::use_photos::{Picture, use_photos};
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use crate::state::photos::size_text;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use zhigai_shared::doc::PhotoView;
use zhigai_shared::photo::{PhotoPhase, PhotoSubject};

/// Props of [`PhotoStrip`].
#[derive(Properties, PartialEq)]
pub struct StripProps {
    /// Whose photos.
    pub subject: PhotoSubject,
}

/// The photos of one item or problem phase.
#[component]
pub fn PhotoStrip(props: &StripProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    let photos = use_photos();
    let keep_location = use_state(|| false);
    let open = use_state(|| None::<PhotoView>);
    let list = ws.photos_of(&props.subject);
    let can_attach = ws.can_attach(&props.subject);
    let code = props.subject.code();
    let label = match &props.subject {
        PhotoSubject::Item { .. } => lang.t(Msg::Photos),
        PhotoSubject::Problem {
            phase: PhotoPhase::Before,
            ..
        } => lang.t(Msg::PhotosBefore),
        PhotoSubject::Problem {
            phase: PhotoPhase::After,
            ..
        } => lang.t(Msg::PhotosAfter),
    };
    if list.is_empty() && !can_attach {
        return html! {};
    }
    let on_files = {
        let (photos, ws, subject) = (photos.clone(), ws.clone(), props.subject.clone());
        let keep = *keep_location;
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let files: Vec<web_sys::File> = input
                .files()
                .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect())
                .unwrap_or_default();
            // The same file can be chosen again later.
            input.set_value("");
            let (Some(photos), false) = (photos.clone(), files.is_empty()) else {
                return;
            };
            let facility = ws.facility_id();
            let subject_for_attach = subject.clone();
            let (ws, subject) = (ws.clone(), subject.clone());
            let done = Callback::from(move |refs| {
                // A refusal reaches the banner through the workspace.
                let _ = ws.add_photos(&subject, refs);
            });
            photos.attach(&subject_for_attach, files, facility, keep, done);
        })
    };
    let toggle_location = {
        let keep_location = keep_location.clone();
        Callback::from(move |e: Event| {
            let checked = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .is_some_and(|i| i.checked());
            keep_location.set(checked);
        })
    };
    let shrinking = photos.as_ref().and_then(|p| p.shrinking(&props.subject));
    let error = photos.as_ref().and_then(|p| p.error(lang, &props.subject));
    html! {
        <div class="photos" data-subject={code}>
            <span class="photos-label">{ label }{ format!("（{}）", list.len()) }</span>
            <ul class="photo-list">
            { for list.iter().map(|photo| html! {
                <PhotoThumb photo={photo.clone()} editable={can_attach} on_open={
                    let open = open.clone();
                    Callback::from(move |p| open.set(Some(p)))
                } />
            }) }
            </ul>
            if can_attach {
                <div class="photo-actions">
                    <label class="button photo-add camera">{ lang.t(Msg::TakePhoto) }
                        <input type="file" accept="image/*" capture="environment" class="visually-hidden" onchange={on_files.clone()} />
                    </label>
                    <label class="button photo-add gallery">{ lang.t(Msg::PickPhotos) }
                        <input type="file" accept="image/*" multiple=true class="visually-hidden" onchange={on_files} />
                    </label>
                    <label class="keep-location">
                        <input type="checkbox" checked={*keep_location} onchange={toggle_location} />
                        { lang.t(Msg::KeepLocation) }
                    </label>
                </div>
            }
            if let Some((done, total)) = shrinking {
                <p class="photo-progress" role="status">
                    { format!("{} {}/{}…", lang.t(Msg::Shrinking), done + 1, total) }
                    <progress max={total.to_string()} value={done.to_string()}></progress>
                </p>
            }
            if let (Some(error), Some(photos)) = (error, photos.clone()) {
                <p class="photo-error" role="alert">{ error }
                    <button class="button small" onclick={Callback::from(move |_| photos.dismiss())}>{ lang.t(Msg::Dismiss) }</button>
                </p>
            }
            if let Some(photo) = (*open).clone() {
                <Lightbox {photo} on_close={
                    let open = open.clone();
                    Callback::from(move |()| open.set(None))
                } />
            }
        </div>
    }
}

/// Props of [`PhotoThumb`].
#[derive(Properties, PartialEq)]
struct ThumbProps {
    photo: PhotoView,
    editable: bool,
    on_open: Callback<PhotoView>,
}

#[component]
fn PhotoThumb(props: &ThumbProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    let photos = use_photos();
    let p = &props.photo;
    let picture = photos
        .as_ref()
        .map_or(Picture::Loading, |h| h.picture(p.hash.as_str()));
    let open = {
        let (on_open, photo) = (props.on_open.clone(), p.clone());
        Callback::from(move |_| on_open.emit(photo.clone()))
    };
    let on_caption = {
        let (ws, id) = (ws.clone(), p.id.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let _ = ws.caption_photo(&id, value);
        })
    };
    let on_remove = {
        let (ws, id) = (ws.clone(), p.id.clone());
        Callback::from(move |_| {
            if confirm(lang.t(Msg::RemovePhotoConfirm)) {
                let _ = ws.remove_photo(&id);
            }
        })
    };
    let who = p.by.as_ref().map(|a| a.name.clone()).unwrap_or_default();
    html! {
        <li class="photo" data-hash={p.hash.to_string()}>
            <button class="thumb" onclick={open} aria-label={if p.caption.is_empty() { lang.t(Msg::Photos).to_owned() } else { p.caption.clone() }}>
            { match &picture {
                Picture::Ready(url) => html! { <img src={url.clone()} alt={p.caption.clone()} /> },
                Picture::Loading => html! { <span class="thumb-wait">{ "…" }</span> },
                Picture::Missing(zh, en) => html! { <span class="thumb-missing">{ lang.pick(zh, en) }</span> },
            } }
            </button>
            <span class="photo-meta muted">{ format!("{who} · {}", size_text(p.size)) }</span>
            if let Some((lat, lon)) = p.location {
                <span class="photo-place muted">{ format!("{}：{lat:.5}, {lon:.5}", lang.t(Msg::TakenAt)) }</span>
            }
            if props.editable {
                <input class="photo-caption" type="text" maxlength="200" placeholder={lang.t(Msg::PhotoCaption)}
                    aria-label={lang.t(Msg::PhotoCaption)} value={p.caption.clone()} onchange={on_caption} />
                <button class="button small photo-remove" onclick={on_remove}>{ lang.t(Msg::RemovePhoto) }</button>
            } else if !p.caption.is_empty() {
                <span class="photo-caption-text">{ p.caption.clone() }</span>
            }
        </li>
    }
}

/// Props of [`Lightbox`].
#[derive(Properties, PartialEq)]
struct LightboxProps {
    photo: PhotoView,
    on_close: Callback<()>,
}

/// The full photo over the page.
#[component]
fn Lightbox(props: &LightboxProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let photos = use_photos();
    let picture = photos
        .as_ref()
        .map_or(Picture::Loading, |h| h.picture(props.photo.hash.as_str()));
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_| on_close.emit(()))
    };
    html! {
        <div class="lightbox" role="dialog" aria-modal="true" onclick={close.clone()}>
            if let Picture::Ready(url) = picture {
                <img src={url} alt={props.photo.caption.clone()} />
            }
            <p>{ props.photo.caption.clone() }</p>
            <button class="button" onclick={close}>{ lang.t(Msg::Close) }</button>
        </div>
    }
}

/// The photo part of the sync badge: 照片 3 张待上传 / 正在上传.
#[component]
pub fn PhotoQueueBadge() -> Html {
    let lang = use_session().lang();
    let Some(photos) = use_photos() else {
        return html! {};
    };
    let queue = photos.queue();
    if queue.pending == 0 && queue.refused.is_empty() {
        return html! {};
    }
    html! {
        <span class="photo-queue" role="status" data-pending={queue.pending.to_string()} data-refused={queue.refused.len().to_string()}>
            if queue.pending > 0 {
                { format!(" · {} {} {}", lang.t(Msg::Photos), queue.pending, lang.t(Msg::PhotosWaiting)) }
            }
            if !queue.refused.is_empty() {
                <span class="refused" title={queue.refused.join("\n")}>{ format!(" · {} {}", queue.refused.len(), lang.t(Msg::PhotosRefused)) }</span>
            }
        </span>
    }
}

/// How much room the photos take on the device.
#[component]
pub fn PhotoStorage() -> Html {
    let lang = use_session().lang();
    let Some(photos) = use_photos() else {
        return html! {};
    };
    let (count, bytes) = photos.usage();
    html! {
        <p class="photo-storage muted" data-photos={count.to_string()}>
            { format!("{}：{count} · {}", lang.t(Msg::PhotoStorage), size_text(bytes)) }
            if let Some((usage, quota)) = photos.estimate() {
                { format!("；{} {} / {}", lang.t(Msg::DeviceStorage), size_text(usage as u64), size_text(quota as u64)) }
            }
        </p>
    }
}

/// The thumbnails of one item or problem phase for the printed table (nothing when it has none).
#[component]
pub fn PrintThumbs(props: &StripProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let photos = use_photos();
    let list = ws.photos_of(&props.subject);
    if list.is_empty() {
        return html! {};
    }
    html! {
        <span class="print-thumbs" data-subject={props.subject.code()}>
        { for list.iter().map(|p| match photos.as_ref().map(|h| h.picture(p.hash.as_str())) {
            Some(Picture::Ready(url)) => html! { <img class="print-thumb" src={url} alt={p.caption.clone()} /> },
            _ => html! { <span class="print-thumb missing">{ lang.t(Msg::Photos) }</span> },
        }) }
        </span>
    }
}
