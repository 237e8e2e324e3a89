"""The misuse rows of the dataset tests (one list beside each feature) have distinct ids."""

from . import test_digits, test_generators, test_loaders


def test_every_misuse_case_has_a_distinct_id():
    ids = [c[0] for m in (test_digits, test_generators, test_loaders) for c in m.MISUSE]
    # digits, generators, loaders (5 rows of their own and 5 per fetcher)
    assert len(ids) == len(set(ids)) == 18 + 62 + 5 + 5 * 7
