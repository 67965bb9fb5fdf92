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
), tripl_main AS (
  SELECT
    bucket,
    COALESCE(SUM(CASE WHEN tripl_t0 AND tripl_t1 THEN tripl_p0 END), 0) AS a0,
    COALESCE(SUM(CASE WHEN tripl_t2 THEN tripl_p0 END), 0) AS a2,
    COALESCE(
      SUM(
        CASE
          WHEN tripl_t3 AND tripl_t4 AND tripl_t5 AND tripl_t6 AND tripl_t7
          THEN tripl_p0
        END
      ),
      0
    ) AS a3,
    SUM(CASE WHEN tripl_t2 THEN tripl_p1 END) AS a4
  FROM (
    SELECT
      MAKE_TIMESTAMP(
        EPOCH_US(created_at) - (
          EPOCH_US(created_at) % 86400000000 + 86400000000
        ) % 86400000000
      ) AS bucket,
      COALESCE(is_test = FALSE, FALSE) AS tripl_t0,
      COALESCE(NOT (
        status IN ('cancelled', 'fraud')
      ), FALSE) AS tripl_t1,
      COALESCE(status = 'completed', FALSE) AS tripl_t2,
      COALESCE(country = 'US', FALSE) AS tripl_t3,
      COALESCE(amount >= 100, FALSE) AS tripl_t4,
      COALESCE(NOT (
        platform LIKE 'test%'
      ), FALSE) AS tripl_t5,
      COALESCE(NOT (
        STRPOS(order_id, '-dup') > 0
      ), FALSE) AS tripl_t6,
      COALESCE(NOT (
        status IS NULL
      ), FALSE) AS tripl_t7,
      COUNT(*) AS tripl_p0,
      SUM(amount) AS tripl_p1
    FROM src
    WHERE
      created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
      AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
    GROUP BY
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9
  ) AS tripl_cube
  GROUP BY
    1
), tripl_distinct_0 AS (
  SELECT
    bucket,
    COUNT(CASE WHEN (
      tripl_f0 & 1
    ) <> 0 THEN 1 END) AS a1
  FROM (
    SELECT
      MAKE_TIMESTAMP(
        EPOCH_US(created_at) - (
          EPOCH_US(created_at) % 86400000000 + 86400000000
        ) % 86400000000
      ) AS bucket,
      user_id AS tripl_value,
      BIT_OR(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS tripl_f0
    FROM src
    WHERE
      (
        created_at >= CAST('2026-01-05 00:00:00.000000' AS TIMESTAMP)
        AND created_at < CAST('2026-01-12 00:00:00.000000' AS TIMESTAMP)
      )
      AND NOT user_id IS NULL
    GROUP BY
      1,
      2
  ) AS tripl_flags
  GROUP BY
    1
)
SELECT
  tripl_main.bucket AS bucket,
  tripl_main.a0 AS a0,
  tripl_distinct_0.a1 AS a1,
  tripl_main.a2 AS a2,
  tripl_main.a3 AS a3,
  tripl_main.a4 AS a4
FROM tripl_main
LEFT JOIN tripl_distinct_0
  ON tripl_main.bucket = tripl_distinct_0.bucket
ORDER BY
  1
