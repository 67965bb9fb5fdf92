WITH src AS (
  SELECT
    created_at,
    order_id,
    user_id,
    amount,
    status,
    country,
    platform,
    is_test
  FROM orders
)
SELECT
  bucket,
  toFloat64(sumIfOrNull(tripl_p1, bitAnd(tripl_mask, 3) = 3)) / nullIf(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 3) = 3), 0) AS a0,
  COALESCE(sumIfOrNull(tripl_p2, bitAnd(tripl_mask, 3) = 3), 0) AS a1
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')), 900000000),
      'UTC'
    ) AS bucket,
    CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END + CASE WHEN POSITION(country, 'U') > 0 THEN 2 ELSE 0 END AS tripl_mask,
    count(amount) AS tripl_p0,
    sumOrNull(amount) AS tripl_p1,
    count() AS tripl_p2
  FROM src
  WHERE
    created_at >= toDateTime64('2026-01-09 00:00:00.000000', 6, 'UTC')
    AND created_at < toDateTime64('2026-01-11 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
