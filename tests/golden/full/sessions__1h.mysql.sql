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
    started_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6)) - INTERVAL '1' DAY
    AND started_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
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
  TIMESTAMPADD(
    MICROSECOND,
    -(
      (
        TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00.000000' AS DATETIME(6)), started_at) % 3600000000 + 3600000000
      ) % 3600000000
    ),
    started_at
  ) AS bucket,
  COUNT(
    CASE
      WHEN referrer LIKE '%google%' COLLATE utf8mb4_bin ESCAPE '\\'
      AND NOT (
        country IS NULL
      )
      AND platform IS NULL
      THEN 1
    END
  ) AS a0
FROM src
WHERE
  started_at >= CAST('2026-01-05 00:00:00.000000' AS DATETIME(6))
  AND started_at < CAST('2026-01-12 00:00:00.000000' AS DATETIME(6))
GROUP BY
  1
ORDER BY
  1
