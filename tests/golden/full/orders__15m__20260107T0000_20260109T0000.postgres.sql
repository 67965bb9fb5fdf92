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
  CAST(SUM(tripl_p1) FILTER(WHERE
    (
      tripl_mask & 3
    ) = 3) AS DOUBLE PRECISION) / NULLIF(SUM(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 3
    ) = 3), 0) AS a0,
  COALESCE(SUM(tripl_p2) FILTER(WHERE
    (
      tripl_mask & 3
    ) = 3), 0) AS a1
FROM (
  SELECT
    DATE_BIN(INTERVAL '15 MINUTE', created_at, '1970-01-01 00:00:00+00') AS bucket,
    CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END + CASE WHEN POSITION('U' IN country) > 0 THEN 2 ELSE 0 END AS tripl_mask,
    COUNT(amount) AS tripl_p0,
    SUM(amount) AS tripl_p1,
    COUNT(*) AS tripl_p2
  FROM src
  WHERE
    created_at >= CAST('2026-01-07 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-09 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
