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
        TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00.000000' AS DATETIME(6)), created_at) % 900000000 + 900000000
      ) % 900000000
    ),
    created_at
  ) AS bucket,
  AVG(
    CAST(CASE
      WHEN NOT (
        status = 'cancelled' COLLATE utf8mb4_bin
        AND NOT (
          status LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
        )
      )
      AND LOCATE('U' COLLATE utf8mb4_bin, country) > 0
      THEN amount
    END AS DOUBLE)
  ) AS a0,
  COUNT(
    CASE
      WHEN NOT (
        status = 'cancelled' COLLATE utf8mb4_bin
        AND NOT (
          status LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
        )
      )
      AND LOCATE('U' COLLATE utf8mb4_bin, country) > 0
      THEN 1
    END
  ) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-07 00:00:00.000000' AS DATETIME(6))
  AND created_at < CAST('2026-01-09 00:00:00.000000' AS DATETIME(6))
GROUP BY
  1
ORDER BY
  1
