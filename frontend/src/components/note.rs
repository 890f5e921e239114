//! The collaborative note box. Colleagues' edits arrive while someone types; the text box is updated in
//! place and the caret stays where the typist left it (moved along when text was added or removed before
//! it), rather than jumping to the end on every remote keystroke.

use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

/// Where a caret at `caret` (UTF-16 units, as the browser counts) in `old` belongs in `new`.
pub fn map_caret(old: &str, new: &str, caret: u32) -> u32 {
    let old: Vec<u16> = old.encode_utf16().collect();
    let new: Vec<u16> = new.encode_utf16().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let caret = (caret as usize).min(old.len());
    let mapped = if caret <= prefix {
        caret
    } else if caret >= old.len() - suffix {
        caret + new.len() - old.len()
    } else {
        // Inside the replaced stretch: after what replaced it.
        new.len() - suffix
    };
    mapped as u32
}

/// Props of [`NoteBox`].
#[derive(Properties, PartialEq)]
pub struct NoteProps {
    /// The note as the document has it.
    pub value: String,
    /// Read-only.
    pub disabled: bool,
    /// The hint in an empty box.
    pub placeholder: AttrValue,
    /// Called with the whole text after each input.
    pub oninput: Callback<String>,
}

/// A text box that follows the document without moving the typist's caret.
#[component]
pub fn NoteBox(props: &NoteProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.value.clone(), move |value| {
            if let Some(el) = node.cast::<HtmlTextAreaElement>() {
                let old = el.value();
                if old != *value {
                    let focused = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.active_element())
                        .is_some_and(|a| a == **el);
                    let (start, end) = (
                        el.selection_start().ok().flatten(),
                        el.selection_end().ok().flatten(),
                    );
                    el.set_value(value);
                    if let (true, Some(start), Some(end)) = (focused, start, end) {
                        // A box that cannot take a selection keeps the browser's caret.
                        el.set_selection_range(
                            map_caret(&old, value, start),
                            map_caret(&old, value, end),
                        )
                        .ok();
                    }
                }
            }
        });
    }
    let oninput = {
        let cb = props.oninput.clone();
        Callback::from(move |e: InputEvent| {
            cb.emit(e.target_unchecked_into::<HtmlTextAreaElement>().value());
        })
    };
    html! {
        <textarea ref={node} rows="2" placeholder={props.placeholder.clone()} disabled={props.disabled} {oninput} />
    }
}

#[cfg(test)]
mod tests {
    use super::map_caret;

    #[test]
    fn the_caret_follows_edits_before_it_and_ignores_edits_after_it() {
        // A colleague typed before the caret: it moves along.
        assert_eq!(map_caret("制度上墙", "管理制度上墙", 2), 4);
        // After the caret: it stays.
        assert_eq!(map_caret("制度上墙", "制度上墙，已核实", 2), 2);
        // Text removed before it: it moves back.
        assert_eq!(map_caret("已经制度上墙", "制度上墙", 4), 2);
        // Inside a replaced stretch: after the replacement.
        assert_eq!(map_caret("abcdef", "abXYZef", 3), 5);
        // Characters outside the BMP count two units, as in the browser.
        assert_eq!(map_caret("𠀀a", "x𠀀a", 3), 4);
    }
}
