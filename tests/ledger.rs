//! The consent ledger's rules, through the public API.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::TimeDelta;
use common::*;
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EventId, Evidence, LedgerPolicy, ListId,
    Scope, SuppressionKind, TenantId,
};
use proptest::prelude::*;

fn replay(key: &ConsentKey, events: &[ConsentEvent], now_hours: i64) -> ConsentState {
    ConsentState::replay(key, events, &LedgerPolicy::default(), at(now_hours))
}

fn rules(state: &ConsentState) -> Vec<&str> {
    state.explain().iter().map(|r| r.rule.as_str()).collect()
}

#[test]
fn no_history_means_no_promotional_mail_but_receipts_flow() {
    let k = key("acme", "news", "ann@example.com");
    let s = replay(&k, &[], 0);
    assert!(!s.permits_promotional());
    assert!(s.permits_transactional());
    assert_eq!(rules(&s), ["consent.opt_in.none"]);
}

#[test]
fn rule1_opt_out_beats_every_earlier_opt_in() {
    let k = key("acme", "news", "ann@example.com");
    let events = [
        ev(&k, "a", 0, form()),
        ev(&k, "b", 1, customer()),
        ev(&k, "c", 2, opt_out()),
    ];
    let s = replay(&k, &events, 3);
    assert!(!s.permits_promotional());
    assert!(s.permits_transactional());
    assert!(rules(&s).contains(&"consent.opt_out.beats_opt_in"));
    assert_eq!(
        s.suppressions()[0].scope,
        Scope::List(k.tenant.clone(), k.list.clone())
    );
}

#[test]
fn rule2_only_an_express_act_restores_permission_after_opt_out() {
    let k = key("acme", "news", "ann@example.com");
    let base = vec![ev(&k, "a", 0, form()), ev(&k, "b", 1, opt_out())];

    for (action, name) in [(imported(), "import"), (customer(), "soft opt-in")] {
        let mut events = base.clone();
        events.push(ev(&k, "c", 2, action));
        let s = replay(&k, &events, 3);
        assert!(!s.permits_promotional(), "{name} resubscribed");
        assert!(rules(&s).contains(&"consent.opt_out.express_act_required"));
    }

    let mut by_form = base.clone();
    by_form.push(ev(&k, "c", 2, form()));
    let s = replay(&k, &by_form, 3);
    assert!(s.permits_promotional());
    assert!(s.suppressions().is_empty());

    let mut by_double = base.clone();
    by_double.push(ev(&k, "c", 2, requested()));
    by_double.push(ev(&k, "d", 3, confirmed()));
    let s = replay(&k, &by_double, 4);
    assert!(s.permits_promotional());
    assert_eq!(s.permission().unwrap().basis, Basis::DoubleOptInConfirmed);
}

#[test]
fn rule2_holds_after_a_complaint_too() {
    let k = key("acme", "news", "ann@example.com");
    let events = [
        ev(&k, "a", 0, imported()),
        ev(&k, "b", 1, Action::Complained),
        ev(&k, "c", 2, imported()),
    ];
    assert!(!replay(&k, &events, 3).permits_promotional());
}

#[test]
fn an_import_before_any_opt_out_grants_permission() {
    let k = key("acme", "news", "ann@example.com");
    let s = replay(&k, &[ev(&k, "a", 0, imported())], 1);
    assert!(s.permits_promotional());
    assert!(matches!(
        s.permission().unwrap().basis,
        Basis::Imported { .. }
    ));
}

