"""Inference shared by every estimator: the one batched loop and what is built on it.

And the pickled state of a fitted model (with the version check on loading).

:class:`InferenceMixin` is mixed into :class:`sklvae.base.BaseDisentangler`. Every
predict-like method (``transform``, ``inverse_transform``, ``reconstruct``, ``sample``,
``score`` and the method-specific ones) goes through :meth:`InferenceMixin._inference_batches`.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from ._devices import resolve_device
from ._validation import ImageDataset, check_input, from_module_tensor

__all__ = ["InferenceMixin", "InconsistentSklvaeVersionWarning"]


class InconsistentSklvaeVersionWarning(UserWarning):
    """A model pickled by one sklvae version was unpickled by another."""


def _package_version() -> str:
    from . import __version__

    return __version__


class InferenceMixin:
    """Fitted-model methods of the estimators (see :class:`sklvae.base.BaseDisentangler`).

    Also the pickled state: it records the sklvae version, and unpickling a model saved
    by another version warns, as scikit-learn does for its own versions.
    """

    # provided by BaseDisentangler (the estimator this mixin completes)
    net_: Any
    input_spec_: Any
    batch_size: int
    device: Any

    def _representation_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``module.representation`` and ``module.decode_mean``.

        Estimators with a ``representation`` parameter (what ``transform`` returns) pass
        it here, when transforming, so the fitted module never stores it.
        """
        return {}

    def _cuda_devices(self) -> list[int]:
        device = torch.device(resolve_device(self.device))
        if device.type == "cuda" and torch.cuda.is_available():
            return [device.index or 0]
        return []

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()  # type: ignore[assignment]
        state["_sklvae_version"] = _package_version()
        return state

    def __setstate__(self, state):
        saved = state.pop("_sklvae_version", None)
        if saved is not None and saved != _package_version():
            warnings.warn(
                f"Trying to unpickle {type(self).__name__} from sklvae {saved} when using "
                f"version {_package_version()}. This might lead to breaking code or invalid "
                "results. Use at your own risk.",
                InconsistentSklvaeVersionWarning,
                stacklevel=2,
            )
        super().__setstate__(state)  # type: ignore[misc]

    @property
    def module_(self):
        """The fitted torch module."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "net_") and bool(getattr(self.net_, "initialized_", False))

    def _validate(self, X, min_samples: int = 1):
        check_is_fitted(self)
        _check_feature_names(self, X, reset=False)
        return check_input(
            X,
            data_layout=self.input_spec_.layout,
            min_samples=min_samples,
            estimator_name=type(self).__name__,
            reset=False,
            fitted_spec=self.input_spec_,
        )

    def _inference_batches(
        self, data, *, batch_size: int | None = None
    ) -> Iterator[tuple[slice, torch.Tensor]]:
        """Yield ``(rows, batch)`` over ``data`` with the module in eval mode, no grad.

        The one batched-inference loop of the package, behind ``transform``,
        ``inverse_transform``, ``reconstruct``, ``sample``, ``score`` and every
        method-specific predict-like path. ``data`` is either input ``X`` (validated
        against the fitted input, read lazily and converted to the module's float
        tensors) or a float tensor of latent codes. ``rows`` is the slice of ``data``
        the batch holds, so callers can pair it with per-sample arguments.
        """
        check_is_fitted(self)
        if torch.is_tensor(data):
            n_rows = data.shape[0]

            def read(rows: slice) -> torch.Tensor:
                return data[rows]
        else:
            X, _ = self._validate(data)
            dataset = ImageDataset(X, self.input_spec_)
            n_rows = len(dataset)

            def read(rows: slice) -> torch.Tensor:
                return dataset.__getitems__(list(range(rows.start, rows.stop)))[0]

        net = self.net_
        convert = not torch.is_tensor(data)  # input X, not latent codes
        module = self.net_.module_
        device = self.net_.device
        size = batch_size or max(self.batch_size, 256)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                for start in range(0, n_rows, size):
                    rows = slice(start, min(start + size, n_rows))
                    batch = read(rows)
                    yield rows, net.module_input(batch) if convert else batch.to(device)
        finally:
            module.train(was_training)

    def _predict_batches(
        self,
        data,
        function: Callable[[Any, torch.Tensor], torch.Tensor],
        batch_size: int | None = None,
    ) -> list[torch.Tensor]:
        """``[function(module, batch) for each inference batch]``, on the CPU.

        Run in a torch RNG stream seeded with 0 (the caller's stream is kept), so a
        stochastic output (a posterior sample for ``transform``, the score's draw) is the
        same for the same data.
        """
        module = self.net_.module_ if hasattr(self, "net_") else None
        with torch.random.fork_rng(devices=self._cuda_devices()):
            torch.manual_seed(0)
            return [
                function(module, batch).detach().cpu()
                for _, batch in self._inference_batches(data, batch_size=batch_size)
            ]

    def _encode(self, X) -> np.ndarray:
        """The representation of ``X`` (what ``transform`` returns)."""
        kwargs = self._representation_kwargs()
        parts = self._predict_batches(X, lambda module, x: module.representation(x, **kwargs))
        codes = torch.cat(parts).numpy()
        if not np.isfinite(codes).all():
            raise ValueError(
                f"{type(self).__name__}.transform: the representation of X holds NaN or "
                "infinite values; X is likely far outside the scale of the training data "
                "(the float32 computation overflowed). Rescale X as the training data were."
            )
        return codes

    def _check_codes(self, Z) -> torch.Tensor:
        """Latent codes ``(n, fitted code width)`` as a float32 tensor, or a clear error."""
        check_is_fitted(self)
        module = self.net_.module_
        width = module.code_width
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != width:
            what = "n_latents" if width == module.n_latents else "code width"
            raise ValueError(
                f"Z must have shape (n_samples, {width}) (the fitted model's {what}); "
                f"got {Z.shape}."
            )
        if not np.isfinite(Z).all():
            raise ValueError("Z contains NaN or infinity.")
        return torch.from_numpy(Z)

    def _decode(self, Z, decode_kwargs: dict[str, Any] | None = None) -> np.ndarray:
        """Decoded means of codes ``Z`` (``module.decode_mean(z, **decode_kwargs)``).

        ``decode_kwargs`` defaults to ``transform``'s space (:meth:`_representation_kwargs`).
        """
        kwargs = self._representation_kwargs() if decode_kwargs is None else decode_kwargs
        parts = self._predict_batches(
            self._check_codes(Z), lambda module, z: module.decode_mean(z, **kwargs)
        )
        return from_module_tensor(torch.cat(parts), self.input_spec_)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode latent codes to data.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_latents)
            Codes in the space ``transform`` returns.

        Returns
        -------
        ndarray of shape (n_samples, ...)
            Decoded means in the fitted input's layout and scale (uint8 if it was).
        """
        return self._decode(Z)

    def reconstruct(self, X) -> np.ndarray:
        """Decode the encoding of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data to reconstruct, in the fitted input's layout and scale.

        Returns
        -------
        ndarray
            Reconstructions with the shape, layout and scale of ``X``.
        """
        kwargs = self._representation_kwargs()
        parts = self._predict_batches(X, lambda module, x: module.reconstruct(x, **kwargs))
        return from_module_tensor(torch.cat(parts), self.input_spec_)

    def _prior_decode_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``module.decode_mean`` for codes drawn from the prior.

        By default those of ``transform``'s space; a method whose prior lives elsewhere
        (MIPET-VAE: before the IPE units) overrides it.
        """
        return self._representation_kwargs()

    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Draw samples from the generative model: prior codes, then the decoder's mean.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to draw.
        random_state : int, RandomState or None, default=None
            Seeds the prior draw.

        Returns
        -------
        ndarray of shape (n_samples, ...)
            Samples in the fitted input's layout and scale.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
        generator = torch.Generator().manual_seed(
            int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        )
        z = self.net_.module_.sample_prior(int(n_samples), generator)
        return self._decode(z.cpu().numpy(), self._prior_decode_kwargs())

    def score(self, X, y=None) -> float:
        """Mean evidence lower bound (ELBO) per sample; higher is better.

        One posterior sample per input, drawn with a fixed seed, so the score is
        deterministic.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Data to score, in the fitted input's layout and scale.
        y : None
            Ignored.

        Returns
        -------
        float
            The mean ELBO per sample of ``X``.
        """
        parts = self._predict_batches(X, lambda module, x: module.negative_elbo(x))
        return -float(torch.cat(parts).mean())
