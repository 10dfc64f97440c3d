//! Listing the container: the flat listing of a case's records, and the delimiter listing of
//! periods and cases that `azure_storage_blob` does not offer.

use azure_core::http::{Context, Method, Request};
use std::collections::BTreeMap;

use azure_storage_blob::models::{BlobContainerClientListBlobsOptions, ListBlobsIncludeItem};
use futures::TryStreamExt as _;
use offboard_core::ports::EvidenceStoreError;
use serde::Deserialize;

use super::BlobEvidenceStore;
use crate::error::{EvidenceCall as Call, evidence_error, redact};

/// The most names one listing page asks for (the service's maximum).
const LIST_PAGE: i32 = 5000;

impl BlobEvidenceStore {
    /// The blobs under `prefix` (flat listing, every page), each with its version ids, oldest
    /// first. With WORM on the listing includes every version (so an overwrite shows as a
    /// second version); with WORM off (an emulator keeps none) the lists are empty.
    pub(super) async fn list_versions(
        &self,
        prefix: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, EvidenceStoreError> {
        let what = format!("listing {prefix}");
        let options = BlobContainerClientListBlobsOptions {
            prefix: Some(prefix.to_owned()),
            maxresults: Some(LIST_PAGE),
            include: self
                .config
                .worm
                .then(|| vec![ListBlobsIncludeItem::Versions]),
            ..Default::default()
        };
        let mut items = self
            .container
            .list_blobs(Some(options))
            .map_err(|e| evidence_error(&what, Call::Read, &e))?;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while let Some(item) = items
            .try_next()
            .await
            .map_err(|e| evidence_error(&what, Call::Read, &e))?
        {
            if let Some(name) = item.name {
                let versions = out.entry(name).or_default();
                versions.extend(item.version_id);
            }
        }
        // Version ids are timestamps: their order is the order of writing.
        for versions in out.values_mut() {
            versions.sort();
        }
        Ok(out)
    }

    /// The "directories" directly under `prefix`: List Blobs with `delimiter=/`, which
    /// `azure_storage_blob` 1.1 does not offer, sent through the same kind of pipeline (bearer
    /// token from the same credential, same transport, same `x-ms-version`).
    pub(super) async fn list_prefixes(
        &self,
        prefix: &str,
    ) -> Result<Vec<String>, EvidenceStoreError> {
        let what = format!("listing {prefix}");
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut url = self.container_url.clone();
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("restype", "container")
                    .append_pair("comp", "list")
                    .append_pair("prefix", prefix)
                    .append_pair("delimiter", "/")
                    .append_pair("maxresults", &LIST_PAGE.to_string());
                if let Some(m) = &marker {
                    q.append_pair("marker", m);
                }
            }
            let mut request = Request::new(url, Method::Get);
            request.insert_header("accept", "application/xml");
            request.insert_header("x-ms-version", self.version.clone());
            let response = self
                .list_pipeline
                .send(&Context::new(), &mut request, None)
                .await
                .map_err(|e| evidence_error(&what, Call::Read, &e))?;
            let body = response.into_body();
            let page: ListPage = azure_core::xml::from_xml(body.as_ref()).map_err(|e| {
                EvidenceStoreError::Permanent {
                    detail: redact(&format!(
                        "{what}: the service's answer is not a blob listing: {}",
                        e.kind()
                    )),
                }
            })?;
            for item in page.blobs.map(|b| b.items).unwrap_or_default() {
                if let ListItem::BlobPrefix(p) = item {
                    out.push(p.name);
                }
            }
            match page.next_marker.filter(|m| !m.is_empty()) {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        Ok(out)
    }
}

/// One page of List Blobs with a delimiter: `Blob` and `BlobPrefix` elements interleave in name
/// order inside `Blobs`, so they are read as one sequence of either.
#[derive(Debug, Deserialize)]
struct ListPage {
    #[serde(rename = "Blobs", default)]
    blobs: Option<ListBlobs>,
    #[serde(rename = "NextMarker", default)]
    next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListBlobs {
    #[serde(rename = "$value", default)]
    items: Vec<ListItem>,
}

#[derive(Debug, Deserialize)]
enum ListItem {
    Blob(serde::de::IgnoredAny),
    BlobPrefix(ListPrefix),
}

#[derive(Debug, Deserialize)]
struct ListPrefix {
    #[serde(rename = "Name")]
    name: String,
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_listing_reads_prefixes_between_blobs() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://a.blob.core.windows.net/" ContainerName="evidence">
  <Prefix>cases/</Prefix><Delimiter>/</Delimiter>
  <Blobs>
    <BlobPrefix><Name>cases/2026-10/</Name></BlobPrefix>
    <Blob><Name>cases/odd.json</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>
    <BlobPrefix><Name>cases/2026-11/</Name></BlobPrefix>
  </Blobs>
  <NextMarker>abc</NextMarker>
</EnumerationResults>"#;
        let page: ListPage = azure_core::xml::from_xml(xml.as_bytes()).unwrap();
        let names: Vec<String> = page
            .blobs
            .unwrap()
            .items
            .into_iter()
            .filter_map(|i| match i {
                ListItem::BlobPrefix(p) => Some(p.name),
                ListItem::Blob(_) => None,
            })
            .collect();
        assert_eq!(names, ["cases/2026-10/", "cases/2026-11/"]);
        assert_eq!(page.next_marker.as_deref(), Some("abc"));

        let empty = r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /><NextMarker /></EnumerationResults>"#;
        let page: ListPage = azure_core::xml::from_xml(empty.as_bytes()).unwrap();
        assert!(page.blobs.map(|b| b.items).unwrap_or_default().is_empty());
        assert_eq!(page.next_marker.as_deref().filter(|m| !m.is_empty()), None);
    }
}
