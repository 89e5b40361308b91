"""Encodings, delimiters and files that are not CSV text at all."""

import codecs
import os
import random

import pytest

from data.parsing import ParsingError, open_transaction_file
from data.parsing.sniffing import SAMPLE_SIZE, detect_encoding, sniff_delimiter
from tests.data.parsing.helpers import write_bytes, write_csv

HEADER = "invoice,sku,product_name,quantity,unit_price,timestamp\n"


def first_chunk(path):
    with open_transaction_file(path) as reader:
        return reader, next(iter(reader))


def test_utf8_with_a_bom_is_read_as_utf8_without_the_bom_in_the_first_header_name(tmp_path):
    content = codecs.BOM_UTF8 + (HEADER + "A1,S1,Crème brûlée,1,£2.50,2024-01-05 10:00\n").encode()
    path = write_bytes(tmp_path, content)

    reader, chunk = first_chunk(path)

    assert (reader.encoding, reader.layout, reader.header[0]) == ("utf-8", "ours", "invoice")
    assert chunk.rows[["product_name", "unit_price"]].values.tolist() == [["Crème brûlée", "2.5000"]]


def test_cp1252_is_recognised_by_its_euro_sign_and_decodes_pound_and_euro(tmp_path):
    path = write_csv(tmp_path, HEADER + "A1,S1,Mug €5 deal,1,£2.50,2024-01-05 10:00\n", encoding="cp1252")

    reader, chunk = first_chunk(path)

    assert reader.encoding == "cp1252"
    assert chunk.rows[["product_name", "unit_price"]].values.tolist() == [["Mug €5 deal", "2.5000"]]


def test_latin1_without_windows_only_bytes_is_reported_as_latin1(tmp_path):
    path = write_csv(tmp_path, HEADER + "A1,S1,Café,1,£2.50,2024-01-05 10:00\n", encoding="latin-1")

    reader, chunk = first_chunk(path)

    assert reader.encoding == "latin-1"
    assert chunk.rows["product_name"].tolist() == ["Café"]


def test_utf16_with_a_bom_is_read(tmp_path):
    path = write_csv(tmp_path, HEADER + "A1,S1,Thé,1,2.50,2024-01-05 10:00\n", encoding="utf-16")

    reader, chunk = first_chunk(path)

    assert reader.encoding == "utf-16"
    assert chunk.rows["product_name"].tolist() == ["Thé"]


def test_a_windows_byte_after_a_pure_ascii_sample_decodes_as_windows_1252(tmp_path):
    filler = "A0,S0,Plain,1,1.00,2024-01-05 10:00\n" * (SAMPLE_SIZE // 30)
    content = (HEADER + filler).encode() + b"A1,S1,Mug \x80 deal,1,2.50,2024-01-05 10:00\n"
    path = write_bytes(tmp_path, content)

    with open_transaction_file(path) as reader:
        names = [name for chunk in reader for name in chunk.rows["product_name"]]

    assert reader.encoding == "utf-8"
    assert names[-1] == "Mug € deal"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        (b"plain ascii", ("utf-8", "utf-8-sig")),
        ("caf\u00e9 \u00a3".encode(), ("utf-8", "utf-8-sig")),
        (b"caf\xe9 \xa3", ("latin-1", "cp1252")),
        (b"caf\xe9 \x80 \x92", ("cp1252", "cp1252")),
        ("ab".encode("utf-16-le"), ("utf-16-le", "utf-16-le")),
    ],
)
def test_detect_encoding_names_the_encoding_and_the_codec_used(sample, expected):
    encoding, codec, _ = detect_encoding(sample)

    assert (encoding, codec) == expected


def test_a_multibyte_character_cut_by_the_end_of_the_sample_still_counts_as_utf8():
    sample = "prix £".encode()[:-1]

    encoding, _, _ = detect_encoding(sample, truncated=True)

    assert encoding == "utf-8"


