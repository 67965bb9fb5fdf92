WITH src AS (
  SELECT
    created_at,
    order_id,
    user_id,
    amount,
    status,
    country,
    platform,
    is_test
  FROM orders
), tripl_values AS (
  SELECT
    COALESCE(CAST(platform AS STRING), '') AS breakdown_value,
    COUNT(*) AS tripl_rows
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
    AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
  GROUP BY
    1
), tripl_top AS (
  SELECT
    breakdown_value
  FROM (
    SELECT
      breakdown_value,
      ROW_NUMBER() OVER (ORDER BY tripl_rows DESC, breakdown_value ASC NULLS LAST) AS tripl_rank
    FROM tripl_values
  ) AS tripl_ranked
  WHERE
    tripl_rank < 5
)
SELECT
  TIMESTAMP_MICROS(
    UNIX_MICROS(created_at) - (
      UNIX_MICROS(created_at) % 86400000000 + 86400000000
    ) % 86400000000
  ) AS bucket,
  CASE
    WHEN COALESCE(CAST(platform AS STRING), '') IN (
      SELECT
        breakdown_value
      FROM tripl_top
    )
    THEN COALESCE(CAST(platform AS STRING), '')
    ELSE 'Other'
  END AS breakdown_value,
  COUNT(*) FILTER(WHERE
    is_test = FALSE AND NOT (
      status IN ('cancelled', 'fraud')
    )) AS a0
FROM src
WHERE
  created_at >= CAST('2026-01-05 00:00:00.000000+00:00' AS TIMESTAMP)
  AND created_at < CAST('2026-01-12 00:00:00.000000+00:00' AS TIMESTAMP)
GROUP BY
  1,
  2
ORDER BY
  1,
  2
