//! License terms: the unit that propagation carries from ancestors to derivatives.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One obligation or restriction a license attaches to a model or dataset and its derivatives.
///
/// Terms are what the knowledge base resolves a license to and what propagation carries down edges;
/// verdicts are computed from the effective set of terms only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Term {
    /// Commercial use is forbidden (also research-only licenses).
    NonCommercial,
    /// Derivatives may not be distributed at all.
    NoDerivatives,
    /// Derivatives must carry `license` or a compatible one.
    ShareAlike {
        /// The knowledge-base id of the license derivatives must carry.
        license: String,
    },
    /// Behavioural restrictions that must be passed on to every downstream user.
    UsePolicy {
        /// The policy's name, e.g. "Llama 2 Acceptable Use Policy".
        policy: String,
    },
    /// A separate license is needed above this many monthly active users.
    UserThreshold {
        /// Monthly active users.
        users: u64,
    },
    /// A separate license is needed above this annual revenue.
    RevenueThreshold {
        /// Annual revenue in US dollars.
        usd: u64,
    },
    /// Attribution text that must be displayed, e.g. "Built with Llama".
    Attribution {
        /// The text to display.
        text: String,
    },
    /// Names of derivatives must start with this prefix.
    NamePrefix {
        /// The required prefix, e.g. "Llama".
        prefix: String,
    },
    /// Outputs may not be used to improve other model families.
    NoOutputTraining {
        /// The family that may still be improved, e.g. "Llama 2 and its derivatives".
        except: String,
    },
    /// Rights are withheld in a region for some scope.
    RegionExclusion {
        /// The region, e.g. "EU".
        region: String,
        /// What the exclusion covers, e.g. "multimodal models".
        scope: String,
    },
    /// The terms of a model or service that generated training data bind what is built with that
    /// data (e.g. OpenAI: not to develop competing models); a contract on whoever generated or uses
    /// the outputs, not a copyright license.
    OutputTerms {
        /// Who sets the terms, e.g. "OpenAI".
        provider: String,
        /// What the terms require of a model trained on the outputs.
        text: String,
    },
    /// The license text or a notice must be shipped; routine, never makes a verdict conditional.
    Notice,
    /// We cannot say what is granted: missing license, unknown license, unreachable repo, cycle, ...
    Unknown {
        /// Why the terms are unknown.
        why: String,
    },
}

/// The kind of a [`Term`], without its parameters; used in policies and condition lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TermKind {
    /// See [`Term::NonCommercial`].
    NonCommercial,
    /// See [`Term::NoDerivatives`].
    NoDerivatives,
    /// See [`Term::ShareAlike`].
    ShareAlike,
    /// See [`Term::UsePolicy`].
    UsePolicy,
    /// See [`Term::UserThreshold`].
    UserThreshold,
    /// See [`Term::RevenueThreshold`].
    RevenueThreshold,
    /// See [`Term::Attribution`].
    Attribution,
    /// See [`Term::NamePrefix`].
    NamePrefix,
    /// See [`Term::NoOutputTraining`].
    NoOutputTraining,
    /// See [`Term::RegionExclusion`].
    RegionExclusion,
    /// See [`Term::OutputTerms`].
    OutputTerms,
    /// See [`Term::Notice`].
    Notice,
    /// See [`Term::Unknown`].
    Unknown,
}

impl TermKind {
    /// Every kind, in a stable order.
    pub const ALL: [TermKind; 13] = [
        TermKind::NonCommercial,
        TermKind::NoDerivatives,
        TermKind::ShareAlike,
        TermKind::UsePolicy,
        TermKind::UserThreshold,
        TermKind::RevenueThreshold,
        TermKind::Attribution,
        TermKind::NamePrefix,
        TermKind::NoOutputTraining,
        TermKind::RegionExclusion,
        TermKind::OutputTerms,
        TermKind::Notice,
        TermKind::Unknown,
    ];

    /// The kebab-case name used in the CLI, JSON and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            TermKind::NonCommercial => "non-commercial",
            TermKind::NoDerivatives => "no-derivatives",
            TermKind::ShareAlike => "share-alike",
            TermKind::UsePolicy => "use-policy",
            TermKind::UserThreshold => "user-threshold",
            TermKind::RevenueThreshold => "revenue-threshold",
            TermKind::Attribution => "attribution",
            TermKind::NamePrefix => "name-prefix",
            TermKind::NoOutputTraining => "no-output-training",
            TermKind::RegionExclusion => "region-exclusion",
            TermKind::OutputTerms => "output-terms",
            TermKind::Notice => "notice",
            TermKind::Unknown => "unknown",
        }
    }

    /// Parses a kebab-case kind name.
    pub fn parse(s: &str) -> Option<TermKind> {
        TermKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a term of this kind makes a verdict `conditional` (rather than forbidden, unknown or nothing).
    pub fn is_condition(self) -> bool {
        !matches!(
            self,
            TermKind::NonCommercial
                | TermKind::NoDerivatives
                | TermKind::Notice
                | TermKind::Unknown
        )
    }
}

impl fmt::Display for TermKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Term {
    /// The kind of this term.
    pub fn kind(&self) -> TermKind {
        match self {
            Term::NonCommercial => TermKind::NonCommercial,
            Term::NoDerivatives => TermKind::NoDerivatives,
            Term::ShareAlike { .. } => TermKind::ShareAlike,
            Term::UsePolicy { .. } => TermKind::UsePolicy,
            Term::UserThreshold { .. } => TermKind::UserThreshold,
            Term::RevenueThreshold { .. } => TermKind::RevenueThreshold,
            Term::Attribution { .. } => TermKind::Attribution,
            Term::NamePrefix { .. } => TermKind::NamePrefix,
            Term::NoOutputTraining { .. } => TermKind::NoOutputTraining,
            Term::RegionExclusion { .. } => TermKind::RegionExclusion,
            Term::OutputTerms { .. } => TermKind::OutputTerms,
            Term::Notice => TermKind::Notice,
            Term::Unknown { .. } => TermKind::Unknown,
        }
    }

    /// Shorthand for an [`Term::Unknown`] with a reason.
    pub fn unknown(why: impl Into<String>) -> Term {
        Term::Unknown { why: why.into() }
    }
}

impl fmt::Display for Term {
    /// A short human rendering, e.g. `user-threshold(700000000 monthly active users)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.kind().as_str();
        match self {
            Term::NonCommercial | Term::NoDerivatives | Term::Notice => f.write_str(k),
            Term::ShareAlike { license } => write!(f, "{k}({license})"),
            Term::UsePolicy { policy } => write!(f, "{k}({policy})"),
            Term::UserThreshold { users } => write!(f, "{k}({users} monthly active users)"),
            Term::RevenueThreshold { usd } => write!(f, "{k}(USD {usd} annual revenue)"),
            Term::Attribution { text } => write!(f, "{k}(\"{text}\")"),
            Term::NamePrefix { prefix } => write!(f, "{k}(\"{prefix}\")"),
            Term::NoOutputTraining { except } => write!(f, "{k}(except {except})"),
            Term::RegionExclusion { region, scope } => write!(f, "{k}({region}, {scope})"),
            Term::OutputTerms { provider, text } => write!(f, "{k}({provider}: {text})"),
            Term::Unknown { why } => write!(f, "{k}({why})"),
        }
    }
}
