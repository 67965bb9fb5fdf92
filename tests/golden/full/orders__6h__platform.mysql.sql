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
        TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00.000000' AS DATETIME(6)), created_at) % 21600000000 + 21600000000
      ) % 21600000000
    ),
    created_at
  ) AS bucket,
  CAST(COALESCE(CAST(platform AS CHAR CHARACTER SET utf8mb4), '') AS BINARY) AS breakdown_value,
  MAX(
    CASE
      WHEN (
        platform IN ('ios' COLLATE utf8mb4_bin, 'android' COLLATE utf8mb4_bin)
        AND NOT (
          platform LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
        )
      )
      THEN amount
    END
  ) AS a0,
  COUNT(
    CASE
      WHEN (
        platform IN ('ios' COLLATE utf8mb4_bin, 'android' COLLATE utf8mb4_bin)
        AND NOT (
          platform LIKE '% ' COLLATE utf8mb4_bin ESCAPE '\\'
        )
      )
      THEN 1
    END
  ) AS a1
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6))
  AND created_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
GROUP BY
  1,
  2
ORDER BY
  1,
  2
