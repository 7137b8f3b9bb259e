//! Collection points: a form asking for sensitive data is served and posted
//! over https.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::vocabulary::{DataCategory, DataSet};
use crate::catalogue::ids;
use crate::decision::{Decision, Reason};

/// Whether a collection point may ask for the data. Deliberately exhaustive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionOutcome {
    /// The form may ask for these fields.
    Allow,
    /// It may not (sensitive data over plain http).
    Refuse,
}

impl fmt::Display for CollectionOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CollectionOutcome::Allow => "allow",
            CollectionOutcome::Refuse => "refuse",
        })
    }
}

/// Which data a form may collect only over https. The default holds the
/// statement's promise of encrypted transmission of sensitive account
/// information: payment card data and account credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionPolicy {
    /// The categories that need https.
    pub https_only: DataSet,
}

impl Default for CollectionPolicy {
    fn default() -> Self {
        CollectionPolicy {
            https_only: DataSet::from([
                DataCategory::PaymentCard,
                DataCategory::AccountCredentials,
            ]),
        }
    }
}

impl CollectionPolicy {
    /// Decide whether the form at `form` may ask for `fields`: refused when
    /// it asks for an https-only category and is not served over https.
    ///
    /// ```
    /// use consentry::disclosure::{CollectionOutcome, CollectionPolicy, DataCategory, DataSet};
    ///
    /// let card = DataSet::from([DataCategory::PaymentCard]);
    /// let policy = CollectionPolicy::default();
    /// let http = policy.decide(&"http://shop.example/pay".parse()?, card);
    /// assert_eq!(http.outcome(), &CollectionOutcome::Refuse);
    /// assert_eq!(http.rule().as_str(), "disclosure.collection.https");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide(&self, form: &Url, fields: DataSet) -> Decision<CollectionOutcome> {
        let sensitive = fields.0 & self.https_only.0 != 0;
        if !sensitive || form.scheme() == "https" {
            Decision::new(
                CollectionOutcome::Allow,
                Reason::new(
                    ids::DISCLOSURE_COLLECTION_HTTPS,
                    "the collection point may ask for these fields",
                ),
            )
        } else {
            Decision::new(
                CollectionOutcome::Refuse,
                Reason::new(
                    ids::DISCLOSURE_COLLECTION_HTTPS,
                    format!(
                        "`{}` asks for payment card data or credentials over {}, not https",
                        form.as_str(),
                        form.scheme()
                    ),
                ),
            )
        }
    }
}
