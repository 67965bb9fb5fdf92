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
  COALESCE(SUM(CASE WHEN (
    tripl_mask & 7
  ) = 7 THEN tripl_p0 END), 0) AS a0
FROM (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(started_at) - (
        EPOCH_US(started_at) % 3600000000 + 3600000000
      ) % 3600000000
    ) AS bucket,
    CASE WHEN referrer LIKE '%google%' ESCAPE '\' THEN 1 ELSE 0 END + CASE WHEN NOT (
      country IS NULL
    ) THEN 2 ELSE 0 END + CASE WHEN platform IS NULL THEN 4 ELSE 0 END AS tripl_mask,
    COUNT(*) AS tripl_p0
  FROM src
  WHERE
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
