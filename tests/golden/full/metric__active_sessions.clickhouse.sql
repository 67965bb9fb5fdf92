SELECT
  fromUnixTimestamp64Micro(
    toUnixTimestamp64Micro(toDateTime64(tripl_time, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(tripl_time, 6, 'UTC')), 86400000000),
    'UTC'
  ) AS bucket,
  sumOrNull(tripl_value) AS a0,
  count() AS a1
FROM (
  SELECT
    bucket AS tripl_time,
    value AS tripl_value
  FROM (
    SELECT
      dateTrunc('DAY', started_at) AS bucket,
      count(DISTINCT session_id) AS value
    FROM sessions
    WHERE
      started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
      AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
    GROUP BY
      1
  ) AS tripl_user
) AS tripl_sql
WHERE
  tripl_time >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
  AND tripl_time < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
GROUP BY
  1
ORDER BY
  1