def test_crlf_line_endings_give_the_same_rows_as_lf(tmp_path):
    text = HEADER + "A1,S1,Mug,1,2.50,2024-01-05 10:00\nA2,S2,Tea,2,1.00,2024-01-05 11:00\n"
    crlf = write_csv(tmp_path, text, name="crlf.csv", newline="\r\n")
    lf = write_csv(tmp_path, text, name="lf.csv")

    _, crlf_chunk = first_chunk(crlf)
    _, lf_chunk = first_chunk(lf)

    assert crlf_chunk.rows.drop(columns="line_key").equals(lf_chunk.rows.drop(columns="line_key"))
    assert crlf_chunk.rows["line_key"].tolist() == lf_chunk.rows["line_key"].tolist()
    assert crlf_chunk.rows["timestamp"].iloc[1].isoformat() == "2024-01-05T11:00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,25;3\n", ";"),
        ("a\tb\tc\n1,5\t2\t3\n", "\t"),
        ('a,b,c\n"x;y;z;w",2,3\n', ","),
        ("a;b\n1;2\n", ";"),
    ],
)
def test_sniff_delimiter_picks_the_delimiter_that_splits_header_and_rows_alike(text, expected):
    assert sniff_delimiter(text) == expected


def test_semicolon_file_with_decimal_commas_is_read(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice;sku;quantity;unit_price;timestamp\n"
        "A1;S1;3;1,50;2024-01-05 10:00\n"
        "A2;S2;1;1.234,50;2024-01-05 10:00\n",
    )

    reader, chunk = first_chunk(path)

    assert reader.delimiter == ";"
    assert chunk.rows[["unit_price", "total"]].values.tolist() == [
        ["1.5000", "4.5000"],
        ["1234.5000", "1234.5000"],
    ]


def test_an_excel_separator_line_declares_the_delimiter_and_is_not_the_header(tmp_path):
    path = write_csv(
        tmp_path, "sep=;\ninvoice;sku;quantity;unit_price;timestamp\nA1;S1;3;1,50;2024-01-05 10:00\n"
    )

    reader, chunk = first_chunk(path)

    assert (reader.delimiter, reader.header[0], chunk.rows["line"].tolist()) == (";", "invoice", [3])


def test_tab_delimited_file_is_read(tmp_path):
    path = write_csv(
        tmp_path, "invoice\tsku\tquantity\tunit_price\ttimestamp\nA1\tS1\t2\t$1,234.50\t2024-01-05 10:00\n"
    )

    reader, chunk = first_chunk(path)

    assert reader.delimiter == "\t"
    assert chunk.rows["unit_price"].tolist() == ["1234.5000"]


def test_an_empty_file_is_a_parsing_error(tmp_path):
    path = write_bytes(tmp_path, b"")

    with pytest.raises(ParsingError, match=r"^The file is empty\.$"):
        open_transaction_file(path)


@pytest.mark.parametrize("content", [b"\n\r\n  \n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n"])
def test_a_file_of_blank_lines_or_just_a_bom_is_empty(tmp_path, content):
    path = write_bytes(tmp_path, content)

    with pytest.raises(ParsingError, match=r"^The file is empty\.$"):
        open_transaction_file(path)


def test_nul_bytes_mean_binary_data(tmp_path):
    path = write_bytes(tmp_path, b"\x00\x01\x02\x03garbage" * 200)

    with pytest.raises(ParsingError, match=r"binary data \(NUL bytes\)"):
        open_transaction_file(path)


def test_an_excel_workbook_is_named_as_such(tmp_path):
    path = write_bytes(tmp_path, b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), name="sales.xlsx")

    with pytest.raises(ParsingError, match=r"Excel \.xlsx workbook"):
        open_transaction_file(path)


def test_random_bytes_without_nul_are_not_text(tmp_path):
    junk = random.Random(7).randbytes(4000).replace(b"\x00", b"")
    path = write_bytes(tmp_path, junk)

    with pytest.raises(ParsingError, match=r"does not look like text"):
        open_transaction_file(path)


def test_a_failed_open_leaves_no_file_handle_behind(tmp_path):
    path = write_csv(tmp_path, "foo,bar\n1,2\n")
    descriptors_before = len(os.listdir("/proc/self/fd"))

    with pytest.raises(ParsingError):
        open_transaction_file(path)

    assert len(os.listdir("/proc/self/fd")) == descriptors_before
