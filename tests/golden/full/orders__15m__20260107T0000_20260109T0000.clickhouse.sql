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
    toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - (
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 900000000 + 900000000
    ) % 900000000,
    'UTC'
  ) AS bucket,
  avgIfOrNull(amount, status <> 'cancelled' AND POSITION(country, 'U') > 0) AS a0,
  countIf(status <> 'cancelled' AND POSITION(country, 'U') > 0) AS a1
FROM src
WHERE
  created_at >= toDateTime64('2026-01-07 00:00:00.000000', 6, 'UTC')
  AND created_at < toDateTime64('2026-01-09 00:00:00.000000', 6, 'UTC')
GROUP BY
  1
ORDER BY
  1
