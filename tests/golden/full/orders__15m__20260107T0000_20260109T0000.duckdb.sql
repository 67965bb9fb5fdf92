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
  SUM(CASE WHEN (
    tripl_mask & 3
  ) = 3 THEN tripl_p1 END) / NULLIF(SUM(CASE WHEN (
    tripl_mask & 3
  ) = 3 THEN tripl_p0 END), 0) AS a0,
  COALESCE(SUM(CASE WHEN (
    tripl_mask & 3
  ) = 3 THEN tripl_p2 END), 0) AS a1
FROM (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(created_at) - (
        EPOCH_US(created_at) % 900000000 + 900000000
      ) % 900000000
    ) AS bucket,
    CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END + CASE WHEN STRPOS(country, 'U') > 0 THEN 2 ELSE 0 END AS tripl_mask,
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
