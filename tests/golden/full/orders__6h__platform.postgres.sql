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
)
SELECT
  bucket,
  breakdown_value,
  MAX(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 1
    ) = 1) AS a0,
  COALESCE(SUM(tripl_p1) FILTER(WHERE
    (
      tripl_mask & 1
    ) = 1), 0) AS a1
FROM (
  SELECT
    DATE_BIN(INTERVAL '6 HOUR', created_at, '1970-01-01 00:00:00+00') AS bucket,
    COALESCE(CAST(platform AS TEXT) COLLATE "C", '') AS breakdown_value,
    CASE WHEN platform IN ('ios', 'android') THEN 1 ELSE 0 END AS tripl_mask,
    MAX(amount) AS tripl_p0,
    COUNT(*) AS tripl_p1
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
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
