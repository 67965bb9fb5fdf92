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
), tripl_values AS (
  SELECT
    ifNull(toString(country), '') AS breakdown_value,
    count() AS tripl_rows
  FROM src
  WHERE
    started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1
), tripl_top AS (
  SELECT
    breakdown_value
  FROM (
    SELECT
      breakdown_value,
      ROW_NUMBER() OVER (ORDER BY tripl_rows DESC, breakdown_value ASC) AS tripl_rank
    FROM tripl_values
  ) AS tripl_ranked
  WHERE
    tripl_rank < 10
)
SELECT
  bucket,
  breakdown_value,
  COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 1) = 1), 0) AS a0
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) - (
        toUnixTimestamp64Micro(toDateTime64(started_at, 6, 'UTC')) % 86400000000 + 86400000000
      ) % 86400000000,
      'UTC'
    ) AS bucket,
    CASE
      WHEN ifNull(toString(country), '') IN (
        SELECT
          breakdown_value
        FROM tripl_top
      )
      THEN ifNull(toString(country), '')
      ELSE 'Other'
    END AS breakdown_value,
    CASE WHEN platform = 'web' OR platform IS NULL THEN 1 ELSE 0 END AS tripl_mask,
    count() AS tripl_p0
  FROM src
  WHERE
    started_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND started_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
  GROUP BY
    1,
    2,
    3
) AS tripl_cube
GROUP BY
  1,
  2
ORDER BY
  1,
  2
