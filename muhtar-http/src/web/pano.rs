//! `/pano`: the dashboard of the back office, officials and auditors (whoever may read
//! the whole tenant's reports): received today and this week (Europe/Istanbul days,
//! weeks from Monday), open and overdue now, overdue by unit and the top categories —
//! core's [`Mbs::dashboard`](muhtar_core::service::Mbs::dashboard), three store queries.
//!
//! Two bar charts drawn here as inline SVG (no script, no `style`: geometry and colours
//! are SVG attributes; CSP forbids inline style), each `role="img"` with a `<title>`
//! and `<desc>`, and the same numbers as a table beside it for screen readers and print.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use muhtar_core::calendar::local_time;
use serde::Serialize;

use super::problem::service_error_page;
use super::session::SignedIn;
use super::Page;
use crate::mount::Mount;
use crate::AppState;

/// The width of a chart's drawing (its `viewBox`; the page scales it).
const CHART_WIDTH: f64 = 480.0;
/// The height of one row of a chart: its label above, its bars below.
const ROW: f64 = 72.0;

/// The longest label a chart writes (longer ones are cut with "…").
const LABEL_CHARS: usize = 42;

/// One bar of a chart, placed.
#[derive(Debug, Serialize)]
struct Bar {
    /// `y` of the bar's top.
    y: f64,
    /// Its width.
    width: f64,
    /// Its height.
    height: f64,
    /// Its fill.
    fill: &'static str,
    /// The number written after it.
    value: u64,
    /// `x` of that number.
    value_x: f64,
}

/// One row of a chart: a label and one or two bars.
#[derive(Debug, Serialize)]
struct ChartRow {
    label: String,
    label_y: f64,
    bars: Vec<Bar>,
}

/// A horizontal bar chart, placed.
#[derive(Debug, Serialize)]
struct Chart {
    height: f64,
    width: f64,
    rows: Vec<ChartRow>,
}

/// A chart of `rows` (label, values with their fills): each row's label on its own line,
/// its bars below, scaled to the largest value.
fn chart(rows: Vec<(String, Vec<(u64, &'static str)>)>) -> Chart {
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(n, _)| *n))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let room = CHART_WIDTH - 60.0;
    let placed = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, values))| {
            let top = ROW * i as f64;
            let height = 36.0 / values.len().max(1) as f64;
            let bars = values
                .into_iter()
                .enumerate()
                .map(|(j, (value, fill))| {
                    let width = (room * value as f64 / max).max(if value > 0 { 2.0 } else { 0.0 });
                    Bar {
                        y: top + 28.0 + height * j as f64,
                        width,
                        height: height - 2.0,
                        fill,
                        value,
                        value_x: width + 6.0,
                    }
                })
                .collect();
            // The whole name is in the table beside the chart.
            let label = if label.chars().count() > LABEL_CHARS {
                label.chars().take(LABEL_CHARS - 1).collect::<String>() + "…"
            } else {
                label
            };
            ChartRow {
                label,
                label_y: top + 20.0,
                bars,
            }
        })
        .collect::<Vec<_>>();
    Chart {
        height: (ROW * placed.len() as f64).max(ROW),
        width: CHART_WIDTH,
        rows: placed,
    }
}

/// Fill of "open" bars (dark blue: 4.5:1 and more on white).
const OPEN_FILL: &str = "#1d70b8";
/// Fill of "overdue" bars (dark red).
const OVERDUE_FILL: &str = "#b0281a";

/// `GET /pano`: the dashboard; 403 (Turkish) for those who may not read the tenant's
/// reports.
pub async fn page(State(s): State<Arc<AppState>>, mount: Mount, user: SignedIn) -> Response {
    let d = match s.mbs.dashboard(&user.actor).await {
        Ok(d) => d,
        Err(e) => return service_error_page(&e, &mount, Some(&user)),
    };
    let units = chart(
        d.by_unit
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    vec![(u.open, OPEN_FILL), (u.overdue, OVERDUE_FILL)],
                )
            })
            .collect(),
    );
    let categories = chart(
        d.top_categories
            .iter()
            .map(|c| (c.name.clone(), vec![(c.received_week, OPEN_FILL)]))
            .collect(),
    );
    Page::new("pano.html", "Pano", &mount)
        .user(Some(&user))
        .render(context! {
            d => &d,
            at => local_time(d.at),
            week_start => d.week_start.format("%d.%m.%Y").to_string(),
            units_chart => units,
            categories_chart => categories,
            open_fill => OPEN_FILL,
            overdue_fill => OVERDUE_FILL,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_rows_stack() {
        let c = chart(vec![
            ("a".into(), vec![(4, OPEN_FILL), (1, OVERDUE_FILL)]),
            ("b".into(), vec![(2, OPEN_FILL), (0, OVERDUE_FILL)]),
        ]);
        assert_eq!(c.rows.len(), 2);
        assert_eq!(c.height, 2.0 * ROW);
        assert_eq!(c.rows[0].bars[0].width, CHART_WIDTH - 60.0);
        assert_eq!(c.rows[1].bars[0].width, (CHART_WIDTH - 60.0) / 2.0);
        assert_eq!(c.rows[1].bars[1].width, 0.0);
        assert!(c.rows[1].label_y > c.rows[0].bars[1].y);
    }
}
