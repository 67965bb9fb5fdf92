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
  bucket,
  COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 1) = 1), 0) AS a0,
  COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 2) = 2), 0) AS a1
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')), 86400000000),
      'UTC'
    ) AS bucket,
    CASE WHEN platform = 'web' OR platform IS NULL THEN 1 ELSE 0 END + CASE WHEN platform <> 'bot' THEN 2 ELSE 0 END AS tripl_mask,
    count() AS tripl_p0
  FROM src
  WHERE
    started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
