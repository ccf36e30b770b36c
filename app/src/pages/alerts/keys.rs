//! Keyboard triage on the queue once hydrated: `j`/`k` select the next/previous alert (and
//! focus its link, so Enter opens it), `a` acknowledges it and `m` assigns it to the signed-in
//! user. Keys typed into a form field are left alone. The hints are shown only where the keys
//! work, i.e. on the hydrated page.

#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use leptos::prelude::*;

use crate::api::alerts::TriageAlert;
use crate::layouts::CurrentUserResource;
#[cfg(feature = "hydrate")]
use crate::model::auth::Permission;

#[cfg(feature = "hydrate")]
use super::alert_table::row_link_id;

/// What a key does on the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Next,
    Previous,
    Acknowledge,
    AssignToMe,
}

impl KeyAction {
    pub fn of(key: &str) -> Option<Self> {
        match key {
            "j" => Some(Self::Next),
            "k" => Some(Self::Previous),
            "a" => Some(Self::Acknowledge),
            "m" => Some(Self::AssignToMe),
            _ => None,
        }
    }
}

/// The row selected after `action` from `current`, among `len` rows.
pub fn moved(current: Option<usize>, action: KeyAction, len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    match (action, current) {
        (KeyAction::Next, None) => Some(0),
        (KeyAction::Next, Some(i)) => Some((i + 1).min(len - 1)),
        (KeyAction::Previous, None) => Some(0),
        (KeyAction::Previous, Some(i)) => Some(i.saturating_sub(1)),
        (_, current) => current.filter(|i| *i < len),
    }
}

/// Listens for the shortcuts while the calling component lives (in the browser only).
pub fn bind_list_keys(
    ids: StoredValue<Vec<i64>>,
    selected: RwSignal<Option<usize>>,
    triage: ServerAction<TriageAlert>,
    me: CurrentUserResource,
) {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;

            let handle = window_event_listener(leptos::ev::keydown, move |ev| {
                if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                    return;
                }
                let typing = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    });
                let Some(action) = KeyAction::of(&ev.key()).filter(|_| !typing) else {
                    return;
                };
                let list = ids.get_value();
                match action {
                    KeyAction::Next | KeyAction::Previous => {
                        let next = moved(selected.get_untracked(), action, list.len());
                        selected.set(next);
                        if let Some(link) = next
                            .and_then(|i| document().get_element_by_id(&row_link_id(i)))
                            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                        {
                            let _ = link.focus();
                        }
                    }
                    KeyAction::Acknowledge | KeyAction::AssignToMe => {
                        let may =
                            me.0.get_untracked()
                                .and_then(|u| u.ok())
                                .is_some_and(|u| u.can(Permission::AlertsTriage));
                        let Some(id) = selected.get_untracked().and_then(|i| list.get(i).copied())
                        else {
                            return;
                        };
                        if may {
                            triage.dispatch(keyed_change(id, action));
                        }
                    }
                }
            });
            on_cleanup(move || handle.remove());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ids, selected, triage, me);
    });
}

/// The change `a` or `m` makes to alert `id`.
pub fn keyed_change(id: i64, action: KeyAction) -> TriageAlert {
    let (status, assign) = match action {
        KeyAction::AssignToMe => ("", "me"),
        _ => ("acknowledged", ""),
    };
    TriageAlert {
        id,
        status: status.into(),
        assign: assign.into(),
    }
}

/// The shortcuts, listed where they work: on the hydrated page.
#[component]
pub fn ShortcutHints(can_triage: bool) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || {
        hydrated.get().then(|| {
            view! {
                <p class="shortcut-hints" aria-label="Keyboard shortcuts">
                    <kbd>"j"</kbd>" next · "<kbd>"k"</kbd>" previous · "<kbd>"Enter"</kbd>" open"
                    {can_triage.then(|| view! {
                        " · "<kbd>"a"</kbd>" acknowledge · "<kbd>"m"</kbd>" assign to me"
                    })}
                </p>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j_and_k_walk_the_rows_and_stop_at_the_ends() {
        assert_eq!(moved(None, KeyAction::Next, 3), Some(0));
        assert_eq!(moved(Some(0), KeyAction::Next, 3), Some(1));
        assert_eq!(moved(Some(2), KeyAction::Next, 3), Some(2));
        assert_eq!(moved(Some(1), KeyAction::Previous, 3), Some(0));
        assert_eq!(moved(Some(0), KeyAction::Previous, 3), Some(0));
        assert_eq!(moved(Some(5), KeyAction::Acknowledge, 3), None);
        assert_eq!(moved(Some(1), KeyAction::Next, 0), None);
    }

    #[test]
    fn a_acknowledges_and_m_assigns_to_me() {
        assert_eq!(KeyAction::of("a"), Some(KeyAction::Acknowledge));
        assert_eq!(KeyAction::of("x"), None);
        let ack = keyed_change(7, KeyAction::Acknowledge);
        assert_eq!(
            (ack.id, ack.status.as_str(), ack.assign.as_str()),
            (7, "acknowledged", "")
        );
        let mine = keyed_change(7, KeyAction::AssignToMe);
        assert_eq!((mine.status.as_str(), mine.assign.as_str()), ("", "me"));
    }
}
