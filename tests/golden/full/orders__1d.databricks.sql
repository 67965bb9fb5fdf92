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
  COUNT(*) FILTER(WHERE
    is_test = FALSE AND NOT (
      status IN ('cancelled', 'fraud')
    )) AS a0,
  COUNT(DISTINCT user_id) FILTER(WHERE
    status = 'completed') AS a1,
  COUNT(*) FILTER(WHERE
    status = 'completed') AS a2,
  COUNT(*) FILTER(WHERE
    country = 'US'
    AND amount >= 100
    AND NOT (
      platform LIKE 'test%' ESCAPE '\\'
    )
    AND NOT (
      LOCATE('-dup', order_id) > 0
    )
    AND NOT (
      status IS NULL
    )) AS a3,
  SUM(amount) FILTER(WHERE
    status = 'completed') AS a4
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
