//! The campaign fixture (`examples/data/campaign.json`), shared by the
//! campaign examples.

use chrono::{DateTime, Utc};
use consentry::eligibility::SenderProfile;
use consentry::{Action, ConsentEvent, EmailAddress, EventId, Evidence, ListId, TenantId};
use serde::Deserialize;

/// The fixture file.
#[derive(Deserialize)]
pub struct Fixture {
    pub tenant: String,
    pub list: String,
    pub now: DateTime<Utc>,
    pub sender: SenderProfile,
    pub contacts: Vec<Contact>,
}

/// One contact and its history.
#[derive(Deserialize)]
pub struct Contact {
    pub address: String,
    pub note: String,
    pub events: Vec<FixtureEvent>,
}

/// One event, with the fixture's tenant and list as defaults.
#[derive(Deserialize)]
pub struct FixtureEvent {
    id: String,
    at: DateTime<Utc>,
    action: Action,
    #[serde(default)]
    evidence: Evidence,
    /// Another tenant than the fixture's.
    tenant: Option<String>,
    /// Another list than the fixture's; `*` for every list of the tenant.
    list: Option<String>,
}

/// Read and check the fixture.
pub fn load() -> Result<Fixture, Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/campaign.json");
    let fixture: Fixture = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    fixture.sender.validate()?;
    Ok(fixture)
}

impl Fixture {
    /// The tenant and list the campaign is for.
    pub fn ids(&self) -> Result<(TenantId, ListId), Box<dyn std::error::Error>> {
        Ok((
            TenantId::new(self.tenant.as_str())?,
            ListId::new(self.list.as_str())?,
        ))
    }
}

impl Contact {
    /// The contact's address and events, ready to record.
    pub fn events(
        &self,
        tenant: &TenantId,
        list: &ListId,
    ) -> Result<(EmailAddress, Vec<ConsentEvent>), Box<dyn std::error::Error>> {
        let address = EmailAddress::parse(&self.address)?;
        let mut out = Vec::new();
        for e in &self.events {
            out.push(ConsentEvent {
                id: EventId::new(e.id.as_str())?,
                at: e.at,
                tenant: match &e.tenant {
                    Some(t) => TenantId::new(t.as_str())?,
                    None => tenant.clone(),
                },
                list: match e.list.as_deref() {
                    Some("*") => None,
                    Some(l) => Some(ListId::new(l)?),
                    None => Some(list.clone()),
                },
                address: address.clone(),
                action: e.action.clone(),
                evidence: e.evidence.clone(),
            });
        }
        Ok((address, out))
    }
}
