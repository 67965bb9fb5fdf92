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
  bucket,
  CASE WHEN tripl_rank < 10 THEN tripl_value ELSE 'Other' END AS breakdown_value,
  SUM(tripl_sum_a0) AS a0,
  SUM(tripl_count_a1) AS a1
FROM (
  SELECT
    bucket,
    tripl_value,
    tripl_rows,
    tripl_sum_a0,
    tripl_count_a1,
    DENSE_RANK() OVER (ORDER BY tripl_total DESC NULLS LAST, tripl_value ASC) AS tripl_rank
  FROM (
    SELECT
      bucket,
      tripl_value,
      tripl_rows,
      tripl_sum_a0,
      tripl_count_a1,
      SUM(tripl_rows) OVER (PARTITION BY tripl_value) AS tripl_total
    FROM (
      SELECT
        DATE_BIN(INTERVAL '1 DAY', created_at, '1970-01-01 00:00:00+00') AS bucket,
        COALESCE(CAST(country AS TEXT) COLLATE "C", '') AS tripl_value,
        COUNT(*) AS tripl_rows,
        SUM(amount) FILTER(WHERE
          status = 'completed') AS tripl_sum_a0,
        COUNT(*) FILTER(WHERE
          status = 'completed') AS tripl_count_a1
      FROM src
      WHERE
        created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
        AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
      GROUP BY
        1,
        2
    ) AS tripl_groups
  ) AS tripl_totals
) AS tripl_ranked
GROUP BY
  1,
  2
ORDER BY
  1,
  2
