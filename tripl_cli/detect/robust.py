"""Small robust-statistics helpers (fast NaN-aware medians and the spread estimator)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from tripl_cli.detect.grid import FloatArray

#: 1.4826 * MAD estimates a normal sigma; squared, median(r^2) = 0.4549 * sigma^2.
MAD_SCALE = 1.4826
_MEDIAN_CHI2_1 = 0.454936
_SQRT_MEDIAN_CHI2_1 = float(np.sqrt(_MEDIAN_CHI2_1))
#: Scales below this fraction of the largest one are too close to zero to measure noise on.
_MIN_SCALE = 1e-6
_HUGE = 1e150


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
    # Work in units of `scale`: squaring a tiny scale underflows, a huge residual overflows.
    # A bucket whose expected value is ~0 has no relative noise to tell, so it is left out.
    keep = scale > _MIN_SCALE * float(np.max(scale, initial=0.0))
    if not np.any(keep):
        return 0.0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # `ok` drops those
        r = residuals[keep] / scale[keep]
        floor_units = np.sqrt(floor_sq[keep]) / scale[keep]
    ok = np.isfinite(r) & np.isfinite(floor_units)
    if not np.any(ok):
        return 0.0
    # Beyond 1e150 units a ratio is "infinite" for this purpose; capping keeps squares finite.
    r_units = np.minimum(np.abs(r[ok]) / _SQRT_MEDIAN_CHI2_1, _HUGE)
    excess = r_units**2 - np.minimum(floor_units[ok], _HUGE) ** 2
    value = float(np.median(excess))
    return float(np.sqrt(value)) if value > 0 else 0.0


def level_noise_factor(points: int) -> float:
    """Spread inflation for a level that is itself the median of `points` noisy buckets.

    Var(median of n) ~ (pi / 2) * sigma^2 / n, and the forecast error carries it on top of the
    bucket's own noise.
    """
    return float(np.sqrt(1.0 + (np.pi / 2.0) / max(points, 1)))


#: Tail calibration: the spread is widened until at most this many recent honest residuals
#: fall outside the matching normal quantile (fewer samples: a lower quantile).
_TAIL_POINTS = 5
#: But never calibrated further out than this quantile (a far tail is a noisy estimate).
_TAIL_QUANTILE = 0.98
#: Fewer residuals than this and the tail is not calibrated at all.
_MIN_TAIL_SAMPLES = 20


def tail_factor(standardized: FloatArray) -> float:
    """How much wider the spread must be for its tails to match the residuals' (>= 1).

    A median-based spread describes the bulk of the noise; heavy-tailed or bursty series
    exceed sigma far more often than a normal would. Compare an upper quantile q of |z| with
    the normal's: q = min(0.98, 1 - 5/n), so at least five residuals lie beyond it and one
    stray outlier cannot move it. Returns 1 when the residuals are no wider than claimed
    (within sampling error).
    """
    z = np.abs(standardized[np.isfinite(standardized)])
    n = int(z.size)
    if n < _MIN_TAIL_SAMPLES:
        return 1.0
    q = min(_TAIL_QUANTILE, 1.0 - _TAIL_POINTS / n)
    observed = float(np.quantile(z, q))
    normal = NormalDist()
    reference = normal.inv_cdf(0.5 + q / 2.0)
    # Widen only beyond one standard error of the quantile under normal noise: a few dozen
    # residuals' tail is a noisy estimate, and a chance high value must not blunt detection.
    error = float(np.sqrt(q * (1.0 - q) / n)) / (2.0 * normal.pdf(reference))
    return max(1.0, observed / (reference + error))


def resolution(values: FloatArray) -> float:
    """The step a quantised series moves in (0 when it never moves).

    The median gap between consecutive distinct values: 1 for integer counts, the quantum of
    a metric reported to a few decimals, and negligible (~range/n) for continuous data. A
    change of one step is never evidence of anything, however flat the series usually is.
    """
    distinct = np.unique(values[np.isfinite(values)])
    if distinct.size < 2:
        return 0.0
    return float(np.median(np.diff(distinct)))


def zero_share(values: FloatArray) -> float:
    """Share of (finite) values that are exactly zero."""
    finite = values[np.isfinite(values)]
    return float(np.count_nonzero(finite == 0)) / finite.size if finite.size else 0.0
