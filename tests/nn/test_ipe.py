"""Unit tests of MIPET's IPE unit and EF conversion (sklvae/nn/ipe.py)."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from sklvae.nn.ipe import (
    EFConversion,
    IPETransform,
    IPEUnit,
    MaskedLogPartition,
    MultiIPE,
    calibration_loss,
    ef_terms,
    ipe_matrices,
)

GOLDEN = Path(__file__).parent.parent / "data" / "mipet_official_seed0.npz"


def _rows(seed, n=6, d=4, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, d, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("form", ["product", "single"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_psi_is_invertible(form, symmetric):
    torch.manual_seed(0)
    psi = IPETransform(5, form=form, symmetric=symmetric).double()
    z = _rows(1, d=5)
    z_hat = psi(z)
    assert z_hat.shape == z.shape
    assert not torch.allclose(z_hat, z)
    torch.testing.assert_close(psi.inverse(z_hat), z, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        psi.matrix() @ psi.inverse_matrix(), torch.eye(5, dtype=torch.float64), atol=1e-10, rtol=0
    )


def test_psi_paper_variant_is_spd_and_code_variant_is_not_symmetric():
    torch.manual_seed(0)
    single = IPETransform(6, form="single").double()
    e = single.matrix()
    torch.testing.assert_close(e, e.T)
    assert torch.linalg.eigvalsh(e).min() > 0
    # e^{(W + Wᵀ)/2} written out as a power series
    s = (single.w1 + single.w1.T) / 2
    series = sum(torch.linalg.matrix_power(s, k) / float(math.factorial(k)) for k in range(30))
    torch.testing.assert_close(e, series)

    product = IPETransform(6, form="product").double()
    e = product.matrix()
    assert not torch.allclose(e, e.T)  # the official product of two exponentials
    expected_det = torch.exp(torch.diagonal(product.w1).sum() + torch.diagonal(product.w2).sum())
    torch.testing.assert_close(torch.linalg.det(e), expected_det)


def test_free_variant_uses_unsymmetrised_generator():
    torch.manual_seed(0)
    psi = IPETransform(4, form="single", symmetric=False).double()
    torch.testing.assert_close(psi.matrix(), torch.linalg.matrix_exp(psi.w1))
    assert not torch.allclose(psi.matrix(), psi.matrix().T)


def test_bad_form_and_units_raise():
    with pytest.raises(ValueError, match="form"):
        IPETransform(3, form="triple")
    with pytest.raises(ValueError, match="n_units"):
        MultiIPE(0, 3)


def test_log_partition_mask_only_in_training():
    torch.manual_seed(0)
    net = MaskedLogPartition(4).double()
    w1 = net.weight1.detach()
    masked = w1 * (w1.abs() >= w1.abs().mean())
    assert 0 < (masked == 0).sum() < w1.numel()
    expected = masked @ (net.weight2 * (net.weight2.abs() >= net.weight2.abs().mean()))
    torch.testing.assert_close(net.matrix(), expected.detach())
    x = _rows(2)
    train_out = net(x)
    net.eval()
    torch.testing.assert_close(net(x), torch.sigmoid(x @ net.weight1 @ net.weight2))
    assert not torch.allclose(net(x), train_out)
    # a threshold k lowers the cut to mean - k * std; None disables the mask
    net.train()
    net.mask_threshold = None
    torch.testing.assert_close(net.matrix(), (net.weight1 @ net.weight2).detach())
    net.mask_threshold = 1.0
    w = net.weight1.detach()
    keep = w.abs() >= w.abs().mean() - w.abs().std()
    assert keep.sum() > (w.abs() >= w.abs().mean()).sum()


def _ef_written_out(ef, z_hat, eps_hat):
    """EF-KL vector and L_el written out from the official code's formulas, independently of the module."""
    sig = torch.sigmoid

    def lin(m, x):
        return x @ m.weight1 @ m.weight2

    lp = ef.log_partition
    if lp.training:
        w1 = lp.weight1 * (lp.weight1.abs() >= lp.weight1.abs().mean())
        w2 = lp.weight2 * (lp.weight2.abs() >= lp.weight2.abs().mean())
    else:
        w1, w2 = lp.weight1, lp.weight2

    def la(x):
        return sig(x @ w1 @ w2)

    def dA(a):
        return (a * (1 - a)) @ w1 @ w2

    def gz(x):
        return lin(ef.z_parameter_generator, x)

    def ge(x):
        return lin(ef.eps_parameter_generator, x)

    def lam(x):
        return x @ ef.multiplier.weight.T + ef.multiplier.bias

    tz, te = gz(z_hat), ge(eps_hat)
    az, ae = sig(la(tz)), sig(la(te))
    # Σ_i θ_i v written as the code's matmul(θᵀ, v).sum(-2)
    sz_times = lambda theta, v: (theta.unsqueeze(-1) @ v.unsqueeze(-2)).sum(-2)  # noqa: E731
    kl = ae - sz_times(te, dA(ae)) - az + sz_times(tz, dA(az))
    nz, ne = la(gz(dA(az))), la(ge(dA(ae)))
    g_z = lam(
        -nz + gz(la(az * (1 - az))) + sz_times(tz, la(nz * (1 - az))) - sz_times(tz, la(nz * az))
    )
    g_e = lam(
        ne - ge(la(ae * (1 - ae))) - sz_times(te, la(ne * (1 - ae))) + sz_times(te, la(ne * ae))
    )
    big_t = lin(ef.sufficient_statistic, z_hat).sum(0)
    p_z = gz(big_t) + z_hat.shape[0] * lin(ef.sufficient_statistic, tz) - nz
    p_e = 2 * sz_times(tz, te)
    el = (g_z + p_z).norm(dim=1) + (g_e + p_e).norm(dim=1) + kl.norm(dim=1)
    return kl, el


