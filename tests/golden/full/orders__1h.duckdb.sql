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
  SUM(CASE WHEN tripl_t0 AND tripl_t1 AND tripl_t2 AND tripl_t3 THEN tripl_p0 END) AS a0,
  COALESCE(
    SUM(CASE WHEN tripl_t0 AND tripl_t1 AND tripl_t2 AND tripl_t3 THEN tripl_p1 END),
    0
  ) AS a1
FROM (
  SELECT
    MAKE_TIMESTAMP(
      EPOCH_US(created_at) - (
        EPOCH_US(created_at) % 3600000000 + 3600000000
      ) % 3600000000
    ) AS bucket,
    COALESCE(status = 'completed', FALSE) AS tripl_t0,
    COALESCE(is_test = FALSE, FALSE) AS tripl_t1,
    COALESCE(NOT (
      status IN ('cancelled', 'fraud')
    ), FALSE) AS tripl_t2,
    COALESCE(amount > 0, FALSE) AS tripl_t3,
    SUM(amount) AS tripl_p0,
    COUNT(*) AS tripl_p1
  FROM src
  WHERE
    created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
    AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    1,
    2,
    3,
    4,
    5
) AS tripl_cube
GROUP BY
  1
ORDER BY
  1
