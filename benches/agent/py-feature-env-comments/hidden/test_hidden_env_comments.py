from envfile import parse_env


def test_hidden_whole_line_comments():
    text = "# database settings\nHOST=db\n   # indented comment\nPORT=5432\n#=nope\n"
    assert parse_env(text) == {"HOST": "db", "PORT": "5432"}


def test_hidden_trailing_comment():
    assert parse_env("DEBUG=true # enable for now\nLEVEL=info\t# tab before hash\n") == {
        "DEBUG": "true",
        "LEVEL": "info",
    }


def test_hidden_hash_inside_value_or_quotes():
    text = 'COLOR=#ff0000\nTAG=a#b\nMSG="hello # world"\nQ=\'#1\' # first\n'
    assert parse_env(text) == {"COLOR": "#ff0000", "TAG": "a#b", "MSG": "hello # world", "Q": "#1"}


def test_hidden_still_parses_plain():
    assert parse_env("A=1\n\nB = two\n") == {"A": "1", "B": "two"}
