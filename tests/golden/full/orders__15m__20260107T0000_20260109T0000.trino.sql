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
  DATE_ADD('minute', -(
    MINUTE(created_at) % 15
  ), DATE_TRUNC('hour', created_at)) AS bucket,
  AVG(amount) FILTER(WHERE
    status <> 'cancelled' AND STRPOS(country, 'U') > 0) AS a0,
  COUNT(*) FILTER(WHERE
    status <> 'cancelled' AND STRPOS(country, 'U') > 0) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-07 00:00:00.000000' AS TIMESTAMP(6))
  AND created_at < CAST('2026-01-09 00:00:00.000000' AS TIMESTAMP(6))
GROUP BY
  1
ORDER BY
  1