@pytest.mark.parametrize("training", [True, False])
def test_ef_terms_match_the_written_out_formulas(training):
    torch.manual_seed(3)
    ef = EFConversion(4).double().train(training)
    z_hat, eps_hat = _rows(4), _rows(5)
    kl, el = ef(z_hat, eps_hat)
    kl_ref, el_ref = _ef_written_out(ef, z_hat, eps_hat)
    assert kl.shape == (6, 4) and el.shape == (6,)
    torch.testing.assert_close(kl, kl_ref)
    torch.testing.assert_close(el, el_ref)
    assert (el > 0).all()


def test_calibration_loss_matches_definition():
    kl_total = torch.tensor([1.0, -2.0, 0.5])
    gauss = torch.tensor([0.2, 0.1, 0.0])
    expected = ((1.0 - 0.6) ** 2 + (-2.0 - 0.3) ** 2 + 0.5**2) / 3
    assert calibration_loss(kl_total, gauss, 3).item() == pytest.approx(expected)


@pytest.mark.parametrize("n_units", [1, 3])
def test_multi_ipe_shapes_and_units_are_parallel(n_units):
    torch.manual_seed(0)
    multi = MultiIPE(n_units, 5)
    z, eps = torch.randn(7, 5), torch.randn(7, 5)
    out = multi(z, eps)
    assert out["z_hat"].shape == (n_units, 7, 5)
    assert out["eps_hat"].shape == (n_units, 7, 5)
    assert out["ef_kl"].shape == (n_units, 7, 5)
    assert out["ef_similarity"].shape == (n_units, 7)
    for m, unit in enumerate(multi.units):  # each unit acts on the same z (not composed)
        torch.testing.assert_close(out["z_hat"][m], unit.transform(z))
    torch.testing.assert_close(multi.transform(z), out["z_hat"].mean(0))
    assert set(multi(z)) == {"z_hat"}


def test_ipe_only_ablation_has_no_ef_parameters():
    unit = IPEUnit(4, ef_conversion=False)
    assert unit.ef is None
    assert {n for n, _ in unit.named_parameters()} == {"transform.w1", "transform.w2"}
    out = unit(torch.randn(3, 4), torch.randn(3, 4))
    assert set(out) == {"z_hat", "eps_hat"}


