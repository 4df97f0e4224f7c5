use checkdigit::luhn::is_valid_luhn;

#[test]
fn accepts_valid_numbers() {
    assert!(is_valid_luhn("4539 3195 0343 6467"));
    assert!(is_valid_luhn("059"));
}

#[test]
fn rejects_invalid_numbers() {
    assert!(!is_valid_luhn("8273 1232 7352 0569"));
    assert!(!is_valid_luhn("0"));
    assert!(!is_valid_luhn("055a 444 285"));
}
