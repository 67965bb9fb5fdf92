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
      (
        UNIX_MICROS(created_at) - 345600000000
      ) % 604800000000 + 604800000000
    ) % 604800000000
  ) AS bucket,
  MIN(amount) FILTER(WHERE
    amount < 10000.5 AND amount > 0 AND amount <= 9999) AS a0,
  COUNT(*) FILTER(WHERE
    amount < 10000.5 AND amount > 0 AND amount <= 9999) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
