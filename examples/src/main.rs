//! The `muhtar` binary.
fn main() {}
