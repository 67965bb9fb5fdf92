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
    ifNull(toString(platform), '') AS breakdown_value,
    count() AS tripl_rows
  FROM src
  WHERE
    created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
    tripl_rank < 5
)
SELECT
  bucket,
  breakdown_value,
  COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 3) = 3), 0) AS a0
FROM (
  SELECT
    fromUnixTimestamp64Micro(
      toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - (
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 86400000000 + 86400000000
      ) % 86400000000,
      'UTC'
    ) AS bucket,
    CASE
      WHEN ifNull(toString(platform), '') IN (
        SELECT
          breakdown_value
        FROM tripl_top
      )
      THEN ifNull(toString(platform), '')
      ELSE 'Other'
    END AS breakdown_value,
    CASE WHEN is_test = FALSE THEN 1 ELSE 0 END + CASE WHEN NOT (
      status IN ('cancelled', 'fraud')
    ) THEN 2 ELSE 0 END AS tripl_mask,
    count() AS tripl_p0
  FROM src
  WHERE
    created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
    AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