def test_gradients_reach_ipe_and_ef_parameters():
    torch.manual_seed(0)
    multi = MultiIPE(2, 4)
    z = torch.randn(5, 4, requires_grad=True)
    eps = torch.randn(5, 4)
    out = multi(z, eps)
    loss = out["ef_similarity"].sum(0).mean() + out["ef_kl"].sum() + out["z_hat"].sum()
    loss.backward()
    for name, p in multi.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert z.grad.abs().sum() > 0


def _golden_ipe_state(npz, prefix):
    """Map the official ``inv_equ.*`` names onto :class:`MultiIPE` names."""
    state = {}
    for key in npz.files:
        if not key.startswith(prefix + "state/inv_equ."):
            continue
        name = key[len(prefix + "state/") :]
        if ".nu." in name or ".post_carrier." in name:  # unused in the official forward
            continue
        name = re.sub(r"^inv_equ\.(\d+)\.w(\d)$", r"units.\1.transform.w\2", name)
        name = name.replace("inv_equ.", "units.").replace(".subobj.", ".ef.")
        name = name.replace("suff_stat", "sufficient_statistic")
        name = name.replace("log_norm.w", "log_partition.weight")
        name = name.replace("lambda_", "multiplier")
        name = re.sub(r"layers\.(\d)$", lambda m: f"weight{int(m.group(1)) + 1}", name)
        state[name] = torch.from_numpy(npz[key])
    return state


@pytest.mark.parametrize("prefix", ["vae/", "tcvae/"])
def test_ef_terms_match_official_golden(prefix):
    npz = np.load(GOLDEN)
    multi = MultiIPE(3, 10)
    multi.load_state_dict(_golden_ipe_state(npz, prefix))
    multi.train()  # the golden pass ran in training mode (mask on)
    z, mu, logvar = (torch.from_numpy(npz[prefix + k]) for k in ("z", "mu", "logvar"))
    eps = (z - mu) / torch.exp(0.5 * logvar)
    out = multi(z, eps)
    ef_kl_total = out["ef_kl"].sum((0, 2))
    gaussian_kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)
    reg = out["ef_similarity"].sum(0).mean() + calibration_loss(ef_kl_total, gaussian_kl, 3)
    rel = dict(rtol=1e-4, atol=0)
    torch.testing.assert_close(reg, torch.tensor(npz[prefix + "obj/reg"][0]), **rel)
    torch.testing.assert_close(
        gaussian_kl.mean(), torch.tensor(npz[prefix + "obj/origin_kld"][0]), **rel
    )
    if prefix == "vae/":
        torch.testing.assert_close(ef_kl_total.mean(), torch.tensor(npz["vae/obj/kld"][0]), **rel)


@pytest.mark.parametrize("form", ["product", "single"])
def test_ipe_matrices_stacks_each_transforms_matrix(form):
    torch.manual_seed(0)
    transforms = [IPETransform(4, form=form).double() for _ in range(3)]
    stacked = ipe_matrices(transforms)
    assert stacked.shape == (3, 4, 4)
    for matrix, transform in zip(stacked, transforms):
        torch.testing.assert_close(matrix, transform.matrix())
    with pytest.raises(ValueError, match="one form and symmetry"):
        ipe_matrices([IPETransform(4), IPETransform(4, form="single")])


@pytest.mark.parametrize("training", [True, False])
def test_batched_ef_terms_equal_each_units_own(training):
    torch.manual_seed(1)
    conversions = [EFConversion(4).double().train(training) for _ in range(3)]
    z_hat, eps_hat = _rows(6, n=15).reshape(3, 5, 4), _rows(7, n=15).reshape(3, 5, 4)
    kl, similarity = ef_terms(conversions, z_hat, eps_hat)
    assert kl.shape == (3, 5, 4) and similarity.shape == (3, 5)
    for m, conversion in enumerate(conversions):
        kl_m, similarity_m = _ef_written_out(conversion, z_hat[m], eps_hat[m])
        torch.testing.assert_close(kl[m], kl_m)
        torch.testing.assert_close(similarity[m], similarity_m)
