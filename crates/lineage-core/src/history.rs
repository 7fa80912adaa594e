//! Lineage through time (issue #12): RFC 3339 moments, a repo's commits, the card state at a commit,
//! the commit a repo is read at for `--as-of`, and the bisection that finds where a card changed.
//!
//! Pure: the commits and the cards at commits are fetched by `lineage-hub` (`history.rs`); this module
//! decides which commit to read next and what changed. The `license-changed` finding lives in
//! [`relicense`].

pub mod relicense;

use crate::graph::Declared;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// A point in time, in seconds since the Unix epoch (UTC), parsed from RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(pub i64);

/// Why a date could not be read.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{text:?} is not an RFC 3339 date (2024-01-01) or date-time (2024-01-01T12:00:00Z): {why}")]
pub struct DateError {
    /// What was given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), by the days-from-civil algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

impl Moment {
    /// Reads an RFC 3339 date-time (`2023-05-31T09:00:00.000Z`, `...+02:00`) or a full date, which
    /// stands for its first second (UTC).
    pub fn parse(text: &str) -> Result<Moment, DateError> {
        Moment::parse_with(text, false)
    }

    /// Like [`Moment::parse`], but a full date stands for its last second: `--as-of 2024-01-01`
    /// includes what was committed that day.
    pub fn parse_bound(text: &str) -> Result<Moment, DateError> {
        Moment::parse_with(text, true)
    }

    fn parse_with(text: &str, end_of_day: bool) -> Result<Moment, DateError> {
        let err = |why| DateError {
            text: text.to_string(),
            why,
        };
        let t = text.trim();
        let (date, time) = match t.find(['T', 't', ' ']) {
            Some(i) => (&t[..i], Some(&t[i + 1..])),
            None => (t, None),
        };
        let mut parts = date.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err("the date must be YYYY-MM-DD"));
        };
        let (Some(y), Some(m), Some(d)) = (digits(y), digits(m), digits(d)) else {
            return Err(err("the date must be YYYY-MM-DD"));
        };
        if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m)
        {
            return Err(err("no such day"));
        }
        let day = days_from_civil(y, m, d) * 86_400;
        let Some(time) = time else {
            return Ok(Moment(if end_of_day { day + 86_399 } else { day }));
        };
        // HH:MM:SS[.frac](Z|±HH:MM)
        let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
            Some(i) => (&time[..i], &time[i..]),
            None => return Err(err("a date-time needs a zone (Z or ±HH:MM)")),
        };
        let clock = clock.split('.').next().unwrap_or_default();
        let mut hms = clock.split(':');
        let (Some(h), Some(mi), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next())
        else {
            return Err(err("the time must be HH:MM:SS"));
        };
        let (Some(h), Some(mi), Some(s)) = (digits(h), digits(mi), digits(s)) else {
            return Err(err("the time must be HH:MM:SS"));
        };
        if h > 23 || mi > 59 || s > 60 {
            return Err(err("no such time"));
        }
        let offset = match offset {
            "Z" | "z" => 0,
            o => {
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let mut hm = o[1..].split(':');
                match (
                    hm.next().and_then(digits),
                    hm.next().and_then(digits),
                    hm.next(),
                ) {
                    (Some(oh), Some(om), None) if oh < 24 && om < 60 => {
                        sign * (oh * 3600 + om * 60)
                    }
                    _ => return Err(err("the zone must be Z or ±HH:MM")),
                }
            }
        };
        Ok(Moment(day + h * 3600 + mi * 60 + s.min(59) - offset))
    }

    /// `YYYY-MM-DD` (UTC).
    pub fn date(self) -> String {
        crate::graph::utc_date(self.0)
    }
}

impl fmt::Display for Moment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.date())
    }
}

/// The moment a lineage is read at (`--as-of`), with the text the user gave, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsOf {
    /// The last second that counts.
    pub moment: Moment,
    /// As given (`2024-01-01`).
    pub text: String,
}

impl AsOf {
    /// Parses `--as-of`: an RFC 3339 date (the whole day counts) or date-time.
    pub fn parse(text: &str) -> Result<AsOf, DateError> {
        Ok(AsOf {
            moment: Moment::parse_bound(text)?,
            text: text.trim().to_string(),
        })
    }
}

/// One commit of a repo, as the Hub lists it (`GET /api/models/{id}/commits/{rev}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// The commit sha.
    pub id: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// RFC 3339 date-time.
    pub date: String,
}

impl Commit {
    /// When it was made; `None` for a date the Hub wrote in another form.
    pub fn moment(&self) -> Option<Moment> {
        Moment::parse(&self.date).ok()
    }
}

