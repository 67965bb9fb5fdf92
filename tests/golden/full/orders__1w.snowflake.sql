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
  DATEADD(
    MICROSECOND,
    -(
      (
        (
          DATE_PART(EPOCH_MICROSECOND, created_at) - 345600000000
        ) % 604800000000 + 604800000000
      ) % 604800000000
    ),
    created_at
  ) AS bucket,
  MIN(
    CASE
      WHEN amount < 10000.5
      AND (
        amount > 0 AND amount <> CAST('NaN' AS DOUBLE)
      )
      AND amount <= 9999
      THEN amount
    END
  ) AS a0,
  COUNT(
    CASE
      WHEN amount < 10000.5
      AND (
        amount > 0 AND amount <> CAST('NaN' AS DOUBLE)
      )
      AND amount <= 9999
      THEN 1
    END
  ) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMPNTZ)
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMPNTZ)
GROUP BY
  1
ORDER BY
  1
