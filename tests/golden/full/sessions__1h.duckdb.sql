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
)
SELECT
  bucket,
  COALESCE(SUM(CASE WHEN tripl_t0 AND tripl_t1 AND tripl_t2 THEN tripl_p0 END), 0) AS a0
FROM (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(started_at) - (
        EPOCH_US(started_at) % 3600000000 + 3600000000
      ) % 3600000000
    ) AS bucket,
    COALESCE(referrer LIKE '%google%', FALSE) AS tripl_t0,
    COALESCE(NOT (
      country IS NULL
    ), FALSE) AS tripl_t1,
    COALESCE(platform IS NULL, FALSE) AS tripl_t2,
    COUNT(*) AS tripl_p0
  FROM src
  WHERE
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2,
    3,
    4
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
