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
      UNIX_MICROS(created_at) % 900000000 + 900000000
    ) % 900000000
  ) AS bucket,
  AVG(amount) FILTER(WHERE
    status <> 'cancelled' AND LOCATE('U', country) > 0) AS a0,
  COUNT(*) FILTER(WHERE
    status <> 'cancelled' AND LOCATE('U', country) > 0) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-11 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
