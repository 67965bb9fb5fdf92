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
        DATE_PART(EPOCH_MICROSECOND, created_at) % 86400000000 + 86400000000
      ) % 86400000000
    ),
    created_at
  ) AS bucket,
  COUNT(
    CASE WHEN is_test = FALSE AND NOT (
      status IN ('cancelled', 'fraud')
    ) THEN 1 END
  ) AS a0,
  COUNT(DISTINCT CASE WHEN status = 'completed' THEN user_id END) AS a1,
  COUNT(CASE WHEN status = 'completed' THEN 1 END) AS a2,
  COUNT(
    CASE
      WHEN country = 'US'
      AND (
        amount >= 100 AND amount <> CAST('NaN' AS DOUBLE)
      )
      AND NOT (
        platform LIKE 'test%' ESCAPE '\\'
      )
      AND NOT (
        CHARINDEX('-dup', order_id) > 0
      )
      AND NOT (
        status IS NULL
      )
      THEN 1
    END
  ) AS a3,
  SUM(CASE WHEN status = 'completed' THEN amount END) AS a4
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMPNTZ)
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMPNTZ)
GROUP BY
  1
ORDER BY
  1
