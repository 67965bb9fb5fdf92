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
  DATE_BIN(INTERVAL '1 DAY', created_at, '1970-01-01 00:00:00+00') AS bucket,
  COUNT(DISTINCT user_id) FILTER(WHERE
    status = 'completed') AS a0,
  COUNT(*) FILTER(WHERE
    status = 'completed') AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