/// The commit a repo is read at for `as_of`: the newest at or before it. `commits` is newest first
/// (the Hub's order); `None` when the repo had no commit yet (it did not exist). A commit whose date
/// cannot be read is never chosen (fail closed: the repo is then treated as not existing yet).
pub fn commit_at(commits: &[Commit], as_of: Moment) -> Option<&Commit> {
    commits
        .iter()
        .find(|c| c.moment().is_some_and(|m| m <= as_of))
}

/// The lineage-relevant part of a card at one commit: what `history` compares.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardState {
    /// `license` (with `license_name` when the card says `other`).
    pub license: Vec<String>,
    /// `base_model`.
    pub base_model: Vec<String>,
    /// `datasets` (and `source_datasets` for dataset cards).
    pub datasets: Vec<String>,
}

impl CardState {
    /// The state a card declares.
    pub fn of(d: &Declared) -> CardState {
        let mut license = d.license.clone();
        if let Some(name) = &d.license_name {
            license.push(name.clone());
        }
        let mut datasets = d.datasets.clone();
        datasets.extend(d.source_datasets.iter().cloned());
        CardState {
            license,
            base_model: d.base_model.clone(),
            datasets,
        }
    }
}

/// A card field `history` follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `license` (and `license_name`).
    License,
    /// `base_model`.
    BaseModel,
    /// `datasets` / `source_datasets`.
    Datasets,
}

impl Field {
    /// The card key.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::License => "license",
            Field::BaseModel => "base_model",
            Field::Datasets => "datasets",
        }
    }
}

/// A change of one field at one commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Which field.
    pub field: Field,
    /// The commit that changed it.
    pub commit: String,
    /// Its date (RFC 3339, as the Hub wrote it).
    pub date: String,
    /// The value before.
    pub from: Vec<String>,
    /// The value after.
    pub to: Vec<String>,
}

/// The fields that differ between two states, as changes made by `commit`.
pub fn changes(before: &CardState, after: &CardState, commit: &Commit) -> Vec<FieldChange> {
    [
        (Field::License, &before.license, &after.license),
        (Field::BaseModel, &before.base_model, &after.base_model),
        (Field::Datasets, &before.datasets, &after.datasets),
    ]
    .into_iter()
    .filter(|(_, a, b)| a != b)
    .map(|(field, a, b)| FieldChange {
        field,
        commit: commit.id.clone(),
        date: commit.date.clone(),
        from: a.clone(),
        to: b.clone(),
    })
    .collect()
}

/// Finds the commits at which a card's state changed, reading as few commits as possible.
///
/// Commits are numbered oldest first (`0..n`). The two ends are read first; an interval whose ends
/// hold equal states is assumed to hold no change (a change reverted inside it is missed: see
/// docs/semantics.md), an interval of adjacent commits with different ends holds one change, and any
/// other interval is split at its middle. With `k` changes among `n` commits this reads
/// O(k log n) commits instead of `n`.
///
/// ```
/// use lineage_core::history::{Bisect, CardState};
///
/// let states: Vec<CardState> = (0..60)
///     .map(|i| CardState { license: vec![if i < 20 { "other".into() } else { "mit".into() }], ..Default::default() })
///     .collect();
/// let mut b = Bisect::new(states.len());
/// while let Some(i) = b.next_read() {
///     b.supply(i, states[i].clone());
/// }
/// assert_eq!(b.changed_at(), vec![20]);
/// assert!(b.reads() < 15);
/// ```
#[derive(Clone, Debug)]
pub struct Bisect {
    n: usize,
    known: BTreeMap<usize, CardState>,
    intervals: Vec<(usize, usize)>,
    changed: Vec<usize>,
    started: bool,
}

impl Bisect {
    /// A bisection over `n` commits.
    pub fn new(n: usize) -> Bisect {
        Bisect {
            n,
            known: BTreeMap::new(),
            intervals: Vec::new(),
            changed: Vec::new(),
            started: false,
        }
    }

    /// The next commit (oldest-first index) whose state is needed, or `None` when done.
    pub fn next_read(&mut self) -> Option<usize> {
        if self.n == 0 {
            return None;
        }
        for end in [self.n - 1, 0] {
            if !self.known.contains_key(&end) {
                return Some(end);
            }
        }
        if !self.started {
            self.started = true;
            if self.n > 1 {
                self.intervals.push((0, self.n - 1));
            }
        }
        while let Some((lo, hi)) = self.intervals.pop() {
            if self.known[&lo] == self.known[&hi] {
                continue;
            }
            if hi == lo + 1 {
                self.changed.push(hi);
                continue;
            }
            let mid = lo + (hi - lo) / 2;
            if !self.known.contains_key(&mid) {
                self.intervals.push((lo, hi));
                return Some(mid);
            }
            // Newer half pushed first so the older half is settled first (no effect on the result).
            self.intervals.push((mid, hi));
            self.intervals.push((lo, mid));
        }
        None
    }

