use crate::grouping::format_thousands;

/// A two-column table of labels and right-aligned counts, with a total row.
pub fn render_counts(rows: &[(&str, u64)]) -> String {
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    let mut cells: Vec<(String, String)> = rows
        .iter()
        .map(|(label, n)| (label.to_string(), format_thousands(*n)))
        .collect();
    cells.push(("total".to_string(), format_thousands(total)));
    let label_width = cells.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let number_width = cells.iter().map(|(_, n)| n.len()).max().unwrap_or(0);
    cells
        .iter()
        .map(|(l, n)| format!("{l:<label_width$}  {n:>number_width$}"))
        .collect::<Vec<_>>()
        .join("\n")
}
