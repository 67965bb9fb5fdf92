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
  minIfOrNull(tripl_p0, bitAnd(tripl_mask, 7) = 7) AS a0,
  COALESCE(sumIfOrNull(tripl_p1, bitAnd(tripl_mask, 7) = 7), 0) AS a1
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - 345600000000,
        604800000000
      ),
      'UTC'
    ) AS bucket,
    CASE WHEN amount < 10000.5 THEN 1 ELSE 0 END + CASE WHEN amount > 0 THEN 2 ELSE 0 END + CASE WHEN amount <= 9999 THEN 4 ELSE 0 END AS tripl_mask,
    minOrNull(amount) AS tripl_p0,
    count() AS tripl_p1
  FROM src
  WHERE
    created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
