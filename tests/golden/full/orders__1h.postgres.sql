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
  SUM(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 15
    ) = 15) AS a0,
  COALESCE(SUM(tripl_p1) FILTER(WHERE
    (
      tripl_mask & 15
    ) = 15), 0) AS a1
FROM (
  SELECT
    DATE_BIN(INTERVAL '1 HOUR', created_at, '1970-01-01 00:00:00+00') AS bucket,
    CASE WHEN status = 'completed' THEN 1 ELSE 0 END + CASE WHEN is_test = FALSE THEN 2 ELSE 0 END + CASE WHEN NOT (
      status IN ('cancelled', 'fraud')
    ) THEN 4 ELSE 0 END + CASE WHEN amount > 0 THEN 8 ELSE 0 END AS tripl_mask,
    SUM(amount) AS tripl_p0,
    COUNT(*) AS tripl_p1
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
