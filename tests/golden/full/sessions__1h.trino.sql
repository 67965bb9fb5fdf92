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
    started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP(6)) - INTERVAL '1' DAY
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP(6))
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
  DATE_TRUNC('hour', started_at) AS bucket,
  COUNT(*) FILTER(WHERE
    referrer LIKE '%google%' ESCAPE '\'
    AND NOT (
      country IS NULL
    )
    AND platform IS NULL) AS a0
FROM src
WHERE
  started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP(6))
  AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP(6))
GROUP BY
  1
ORDER BY
  1