    /// Gives the state at commit `i`.
    pub fn supply(&mut self, i: usize, state: CardState) {
        self.known.insert(i, state);
    }

    /// The state read at commit `i`, if it was read.
    pub fn state(&self, i: usize) -> Option<&CardState> {
        self.known.get(&i)
    }

    /// How many commits were read.
    pub fn reads(&self) -> usize {
        self.known.len()
    }

    /// The commits (oldest-first indices, ascending) whose state differs from the one before.
    pub fn changed_at(&self) -> Vec<usize> {
        let mut c = self.changed.clone();
        c.sort_unstable();
        c.dedup();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_date_times() {
        assert_eq!(Moment::parse("1970-01-01").unwrap(), Moment(0));
        assert_eq!(
            Moment::parse("1970-01-02T00:00:00Z").unwrap(),
            Moment(86_400)
        );
        assert_eq!(
            Moment::parse("2023-05-31T09:00:00.000Z").unwrap(),
            Moment::parse("2023-05-31T11:00:00+02:00").unwrap()
        );
        assert_eq!(Moment::parse("2024-02-29").unwrap().date(), "2024-02-29");
        assert_eq!(
            Moment::parse_bound("2024-01-01").unwrap().0 + 1,
            Moment::parse("2024-01-02").unwrap().0
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-1x",
            "yesterday",
            "2024-01-01T10:00:00",
            "2024-01-01T25:00:00Z",
            "",
        ] {
            assert!(Moment::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(AsOf::parse(" 2024-01-01 ").unwrap().text, "2024-01-01");
    }

    fn commit(id: &str, date: &str) -> Commit {
        Commit {
            id: id.into(),
            title: String::new(),
            date: date.into(),
        }
    }

    #[test]
    fn the_commit_read_as_of_a_date_is_the_last_at_or_before_it() {
        let newest_first = [
            commit("c", "2024-01-20T00:00:00Z"),
            commit("b", "2023-05-31T09:00:00Z"),
            commit("a", "2023-05-24T12:00:00Z"),
        ];
        let at = |d: &str| {
            commit_at(&newest_first, Moment::parse_bound(d).unwrap()).map(|c| c.id.as_str())
        };
        assert_eq!(at("2023-05-31"), Some("b"));
        assert_eq!(at("2023-05-30"), Some("a"));
        assert_eq!(at("2030-01-01"), Some("c"));
        assert_eq!(at("2023-05-23"), None);
    }

    fn run(states: &[CardState]) -> (Vec<usize>, usize) {
        let mut b = Bisect::new(states.len());
        while let Some(i) = b.next_read() {
            b.supply(i, states[i].clone());
        }
        (b.changed_at(), b.reads())
    }

    fn lic(l: &str) -> CardState {
        CardState {
            license: vec![l.into()],
            ..CardState::default()
        }
    }

    #[test]
    fn bisection_finds_every_change_with_few_reads() {
        // 60 commits, relicensed at 17 and again at 44.
        let states: Vec<CardState> = (0..60)
            .map(|i| {
                lic(if i < 17 {
                    "other"
                } else if i < 44 {
                    "apache-2.0"
                } else {
                    "cc-by-nc-4.0"
                })
            })
            .collect();
        let (changed, reads) = run(&states);
        assert_eq!(changed, vec![17, 44]);
        assert!(reads <= 2 + 2 * 6, "{reads} reads");
        // No change: the two ends only.
        assert_eq!(run(&vec![lic("mit"); 60]), (vec![], 2));
        assert_eq!(run(&[lic("mit")]), (vec![], 1));
        assert_eq!(run(&[]), (vec![], 0));
        assert_eq!(run(&[lic("a"), lic("b")]).0, vec![1]);
    }

    #[test]
    fn a_change_reverted_between_two_reads_is_missed_as_documented() {
        let mut states = vec![lic("mit"); 9];
        states[4] = lic("cc-by-nc-4.0");
        // Ends equal: the interval is assumed unchanged.
        assert_eq!(run(&states).0, Vec::<usize>::new());
    }

    #[test]
    fn changes_name_each_field() {
        let before = CardState {
            license: vec!["other".into(), "falcon-llm-license".into()],
            base_model: vec![],
            datasets: vec!["a/b".into()],
        };
        let after = CardState {
            license: vec!["apache-2.0".into()],
            base_model: vec![],
            datasets: vec!["a/b".into()],
        };
        let c = changes(&before, &after, &commit("x", "2023-05-31T09:00:00Z"));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, Field::License);
        assert_eq!(c[0].to, vec!["apache-2.0".to_string()]);
    }
}
