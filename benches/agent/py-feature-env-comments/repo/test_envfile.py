import pytest

from envfile import EnvSyntaxError, parse_env


def test_simple_pairs():
    assert parse_env("A=1\nB = two\n") == {"A": "1", "B": "two"}


def test_blank_lines_and_quotes():
    assert parse_env('\nNAME="Jane Doe"\n\nCITY=\'Oslo\'\n') == {"NAME": "Jane Doe", "CITY": "Oslo"}


def test_value_with_equals():
    assert parse_env("URL=postgres://u:p@h/db?x=1") == {"URL": "postgres://u:p@h/db?x=1"}


def test_syntax_error():
    with pytest.raises(EnvSyntaxError) as err:
        parse_env("A=1\nnot a pair\n")
    assert err.value.lineno == 2
