"""Every public plotting function is covered by misuse cases beside its module's tests."""

from sklvae import plotting

from . import test_images, test_matrices, test_study


def test_every_public_plotting_function_has_a_misuse_case():
    cases = test_images.MISUSE + test_matrices.MISUSE + test_study.MISUSE
    assert {c[0] for c in cases} == set(plotting.__all__)
