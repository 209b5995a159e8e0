pub async fn run(_opts: &crate::Opts) -> crate::Outcome {
    Ok(())
}
