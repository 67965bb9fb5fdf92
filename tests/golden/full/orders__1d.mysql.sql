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
  TIMESTAMPADD(
    MICROSECOND,
    -(
      (
        TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00.000000' AS DATETIME(6)), created_at) % 86400000000 + 86400000000
      ) % 86400000000
    ),
    created_at
  ) AS bucket,
  COUNT(
    CASE
      WHEN is_test = FALSE
      AND NOT (
        (
          status IN ('cancelled' COLLATE utf8mb4_bin, 'fraud' COLLATE utf8mb4_bin)
          AND NOT (
            status LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
          )
        )
      )
      THEN 1
    END
  ) AS a0,
  COUNT(DISTINCT CAST(CASE WHEN status = 'completed' THEN user_id END AS BINARY)) AS a1,
  COUNT(CASE WHEN status = 'completed' THEN 1 END) AS a2,
  COUNT(
    CASE
      WHEN (
        country = 'US' COLLATE utf8mb4_bin
        AND NOT (
          country LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
        )
      )
      AND amount >= 100
      AND NOT (
        platform LIKE 'test%' COLLATE utf8mb4_bin ESCAPE '\\'
      )
      AND NOT (
        LOCATE('-dup' COLLATE utf8mb4_bin, order_id) > 0
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
  created_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6))
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
GROUP BY
  1
ORDER BY
  1
