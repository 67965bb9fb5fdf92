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
    started_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP) - INTERVAL '1' DAY
    AND started_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
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
  TIMESTAMP_TRUNC(started_at, DAY, 'UTC') AS bucket,
  COUNT(CASE WHEN platform = 'web' OR platform IS NULL THEN 1 END) AS a0,
  COUNT(CASE WHEN platform <> 'bot' THEN 1 END) AS a1
FROM src
WHERE
  started_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND started_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
