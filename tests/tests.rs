//! End-to-end tests of the `lineage` binary against a fake Hub on loopback (one test binary: linking
//! is the slow part on small machines).

mod util;

mod audit;
mod check;
mod generated;
mod graph;
mod history;
mod hostile;
mod misc;
mod policy;
mod resolve;
mod sbom;
mod sync;
