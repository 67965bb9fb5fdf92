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
  DATE_BIN(INTERVAL '15 MINUTE', created_at, '1970-01-01 00:00:00+00') AS bucket,
  AVG(amount) FILTER(WHERE
    status <> 'cancelled' AND POSITION('U' IN country) > 0) AS a0,
  COUNT(*) FILTER(WHERE
    status <> 'cancelled' AND POSITION('U' IN country) > 0) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-07 00:00:00.000000' AS TIMESTAMP)
  AND created_at < CAST('2026-01-09 00:00:00.000000' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
