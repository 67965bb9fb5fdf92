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
  MAKE_TIMESTAMP(
    EPOCH_US(created_at) - (
      EPOCH_US(created_at) % 900000000 + 900000000
    ) % 900000000
  ) AS bucket,
  AVG(CASE WHEN status <> 'cancelled' AND STRPOS(country, 'U') > 0 THEN amount END) AS a0,
  COUNT(CASE WHEN status <> 'cancelled' AND STRPOS(country, 'U') > 0 THEN 1 END) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-09 00:00:00.000000' AS TIMESTAMP)
  AND created_at < CAST('2026-01-11 00:00:00.000000' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
