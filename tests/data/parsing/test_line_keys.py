"""Line keys: identical lines in one file stay apart, the same line in another export keeps its key."""

import hashlib

import numpy as np

from data.parsing import open_transaction_file
from data.parsing.line_keys import OccurrenceCounter
from tests.data.parsing.helpers import read_everything, write_csv

FIRST_EXPORT = """invoice,sku,quantity,unit_price,timestamp,customer_id
A1,S1,1,2.00,2024-01-05 10:00,17850
A1,S1,1,2.00,2024-01-05 10:00,17850
A2,S2,1,3.00,2024-01-05 11:00,
"""
# The same three sales written differently, then a new one.
SECOND_EXPORT = """invoice,sku,quantity,unit_price,timestamp,customer_id
A1,S1,1,2.0,2024-01-05 10:00:00,17850.0
A1, S1 ,1,£2,2024-01-05T10:00,17850
A2,S2,1,3,2024-01-05 11:00:00,
A3,S1,1,2.00,2024-01-06 09:00,17850
"""


def keys_of(path, **options):
    with open_transaction_file(path, **options) as reader:
        rows, _, _ = read_everything(reader)
    return rows["line_key"].tolist()


def test_the_key_is_the_documented_digest_with_an_occurrence_number(tmp_path):
    path = write_csv(tmp_path, FIRST_EXPORT)
    digest = hashlib.blake2b(
        b"A1\x1fS1\x1f1\x1f2.00\x1f2024-01-05T10:00:00\x1f17850", digest_size=16
    ).hexdigest()
    anonymous = hashlib.blake2b(
        b"A2\x1fS2\x1f1\x1f3.00\x1f2024-01-05T11:00:00\x1f", digest_size=16
    ).hexdigest()

    assert keys_of(path) == [f"{digest}:1", f"{digest}:2", f"{anonymous}:1"]


def test_an_overlapping_export_gives_the_same_keys_to_the_same_lines(tmp_path):
    first = write_csv(tmp_path, FIRST_EXPORT, name="first.csv")
    second = write_csv(tmp_path, SECOND_EXPORT, name="second.csv")

    first_keys, second_keys = keys_of(first), keys_of(second)

    assert second_keys[:3] == first_keys
    assert len(set(second_keys)) == 4


def test_occurrences_are_counted_across_chunks(tmp_path):
    path = write_csv(tmp_path, FIRST_EXPORT)

    assert keys_of(path, chunk_size=1) == keys_of(path)


def test_lines_without_sku_are_keyed_by_their_product_name_ignoring_case_and_spacing(tmp_path):
    path = write_csv(
        tmp_path,
        "Date,Product,Quantity,Amount\n"
        "2024-01-05 14:32,Flat  White,1,3.50\n"
        "2024-01-05 14:32,flat white ,1,3.50\n",
    )
    digest = hashlib.blake2b(
        b"POS-20240105-1432-anon\x1fflat white\x1f1\x1f3.50\x1f2024-01-05T14:32:00\x1f",
        digest_size=16,
    ).hexdigest()

    assert keys_of(path) == [f"{digest}:1", f"{digest}:2"]


def test_the_counter_numbers_repeats_in_order_across_calls():
    counter = OccurrenceCounter()
    a, b, c = "aa" * 16, "bb" * 16, "cc" * 16

    first = counter.number([a, b, a, a])
    second = counter.number([c, a, b])
    third = counter.number([])

    assert (first.tolist(), second.tolist(), third.tolist(), len(counter)) == ([1, 1, 2, 3], [1, 4, 2], [], 3)


def test_the_counter_keeps_its_prefixes_sorted_as_new_ones_arrive():
    counter = OccurrenceCounter()
    generator = np.random.default_rng(3)
    digests = [generator.bytes(16).hex() for _ in range(500)]

    counter.number(digests[:250])
    counter.number(digests[200:])

    assert counter.number(digests).tolist() == [2] * 200 + [3] * 50 + [2] * 250
