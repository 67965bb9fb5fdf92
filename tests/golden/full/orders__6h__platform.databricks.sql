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
  TIMESTAMP_MICROS(
    UNIX_MICROS(created_at) - (
      UNIX_MICROS(created_at) % 21600000000 + 21600000000
    ) % 21600000000
  ) AS bucket,
  COALESCE(CAST(platform AS STRING), '') AS breakdown_value,
  MAX(amount) FILTER(WHERE
    platform IN ('ios', 'android')) AS a0,
  COUNT(*) FILTER(WHERE
    platform IN ('ios', 'android')) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1,
  2
ORDER BY
  1,
  2
