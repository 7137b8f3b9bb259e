//! Opt-out deadlines on a business-day calendar.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Reason};

/// A rule on how fast an opt-out must be honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOutRule {
    /// CAN-SPAM: within 10 business days of receipt (15 U.S.C.
    /// 7704(a)(4)(A); 16 CFR 316.5).
    CanSpam,
    /// The mailbox providers' bulk-sender requirements (2024): honour
    /// one-click unsubscribes within 2 days (48 hours).
    BulkSender,
    /// CASL: without delay, and by the end of the 10th business day after
    /// the unsubscribe was sent (S.C. 2010, c. 23, s. 11(3)); use a Canadian
    /// calendar ([`BusinessCalendar::canada_federal`]).
    Casl,
    /// GDPR (and UK GDPR) Art. 21(3): an objection to direct marketing
    /// takes effect when it is received, with no grace period.
    WithoutDelay,
}

impl OptOutRule {
    /// The rule's stable id (in [`CATALOGUE`](crate::CATALOGUE)).
    pub fn rule(self) -> crate::RuleId {
        match self {
            OptOutRule::CanSpam => crate::catalogue::ids::DEADLINE_CANSPAM,
            OptOutRule::BulkSender => crate::catalogue::ids::DEADLINE_BULK_SENDER,
            OptOutRule::Casl => crate::catalogue::ids::DEADLINE_CASL,
            OptOutRule::WithoutDelay => crate::catalogue::ids::DEADLINE_WITHOUT_DELAY,
        }
    }

    fn sentence(self) -> &'static str {
        match self {
            OptOutRule::CanSpam => "CAN-SPAM: by the end of the 10th business day after receipt",
            OptOutRule::BulkSender => "bulk-sender rules: within 48 hours of receipt",
            OptOutRule::Casl => "CASL: by the end of the 10th business day after it was sent",
            OptOutRule::WithoutDelay => "GDPR Art. 21(3): at once, no grace period",
        }
    }
}

/// Why a calendar cannot be used.
///
/// A configuration error: fix the calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// Every day of the week is a weekend day: no business day exists.
    #[error("every day of the week is a weekend day")]
    NoBusinessDay,
    /// More than 10,000 holidays.
    #[error("{0} holidays; at most 10000 are allowed")]
    TooManyHolidays(usize),
    /// The UTC offset is beyond ±18 hours.
    #[error("UTC offset of {0} seconds is out of range")]
    BadOffset(i32),
}

#[derive(Deserialize)]
struct RawCalendar {
    #[serde(default = "default_weekend")]
    weekend: Vec<Weekday>,
    #[serde(default)]
    holidays: BTreeSet<NaiveDate>,
    #[serde(default)]
    utc_offset_seconds: i32,
}

fn default_weekend() -> Vec<Weekday> {
    vec![Weekday::Sat, Weekday::Sun]
}

/// Which days are business days, and in which fixed UTC offset a day starts.
///
/// Serde-loadable (`{"weekend": ["Sat", "Sun"], "holidays": ["2026-12-25"],
/// "utc_offset_seconds": -18000}`) through the same checks as
/// [`BusinessCalendar::new`]. The offset is fixed: daylight saving time is
/// not modelled, so choose the offset that gives the earlier deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawCalendar")]
pub struct BusinessCalendar {
    weekend: Vec<Weekday>,
    holidays: BTreeSet<NaiveDate>,
    utc_offset_seconds: i32,
}

impl TryFrom<RawCalendar> for BusinessCalendar {
    type Error = CalendarError;
    fn try_from(raw: RawCalendar) -> Result<Self, CalendarError> {
        BusinessCalendar::new(raw.weekend, raw.holidays, raw.utc_offset_seconds)
    }
}

impl Default for BusinessCalendar {
    /// Saturday and Sunday off, no holidays, UTC.
    fn default() -> Self {
        BusinessCalendar {
            weekend: default_weekend(),
            holidays: BTreeSet::new(),
            utc_offset_seconds: 0,
        }
    }
}

