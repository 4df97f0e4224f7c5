from text_utils import is_palindrome, word_count


def test_word_count():
    assert word_count("a b  c") == 3


def test_is_palindrome():
    assert is_palindrome("Racecar")
    assert is_palindrome("A man, a plan, a canal: Panama")
    assert not is_palindrome("vibrant")
