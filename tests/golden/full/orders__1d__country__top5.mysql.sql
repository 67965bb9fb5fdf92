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
), tripl_values AS (
  SELECT
    CAST(COALESCE(CAST(country AS CHAR CHARACTER SET utf8mb4), '') AS BINARY) AS breakdown_value,
    COUNT(*) AS tripl_rows
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6))
    AND created_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    1
), tripl_top AS (
  SELECT
    breakdown_value
  FROM (
    SELECT
      breakdown_value,
      ROW_NUMBER() OVER (
        ORDER BY tripl_rows DESC, CASE WHEN breakdown_value IS NULL THEN 1 ELSE 0 END, breakdown_value ASC
      ) AS tripl_rank
    FROM tripl_values
  ) AS tripl_ranked
  WHERE
    tripl_rank < 5
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
  CASE
    WHEN CAST(COALESCE(CAST(country AS CHAR CHARACTER SET utf8mb4), '') AS BINARY) IN (
      SELECT
        breakdown_value
      FROM tripl_top
    )
    THEN CAST(COALESCE(CAST(country AS CHAR CHARACTER SET utf8mb4), '') AS BINARY)
    ELSE 'Other'
  END AS breakdown_value,
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
  ) AS a0
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
