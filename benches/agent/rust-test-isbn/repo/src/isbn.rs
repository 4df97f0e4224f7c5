/// Validates an ISBN-10 such as "0-306-40615-2" or "080442957X".
///
/// Hyphens are ignored. After removing them there must be exactly ten
/// characters: nine digits followed by a digit or `X` (meaning 10; upper case
/// only). The number is valid when the sum of each digit times its weight
/// (10 for the first digit down to 1 for the check digit) is divisible by 11.
pub fn is_valid_isbn10(isbn: &str) -> bool {
    let chars: Vec<char> = isbn.chars().filter(|c| *c != '-').collect();
    if chars.len() != 10 {
        return false;
    }
    let mut sum = 0;
    for (i, c) in chars.iter().enumerate() {
        let value = match c {
            '0'..='9' => c.to_digit(10).unwrap(),
            'X' if i == 9 => 10,
            _ => return false,
        };
        sum += value * (10 - i as u32);
    }
    sum % 11 == 0
}
