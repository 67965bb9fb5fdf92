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
  sumIfOrNull(tripl_p0, tripl_t0 AND tripl_t1) / nullIf(sumIfOrNull(tripl_p1, tripl_t0 AND tripl_t1), 0) AS a0,
  COALESCE(sumIfOrNull(tripl_p2, tripl_t0 AND tripl_t1), 0) AS a1
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - (
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 900000000 + 900000000
      ) % 900000000,
      'UTC'
    ) AS bucket,
    COALESCE(status <> 'cancelled', FALSE) AS tripl_t0,
    COALESCE(POSITION(country, 'U') > 0, FALSE) AS tripl_t1,
    sumOrNull(amount) AS tripl_p0,
    count(amount) AS tripl_p1,
    count() AS tripl_p2
  FROM src
  WHERE
    created_at >= toDateTime64('2026-01-07 00:00:00.000000', 6, 'UTC')
    AND created_at < toDateTime64('2026-01-09 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1,
    2,
    3
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