#[test]
fn rule3_double_opt_in_is_pending_until_confirmed_within_the_window() {
    let k = key("acme", "news", "ann@example.com");
    let req = ev(&k, "r", 0, requested());

    let s = replay(&k, std::slice::from_ref(&req), 1);
    assert!(!s.permits_promotional());
    assert!(s.pending_confirmation().is_some());
    assert!(rules(&s).contains(&"consent.double_opt_in.pending"));

    // Confirmed after 6 days: permission.
    let s = replay(
        &k,
        &[req.clone(), ev(&k, "c", 6 * 24, confirmed())],
        6 * 24 + 1,
    );
    assert!(s.permits_promotional());
    assert_eq!(s.permission().unwrap().since, at(6 * 24));

    // Confirmed after 8 days: ignored.
    let s = replay(
        &k,
        &[req.clone(), ev(&k, "c", 8 * 24, confirmed())],
        8 * 24 + 1,
    );
    assert!(!s.permits_promotional());
    assert!(s.pending_confirmation().is_none());
    assert!(rules(&s).contains(&"consent.double_opt_in.expired"));

    // Never confirmed: the request expires at `now`.
    let s = replay(&k, std::slice::from_ref(&req), 8 * 24);
    assert!(s.pending_confirmation().is_none());
    assert!(rules(&s).contains(&"consent.double_opt_in.expired"));

    // A confirmation with no request is ignored.
    let s = replay(&k, &[ev(&k, "c", 1, confirmed())], 2);
    assert!(!s.permits_promotional());

    // A policy with a 10-day window accepts the 8-day confirmation.
    let policy = LedgerPolicy::builder()
        .double_opt_in_window_days(10)
        .build()
        .unwrap();
    let s = ConsentState::replay(
        &k,
        &[req, ev(&k, "c", 8 * 24, confirmed())],
        &policy,
        at(8 * 24 + 1),
    );
    assert!(s.permits_promotional());
}

#[test]
fn an_opt_out_cancels_a_pending_double_opt_in() {
    let k = key("acme", "news", "ann@example.com");
    let events = [
        ev(&k, "r", 0, requested()),
        ev(&k, "o", 1, opt_out()),
        ev(&k, "c", 2, confirmed()),
    ];
    let s = replay(&k, &events, 3);
    assert!(!s.permits_promotional());
}

#[test]
fn rule4_a_hard_bounce_suppresses_globally_until_cleared() {
    let k = key("acme", "news", "ann@example.com");
    let other = key("globex", "offers", "ANN@example.com");
    let events = [
        ev(&k, "a", 0, form()),
        ev(&other, "o1", 0, form()),
        ev(&other, "b", 1, Action::HardBounced),
    ];
    let s = replay(&k, &events, 2);
    assert!(!s.permits_promotional());
    assert!(
        !s.permits_transactional(),
        "a hard bounce stops receipts too"
    );
    assert_eq!(s.suppressions()[0].scope, Scope::Global);
    assert_eq!(s.suppressions()[0].kind, SuppressionKind::HardBounce);

    let mut cleared = events.to_vec();
    cleared.push(ev(
        &k,
        "c",
        3,
        Action::SuppressionCleared {
            by: "ops-jane".into(),
        },
    ));
    let s = replay(&k, &cleared, 4);
    assert!(s.permits_promotional());
    assert!(rules(&s).contains(&"consent.bounce.cleared"));
}

#[test]
fn rule4_soft_bounces_in_a_row_suppress() {
    let k = key("acme", "news", "ann@example.com");
    let mut events = vec![ev(&k, "a", 0, form())];
    events.push(ev(&k, "s1", 1, Action::SoftBounced));
    events.push(ev(&k, "s2", 2, Action::SoftBounced));
    let s = replay(&k, &events, 3);
    assert!(s.permits_promotional(), "two soft bounces are not enough");
    assert_eq!(s.soft_bounce_streak(), 2);

    let mut broken = events.clone();
    broken.push(ev(&k, "d", 3, Action::Delivered));
    broken.push(ev(&k, "s3", 4, Action::SoftBounced));
    assert!(
        replay(&k, &broken, 5).permits_promotional(),
        "a delivery breaks the run"
    );

    events.push(ev(&k, "s3", 3, Action::SoftBounced));
    let s = replay(&k, &events, 4);
    assert!(!s.permits_promotional());
    assert!(!s.permits_transactional());
    assert_eq!(s.suppressions()[0].kind, SuppressionKind::SoftBounceStreak);
    assert!(rules(&s).contains(&"consent.bounce.soft_streak"));

    let policy = LedgerPolicy::builder()
        .soft_bounce_threshold(5)
        .build()
        .unwrap();
    assert!(ConsentState::replay(&k, &events, &policy, at(4)).permits_promotional());
}

#[test]
fn suppression_cleared_never_lifts_an_opt_out_or_complaint() {
    let k = key("acme", "news", "ann@example.com");
    let events = [
        ev(&k, "a", 0, form()),
        ev(&k, "b", 1, opt_out()),
        ev(&k, "c", 2, Action::SuppressionCleared { by: "ops".into() }),
    ];
    assert!(!replay(&k, &events, 3).permits_promotional());
}

