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
  COALESCE(sumIfOrNull(tripl_p0, tripl_t0 AND tripl_t1 AND tripl_t2), 0) AS a0
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) - (
        toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) % 3600000000 + 3600000000
      ) % 3600000000,
      'UTC'
    ) AS bucket,
    COALESCE(referrer LIKE '%google%', FALSE) AS tripl_t0,
    COALESCE(NOT (
      country IS NULL
    ), FALSE) AS tripl_t1,
    COALESCE(platform IS NULL, FALSE) AS tripl_t2,
    count() AS tripl_p0
  FROM src
  WHERE
    started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
