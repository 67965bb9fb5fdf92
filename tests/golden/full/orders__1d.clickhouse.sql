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
    COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 3) = 3), 0) AS a0,
    COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 4) = 4), 0) AS a2,
    COALESCE(sumIfOrNull(tripl_p0, bitAnd(tripl_mask, 248) = 248), 0) AS a3,
    sumIfOrNull(tripl_p1, bitAnd(tripl_mask, 4) = 4) AS a4
  FROM (
    SELECT
      fromUnixTimestamp64Micro(
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')), 86400000000),
        'UTC'
      ) AS bucket,
      CASE WHEN is_test = FALSE THEN 1 ELSE 0 END + CASE WHEN NOT (
        status IN ('cancelled', 'fraud')
      ) THEN 2 ELSE 0 END + CASE WHEN status = 'completed' THEN 4 ELSE 0 END + CASE WHEN country = 'US' THEN 8 ELSE 0 END + CASE WHEN amount >= 100 THEN 16 ELSE 0 END + CASE WHEN NOT (
        platform LIKE 'test%'
      ) THEN 32 ELSE 0 END + CASE WHEN NOT (
        POSITION(order_id, '-dup') > 0
      ) THEN 64 ELSE 0 END + CASE WHEN NOT (
        status IS NULL
      ) THEN 128 ELSE 0 END AS tripl_mask,
      count() AS tripl_p0,
      sumOrNull(amount) AS tripl_p1
    FROM src
    WHERE
      created_at >= toDateTime64('2026-01-05 00:00:00.000000', 6, 'UTC')
      AND created_at < toDateTime64('2026-01-12 00:00:00.000000', 6, 'UTC')
    GROUP BY
      1,
      2
  ) AS tripl_cube
  GROUP BY
    1
), tripl_distinct_0 AS (
  SELECT
    bucket,
    countIf(bitAnd(tripl_f0, 1) <> 0) AS a1
  FROM (
    SELECT
      fromUnixTimestamp64Micro(
        toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')) - positiveModulo(toUnixTimestamp64Micro(toDateTime64(created_at, 6, 'UTC')), 86400000000),
        'UTC'
      ) AS bucket,
      user_id AS tripl_value,
      groupBitOr(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS tripl_f0
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
