//! `standin-bamboohr <seed.json>`: serves BambooHR's custom report API on a free loopback
//! port and prints the API base to configure.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: standin-bamboohr <seed.json>"))?;
    let seed = standin_bamboohr::Seed::from_file(std::path::Path::new(&path))?;
    let server = standin_bamboohr::BambooHr::start(seed).await?;
    println!("{}", server.api_base());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