/// The `n`th `weekday` of `month` (1-based), or the last one for `n = 0`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Option<NaiveDate> {
    if n == 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut d = next.pred_opt()?;
        while d.weekday() != weekday {
            d = d.pred_opt()?;
        }
        return Some(d);
    }
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(n).ok()?)
}

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous
/// Gregorian algorithm, "Meeus/Jones/Butcher").
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// A fixed-date holiday moved to Friday when on a Saturday and to Monday
/// when on a Sunday (5 U.S.C. 6103(b); OPM).
fn observed(d: NaiveDate) -> Option<NaiveDate> {
    match d.weekday() {
        Weekday::Sat => d.pred_opt(),
        Weekday::Sun => d.succ_opt(),
        _ => Some(d),
    }
}

impl BusinessCalendar {
    /// A calendar from its weekend days, holidays and UTC offset.
    ///
    /// # Errors
    ///
    /// [`CalendarError`] when no day is a business day, there are more than
    /// 10,000 holidays, or the offset is beyond ±18 hours.
    pub fn new(
        weekend: Vec<Weekday>,
        holidays: BTreeSet<NaiveDate>,
        utc_offset_seconds: i32,
    ) -> Result<Self, CalendarError> {
        let distinct: BTreeSet<u32> = weekend.iter().map(|d| d.num_days_from_monday()).collect();
        if distinct.len() >= 7 {
            return Err(CalendarError::NoBusinessDay);
        }
        if holidays.len() > 10_000 {
            return Err(CalendarError::TooManyHolidays(holidays.len()));
        }
        if FixedOffset::east_opt(utc_offset_seconds).is_none() {
            return Err(CalendarError::BadOffset(utc_offset_seconds));
        }
        Ok(BusinessCalendar {
            weekend,
            holidays,
            utc_offset_seconds,
        })
    }

