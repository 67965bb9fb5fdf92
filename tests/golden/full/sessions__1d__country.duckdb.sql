WITH s AS (
  SELECT
    started_at,
    session_id,
    user_id,
    platform,
    country,
    referrer
  FROM sessions
  WHERE
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP) - INTERVAL '1' DAY
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
), src AS (
  SELECT
    started_at,
    session_id,
    user_id,
    platform,
    country,
    referrer
  FROM s
), tripl_groups AS (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(started_at) - (
        EPOCH_US(started_at) % 86400000000 + 86400000000
      ) % 86400000000
    ) AS bucket,
    COALESCE(CAST(country AS TEXT), '') AS tripl_value,
    COUNT(*) AS tripl_rows,
    COUNT(CASE WHEN platform = 'web' OR platform IS NULL THEN 1 END) AS tripl_count_a0
  FROM src
  WHERE
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
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
  SUM(tripl_count_a0) AS a0
FROM tripl_groups
GROUP BY
  1,
  2
ORDER BY
  1,
  2
