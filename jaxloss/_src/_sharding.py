"""The whole batch, for losses whose values couple its samples, in both parallel styles.

Global arrays under `jit` (an explicit mesh): the other side of a pairwise product is resharded to
replicated, and XLA adds the collectives. Inside `shard_map`/`pmap` with an `axis_name`: each device holds
its shard, so the batch is all-gathered (its transpose scatters the gradient back) and batch statistics
are `psum`-ed over the axis.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import jax
from jax import lax

from jaxloss._src import _checks


def sharding_of(x: Any) -> Any:
    """The sharding that `x`'s type carries (explicit meshes), or None (one device, or a JAX without them)."""
    typeof = getattr(jax, "typeof", None)  # JAX 0.6 and later; explicit meshes came with it
    return None if typeof is None else getattr(typeof(x), "sharding", None)


def explicit_axes(mesh: Any) -> set[Any]:
    """The names of `mesh`'s explicit axes (none for a mesh the compiler partitions by itself)."""
    explicit = getattr(getattr(jax.sharding, "AxisType", None), "Explicit", None)
    names, kinds = getattr(mesh, "axis_names", ()), getattr(mesh, "axis_types", ())
    return {name for name, kind in zip(names, kinds, strict=True) if explicit is not None and kind == explicit}


def replicated(x: jax.Array) -> jax.Array:
    """`x` unsharded, when it is sharded over an explicit mesh axis: the other side of a pairwise product.

    On an explicit mesh, `x @ x.T` with the batch axis sharded would shard both axes of the result over
    the same mesh axis, which JAX rejects; the second operand is gathered instead.
    """
    if not explicit_axes(getattr(sharding_of(x), "mesh", None)):
        return x
    return jax.sharding.reshard(x, jax.sharding.PartitionSpec())


def whole_batch(x: jax.Array, axis_name: Hashable | None) -> tuple[jax.Array, Any]:
    """The whole batch (leading axis) and the position of this device's first row in it.

    With `axis_name`, the shards are all-gathered in device order over the axis; without it, `x` is the
    whole batch (replicated if it is sharded over an explicit mesh), at position 0.
    """
    if axis_name is None:
        return replicated(x), 0
    axis_name = _checks.canonical_axis_name(axis_name)
    return lax.all_gather(x, axis_name, axis=0, tiled=True), lax.axis_index(axis_name) * x.shape[0]


def batch_sum(x: Any, axis_name: Hashable | None) -> Any:
    """`x` (a pytree of per-device partial sums over the batch) summed over the devices of `axis_name`."""
    return x if axis_name is None else lax.psum(x, _checks.canonical_axis_name(axis_name))


def batch_max(x: Any, axis_name: Hashable | None) -> Any:
    """`x` (a pytree of per-device maxima over the batch) maximized over the devices of `axis_name`."""
    return x if axis_name is None else lax.pmax(x, _checks.canonical_axis_name(axis_name))
