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
  TIMESTAMP_MICROS(
    UNIX_MICROS(started_at) - (
      UNIX_MICROS(started_at) % 3600000000 + 3600000000
    ) % 3600000000
  ) AS bucket,
  COUNT(*) FILTER(WHERE
    referrer LIKE '%google%' ESCAPE '\\'
    AND NOT (
      country IS NULL
    )
    AND platform IS NULL) AS a0
FROM src
WHERE
  started_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND started_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
