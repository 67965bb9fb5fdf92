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
  DATE_ADD('hour', -(
    HOUR(created_at) % 6
  ), DATE_TRUNC('day', created_at)) AS bucket,
  MAX(amount) FILTER(WHERE
    platform IN ('ios', 'android')) AS a0,
  COUNT(*) FILTER(WHERE
    platform IN ('ios', 'android')) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP(6))
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP(6))
GROUP BY
  1
ORDER BY
  1