#[test]
fn rule5_a_complaint_suppresses_the_whole_tenant_but_not_receipts() {
    let news = key("acme", "news", "ann@example.com");
    let offers = key("acme", "offers", "ann@example.com");
    let elsewhere = key("globex", "news", "ann@example.com");
    let events = [
        ev(&news, "a", 0, form()),
        ev(&offers, "b", 0, form()),
        ev(&elsewhere, "c", 0, form()),
        ev(&news, "d", 1, Action::Complained),
    ];
    let s = replay(&offers, &events, 2);
    assert!(!s.permits_promotional());
    assert!(s.permits_transactional());
    assert_eq!(
        s.suppressions()[0].scope,
        Scope::Tenant(news.tenant.clone())
    );
    assert!(rules(&s).contains(&"consent.complaint.tenant"));
    assert!(replay(&elsewhere, &events, 2).permits_promotional());
}

#[test]
fn rule6_account_cancellation_stops_receipts_and_reopening_restores_them() {
    let k = key("acme", "news", "ann@example.com");
    let events = [
        ev(&k, "a", 0, form()),
        ev(&k, "b", 1, Action::AccountCancelled),
    ];
    let s = replay(&k, &events, 2);
    assert!(!s.permits_transactional());
    assert!(!s.permits_promotional());
    assert_eq!(s.account_cancelled_since(), Some(at(1)));

    let mut reopened = events.to_vec();
    reopened.push(ev(&k, "c", 2, Action::AccountReopened));
    let s = replay(&k, &reopened, 3);
    assert!(s.permits_transactional());
    assert!(rules(&s).contains(&"consent.account.reopened"));
}

#[test]
fn a_tenant_wide_opt_out_covers_every_list() {
    let news = key("acme", "news", "ann@example.com");
    let offers = key("acme", "offers", "ann@example.com");
    let mut all = ev(&news, "b", 1, opt_out());
    all.list = None;
    let events = [ev(&news, "a", 0, form()), ev(&offers, "a2", 0, form()), all];
    for k in [&news, &offers] {
        let s = replay(k, &events, 2);
        assert!(!s.permits_promotional());
        assert_eq!(s.suppressions()[0].scope, Scope::Tenant(k.tenant.clone()));
    }
}

#[test]
fn at_equal_times_the_opt_out_wins_whatever_the_input_order() {
    let k = key("acme", "news", "ann@example.com");
    let a = ev(&k, "zzz-opt-in", 5, form());
    let b = ev(&k, "aaa-opt-out", 5, opt_out());
    assert!(!replay(&k, &[a.clone(), b.clone()], 6).permits_promotional());
    assert!(!replay(&k, &[b, a], 6).permits_promotional());
}

#[test]
fn a_repeated_event_id_is_applied_once() {
    let k = key("acme", "news", "ann@example.com");
    let s1 = ev(&k, "s1", 1, Action::SoftBounced);
    let events = [s1.clone(), s1.clone(), s1];
    let s = replay(&k, &events, 2);
    assert_eq!(s.soft_bounce_streak(), 1);
    assert_eq!(s.events_applied(), 1);
}

#[test]
fn future_dated_opt_ins_wait_but_future_opt_outs_apply_now() {
    let k = key("acme", "news", "ann@example.com");
    let s = replay(&k, &[ev(&k, "a", 10, form())], 5);
    assert!(!s.permits_promotional());
    assert!(rules(&s).contains(&"consent.event.future_opt_in_ignored"));

    let s = replay(&k, &[ev(&k, "a", 0, form()), ev(&k, "b", 10, opt_out())], 5);
    assert!(
        !s.permits_promotional(),
        "a clock-skewed opt-out must still be honoured"
    );
}

#[test]
fn opt_ins_without_policy_version_or_source_are_weak() {
    let k = key("acme", "news", "ann@example.com");
    let mut e = ev(&k, "a", 0, form());
    e.evidence = Evidence::default();
    let s = replay(&k, std::slice::from_ref(&e), 1);
    assert!(s.permits_promotional());
    assert!(s.permission().unwrap().weak_evidence);
    assert!(rules(&s).contains(&"consent.opt_in.weak_evidence"));

    // Free text counts as a source; the policy version is still needed.
    e.evidence.text = Some("paper form at the Leeds store".into());
    assert!(e.evidence.is_weak());
    e.evidence.policy_version = Some("2026-01".into());
    assert!(!e.evidence.is_weak());

    // A later strong opt-in replaces the weak permission.
    let mut weak = ev(&k, "a", 0, form());
    weak.evidence = Evidence::default();
    let s = replay(&k, &[weak, ev(&k, "b", 1, form())], 2);
    assert!(!s.permission().unwrap().weak_evidence);
}

