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
  COALESCE(SUM(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 3
    ) = 3), 0) AS a0,
  COALESCE(SUM(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 124
    ) = 124), 0) AS a1,
  SUM(tripl_p1) FILTER(WHERE
    (
      tripl_mask & 128
    ) = 128) AS a2,
  COALESCE(SUM(tripl_p0) FILTER(WHERE
    (
      tripl_mask & 128
    ) = 128), 0) AS a3
FROM (
  SELECT
    DATE_BIN(INTERVAL '1 DAY', created_at, '1970-01-01 00:00:00+00') AS bucket,
    CASE WHEN is_test = FALSE THEN 1 ELSE 0 END + CASE WHEN NOT (
      status IN ('cancelled', 'fraud')
    ) THEN 2 ELSE 0 END + CASE WHEN country = 'US' THEN 4 ELSE 0 END + CASE
      WHEN (
        amount >= 100 AND amount <> CAST('NaN' AS DOUBLE PRECISION)
      )
      THEN 8
      ELSE 0
    END + CASE WHEN NOT (
      platform LIKE 'test%' ESCAPE '\'
    ) THEN 16 ELSE 0 END + CASE WHEN NOT (
      POSITION('-dup' IN order_id) > 0
    ) THEN 32 ELSE 0 END + CASE WHEN NOT (
      status IS NULL
    ) THEN 64 ELSE 0 END + CASE WHEN status = 'completed' THEN 128 ELSE 0 END AS tripl_mask,
    COUNT(*) AS tripl_p0,
    SUM(amount) AS tripl_p1
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
