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
      UNIX_MICROS(created_at) % 86400000000 + 86400000000
    ) % 86400000000
  ) AS bucket,
  COUNT(DISTINCT user_id) AS a0
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
