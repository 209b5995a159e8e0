//! SLA clocks (placeholder).
