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
  fromUnixTimestamp64Micro(
    toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')), 86400000000),
    'UTC'
  ) AS bucket,
  uniqExact(user_id) AS a0
FROM src
WHERE
  created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
  AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
GROUP BY
  1
ORDER BY
  1
