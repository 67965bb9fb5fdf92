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
  DATE_TRUNC('day', created_at) AS bucket,
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
      platform LIKE 'test%' ESCAPE '\'
    )
    AND NOT (
      STRPOS(order_id, '-dup') > 0
    )
    AND NOT (
      status IS NULL
    )) AS a3,
  SUM(amount) FILTER(WHERE
    status = 'completed') AS a4
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP(6))
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP(6))
GROUP BY
  1
ORDER BY
  1
