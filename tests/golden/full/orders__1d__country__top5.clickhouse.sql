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
  CASE WHEN tripl_rank < 5 THEN tripl_value ELSE 'Other' END AS breakdown_value,
  sumOrNull(tripl_count_a0) AS a0
FROM (
  SELECT
    bucket,
    tripl_value,
    tripl_rows,
    tripl_count_a0,
    DENSE_RANK() OVER (ORDER BY tripl_total DESC, tripl_value ASC) AS tripl_rank
  FROM (
    SELECT
      bucket,
      tripl_value,
      tripl_rows,
      tripl_count_a0,
      SUM(tripl_rows) OVER (PARTITION BY tripl_value) AS tripl_total
    FROM (
      SELECT
        fromUnixTimestamp64Micro(
          toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')), 86400000000),
          'UTC'
        ) AS bucket,
        ifNull(toString(country), '') AS tripl_value,
        count() AS tripl_rows,
        countIf(is_test = FALSE AND NOT (
          status IN ('cancelled', 'fraud')
        )) AS tripl_count_a0
      FROM src
      WHERE
        created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
        AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
