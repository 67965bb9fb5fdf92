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
  MIN(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 7
    ) = 7) AS a0,
  COALESCE(SUM(tripl_p1) FILTER(WHERE
    (
      tripl_mask & 7
    ) = 7), 0) AS a1
FROM (
  SELECT
    DATE_BIN(INTERVAL '7 DAY', created_at, '1970-01-05 00:00:00+00') AS bucket,
    CASE WHEN amount < 10000.5 THEN 1 ELSE 0 END + CASE
      WHEN (
        amount > 0 AND amount <> CAST('NaN' AS DOUBLE PRECISION)
      )
      THEN 2
      ELSE 0
    END + CASE WHEN amount <= 9999 THEN 4 ELSE 0 END AS tripl_mask,
    MIN(amount) AS tripl_p0,
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
