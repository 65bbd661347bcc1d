//! Switching language in the reader lands on the aligned paragraph of the other edition, for
//! every page of the real Kazakh and English JSPG statement, both sizes, both directions, on
//! both profiles. Runs the kiosk's navigation state machine over the real bundle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_format::{Lang, TextSize};
use bitig_kiosk::app::{load_bundle, BundleContent};
use bitig_kiosk::nav::{Content, Nav, Screen};

#[test]
fn language_switch_lands_on_the_aligned_paragraph() {
    for profile in ["pi-touch-800x480", "pi-touch2-720x1280"] {
        let loaded = load_bundle(&common::bundle(profile)).unwrap();
        let b = &loaded.bundle;
        let content = BundleContent(b);
        let doc = b
            .documents
            .iter()
            .position(|d| d.id == "jspg-8-2026")
            .unwrap();
        let d = &b.documents[doc];
        let body = |l: Lang| {
            let e = d.edition(l).unwrap();
            e.blocks.len() - e.body_start()
        };
        assert_eq!(
            body(Lang::Kk),
            body(Lang::En),
            "editions must align paragraph by paragraph"
        );
        let mut checked = 0;
        for size in [TextSize::Normal, TextSize::Large] {
            for (from, to) in [(Lang::Kk, Lang::En), (Lang::En, Lang::Kk)] {
                for page in 0..content.page_count(doc, from, size) {
                    let mut n = Nav::new(90_000, false);
                    n.wake();
                    n.choose_language(from);
                    n.open(doc, &content);
                    if size == TextSize::Large {
                        n.toggle_size(&content);
                    }
                    while n.page < page {
                        n.next(&content);
                    }
                    let anchor = content.anchor(doc, from, size, page);
                    n.switch_language(to, &content);
                    assert_eq!((n.screen, n.edition, n.size), (Screen::Reader, to, size));
                    let e = d.edition(to).unwrap();
                    let shown = &e.layout(size).unwrap().pages[usize::from(n.page)];
                    match anchor {
                        None => assert_eq!(
                            n.page, 0,
                            "{profile} {from:?}->{to:?} {size:?} page {page}: title page"
                        ),
                        Some(a) => {
                            let block = (e.body_start() + usize::from(a)) as u16;
                            // The paragraph starts on the page shown.
                            assert!(
                                shown.lines.iter().any(|l| l.block == block && l.start == 0),
                                "{profile} {from:?}->{to:?} {size:?}: page {page} starts in paragraph {a}, but {to:?} page {} does not show its start",
                                n.page
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "{profile}: only {checked} switches checked");
    }
}

/// Side by side (landscape): for every page that starts a paragraph, the partner column shows
/// that paragraph's start.
#[test]
fn side_by_side_columns_pair_on_paragraph_starts() {
    let loaded = load_bundle(&common::bundle("pi-touch-800x480")).unwrap();
    let b = &loaded.bundle;
    let content = BundleContent(b);
    let doc = b
        .documents
        .iter()
        .position(|d| d.id == "jspg-8-2026")
        .unwrap();
    let mut paired = 0;
    for from in [Lang::Kk, Lang::En] {
        let mut n = Nav::new(90_000, false);
        n.wake();
        n.choose_language(from);
        n.open(doc, &content);
        n.toggle_parallel(&content);
        assert!(n.parallel && n.size == TextSize::Half);
        loop {
            let (to, page) = n.partner_page(&content).unwrap();
            if let Some(a) = content.first_start(doc, from, TextSize::Half, n.page) {
                let e = b.documents[doc].edition(to).unwrap();
                let block = (e.body_start() + usize::from(a)) as u16;
                let shown = &e.layout(TextSize::Half).unwrap().pages[usize::from(page)];
                assert!(
                    shown.lines.iter().any(|l| l.block == block && l.start == 0),
                    "{from:?} half page {}: partner page {page} lacks paragraph {a}",
                    n.page
                );
                paired += 1;
            }
            if n.next(&content) == bitig_kiosk::nav::Turn::None {
                break;
            }
        }
    }
    assert!(paired > 30, "only {paired} pages paired");
}
