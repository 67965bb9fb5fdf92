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
    COALESCE(sumIfOrNull(tripl_p0, tripl_t0 AND tripl_t1), 0) AS a0,
    COALESCE(sumIfOrNull(tripl_p0, tripl_t2), 0) AS a2,
    COALESCE(
      sumIfOrNull(tripl_p0, tripl_t3 AND tripl_t4 AND tripl_t5 AND tripl_t6 AND tripl_t7),
      0
    ) AS a3,
    sumIfOrNull(tripl_p1, tripl_t2) AS a4
  FROM (
    SELECT
      fromUnixTimestamp64Micro(
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - (
          toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 86400000000 + 86400000000
        ) % 86400000000,
        'UTC'
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
        POSITION(order_id, '-dup') > 0
      ), FALSE) AS tripl_t6,
      COALESCE(NOT (
        status IS NULL
      ), FALSE) AS tripl_t7,
      count() AS tripl_p0,
      sumOrNull(amount) AS tripl_p1
    FROM src
    WHERE
      created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
      AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
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
    countIf(tripl_f0 = 1) AS a1
  FROM (
    SELECT
      fromUnixTimestamp64Micro(
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - (
          toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) % 86400000000 + 86400000000
        ) % 86400000000,
        'UTC'
      ) AS bucket,
      user_id AS tripl_value,
      MAX(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS tripl_f0
    FROM src
    WHERE
      (
        created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
        AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
      )
      AND NOT (
        user_id IS NULL
      )
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