#[test]
fn policy_switches_for_soft_and_single_opt_in() {
    let k = key("acme", "news", "ann@example.com");
    let strict = LedgerPolicy::builder()
        .soft_opt_in_counts(false)
        .single_opt_in_allowed(false)
        .build()
        .unwrap();
    let s = ConsentState::replay(&k, &[ev(&k, "a", 0, customer())], &strict, at(1));
    assert!(!s.permits_promotional());
    assert!(rules(&s).contains(&"consent.opt_in.soft_not_accepted"));
    let s = ConsentState::replay(&k, &[ev(&k, "a", 0, form())], &strict, at(1));
    assert!(!s.permits_promotional());
    assert!(rules(&s).contains(&"consent.opt_in.single_not_accepted"));
    let s = ConsentState::replay(
        &k,
        &[ev(&k, "a", 0, requested()), ev(&k, "b", 1, confirmed())],
        &strict,
        at(2),
    );
    assert!(s.permits_promotional());
}

#[test]
fn events_about_other_people_and_tenants_are_ignored() {
    let k = key("acme", "news", "ann@example.com");
    let bob = key("acme", "news", "bob@example.com");
    let other_tenant = key("globex", "news", "ann@example.com");
    let events = [
        ev(&k, "a", 0, form()),
        ev(&bob, "b", 1, opt_out()),
        ev(&bob, "c", 1, Action::HardBounced),
        ev(&other_tenant, "d", 1, opt_out()),
        ev(&other_tenant, "e", 1, Action::AccountCancelled),
    ];
    assert!(replay(&k, &events, 2).permits_promotional());
}

#[test]
fn ledger_policy_loads_from_json_and_refuses_nonsense() {
    let p: LedgerPolicy = serde_json::from_str(r#"{"soft_bounce_threshold": 5}"#).unwrap();
    assert_eq!(p.soft_bounce_threshold(), 5);
    assert_eq!(p.double_opt_in_window_days(), 7);
    assert!(serde_json::from_str::<LedgerPolicy>(r#"{"sof_bounce_threshold": 5}"#).is_err());
    // Out-of-range values are refused on load, every problem at once.
    let err = serde_json::from_str::<LedgerPolicy>(r#"{"soft_bounce_threshold": 0}"#).unwrap_err();
    assert!(
        err.to_string().contains("soft_bounce_threshold is 0"),
        "{err}"
    );
    let err = serde_json::from_str::<LedgerPolicy>(
        r#"{"double_opt_in_window_days": 400, "soft_bounce_threshold": 101}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("double_opt_in_window_days is 400"),
        "{err}"
    );
    assert!(
        err.to_string().contains("soft_bounce_threshold is 101"),
        "{err}"
    );
    let built = LedgerPolicy::builder()
        .double_opt_in_window_days(400)
        .soft_bounce_threshold(0)
        .build()
        .unwrap_err();
    assert_eq!(built.problems.len(), 2);
}

// ---------------------------------------------------------------------------
// Property tests

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(form()),
        2 => Just(requested()),
        2 => Just(confirmed()),
        2 => Just(customer()),
        2 => Just(imported()),
        // An inquiry whose six months run out at some hour of the window.
        2 => (0i64..400).prop_map(|h| Action::OptedIn {
            basis: Basis::Implied {
                ground: consentry::ImpliedGround::Inquiry,
                on: at(h).checked_sub_months(chrono::Months::new(6)).unwrap(),
            },
        }),
        3 => Just(opt_out()),
        1 => Just(Action::HardBounced),
        2 => Just(Action::SoftBounced),
        1 => Just(Action::Delivered),
        1 => Just(Action::Complained),
        1 => Just(Action::AccountCancelled),
        1 => Just(Action::AccountReopened),
        1 => Just(Action::SuppressionCleared { by: "ops".into() }),
    ]
}

/// Events about one person at two tenants with two lists each (sometimes
/// tenant-wide), at hours 0..400, with unique ids.
fn arb_history(max: usize) -> impl Strategy<Value = Vec<ConsentEvent>> {
    prop::collection::vec(
        (
            0usize..2,
            prop::option::weighted(0.85, 0usize..2),
            0i64..400,
            arb_action(),
            any::<bool>(),
        ),
        0..max,
    )
    .prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (t, l, h, action, weak))| {
                let tenant = TenantId::new(["acme", "globex"][t]).unwrap();
                ConsentEvent {
                    id: EventId::new(format!("e{i:03}")).unwrap(),
                    at: at(h),
                    tenant,
                    list: l.map(|l| ListId::new(["news", "offers"][l]).unwrap()),
                    address: addr(if i % 2 == 0 {
                        "ann@example.com"
                    } else {
                        "ANN@Example.com"
                    }),
                    action,
                    evidence: if weak {
                        Evidence::default()
                    } else {
                        strong_evidence()
                    },
                }
            })
            .collect()
    })
}