    /// The US federal holidays of `year` as observed (5 U.S.C. 6103): New
    /// Year's Day, Martin Luther King Jr. Day, Washington's Birthday,
    /// Memorial Day, Juneteenth (from 2021), Independence Day, Labor Day,
    /// Columbus Day, Veterans Day, Thanksgiving and Christmas. A fixed-date
    /// holiday on a Saturday is observed on the Friday before (so the next
    /// New Year's Day may be observed on 31 December of `year`), on a Sunday
    /// on the Monday after.
    pub fn us_federal_holidays(year: i32) -> Vec<NaiveDate> {
        let fixed = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).and_then(observed);
        let mut out: Vec<Option<NaiveDate>> = vec![
            fixed(1, 1),
            nth_weekday(year, 1, Weekday::Mon, 3),
            nth_weekday(year, 2, Weekday::Mon, 3),
            nth_weekday(year, 5, Weekday::Mon, 0),
            if year >= 2021 { fixed(6, 19) } else { None },
            fixed(7, 4),
            nth_weekday(year, 9, Weekday::Mon, 1),
            nth_weekday(year, 10, Weekday::Mon, 2),
            fixed(11, 11),
            nth_weekday(year, 11, Weekday::Thu, 4),
            fixed(12, 25),
        ];
        // Next year's New Year's Day, observed this year when it is a Saturday.
        out.push(
            year.checked_add(1)
                .and_then(|next| NaiveDate::from_ymd_opt(next, 1, 1))
                .filter(|d| d.weekday() == Weekday::Sat)
                .and_then(|d| d.pred_opt()),
        );
        let mut days: Vec<NaiveDate> = out
            .into_iter()
            .flatten()
            .filter(|d| d.year() == year)
            .collect();
        days.sort();
        days
    }

    /// A Saturday/Sunday calendar with the US federal holidays of `years`,
    /// at a fixed UTC offset.
    ///
    /// # Errors
    ///
    /// [`CalendarError::BadOffset`].
    pub fn us_federal(
        years: std::ops::RangeInclusive<i32>,
        utc_offset_seconds: i32,
    ) -> Result<Self, CalendarError> {
        let holidays = years.flat_map(Self::us_federal_holidays).collect();
        Self::new(default_weekend(), holidays, utc_offset_seconds)
    }

    /// Canada's federal holidays of `year` (Interpretation Act, R.S.C. 1985,
    /// c. I-21, s. 35): New Year's Day, Good Friday, Easter Monday, Victoria
    /// Day (the Monday before 25 May), Canada Day (1 July, or 2 July when
    /// the 1st is a Sunday), Labour Day, the National Day for Truth and
    /// Reconciliation (30 September, from 2021), Thanksgiving (the second
    /// Monday of October), Remembrance Day and Christmas Day. Boxing Day
    /// and provincial holidays are not federal holidays (so they count as
    /// business days: a deadline never errs late).
    pub fn canada_federal_holidays(year: i32) -> Vec<NaiveDate> {
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
        let easter = easter_sunday(year);
        let canada_day = day(7, 1).map(|d| {
            if d.weekday() == Weekday::Sun {
                d.succ_opt().unwrap_or(d)
            } else {
                d
            }
        });
        // Victoria Day: the last Monday before 25 May.
        let victoria = day(5, 24).map(|mut d| {
            while d.weekday() != Weekday::Mon {
                d = d.pred_opt().unwrap_or(d);
            }
            d
        });
        let mut days: Vec<NaiveDate> = [
            day(1, 1),
            easter.and_then(|e| e.checked_sub_days(chrono::Days::new(2))),
            easter.and_then(|e| e.succ_opt()),
            victoria,
            canada_day,
            nth_weekday(year, 9, Weekday::Mon, 1),
            if year >= 2021 { day(9, 30) } else { None },
            nth_weekday(year, 10, Weekday::Mon, 2),
            day(11, 11),
            day(12, 25),
        ]
        .into_iter()
        .flatten()
        .collect();
        days.sort();
        days
    }

    /// A Saturday/Sunday calendar with Canada's federal holidays of
    /// `years`, at a fixed UTC offset (Ottawa's standard time is -5 hours).
    ///
    /// # Errors
    ///
    /// [`CalendarError::BadOffset`].
    pub fn canada_federal(
        years: std::ops::RangeInclusive<i32>,
        utc_offset_seconds: i32,
    ) -> Result<Self, CalendarError> {
        let holidays = years.flat_map(Self::canada_federal_holidays).collect();
        Self::new(default_weekend(), holidays, utc_offset_seconds)
    }

    fn offset(&self) -> Option<FixedOffset> {
        FixedOffset::east_opt(self.utc_offset_seconds)
    }

    /// Whether a (local) date is a business day.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.weekend.contains(&date.weekday()) && !self.holidays.contains(&date)
    }

    /// The holidays.
    pub fn holidays(&self) -> &BTreeSet<NaiveDate> {
        &self.holidays
    }

    /// The end (last second) of the `n`th business day after the local date
    /// of `at`.
    fn end_of_nth_business_day(&self, at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        // Ten calendar days are never later than ten business days: the
        // fallback, unreachable for a validated calendar, errs early.
        let fallback = crate::time::add(at, TimeDelta::days(i64::from(n)));
        let Some(offset) = self.offset() else {
            return fallback;
        };
        // Local time by checked arithmetic: at chrono's limits a shift by
        // the offset can leave the representable range (saturate instead).
        let shift = TimeDelta::seconds(i64::from(offset.local_minus_utc()));
        let Some(local) = at.naive_utc().checked_add_signed(shift) else {
            return fallback;
        };
        let mut date = local.date();
        let mut counted = 0;
        // A validated calendar has a business day every week and finitely
        // many holidays, so this ends; the bound is a second guard.
        for _ in 0..(366 * 40) {
            if counted == n {
                break;
            }
            match date.succ_opt() {
                Some(d) => date = d,
                None => break,
            }
            if self.is_business_day(date) {
                counted += 1;
            }
        }
        let end = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
        end.checked_sub_signed(shift)
            .map(|utc| utc.and_utc())
            .unwrap_or(fallback)
    }
}

