SELECT
  TIMESTAMP_MICROS(
    UNIX_MICROS(tripl_time) - (
      UNIX_MICROS(tripl_time) % 86400000000 + 86400000000
    ) % 86400000000
  ) AS bucket,
  SUM(tripl_value) AS a0,
  COUNT(*) AS a1
FROM (
  SELECT
    bucket AS tripl_time,
    value AS tripl_value
  FROM (
    SELECT
      DATE_TRUNC('DAY', started_at) AS bucket,
      COUNT(DISTINCT session_id) AS value
    FROM sessions
    WHERE
      started_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
      AND started_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
    GROUP BY
      1
  ) AS tripl_user
) AS tripl_sql
WHERE
  tripl_time >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND tripl_time < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1
ORDER BY
  1
