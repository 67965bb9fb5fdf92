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
), tripl_groups AS (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(created_at) - (
        EPOCH_US(created_at) % 3600000000 + 3600000000
      ) % 3600000000
    ) AS bucket,
    COALESCE(CAST(country AS TEXT), '') AS tripl_value,
    COUNT(*) AS tripl_rows,
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
    ) AS tripl_sum_a0,
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
    ) AS tripl_count_a1
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2
), tripl_values AS (
  SELECT
    tripl_value AS breakdown_value,
    SUM(tripl_rows) AS tripl_rows
  FROM tripl_groups
  GROUP BY
    1
), tripl_top AS (
  SELECT
    breakdown_value
  FROM (
    SELECT
      breakdown_value,
      ROW_NUMBER() OVER (ORDER BY tripl_rows DESC, breakdown_value ASC) AS tripl_rank
    FROM tripl_values
  ) AS tripl_ranked
  WHERE
    tripl_rank < 10
)
SELECT
  bucket,
  CASE
    WHEN tripl_value IN (
      SELECT
        breakdown_value
      FROM tripl_top
    )
    THEN tripl_value
    ELSE 'Other'
  END AS breakdown_value,
  SUM(tripl_sum_a0) AS a0,
  SUM(tripl_count_a1) AS a1
FROM tripl_groups
GROUP BY
  1,
  2
ORDER BY
  1,
  2
