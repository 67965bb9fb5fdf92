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
    started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC') - INTERVAL '1' DAY
    AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
  fromUnixTimestamp64Micro(
    toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) - (
      toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) % 86400000000 + 86400000000
    ) % 86400000000,
    'UTC'
  ) AS bucket,
  countIf(platform = 'web' OR platform IS NULL) AS a0,
  countIf(platform <> 'bot') AS a1
FROM src
WHERE
  started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
  AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
GROUP BY
  1
ORDER BY
  1
