"""Tests of sklvae.nn.group_action: straight-through mask and latent group actions."""

import itertools

import pytest
import torch

from sklvae.groups import get_group
from sklvae.nn.group_action import (
    ChannelMask,
    FieldRepresentation,
    LatentGroupAction,
    straight_through_mask,
)


def test_straight_through_mask_is_binary_and_passes_sigmoid_gradient():
    logits = torch.tensor([-2.0, -0.1, 0.0, 0.3, 4.0], requires_grad=True)
    mask = straight_through_mask(logits)
    assert torch.equal(mask, torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0]))  # exact 0/1 values
    upstream = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    (mask * upstream).sum().backward()
    sig = torch.sigmoid(logits.detach())
    torch.testing.assert_close(logits.grad, upstream * sig * (1 - sig))
    assert torch.all(logits.grad != 0)


def test_channel_mask_fields_and_init():
    gen = torch.Generator().manual_seed(0)
    mask = ChannelMask(64, field_size=4, init_std=0.1, generator=gen)
    assert mask.logits.shape == (16,)
    assert mask.logits.std() < 0.3
    values = mask()
    assert values.shape == (64,)
    assert set(values.tolist()) <= {0.0, 1.0}
    assert torch.equal(values.reshape(16, 4).min(1).values, values.reshape(16, 4).max(1).values)
    assert mask.variant_fraction() == pytest.approx(float(values.detach().mean()))
    assert 0.0 < mask.variant_fraction() < 1.0
    with pytest.raises(ValueError, match="multiple of the field size"):
        ChannelMask(10, field_size=4)


@pytest.mark.parametrize("name", ["c2", "c4", "d4", "cube"])
def test_field_representation_is_exact_orthogonal_representation(name):
    group = get_group(name)
    rep = FieldRepresentation(group, 2 * group.order)
    with torch.no_grad():
        rep.skew_params.normal_(generator=torch.Generator().manual_seed(1))
    rho = rep.matrices().double()  # (F, G, o, o)
    eye = torch.eye(group.order, dtype=torch.float64)
    for f in range(rep.n_fields):
        q = rep.basis()[f].double()
        torch.testing.assert_close(q @ q.T, eye, atol=1e-5, rtol=0)
        assert not torch.allclose(q, eye, atol=1e-2)  # a non-trivial learned basis
        for g in group.elements:
            power = torch.linalg.matrix_power(rho[f, g], group.element_order(g))
            torch.testing.assert_close(power, eye, atol=1e-5, rtol=0)  # rho(g)^order = I
        for g, h in itertools.product(group.elements, repeat=2):
            torch.testing.assert_close(
                rho[f, g] @ rho[f, h], rho[f, group.compose(g, h)], atol=1e-5, rtol=0
            )
    with pytest.raises(ValueError, match="divisible by the group order"):
        FieldRepresentation(group, group.order + 1)


def _mask(n_channels, field_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return ChannelMask(n_channels, field_size=field_size, init_std=1.0, generator=gen)()


@pytest.mark.parametrize("action", ["fixed", "learned"])
def test_c4_latent_rotation_four_times_is_identity(action):
    act = LatentGroupAction("c4", 8, action=action)
    if action == "learned":
        with torch.no_grad():
            act.representation.skew_params.normal_(generator=torch.Generator().manual_seed(2))
    mask = _mask(8, act.field_size)
    z = torch.randn(3, 8, 5, 5, generator=torch.Generator().manual_seed(3))
    ones = torch.ones(3, dtype=torch.long)
    out = z
    for step in range(4):
        out, _ = act(out, ones, mask)
        if step < 3:
            assert not torch.allclose(out, z)
    torch.testing.assert_close(out, z, atol=1e-5, rtol=0)
    # the invariant channels are left alone by every element
    invariant = mask == 0
    out, _ = act(z, torch.tensor([1, 2, 3]), mask)
    torch.testing.assert_close(out[:, invariant], z[:, invariant])


@pytest.mark.parametrize("action", ["fixed", "learned"])
def test_cube_latent_action_composes_like_the_group(action):
    group = get_group("cube")
    act = LatentGroupAction(group, 24, action=action)
    mask = torch.ones(24)  # all channels variant: the action is the full one
    z = torch.randn(24, 24, 3, 3, 3, generator=torch.Generator().manual_seed(5))
    h = torch.arange(24)
    for g in [1, 5, 17]:
        gs = torch.full((24,), g)
        two_steps, _ = act(act(z, h, mask)[0], gs, mask)
        one_step, _ = act(z, torch.tensor([group.compose(g, int(k)) for k in h]), mask)
        torch.testing.assert_close(two_steps, one_step, atol=1e-5, rtol=0)
    # 24 distinct latent images of a generic latent volume
    images = {tuple(act(z[:1], torch.tensor([g]), mask)[0].flatten().tolist()) for g in range(24)}
    assert len(images) == 24


def test_latent_action_shape_error():
    act = LatentGroupAction("c4", 8)
    with pytest.raises(ValueError, match="expected latent maps"):
        act(torch.zeros(2, 7, 5, 5), torch.zeros(2, dtype=torch.long), torch.ones(7))
    with pytest.raises(ValueError, match="action must be"):
        LatentGroupAction("c4", 8, action="lie")
