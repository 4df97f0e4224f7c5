//! Small statistics helpers.

/// The arithmetic mean of `values`, or `None` when there are none.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / (values.len() - 1) as f64)
}

/// The largest value, or `None` when there are none.
pub fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().fold(None, |m, v| match m {
        Some(m) if m >= v => Some(m),
        _ => Some(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_three() {
        assert_eq!(mean(&[1.0, 2.0, 3.0]), Some(2.0));
    }

    #[test]
    fn max_of_three() {
        assert_eq!(max(&[1.0, 5.0, 3.0]), Some(5.0));
    }
}
