SELECT
  DATEADD(
    MICROSECOND,
    -(
      (
        DATE_PART(EPOCH_MICROSECOND, tripl_time) % 86400000000 + 86400000000
      ) % 86400000000
    ),
    tripl_time
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
      started_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMPNTZ)
      AND started_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMPNTZ)
    GROUP BY
      1
  ) AS tripl_user
) AS tripl_sql
WHERE
  tripl_time >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMPNTZ)
  AND tripl_time < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMPNTZ)
GROUP BY
  1
ORDER BY
  1
