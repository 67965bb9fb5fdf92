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
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP) - INTERVAL '1 DAY'
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
)
SELECT
  bucket,
  CASE WHEN tripl_rank < 10 THEN tripl_value ELSE 'Other' END AS breakdown_value,
  SUM(tripl_count_a0) AS a0
FROM (
  SELECT
    bucket,
    tripl_value,
    tripl_rows,
    tripl_count_a0,
    DENSE_RANK() OVER (ORDER BY tripl_total DESC NULLS LAST, tripl_value ASC) AS tripl_rank
  FROM (
    SELECT
      bucket,
      tripl_value,
      tripl_rows,
      tripl_count_a0,
      SUM(tripl_rows) OVER (PARTITION BY tripl_value) AS tripl_total
    FROM (
      SELECT
        DATE_BIN(INTERVAL '1 DAY', started_at, '1970-01-01 00:00:00+00') AS bucket,
        COALESCE(CAST(country AS TEXT) COLLATE "C", '') AS tripl_value,
        COUNT(*) AS tripl_rows,
        COUNT(*) FILTER(WHERE
          platform = 'web' OR platform IS NULL) AS tripl_count_a0
      FROM src
      WHERE
        started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
        AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
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