fn arb_policy() -> impl Strategy<Value = LedgerPolicy> {
    (
        1u32..10,
        1u32..5,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(w, n, soft, single, implied)| {
            LedgerPolicy::builder()
                .double_opt_in_window_days(w)
                .soft_bounce_threshold(n)
                .soft_opt_in_counts(soft)
                .single_opt_in_allowed(single)
                .implied_consent_counts(implied)
                .build()
                .unwrap()
        })
}

fn the_key() -> ConsentKey {
    key("acme", "news", "ann@example.com")
}

fn is_block(a: &Action) -> bool {
    matches!(a, Action::OptedOut { .. } | Action::Complained)
}

/// The obviously-correct reference model: answers stated directly over the
/// sorted history rather than by stepping a state machine.
fn model(
    key: &ConsentKey,
    events: &[ConsentEvent],
    policy: &LedgerPolicy,
    now_hours: i64,
) -> (bool, bool) {
    let now = at(now_hours);
    let mut evs: Vec<&ConsentEvent> = events.iter().filter(|e| e.concerns(key)).collect();
    evs.sort_by(|a, b| {
        (a.at, a.action.is_opt_out_like(), &a.id).cmp(&(b.at, b.action.is_opt_out_like(), &b.id))
    });
    let mut seen = std::collections::HashSet::new();
    evs.retain(|e| seen.insert(e.id.clone()));
    evs.retain(|e| e.at <= now || e.action.is_opt_out_like());

    let window = TimeDelta::days(i64::from(policy.double_opt_in_window_days()));
    let last_block = evs.iter().rposition(|e| is_block(&e.action));
    let grants = |i: usize| -> bool {
        let e = evs[i];
        let Action::OptedIn { basis } = &e.action else {
            return false;
        };
        let blocked_before = evs[..i].iter().any(|x| is_block(&x.action));
        match basis {
            Basis::ExpressForm => policy.single_opt_in_allowed(),
            Basis::ExistingCustomer => policy.soft_opt_in_counts() && !blocked_before,
            Basis::Imported { .. } => !blocked_before,
            // Implied consent counts like the soft opt-in, until it lapses.
            Basis::Implied { ground, on } => {
                policy.implied_consent_counts()
                    && !blocked_before
                    && ground.lapses_at(*on).is_none_or(|lapse| lapse > now)
            }
            Basis::DoubleOptInRequested => false,
            Basis::DoubleOptInConfirmed => {
                let req = evs[..i].iter().rposition(|x| {
                    x.action
                        == Action::OptedIn {
                            basis: Basis::DoubleOptInRequested,
                        }
                });
                match req {
                    Some(r) => {
                        e.at - evs[r].at <= window
                            && !evs[r + 1..i].iter().any(|x| is_block(&x.action))
                    }
                    None => false,
                }
            }
        }
    };
    let start = last_block.map_or(0, |b| b + 1);
    let permission = (start..evs.len()).any(grants);

    let last_clear = evs
        .iter()
        .rposition(|e| matches!(e.action, Action::SuppressionCleared { .. }));
    let after_clear = &evs[last_clear.map_or(0, |c| c + 1)..];
    let hard = after_clear.iter().any(|e| e.action == Action::HardBounced);
    let mut streak = 0;
    let mut soft = false;
    for e in after_clear {
        match e.action {
            Action::SoftBounced => {
                streak += 1;
                if streak >= policy.soft_bounce_threshold() {
                    soft = true;
                }
            }
            Action::Delivered => streak = 0,
            _ => {}
        }
    }
    let open = evs
        .iter()
        .rev()
        .find_map(|e| match e.action {
            Action::AccountCancelled => Some(false),
            Action::AccountReopened => Some(true),
            _ => None,
        })
        .unwrap_or(true);
    let deliverable = !hard && !soft;
    (permission && deliverable && open, deliverable && open)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn replay_matches_the_reference_model_after_every_event(
        events in arb_history(40),
        policy in arb_policy(),
        now_offset in 0i64..100,
    ) {
        let k = the_key();
        for n in 0..=events.len() {
            let prefix = &events[..n];
            let now = prefix.iter().map(|e| e.at).max().map_or(0, |m| (m - at(0)).num_hours()) + now_offset - 50;
            let state = ConsentState::replay(&k, prefix, &policy, at(now));
            let (promo, trans) = model(&k, prefix, &policy, now);
            prop_assert_eq!(
                (state.permits_promotional(), state.permits_transactional()),
                (promo, trans),
                "after {} events (now = h{}): {:#?}\nexplanation: {:#?}",
                n, now, prefix, state.explain()
            );
        }
    }

    #[test]
    fn replay_is_order_independent(
        events in arb_history(40),
        policy in arb_policy(),
        seed in any::<u64>(),
    ) {
        let k = the_key();
        let mut shuffled = events.clone();
        // A deterministic Fisher-Yates driven by the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            let j = (x % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        let a = ConsentState::replay(&k, &events, &policy, at(500));
        let b = ConsentState::replay(&k, &shuffled, &policy, at(500));
        prop_assert_eq!(&a, &b);
        // Sorted as a store keeps them (the fold's fast path when no two
        // are equal), and sorted backwards.
        let mut sorted = events.clone();
        sorted.sort_by(|x, y| {
            (x.at, x.action.is_opt_out_like(), &x.id, &x.action)
                .cmp(&(y.at, y.action.is_opt_out_like(), &y.id, &y.action))
        });
        let c = ConsentState::replay(&k, &sorted, &policy, at(500));
        prop_assert_eq!(&a, &c);
        sorted.reverse();
        let d = ConsentState::replay(&k, &sorted, &policy, at(500));
        prop_assert_eq!(&a, &d);
        prop_assert_eq!(a.explain(), d.explain());
    }

    #[test]
    fn replay_is_idempotent_and_deterministic(events in arb_history(40), policy in arb_policy()) {
        let k = the_key();
        let once = ConsentState::replay(&k, &events, &policy, at(500));
        let mut twice = events.clone();
        twice.extend(events.iter().cloned());
        prop_assert_eq!(&once, &ConsentState::replay(&k, &twice, &policy, at(500)));
        prop_assert_eq!(&once, &ConsentState::replay(&k, &events, &policy, at(500)));
    }

    #[test]
    fn an_opt_out_without_a_later_express_act_never_permits_promotional_mail(
        events in arb_history(40),
        policy in arb_policy(),
        out_at in 0i64..400,
    ) {
        let k = the_key();
        let mut events = events;
        events.push(ev(&k, "the-opt-out", out_at, opt_out()));
        // Drop every express act dated after the opt-out.
        events.retain(|e| {
            !(e.at > at(out_at)
                && matches!(&e.action, Action::OptedIn { basis } if basis.is_express()))
        });
        let state = ConsentState::replay(&k, &events, &policy, at(500));
        prop_assert!(!state.permits_promotional(), "{:#?}", state.explain());
    }

    #[test]
    fn an_import_never_resubscribes(
        events in arb_history(30),
        policy in arb_policy(),
        imports in prop::collection::vec((0i64..500, any::<bool>()), 1..5),
    ) {
        let k = the_key();
        let blocked = events.iter().any(|e| e.concerns(&k) && is_block(&e.action));
        prop_assume!(blocked);
        let before = ConsentState::replay(&k, &events, &policy, at(500)).permits_promotional();
        let mut with = events.clone();
        for (i, (h, soft)) in imports.into_iter().enumerate() {
            let action = if soft { customer() } else { imported() };
            with.push(ev(&k, &format!("imp-{i}"), h, action));
        }
        let after = ConsentState::replay(&k, &with, &policy, at(500)).permits_promotional();
        prop_assert!(!after || before, "an import or soft opt-in resubscribed");
    }

    #[test]
    fn events_and_states_round_trip_through_serde(events in arb_history(20), policy in arb_policy()) {
        for e in &events {
            let json = serde_json::to_string(e).unwrap();
            prop_assert_eq!(&serde_json::from_str::<ConsentEvent>(&json).unwrap(), e);
        }
        let state = ConsentState::replay(&the_key(), &events, &policy, at(300));
        let json = serde_json::to_string(&state).unwrap();
        prop_assert_eq!(serde_json::from_str::<ConsentState>(&json).unwrap(), state);
        let pjson = serde_json::to_string(&policy).unwrap();
        prop_assert_eq!(serde_json::from_str::<LedgerPolicy>(&pjson).unwrap(), policy);
    }
}

