"""Write ``tests/data/vqvae_pythae_fixture.npz``: pythae's VQ-VAE loss on fixed weights.

The parity test of sklvae's VQ-VAE (``tests/nn/test_quantized.py``) loads sklvae's
:class:`~sklvae.nn.quantized.VQVAEModule` with the weights stored here and compares its
loss terms, and the EMA update of the codebook, with pythae's ``VQVAE`` (``pythae`` on
PyPI) on the same batch, so that CI does not need pythae.

The model is small and linear so that both libraries hold the same weights: tabular
inputs of 12 features in [0, 1], an encoder head ``x -> W_enc x + b_enc`` giving 3
latent vectors of 4 entries (position by position), a codebook of 6 vectors and a
decoder ``z -> W_dec z + b_dec`` (the output mean, no activation: sklvae's
``likelihood="gaussian"`` on tabular data is pythae's summed squared error). pythae
quantizes an encoder output of shape (B, D, H, W) at every (H, W) position; the
encoder here returns the 3 vectors as (B, 4, 3, 1) and the decoder reads the
quantized (B, 4, 3, 1) back position by position. The encoder outputs are near the
codebook's scale (pythae initialises the codes U(-1/K, 1/K)) so that the batch uses
several codes. Two configurations: the codebook loss (``use_ema=False``) and EMA
codebook updates (``use_ema=True``, decay 0.9), where the fixture also holds the
codebook and moving averages after one training-mode forward pass.

Run it in a virtual environment with pythae (torch CPU, no torchvision needed)::

    python -m venv /tmp/pythae_venv
    /tmp/pythae_venv/bin/pip install torch      # the CPU wheel
    /tmp/pythae_venv/bin/pip install -c constraints.txt pythae   # constraints: torch==<same>
    /tmp/pythae_venv/bin/python benchmarks/make_vqvae_fixture.py

The script prints the losses it stores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

OUTPUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "vqvae_pythae_fixture.npz"
N_SAMPLES, N_FEATURES, N_LATENTS, EMBEDDING_DIM, CODEBOOK_SIZE = 16, 12, 3, 4, 6
COMMITMENT, EMA_DECAY = 0.25, 0.9


def make_inputs(seed: int = 0) -> dict[str, np.ndarray]:
    """The fixed data, weights and initial codebook / moving averages (float32)."""
    rng = np.random.RandomState(seed)
    width = N_LATENTS * EMBEDDING_DIM

    def f32(a):
        return np.asarray(a, dtype=np.float32)

    bound = 1.0 / CODEBOOK_SIZE
    return {
        "x": f32(rng.rand(N_SAMPLES, N_FEATURES)),
        "w_enc": f32(rng.randn(width, N_FEATURES) * 0.08),
        "b_enc": f32(rng.randn(width) * 0.05),
        "w_dec": f32(rng.randn(N_FEATURES, width)),
        "b_dec": f32(rng.rand(N_FEATURES)),
        "codebook": f32(rng.uniform(-bound, bound, (CODEBOOK_SIZE, EMBEDDING_DIM))),
        "ema_embed": f32(rng.uniform(-bound, bound, (CODEBOOK_SIZE, EMBEDDING_DIM))),
        "commitment_weight": np.float32(COMMITMENT),
        "ema_decay": np.float32(EMA_DECAY),
    }


def pythae_results(inputs: dict[str, np.ndarray], use_ema: bool) -> dict[str, np.ndarray]:
    """pythae's VQVAE forward (training mode) on the fixed inputs."""
    from pythae.models import VQVAE, VQVAEConfig
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseEncoder

    tensors = {key: torch.from_numpy(np.asarray(value)) for key, value in inputs.items()}

    class Encoder(BaseEncoder):
        def forward(self, x):
            h = x @ tensors["w_enc"].T + tensors["b_enc"]
            # (B, n_latents, D) -> pythae's (B, D, H=n_latents, W=1)
            embedding = h.view(-1, N_LATENTS, EMBEDDING_DIM).permute(0, 2, 1).unsqueeze(-1)
            return ModelOutput(embedding=embedding)

    class Decoder(BaseDecoder):
        def forward(self, z):
            flat = z.squeeze(-1).permute(0, 2, 1).reshape(z.shape[0], -1)
            return ModelOutput(reconstruction=flat @ tensors["w_dec"].T + tensors["b_dec"])

    config = VQVAEConfig(
        input_dim=(N_FEATURES,),
        latent_dim=EMBEDDING_DIM,
        num_embeddings=CODEBOOK_SIZE,
        commitment_loss_factor=float(inputs["commitment_weight"]),
        quantization_loss_factor=1.0,
        use_ema=use_ema,
        decay=float(inputs["ema_decay"]),
    )
    model = VQVAE(config, encoder=Encoder(), decoder=Decoder())
    quantizer = model.quantizer
    with torch.no_grad():
        if use_ema:
            quantizer.embeddings.copy_(tensors["codebook"])
            quantizer.ema_embed.copy_(tensors["ema_embed"])
        else:
            quantizer.embeddings.weight.copy_(tensors["codebook"])
    model.train()
    out = model({"data": tensors["x"]})
    name = "ema" if use_ema else "codebook_loss"
    results = {
        f"pythae_{name}_loss": np.float64(out.loss.detach()),
        f"pythae_{name}_reconstruction": np.float64(out.recon_loss.detach()),
        f"pythae_{name}_vq": np.float64(out.vq_loss.detach()),
        f"pythae_{name}_indices": out.quantized_indices.reshape(N_SAMPLES, N_LATENTS).numpy(),
    }
    if use_ema:
        results["pythae_ema_codebook_after"] = quantizer.embeddings.detach().numpy().copy()
        results["pythae_ema_cluster_size_after"] = quantizer.cluster_size.detach().numpy().copy()
        results["pythae_ema_embed_after"] = quantizer.ema_embed.detach().numpy().copy()
    return results


def main() -> None:
    import pythae

    inputs = make_inputs()
    results = dict(inputs)
    for use_ema in (False, True):
        values = pythae_results(inputs, use_ema)
        results.update(values)
        name = "ema" if use_ema else "codebook_loss"
        print(
            f"pythae VQVAE ({name}): loss {values[f'pythae_{name}_loss']:.6f} "
            f"(reconstruction {values[f'pythae_{name}_reconstruction']:.6f}, "
            f"vq {values[f'pythae_{name}_vq']:.6f}), codes used "
            f"{np.unique(values[f'pythae_{name}_indices']).size}"
        )
    results["pythae_version"] = np.array(getattr(pythae, "__version__", "unknown"))
    results["torch_version"] = np.array(torch.__version__)
    np.savez(OUTPUT, **results)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
