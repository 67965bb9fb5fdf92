"""Small robust-statistics helpers (fast NaN-aware medians and the spread estimator)."""

from __future__ import annotations

import numpy as np

from tripl_cli.detect.grid import FloatArray

#: 1.4826 * MAD estimates a normal sigma; squared, median(r^2) = 0.4549 * sigma^2.
MAD_SCALE = 1.4826
_MEDIAN_CHI2_1 = 0.454936


def column_nanmedian(matrix: FloatArray) -> FloatArray:
    """Median of each column ignoring NaN (NaN where a column is empty).

    np.nanmedian on small matrices is slow; sorting once (NaN sorts last) is not.
    """
    ordered = np.sort(matrix, axis=0)
    count = np.sum(~np.isnan(matrix), axis=0)
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.maximum(count // 2, 0)
    cols = np.arange(matrix.shape[1])
    out: FloatArray = (ordered[lo, cols] + ordered[hi, cols]) / 2.0
    out[count == 0] = np.nan
    return out


def median(values: FloatArray) -> float:
    """Median of a NaN-free 1-D array (NaN when empty); np.median is slow on tiny arrays."""
    n = values.size
    if n == 0:
        return float("nan")
    ordered = np.sort(values)
    return float(ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0


def trailing_medians(values: FloatArray, width: int) -> FloatArray:
    """out[k] = median of values[max(0, k - width):k] (NaN for k = 0): the level known before k."""
    padded = np.concatenate([np.full(width, np.nan), values])
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[: values.size]
    return column_nanmedian(windows.T)


def window_inflation(standardized: FloatArray, sizes: tuple[int, ...]) -> tuple[float, ...]:
    """How much wider than iid the sum of K consecutive standardized residuals runs.

    Forecast errors of one level estimate are correlated (a lagging level errs the same way
    several buckets running); a level-shift test that assumed independence would fire on that.
    Returns max(1, 1.4826 * median|sum of K| / sqrt(K)) per size; NaN with too little data
    to tell (the level-shift test then stays off rather than guess).
    """
    out: list[float] = []
    for size in sizes:
        if standardized.size < size + 8:
            out.append(float("nan"))
            continue
        sums = np.convolve(standardized, np.ones(size), mode="valid")
        spread = MAD_SCALE * float(np.median(np.abs(sums))) / float(np.sqrt(size))
        out.append(max(1.0, spread))
    return tuple(out)


def excess_scale(residuals: FloatArray, floor_sq: FloatArray, scale: FloatArray) -> float:
    """Robust size `c` of the noise beyond the floor, in units of `scale`.

    Models each residual as r ~ N(0, floor^2 + (c * scale)^2) and picks c so the residuals'
    median matches that model: c^2 = median((r^2 / 0.4549 - floor^2) / scale^2), >= 0.
    With no floor this is exactly c = 1.4826 * MAD(r / scale); with pure Poisson noise on a
    sqrt(expected) floor it is ~0, so the floor alone sets the spread.
    """
    keep = scale * scale > 0  # squares of tiny scales underflow to zero
    if not np.any(keep):
        return 0.0
    r = residuals[keep]
    excess = (r * r / _MEDIAN_CHI2_1 - floor_sq[keep]) / (scale[keep] ** 2)
    value = float(np.median(excess))
    return float(np.sqrt(value)) if value > 0 else 0.0


def level_noise_factor(points: int) -> float:
    """Spread inflation for a level that is itself the median of `points` noisy buckets.

    Var(median of n) ~ (pi / 2) * sigma^2 / n, and the forecast error carries it on top of the
    bucket's own noise.
    """
    return float(np.sqrt(1.0 + (np.pi / 2.0) / max(points, 1)))
