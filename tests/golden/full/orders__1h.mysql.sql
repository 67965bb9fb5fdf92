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
        TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00.000000' AS DATETIME(6)), created_at) % 3600000000 + 3600000000
      ) % 3600000000
    ),
    created_at
  ) AS bucket,
  SUM(
    CASE
      WHEN status = 'completed'
      AND is_test = FALSE
      AND NOT (
        (
          status IN ('cancelled' COLLATE utf8mb4_bin, 'fraud' COLLATE utf8mb4_bin)
          AND NOT (
            status LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
          )
        )
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
        (
          status IN ('cancelled' COLLATE utf8mb4_bin, 'fraud' COLLATE utf8mb4_bin)
          AND NOT (
            status LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
          )
        )
      )
      AND amount > 0
      THEN 1
    END
  ) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6))
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
GROUP BY
  1
ORDER BY
  1
