//! Filtered list pages with a bounded cost: a page reads its listing chunk by chunk, keeps what
//! its filter accepts, and stops at a page's worth of matches or after [`FILTER_SCAN`] items
//! read, whichever comes first; the next page goes on from where it stopped. So a filter that
//! matches nothing in 100,000 requests costs at most [`FILTER_SCAN`] reads, never the whole
//! index (the API's own listings read up to 10,000 before they give a cursor).

use std::future::Future;

use super::page::PageError;
use super::session::LIST_PAGE;

/// Most items one filtered page reads.
pub const FILTER_SCAN: usize = 2_000;
/// Items read at a time while filtering (one listing call each).
pub const FILTER_CHUNK: usize = 200;

/// Up to [`LIST_PAGE`] items of a listing from `cursor` that `keep` accepts, read through
/// `fetch(cursor, size)` (a listing page of `size` items and the cursor after it, `None` at the
/// end), and the cursor to go on from when more may follow. Without a filter (`filtered`
/// false) this is one listing call of a page.
pub async fn filtered_page<T, F, Fut>(
    mut cursor: Option<String>,
    filtered: bool,
    keep: impl Fn(&T) -> bool,
    id_of: impl Fn(&T) -> &str,
    mut fetch: F,
) -> Result<(Vec<T>, Option<String>), PageError>
where
    F: FnMut(Option<String>, usize) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), PageError>>,
{
    if !filtered {
        return fetch(cursor, LIST_PAGE).await;
    }
    let mut found = Vec::new();
    let mut read = 0;
    loop {
        let (chunk, next) = fetch(cursor.clone(), FILTER_CHUNK).await?;
        for item in chunk {
            read += 1;
            if keep(&item) {
                let id = id_of(&item).to_owned();
                found.push(item);
                if found.len() == LIST_PAGE {
                    return Ok((found, Some(id)));
                }
            }
        }
        cursor = next;
        if cursor.is_none() || read >= FILTER_SCAN {
            return Ok((found, cursor));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Chunk = std::future::Ready<Result<(Vec<String>, Option<String>), PageError>>;

    /// A listing of `0..total` as strings of 5 digits, `size` at a time after `cursor`.
    fn listing(total: usize) -> impl FnMut(Option<String>, usize) -> Chunk {
        move |cursor, size| {
            let start = cursor.map_or(0, |c| c.parse::<usize>().unwrap() + 1);
            let items: Vec<String> = (start..total.min(start + size))
                .map(|i| format!("{i:05}"))
                .collect();
            let next = (start + size < total)
                .then(|| items.last().cloned())
                .flatten();
            std::future::ready(Ok((items, next)))
        }
    }

    #[tokio::test]
    async fn a_filter_stops_at_a_page_of_matches_or_at_the_scan_bound() {
        fn id(s: &String) -> &str {
            s
        }
        // Every 10th matches: a page of 25 is found within 250 items.
        let (page, next) = filtered_page(
            None,
            true,
            |s: &String| s.ends_with('0'),
            id,
            listing(100_000),
        )
        .await
        .unwrap();
        assert_eq!(page.len(), LIST_PAGE);
        assert_eq!(next.as_deref(), Some("00240"));
        // Nothing matches: stops after FILTER_SCAN items with a cursor to go on from.
        let (page, next) = filtered_page(None, true, |_: &String| false, id, listing(100_000))
            .await
            .unwrap();
        assert!(page.is_empty());
        assert_eq!(next, Some(format!("{:05}", FILTER_SCAN - 1)));
        // The end of a short listing: no cursor.
        let (page, next) =
            filtered_page(None, true, |s: &String| s.ends_with('7'), id, listing(200))
                .await
                .unwrap();
        assert_eq!(page.len(), 20);
        assert!(next.is_none());
        // No filter: one page.
        let (page, next) = filtered_page(None, false, |_: &String| false, id, listing(1_000))
            .await
            .unwrap();
        assert_eq!(page.len(), LIST_PAGE);
        assert_eq!(next.as_deref(), Some("00024"));
    }
}
