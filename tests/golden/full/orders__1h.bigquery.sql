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
  TIMESTAMP_TRUNC(created_at, HOUR, 'UTC') AS bucket,
  SUM(
    CASE
      WHEN status = 'completed'
      AND is_test = FALSE
      AND NOT (
        status IN ('cancelled', 'fraud')
      )
      AND amount > 0
      THEN amount
    END
  ) AS a0,
  COUNT(
    CASE
      WHEN status = 'completed'
      AND is_test = FALSE
      AND NOT (
        status IN ('cancelled', 'fraud')
      )
      AND amount > 0
      THEN 1
    END
  ) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
