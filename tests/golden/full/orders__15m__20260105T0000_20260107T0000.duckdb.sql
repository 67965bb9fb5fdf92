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
  SUM(CASE WHEN tripl_t0 AND tripl_t1 THEN tripl_p0 END) / NULLIF(SUM(CASE WHEN tripl_t0 AND tripl_t1 THEN tripl_p1 END), 0) AS a0,
  COALESCE(SUM(CASE WHEN tripl_t0 AND tripl_t1 THEN tripl_p2 END), 0) AS a1
FROM (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(created_at) - (
        EPOCH_US(created_at) % 900000000 + 900000000
      ) % 900000000
    ) AS bucket,
    COALESCE(status <> 'cancelled', FALSE) AS tripl_t0,
    COALESCE(STRPOS(country, 'U') > 0, FALSE) AS tripl_t1,
    SUM(amount) AS tripl_p0,
    COUNT(amount) AS tripl_p1,
    COUNT(*) AS tripl_p2
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-07 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2,
    3
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
