//! Browser privacy signals: Global Privacy Control and Do Not Track.

use serde::{Deserialize, Serialize};

/// What the browser signalled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrivacySignals {
    /// `Sec-GPC: 1` was sent: deny advertising and any sale or sharing.
    pub gpc: bool,
    /// `DNT: 1` was sent: recorded; acts like GPC only if the site says so.
    pub dnt: bool,
    /// Whether this site treats DNT like GPC.
    pub dnt_acts_as_gpc: bool,
}

fn exactly_one(values: &[&str]) -> bool {
    // HTTP strips optional whitespace around a field value; beyond that the
    // value must be exactly `1` (not `true`, not `1, 1`).
    values
        .iter()
        .any(|v| v.trim_matches(|c| c == ' ' || c == '\t') == "1")
}

impl PrivacySignals {
    /// Read every value of `Sec-GPC` and of `DNT` the request carried. A
    /// signal counts only where one of its values is exactly `1`.
    ///
    /// ```
    /// use consentry::cookie::PrivacySignals;
    ///
    /// assert!(PrivacySignals::from_header_values(&["1"], &[]).gpc);
    /// assert!(PrivacySignals::from_header_values(&["0", "1"], &[]).gpc);
    /// assert!(!PrivacySignals::from_header_values(&["true"], &[]).gpc);
    /// assert!(!PrivacySignals::from_header_values(&["1, 1"], &[]).gpc);
    /// ```
    pub fn from_header_values(sec_gpc: &[&str], dnt: &[&str]) -> Self {
        PrivacySignals {
            gpc: exactly_one(sec_gpc),
            dnt: exactly_one(dnt),
            dnt_acts_as_gpc: false,
        }
    }

    /// The same signals, with DNT acting like GPC or not.
    pub fn with_dnt_as_gpc(mut self, acts: bool) -> Self {
        self.dnt_acts_as_gpc = acts;
        self
    }

    /// Whether advertising and any sale or sharing must be refused.
    pub fn opts_out_of_sale(&self) -> bool {
        self.gpc || (self.dnt && self.dnt_acts_as_gpc)
    }
}
