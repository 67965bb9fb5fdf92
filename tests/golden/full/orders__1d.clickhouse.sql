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
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 86400000000 + 86400000000
    ) % 86400000000,
    'UTC'
  ) AS bucket,
  countIf(is_test = FALSE AND NOT (
    status IN ('cancelled', 'fraud')
  )) AS a0,
  uniqExactIf(user_id, status = 'completed') AS a1,
  countIf(status = 'completed') AS a2,
  countIf(
    country = 'US'
    AND amount >= 100
    AND NOT (
      platform LIKE 'test%'
    )
    AND NOT (
      POSITION(order_id, '-dup') > 0
    )
    AND NOT (
      status IS NULL
    )
  ) AS a3,
  sumIfOrNull(amount, status = 'completed') AS a4
FROM src
WHERE
  created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
  AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
GROUP BY
  1
ORDER BY
  1
