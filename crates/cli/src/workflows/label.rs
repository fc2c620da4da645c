//! `parcelkit smartsend label --team TEAM --shipment SHIPMENT -o label.pdf`: download the label
//! PDF(s) of a booked
//! shipment.
//!
//! Every parcel of a booked shipment carries its label as a document (`type: label`) with a
//! download `url`. One label is written to the `-o` path as given. Several (one per parcel) are
//! written next to it with a 1-based number before the extension, in the shipment's parcel
//! order: `-o label.pdf` gives `label-1.pdf`, `label-2.pdf`, ... The paths written are printed on
//! stdout, one per line. `-o -` writes a single label to stdout instead.

use std::path::{Path, PathBuf};

use parcelkit::smartsend::types;

use crate::Failure;

/// Flags of `parcelkit smartsend label`.
#[derive(Debug, clap::Args)]
pub struct LabelArgs {
    /// The team (its id).
    #[arg(long)]
    team: String,
    /// The booked shipment (its uuid).
    #[arg(long)]
    shipment: uuid::Uuid,
    /// Where to write the label; with several labels, `-1`, `-2`, ... goes before the extension.
    /// `-` writes a single label to stdout.
    // Not `--output`: that is the global output-format flag.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "FILE",
        default_value = "label.pdf"
    )]
    out: PathBuf,
}

/// One label to fetch.
struct Label {
    parcel: uuid::Uuid,
    document: types::Document,
}

/// Runs `parcelkit smartsend label`.
pub async fn run(
    args: LabelArgs,
    client: &parcelkit::smartsend::Client,
    _verbose: bool,
) -> Result<(), Failure> {
    let shipment = client
        .get_shipment()
        .team(args.team.as_str())
        .shipment(args.shipment)
        .send()
        .await
        .map_err(Failure::api("get_shipment"))?
        .into_inner()
        .data;
    if shipment.state != types::ShipmentState::Booked {
        return Err(Failure::Api(format!(
            "shipment {} is not booked (state {}), so it has no label yet; book it with: \
             parcelkit smartsend book --team {} --shipment {}",
            shipment.uuid, shipment.state, args.team, shipment.uuid
        )));
    }
    let labels: Vec<Label> = shipment
        .parcels
        .iter()
        .flat_map(|parcel| {
            parcel
                .documents
                .iter()
                .filter(|d| d.type_.eq_ignore_ascii_case("label"))
                .map(|d| Label {
                    parcel: parcel.uuid,
                    document: d.clone(),
                })
        })
        .collect();
    if labels.is_empty() {
        return Err(Failure::Api(format!(
            "shipment {} is booked but carries no label document",
            shipment.uuid
        )));
    }
    let to_stdout = args.out.as_os_str() == "-";
    if to_stdout && labels.len() > 1 {
        return Err(Failure::Usage(format!(
            "shipment {} has {} labels; -o - writes only one: give a file name",
            shipment.uuid,
            labels.len()
        )));
    }
    for (index, label) in labels.iter().enumerate() {
        let bytes = download(client, label).await?.bytes;
        if to_stdout {
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| Failure::Usage(format!("cannot write to stdout: {e}")))?;
            continue;
        }
        let path = if labels.len() == 1 {
            args.out.clone()
        } else {
            numbered(&args.out, index + 1)
        };
        std::fs::write(&path, &bytes)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Fetches one label with the SDK's download, under the rules of every request: the token only
/// to the API's own origin (a label on a file host is fetched without it), no redirects, the
/// body capped, failures retried.
async fn download(
    client: &parcelkit::smartsend::Client,
    label: &Label,
) -> Result<parcelkit::smartsend::DownloadedDocument, Failure> {
    client
        .download_document(&label.document)
        .await
        .map_err(|e| {
            Failure::Api(format!(
                "downloading the label of parcel {}: {e}",
                label.parcel
            ))
        })
}

/// `label.pdf` and 2 -> `label-2.pdf` (`label` -> `label-2`), in the same directory.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "label".to_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_labels_are_numbered_before_the_extension() {
        assert_eq!(
            numbered(Path::new("out/label.pdf"), 2),
            Path::new("out/label-2.pdf")
        );
        assert_eq!(numbered(Path::new("label"), 1), Path::new("label-1"));
    }
}
