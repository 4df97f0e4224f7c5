/// Luhn (mod 10) check used by payment card numbers. Spaces are ignored; any
/// other non-digit makes the number invalid, as does having fewer than two digits.
pub fn is_valid_luhn(number: &str) -> bool {
    let mut sum = 0;
    let mut count = 0;
    for c in number.chars().rev().filter(|c| *c != ' ') {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if count % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        count += 1;
    }
    count > 1 && sum % 10 == 0
}
