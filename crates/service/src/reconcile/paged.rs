//! Reading listings through `$batch` to their last page, for the drift re-check: a leaver
//! given back more than a page of groups, roles or devices must have every page read, or a
//! regression on page two goes unseen.
//!
//! Every listing's first page goes out 20 to a batch; each answer that carries an
//! `@odata.nextLink` is continued **in further batches**, not with direct GETs: one round trip
//! then carries the next page of up to 20 listings across cases, so the scan's request count
//! grows with the pages there are, not with the listings that have them (the scan's budget is
//! counted in Graph requests), and each continuation keeps the batch client's per-item retry
//! of throttled and transient answers. The link is sent relative to the endpoint, as `$batch`
//! requires, and only if it is on the configured endpoint (`GraphClient::next_page`).
//!
//! A listing is followed to at most [`MAX_PAGES`] pages. One that has more is handed back as
//! [`Paged::Truncated`] with the pages read, never cut short silently: the caller judges what
//! those pages show and reports the rest as unread.

use offboard_graph::{BatchRequest, BatchResponse, GraphClient, GraphError, MAX_BATCH_REQUESTS};

/// Most pages one listing is followed to: at Graph's default page size of 100 that is 5,000
/// entries of one kind, far beyond what any leaver holds.
pub const MAX_PAGES: usize = 50;

/// What reading one listing came to.
#[derive(Debug)]
pub enum Paged {
    /// Every page, in order. The last may be an item's error answer (a 404 for a user gone,
    /// a 403): the caller reads each page as it reads a single answer.
    Whole(Vec<BatchResponse>),
    /// The first `max_pages` pages; the listing has more.
    Truncated(Vec<BatchResponse>),
    /// The batch carrying one of its pages failed, or a next link could not be followed.
    Failed(GraphError),
}

/// The listings read, in the order asked, and the requests sent.
#[derive(Debug)]
pub struct PagedReads {
    /// One per listing asked for.
    pub listings: Vec<Paged>,
    /// `$batch` requests sent to Graph.
    pub requests: u64,
}

/// One listing while it is being read.
enum Reading {
    Open(Vec<BatchResponse>),
    Done(Paged),
}

/// Reads every listing `first` starts (each request's id is replaced), following next links
/// to at most `max_pages` pages each.
pub async fn read_all(
    graph: &GraphClient,
    first: Vec<BatchRequest>,
    max_pages: usize,
) -> PagedReads {
    let max_pages = max_pages.max(1);
    let mut state: Vec<Reading> = first.iter().map(|_| Reading::Open(Vec::new())).collect();
    let mut requests = 0u64;
    // (listing, request for its next page)
    let mut pending: Vec<(usize, BatchRequest)> = first.into_iter().enumerate().collect();
    while !pending.is_empty() {
        let mut next_round = Vec::new();
        for chunk in pending.chunks(MAX_BATCH_REQUESTS) {
            let batch = chunk
                .iter()
                .enumerate()
                .map(|(n, (_, r))| BatchRequest {
                    id: n.to_string(),
                    ..r.clone()
                })
                .collect();
            requests += 1;
            let replies = match graph.batch(batch).await {
                Ok(r) => r.value,
                Err(e) => {
                    tracing::warn!("a batch of {} drift re-reads failed: {e}", chunk.len());
                    for (listing, _) in chunk {
                        state[*listing] = Reading::Done(Paged::Failed(e.clone()));
                    }
                    continue;
                }
            };
            for r in replies {
                let Some((listing, _)) = r.id.parse::<usize>().ok().and_then(|n| chunk.get(n))
                else {
                    continue;
                };
                let Reading::Open(pages) = &mut state[*listing] else {
                    continue;
                };
                let next = r
                    .is_success()
                    .then(|| r.next_link().map(str::to_owned))
                    .flatten();
                pages.push(r);
                let done = match next {
                    None => Some(Paged::Whole(std::mem::take(pages))),
                    Some(_) if pages.len() >= max_pages => {
                        Some(Paged::Truncated(std::mem::take(pages)))
                    }
                    Some(link) => match graph.next_page("next", &link) {
                        Ok(req) => {
                            next_round.push((*listing, req));
                            None
                        }
                        Err(e) => Some(Paged::Failed(e)),
                    },
                };
                if let Some(d) = done {
                    state[*listing] = Reading::Done(d);
                }
            }
        }
        pending = next_round;
    }
    PagedReads {
        listings: state
            .into_iter()
            .map(|s| match s {
                Reading::Done(d) => d,
                // A page asked for and never answered (the batch's answer lacked the item):
                // the listing was not read whole.
                Reading::Open(_) => Paged::Failed(missing()),
            })
            .collect(),
        requests,
    }
}

fn missing() -> GraphError {
    GraphError::Permanent(offboard_graph::ErrorInfo {
        status: None,
        code: "MissingResponse".to_owned(),
        message: "the batch answer had no response for this listing".to_owned(),
        request_id: None,
        client_request_id: None,
    })
}