proptest! {
    #[test]
    fn extreme_dates_never_panic(secs in prop::collection::vec(any::<i64>(), 1..6), now in any::<i64>()) {
        use chrono::{DateTime, Utc};
        let k = the_key();
        let clamp = |s: i64| DateTime::<Utc>::from_timestamp(s % 8_000_000_000_000, 0)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let actions = [requested(), confirmed(), form(), opt_out()];
        let events: Vec<ConsentEvent> = secs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut e = ev(&k, &format!("x{i}"), 0, actions[i % 4].clone());
                e.at = clamp(*s);
                e
            })
            .collect();
        let mut extremes = events.clone();
        if let Some(first) = extremes.first_mut() {
            first.at = DateTime::<Utc>::MAX_UTC;
        }
        for evs in [&events, &extremes] {
            let s = ConsentState::replay(&k, evs.iter(), &LedgerPolicy::default(), clamp(now));
            let _ = s.permits_promotional();
            let s = ConsentState::replay(&k, evs.iter(), &LedgerPolicy::default(), DateTime::<Utc>::MAX_UTC);
            let _ = s.permits_promotional();
        }
    }
}

#[test]
fn an_id_collision_never_loses_an_opt_out() {
    let k = key("acme", "news", "ann@example.com");
    let opt_in = ev(&k, "7", 0, form());
    let mut opt_out_same_id = ev(&k, "7", 1, opt_out());
    opt_out_same_id.id = opt_in.id.clone();
    for events in [
        vec![opt_in.clone(), opt_out_same_id.clone()],
        vec![opt_out_same_id.clone(), opt_in.clone()],
    ] {
        let s = replay(&k, &events, 5);
        assert!(!s.permits_promotional(), "{:?}", s.explain());
        assert!(s.has_opted_out());
    }
    // An exact repeat (same id, same content) is still applied once.
    let s = replay(&k, &[opt_in.clone(), opt_in.clone()], 5);
    assert_eq!(s.events_applied(), 1);
}