/// When an opt-out must have taken effect, and which rule set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The latest moment the opt-out may take effect.
    pub at: DateTime<Utc>,
    /// The rule that gave this (the strictest of those configured).
    pub rule: OptOutRule,
}

impl std::fmt::Display for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "by {}", self.at)
    }
}

/// The opt-out deadline rules in force and the business-day calendar they
/// count on: the rules [`OptOutDeadlines::decide`] applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptOutDeadlines {
    rules: Vec<OptOutRule>,
    calendar: BusinessCalendar,
}

impl OptOutDeadlines {
    /// The rules in force (the strictest wins; CAN-SPAM alone when none is
    /// given, since the law applies regardless) on a calendar.
    pub fn new(rules: impl IntoIterator<Item = OptOutRule>, calendar: BusinessCalendar) -> Self {
        let mut rules: Vec<OptOutRule> = rules.into_iter().collect();
        if rules.is_empty() {
            rules.push(OptOutRule::CanSpam);
        }
        OptOutDeadlines { rules, calendar }
    }

    /// The rules in force.
    pub fn rules(&self) -> &[OptOutRule] {
        &self.rules
    }

    /// The calendar.
    pub fn calendar(&self) -> &BusinessCalendar {
        &self.calendar
    }

    /// The deadline for honouring an opt-out received at `received_at`:
    /// the earliest of the rules in force. CAN-SPAM's ends with the 10th
    /// business day after the day of receipt, in the calendar's offset; the
    /// bulk-sender rule's 48 hours after receipt. The reason names the rule
    /// that set it.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::unsubscribe::{BusinessCalendar, OptOutDeadlines, OptOutRule};
    ///
    /// let calendar = BusinessCalendar::us_federal(2026..=2027, 0)?;
    /// // Friday before Thanksgiving week.
    /// let received = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
    /// let canspam = OptOutDeadlines::new([OptOutRule::CanSpam], calendar.clone());
    /// assert_eq!(canspam.decide(received).outcome().at, Utc.with_ymd_and_hms(2026, 12, 7, 23, 59, 59).unwrap());
    /// let both = OptOutDeadlines::new([OptOutRule::CanSpam, OptOutRule::BulkSender], calendar);
    /// let d = both.decide(received);
    /// assert_eq!(d.outcome().at, Utc.with_ymd_and_hms(2026, 11, 22, 15, 0, 0).unwrap());
    /// assert_eq!(d.rule().as_str(), "unsubscribe.deadline.bulk_sender_48_hours");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide(&self, received_at: DateTime<Utc>) -> Decision<Deadline> {
        let at = |rule: OptOutRule| match rule {
            OptOutRule::CanSpam => self.calendar.end_of_nth_business_day(received_at, 10),
            OptOutRule::BulkSender => crate::time::add(received_at, TimeDelta::hours(48)),
            // CASL counts from when the unsubscribe was sent; pass that
            // instant as `received_at` when the request carries it (an
            // email's Date), else the receipt, which may be later.
            OptOutRule::Casl => self.calendar.end_of_nth_business_day(received_at, 10),
            OptOutRule::WithoutDelay => received_at,
        };
        let deadline = self
            .rules
            .iter()
            .map(|r| Deadline {
                at: at(*r),
                rule: *r,
            })
            .min_by_key(|d| d.at)
            .unwrap_or(Deadline {
                at: at(OptOutRule::CanSpam),
                rule: OptOutRule::CanSpam,
            });
        let reason = Reason::new(
            deadline.rule.rule(),
            format!(
                "received {received_at}; takes effect by {} ({})",
                deadline.at,
                deadline.rule.sentence()
            ),
        );
        Decision::new(deadline, reason)
    }
}
