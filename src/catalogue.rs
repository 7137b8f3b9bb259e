//! The rule catalogue: every rule id consentry can put in a decision, with
//! the source it comes from (statute, regulation, RFC, the privacy
//! statement) and what it says. [`ids`] holds each id as a constant;
//! [`CATALOGUE`] lists them for audit binders, and [`markdown`] renders the
//! table that `RULES.md` holds.

/// What the catalogue knows about one rule id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// The rule id.
    pub id: &'static str,
    /// Where the rule comes from (statute, RFC, the privacy statement).
    pub source: &'static str,
    /// What the rule says.
    pub summary: &'static str,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, source = $source:literal, summary = $summary:literal; )*) => {
        /// The rule ids of the consent ledger and the rest of the crate, as
        /// constants.
        pub mod ids {
            use crate::decision::RuleId;
            $(
                $(#[$doc])*
                pub const $name: RuleId = RuleId::from_static($id);
            )*
        }

        /// Every rule id the crate can emit, with its source.
        pub const CATALOGUE: &[RuleInfo] = &[
            $( RuleInfo { id: $id, source: $source, summary: $summary }, )*
        ];
    };
}

rules! {
    /// An opt-in was recorded and grants permission to send promotional mail.
    OPT_IN_GRANTED = "consent.opt_in.granted",
        source = "GDPR Art. 7(1); privacy statement (permission-based email)",
        summary = "an opt-in with an accepted basis grants permission for promotional mail";
    /// An opt-in lacks a policy version or a source and is marked weak.
    OPT_IN_WEAK_EVIDENCE = "consent.opt_in.weak_evidence",
        source = "GDPR Art. 7(1) (the controller must be able to demonstrate consent)",
        summary = "an opt-in recorded without a policy version or a source is accepted but weak";
    /// Single opt-in is not accepted under the ledger policy.
    SINGLE_OPT_IN_NOT_ACCEPTED = "consent.opt_in.single_not_accepted",
        source = "ledger policy (host configuration)",
        summary = "a form opt-in grants nothing when the policy requires double opt-in";
    /// Soft opt-in (existing customer) is not accepted under the ledger policy.
    SOFT_OPT_IN_NOT_ACCEPTED = "consent.opt_in.soft_not_accepted",
        source = "ledger policy (host configuration); ePrivacy Art. 13(2)",
        summary = "an existing-customer basis grants nothing when the policy does not accept soft opt-in";
    /// Rule 1: an opt-out beats every earlier opt-in.
    OPT_OUT_BEATS_OPT_IN = "consent.opt_out.beats_opt_in",
        source = "15 U.S.C. 7704(a)(4); GDPR Art. 7(3); privacy statement (opt-out in every promotional footer)",
        summary = "an opt-out withdraws every permission granted before it";
    /// Rule 2: after an opt-out or a complaint only an express act restores permission.
    EXPRESS_ACT_REQUIRED = "consent.opt_out.express_act_required",
        source = "15 U.S.C. 7704(a)(4)(A) (no mail after an objection unless affirmative consent); GDPR Art. 7(3)",
        summary = "after an opt-out or complaint, an import or soft opt-in never restores permission; only a later form opt-in or confirmed double opt-in does";
    /// Rule 3: a double opt-in request stays pending until confirmed.
    DOUBLE_OPT_IN_PENDING = "consent.double_opt_in.pending",
        source = "M3AAWG sender best common practices (confirmed opt-in)",
        summary = "a double opt-in request grants nothing until it is confirmed";
    /// Rule 3: a confirmation within the window grants permission.
    DOUBLE_OPT_IN_CONFIRMED = "consent.double_opt_in.confirmed",
        source = "M3AAWG sender best common practices (confirmed opt-in)",
        summary = "a confirmation of a pending request within the window grants permission";
    /// Rule 3: a confirmation after the window, or without a request, is ignored.
    DOUBLE_OPT_IN_EXPIRED = "consent.double_opt_in.expired",
        source = "ledger policy (double opt-in window, default 7 days)",
        summary = "a confirmation after the window, or with no pending request, is ignored";
    /// Rule 4: a hard bounce suppresses the address everywhere.
    HARD_BOUNCE = "consent.bounce.hard",
        source = "RFC 5321 section 4.2.1 (5yz permanent failure); bulk-sender requirements",
        summary = "a hard bounce suppresses the address globally until a suppression-cleared event";
    /// Rule 4: N soft bounces in a row suppress the address everywhere.
    SOFT_BOUNCE_STREAK = "consent.bounce.soft_streak",
        source = "ledger policy (soft-bounce threshold, default 3)",
        summary = "consecutive soft bounces up to the threshold suppress the address globally";
    /// Rule 4: a suppression-cleared event lifts a bounce suppression.
    SUPPRESSION_CLEARED = "consent.bounce.cleared",
        source = "ledger policy",
        summary = "a suppression-cleared event lifts a bounce suppression (never an opt-out or a complaint)";
    /// Rule 5: a complaint suppresses the address for the whole tenant.
    COMPLAINT = "consent.complaint.tenant",
        source = "RFC 6449 (feedback loops); 15 U.S.C. 7704(a)(4)",
        summary = "a spam complaint suppresses the address for every list of the tenant";
    /// Rule 6: a cancelled account stops all mail, transactional included.
    ACCOUNT_CANCELLED = "consent.account.cancelled",
        source = "privacy statement (account mail stops only when the account is cancelled)",
        summary = "a cancelled account stops all mail from the tenant, transactional included";
    /// Rule 6: a reopened account restores mail.
    ACCOUNT_REOPENED = "consent.account.reopened",
        source = "privacy statement",
        summary = "a reopened account restores transactional mail";
    /// An opt-in dated after `now` is ignored until its time comes.
    FUTURE_OPT_IN_IGNORED = "consent.event.future_opt_in_ignored",
        source = "consentry safety bias",
        summary = "an opt-in-like event dated after `now` is ignored; opt-out-like events apply at once whatever their date";
    /// No opt-in was ever recorded.
    NO_PERMISSION = "consent.opt_in.none",
        source = "privacy statement (permission-based email)",
        summary = "no permission is recorded for this address and list";

    /// Only commercial content: promotional.
    CLASSIFY_COMMERCIAL_ONLY = "canspam.primary_purpose.commercial_only",
        source = "16 CFR 316.3(a)(1)",
        summary = "a message with only commercial content is commercial (promotional)";
    /// Only transactional content: transactional.
    CLASSIFY_TRANSACTIONAL_ONLY = "canspam.primary_purpose.transactional_only",
        source = "16 CFR 316.3(a)(2); 15 U.S.C. 7702(17)(A)",
        summary = "a message with only transactional or relationship content is transactional";
    /// Both, and the subject line reads as an advertisement: promotional.
    CLASSIFY_SUBJECT_LINE = "canspam.primary_purpose.subject_line",
        source = "16 CFR 316.3(a)(2)(i)",
        summary = "a dual-purpose message whose subject line would make a recipient think it is an advertisement is commercial";
    /// Both, and the transactional content does not come first: promotional.
    CLASSIFY_NOT_FIRST = "canspam.primary_purpose.transactional_not_first",
        source = "16 CFR 316.3(a)(2)(ii), 316.3(a)(3) (location and amount of each kind of content)",
        summary = "a dual-purpose message whose transactional content is not, in whole or in substantial part, at the beginning of the body, or is outweighed by the commercial content after it, is commercial";
    /// Both, transactional content first and a neutral subject: transactional.
    CLASSIFY_TRANSACTIONAL_FIRST = "canspam.primary_purpose.transactional_first",
        source = "16 CFR 316.3(a)(2)",
        summary = "a dual-purpose message with a neutral subject, its transactional content at the beginning and not outweighed by the commercial content after it, is transactional";
    /// No cue of either kind, but hints of an offer: promotional.
    CLASSIFY_COMMERCIAL_HINTS = "canspam.primary_purpose.commercial_hints",
        source = "15 U.S.C. 7702(2)(A) (commercial advertisement or promotion of a commercial product or service)",
        summary = "a message with no transactional content that shows prices or calls to buy, book or try a product is commercial";
    /// Neither commercial content nor a transactional category: undetermined.
    CLASSIFY_UNDETERMINED = "canspam.primary_purpose.undetermined",
        source = "15 U.S.C. 7702(2)(A) (commercial message), 7702(17)(A) (transactional message)",
        summary = "a message with no commercial content and no recognised transactional category is not an advertisement but not proven transactional; the send context decides how it is sent";
    /// The wording model's second opinion on undeclared mail.
    CLASSIFY_WORDING = "canspam.primary_purpose.wording",
        source = "16 CFR 316.3(a) (the primary purpose as a recipient would reasonably interpret it); 15 U.S.C. 7702(2)(A), 7702(17)(A)",
        summary = "on undeclared mail: a message found transactional whose wording reads overwhelmingly as an advertisement is promotional (or undetermined, if it reads as neither); one with no cue whose wording reads overwhelmingly as an advertisement is promotional; one with no cue (or only a commercial hint, such as a price) whose wording reads overwhelmingly as a transactional category is transactional, and one with only a hint whose wording reads as neither is undetermined; one whose transactional content comes first under a neutral subject, called promotional by the order test alone, is transactional when its wording reads overwhelmingly so; the reason quotes the words that weighed most";
    /// A transactional declaration honoured: no commercial content.
    CLASSIFY_DECLARED_TRANSACTIONAL = "canspam.primary_purpose.declared_transactional",
        source = "16 CFR 316.3(a)(2)-(3); 15 U.S.C. 7702(17)(A)",
        summary = "a sender's declaration that a message is transactional, with its category, is honoured when the message has no commercial content (a price alone, with no offer wording, is not)";
    /// The sender declared transactional but the content is promotional.
    CLASSIFY_DECLARED_MISMATCH = "canspam.primary_purpose.declared_mismatch",
        source = "16 CFR 316.3; 15 U.S.C. 7704(a)(2)",
        summary = "a sender's transactional declaration is refused when commercial content decides; the reason names the 316.3 test that refused it";
    /// The sender declared the message promotional.
    CLASSIFY_DECLARED_PROMOTIONAL = "canspam.primary_purpose.declared_promotional",
        source = "consentry safety bias",
        summary = "a message its sender declares promotional is promotional whatever its content";

    /// A commercial cue in the subject line.
    CUE_COMMERCIAL_SUBJECT = "canspam.cue.commercial.subject",
        source = "16 CFR 316.3(a)(2)(i) (subject-line test)",
        summary = "the subject line holds commercial content (quoted in the reason)";
    /// A commercial cue in the body.
    CUE_COMMERCIAL_BODY = "canspam.cue.commercial.body",
        source = "15 U.S.C. 7702(2)(A); 16 CFR 316.3",
        summary = "the body, as the reader sees it, holds commercial content (quoted in the reason)";
    /// A transactional cue in the subject line.
    CUE_TRANSACTIONAL_SUBJECT = "canspam.cue.transactional.subject",
        source = "15 U.S.C. 7702(17)(A)",
        summary = "the subject line holds transactional or relationship content (quoted in the reason)";
    /// A transactional cue in the body.
    CUE_TRANSACTIONAL_BODY = "canspam.cue.transactional.body",
        source = "15 U.S.C. 7702(17)(A)",
        summary = "the body, as the reader sees it, holds transactional or relationship content (quoted in the reason)";

    /// Promotional mail may be sent: permission and no suppression.
    SEND_PROMOTIONAL_PERMITTED = "eligibility.promotional.permitted",
        source = "15 U.S.C. 7704; privacy statement (permission-based email)",
        summary = "promotional mail is sent only with a permission basis and no suppression at any scope";
    /// Promotional mail without a permission basis is suppressed.
    SEND_NO_PERMISSION = "eligibility.promotional.no_permission",
        source = "privacy statement (permission-based email)",
        summary = "promotional mail needs a recorded permission basis";
    /// Promotional mail to a person who opted out is suppressed.
    SEND_OPTED_OUT = "eligibility.promotional.opted_out",
        source = "15 U.S.C. 7704(a)(4)",
        summary = "no promotional mail after an opt-out at the list or tenant scope";
    /// Promotional mail to a person who complained is suppressed.
    SEND_COMPLAINED = "eligibility.promotional.complained",
        source = "RFC 6449; 15 U.S.C. 7704(a)(4)",
        summary = "no promotional mail from a tenant the person complained about";
    /// Promotional mail on weak evidence is suppressed (fail closed).
    SEND_WEAK_EVIDENCE = "eligibility.promotional.weak_evidence",
        source = "GDPR Art. 7(1); consentry fail-closed rule",
        summary = "promotional mail is not sent on a permission whose evidence is weak unless the host allows it";
    /// The state does not belong to the campaign's tenant and list.
    SEND_KEY_MISMATCH = "eligibility.key_mismatch",
        source = "consentry fail-closed rule",
        summary = "a consent state for another tenant or list never authorises a send";
    /// The state was derived at another instant than the decision.
    SEND_STATE_OUT_OF_DATE = "eligibility.state_out_of_date",
        source = "consentry fail-closed rule",
        summary = "a consent state derived at another instant than the decision's `now` never authorises a send: replay it at that instant";
    /// The address bounced: nothing is sent, not even transactional mail.
    SEND_UNDELIVERABLE = "eligibility.undeliverable",
        source = "RFC 5321; bulk-sender requirements",
        summary = "no mail to an address suppressed for bounces";
    /// The account is cancelled: nothing is sent, not even transactional mail.
    SEND_ACCOUNT_CANCELLED = "eligibility.account_cancelled",
        source = "privacy statement (account mail stops when the account is cancelled)",
        summary = "no mail to the holder of a cancelled account";
    /// A personalised message could not be built for a recipient.
    SEND_PERSONALISATION_FAILED = "eligibility.personalisation_failed",
        source = "consentry fail-closed rule",
        summary = "a recipient whose personalised message cannot be built gets nothing (the template's checks cannot vouch for it)";
    /// An undetermined message sent under the promotional rules.
    SEND_UNDETERMINED_AS_PROMOTIONAL = "eligibility.undetermined.as_promotional",
        source = "consentry fail-closed rule; privacy statement (permission-based email)",
        summary = "a message the classifier could not place (and nobody declared transactional) is sent under the rules for promotional mail unless the context says otherwise";
    /// An undetermined message sent under the transactional rules.
    SEND_UNDETERMINED_AS_TRANSACTIONAL = "eligibility.undetermined.as_transactional",
        source = "host configuration (SendContext::undetermined_as)",
        summary = "the host chose to send messages the classifier could not place under the rules for transactional mail";
    /// Transactional mail may be sent.
    SEND_TRANSACTIONAL_PERMITTED = "eligibility.transactional.permitted",
        source = "15 U.S.C. 7702(17); privacy statement",
        summary = "transactional mail needs only a deliverable address and an open account; opt-outs do not stop it";

    /// Lint: a promotional message has no working unsubscribe link.
    LINT_UNSUBSCRIBE_LINK = "lint.unsubscribe_link",
        source = "15 U.S.C. 7704(a)(3), (a)(5)(A)(ii)",
        summary = "promotional mail carries a working opt-out link in its body";
    /// Lint: a promotional message lacks the sender's postal address.
    LINT_POSTAL_ADDRESS = "lint.postal_address",
        source = "15 U.S.C. 7704(a)(5)(A)(iii); 16 CFR 316.2(p)",
        summary = "promotional mail shows the sender's valid physical postal address (a PO box counts)";
    /// Lint: List-Unsubscribe is missing or has no https URI.
    LINT_LIST_UNSUBSCRIBE = "lint.list_unsubscribe",
        source = "RFC 2369; RFC 8058; bulk-sender requirements",
        summary = "promotional mail carries a List-Unsubscribe header with an https URI";
    /// Lint: List-Unsubscribe-Post is missing or wrong.
    LINT_ONE_CLICK = "lint.list_unsubscribe_post",
        source = "RFC 8058 section 3.1; bulk-sender requirements",
        summary = "promotional mail carries List-Unsubscribe-Post: List-Unsubscribe=One-Click";
    /// Lint: a promotional subject poses as transactional.
    LINT_DECEPTIVE_SUBJECT = "lint.deceptive_subject",
        source = "15 U.S.C. 7704(a)(2)",
        summary = "a promotional subject line must not pose as a receipt, reply or account notice";
    /// Lint: From is not an address of the sender's domain.
    LINT_FROM = "lint.from_domain",
        source = "15 U.S.C. 7704(a)(1)",
        summary = "From identifies the sender: an address of the sender's own domain";
    /// Lint: Reply-To is not an address of the sender's domain.
    LINT_REPLY_TO = "lint.reply_to_domain",
        source = "15 U.S.C. 7704(a)(1)",
        summary = "Reply-To is an address of the sender's own domain";
    /// A strictly necessary item needs no consent.
    COOKIE_NECESSARY = "cookie.strictly_necessary",
        source = "ePrivacy Directive 2002/58/EC Art. 5(3)",
        summary = "storage strictly necessary for the service the visitor asked for needs no consent";
    /// The visitor granted the item's category.
    COOKIE_GRANTED = "cookie.granted",
        source = "ePrivacy Art. 5(3); GDPR Art. 4(11), 7",
        summary = "an item is set when the visitor's current choice grants its category";
    /// The visitor did not grant the item's category.
    COOKIE_NOT_GRANTED = "cookie.not_granted",
        source = "ePrivacy Art. 5(3)",
        summary = "an item whose category the visitor did not grant is not set";
    /// No decision yet: only strictly necessary items.
    COOKIE_NO_DECISION = "cookie.no_decision",
        source = "ePrivacy Art. 5(3)",
        summary = "until the visitor decides, only strictly necessary items are set";
    /// The choice was made under an older policy revision.
    COOKIE_STALE_REVISION = "cookie.stale.revision",
        source = "GDPR Art. 7 and recital 42 (informed consent to the purposes as they are)",
        summary = "a choice made under an earlier policy revision no longer holds: ask again";
    /// The choice is older than the validity window.
    COOKIE_STALE_AGE = "cookie.stale.expired",
        source = "cookie policy (consent validity window, default 6 months)",
        summary = "a choice older than the validity window no longer holds: ask again";
    /// Global Privacy Control refuses advertising and any sale or sharing.
    COOKIE_GPC = "cookie.gpc",
        source = "Global Privacy Control specification; Cal. Code Regs. tit. 11, 7025",
        summary = "a Sec-GPC: 1 signal refuses advertising and any sale or sharing of personal data, whatever the banner said";
    /// Do Not Track, configured to act like GPC.
    COOKIE_DNT = "cookie.dnt",
        source = "site policy (DNT configured to act like GPC)",
        summary = "a DNT: 1 signal refuses advertising when the site honours DNT";
    /// The ad opt-out cookie is present.
    COOKIE_AD_OPT_OUT = "cookie.ad_opt_out",
        source = "privacy statement (advertising opt-out cookie)",
        summary = "while the generic ad opt-out cookie is present, no ad impression is recorded";
    /// An ad impression may be recorded.
    COOKIE_AD_IMPRESSION_ALLOWED = "cookie.ad_impression_allowed",
        source = "privacy statement (advertising opt-out cookie); Global Privacy Control specification",
        summary = "an ad impression is recorded only without the ad opt-out cookie and without a GPC (or DNT-as-GPC) signal";
    /// Lifetime capped at the policy maximum.
    COOKIE_LIFETIME_CAPPED = "cookie.lifetime_capped",
        source = "cookie policy (maximum lifetime, default 13 months); RFC 6265bis 400-day cap",
        summary = "an item's Max-Age never exceeds the policy's maximum lifetime";
    /// The item is not in the site's cookie policy.
    COOKIE_NOT_IN_POLICY = "cookie.not_in_policy",
        source = "ePrivacy Art. 5(3) (clear and comprehensive information about each item stored)",
        summary = "an item the cookie policy does not list is never set";
    /// An email open or click is recorded: the recipient allows tracking.
    BEACON_ALLOWED = "beacon.allowed",
        source = "privacy statement (web beacons); ePrivacy Art. 5(3)",
        summary = "email open and click tracking is recorded where the recipient's tracking preference allows it";
    /// An email open or click is not recorded.
    BEACON_DENIED = "beacon.denied",
        source = "privacy statement (web beacons); ePrivacy Art. 5(3)",
        summary = "email open and click tracking is not recorded where the recipient refused it or never chose";

    /// Unsubscribe deadline: CAN-SPAM's 10 business days.
    DEADLINE_CANSPAM = "unsubscribe.deadline.canspam_10_business_days",
        source = "15 U.S.C. 7704(a)(4)(A); 16 CFR 316.5",
        summary = "an opt-out takes effect within 10 business days of receipt";
    /// Unsubscribe deadline: the bulk senders' 48 hours.
    DEADLINE_BULK_SENDER = "unsubscribe.deadline.bulk_sender_48_hours",
        source = "mailbox providers' bulk-sender requirements (2024)",
        summary = "a one-click unsubscribe is honoured within 2 days";
    /// Unsubscribe deadline: CASL's 10 business days (Canadian federal holidays).
    DEADLINE_CASL = "unsubscribe.deadline.casl_10_business_days",
        source = "CASL s. 11(3); Interpretation Act (R.S.C. 1985, c. I-21) s. 35 (holidays)",
        summary = "an unsubscribe takes effect by the end of the 10th business day after it was sent, on the Canadian federal calendar";
    /// Unsubscribe deadline: at once, under GDPR (and UK GDPR).
    DEADLINE_WITHOUT_DELAY = "unsubscribe.deadline.without_delay",
        source = "GDPR Art. 21(3); UK GDPR Art. 21(3)",
        summary = "an objection to direct marketing takes effect when it is received: no grace period";

    /// Disclosure: never sold, rented or shared for own marketing.
    DISCLOSURE_NEVER_SELL = "disclosure.never_sell",
        source = "privacy statement; Cal. Civ. Code 1798.120",
        summary = "personal data is never sold, rented or shared for a third party's own promotional use";
    /// Disclosure: payment card data to the processor alone.
    DISCLOSURE_CARD_PROCESSOR_ONLY = "disclosure.payment_card.processor_only",
        source = "privacy statement; PCI DSS",
        summary = "payment card data goes to the payment processor alone";
    /// Disclosure: credentials to nobody.
    DISCLOSURE_CREDENTIALS = "disclosure.credentials.nobody",
        source = "privacy statement",
        summary = "account credentials go to nobody";
    /// Disclosure: ad partners get anonymous data only.
    DISCLOSURE_AD_ANONYMOUS_ONLY = "disclosure.ad_partner.anonymous_only",
        source = "privacy statement (advertising)",
        summary = "ad partners get anonymous, non-personal data only";
    /// Disclosure: limits on what a referral partner gets.
    DISCLOSURE_REFERRAL_LIMITED = "disclosure.referral_partner.limited",
        source = "privacy statement (referral partners)",
        summary = "a referral partner never gets payment data, credentials, usage logs or uploaded contacts";
    /// Disclosure: transfers out of the EU, EEA or Switzerland.
    DISCLOSURE_TRANSFER_MECHANISM = "disclosure.transfer.mechanism_required",
        source = "GDPR Arts. 44-46; Swiss FADP Art. 16; EU-U.S. Data Privacy Framework",
        summary = "personal data of people in the EU, EEA or Switzerland leaves only under a recorded transfer mechanism";
    /// Disclosure: contracted service providers.
    DISCLOSURE_SERVICE_PROVIDER = "disclosure.service_provider",
        source = "privacy statement (service providers); GDPR Art. 28",
        summary = "a service provider whose contract forbids own use and requires confidentiality gets what the service needs";
    /// Disclosure: the payment processor.
    DISCLOSURE_PAYMENT_PROCESSOR = "disclosure.payment_processor",
        source = "privacy statement (payments)",
        summary = "the payment processor gets what a payment needs";
    /// Disclosure: the introducing partner.
    DISCLOSURE_REFERRAL_PARTNER = "disclosure.referral_partner",
        source = "privacy statement (referral partners)",
        summary = "the partner who introduced a customer gets limited account facts for attribution";
    /// Disclosure: legal process.
    DISCLOSURE_LEGAL_PROCESS = "disclosure.legal_process",
        source = "privacy statement (legal process)",
        summary = "disclosure under legal process is permitted and logged for audit";
    /// Disclosure: anonymous aggregates to ad partners.
    DISCLOSURE_AD_AGGREGATE = "disclosure.ad_partner.aggregate",
        source = "privacy statement (advertising)",
        summary = "ad partners may get anonymous aggregate data to measure advertising";
    /// Disclosure: employees and agents.
    DISCLOSURE_EMPLOYEE = "disclosure.employee",
        source = "privacy statement (employees and agents)",
        summary = "employees and agents see data for business purposes only";
    /// Disclosure: nothing permits the request.
    DISCLOSURE_DEFAULT_DENY = "disclosure.default_deny",
        source = "consentry fail-closed rule",
        summary = "a disclosure no rule permits is denied";
    /// Collection of card data or credentials over https only.
    DISCLOSURE_COLLECTION_HTTPS = "disclosure.collection.https",
        source = "privacy statement (encrypted transmission of sensitive account information)",
        summary = "a form asking for payment card data or credentials is served and posted over https";

    /// Retention: referral addresses.
    RETAIN_REFERRAL = "retention.referral_address",
        source = "privacy statement (refer-a-friend); GDPR Art. 5(1)(e)",
        summary = "a referred friend's address is kept until its one-time invite is sent and the attribution window closes";
    /// Retention: web logs.
    RETAIN_WEB_LOG = "retention.web_log",
        source = "retention policy; GDPR Art. 5(1)(e)",
        summary = "web logs are kept for the configured number of days";
    /// Retention: consent evidence.
    RETAIN_CONSENT_EVIDENCE = "retention.consent_evidence",
        source = "GDPR Art. 7(1); retention policy",
        summary = "consent evidence is kept while the relationship lasts and a configured period after";
    /// Retention: suppressions forever.
    RETAIN_SUPPRESSION = "retention.suppression_forever",
        source = "15 U.S.C. 7704(a)(4); privacy statement",
        summary = "suppression entries are kept forever, as a salted hash after erasure, so the person is never mailed again";

    /// Referral: once per friend per tenant.
    REFERRAL_ONCE = "referral.once",
        source = "privacy statement (one-time refer-a-friend mail)",
        summary = "a friend's address gets at most one invite from a tenant";
    /// Referral: never to a suppressed address.
    REFERRAL_SUPPRESSED = "referral.suppressed",
        source = "15 U.S.C. 7704(a)(4); 16 CFR 316.4 (forward-to-a-friend)",
        summary = "no invite to an address suppressed or opted out";
    /// Referral: no self-referral.
    REFERRAL_SELF = "referral.self",
        source = "consentry rule",
        summary = "a referrer cannot refer themselves";
    /// Referral: the invite may go out, creating no consent.
    REFERRAL_PERMITTED = "referral.permitted",
        source = "privacy statement (refer-a-friend)",
        summary = "the one invite may go out; it subscribes the friend to nothing and carries an opt-out";
    /// Referral: the friend's state is for another key.
    REFERRAL_MISMATCH = "referral.state_mismatch",
        source = "consentry fail-closed rule",
        summary = "a consent state for another address, tenant or list never authorises an invite";

    /// Notice: material changes are emailed.
    NOTICE_MATERIAL = "notice.material_change",
        source = "privacy statement (notice of material changes); FTC Act s. 5",
        summary = "a material policy change is emailed to everyone with an active relationship";
    /// Notice: every change on the home page.
    NOTICE_HOME_PAGE = "notice.home_page",
        source = "privacy statement (policy changes)",
        summary = "every policy change is announced on the home page";

    /// An implied consent is recorded, with the fact it rests on and its date.
    IMPLIED_CONSENT_GRANTED = "consent.implied.granted",
        source = "S.C. 2010, c. 23 (CASL) s. 10(9), (10), (13), (14)",
        summary = "an implied consent (purchase, contract, subscription, inquiry or application, conspicuous publication, disclosure) grants permission until it lapses";
    /// An implied consent is not accepted under the ledger policy.
    IMPLIED_CONSENT_NOT_ACCEPTED = "consent.implied.not_accepted",
        source = "ledger policy (host configuration)",
        summary = "an implied consent grants nothing unless the policy accepts implied consent (off by default: permission-based)";
    /// An implied consent lapsed: its period ran out.
    IMPLIED_CONSENT_LAPSED = "consent.implied.lapsed",
        source = "CASL s. 10(10)(a)-(e), (13), (14): two years after a purchase, contract end or subscription end; six months after an inquiry or application",
        summary = "implied consent lapses when its period runs out; express consent never lapses until withdrawn";

    /// CAN-SPAM: no prior consent needed; opt-outs honoured (an organisation's choice).
    JUR_CANSPAM_OPT_OUT_MODEL = "jurisdiction.can_spam.opt_out_model",
        source = "15 U.S.C. 7704(a)(3)-(5); 16 CFR 316.5",
        summary = "for a US recipient an organisation that chose CAN-SPAM's opt-out model may send commercial mail without prior consent while no opt-out is in force, labelled as an advertisement";
    /// CAN-SPAM: opt-outs take effect within 10 business days of receipt.
    JUR_CANSPAM_OPT_OUT_DEADLINE = "jurisdiction.can_spam.opt_out_deadline",
        source = "15 U.S.C. 7704(a)(4)(A); 16 CFR 316.5",
        summary = "no commercial mail more than 10 business days after an opt-out is received";
    /// CAN-SPAM: the unsubscribe must work for 30 days after each send.
    JUR_CANSPAM_UNSUBSCRIBE_WINDOW = "jurisdiction.can_spam.unsubscribe_window",
        source = "15 U.S.C. 7704(a)(3)(A)(ii)",
        summary = "the opt-out mechanism accepts requests for at least 30 days after the message is sent";
    /// CAN-SPAM: identification as an ad, opt-out notice, postal address.
    JUR_CANSPAM_CONTENT = "jurisdiction.can_spam.content",
        source = "15 U.S.C. 7704(a)(5)(A)(i)-(iii), (B)",
        summary = "a commercial message carries an advertisement label (unless sent with affirmative consent), an opt-out notice and a valid physical postal address";
    /// CASL: a commercial message needs express or (unlapsed) implied consent.
    JUR_CASL_CONSENT_REQUIRED = "jurisdiction.casl.consent_required",
        source = "S.C. 2010, c. 23 (CASL) s. 6(1)(a), 10(9)",
        summary = "a commercial electronic message to a Canadian recipient needs express consent, or implied consent that has not lapsed (and, for a published or disclosed address, a message relevant to the person's business role)";
    /// CASL: the sender bears the burden of proving consent.
    JUR_CASL_CONSENT_EVIDENCE = "jurisdiction.casl.consent_evidence",
        source = "CASL s. 13",
        summary = "the sender must prove consent: an imported list's attestation, or an opt-in recorded without a source or policy version, is not proof; an existing-customer opt-in without its purchase date cannot show implied consent still holds";
    /// CASL: opt-outs take effect within 10 business days.
    JUR_CASL_OPT_OUT_DEADLINE = "jurisdiction.casl.opt_out_deadline",
        source = "CASL s. 11(3)",
        summary = "an unsubscribe takes effect without delay and no later than 10 business days after it was sent";
    /// CASL: the unsubscribe must work for 60 days after each send.
    JUR_CASL_UNSUBSCRIBE_WINDOW = "jurisdiction.casl.unsubscribe_window",
        source = "CASL s. 11(2), 6(3)",
        summary = "the unsubscribe mechanism and the contact information stay valid for at least 60 days after the message is sent";
    /// CASL: sender identification, contact details, unsubscribe mechanism.
    JUR_CASL_CONTENT = "jurisdiction.casl.content",
        source = "CASL s. 6(2)(a)-(c), 11(1); Electronic Commerce Protection Regulations (CRTC), SOR/2012-36 ss. 2-3",
        summary = "a commercial message names its sender, gives a mailing address and a telephone number, email or web address, and carries an unsubscribe mechanism";
    /// EU: prior consent, or the soft opt-in for the sender's own similar products.
    JUR_EU_PRIOR_CONSENT = "jurisdiction.eu.prior_consent_required",
        source = "Directive 2002/58/EC (ePrivacy) Art. 13(1), (2); GDPR Art. 6(1)(a), 7",
        summary = "direct marketing email to an EU recipient needs prior consent, or the soft opt-in of an existing customer (own similar products, objection offered at collection and in every message)";
    /// EU: the controller must demonstrate consent.
    JUR_EU_CONSENT_EVIDENCE = "jurisdiction.eu.consent_evidence",
        source = "GDPR Art. 7(1), recital 42",
        summary = "the sender must be able to demonstrate the person's consent: an imported list's attestation, or an opt-in recorded without a source or policy version, does not";
    /// EU: an objection stops direct marketing at once.
    JUR_EU_OBJECTION_STOPS = "jurisdiction.eu.objection_stops_marketing",
        source = "GDPR Art. 21(2)-(3), 7(3); Art. 12(3) (reply within one month)",
        summary = "after an objection or withdrawal the data is no longer processed for direct marketing: no grace period";
    /// EU: sender identity and a valid opt-out address in every message.
    JUR_EU_CONTENT = "jurisdiction.eu.content",
        source = "Directive 2002/58/EC Art. 13(2), 13(4); GDPR Art. 21(4)",
        summary = "a marketing message does not disguise its sender and gives a valid address to object to further messages";
    /// UK: prior consent, or the soft opt-in.
    JUR_UK_PRIOR_CONSENT = "jurisdiction.uk.prior_consent_required",
        source = "Privacy and Electronic Communications (EC Directive) Regulations 2003 (SI 2003/2426) reg. 22(2), (3)",
        summary = "marketing email to a UK individual subscriber needs prior consent, or the soft opt-in of an existing customer with a simple means to refuse at collection and in every message";
    /// UK: the sender must be able to demonstrate consent.
    JUR_UK_CONSENT_EVIDENCE = "jurisdiction.uk.consent_evidence",
        source = "UK GDPR Art. 7(1)",
        summary = "the sender must be able to demonstrate the person's consent: an imported list's attestation, or an opt-in recorded without a source or policy version, does not";
    /// UK: an objection stops marketing at once.
    JUR_UK_OBJECTION_STOPS = "jurisdiction.uk.objection_stops_marketing",
        source = "UK GDPR Art. 21(3); PECR reg. 22(3)(c)",
        summary = "after an objection the person gets no more marketing: no grace period";
    /// UK: sender identity and a valid opt-out address in every message.
    JUR_UK_CONTENT = "jurisdiction.uk.content",
        source = "PECR reg. 23(a)-(b)",
        summary = "a marketing message does not conceal its sender and gives a valid address for opt-out requests";
    /// A recipient's jurisdiction has no regime modelled: the organisation's policy alone decides.
    JUR_NONE = "jurisdiction.none",
        source = "consentry (regimes modelled: CAN-SPAM, CASL, GDPR and ePrivacy, PECR)",
        summary = "for a recipient outside the modelled regimes only the organisation's own policy decides";
    /// Lint: the body does not name the sender.
    LINT_SENDER_IDENTIFICATION = "lint.sender_identification",
        source = "CASL s. 6(2)(a); SOR/2012-36 s. 2(1)(a); ePrivacy Art. 13(4); PECR reg. 23(a)",
        summary = "the body names the sender (the business name of the sender profile)";
    /// Lint: the body lacks the sender's contact details.
    LINT_CONTACT_INFORMATION = "lint.contact_information",
        source = "CASL s. 6(2)(b); SOR/2012-36 s. 2(1)(d)",
        summary = "the body gives the sender's mailing address and a telephone number, email address or web address";
    /// Lint: the unsubscribe stops working before the regime's minimum.
    LINT_UNSUBSCRIBE_WINDOW = "lint.unsubscribe_window",
        source = "15 U.S.C. 7704(a)(3)(A)(ii) (30 days); CASL s. 11(2) (60 days)",
        summary = "unsubscribe tokens stay valid at least as long as the strictest regime of the audience requires";

    /// Lint: a promotional message sent on an implied basis lacks an ad label.
    LINT_AD_LABEL = "lint.advertisement_label",
        source = "15 U.S.C. 7704(a)(5)(A)(i), (B)",
        summary = "promotional mail sent without affirmative consent is identified as an advertisement";
}

/// The catalogue as a Markdown table (what `RULES.md` holds), for audit
/// binders and docs.
pub fn markdown() -> String {
    let mut out = String::from(
        "# consentry rule catalogue\n\n\
         Every rule id consentry can put in a decision, with the source it comes from.\n\
         Generated from `consentry::catalogue::CATALOGUE` (`cargo run --example rules`).\n\n\
         | rule id | what it says | source |\n|---|---|---|\n",
    );
    for r in CATALOGUE {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.id,
            r.summary.replace('|', "\\|"),
            r.source.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_are_unique_and_dotted() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in CATALOGUE {
            assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
            assert!(rule.id.split('.').count() >= 2, "{} is not dotted", rule.id);
            assert!(!rule.source.is_empty() && !rule.summary.is_empty());
        }
    }
}