#[test]
fn a_decision_without_reasons_does_not_deserialise() {
    let no_reason = r#"{"outcome": "permit", "reasons": []}"#;
    assert!(
        serde_json::from_str::<consentry::Decision<consentry::disclosure::DisclosureOutcome>>(
            no_reason
        )
        .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Issue 12 item 12: erasure changes no decision, before or after
    /// later events arrive.
    #[test]
    fn every_decision_after_erasure_equals_the_decision_before(
        history in arb_history(30),
        later in arb_action(),
        later_list in 0usize..2,
    ) {
        use consentry::{Driver, MemoryStore, RecordingMailer};
        let erased = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default())
            .with_erasure_salt(b"proptest-salt-0123456".to_vec())
            .unwrap();
        let control = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
        for e in &history {
            erased.record(e).unwrap();
            control.record(e).unwrap();
        }
        let keys: Vec<ConsentKey> = ["acme", "globex"].iter().flat_map(|t| {
            ["news", "offers"].iter().map(move |l| key(t, l, "ann@example.com"))
        }).collect();
        let decisions = |d: &Driver<MemoryStore, RecordingMailer>, h: i64| -> Vec<(bool, bool, bool)> {
            keys.iter().map(|k| {
                let s = d.state(k, at(h)).unwrap();
                (s.permits_promotional(), s.permits_transactional(), s.has_opted_out())
            }).collect()
        };
        erased.erase(&addr("ann@example.com")).unwrap();
        prop_assert_eq!(decisions(&erased, 401), decisions(&control, 401));
        let next = ev(&key("acme", ["news", "offers"][later_list], "ann@example.com"), "after", 402, later);
        erased.record(&next).unwrap();
        control.record(&next).unwrap();
        prop_assert_eq!(decisions(&erased, 403), decisions(&control, 403));
    }
}
