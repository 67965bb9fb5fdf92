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
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 21600000000 + 21600000000
    ) % 21600000000,
    'UTC'
  ) AS bucket,
  ifNull(toString(platform), '') AS breakdown_value,
  maxIfOrNull(amount, platform IN ('ios', 'android')) AS a0,
  countIf(platform IN ('ios', 'android')) AS a1
FROM src
WHERE
  created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
  AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
GROUP BY
  1,
  2
ORDER BY
  1,
  2
