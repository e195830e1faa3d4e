//! `mva status [INSTANCE]`: where a submission stands, with its feedback when there is some; without an instance,
//! the submissions in the journal that are not finished.

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::commands::vat;
use crate::exit;
use crate::output;
use crate::settings::{self, ProfileSettings};

/// Shows the status.
pub async fn run(ctx: &ProfileSettings, args: StatusArgs) -> Result<u8> {
    let journal_dir = ctx.home.join("journal");
    let Some(instance) = &args.instance else {
        let open = mva::submission::journal::unfinished(&journal_dir)?;
        if args.json {
            output::json(&open)?;
        } else if open.is_empty() {
            println!("No unfinished submissions in {}", journal_dir.display());
        } else {
            for j in &open {
                let step = match (j.submitted, j.filled_in, j.return_uploaded, &j.instance) {
                    (true, ..) => "submitted, waiting for feedback",
                    (_, true, ..) => "filled in, not submitted",
                    (_, _, true, _) => "uploaded, not filled in",
                    (_, _, _, Some(_)) => "instance created, uploads unfinished",
                    _ => "not started",
                };
                let instance = j
                    .instance
                    .as_ref()
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{}  org {}  instance {instance}  {step}  (since {})",
                    &j.key[..12.min(j.key.len())],
                    j.organisation,
                    j.started_at
                );
            }
            println!("Run the same `mva submit` again to resume a submission.");
        }
        return Ok(exit::SUCCESS);
    };
    let id: mva::InstanceId = instance.parse()?;
    let provider = settings::provider(ctx, &args.provider)?;
    let endpoints = vat::endpoints(ctx, &provider, &args.services)?;
    let client = mva::MvaClient::new(endpoints, vat::SessionTokens::new(ctx, &provider))?;
    let state = client
        .status(&id, &args.out.clone().unwrap_or_else(|| ".".into()))
        .await?;
    println!("instance    {}", state.instance);
    println!("stage       {:?}", state.stage);
    if let Some(f) = &state.feedback {
        println!("status      {}", f.substatus.as_deref().unwrap_or("(none)"));
        if let Some(p) = &f.payment {
            println!(
                "amount      NOK {}  KID {}  due {}",
                p.amount(),
                p.kid,
                p.due_date
            );
        }
        for file in &f.files {
            println!("saved       {}", file.display());
        }
    }
    Ok(exit::SUCCESS)
}
